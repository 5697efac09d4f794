"""The dashboards' controls: sliders and toggle buttons built from the parameter table.

Numbers get a slider from their :data:`simsrc.PARAMETERS` row
(:func:`simsrc.ui.sliders.param_slider`: label, unit, bounds, step, help text as a
tooltip); choices get toggle buttons whose values come from the scenario's type hints
(:func:`simsrc.ui.dashboard.values.choice_options`). The offer mix has its own editor,
:class:`MixEditor`: one slider per offer, shared by all reasons.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from simsrc.model.errors import ScenarioError
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.params import PARAMETERS
from simsrc.model.scenario import Scenario
from simsrc.model.units import format_value
from simsrc.ui import charts
from simsrc.ui.dashboard.markup import control_label, esc, unit_text
from simsrc.ui.dashboard.values import CHOICES, choice_options, control_param
from simsrc.ui.sliders import param_slider

__all__ = ["MixEditor", "choice_buttons", "group_heading", "number_slider"]


def number_slider(
    key: str, value: float, currency: str, label: str | None = None, hint: str = ""
) -> widgets.IntSlider | widgets.FloatSlider:
    """A slider for a numeric control, from its parameter-table row.

    Parameters
    ----------
    key : str
        Control key: a parameter path or ``"churn.<cause>"``.
    value : float
        The baseline's value.
    currency : str
        Currency shown as the unit of money parameters.
    label : str, optional
        Label (default: the row's label).
    hint : str
        A short note after the unit.

    Returns
    -------
    IntSlider or FloatSlider

    Raises
    ------
    ScenarioError
        If ``key`` has no row in the parameter table.

    Examples
    --------
    >>> w = number_slider("save_team.coverage", 0.5, "USD")
    >>> w.description
    'Save-team coverage <span class="sx-unit">(%)</span>'
    """
    row = control_param(key)
    if row is None:
        raise ScenarioError(key, "has no row in the parameter table")
    text = control_label(label or row.label, unit_text(row, currency), hint)
    return param_slider(row, value, text, allow_html=True)


def choice_buttons(key: str, value: Any) -> widgets.ToggleButtons:
    """Toggle buttons for a non-numeric control (on/off, style, channel).

    Examples
    --------
    >>> w = choice_buttons("dunning.style", "help_first")
    >>> w.options, w.value
    ((('Pay up', 'pay_up'), ('Help first', 'help_first')), 'help_first')
    """
    label, help_text = CHOICES[key]
    return widgets.ToggleButtons(
        options=[(text, word) for word, text in choice_options(key).items()],
        value=value,
        description=esc(label),
        description_allow_html=True,
        tooltip=help_text,
        style={"description_width": "initial", "button_width": "auto"},
    )


def group_heading(title: str, hint: str, first: bool) -> widgets.HTML:
    """The title (and hint) over a group of controls in the sidebar."""
    head = widgets.HTML(
        f'<div class="sx-group-title{" sx-first" if first else ""}">{esc(title)}</div>'
        + (f'<div class="sx-group-hint">{esc(hint)}</div>' if hint else "")
    )
    head.add_class("sx-group")
    return head


class MixEditor:
    """Reason chooser, one slider per offer for that reason, and what is left unoffered.

    The six sliders are shared by all reasons: choosing a reason shows its shares.

    Parameters
    ----------
    on_reason : callable
        Observer of the reason chooser's value.
    on_share : callable
        ``on_share(offer, change)``: observer of an offer's slider.

    Attributes
    ----------
    reason : Dropdown
        The reason chooser (cause names as values).
    sliders : dict
        Offer name → slider.
    summary : HTML
        What share of the reason's requests get an offer.
    """

    def __init__(
        self,
        on_reason: Callable[[Mapping[str, Any]], None],
        on_share: Callable[[str, Mapping[str, Any]], None],
    ) -> None:
        self.reason = widgets.Dropdown(
            description="Reason", tooltip="The reason customers give when asking to leave"
        )
        self.reason.add_class("sx-input")
        self.reason.add_class("sx-mix-reason")
        self.reason.observe(on_reason, names="value")
        row = PARAMETERS["save_team.mix.*.*"]
        self.sliders: dict[str, widgets.FloatSlider] = {}
        for offer in OFFER_NAMES:
            w = param_slider(row, 0.0, charts.OFFER_LABELS[offer], allow_html=True)
            w.add_class("sx-input")
            w.add_class(f"sx-mix-{offer}")
            w.observe(functools.partial(on_share, offer), names="value")
            self.sliders[offer] = w
        self.summary = widgets.HTML()

    @property
    def children(self) -> list[widgets.Widget]:
        """The editor's widgets, top to bottom."""
        return [self.reason, *self.sliders.values(), self.summary]

    def show(self, s: Scenario, values: Mapping[str, float]) -> None:
        """Show the chosen reason's shares in ``values``, with each offer's acceptance."""
        cause = self.reason.value
        k = s.cause_names.index(cause)
        for offer, w in self.sliders.items():
            accept = s.save_team.offer(offer).acceptance[k]
            w.description = control_label(
                charts.OFFER_LABELS[offer], "%", f"accepted by {format_value(accept, 'share')}"
            )
            w.value = values[f"save_team.mix.{cause}.{offer}"]

    def summarize(self, values: Mapping[str, float]) -> None:
        """Say what share of the chosen reason's requests get an offer, and none."""
        cause = self.reason.value
        if cause is None or f"save_team.mix.{cause}.discount" not in values:
            self.summary.value = ""
            return
        offered = round(sum(values[f"save_team.mix.{cause}.{o}"] for o in OFFER_NAMES), 9)
        self.summary.value = (
            f'<div class="sx-mix-summary">{format_value(offered, "share")} of the requests '
            "for this reason that reach the save team get an offer (at most 100%); "
            f"{format_value(max(0.0, 1 - offered), 'share')} get none.</div>"
        )
