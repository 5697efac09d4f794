"""Finding the columns of a customer table and checking the options that read it.

Columns are found by their usual names (``Tenure_in_Months``, ``customer_status``,
``churn_reason``, ``contract``, …, see :data:`ROLES`) or named explicitly; the
observation window and the end of observation are checked before any row is read.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from simsrc.model.errors import ScenarioError

__all__ = [
    "ACTIVE_VALUES",
    "CHURNED_VALUES",
    "FIRST_YEAR",
    "JOINED_VALUES",
    "LAST_YEAR",
    "MAX_SEGMENTS",
    "MAX_TENURE",
    "ROLES",
    "check_window",
    "find_columns",
    "norm_name",
    "parse_as_of",
    "resolve_columns",
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


def norm_name(name: object) -> str:
    """A column name or value in lower case, runs of other characters one ``_``.

    Examples
    --------
    >>> norm_name(" Tenure in Months ")
    'tenure_in_months'
    """
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
        by_norm.setdefault(norm_name(col), str(col))
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


def resolve_columns(
    data: pd.DataFrame,
    columns: Mapping[str, str | None] | None,
    segment: str | Literal[False] | None,
    as_of: pd.Timestamp | None,
) -> dict[str, str | None]:
    """The column of each role, checked for what a customer table needs.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table.
    columns : mapping, optional
        Role → column name, overriding the automatic choice.
    segment : str, False or None
        Column that defines segments; ``False`` for one segment; ``None``: found.
    as_of : pandas.Timestamp or None
        End of observation (refused for data without a start-date column).

    Returns
    -------
    dict
        Role → column name or ``None``.

    Raises
    ------
    ScenarioError
        No tenure or start column, no status or end column, an unknown segment column,
        or ``as_of`` for tenure-only data.
    """
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
    if as_of is not None and cols["start"] is None:
        raise ScenarioError(
            "as_of",
            "applies only to date-based data (with a start-date column); this data gives "
            f"tenure in months ({cols['tenure']}), which already ends at the snapshot — "
            "leave it out",
        )
    return cols
