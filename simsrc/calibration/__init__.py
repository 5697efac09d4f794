"""Calibrate a scenario from a company's own data.

- :func:`calibrate` — data file, DataFrame or SQL query in; calibrated scenario and a
  :class:`CalibrationReport` (observed vs fitted survival, cause shares, goodness of fit,
  kept parameters, warnings) out.
- :mod:`simsrc.calibration.options`: :class:`CalibrationOptions`, the options of
  :func:`calibrate` and their checks.
- :mod:`simsrc.calibration.sbg`: the shifted-beta-geometric model of Fader & Hardie
  (2007), fitted by maximum likelihood to a survival curve, a cohort table or customer
  durations (with censoring and delayed entry); its closed forms in
  :mod:`simsrc.calibration.sbg_curves`.
- :mod:`simsrc.calibration.survival`: discrete-time life tables, cause-specific hazards
  and cumulative incidence from a one-row-per-customer snapshot (with delayed entry).
- :mod:`simsrc.calibration.snapshot` / :mod:`simsrc.calibration.cohorts`: the two
  calibration paths behind :func:`calibrate`; the snapshot path's fit in
  :mod:`simsrc.calibration.snapshot_fit`, its report in
  :mod:`simsrc.calibration.snapshot_report`, acquisition in
  :mod:`simsrc.calibration.acquisition`; :mod:`simsrc.calibration.build` their shared
  steps (scenario building, lever gross-up, fit statistics).
- :mod:`simsrc.calibration.churn_model`: the engine's own churn model (levels × shapes,
  heterogeneity) fitted by competing-risks maximum likelihood.
- :mod:`simsrc.calibration.reasons`: exit reasons → causes (default and user mapping).
- :mod:`simsrc.calibration.prepare`: validation of customer tables (bad rows named), with
  :mod:`simsrc.calibration.columns` (finding columns, checking options) and
  :mod:`simsrc.calibration.records` (issues, clean records, one reader per column role).
- :mod:`simsrc.calibration.value`: revenue per customer by tenure.
- :mod:`simsrc.calibration.readers`: CSV / Parquet / SQL (DuckDB, any DB-API database) —
  the only module that reads files or databases.
- :mod:`simsrc.calibration.cli`: the ``simsrc calibrate`` command.
"""

from simsrc.calibration.calibrate import calibrate, calibrate_frame
from simsrc.calibration.churn_model import (
    ChurnModel,
    ChurnModelFit,
    FitSpec,
    SegmentCounts,
    fit_churn_model,
    model_curves,
)
from simsrc.calibration.options import CalibrationOptions
from simsrc.calibration.prepare import ROLES, prepare_customers
from simsrc.calibration.readers import read_customers, read_sql
from simsrc.calibration.reasons import (
    DEFAULT_REASON_MAP,
    default_reason_map,
    load_reason_map,
    map_reasons,
)
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.sbg import (
    SBGFit,
    fit_sbg,
    fit_sbg_durations,
    sbg_churn_pmf,
    sbg_derl,
    sbg_derv,
    sbg_from_mean_polarization,
    sbg_log_likelihood,
    sbg_retention_rate,
    sbg_survival,
    sbg_to_mean_polarization,
)
from simsrc.calibration.survival import cause_specific_hazards, life_table
from simsrc.calibration.value import fit_value_curve, revenue_by_tenure

__all__ = [
    "DEFAULT_REASON_MAP",
    "ROLES",
    "CalibrationOptions",
    "CalibrationReport",
    "ChurnModel",
    "ChurnModelFit",
    "FitSpec",
    "SBGFit",
    "SegmentCounts",
    "calibrate",
    "calibrate_frame",
    "cause_specific_hazards",
    "default_reason_map",
    "fit_churn_model",
    "fit_sbg",
    "fit_sbg_durations",
    "fit_value_curve",
    "life_table",
    "load_reason_map",
    "map_reasons",
    "model_curves",
    "prepare_customers",
    "read_customers",
    "read_sql",
    "revenue_by_tenure",
    "sbg_churn_pmf",
    "sbg_derl",
    "sbg_derv",
    "sbg_from_mean_polarization",
    "sbg_log_likelihood",
    "sbg_retention_rate",
    "sbg_survival",
    "sbg_to_mean_polarization",
]
