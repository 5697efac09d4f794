"""A one-page board summary of a what-if, drawn as one chart and rendered offline.

The page is a single Vega-Lite specification: a title with the date and preset, a table
of key figures, the what-if's changes in words, and the revenue and customer charts.
Being one chart, it becomes a one-page PDF or a PNG with vl-convert (no browser, no
network), and its text stays text in the PDF (searchable, copyable).

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"KPI": ["NPV"], "Baseline": ["$1M"], "What-if": ["$1.1M"],
...                       "Change": ["+$100K · +10%"], "tone": ["good"]})
>>> spec = board_text_rows(table, ["Save-team coverage: 20% → 30%"], "")
>>> [r["text"] for r in spec if r["y"] == ROW_HEIGHT]
['NPV', '$1M', '$1.1M', '+$100K · +10%']
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from simsrc.ui.charts.style import FONT, configure, records
from simsrc.ui.charts.views import customers_view, revenue_view

__all__ = ["ROW_HEIGHT", "board_chart", "board_pdf", "board_png", "board_text_rows"]

ROW_HEIGHT = 22
"""Pixels per line of the page's text panels."""

TABLE_WIDTH, NOTES_WIDTH = 620, 440
CHART_WIDTH, CHART_HEIGHT = 440, 210
_COLUMNS = (("KPI", 0, "left"), ("Baseline", 300, "right"), ("What-if", 420, "right"),
            ("Change", TABLE_WIDTH, "right"))  # fmt: skip
_TONES = {"good": "#15803d", "bad": "#b91c1c", "flat": "#475569"}
_WRAP = 64  # characters per line of the notes panel at 12 px
_INK, _MUTED = "#0f172a", "#475569"
LEGEND = "In the charts: baseline grey and dashed, what-if blue."


def board_text_rows(table: pd.DataFrame, changes: Sequence[str], why: str) -> list[dict[str, Any]]:
    """The text of the page's two panels as positioned rows (pixels), for mark_text.

    Parameters
    ----------
    table : pandas.DataFrame
        Key figures as display strings: ``KPI``, ``Baseline``, ``What-if``, ``Change``
        and ``tone`` (``good``, ``bad`` or ``flat``: the colour of the change).
    changes : sequence of str
        The what-if's changes in words, one per line (wrapped here).
    why : str
        A plain sentence on why the effect is what it is (may be empty).

    Returns
    -------
    list of dict
        ``panel`` (``table`` or ``notes``), ``x``, ``y``, ``text``, ``align``, ``bold``
        and ``color``.
    """
    rows: list[dict[str, Any]] = []

    def put(panel: str, x: int, y: int, text: str, align: str = "left", bold: bool = False,
            color: str = _INK) -> None:  # fmt: skip
        rows.append({"panel": panel, "x": x, "y": y, "text": text, "align": align,
                     "bold": bold, "color": color})  # fmt: skip

    for name, x, align in _COLUMNS:
        put("table", x, 0, name, align, bold=True, color=_MUTED)
    for i, r in enumerate(table.itertuples(index=False), start=1):
        values = dict(zip(table.columns, r, strict=True))
        for name, x, align in _COLUMNS:
            color = _TONES.get(str(values["tone"]), _MUTED) if name == "Change" else _INK
            put("table", x, i * ROW_HEIGHT, str(values[name]), align, name == "What-if", color)
    y = -ROW_HEIGHT
    for change in changes or ["Nothing: the what-if is the baseline."]:
        for k, line in enumerate(textwrap.wrap(change, _WRAP)):
            y += ROW_HEIGHT
            put("notes", 0 if k == 0 else 12, y, ("• " if k == 0 else "") + line)
    if why:
        y += ROW_HEIGHT
        for line in textwrap.wrap(why, _WRAP + 4):
            y += ROW_HEIGHT - 4
            put("notes", 0, y, line, color=_MUTED)
    return rows


def _text_panel(rows: list[dict[str, Any]], panel: str, width: int) -> Any:
    mine = [r for r in rows if r["panel"] == panel]
    height = max(r["y"] for r in mine) + ROW_HEIGHT
    base = alt.Chart(alt.Data(values=mine)).encode(
        x=alt.X("x:Q", scale=None, axis=None),
        y=alt.Y("y:Q", scale=None, axis=None),
        text="text:N",
        color=alt.Color("color:N", scale=None),
    )
    layers = [
        base.transform_filter(
            f"datum.align == '{align}' && datum.bold == {str(bold).lower()}"
        ).mark_text(
            align=align,
            baseline="top",
            fontSize=12.5,
            font=FONT,
            fontWeight="bold" if bold else "normal",
        )
        for align in ("left", "right")
        for bold in (False, True)
        if any(r["align"] == align and r["bold"] == bold for r in mine)
    ]
    return alt.layer(*layers).properties(width=width, height=height)


def board_chart(
    title: str,
    subtitle: Sequence[str],
    table: pd.DataFrame,
    changes: Sequence[str],
    why: str,
    monthly: pd.DataFrame,
    currency: str = "USD",
) -> Any:
    """The one-page board summary as one chart.

    Parameters
    ----------
    title : str
        The page title (the scenario's name).
    subtitle : sequence of str
        Lines under the title: preset, horizon, date.
    table, changes, why
        As for :func:`board_text_rows`.
    monthly : pandas.DataFrame
        Baseline and what-if by month (:func:`simsrc.ui.charts.monthly_data`).
    currency : str
        Currency of the money axis.

    Returns
    -------
    altair.VConcatChart
        Ready for :func:`board_pdf` and :func:`board_png`.
    """
    rows = board_text_rows(table, changes, why)
    text = alt.hconcat(
        _text_panel(rows, "table", TABLE_WIDTH).properties(title="Key figures"),
        _text_panel(rows, "notes", NOTES_WIDTH).properties(title="What the what-if changes"),
        spacing=48,
    )
    sized = {"width": CHART_WIDTH, "height": CHART_HEIGHT}
    plots = alt.hconcat(
        revenue_view(monthly, currency).properties(title="Revenue per month", **sized),
        customers_view(monthly, currency).properties(title="Active customers", **sized),
        spacing=60,
    )
    page = alt.vconcat(text, plots, spacing=28).properties(
        title=alt.TitleParams(
            title,
            subtitle=[*subtitle, LEGEND],
            anchor="start",
            fontSize=20,
            subtitleColor=_MUTED,
            subtitleFontSize=12,
            offset=16,
        ),
        datasets={"monthly": records(monthly)},
        padding=36,
    )
    return configure(page).configure_title(anchor="start", fontSize=14, color=_INK)


def board_pdf(chart: Any) -> bytes:
    """The page as a one-page PDF (vl-convert; text stays text)."""
    import vl_convert  # imported when a page is rendered: ~100 MB the dashboards otherwise spare

    return bytes(vl_convert.vegalite_to_pdf(chart.to_dict()))


def board_png(chart: Any, scale: float = 2.0) -> bytes:
    """The page as a PNG at ``scale`` × its pixel size (vl-convert)."""
    import vl_convert  # see board_pdf

    return bytes(vl_convert.vegalite_to_png(chart.to_dict(), scale=scale))
