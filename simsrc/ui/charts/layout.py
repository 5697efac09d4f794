"""One chart per dashboard: views side by side, titles above, explanations under."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from simsrc.ui.charts.style import WIDTH, configure, records

View = Callable[[pd.DataFrame, str], Any]


@dataclasses.dataclass(frozen=True)
class Panel:
    """One chart of a dashboard: a view, its dataset, title and plain-language text.

    Parameters
    ----------
    key : str
        Name of the view (Vega names its marks ``<key>_marks``).
    dataset : str
        Name of the dataset the view reads.
    title, text : str
        Shown above and under the view.
    view : callable
        ``view(data, currency)``, e.g. :func:`.revenue_view`.
    table : callable
        ``table(data, currency)``, e.g. :func:`.revenue_table`.
    """

    key: str
    dataset: str
    title: str
    text: str
    view: View
    table: Callable[[pd.DataFrame, str], pd.DataFrame]


def _text_view(text: str, width: int) -> alt.Chart:
    lines = textwrap.wrap(text, width=int(width / 6.1))
    return (
        alt.Chart(alt.Data(values=[{"i": i, "line": s} for i, s in enumerate(lines)]))
        .mark_text(align="left", baseline="top", fontSize=12, color="#475569", lineHeight=16)
        .encode(x=alt.value(0), y=alt.Y("i:O", axis=None), text="line:N")
        .properties(width=width, height=16 * len(lines), view=alt.ViewConfig(stroke=None))
    )


def _independent(chart: Any) -> Any:
    """Each view keeps its own colours, dashes and offsets (scenarios, causes, offers)."""
    return chart.resolve_scale(
        color="independent", opacity="independent", strokeDash="independent",
        xOffset="independent",
    ).resolve_legend(color="independent", opacity="independent")  # fmt: skip


def grid(
    panels: Sequence[Panel],
    datasets: Mapping[str, pd.DataFrame],
    currency: str = "USD",
    columns: int = 2,
) -> Any:
    """Compose a dashboard's views into one chart: titles above, explanations under.

    One chart means one JupyterChart and one copy of its ~880 KB JavaScript bundle per
    dashboard; all views read named datasets, so new rows reach every view in place.

    Parameters
    ----------
    panels : sequence of Panel
        The views, in reading order (left to right, top to bottom).
    datasets : mapping of str to DataFrame
        Rows of every dataset the views read.
    currency : str
        Currency for money axes.
    columns : int
        Views per row.

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.ui import charts
    >>> base = simsrc.simulate(simsrc.preset("b2b-saas"))
    >>> p = Panel("revenue", "monthly", "Revenue", "What customers pay.",
    ...           charts.revenue_view, charts.revenue_table)
    >>> spec = grid([p], {"monthly": charts.monthly_data(base, base)}).to_dict()
    >>> spec["vconcat"][0]["hconcat"][0]["vconcat"][0]["name"], len(spec["datasets"])
    ('revenue', 1)
    """
    cells = []
    for p in panels:
        # Vega names a view's marks "<key>_marks" (a layered view's: "<key>_layer_<i>_marks")
        view = p.view(datasets[p.dataset], currency).properties(
            name=p.key,
            title=alt.TitleParams(p.title, anchor="start", fontSize=15, fontWeight=600,
                                  offset=12, color="#0f172a"),
        )  # fmt: skip
        text = _text_view(p.text, WIDTH + 40)
        cells.append(_independent(alt.vconcat(view, text, spacing=10)))
    rows = [
        _independent(alt.hconcat(*cells[i : i + columns], spacing=44))
        for i in range(0, len(cells), columns)
    ]
    chart = _independent(alt.vconcat(*rows, spacing=34))
    chart = chart.properties(
        datasets={name: records(df) for name, df in datasets.items()},
        padding={"left": 8, "right": 8, "top": 8, "bottom": 8},
    )
    return configure(chart)
