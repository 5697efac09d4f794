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

Sliders come from the parameter table (:data:`simsrc.PARAMETERS`: label, unit, bounds,
step, help text as a tooltip). Every value the browser sends is checked again here (a
crafted widget message can carry any value): bad input shows a message in the
dashboard, the control goes back to the value in use, and the kernel carries on.
The baseline's results are cached; a control change recomputes the what-if only.

Widget glue lives here (and, for the lessons, in :mod:`simsrc.ui.teaching`): no model code
imports :mod:`ipywidgets`. Charts come from :mod:`simsrc.ui.charts`, the only module that
imports :mod:`altair`.

Examples
--------
>>> dash = ExecutiveDashboard("b2b-saas")
>>> dash.set_control("churn.onboarding", 0.8)
>>> dash.what_if.cause("onboarding").levels == dash.baseline.scale_churn(
...     0.8, cause="onboarding").cause("onboarding").levels
True
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import html
import logging
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import anywidget
import ipywidgets as widgets
import pandas as pd
import traitlets

from simsrc.analysis.attribution import attribute
from simsrc.analysis.lessons import offer_survival
from simsrc.analysis.optimize import RetentionPlan, optimize_offer_mix
from simsrc.analysis.sensitivity import MonteCarloResult, follow_ranges, monte_carlo
from simsrc.model import paths
from simsrc.model.errors import ScenarioError
from simsrc.model.files import MAX_FILE_BYTES, parse_scenario_text, scenario_to_toml
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.params import PARAMETERS, Param
from simsrc.model.presets import list_presets, preset
from simsrc.model.scenario import Scenario
from simsrc.model.units import FRACTION_UNITS, format_delta_pct, format_value
from simsrc.results.expected import Result, simulate_batch
from simsrc.results.kpis import KPI_INFO
from simsrc.results.simulate import simulate
from simsrc.ui import charts

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())  # never print to the page; operators opt in

CHURN_FACTOR = Param(
    "churn.*",
    "Churn multiplier",
    "×",
    0.0,
    3.0,
    0.05,
    "Multiplies this cause's monthly churn levels in every segment (1 = as in the "
    "baseline, 0.5 = halved). The resulting levels must stay at most 100 % a month.",
)
"""Bounds of the per-cause churn multiplier (a what-if lever, not a scenario field)."""

_CHOICES: dict[str, tuple[str, dict[Any, str], str]] = {
    "dunning.enabled": (
        "Dunning of late payers",
        {True: "On", False: "Off"},
        "Remind customers whose payment failed, over a grace period, before cutting them off.",
    ),
    "dunning.style": (
        "Message style",
        {"pay_up": "Pay up", "help_first": "Help first"},
        "Pay up: ever firmer reminders. Help first: 'are you stuck? here is a person' — "
        "recovers stuck customers a reminder loses, and fixes their problem.",
    ),
    "dunning.channel": (
        "Channel",
        {"email": "Email", "sms": "SMS"},
        "SMS is read far more often than email (about 98 % against 20 %).",
    ),
    "win_back.enabled": (
        "Win-back",
        {True: "On", False: "Off"},
        "Send former customers one message after a delay; some come back.",
    ),
    "win_back.channel": (
        "Channel",
        {"email": "Email", "sms": "SMS"},
        "SMS is read far more often than email.",
    ),
    "programs.onboarding.enabled": (
        "Onboarding program",
        {True: "On", False: "Off"},
        "Guided onboarding for every new customer; lowers onboarding churn.",
    ),
    "programs.success.enabled": (
        "Success check-ins",
        {True: "On", False: "Off"},
        "Regular check-ins with active customers; lowers success drop-off.",
    ),
    "programs.service.enabled": (
        "Service quality",
        {True: "On", False: "Off"},
        "Training, audits and empowered staff; lowers churn from poor service.",
    ),
}
"""Non-numeric controls (the parameter table covers numbers only): label, options, help."""

_UNIT_SUFFIX = {
    "customers/month": "per month",
    "months": "months",
    "messages": "messages",
    "contacts": "per customer and month",
}

EXECUTIVE_KPIS = (
    "total_revenue",
    "npv",
    "ending_active",
    "ending_mrr",
    "clv_per_customer",
    "total_retention_cost",
    "retention_roi",
)
"""KPI cards of the executive dashboard, in order."""

_LOWER_IS_BETTER = {"total_retention_cost", "cost_per_save", "given_away"}

OFFER_LABELS = charts.OFFER_LABELS


# -- values from the browser, checked ---------------------------------------------------
def control_param(key: str) -> Param | None:
    """The parameter-table row that bounds a numeric control, or ``None`` for choices.

    Examples
    --------
    >>> control_param("save_team.coverage").label
    'Save-team coverage'
    >>> control_param("churn.onboarding").unit
    '×'
    """
    if key.startswith("churn."):
        return CHURN_FACTOR
    return PARAMETERS.find(key)


def check_control(key: str, value: object) -> Any:
    """Validate a value a widget sent for a control; return it in canonical form.

    Numbers are checked against the parameter table (type, finite, bounds, whole
    numbers) and rounded to 10 decimals, which removes the float noise of slider steps
    (0.1 + 0.2); choices must be one of the allowed words.

    Raises
    ------
    ScenarioError
        Naming the control's path and what is allowed.

    Examples
    --------
    >>> check_control("save_team.coverage", 0.30000000000000004)
    0.3
    >>> check_control("dunning.channel", "fax")
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: dunning.channel: must be one of email, sms (got 'fax')
    """
    if key in _CHOICES:
        allowed = _CHOICES[key][1]
        kind = type(next(iter(allowed)))
        try:
            ok = type(value) is kind and value in allowed
        except TypeError:  # unhashable
            ok = False
        if not ok:
            words = ", ".join(str(v).lower() for v in allowed)
            raise ScenarioError(key, f"must be one of {words} (got {value!r})")
        return value
    row = control_param(key)
    if row is None:
        raise ScenarioError(key, "is not a control of this dashboard")
    x = row.check(value, key)
    return round(x) if row.integer else round(x, 10)


def scenario_value(scenario: Scenario | dict[str, Any], path: str) -> Any:
    """A value of a scenario (or scenario document) by dotted path.

    Examples
    --------
    >>> import simsrc
    >>> scenario_value(simsrc.preset("b2b-saas"), "save_team.mix.onboarding.expert_help")
    0.8
    """
    document = scenario.to_dict(full=True) if isinstance(scenario, Scenario) else scenario
    return paths.get_path(document, path)


def build_what_if(
    baseline: Scenario, values: Mapping[str, Any], name: str | None = None
) -> Scenario:
    """The baseline with control values applied: fields by path, churn multipliers.

    Parameters
    ----------
    baseline : Scenario
        The scenario the controls start from.
    values : mapping
        Control key → value: a parameter path (``"save_team.coverage"``), a choice path
        (``"dunning.style"``) or ``"churn.<cause>"`` for a multiplier of that cause's
        levels. Values equal to the baseline's are skipped.
    name : str, optional
        Name of the result (default: ``"<baseline> · what-if"``).

    Raises
    ------
    ScenarioError
        If a value is out of bounds or the combination is invalid (e.g. an offer mix
        over 100 %).

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> halved = build_what_if(base, {f"churn.{c}": 0.5 for c in base.cause_names})
    >>> simsrc.simulate(halved).kpis["npv"] == simsrc.simulate(base.halve_churn()).kpis["npv"]
    True
    """
    name = name or f"{baseline.name} · what-if"
    fields = {k: v for k, v in values.items() if not k.startswith("churn.")}
    data = baseline.to_dict(full=True)
    changed = {k: v for k, v in fields.items() if scenario_value(data, k) != v}
    if changed:
        for key, value in changed.items():
            paths.set_path(data, key, value)
        data["name"] = name
        s = Scenario.from_dict(data)
    else:
        s = baseline.replace(name=name)
    for key, factor in values.items():
        if key.startswith("churn.") and factor != 1.0:
            s = s.scale_churn(float(factor), cause=key.removeprefix("churn."), name=name)
    return s


def _mix_of(s: Scenario) -> dict[str, dict[str, float]]:
    return {
        c.name: {o: float(v) for o, v in zip(OFFER_NAMES, s.save_team.mix[k], strict=True)
                 if v > 0.005}
        for k, c in enumerate(s.causes)
        if c.voluntary
    }  # fmt: skip


# -- a download button that fetches its file from the kernel on click ---------------------
_DOWNLOAD_ESM = """
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "sx-download-button";
  const sync = () => {
    button.textContent = model.get("label");
    button.title = model.get("hint") || "";
  };
  sync();
  model.on("change:label", sync);
  model.on("change:hint", sync);
  button.addEventListener("click", () => model.send({ event: "download" }));
  model.on("msg:custom", (msg) => {
    if (!msg || msg.event !== "file") return;
    const blob = new Blob([msg.content], { type: msg.mime });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  el.appendChild(button);
}
export default { render };
"""


class DownloadButton(anywidget.AnyWidget):
    """A button that downloads a file the kernel makes when it is clicked.

    The file is built on demand (nothing is sent while controls move) and handed to the
    browser as a Blob; no server route or network access is needed.

    Parameters
    ----------
    label : str
        Button text.
    make : callable
        ``make()`` returning ``(filename, mime type, text)``.
    hint : str
        Hover text.
    """

    _esm = _DOWNLOAD_ESM
    label = traitlets.Unicode("Download").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)  # not "tooltip": DOMWidget's breaks AnyView

    def __init__(self, label: str, make: Callable[[], tuple[str, str, str]], hint: str = ""):
        super().__init__(label=label, hint=hint)
        self._make = make
        self.on_msg(self._on_message)

    def _on_message(self, _: object, content: object, buffers: object) -> None:
        if not (isinstance(content, dict) and content.get("event") == "download"):
            return  # a crafted message: ignore
        filename, mime, text = self._make()
        self.send({"event": "file", "filename": filename, "mime": mime, "content": text})

    def file(self) -> tuple[str, str, str]:
        """The file a click would download: ``(filename, mime type, text)``."""
        return self._make()


# -- look -----------------------------------------------------------------------------------
CSS = """
<style>
.sx-app { --sx-blue: #2563eb; --sx-ink: #0f172a; --sx-muted: #64748b; --sx-line: #e2e8f0;
  --sx-bg: #f1f5f9; font-family: Inter, 'Segoe UI', system-ui, -apple-system, sans-serif;
  color: var(--sx-ink); background: var(--sx-bg); padding-bottom: 28px; min-width: 1180px; }
.sx-app .widget-html-content, .sx-app .widget-label, .sx-app .widget-readout,
.sx-app button, .sx-app select { font-family: inherit; }
.sx-header { background: #0f172a; padding: 14px 24px; align-items: center;
  justify-content: space-between; flex-wrap: wrap; gap: 12px; }
.sx-header .widget-html-content { color: #e2e8f0; }
.sx-title { font-size: 21px; font-weight: 650; color: #ffffff; letter-spacing: -0.01em;
  line-height: 1.3; }
.sx-subtitle { font-size: 13px; color: #cbd5e1; line-height: 1.4; white-space: normal; }
.sx-subtitle b { color: #ffffff; }
.sx-subtitle a { color: #93c5fd; text-decoration: none; }
.sx-header .widget-html { max-width: 560px; }
.sx-toolbar { flex: 0 0 auto; }
.sx-header .widget-html-content { white-space: normal; line-height: 1.4; }
.sx-toolbar { align-items: center; gap: 8px; flex-wrap: wrap; }
.sx-toolbar > * { margin: 0 !important; flex: 0 0 auto !important; width: auto; }
.sx-download-button { white-space: nowrap; }
.sx-toolbar select, .sx-toolbar .jupyter-button, .sx-download-button {
  height: 32px; border-radius: 6px; font-size: 13px; }
.sx-toolbar .jupyter-button, .sx-download-button { background: #1e293b; color: #e2e8f0;
  border: 1px solid #334155; padding: 0 12px; cursor: pointer; box-shadow: none; }
.sx-toolbar .jupyter-button:hover, .sx-download-button:hover { background: #334155; }
.sx-message { margin: 14px 24px 0 24px; }
.sx-alert, .sx-note { border-radius: 8px; padding: 10px 14px; font-size: 14px;
  white-space: normal; line-height: 1.4; }
.sx-alert { border: 1px solid #fecaca; background: #fef2f2; color: #991b1b; }
.sx-note { border: 1px solid #bfdbfe; background: #eff6ff; color: #1e3a8a; }
.sx-body { align-items: flex-start; gap: 20px; padding: 16px 24px 0 24px; }
.sx-sidebar { width: 320px; min-width: 320px; background: white; border-radius: 10px;
  border: 1px solid var(--sx-line); padding: 4px 14px 14px 14px; }
.sx-group .widget-html-content { white-space: normal; }
.sx-group-title { font-size: 12px; font-weight: 700; letter-spacing: 0.06em;
  text-transform: uppercase; color: #334155; margin-top: 12px;
  border-top: 1px solid var(--sx-line); padding-top: 12px; line-height: 1.3; }
.sx-group-title.sx-first { border-top: none; padding-top: 2px; }
.sx-group-hint { font-size: 12px; color: var(--sx-muted); line-height: 1.35; }
.sx-sidebar .sx-input { flex-wrap: wrap; width: 100%; height: auto; margin: 6px 0 0 0; }
.sx-sidebar .sx-input > .widget-label { width: 100% !important; max-width: 100%;
  text-align: left; font-size: 13px; color: #1e293b; line-height: 1.3; height: auto;
  white-space: normal; overflow: visible; padding: 0; margin-bottom: 1px; cursor: help; }
.sx-sidebar .sx-input > .widget-label .sx-unit { color: var(--sx-muted); }
.sx-sidebar .widget-slider .slider-container { flex: 1 1 auto; margin-left: 6px; }
.sx-sidebar .widget-readout { min-width: 58px; text-align: right; color: var(--sx-ink);
  font-variant-numeric: tabular-nums; }
.sx-sidebar .widget-toggle-buttons .widget-toggle-button,
.sx-band-row .widget-toggle-button { width: auto; min-width: 64px;
  height: 28px; font-size: 12px; margin-right: 4px; border-radius: 6px; }
.sx-sidebar .widget-toggle-buttons .jupyter-button.mod-active,
.sx-band-row .jupyter-button.mod-active { background: var(--sx-blue);
  color: white; }
.sx-sidebar .widget-dropdown { margin-top: 4px; }
.sx-sidebar .widget-dropdown > select { font-size: 13px; border-radius: 6px; height: 30px; }
.sx-buttons { gap: 6px; margin-top: 8px; }
.sx-buttons .jupyter-button { border-radius: 6px; height: 30px; margin: 0; font-size: 13px; }
.sx-buttons .jupyter-button.mod-primary { background: var(--sx-blue); }
.sx-mix-summary { font-size: 12px; color: var(--sx-muted); margin-top: 6px;
  line-height: 1.35; white-space: normal; }
.sx-main { flex: 1 1 auto; min-width: 0; }
.sx-cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
.sx-offer-mix-dashboard .sx-cards { grid-template-columns: repeat(5, minmax(0, 1fr)); }
.sx-card { background: white; border: 1px solid var(--sx-line); border-radius: 10px;
  padding: 12px 14px; }
.sx-card:first-child { border-top: 3px solid var(--sx-blue); }
.sx-card-label { font-size: 12px; color: var(--sx-muted); font-weight: 600;
  text-transform: uppercase; letter-spacing: 0.04em; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.sx-card-value { font-size: 24px; font-weight: 650; margin-top: 4px; color: var(--sx-ink);
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.sx-card-delta { font-size: 13px; font-weight: 600; margin-top: 2px;
  font-variant-numeric: tabular-nums; }
.sx-good { color: #15803d; } .sx-bad { color: #b91c1c; } .sx-flat { color: var(--sx-muted); }
.sx-card-base { font-size: 12px; color: var(--sx-muted); margin-top: 4px; }
.sx-legend { font-size: 12px; color: var(--sx-muted); margin: 10px 2px 0 2px;
  white-space: normal; }
.sx-legend b { color: var(--sx-ink); }
.sx-band-row { align-items: center; gap: 12px; margin: 6px 2px 0 2px; }
.sx-band-row .widget-toggle-buttons > .widget-label { font-size: 13px; font-weight: 600; }
.sx-band-row .sx-legend { margin: 0; }
.sx-swatch { display: inline-block; width: 18px; height: 3px; vertical-align: middle;
  margin: 0 5px 0 12px; border-radius: 2px; }
.sx-panel { background: white; border: 1px solid var(--sx-line); border-radius: 10px;
  padding: 14px 16px 12px 16px; min-width: 0; }
.sx-panel .widget-html-content { white-space: normal; }
.sx-panel-title { font-size: 15px; font-weight: 650; color: var(--sx-ink); }
.sx-panel-text { font-size: 13px; color: #334155; line-height: 1.45; }
.sx-table { max-height: 280px; overflow: auto; margin: 2px 0 6px 0; }
.sx-table table { border-collapse: collapse; font-size: 12px; width: 100%;
  font-variant-numeric: tabular-nums; }
.sx-table th { text-align: right; color: var(--sx-muted); font-weight: 600;
  border-bottom: 1px solid var(--sx-line); padding: 4px 8px; position: sticky; top: 0;
  background: white; }
.sx-table td { text-align: right; padding: 3px 8px; border-bottom: 1px solid #f1f5f9; }
.sx-table th:first-child, .sx-table td:first-child { text-align: left; }
.sx-search-panel { margin-top: 14px; }
.sx-chart-card { background: white; border: 1px solid var(--sx-line); border-radius: 10px;
  padding: 14px 12px 10px 12px; margin-top: 14px; overflow-x: auto; }
.sx-numbers-card { background: white; border: 1px solid var(--sx-line); border-radius: 10px;
  padding: 10px 16px; margin-top: 14px; }
.sx-numbers-card .widget-toggle-buttons { flex-wrap: wrap; }
.sx-numbers-card .widget-toggle-buttons > .widget-label { font-size: 13px; font-weight: 600;
  color: var(--sx-ink); margin-right: 10px; }
.sx-numbers-card .widget-toggle-button { height: 28px; font-size: 12px; border-radius: 6px;
  margin: 2px 4px 2px 0; width: auto; }
.sx-numbers-card .jupyter-button.mod-active { background: var(--sx-blue); color: white; }
.sx-numbers .widget-html-content { white-space: normal; }
.sx-table-title { font-size: 13px; font-weight: 600; margin: 8px 0 2px 0; }
.sx-result { font-size: 13px; color: #1e293b; white-space: normal; line-height: 1.45; }
.sx-result table { border-collapse: collapse; font-size: 12px; margin-top: 6px; width: 100%; }
.sx-result th { color: var(--sx-muted); font-weight: 600; text-align: left; padding: 4px 8px;
  border-bottom: 1px solid var(--sx-line); }
.sx-result td { padding: 4px 8px; border-bottom: 1px solid #f1f5f9; text-align: left; }
</style>
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "scenario"


def _css_key(key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]+", "-", key)


def _unit_text(row: Param, currency: str) -> str:
    if row.is_fraction:
        return "%"
    if row.unit.startswith("currency"):
        symbol = charts.currency_symbol(currency).strip()
        return symbol + ("/month" if row.unit.endswith("/month") else "")
    return _UNIT_SUFFIX.get(row.unit, row.unit)


def _readout_format(row: Param) -> str:
    if row.is_fraction:
        return ".1%" if row.step < 0.01 else ".0%"
    if row.integer or row.step >= 1:
        return ",.0f"
    return f",.{min(3, max(1, -math.floor(math.log10(row.step))))}f"


def _nice_ceiling(x: float) -> float:
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

    Examples
    --------
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


def control_label(label: str, unit: str = "", hint: str = "") -> str:
    """HTML of a control's label: name, unit and a short hint."""
    return (
        _esc(label)
        + (f' <span class="sx-unit">({_esc(unit)})</span>' if unit else "")
        + (f' <span class="sx-unit">· {_esc(hint)}</span>' if hint else "")
    )


# -- KPI cards ---------------------------------------------------------------------------
def format_amount(x: float, unit: str, currency: str = "USD") -> str:
    """:func:`simsrc.model.units.format_value`, also for negative rates (a change in save rate).

    Examples
    --------
    >>> format_amount(-0.0123, "rate"), format_amount(-1500.0, "currency")
    ('-1.23%', '-$1.5K')
    """
    if x < 0 and unit in FRACTION_UNITS:
        return "-" + format_value(-x, unit, currency)  # format_value needs x ≥ 0 here
    return format_value(x, unit, currency)


def kpi_card(
    key: str,
    label: str,
    unit: str,
    base: float,
    what_if: float,
    currency: str,
    lower_is_better: bool = False,
) -> str:
    """HTML of one KPI card: what-if value, change against baseline, baseline value.

    Values use :func:`simsrc.model.units.format_value` (currency, K/M/B); the change is shown
    as an amount and a percentage, green when it is good news, red when it is bad.

    Examples
    --------
    >>> html = kpi_card("npv", "NPV", "currency", 100.0, 110.0, "USD")
    >>> "+$10 · +10%" in html and "sx-good" in html
    True
    """
    value = format_amount(what_if, unit, currency)
    delta = what_if - base
    text, tone = "no change", "sx-flat"
    if not (math.isfinite(delta) and math.isfinite(base)):
        text = "—"
    elif delta != 0 and (base == 0 or abs(delta) >= 5e-5 * abs(base)):
        shown = ("+" if delta > 0 else "") + format_amount(delta, unit, currency)
        text = shown if base == 0 else f"{shown} · {format_delta_pct(100 * delta / abs(base))}"
        tone = "sx-good" if (delta > 0) != lower_is_better else "sx-bad"
    return (
        f'<div class="sx-card" data-kpi="{_esc(key)}">'
        f'<div class="sx-card-label" title="{_esc(label)}">{_esc(label)}</div>'
        f'<div class="sx-card-value">{_esc(value)}</div>'
        f'<div class="sx-card-delta {tone}">{_esc(text)}</div>'
        f'<div class="sx-card-base">Baseline <span class="sx-card-base-value">'
        f"{_esc(format_amount(base, unit, currency))}</span></div></div>"
    )


def _table_html(table: pd.DataFrame) -> str:
    return '<div class="sx-table">' + table.to_html(index=False, escape=True, border=0) + "</div>"


_SHORT_LABELS = {
    "total_revenue": "Total revenue",
    "npv": "NPV",
    "ending_active": "Customers at the end",
    "ending_mrr": "MRR at the end",
    "clv_per_customer": "CLV per new customer",
    "total_retention_cost": "Retention costs",
    "retention_roi": "Retention ROI",
    "save_rate": "Save rate",
    "cost_per_save": "Cost per save",
}


# -- the shared frame ----------------------------------------------------------------------
def _guard(method: Callable[..., None]) -> Callable[..., None]:
    """Run a widget callback so that no error escapes: show it in the dashboard instead."""

    @functools.wraps(method)
    def wrapper(self: Dashboard, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except ScenarioError as exc:
            self.show_error(str(exc))
        except Exception as exc:  # the kernel must survive whatever the browser sends
            logger.info("dashboard callback failed", exc_info=True)
            self.show_error(f"Something went wrong: {type(exc).__name__}: {exc}")

    return wrapper


def _is_mix(key: str) -> bool:
    return key.startswith("save_team.mix.")


class Dashboard(abc.ABC):
    """Shared frame of the dashboards: baseline, controls, what-if, KPI cards, charts.

    Subclasses define :meth:`_groups` (control groups), :meth:`_panels` (charts),
    :meth:`_compute` (what a what-if needs) and :meth:`_cards` (KPI cards).

    Parameters
    ----------
    scenario : str or Scenario
        A preset name or a scenario to start from.

    Attributes
    ----------
    baseline, what_if : Scenario
        The two scenarios on show.
    baseline_result, what_if_result
        What :meth:`_compute` returned for them (cached; a control change recomputes
        the what-if only).
    values : dict
        Control key → value in use (parameter paths, choice paths, ``churn.<cause>``).
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
        self._uploads: dict[str, Scenario] = {}
        self._cache: OrderedDict[Scenario, Any] = OrderedDict()
        self.controls: dict[str, widgets.Widget] = {}
        self.values: dict[str, Any] = {}
        self.baseline_values: dict[str, Any] = {}
        self.revision = 0

        self.mix_reason = widgets.Dropdown(
            description="Reason", tooltip="The reason customers give when asking to leave"
        )
        self.mix_reason.add_class("sx-input")
        self.mix_reason.add_class("sx-mix-reason")
        self.mix_reason.observe(self._on_reason, names="value")
        self.mix_sliders: dict[str, widgets.FloatSlider] = {}
        for offer in OFFER_NAMES:
            row = PARAMETERS["save_team.mix.*.*"]
            w = widgets.FloatSlider(
                min=0.0, max=1.0, step=row.step, description=OFFER_LABELS[offer],
                description_allow_html=True, tooltip=row.help, continuous_update=False,
                readout_format=_readout_format(row), style={"description_width": "initial"},
            )  # fmt: skip
            w.add_class("sx-input")
            w.add_class(f"sx-mix-{offer}")
            w.observe(functools.partial(self._on_mix_slider, offer), names="value")
            self.mix_sliders[offer] = w
        self.mix_summary = widgets.HTML()

        self.style = widgets.HTML(CSS)
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
        self.download_scenario = DownloadButton(
            "Download scenario",
            self.scenario_file,
            "The what-if scenario as a TOML file you can edit and upload again",
        )
        self.download_scenario.add_class("sx-download-scenario")
        self.download_results = DownloadButton(
            "Download results (CSV)",
            self.results_file,
            "Monthly results of baseline and what-if, one row per scenario and month",
        )
        self.download_results.add_class("sx-download-results")
        self.reset_button = widgets.Button(
            description="Reset",
            tooltip="Set every control back to the baseline",
            layout={"width": "auto"},
        )
        self.reset_button.add_class("sx-reset")
        toolbar = widgets.HBox(
            [self.preset, self.upload, self.download_scenario, self.download_results,
             self.reset_button]
        )  # fmt: skip
        toolbar.add_class("sx-toolbar")
        header = widgets.HBox([self.header_text, toolbar])
        header.add_class("sx-header")
        self.message = widgets.HTML(layout={"display": "none"})
        self.message.add_class("sx-message")
        self.sidebar = widgets.VBox()
        self.sidebar.add_class("sx-sidebar")
        self.cards = widgets.HTML()
        self.cards.add_class("sx-kpis")
        legend = widgets.HTML(
            '<div class="sx-legend">Cards show the <b>what-if</b>, its change against the '
            "baseline, and the baseline. In the charts:"
            f'<span class="sx-swatch" style="background:{charts.SCENARIO_COLORS[0]}"></span>'
            f'baseline<span class="sx-swatch" style="background:{charts.SCENARIO_COLORS[1]}">'
            "</span>what-if</div>"
        )
        self.chart: charts.LiveChart | None = None
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
        body = widgets.HBox([self.sidebar, main])
        body.add_class("sx-body")
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
            self._syncing = True
            try:
                self.preset.value = scenario
            finally:
                self._syncing = False
            self._set_baseline(preset(scenario))

    # -- display --------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- hooks for subclasses -------------------------------------------------------------
    @abc.abstractmethod
    def _groups(self) -> list[tuple[str, str, list[widgets.Widget]]]:
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
    def _cards(self, base: Any, what_if: Any) -> str:
        """Supplied by each dashboard."""

    def _extra_main(self) -> list[widgets.Widget]:
        return []

    def _after_update(self) -> None:
        """Called after every refresh of the what-if."""
        self._update_mix_summary()

    # -- messages -------------------------------------------------------------------------
    @property
    def currency(self) -> str:
        """The baseline's currency."""
        return self.baseline.currency

    def show_error(self, text: str) -> None:
        """Show a problem in the message bar (never a traceback)."""
        self.message.value = f'<div class="sx-alert" role="alert">⚠ {_esc(text)}</div>'
        self.message.layout.display = None

    def show_note(self, text: str) -> None:
        """Show a neutral note in the message bar."""
        self.message.value = f'<div class="sx-note" role="status">{_esc(text)}</div>'
        self.message.layout.display = None

    def clear_message(self) -> None:
        """Hide the message bar."""
        if self.message.value:
            self.message.value = ""
            self.message.layout.display = "none"

    # -- results --------------------------------------------------------------------------
    def result(self, s: Scenario) -> Any:
        """What the dashboard shows for a scenario, computed once and cached (LRU)."""
        if s in self._cache:
            self._cache.move_to_end(s)
            return self._cache[s]
        out = self._compute(s)
        self._cache[s] = out
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def _set_baseline(self, s: Scenario, uploaded: bool = False) -> None:
        self.baseline = s
        self.baseline_result = self.result(s)
        self._build_controls()
        self.what_if = build_what_if(s, self.values)
        self.what_if_result = self.result(self.what_if)
        desc = f" — {_esc(s.description)}" if s.description else ""
        origin = "uploaded file" if uploaded else "preset"
        self.header_text.value = (
            f'<div class="sx-title">{_esc(self.title)}</div>'
            f'<div class="sx-subtitle">Baseline: <b>{_esc(s.name)}</b> ({origin}){desc} '
            f"· {s.horizon_months} months · {_esc(s.currency)}{self.link}</div>"
        )
        self._refresh(rebuild=True)

    # -- controls -------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.controls = {}
        self.values = {}
        self.baseline_values = {}
        self._baseline_dict = self.baseline.to_dict(full=True)
        children: list[widgets.Widget] = []
        for i, (title, hint, items) in enumerate(self._groups()):
            head = widgets.HTML(
                f'<div class="sx-group-title{" sx-first" if i == 0 else ""}">{_esc(title)}</div>'
                + (f'<div class="sx-group-hint">{_esc(hint)}</div>' if hint else "")
            )
            head.add_class("sx-group")
            children += [head, *items]
        self.sidebar.children = children

    def _value_of(self, key: str) -> Any:
        if key.startswith("churn."):
            return 1.0
        return scenario_value(self._baseline_dict, key)

    def number_control(self, key: str, label: str | None = None, hint: str = "") -> widgets.Widget:
        """A slider for a numeric control, from its parameter-table row.

        Label, unit, bounds (see :func:`slider_range`), step and tooltip (help text) all
        come from :data:`simsrc.PARAMETERS`.
        """
        row = control_param(key)
        assert row is not None
        value = self._value_of(key)
        lo, hi = slider_range(row, float(value))
        kind = widgets.IntSlider if row.integer else widgets.FloatSlider
        w = kind(
            value=value,
            min=lo,
            max=hi,
            step=row.step,
            description=control_label(label or row.label, _unit_text(row, self.currency), hint),
            description_allow_html=True,
            tooltip=row.help,
            continuous_update=False,
            readout_format=_readout_format(row),
            style={"description_width": "initial"},
        )
        return self._register(key, w)

    def choice_control(self, key: str) -> widgets.Widget:
        """Toggle buttons for a non-numeric control (on/off, style, channel)."""
        label, options, help_text = _CHOICES[key]
        w = widgets.ToggleButtons(
            options=[(text, value) for value, text in options.items()],
            value=self._value_of(key),
            description=_esc(label),
            description_allow_html=True,
            tooltip=help_text,
            style={"description_width": "initial", "button_width": "auto"},
        )
        return self._register(key, w)

    def _register(self, key: str, w: widgets.Widget) -> widgets.Widget:
        self.controls[key] = w
        self.values[key] = w.value
        self.baseline_values[key] = w.value
        w.add_class("sx-input")
        w.add_class(f"sx-control-{_css_key(key)}")
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
                for o, offer in enumerate(OFFER_NAMES):
                    key = f"save_team.mix.{c.name}.{offer}"
                    self.values[key] = self.baseline_values[key] = float(s.save_team.mix[k][o])
        busiest = max(reasons, key=lambda r: sum(s.save_team.mix[s.cause_names.index(r[1])]))
        self._syncing = True
        try:
            self.mix_reason.options = reasons
            self.mix_reason.value = busiest[1]
        finally:
            self._syncing = False
        self._show_reason()
        return [self.mix_reason, *self.mix_sliders.values(), self.mix_summary]

    def _show_reason(self) -> None:
        cause = self.mix_reason.value
        k = self.baseline.cause_names.index(cause)
        self._syncing = True
        try:
            for offer, w in self.mix_sliders.items():
                accept = self.baseline.save_team.offer(offer).acceptance[k]
                w.description = control_label(
                    OFFER_LABELS[offer], "%", f"accepted by {format_value(accept, 'share')}"
                )
                w.value = self.values[f"save_team.mix.{cause}.{offer}"]
        finally:
            self._syncing = False
        self._update_mix_summary()

    def _update_mix_summary(self) -> None:
        cause = self.mix_reason.value
        if cause is None or f"save_team.mix.{cause}.discount" not in self.values:
            self.mix_summary.value = ""
            return
        offered = sum(self.values[f"save_team.mix.{cause}.{o}"] for o in OFFER_NAMES)
        self.mix_summary.value = (
            f'<div class="sx-mix-summary">{format_value(offered, "share")} of the requests '
            "for this reason that reach the save team get an offer (at most 100%); "
            f"{format_value(max(0.0, 1 - offered), 'share')} get none.</div>"
        )

    # -- callbacks ------------------------------------------------------------------------
    def _on_control(self, key: str, change: Mapping[str, Any]) -> None:
        if not self._syncing:
            self._apply(key, change["new"])

    def _on_mix_slider(self, offer: str, change: Mapping[str, Any]) -> None:
        if not self._syncing:
            self._apply(f"save_team.mix.{self.mix_reason.value}.{offer}", change["new"])

    @_guard
    def _on_reason(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        if change["new"] not in self.baseline.cause_names:
            raise ScenarioError("reason", f"unknown reason {change['new']!r}")
        self._show_reason()

    @_guard
    def _apply(self, key: str, raw: object) -> None:
        try:
            value = check_control(key, raw)
            what_if = build_what_if(self.baseline, {**self.values, key: value})
        except ScenarioError:
            self._show_value(key, self.values[key])  # back to the value in use
            raise
        if value != raw:
            self._show_value(key, value)
        self.values[key] = value
        self._show_what_if(what_if)

    def _widget_for(self, key: str) -> widgets.Widget | None:
        if _is_mix(key):
            cause, offer = key.split(".")[2:4]
            return self.mix_sliders[offer] if cause == self.mix_reason.value else None
        return self.controls.get(key)

    def _show_value(self, key: str, value: Any) -> None:
        w = self._widget_for(key)
        if w is None:
            return
        self._syncing = True
        try:
            if isinstance(w, widgets.FloatSlider | widgets.IntSlider):
                w.max = max(w.max, value)
                w.min = min(w.min, value)
            w.value = value
        finally:
            self._syncing = False

    def set_control(self, key: str, value: Any) -> None:
        """Set a control as a person would; errors go to the message bar.

        For an offer-mix share (``save_team.mix.<cause>.<offer>``) the reason is chosen
        first, as a person would.
        """
        if _is_mix(key):
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

    def set_controls(self, values: Mapping[str, Any]) -> None:
        """Set several controls at once and recompute the what-if once."""
        self._set_many(values)

    @_guard
    def _set_many(self, values: Mapping[str, Any]) -> None:
        checked = {k: check_control(k, v) for k, v in values.items()}
        what_if = build_what_if(self.baseline, {**self.values, **checked})
        self.values.update(checked)
        for k, v in checked.items():
            self._show_value(k, v)
        self._show_what_if(what_if)

    def _show_what_if(self, what_if: Scenario) -> None:
        self.what_if = what_if
        self.what_if_result = self.result(what_if)
        self.clear_message()
        self._refresh()

    @_guard
    def _on_preset(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        name = change["new"]
        if name in self._uploads:
            self._set_baseline(self._uploads[name], uploaded=True)
        elif name in list_presets():
            self._set_baseline(preset(name))
        else:
            raise ScenarioError("preset", f"unknown preset {name!r}")
        self.clear_message()

    @_guard
    def _on_upload(self, change: Mapping[str, Any]) -> None:
        if self._syncing or not change["new"]:
            return
        try:
            files = change["new"]
            if not isinstance(files, Sequence) or len(files) != 1:
                raise ScenarioError("upload", "choose one scenario file")
            self.load_file(files[0])
        finally:
            self._syncing = True
            try:
                self.upload.value = ()
            finally:
                self._syncing = False

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
        if not isinstance(file, Mapping):
            raise ScenarioError("upload", "expected one scenario file")
        name = str(file.get("name") or "upload.toml")[:120]
        content = file.get("content", b"")
        if not isinstance(content, bytes | bytearray | memoryview):  # a crafted message
            raise ScenarioError(name, "could not read the uploaded file")
        raw = bytes(content)
        if len(raw) > MAX_FILE_BYTES:
            raise ScenarioError(name, f"file is larger than {MAX_FILE_BYTES:,} bytes; refused")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(name, "not a UTF-8 text file (expected TOML)") from None
        s = parse_scenario_text(text, name)
        key = f"upload:{name}"
        self._uploads[key] = s
        options = [o for o in self.preset.options if o[1] != key]
        self._syncing = True
        try:
            self.preset.options = [*options, (f"{name} (uploaded)", key)]
            self.preset.value = key
        finally:
            self._syncing = False
        self._set_baseline(s, uploaded=True)
        self.show_note(f"Loaded {name}: it is now the baseline, and the what-if starts from it.")

    def load_text(self, text: str, name: str = "scenario.toml") -> None:
        """Upload scenario text as if it were a file; errors go to the message bar."""
        self._load_text(text, name)

    @_guard
    def _load_text(self, text: str, name: str) -> None:
        self.load_file({"name": name, "content": text.encode("utf-8")})

    @_guard
    def _on_reset(self, _: object = None) -> None:
        self.reset()

    def reset(self) -> None:
        """Set every control back to the baseline's value."""
        self._syncing = True
        try:
            for key, w in self.controls.items():
                w.value = self.baseline_values[key]
        finally:
            self._syncing = False
        self.values = dict(self.baseline_values)
        if self.mix_reason.value is not None:
            self._show_reason()
        self.what_if = build_what_if(self.baseline, self.values)
        self.what_if_result = self.result(self.what_if)
        self.clear_message()
        self._refresh()

    # -- files ----------------------------------------------------------------------------
    def scenario_file(self) -> tuple[str, str, str]:
        """The what-if scenario as a TOML file: ``(filename, mime type, text)``."""
        return (f"{_slug(self.baseline.name)}-what-if.toml", "application/toml",
                scenario_to_toml(self.what_if))  # fmt: skip

    def results_file(self) -> tuple[str, str, str]:
        """Monthly results of baseline and what-if as CSV: ``(filename, mime, text)``."""
        frames = []
        for label, computed in ((charts.BASELINE, self.baseline_result),
                                (charts.WHAT_IF, self.what_if_result)):  # fmt: skip
            res: Result = computed.result
            m = res.monthly.copy()
            m.insert(0, "scenario", label)
            m.insert(1, "scenario_name", res.scenario.name)
            frames.append(m)
        text = pd.concat(frames, ignore_index=True).to_csv(index=False)
        return f"{_slug(self.baseline.name)}-results.csv", "text/csv", text

    # -- views ----------------------------------------------------------------------------
    def _refresh(self, rebuild: bool = False) -> None:
        self.revision += 1
        self.cards.value = (
            f'<div class="sx-cards" data-revision="{self.revision}">'
            + self._cards(self.baseline_result, self.what_if_result)
            + "</div>"
        )
        self.datasets = self._datasets()
        if self.chart is None:
            self.chart = charts.LiveChart(self._draw, self.datasets, self.currency, "sx-chart")
            self.chart_box.children = [self.chart.widget]
            self.numbers_choice.options = [("Hide", ""), *((p.title, p.key) for p in self.panels)]
        else:
            self.chart.update(self.datasets, self.currency)
        self._fill_numbers()
        self._after_update()

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
        self.numbers.value = f'<div class="sx-table-title">{_esc(title)}</div>' + _table_html(
            self.table(key)
        )

    @_guard
    def _on_numbers(self, change: Mapping[str, Any]) -> None:
        if change["new"] not in {"", *(p.key for p in self.panels)}:
            raise ScenarioError("numbers", f"unknown chart {change['new']!r}")
        self._fill_numbers()

    def kpi_cards(
        self,
        base: Mapping[str, float],
        what_if: Mapping[str, float],
        keys: Iterable[str],
        labels: Mapping[str, tuple[str, str]] | None = None,
    ) -> str:
        """HTML of KPI cards for ``keys`` (labels and units from :data:`KPI_INFO`)."""
        info = {**KPI_INFO, **(labels or {})}
        cards = []
        for k in keys:
            label, unit = info[k]
            cards.append(kpi_card(k, _SHORT_LABELS.get(k, label), unit, base[k], what_if[k],
                                  self.currency, k in _LOWER_IS_BETTER))  # fmt: skip
        return "".join(cards)

    def kpi_text(self, key: str) -> str:
        """The what-if value a KPI card shows (what a person reads)."""
        m = re.search(
            rf'data-kpi="{re.escape(key)}">.*?class="sx-card-value">(.*?)</div>', self.cards.value
        )
        return html.unescape(m.group(1)) if m else ""


# -- executive dashboard ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Computed:
    """What the executive dashboard shows for one scenario."""

    result: Result
    attribution: pd.DataFrame


class ExecutiveDashboard(Dashboard):
    """The front door: what-if controls, KPI cards and six charts, baseline vs what-if.

    Parameters
    ----------
    scenario : str or Scenario
        A preset name or a scenario to start from.

    Examples
    --------
    >>> dash = ExecutiveDashboard("b2b-saas")
    >>> dash.halve_churn()
    >>> import simsrc
    >>> expected = simsrc.simulate(simsrc.preset("b2b-saas").halve_churn()).kpis
    >>> dash.kpi_text("total_revenue") == simsrc.model.units.format_value(
    ...     expected["total_revenue"], "currency")
    True
    """

    title = "Retention what-if"
    link = ' · <a href="offer_mix_dashboard.ipynb">Save team view →</a>'

    band_draws = 100
    """Monte Carlo draws behind the uncertainty band (one batched engine call)."""

    def __init__(self, scenario: str | Scenario = "b2b-saas") -> None:
        self.band_toggle = widgets.ToggleButtons(
            options=[("Off", False), ("On", True)],
            value=False,
            description="Uncertainty band",
            tooltip="Shade the what-if revenue's P10–P90 over the scenario's uncertainty "
            "ranges (its [uncertainty] table)",
            style={"description_width": "initial", "button_width": "auto"},
        )
        self.band_toggle.add_class("sx-input")
        self.band_toggle.add_class("sx-band-toggle")
        self.band_toggle.observe(self._on_band, names="value")
        self.band_note = widgets.HTML()
        self.band_note.add_class("sx-band-note")
        self._bands: OrderedDict[Scenario, MonteCarloResult] = OrderedDict()
        self.halve_button = widgets.Button(
            description="Halve churn",
            tooltip="Set every cause to half of the baseline's churn",
            button_style="primary",
            layout={"width": "auto"},
        )
        self.halve_button.add_class("sx-halve")
        self.halve_button.on_click(self._on_halve)
        self.churn_reset = widgets.Button(
            description="Baseline churn",
            tooltip="Set every cause back to the baseline's churn",
            layout={"width": "auto"},
        )
        self.churn_reset.add_class("sx-churn-reset")
        self.churn_reset.on_click(self._on_churn_reset)
        super().__init__(scenario)

    def _compute(self, s: Scenario) -> Computed:
        return Computed(simulate(s), attribute(s))

    def _extra_main(self) -> list[widgets.Widget]:
        row = widgets.HBox([self.band_toggle, self.band_note])
        row.add_class("sx-band-row")
        return [row]

    @_guard
    def _on_band(self, change: Mapping[str, Any]) -> None:
        if change["new"] not in (True, False):
            raise ScenarioError("uncertainty band", "must be on or off")
        self._refresh()

    def uncertainty(self, s: Scenario) -> MonteCarloResult | None:
        """Monte Carlo over a what-if's uncertainty ranges (moved with its values), cached.

        ``None`` when the band is off or the baseline has no ranges.
        """
        if not self.band_toggle.value or not s.uncertainty:
            return None
        if s not in self._bands:
            self._bands[s] = monte_carlo(
                follow_ranges(s, self.baseline), n=self.band_draws, seed=0
            )
            if len(self._bands) > self.cache_size:
                self._bands.popitem(last=False)
        self._bands.move_to_end(s)
        return self._bands[s]

    def _groups(self) -> list[tuple[str, str, list[widgets.Widget]]]:
        s = self.baseline
        levels = s.monthly_churn_by_cause()
        churn = [
            self.number_control(f"churn.{c.name}", c.label,
                                hint=f"{format_value(levels[c.name], 'rate')} a month")
            for c in s.causes
        ]  # fmt: skip
        buttons = widgets.HBox([self.halve_button, self.churn_reset])
        buttons.add_class("sx-buttons")
        programs: list[widgets.Widget] = []
        for name in ("onboarding", "success", "service"):
            programs += [
                self.choice_control(f"programs.{name}.enabled"),
                self.number_control(f"programs.{name}.effect"),
                self.number_control(f"programs.{name}.cost"),
            ]
        acquisition = ("acquisition.new_per_month", "acquisition.monthly_growth",
                       "acquisition.referrals_per_active")  # fmt: skip
        return [
            ("Acquisition", "", [self.number_control(p) for p in acquisition]),
            ("Churn by cause", "Multiply each cause's churn: 1 is the baseline, "
             "0.5 halves it.", [buttons, *churn]),
            ("Save team and offer mix", "Who reaches the save team, and what they offer "
             "for each reason.", [self.number_control("save_team.coverage"),
                                  self.number_control("save_team.value_threshold"),
                                  *self.mix_editor()]),
            ("Dunning", "Late payers: how and where they are reminded.", [
                self.choice_control("dunning.enabled"),
                self.choice_control("dunning.style"),
                self.choice_control("dunning.channel"),
                self.number_control("dunning.messages"),
                self.number_control("dunning.grace_months")]),
            ("Win-back", "One message to former customers after a delay.", [
                self.choice_control("win_back.enabled"),
                self.choice_control("win_back.channel"),
                self.number_control("win_back.delay_months")]),
            ("Programs", "Work that lowers one cause's churn, at a cost.", programs),
        ]  # fmt: skip

    def _build_controls(self) -> None:
        super()._build_controls()
        n = len(self.baseline.uncertainty)
        self.band_toggle.disabled = n == 0
        if n == 0:
            self.band_toggle.value = False
            self.band_toggle.tooltip = "This scenario has no uncertainty ranges ([uncertainty])"
        else:
            self.band_toggle.tooltip = (
                f"How sure are we? Shade the what-if revenue's P10–P90 over {n} uncertain "
                f"assumptions ({self.band_draws} draws; about half a second per change)"
            )

    @_guard
    def _on_halve(self, _: object = None) -> None:
        self.halve_churn()

    def halve_churn(self) -> None:
        """Set every cause's multiplier to ½: the baseline's churn halved."""
        self._set_many({f"churn.{c}": 0.5 for c in self.baseline.cause_names})

    @_guard
    def _on_churn_reset(self, _: object = None) -> None:
        self._set_many({f"churn.{c}": 1.0 for c in self.baseline.cause_names})

    def _cards(self, base: Computed, what_if: Computed) -> str:
        return self.kpi_cards(base.result.kpis, what_if.result.kpis, EXECUTIVE_KPIS)

    def _datasets(self) -> dict[str, pd.DataFrame]:
        base, what_if = self.baseline_result, self.what_if_result
        b, w = base.result, what_if.result
        mc = self.uncertainty(self.what_if)
        self._show_band(mc)
        return {
            "monthly": charts.monthly_data(b, w, None if mc is None else mc.monthly["revenue"]),
            "churn": charts.churn_by_cause_data(b, w),
            "survival": charts.survival_data(b, w),
            "per_customer": charts.revenue_per_customer_data(b, w),
            "waterfall": charts.waterfall_data(base.attribution, what_if.attribution),
        }

    def _show_band(self, mc: MonteCarloResult | None) -> None:
        if mc is None:
            self.band_note.value = ""
            return
        low, high = map(float, mc.kpi_bands.loc["total_revenue", ["p10", "p90"]])
        money = functools.partial(format_value, unit="currency", currency=self.currency)
        self.band_note.value = (
            '<div class="sx-legend sx-band">The what-if\'s total revenue is '
            f'<b class="sx-band-range">{money(low)} – {money(high)}</b> '
            f"(P10–P90 of {len(mc.kpis)} draws over {mc.samples.shape[1]} uncertain "
            "assumptions); shaded around its revenue line.</div>"
        )

    def _panels(self) -> list[charts.Panel]:
        return [
            charts.Panel(
                "revenue",
                "monthly",
                "Revenue per month",
                "What customers pay each month (grey dashed: baseline; blue: what-if; "
                "shaded: the what-if's P10–P90 when the uncertainty band is on). The "
                "area between the lines adds up to the change in total revenue.",
                charts.revenue_view,
                charts.revenue_table,
            ),
            charts.Panel(
                "customers",
                "monthly",
                "Active customers",
                "Customers at the end of each month: new customers flow in, churn drains "
                "the base. With lower churn the base keeps growing for longer.",
                charts.customers_view,
                charts.customers_table,
            ),
            charts.Panel(
                "churn",
                "churn",
                "Customers lost, by cause",
                "Customers lost each year, stacked by why they left (pale: baseline; "
                "solid: what-if). Failed payments are involuntary; the rest chose to go.",
                charts.churn_by_cause_view,
                charts.churn_by_cause_table,
            ),
            charts.Panel(
                "survival",
                "survival",
                "Cohort retention",
                "Of the customers who join, the share still with the company after each "
                "month. The curve flattens because the riskiest customers leave first.",
                charts.survival_view,
                charts.survival_table,
            ),
            charts.Panel(
                "per_customer",
                "per_customer",
                "Revenue per new customer, by tenure",
                "What one new customer pays in total by each month of tenure, at list "
                "prices. Customers pay more the longer they stay, so every month kept is "
                "worth more than the first month's price.",
                charts.revenue_per_customer_view,
                charts.revenue_per_customer_table,
            ),
            charts.Panel(
                "waterfall",
                "waterfall",
                "What each retention lever adds to NPV",
                "NPV added over the same business with no retention work. Each step is "
                "what is lost when only that lever is switched off; 'Interactions' closes "
                "the gap to the total gain of all levers.",
                charts.waterfall_view,
                charts.waterfall_table,
            ),
        ]


# -- offer-mix dashboard ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SaveTeamComputed:
    """What the offer-mix dashboard shows for one scenario."""

    result: Result
    margin_without_team: float
    delay: pd.DataFrame


class OfferMixDashboard(Dashboard):
    """The save team's view: offer mix per reason, targeting threshold and coverage.

    Parameters
    ----------
    scenario : str or Scenario
        A preset name or a scenario to start from.

    Examples
    --------
    >>> dash = OfferMixDashboard("b2b-saas")
    >>> dash.set_control("save_team.mix.price_competitor.discount", 0.2)
    >>> dash.what_if.save_team.mix[4][0]
    0.2
    """

    title = "Save team: offer mix"
    link = ' · <a href="executive_dashboard.ipynb">← Executive view</a>'

    def __init__(self, scenario: str | Scenario = "b2b-saas") -> None:
        self._delay_cache: dict[Scenario, pd.DataFrame] = {}
        self.search_button = widgets.Button(
            description="Find the NPV-best mix",
            tooltip="Search the offer mix that maximises NPV for the what-if (a few seconds)",
            button_style="primary",
            layout={"width": "auto"},
        )
        self.search_button.add_class("sx-search")
        self.search_button.on_click(self._on_search)
        self.apply_button = widgets.Button(
            description="Use this mix",
            tooltip="Put the best mix found into the what-if",
            layout={"display": "none", "width": "auto"},
        )
        self.apply_button.add_class("sx-apply-best")
        self.apply_button.on_click(self._on_apply_best)
        self.search_result = widgets.HTML()
        self.search_result.add_class("sx-search-result")
        self.best: RetentionPlan | None = None
        super().__init__(scenario)

    def _extra_main(self) -> list[widgets.Widget]:
        buttons = widgets.HBox([self.search_button, self.apply_button])
        buttons.add_class("sx-buttons")
        box = widgets.VBox(
            [
                widgets.HTML(
                    '<div class="sx-panel-title">The NPV-best mix for the what-if</div>'
                    '<div class="sx-panel-text">A search over the share of each offer for '
                    "each reason (offers that reason's customers accept), keeping coverage, "
                    "targeting and everything else as they are.</div>"
                ),
                buttons,
                self.search_result,
            ]
        )
        box.add_class("sx-panel")
        box.add_class("sx-search-panel")
        return [box]

    def _compute(self, s: Scenario) -> SaveTeamComputed:
        team_off = dataclasses.replace(
            s, save_team=dataclasses.replace(s.save_team, coverage=0.0), name=f"{s.name} · off"
        )
        off = simulate_batch([team_off]).kpis["total_gross_margin"].iloc[0]
        return SaveTeamComputed(simulate(s), float(off), self._delay(s))

    def _delay(self, s: Scenario) -> pd.DataFrame:
        """Single-offer survival depends neither on the mix nor on coverage: cache by the rest."""
        key = dataclasses.replace(
            s,
            name="key",
            save_team=dataclasses.replace(
                s.save_team, coverage=0.0, mix=tuple((0.0,) * len(OFFER_NAMES) for _ in s.causes)
            ),
        )
        if key not in self._delay_cache:
            self._delay_cache[key] = charts.offer_delay_data(offer_survival(s))
        return self._delay_cache[key]

    def _groups(self) -> list[tuple[str, str, list[widgets.Widget]]]:
        return [
            ("Who gets an offer", "Reach and targeting of the save team.", [
                self.number_control("save_team.coverage"),
                self.number_control("save_team.value_threshold"),
            ]),
            ("Offer mix per reason", "Choose a reason, then the share of its requests "
             "that get each offer.", self.mix_editor()),
        ]  # fmt: skip

    def _cards(self, base: SaveTeamComputed, what_if: SaveTeamComputed) -> str:
        def extra(c: SaveTeamComputed) -> dict[str, float]:
            k = c.result.kpis
            given = k["total_discounts_given"] + float(c.result.arrays["offer_costs"].sum())
            return {**k, "margin_kept": k["total_gross_margin"] - c.margin_without_team,
                    "given_away": given}  # fmt: skip

        labels = {"margin_kept": ("Margin kept", "currency"),
                  "given_away": ("Given away", "currency")}  # fmt: skip
        keys = ("save_rate", "cost_per_save", "margin_kept", "given_away", "npv")
        return self.kpi_cards(extra(base), extra(what_if), keys, labels)

    def _datasets(self) -> dict[str, pd.DataFrame]:
        base, what_if = self.baseline_result, self.what_if_result
        b, w = base.result, what_if.result
        return {
            "mix": charts.offer_mix_data(self.what_if),
            "saves": charts.saves_by_offer_data(b, w),
            "margin": charts.margin_kept_data(
                b, w, base.margin_without_team, what_if.margin_without_team
            ),
            "delay": what_if.delay,
        }

    def _panels(self) -> list[charts.Panel]:
        return [
            charts.Panel(
                "mix",
                "mix",
                "Offer mix (what-if)",
                "For each reason customers give when asking to leave: the share of the "
                "requests reaching the save team that get each offer. Blank: no offer.",
                charts.offer_mix_view,
                charts.offer_mix_table,
            ),
            charts.Panel(
                "saves",
                "saves",
                "Customers saved, by offer",
                "Cancellation requests each offer turned into a stay over the horizon "
                "(grey: baseline; blue: what-if). A customer saved twice counts twice.",
                charts.saves_by_offer_view,
                charts.saves_by_offer_table,
            ),
            charts.Panel(
                "margin",
                "margin",
                "Margin kept against money given away",
                "Margin kept: extra gross margin over the horizon compared with no save "
                "team, net of discounts. Given away: list revenue not charged during "
                "discounts, free months and pauses, and the team's costs.",
                charts.margin_kept_view,
                charts.margin_kept_table,
            ),
            charts.Panel(
                "delay",
                "delay",
                "A discount only delays",
                "If every request got this one offer: extra customers still with the "
                "company, per 1,000 who joined, compared with no save team. A discount "
                "holds customers a few months, then most leave; a fix keeps them.",
                charts.offer_delay_view,
                charts.offer_delay_table,
            ),
        ]

    @_guard
    def _on_search(self, _: object = None) -> None:
        self.search()

    def search(self) -> RetentionPlan:
        """Find the NPV-best mix for the what-if and show it (:func:`optimize_offer_mix`)."""
        self.search_result.value = '<div class="sx-result">Searching…</div>'
        s = self.what_if
        if s.save_team.coverage <= 0:
            raise ScenarioError("save_team.coverage", "is 0: no save team to find a mix for")
        found = optimize_offer_mix(s, maxiter=40)
        self.best = found
        rows = []
        for c in s.causes:
            if c.voluntary:
                now, best = _mix_of(s).get(c.name, {}), found.mix_of(c.name)
                rows.append(
                    f"<tr><td>{_esc(c.label)}</td><td>{_esc(_mix_text(now))}</td>"
                    f"<td><b>{_esc(_mix_text(best))}</b></td></tr>"
                )
        gain = found.npv - found.npv_start
        signed = ("+" if gain > 0 else "") + format_value(gain, "currency", s.currency)
        self.search_result.value = (
            '<div class="sx-result">NPV with the best mix: <b class="sx-best-npv">'
            f"{_esc(format_value(found.npv, 'currency', s.currency))}</b> ({_esc(signed)} "
            f"against the what-if's mix; {found.evaluations} scenarios simulated)."
            "<table><tr><th>Reason</th><th>What-if mix</th><th>NPV-best mix</th></tr>"
            + "".join(rows)
            + "</table></div>"
        )
        self.apply_button.layout.display = None if gain > 0 else "none"
        return found

    @_guard
    def _on_apply_best(self, _: object = None) -> None:
        if self.best is None:
            return
        values = {}
        for cause in self.best.mix.index:
            offers = self.best.mix_of(str(cause))
            for o in OFFER_NAMES:
                key = f"save_team.mix.{cause}.{o}"
                if key in self.values:  # whole percents, rounded down: rows stay ≤ 100 %
                    values[key] = math.floor(100 * offers.get(o, 0.0) + 1e-9) / 100
        self._set_many(values)
        self.apply_button.layout.display = "none"


def _mix_text(mix: Mapping[str, float]) -> str:
    if not mix:
        return "no offer"
    return ", ".join(f"{OFFER_LABELS[o]} {format_value(v, 'share')}" for o, v in mix.items())
