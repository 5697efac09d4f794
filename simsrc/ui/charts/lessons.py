"""Static charts for the lesson notebooks, one per lesson's figure.

Drawn once per call and shown with the SVG renderer (vl-convert in the kernel, see
:func:`simsrc.ui.charts.offline.render_offline`), so they need no network either. Most
read the output of a function of :mod:`simsrc.analysis.lessons`.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from simsrc.ui.charts.style import (
    CAUSE_COLORS,
    FONT,
    HEIGHT,
    NO_OFFER,
    OFFER_LABELS,
    SCENARIO_COLORS,
    WIDTH,
)


def _lesson(chart: Any, title: str | alt.TitleParams | None = None) -> Any:
    props: dict[str, Any] = {"width": WIDTH, "height": HEIGHT}
    if title:
        props["title"] = title
    return (
        chart.properties(**props)
        .configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelColor="#475569", titleColor="#334155", gridColor="#e2e8f0")
        # a legend never cuts a label ("Ineffective onboardir"): it takes the room it needs
        .configure_legend(labelLimit=0, titleLimit=0)
        .configure_title(anchor="start", subtitleColor="#475569")
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
    title = alt.TitleParams(
        "What halving churn does, by how far ahead you look",
        subtitle=[
            "Halved churn ÷ baseline: 1 = no change, so the axis starts at 1",
            "Dashed: twice, the long-run answer",
        ],
    )
    return _lesson(alt.layer(chart, rule), title=title)


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
    return _lesson(chart, title="Monthly churn by cause, over a customer's tenure")


def offer_survival_chart(data: pd.DataFrame) -> alt.Chart:
    """Cohort survival when the save team makes only one kind of offer (lesson 4).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.offers.offer_survival` output.
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
    title = alt.TitleParams(
        "Late payers recovered, by message style and channel",
        subtitle="Grey: published recovery ([benchmarks], docs/sources.md)" if len(bench) else "",
        anchor="start",
    )
    return _lesson(alt.layer(bands, lines, chart, names), title=title)


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


def derl_chart(data: pd.DataFrame) -> alt.Chart:
    """DERL by renewals made, with heterogeneity and with customers alike (lesson 7).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`simsrc.analysis.lessons.derl_by_renewals` output.
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
            y=alt.Y(
                "derl:Q", title="Discounted payments still to come", scale=alt.Scale(zero=True)
            ),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["renewals:Q", "series:N", alt.Tooltip("derl:Q", format=".2f")],
        )
    )
    return _lesson(
        chart,
        "What a customer is still worth, by renewals made "
        "(Fader & Hardie 2007 high-end data, 10 % a year)",
    )


def value_by_tenure_chart(data: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Value of a customer still here, by months with the company, one line per ``label``.

    Parameters
    ----------
    data : pandas.DataFrame
        ``label``, ``tenure`` (months completed) and ``value_per_customer`` (e.g. rows of
        a calibration report's ``base_value``, labelled by model).
    currency : str
        ISO code of the money axis.
    """
    money = alt.Axis(format="$,.0f")
    chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("tenure:Q", title="Months with the company"),
            y=alt.Y(
                "value_per_customer:Q",
                title=f"Value still to come ({currency})",
                scale=alt.Scale(zero=True),
                axis=money,
            ),
            color=alt.Color("label:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                "label:N",
                "tenure:Q",
                alt.Tooltip("value_per_customer:Q", format="$,.0f"),
            ],
        )
    )
    return _lesson(chart, "A telecom customer still here: what they will still bring")
