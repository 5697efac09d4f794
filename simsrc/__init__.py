"""simsrc — a what-if simulator of customer-retention economics.

The package is built in floors, each importing only from the floors below it
(``docs/architecture.md``): :mod:`simsrc.model` (scenarios, levers, parameters, files),
:mod:`simsrc.engine` (how cohorts evolve), :mod:`simsrc.results` (simulate, KPIs, random
runs), :mod:`simsrc.calibration` (data → scenario), :mod:`simsrc.analysis` (compare,
attribution, sensitivity, sweeps, optimisation) and :mod:`simsrc.ui` (CLI, charts,
dashboards). The names below are the public API.

Quick start
-----------
>>> import simsrc
>>> base = simsrc.preset("b2b-saas")
>>> table = simsrc.compare(base, base.halve_churn())
>>> res = simsrc.simulate(base)
>>> sorted(res.kpis)[:3]
['avg_monthly_churn', 'cac_payback_months', 'clv_per_customer']
"""

import importlib
from typing import TYPE_CHECKING

from simsrc.analysis.attribution import attribute, lever_off
from simsrc.analysis.compare import compare, kpi_table, unit_economics
from simsrc.analysis.exit_survey import levels_from_exit_survey
from simsrc.analysis.experiment import ExperimentPlan, plan_experiment, simulate_power
from simsrc.analysis.sensitivity import MonteCarloResult, monte_carlo, tornado
from simsrc.analysis.sweep import sweep
from simsrc.model.errors import ScenarioError
from simsrc.model.files import load_scenario, parse_scenario_text, save_scenario, scenario_to_toml
from simsrc.model.params import PARAMETERS, Param
from simsrc.model.parts import (
    Acquisition,
    Cause,
    Contract,
    Heterogeneity,
    Segment,
    Shape,
    Uncertain,
    ValueGrowth,
)
from simsrc.model.presets import list_presets, preset
from simsrc.model.scenario import Scenario, simple_scenario
from simsrc.model.surveys import EXIT_SURVEY_REASONS
from simsrc.results.expected import BatchResult, Result, simulate_batch
from simsrc.results.kpis import KPI_INFO
from simsrc.results.simulate import simulate
from simsrc.results.stochastic import StochasticResult

if TYPE_CHECKING:  # pragma: no cover - imported on first use, see __getattr__
    from simsrc.analysis.optimize import RetentionPlan, optimize_offer_mix, optimize_retention
    from simsrc.calibration import CalibrationReport, calibrate

__all__ = [
    "EXIT_SURVEY_REASONS",
    "KPI_INFO",
    "PARAMETERS",
    "Acquisition",
    "BatchResult",
    "CalibrationReport",
    "Cause",
    "Contract",
    "ExperimentPlan",
    "Heterogeneity",
    "MonteCarloResult",
    "Param",
    "Result",
    "RetentionPlan",
    "Scenario",
    "ScenarioError",
    "Segment",
    "Shape",
    "StochasticResult",
    "Uncertain",
    "ValueGrowth",
    "attribute",
    "calibrate",
    "compare",
    "kpi_table",
    "levels_from_exit_survey",
    "lever_off",
    "list_presets",
    "load_scenario",
    "monte_carlo",
    "optimize_offer_mix",
    "optimize_retention",
    "parse_scenario_text",
    "plan_experiment",
    "preset",
    "save_scenario",
    "scenario_to_toml",
    "simple_scenario",
    "simulate",
    "simulate_batch",
    "simulate_power",
    "sweep",
    "tornado",
    "unit_economics",
]
__version__ = "0.2.0"

_LAZY = {
    "calibrate": "simsrc.calibration",
    "CalibrationReport": "simsrc.calibration",
    "optimize_retention": "simsrc.analysis.optimize",
    "optimize_offer_mix": "simsrc.analysis.optimize",
    "RetentionPlan": "simsrc.analysis.optimize",
}


def __getattr__(name: str) -> object:
    """Calibration and the optimisers, imported on first use.

    Calibration reads data through DuckDB and both fit with :mod:`scipy.optimize`;
    importing them lazily keeps ``import simsrc`` (and so every CLI command and the
    dashboards' start-up) about 0.8 s faster.
    """
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simsrc' has no attribute {name!r}")
