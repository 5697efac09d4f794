"""simsrc — a what-if simulator of customer-retention economics.

Quick start
-----------
>>> import simsrc
>>> base = simsrc.preset("b2b-saas")
>>> table = simsrc.compare(base, base.halve_churn())
>>> res = simsrc.simulate(base)
>>> sorted(res.kpis)[:3]
['avg_monthly_churn', 'cac_payback_months', 'clv_per_customer']
"""

from simsrc.analysis.attribution import attribute, lever_off
from simsrc.analysis.compare import compare, kpi_table
from simsrc.analysis.exit_survey import levels_from_exit_survey
from simsrc.model.errors import ScenarioError
from simsrc.model.files import load_scenario, parse_scenario_text, save_scenario, scenario_to_toml
from simsrc.model.params import PARAMETERS, Param
from simsrc.model.parts import (
    Acquisition,
    Cause,
    Heterogeneity,
    Segment,
    Shape,
    Uncertain,
    ValueGrowth,
)
from simsrc.model.presets import list_presets, preset
from simsrc.model.scenario import Scenario, simple_scenario
from simsrc.model.surveys import EXIT_SURVEY_REASONS
from simsrc.results.simulate import KPI_INFO, BatchResult, Result, simulate, simulate_batch
from simsrc.results.stochastic import StochasticResult

__all__ = [
    "EXIT_SURVEY_REASONS",
    "KPI_INFO",
    "PARAMETERS",
    "Acquisition",
    "BatchResult",
    "CalibrationReport",
    "Cause",
    "Heterogeneity",
    "Param",
    "Result",
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
    "parse_scenario_text",
    "preset",
    "save_scenario",
    "scenario_to_toml",
    "simple_scenario",
    "simulate",
    "simulate_batch",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``simsrc.calibrate`` and ``simsrc.CalibrationReport``, imported on first use.

    Calibration reads data through DuckDB; importing it lazily keeps ``import simsrc``
    (and the dashboards' start-up) free of it.
    """
    if name in ("calibrate", "CalibrationReport"):
        from simsrc import calibration

        return getattr(calibration, name)
    raise AttributeError(f"module 'simsrc' has no attribute {name!r}")
