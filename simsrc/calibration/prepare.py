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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from simsrc.calibration.columns import (
    MAX_SEGMENTS,
    MAX_TENURE,
    ROLES,
    check_window,
    find_columns,
    parse_as_of,
    resolve_columns,
)
from simsrc.calibration.records import (
    Collector,
    Dates,
    Issue,
    Prepared,
    Reasons,
    Segments,
    Tenure,
    months_between,
    read_charges,
    read_dates,
    read_reasons,
    read_segments,
    read_status,
    read_tenure,
)
from simsrc.model.errors import ScenarioError

# Column roles, Issue and Prepared are defined in columns.py and records.py and exported
# here too: this module is the entry point for customer rows, where callers look for them.
__all__ = [
    "MAX_SEGMENTS",
    "MAX_TENURE",
    "ROLES",
    "EntryRanges",
    "Issue",
    "Prepared",
    "Window",
    "check_window",
    "entry_ranges",
    "find_columns",
    "observation_window",
    "parse_as_of",
    "prepare_customers",
    "risk_rows",
]


@dataclass(frozen=True)
class Window:
    """The observation window of a snapshot and what is assumed of it.

    Attributes
    ----------
    months : int or None
        Window in months (None: full history).
    assumptions : tuple of str
        How the window was read.
    """

    months: int | None
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class EntryRanges:
    """Months each customer survived before observation began, and whether they joined.

    Attributes
    ----------
    low, high : numpy.ndarray
        Range of the months survived before observation began.
    joined_weight : numpy.ndarray
        Probability the customer joined inside the observation window.
    """

    low: np.ndarray
    high: np.ndarray
    joined_weight: np.ndarray


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
    data, window_months, as_of_stamp = _checked_inputs(data, window_months, as_of)
    n = len(data)
    cols = resolve_columns(data, columns, segment, as_of_stamp)
    ids = None if cols["id"] is None else data[cols["id"]].astype("string")
    col = Collector(n, ids, drop_invalid)
    f = _read_fields(data, cols, ids, causes, window_months, as_of_stamp, reason_map, col)
    col.raise_errors()
    entries = entry_ranges(f.window.months, cols, f.churned, f.tenure.months, f.dates, col)
    customers = _customers(ids, f, entries, col)
    if not (customers["tenure"] > 0).any():
        raise ScenarioError(
            str(cols["tenure"] or cols["start"]),
            "every customer has tenure 0, so nobody was ever at risk of churning",
        )
    return _prepared(customers, f, cols, col, n)


def _checked_inputs(
    data: object, window_months: object, as_of: object
) -> tuple[pd.DataFrame, int | Literal["auto"] | None, pd.Timestamp | None]:
    """The table (fresh index), the window and the end of observation, checked in order."""
    if not isinstance(data, pd.DataFrame):
        raise ScenarioError("data", f"expected a pandas DataFrame (got {type(data).__name__})")
    window = check_window(window_months)
    stamp = parse_as_of(as_of)
    if len(data) == 0:
        raise ScenarioError("data", "no rows: the file or query returned an empty table")
    return data.reset_index(drop=True), window, stamp


def _prepared(
    customers: pd.DataFrame,
    f: _Fields,
    cols: dict[str, str | None],
    col: Collector,
    rows_read: int,
) -> Prepared:
    """The result: the clean records, the segments they use and what was found on the way."""
    used = set(customers["segment"])
    return Prepared(
        customers=customers,
        segments={k: v for k, v in f.segments.labels.items() if k in used},
        window=f.window.months,
        columns=cols,
        issues=tuple(col.issues),
        assumptions=(*f.tenure.assumptions, *f.window.assumptions),
        reasons=f.reasons.mapping,
        rows_read=rows_read,
        as_of=f.dates.stamp,
        dropped=dict(col.dropped),
    )


@dataclass(frozen=True)
class _Fields:
    """Every column read, row by row, before unusable rows are dropped."""

    churned: np.ndarray
    dates: Dates
    tenure: Tenure
    segments: Segments
    charge: np.ndarray
    window: Window
    reasons: Reasons


def _read_fields(
    data: pd.DataFrame,
    cols: dict[str, str | None],
    ids: pd.Series | None,
    causes: Sequence[str],
    window_months: int | Literal["auto"] | None,
    as_of: pd.Timestamp | None,
    reason_map: Mapping[str, str | None] | None,
    col: Collector,
) -> _Fields:
    """Read each column role in turn; problems go to ``col`` in the order they are found."""
    n = len(data)
    if ids is not None:
        _check_ids(ids, str(cols["id"]), col)
    joined = np.zeros(n, dtype=bool)
    churned = np.zeros(n, dtype=bool)
    if cols["status"] is not None:
        churned, joined = read_status(data[cols["status"]], str(cols["status"]), col)
    found = read_dates(data, cols, churned, as_of, col)
    churned = found.churned
    tenure = read_tenure(data, cols, found, col)
    segments = read_segments(data, cols, col)
    charge = read_charges(data, cols, col)
    window = observation_window(window_months, cols, joined, churned, tenure.months, found, col)
    reasons = read_reasons(data, cols, churned, causes, reason_map, col)
    return _Fields(churned, found, tenure, segments, charge, window, reasons)


def _check_ids(ids: pd.Series, column: str, col: Collector) -> None:
    """Record missing and duplicate customer ids (the first of duplicates is kept)."""
    missing_id = ids.isna().to_numpy()
    col.error(column, "missing customer id", missing_id)
    dup = ids.duplicated(keep="first").to_numpy() & ~missing_id
    col.error(column, "duplicate customer id (the first one is kept)", dup)


def observation_window(
    window_months: int | Literal["auto"] | None,
    cols: Mapping[str, str | None],
    joined: np.ndarray,
    churned: np.ndarray,
    tenure: np.ndarray,
    found: Dates,
    col: Collector,
) -> Window:
    """The snapshot's observation window: given, inferred from joiners, or none.

    Parameters
    ----------
    window_months : int, "auto" or None
        As :func:`prepare_customers` (already checked).
    cols : mapping
        Role → column.
    joined, churned : numpy.ndarray
        Joined and churn flags.
    tenure : numpy.ndarray
        Tenure in months.
    found : Dates
        The end of observation, for the wording.
    col : Collector
        Receives the note on actives inside an inferred window.

    Returns
    -------
    Window
        The window in months (None: full history) and the assumptions made.
    """
    assumptions: list[str] = []
    window: int | None = None
    if window_months == "auto":
        if joined.any() and cols["tenure"] is not None:
            good = joined & ~col.bad
            window = int(tenure[good].max()) if good.any() else None
            if window is not None and window >= 1:
                assumptions.append(_inferred_window_note(window))
                early_stayers = ~churned & ~joined & ~col.bad & (tenure <= window)
                col.note(
                    "warning",
                    str(cols["status"]),
                    f"active, not marked joined, but tenure <= the {window}-month window",
                    early_stayers,
                    "treated as joined inside the window",
                )
            else:
                window = None
    elif window_months is not None:
        window = int(window_months)  # checked by check_window
    if window is not None and window_months != "auto":
        stamp = found.stamp
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
    return Window(window, tuple(assumptions))


def _inferred_window_note(window: int) -> str:
    """The assumption of a window inferred from the longest tenure among joiners."""
    return (
        f"The file is a snapshot of one {window}-month window (inferred: the "
        f"longest tenure among 'joined' customers is {window}). Customers who "
        "left before the window are not in it, so each customer counts as at "
        "risk only in the months that fall inside the window (left "
        "truncation); reading the file as every customer ever acquired would "
        "understate churn."
    )


def entry_ranges(
    window: int | None,
    cols: Mapping[str, str | None],
    churned: np.ndarray,
    tenure: np.ndarray,
    found: Dates,
    col: Collector,
) -> EntryRanges:
    """When each customer entered observation, and whether they joined in the window.

    Parameters
    ----------
    window : int or None
        Observation window in months (None: full history).
    cols : mapping
        Role → column.
    churned : numpy.ndarray
        Churn flags.
    tenure : numpy.ndarray
        Tenure in months.
    found : Dates
        Start and end dates and the end of observation.
    col : Collector
        Date-based customers who left before the window are dropped through it.

    Returns
    -------
    EntryRanges
        Entry ranges and joined weights (see the module notes).
    """
    n = tenure.size
    if window is not None and cols["tenure"] is not None:
        w = window
        return EntryRanges(
            np.where(churned, np.maximum(tenure - w, 0), np.maximum(tenure - w, 0)),
            np.where(churned, np.maximum(tenure - 1, 0), np.maximum(tenure - w, 0)),
            np.where(
                churned, np.clip((w - tenure + 1) / w, 0.0, 1.0), (tenure <= w).astype(float)
            ),
        )
    if window is not None:
        assert found.stamp is not None  # a window without tenure is read from dates
        start, end = found.start, found.end
        opened = found.stamp - pd.DateOffset(months=window)
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
        whole, _ = months_between(start, pd.Series(opened, index=start.index))
        e = np.clip(whole, 0, None).astype(np.int64)
        e = np.minimum(e, np.where(churned, tenure - 1, tenure))
        low = np.maximum(e, 0)
        return EntryRanges(low, low, (start >= opened).to_numpy().astype(float))
    zeros = np.zeros(n, dtype=np.int64)
    # full history: every start is seen
    joined_weight = np.ones(n) if cols["start"] is not None else np.zeros(n)
    return EntryRanges(zeros, zeros, joined_weight)


def _customers(
    ids: pd.Series | None, f: _Fields, entries: EntryRanges, col: Collector
) -> pd.DataFrame:
    """The usable rows as clean records (see :class:`Prepared`)."""
    n = f.tenure.months.size
    keep = ~col.bad
    customers = pd.DataFrame(
        {
            "row": np.arange(1, n + 1),
            "id": ids.to_numpy(dtype=object) if ids is not None else np.arange(1, n + 1),
            "segment": f.segments.names,
            "tenure": f.tenure.months,
            "churned": f.churned,
            "cause": f.reasons.cause.to_numpy(dtype=object),
            "entry_low": entries.low,
            "entry_high": entries.high,
            "joined_weight": entries.joined_weight,
            "charge": f.charge,
            "start": f.dates.start.to_numpy(),
        }
    )[keep].reset_index(drop=True)
    if customers.empty:
        raise ScenarioError("data", "no usable rows left after dropping the invalid ones")
    return customers


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
