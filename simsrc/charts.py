"""Charts for the dashboards: tidy data in, Altair charts out.

Three kinds of functions live here, one triple per chart:

* ``*_data`` turns simulation results into a small, aggregated tidy DataFrame (one
  row per month, year or step and scenario; never one row per customer);
* ``*_chart`` draws such a frame. Every chart reads its rows from a *named* dataset
  (the chart's key), so a dashboard can later send new rows to the same chart in place
  instead of re-sending the whole chart (see :class:`LiveChart`);
* ``*_table`` turns the same frame into a readable table of display strings, so the
  numbers a chart shows can be read as a table too.

This is the only module that imports :mod:`altair`. Charts are tested through
:meth:`altair.Chart.to_dict` (data values and encodings), not pixels.

Examples
--------
>>> import simsrc
>>> from simsrc import charts
>>> base = simsrc.simulate(simsrc.preset("b2b-saas"))
>>> what_if = simsrc.simulate(base.scenario.halve_churn())
>>> spec = charts.customers_chart(charts.monthly_data(base, what_if)).to_dict()
>>> spec["data"], spec["encoding"]["y"]["field"]
({'name': 'monthly'}, 'active')
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from simsrc.attribution import LEVERS
from simsrc.format import compact, format_value
from simsrc.levers import OFFER_NAMES
from simsrc.scenario import Scenario
from simsrc.simulate import Result

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
"""Display names of the save team's offers (:data:`simsrc.levers.OFFER_NAMES`)."""
NO_OFFER = "No save team"

WIDTH, HEIGHT = 430, 230
_FONT = "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif"


# -- helpers ---------------------------------------------------------------------------
def currency_symbol(currency: str) -> str:
    """The symbol :func:`simsrc.format.format_value` puts before money in ``currency``.

    Examples
    --------
    >>> currency_symbol("USD"), currency_symbol("EUR"), currency_symbol("CHF")
    ('$', '€', 'CHF ')
    """
    return format_value(0.0, "currency", currency)[:-1]


def _money_axis(title: str, currency: str) -> alt.Axis:
    """A y axis for money with K/M/B labels and the currency symbol."""
    symbol = currency_symbol(currency).replace("'", "\\'")
    return alt.Axis(
        title=title,
        labelExpr=f"'{symbol}' + replace(format(datum.value, '~s'), 'G', 'B')",
    )


def _count_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, labelExpr="replace(format(datum.value, '~s'), 'G', 'B')")


def _scenario_color(legend: bool = True) -> alt.Color:
    return alt.Color(
        "scenario:N",
        scale=alt.Scale(domain=list(SCENARIOS), range=list(SCENARIO_COLORS)),
        legend=alt.Legend(title=None, orient="top") if legend else None,
    )


def _style(chart: Any, name: str, data: pd.DataFrame) -> Any:
    """Common look, size and the named dataset a dashboard updates in place."""
    return (
        chart.properties(width=WIDTH, height=HEIGHT, datasets={name: records(data)})
        .configure(font=_FONT)
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
    )


def records(data: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-ready dictionaries (NaN and infinities become ``None``).

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1.0, float("nan")], "b": ["x", "y"]}))
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': 'y'}]
    """
    out: list[dict[str, Any]] = []
    columns = list(data.columns)
    values = [data[c].to_numpy() for c in columns]
    for i in range(len(data)):
        row: dict[str, Any] = {}
        for c, v in zip(columns, values, strict=True):
            x = v[i]
            if isinstance(x, np.integer):
                x = int(x)
            elif isinstance(x, float | np.floating):
                x = float(x) if math.isfinite(x) else None
            elif isinstance(x, np.bool_):
                x = bool(x)
            row[c] = x
        out.append(row)
    return out


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


# -- revenue and customers over the horizon ----------------------------------------------
def monthly_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Revenue, MRR and customers by month, baseline and what-if.

    Sums the results' per-segment monthly arrays (the same numbers as
    :attr:`simsrc.Result.monthly`, without building its ~80 columns).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``month`` (0-based, as in ``Result.monthly``), ``revenue``,
        ``mrr``, ``active``.
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

    return _pair(base, what_if, build)


def revenue_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Revenue per month, baseline (grey) against what-if (blue)."""
    chart = (
        alt.Chart(alt.NamedData("monthly"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("month:Q", title="Month", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("revenue:Q", axis=_money_axis("Revenue per month", currency)),
            color=_scenario_color(),
            strokeDash=alt.StrokeDash(
                "scenario:N",
                scale=alt.Scale(domain=list(SCENARIOS), range=[[5, 3], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("revenue:Q", title="Revenue", format=",.0f"),
                alt.Tooltip("mrr:Q", title="MRR at month end", format=",.0f"),
            ],
        )
    )
    return _style(chart, "monthly", data)


def revenue_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Revenue and MRR by month as display strings (what :func:`revenue_chart` shows)."""
    rev = _wide(data, "month", "revenue")
    mrr = _wide(data, "month", "mrr")
    return pd.DataFrame(
        {
            "Month": rev.index.astype(str),
            "Revenue, baseline": _fmt(rev[BASELINE], "currency", currency),
            "Revenue, what-if": _fmt(rev[WHAT_IF], "currency", currency),
            "Δ revenue": _fmt(rev["Δ"], "currency", currency, sign=True),
            "MRR, baseline": _fmt(mrr[BASELINE], "currency/month", currency),
            "MRR, what-if": _fmt(mrr[WHAT_IF], "currency/month", currency),
        }
    )


def customers_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Active customers at the end of each month, baseline against what-if."""
    del currency  # same signature as the other charts
    chart = (
        alt.Chart(alt.NamedData("monthly"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("month:Q", title="Month", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("active:Q", axis=_count_axis("Active customers")),
            color=_scenario_color(),
            strokeDash=alt.StrokeDash(
                "scenario:N",
                scale=alt.Scale(domain=list(SCENARIOS), range=[[5, 3], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("active:Q", title="Active customers", format=",.0f"),
            ],
        )
    )
    return _style(chart, "monthly", data)


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
        year = np.arange(s.horizon_months) // 12 + 1
        labels = [c.label for c in s.causes] + [LAPSED]
        frame = pd.DataFrame(table, columns=labels)
        frame["year"] = year
        long = (
            frame.groupby("year")
            .sum()
            .reset_index()
            .melt(id_vars="year", var_name="cause", value_name="lost")
        )
        long["order"] = long["cause"].map({lab: i for i, lab in enumerate(labels)})
        return long[["year", "cause", "order", "lost"]]

    return _pair(base, what_if, build)


def churn_by_cause_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Customers lost per year, stacked by cause; baseline and what-if side by side."""
    del currency
    causes = list(dict.fromkeys(data.sort_values("order")["cause"]))
    colors = [*CAUSE_COLORS[: len(causes) - 1], "#cbd5e1"]
    chart = (
        alt.Chart(alt.NamedData("churn"))
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y("sum(lost):Q", axis=_count_axis("Customers lost")),
            color=alt.Color(
                "cause:N",
                scale=alt.Scale(domain=causes, range=colors),
                legend=alt.Legend(title=None, orient="right", labelLimit=170),
            ),
            opacity=alt.Opacity(
                "scenario:N",
                scale=alt.Scale(domain=list(SCENARIOS), range=[0.45, 1.0]),
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
    )
    return _style(chart, "churn", data).properties(width=WIDTH - 150)


def churn_by_cause_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Customers lost by cause over the whole horizon, baseline and what-if."""
    totals = data.groupby(["cause", "scenario"], sort=False)["lost"].sum().reset_index()
    wide = _wide(totals, "cause", "lost")
    wide = wide.loc[list(dict.fromkeys(data.sort_values("order")["cause"]))]
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


def survival_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Cohort retention curve: share of new customers still with the company by tenure."""
    del currency
    chart = (
        alt.Chart(alt.NamedData("survival"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("tenure:Q", title="Months since joining", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(
                "survival:Q",
                title="Share of a cohort still a customer",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=_scenario_color(),
            strokeDash=alt.StrokeDash(
                "scenario:N",
                scale=alt.Scale(domain=list(SCENARIOS), range=[[5, 3], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("tenure:Q", title="Months since joining"),
                alt.Tooltip("survival:Q", title="Still a customer", format=".1%"),
            ],
        )
    )
    return _style(chart, "survival", data)


def survival_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Cohort survival by tenure as display strings (yearly rows keep it short)."""
    wide = _wide(data, "tenure", "survival")
    keep = [t for t in wide.index if t % 12 == 0 or t in (1, 3, 6)]
    wide = wide.loc[keep]
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


def revenue_per_customer_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Cumulative expected revenue per new customer by tenure, baseline against what-if."""
    chart = (
        alt.Chart(alt.NamedData("per_customer"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("tenure:Q", title="Months since joining", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("cumulative:Q", axis=_money_axis("Revenue per new customer", currency)),
            color=_scenario_color(),
            strokeDash=alt.StrokeDash(
                "scenario:N",
                scale=alt.Scale(domain=list(SCENARIOS), range=[[5, 3], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("tenure:Q", title="Months since joining"),
                alt.Tooltip("cumulative:Q", title="Revenue so far", format=",.0f"),
                alt.Tooltip("price:Q", title="Price of those still there", format=",.0f"),
            ],
        )
    )
    return _style(chart, "per_customer", data)


def revenue_per_customer_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Revenue per new customer by tenure (yearly rows) as display strings."""
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
    """Floating bars from "without levers" to "with levers", for both scenarios.

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
        ``interaction``, ``end``), ``value`` (level for start and end, contribution for
        the rest), ``lo`` and ``hi`` (bar ends). Levers active in only one scenario
        contribute 0 in the other. Start and end bars begin at ``floor``, a common level
        a little below the lowest bar end, so that the levers' steps stay visible.
    """
    lever_steps = {
        key: label
        for key, (label, _) in LEVERS.items()
        if key in set(base["lever"]) | set(what_if["lever"])
    }
    steps = [
        ("none", "Without levers", "start"),
        *((k, v, "lever") for k, v in lever_steps.items()),
    ]
    steps += [("interaction", "Interactions", "interaction"), ("all", "With levers", "end")]
    rows = []
    for name, table in zip(SCENARIOS, (base, what_if), strict=True):
        values = dict(zip(table["lever"], table[kpi], strict=True))
        level = 0.0
        for order, (key, label, kind) in enumerate(steps):
            v = float(values.get(key, 0.0))
            if kind in ("start", "end"):
                lo, hi, level = math.nan, v, v
            else:
                lo, hi = level, level + v
                level = hi
            rows.append({"scenario": name, "step": label, "order": order, "kind": kind,
                         "value": v, "lo": lo, "hi": hi})  # fmt: skip
    df = pd.DataFrame(rows)
    ends = pd.concat([df["lo"], df["hi"]]).dropna()
    span = float(ends.max() - ends.min()) or abs(float(ends.max())) or 1.0
    floor = float(ends.min()) - 0.15 * span
    if floor < 0 <= float(ends.min()):
        floor = 0.0
    df["floor"] = floor
    df["lo"] = df["lo"].fillna(floor)
    return df


def waterfall_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Lever waterfall: each lever's contribution to NPV, baseline and what-if side by side."""
    order = list(dict.fromkeys(data.sort_values("order")["step"]))
    chart = (
        alt.Chart(alt.NamedData("waterfall"))
        .mark_bar(cornerRadius=1)
        .encode(
            x=alt.X(
                "step:N",
                sort=order,
                title=None,
                axis=alt.Axis(labelAngle=-30, labelLimit=110, labelAlign="right"),
            ),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y(
                "lo:Q",
                axis=_money_axis("NPV", currency),
                scale=alt.Scale(zero=False, nice=False),
            ),
            y2="hi:Q",
            color=_scenario_color(),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("value:Q", title="NPV or contribution", format=",.0f"),
            ],
        )
    )
    return _style(chart, "waterfall", data)


def waterfall_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Lever contributions as display strings (levels for the first and last rows)."""
    wide = data.pivot(index="step", columns="scenario", values="value").reindex(
        columns=list(SCENARIOS)
    )
    wide = wide.loc[list(dict.fromkeys(data.sort_values("order")["step"]))]
    sign = [k not in ("start", "end") for k in data.drop_duplicates("step")["kind"]]
    return pd.DataFrame(
        {
            "Step": wide.index.astype(str),
            "Baseline": [
                _fmt([x], "currency", currency, sign=s)[0]
                for x, s in zip(wide[BASELINE], sign, strict=True)
            ],
            "What-if": [
                _fmt([x], "currency", currency, sign=s)[0]
                for x, s in zip(wide[WHAT_IF], sign, strict=True)
            ],
        }
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


def offer_mix_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Heat map of the offer mix: reasons down, offers across, share in each cell."""
    del currency
    base = alt.Chart(alt.NamedData("mix")).encode(
        x=alt.X("offer:N", sort=list(OFFER_LABELS.values()), title=None,
                axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("cause:N", sort=None, title=None, axis=alt.Axis(labelLimit=160)),
    )  # fmt: skip
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "share:Q",
            scale=alt.Scale(domain=[0, 1], range=["#f1f5f9", "#1d4ed8"]),
            legend=None,
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
    return _style(alt.layer(cells, text), "mix", data).properties(width=WIDTH - 120)


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


def saves_by_offer_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Saves by offer, baseline and what-if side by side."""
    del currency
    chart = (
        alt.Chart(alt.NamedData("saves"))
        .mark_bar(cornerRadius=1)
        .encode(
            x=alt.X("offer:N", sort=list(OFFER_LABELS.values()), title=None,
                    axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y("saves:Q", axis=_count_axis("Customers saved")),
            color=_scenario_color(),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("offer:N", title="Offer"),
                alt.Tooltip("saves:Q", title="Customers saved", format=",.0f"),
            ],
        )
    )  # fmt: skip
    return _style(chart, "saves", data)


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


def margin_kept_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Margin kept against money given away, baseline and what-if side by side."""
    chart = (
        alt.Chart(alt.NamedData("margin"))
        .mark_bar(cornerRadius=1)
        .encode(
            x=alt.X("measure:N", sort=[KEPT, DISCOUNTS, OFFER_COSTS], title=None,
                    axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y("amount:Q", axis=_money_axis("Over the horizon", currency)),
            color=_scenario_color(),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("amount:Q", title="Amount", format=",.0f"),
            ],
        )
    )  # fmt: skip
    return _style(chart, "margin", data)


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
        :func:`simsrc.analysis.offer_survival` output (``tenure``, ``offer``,
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
    >>> from simsrc.analysis import offer_survival
    >>> df = offer_delay_data(offer_survival(simsrc.preset("b2b-saas"), ("discount",)))
    >>> bool(df["kept"].iloc[-1] < df["kept"].max())  # the discount's gain fades
    True
    """
    wide = survival.pivot(index="tenure", columns="offer", values="survival")
    none = wide["none"]
    frames = []
    for offer in [o for o in OFFER_NAMES if o in wide.columns]:
        frames.append(
            pd.DataFrame(
                {
                    "offer": OFFER_LABELS[offer],
                    "tenure": wide.index.to_numpy(),
                    "kept": per * (wide[offer] - none).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def offer_delay_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Extra customers kept per 1,000 new customers by tenure, one line per offer."""
    del currency
    offers = [o for o in OFFER_LABELS.values() if o in set(data["offer"])]
    chart = (
        alt.Chart(alt.NamedData("delay"))
        .mark_line(strokeWidth=2.2, interpolate="monotone")
        .encode(
            x=alt.X("tenure:Q", title="Months since joining", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("kept:Q", title="Extra customers kept per 1,000 new"),
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
    )
    return _style(chart, "delay", data).properties(width=WIDTH - 110)


def offer_delay_table(data: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Extra customers kept per 1,000 by offer at yearly tenures."""
    del currency
    wide = data.pivot(index="tenure", columns="offer", values="kept")
    keep = [t for t in wide.index if t % 12 == 0 or t in (3, 6)]
    wide = wide.loc[keep, [o for o in OFFER_LABELS.values() if o in wide.columns]]
    out = wide.apply(lambda col: [f"{x:,.1f}" for x in col])
    out.insert(0, "Months since joining", [str(t) for t in wide.index])
    return out.reset_index(drop=True)


# -- live charts in widgets ---------------------------------------------------------------
_OFFLINE = False


def enable_offline() -> None:
    """Make :class:`altair.JupyterChart` load its JavaScript from the kernel, not a CDN.

    Builds the bundle with vl-convert once per process (about 2 s); afterwards every
    JupyterChart carries it, so charts render with no network access.
    """
    global _OFFLINE
    if not _OFFLINE:
        alt.JupyterChart.enable_offline()
        _OFFLINE = True


def _spec_without_data(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "datasets"}


ChartFunction = Callable[[pd.DataFrame, str], Any]


@dataclasses.dataclass
class LiveChart:
    """An :class:`altair.JupyterChart` whose data can be replaced in place.

    :meth:`update` sends only the new rows of the chart's named dataset to the browser,
    where Vega swaps them in and redraws (scales follow the data); the chart is re-sent
    whole only when its specification (not its data) changes, e.g. another currency.
    The kernel-side specification is kept in step, so a view created later shows the
    latest rows too.

    Parameters
    ----------
    draw : callable
        ``draw(data, currency)`` returning the chart, e.g. :func:`revenue_chart`.
    data : pandas.DataFrame
        First rows.
    currency : str
        Currency for money axes.
    css_class : str, optional
        Class added to the widget's element (for styling and browser tests).
    """

    draw: ChartFunction
    data: pd.DataFrame
    currency: str = "USD"
    css_class: str | None = None

    def __post_init__(self) -> None:
        enable_offline()
        chart = self.draw(self.data, self.currency)
        self._spec = chart.to_dict()
        self.widget = alt.JupyterChart(chart, embed_options={"actions": False})
        if self.css_class:
            self.widget.add_class(self.css_class)
        self.updates = 0

    @property
    def spec(self) -> dict[str, Any]:
        """The chart's current Vega-Lite specification, data included."""
        return self._spec

    def update(self, data: pd.DataFrame, currency: str | None = None) -> None:
        """Show new rows (and, if given, another currency)."""
        self.data = data
        self.currency = currency or self.currency
        chart = self.draw(data, self.currency)
        spec = chart.to_dict()
        self.updates += 1
        if _spec_without_data(spec) != _spec_without_data(self._spec) or not _IN_PLACE:
            self._spec = spec
            self.widget.chart = chart
            return
        updates = [
            {"namespace": "data", "name": name, "scope": [], "value": rows}
            for name, rows in spec.get("datasets", {}).items()
            if rows != self._spec.get("datasets", {}).get(name)
        ]
        self._spec = spec
        if not updates:
            return
        current = self.widget.spec
        if isinstance(current, dict):  # in step without a re-send (no trait event)
            current.setdefault("datasets", {}).update(spec["datasets"])
        # JupyterChart's front end applies "data" updates to the live Vega view (the path
        # Altair uses for VegaFusion); 10x cheaper than re-embedding the chart.
        self.widget._py_to_js_updates = updates


_IN_PLACE = hasattr(alt.JupyterChart, "_py_to_js_updates")
"""Whether this Altair's JupyterChart can take data updates in place (tested)."""


def table_columns(tables: Sequence[pd.DataFrame]) -> list[str]:
    """Column names of several display tables, in order, without repeats."""
    return list(dict.fromkeys(c for t in tables for c in t.columns))


def kpi_text(value: float, unit: str, currency: str) -> str:
    """A KPI value as the dashboards show it (:func:`simsrc.format.format_value`).

    Examples
    --------
    >>> kpi_text(2_420_000.0, "currency", "USD"), kpi_text(7400.0, "customers", "USD")
    ('$2.42M', '7.4K')
    """
    return format_value(value, unit, currency) if math.isfinite(value) else compact(value)


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
        :func:`simsrc.analysis.halving_churn_table` output.
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
        :func:`simsrc.analysis.leaky_bucket` output.
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
        :func:`simsrc.analysis.naive_vs_sbg` output.
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
        :func:`simsrc.analysis.hazards_by_cause` output.
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
        :func:`simsrc.analysis.offer_survival` output.
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
        :func:`simsrc.analysis.dunning_matrix` output.
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
    >>> from simsrc import analysis
    >>> df = analysis.leavers_by_cause(simsrc.preset("b2b-saas"))
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
