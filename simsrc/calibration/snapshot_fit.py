"""The churn-model fit of a customer snapshot: counts, causes, start values, estimates.

Customer rows, expanded into risk sets with delayed entry, are reduced to per-segment
counts; the causes the data speak to are told apart from latent ones and those kept from
the base; the engine's churn model is then fitted by maximum likelihood
(:mod:`simsrc.calibration.churn_model`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from simsrc.calibration.build import base_levels, fit_with_reference, reference_of
from simsrc.calibration.churn_model import ChurnModelFit, FitSpec, SegmentCounts, model_curves
from simsrc.calibration.options import CalibrationOptions
from simsrc.calibration.records import Prepared
from simsrc.calibration.survival import life_table
from simsrc.engine.curves import shape_curve
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario

__all__ = [
    "CauseRoles",
    "SnapshotFit",
    "SnapshotSetup",
    "StartValues",
    "cause_roles",
    "fit_snapshot",
    "segment_counts",
    "start_values",
    "stated_churners",
]


@dataclasses.dataclass(frozen=True)
class SnapshotSetup:
    """What every step of a snapshot calibration reads.

    Attributes
    ----------
    prep : Prepared
        The cleaned customer records.
    base : Scenario
        The scenario to start from.
    opts : CalibrationOptions
        Calibration options.
    causes : tuple of str
        The base's cause names, in its order.
    segments : tuple of str
        The data's segments (in the base's order where the base has them all).
    risk : pandas.DataFrame
        Risk-set rows (:func:`simsrc.calibration.prepare.risk_rows`).
    months : int
        Longest tenure in the data.
    """

    prep: Prepared
    base: Scenario
    opts: CalibrationOptions
    causes: tuple[str, ...]
    segments: tuple[str, ...]
    risk: pd.DataFrame
    months: int


@dataclasses.dataclass(frozen=True)
class CauseRoles:
    """Which causes the data speak to, which are latent, and which are kept.

    Attributes
    ----------
    data_causes : tuple of str
        Causes some churner's reason maps onto.
    latent : tuple of str
        Causes with no reason of their own that a stated reason may hide.
    hides : dict of str to tuple of str
        Stated cause → the latent causes its churners may really have left for.
    scale : bool
        No reason in the data: the base's cause mix is scaled per segment.
    """

    data_causes: tuple[str, ...]
    latent: tuple[str, ...]
    hides: dict[str, tuple[str, ...]]
    scale: bool


@dataclasses.dataclass(frozen=True)
class StartValues:
    """Starting point of the fit and the observed life tables.

    Attributes
    ----------
    free : numpy.ndarray
        ``[G, K]``: levels the fit estimates.
    start : numpy.ndarray
        ``[G, K]``: starting levels (the fixed ones are final).
    life_tables : tuple of pandas.DataFrame
        Per segment, the Kaplan–Meier life table with delayed entry.
    """

    free: np.ndarray
    start: np.ndarray
    life_tables: tuple[pd.DataFrame, ...]


@dataclasses.dataclass(frozen=True)
class SnapshotFit:
    """The fitted churn model of a snapshot and what it was fitted to.

    Attributes
    ----------
    counts : tuple of SegmentCounts
        Per-segment sufficient statistics.
    stated : numpy.ndarray
        ``[G, K]``: churners by stated cause.
    free : numpy.ndarray
        ``[G, K]``: levels the fit estimated.
    life_tables : tuple of pandas.DataFrame
        Per segment, the observed life table.
    fit : ChurnModelFit
        Estimates with standard errors (levels on their lower bound set to 0).
    at_zero : numpy.ndarray
        ``[G, K]``: free levels estimated at 0.
    fit_shape : tuple of bool
        Per cause, whether its shape's time scale was estimated.
    fitted_causes : tuple of str
        Causes whose levels were fitted.
    survival : numpy.ndarray
        ``[G, T + 1]``: the fitted survival.
    pmf : numpy.ndarray
        ``[G, T, K]``: the fitted cause-specific churn probabilities.
    """

    counts: tuple[SegmentCounts, ...]
    stated: np.ndarray
    free: np.ndarray
    life_tables: tuple[pd.DataFrame, ...]
    fit: ChurnModelFit
    at_zero: np.ndarray
    fit_shape: tuple[bool, ...]
    fitted_causes: tuple[str, ...]
    survival: np.ndarray
    pmf: np.ndarray


def segment_counts(
    risk: pd.DataFrame,
    segments: Sequence[str],
    causes: Sequence[str],
    months: int,
    hides: Mapping[str, Sequence[str]] | None = None,
) -> list[SegmentCounts]:
    """Per-segment sufficient statistics.

    Parameters
    ----------
    risk : pandas.DataFrame
        Risk-set rows: ``segment``, ``tenure``, ``weight``, ``churned``, ``entry``,
        ``cause``.
    segments, causes : sequence of str
        Segments and causes, in the model's order.
    months : int
        Longest tenure.
    hides : mapping, optional
        ``hides[c]`` lists latent causes whose churners may state reason ``c``; they
        state the reasons in ``hides`` in the proportions the segment's churners state
        them.

    Returns
    -------
    list of SegmentCounts
        One per segment.
    """
    index = {c: k for k, c in enumerate(causes)}
    k_n = len(causes)
    out = []
    for seg in segments:
        r = risk[risk["segment"] == seg]
        t = r["tenure"].to_numpy(dtype=np.int64)
        w = r["weight"].to_numpy(dtype=float)
        ch = r["churned"].to_numpy(dtype=bool)
        e = r["entry"].to_numpy(dtype=np.int64)
        cause = r["cause"].to_numpy(dtype=object)
        events = np.zeros((months, k_n))
        unknown = np.zeros(months)
        for c, k in index.items():
            m = ch & (cause == c)
            np.add.at(events[:, k], t[m] - 1, w[m])
        m = ch & ~np.isin(cause, list(index))
        np.add.at(unknown, t[m] - 1, w[m])
        censored = np.bincount(t[~ch], weights=w[~ch], minlength=months + 1)[: months + 1]
        entries = np.bincount(e, weights=w, minlength=months + 1)[: months + 1]
        member = None
        if hides:
            member = np.eye(k_n)
            stated = events.sum(axis=0)
            eligible = np.array([causes[k] in hides for k in range(k_n)])
            total = float(stated[eligible].sum())
            for latent in {x for v in hides.values() for x in v}:
                j = index[latent]
                member[j] = np.where(eligible, stated / total, 0.0) if total > 0 else 0.0
        out.append(
            SegmentCounts(
                events, unknown, censored.astype(float), entries.astype(float), member=member
            )
        )
    return out


def cause_roles(
    setup: SnapshotSetup, latent_causes: Sequence[str] | Literal["auto"] | None
) -> CauseRoles:
    """Tell the causes the data speak to from the latent ones and those kept.

    Parameters
    ----------
    setup : SnapshotSetup
        The data and the base.
    latent_causes : sequence of str, "auto" or None
        As :func:`simsrc.calibration.calibrate`.

    Returns
    -------
    CauseRoles
        Data causes, latent causes, what each stated cause may hide, and whether the
        base's mix is scaled.

    Raises
    ------
    ScenarioError
        A latent cause unknown to the base, or one that reasons already map onto.
    """
    base, causes = setup.base, setup.causes
    cust = setup.prep.customers
    known = cust.loc[cust["churned"], "cause"]
    data_causes = tuple(c for c in causes if (known == c).any())
    scale = not data_causes
    by_name = {c.name: c for c in base.causes}
    if scale or latent_causes is None:
        latent: tuple[str, ...] = ()
    elif latent_causes == "auto":
        latent = tuple(
            c.name
            for c in base.causes
            if c.shape.kind == "early" and c.voluntary and c.name not in data_causes
        )
    else:
        latent = tuple(str(c) for c in latent_causes)
        for c in latent:
            if c not in by_name:
                raise ScenarioError(
                    "latent_causes", f"unknown cause {c!r} (known: {', '.join(causes)})"
                )
            if c in data_causes:
                raise ScenarioError(
                    f"latent_causes.{c}",
                    "reasons in the data already map onto this cause; a latent cause has none",
                )
    hides = {
        c: latent
        for c in data_causes
        if latent and by_name[c].voluntary and by_name[c].preventable
    }
    return CauseRoles(data_causes, latent, hides, scale)


def stated_churners(setup: SnapshotSetup) -> np.ndarray:
    """Churners (weighted) by segment and stated cause.

    Parameters
    ----------
    setup : SnapshotSetup
        The risk-set rows, segments and causes.

    Returns
    -------
    numpy.ndarray
        ``[G, K]`` weighted churners.
    """
    risk = setup.risk
    return np.array(
        [
            [
                float(
                    risk.loc[
                        (risk["segment"] == seg) & risk["churned"] & (risk["cause"] == c), "weight"
                    ].sum()
                )
                for c in setup.causes
            ]
            for seg in setup.segments
        ]
    )


def start_values(
    setup: SnapshotSetup,
    roles: CauseRoles,
    counts: Sequence[SegmentCounts],
    stated: np.ndarray,
) -> StartValues:
    """Which levels to fit, where the fit starts, and the observed life tables.

    Parameters
    ----------
    setup : SnapshotSetup
        The data, the base and the options.
    roles : CauseRoles
        Which causes the data speak to.
    counts : sequence of SegmentCounts
        Per-segment counts.
    stated : numpy.ndarray
        ``[G, K]`` churners by stated cause.

    Returns
    -------
    StartValues
        Free levels, starting levels and life tables.
    """
    base, causes, risk, months = setup.base, list(setup.causes), setup.risk, setup.months
    base_lv = base_levels(base, setup.segments)
    free = np.zeros_like(base_lv, dtype=bool)
    fixed = base_lv.copy() if setup.opts.unmapped_causes == "keep" else np.zeros_like(base_lv)
    start = fixed.copy()
    shapes_rows = np.array([shape_curve(c.shape, months) for c in base.causes])
    lt_all = []
    for g, seg_counts in enumerate(counts):
        r = risk[risk["segment"] == setup.segments[g]]
        lt = life_table(r["tenure"], r["churned"], months, entry=r["entry"], weight=r["weight"])
        lt_all.append(lt)
        n_t = lt["at_risk"].to_numpy(dtype=float)
        for k, cname in enumerate(causes):
            if cname in roles.data_causes:
                if stated[g, k] > 0:
                    free[g, k] = True
                    start[g, k] = float(
                        np.clip(stated[g, k] / max(n_t @ shapes_rows[k], 1e-9), 1e-6, 0.9)
                    )
                else:
                    start[g, k] = 0.0
            elif cname in roles.latent:
                eligible = sum(stated[g, causes.index(x)] for x in roles.hides)
                free[g, k] = eligible > 0
                start[g, k] = max(base_lv[g, k], 1e-3) if eligible > 0 else 0.0
        if roles.scale:
            base_hz = (start[g][:, None] * shapes_rows).sum(axis=0)
            crude = seg_counts.churners / max(float(n_t @ base_hz), 1e-12)
            start[g] = np.clip(start[g] * crude, 0.0, 1.0)
    return StartValues(free, start, tuple(lt_all))


def fit_snapshot(setup: SnapshotSetup, roles: CauseRoles, shares: np.ndarray) -> SnapshotFit:
    """Fit the engine's churn model to the snapshot by maximum likelihood.

    Parameters
    ----------
    setup : SnapshotSetup
        The data, the base and the options.
    roles : CauseRoles
        Which causes the data speak to.
    shares : numpy.ndarray
        Segment shares (they weigh the reference churn).

    Returns
    -------
    SnapshotFit
        The estimates, the counts they come from and the fitted curves.
    """
    base, opts = setup.base, setup.opts
    counts = segment_counts(setup.risk, setup.segments, setup.causes, setup.months, roles.hides)
    stated = stated_churners(setup)
    sv = start_values(setup, roles, counts, stated)
    het = np.array([c.heterogeneous for c in base.causes], dtype=bool)
    fitted_causes = (*roles.data_causes, *roles.latent) if not roles.scale else tuple(setup.causes)
    fit_shape = tuple(
        bool(opts.fit_shapes and c.name in fitted_causes and c.shape.kind in ("early", "hump"))
        for c in base.causes
    )
    spec = FitSpec(
        levels=sv.start,
        free=sv.free,
        scale=roles.scale,
        shapes=tuple(c.shape for c in base.causes),
        heterogeneous=tuple(bool(h) for h in het),
        reference_churn=reference_of(sv.start, shares, het),
        fit_shape=fit_shape,
        spread=opts.fit_spread,
        spread_start=base.heterogeneity.spread or 0.3,
    )
    fit = fit_with_reference(counts, spec, shares)
    at_zero = sv.free & fit.level_at_bound & (fit.model.levels < 1e-6)
    if at_zero.any():  # a level on its lower bound is the boundary estimate 0
        fit = dataclasses.replace(
            fit,
            model=dataclasses.replace(fit.model, levels=np.where(at_zero, 0.0, fit.model.levels)),
        )
    survival, pmf = model_curves(fit.model, setup.months)
    return SnapshotFit(
        counts=tuple(counts),
        stated=stated,
        free=sv.free,
        life_tables=sv.life_tables,
        fit=fit,
        at_zero=at_zero,
        fit_shape=fit_shape,
        fitted_causes=fitted_causes,
        survival=survival,
        pmf=pmf,
    )
