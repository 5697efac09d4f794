"""The batched cohort engine.

How it works
------------
Hazards depend on tenure, not on the calendar, so every cohort of a segment follows the
same path. The engine therefore

1. packs scenarios into arrays with a leading scenario axis (:func:`pack`);
2. follows one *unit cohort* per segment and heterogeneity class through its tenure
   (:func:`cohort_kernel`): the fraction still active, and the fraction leaving for each
   cause, at every tenure month — a loop over tenure months only, vectorised over
   scenarios × segments × classes × causes;
3. builds the calendar by convolving acquisition with those curves (a renewal loop over
   months is needed only when referrals make acquisition depend on the active base).

Conservation holds to rounding error: each class's survival falls each month by exactly
the sum of its per-cause outflows, so everyone acquired is either active or counted in
exactly one cause's outflow.

Timing convention: customers acquired in month ``t`` are billed for month ``t``;
churners leave at the end of the month they are billed for. ``active`` is the count at
the end of a month.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simsrc.errors import ScenarioError
from simsrc.hazards import frailty_nodes, nodes_for, shape_curve, value_curve
from simsrc.scenario import Scenario

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Packed:
    """Scenario parameters as arrays with a leading scenario axis ``S``.

    Axes: ``G`` segments, ``K`` causes, ``J`` heterogeneity classes, ``H`` months.
    All scenarios in a pack share horizon, segment names and cause names.
    """

    horizon: int
    segments: tuple[str, ...]
    causes: tuple[str, ...]
    paid_new: Array  # [S, H] paid acquisition (base × growth × seasonality)
    share: Array  # [S, G]
    referral: Array  # [S]
    level: Array  # [S, G, K]
    shape: Array  # [S, K, H]
    heterogeneous: Array  # [S, K] 1.0 / 0.0
    z: Array  # [S, J] relative propensity of each heterogeneity class
    w: Array  # [S, J] its weight
    value: Array  # [S, H]
    price: Array  # [S, G]
    margin: Array  # [S, G]
    cost_to_serve: Array  # [S, G]
    cac: Array  # [S, G]
    discount: Array  # [S] monthly discount factor 1 / (1 + r_m)

    @property
    def n(self) -> int:
        """Number of scenarios."""
        return int(self.share.shape[0])

    def take(self, index: slice | NDArray[np.intp]) -> Packed:
        """The packed scenarios selected by ``index`` along the scenario axis."""
        fields = {
            f.name: getattr(self, f.name)[index]
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return dataclasses.replace(self, **fields)


def acquisition_curve(scenario: Scenario) -> Array:
    """Paid new customers per month: ``base × (1 + growth)^t × seasonality``.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(horizon_months=3)
    >>> acquisition_curve(s).shape
    (3,)
    """
    a = scenario.acquisition
    t = np.arange(scenario.horizon_months, dtype=float)
    out = a.new_per_month * (1.0 + a.monthly_growth) ** t
    if a.seasonality:
        season = np.asarray(a.seasonality, dtype=float)
        season = season / season.mean()
        out = out * season[np.arange(scenario.horizon_months) % 12]
    return np.asarray(out, dtype=float)


def pack(scenarios: Sequence[Scenario], nodes: int | None = None) -> Packed:
    """Pack scenarios with the same structure into arrays.

    Parameters
    ----------
    scenarios : sequence of Scenario
        Scenarios sharing horizon, segment names and cause names.
    nodes : int, optional
        Heterogeneity classes; default :func:`simsrc.hazards.nodes_for` the horizon.

    Returns
    -------
    Packed

    Raises
    ------
    ScenarioError
        If the scenarios differ in structure.
    """
    if not scenarios:
        raise ScenarioError("scenarios", "need at least one scenario")
    first = scenarios[0]
    h = first.horizon_months
    segs, causes = first.segment_names, first.cause_names
    for s in scenarios[1:]:
        if (s.horizon_months, s.segment_names, s.cause_names) != (h, segs, causes):
            raise ScenarioError(
                "scenarios",
                "a batch needs the same horizon, segments and causes "
                f"({first.name!r} and {s.name!r} differ); simulate them separately",
            )
    j = nodes_for(h) if nodes is None else int(nodes)
    n_s = len(scenarios)
    z = np.ones((n_s, j))
    w = np.zeros((n_s, j))
    level = np.array([[c.levels for c in s.causes] for s in scenarios], dtype=float)
    level = level.transpose(0, 2, 1)  # [S, G, K]
    het = np.array([[float(c.heterogeneous) for c in s.causes] for s in scenarios])
    for i, s in enumerate(scenarios):
        h_ = s.heterogeneity
        zz, ww = frailty_nodes(float(h_.reference_churn or 0.0), h_.spread, j)
        z[i, : len(zz)] = zz
        w[i, : len(ww)] = ww

    def seg(attr: str) -> Array:
        return np.array([[getattr(x, attr) for x in s.segments] for s in scenarios], float)

    rate = np.array([s.annual_discount_rate for s in scenarios], dtype=float)
    return Packed(
        horizon=h,
        segments=segs,
        causes=causes,
        paid_new=np.array([acquisition_curve(s) for s in scenarios]),
        share=seg("share"),
        referral=np.array([s.acquisition.referrals_per_active for s in scenarios], float),
        level=level,
        shape=np.array([[shape_curve(c.shape, h) for c in s.causes] for s in scenarios]),
        heterogeneous=het,
        z=z,
        w=w,
        value=np.array([value_curve(s.value, h) for s in scenarios]),
        price=seg("monthly_price"),
        margin=seg("gross_margin"),
        cost_to_serve=seg("cost_to_serve"),
        cac=seg("cac"),
        discount=(1.0 + rate) ** (-1.0 / 12.0),
    )


@dataclass(frozen=True)
class Kernel:
    """A unit cohort's path over tenure, per scenario and segment.

    Attributes
    ----------
    billed : ndarray [S, G, H]
        Fraction of the cohort billed in tenure month τ (active at its start).
    churned : ndarray [S, G, H, K]
        Fraction leaving for each cause at the end of tenure month τ.
    """

    billed: Array
    churned: Array

    @property
    def active(self) -> Array:
        """Fraction active at the end of tenure month τ, ``[S, G, H]``."""
        return self.billed - self.churned.sum(axis=-1)


def cohort_kernel(p: Packed) -> Kernel:
    """Follow a unit cohort of every segment through its tenure (competing risks).

    A customer of class ``j`` (relative propensity ``z_j``) leaves for cause ``k`` in
    tenure month τ with probability ``level_k · shape_k(τ) · z_j`` (``z_j`` only for
    heterogeneous causes). Their total is ``T_j(τ) = z_j H(τ) + N(τ)`` with ``H`` and
    ``N`` the summed heterogeneous and other hazards; when ``T_j > 1`` all of the class's
    hazards are scaled by ``1 / T_j``. So a class survives as the cumulative product of
    ``1 − min(T_j, 1)``, and each cause's outflow needs only two sums over classes:
    ``Σ_j S_j z_j / max(T_j, 1)`` and ``Σ_j S_j / max(T_j, 1)``. With one flat cause this
    is the shifted-beta-geometric model.

    Parameters
    ----------
    p : Packed
        Packed scenarios.

    Returns
    -------
    Kernel
    """
    hz = p.level[:, :, None, :] * p.shape.transpose(0, 2, 1)[:, None, :, :]  # [S, G, H, K]
    het = p.heterogeneous[:, None, None, :] > 0
    h_het = np.where(het, hz, 0.0).sum(axis=-1)  # [S, G, H]
    h_other = np.where(het, 0.0, hz).sum(axis=-1)
    z = p.z[:, None, :, None]  # [S, 1, J, 1]
    total = z * h_het[:, :, None, :]  # [S, G, J, H], memory-bound: few passes
    total += h_other[:, :, None, :]
    capped = bool(total.max(initial=0.0) > 1.0)
    keep = 1.0 - (np.minimum(total, 1.0) if capped else total)
    surv = np.empty_like(total)  # share of the cohort in class j at the start of month τ
    surv[..., 0] = p.w[:, None, :]
    np.cumprod(keep[..., :-1], axis=-1, out=surv[..., 1:])
    surv[..., 1:] *= p.w[:, None, :, None]
    scaled = surv / np.maximum(total, 1.0) if capped else surv
    z_sum = np.einsum("sgjh,sj->sgh", scaled, p.z)
    plain_sum = scaled.sum(axis=2)
    churned = hz * np.where(het, z_sum[..., None], plain_sum[..., None])
    return Kernel(billed=surv.sum(axis=2), churned=churned)


def unique_kernels(p: Packed) -> tuple[Kernel, NDArray[np.intp]]:
    """Cohort kernels computed once per distinct churn setting in a batch.

    The kernel depends only on levels, shapes, heterogeneity flags and classes, so a
    sweep over prices, margins or acquisition shares one kernel. Returns the kernels of
    the distinct settings and, per scenario, the index of its setting.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("telecom")
    >>> k, idx = unique_kernels(pack([s, s.set("acquisition.new_per_month", 9), s.halve_churn()]))
    >>> k.billed.shape[0], idx.tolist()
    (2, [0, 0, 1])
    """
    n = p.n
    parts = (p.level, p.shape, p.heterogeneous, p.z, p.w)
    rows = np.ascontiguousarray(np.concatenate([a.reshape(n, -1) for a in parts], axis=1))
    seen: dict[bytes, int] = {}
    which = np.empty(n, dtype=np.intp)
    first: list[int] = []
    for i in range(n):
        key = rows[i].tobytes()
        if key not in seen:
            seen[key] = len(first)
            first.append(i)
        which[i] = seen[key]
    return cohort_kernel(p.take(np.asarray(first, dtype=np.intp))), which


def acquisition(p: Packed, kernel: Kernel) -> tuple[Array, Array]:
    """New customers per segment and month, solving the referral feedback.

    Referrals in month ``t`` are ``referrals_per_active × active(t − 1)``, so acquisition
    depends on the base it builds; the renewal equation is solved month by month.

    Returns
    -------
    paid, referred : ndarray [S, G, H]
        Paid and referred new customers.
    """
    paid = p.paid_new[:, None, :] * p.share[:, :, None]
    referred = np.zeros_like(paid)
    if np.any(p.referral > 0):
        active_k = kernel.active  # [S, G, H]
        new = paid.copy()
        for t in range(1, p.horizon):
            # active at the end of month t-1 = Σ_c new[c] · active_k[t-1-c]
            prev = np.einsum("sgc,sgc->s", new[:, :, :t], active_k[:, :, t - 1 :: -1])
            referred[:, :, t] = (p.referral * prev)[:, None] * p.share
            new[:, :, t] += referred[:, :, t]
    return paid, referred


def convolve(new: Array, kern: Array) -> Array:
    """Calendar series from cohorts: ``out[t] = Σ_{c ≤ t} new[c] · kern[t − c]``.

    Parameters
    ----------
    new : ndarray [S, G, H]
        Cohort sizes by month of acquisition.
    kern : ndarray [S, G, H, ...]
        Per-unit-cohort values by tenure month (extra trailing axes allowed).

    Returns
    -------
    ndarray [S, G, H, ...]

    Examples
    --------
    >>> new = np.ones((1, 1, 3)); kern = np.array([[[1.0, 0.5, 0.25]]])
    >>> convolve(new, kern)[0, 0].tolist()
    [1.0, 1.5, 1.75]
    """
    h = new.shape[-1]
    extra = kern.ndim - 3
    n = new.reshape(new.shape + (1,) * extra)
    out = np.zeros(kern.shape, dtype=float)
    for lag in range(h):
        out[:, :, lag:] += n[:, :, : h - lag] * kern[:, :, lag : lag + 1]
    return out
