"""The dashboard charts: baseline against what-if, drawn from named datasets.

A ``*_view`` draws a tidy frame (:mod:`simsrc.ui.charts.data`) from a *named* dataset,
without the rows, so that several views compose into one chart
(:func:`simsrc.ui.charts.layout.grid`) and new rows can later be sent to the views in
place (:class:`simsrc.ui.charts.live.LiveChart`). A ``*_chart`` is a view with its rows,
ready to show on its own. Views take ``data`` to read categories (causes, offers,
steps) that set colours and order; the rows themselves come from the dataset.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from simsrc.ui.charts.data import DISCOUNTS, KEPT, OFFER_COSTS, cause_order
from simsrc.ui.charts.style import (
    CAUSE_COLORS,
    HEIGHT,
    OFFER_LABELS,
    SCENARIO_COLORS,
    SCENARIO_DASH,
    SCENARIOS,
    WHAT_IF,
    WIDTH,
    count_axis,
    money_axis,
    scenario_color,
    standalone,
)


def _line(field: str, axis: alt.Axis, x: str, x_title: str, tooltip: list[Any]) -> alt.Chart:
    """Baseline (dashed grey) against what-if (blue) over a monthly axis."""
    return (
        alt.Chart(alt.NamedData("monthly"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{field}:Q", axis=axis),
            color=scenario_color(),
            strokeDash=SCENARIO_DASH,
            tooltip=[alt.Tooltip("scenario:N", title="Scenario"), *tooltip],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def revenue_view(data: pd.DataFrame | None = None, currency: str = "USD") -> Any:
    """Revenue per month, baseline against what-if (reads dataset ``monthly``).

    The what-if's P10–P90 band (layer 0) is shaded behind the lines (layer 1) where
    the rows carry one.
    """
    line = _line(
        "revenue",
        money_axis("Revenue per month", currency),
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
    """Revenue per month, with its rows (:func:`.monthly_data`)."""
    return standalone(revenue_view(data, currency), "monthly", data)


def customers_view(data: pd.DataFrame | None = None, currency: str = "USD") -> alt.Chart:
    """Active customers at the end of each month (reads dataset ``monthly``)."""
    return _line(
        "active",
        count_axis("Active customers"),
        "month",
        "Month",
        [
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("active:Q", title="Active customers", format=",.0f"),
        ],
    )


def customers_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Active customers by month, with its rows (:func:`.monthly_data`)."""
    return standalone(customers_view(data, currency), "monthly", data)


def churn_by_cause_view(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Customers lost per year stacked by cause; baseline (pale) and what-if side by side."""
    causes = cause_order(data)
    colors = [*CAUSE_COLORS[: len(causes) - 1], "#cbd5e1"]
    return (
        alt.Chart(alt.NamedData("churn"))
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=list(SCENARIOS))),
            y=alt.Y("sum(lost):Q", axis=count_axis("Customers lost")),
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
    """Customers lost by cause, with its rows (:func:`.churn_by_cause_data`)."""
    return standalone(churn_by_cause_view(data, currency), "churn", data)


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
            color=scenario_color(),
            strokeDash=SCENARIO_DASH,
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("tenure:Q", title="Months since joining"),
                alt.Tooltip("survival:Q", title="Still a customer", format=".1%"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def survival_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Cohort retention, with its rows (:func:`.survival_data`)."""
    return standalone(survival_view(data, currency), "survival", data)


def revenue_per_customer_view(
    data: pd.DataFrame | None = None, currency: str = "USD"
) -> alt.Chart:
    """Cumulative revenue per new customer by tenure (reads dataset ``per_customer``)."""
    return (
        alt.Chart(alt.NamedData("per_customer"))
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("tenure:Q", title="Months since joining", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("cumulative:Q", axis=money_axis("Revenue per new customer", currency)),
            color=scenario_color(),
            strokeDash=SCENARIO_DASH,
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
    return standalone(revenue_per_customer_view(data, currency), "per_customer", data)


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
            y=alt.Y("lo:Q", axis=money_axis("NPV added", currency)),
            y2="hi:Q",
            color=scenario_color(),
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
    """Lever waterfall, with its rows (:func:`.waterfall_data`)."""
    return standalone(waterfall_view(data, currency), "waterfall", data)


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
    """The offer-mix heat map, with its rows (:func:`.offer_mix_data`)."""
    return standalone(offer_mix_view(data, currency), "mix", data)


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
            color=scenario_color(),
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
        "saves", "offer", "saves", count_axis("Customers saved"), list(OFFER_LABELS.values())
    )


def saves_by_offer_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Saves by offer, with its rows (:func:`.saves_by_offer_data`)."""
    return standalone(saves_by_offer_view(data, currency), "saves", data)


def margin_kept_view(data: pd.DataFrame | None = None, currency: str = "USD") -> alt.Chart:
    """Margin kept against money given away, side by side (dataset ``margin``)."""
    return _grouped_bars(
        "margin", "measure", "amount", money_axis("Over the horizon", currency),
        [KEPT, DISCOUNTS, OFFER_COSTS],
    )  # fmt: skip


def margin_kept_chart(data: pd.DataFrame, currency: str = "USD") -> Any:
    """Margin kept and given away, with its rows (:func:`.margin_kept_data`)."""
    return standalone(margin_kept_view(data, currency), "margin", data)


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
    """The delay curves, with their rows (:func:`.offer_delay_data`)."""
    return standalone(offer_delay_view(data, currency), "delay", data)
