"""Sliders from the parameter table: the one rule for range, step, readout and tooltip.

The dashboards (:mod:`simsrc.ui.dashboard`) and the lesson widgets
(:mod:`simsrc.ui.teaching`) both turn a :class:`~simsrc.model.params.Param` row into a
slider here, so a parameter looks and moves the same everywhere.
"""

from __future__ import annotations

import math

import ipywidgets as widgets

from simsrc.model.params import Param

__all__ = ["param_slider", "readout_format", "slider_range"]


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``x``."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= x:
            return float(m * power)
    return float(10 * power)  # pragma: no cover


def slider_range(row: Param, value: float) -> tuple[float, float]:
    """The range a slider shows for a parameter: its bounds, narrowed when they are huge.

    Bounds like 0 … 10,000,000 customers a month keep every file valid but make a useless
    slider; where a bound is over 10 times the value away, the slider stops at a round
    number about 4 times the value (the table's bounds still apply to uploaded files).

    Parameters
    ----------
    row : Param
        The parameter-table row.
    value : float
        The value the slider starts at.

    Returns
    -------
    tuple of float
        ``(min, max)`` of the slider.

    Examples
    --------
    >>> from simsrc import PARAMETERS
    >>> slider_range(PARAMETERS["acquisition.new_per_month"], 120.0)
    (0.0, 500.0)
    >>> slider_range(PARAMETERS["save_team.coverage"], 0.8)
    (0.0, 1.0)
    >>> slider_range(PARAMETERS["acquisition.monthly_growth"], 0.01)
    (-0.2, 0.2)
    """
    lo, hi = float(row.lo), float(row.hi)
    if row.unit == "share":  # 0 … 100 % is the natural range of a share
        return lo, hi
    scale = max(abs(value), 10 * row.step)
    if hi >= 10 * scale:
        hi = max(_nice_ceiling(4 * scale), value)
    if lo < 0 and -lo >= 10 * scale:
        lo = min(-_nice_ceiling(4 * scale), value)
    return lo, hi


def readout_format(row: Param) -> str:
    """The d3 format of a slider's readout: percent for fractions, digits from the step.

    Examples
    --------
    >>> from simsrc import PARAMETERS
    >>> readout_format(PARAMETERS["save_team.coverage"])
    '.0%'
    >>> readout_format(PARAMETERS["heterogeneity.spread"])
    ',.2f'
    """
    if row.is_fraction:
        return ".1%" if row.step < 0.01 else ".0%"
    if row.integer or row.step >= 1:
        return ",.0f"
    return f",.{min(3, max(1, -math.floor(math.log10(row.step))))}f"


def param_slider(
    row: Param, value: float, description: str | None = None, *, allow_html: bool = False
) -> widgets.IntSlider | widgets.FloatSlider:
    """A slider for a parameter: range, step, readout and tooltip from its table row.

    Parameters
    ----------
    row : Param
        The parameter-table row (whole numbers give an ``IntSlider``).
    value : float
        Starting value; the range is :func:`slider_range` around it.
    description : str, optional
        Label (default: the row's label).
    allow_html : bool
        Whether ``description`` is HTML.

    Returns
    -------
    IntSlider or FloatSlider
        Updated on release only (``continuous_update=False``): each move is a simulation.

    Examples
    --------
    >>> from simsrc import PARAMETERS
    >>> s = param_slider(PARAMETERS["dunning.messages"], 3)
    >>> (type(s).__name__, s.min, s.max, s.readout_format)
    ('IntSlider', 0, 20, ',.0f')
    """
    lo, hi = slider_range(row, float(value))
    kind = widgets.IntSlider if row.integer else widgets.FloatSlider
    return kind(
        value=value,
        min=lo,
        max=hi,
        step=row.step,
        description=row.label if description is None else description,
        description_allow_html=allow_html,
        tooltip=row.help,
        continuous_update=False,
        readout_format=readout_format(row),
        style={"description_width": "initial"},
    )
