"""Run scenarios through the engine and present the results.

:func:`simulate` returns a :class:`Result` for one scenario (monthly frame, cohort
survival, KPIs); :func:`simulate_batch` runs many scenarios of the same structure in one
batched call and returns their KPIs as a DataFrame (and optionally the monthly arrays).
Both go through the same engine path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc import metrics
from simsrc.engine import (
    Kernel,
    Packed,
    acquisition,
    cohort_kernel,
    convolve,
    pack,
    unique_kernels,
)
from simsrc.scenario import Scenario

Array = NDArray[np.float64]

KPI_INFO: dict[str, tuple[str, str]] = {
    "total_revenue": ("Total revenue", "currency"),
    "total_gross_margin": ("Total gross margin", "currency"),
    "total_acquisition_cost": ("Total acquisition cost", "currency"),
    "npv": ("NPV of margin less acquisition", "currency"),
    "ending_active": ("Customers at the end", "customers"),
    "ending_mrr": ("MRR at the end", "currency/month"),
    "total_acquired": ("Customers acquired", "customers"),
    "total_churned": ("Customers lost", "customers"),
    "avg_monthly_churn": ("Average monthly churn", "rate"),
    "clv_per_customer": ("CLV per new customer", "currency"),
    "cac_payback_months": ("CAC payback", "months"),
    "grr_last_12m": ("Gross revenue retention, last 12 months", "rate"),
    "nrr_last_12m": ("Net revenue retention, last 12 months", "rate"),
}
"""Label and unit of every KPI, in display order."""

# Per-unit-cohort kernels stacked on the last axis, in this order.
_SERIES = (
    "billed",
    "active",
    "revenue",
    "mrr",
    "new_mrr",
    "churned_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "gross_margin",
)


@dataclass(frozen=True)
class _Run:
    """Engine output for a batch: packed inputs, kernels and acquisition."""

    packed: Packed
    kernel: Kernel
    paid: Array  # [S, G, H]
    referred: Array  # [S, G, H]
    kern: Array  # [S, G, H, len(_SERIES)]

    @property
    def new(self) -> Array:
        return self.paid + self.referred


def _run(p: Packed, kernel: Kernel | None = None) -> _Run:
    kernel = cohort_kernel(p) if kernel is None else kernel
    paid, referred = acquisition(p, kernel)
    billed, active = kernel.billed, kernel.active
    v = p.value[:, None, :]  # [S, 1, H]
    price = p.price[:, :, None]
    dv = np.diff(v, axis=-1, prepend=v[..., :1])  # v[τ] − v[τ−1], 0 at τ = 0
    v_prev = np.concatenate([v[..., :1], v[..., :-1]], axis=-1)
    churn_total = kernel.churned.sum(axis=-1)
    revenue = billed * v * price
    new_mrr = np.zeros_like(active)
    new_mrr[..., 0] = active[..., 0] * v[..., 0] * price[..., 0]
    churned_mrr = churn_total * v_prev * price
    churned_mrr[..., 0] = 0.0  # first-month churners never counted in a starting MRR
    kern = np.stack(
        [
            billed,
            active,
            revenue,
            active * v * price,
            new_mrr,
            churned_mrr,
            active * np.maximum(dv, 0.0) * price,
            active * np.maximum(-dv, 0.0) * price,
            revenue * p.margin[:, :, None] - billed * p.cost_to_serve[:, :, None],
        ],
        axis=-1,
    )
    return _Run(p, kernel, paid, referred, kern)


def _kpis(r: _Run) -> dict[str, Array]:
    """Headline KPIs in closed form from kernels (no monthly arrays needed)."""
    p, new = r.packed, r.new
    h = p.horizon
    idx = {name: i for i, name in enumerate(_SERIES)}
    rev_new = new[..., ::-1]  # new[H-1-τ] aligned with tenure τ
    cum = np.cumsum(r.kern, axis=2)  # [S, G, H, n]

    def total(name: str) -> Array:
        # Σ_t Σ_c new[c] K[t-c] = Σ_c new[c] cumK[H-1-c]
        return np.einsum("sgt,sgt->s", rev_new, cum[..., idx[name]])

    def ending(name: str) -> Array:
        return np.einsum("sgt,sgt->s", rev_new, r.kern[..., idx[name]])

    d = p.discount[:, None] ** np.arange(h)[None, :]  # [S, H]
    margin_k = r.kern[..., idx["gross_margin"]]
    disc_cum = np.cumsum(margin_k * d[:, None, :], axis=2)
    npv_margin = np.einsum("sgt,sgt->s", rev_new * d[:, None, ::-1], disc_cum)
    acq_cost = np.einsum("sgt,sg->st", r.paid, p.cac)  # [S, H]
    npv_acq = (acq_cost * d).sum(axis=1)
    churned = np.einsum("sgt,sgt->s", rev_new, np.cumsum(r.kernel.churned.sum(-1), axis=2))
    billed = total("billed")
    acquired = new.sum(axis=(1, 2))
    clv = np.einsum("sg,sg->s", p.share, disc_cum[:, :, -1])
    arpa0 = np.einsum("sg,sg->s", p.share, p.price * p.value[:, :1])
    margin0 = np.einsum("sg,sg->s", p.share, p.price * p.value[:, :1] * p.margin)
    cac = np.einsum("sg,sg->s", p.share, p.cac)
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(
            margin0 > 0, metrics.cac_payback_months(cac, arpa0, margin0 / arpa0), np.inf
        )
        avg_churn = np.where(billed > 0, churned / billed, np.nan)
    grr, nrr = _retention_last_year(r)
    return {
        "total_revenue": total("revenue"),
        "total_gross_margin": total("gross_margin"),
        "total_acquisition_cost": acq_cost.sum(axis=1),
        "npv": npv_margin - npv_acq,
        "ending_active": ending("active"),
        "ending_mrr": ending("mrr"),
        "total_acquired": acquired,
        "total_churned": churned,
        "avg_monthly_churn": avg_churn,
        "clv_per_customer": clv,
        "cac_payback_months": payback,
        "grr_last_12m": grr,
        "nrr_last_12m": nrr,
    }


def _retention_last_year(r: _Run) -> tuple[Array, Array]:
    """GRR and NRR of the customers active at the end of month H−13, over 12 months."""
    p = r.packed
    h = p.horizon
    n_s = r.new.shape[0]
    if h < 13:
        return np.full(n_s, np.nan), np.full(n_s, np.nan)
    t0 = h - 13
    idx = {name: i for i, name in enumerate(_SERIES)}
    new0 = r.new[:, :, : t0 + 1]  # cohorts existing at t0
    lag = t0 - np.arange(t0 + 1)  # tenure of cohort c at t0

    def at(name: str, offset: int) -> Array:
        return np.einsum("sgc,sgc->s", new0, r.kern[:, :, lag + offset, idx[name]])

    def window(name: str) -> Array:  # Σ over tenure lag+1 … lag+12
        cum = np.cumsum(r.kern[..., idx[name]], axis=2)
        return np.einsum("sgc,sgc->s", new0, cum[:, :, lag + 12] - cum[:, :, lag])

    start = at("mrr", 0)
    churned, contraction = window("churned_mrr"), window("contraction_mrr")
    expansion = window("expansion_mrr")
    with np.errstate(divide="ignore", invalid="ignore"):
        grr = np.where(start > 0, metrics.grr(start, churned, contraction), np.nan)
        nrr = np.where(start > 0, metrics.nrr(start, churned, contraction, expansion), np.nan)
    return grr, nrr


def _monthly_arrays(r: _Run) -> dict[str, Array]:
    """Calendar series per scenario and segment, ``[S, G, H]`` (churn: ``[S, G, H, K]``)."""
    series = convolve(r.new, r.kern)
    out = {name: series[..., i] for i, name in enumerate(_SERIES)}
    out["churned_by_cause"] = convolve(r.new, r.kernel.churned)
    out["paid_new"] = r.paid
    out["referred_new"] = r.referred
    out["acquisition_cost"] = r.paid * r.packed.cac[:, :, None]
    return out


@dataclass(frozen=True)
class Result:
    """The outcome of simulating one scenario. Frozen; carries its scenario.

    Attributes
    ----------
    scenario : Scenario
        The scenario that produced this result.
    arrays : mapping of str to ndarray
        Monthly series by segment, ``[G, H]`` (``churned_by_cause``: ``[G, H, K]``).
    kernel_active : ndarray
        Fraction of a unit cohort active at the end of each tenure month, ``[G, H]``.
    kpi_values : mapping of str to float
        Headline figures (see :data:`KPI_INFO`).
    """

    scenario: Scenario
    arrays: Mapping[str, Array]
    kernel_active: Array
    kpi_values: Mapping[str, float]

    @property
    def kpis(self) -> Mapping[str, float]:
        """Headline figures by name (read-only mapping)."""
        return self.kpi_values

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """One row per month: customers, churn by cause, revenue, MRR bridge, money.

        Columns: ``month``, ``new``, ``new_paid``, ``new_referred``, ``billed`` (customers
        paying this month), ``active`` (at the end of the month), ``churned``,
        ``churned_<cause>``, ``churn_rate`` (churned ÷ billed), ``revenue``, ``mrr`` (run
        rate of the customers active at the end of the month), ``new_mrr``,
        ``expansion_mrr``, ``contraction_mrr``, ``churned_mrr``, ``gross_mrr_churn``,
        ``net_mrr_churn``, ``gross_margin``, ``acquisition_cost``, ``contribution``
        (gross margin − acquisition cost), ``cumulative_revenue``,
        ``cumulative_contribution``.
        """
        a = {k: v.sum(axis=0) for k, v in self.arrays.items()}
        h = self.scenario.horizon_months
        df = pd.DataFrame({"month": np.arange(h)})
        df["new_paid"] = a["paid_new"]
        df["new_referred"] = a["referred_new"]
        df["new"] = df["new_paid"] + df["new_referred"]
        df["billed"] = a["billed"]
        df["active"] = a["active"]
        churn = a["churned_by_cause"]
        df["churned"] = churn.sum(axis=-1)
        for i, name in enumerate(self.scenario.cause_names):
            df[f"churned_{name}"] = churn[:, i]
        df["churn_rate"] = df["churned"] / df["billed"].where(df["billed"] > 0)
        for col in (
            "revenue",
            "mrr",
            "new_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "gross_margin",
            "acquisition_cost",
        ):
            df[col] = a[col]
        start = df["mrr"].shift(1).where(lambda s: s > 0)
        df["gross_mrr_churn"] = metrics.gross_mrr_churn(
            start, df["churned_mrr"], df["contraction_mrr"]
        )
        df["net_mrr_churn"] = metrics.net_mrr_churn(
            start, df["churned_mrr"], df["contraction_mrr"], df["expansion_mrr"]
        )
        df["contribution"] = df["gross_margin"] - df["acquisition_cost"]
        df["cumulative_revenue"] = df["revenue"].cumsum()
        df["cumulative_contribution"] = df["contribution"].cumsum()
        return df

    @cached_property
    def by_segment(self) -> pd.DataFrame:
        """Tidy monthly figures per segment (long format: month, segment, metric, value)."""
        frames = []
        for g, seg in enumerate(self.scenario.segment_names):
            part = pd.DataFrame({"month": np.arange(self.scenario.horizon_months)})
            part["segment"] = seg
            for key in (
                "paid_new",
                "referred_new",
                "billed",
                "active",
                "revenue",
                "mrr",
                "gross_margin",
                "acquisition_cost",
            ):
                part[key] = self.arrays[key][g]
            part["churned"] = self.arrays["churned_by_cause"][g].sum(axis=-1)
            frames.append(part)
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def survival(self) -> pd.DataFrame:
        """Share of a new cohort still active after each tenure month, by segment.

        Index: ``tenure`` (months completed, starting at 0 with everyone active); one
        column per segment and ``all`` (weighted by the segments' shares of new customers).
        """
        g_active = self.kernel_active
        shares = np.array([s.share for s in self.scenario.segments])
        ones = np.ones((g_active.shape[0], 1))
        surv = np.concatenate([ones, g_active], axis=1)  # tenure 0 … H
        df = pd.DataFrame(surv.T, columns=list(self.scenario.segment_names))
        df["all"] = surv.T @ shares
        df.index.name = "tenure"
        return df

    @cached_property
    def cohort_survival(self) -> pd.DataFrame:
        """Cohort × tenure matrix: share of each monthly cohort active after τ months.

        Rows are acquisition months, columns tenure months completed (0 … H); cells
        beyond the horizon are NaN. Cohorts differ only through their segment mix.
        """
        h = self.scenario.horizon_months
        new = self.arrays["paid_new"] + self.arrays["referred_new"]  # [G, H]
        surv = np.concatenate(
            [np.ones((self.kernel_active.shape[0], 1)), self.kernel_active], axis=1
        )  # [G, H+1]
        tot = new.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = (new.T @ surv) / tot[:, None]
        observed = np.arange(h + 1)[None, :] <= (h - np.arange(h))[:, None]
        matrix = np.where(observed, matrix, np.nan)
        df = pd.DataFrame(matrix, columns=pd.Index(np.arange(h + 1), name="tenure"))
        df.index.name = "cohort"
        return df

    def revenue_per_customer(self) -> pd.DataFrame:
        """Monthly revenue per customer by tenure and segment (the value-growth curve)."""
        v = value_multipliers(self.scenario)
        data = {seg.name: seg.monthly_price * v for seg in self.scenario.segments}
        df = pd.DataFrame(data)
        df.index.name = "tenure"
        return df


def value_multipliers(scenario: Scenario) -> Array:
    """Revenue multiplier by tenure for a scenario (``v(0) = 1``)."""
    from simsrc.hazards import value_curve

    return np.asarray(value_curve(scenario.value, scenario.horizon_months))


def simulate(scenario: Scenario, *, nodes: int | None = None) -> Result:
    """Simulate one scenario (expected values).

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    nodes : int, optional
        Heterogeneity classes (default: exact sBG for horizons up to 95 months).

    Returns
    -------
    Result

    Examples
    --------
    >>> import simsrc
    >>> res = simsrc.simulate(simsrc.preset("b2b-saas"))
    >>> bool(res.monthly["active"].iloc[-1] == res.kpis["ending_active"])
    True
    """
    r = _run(pack([scenario], nodes=nodes))
    arrays = {k: v[0] for k, v in _monthly_arrays(r).items()}
    kpis = {k: float(v[0]) for k, v in _kpis(r).items()}
    return Result(
        scenario=scenario,
        arrays=MappingProxyType(arrays),
        kernel_active=r.kernel.active[0],
        kpi_values=MappingProxyType(kpis),
    )


@dataclass(frozen=True)
class BatchResult:
    """KPIs (and optionally monthly arrays) of many scenarios simulated together.

    Attributes
    ----------
    scenarios : tuple of Scenario
        The scenarios, in order (empty when the batch was given as packed arrays).
    kpis : pandas.DataFrame
        One row per scenario, one column per KPI.
    arrays : mapping of str to ndarray or None
        Monthly series ``[S, G, H]`` when requested.
    """

    scenarios: tuple[Scenario, ...]
    kpis: pd.DataFrame
    arrays: Mapping[str, Array] | None


def simulate_batch(
    scenarios: Sequence[Scenario] | Packed,
    *,
    monthly: bool = False,
    nodes: int | None = None,
) -> BatchResult:
    """Simulate many scenarios with the same structure in one batched engine call.

    Parameters
    ----------
    scenarios : sequence of Scenario or Packed
        Scenarios (same horizon, segments and causes) or already packed arrays (sweeps
        build these directly to avoid creating thousands of objects).
    monthly : bool
        Also return monthly arrays (costs O(S × H²) memory traffic).
    nodes : int, optional
        Heterogeneity classes.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> out = simsrc.simulate_batch([base, base.halve_churn()])
    >>> bool(out.kpis["total_revenue"].iloc[1] > out.kpis["total_revenue"].iloc[0])
    True
    """
    objs: tuple[Scenario, ...] = ()
    if isinstance(scenarios, Packed):
        p = scenarios
    else:
        objs = tuple(scenarios)
        p = pack(objs, nodes=nodes)
    kpi_parts: list[pd.DataFrame] = []
    month_parts: list[dict[str, Array]] = []
    size = chunk_size(p)
    for start in range(0, p.n, size):
        chunk = p.take(slice(start, start + size))
        kernels, which = unique_kernels(chunk)
        if len(kernels.billed) < chunk.n:
            kernels = Kernel(kernels.billed[which], kernels.churned[which])
        r = _run(chunk, kernels)
        kpi_parts.append(pd.DataFrame(_kpis(r)))
        if monthly:
            month_parts.append(_monthly_arrays(r))
    kpis = pd.concat(kpi_parts, ignore_index=True)
    if objs:
        kpis.index = pd.Index([s.name for s in objs], name="scenario")
    arrays = (
        {k: np.concatenate([m[k] for m in month_parts]) for k in month_parts[0]}
        if monthly
        else None
    )
    return BatchResult(objs, kpis, arrays)


def chunk_size(p: Packed, budget_bytes: float = 64e6) -> int:
    """Scenarios per engine call so one class-by-tenure array stays within a budget.

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.engine import pack
    >>> chunk_size(pack([simsrc.preset("b2b-saas")])) > 100
    True
    """
    per_scenario = 8.0 * p.share.shape[1] * p.z.shape[1] * p.horizon
    return max(1, int(budget_bytes // per_scenario))
