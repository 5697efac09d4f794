"""HTML of the dashboards: style sheet, labels, KPI cards, tables (text only, no widgets).

The style sheet and the download button's JavaScript are files in ``assets/``, read
with :mod:`importlib.resources` so they ship inside the wheel.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from importlib import resources

import pandas as pd

from simsrc.model.params import Param
from simsrc.model.units import FRACTION_UNITS, format_delta_pct, format_value
from simsrc.results.kpis import KPI_INFO, KPI_SHORT_LABELS
from simsrc.ui import charts

__all__ = [
    "CSS",
    "DOWNLOAD_ESM",
    "LINK_ESM",
    "LOWER_IS_BETTER",
    "control_label",
    "css_key",
    "esc",
    "kpi_card",
    "kpi_cards",
    "kpi_rows",
    "kpi_texts",
    "kpi_value",
    "mix_text",
    "read_asset",
    "table_html",
    "unit_text",
]


def read_asset(name: str) -> str:
    """The text of a file in this package's ``assets/`` folder.

    Examples
    --------
    >>> "export default" in read_asset("download.js")
    True
    """
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


CSS = f"\n<style>\n{read_asset('dashboard.css')}</style>\n"
"""The dashboards' style sheet, as the HTML a widget shows (``assets/dashboard.css``)."""

DOWNLOAD_ESM = read_asset("download.js")
"""The download button's front end, an anywidget module (``assets/download.js``)."""

LINK_ESM = read_asset("link.js")
"""The share-link button's front end, an anywidget module (``assets/link.js``)."""

_UNIT_SUFFIX = {
    "customers/month": "per month",
    "months": "months",
    "messages": "messages",
    "contacts": "per customer and month",
}


LOWER_IS_BETTER = frozenset(
    {"total_retention_cost", "cost_per_save", "given_away", "avg_monthly_churn"}
)
"""KPIs whose fall is good news (shown green)."""


def esc(text: object) -> str:
    """Text made safe for HTML, quotes included."""
    return html.escape(str(text), quote=True)


def css_key(key: str) -> str:
    """A control key as part of a CSS class name.

    Examples
    --------
    >>> css_key("save_team.mix.onboarding.discount")
    'save_team-mix-onboarding-discount'
    """
    return re.sub(r"[^a-zA-Z0-9_-]+", "-", key)


def unit_text(row: Param, currency: str) -> str:
    """The unit a control's label shows: %, a currency symbol, or words."""
    if row.is_fraction:
        return "%"
    if row.unit.startswith("currency"):
        symbol = charts.currency_symbol(currency).strip()
        return symbol + ("/month" if row.unit.endswith("/month") else "")
    return _UNIT_SUFFIX.get(row.unit, row.unit)


def control_label(label: str, unit: str = "", hint: str = "") -> str:
    """HTML of a control's label: name, unit and a short hint.

    A unit the name already says is not repeated.

    Examples
    --------
    >>> control_label("New customers per month", "per month")
    'New customers per month'
    >>> control_label("Coverage", "%")
    'Coverage <span class="sx-unit">(%)</span>'
    """
    said = unit.lower() in label.lower()
    return (
        esc(label)
        + (f' <span class="sx-unit">({esc(unit)})</span>' if unit and not said else "")
        + (f' <span class="sx-unit">· {esc(hint)}</span>' if hint else "")
    )


def kpi_texts(
    unit: str, base: float, what_if: float, currency: str, lower_is_better: bool = False
) -> tuple[str, str, str, str]:
    """What a KPI card says: ``(what-if value, change, tone, baseline value)``.

    Values use :func:`simsrc.model.units.format_value` (currency, K/M/B); the change is
    an amount and a percentage, or percentage points for a rate or share (never both).
    The tone is ``good``, ``bad`` or ``flat``.

    Examples
    --------
    >>> kpi_texts("currency", 100.0, 110.0, "USD")
    ('$110', '+$10 · +10%', 'good', '$100')
    >>> kpi_texts("rate", 0.27, 0.2666, "USD")
    ('26.7%', '-0.34 pt', 'bad', '27%')
    """
    delta = what_if - base
    text, tone = "no change", "flat"
    if not (math.isfinite(delta) and math.isfinite(base)):
        text = "—"
    elif delta != 0 and (base == 0 or abs(delta) >= 5e-5 * abs(base)):
        if unit in FRACTION_UNITS:
            text = f"{100 * delta:+.2f} pt"
        else:
            shown = ("+" if delta > 0 else "") + format_value(delta, unit, currency)
            text = shown if base == 0 else f"{shown} · {format_delta_pct(100 * delta / abs(base))}"
        tone = "good" if (delta > 0) != lower_is_better else "bad"
    return (format_value(what_if, unit, currency), text, tone,
            format_value(base, unit, currency))  # fmt: skip


def kpi_card(
    key: str,
    label: str,
    unit: str,
    base: float,
    what_if: float,
    currency: str,
    lower_is_better: bool = False,
) -> str:
    """HTML of one KPI card: what-if value, change against baseline, baseline value.

    The texts are :func:`kpi_texts`; the change is green when it is good news, red when
    it is bad.

    Examples
    --------
    >>> html = kpi_card("npv", "NPV", "currency", 100.0, 110.0, "USD")
    >>> "+$10 · +10%" in html and "sx-good" in html
    True
    """
    value, change, tone, baseline = kpi_texts(unit, base, what_if, currency, lower_is_better)
    return (
        f'<div class="sx-card" data-kpi="{esc(key)}">'
        f'<div class="sx-card-label" title="{esc(label)}">{esc(label)}</div>'
        f'<div class="sx-card-value">{esc(value)}</div>'
        f'<div class="sx-card-delta sx-{tone}">{esc(change)}</div>'
        f'<div class="sx-card-base">Baseline <span class="sx-card-base-value">'
        f"{esc(baseline)}</span></div></div>"
    )


def _labelled(
    keys: Iterable[str], labels: Mapping[str, tuple[str, str]] | None
) -> list[tuple[str, str, str]]:
    """``(key, short label, unit)`` of KPIs, from :data:`KPI_INFO` and ``labels``."""
    info = {**KPI_INFO, **(labels or {})}
    return [(k, KPI_SHORT_LABELS.get(k, info[k][0]), info[k][1]) for k in keys]


def kpi_cards(
    base: Mapping[str, float],
    what_if: Mapping[str, float],
    keys: Iterable[str],
    currency: str,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """HTML of KPI cards for ``keys`` (labels and units from :data:`KPI_INFO`).

    Parameters
    ----------
    base, what_if : mapping
        KPI values of baseline and what-if.
    keys : iterable of str
        The KPIs to show, in order.
    currency : str
        Currency of money values.
    labels : mapping, optional
        ``(label, unit)`` of KPIs that are not in :data:`KPI_INFO`.

    Returns
    -------
    str
        The cards' HTML.
    """
    return "".join(
        kpi_card(k, label, unit, base[k], what_if[k], currency, k in LOWER_IS_BETTER)
        for k, label, unit in _labelled(keys, labels)
    )


def kpi_rows(
    base: Mapping[str, float],
    what_if: Mapping[str, float],
    keys: Iterable[str],
    currency: str,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The KPI cards as a table of the same texts: KPI, Baseline, What-if, Change, tone.

    Examples
    --------
    >>> kpi_rows({"npv": 100.0}, {"npv": 110.0}, ["npv"], "USD").iloc[0].tolist()
    ['NPV', '$100', '$110', '+$10 · +10%', 'good']
    """
    rows = []
    for k, label, unit in _labelled(keys, labels):
        value, change, tone, baseline = kpi_texts(
            unit, base[k], what_if[k], currency, k in LOWER_IS_BETTER
        )
        rows.append((label, baseline, value, change, tone))
    return pd.DataFrame(rows, columns=["KPI", "Baseline", "What-if", "Change", "tone"])


def kpi_value(cards: str, key: str) -> str:
    """The value a KPI card in ``cards`` (HTML) shows, as a person reads it."""
    m = re.search(rf'data-kpi="{re.escape(key)}">.*?class="sx-card-value">(.*?)</div>', cards)
    return html.unescape(m.group(1)) if m else ""


def table_html(table: pd.DataFrame) -> str:
    """HTML of a table of numbers behind a chart (escaped, scrolls when long)."""
    return '<div class="sx-table">' + table.to_html(index=False, escape=True, border=0) + "</div>"


def mix_text(mix: Mapping[str, float]) -> str:
    """An offer mix in words, e.g. ``"Expert help 80%"``.

    Examples
    --------
    >>> mix_text({}), mix_text({"expert_help": 0.8})
    ('no offer', 'Expert help 80%')
    """
    if not mix:
        return "no offer"
    labels = charts.OFFER_LABELS
    return ", ".join(f"{labels[o]} {format_value(v, 'share')}" for o, v in mix.items())
