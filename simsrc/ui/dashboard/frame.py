"""The frame both dashboards share: toolbar, message bar, controls, KPI cards, charts.

:class:`Dashboard` lays out the widgets and wires their callbacks; what is on show
(baseline, what-if, values, results) lives in a :class:`~simsrc.ui.dashboard.state.
WhatIfState`. Every value the browser sends is checked again here (a crafted widget
message can carry any value): bad input shows a message in the dashboard, the control
goes back to the value in use, and the kernel carries on.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd
import traitlets

from simsrc.model.errors import ScenarioError
from simsrc.model.files import MAX_FILE_BYTES
from simsrc.model.presets import list_presets, preset
from simsrc.model.scenario import Scenario
from simsrc.ui import charts
from simsrc.ui.dashboard.board import board_page
from simsrc.ui.dashboard.controls import MixEditor, choice_buttons, group_heading, number_slider
from simsrc.ui.dashboard.download import DownloadButton, FileContent
from simsrc.ui.dashboard.link import ShareLink, link_query, parse_link
from simsrc.ui.dashboard.markup import (
    CSS,
    css_key,
    esc,
    kpi_cards,
    kpi_rows,
    kpi_value,
    table_html,
)
from simsrc.ui.dashboard.state import WhatIfState, read_upload, slug
from simsrc.ui.dashboard.values import (
    change_lines,
    check_control,
    is_factor,
    is_mix,
    readable_error,
)

__all__ = ["CardFigures", "ControlGroup", "Dashboard", "guard"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())  # never print to the page; operators opt in

ControlGroup = tuple[str, str, list[widgets.Widget]]
"""A group of controls in the sidebar: title, hint, widgets."""

CardFigures = tuple[
    Mapping[str, float], Mapping[str, float], Sequence[str], Mapping[str, tuple[str, str]]
]
"""What KPI cards show: baseline KPIs, what-if KPIs, the keys in order, and
``(label, unit)`` of keys that are not in :data:`simsrc.results.kpis.KPI_INFO`."""


def guard(method: Callable[..., None]) -> Callable[..., None]:
    """Run a widget callback so that no error escapes: show it in the dashboard instead."""

    @functools.wraps(method)
    def wrapper(self: Dashboard, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except ScenarioError as exc:
            baseline = getattr(self.state, "baseline", None)
            self.show_error(str(exc) if baseline is None else readable_error(exc, baseline))
        except Exception as exc:  # the kernel must survive whatever the browser sends
            logger.info("dashboard callback failed", exc_info=True)
            self.show_error(f"Something went wrong: {type(exc).__name__}: {exc}")

    return wrapper


class Dashboard(abc.ABC):
    """Shared frame of the dashboards: baseline, controls, what-if, KPI cards, charts.

    Subclasses define :meth:`_groups` (control groups), :meth:`_panels` (charts),
    :meth:`_compute` (what a what-if needs), :meth:`_datasets` (the charts' data) and
    :meth:`_card_kpis` (the KPI cards' figures); :meth:`_why` may add a sentence under
    the cards. The cards, the KPI downloads and the board page all show these figures.

    Parameters
    ----------
    scenario : str or Scenario
        A preset name or a scenario to start from.

    Attributes
    ----------
    state : WhatIfState
        Baseline, what-if, control values and cached results.
    controls : dict
        Control key → widget (the offer-mix sliders are shared by all reasons: see
        :attr:`mix_sliders`).
    """

    title = "simsrc"
    link = ""
    cache_size = 32

    def __init__(self, scenario: str | Scenario = "b2b-saas") -> None:
        charts.enable_offline()
        self._syncing = False
        self.state = WhatIfState(self._compute, self.cache_size)
        self.controls: dict[str, widgets.Widget] = {}
        self.revision = 0
        self.mix = MixEditor(self._on_reason, self._on_mix_slider)
        self.mix_reason = self.mix.reason
        self.mix_sliders = self.mix.sliders
        self.mix_summary = self.mix.summary
        self.chart: charts.LiveChart | None = None
        header = self._build_header()
        self.message = widgets.HTML(layout={"display": "none"})
        self.message.add_class("sx-message")
        body = widgets.HBox([self._build_sidebar(), self._build_main()])
        body.add_class("sx-body")
        self.style = widgets.HTML(CSS)
        self.widget = widgets.VBox([self.style, header, self.message, body])
        self.widget.add_class("sx-app")
        self.widget.add_class("sx-" + re.sub(r"(?<!^)(?=[A-Z])", "-", type(self).__name__).lower())

        self.panels = self._panels()
        self.preset.observe(self._on_preset, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.reset_button.on_click(self._on_reset)
        if isinstance(scenario, Scenario):
            self._set_baseline(scenario, uploaded=True)
        else:
            with self._quiet():
                self.preset.value = scenario
            self._set_baseline(preset(scenario))

    # -- layout ---------------------------------------------------------------------------
    def _build_header(self) -> widgets.HBox:
        self.header_text = widgets.HTML()
        self.preset = widgets.Dropdown(
            options=[(name, name) for name in list_presets()],
            tooltip="Start from a shipped scenario",
            layout={"width": "190px"},
        )
        self.preset.add_class("sx-preset")
        self.upload = widgets.FileUpload(
            accept=".toml,text/plain",
            multiple=False,
            description="Upload scenario",
            tooltip=f"A scenario file (TOML, at most {MAX_FILE_BYTES // 1000:,} KB)",
            icon="",
            layout={"width": "auto"},
        )
        self.upload.add_class("sx-upload")
        self.download_scenario = self._download_button(
            "Download scenario",
            self.scenario_file,
            "The what-if scenario as a TOML file you can edit and upload again",
            "scenario",
        )
        self.download_kpis = self._download_button(
            "Download KPIs (CSV)",
            self.kpis_file,
            "Every KPI of baseline and what-if with its label, unit and change",
            "kpis",
        )
        self.download_results = self._download_button(
            "Download results (CSV)",
            self.results_file,
            "Monthly results of baseline and what-if, one row per scenario and month",
            "results",
        )
        self.download_pdf = self._download_button(
            "Board page (PDF)",
            self.board_pdf_file,
            "The what-if on one page for a board pack: key figures, the changes in "
            "words, revenue and customers, date and preset",
            "pdf",
        )
        self.download_png = self._download_button(
            "Board page (PNG)", self.board_png_file,
            "The board page as a picture for slides", "png")  # fmt: skip
        self.share = ShareLink(self._open_link)
        self.share.add_class("sx-share")
        self.reset_button = widgets.Button(
            description="Reset",
            tooltip="Set every control back to the baseline",
            layout={"width": "auto"},
        )
        self.reset_button.add_class("sx-reset")
        toolbar = widgets.HBox(
            [self.preset, self.upload, self.download_scenario, self.download_kpis,
             self.download_results, self.download_pdf, self.download_png, self.share,
             self.reset_button]
        )  # fmt: skip
        toolbar.add_class("sx-toolbar")
        header = widgets.HBox([self.header_text, toolbar])
        header.add_class("sx-header")
        return header

    def _download_button(
        self, label: str, make: Callable[[], FileContent], hint: str, name: str
    ) -> DownloadButton:
        button = DownloadButton(label, make, hint, self._download_failed)
        button.add_class(f"sx-download-{name}")
        return button

    def _download_failed(self, exc: Exception) -> None:
        logger.info("download failed", exc_info=exc)
        text = readable_error(exc, self.baseline) if isinstance(exc, ScenarioError) else (
            f"{type(exc).__name__}: {exc}")  # fmt: skip
        self.show_error(f"The file could not be made: {text}")

    def _build_sidebar(self) -> widgets.VBox:
        self.sidebar = widgets.VBox()
        self.sidebar.add_class("sx-sidebar")
        return self.sidebar

    def _build_main(self) -> widgets.VBox:
        self.cards = widgets.HTML()
        self.cards.add_class("sx-kpis")
        legend = widgets.HTML(
            '<div class="sx-legend">Cards show the <b>what-if</b>, its change against the '
            "baseline, and the baseline. In the charts:"
            f'<span class="sx-swatch" style="background:{charts.SCENARIO_COLORS[0]}"></span>'
            f'baseline<span class="sx-swatch" style="background:{charts.SCENARIO_COLORS[1]}">'
            "</span>what-if</div>"
        )
        self.chart_box = widgets.VBox()
        self.chart_box.add_class("sx-chart-card")
        self.numbers_choice = widgets.ToggleButtons(
            description="Numbers behind the charts",
            style={"description_width": "initial", "button_width": "auto"},
            tooltip="Read a chart as a table",
        )
        self.numbers_choice.add_class("sx-numbers-choice")
        self.numbers_choice.observe(self._on_numbers, names="value")
        self.numbers = widgets.HTML()
        self.numbers.add_class("sx-numbers")
        numbers = widgets.VBox([self.numbers_choice, self.numbers])
        numbers.add_class("sx-numbers-card")
        main = widgets.VBox([self.cards, legend, *self._extra_main(), self.chart_box, numbers])
        main.add_class("sx-main")
        return main

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Change widgets from here without their callbacks acting on the change."""
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    # -- display --------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- hooks for subclasses -------------------------------------------------------------
    @abc.abstractmethod
    def _groups(self) -> list[ControlGroup]:
        """Supplied by each dashboard."""

    @abc.abstractmethod
    def _panels(self) -> list[charts.Panel]:
        """Supplied by each dashboard."""

    @abc.abstractmethod
    def _datasets(self) -> dict[str, pd.DataFrame]:
        """Supplied by each dashboard."""

    @abc.abstractmethod
    def _compute(self, s: Scenario) -> Any:
        """Supplied by each dashboard."""

    @abc.abstractmethod
    def _card_kpis(self, base: Any, what_if: Any) -> CardFigures:
        """Supplied by each dashboard: what its KPI cards show."""

    def _why(self, base: Any, what_if: Any) -> str:
        """A plain sentence under the cards on why the effect is what it is (or none)."""
        return ""

    def _extra_main(self) -> list[widgets.Widget]:
        return []

    # -- what is on show ------------------------------------------------------------------
    @property
    def baseline(self) -> Scenario:
        """The scenario the controls start from."""
        return self.state.baseline

    @property
    def what_if(self) -> Scenario:
        """The baseline with the controls' values applied."""
        return self.state.what_if

    @property
    def baseline_result(self) -> Any:
        """What :meth:`_compute` returned for the baseline."""
        return self.state.baseline_result

    @property
    def what_if_result(self) -> Any:
        """What :meth:`_compute` returned for the what-if."""
        return self.state.what_if_result

    @property
    def values(self) -> dict[str, Any]:
        """Control key → value in use (parameter paths, choice paths, ``churn.<cause>``)."""
        return self.state.values

    @property
    def baseline_values(self) -> dict[str, Any]:
        """Control key → the baseline's value."""
        return self.state.baseline_values

    @property
    def currency(self) -> str:
        """The baseline's currency."""
        return self.baseline.currency

    def result(self, s: Scenario) -> Any:
        """What the dashboard shows for a scenario, computed once and cached (LRU)."""
        return self.state.result(s)

    # -- messages -------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """Show a problem in the message bar (never a traceback)."""
        self.message.value = f'<div class="sx-alert" role="alert">⚠ {esc(text)}</div>'
        self.message.layout.display = None

    def show_note(self, text: str) -> None:
        """Show a neutral note in the message bar."""
        self.message.value = f'<div class="sx-note" role="status">{esc(text)}</div>'
        self.message.layout.display = None

    def clear_message(self) -> None:
        """Hide the message bar."""
        if self.message.value:
            self.message.value = ""
            self.message.layout.display = "none"

    # -- controls -------------------------------------------------------------------------
    def _set_baseline(self, s: Scenario, uploaded: bool = False) -> None:
        self.preset_name = None if uploaded else str(self.preset.value)
        self.state.start(s)
        self._build_controls()
        self.state.reset()
        desc = f" — {esc(s.description)}" if s.description else ""
        origin = "uploaded file" if uploaded else "preset"
        self.header_text.value = (
            f'<div class="sx-title">{esc(self.title)}</div>'
            f'<div class="sx-subtitle">Baseline: <b>{esc(s.name)}</b> ({origin}){desc} '
            f"· {s.horizon_months} months · {esc(s.currency)}{self.link}</div>"
        )
        self._refresh()

    def _build_controls(self) -> None:
        self.controls = {}
        children: list[widgets.Widget] = []
        for i, (title, hint, items) in enumerate(self._groups()):
            children += [group_heading(title, hint, first=i == 0), *items]
        self.sidebar.children = children

    def number_control(self, key: str, label: str | None = None, hint: str = "") -> widgets.Widget:
        """A slider for a numeric control, from its parameter-table row.

        Label, unit, bounds (see :func:`simsrc.ui.sliders.slider_range`), step and tooltip
        (help text) all come from :data:`simsrc.PARAMETERS`.
        """
        value = self.state.baseline_value(key)
        return self._register(key, number_slider(key, value, self.currency, label, hint))

    def choice_control(self, key: str) -> widgets.Widget:
        """Toggle buttons for a non-numeric control (on/off, style, channel)."""
        return self._register(key, choice_buttons(key, self.state.baseline_value(key)))

    def _register(self, key: str, w: widgets.Widget) -> widgets.Widget:
        self.controls[key] = w
        self.state.add_control(key, w.value)
        w.add_class("sx-input")
        w.add_class(f"sx-control-{css_key(key)}")
        w.observe(functools.partial(self._on_control, key), names="value")
        return w

    def mix_editor(self) -> list[widgets.Widget]:
        """Reason chooser, one slider per offer for that reason, and what is left unoffered.

        The six sliders are shared by all reasons: choosing a reason shows its shares.
        """
        s = self.baseline
        reasons = [(c.label, c.name) for c in s.causes if c.voluntary]
        for k, c in enumerate(s.causes):
            if c.voluntary:
                for o, offer in enumerate(self.mix_sliders):
                    self.state.add_control(
                        f"save_team.mix.{c.name}.{offer}", float(s.save_team.mix[k][o])
                    )
        busiest = max(reasons, key=lambda r: sum(s.save_team.mix[s.cause_names.index(r[1])]))
        with self._quiet():
            self.mix_reason.options = reasons
            self.mix_reason.value = busiest[1]
        self._show_reason()
        return self.mix.children

    def _show_reason(self) -> None:
        with self._quiet():
            self.mix.show(self.baseline, self.values)
        self.mix.summarize(self.values)

    # -- callbacks ------------------------------------------------------------------------
    def _on_control(self, key: str, change: Mapping[str, Any]) -> None:
        if not self._syncing:
            self._apply(key, change["new"])

    def _on_mix_slider(self, offer: str, change: Mapping[str, Any]) -> None:
        if not self._syncing:
            self._apply(f"save_team.mix.{self.mix_reason.value}.{offer}", change["new"])

    @guard
    def _on_reason(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        if change["new"] not in self.baseline.cause_names:
            raise ScenarioError("reason", f"unknown reason {change['new']!r}")
        self._show_reason()

    @guard
    def _apply(self, key: str, raw: object) -> None:
        try:
            checked, what_if = self.state.try_values({key: raw})
        except ScenarioError:
            self._show_value(key, self.values[key])  # back to the value in use
            raise
        value = checked[key]
        if value != raw:
            self._show_value(key, value)
        self.state.use(checked, what_if)
        self._show_what_if()

    def _widget_for(self, key: str) -> widgets.Widget | None:
        if is_mix(key):
            cause, offer = key.split(".")[2:4]
            return self.mix_sliders[offer] if cause == self.mix_reason.value else None
        return self.controls.get(key)

    def _show_value(self, key: str, value: Any) -> None:
        w = self._widget_for(key)
        if w is None:
            return
        with self._quiet():
            if isinstance(w, widgets.FloatSlider | widgets.IntSlider):
                w.max = max(w.max, value)
                w.min = min(w.min, value)
            w.value = value

    def set_control(self, key: str, value: Any) -> None:
        """Set a control as a person would; errors go to the message bar.

        For an offer-mix share (``save_team.mix.<cause>.<offer>``) the reason is chosen
        first, as a person would.
        """
        if is_mix(key):
            cause = key.split(".")[2]
            if self.mix_reason.value != cause:
                self.mix_reason.value = cause
        w = self._widget_for(key)
        if w is None:
            raise KeyError(key)
        if w.value == value:
            self._apply(key, value)
            return
        try:
            w.value = value
        except traitlets.TraitError as exc:
            self.show_error(f"{key}: {exc}")

    @guard
    def set_controls(self, values: Mapping[str, Any]) -> None:
        """Set several controls at once and recompute the what-if once.

        Errors go to the message bar.
        """
        checked, what_if = self.state.try_values(values)
        self.state.values.update(checked)
        for k, v in checked.items():
            self._show_value(k, v)
        self.state.show(what_if)
        self._show_what_if()

    def _show_what_if(self) -> None:
        self.clear_message()
        self._refresh()

    @guard
    def _open_link(self, query: str) -> None:
        """Restore the what-if of the link the page was opened with (what can be read)."""
        name, values, problems = parse_link(query)
        if name is not None and name != self.preset_name:
            if name not in list_presets():
                raise ScenarioError("link", f"unknown preset {name[:40]!r}; showing this one")
            with self._quiet():
                self.preset.value = name
            self._set_baseline(preset(name))
        known = {k: v for k, v in values.items() if k in self.baseline_values}
        problems += [ScenarioError(k, "not on this dashboard") for k in values.keys() - known]
        if known:
            self.set_controls(known)
        if problems:
            said = [readable_error(p, self.baseline) for p in problems]
            self.show_note("This link's what-if was restored except: " + "; ".join(said))

    @guard
    def _on_preset(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        name = change["new"]
        moved = self._moved()
        if name in self.state.uploads:
            self._set_baseline(self.state.uploads[name], uploaded=True)
        elif name in list_presets():
            self._set_baseline(preset(name))
        else:
            raise ScenarioError("preset", f"unknown preset {name!r}")
        self.clear_message()
        if moved:
            self._carry_over(moved, name)

    def _moved(self) -> dict[str, tuple[Any, Any]]:
        """The controls the what-if has moved: key → (baseline value, value)."""
        base = self.baseline_values
        return {k: (base[k], v) for k, v in self.values.items() if k in base and base[k] != v}

    def _carry_over(self, moved: Mapping[str, tuple[Any, Any]], name: str) -> None:
        """Apply a what-if to the new baseline as relative changes, and say so.

        A number moves by the same factor (a multiplier is one already; a number
        moved away from zero keeps its value); a choice keeps its word. What the new
        baseline cannot take is left at its value and named.
        """
        carried: dict[str, Any] = {}
        for key, (old, value) in moved.items():
            if key not in self.baseline_values:
                continue
            new = self.baseline_values[key]
            if isinstance(value, bool | str) or is_factor(key) or not old:
                carried[key] = value
            else:
                carried[key] = new * (value / old)
        kept, problems = {}, []
        for key, value in carried.items():
            try:
                kept[key] = check_control(key, value)
            except ScenarioError as exc:
                problems.append(readable_error(exc, self.baseline))
        if kept:
            self.set_controls(kept)
        text = f"Your what-if was carried over to {name} as relative changes"
        if problems:
            text += "; not carried: " + "; ".join(problems)
        self.show_note(text + ". Reset starts from its own settings.")

    @guard
    def _on_upload(self, change: Mapping[str, Any]) -> None:
        if self._syncing or not change["new"]:
            return
        try:
            files = change["new"]
            if not isinstance(files, Sequence) or len(files) != 1:
                raise ScenarioError("upload", "choose one scenario file")
            self.load_file(files[0])
        finally:
            with self._quiet():
                self.upload.value = ()

    def load_file(self, file: object) -> None:
        """Make an uploaded scenario file the baseline (checked like any scenario file).

        Parameters
        ----------
        file : mapping
            An entry of ``FileUpload.value``: ``name`` and ``content`` (bytes).

        Raises
        ------
        ScenarioError
            If the file is too large, not UTF-8 text, not TOML or not a valid scenario.
        """
        name, s = read_upload(file)
        key = f"upload:{name}"
        self.state.uploads[key] = s
        options = [o for o in self.preset.options if o[1] != key]
        with self._quiet():
            self.preset.options = [*options, (f"{name} (uploaded)", key)]
            self.preset.value = key
        self._set_baseline(s, uploaded=True)
        self.show_note(f"Loaded {name}: it is now the baseline, and the what-if starts from it.")

    @guard
    def load_text(self, text: str, name: str = "scenario.toml") -> None:
        """Upload scenario text as if it were a file; errors go to the message bar."""
        self.load_file({"name": name, "content": text.encode("utf-8")})

    @guard
    def _on_reset(self, _: object = None) -> None:
        self.reset()

    def reset(self) -> None:
        """Set every control back to the baseline's value."""
        with self._quiet():
            for key, w in self.controls.items():
                w.value = self.baseline_values[key]
        self.state.reset()
        if self.mix_reason.value is not None:
            self._show_reason()
        self._show_what_if()

    # -- files ----------------------------------------------------------------------------
    def scenario_file(self) -> tuple[str, str, str]:
        """The what-if scenario as a TOML file: ``(filename, mime type, text)``."""
        return self.state.scenario_file()

    def results_file(self) -> tuple[str, str, str]:
        """Monthly results of baseline and what-if as CSV: ``(filename, mime, text)``."""
        return self.state.results_file()

    def kpis_file(self) -> tuple[str, str, str]:
        """Every KPI of baseline and what-if, labelled, as CSV: ``(filename, mime, text)``."""
        return self.state.kpis_file()

    def board_page(self, today: dt.date | None = None) -> Any:
        """The what-if on one page: the cards as a table, the changes, two charts."""
        base, what_if = self.baseline_result, self.what_if_result
        b, w, keys, labels = self._card_kpis(base, what_if)
        return board_page(
            self.baseline, self.preset_name, (base.result, what_if.result),
            kpi_rows(b, w, keys, self.currency, labels),
            change_lines(self._moved(), self.baseline, self.currency),
            self._why(base, what_if), today,
        )  # fmt: skip

    def board_pdf_file(self) -> tuple[str, str, bytes]:
        """The board page as a one-page PDF: ``(filename, mime type, bytes)``."""
        return (f"{slug(self.baseline.name)}-board.pdf", "application/pdf",
                charts.board_pdf(self.board_page()))  # fmt: skip

    def board_png_file(self) -> tuple[str, str, bytes]:
        """The board page as a PNG: ``(filename, mime type, bytes)``."""
        return (f"{slug(self.baseline.name)}-board.png", "image/png",
                charts.board_png(self.board_page()))  # fmt: skip

    # -- views ----------------------------------------------------------------------------
    def _refresh(self) -> None:
        self.revision += 1
        self.cards.value = (
            f'<div class="sx-cards" data-revision="{self.revision}">' + self._cards() + "</div>"
        )
        self.datasets = self._datasets()
        if self.chart is None:
            self.chart = charts.LiveChart(self._draw, self.datasets, self.currency, "sx-chart")
            self.chart_box.children = [self.chart.widget]
            self.numbers_choice.options = [("Hide", ""), *((p.title, p.key) for p in self.panels)]
        else:
            self.chart.update(self.datasets, self.currency)
        self._fill_numbers()
        self.mix.summarize(self.values)
        self.share.query = link_query(self.preset_name, self.values, self.baseline_values)

    def _draw(self, datasets: Mapping[str, pd.DataFrame], currency: str) -> Any:
        return charts.grid(self.panels, datasets, currency)

    def table(self, key: str) -> pd.DataFrame:
        """The numbers behind one chart, as the dashboard shows them."""
        p = next(p for p in self.panels if p.key == key)
        return p.table(self.datasets[p.dataset], self.currency)

    def _fill_numbers(self) -> None:
        key = self.numbers_choice.value
        if not key:
            self.numbers.value = ""
            return
        title = next(p.title for p in self.panels if p.key == key)
        self.numbers.value = f'<div class="sx-table-title">{esc(title)}</div>' + table_html(
            self.table(key)
        )

    @guard
    def _on_numbers(self, change: Mapping[str, Any]) -> None:
        if change["new"] not in {"", *(p.key for p in self.panels)}:
            raise ScenarioError("numbers", f"unknown chart {change['new']!r}")
        self._fill_numbers()

    def _cards(self) -> str:
        base, what_if = self.baseline_result, self.what_if_result
        b, w, keys, labels = self._card_kpis(base, what_if)
        why = self._why(base, what_if)
        return kpi_cards(b, w, keys, self.currency, labels) + (
            f'<div class="sx-why">{esc(why)}</div>' if why else ""
        )

    def kpi_text(self, key: str) -> str:
        """The what-if value a KPI card shows (what a person reads)."""
        return kpi_value(self.cards.value, key)
