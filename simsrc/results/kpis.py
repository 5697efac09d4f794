"""The headline KPIs: their labels and units, and their formulas from calendar series.

:data:`KPI_INFO` is the one list of KPIs (name → label, unit, in display order);
:func:`kpis_from_monthly` derives them from calendar arrays (random runs), and the
expected-value path of :mod:`simsrc.results.expected` computes the same figures in closed
form from a cohort path (tests check that the two agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.cohorts import Packed
from simsrc.results import metrics

__all__ = [
    "BASE_VALUE_KPIS",
    "KPI_INFO",
    "KPI_SHORT_LABELS",
    "OLD_COHORT_SERIES",
    "Sums",
    "kpis_from_monthly",
    "ratio_kpis",
]

Array = NDArray[np.float64]

KPI_INFO: dict[str, tuple[str, str]] = {
    "total_revenue": ("Total revenue", "currency"),
    "total_gross_margin": ("Total gross margin", "currency"),
    "total_acquisition_cost": ("Total acquisition cost", "currency"),
    "total_retention_cost": ("Total retention cost", "currency"),
    "npv": ("NPV of margin less acquisition and retention", "currency"),
    "ending_base_value": ("Value of the customer base at the end", "currency"),
    "npv_with_base": ("NPV including the ending base", "currency"),
    "ending_active": ("Customers at the end", "customers"),
    "ending_mrr": ("MRR at the end", "currency/month"),
    "total_acquired": ("Customers acquired", "customers"),
    "total_churned": ("Customers lost", "customers"),
    "avg_monthly_churn": ("Average monthly churn", "rate"),
    "clv_per_customer": ("CLV per new customer", "currency"),
    "cac_payback_months": ("CAC payback", "months"),
    "grr_last_12m": ("Gross revenue retention, last 12 months", "rate"),
    "nrr_last_12m": ("Net revenue retention, last 12 months", "rate"),
    "save_rate": ("Save rate", "rate"),
    "cost_per_save": ("Cost per save", "currency"),
    "recovery_rate": ("Late payers recovered", "rate"),
    "involuntary_share": ("Involuntary share of churn", "rate"),
    "total_discounts_given": ("Discounts given", "currency"),
    "total_reactivated": ("Customers won back", "customers"),
    "retention_roi": ("Retention ROI", "multiple"),
}
"""Label and unit of every KPI, in display order."""

BASE_VALUE_KPIS = ("ending_base_value", "npv_with_base")
"""KPIs that value the customer base left at the end: computed by :func:`simsrc.simulate`
and :func:`simsrc.compare`, in batches only when asked (``base_value=True``)."""

KPI_SHORT_LABELS: dict[str, str] = {
    "total_revenue": "Total revenue",
    "npv": "NPV",
    "ending_base_value": "Base value at the end",
    "npv_with_base": "NPV with the ending base",
    "ending_active": "Customers at the end",
    "ending_mrr": "MRR at the end",
    "clv_per_customer": "CLV per new customer",
    "total_retention_cost": "Retention costs",
    "retention_roi": "Retention ROI",
    "save_rate": "Save rate",
    "cost_per_save": "Cost per save",
}
"""Labels for small spaces (dashboard cards) where :data:`KPI_INFO`'s are too long."""


@dataclass(frozen=True)
class Sums:
    """Totals over the horizon that the ratio KPIs are made of, one per scenario or run.

    The expected-value path computes them in closed form from a cohort path, random runs
    from calendar arrays; :func:`ratio_kpis` turns either into the same KPIs.
    """

    churned: Array  # everyone who left: causes and lapsed offers
    involuntary: Array  # of which for involuntary causes
    present: Array  # customer-months billed
    requests: Array  # cancellation requests
    saves: Array
    save_cost: Array  # offer costs and discounts given
    recovered: Array  # late payers recovered
    cut_off: Array  # late payers cut off
    start_mrr: Array  # MRR of the customers present 13 months before the end (NaN if none)
    lost_mrr: Array  # their churned, contraction and expansion MRR over the last 12 months
    down_mrr: Array
    up_mrr: Array


def ratio_kpis(s: Sums) -> dict[str, Array]:
    """The KPIs that are ratios of totals: each formula once, for every path.

    An undefined ratio (nothing to divide by) is NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        resolved = s.recovered + s.cut_off
        return {
            "avg_monthly_churn": np.where(s.present > 0, s.churned / s.present, np.nan),
            "grr_last_12m": np.where(
                s.start_mrr > 0, metrics.grr(s.start_mrr, s.lost_mrr, s.down_mrr), np.nan
            ),
            "nrr_last_12m": np.where(
                s.start_mrr > 0,
                metrics.nrr(s.start_mrr, s.lost_mrr, s.down_mrr, s.up_mrr),
                np.nan,
            ),
            "save_rate": np.where(s.requests > 0, s.saves / s.requests, np.nan),
            "cost_per_save": np.where(s.saves > 0, s.save_cost / s.saves, np.nan),
            "recovery_rate": np.where(resolved > 0, s.recovered / resolved, np.nan),
            "involuntary_share": np.where(s.churned > 0, s.involuntary / s.churned, np.nan),
        }


OLD_COHORT_SERIES = ("mrr", "churned_mrr", "contraction_mrr", "expansion_mrr")
"""Calendar series of the customers already there 13 months before the end (GRR, NRR)."""


def kpis_from_monthly(
    p: Packed, a: Mapping[str, Array], old: Mapping[str, Array]
) -> dict[str, Array]:
    """Headline KPIs from calendar arrays summed over segments (``[..., H]``).

    The calendar form of the engine's closed-form KPIs (tests check that the two agree
    on expected values); used for random runs. ``old`` holds
    :data:`OLD_COHORT_SERIES` of the customers present in month ``H − 13`` (GRR, NRR).
    ``clv_per_customer``, ``cac_payback_months`` and ``retention_roi`` are not derived
    here (they are expected values per customer, or need the levers-off twin).
    """
    h = p.horizon
    d = p.discount[0] ** np.arange(h)

    def total(name: str) -> Array:
        return np.asarray(a[name].sum(axis=-1))

    retention = (
        a["offer_costs"] + a["messaging_costs"] + a["program_costs"]
        + a["reactivation_costs"] + a["service_costs"]
    )  # fmt: skip
    churned_by_cause = a["churned_by"].sum(axis=-2)  # [..., K]
    churned = churned_by_cause.sum(axis=-1) + total("lapsed")
    present = total("present")
    saves = a["saves_by"].sum(axis=(-2, -1))
    requests = a["requests_by"].sum(axis=(-2, -1))
    recovered, cut_off = total("recovered"), total("cut_off")
    invol = churned_by_cause @ (1.0 - p.voluntary[0])
    if h >= 13:
        t0 = h - 13
        window = slice(t0 + 1, t0 + 13)
        start = old["mrr"][..., t0]
        lost = old["churned_mrr"][..., window].sum(axis=-1)
        down = old["contraction_mrr"][..., window].sum(axis=-1)
        up = old["expansion_mrr"][..., window].sum(axis=-1)
    else:
        start = lost = down = up = np.full(present.shape, np.nan)
    ratios = ratio_kpis(
        Sums(
            churned=churned,
            involuntary=invol,
            present=present,
            requests=requests,
            saves=saves,
            save_cost=total("offer_costs") + total("discounts_given"),
            recovered=recovered,
            cut_off=cut_off,
            start_mrr=start,
            lost_mrr=lost,
            down_mrr=down,
            up_mrr=up,
        )
    )
    out = {
        "total_revenue": total("revenue"),
        "total_gross_margin": total("gross_margin"),
        "total_acquisition_cost": total("acquisition_cost"),
        "total_retention_cost": retention.sum(axis=-1),
        "npv": ((a["gross_margin"] - retention - a["acquisition_cost"]) * d).sum(axis=-1),
        "ending_active": a["active"][..., -1],
        "ending_mrr": a["mrr"][..., -1],
        "total_acquired": total("paid_new") + total("referred_new") + total("reactivated"),
        "total_churned": churned,
        **ratios,
        "total_discounts_given": total("discounts_given"),
        "total_reactivated": total("reactivated"),
        "_pv_retention": (retention * d).sum(axis=-1),
    }
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}
