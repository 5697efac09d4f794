"""Widgets for the lesson notebooks (UI glue: with the dashboards, the only ipywidgets users).

Sliders are built from the declarative parameter table (label, unit, bounds, step and
help text come from :data:`simsrc.PARAMETERS`), and every value a widget sends is
checked against it before the model sees it. Charts come from :mod:`simsrc.ui.charts`.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from simsrc.analysis import answers, lessons
from simsrc.model.errors import ScenarioError
from simsrc.model.params import PARAMETERS
from simsrc.model.scenario import simple_scenario
from simsrc.results.simulate import simulate
from simsrc.ui import charts
from simsrc.ui.format import NO_MATH
from simsrc.ui.sliders import param_slider

SLIDER_WIDTH = "430px"
"""Width of every lesson slider (label, track and readout)."""

LABEL_WIDTH = "190px"
"""Width of a lesson slider's label."""


def slider(
    path: str, value: float, *, description: str | None = None
) -> widgets.IntSlider | widgets.FloatSlider:
    """A slider for a parameter, with label, bounds, step and tooltip from the table.

    The range and readout follow the dashboards' rule
    (:func:`simsrc.ui.sliders.param_slider`).

    Parameters
    ----------
    path : str
        Concrete parameter path, e.g. ``"acquisition.new_per_month"``.
    value : float
        Starting value.
    description : str, optional
        Label (default: the parameter's label).

    Examples
    --------
    >>> s = slider("acquisition.new_per_month", 100.0)
    >>> (s.min, s.description)
    (0.0, 'New customers per month')
    """
    w = param_slider(PARAMETERS[path], value, description)
    w.add_class("simsrc-slider")
    # every lesson slider the same size, labels in one column, so a row of them lines up
    w.layout = widgets.Layout(width=SLIDER_WIDTH)
    w.style.description_width = LABEL_WIDTH
    return w


def checked(path: str, value: object) -> float:
    """A value from a widget, re-validated against the parameter table.

    A crafted widget message can carry any value; this raises :class:`ScenarioError` with
    the field and allowed range instead of letting it reach the model.
    """
    return PARAMETERS[path].check(value, path)


def answer(title: str, worked: Callable[[], str]) -> widgets.VBox:
    """An exercise answer hidden behind a button; its numbers are computed on demand.

    Examples
    --------
    >>> box = answer("Two plus two", lambda: f"{2 + 2}")
    >>> box.children[0].description
    'Show answer: Two plus two'
    """
    out = widgets.HTML()
    button = widgets.Button(description=f"Show answer: {title}", layout={"width": "auto"})

    def toggle(_: object) -> None:
        if out.value:
            out.value = ""
            button.description = f"Show answer: {title}"
        else:
            out.value = f"<div class='simsrc-answer {NO_MATH}'>{worked()}</div>"
            button.description = f"Hide answer: {title}"

    button.on_click(toggle)
    return widgets.VBox([button, out])


def exercise(lesson: int, number: int) -> widgets.VBox:
    """Exercise ``number`` of ``lesson``: a button that reveals its worked answer.

    The answer is computed by :mod:`simsrc.analysis.answers` when revealed, so the
    lesson's cell shows only this call, never the answer.

    Examples
    --------
    >>> exercise(1, 2).children[0].description
    'Show answer: Acquisition or churn?'
    """
    return answer(answers.answer_title(lesson, number), lambda: answers.answer(lesson, number))


def _with_message(update: Callable[[], None], message: widgets.HTML) -> None:
    try:
        update()
        message.value = ""
    except ScenarioError as exc:
        message.value = f"<span style='color:#b00020'>{exc}</span>"


def leaky_bucket_widget(new_per_month: float = 100.0, monthly_churn: float = 0.05) -> widgets.VBox:
    """Acquisition and churn sliders over the leaky-bucket chart (lesson 1)."""
    acq = slider("acquisition.new_per_month", new_per_month)
    churn = slider("causes.churn.levels.all", monthly_churn, description="Monthly churn")
    churn.min = 0.005  # the bucket only has a ceiling with some churn
    out = widgets.Output()
    message = widgets.HTML()

    def update() -> None:
        a = checked("acquisition.new_per_month", acq.value)
        c = checked("causes.churn.levels.all", churn.value)
        with out:
            out.clear_output(wait=True)
            display(charts.leaky_bucket_chart(lessons.leaky_bucket(a, c, 120)))

    for w in (acq, churn):
        w.observe(lambda _: _with_message(update, message), names="value")
    _with_message(update, message)
    return widgets.VBox([widgets.HBox([acq, churn]), message, out])


def spread_widget(monthly_churn: float = 0.1) -> widgets.VBox:
    """Slider for how different customers are, over survival curves (lesson 2)."""
    spread = slider("heterogeneity.spread", 0.5)
    out = widgets.Output()
    message = widgets.HTML()

    def update() -> None:
        s = checked("heterogeneity.spread", spread.value)
        frames = []
        for v in sorted({0.0, s}):
            scenario = simple_scenario(monthly_churn=monthly_churn, spread=v, horizon_months=60)
            surv = simulate(scenario).survival["all"]
            frames.append(pd.DataFrame({"tenure": surv.index, "survival": surv.to_numpy(),
                                        "label": f"spread {v:.2f}"}))  # fmt: skip
        with out:
            out.clear_output(wait=True)
            display(charts.survival_curves_chart(pd.concat(frames, ignore_index=True)))

    spread.observe(lambda _: _with_message(update, message), names="value")
    _with_message(update, message)
    return widgets.VBox([spread, message, out])
