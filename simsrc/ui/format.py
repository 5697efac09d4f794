"""Tables as a finance team writes them: readable labels, units, no index, no ``e+``.

One formatting layer for every table a person reads — notebooks, dashboards, the CLI —
on top of :mod:`simsrc.model.units` (the words of units and how a value in each is
written; CSV exports round with :func:`simsrc.model.units.export_frame`). A column's
unit comes from :data:`simsrc.KPI_INFO` for a KPI, else from its name
(:func:`~simsrc.model.units.column_unit`); its label from the KPI, the scenario's cause,
segment and offer names, or the name itself in words.
"""

from __future__ import annotations

import html
import re
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd
from IPython.display import HTML
from pandas.io.formats.style import Styler

from simsrc.model.files import scenario_to_toml
from simsrc.model.levers import CHOICE_LABELS, OFFER_LABELS, OFFER_NAMES
from simsrc.model.scenario import Scenario
from simsrc.model.units import FRACTION_UNITS, cell_text, column_unit
from simsrc.results.kpis import KPI_INFO, KPI_SHORT_LABELS

__all__ = [
    "LABELS",
    "NO_MATH",
    "comparison",
    "kpis",
    "label",
    "prose",
    "readable",
    "scenario_toml",
    "table",
    "unit_of",
]

LABELS: dict[str, str] = {
    "p10": "P10",
    "p50": "P50 (median)",
    "p90": "P90",
    "npv": "NPV",
    "clv": "CLV",
    "mrr": "MRR",
    "cac": "CAC",
    "kpi": "KPI",
    "std_error": "Standard error",
    "low_value": "Value at the low end",
    "high_value": "Value at the high end",
    **CHOICE_LABELS,
    "sbg": "sBG",
    "npv_before_retention": "NPV before retention costs",
    "survival_12m": "Still here after 12 months",
    "gap": "Largest gap to the data",
    "fits": "Within tolerance",
    "new_customers": "New customers",
}
"""Words a name's underscores would not give right."""


NO_MATH = "tex2jax_ignore mathjax_ignore"
"""HTML class that keeps MathJax out: JupyterLab and Voila typeset the HTML a cell shows,
and two amounts of money in one block ("loses $375K … worth $7.3M") become TeX between
their dollar signs."""


def unit_of(name: str) -> str:
    """A column's unit: the KPI's, else read from the name.

    Examples
    --------
    >>> unit_of("npv"), unit_of("ending_active"), unit_of("cost_per_save")
    ('currency', 'customers', 'currency')
    """
    return KPI_INFO[name][1] if name in KPI_INFO else column_unit(name)


def label(name: object, scenario: Scenario | None = None) -> str:
    """A name as a person reads it.

    Examples
    --------
    >>> label("clv_per_customer"), label("revenue_ratio"), label("expert_help")
    ('CLV per new customer', 'Revenue ratio', 'Expert help')
    >>> import simsrc
    >>> label("price_competitor", simsrc.preset("b2b-saas"))
    'Price or competitor'
    """
    text = str(name)
    if scenario is not None and text in scenario.cause_names + scenario.segment_names:
        return scenario.item_labels[text]
    if text in KPI_SHORT_LABELS or text in KPI_INFO:
        return KPI_SHORT_LABELS.get(text) or KPI_INFO[text][0]
    if text in LABELS:
        return LABELS[text]
    if text in OFFER_NAMES:
        return OFFER_LABELS[text]
    if not re.fullmatch(r"[a-z][a-z0-9_ ]*", text):  # a scenario's or a person's own words
        return text
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _cell(x: object, scenario: Scenario | None) -> object:
    """A non-numeric cell: a known name (cause, segment, KPI, offer) by its label."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if not isinstance(x, str):
        return x
    known = x in KPI_INFO or x in OFFER_NAMES or x in LABELS
    if scenario is not None:
        known = known or x in scenario.cause_names or x in scenario.segment_names
    return label(x, scenario) if known else x


def readable(
    frame: pd.DataFrame,
    scenario: Scenario | None = None,
    *,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    currency: str = "USD",
) -> pd.DataFrame:
    """The table's values as text, columns and named rows labelled (what :func:`table` shows).

    A named index (``set_index``) becomes the first column; an unnamed index of whole
    numbers (row numbers) is dropped. A table of KPIs by row writes each row in its
    KPI's unit, and a table with a ``unit`` column each row in that unit (the column
    itself is not shown): every numeric column is then read in the row's unit except
    those ``units`` names (a change in percent, say). With ``units`` a column (or a
    KPI's row) gets that unit instead of the one its name gives; with ``labels`` a
    column that heading.

    Examples
    --------
    >>> ranges = pd.DataFrame({"parameter": ["New customers", "Churn"], "low": [90.0, 0.015],
    ...                        "unit": ["customers/month", "monthly rate"]})
    >>> readable(ranges)["Low"].tolist()
    ['90', '1.5%']
    """
    return _texts(frame, scenario, units, labels, currency)[0]


def _texts(
    frame: pd.DataFrame,
    scenario: Scenario | None,
    units: Mapping[str, str] | None,
    labels: Mapping[str, str] | None,
    currency: str,
) -> tuple[pd.DataFrame, list[Hashable]]:
    """:func:`readable`'s table, and the headings of its columns that hold numbers."""
    frame = _shown(frame)
    units = dict(units or {})
    headings = {str(k): v for k, v in (labels or {}).items()}
    by_row = _row_units(frame, units)
    frame = _without_units(frame)
    out = pd.DataFrame(index=frame.index)
    numeric: list[Hashable] = []
    for name, numbers in zip(frame.columns, _numbers(frame), strict=True):
        col, heading = frame[name], headings.get(str(name)) or label(name, scenario)
        if numbers:
            if by_row is not None and str(name) not in units:
                texts = [cell_text(x, u, currency) for x, u in zip(col, by_row, strict=True)]
            else:
                unit = units.get(str(name), unit_of(str(name)))
                scale = 100.0 if unit in FRACTION_UNITS else 1.0
                texts = _aligned([cell_text(x, unit, currency) for x in col], col, scale)
            out[heading] = texts
            numeric.append(heading)
        else:
            out[heading] = pd.Series([_cell(x, scenario) for x in col], index=out.index)
    return out, numeric


_PLAIN = re.compile(r"^(?P<head>[^\d]*)(?P<whole>\d[\d,]*)(?:\.(?P<decimals>\d+))?(?P<tail>\D*)$")


def _aligned(texts: list[str], values: pd.Series, scale: float = 1.0) -> list[str]:
    """A column's numbers written to as many decimals each, as a finance table lines them up.

    Each cell is written again from its value (``scale`` 100 for a fraction shown in
    per cent), never padded with zeros it does not have. Only where the column has one
    unit, every number ends alike (no K/M/B), none needs more than four decimals and
    the values are within a factor 100 of each other: 36.2 beside 46.04 becomes 36.20,
    $18 beside $9.54 $18.13; "—" stays.

    Examples
    --------
    >>> _aligned(["46.04", "36.2", "—", "100"], pd.Series([46.04, 36.2, None, 100.0]))
    ['46.04', '36.20', '—', '100.00']
    >>> _aligned(["$18", "$9.54"], pd.Series([18.127, 9.5354]))
    ['$18.13', '$9.54']
    >>> _aligned(["$22.4M", "$331M"], pd.Series([2.24e7, 3.31e8]))
    ['$22.4M', '$331M']
    >>> _aligned(["58.7%", "0.00260%"], pd.Series([0.587344, 0.000026]), 100.0)
    ['58.7%', '0.00260%']
    """
    parts = [_PLAIN.match(t) for t in texts if t != "—"]
    if not parts or not all(parts) or len({m["tail"] for m in parts if m}) != 1:
        return texts
    if parts[0] and parts[0]["tail"].strip() in ("K", "M", "B"):
        return texts
    places = max(len(m["decimals"] or "") for m in parts if m)
    if places == 0 or places > 4:  # a tiny rate's 0.00006% would give others 5 zeros
        return texts
    sizes = [abs(float(v)) for v in values if pd.notna(v) and float(v) != 0]
    if sizes and max(sizes) > 100 * min(sizes):  # 58.7% beside 0.0026%: no common decimals
        return texts
    out = []
    for t, v in zip(texts, values, strict=True):
        m = _PLAIN.match(t)
        out.append(
            t if m is None else f"{m['head']}{abs(float(v)) * scale:,.{places}f}{m['tail']}"
        )
    return out


def _row_units(frame: pd.DataFrame, units: Mapping[str, str]) -> list[str] | None:
    """Units by row: from a ``unit`` column, or the KPIs a first column names; else None."""
    if len(_without_units(frame).columns) < len(frame.columns):
        return [str(u) for u in frame["unit"]]
    first = frame.columns[0] if len(frame.columns) else None
    if first is None or pd.api.types.is_numeric_dtype(frame[first]):
        return None
    names = [str(x) for x in frame[first]]
    if not all(n in KPI_INFO or n in units for n in names):
        return None
    return [units.get(n, unit_of(n)) for n in names]


def table(
    frame: pd.DataFrame,
    scenario: Scenario | None = None,
    *,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    currency: str = "USD",
    caption: str | None = None,
) -> Styler:
    """A table for people: labels, units, no 0…n index, right-aligned numbers.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns by name (KPIs, monthly series, analysis results); a named index becomes
        the first column.
    scenario : Scenario, optional
        For the labels of its causes and segments.
    units : mapping, optional
        Column (or KPI row) name → unit, where the name does not say it.
    labels : mapping, optional
        Column name → heading, where the name's words are not the heading.
    currency : str
        Currency of money columns.
    caption : str, optional
        A title above the table (with its source, when it shows a published figure).

    Examples
    --------
    >>> import simsrc
    >>> k = simsrc.kpi_table(simsrc.preset("b2b-saas"))
    >>> html = table(k[["npv", "ending_active"]]).to_html()
    >>> "e+" in html, "$" in html, "NPV" in html
    (False, True, True)
    """
    shown, numeric = _texts(frame, scenario, units, labels, currency)
    words: list[Hashable] = [c for c in shown.columns if c not in numeric]
    styler = shown.style.hide(axis="index")
    styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    # JupyterLab and Voila right-align every cell: words are read from the left
    styler = styler.set_properties(subset=words, **{"text-align": "left"})
    styler = styler.set_table_attributes(f'class="{NO_MATH}"')
    styler = styler.set_table_styles(
        [{"selector": "th", "props": [("text-align", "left")]},
         {"selector": "caption", "props": [("caption-side", "top"), ("text-align", "left"),
                                           ("font-weight", "bold")]}]
    )  # fmt: skip
    return styler.set_caption(caption) if caption else styler


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as shown: a named index (``set_index``) becomes the first column.

    An unnamed index of whole numbers is row numbers (left over from a filter, say),
    and is not shown; an unnamed index of words (KPI names picked with ``.loc``) is.
    """
    index = frame.index
    if index.name is None and not isinstance(index, pd.MultiIndex):
        if pd.api.types.is_integer_dtype(index):
            return frame.reset_index(drop=True)
    if not isinstance(index, pd.RangeIndex) or index.name is not None:
        return frame.reset_index()
    return frame


def _without_units(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame less a ``unit`` column of words: every number of a row says its unit."""
    if "unit" in frame.columns and not pd.api.types.is_numeric_dtype(frame["unit"]):
        return frame.drop(columns="unit")
    return frame


def _numbers(frame: pd.DataFrame) -> list[bool]:
    """Which columns hold numbers (booleans are words: yes, no)."""
    return [
        bool(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
        for c in frame.columns
    ]


def kpis(frame: pd.DataFrame, **kwargs: Any) -> Styler:
    """A table of KPIs by scenario (``simsrc.kpi_table``), KPIs as rows: one unit a row."""
    return table(frame.T.rename_axis("kpi").reset_index(), **kwargs)


def comparison(frame: pd.DataFrame, rows: list[str] | None = None, **kwargs: Any) -> Styler:
    """A :func:`simsrc.compare` table (KPIs by row) for people: the change in percent.

    Examples
    --------
    >>> import simsrc
    >>> b = simsrc.preset("b2b-saas")
    >>> html = comparison(simsrc.compare(b, b.halve_churn()), ["npv"]).to_html()
    >>> "+16" in html and "$" in html and "e+" not in html
    True
    """
    shown = frame.loc[rows] if rows is not None else frame
    shown = shown.drop(columns=[c for c in ("label", "unit") if c in shown.columns])
    return table(shown.rename_axis("kpi"), units={"Δ %": "percent"}, **kwargs)


def scenario_toml(scenario: Scenario, *, open_: bool = False) -> HTML:
    """The scenario as its TOML file, in a block a reader can fold open (notebooks, Voila).

    What :func:`simsrc.save_scenario` would write, so an analyst sees every value the
    what-ifs start from, by the paths that :meth:`Scenario.get` and :meth:`Scenario.set`
    take.

    Examples
    --------
    >>> import simsrc
    >>> "monthly_price = 400.0" in scenario_toml(simsrc.preset("b2b-saas")).data
    True
    """
    text = html.escape(scenario_to_toml(scenario))
    opened = " open" if open_ else ""
    return HTML(
        f"<details class='{NO_MATH}'{opened}><summary>{html.escape(scenario.name)} as TOML "
        f"(the paths of <code>.get</code> and <code>.set</code>)</summary>"
        f"<pre style='max-height:28em;overflow:auto'>{text}</pre></details>"
    )


def prose(text: str) -> HTML:
    r"""Text for people as paragraphs (a plan's summary, an optimiser's explanation).

    ``print`` puts it in a fixed-width block that Voila wraps in mid-word; this wraps
    it at words, a blank line starting a new paragraph, with money kept out of
    MathJax's reach (:data:`NO_MATH`).

    Examples
    --------
    >>> prose("Costs $142 a month.\n\nWorth $15.1K < $20K.").data.count("<p>")
    2
    """
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return HTML(f"<div class='{NO_MATH}' style='max-width:60em'>{body}</div>")
