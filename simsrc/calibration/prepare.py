"""From a raw customer table to clean, validated customer records (pure, no I/O).

One row per customer: tenure (or start and end dates), status, exit reason and category,
monthly charge, segment (contract or plan). Columns are found by their usual names
(``Tenure_in_Months``, ``customer_status``, ``churn_reason``, ``contract``, …) or named
explicitly. Every problem is recorded as an :class:`Issue` naming the column, what is
wrong, how many rows and the first offending rows (data rows counted from 1, header
excluded, with the customer id when there is one). Problems that make a row unusable
stop the calibration unless ``drop_invalid`` is set, in which case the rows are dropped
and counted; nothing is dropped silently.

Observation window
------------------
A snapshot that lists only the customers active at some time during the last ``W``
months (a quarter: ``W = 3``) is left truncated: customers who left before the window
are missing. A customer with tenure ``k`` still active at the end was observed in
months ``max(1, k − W + 1)`` … ``k`` (entry ``max(0, k − W)``). A churner with tenure
``k`` left in one of the window's ``W`` months, equally likely each (steady churn over
the window): entry ``max(0, k − c)`` for the window month ``c = 1 … W``, represented by
``W`` copies of weight ``1/W``. Without a window, every customer is observed from month
1 (the file must then hold every customer ever acquired, churned ones included).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from simsrc.calibration.reasons import UNKNOWN, ReasonMapping, map_reasons
from simsrc.model.errors import ScenarioError

__all__ = [
    "ROLES",
    "Issue",
    "Prepared",
    "check_window",
    "find_columns",
    "parse_as_of",
    "prepare_customers",
    "risk_rows",
]

ROLES: dict[str, tuple[str, ...]] = {
    "id": ("customer_id", "customerid", "id", "account_id", "subscriber_id", "user_id",
           "client_id", "customer"),
    "tenure": ("tenure_in_months", "tenure_months", "tenure", "months", "lifetime_months",
               "months_active", "tenure_month"),
    "status": ("customer_status", "status", "churn", "churned", "is_churned", "churn_flag",
               "churn_label", "churn_value", "active", "is_active"),
    "start": ("start_date", "start", "signup_date", "signup", "created_at", "join_date",
              "joined_at", "subscription_start", "activation_date", "start_month"),
    "end": ("end_date", "end", "churn_date", "cancel_date", "cancellation_date",
            "cancelled_at", "canceled_at", "ended_at", "termination_date", "end_month"),
    "reason": ("churn_reason", "reason", "exit_reason", "cancel_reason",
               "cancellation_reason", "churn_reason_code", "reason_code"),
    "category": ("churn_category", "category", "reason_category", "churn_type"),
    "charge": ("monthly_charge", "monthly_charges", "mrr", "monthly_revenue",
               "monthly_price", "arpu", "price", "charge", "monthly_fee"),
    "segment": ("contract", "contract_type", "plan", "plan_type", "segment", "tier",
                "subscription_type", "package"),
}  # fmt: skip
"""Column roles and the (normalised) names each is found by, in order of preference."""

CHURNED_VALUES = frozenset(
    {"churned", "churn", "cancelled", "canceled", "left", "lost", "inactive", "ended",
     "terminated", "closed", "yes", "y", "true", "t", "1", "1 0", "former"}
)  # fmt: skip
ACTIVE_VALUES = frozenset(
    {"stayed", "active", "current", "retained", "no", "n", "false", "f", "0", "0 0",
     "subscribed", "renewed", "joined", "new"}
)  # fmt: skip
JOINED_VALUES = frozenset({"joined", "new"})

MAX_SEGMENTS = 20
MAX_TENURE = 600
FIRST_YEAR, LAST_YEAR = 1900, 2199
"""Dates outside these years are refused: they are typing errors (``0202-01-01``), and
month arithmetic near pandas' limits (years 1677 and 2262) would overflow."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(value: object, limit: int = 40) -> str:
    """``repr`` of a value cut to ``limit`` characters (one line whatever it holds)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_as_of(value: object, where: str = "as_of") -> pd.Timestamp | None:
    """The end of observation as a timestamp (timezone-free), or ``None``.

    Parameters
    ----------
    value : str, date, datetime, numpy.datetime64 or None
        Text must be a calendar date written ``YYYY-MM-DD``.
    where : str
        The option's name in error messages (``"--as-of"`` on the command line).

    Raises
    ------
    ScenarioError
        Naming ``where``: not a date, not written YYYY-MM-DD, not a calendar date
        (``2022-02-30``) or outside the years 1900–2199.

    Examples
    --------
    >>> parse_as_of("2022-07-01")
    Timestamp('2022-07-01 00:00:00')
    >>> parse_as_of("2022-02-30")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: as_of: '2022-02-30' is not a calendar date ...
    """
    if value is None:
        return None
    expected = f"expected a date written YYYY-MM-DD (got {_shown(value)})"
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.fullmatch(text):
            raise ScenarioError(where, expected)
        try:
            stamp = pd.Timestamp(datetime.date.fromisoformat(text))
        except ValueError as err:
            raise ScenarioError(
                where, f"{_shown(value)} is not a calendar date ({err}); expected YYYY-MM-DD"
            ) from None
    elif isinstance(value, datetime.date | np.datetime64):  # pd.Timestamp is a datetime
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, OverflowError):
            raise ScenarioError(where, expected) from None
    else:
        raise ScenarioError(where, expected)
    if pd.isna(stamp):
        raise ScenarioError(where, expected)
    if stamp.tzinfo is not None:  # data dates are compared without time zones (in UTC)
        stamp = stamp.tz_convert(None)
    if not FIRST_YEAR <= stamp.year <= LAST_YEAR:
        raise ScenarioError(
            where, f"must be a date in the years {FIRST_YEAR}–{LAST_YEAR} (got {stamp.date()})"
        )
    return stamp


def check_window(value: object, where: str = "window_months") -> int | Literal["auto"] | None:
    """Validate an observation window: ``"auto"``, ``None`` (full history) or 1 … 600.

    Raises
    ------
    ScenarioError
        Naming ``where``, for anything else (0 included: a window of no months observes
        nobody; full history is ``None``).

    Examples
    --------
    >>> check_window(3), check_window(None), check_window("auto")
    (3, None, 'auto')
    """
    if value is None or (isinstance(value, str) and value == "auto"):
        return value  # type: ignore[return-value]
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, int | np.integer)
        or not 1 <= int(value) <= MAX_TENURE
    ):
        raise ScenarioError(
            where,
            f"must be a whole number of months between 1 and {MAX_TENURE}, 'auto' or None "
            f"for full history (got {_shown(value)})",
        )
    return int(value)


def _norm(name: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def find_columns(
    data: pd.DataFrame, columns: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """Resolve each role to a column: explicit names first, then the usual names.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table.
    columns : mapping, optional
        Role → column name (``None`` to ignore a role). Roles: see :data:`ROLES`.

    Returns
    -------
    dict
        Role → column name or ``None``.

    Raises
    ------
    ScenarioError
        An unknown role, or an explicit column that is not in the table.

    Examples
    --------
    >>> df = pd.DataFrame(columns=["Customer_ID", "Tenure_in_Months", "Customer_Status"])
    >>> found = find_columns(df)
    >>> found["id"], found["tenure"], found["status"], found["reason"]
    ('Customer_ID', 'Tenure_in_Months', 'Customer_Status', None)
    """
    given = dict(columns or {})
    for role in given:
        if role not in ROLES:
            raise ScenarioError(f"columns.{role}", f"unknown role (known: {', '.join(ROLES)})")
    by_norm: dict[str, str] = {}
    for col in data.columns:
        by_norm.setdefault(_norm(col), str(col))
    out: dict[str, str | None] = {}
    taken: set[str] = set()
    for role in ROLES:
        if role in given:
            name = given[role]
            if name is not None and name not in data.columns:
                raise ScenarioError(
                    f"columns.{role}",
                    f"no column {name!r} in the data "
                    f"(columns: {', '.join(map(str, data.columns))})",
                )
            out[role] = name
            if name is not None:
                taken.add(name)
    for role, aliases in ROLES.items():
        if role in out:
            continue
        out[role] = next(
            (by_norm[a] for a in aliases if a in by_norm and by_norm[a] not in taken), None
        )
        if out[role] is not None:
            taken.add(str(out[role]))
    return out


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


def _slug(value: object) -> str:
    s = _norm(value)
    if not s:
        s = "segment"
    if not s[0].isalpha():
        s = "s_" + s
    return s


class _Collector:
    """Gathers issues and the rows to drop while columns are checked."""

    def __init__(self, n: int, ids: pd.Series | None, drop_invalid: bool) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.ids = ids
        self.drop_invalid = drop_invalid
        self.issues: list[Issue] = []
        self.dropped: dict[str, int] = {}

    def error(self, column: str, problem: str, mask: np.ndarray) -> None:
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
        if mask.any():
            self.issues.append(
                Issue(level, column, problem, int(mask.sum()), _first(mask, self.ids), action)
            )

    def raise_errors(self) -> None:
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


def _status(values: pd.Series, column: str, col: _Collector) -> tuple[np.ndarray, np.ndarray]:
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
        key = _norm(v).replace("_", " ")
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


def _numbers(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        return values.to_numpy(dtype=float, na_value=np.nan)
    text = values.astype("string").str.strip().str.replace(r"[,$€£\s]", "", regex=True)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _months_between(start: pd.Series, stop: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole calendar months from ``start`` to ``stop`` and whether no days are left over.

    Examples
    --------
    >>> a = pd.Series(pd.to_datetime(["2022-01-15", "2022-01-15"]))
    >>> b = pd.Series(pd.to_datetime(["2022-03-14", "2022-03-15"]))
    >>> [x.tolist() for x in _months_between(a, b)]
    [[1, 2], [False, True]]
    """
    months = (stop.dt.year - start.dt.year) * 12 + (stop.dt.month - start.dt.month)
    start_rest = start - start.dt.normalize() + pd.to_timedelta(start.dt.day, unit="D")
    stop_rest = stop - stop.dt.normalize() + pd.to_timedelta(stop.dt.day, unit="D")
    short = (stop_rest < start_rest).to_numpy(dtype=bool, na_value=False)
    whole = months.to_numpy(dtype=float, na_value=0.0) - short
    exact = (stop_rest == start_rest).to_numpy(dtype=bool, na_value=False)
    return whole.astype(np.int64), exact


def _dates(values: pd.Series) -> pd.Series:
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


def prepare_customers(
    data: pd.DataFrame,
    *,
    causes: Sequence[str],
    columns: Mapping[str, str | None] | None = None,
    segment: str | Literal[False] | None = None,
    window_months: int | Literal["auto"] | None = "auto",
    as_of: str | pd.Timestamp | None = None,
    reason_map: Mapping[str, str | None] | None = None,
    drop_invalid: bool = False,
) -> Prepared:
    """Validate a customer table and turn it into clean records.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    causes : sequence of str
        The scenario's cause names (reasons are mapped onto them).
    columns : mapping, optional
        Role → column name, overriding the automatic choice (see :data:`ROLES`).
    segment : str or False, optional
        Column that defines segments (default: a contract / plan column if there is
        one); ``False`` for one segment.
    window_months : int, "auto" or None
        Observation window of a snapshot (see the module notes). ``"auto"``: inferred
        from a "Joined" status (the longest tenure among joiners) when there is one, else
        full history. ``None``: full history. Otherwise 1 … 600 months.
    as_of : date, optional
        End of observation for date-based data (default: the latest date in the data),
        a date or ``YYYY-MM-DD`` text. Refused for data without a start-date column
        (tenure only), where it means nothing.
    reason_map : mapping, optional
        Reason → cause, merged over the default mapping.
    drop_invalid : bool
        Drop unusable rows (counted in the issues) instead of stopping.

    Returns
    -------
    Prepared

    Raises
    ------
    ScenarioError
        Empty data, missing required columns, or unusable rows (naming the column and the
        first offending rows) unless ``drop_invalid``.

    Examples
    --------
    >>> df = pd.DataFrame({"tenure": [1, 5, 7], "status": ["Churned", "Stayed", "Churned"],
    ...                    "reason": ["Moved", None, "Price too high"]})
    >>> prep = prepare_customers(df, causes=["natural_events", "price_competitor"])
    >>> prep.customers[["tenure", "churned", "cause"]].to_numpy().tolist()
    [[1, True, 'natural_events'], [5, False, nan], [7, True, 'price_competitor']]
    """
    if not isinstance(data, pd.DataFrame):
        raise ScenarioError("data", f"expected a pandas DataFrame (got {type(data).__name__})")
    window_months = check_window(window_months)
    as_of_stamp = parse_as_of(as_of)
    n = len(data)
    if n == 0:
        raise ScenarioError("data", "no rows: the file or query returned an empty table")
    data = data.reset_index(drop=True)
    cols = find_columns(data, columns)
    if segment is False:
        cols["segment"] = None
    elif segment is not None:
        if segment not in data.columns:
            raise ScenarioError(
                "segment", f"no column {segment!r} (columns: {', '.join(map(str, data.columns))})"
            )
        cols["segment"] = segment
    if cols["tenure"] is None and cols["start"] is None:
        raise ScenarioError(
            "columns",
            "need a tenure column (whole months, e.g. Tenure_in_Months) or a start-date "
            f"column; found {', '.join(map(str, data.columns))} (name one with columns=)",
        )
    if cols["status"] is None and cols["end"] is None:
        raise ScenarioError(
            "columns",
            "need a status column (e.g. Customer_Status: Stayed/Churned) or an end-date "
            f"column; found {', '.join(map(str, data.columns))} (name one with columns=)",
        )
    if as_of_stamp is not None and cols["start"] is None:
        raise ScenarioError(
            "as_of",
            "applies only to date-based data (with a start-date column); this data gives "
            f"tenure in months ({cols['tenure']}), which already ends at the snapshot — "
            "leave it out",
        )
    ids = None if cols["id"] is None else data[cols["id"]].astype("string")
    col = _Collector(n, ids, drop_invalid)
    assumptions: list[str] = []

    # -- duplicates ---------------------------------------------------------------------
    if ids is not None:
        missing_id = ids.isna().to_numpy()
        col.error(str(cols["id"]), "missing customer id", missing_id)
        dup = ids.duplicated(keep="first").to_numpy() & ~missing_id
        col.error(str(cols["id"]), "duplicate customer id (the first one is kept)", dup)

    # -- status -------------------------------------------------------------------------
    joined = np.zeros(n, dtype=bool)
    churned = np.zeros(n, dtype=bool)
    if cols["status"] is not None:
        churned, joined = _status(data[cols["status"]], str(cols["status"]), col)

    # -- dates --------------------------------------------------------------------------
    start = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
    end = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
    stamp: pd.Timestamp | None = None
    if cols["start"] is not None:
        raw = data[cols["start"]]
        start = _dates(raw)
        col.error(
            str(cols["start"]),
            "date not understood (use YYYY-MM-DD)",
            (start.isna() & raw.notna()).to_numpy(),
        )
        if cols["tenure"] is None:
            col.error(str(cols["start"]), "missing start date", raw.isna().to_numpy())
    if cols["end"] is not None:
        raw = data[cols["end"]]
        end = _dates(raw)
        col.error(
            str(cols["end"]),
            "date not understood (use YYYY-MM-DD)",
            (end.isna() & raw.notna()).to_numpy(),
        )
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
        stamp = as_of_stamp if as_of_stamp is not None else latest
        if pd.isna(stamp):
            raise ScenarioError(str(cols["start"]), "no valid dates at all")
        future = ((start > stamp) | (end > stamp)).to_numpy()
        col.error(
            str(cols["start"]), f"date after the end of observation ({stamp.date()})", future
        )

    # -- tenure -------------------------------------------------------------------------
    if cols["tenure"] is not None:
        raw = data[cols["tenure"]]
        tenure_f = _numbers(raw)
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
        tenure = np.where(ok, np.round(tenure_f), 0).astype(np.int64)
    else:
        assert stamp is not None
        stop = end.where(end.notna(), stamp)
        whole, exact = _months_between(start, stop)
        # A churner who left within month k has tenure k; leaving exactly on the k-th
        # monthly anniversary ends month k too. Actives: whole months completed.
        tenure = np.where(churned, np.maximum(whole + ~exact, 1), whole)
        tenure = np.clip(tenure, 0, MAX_TENURE).astype(np.int64)
        assumptions.append(
            "Tenure from dates in calendar months: a churner who left within month k has "
            f"tenure k; an active customer has the whole months completed by {stamp.date()}."
        )

    # -- segment ------------------------------------------------------------------------
    seg_names = np.full(n, "all", dtype=object)
    labels: dict[str, str] = {}
    if cols["segment"] is not None:
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
            s = _slug(v)
            while s in labels:
                s = s + "_2"
            slugs[v] = s
            labels[s] = str(v)
        seg_names = np.array(
            [slugs.get(v, "") if v is not pd.NA else "" for v in values], dtype=object
        )
    else:
        labels["all"] = "All customers"

    # -- charge -------------------------------------------------------------------------
    charge = np.full(n, np.nan)
    if cols["charge"] is not None:
        raw = data[cols["charge"]]
        charge = _numbers(raw)
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
        charge = np.where(np.isfinite(charge) & (charge >= 0), charge, np.nan)

    # -- window -------------------------------------------------------------------------
    window: int | None
    if window_months == "auto":
        if joined.any() and cols["tenure"] is not None:
            good = joined & ~col.bad
            window = int(tenure[good].max()) if good.any() else None
            if window is not None and window >= 1:
                early_stayers = ~churned & ~joined & ~col.bad & (tenure <= window)
                assumptions.append(
                    f"The file is a snapshot of one {window}-month window (inferred: the "
                    f"longest tenure among 'joined' customers is {window}). Customers who "
                    "left before the window are not in it, so each customer counts as at "
                    "risk only in the months that fall inside the window (left "
                    "truncation); reading the file as every customer ever acquired would "
                    "understate churn."
                )
                col.note(
                    "warning",
                    str(cols["status"]),
                    f"active, not marked joined, but tenure <= the {window}-month window",
                    early_stayers,
                    "treated as joined inside the window",
                )
            else:
                window = None
        else:
            window = None
    elif window_months is None:
        window = None
    else:
        window = int(window_months)  # checked by check_window above
    if window is not None and window_months != "auto":
        assumptions.append(
            f"The data hold the customers active during the last {window} months"
            + (f" before {stamp.date()}" if stamp is not None else "")
            + ": each customer counts as at risk only in the months of their tenure inside "
            "that window (left truncation)"
            + (
                "; a churner's exit is taken as equally likely in any month of the window."
                if cols["tenure"] is not None
                else "."
            )
        )
    if window is None:
        assumptions.append(
            "Every customer is observed from their first month (full history): the data "
            "must hold every customer acquired, including those who left long ago. If it "
            "holds only customers active in a recent window, pass window_months."
        )

    # -- reasons ------------------------------------------------------------------------
    reasons = None
    cause = pd.Series([np.nan] * n, dtype=object)
    if cols["reason"] is not None or cols["category"] is not None:
        reasons = map_reasons(
            churned,
            None if cols["reason"] is None else data[cols["reason"]],
            None if cols["category"] is None else data[cols["category"]],
            causes,
            reason_map,
            reason_column=str(cols["reason"] or cols["category"]),
            category_column=str(cols["category"] or cols["reason"]),
        )
        cause = reasons.cause
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
    elif churned.any():
        cause = pd.Series([UNKNOWN if c else np.nan for c in churned], dtype=object)

    col.raise_errors()

    # -- entries ------------------------------------------------------------------------
    entry_low = np.zeros(n, dtype=np.int64)
    entry_high = np.zeros(n, dtype=np.int64)
    joined_weight = np.zeros(n)
    if window is not None and cols["tenure"] is not None:
        w = window
        entry_low = np.where(churned, np.maximum(tenure - w, 0), np.maximum(tenure - w, 0))
        entry_high = np.where(churned, np.maximum(tenure - 1, 0), np.maximum(tenure - w, 0))
        joined_weight = np.where(
            churned, np.clip((w - tenure + 1) / w, 0.0, 1.0), (tenure <= w).astype(float)
        )
    elif window is not None:
        assert stamp is not None
        opened = stamp - pd.DateOffset(months=window)
        before_window = (end < opened).to_numpy(dtype=bool, na_value=False) & ~col.bad
        col.note(
            "warning",
            str(cols["end"]),
            "left before the observation window",
            before_window,
            "dropped (outside the window)",
        )
        if before_window.any():
            col.dropped["left before the observation window"] = int(before_window.sum())
        col.bad |= before_window
        whole, _ = _months_between(start, pd.Series(opened, index=start.index))
        e = np.clip(whole, 0, None).astype(np.int64)
        e = np.minimum(e, np.where(churned, tenure - 1, tenure))
        entry_low = entry_high = np.maximum(e, 0)
        joined_weight = (start >= opened).to_numpy().astype(float)
    elif cols["start"] is not None:
        joined_weight = np.ones(n)  # full history: every start is seen

    keep = ~col.bad
    customers = pd.DataFrame(
        {
            "row": np.arange(1, n + 1),
            "id": ids.to_numpy(dtype=object) if ids is not None else np.arange(1, n + 1),
            "segment": seg_names,
            "tenure": tenure,
            "churned": churned,
            "cause": cause.to_numpy(dtype=object),
            "entry_low": entry_low,
            "entry_high": entry_high,
            "joined_weight": joined_weight,
            "charge": charge,
            "start": start.to_numpy(),
        }
    )[keep].reset_index(drop=True)
    if customers.empty:
        raise ScenarioError("data", "no usable rows left after dropping the invalid ones")
    if not (customers["tenure"] > 0).any():
        raise ScenarioError(
            str(cols["tenure"] or cols["start"]),
            "every customer has tenure 0, so nobody was ever at risk of churning",
        )
    used = set(customers["segment"])
    labels = {k: v for k, v in labels.items() if k in used}
    return Prepared(
        customers=customers,
        segments=labels,
        window=window,
        columns=cols,
        issues=tuple(col.issues),
        assumptions=tuple(assumptions),
        reasons=reasons,
        rows_read=n,
        as_of=stamp,
        dropped=dict(col.dropped),
    )


def risk_rows(customers: pd.DataFrame, window: int | None) -> pd.DataFrame:
    """Expand churners whose entry is uncertain into equally weighted copies.

    In a ``W``-month window snapshot a churner with tenure ``k`` left in window month
    ``c = 1 … W`` (unknown, equally likely), so it entered observation after
    ``max(0, k − c)`` months: ``W`` copies of weight ``1/W``. Everyone else is one row
    with entry ``entry_low`` and weight 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment``, ``tenure``, ``churned``, ``cause``, ``entry``, ``weight``.

    Examples
    --------
    >>> c = pd.DataFrame({"segment": ["a", "a"], "tenure": [5, 9], "churned": [True, False],
    ...                   "cause": ["x", None], "entry_low": [2, 6], "entry_high": [4, 6]})
    >>> risk_rows(c, 3)[["entry", "weight"]].round(3).to_numpy().tolist()
    [[4.0, 0.333], [3.0, 0.333], [2.0, 0.333], [6.0, 1.0]]
    """
    tenure = customers["tenure"].to_numpy()
    churned = customers["churned"].to_numpy(dtype=bool)
    low = customers["entry_low"].to_numpy()
    high = customers["entry_high"].to_numpy()
    w = int(window or 1)
    uncertain = churned & (high > low)
    reps = np.where(uncertain, w, 1)
    idx = np.repeat(np.arange(len(customers)), reps)
    copy = np.arange(idx.size) - np.repeat(np.cumsum(reps) - reps, reps)  # 0 … reps − 1
    entry = np.where(uncertain[idx], np.maximum(tenure[idx] - (copy + 1), 0), low[idx])
    return pd.DataFrame(
        {
            "segment": customers["segment"].to_numpy()[idx],
            "tenure": tenure[idx],
            "churned": churned[idx],
            "cause": customers["cause"].to_numpy(dtype=object)[idx],
            "entry": entry.astype(float),
            "weight": 1.0 / reps[idx],
        }
    )
