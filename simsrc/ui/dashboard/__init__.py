"""Voila dashboards: baseline against what-if, for executives and for the save team.

Two dashboards share one frame (:class:`Dashboard`): a preset chooser and an upload
control set the *baseline*; grouped controls change a copy of it, the *what-if*; KPI
cards and charts show both, side by side, always. Downloads give the what-if scenario
(TOML) and both results (CSV).

* :class:`ExecutiveDashboard` — acquisition, churn by cause (a multiplier per cause and
  a one-click **Halve churn**), save team and offer mix, dunning, win-back, programs;
  revenue, customers, churn by cause, cohort retention, revenue per customer and the
  lever waterfall.
* :class:`OfferMixDashboard` — the save team's view: offer mix per reason, targeting
  threshold and coverage; save rate, cost per save, margin kept against given away, the
  "a discount only delays" curves and the NPV-best mix found by search
  (:func:`simsrc.analysis.optimize.optimize_offer_mix`).

Modules, from the bottom up:

* :mod:`~simsrc.ui.dashboard.values` — control values checked, and the what-if they make;
* :mod:`~simsrc.ui.dashboard.state` — baseline, what-if, values and cached results;
* :mod:`~simsrc.ui.dashboard.markup` — HTML: style sheet, labels, KPI cards, tables;
* :mod:`~simsrc.ui.dashboard.controls` — sliders and buttons from the parameter table;
* :mod:`~simsrc.ui.dashboard.download` — the download button (an anywidget);
* :mod:`~simsrc.ui.dashboard.frame` — the shared frame;
* :mod:`~simsrc.ui.dashboard.executive`, :mod:`~simsrc.ui.dashboard.offer_mix` — the apps.

Sliders come from the parameter table (:data:`simsrc.PARAMETERS`: label, unit, bounds,
step, help text as a tooltip). Every value the browser sends is checked again (a crafted
widget message can carry any value): bad input shows a message in the dashboard, the
control goes back to the value in use, and the kernel carries on. The baseline's
results are cached; a control change recomputes the what-if only.

Widget glue lives here (and, for the lessons, in :mod:`simsrc.ui.teaching`): no model code
imports :mod:`ipywidgets`. Charts come from :mod:`simsrc.ui.charts`, the only package that
imports :mod:`altair`.

Examples
--------
>>> dash = ExecutiveDashboard("b2b-saas")
>>> dash.set_control("churn.onboarding", 0.8)
>>> dash.what_if.cause("onboarding").levels == dash.baseline.scale_churn(
...     0.8, cause="onboarding").cause("onboarding").levels
True
"""

from simsrc.ui import charts
from simsrc.ui.dashboard.controls import MixEditor, choice_buttons, number_slider
from simsrc.ui.dashboard.download import DownloadButton
from simsrc.ui.dashboard.executive import EXECUTIVE_KPIS, Computed, ExecutiveDashboard
from simsrc.ui.dashboard.frame import Dashboard
from simsrc.ui.dashboard.markup import CSS, control_label, kpi_card
from simsrc.ui.dashboard.offer_mix import OfferMixDashboard, SaveTeamComputed
from simsrc.ui.dashboard.state import WhatIfState
from simsrc.ui.dashboard.values import (
    CHOICES,
    CHURN_FACTOR,
    build_what_if,
    check_control,
    choice_options,
    control_param,
    scenario_value,
)
from simsrc.ui.sliders import slider_range

OFFER_LABELS = charts.OFFER_LABELS
"""Offer names as the dashboards show them."""

__all__ = [
    "CHOICES",
    "CHURN_FACTOR",
    "CSS",
    "EXECUTIVE_KPIS",
    "OFFER_LABELS",
    "Computed",
    "Dashboard",
    "DownloadButton",
    "ExecutiveDashboard",
    "MixEditor",
    "OfferMixDashboard",
    "SaveTeamComputed",
    "WhatIfState",
    "build_what_if",
    "check_control",
    "choice_buttons",
    "choice_options",
    "control_label",
    "control_param",
    "kpi_card",
    "number_slider",
    "scenario_value",
    "slider_range",
]
