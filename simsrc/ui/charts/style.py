"""The charts' shared look: scenario names and colours, axes, fonts, JSON-ready rows.

Every chart module draws with these, so a baseline is the same slate grey and a
what-if the same blue in dashboards, tables and lessons alike.
"""

from __future__ import annotations

import math
from typing import Any, cast

import altair as alt
import pandas as pd

from simsrc.model.levers import OFFER_LABELS as OFFER_LABELS  # the charts' name for it
from simsrc.model.units import FRACTION_UNITS, format_value

BASELINE, WHAT_IF = "Baseline", "What-if"
SCENARIOS = (BASELINE, WHAT_IF)
SCENARIO_COLORS = ("#94a3b8", "#2563eb")  # slate (baseline) and blue (what-if)
CAUSE_COLORS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b6992d", "#e15759", "#b07aa1", "#76b7b2", "#9c755f",
    "#ff9da7", "#bab0ac",
)  # fmt: skip
NO_OFFER = "No save team"

WIDTH, HEIGHT = 360, 200  # one dashboard view, in pixels
FONT = "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif"  # the dashboards' CSS
# Charts shown as SVG are laid out in the kernel by vl-convert with one font and drawn by
# the browser with another: labels only stay apart when both measure text alike. Arial
# and Liberation Sans share their metrics (a wider fallback made lesson 01's collide).
SVG_FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
THEME = "simsrc"
"""The Altair theme of charts shown on their own (:func:`page`), in :data:`SVG_FONT`."""
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


def _compact_expr(symbol: str = "") -> str:
    """A Vega expression writing an axis label ``datum.value`` with K/M/B, as tables do.

    Below a thousand plainly (never ``500m`` for half a unit), then K/M/B (T beyond);
    the sign before the currency symbol, as :func:`simsrc.model.units.cell_text` writes
    it.
    """
    quoted = "'" + symbol.replace("\\", "\\\\").replace("'", "\\'") + "'"
    a = "abs(datum.value)"
    return (
        f"(datum.value < 0 ? '-' : '') + {quoted} + ({a} < 1000 ? format({a}, ',~g') : "
        f"replace(replace(format({a}, '~s'), 'G', 'B'), 'k', 'K'))"
    )


def money_axis(title: str, currency: str) -> alt.Axis:
    """An axis for money: the currency in its title, K/M/B labels with its symbol.

    Examples
    --------
    >>> money_axis("Revenue per month", "EUR").to_dict()["title"]
    'Revenue per month (EUR)'
    """
    symbol = currency_symbol(currency)
    return alt.Axis(title=f"{title} ({currency})", labelExpr=_compact_expr(symbol))


def count_axis(title: str) -> alt.Axis:
    """An axis for counts of customers with K/M/B labels."""
    return alt.Axis(title=title, labelExpr=_compact_expr())


def unit_axis(title: str, unit: str, currency: str = "USD") -> alt.Axis:
    """An axis for a value in one of :mod:`simsrc.model.units`' units.

    Money gets :func:`money_axis`, fractions per cent, counts :func:`count_axis`, months
    their unit in the title; anything else its title alone.

    Examples
    --------
    >>> unit_axis("Save-team coverage", "share").to_dict()["format"]
    '~%'
    >>> unit_axis("CAC payback", "months").to_dict()["title"]
    'CAC payback (months)'
    """
    if unit.startswith("currency"):
        return money_axis(title, currency)
    if unit in FRACTION_UNITS:
        return alt.Axis(title=title, format="~%")  # 1.25 %, not a tick rounded to 1 %
    if unit == "customers":
        return count_axis(title)
    if unit == "months":
        return alt.Axis(title=f"{title} (months)")
    return alt.Axis(title=title)


def scenario_color(legend: bool = False) -> alt.Color:
    """Baseline slate, what-if blue; a legend above the view if asked for."""
    return alt.Color(
        "scenario:N",
        scale=alt.Scale(domain=list(SCENARIOS), range=list(SCENARIO_COLORS)),
        legend=alt.Legend(title=None, orient="top") if legend else None,
    )


def _look(font: str) -> dict[str, Any]:
    """The house look as a Vega-Lite config: no frame, no label ever cut, titles left."""
    return {
        "font": font,
        "background": "white",
        "view": {"stroke": None},
        "axis": {
            "labelColor": "#475569",
            "titleColor": "#334155",
            "titleFontWeight": "normal",
            "titleFontSize": 12,
            "labelFontSize": 11,
            "labelLimit": 0,
            "gridColor": "#e2e8f0",
            "domainColor": "#cbd5e1",
            "tickColor": "#cbd5e1",
        },
        "legend": {
            "labelFontSize": 12,
            "labelColor": "#334155",
            "symbolStrokeWidth": 3,
            "labelLimit": 0,
            "titleLimit": 0,
        },
        "title": {"font": font, "color": "#0f172a", "anchor": "start", "subtitleColor": "#475569"},
    }


@alt.theme.register(THEME, enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return cast("alt.theme.ThemeConfig", {"config": _look(SVG_FONT)})


def configure(chart: Any) -> Any:
    """The house look on one chart, in the dashboards' font (their widgets draw it).

    Charts shown on their own get the same look from the :data:`THEME` theme instead,
    which leaves them free to be put side by side (``a | b``).
    """
    out = chart.copy(deep=False)
    out.config = alt.Config.from_dict(_look(FONT))
    return out


def page(chart: Any, title: str, *notes: str, source: str | None = None) -> Any:
    """A chart shown on its own: its title, notes and source line above it.

    Its look comes from the :data:`THEME` theme, which
    :func:`simsrc.ui.charts.render_offline` enables.

    Parameters
    ----------
    chart : altair chart
        The views, sized.
    title : str
        What the chart shows.
    *notes : str
        Lines under the title: how to read it (what is dashed or shaded, where an axis
        starts when not at zero).
    source : str, optional
        Where a published figure comes from, with its key in ``docs/sources.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    >>> page(c, "A point", "One of them", source="me [key]").to_dict()["title"]["subtitle"]
    ['One of them', 'Source: me [key]']
    """
    lines = [*notes, *([f"Source: {source}"] if source else [])]
    return chart.properties(title=alt.TitleParams(title, subtitle=lines))


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
