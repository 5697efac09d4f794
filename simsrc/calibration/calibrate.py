"""Calibrate a scenario from a company's own data: :func:`calibrate`.

Two kinds of data:

- **Customer snapshot or event log** — one row per customer (tenure or start/end dates,
  status, exit reason and category, monthly charge, contract or plan). Segments come
  from the contract / plan column; churn by cause, tenure shapes and heterogeneity are
  fitted by maximum likelihood to the engine's own model
  (:mod:`simsrc.calibration.churn_model`), revenue per customer by tenure to the value
  curve (:mod:`simsrc.calibration.value`), acquisition from the joiners or start dates.
- **Cohort survival table** — customers still active by period since start, one row per
  cohort (left-justified or in calendar time). The shifted-beta-geometric fit of Fader &
  Hardie is reported with standard errors and projections; the scenario keeps the base's
  cause mix and scales it per segment.

The scenario starts from a base (default: the telecom preset): whatever the data cannot
tell — margins, costs, CAC, retention levers, causes nobody's reason maps to — is kept
from it and listed in the report. Because the data record churn *after* whatever
retention work the company already does, the cause levels are by default grossed up so
that the calibrated scenario, with the base's levers switched on, reproduces the observed
churn (``levers_in_data=True``).

References
----------
.. [FH07] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention".
   *Journal of Interactive Marketing* 21(1), 76–90.
.. [KM58] Kaplan, E. L. and Meier, P. (1958). "Nonparametric Estimation from Incomplete
   Observations". *JASA* 53(282), 457–481.
.. [TJW87] Tsai, W.-Y., Jewell, N. P. and Wang, M.-C. (1987). "A Note on the
   Product-Limit Estimator under Right Censoring and Left Truncation". *Biometrika*
   74(4), 883–886.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from simsrc.calibration.build import (
    Options,
    period_of,
)
from simsrc.calibration.cohorts import _calibrate_cohorts
from simsrc.calibration.prepare import find_columns, prepare_customers
from simsrc.calibration.readers import read_customers
from simsrc.calibration.reasons import load_reason_map
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.snapshot import _calibrate_snapshot
from simsrc.errors import ScenarioError
from simsrc.io import load_scenario
from simsrc.presets import list_presets, preset
from simsrc.scenario import Scenario

__all__ = ["calibrate", "calibrate_frame", "resolve_base"]

# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def calibrate(
    data: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    query: str | None = None,
    connection: Any = None,
    base: Scenario | str | None = None,
    kind: Literal["auto", "snapshot", "cohorts"] = "auto",
    columns: Mapping[str, str | None] | None = None,
    segment: str | Literal[False] | None = None,
    reason_map: Mapping[str, str | None] | str | os.PathLike[str] | None = None,
    window_months: int | Literal["auto"] | None = "auto",
    as_of: str | pd.Timestamp | None = None,
    levers_in_data: bool = True,
    unmapped_causes: Literal["keep", "zero"] = "keep",
    fit_shapes: bool = True,
    latent_causes: Sequence[str] | Literal["auto"] | None = "auto",
    spread: float | None = None,
    period_months: int = 1,
    drop_invalid: bool = False,
    min_at_risk: float = 30.0,
    name: str | None = None,
) -> tuple[Scenario, CalibrationReport]:
    """Calibrate a scenario from customer data and report how well it fits.

    Parameters
    ----------
    data : path, DataFrame or None
        A CSV / Parquet file, a database file (with ``query``), or a DataFrame. With
        ``query`` and no ``connection``, a data file is the table ``data`` in the query.
    query : str, optional
        SQL whose result is the data (DuckDB by default; see ``connection``).
    connection : optional
        A DB-API connection (``sqlite3``, ``duckdb``, ``psycopg``, …), or a URL
        (``sqlite:///file.db``, ``duckdb:///file.duckdb``, any SQLAlchemy URL).
    base : Scenario or str, optional
        Scenario to start from: a Scenario, a preset name or a ``.toml`` file (default:
        the telecom preset). Its levers, margins, costs and CAC are kept.
    kind : {"auto", "snapshot", "cohorts"}
        Customer rows or a cohort survival table (auto-detected by default).
    columns : mapping, optional
        Role → column name for columns not found by their usual names (roles: ``id``,
        ``tenure``, ``status``, ``start``, ``end``, ``reason``, ``category``, ``charge``,
        ``segment``).
    segment : str or False, optional
        Column defining segments (default: contract / plan); ``False``: one segment.
    reason_map : mapping or path, optional
        Reason → cause name (or ``None`` for "says nothing"), merged over the default
        mapping (:func:`simsrc.calibration.default_reason_map`); or a CSV / TOML file.
    window_months : int, "auto" or None
        The snapshot's observation window (left truncation). ``"auto"`` infers it from a
        "Joined" status; ``None``: every customer observed from month 1.
    as_of : date, optional
        End of observation for date-based data (default: the latest date).
    levers_in_data : bool
        The data were recorded with the base's levers in place: cause levels are grossed
        up so the calibrated scenario, levers on, reproduces the observed churn. ``False``:
        levels are the observed rates and the levers act on top.
    unmapped_causes : {"keep", "zero"}
        Causes no reason maps onto keep the base's levels (as fixed parts of the hazard)
        or are set to zero.
    fit_shapes : bool
        Estimate the time scale of ``early`` / ``hump`` causes that have data.
    latent_causes : sequence of str, "auto" or None
        Causes with no reason of their own that a stated reason may hide (each churner
        of a preventable voluntary cause then counts as "that cause or a latent one", and
        the tenure pattern decides). ``"auto"``: the base's voluntary causes with an
        ``early`` shape that no reason maps onto (onboarding, in the presets). ``None``:
        none.
    spread : float, optional
        Fix the heterogeneity spread instead of estimating it.
    period_months : int
        Months per period of a cohort table (12 for yearly renewals).
    drop_invalid : bool
        Drop (and count) unusable rows instead of stopping with an error.
    min_at_risk : float
        Months with fewer customers at risk are left out of the gap statistics.
    name : str, optional
        Name of the calibrated scenario.

    Returns
    -------
    scenario : Scenario
        The calibrated scenario.
    report : CalibrationReport
        Observed vs fitted survival, hazards and cause shares, goodness of fit, sBG
        comparison, kept parameters, assumptions and warnings.

    Raises
    ------
    ScenarioError
        Unreadable or empty data, missing columns, bad rows (naming the column and the
        first offending rows), unknown causes in ``reason_map``, or bad options.

    Examples
    --------
    >>> import simsrc
    >>> scenario, report = simsrc.calibration.calibrate("data/telecom_customer_churn.csv")
    ... # doctest: +SKIP
    >>> report.fit[["segment", "scenario_max_gap"]]  # doctest: +SKIP
    """
    base_scenario = resolve_base(base)
    mapping = (
        load_reason_map(os.fspath(reason_map))
        if isinstance(reason_map, (str, os.PathLike))
        else reason_map
    )
    frame, source = read_customers(data, query=query, connection=connection)  # type: ignore[arg-type]
    return calibrate_frame(
        frame,
        source=source,
        base=base_scenario,
        kind=kind,
        columns=columns,
        segment=segment,
        reason_map=mapping,
        window_months=window_months,
        as_of=as_of,
        levers_in_data=levers_in_data,
        unmapped_causes=unmapped_causes,
        fit_shapes=fit_shapes,
        latent_causes=latent_causes,
        spread=spread,
        period_months=period_months,
        drop_invalid=drop_invalid,
        min_at_risk=min_at_risk,
        name=name,
    )


def resolve_base(base: Scenario | str | None) -> Scenario:
    """The base scenario: a Scenario, a preset name, a ``.toml`` path, or the telecom preset.

    Examples
    --------
    >>> resolve_base(None).name
    'telecom'
    """
    if base is None:
        return preset("telecom")
    if isinstance(base, Scenario):
        return base
    if isinstance(base, str) and base in list_presets():
        return preset(base)
    if isinstance(base, (str, os.PathLike)) and (
        str(base).endswith(".toml") or Path(base).exists()
    ):
        return load_scenario(base)
    raise ScenarioError(
        "base",
        f"{base!r} is neither a Scenario, a preset ({', '.join(list_presets())}) nor a .toml file",
    )


def calibrate_frame(
    frame: pd.DataFrame,
    *,
    source: str = "DataFrame",
    base: Scenario | None = None,
    kind: Literal["auto", "snapshot", "cohorts"] = "auto",
    columns: Mapping[str, str | None] | None = None,
    segment: str | Literal[False] | None = None,
    reason_map: Mapping[str, str | None] | None = None,
    window_months: int | Literal["auto"] | None = "auto",
    as_of: str | pd.Timestamp | None = None,
    levers_in_data: bool = True,
    unmapped_causes: Literal["keep", "zero"] = "keep",
    fit_shapes: bool = True,
    latent_causes: Sequence[str] | Literal["auto"] | None = "auto",
    spread: float | None = None,
    period_months: int = 1,
    drop_invalid: bool = False,
    min_at_risk: float = 30.0,
    name: str | None = None,
) -> tuple[Scenario, CalibrationReport]:
    """:func:`calibrate` on a DataFrame already in memory (no files, no database).

    Same parameters as :func:`calibrate` (``source`` names the data in the report).
    """
    base_scenario = base if base is not None else preset("telecom")
    if unmapped_causes not in ("keep", "zero"):
        raise ScenarioError("unmapped_causes", "must be 'keep' or 'zero'")
    if spread is not None and not (isinstance(spread, int | float) and 0 <= spread <= 0.95):
        raise ScenarioError("spread", f"must be between 0 and 0.95 (got {spread!r})")
    if kind not in ("auto", "snapshot", "cohorts"):
        raise ScenarioError("kind", "must be 'auto', 'snapshot' or 'cohorts'")
    chosen = _detect_kind(frame, columns) if kind == "auto" else kind
    opts = Options(
        levers_in_data=levers_in_data,
        unmapped_causes=unmapped_causes,
        fit_shapes=fit_shapes,
        spread=None if spread is None else float(spread),
        min_at_risk=float(min_at_risk),
        name=name,
        source=source,
    )
    if chosen == "cohorts":
        if (
            isinstance(period_months, bool)
            or not isinstance(period_months, int)
            or not (1 <= period_months <= 24)
        ):
            raise ScenarioError("period_months", "must be a whole number between 1 and 24")
        return _calibrate_cohorts(frame, base_scenario, opts, period_months, segment)
    prepared = prepare_customers(
        frame,
        causes=base_scenario.cause_names,
        columns=columns,
        segment=segment,
        window_months=window_months,
        as_of=as_of,
        reason_map=reason_map,
        drop_invalid=drop_invalid,
    )
    return _calibrate_snapshot(prepared, base_scenario, opts, latent_causes)


def _detect_kind(frame: pd.DataFrame, columns: Mapping[str, str | None] | None) -> str:
    found = find_columns(frame, columns)
    if (found["tenure"] or found["start"]) and (found["status"] or found["end"]):
        return "snapshot"
    periods = [p for p in (period_of(c) for c in frame.columns) if p is not None]
    if len(periods) >= 3 and 0 in periods:
        return "cohorts"
    return "snapshot"  # prepare_customers names what is missing
