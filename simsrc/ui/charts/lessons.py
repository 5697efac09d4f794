"""Static charts for the lesson notebooks, one per lesson's figure.

Drawn once per call and shown with the SVG renderer (vl-convert in the kernel, see
:func:`simsrc.ui.charts.offline.render_offline`), so they need no network either. Most
read the output of a function of :mod:`simsrc.analysis.lessons`.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from simsrc.model.levers import CHOICE_LABELS
from simsrc.ui.charts.style import (
    CAUSE_COLORS,
    HEIGHT,
    NO_OFFER,
    OFFER_LABELS,
    SCENARIO_COLORS,
    WIDTH,
    count_axis,
    money_axis,
    page,
)

FH2007 = "Fader & Hardie (2007), Table 1 [fh2007]"
"""Source line of the charts drawn from :data:`simsrc.analysis.lessons.FADER_HARDIE_2007`."""


def _lesson(chart: Any, title: str, *notes: str, source: str | None = None) -> Any:
    return page(chart.properties(width=WIDTH, height=HEIGHT), title, *notes, source=source)


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
            x=alt.X(
                "months:Q",
                title="Horizon (months)",
                axis=alt.Axis(values=sorted({0, *table["months"]})),
            ),  # the horizons shown
            y=alt.Y("ratio:Q", title="Halved churn ÷ baseline", scale=alt.Scale(zero=False)),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["months:Q", "measure:N", alt.Tooltip("ratio:Q", format=".3f")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [2.0]})).mark_rule(strokeDash=[4, 3]).encode(y="y:Q")
    return _lesson(
        alt.layer(chart, rule),
        "What halving churn does, by how far ahead you look",
        "Halved churn ÷ baseline: 1 = no change, so the axis starts at 1",
        "Dashed: twice, the long-run answer",
    )


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
            y=alt.Y("customers:Q", axis=count_axis("Customers")),
            tooltip=["month:Q", alt.Tooltip("customers:Q", format=",.0f")],
        )
    )
    ceiling = (
        alt.Chart(data.iloc[[0]])
        .mark_rule(strokeDash=[5, 3], color="#64748b")
        .encode(y="steady_state:Q", tooltip=[alt.Tooltip("steady_state:Q", format=",.0f")])
    )
    return _lesson(
        alt.layer(line, ceiling),
        "Customers fill the bucket up to a ceiling",
        "Dashed: new customers a month ÷ monthly churn, where the leaks equal the inflow",
    )


def projection_chart(data: pd.DataFrame) -> alt.Chart:
    """Actual survival against the sBG and a naive constant-rate projection (lesson 2).

    The years both projections were fitted on are shaded.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.naive_vs_sbg` output (its ``attrs["group"]``
        names the customers in the title).
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
            x=alt.X("year:Q", title="Years since joining"),
            y=alt.Y("surviving:Q", title="Customers still here (%)"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["year:Q", "series:N", alt.Tooltip("surviving:Q", format=".1f")],
        )
    )
    fitted = data.loc[data["fitted"], "year"]
    shade = (
        alt.Chart(pd.DataFrame({"start": [fitted.min()], "end": [fitted.max()]}))
        .mark_rect(color="#94a3b8", opacity=0.15)
        .encode(x="start:Q", x2="end:Q")
    )
    group = data.attrs.get("group", "Customers")
    return _lesson(
        alt.layer(shade, chart),
        f"{group}: projecting who stays from the first {int(fitted.max())} years",
        "Shaded: the years both projections were fitted on; after them, the real test",
        source=FH2007,
    )


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
    return _lesson(chart, "Share of a cohort still customers, by months since joining")


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
    return _lesson(chart, "Monthly churn by cause, over a customer's tenure")


def offer_survival_chart(data: pd.DataFrame) -> alt.Chart:
    """Cohort survival when the save team makes only one kind of offer (lesson 4).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.offers.offer_survival` output.
    """
    labels = {**OFFER_LABELS, "none": NO_OFFER}
    df = data.assign(offer=data["offer"].map(labels))
    lowest = float(df["survival"].min()) if df["survival"].notna().any() else 0.0
    floor = math.floor(10 * lowest) / 10  # from a round tenth below: the gaps are what matter
    chart = (
        alt.Chart(df)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("tenure:Q", title="Months since joining"),
            y=alt.Y("survival:Q", title="Still a customer", axis=alt.Axis(format=".0%"),
                    scale=alt.Scale(domain=[floor, 1])),
            color=alt.Color("offer:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["offer:N", "tenure:Q", alt.Tooltip("survival:Q", format=".1%")],
        )
    )  # fmt: skip
    zoomed = [f"The axis starts at {floor:.0%} to show the gaps between the offers"]
    return _lesson(
        chart,
        "A cohort's survival when the save team makes only one kind of offer",
        *(zoomed if floor > 0 else []),
    )


def dunning_chart(data: pd.DataFrame, benchmarks: pd.DataFrame | None = None) -> alt.Chart:
    """Recovery rate of late payers by dunning style and channel (lesson 5).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.dunning_matrix` output.
    benchmarks : pandas.DataFrame, optional
        Published recovery ranges to draw behind the bars (``benchmark``, ``low``,
        ``high``: :data:`simsrc.analysis.lessons.DUNNING_BENCHMARKS`), with their source
        under the title. The dashboards' kernels never import the lessons' analyses
        (they need calibration's sBG fit), so the lesson passes them in.
    """
    bench = (
        pd.DataFrame({"benchmark": [], "low": [], "high": []})
        if benchmarks is None
        else benchmarks
    )
    df = data.assign(
        style=data["style"].map(CHOICE_LABELS),
        channel=data["channel"].map(CHOICE_LABELS),
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
    tips = ["benchmark:N", alt.Tooltip("low:Q", format=".0%"), alt.Tooltip("high:Q", format=".0%")]
    spans = bench[bench["high"] > bench["low"]]
    points = bench[bench["high"] <= bench["low"]]
    bands = (
        alt.Chart(spans)
        .mark_rect(color="#94a3b8", opacity=0.18)
        .encode(y=alt.Y("low:Q", scale=alt.Scale(domain=[0, 1])), y2="high:Q", tooltip=tips)
    )
    lines = (
        alt.Chart(points)
        .mark_rule(color="#64748b", strokeDash=[4, 3])
        .encode(y="low:Q", tooltip=tips)
    )
    names = (  # at a range's top, at a line's level
        alt.Chart(bench)
        .mark_text(align="left", baseline="top", dx=6, dy=2, fontSize=11, color="#475569")
        .encode(x=alt.value(WIDTH), y="high:Q", text="benchmark:N")
    )
    return _lesson(
        alt.layer(bands, lines, chart, names),
        "Late payers recovered, by message style and channel",
        *(["Grey: published recovery rates"] if len(bench) else []),
        source="industry figures [benchmarks], docs/sources.md" if len(bench) else None,
    )


def win_back_chart(data: pd.DataFrame) -> alt.Chart:
    """Customers won back by channel and delay of the win-back message (lesson 6).

    Parameters
    ----------
    data : pandas.DataFrame
        ``channel`` (``email``, ``sms``), ``delay (months)``, ``won back`` (over the
        horizon) and ``NPV``.
    """
    df = data.assign(channel=[CHOICE_LABELS.get(c, c) for c in data["channel"]])
    chart = (
        alt.Chart(df)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("delay (months):Q", title="Delay before the message (months)"),
            y=alt.Y("won back:Q", axis=count_axis("Customers won back over the horizon")),
            color=alt.Color("channel:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["channel:N", "delay (months):Q", alt.Tooltip("won back:Q", format=",.1f"),
                     alt.Tooltip("NPV:Q", format=",.0f")],
        )
    )  # fmt: skip
    return _lesson(chart, "Former customers won back, by channel and how long the message waits")


def derl_chart(data: pd.DataFrame) -> alt.Chart:
    """DERL by renewals made, with heterogeneity and with customers alike (lesson 7).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.derl_by_renewals` output (its ``attrs`` name the
        group and the discount rate).
    """
    long = data.melt(id_vars="renewals", value_vars=["sbg", "alike"], var_name="series",
                     value_name="derl")  # fmt: skip
    long["series"] = long["series"].map(
        {"sbg": "Customers differ (sBG)", "alike": "One retention rate for all"}
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("renewals:Q", title="Renewals made", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("derl:Q", title="Payments still to come, discounted"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["renewals:Q", "series:N", alt.Tooltip("derl:Q", format=".2f")],
        )
    )
    group, discount = data.attrs.get("group"), data.attrs.get("discount")
    return _lesson(
        chart,
        "What a customer is still worth, by renewals made",
        *([f"{group}; payments discounted at {discount:.0%} a year"] if group else []),
        source=f"{FH2007}; valuation as in Fader & Hardie (2010) [fh2010]",
    )


def value_by_tenure_chart(
    data: pd.DataFrame,
    currency: str = "USD",
    title: str = "A customer still here: what they will still bring",
) -> alt.Chart:
    """Value of a customer still here, by months with the company, one line per ``label``.

    Parameters
    ----------
    data : pandas.DataFrame
        ``label``, ``tenure`` (months completed) and ``value_per_customer`` (e.g. rows of
        a calibration report's ``base_value``, labelled by model).
    currency : str
        ISO code of the money axis.
    title : str
        What the customers are.
    """
    chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("tenure:Q", title="Months with the company"),
            y=alt.Y("value_per_customer:Q", axis=money_axis("Value still to come", currency)),
            color=alt.Color("label:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                "label:N",
                "tenure:Q",
                alt.Tooltip("value_per_customer:Q", format=",.0f"),
            ],
        )
    )
    return _lesson(chart, title)
