"""The board page of a dashboard's what-if: its texts, and the PDF and PNG files.

The page shows what the dashboard shows, in the same words: the KPI cards as a table
(:func:`~simsrc.ui.dashboard.markup.kpi_rows`), the moved controls as sentences
(:func:`~simsrc.ui.dashboard.values.change_lines`), the sentence under the cards, and
the revenue and customer charts; :func:`simsrc.ui.charts.board_chart` lays it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import pandas as pd

from simsrc.model.scenario import Scenario
from simsrc.results.expected import Result
from simsrc.ui import charts

__all__ = ["board_page", "board_subtitle"]


def board_subtitle(baseline: Scenario, preset_name: str | None, today: dt.date) -> list[str]:
    """The lines under the page title: where the baseline came from, horizon, date.

    Examples
    --------
    >>> import simsrc
    >>> board_subtitle(simsrc.preset("b2b-saas"), "b2b-saas", dt.date(2026, 12, 6))[0]
    'Baseline: preset b2b-saas · 60-month horizon · NPV discounted at 10% a year'
    """
    origin = f"preset {preset_name}" if preset_name else "uploaded scenario"
    return [
        f"Baseline: {origin} · {baseline.horizon_months}-month horizon · NPV discounted at "
        f"{100 * baseline.annual_discount_rate:g}% a year",
        f"Expected values from simsrc {version('simsrc')} · {today:%-d %B %Y}",
    ]


def board_page(
    baseline: Scenario,
    preset_name: str | None,
    results: tuple[Result, Result],
    table: pd.DataFrame,
    changes: Sequence[str],
    why: str = "",
    today: dt.date | None = None,
) -> Any:
    """The one-page summary of baseline against what-if, as one chart.

    Parameters
    ----------
    baseline : Scenario
        The scenario the what-if starts from (title, horizon, discount rate).
    preset_name : str or None
        The preset it is, or ``None`` for an uploaded scenario.
    results : tuple of Result
        Baseline and what-if results (their monthly revenue and customers are drawn).
    table : pandas.DataFrame
        The KPI cards as texts (:func:`~simsrc.ui.dashboard.markup.kpi_rows`).
    changes : sequence of str
        The what-if's changes in words.
    why : str
        The sentence under the cards, plain text.
    today : datetime.date, optional
        The date printed on the page (default: today).

    Returns
    -------
    altair.VConcatChart
        For :func:`simsrc.ui.charts.board_pdf` and :func:`simsrc.ui.charts.board_png`.
    """
    monthly = charts.monthly_data(*results)
    return charts.board_chart(
        f"{baseline.name}: what-if against baseline",
        board_subtitle(baseline, preset_name, today or dt.date.today()),
        table,
        changes,
        why,
        monthly,
        baseline.currency,
    )
