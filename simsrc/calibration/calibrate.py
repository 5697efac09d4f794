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
import math
import os
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from simsrc.calibration.build import (
    Options,
    period_of,
)
from simsrc.calibration.cohorts import calibrate_cohorts
from simsrc.calibration.columns import check_window, find_columns, parse_as_of
from simsrc.calibration.prepare import prepare_customers
from simsrc.calibration.readers import _read_with_notes
from simsrc.calibration.reasons import load_reason_map
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.snapshot import calibrate_snapshot
from simsrc.model.errors import ScenarioError
from simsrc.model.files import load_scenario
from simsrc.model.presets import list_presets, preset
from simsrc.model.scenario import Scenario

__all__ = ["MAX_NAME_LENGTH", "calibrate", "calibrate_frame", "check_options", "resolve_base"]

MIN_SPREAD = 1e-9
"""Smaller given spreads are taken as 0 (identical customers)."""

MAX_NAME_LENGTH = 200
"""Longest scenario name accepted (characters): names are labels in summaries and charts."""

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
    # Every option is checked before the (possibly slow) reading and fitting.
    check_options(
        kind=kind,
        window_months=window_months,
        as_of=as_of,
        spread=spread,
        period_months=period_months,
        name=name,
        unmapped_causes=unmapped_causes,
        min_at_risk=min_at_risk,
    )
    base_scenario = resolve_base(base)
    mapping = (
        load_reason_map(os.fspath(reason_map), causes=base_scenario.cause_names)
        if isinstance(reason_map, (str, os.PathLike))
        else reason_map
    )
    frame, source, notes = _read_with_notes(data, query=query, connection=connection)
    scenario, report = calibrate_frame(
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
    if notes:
        report = dataclasses.replace(report, warnings=(*notes, *report.warnings))
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

    Raises
    ------
    ScenarioError
        As :func:`calibrate`; the message is always one line.
    """
    try:
        return _calibrate_frame(
            frame,
            source=source,
            base=base,
            kind=kind,
            columns=columns,
            segment=segment,
            reason_map=reason_map,
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


def check_options(
    *,
    kind: object = "auto",
    window_months: object = "auto",
    as_of: object = None,
    spread: object = None,
    period_months: object = 1,
    name: object = None,
    unmapped_causes: object = "keep",
    min_at_risk: object = 30.0,
) -> None:
    """Check the options of :func:`calibrate` that do not depend on the data.

    Called before any data are read, so that a typing error costs no waiting; the
    data-dependent checks (``as_of`` without dates, ``period_months`` on a snapshot)
    follow once the kind of data is known.

    Raises
    ------
    ScenarioError
        Naming the keyword argument and what is allowed.

    Examples
    --------
    >>> check_options(period_months=0)
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: period_months: must be a whole number between 1 and 24 (got 0)
    """
    if kind not in ("auto", "snapshot", "cohorts"):
        raise ScenarioError("kind", f"must be 'auto', 'snapshot' or 'cohorts' (got {kind!r})")
    if unmapped_causes not in ("keep", "zero"):
        raise ScenarioError(
            "unmapped_causes", f"must be 'keep' or 'zero' (got {unmapped_causes!r})"
        )
    if spread is not None and (
        isinstance(spread, bool) or not isinstance(spread, int | float) or not 0 <= spread <= 0.95
    ):
        raise ScenarioError("spread", f"must be between 0 and 0.95 (got {spread!r})")
    if (
        isinstance(period_months, bool)
        or not isinstance(period_months, int)
        or not 1 <= period_months <= 24
    ):
        raise ScenarioError(
            "period_months", f"must be a whole number between 1 and 24 (got {period_months!r})"
        )
    if (
        isinstance(min_at_risk, bool)
        or not isinstance(min_at_risk, int | float)
        or not (math.isfinite(min_at_risk) and min_at_risk >= 0)
    ):
        raise ScenarioError("min_at_risk", f"must be a number >= 0 (got {min_at_risk!r})")
    check_window(window_months)
    parse_as_of(as_of)
    check_name(name)


def check_name(name: object, where: str = "name") -> None:
    """Check a scenario name given for the calibrated scenario (``None``: the default).

    Raises
    ------
    ScenarioError
        Naming ``where``: not text, empty or only spaces, longer than
        :data:`MAX_NAME_LENGTH`, or holding line breaks or other control characters.

    Examples
    --------
    >>> check_name("  ")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: name: must not be empty or only spaces ...
    """
    if name is None:
        return
    if not isinstance(name, str):
        raise ScenarioError(where, f"must be text (got {type(name).__name__})")
    if not name.strip():
        raise ScenarioError(
            where, "must not be empty or only spaces (leave it out for the default name)"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScenarioError(
            where, f"must be at most {MAX_NAME_LENGTH} characters (got {len(name):,})"
        )
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ScenarioError(where, "must be one line, without control characters")


def _calibrate_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    base: Scenario | None,
    kind: Literal["auto", "snapshot", "cohorts"],
    columns: Mapping[str, str | None] | None,
    segment: str | Literal[False] | None,
    reason_map: Mapping[str, str | None] | None,
    window_months: int | Literal["auto"] | None,
    as_of: str | pd.Timestamp | None,
    levers_in_data: bool,
    unmapped_causes: Literal["keep", "zero"],
    fit_shapes: bool,
    latent_causes: Sequence[str] | Literal["auto"] | None,
    spread: float | None,
    period_months: int,
    drop_invalid: bool,
    min_at_risk: float,
    name: str | None,
) -> tuple[Scenario, CalibrationReport]:
    check_options(
        kind=kind,
        window_months=window_months,
        as_of=as_of,
        spread=spread,
        period_months=period_months,
        name=name,
        unmapped_causes=unmapped_causes,
        min_at_risk=min_at_risk,
    )
    if not isinstance(frame, pd.DataFrame):
        raise ScenarioError("frame", f"expected a pandas DataFrame (got {type(frame).__name__})")
    if columns is not None and not isinstance(columns, Mapping):
        raise ScenarioError(
            "columns", f"expected a mapping of role -> column name (got {type(columns).__name__})"
        )
    if segment is True or not isinstance(segment, Hashable):
        raise ScenarioError(
            "segment", f"expected a column name, False or None (got {type(segment).__name__})"
        )
    if not (
        latent_causes is None
        or (isinstance(latent_causes, str) and latent_causes == "auto")
        or (
            isinstance(latent_causes, list | tuple)
            and all(isinstance(c, str) for c in latent_causes)
        )
    ):
        raise ScenarioError(
            "latent_causes",
            f"expected 'auto', None or a list of cause names (got {latent_causes!r:.60})",
        )
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
    chosen = _detect_kind(frame, columns) if kind == "auto" else kind
    opts = Options(
        levers_in_data=levers_in_data,
        unmapped_causes=unmapped_causes,
        fit_shapes=fit_shapes,
        # A spread below 1e-9 is identical customers to every digit the fit sees, and the
        # Beta quadrature overflows for spreads near the smallest float: take it as 0.
        spread=None if spread is None else (0.0 if spread < MIN_SPREAD else float(spread)),
        min_at_risk=float(min_at_risk),
        name=name,
        source=source,
    )
    if chosen == "cohorts":
        # Options that only mean something for customer rows are refused, not ignored.
        if as_of is not None:
            raise ScenarioError(
                "as_of", "applies only to date-based customer data, not to a cohort table"
            )
        if window_months not in ("auto", None):
            raise ScenarioError(
                "window_months",
                "applies only to customer snapshots; a cohort table follows each cohort "
                "from its start",
            )
        return calibrate_cohorts(frame, base_scenario, opts, period_months, segment)
    if period_months != 1:
        raise ScenarioError(
            "period_months",
            f"applies only to cohort tables (got {period_months}); customer data give "
            "tenure in months",
        )
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
    return calibrate_snapshot(prepared, base_scenario, opts, latent_causes)


def _detect_kind(frame: pd.DataFrame, columns: Mapping[str, str | None] | None) -> str:
    found = find_columns(frame, columns)
    if (found["tenure"] or found["start"]) and (found["status"] or found["end"]):
        return "snapshot"
    periods = [p for p in (period_of(c) for c in frame.columns) if p is not None]
    if len(periods) >= 3 and 0 in periods:
        return "cohorts"
    return "snapshot"  # prepare_customers names what is missing
