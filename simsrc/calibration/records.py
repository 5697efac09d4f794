"""Clean customer records: data problems, the records, and a reader per column role.

Every problem is recorded as an :class:`Issue` naming the column, what is wrong, how
many rows and the first offending rows (data rows counted from 1, header excluded, with
the customer id when there is one). Problems that make a row unusable stop the
calibration unless ``drop_invalid`` is set, in which case the rows are dropped and
counted; nothing is dropped silently.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from simsrc.calibration.columns import (
    ACTIVE_VALUES,
    CHURNED_VALUES,
    FIRST_YEAR,
    JOINED_VALUES,
    LAST_YEAR,
    MAX_SEGMENTS,
    MAX_TENURE,
    norm_name,
)
from simsrc.calibration.reasons import UNKNOWN, ReasonMapping, map_reasons
from simsrc.model.errors import ScenarioError

__all__ = [
    "Collector",
    "Dates",
    "Issue",
    "Prepared",
    "Reasons",
    "Segments",
    "Tenure",
    "dates",
    "months_between",
    "numbers",
    "read_charges",
    "read_dates",
    "read_reasons",
    "read_segments",
    "read_status",
    "read_tenure",
    "slug",
]


@dataclass(frozen=True)
class Issue:
    """One data problem, with where it is and what was done about it.

    Attributes
    ----------
    level : {"error", "warning", "info"}
        ``error``: rows unusable (calibration stops unless ``drop_invalid``).
    column : str
        The column at fault (or ``"(file)"``).
    problem : str
        What is wrong, in plain words.
    rows : int
        How many rows.
    first_rows : str
        The first offending rows (data rows from 1, with ids).
    action : str
        What the calibration did: ``stopped``, ``dropped``, ``excluded from revenue``, …
    """

    level: Literal["error", "warning", "info"]
    column: str
    problem: str
    rows: int
    first_rows: str
    action: str

    def message(self) -> str:
        """One line naming column, problem, count and first rows."""
        where = f" (first rows: {self.first_rows})" if self.first_rows else ""
        return f"{self.column}: {self.problem} — {self.rows} row(s){where}; {self.action}"


@dataclass(frozen=True)
class Prepared:
    """Clean customer records and everything learned while cleaning them.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per usable customer: ``row`` (data row from 1), ``id``, ``segment``,
        ``tenure``, ``churned``, ``cause`` (cause name, ``unknown``, or missing for
        actives), ``entry_low`` / ``entry_high`` (range of months survived before
        observation began), ``joined_weight`` (probability the customer joined inside
        the observation window), ``charge`` (NaN when missing or invalid), ``start``
        (start date or NaT).
    segments : dict
        Segment name → label (the value as written in the data).
    window : int or None
        Observation window in months (None: full history).
    columns : dict
        Role → column used.
    issues : tuple of Issue
    assumptions : tuple of str
    reasons : ReasonMapping or None
        How reasons were mapped (None when the data have no reasons).
    rows_read : int
    as_of : pandas.Timestamp or None
        End of observation for date-based data.
    """

    customers: pd.DataFrame
    segments: dict[str, str]
    window: int | None
    columns: dict[str, str | None]
    issues: tuple[Issue, ...]
    assumptions: tuple[str, ...]
    reasons: ReasonMapping | None
    rows_read: int
    as_of: pd.Timestamp | None = None
    dropped: Mapping[str, int] = field(default_factory=dict)


def _first(mask: np.ndarray, ids: pd.Series | None, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)[:limit]
    parts = []
    for i in idx:
        ident = "" if ids is None else f" (id {ids.iloc[i]})"
        parts.append(f"{i + 1}{ident}")
    more = int(mask.sum()) - len(idx)
    return ", ".join(parts) + (f", … {more} more" if more > 0 else "")


def slug(value: object) -> str:
    """A segment name from a value: normalised, starting with a letter.

    Examples
    --------
    >>> slug("Month-to-Month"), slug("2 year")
    ('month_to_month', 's_2_year')
    """
    s = norm_name(value)
    if not s:
        s = "segment"
    if not s[0].isalpha():
        s = "s_" + s
    return s


class Collector:
    """Gathers issues and the rows to drop while columns are checked."""

    def __init__(self, n: int, ids: pd.Series | None, drop_invalid: bool) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.ids = ids
        self.drop_invalid = drop_invalid
        self.issues: list[Issue] = []
        self.dropped: dict[str, int] = {}

    def error(self, column: str, problem: str, mask: np.ndarray) -> None:
        """Record rows that are unusable: dropped or, later, the reason to stop."""
        if not mask.any():
            return
        new = mask & ~self.bad
        self.issues.append(
            Issue(
                "error",
                column,
                problem,
                int(mask.sum()),
                _first(mask, self.ids),
                "dropped" if self.drop_invalid else "stopped",
            )
        )
        self.dropped[f"{column}: {problem}"] = int(new.sum())
        self.bad |= mask

    def note(
        self,
        level: Literal["warning", "info"],
        column: str,
        problem: str,
        mask: np.ndarray,
        action: str,
    ) -> None:
        """Record a problem that leaves the rows usable (``action`` says what was done)."""
        if mask.any():
            self.issues.append(
                Issue(level, column, problem, int(mask.sum()), _first(mask, self.ids), action)
            )

    def raise_errors(self) -> None:
        """Stop on the first error unless rows with errors are to be dropped.

        Raises
        ------
        ScenarioError
            Naming the first error's column, rows and how many more problems there are.
        """
        errors = [i for i in self.issues if i.level == "error"]
        if errors and not self.drop_invalid:
            more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
            first = errors[0]
            raise ScenarioError(
                first.column,
                f"{first.problem} — {first.rows} row(s) (first rows: {first.first_rows})"
                f"{more}; fix the data or pass drop_invalid=True (--drop-invalid) to drop "
                "and count them",
            )


def read_status(values: pd.Series, column: str, col: Collector) -> tuple[np.ndarray, np.ndarray]:
    """Churn flags and joined flags from a status / churn column."""
    raw = values.to_numpy(dtype=object)
    n = raw.size
    churned = np.zeros(n, dtype=bool)
    joined = np.zeros(n, dtype=bool)
    unknown = np.zeros(n, dtype=bool)
    seen: dict[str, int] = {}
    for i, v in enumerate(raw):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            unknown[i] = True
            continue
        if isinstance(v, (bool, np.bool_)):
            churned[i] = bool(v)
            continue
        key = norm_name(v).replace("_", " ")
        if key in CHURNED_VALUES:
            churned[i] = True
        elif key in ACTIVE_VALUES:
            joined[i] = key in JOINED_VALUES
        else:
            unknown[i] = True
            seen[str(v)] = seen.get(str(v), 0) + 1
    what = ", ".join(repr(k) for k in list(seen)[:5]) or "missing"
    col.error(
        column,
        f"status not recognised ({what}); use e.g. Churned/Stayed/Joined, active/"
        "cancelled, yes/no or 1/0",
        unknown,
    )
    return churned, joined


def numbers(values: pd.Series) -> np.ndarray:
    """Numbers of a column; text read without currency signs, spaces and commas.

    Examples
    --------
    >>> numbers(pd.Series(["$1,200", "x", " 3 "])).tolist()
    [1200.0, nan, 3.0]
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        return values.to_numpy(dtype=float, na_value=np.nan)
    text = values.astype("string").str.strip().str.replace(r"[,$€£\s]", "", regex=True)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def months_between(start: pd.Series, stop: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole calendar months from ``start`` to ``stop`` and whether no days are left over.

    Examples
    --------
    >>> a = pd.Series(pd.to_datetime(["2022-01-15", "2022-01-15"]))
    >>> b = pd.Series(pd.to_datetime(["2022-03-14", "2022-03-15"]))
    >>> [x.tolist() for x in months_between(a, b)]
    [[1, 2], [False, True]]
    """
    months = (stop.dt.year - start.dt.year) * 12 + (stop.dt.month - start.dt.month)
    start_rest = start - start.dt.normalize() + pd.to_timedelta(start.dt.day, unit="D")
    stop_rest = stop - stop.dt.normalize() + pd.to_timedelta(stop.dt.day, unit="D")
    short = (stop_rest < start_rest).to_numpy(dtype=bool, na_value=False)
    whole = months.to_numpy(dtype=float, na_value=0.0) - short
    exact = (stop_rest == start_rest).to_numpy(dtype=bool, na_value=False)
    return whole.astype(np.int64), exact


def dates(values: pd.Series) -> pd.Series:
    """Dates of a column (text parsed, anything unreadable NaT), without time zone.

    Aware dates are converted to UTC and the zone dropped, so that they compare with
    naive ones and with ``as_of``; dates outside :data:`FIRST_YEAR` … :data:`LAST_YEAR`
    become NaT (and are then reported as not understood).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        out = values.dt.tz_convert(None)
    elif pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values
    else:
        raw = values.to_numpy(dtype=object)
        # Only text and date objects are dates; a number (5, 3.2, True) is not, and
        # pandas would read it as nanoseconds since 1970 or as a bare year.
        usable = np.array(
            [isinstance(v, str | datetime.date | np.datetime64) for v in raw], dtype=bool
        )
        text = pd.Series([v.strip() if isinstance(v, str) else v for v in raw], index=values.index)
        text = text.where(usable, None)
        out = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
        out = out.dt.tz_convert(None)
    out = pd.Series(out, index=values.index)
    years = out.dt.year
    return out.where((years >= FIRST_YEAR) & (years <= LAST_YEAR))


# --------------------------------------------------------------------------------------
# Column readers: one step per role, each recording its problems in the collector
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dates:
    """Start and end dates, churn flags as the dates give them, and the end of observation.

    Attributes
    ----------
    start, end : pandas.Series
        Dates (NaT where missing or not understood).
    churned : numpy.ndarray
        Churn flags (from the end dates when there is no status column).
    stamp : pandas.Timestamp or None
        End of observation (None: data without start dates).
    """

    start: pd.Series
    end: pd.Series
    churned: np.ndarray
    stamp: pd.Timestamp | None


@dataclass(frozen=True)
class Tenure:
    """Tenure in whole months and, when read from dates, how.

    Attributes
    ----------
    months : numpy.ndarray
        Tenure of each row (0 where unusable).
    assumptions : tuple of str
        How tenure was derived from dates (empty for a tenure column).
    """

    months: np.ndarray
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class Segments:
    """Segment of each row and the label of each segment.

    Attributes
    ----------
    names : numpy.ndarray
        Segment name (a slug) of each row.
    labels : dict of str to str
        Segment name → the value as written in the data.
    """

    names: np.ndarray
    labels: dict[str, str]


@dataclass(frozen=True)
class Reasons:
    """Cause of each churner and how reasons were mapped.

    Attributes
    ----------
    cause : pandas.Series
        Cause name, ``unknown``, or missing for actives.
    mapping : ReasonMapping or None
        How reasons were mapped (None when the data have no reasons).
    """

    cause: pd.Series
    mapping: ReasonMapping | None


def _date_column(data: pd.DataFrame, name: str, col: Collector) -> pd.Series:
    """One date column parsed, with the values that are not dates reported."""
    raw = data[name]
    parsed = dates(raw)
    col.error(
        name, "date not understood (use YYYY-MM-DD)", (parsed.isna() & raw.notna()).to_numpy()
    )
    return parsed


def read_dates(
    data: pd.DataFrame,
    cols: Mapping[str, str | None],
    churned: np.ndarray,
    as_of: pd.Timestamp | None,
    col: Collector,
) -> Dates:
    """Read start and end dates and fix the end of observation.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table.
    cols : mapping
        Role → column.
    churned : numpy.ndarray
        Churn flags from the status column (all False without one).
    as_of : pandas.Timestamp or None
        End of observation given by the user (default: the latest date).
    col : Collector
        Receives the problems found.

    Returns
    -------
    Dates
        The dates, the churn flags and the end of observation.

    Raises
    ------
    ScenarioError
        A start-date column without a single valid date.
    """
    start = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
    end = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
    stamp: pd.Timestamp | None = None
    if cols["start"] is not None:
        start = _date_column(data, str(cols["start"]), col)
        if cols["tenure"] is None:
            missing = data[cols["start"]].isna().to_numpy()
            col.error(str(cols["start"]), "missing start date", missing)
    if cols["end"] is not None:
        end = _date_column(data, str(cols["end"]), col)
        if cols["status"] is None:
            churned = end.notna().to_numpy()
        else:
            col.error(
                str(cols["end"]),
                "churned customer without an end date",
                (churned & end.isna().to_numpy() & (cols["tenure"] is None)),
            )
        before = (end < start).to_numpy()
        col.error(str(cols["end"]), "end date before start date", before)
    if cols["start"] is not None:
        latest = pd.concat([start, end]).max()
        stamp = as_of if as_of is not None else latest
        if pd.isna(stamp):
            raise ScenarioError(str(cols["start"]), "no valid dates at all")
        future = ((start > stamp) | (end > stamp)).to_numpy()
        col.error(
            str(cols["start"]), f"date after the end of observation ({stamp.date()})", future
        )
    return Dates(start, end, churned, stamp)


def read_tenure(
    data: pd.DataFrame, cols: Mapping[str, str | None], found: Dates, col: Collector
) -> Tenure:
    """Tenure in whole months, from the tenure column or else from the dates.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table.
    cols : mapping
        Role → column.
    found : Dates
        Dates and churn flags (tenure from dates needs them).
    col : Collector
        Receives the problems found.

    Returns
    -------
    Tenure
        Months of tenure and how they were derived.
    """
    churned = found.churned
    if cols["tenure"] is None:
        assert found.stamp is not None  # resolve_columns: no tenure means a start column
        stop = found.end.where(found.end.notna(), found.stamp)
        whole, exact = months_between(found.start, stop)
        # A churner who left within month k has tenure k; leaving exactly on the k-th
        # monthly anniversary ends month k too. Actives: whole months completed.
        tenure = np.where(churned, np.maximum(whole + ~exact, 1), whole)
        return Tenure(
            np.clip(tenure, 0, MAX_TENURE).astype(np.int64),
            (
                "Tenure from dates in calendar months: a churner who left within month k "
                "has tenure k; an active customer has the whole months completed by "
                f"{found.stamp.date()}.",
            ),
        )
    raw = data[cols["tenure"]]
    tenure_f = numbers(raw)
    name = str(cols["tenure"])
    col.error(name, "tenure missing", raw.isna().to_numpy())
    col.error(name, "tenure not a number", np.isnan(tenure_f) & raw.notna().to_numpy())
    col.error(name, "tenure infinite", np.isinf(tenure_f))
    ok = np.isfinite(tenure_f)  # so that the cast to whole months below is defined
    col.error(name, "negative tenure", ok & (tenure_f < 0))
    col.error(
        name,
        "tenure not a whole number of months",
        ok & (tenure_f >= 0) & (tenure_f != np.round(tenure_f)),
    )
    col.error(name, f"tenure above {MAX_TENURE} months", ok & (tenure_f > MAX_TENURE))
    col.error(
        name,
        "churned with tenure 0 (a churner with tenure k left in month k >= 1)",
        ok & (tenure_f == 0) & churned,
    )
    return Tenure(np.where(ok, np.round(tenure_f), 0).astype(np.int64), ())


def read_segments(data: pd.DataFrame, cols: Mapping[str, str | None], col: Collector) -> Segments:
    """Segment of each row from the segment column (one segment without one).

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table.
    cols : mapping
        Role → column.
    col : Collector
        Receives the problems found.

    Returns
    -------
    Segments
        Segment names by row and labels by segment.

    Raises
    ------
    ScenarioError
        More than :data:`MAX_SEGMENTS` distinct values.
    """
    n = len(data)
    labels: dict[str, str] = {}
    if cols["segment"] is None:
        labels["all"] = "All customers"
        return Segments(np.full(n, "all", dtype=object), labels)
    raw = data[cols["segment"]]
    miss = raw.isna().to_numpy()
    col.error(str(cols["segment"]), "segment (contract / plan) missing", miss)
    values = raw.astype("string").str.strip()
    distinct = [v for v in pd.unique(values.dropna())]
    if len(distinct) > MAX_SEGMENTS:
        raise ScenarioError(
            str(cols["segment"]),
            f"{len(distinct)} distinct values: too many segments (at most {MAX_SEGMENTS});"
            " choose a coarser column with segment=... or segment=False",
        )
    slugs: dict[str, str] = {}
    for v in sorted(distinct, key=str):
        s = slug(v)
        while s in labels:
            s = s + "_2"
        slugs[v] = s
        labels[s] = str(v)
    names = np.array([slugs.get(v, "") if v is not pd.NA else "" for v in values], dtype=object)
    return Segments(names, labels)


def read_charges(data: pd.DataFrame, cols: Mapping[str, str | None], col: Collector) -> np.ndarray:
    """Monthly charges; NaN where missing, not a finite number or negative.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table.
    cols : mapping
        Role → column.
    col : Collector
        Receives the (non-fatal) problems found.

    Returns
    -------
    numpy.ndarray
        Charge of each row.
    """
    if cols["charge"] is None:
        return np.full(len(data), np.nan)
    raw = data[cols["charge"]]
    charge = numbers(raw)
    cname = str(cols["charge"])
    col.note(
        "warning",
        cname,
        "monthly charge not a (finite) number",
        ~np.isfinite(charge) & raw.notna().to_numpy(),
        "excluded from the revenue curve",
    )
    col.note(
        "warning",
        cname,
        "negative monthly charge",
        charge < 0,
        "excluded from the revenue curve (churn estimates keep these customers)",
    )
    col.note(
        "info",
        cname,
        "monthly charge missing",
        raw.isna().to_numpy(),
        "excluded from the revenue curve",
    )
    # inf would make every mean charge of its cell inf, and the revenue fit with it
    return np.where(np.isfinite(charge) & (charge >= 0), charge, np.nan)


def read_reasons(
    data: pd.DataFrame,
    cols: Mapping[str, str | None],
    churned: np.ndarray,
    causes: Sequence[str],
    reason_map: Mapping[str, str | None] | None,
    col: Collector,
) -> Reasons:
    """Map each churner's reason (or category) onto a cause.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table.
    cols : mapping
        Role → column.
    churned : numpy.ndarray
        Churn flags.
    causes : sequence of str
        The scenario's cause names.
    reason_map : mapping, optional
        Reason → cause, merged over the default mapping.
    col : Collector
        Receives the (non-fatal) problems found.

    Returns
    -------
    Reasons
        Causes by row and the mapping used.
    """
    n = len(data)
    if cols["reason"] is None and cols["category"] is None:
        if churned.any():
            unknown = pd.Series([UNKNOWN if c else np.nan for c in churned], dtype=object)
            return Reasons(unknown, None)
        return Reasons(pd.Series([np.nan] * n, dtype=object), None)
    reasons = map_reasons(
        churned,
        None if cols["reason"] is None else data[cols["reason"]],
        None if cols["category"] is None else data[cols["category"]],
        causes,
        reason_map,
        reason_column=str(cols["reason"] or cols["category"]),
        category_column=str(cols["category"] or cols["reason"]),
    )
    rule = reasons.rule.to_numpy(dtype=object)
    where = str(cols["reason"] or cols["category"])
    vals = ", ".join(repr(v) for v in reasons.unmapped["value"].head(5))
    col.note(
        "warning",
        where,
        f"reason not in the mapping ({vals}); add it to reason_map",
        np.asarray(rule == "unmapped", dtype=bool),
        "counted as churn of unknown cause",
    )
    col.note(
        "warning",
        where,
        "churner without a reason",
        np.asarray(rule == "missing", dtype=bool),
        "counted as churn of unknown cause",
    )
    col.note(
        "info",
        where,
        "reason unknown, category used instead",
        np.asarray(rule == "category", dtype=bool),
        "mapped by its category",
    )
    actives_with_reason = ~churned & (
        data[cols["reason"]].notna().to_numpy() if cols["reason"] else False
    )
    col.note(
        "info",
        where,
        "active customer with an exit reason",
        np.asarray(actives_with_reason, dtype=bool),
        "reason ignored",
    )
    return Reasons(reasons.cause, reasons)
