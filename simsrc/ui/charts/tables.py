"""The numbers behind the dashboard charts as display strings, one table per chart.

Each ``*_table`` reads the same tidy frame as its chart (:mod:`simsrc.ui.charts.data`),
so what a chart shows can be read as a table too.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from simsrc.model.units import format_value
from simsrc.ui.charts.data import DISCOUNTS, KEPT, OFFER_COSTS, cause_order
from simsrc.ui.charts.style import BASELINE, OFFER_LABELS, SCENARIOS, WHAT_IF


def _wide(data: pd.DataFrame, index: str, value: str) -> pd.DataFrame:
    """Baseline and what-if side by side, with the difference."""
    wide = data.pivot(index=index, columns="scenario", values=value).reindex(
        columns=list(SCENARIOS)
    )
    wide["Δ"] = wide[WHAT_IF] - wide[BASELINE]
    return wide


def _fmt(values: Any, unit: str, currency: str, sign: bool = False) -> list[str]:
    """Values written in ``unit``: a dash where missing, ``+`` on gains if ``sign``."""
    out = []
    for x in values:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            out.append("—")
            continue
        text = format_value(float(x), unit, currency)
        out.append(("+" + text) if sign and float(x) > 0 else text)
    return out


def _side_by_side(
    wide: pd.DataFrame,
    first: str,
    unit: str,
    currency: str,
    names: tuple[str, str, str] = ("Baseline", "What-if", "Δ"),
) -> pd.DataFrame:
    """A label column, then baseline, what-if and their difference, all in ``unit``."""
    base, what_if, delta = names
    return pd.DataFrame(
        {
            first: wide.index.astype(str),
            base: _fmt(wide[BASELINE], unit, currency),
            what_if: _fmt(wide[WHAT_IF], unit, currency),
            delta: _fmt(wide["Δ"], unit, currency, sign=True),
        }
    )


def revenue_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Revenue and MRR by month as display strings (what :func:`.revenue_chart` shows)."""
    rev = _wide(data, "month", "revenue")
    mrr = _wide(data, "month", "mrr")
    table = pd.DataFrame(
        {
            "Month": rev.index.astype(str),
            "Revenue, baseline": _fmt(rev[BASELINE], "currency", currency),
            "Revenue, what-if": _fmt(rev[WHAT_IF], "currency", currency),
            "Δ revenue": _fmt(rev["Δ"], "currency", currency, sign=True),
            "MRR, baseline": _fmt(mrr[BASELINE], "currency/month", currency),
            "MRR, what-if": _fmt(mrr[WHAT_IF], "currency/month", currency),
        }
    )
    if "revenue_p10" in data and data["revenue_p10"].notna().any():
        for q in ("p10", "p90"):
            band = _wide(data, "month", f"revenue_{q}")[WHAT_IF]
            table[f"Revenue, what-if {q.upper()}"] = _fmt(band, "currency", currency)
    return table


def customers_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Active customers by month as display strings."""
    return _side_by_side(_wide(data, "month", "active"), "Month", "customers", currency)


def churn_by_cause_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Customers lost by cause over the whole horizon, baseline and what-if."""
    totals = data.groupby(["cause", "scenario"], sort=False)["lost"].sum().reset_index()
    wide = _wide(totals, "cause", "lost").loc[cause_order(data)]
    names = ("Lost, baseline", "Lost, what-if", "Δ")
    return _side_by_side(wide, "Cause", "customers", currency, names)


def survival_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Cohort survival at some tenures (3, 6 months, then yearly) as display strings."""
    wide = _wide(data, "tenure", "survival")
    wide = wide.loc[[t for t in wide.index if t % 12 == 0 or t in (1, 3, 6)]]
    return pd.DataFrame(
        {
            "Months since joining": wide.index.astype(str),
            "Baseline": _fmt(wide[BASELINE], "share", currency),
            "What-if": _fmt(wide[WHAT_IF], "share", currency),
            "Δ (points)": [f"{100 * x:+.1f}" for x in wide["Δ"]],
        }
    )


def revenue_per_customer_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Revenue per new customer after 1, 3, 6 months and each year, as display strings."""
    cum = _wide(data, "tenure", "cumulative")
    price = _wide(data, "tenure", "price")
    keep = [t for t in cum.index if (t + 1) % 12 == 0 or t in (0, 2, 5)]
    cum, price = cum.loc[keep], price.loc[keep]
    return pd.DataFrame(
        {
            "Months since joining": [str(t + 1) for t in cum.index],
            "Revenue so far, baseline": _fmt(cum[BASELINE], "currency", currency),
            "Revenue so far, what-if": _fmt(cum[WHAT_IF], "currency", currency),
            "Δ": _fmt(cum["Δ"], "currency", currency, sign=True),
            "Monthly price then": _fmt(price[WHAT_IF], "currency/month", currency),
        }
    )


def waterfall_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Lever contributions as display strings (levels for the first and last rows)."""
    steps = data.drop_duplicates("step").sort_values("order", kind="stable")
    wide = data.pivot(index="step", columns="scenario", values="value").loc[steps["step"]]
    signed = [k not in ("start", "end") for k in steps["kind"]]

    def column(name: str) -> list[str]:
        return [
            _fmt([x], "currency", currency, sign=s)[0]
            for x, s in zip(wide[name], signed, strict=True)
        ]

    return pd.DataFrame(
        {"Step": list(steps["step"]), "Baseline": column(BASELINE), "What-if": column(WHAT_IF)}
    )


def offer_mix_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """The offer mix as a reasons × offers table of percentages."""
    wide = data.pivot(index="cause", columns="offer", values="share")
    wide = wide.loc[list(dict.fromkeys(data["cause"])), list(OFFER_LABELS.values())]
    out = wide.apply(lambda col: _fmt(col, "share", currency))
    out.insert(0, "Reason", wide.index.astype(str))
    return out.reset_index(drop=True)


def saves_by_offer_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Saves by offer as display strings."""
    wide = _wide(data, "offer", "saves").loc[list(OFFER_LABELS.values())]
    names = ("Saved, baseline", "Saved, what-if", "Δ")
    return _side_by_side(wide, "Offer", "customers", currency, names)


def margin_kept_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Margin kept and given away as display strings."""
    wide = _wide(data, "measure", "amount").loc[[KEPT, DISCOUNTS, OFFER_COSTS]]
    return _side_by_side(wide, "Measure", "currency", currency)


def offer_delay_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Extra customers kept per 1,000 by offer at 3, 6 months and yearly."""
    wide = data.pivot(index="tenure", columns="offer", values="kept")
    keep = [t for t in wide.index if t % 12 == 0 or t in (3, 6)]
    wide = wide.loc[keep, [o for o in OFFER_LABELS.values() if o in wide.columns]]
    out = wide.apply(lambda col: [f"{x:,.1f}" for x in col])
    out.insert(0, "Months since joining", [str(t) for t in wide.index])
    return out.reset_index(drop=True)
