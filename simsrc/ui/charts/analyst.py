"""Charts for the analyst notebooks (scenario playbook, cohort deep dive, uncertainty).

Wider than the dashboard views and drawn from plain frames with their rows: KPIs across
scenarios, tornado and fan charts, sweeps and cohort views.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from simsrc.results.kpis import KPI_INFO, KPI_SHORT_LABELS
from simsrc.results.simulate import simulate
from simsrc.ui.charts.style import SCENARIO_COLORS

_ANALYST_WIDTH = 560  # wider than a dashboard view: notebooks show one chart a row


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
    """Leavers of one cohort by cause over tenure, stacked.

    Parameters
    ----------
    df : pandas.DataFrame
        ``tenure``, ``cause`` and the ``value`` column, e.g.
        :func:`simsrc.analysis.lessons.leavers_by_cause` output.
    value : str
        Column to stack; ``hazard`` is read as a share and shown in per cent, any other
        column as a count.
    title, y_title : str
        Chart and axis titles.

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


def coverage_chart(summary: pd.DataFrame, level: float = 0.8) -> alt.LayerChart:
    """Coverage of calibrated P10–P90 bands by KPI and data size, against the target.

    Bars: the share of data sets whose band held the truth; whiskers: ±2 Monte Carlo
    errors; the rule: ``level``, what a calibrated band holds.

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`simsrc.analysis.coverage.CoverageStudy.summary` (or
        :func:`simsrc.analysis.coverage.published_coverage`).
    level : float
        The target coverage.

    Examples
    --------
    >>> from simsrc.analysis.coverage import published_coverage
    >>> spec = coverage_chart(published_coverage()).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['bar', 'rule', 'rule']
    """
    df = summary.copy()
    df["KPI"] = [KPI_SHORT_LABELS.get(k, KPI_INFO.get(k, (k,))[0]) for k in df["kpi"]]
    df["data"] = [f"{n:,} customers" for n in df["customers"]]
    df["low"] = (df["coverage"] - 2 * df["mc_error"]).clip(lower=0)
    df["high"] = (df["coverage"] + 2 * df["mc_error"]).clip(upper=1)
    base = alt.Chart(df).encode(
        x=alt.X("KPI:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("data:N", sort=None),
    )
    bars = base.mark_bar().encode(
        y=alt.Y(
            "coverage:Q",
            title="Bands that held the truth",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color(
            "data:N", title="Each data set", sort=None, legend=alt.Legend(orient="top")
        ),
        tooltip=[
            "KPI:N",
            "data:N",
            alt.Tooltip("coverage:Q", format=".1%"),
            alt.Tooltip("mc_error:Q", title="Monte Carlo error", format=".1%"),
            alt.Tooltip("reps:Q", title="data sets"),
            alt.Tooltip("width:Q", title="band width / truth", format=".1%"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(y="low:Q", y2="high:Q")
    target = (
        alt.Chart(pd.DataFrame({"level": [level]}))
        .mark_rule(strokeDash=[6, 4], color="#c0392b")
        .encode(y="level:Q")
    )
    return (bars + whiskers + target).properties(
        width=_ANALYST_WIDTH,
        title=alt.Title(
            "Do the calibrated P10–P90 bands hold the truth 80 % of the time?",
            subtitle="Data drawn from a known scenario, calibrated, banded; ±2 Monte Carlo "
            "errors; dashed: 80 %",
        ),
    )


def survival_fit_chart(report: Any, before: Any | None = None, months: int = 72) -> alt.FacetChart:
    """Survival per segment: Kaplan–Meier with its 95 % band against the scenario.

    Parameters
    ----------
    report : CalibrationReport
        A snapshot calibration's report (its ``survival`` table).
    before : Scenario, optional
        Another scenario to draw for comparison (e.g. calibrated with
        ``contract_terms=None``), simulated by the engine.
    months : int
        Tenure months shown.
    """
    observed = "Observed (Kaplan–Meier)"
    order = [observed, "Calibrated scenario", "Before (no contract terms)"]
    sv = report.survival[report.survival["tenure"] <= months]
    se = sv["observed_se"].fillna(0.0)
    lines = [
        sv.assign(series=observed, value=sv["observed"],
                  low=(sv["observed"] - 1.96 * se).clip(0, 1),
                  high=(sv["observed"] + 1.96 * se).clip(0, 1)),
        sv.assign(series=order[1], value=sv["scenario"]),
    ]  # fmt: skip
    if before is not None:
        curve = simulate(before.replace(horizon_months=months)).survival
        for seg in before.segment_names:
            values = curve[seg].to_numpy()
            lines.append(pd.DataFrame({"segment": seg, "tenure": curve.index,
                                       "series": order[2], "value": values}))  # fmt: skip
    columns = ["segment", "tenure", "series", "value", "low", "high"]
    long = pd.concat(lines, ignore_index=True).reindex(columns=columns)
    labels = {x.name: x.label for x in report.scenario.segments}
    long["segment"] = long["segment"].map(lambda name: labels.get(name, name))
    x = alt.X("tenure:Q", title="Months since joining")
    y = alt.Y("value:Q", title="Still a customer", axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1]))  # fmt: skip
    base = alt.Chart().encode(x=x)
    band = (
        base.transform_filter(alt.datum.series == observed)
        .mark_area(opacity=0.2, color="#555")
        .encode(y=alt.Y("low:Q", title="Still a customer"), y2="high:Q")
    )
    shown = [x for x in order if x in set(long["series"])]
    line = base.mark_line(strokeWidth=2).encode(
        y=y,
        color=alt.Color("series:N", title=None, sort=shown, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=shown,
                                        range=["#333", "#2a9d8f", "#e76f51"][: len(shown)])),
        strokeDash=alt.StrokeDash("series:N", sort=shown, legend=None,
                                  scale=alt.Scale(domain=shown,
                                                  range=[[1, 0], [1, 0], [6, 4]][: len(shown)])),
        tooltip=["segment:N", "series:N", "tenure:Q", alt.Tooltip("value:Q", format=".1%")],
    )  # fmt: skip
    return (
        alt.layer(band, line, data=long)
        .properties(width=220, height=200)
        .facet(column=alt.Column("segment:N", title=None))
        .properties(
            title=alt.Title(
                "Share of customers still here, by months since joining",
                subtitle="Kaplan–Meier of the data with its 95 % band (grey), the calibrated "
                "scenario with its levers on, and before",
            )
        )
    )
