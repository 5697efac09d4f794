"""What a dashboard is showing, without widgets: baseline, what-if, values and results.

:class:`WhatIfState` holds the two scenarios, the control values in use and what the
dashboard computed for each scenario (cached, least recently used first out: a control
change recomputes the what-if only). The widget frame
(:class:`simsrc.ui.dashboard.frame.Dashboard`) reads and changes it; tests can drive it
directly.

Examples
--------
>>> import simsrc
>>> state = WhatIfState(simsrc.simulate)
>>> state.start(simsrc.preset("b2b-saas"))
>>> state.add_control("churn.onboarding", state.baseline_value("churn.onboarding"))
>>> checked, what_if = state.try_values({"churn.onboarding": 0.5})
>>> state.use(checked, what_if)
>>> state.values["churn.onboarding"], state.what_if_result.kpis["npv"] > (
...     state.baseline_result.kpis["npv"])
(0.5, True)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from simsrc.model.errors import ScenarioError
from simsrc.model.files import MAX_FILE_BYTES, parse_scenario_text, scenario_to_toml
from simsrc.model.scenario import Scenario
from simsrc.model.units import FRACTION_UNITS, export_frame
from simsrc.results.expected import Result
from simsrc.results.kpis import KPI_INFO
from simsrc.ui import charts
from simsrc.ui.dashboard.values import build_what_if, check_control, is_factor, scenario_value

__all__ = ["WhatIfState", "kpi_table", "read_upload", "slug"]


def slug(text: str) -> str:
    """A file-name-safe form of a scenario name.

    Examples
    --------
    >>> slug("B2B SaaS · what-if")
    'b2b-saas-what-if'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "scenario"


def read_upload(file: object) -> tuple[str, Scenario]:
    """The name and scenario of an uploaded file, checked like any scenario file.

    Parameters
    ----------
    file : mapping
        An entry of ``FileUpload.value``: ``name`` and ``content`` (bytes). Anything
        else (a crafted message) is refused with a message.

    Returns
    -------
    tuple
        ``(name, scenario)``; the name is cut to 120 characters.

    Raises
    ------
    ScenarioError
        If the file is too large, not UTF-8 text, not TOML or not a valid scenario.

    Examples
    --------
    >>> read_upload({"name": "x.toml", "content": bytes([255])})
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: x.toml: not a UTF-8 text file (expected TOML)
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
    return name, parse_scenario_text(text, name)


class WhatIfState:
    """Baseline and what-if scenarios, control values, and cached results.

    Parameters
    ----------
    compute : callable
        ``compute(scenario)``: what the dashboard shows for a scenario. Its value must
        have a ``result`` (:class:`~simsrc.results.simulate.Result`) for
        :meth:`results_file`.
    cache_size : int
        How many scenarios' results are kept.

    Attributes
    ----------
    baseline, what_if : Scenario
        The two scenarios on show (after :meth:`start`).
    baseline_result, what_if_result
        What ``compute`` returned for them.
    values, baseline_values : dict
        Control key → value in use, and → the baseline's value.
    uploads : dict
        Uploaded scenarios by their chooser key.
    """

    def __init__(self, compute: Callable[[Scenario], Any], cache_size: int = 32) -> None:
        self.result: Callable[[Scenario], Any] = functools.lru_cache(maxsize=cache_size)(compute)
        self.uploads: dict[str, Scenario] = {}
        self.values: dict[str, Any] = {}
        self.baseline_values: dict[str, Any] = {}
        self.baseline_document: dict[str, Any] = {}

    def start(self, baseline: Scenario) -> None:
        """Make ``baseline`` the scenario the controls start from; forget the values."""
        self.baseline = baseline
        self.baseline_result = self.result(baseline)
        self.baseline_document = baseline.to_dict(full=True)
        self.values = {}
        self.baseline_values = {}

    def baseline_value(self, key: str) -> Any:
        """The baseline's value of a control (1 for a multiplier)."""
        if is_factor(key):
            return 1.0
        return scenario_value(self.baseline_document, key)

    def add_control(self, key: str, value: Any) -> None:
        """Start a control at ``value``, which is also what :meth:`reset` returns to."""
        self.values[key] = self.baseline_values[key] = value

    def try_values(self, changes: Mapping[str, object]) -> tuple[dict[str, Any], Scenario]:
        """Check control values and build the what-if they make, changing nothing yet.

        Raises
        ------
        ScenarioError
            If a value or the combination is invalid.
        """
        checked = {k: check_control(k, v) for k, v in changes.items()}
        return checked, build_what_if(self.baseline, {**self.values, **checked})

    def use(self, checked: Mapping[str, Any], what_if: Scenario) -> None:
        """Take checked values and their what-if (from :meth:`try_values`)."""
        self.values.update(checked)
        self.show(what_if)

    def show(self, what_if: Scenario) -> None:
        """Make ``what_if`` the scenario compared with the baseline."""
        self.what_if = what_if
        self.what_if_result = self.result(what_if)

    def reset(self) -> None:
        """Every control back to the baseline's value; the what-if follows."""
        self.values = dict(self.baseline_values)
        self.show(build_what_if(self.baseline, self.values))

    def scenario_file(self) -> tuple[str, str, str]:
        """The what-if scenario as a TOML file: ``(filename, mime type, text)``."""
        return (f"{slug(self.baseline.name)}-what-if.toml", "application/toml",
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
        text = export_frame(pd.concat(frames, ignore_index=True)).to_csv(index=False)
        return f"{slug(self.baseline.name)}-results.csv", "text/csv", text

    def kpis_file(self) -> tuple[str, str, str]:
        """Every KPI of baseline and what-if as CSV, labelled: ``(filename, mime, text)``."""
        text = kpi_table(
            self.baseline_result.result.kpis, self.what_if_result.result.kpis,
            self.baseline.currency,
        ).to_csv(index=False)  # fmt: skip
        return f"{slug(self.baseline.name)}-kpis.csv", "text/csv", text


def kpi_table(
    base: Mapping[str, float], what_if: Mapping[str, float], currency: str
) -> pd.DataFrame:
    """The KPIs as a reader wants them: label, unit, baseline, what-if, change.

    One unit per row: money in the scenario's currency with cents, customers and months
    to one decimal, rates and shares in per cent (changes in percentage points).

    Examples
    --------
    >>> t = kpi_table({"save_rate": 0.27, "npv": 100.0}, {"save_rate": 0.3, "npv": 110.0}, "EUR")
    >>> row = t.set_index("KPI").loc["Save rate"]
    >>> row["unit"], float(row["baseline"]), float(row["what-if"]), float(row["change"])
    ('%', 27.0, 30.0, 3.0)
    """
    rows = []
    for key, (label, unit) in KPI_INFO.items():
        if key not in base or key not in what_if:
            continue
        b, w = float(base[key]), float(what_if[key])
        if unit in FRACTION_UNITS:
            shown, b, w, digits = "%", 100 * b, 100 * w, 4
        elif unit.startswith("currency"):
            shown, digits = currency + unit[len("currency") :], 2
        else:
            shown, digits = unit, 1 if unit in ("customers", "months") else 4
        change = w - b
        pct = 100 * change / abs(b) if unit not in FRACTION_UNITS and b else float("nan")
        rows.append({"KPI": label, "unit": shown, "baseline": round(b, digits),
                     "what-if": round(w, digits), "change": round(change, digits),
                     "change %": round(pct, 2)})  # fmt: skip
    return pd.DataFrame(rows)
