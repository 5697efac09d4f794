"""Fit what is delivered: each segment's tenure pattern, levers in place, to its life table.

The churn model fitted to a snapshot shares cause shapes and the heterogeneity spread
across segments and is grossed up for the base's levers by scaling levels. Three
things that leaves wrong, in the scenario users actually get:

* **contracts**: customers on a one- or two-year contract hardly leave inside a term
  and leave in a wave at its end; scaled levels average that into a flat hazard;
* **levers move churn in time**: a save team's offers defer exits, so scaling levels
  to match the total misplaces them over tenure;
* **segments differ in how different their customers are**: one spread for all
  sorts every segment's customers alike.

:func:`fit_delivered` takes the scenario as built and fits, segment by segment, what
the engine needs to reproduce the observed life table *with the scenario's levers on*:
for a contract segment its :class:`~simsrc.model.parts.Contract` (early exits per term
and the wave at each renewal point), for a month-to-month segment the level of its
early-shaped causes and a multiplier of each other voluntary cause (the shape over
tenure and the reasons' mix), and for each a heterogeneity spread of its own where the
data pin it down and reject the shared one. The likelihood is the binomial one of the
design-aware life table (customers at risk and leavers by tenure, delayed entry
included) under the engine's own survival; gradients come from one batched engine call
per step.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit, logit

from simsrc.calibration.options import check_contract_terms
from simsrc.calibration.survival import survival_hazards
from simsrc.engine.cohorts import cohort_path
from simsrc.engine.curves import frailty_nodes
from simsrc.engine.pack import Packed, hazard_multipliers, pack, term_curves
from simsrc.model.errors import ScenarioError
from simsrc.model.params import MAX_EARLY_EXIT, PARAMETERS
from simsrc.model.parts import Contract
from simsrc.model.scenario import Scenario

Array = NDArray[np.float64]

__all__ = ["DeliveredFit", "contract_months", "fit_delivered", "resolve_terms", "stated_shares"]

_BOUND = 9.0
"""Search bounds of the transformed parameters (logit ±9: shares from 1e-4 to 0.9999)."""

FIT_NODES = 12
"""Heterogeneity classes while fitting (half the engine's default for a save team's
stepped path: twice as fast; the scenario delivered is then judged with the default)."""

_STEP = 1e-5
"""Forward-difference step of the gradient on the transformed scale."""

SPREAD_SE_MAX = 0.1
"""Largest standard error of a segment's own heterogeneity spread for the data to be
said to identify it (a 95 % interval of about ±0.2 on the 0–0.95 index, enough to tell
much-alike from very different customers); a segment whose data pin it down less keeps
the shared spread, with a warning."""

_SPREAD_TOP = PARAMETERS["heterogeneity.segment_spread.*"].hi

_LEVEL_FLOOR = 1e-6
"""A monthly level the churn model put below this is none: one the delivered fit gives
a level has no factor to report, it was given one again."""

_CHI2_95 = 3.841458820694124
"""95 % point of the chi-square with one degree of freedom: a segment keeps a spread of
its own only where the likelihood-ratio test rejects the shared one at 5 %."""

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "annual": 1, "yearly": 1}


def contract_months(label: str) -> int:
    """The contract term a segment's label names, in months (0: month-to-month or none).

    Examples
    --------
    >>> [contract_months(x) for x in ("Two Year", "one-year plan", "Month-to-Month",
    ...                                "Annual", "6 months", "Pro")]
    [24, 12, 0, 12, 6, 0]
    """
    text = str(label).lower().replace("-", " ").replace("_", " ")
    if re.search(r"month\s*to\s*month|monthly", text):
        return 0
    found = re.search(r"\b(\d+|one|two|three|four|five)\s*(year|yr|month)s?\b", text)
    if found:
        count = int(found[1]) if found[1].isdigit() else _WORDS[found[1]]
        return count * (12 if found[2] in ("year", "yr") else 1)
    if re.search(r"\b(annual|yearly)\b", text):
        return 12
    return 0


def resolve_terms(
    segments: Sequence[str], labels: Sequence[str], option: Mapping[str, int] | str | None
) -> dict[str, int]:
    """Each segment's contract term: read from its label (``"auto"``), given, or none.

    ``option`` may name a segment by its name or its label; segments it leaves out are
    month-to-month.
    """
    if option is None:
        return dict.fromkeys(segments, 0)
    if option == "auto":
        return {s: contract_months(lab) for s, lab in zip(segments, labels, strict=True)}
    check_contract_terms(option)
    assert isinstance(option, Mapping)
    by_label = dict(zip(labels, segments, strict=True))
    out = dict.fromkeys(segments, 0)
    for key, months in option.items():
        seg = key if key in out else by_label.get(key)
        if seg is None:
            raise ScenarioError(
                f"contract_terms.{key}", f"names no segment (known: {', '.join(segments)})"
            )
        out[seg] = months
    return out


@dataclass(frozen=True)
class DeliveredFit:
    """The delivered scenario fitted to the life tables, and its report rows.

    Attributes
    ----------
    scenario : Scenario
        The scenario with each segment's contract and tenure-pattern multipliers.
    params : tuple of dict
        Parameter rows (path, value, se, source, note) for the report.
    assumptions, warnings : tuple of str
        What the report should say about it: what the fit assumed (and where the data
        put a contract share at none); where the data do not identify what was asked.
    level_factors : dict of str to (float, float)
        Per cause-level path that the tenure pattern rescaled: the factor and its
        standard error.
    """

    scenario: Scenario
    params: tuple[dict[str, Any], ...]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    level_factors: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class _Segment:
    """One segment's data and what is fitted for it."""

    g: int
    name: str
    at_risk: Array  # [T] customers at risk in tenure month 1 … T
    churned: Array  # [T] leavers
    term: int
    n_early: int  # early-exit shares fitted (terms with customers at risk)
    n_wave: int  # renewal waves fitted (renewal points with customers at risk)
    early: tuple[float, ...] = ()  # each cause's share of the early group's level
    early_level: float = 0.0  # the early group's level to start from
    own: tuple[int, ...] = ()  # month-to-month: each cause's multiplier (-1: none)
    stated: tuple[float, ...] = ()  # leavers by the cause their reason maps to
    hidden: tuple[bool, ...] = ()  # latent causes: their leavers state another reason
    open_to: tuple[bool, ...] = ()  # the reasons a latent cause's leavers state
    spread: float = -1.0  # where the segment's own spread starts (< 0: not fitted)
    reference: float = 0.0  # the scenario's reference churn (the classes' mean)

    @property
    def contract_size(self) -> int:
        return self.n_early + self.n_wave if self.term else 0

    @property
    def n_own(self) -> int:
        return max(self.own, default=-1) + 1

    @property
    def size(self) -> int:
        return self.contract_size + bool(self.early) + self.n_own + (self.spread >= 0)

    def start(self) -> Array:
        """Where the search starts (transformed scale)."""
        return np.concatenate(
            [
                np.full(self.n_early, logit(0.3 / MAX_EARLY_EXIT)),
                np.full(self.n_wave, logit(0.05)),
                [math.log(self.early_level)] if self.early else [],
                np.zeros(self.n_own),
                [logit(min(max(self.spread, 0.01), 0.9) / _SPREAD_TOP)]
                if self.spread >= 0
                else [],
            ]
        )

    def spreads(self, x: Array) -> Array:
        """The segment's own spread at each row of ``x`` (the last parameter)."""
        return np.asarray(_SPREAD_TOP * expit(x[:, -1]))

    def levels(self, x: Array, base: Array) -> Array:
        """The segment's cause levels at each row of ``x``, ``[M, K]``, from ``base``.

        The early group's total level is a parameter (shared in proportion to the
        group's levels, so a group fitted at zero can be given a level again); a
        month-to-month segment's other voluntary causes each have a multiplier (one
        shared when the data give no reasons).
        """
        out = np.broadcast_to(base, (x.shape[0], base.size)).copy()
        i = self.contract_size
        if self.early:
            share = np.array(self.early)
            out = np.where(share > 0, np.exp(x[:, i : i + 1]) * share, out)
            i += 1
        if self.n_own:
            own = np.array(self.own)
            factor = np.exp(x[:, i + np.maximum(own, 0)])
            out = np.where(own[None, :] >= 0, out * factor, out)
        return np.minimum(out, 1.0)

    def mix_loglik(self, churned: Array, present: Array) -> Array:
        """Multinomial log-likelihood of the stated reasons under each row's path.

        ``churned`` ``[M, T, K]`` and ``present`` ``[M, T]`` are a unit cohort's
        (:func:`stated_shares`).
        """
        if not any(self.stated):
            return np.zeros(churned.shape[0])
        n = np.array(self.stated)
        p = stated_shares(self.at_risk, churned, present, n > 0, self.hidden, self.open_to)
        return np.asarray((n[None, :] * np.log(np.maximum(p, 1e-300))).sum(axis=1))


def stated_shares(
    at_risk: Array,
    churned: Array,
    present: Array,
    stated: Sequence[bool] | NDArray[np.bool_],
    hidden: Sequence[bool] | NDArray[np.bool_],
    open_to: Sequence[bool] | NDArray[np.bool_],
) -> Array:
    """The shares of stated reasons a path implies at the data's risk sets, ``[M, K]``.

    Each cause's expected leavers are ``Σ_t n_t h_k(t)`` (``n_t`` at risk in tenure
    month ``t``, ``h_k`` the path's hazard of the cause); the leavers of a hidden
    (latent) cause state the open reasons in proportion to theirs, as the churn model
    reads them; causes no one stated are left out.

    Parameters
    ----------
    at_risk : ndarray
        ``[T]`` customers at risk by tenure month.
    churned, present : ndarray
        ``[M, T, K]`` and ``[M, T]``: a unit cohort's leavers by cause and customers.
    stated, hidden, open_to : sequence of bool
        ``[K]``: causes with stated reasons; latent causes; the reasons latent leavers
        state.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(present[..., None] > 0, churned / present[..., None], 0.0)
    expected = np.einsum("t,mtk->mk", np.asarray(at_risk, dtype=float), rate)
    hidden_mask, open_mask = np.asarray(hidden, dtype=bool), np.asarray(open_to, dtype=bool)
    opened = np.where(open_mask[None, :], expected, 0.0)
    spread = opened / np.maximum(opened.sum(axis=1, keepdims=True), 1e-300)
    said = np.where(np.asarray(stated, dtype=bool)[None, :], expected, 0.0)
    said = said + spread * expected[:, hidden_mask].sum(axis=1, keepdims=True)
    return np.asarray(said / np.maximum(said.sum(axis=1, keepdims=True), 1e-300))


def _groups(p: Packed, seg: _Segment, stated: Array | None, latent: Sequence[int]) -> _Segment:
    """``seg`` with its level parameters and the reasons its leavers gave.

    Causes whose hazard falls from the first month (an ``early`` shape) form the early
    group, whose total level is fitted. On a month-to-month segment each other voluntary
    cause the data give reasons for has its own multiplier, so the scenario with its
    levers on keeps the cause mix the reasons gave (levers act on causes unevenly:
    expert help cures success drop-off, discounts hold price leavers); without reasons
    they share one. On a contract the terms' churn multipliers do that.
    """
    shape, level = p.shape[0, seg.g], p.level[0, seg.g]
    voluntary = p.voluntary[0] > 0
    early = voluntary & (shape[:, 0] > shape[:, -1] + 1e-12)
    said = np.zeros(level.size) if stated is None else np.asarray(stated[seg.g], dtype=float)
    others = voluntary & ~early & (level > 0) & (seg.term == 0)
    own = np.full(level.size, -1)
    if others.any():
        reasoned = others & (said > 0)
        if reasoned.any():
            own[reasoned] = np.arange(int(reasoned.sum()))
        else:
            own[others] = 0
    hidden = np.zeros(level.size, dtype=bool)
    hidden[list(latent)] = True
    total = float(level[early].sum())
    kw: dict[str, Any] = {
        "own": tuple(own.tolist()),
        "stated": tuple(said.tolist()) if seg.term == 0 else (),
        "hidden": tuple(hidden.tolist()),
        "open_to": tuple((said > 0) & (p.preventable[0] > 0)),
    }
    if early.any():
        share = level / total if total > 0 else early / early.sum()
        # A level the churn model put at (or next to) zero starts at 1e-3, so the search
        # does not begin stuck on its bound, wherever the base's levels sent that model.
        kw |= {"early": tuple(np.where(early, share, 0.0).tolist()),
               "early_level": max(total, 1e-3)}  # fmt: skip
    return dataclasses.replace(seg, **kw)


def _negative_loglik(survival: Array, seg: _Segment) -> Array:
    """Binomial negative log-likelihood of the life table under each survival row."""
    s = np.concatenate([np.ones((survival.shape[0], 1)), survival], axis=1)
    h = np.clip(survival_hazards(s, empty=1.0), 1e-12, 1.0 - 1e-12)  # none left: all gone
    n, d = seg.at_risk, seg.churned
    return np.asarray(-(d * np.log(h) + (n - d) * np.log1p(-h)).sum(axis=1))


def _early_exit(x: Array) -> Array:
    """Multipliers of churn inside a term from the search scale (0 … MAX_EARLY_EXIT)."""
    return np.asarray(MAX_EARLY_EXIT * expit(x))


def _batch(p: Packed, seg: _Segment, x: Array) -> Packed:
    """``p`` repeated once per row of ``x`` with that row's parameters in place."""
    m = x.shape[0]
    out = p.take(np.zeros(m, dtype=np.intp))
    g = seg.g
    level = out.level.copy()
    level[:, g] = seg.levels(x, p.level[0, g])
    term = out.term
    if seg.term:
        early = _early_exit(x[:, : seg.n_early])
        wave = expit(x[:, seg.n_early : seg.contract_size])
        vol = np.einsum("mk,kt->mt", level[:, g] * p.held[0], p.shape[0, g])
        term = term.copy()
        term[:, g] = term_curves(seg.term, early, wave, vol)
    z, w = out.z, out.w
    if seg.spread >= 0:
        z, w = z.copy(), w.copy()
        for i, spread in enumerate(seg.spreads(x)):
            zz, ww = frailty_nodes(seg.reference, float(spread), z.shape[2])
            z[i, g], w[i, g] = 1.0, 0.0
            z[i, g, : zz.size], w[i, g, : ww.size] = zz, ww
    valuation = None if p.valuation is None else _batch(p.valuation, seg, x)
    return dataclasses.replace(out, level=level, term=term, z=z, w=w, valuation=valuation)


def _objective(p: Packed, seg: _Segment, x: Array) -> Array:
    """Negative log-likelihood at each row of ``x``: one batched engine call.

    The life table's (when and how many leave) and, with reasons, the stated reasons'
    (why): together the likelihood of the leavers by month and reason, pooled over
    months for the reasons.
    """
    t = seg.at_risk.size
    path = cohort_path(_batch(p, seg, x))
    active = path["active"][:, seg.g, :t]
    mix = seg.mix_loglik(path["churned"][:, seg.g, :t], path["present"][:, seg.g, :t])
    return _negative_loglik(active, seg) - mix


def _fit_one(p: Packed, seg: _Segment, x0: Array | None = None) -> tuple[Array, Array]:
    """Estimates on the transformed scale and their standard errors (search from ``x0``)."""
    x, _ = _search(p, seg, seg.start() if x0 is None else x0)
    return x, _standard_errors(p, seg, x)


def _search(p: Packed, seg: _Segment, x0: Array, last: float | None = None) -> tuple[Array, float]:
    """The maximum-likelihood estimates from ``x0`` and the negative log-likelihood there.

    With ``last`` the last parameter is held at that value (a profile likelihood).
    """
    k = x0.size
    tail = np.zeros(0) if last is None else np.array([last])

    def value_and_gradient(x: Array) -> tuple[float, Array]:
        rows = np.vstack([x, x + _STEP * np.eye(k)])
        v = _objective(p, seg, np.hstack([rows, np.broadcast_to(tail, (k + 1, tail.size))]))
        return float(v[0]), (v[1:] - v[0]) / _STEP

    # A log-likelihood in the thousands: a relative step of 1e-8 is a change of well
    # under 0.01 in it, far below what moves a survival curve by 0.001 (scipy's default
    # stops at 2e-9, after more engine calls for nothing visible).
    found = minimize(value_and_gradient, x0, jac=True, method="L-BFGS-B",
                     bounds=[(-_BOUND, _BOUND)] * k, options={"ftol": 1e-8})  # fmt: skip
    return np.concatenate([found.x, tail]), float(found.fun)


def _spread_error(p: Packed, seg: _Segment, x: Array, best: float) -> float:
    """Standard error of the segment's own spread from its profile likelihood.

    The other parameters are refitted with the spread held 0.2 either side of the
    estimate (within 0–0.95); from the rise of the negative log-likelihood there, each
    side gives ``0.2 / √(2 · rise)`` and the larger is returned. Unlike the Hessian's,
    this holds where the likelihood has a kink near the optimum (a propensity class
    whose hazard reaches certain churn). ``best`` is the negative log-likelihood at ``x``.
    """
    value = float(seg.spreads(x[None, :])[0])
    errors = []
    for side in (value - 2 * SPREAD_SE_MAX, value + 2 * SPREAD_SE_MAX):
        if 0.0 < side < _SPREAD_TOP:
            _, held = _search(p, seg, x[:-1], float(logit(side / _SPREAD_TOP)))
            errors.append(2 * SPREAD_SE_MAX / math.sqrt(2.0 * max(held - best, 1e-12)))
    return max(errors, default=math.nan)


def _standard_errors(p: Packed, seg: _Segment, x: Array) -> Array:
    """Standard errors on the transformed scale from a finite-difference Hessian.

    NaN for parameters on their search bound (the data put them at 0 or 1).
    """
    k, h = x.size, 1e-3
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    rows = [x] + [x + h * np.eye(k)[i] for i in range(k)]
    rows += [x + h * (np.eye(k)[i] + np.eye(k)[j]) for i, j in pairs]
    v = _objective(p, seg, np.vstack(rows))
    f0, fi = v[0], v[1 : k + 1]
    hess = np.zeros((k, k))
    for (i, j), fij in zip(pairs, v[k + 1 :], strict=True):
        hess[i, j] = hess[j, i] = (fij - fi[i] - fi[j] + f0) / h**2
    free = (np.abs(x) < _BOUND - 1e-3) & (np.abs(np.diag(hess)) > 1e-9)
    se = np.full(k, np.nan)
    if free.any():
        sub = hess[np.ix_(free, free)]
        try:
            cov = np.linalg.inv(sub)
            se[free] = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        except np.linalg.LinAlgError:
            pass
    return se


def _segments(
    tables: Sequence[pd.DataFrame], names: Sequence[str], terms: Mapping[str, int],
    months: int, min_at_risk: float,
) -> list[_Segment]:  # fmt: skip
    """The data and the parameters to fit of each segment with customers at risk."""
    out = []
    for g, (name, table) in enumerate(zip(names, tables, strict=True)):
        t = table.reindex(range(1, months + 1))
        n = t["at_risk"].fillna(0.0).to_numpy(float)
        d = t["churned"].fillna(0.0).to_numpy(float)
        term = terms.get(name, 0)
        n_early = n_wave = 0
        if term:
            # terms and renewal points the data speak to, in order (later ones repeat)
            while (
                n_early * term < months
                and n[n_early * term : (n_early + 1) * term].sum() >= min_at_risk
            ):
                n_early += 1
            while (n_wave + 1) * term <= months and n[(n_wave + 1) * term - 1] >= min_at_risk:
                n_wave += 1
            if n_early == 0:
                continue
        elif n.sum() < min_at_risk:
            continue
        out.append(_Segment(g, name, n, d, term, n_early, n_wave))
    return out


def fit_delivered(
    scenario: Scenario,
    tables: Sequence[pd.DataFrame],
    terms: Mapping[str, int],
    *,
    months: int,
    min_at_risk: float = 30.0,
    levers_in_data: bool = True,
    stated: Array | None = None,
    latent: Sequence[str] = (),
    own_spreads: bool = True,
) -> DeliveredFit:
    """Fit each segment's contract or tenure pattern so the delivered scenario fits.

    Parameters
    ----------
    scenario : Scenario
        The calibrated scenario as built (levels grossed up for its levers).
    tables : sequence of pandas.DataFrame
        Per segment of the scenario, its life table by tenure month (``at_risk``,
        ``churned``; delayed entry and uncertain exit months already weighed in).
    terms : mapping of str to int
        Contract term in months per segment name (0 or missing: month-to-month).
    months : int
        Tenure months of the life tables to fit (at most the engine's 240).
    min_at_risk : float
        A term or renewal point with fewer customers at risk gets no parameter of its
        own (the previous one repeats); a segment with fewer is left as it is.
    levers_in_data : bool
        The data were recorded with the scenario's levers in place (the likelihood is
        the scenario's with its levers; otherwise without them, and month-to-month
        segments, which the churn model then fits exactly, are left as they are).
    stated : ndarray, optional
        ``[G, K]`` leavers by the cause their stated reason maps to: with them, a
        month-to-month segment's causes are rescaled one by one to keep that mix.
    latent : sequence of str
        Causes without a reason of their own (their leavers state the open ones).
    own_spreads : bool
        Try a heterogeneity spread of its own for each segment (``False``: every
        segment keeps the scenario's, as when the user fixed it).

    Returns
    -------
    DeliveredFit
    """
    months = int(min(months, 240))
    contracts = {
        g: Contract(terms[s.name], (0.3,), (0.05,))
        for g, s in enumerate(scenario.segments)
        if terms.get(s.name, 0) > 0
    }
    start = _with_contracts(scenario, contracts)
    judged = start if levers_in_data else start.without_levers()
    p = pack([judged.replace(horizon_months=months)], nodes=FIT_NODES)
    out, params, warnings, bounds, notes = start, [], [], [], {}
    # Without levers (or contracts) the churn model fitted to the data is the scenario
    # the engine runs, to the last digit: a month-to-month segment has nothing to mend
    # but, where the data call for one, a spread of its own.
    levers_on = judged != judged.without_levers()
    for seg in _segments(tables, scenario.segment_names, terms, months, min_at_risk):
        seg = _groups(p, seg, stated, [scenario.cause_names.index(c) for c in latent])
        seg, x, se, note = _fit_spread(p, seg, scenario, mend=bool(seg.term or levers_on),
                                       own=own_spreads)  # fmt: skip
        if x is None:  # nothing to mend, and no spread of its own: as the churn model has it
            warnings += note
            continue
        out, rows, seg_notes = _written(out, p, seg, x, se)
        params += rows
        notes.update(seg_notes)
        bounds += _bound_notes(seg, x)
        warnings += note
    assumptions = (*_contract_assumption(scenario, contracts), *bounds)
    return DeliveredFit(out, tuple(params), assumptions, tuple(warnings), notes)


def _contract_assumption(scenario: Scenario, contracts: Mapping[int, Contract]) -> list[str]:
    """What the report says the contract fit assumed (nothing without contracts)."""
    if not contracts:
        return []
    named = ", ".join(f"{scenario.segments[g].name} {c.term_months} months"
                      for g, c in contracts.items())  # fmt: skip
    return [
        f"Contract terms ({named}): churn a term holds back (voluntary, preventable causes) "
        "inside each term and at each renewal "
        "point is fitted so the scenario, levers on, reproduces the life table. A "
        "snapshot records the contract a customer has now; one who changed contract "
        "counts in the current one at every tenure, so renewal-point estimates are "
        "approximate."
    ]


def _fit_spread(
    p: Packed, seg: _Segment, scenario: Scenario, *, mend: bool, own: bool
) -> tuple[_Segment, Array | None, Array, list[str]]:
    """Fit ``seg``, with a heterogeneity spread of its own where the data call for one.

    A segment keeps its own spread where the data pin it down (a standard error of at
    most :data:`SPREAD_SE_MAX`) and reject the shared one (likelihood ratio, 5 %). Where
    they do not pin it down a warning says so. Otherwise the segment is fitted with the
    shared spread if it has something else to ``mend`` (a contract, levers in the
    data); if not, no estimates (``None``) are returned: the churn model's fit stands.
    The spread's standard error, last in the errors returned, is on its own scale.
    Without ``own`` only the shared spread is used.
    """
    het = scenario.heterogeneity
    reference = float(het.reference_churn or 0.0)
    one, alone = p.one_segment(seg.g), dataclasses.replace(seg, g=0)
    start, note = None, []
    if own and 0.0 < reference < 1.0:
        free = dataclasses.replace(seg, spread=het.spread_for(seg.g), reference=reference)
        free_alone = dataclasses.replace(free, g=0)
        x, se = _fit_one(one, free_alone)
        value, error, start = _spread_verdict(one, free_alone, x, se, het.spread)
        if start is None:
            return free, x, np.append(se[:-1], error), []
        if not error <= SPREAD_SE_MAX:
            shown = "unbounded" if not math.isfinite(error) else f"±{error:.2f}"
            note = [f"{seg.name}: the data do not pin down a heterogeneity spread of its own "
                    f"({value:.2f}, standard error {shown}); it keeps the shared "
                    f"{het.spread:.2f}"]  # fmt: skip
    if not (mend and seg.size):
        return seg, None, np.zeros(0), note
    x, se = _fit_one(one, alone, start)
    return seg, x, se, note


def _spread_verdict(
    p: Packed, seg: _Segment, x: Array, se: Array, shared: float
) -> tuple[float, float, Array | None]:
    """A fitted own spread, its standard error, and where to go on with the shared one.

    The last item is ``None`` when the segment keeps its own spread; otherwise the other
    parameters to start the fit with the shared spread from.
    """
    value = float(seg.spreads(x[None, :])[0])
    share = value / _SPREAD_TOP
    error = _SPREAD_TOP * share * (1.0 - share) * se[-1]  # delta method: a first look
    if not error <= SPREAD_SE_MAX:
        return value, error, x[:-1]
    best = float(_objective(p, seg, x[None, :])[0])
    error = _spread_error(p, seg, x, best)  # the profile likelihood: holds at kinks too
    if not error <= SPREAD_SE_MAX:
        return value, error, x[:-1]
    held_at = float(logit(min(max(shared, 1e-6), _SPREAD_TOP - 1e-6) / _SPREAD_TOP))
    at_shared, held = _search(p, seg, x[:-1], held_at)
    return value, error, None if held - best > _CHI2_95 / 2 else at_shared[:-1]


def _with_contracts(scenario: Scenario, contracts: Mapping[int, Contract]) -> Scenario:
    """``scenario`` with the given segments' contracts replaced."""
    if not contracts:
        return scenario
    segs = [
        dataclasses.replace(s, contract=contracts[g]) if g in contracts else s
        for g, s in enumerate(scenario.segments)
    ]
    return scenario.replace(segments=tuple(segs))


SOURCE = "fitted: the delivered scenario (levers on) to the life table"


def _written(
    scenario: Scenario, p: Packed, seg: _Segment, x: Array, se: Array
) -> tuple[Scenario, list[dict[str, Any]], dict[str, tuple[float, float]]]:
    """The fitted values written into the scenario, their report rows and level notes."""
    rows: list[dict[str, Any]] = []
    scenario, factors = _rescaled(scenario, p, seg, x, se)
    if seg.spread >= 0:  # a single segment's own spread is the scenario's
        path = (f"heterogeneity.segment_spread.{seg.name}" if len(scenario.segments) > 1
                else "heterogeneity.spread")  # fmt: skip
        value = float(seg.spreads(x[None, :])[0])
        note = "standard error from the profile likelihood"
        rows.append({"path": path, "value": value, "se": float(se[-1]), "source": SOURCE,
                     "note": note})  # fmt: skip
        scenario = scenario.set(path, max(round(value, 6), 1e-6), name=scenario.name)
    if seg.term:
        k = seg.contract_size
        share = np.concatenate([_early_exit(x[: seg.n_early]), expit(x[seg.n_early : k])])
        top = np.where(np.arange(k) < seg.n_early, MAX_EARLY_EXIT, 1.0)
        share_se = share * (1.0 - share / top) * se[:k]  # delta method from the logit scale
        early = tuple(round(float(v), 6) for v in share[: seg.n_early])
        wave = tuple(round(float(v), 6) for v in share[seg.n_early :])
        base = f"segments.{seg.name}.contract"
        rows.append({"path": f"{base}.term_months", "value": seg.term, "se": math.nan,
                     "source": "segment label" , "note": ""})  # fmt: skip
        for i, (v, e) in enumerate(zip(share, share_se, strict=True)):
            field = f"early_exit.{i}" if i < seg.n_early else f"renewal.{i - seg.n_early}"
            rows.append({"path": f"{base}.{field}", "value": float(v), "se": float(e),
                         "source": SOURCE, "note": ""})  # fmt: skip
        contract = Contract(seg.term, early, wave)
        return _with_contracts(scenario, {seg.g: contract}), rows, factors
    return scenario, rows, factors


def _rescaled(
    scenario: Scenario, p: Packed, seg: _Segment, x: Array, se: Array
) -> tuple[Scenario, dict[str, tuple[float, float]]]:
    """The segment's cause levels as fitted, and each one's factor and its error.

    The pack's levels include the cause programs' and contact policy's multipliers; the
    scenario's are before them, so the new level is divided by them again.
    """
    before = p.level[0, seg.g]
    after = seg.levels(x[None, :], before)[0]
    near = seg.levels((x + np.where(np.isfinite(se), se, 0.0))[None, :], before)[0]
    programs = hazard_multipliers(scenario)
    factors = {}
    for k, cause in enumerate(scenario.causes):
        if after[k] == before[k]:
            continue
        path = f"causes.{cause.name}.levels.{seg.name}"
        new = after[k] / programs[k] if programs[k] > 0 else after[k]
        scenario = scenario.set(path, float(min(1.0, round(new, 8))), name=scenario.name)
        # a level the churn model put next to zero is given one again: no factor to tell
        was = before[k] > _LEVEL_FLOOR
        ratio = after[k] / before[k] if was else math.nan
        factors[path] = (ratio, abs(near[k] - after[k]) / before[k] if was else math.nan)
    return scenario, factors


def _bound_notes(seg: _Segment, x: Array) -> list[str]:
    """Say where the data put a contract share at 0 (nobody) or 1 (everybody)."""
    if not seg.term:
        return []
    notes = []
    for i, v in enumerate(x[: seg.contract_size]):
        if v <= -_BOUND + 1e-3:
            what = (
                f"leaves inside term {i + 1}"
                if i < seg.n_early
                else f"leaves at renewal {i - seg.n_early + 1}"
            )
            notes.append(f"{seg.name}: nobody {what} in the data; fitted as none")
    return notes
