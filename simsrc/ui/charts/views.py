"""Charts: tidy data in, Altair charts out (dashboards, lessons, analyst notebooks).

The dashboard charts come in parts that fit together:

* ``*_data`` turns simulation results into a small, aggregated tidy DataFrame (one
  row per month, year or step and scenario; never one row per customer);
* ``*_view`` draws such a frame from a *named* dataset, without the rows, so that
  several views compose into one chart (:func:`grid`: one JupyterChart, one copy of the
  JavaScript bundle, per dashboard) and new rows can later be sent to the views in place
  (:class:`LiveChart`);
* ``*_chart`` is a view with its rows, ready to show on its own;
* ``*_table`` turns the same frame into display strings, so the numbers a chart shows
  can be read as a table too.

This is the only module that imports :mod:`altair`. Charts are tested through
:meth:`altair.Chart.to_dict` (data values and encodings), not pixels.

Examples
--------
>>> import simsrc
>>> from simsrc.ui import charts
>>> base = simsrc.simulate(simsrc.preset("b2b-saas"))
>>> what_if = simsrc.simulate(base.scenario.halve_churn())
>>> spec = charts.customers_chart(charts.monthly_data(base, what_if)).to_dict()
>>> spec["data"], spec["encoding"]["y"]["field"]
({'name': 'monthly'}, 'active')
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from simsrc.analysis.attribution import LEVERS
from simsrc.model.files import write_atomic
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import Scenario
from simsrc.model.units import format_value
from simsrc.results.expected import Result

BASELINE, WHAT_IF = "Baseline", "What-if"
SCENARIOS = (BASELINE, WHAT_IF)
SCENARIO_COLORS = ("#94a3b8", "#2563eb")  # slate (baseline) and blue (what-if)
CAUSE_COLORS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b6992d", "#e15759", "#b07aa1", "#76b7b2", "#9c755f",
    "#ff9da7", "#bab0ac",
)  # fmt: skip
LAPSED = "Lapsed after an offer"
OFFER_LABELS: dict[str, str] = {
    "discount": "Discount",
    "free_month": "Free month",
    "expert_help": "Expert help",
    "downgrade": "Downgrade",
    "contract": "Contract",
    "pause": "Pause",
}
"""Display names of the save team's offers (:data:`simsrc.model.levers.OFFER_NAMES`)."""
NO_OFFER = "No save team"

WIDTH, HEIGHT = 360, 200
_FONT = "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif"
_DASH = alt.StrokeDash(
    "scenario:N", scale=alt.Scale(domain=list(SCENARIOS), range=[[5, 3], [1, 0]]), legend=None
)


# -- helpers ---------------------------------------------------------------------------
def currency_symbol(currency: str) -> str:
    """The symbol :func:`simsrc.model.units.format_value` puts before money in ``currency``.

    Examples
    --------
    >>> currency_symbol("USD"), currency_symbol("EUR"), currency_symbol("CHF")
    ('$', '€', 'CHF ')
    """
    return format_value(0.0, "currency", currency)[:-1]


def _money_axis(title: str, currency: str) -> alt.Axis:
    """An axis for money with K/M/B labels and the currency symbol."""
    symbol = currency_symbol(currency).replace("\\", "\\\\").replace("'", "\\'")
    return alt.Axis(
        title=title,
        labelExpr=f"'{symbol}' + replace(format(datum.value, '~s'), 'G', 'B')",
    )


def _count_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, labelExpr="replace(format(datum.value, '~s'), 'G', 'B')")


def _scenario_color(legend: bool = False) -> alt.Color:
    return alt.Color(
        "scenario:N",
        scale=alt.Scale(domain=list(SCENARIOS), range=list(SCENARIO_COLORS)),
        legend=alt.Legend(title=None, orient="top") if legend else None,
    )


def _configure(chart: Any) -> Any:
    """The dashboards' look: font, colours of axes and grid, no frame."""
    return (
        chart.configure(font=_FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor="#475569",
            titleColor="#334155",
            titleFontWeight="normal",
            titleFontSize=12,
            labelFontSize=11,
            gridColor="#e2e8f0",
            domainColor="#cbd5e1",
            tickColor="#cbd5e1",
        )
        .configure_legend(labelFontSize=12, labelColor="#334155", symbolStrokeWidth=3)
        .configure_title(font=_FONT, color="#0f172a")
    )


def _standalone(view: Any, dataset: str, data: pd.DataFrame) -> Any:
    """A view with its rows and the dashboards' look, to show or test on its own."""
    return _configure(view.properties(datasets={dataset: records(data)}))


def records(data: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-ready dictionaries (NaN and infinities become ``None``).

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1.0, float("nan")], "b": ["x", "y"]}))
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': 'y'}]
    """
    columns = list(data.columns)
    values = []
    for c in columns:
        v = data[c].to_numpy()
        if v.dtype.kind == "f":
            values.append([float(x) if math.isfinite(x) else None for x in v.tolist()])
        else:
            values.append(v.tolist())
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _pair(base: Result, what_if: Result, build: Callable[[Result], pd.DataFrame]) -> pd.DataFrame:
    frames = []
    for name, res in zip(SCENARIOS, (base, what_if), strict=True):
        part = build(res)
        part.insert(0, "scenario", name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def _wide(data: pd.DataFrame, index: str, value: str) -> pd.DataFrame:
    """Baseline and what-if side by side, with the difference."""
    wide = data.pivot(index=index, columns="scenario", values=value).reindex(
        columns=list(SCENARIOS)
    )
    wide["Δ"] = wide[WHAT_IF] - wide[BASELINE]
    return wide


def _fmt(values: Any, unit: str, currency: str, sign: bool = False) -> list[str]:
    out = []
    for x in values:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            out.append("—")
            continue
        text = format_value(float(x), unit, currency)
        out.append(("+" + text) if sign and float(x) > 0 else text)
    return out


def _line(field: str, axis: alt.Axis, x: str, x_title: str, tooltip: list[Any]) -> alt.Chart:
    """Baseline (dashed grey) against what-if (blue) over a monthly axis."""
    return (
        alt.Chart(alt.NamedData("monthly"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{field}:Q", axis=axis),
            color=_scenario_color(),
            strokeDash=_DASH,
            tooltip=[alt.Tooltip("scenario:N", title="Scenario"), *tooltip],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


# -- revenue and customers over the horizon ----------------------------------------------
def monthly_data(base: Result, what_if: Result, band: pd.DataFrame | None = None) -> pd.DataFrame:
    """Revenue, MRR and customers by month, baseline and what-if.

    Sums the results' per-segment monthly arrays (the same numbers as
    :attr:`simsrc.Result.monthly`, without building its ~80 columns).

    Parameters
    ----------
    base, what_if : Result
        The two results.
    band : pandas.DataFrame, optional
        The what-if revenue's uncertainty band by month (columns ``p10`` and ``p90``,
        e.g. ``monte_carlo(...).monthly["revenue"]``); drawn by :func:`revenue_view`.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``month`` (0-based, as in ``Result.monthly``), ``revenue``,
        ``mrr``, ``active``, ``revenue_p10``, ``revenue_p90`` (the band on the what-if
        rows; empty without one).
    """

    def build(res: Result) -> pd.DataFrame:
        a = res.arrays
        return pd.DataFrame(
            {
                "month": np.arange(res.scenario.horizon_months),
                "revenue": a["revenue"].sum(axis=0),
                "mrr": a["mrr"].sum(axis=0),
                "active": a["active"].sum(axis=0),
            }
        )

    data = _pair(base, what_if, build)
    data["revenue_p10"] = np.nan
    data["revenue_p90"] = np.nan
    if band is not None:
        rows = data["scenario"] == WHAT_IF
        months = data.loc[rows, "month"].to_numpy()
        for q in ("p10", "p90"):
            data.loc[rows, f"revenue_{q}"] = band[q].reindex(months).to_numpy()
    return data


def revenue_view(data: pd.DataFrame | None = None, currency: str = "USD") -> Any:
    """Revenue per month, baseline against what-if (reads dataset ``monthly``).

    The what-if's P10–P90 band (layer 0) is shaded behind the lines (layer 1) where
    the rows carry one.
    """
    line = _line(
        "revenue",
        _money_axis("Revenue per month", currency),
        "month",
        "Month",
        [
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("revenue:Q", title="Revenue", format=",.0f"),
            alt.Tooltip("revenue_p10:Q", title="What-if P10", format=",.0f"),
            alt.Tooltip("revenue_p90:Q", title="What-if P90", format=",.0f"),
            alt.Tooltip("mrr:Q", title="MRR at month end", format=",.0f"),
        ],
    )
    band = (
        alt.Chart(alt.NamedData("monthly"))
        .transform_filter(alt.datum.scenario == WHAT_IF)
        .mark_area(opacity=0.16, color=SCENARIO_COLORS[1], interpolate="monotone")
        .encode(x=alt.X("month:Q"), y=alt.Y("revenue_p10:Q"), y2=alt.Y2("revenue_p90:Q"))
    )
    return alt.layer(band, line).properties(width=WIDTH, height=HEIGHT)


def revenue_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Revenue per month, with its rows (:func:`monthly_data`)."""
    return _standalone(revenue_view(data, currency), "monthly", data)


def revenue_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Revenue and MRR by month as display strings (what :func:`revenue_chart` shows)."""
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


def customers_view(data: pd.DataFrame | None = None, currency: str = "USD") -> alt.Chart:
    """Active customers at the end of each month (reads dataset ``monthly``)."""
    return _line(
        "active",
        _count_axis("Active customers"),
        "month",
        "Month",
        [
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("active:Q", title="Active customers", format=",.0f"),
        ],
    )


def customers_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Active customers by month, with its rows (:func:`monthly_data`)."""
    return _standalone(customers_view(data, currency), "monthly", data)


def customers_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Active customers by month as display strings."""
    wide = _wide(data, "month", "active")
    return pd.DataFrame(
        {
            "Month": wide.index.astype(str),
            "Baseline": _fmt(wide[BASELINE], "customers", currency),
            "What-if": _fmt(wide[WHAT_IF], "customers", currency),
            "Δ": _fmt(wide["Δ"], "customers", currency, sign=True),
        }
    )


# -- churn by cause ----------------------------------------------------------------------
def churn_by_cause_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Customers lost per year by cause (plus those lapsing after a save offer).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``year`` (1-based; the last may be partial), ``cause`` (label),
        ``order`` (the cause's position, for stacking), ``lost``.
    """

    def build(res: Result) -> pd.DataFrame:
        s = res.scenario
        by_cause = res.arrays["churned_by"].sum(axis=0)  # [H, K]
        lapsed = res.arrays["lapsed"].sum(axis=0)
        table = np.concatenate([by_cause, lapsed[:, None]], axis=1)
        years = np.arange(s.horizon_months) // 12
        per_year = np.zeros((int(years[-1]) + 1, table.shape[1]))
        np.add.at(per_year, years, table)
        labels = [c.label for c in s.causes] + [LAPSED]
        n_years, n_causes = per_year.shape
        return pd.DataFrame(
            {
                "year": np.repeat(np.arange(1, n_years + 1), n_causes),
                "cause": labels * n_years,
                "order": list(range(n_causes)) * n_years,
                "lost": per_year.ravel(),
            }
        )

    return _pair(base, what_if, build)


def _causes(data: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(data.sort_values("order", kind="stable")["cause"]))


def churn_by_cause_view(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Customers lost per year stacked by cause; baseline (pale) and what-if side by side."""
    causes = _causes(data)
    colors = [*CAUSE_COLORS[: len(causes) - 1], "#cbd5e1"]
    return (
        alt.Chart(alt.NamedData("churn"))
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y("sum(lost):Q", axis=_count_axis("Customers lost")),
            color=alt.Color(
                "cause:N",
                scale=alt.Scale(domain=causes, range=colors),
                legend=alt.Legend(title=None, orient="right", labelLimit=150, symbolType="square"),
            ),
            opacity=alt.Opacity(
                "scenario:N",
                scale=alt.Scale(domain=list(SCENARIOS), range=[0.4, 1.0]),
                legend=None,
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("cause:N", title="Cause"),
                alt.Tooltip("lost:Q", title="Customers lost", format=",.0f"),
            ],
        )
        .properties(width=WIDTH - 150, height=HEIGHT)
    )


def churn_by_cause_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Customers lost by cause, with its rows (:func:`churn_by_cause_data`)."""
    return _standalone(churn_by_cause_view(data, currency), "churn", data)


def churn_by_cause_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Customers lost by cause over the whole horizon, baseline and what-if."""
    totals = data.groupby(["cause", "scenario"], sort=False)["lost"].sum().reset_index()
    wide = _wide(totals, "cause", "lost").loc[_causes(data)]
    return pd.DataFrame(
        {
            "Cause": wide.index.astype(str),
            "Lost, baseline": _fmt(wide[BASELINE], "customers", currency),
            "Lost, what-if": _fmt(wide[WHAT_IF], "customers", currency),
            "Δ": _fmt(wide["Δ"], "customers", currency, sign=True),
        }
    )


# -- cohort retention and revenue per customer by tenure ---------------------------------
def survival_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Share of a new cohort still with the company by tenure (all segments).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``tenure`` (months completed, 0 … horizon), ``survival``.
    """

    def build(res: Result) -> pd.DataFrame:
        surv = res.survival
        return pd.DataFrame({"tenure": surv.index.to_numpy(), "survival": surv["all"].to_numpy()})

    return _pair(base, what_if, build)


def survival_view(data: pd.DataFrame | None = None, currency: str = "USD") -> alt.Chart:
    """Cohort retention curve by tenure (reads dataset ``survival``)."""
    return (
        alt.Chart(alt.NamedData("survival"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("tenure:Q", title="Months since joining", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(
                "survival:Q",
                title="Still a customer",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=_scenario_color(),
            strokeDash=_DASH,
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("tenure:Q", title="Months since joining"),
                alt.Tooltip("survival:Q", title="Still a customer", format=".1%"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def survival_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Cohort retention, with its rows (:func:`survival_data`)."""
    return _standalone(survival_view(data, currency), "survival", data)


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


def revenue_per_customer_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Expected revenue from one new customer by tenure, at list prices.

    For each tenure month τ: Σ over segments of (share of new customers) × (share still
    with the company at the start of τ) × (list price at τ, which grows with tenure; see
    :meth:`simsrc.Result.revenue_per_customer`), and its running total. Discounts and
    pauses granted by save offers are not deducted.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``tenure`` (0-based month of tenure), ``price`` (average list price
        of the customers still there), ``revenue`` (expected revenue in that month per new
        customer), ``cumulative``.
    """

    def build(res: Result) -> pd.DataFrame:
        s = res.scenario
        h = s.horizon_months
        shares = np.array([seg.share for seg in s.segments])
        surv = res.survival[list(s.segment_names)].to_numpy()[:h]  # start of each month
        price = res.revenue_per_customer()[list(s.segment_names)].to_numpy()[:h]
        present = surv @ shares
        revenue = (surv * price) @ shares
        with np.errstate(invalid="ignore", divide="ignore"):
            avg_price = np.where(present > 0, revenue / present, np.nan)
        return pd.DataFrame(
            {
                "tenure": np.arange(h),
                "price": avg_price,
                "revenue": revenue,
                "cumulative": np.cumsum(revenue),
            }
        )

    return _pair(base, what_if, build)


def revenue_per_customer_view(
    data: pd.DataFrame | None = None, currency: str = "USD"
) -> alt.Chart:
    """Cumulative revenue per new customer by tenure (reads dataset ``per_customer``)."""
    return (
        alt.Chart(alt.NamedData("per_customer"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("tenure:Q", title="Months since joining", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("cumulative:Q", axis=_money_axis("Revenue per new customer", currency)),
            color=_scenario_color(),
            strokeDash=_DASH,
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("tenure:Q", title="Months since joining"),
                alt.Tooltip("cumulative:Q", title="Revenue so far", format=",.0f"),
                alt.Tooltip("price:Q", title="Price of those still there", format=",.0f"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def revenue_per_customer_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Revenue per new customer by tenure, with its rows."""
    return _standalone(revenue_per_customer_view(data, currency), "per_customer", data)


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


# -- lever waterfall ---------------------------------------------------------------------
def waterfall_data(base: pd.DataFrame, what_if: pd.DataFrame, kpi: str = "npv") -> pd.DataFrame:
    """A waterfall of what the retention levers add, for both scenarios.

    Bars start from the same business without levers (0): each lever's step is its
    contribution (:func:`simsrc.attribute`: the KPI lost when only that lever is off),
    ``Interactions`` closes the gap and ``All levers`` is the total gain. Both scenarios
    share the zero line, so their bars compare directly.

    Parameters
    ----------
    base, what_if : pandas.DataFrame
        Tables from :func:`simsrc.attribute` (``lever``, ``label``, ``kind`` and ``kpi``).
    kpi : str
        Which KPI column to draw.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``step`` (label), ``order``, ``kind`` (``start``, ``lever``,
        ``interaction``, ``end``), ``value`` (the KPI's level without levers and with all
        of them for ``start`` and ``end``, a contribution otherwise), ``lo`` and ``hi``
        (bar ends, as gains over the business without levers). Levers active in only
        one scenario contribute 0 in the other.

    Examples
    --------
    >>> import simsrc
    >>> table = simsrc.attribute(simsrc.preset("b2b-saas"))
    >>> df = waterfall_data(table, table).query("scenario == 'What-if'").set_index("kind")
    >>> gain = df.loc["end", "value"] - df.loc["start", "value"]
    >>> bool(abs(df.loc["end", "hi"] - gain) < 1e-6)  # the steps add up to the total
    True
    """
    lever_steps = {
        key: label
        for key, (label, _) in LEVERS.items()
        if key in set(base["lever"]) | set(what_if["lever"])
    }
    steps = [
        ("none", "Without levers", "start"),
        *((k, v, "lever") for k, v in lever_steps.items()),
        ("interaction", "Interactions", "interaction"),
        ("all", "All levers", "end"),
    ]
    rows = []
    for name, table in zip(SCENARIOS, (base, what_if), strict=True):
        values = dict(zip(table["lever"], table[kpi], strict=True))
        start = float(values.get("none", 0.0))
        gain = 0.0
        for order, (key, label, kind) in enumerate(steps):
            v = float(values.get(key, 0.0))
            if kind == "start":
                lo, hi = 0.0, 0.0
            elif kind == "end":
                lo, hi = 0.0, v - start
            else:
                lo, hi = gain, gain + v
                gain = hi
            rows.append({"scenario": name, "step": label, "order": order, "kind": kind,
                         "value": v, "lo": lo, "hi": hi})  # fmt: skip
    return pd.DataFrame(rows)


def waterfall_view(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Lever waterfall of NPV gains, baseline and what-if side by side (``waterfall``)."""
    steps = data[data["kind"] != "start"]
    order = list(dict.fromkeys(steps.sort_values("order", kind="stable")["step"]))
    return (
        alt.Chart(alt.NamedData("waterfall"))
        .transform_filter("datum.kind != 'start'")
        .mark_bar(cornerRadius=1)
        .encode(
            x=alt.X("step:N", sort=order, title=None,
                    axis=alt.Axis(labelAngle=-30, labelLimit=110, labelAlign="right")),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y("lo:Q", axis=_money_axis("NPV added", currency)),
            y2="hi:Q",
            color=_scenario_color(),
            opacity=alt.condition("datum.kind == 'end'", alt.value(1.0), alt.value(0.85)),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("value:Q", title="NPV (total) or contribution", format=",.0f"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )  # fmt: skip


def waterfall_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Lever waterfall, with its rows (:func:`waterfall_data`)."""
    return _standalone(waterfall_view(data, currency), "waterfall", data)


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


# -- save team: offer mix, saves, money kept and given away, delay curves -----------------
def offer_mix_data(scenario: Scenario) -> pd.DataFrame:
    """The save team's offer mix per reason (voluntary causes only), with acceptance.

    Returns
    -------
    pandas.DataFrame
        ``cause`` (label), ``offer`` (label), ``share`` of reached requests that get the
        offer, ``acceptance`` (chance it is accepted for that reason).

    Examples
    --------
    >>> import simsrc
    >>> df = offer_mix_data(simsrc.preset("b2b-saas"))
    >>> row = df.query("cause == 'Ineffective onboarding' and offer == 'Expert help'")
    >>> float(row["share"].iloc[0])
    0.8
    """
    team = scenario.save_team
    rows = []
    for k, cause in enumerate(scenario.causes):
        if not cause.voluntary:
            continue
        for o, offer in enumerate(OFFER_NAMES):
            rows.append(
                {
                    "cause": cause.label,
                    "offer": OFFER_LABELS[offer],
                    "share": float(team.mix[k][o]),
                    "acceptance": float(team.offer(offer).acceptance[k]),
                }
            )
    return pd.DataFrame(rows)


def offer_mix_view(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Heat map of the offer mix: reasons down, offers across (dataset ``mix``)."""
    base = alt.Chart(alt.NamedData("mix")).encode(
        x=alt.X("offer:N", sort=list(OFFER_LABELS.values()), title=None,
                axis=alt.Axis(orient="top", labelAngle=0, domain=False, ticks=False,
                              labelFontSize=10, labelLimit=60)),
        y=alt.Y("cause:N", sort=list(dict.fromkeys(data["cause"])), title=None,
                axis=alt.Axis(labelLimit=130, domain=False, ticks=False)),
    )  # fmt: skip
    cells = base.mark_rect(stroke="white", strokeWidth=2, cornerRadius=3).encode(
        color=alt.Color(
            "share:Q", scale=alt.Scale(domain=[0, 1], range=["#f1f5f9", "#1d4ed8"]), legend=None
        ),
        tooltip=[
            alt.Tooltip("cause:N", title="Reason"),
            alt.Tooltip("offer:N", title="Offer"),
            alt.Tooltip("share:Q", title="Share of reached requests", format=".0%"),
            alt.Tooltip("acceptance:Q", title="Accepted by", format=".0%"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("share:Q", format=".0%"),
        color=alt.condition("datum.share > 0.45", alt.value("white"), alt.value("#334155")),
        opacity=alt.condition("datum.share > 0", alt.value(1), alt.value(0)),
    )
    return alt.layer(cells, text).properties(width=WIDTH + 10, height=HEIGHT)


def offer_mix_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """The offer-mix heat map, with its rows (:func:`offer_mix_data`)."""
    return _standalone(offer_mix_view(data, currency), "mix", data)


def offer_mix_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """The offer mix as a reasons × offers table of percentages."""
    wide = data.pivot(index="cause", columns="offer", values="share")
    wide = wide.loc[list(dict.fromkeys(data["cause"])), list(OFFER_LABELS.values())]
    out = wide.apply(lambda col: _fmt(col, "share", currency))
    out.insert(0, "Reason", wide.index.astype(str))
    return out.reset_index(drop=True)


def saves_by_offer_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Customers saved over the horizon by each offer.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``offer`` (label), ``saves``.
    """

    def build(res: Result) -> pd.DataFrame:
        saves = res.arrays["saves_by"].sum(axis=(0, 1))
        return pd.DataFrame({"offer": [OFFER_LABELS[o] for o in OFFER_NAMES], "saves": saves})

    return _pair(base, what_if, build)


def _grouped_bars(dataset: str, x: str, y: str, axis: alt.Axis, order: list[str]) -> alt.Chart:
    return (
        alt.Chart(alt.NamedData(dataset))
        .mark_bar(cornerRadius=1)
        .encode(
            x=alt.X(
                f"{x}:N",
                sort=order,
                title=None,
                axis=alt.Axis(
                    labelAngle=-25 if len(order) > 4 else 0,
                    labelAlign="right" if len(order) > 4 else "center",
                ),
            ),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y(f"{y}:Q", axis=axis),
            color=_scenario_color(),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip(f"{x}:N", title=x.capitalize()),
                alt.Tooltip(f"{y}:Q", title=axis.title, format=",.0f"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def saves_by_offer_view(data: pd.DataFrame | None = None, currency: str = "USD") -> alt.Chart:
    """Saves by offer, baseline and what-if side by side (dataset ``saves``)."""
    return _grouped_bars(
        "saves", "offer", "saves", _count_axis("Customers saved"), list(OFFER_LABELS.values())
    )


def saves_by_offer_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Saves by offer, with its rows (:func:`saves_by_offer_data`)."""
    return _standalone(saves_by_offer_view(data, currency), "saves", data)


def saves_by_offer_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Saves by offer as display strings."""
    wide = _wide(data, "offer", "saves").loc[list(OFFER_LABELS.values())]
    return pd.DataFrame(
        {
            "Offer": wide.index.astype(str),
            "Saved, baseline": _fmt(wide[BASELINE], "customers", currency),
            "Saved, what-if": _fmt(wide[WHAT_IF], "customers", currency),
            "Δ": _fmt(wide["Δ"], "customers", currency, sign=True),
        }
    )


KEPT, DISCOUNTS, OFFER_COSTS = "Margin kept", "Discounts given", "Offer and contact costs"


def margin_kept_data(
    base: Result,
    what_if: Result,
    base_margin_without_team: float,
    what_if_margin_without_team: float,
) -> pd.DataFrame:
    """Margin the save team keeps against what it gives away, baseline and what-if.

    *Margin kept* is the gross margin over the horizon minus that of the same scenario
    with no save team (coverage 0), i.e. net of the discounts. *Given away* is the list
    revenue not charged during discounts, free months and pauses (``discounts_given``)
    and the team's cash costs (cost per save and per contact).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``measure`` (:data:`KEPT`, :data:`DISCOUNTS`, :data:`OFFER_COSTS`),
        ``amount``.
    """
    rows = []
    for name, res, without in zip(
        SCENARIOS, (base, what_if), (base_margin_without_team, what_if_margin_without_team),
        strict=True,
    ):  # fmt: skip
        rows += [
            {"scenario": name, "measure": KEPT,
             "amount": res.kpis["total_gross_margin"] - without},
            {"scenario": name, "measure": DISCOUNTS,
             "amount": res.kpis["total_discounts_given"]},
            {"scenario": name, "measure": OFFER_COSTS,
             "amount": float(res.arrays["offer_costs"].sum())},
        ]  # fmt: skip
    return pd.DataFrame(rows)


def margin_kept_view(data: pd.DataFrame | None = None, currency: str = "USD") -> alt.Chart:
    """Margin kept against money given away, side by side (dataset ``margin``)."""
    return _grouped_bars(
        "margin", "measure", "amount", _money_axis("Over the horizon", currency),
        [KEPT, DISCOUNTS, OFFER_COSTS],
    )  # fmt: skip


def margin_kept_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Margin kept and given away, with its rows (:func:`margin_kept_data`)."""
    return _standalone(margin_kept_view(data, currency), "margin", data)


def margin_kept_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Margin kept and given away as display strings."""
    wide = _wide(data, "measure", "amount").loc[[KEPT, DISCOUNTS, OFFER_COSTS]]
    return pd.DataFrame(
        {
            "Measure": wide.index.astype(str),
            "Baseline": _fmt(wide[BASELINE], "currency", currency),
            "What-if": _fmt(wide[WHAT_IF], "currency", currency),
            "Δ": _fmt(wide["Δ"], "currency", currency, sign=True),
        }
    )


def offer_delay_data(survival: pd.DataFrame, per: int = 1000) -> pd.DataFrame:
    """Extra customers each offer keeps, by tenure: "a discount only delays".

    Parameters
    ----------
    survival : pandas.DataFrame
        :func:`simsrc.analysis.lessons.offer_survival` output (``tenure``, ``offer``,
        ``survival``; ``none`` is the same business with no save team).
    per : int
        Scale: customers per ``per`` new customers.

    Returns
    -------
    pandas.DataFrame
        ``offer`` (label), ``tenure``, ``kept`` (customers still with the company per
        ``per`` new ones, above the no-save-team curve).

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.analysis.lessons import offer_survival
    >>> df = offer_delay_data(offer_survival(simsrc.preset("b2b-saas"), ("discount",)))
    >>> bool(df["kept"].iloc[-1] < df["kept"].max())  # the discount's gain fades
    True
    """
    wide = survival.pivot(index="tenure", columns="offer", values="survival")
    none = wide["none"]
    frames = [
        pd.DataFrame(
            {
                "offer": OFFER_LABELS[offer],
                "tenure": wide.index.to_numpy(),
                "kept": per * (wide[offer] - none).to_numpy(),
            }
        )
        for offer in OFFER_NAMES
        if offer in wide.columns
    ]
    return pd.concat(frames, ignore_index=True)


def offer_delay_view(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Extra customers kept per 1,000 new ones by tenure, one line per offer (``delay``)."""
    offers = [o for o in OFFER_LABELS.values() if o in set(data["offer"])]
    return (
        alt.Chart(alt.NamedData("delay"))
        .mark_line(strokeWidth=2.2, interpolate="monotone")
        .encode(
            x=alt.X("tenure:Q", title="Months since joining", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("kept:Q", title="Extra customers per 1,000 new"),
            color=alt.Color(
                "offer:N",
                scale=alt.Scale(domain=offers, range=list(CAUSE_COLORS[: len(offers)])),
                legend=alt.Legend(title=None, orient="right"),
            ),
            tooltip=[
                alt.Tooltip("offer:N", title="Only this offer"),
                alt.Tooltip("tenure:Q", title="Months since joining"),
                alt.Tooltip("kept:Q", title="Extra customers per 1,000", format=",.1f"),
            ],
        )
        .properties(width=WIDTH - 120, height=HEIGHT)
    )


def offer_delay_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """The delay curves, with their rows (:func:`offer_delay_data`)."""
    return _standalone(offer_delay_view(data, currency), "delay", data)


def offer_delay_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Extra customers kept per 1,000 by offer at 3, 6 months and yearly."""
    wide = data.pivot(index="tenure", columns="offer", values="kept")
    keep = [t for t in wide.index if t % 12 == 0 or t in (3, 6)]
    wide = wide.loc[keep, [o for o in OFFER_LABELS.values() if o in wide.columns]]
    out = wide.apply(lambda col: [f"{x:,.1f}" for x in col])
    out.insert(0, "Months since joining", [str(t) for t in wide.index])
    return out.reset_index(drop=True)


# -- one chart per dashboard ----------------------------------------------------------------
View = Callable[[pd.DataFrame, str], Any]


@dataclasses.dataclass(frozen=True)
class Panel:
    """One chart of a dashboard: a view, its dataset, title and plain-language text.

    Parameters
    ----------
    key : str
        Name of the view (Vega names its marks ``<key>_marks``).
    dataset : str
        Name of the dataset the view reads.
    title, text : str
        Shown above and under the view.
    view : callable
        ``view(data, currency)``, e.g. :func:`revenue_view`.
    table : callable
        ``table(data, currency)``, e.g. :func:`revenue_table`.
    """

    key: str
    dataset: str
    title: str
    text: str
    view: View
    table: Callable[[pd.DataFrame, str], pd.DataFrame]


def _text_view(text: str, width: int) -> alt.Chart:
    lines = textwrap.wrap(text, width=int(width / 6.1))
    return (
        alt.Chart(alt.Data(values=[{"i": i, "line": s} for i, s in enumerate(lines)]))
        .mark_text(align="left", baseline="top", fontSize=12, color="#475569", lineHeight=16)
        .encode(x=alt.value(0), y=alt.Y("i:O", axis=None), text="line:N")
        .properties(width=width, height=16 * len(lines), view=alt.ViewConfig(stroke=None))
    )


def _independent(chart: Any) -> Any:
    """Each view keeps its own colours, dashes and offsets (scenarios, causes, offers)."""
    return chart.resolve_scale(
        color="independent", opacity="independent", strokeDash="independent",
        xOffset="independent",
    ).resolve_legend(color="independent", opacity="independent")  # fmt: skip


def grid(
    panels: Sequence[Panel],
    datasets: Mapping[str, pd.DataFrame],
    currency: str = "USD",
    columns: int = 2,
) -> Any:
    """Compose a dashboard's views into one chart: titles above, explanations under.

    One chart means one JupyterChart and one copy of its ~880 KB JavaScript bundle per
    dashboard; all views read named datasets, so new rows reach every view in place.

    Parameters
    ----------
    panels : sequence of Panel
        The views, in reading order (left to right, top to bottom).
    datasets : mapping of str to DataFrame
        Rows of every dataset the views read.
    currency : str
        Currency for money axes.
    columns : int
        Views per row.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.simulate(simsrc.preset("b2b-saas"))
    >>> p = Panel("revenue", "monthly", "Revenue", "What customers pay.", revenue_view,
    ...           revenue_table)
    >>> spec = grid([p], {"monthly": monthly_data(base, base)}).to_dict()
    >>> spec["vconcat"][0]["hconcat"][0]["vconcat"][0]["name"], len(spec["datasets"])
    ('revenue', 1)
    """
    cells = []
    for p in panels:
        # Vega names a view's marks "<key>_marks" (a layered view's: "<key>_layer_<i>_marks")
        view = p.view(datasets[p.dataset], currency).properties(
            name=p.key,
            title=alt.TitleParams(p.title, anchor="start", fontSize=15, fontWeight=600,
                                  offset=12, color="#0f172a"),
        )  # fmt: skip
        text = _text_view(p.text, WIDTH + 40)
        cells.append(_independent(alt.vconcat(view, text, spacing=10)))
    rows = [
        _independent(alt.hconcat(*cells[i : i + columns], spacing=44))
        for i in range(0, len(cells), columns)
    ]
    chart = _independent(alt.vconcat(*rows, spacing=34))
    chart = chart.properties(
        datasets={name: records(df) for name, df in datasets.items()},
        padding={"left": 8, "right": 8, "top": 8, "bottom": 8},
    )
    return _configure(chart)


# -- live charts in widgets ---------------------------------------------------------------
_OFFLINE = False


def _bundle_path() -> Path:
    """Where the offline bundle of this Altair and vl-convert is kept between kernels."""
    from importlib.metadata import version

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "simsrc"
    key = f"altair-{alt.__version__}-vl-convert-{version('vl-convert-python')}"
    return cache / f"jupyterchart-{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}.js"


def enable_offline() -> None:
    """Make :class:`altair.JupyterChart` load its JavaScript from the kernel, not a CDN.

    :meth:`altair.JupyterChart.enable_offline` builds an ~880 KB bundle with vl-convert
    (about 1.5 s, and vl-convert then stays in the kernel's memory, about 100 MB). The
    first kernel keeps the bundle in the user's cache directory (``$XDG_CACHE_HOME/simsrc``,
    one file per Altair and vl-convert version, written atomically); later kernels
    read it instead, without importing vl-convert. Either way every JupyterChart then
    carries the bundle and renders with no network access.
    """
    global _OFFLINE
    if _OFFLINE:
        return
    cls = alt.JupyterChart
    try:
        path = _bundle_path()
        cached = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, ValueError):  # no cache directory, unknown version: build it
        path, cached = None, ""
    if cached.startswith(_BUNDLE_MARK) and hasattr(cls, "_is_offline") and hasattr(cls, "_esm"):
        cls._esm = cached[len(_BUNDLE_MARK) :]  # what enable_offline() sets, from the cache
        cls._is_offline = True
    else:
        cls.enable_offline()
        if path is not None and isinstance(getattr(cls, "_esm", None), str):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, _BUNDLE_MARK + cls._esm)
            except OSError:  # a read-only home: just keep building per kernel
                pass
    _OFFLINE = True


_BUNDLE_MARK = "// simsrc: JupyterChart offline bundle\n"


def _layout_key(datasets: Mapping[str, pd.DataFrame], currency: str) -> tuple[Any, ...]:
    """What a chart's specification depends on besides its rows: currency, categories."""
    key: list[Any] = [currency]
    for name, data in datasets.items():
        text = [c for c in data.columns if data[c].dtype.kind not in "biufc"]
        key.append((name, tuple(data.columns), tuple(tuple(pd.unique(data[c])) for c in text)))
    return tuple(key)


Build = Callable[[Mapping[str, pd.DataFrame], str], Any]


class LiveChart:
    """An :class:`altair.JupyterChart` whose datasets can be replaced in place.

    :meth:`update` sends only the rows of datasets that changed; the browser swaps them
    into the live Vega view and redraws (scales follow the data), without re-embedding
    the chart. The chart is drawn and sent whole only when something besides its rows
    changes: the currency, or the categories (causes, levers, offers) that colours and
    order depend on. The kernel-side specification is kept in step, so a view created
    later shows the latest rows too.

    Parameters
    ----------
    build : callable
        ``build(datasets, currency)`` returning the chart (e.g. a :func:`grid`).
    datasets : mapping of str to DataFrame
        First rows of every dataset.
    currency : str
        Currency for money axes.
    css_class : str, optional
        Class added to the widget's element (for styling and browser tests).
    """

    def __init__(
        self,
        build: Build,
        datasets: Mapping[str, pd.DataFrame],
        currency: str = "USD",
        css_class: str | None = None,
    ) -> None:
        enable_offline()
        self.build = build
        self.datasets = dict(datasets)
        self.currency = currency
        chart = build(self.datasets, currency)
        self._spec: dict[str, Any] = chart.to_dict()
        self._key = _layout_key(self.datasets, currency)
        self.widget = alt.JupyterChart(chart, embed_options={"actions": False})
        if css_class:
            self.widget.add_class(css_class)
        self.redraws = 0
        self.data_updates = 0

    @property
    def spec(self) -> dict[str, Any]:
        """The chart's current Vega-Lite specification, rows included."""
        return self._spec

    def update(self, datasets: Mapping[str, pd.DataFrame], currency: str | None = None) -> None:
        """Show new rows (and, if given, another currency)."""
        self.datasets = dict(datasets)
        self.currency = currency or self.currency
        key = _layout_key(self.datasets, self.currency)
        if key != self._key or not IN_PLACE:
            chart = self.build(self.datasets, self.currency)
            self._spec = chart.to_dict()
            self._key = key
            self.redraws += 1
            self.widget.chart = chart
            return
        updates = []
        for name, df in self.datasets.items():
            rows = records(df)
            if rows != self._spec["datasets"].get(name):
                self._spec["datasets"][name] = rows
                updates.append({"namespace": "data", "name": name, "scope": [], "value": rows})
        if not updates:
            return
        current = self.widget.spec
        if isinstance(current, dict):  # in step without a re-send (no trait event)
            current["datasets"].update(self._spec["datasets"])
        self.data_updates += 1
        # JupyterChart's front end applies "data" updates to the live Vega view (the path
        # Altair uses for VegaFusion): no re-embedding, several times cheaper.
        self.widget._py_to_js_updates = updates


IN_PLACE = hasattr(alt.JupyterChart, "_py_to_js_updates")
"""Whether this Altair's JupyterChart takes data updates in place (tested)."""


# -- lesson charts (issue 5) ----------------------------------------------------------------
# Static charts for the lesson notebooks, drawn once per call and shown with the SVG
# renderer (vl-convert in the kernel), so they need no network either.
def render_offline() -> None:
    """Render plain Altair charts as SVG in the kernel: no CDN, in JupyterLab and Voila."""
    alt.renderers.enable("svg")


def _lesson(chart: Any, title: str | None = None) -> Any:
    props: dict[str, Any] = {"width": WIDTH, "height": HEIGHT}
    if title:
        props["title"] = title
    return (
        chart.properties(**props)
        .configure(font=_FONT)
        .configure_view(stroke=None)
        .configure_axis(labelColor="#475569", titleColor="#334155", gridColor="#e2e8f0")
    )


def halving_chart(table: pd.DataFrame) -> alt.Chart:
    """Revenue and customer ratios of halving churn by horizon (lesson 1).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`simsrc.analysis.lessons.halving_churn_table` output.
    """
    long = table.melt(id_vars="months", value_vars=["revenue_ratio", "customers_ratio"],
                      var_name="measure", value_name="ratio")  # fmt: skip
    long["measure"] = long["measure"].map(
        {"revenue_ratio": "Revenue over the horizon", "customers_ratio": "Customers at the end"}
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True, strokeWidth=2.5)
        .encode(
            x=alt.X("months:Q", title="Horizon (months)"),
            y=alt.Y("ratio:Q", title="Halved churn ÷ baseline", scale=alt.Scale(zero=False)),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["months:Q", "measure:N", alt.Tooltip("ratio:Q", format=".3f")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [2.0]})).mark_rule(strokeDash=[4, 3]).encode(y="y:Q")
    return _lesson(alt.layer(chart, rule))


def leaky_bucket_chart(data: pd.DataFrame) -> alt.Chart:
    """Customers over time filling towards the A ÷ c ceiling (lesson 1).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.leaky_bucket` output.
    """
    line = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5, color=SCENARIO_COLORS[1])
        .encode(
            x=alt.X("month:Q", title="Month"),
            y=alt.Y("customers:Q", title="Customers"),
            tooltip=["month:Q", alt.Tooltip("customers:Q", format=",.0f")],
        )
    )
    ceiling = (
        alt.Chart(data.iloc[[0]])
        .mark_rule(strokeDash=[5, 3], color="#64748b")
        .encode(y="steady_state:Q", tooltip=[alt.Tooltip("steady_state:Q", format=",.0f")])
    )
    return _lesson(alt.layer(line, ceiling))


def projection_chart(data: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Actual survival against the sBG and a naive constant-rate projection (lesson 2).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.naive_vs_sbg` output.
    title : str, optional
        Chart title.
    """
    long = data.melt(id_vars=["year", "fitted"], value_vars=["actual", "sbg", "naive"],
                     var_name="series", value_name="surviving")  # fmt: skip
    long["series"] = long["series"].map(
        {"actual": "Actual", "sbg": "sBG fit", "naive": "Constant churn"}
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("year:Q", title="Year"),
            y=alt.Y("surviving:Q", title="% of customers surviving"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["year:Q", "series:N", alt.Tooltip("surviving:Q", format=".1f")],
        )
    )
    return _lesson(chart, title)


def survival_curves_chart(data: pd.DataFrame) -> alt.Chart:
    """Survival curves by tenure, one per ``label`` (lesson 2).

    Parameters
    ----------
    data : pandas.DataFrame
        ``tenure``, ``survival`` and ``label``.
    """
    chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("tenure:Q", title="Months since joining"),
            y=alt.Y("survival:Q", title="Still a customer", axis=alt.Axis(format=".0%")),
            color=alt.Color("label:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["label:N", "tenure:Q", alt.Tooltip("survival:Q", format=".1%")],
        )
    )
    return _lesson(chart)


def hazards_chart(data: pd.DataFrame) -> alt.Chart:
    """Each cause's monthly hazard over tenure (lesson 3).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.hazards_by_cause` output.
    """
    chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("tenure:Q", title="Months since joining"),
            y=alt.Y("hazard:Q", title="Monthly churn", axis=alt.Axis(format=".1%")),
            color=alt.Color("cause:N", title=None, scale=alt.Scale(range=list(CAUSE_COLORS))),
            tooltip=["cause:N", "tenure:Q", alt.Tooltip("hazard:Q", format=".2%")],
        )
    )
    return _lesson(chart)


def offer_survival_chart(data: pd.DataFrame) -> alt.Chart:
    """Cohort survival when the save team makes only one kind of offer (lesson 4).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.offer_survival` output.
    """
    labels = {**OFFER_LABELS, "none": NO_OFFER}
    df = data.assign(offer=data["offer"].map(labels))
    chart = (
        alt.Chart(df)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("tenure:Q", title="Months since joining"),
            y=alt.Y("survival:Q", title="Still a customer", axis=alt.Axis(format=".0%"),
                    scale=alt.Scale(zero=False)),
            color=alt.Color("offer:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["offer:N", "tenure:Q", alt.Tooltip("survival:Q", format=".1%")],
        )
    )  # fmt: skip
    return _lesson(chart)


def dunning_chart(data: pd.DataFrame) -> alt.Chart:
    """Recovery rate of late payers by dunning style and channel (lesson 5).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.dunning_matrix` output.
    """
    df = data.assign(
        style=data["style"].map({"pay_up": "Pay up", "help_first": "Help first"}),
        channel=data["channel"].map({"email": "Email", "sms": "SMS"}),
    )
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("channel:N", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset="style:N",
            y=alt.Y("recovery_rate:Q", title="Late payers recovered",
                    axis=alt.Axis(format=".0%")),
            color=alt.Color("style:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["style:N", "channel:N", alt.Tooltip("recovery_rate:Q", format=".1%"),
                     alt.Tooltip("npv:Q", format=",.0f")],
        )
    )  # fmt: skip
    return _lesson(chart)


def win_back_chart(data: pd.DataFrame) -> alt.Chart:
    """Customers won back by channel and delay of the win-back message (lesson 6).

    Parameters
    ----------
    data : pandas.DataFrame
        ``channel``, ``delay (months)``, ``won back`` and ``NPV``.
    """
    chart = (
        alt.Chart(data)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("delay (months):Q", title="Delay before the message (months)"),
            y=alt.Y("won back:Q", title="Customers won back"),
            color=alt.Color("channel:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["channel:N", "delay (months):Q", alt.Tooltip("won back:Q", format=",.1f"),
                     alt.Tooltip("NPV:Q", format=",.0f")],
        )
    )  # fmt: skip
    return _lesson(chart)


_ANALYST_WIDTH = 560


# -- analyst charts (scenario playbook, cohort deep dive) --------------------------------


def kpi_comparison_chart(tidy: pd.DataFrame, kpi: str = "npv") -> alt.Chart:
    """One KPI across scenarios, from :func:`simsrc.compare` with ``tidy=True``.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> tidy = simsrc.compare(base, base.halve_churn(), tidy=True)
    >>> kpi_comparison_chart(tidy).to_dict()["mark"]["type"]
    'bar'
    """
    df = tidy[tidy["kpi"] == kpi]
    label = str(df["label"].iloc[0]) if len(df) else kpi
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("scenario:N", title=None, sort=None),
            x=alt.X("value:Q", title=label),
            color=alt.condition(alt.datum.delta > 0, alt.value("#2a9d8f"), alt.value("#9aa5b1")),
            tooltip=[
                "scenario:N",
                alt.Tooltip("value:Q", format=",.0f"),
                alt.Tooltip("delta_pct:Q", title="Δ vs. baseline", format="+.1%"),
            ],
        )
        .properties(width=_ANALYST_WIDTH, title=f"{label} by scenario")
    )


def tornado_chart(table: pd.DataFrame, kpi_title: str = "NPV", top: int = 12) -> Any:
    """Which parameters move a KPI most: bars from the low to the high value's KPI.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`simsrc.analysis.sensitivity.tornado` output (sorted, largest swing first).
    kpi_title : str
        The KPI's name for the axis.
    top : int
        Parameters to show.

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.analysis.sensitivity import tornado
    >>> t = tornado(simsrc.preset("b2b-saas"), ["acquisition.new_per_month",
    ...                                         "segments.premium.monthly_price"])
    >>> spec = tornado_chart(t).to_dict()
    >>> bars = spec["layer"][0]
    >>> bars["mark"]["type"], len(spec["datasets"][bars["data"]["name"]])
    ('bar', 4)
    """
    head = table.head(top)
    base = float(head["kpi_low"].iloc[0] + head["kpi_high"].iloc[0]) / 2 if len(head) else 0.0
    rows = []
    for _, r in head.iterrows():
        for side, value, kpi in (("low", r["low_value"], r["kpi_low"]),
                                 ("high", r["high_value"], r["kpi_high"])):  # fmt: skip
            rows.append({"label": r["label"], "side": f"{side} value", "value": value,
                         "kpi": kpi, "swing": r["swing"]})  # fmt: skip
    df = pd.DataFrame(rows, columns=["label", "side", "value", "kpi", "swing"])
    order = list(head["label"])
    bars = (
        alt.Chart(df)
        .mark_bar(opacity=0.85)
        .encode(
            y=alt.Y("label:N", sort=order, title=None),
            x=alt.X("kpi:Q", title=kpi_title, axis=alt.Axis(format="~s")),
            x2=alt.datum(base),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["low value", "high value"], range=["#f28e2b", "#2563eb"]),
                legend=alt.Legend(title="Parameter at its", orient="top"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Parameter"),
                alt.Tooltip("side:N", title="At its"),
                alt.Tooltip("value:Q", title="Value", format=".4g"),
                alt.Tooltip("kpi:Q", title=kpi_title, format=",.0f"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [base]})).mark_rule(color="#334155").encode(x="x:Q")
    return alt.layer(bars, rule).properties(
        width=_ANALYST_WIDTH, height=max(120, 22 * len(order)),
        title=f"{kpi_title}: what moves it most",
    )  # fmt: skip


def fan_chart(band: pd.DataFrame, y_title: str = "Revenue per month") -> Any:
    """A monthly series' P10–P90 fan with its median (and expected value, if given).

    Parameters
    ----------
    band : pandas.DataFrame
        Indexed by month with columns ``p10``, ``p50``, ``p90`` and optionally
        ``expected`` — e.g. ``monte_carlo(...).monthly["revenue"]`` or
        ``simulate(..., stochastic=True).band("revenue")``.
    y_title : str
        The series' name.

    Examples
    --------
    >>> import pandas as pd
    >>> band = pd.DataFrame({"p10": [1.0, 2.0], "p50": [1.5, 2.5], "p90": [2.0, 3.0]})
    >>> [layer["mark"]["type"] for layer in fan_chart(band).to_dict()["layer"]]
    ['area', 'line']
    """
    df = band.reset_index().rename(columns={band.index.name or "index": "month"})
    x = alt.X("month:Q", title="Month")
    area = (
        alt.Chart(df)
        .mark_area(opacity=0.2, color=SCENARIO_COLORS[1])
        .encode(x=x, y=alt.Y("p10:Q", title=y_title, axis=alt.Axis(format="~s")), y2="p90:Q",
                tooltip=[alt.Tooltip("month:Q"), alt.Tooltip("p10:Q", format=",.0f"),
                         alt.Tooltip("p90:Q", format=",.0f")])
    )  # fmt: skip
    layers = [area, alt.Chart(df).mark_line(color=SCENARIO_COLORS[1]).encode(x=x, y="p50:Q")]
    if "expected" in df:
        layers.append(
            alt.Chart(df).mark_line(color="#334155", strokeDash=[4, 3]).encode(x=x, y="expected:Q")
        )
    return alt.layer(*layers).properties(
        width=_ANALYST_WIDTH, height=260, title=f"{y_title}: P10–P90 (shaded) and median"
    )


def sweep_chart(df: pd.DataFrame, x: str, y: str, x_title: str, y_title: str) -> alt.Chart:
    """A KPI's response to one parameter swept over a range.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"p": [0.0, 1.0], "npv": [1.0, 2.0]})
    >>> sweep_chart(df, "p", "npv", "P", "NPV").to_dict()["encoding"]["x"]["field"]
    'p'
    """
    return (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:Q", title=x_title),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip(f"{x}:Q", format=".3g"), alt.Tooltip(f"{y}:Q", format=",.0f")],
        )
        .properties(
            width=_ANALYST_WIDTH, height=260, title=f"{y_title} as {x_title.lower()} changes"
        )
    )


def cohort_heatmap_chart(matrix: pd.DataFrame, every: int = 3) -> alt.Chart:
    """Cohort × tenure survival heatmap (from ``Result.cohort_survival``), every n-th cohort.

    Examples
    --------
    >>> import simsrc
    >>> m = simsrc.simulate(simsrc.preset("telecom").replace(horizon_months=12)).cohort_survival
    >>> cohort_heatmap_chart(m).to_dict()["mark"]["type"]
    'rect'
    """
    picked = matrix.iloc[::every]
    long = picked.reset_index().melt("cohort", var_name="tenure", value_name="survival").dropna()
    long["tenure"] = long["tenure"].astype(int)
    return (
        alt.Chart(long)
        .mark_rect()
        .encode(
            x=alt.X(
                "tenure:O",
                title="Months since joining",
                axis=alt.Axis(values=list(range(0, int(long["tenure"].max()) + 1, 6))),
            ),
            y=alt.Y("cohort:O", title="Cohort (month joined)"),
            color=alt.Color(
                "survival:Q",
                title="Still customers",
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),
            tooltip=["cohort:O", "tenure:O", alt.Tooltip("survival:Q", format=".1%")],
        )
        .properties(width=_ANALYST_WIDTH, height=320, title="Cohort retention")
    )


def cohort_value_chart(df: pd.DataFrame) -> alt.Chart:
    """Where a cohort's value comes from: margin earned by year of tenure.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"year": [1, 2], "margin": [10.0, 8.0], "share": [0.55, 0.45]})
    >>> cohort_value_chart(df).to_dict()["mark"]["type"]
    'bar'
    """
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year of tenure"),
            y=alt.Y("margin:Q", title="Discounted margin per customer acquired"),
            tooltip=[
                "year:O",
                alt.Tooltip("margin:Q", format=",.0f"),
                alt.Tooltip("share:Q", title="share of the total", format=".0%"),
            ],
        )
        .properties(
            width=_ANALYST_WIDTH, height=260, title="Where the value of a cohort comes from"
        )
    )


def leavers_chart(
    df: pd.DataFrame,
    value: str = "leavers",
    title: str = "Why a cohort's customers leave, month by month",
    y_title: str = "Leavers per 1,000 acquired",
) -> alt.Chart:
    """Leavers of one cohort by cause over tenure, stacked (:func:`analysis.leavers_by_cause`).

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.analysis import lessons
    >>> df = lessons.leavers_by_cause(simsrc.preset("b2b-saas"))
    >>> leavers_chart(df).to_dict()["mark"]["type"]
    'area'
    """
    pct = value == "hazard"
    return (
        alt.Chart(df)
        .mark_area()
        .encode(
            x=alt.X("tenure:Q", title="Months since joining"),
            y=alt.Y(
                f"{value}:Q",
                stack=True,
                title=y_title,
                axis=alt.Axis(format="%" if pct else ",.0f"),
            ),
            color=alt.Color("cause:N", title="Cause"),
            tooltip=[
                "cause:N",
                "tenure:Q",
                alt.Tooltip(f"{value}:Q", format=".2%" if pct else ",.1f"),
            ],
        )
        .properties(width=_ANALYST_WIDTH, height=280, title=title)
    )
