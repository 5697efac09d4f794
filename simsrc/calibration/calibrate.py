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

import dataclasses
import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from simsrc.calibration.build import period_of
from simsrc.calibration.cohorts import calibrate_cohorts
from simsrc.calibration.columns import find_columns
from simsrc.calibration.options import (
    MAX_NAME_LENGTH,
    CalibrationOptions,
    check_name,
    check_options,
)
from simsrc.calibration.prepare import prepare_customers
from simsrc.calibration.readers import read_with_notes
from simsrc.calibration.reasons import load_reason_map
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.snapshot import calibrate_snapshot
from simsrc.model.errors import ScenarioError
from simsrc.model.files import load_scenario
from simsrc.model.presets import list_presets, preset
from simsrc.model.scenario import Scenario

# check_name, check_options and MAX_NAME_LENGTH are defined in options.py and exported
# here too, beside the entry points whose options they check.
__all__ = [
    "MAX_NAME_LENGTH",
    "calibrate",
    "calibrate_frame",
    "check_name",
    "check_options",
    "resolve_base",
]

# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def calibrate(
    data: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    query: str | None = None,
    connection: Any = None,
    base: Scenario | str | None = None,
    reason_map: Mapping[str, str | None] | str | os.PathLike[str] | None = None,
    **options: Any,
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
    reason_map : mapping or path, optional
        Reason → cause name (or ``None`` for "says nothing"), merged over the default
        mapping (:func:`simsrc.calibration.default_reason_map`); or a CSV / TOML file.
    **options
        The fields of :class:`~simsrc.calibration.options.CalibrationOptions` as keyword
        arguments: ``kind``, ``columns``, ``segment``, ``window_months``, ``as_of``,
        ``levers_in_data``, ``unmapped_causes``, ``fit_shapes``, ``latent_causes``,
        ``spread``, ``period_months``, ``drop_invalid``, ``min_at_risk``,
        ``contract_terms``, ``name``.

    Returns
    -------
    scenario : Scenario
        The calibrated scenario.
    report : CalibrationReport
        Observed vs fitted survival, hazards and cause shares, goodness of fit, sBG
        comparison, kept parameters, assumptions and warnings.

    Raises
    ------
    TypeError
        An unknown keyword argument.
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
    if "source" in options:  # the report names the file or query read
        raise TypeError("calibrate() got an unexpected keyword argument 'source'")
    opts = CalibrationOptions(**options)
    # Every option is checked before the (possibly slow) reading and fitting.
    opts.check()
    base_scenario = resolve_base(base)
    mapping = (
        load_reason_map(os.fspath(reason_map), causes=base_scenario.cause_names)
        if isinstance(reason_map, (str, os.PathLike))
        else reason_map
    )
    read = read_with_notes(data, query=query, connection=connection)
    scenario, report = _calibrate_one_line(
        read.frame, base_scenario, mapping, dataclasses.replace(opts, source=read.source)
    )
    if read.notes:
        report = dataclasses.replace(report, warnings=(*read.notes, *report.warnings))
    return scenario, report


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
    reason_map: Mapping[str, str | None] | None = None,
    **options: Any,
) -> tuple[Scenario, CalibrationReport]:
    """:func:`calibrate` on a DataFrame already in memory (no files, no database).

    Same parameters as :func:`calibrate` (``source`` names the data in the report).

    Raises
    ------
    TypeError
        An unknown keyword argument.
    ScenarioError
        As :func:`calibrate`; the message is always one line.
    """
    opts = CalibrationOptions(source=source, **options)
    opts.check()
    return _calibrate_one_line(frame, base, reason_map, opts)


def _calibrate_one_line(
    frame: pd.DataFrame,
    base: Scenario | None,
    reason_map: Mapping[str, str | None] | None,
    opts: CalibrationOptions,
) -> tuple[Scenario, CalibrationReport]:
    """:func:`_calibrate_frame`, its error messages escaped to one line."""
    try:
        return _calibrate_frame(frame, base, reason_map, opts)
    except ScenarioError as err:
        # Column names and cell values are quoted into messages; one with a line break
        # would split the CLI's single error line, so control characters are escaped.
        if _one_line(str(err)) == str(err):
            raise
        raise ScenarioError(_one_line(err.path), _one_line(err.message)) from None


def _one_line(text: str) -> str:
    r"""``text`` with line breaks and other control characters escaped.

    Examples
    --------
    >>> _one_line("a\nb")
    'a\\nb'
    """
    return "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) == "Cc" else c
        for c in text
    )


def _calibrate_frame(
    frame: pd.DataFrame,
    base: Scenario | None,
    reason_map: Mapping[str, str | None] | None,
    opts: CalibrationOptions,
) -> tuple[Scenario, CalibrationReport]:
    """Check the arguments, then calibrate from a cohort table or customer rows."""
    opts.check()
    if not isinstance(frame, pd.DataFrame):
        raise ScenarioError("frame", f"expected a pandas DataFrame (got {type(frame).__name__})")
    opts.check_arguments()
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        # Selecting such a column gives a table, not a column: refuse before anything does.
        raise ScenarioError(
            str(duplicated[0]), "two columns have this name; rename or drop one of them"
        )
    if base is not None and not isinstance(base, Scenario):
        raise ScenarioError("base", f"expected a Scenario (got {type(base).__name__})")
    if reason_map is not None and not isinstance(reason_map, Mapping):
        raise ScenarioError(
            "reason_map",
            f"expected a mapping of reason -> cause (got {type(reason_map).__name__})",
        )
    base_scenario = base if base is not None else preset("telecom")
    chosen = _detect_kind(frame, opts.columns) if opts.kind == "auto" else opts.kind
    if chosen == "cohorts":
        opts.check_for_cohorts()
        return calibrate_cohorts(frame, base_scenario, opts)
    opts.check_for_snapshot()
    prepared = prepare_customers(
        frame,
        causes=base_scenario.cause_names,
        columns=opts.columns,
        segment=opts.segment,
        window_months=opts.window_months,
        as_of=opts.as_of,
        reason_map=reason_map,
        drop_invalid=opts.drop_invalid,
    )
    return calibrate_snapshot(prepared, base_scenario, opts)


def _detect_kind(frame: pd.DataFrame, columns: Mapping[str, str | None] | None) -> str:
    found = find_columns(frame, columns)
    if (found["tenure"] or found["start"]) and (found["status"] or found["end"]):
        return "snapshot"
    periods = [p for p in (period_of(c) for c in frame.columns) if p is not None]
    if len(periods) >= 3 and 0 in periods:
        return "cohorts"
    return "snapshot"  # prepare_customers names what is missing
