"""Calibrate a scenario from a company's own data: the pure statistical core.

- :mod:`simsrc.calibration.sbg`: the shifted-beta-geometric model of Fader & Hardie
  (2007), fitted by maximum likelihood to a survival curve or a cohort table.
- :mod:`simsrc.calibration.hazards`: discrete-time life tables, cause-specific hazards
  and cumulative incidence from a one-row-per-customer snapshot.
"""

from simsrc.calibration.hazards import cause_specific_hazards, life_table
from simsrc.calibration.sbg import (
    SBGFit,
    fit_sbg,
    sbg_churn_pmf,
    sbg_from_mean_polarization,
    sbg_log_likelihood,
    sbg_retention_rate,
    sbg_survival,
    sbg_to_mean_polarization,
)

__all__ = [
    "SBGFit",
    "cause_specific_hazards",
    "fit_sbg",
    "life_table",
    "sbg_churn_pmf",
    "sbg_from_mean_polarization",
    "sbg_log_likelihood",
    "sbg_retention_rate",
    "sbg_survival",
    "sbg_to_mean_polarization",
]
