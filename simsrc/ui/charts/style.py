"""The charts' shared look: scenario names and colours, axes, fonts, JSON-ready rows.

Every chart module draws with these, so a baseline is the same slate grey and a
what-if the same blue in dashboards, tables and lessons alike.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from simsrc.model.units import format_value

BASELINE, WHAT_IF = "Baseline", "What-if"
SCENARIOS = (BASELINE, WHAT_IF)
SCENARIO_COLORS = ("#94a3b8", "#2563eb")  # slate (baseline) and blue (what-if)
CAUSE_COLORS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b6992d", "#e15759", "#b07aa1", "#76b7b2", "#9c755f",
    "#ff9da7", "#bab0ac",
)  # fmt: skip
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

WIDTH, HEIGHT = 360, 200  # one dashboard view, in pixels
FONT = "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif"
SCENARIO_DASH = alt.StrokeDash(
    "scenario:N", scale=alt.Scale(domain=list(SCENARIOS), range=[[5, 3], [1, 0]]), legend=None
)


def currency_symbol(currency: str) -> str:
    """The symbol :func:`simsrc.model.units.format_value` puts before money in ``currency``.

    Examples
    --------
    >>> currency_symbol("USD"), currency_symbol("EUR"), currency_symbol("CHF")
    ('$', '€', 'CHF ')
    """
    return format_value(0.0, "currency", currency)[:-1]


def money_axis(title: str, currency: str) -> alt.Axis:
    """An axis for money with K/M/B labels and the currency symbol."""
    symbol = currency_symbol(currency).replace("\\", "\\\\").replace("'", "\\'")
    return alt.Axis(
        title=title,
        labelExpr=f"'{symbol}' + replace(format(datum.value, '~s'), 'G', 'B')",
    )


def count_axis(title: str) -> alt.Axis:
    """An axis for counts of customers with K/M/B labels."""
    return alt.Axis(title=title, labelExpr="replace(format(datum.value, '~s'), 'G', 'B')")


def scenario_color(legend: bool = False) -> alt.Color:
    """Baseline slate, what-if blue; a legend above the view if asked for."""
    return alt.Color(
        "scenario:N",
        scale=alt.Scale(domain=list(SCENARIOS), range=list(SCENARIO_COLORS)),
        legend=alt.Legend(title=None, orient="top") if legend else None,
    )


def configure(chart: Any) -> Any:
    """The dashboards' look: font, colours of axes and grid, no frame."""
    return (
        chart.configure(font=FONT, background="white")
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
        .configure_title(font=FONT, color="#0f172a")
    )


def standalone(view: Any, dataset: str, data: pd.DataFrame) -> Any:
    """A view with its rows and the dashboards' look, to show or test on its own."""
    return configure(view.properties(datasets={dataset: records(data)}))


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
