"""A dashboard chart whose rows are replaced in place when the scenario changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import altair as alt
import pandas as pd

from simsrc.ui.charts.offline import enable_offline
from simsrc.ui.charts.style import records

Build = Callable[[Mapping[str, pd.DataFrame], str], Any]


def _layout_key(datasets: Mapping[str, pd.DataFrame], currency: str) -> tuple[Any, ...]:
    """What a chart's specification depends on besides its rows: currency, categories."""
    key: list[Any] = [currency]
    for name, data in datasets.items():
        text = [c for c in data.columns if data[c].dtype.kind not in "biufc"]
        key.append((name, tuple(data.columns), tuple(tuple(pd.unique(data[c])) for c in text)))
    return tuple(key)


class LiveChart:
    """An :class:`altair.JupyterChart` whose datasets can be replaced in place.

    :meth:`update` sends only the rows of datasets that changed; the browser swaps them
    into the live Vega view and redraws (scales follow the data), without re-embedding
    the chart. The chart is drawn and sent whole only when something besides its rows
    changes: the currency, or the categories (causes, levers, offers) that colours and
    order depend on. The kernel-side specification is kept in step, so a view created
    later shows the latest rows too.

    Parameters
    ----------
    build : callable
        ``build(datasets, currency)`` returning the chart (e.g. a :func:`.grid`).
    datasets : mapping of str to DataFrame
        First rows of every dataset.
    currency : str
        Currency for money axes.
    css_class : str, optional
        Class added to the widget's element (for styling and browser tests).
    """

    def __init__(
        self,
        build: Build,
        datasets: Mapping[str, pd.DataFrame],
        currency: str = "USD",
        css_class: str | None = None,
    ) -> None:
        enable_offline()
        self.build = build
        self.datasets = dict(datasets)
        self.currency = currency
        chart = build(self.datasets, currency)
        self._spec: dict[str, Any] = chart.to_dict()
        self._key = _layout_key(self.datasets, currency)
        self.widget = alt.JupyterChart(chart, embed_options={"actions": False})
        if css_class:
            self.widget.add_class(css_class)
        self.redraws = 0
        self.data_updates = 0

    @property
    def spec(self) -> dict[str, Any]:
        """The chart's current Vega-Lite specification, rows included."""
        return self._spec

    def update(self, datasets: Mapping[str, pd.DataFrame], currency: str | None = None) -> None:
        """Show new rows (and, if given, another currency)."""
        self.datasets = dict(datasets)
        self.currency = currency or self.currency
        key = _layout_key(self.datasets, self.currency)
        if key != self._key or not IN_PLACE:
            chart = self.build(self.datasets, self.currency)
            self._spec = chart.to_dict()
            self._key = key
            self.redraws += 1
            self.widget.chart = chart
            return
        updates = []
        for name, df in self.datasets.items():
            rows = records(df)
            if rows != self._spec["datasets"].get(name):
                self._spec["datasets"][name] = rows
                updates.append({"namespace": "data", "name": name, "scope": [], "value": rows})
        if not updates:
            return
        current = self.widget.spec
        if isinstance(current, dict):  # in step without a re-send (no trait event)
            current["datasets"].update(self._spec["datasets"])
        self.data_updates += 1
        # JupyterChart's front end applies "data" updates to the live Vega view (the path
        # Altair uses for VegaFusion): no re-embedding, several times cheaper.
        self.widget._py_to_js_updates = updates


IN_PLACE = hasattr(alt.JupyterChart, "_py_to_js_updates")
"""Whether this Altair's JupyterChart takes data updates in place (tested)."""
