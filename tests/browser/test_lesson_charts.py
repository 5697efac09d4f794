"""Lesson charts as a browser shows them: no two pieces of text on top of each other.

The lessons show charts as SVG laid out in the kernel (vl-convert measures every label
with its fonts); the browser then draws the text with its own. When the two fonts
differ in width, legend labels run into the next entry and axis labels into each other
(issue 18: lesson 01's two legend labels collided). The charts name metric-compatible
fonts (Arial and Liberation Sans), so the layout holds; this test draws each chart in
Chromium and measures every text box.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest
import vl_convert

import simsrc
from simsrc.analysis import lessons, offers
from simsrc.ui import charts

from .conftest import ARTIFACTS


def _lesson_charts():
    b2b = simsrc.preset("b2b-saas").replace(horizon_months=60)
    win_back = pd.DataFrame({"channel": ["email", "sms"] * 2, "delay (months)": [1, 1, 12, 12],
                             "won back": [21.0, 105.0, 14.0, 71.0], "NPV": [9e7] * 4})  # fmt: skip
    value = simsrc.simulate(b2b).base_value.by_tenure.rename(columns={"segment": "label"})
    curves = pd.DataFrame({"tenure": list(range(60)) * 2, "label": ["spread 0.00"] * 60
                           + ["spread 0.50"] * 60, "survival": [0.95**t for t in range(60)]
                           + [(1 + t / 20) ** -1.0 for t in range(60)]})  # fmt: skip
    return {
        "halving": charts.halving_chart(lessons.halving_churn_table(0.04, (12, 36, 60, 120, 240))),
        "projection": charts.projection_chart(lessons.naive_vs_sbg("high_end")),
        "hazards": charts.hazards_chart(lessons.hazards_by_cause(b2b).query("tenure < 36")),
        "offers": charts.offer_survival_chart(
            offers.offer_survival(b2b, ("discount", "expert_help", "pause", "contract"))
        ),
        "dunning": charts.dunning_chart(lessons.dunning_matrix(b2b), lessons.DUNNING_BENCHMARKS),
        "derl": charts.derl_chart(lessons.derl_by_renewals("high_end")),
        "leaky_bucket": charts.leaky_bucket_chart(lessons.leaky_bucket(100, 0.05)),
        "win_back": charts.win_back_chart(win_back),
        "value_by_tenure": charts.value_by_tenure_chart(value),
        "survival_curves": charts.survival_curves_chart(curves),
    }


# Boxes of every text element, in page pixels, shrunk by half a pixel so that touching
# is not overlapping.
_BOXES = """() => [...document.querySelectorAll('svg text')]
  .filter(t => t.textContent.trim())
  .map(t => { const r = t.getBoundingClientRect();
              return {text: t.textContent, x0: r.left + .5, x1: r.right - .5,
                      y0: r.top + .5, y1: r.bottom - .5}; })"""


def _overlaps(boxes):
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]
    ]


def test_no_text_of_a_lesson_chart_runs_into_another(browser):
    context = browser.new_context(viewport={"width": 900, "height": 600})
    page = context.new_page()
    page.route("**/*", lambda r: r.abort())  # the SVG needs nothing from anywhere
    found = {}
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, chart in _lesson_charts().items():
            with alt.theme.enable(charts.style.THEME):  # as render_offline() sets it
                svg = vl_convert.vegalite_to_svg(chart.to_dict())
            page.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
            page.screenshot(path=str(ARTIFACTS / f"lesson-chart-{name}.png"))
            boxes = page.evaluate(_BOXES)
            assert len(boxes) > 10, name  # the chart's text is there to measure
            found[name] = _overlaps(boxes)
    finally:
        context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_the_measure_sees_a_collision():
    boxes = [
        {"text": "Customers at the end", "x0": 0, "x1": 130, "y0": 0, "y1": 12},
        {"text": "Revenue over the horizon", "x0": 125, "x1": 280, "y0": 0, "y1": 12},
        {"text": "Month", "x0": 0, "x1": 40, "y0": 20, "y1": 32},
    ]
    assert _overlaps(boxes) == [("Customers at the end", "Revenue over the horizon")]


pytestmark = [pytest.mark.browser]
