"""Charts for the analyst notebooks (scenario playbook, cohort deep dive, uncertainty).

Wider than the dashboard views and drawn from plain frames with their rows: KPIs across
scenarios, tornado and fan charts, sweeps and cohort views.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from simsrc.model.units import format_delta_pct
from simsrc.results.kpis import KPI_INFO, KPI_SHORT_LABELS
from simsrc.results.simulate import simulate
from simsrc.ui.charts.style import (
    SCENARIO_COLORS,
    count_axis,
    money_axis,
    page,
    unit_axis,
)

_ANALYST_WIDTH = 560  # wider than a dashboard view: notebooks show one chart a row


def _zoomed(values: pd.Series, note: str) -> list[str]:
    """``[note]`` when an axis zoomed to ``values`` leaves zero out, else nothing."""
    v = values.dropna()
    return [note] if len(v) and (v.min() > 0 or v.max() < 0) else []


def kpi_comparison_chart(tidy: pd.DataFrame, kpi: str = "npv", currency: str = "USD") -> Any:
    """One KPI across scenarios, from :func:`simsrc.compare` with ``tidy=True``.

    The first scenario is the baseline (grey); each bar is labelled with its change
    against it.

    Parameters
    ----------
    tidy : pandas.DataFrame
        :func:`simsrc.compare` output with ``tidy=True``.
    kpi : str
        The KPI to show (see :data:`simsrc.KPI_INFO`).
    currency : str
        ISO code of money KPIs.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> tidy = simsrc.compare(base, base.halve_churn(), tidy=True)
    >>> kpi_comparison_chart(tidy).to_dict()["layer"][0]["mark"]["type"]
    'bar'
    """
    df = tidy[tidy["kpi"] == kpi].copy()
    label = str(df["label"].iloc[0]) if len(df) else kpi
    unit = str(df["unit"].iloc[0]) if len(df) else "number"
    df["change"] = ["baseline"] + [format_delta_pct(100 * d) for d in df["delta_pct"][1:]]
    df["role"] = ["Baseline"] + ["What-if"] * (len(df) - 1)
    lo, hi = min(0.0, float(df["value"].min())), max(0.0, float(df["value"].max()))
    room = 0.15 * (hi - lo)  # for the labels at the bars' ends
    domain = [lo - room if lo < 0 else 0.0, hi + room if hi > 0 else 0.0]
    base = alt.Chart(df).encode(
        y=alt.Y("scenario:N", title=None, sort=None),
        x=alt.X("value:Q", axis=unit_axis(label, unit, currency), scale=alt.Scale(domain=domain)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("role:N", scale=alt.Scale(domain=["Baseline", "What-if"],
                                                  range=list(SCENARIO_COLORS)), legend=None),
        tooltip=["scenario:N", alt.Tooltip("value:Q", format=",.0f"),
                 alt.Tooltip("delta_pct:Q", title="Δ vs. baseline", format="+.1%")],
    )  # fmt: skip
    label_base = base.encode(text="change:N", color=alt.value("#334155"))  # past the bar's end
    right = label_base.transform_filter(alt.datum.value >= 0).mark_text(align="left", dx=4)
    left = label_base.transform_filter(alt.datum.value < 0).mark_text(align="right", dx=-4)
    return page(
        alt.layer(bars, right, left).properties(width=_ANALYST_WIDTH),
        f"{label} by scenario",
        "Grey: the baseline; each what-if is labelled with its change against it",
    )


def tornado_chart(
    table: pd.DataFrame,
    kpi_title: str = "NPV",
    top: int = 12,
    unit: str = "currency",
    currency: str = "USD",
) -> Any:
    """Which parameters move a KPI most: bars from the low to the high value's KPI.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`simsrc.analysis.sensitivity.tornado` output (sorted, largest swing first).
    kpi_title : str
        The KPI's name for the axis.
    top : int
        Parameters to show.
    unit, currency : str
        The KPI's unit (see :mod:`simsrc.model.units`) and ISO currency code.

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
            x=alt.X(
                "kpi:Q", axis=unit_axis(kpi_title, unit, currency), scale=alt.Scale(zero=False)
            ),
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
    return page(
        alt.layer(bars, rule).properties(width=_ANALYST_WIDTH, height=max(120, 22 * len(order))),
        f"{kpi_title}: what moves it most",
        f"Each bar runs from the base {kpi_title} (the line) to its value with one parameter "
        "at its low or high value",
        *_zoomed(df["kpi"], "The axis does not start at zero"),
    )


def fan_chart(
    band: pd.DataFrame,
    y_title: str = "Revenue per month",
    unit: str = "currency",
    currency: str = "USD",
    title: str | None = None,
) -> Any:
    """A monthly series' P10–P90 fan with its median (and expected value, if given).

    Parameters
    ----------
    band : pandas.DataFrame
        Indexed by month with columns ``p10``, ``p50``, ``p90`` and optionally
        ``expected`` — e.g. ``monte_carlo(...).monthly["revenue"]`` or
        ``simulate(..., stochastic=True).band("revenue")``.
    y_title : str
        The series' name.
    unit, currency : str
        The series' unit (see :mod:`simsrc.model.units`) and ISO currency code.
    title : str, optional
        What makes the band (default: chance, the random runs of one scenario).

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
        .encode(x=x, y=alt.Y("p10:Q", axis=unit_axis(y_title, unit, currency)), y2="p90:Q",
                tooltip=[alt.Tooltip("month:Q"), alt.Tooltip("p10:Q", format=",.0f"),
                         alt.Tooltip("p90:Q", format=",.0f")])
    )  # fmt: skip
    layers = [area, alt.Chart(df).mark_line(color=SCENARIO_COLORS[1]).encode(x=x, y="p50:Q")]
    notes = ["Shaded: P10 to P90, eight runs in ten inside; line: the median"]
    if "expected" in df:
        layers.append(
            alt.Chart(df).mark_line(color="#334155", strokeDash=[4, 3]).encode(x=x, y="expected:Q")
        )
        notes.append("Dashed: the expected value")
    return page(
        alt.layer(*layers).properties(width=_ANALYST_WIDTH, height=260),
        title or f"{y_title}: how far chance alone can move it",
        *notes,
    )


def sweep_chart(
    df: pd.DataFrame,
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    x_unit: str = "number",
    y_unit: str = "currency",
    currency: str = "USD",
) -> Any:
    """A KPI's response to one parameter swept over a range.

    The KPI axis is zoomed to the values (the chart says so): a sweep is read for its
    slope.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per value of the parameter.
    x, y : str
        Columns of the parameter and the KPI.
    x_title, y_title : str
        Their names.
    x_unit, y_unit, currency : str
        Their units (see :mod:`simsrc.model.units`) and the ISO currency code.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"p": [0.0, 1.0], "npv": [1.0, 2.0]})
    >>> sweep_chart(df, "p", "npv", "P", "NPV").to_dict()["encoding"]["x"]["field"]
    'p'
    """
    chart = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:Q", axis=unit_axis(x_title, x_unit, currency)),
            y=alt.Y(f"{y}:Q", axis=unit_axis(y_title, y_unit, currency),
                    scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip(f"{x}:Q", format=".3g"), alt.Tooltip(f"{y}:Q", format=",.0f")],
        )
        .properties(width=_ANALYST_WIDTH, height=260)
    )  # fmt: skip
    return page(
        chart,
        f"{y_title} as {x_title[:1].lower() + x_title[1:]} changes",
        *_zoomed(df[y], f"The {y_title} axis does not start at zero: read the slope"),
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
    chart = (
        alt.Chart(long)
        .mark_rect()
        .encode(
            x=alt.X(
                "tenure:O",
                title="Months since joining",
                axis=alt.Axis(
                    values=list(range(0, int(long["tenure"].max()) + 1, 6)), labelAngle=0
                ),
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
        .properties(width=_ANALYST_WIDTH, height=320)
    )
    return page(
        chart,
        "Share of each cohort still customers, by months since joining",
        f"One row in {every} of the cohorts; darker: more of them still here",
    )


def cohort_value_chart(df: pd.DataFrame, currency: str = "USD") -> Any:
    """Where a cohort's value comes from: margin earned by year of tenure.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`simsrc.analysis.lessons.cohort_value` output.
    currency : str
        ISO code of the money axis.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"year": [1, 2], "margin": [10.0, 8.0], "share": [0.55, 0.45]})
    >>> cohort_value_chart(df).to_dict()["layer"][0]["mark"]["type"]
    'bar'
    """
    base = alt.Chart(df).encode(
        x=alt.X("year:O", title="Year with the company", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("margin:Q", axis=money_axis("Discounted margin per customer acquired", currency)),
    )
    bars = base.mark_bar(color=SCENARIO_COLORS[1]).encode(
        tooltip=[
            "year:O",
            alt.Tooltip("margin:Q", format=",.0f"),
            alt.Tooltip("share:Q", title="share of the total", format=".0%"),
        ],
    )
    shares = base.mark_text(baseline="bottom", dy=-3, color="#334155").encode(
        text=alt.Text("share:Q", format=".0%")
    )
    return page(
        alt.layer(bars, shares).properties(width=_ANALYST_WIDTH, height=260),
        "Where the value of a customer comes from, year by year",
        "Labels: each year's share; the bars add up to the CLV over the horizon",
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
    chart = (
        alt.Chart(df)
        .mark_area()
        .encode(
            x=alt.X("tenure:Q", title="Months since joining"),
            y=alt.Y(
                f"{value}:Q",
                stack=True,
                axis=alt.Axis(title=y_title, format="%") if pct else count_axis(y_title),
            ),
            color=alt.Color("cause:N", title="Cause"),
            tooltip=[
                "cause:N",
                "tenure:Q",
                alt.Tooltip(f"{value}:Q", format=".2%" if pct else ",.1f"),
            ],
        )
        .properties(width=_ANALYST_WIDTH, height=280)
    )
    stacked = "the monthly churn of all causes" if pct else "all leavers that month"
    return page(chart, title, f"Stacked: the top edge is {stacked}")


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
    return page(
        (bars + whiskers + target).properties(width=_ANALYST_WIDTH),
        f"Do the calibrated P10–P90 bands hold the truth {level:.0%} of the time?",
        "Data drawn from a known scenario, calibrated, banded; whiskers: ±2 Monte Carlo "
        f"errors; dashed: {level:.0%}",
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
    return page(
        alt.layer(band, line, data=long)
        .properties(width=220, height=200)
        .facet(column=alt.Column("segment:N", title=None)),
        "Share of customers still here, by months since joining",
        "Kaplan–Meier of the data with its 95 % band (grey), the calibrated scenario with "
        "its levers on, and before",
    )
