"""Charts: tidy data in, Altair charts out (dashboards, lessons, analyst notebooks).

The dashboard charts come in parts that fit together:

* ``*_data`` turns simulation results into a small, aggregated tidy DataFrame (one
  row per month, year or step and scenario; never one row per customer);
  :mod:`~simsrc.ui.charts.data`;
* ``*_view`` draws such a frame from a *named* dataset, without the rows, so that
  several views compose into one chart (:func:`grid`: one JupyterChart, one copy of the
  JavaScript bundle, per dashboard) and new rows can later be sent to the views in place
  (:class:`LiveChart`); :mod:`~simsrc.ui.charts.views`, :mod:`~simsrc.ui.charts.layout`
  and :mod:`~simsrc.ui.charts.live`;
* ``*_chart`` is a view with its rows, ready to show on its own;
* ``*_table`` turns the same frame into display strings, so the numbers a chart shows
  can be read as a table too; :mod:`~simsrc.ui.charts.tables`.

Lesson and analyst notebooks draw plain frames with their rows
(:mod:`~simsrc.ui.charts.lessons`, :mod:`~simsrc.ui.charts.analyst`); a what-if's
one-page board summary is one chart made into a PDF or PNG offline
(:mod:`~simsrc.ui.charts.board`); charts render
without a network (:mod:`~simsrc.ui.charts.offline`) and share one look
(:mod:`~simsrc.ui.charts.style`).

This is the only package that imports :mod:`altair`. Charts are tested through
:meth:`altair.Chart.to_dict` (data values and encodings), not pixels. Import the
package and use its names (``charts.monthly_data``); the modules are its parts.

Examples
--------
>>> import simsrc
>>> from simsrc.ui import charts
>>> base = simsrc.simulate(simsrc.preset("b2b-saas"))
>>> what_if = simsrc.simulate(base.scenario.halve_churn())
>>> spec = charts.customers_chart(charts.monthly_data(base, what_if)).to_dict()
>>> spec["data"], spec["encoding"]["y"]["field"]
({'name': 'monthly'}, 'active')
"""

from simsrc.ui.charts.analyst import (
    cohort_heatmap_chart,
    cohort_value_chart,
    coverage_chart,
    fan_chart,
    kpi_comparison_chart,
    leavers_chart,
    survival_fit_chart,
    sweep_chart,
    tornado_chart,
)
from simsrc.ui.charts.board import board_chart, board_pdf, board_png
from simsrc.ui.charts.data import (
    DISCOUNTS,
    KEPT,
    LAPSED,
    OFFER_COSTS,
    base_kept,
    churn_by_cause_data,
    margin_kept_data,
    monthly_data,
    offer_delay_data,
    offer_mix_data,
    revenue_per_customer_data,
    saves_by_offer_data,
    survival_data,
    waterfall_data,
)
from simsrc.ui.charts.layout import Panel, View, grid
from simsrc.ui.charts.lessons import (
    derl_chart,
    dunning_chart,
    halving_chart,
    hazards_chart,
    leaky_bucket_chart,
    offer_survival_chart,
    projection_chart,
    survival_curves_chart,
    value_by_tenure_chart,
    win_back_chart,
)
from simsrc.ui.charts.live import IN_PLACE, Build, LiveChart
from simsrc.ui.charts.offline import enable_offline, render_offline
from simsrc.ui.charts.style import (
    BASELINE,
    CAUSE_COLORS,
    HEIGHT,
    NO_OFFER,
    OFFER_LABELS,
    SCENARIO_COLORS,
    SCENARIOS,
    WHAT_IF,
    WIDTH,
    currency_symbol,
    records,
)
from simsrc.ui.charts.tables import (
    churn_by_cause_table,
    customers_table,
    margin_kept_table,
    offer_delay_table,
    offer_mix_table,
    revenue_per_customer_table,
    revenue_table,
    saves_by_offer_table,
    survival_table,
    waterfall_table,
)
from simsrc.ui.charts.views import (
    churn_by_cause_chart,
    churn_by_cause_view,
    customers_chart,
    customers_view,
    margin_kept_chart,
    margin_kept_view,
    offer_delay_chart,
    offer_delay_view,
    offer_mix_chart,
    offer_mix_view,
    revenue_chart,
    revenue_per_customer_chart,
    revenue_per_customer_view,
    revenue_view,
    saves_by_offer_chart,
    saves_by_offer_view,
    survival_chart,
    survival_view,
    waterfall_chart,
    waterfall_view,
)

__all__ = [
    "BASELINE",
    "CAUSE_COLORS",
    "DISCOUNTS",
    "HEIGHT",
    "IN_PLACE",
    "KEPT",
    "LAPSED",
    "NO_OFFER",
    "OFFER_COSTS",
    "OFFER_LABELS",
    "SCENARIOS",
    "SCENARIO_COLORS",
    "WHAT_IF",
    "WIDTH",
    "Build",
    "LiveChart",
    "Panel",
    "View",
    "base_kept",
    "board_chart",
    "board_pdf",
    "board_png",
    "churn_by_cause_chart",
    "churn_by_cause_data",
    "churn_by_cause_table",
    "churn_by_cause_view",
    "cohort_heatmap_chart",
    "cohort_value_chart",
    "coverage_chart",
    "currency_symbol",
    "customers_chart",
    "customers_table",
    "customers_view",
    "derl_chart",
    "dunning_chart",
    "enable_offline",
    "fan_chart",
    "grid",
    "halving_chart",
    "hazards_chart",
    "kpi_comparison_chart",
    "leaky_bucket_chart",
    "leavers_chart",
    "margin_kept_chart",
    "margin_kept_data",
    "margin_kept_table",
    "margin_kept_view",
    "monthly_data",
    "offer_delay_chart",
    "offer_delay_data",
    "offer_delay_table",
    "offer_delay_view",
    "offer_mix_chart",
    "offer_mix_data",
    "offer_mix_table",
    "offer_mix_view",
    "offer_survival_chart",
    "projection_chart",
    "records",
    "render_offline",
    "revenue_chart",
    "revenue_per_customer_chart",
    "revenue_per_customer_data",
    "revenue_per_customer_table",
    "revenue_per_customer_view",
    "revenue_table",
    "revenue_view",
    "saves_by_offer_chart",
    "saves_by_offer_data",
    "saves_by_offer_table",
    "saves_by_offer_view",
    "survival_chart",
    "survival_curves_chart",
    "survival_data",
    "survival_fit_chart",
    "survival_table",
    "survival_view",
    "sweep_chart",
    "tornado_chart",
    "value_by_tenure_chart",
    "waterfall_chart",
    "waterfall_data",
    "waterfall_table",
    "waterfall_view",
    "win_back_chart",
]
