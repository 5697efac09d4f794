"""Exit reasons → the model's churn causes: a default mapping and a user-editable one.

Free-text or coded reasons are matched after normalising case, spaces and punctuation
(``"Competitor made better offer"`` and ``competitor_made_better_offer`` are the same
key). The default mapping knows the eight exit-survey reasons of [sms] (see
``docs/sources.md``), the telecom sample's reasons and categories, the model's own cause
names and a few common words; a user mapping is merged over it (user entries win). A
reason mapped to ``None`` says nothing about the cause (``"Don't know"``): such churners
count towards total churn but not towards any one cause.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc.model.errors import ScenarioError
from simsrc.model.files import read_bytes_limited
from simsrc.model.surveys import DEFAULT_REASON_TO_CAUSE, EXIT_SURVEY_REASONS

__all__ = [
    "DEFAULT_REASON_MAP",
    "ReasonMapping",
    "default_reason_map",
    "load_reason_map",
    "map_reasons",
    "normalize_reason",
]

UNKNOWN = "unknown"
"""Label of churners whose cause is not known (reason missing or mapped to ``None``)."""

_TELECOM: dict[str, str | None] = {
    # Maven Analytics "Telecom Customer Churn" sample: Churn_Reason values.
    "Attitude of service provider": "poor_service",
    "Attitude of support person": "poor_service",
    "Competitor had better devices": "price_competitor",
    "Competitor made better offer": "price_competitor",
    "Competitor offered higher download speeds": "price_competitor",
    "Competitor offered more data": "price_competitor",
    "Lack of self-service on Website": "success_dropoff",
    "Limited range of services": "success_dropoff",
    "Network reliability": "poor_service",
    "Poor expertise of online support": "poor_service",
    "Poor expertise of phone support": "poor_service",
    "Product dissatisfaction": "success_dropoff",
    "Service dissatisfaction": "poor_service",
    "Deceased": "natural_events",
    "Don't know": None,
    "Moved": "natural_events",
    "Extra data charges": "price_competitor",
    "Lack of affordable download/upload speed": "price_competitor",
    "Long distance charges": "price_competitor",
    "Price too high": "price_competitor",
    # Its Churn_Category values (used when a reason is missing or unknown).
    "Attitude": "poor_service",
    "Competitor": "price_competitor",
    "Price": "price_competitor",
    "Dissatisfaction": None,
    "Other": None,
}

_COMMON: dict[str, str | None] = {
    "unknown": None,
    "not given": None,
    "no reason": None,
    "none given": None,
    "other reason": None,
    "too expensive": "price_competitor",
    "cheaper competitor": "price_competitor",
    "switched to competitor": "price_competitor",
    "moved away": "natural_events",
    "relocation": "natural_events",
    "business closed": "natural_events",
    "closed down": "natural_events",
    "budget cuts": "natural_events",
    "bad support": "poor_service",
    "poor service": "poor_service",
    "technical problems": "poor_service",
    "outage": "poor_service",
    "missing features": "success_dropoff",
    "not using it": "success_dropoff",
    "no longer needed": "natural_events",
    "hard to use": "onboarding",
    "too many emails": "pushing_too_hard",
    "too many messages": "pushing_too_hard",
    "spam": "pushing_too_hard",
    "payment failed": "involuntary",
    "failed payment": "involuntary",
    "card declined": "involuntary",
    "card expired": "involuntary",
    "non payment": "involuntary",
    "nonpayment": "involuntary",
    "unpaid": "involuntary",
    "dunning": "involuntary",
    "involuntary": "involuntary",
}


def _missing(value: object) -> bool:
    """Whether a reason cell is empty (None, NaN, NA or text such as "N/A")."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return normalize_reason(value) in ("", "n a", "na", "nan", "none", "null")


def normalize_reason(text: object) -> str:
    """Matching key of a reason: lower case, words joined by single spaces.

    Examples
    --------
    >>> normalize_reason("  Competitor_made-better OFFER ")
    'competitor made better offer'
    >>> normalize_reason("Don't know")
    'dont know'
    """
    s = str(text).strip().lower().replace("'", "").replace("’", "")
    return re.sub(r"[^0-9a-z]+", " ", s).strip()


def _build_default() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for reason, label in EXIT_SURVEY_REASONS.items():  # the eight reasons of [sms]
        out[normalize_reason(reason)] = DEFAULT_REASON_TO_CAUSE[reason]
        out[normalize_reason(label)] = DEFAULT_REASON_TO_CAUSE[reason]
    for cause in (
        "poor_service",
        "onboarding",
        "success_dropoff",
        "natural_events",
        "price_competitor",
        "pushing_too_hard",
        "involuntary",
    ):
        out[normalize_reason(cause)] = cause
    for table in (_COMMON, _TELECOM):
        out.update({normalize_reason(k): v for k, v in table.items()})
    return out


DEFAULT_REASON_MAP: Mapping[str, str | None] = _build_default()
"""Normalised reason → cause name of the telecom preset's causes (``None``: unknown)."""


def default_reason_map() -> dict[str, str | None]:
    """A copy of :data:`DEFAULT_REASON_MAP` to edit and pass back as ``reason_map``.

    Examples
    --------
    >>> m = default_reason_map()
    >>> m["moved"], m["dont know"]
    ('natural_events', None)
    """
    return dict(DEFAULT_REASON_MAP)


def _cause_value(value: object, where: str) -> str | None:
    """A mapping entry's cause: text, or ``None`` for "says nothing about the cause".

    Raises
    ------
    ScenarioError
        Naming ``where``, when the value is neither text nor empty (a number, a table).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if not isinstance(value, str):
        raise ScenarioError(
            where, f"the cause must be text, a cause name (got {type(value).__name__})"
        )
    text = value.strip()
    if text.lower() in ("", "none", "null", "unknown", "-"):
        return None
    return text


MAX_REASON_MAP_BYTES = 1_000_000
"""Largest reason mapping file read (1 MB: tens of thousands of reasons)."""


def load_reason_map(
    path: str | Path, causes: Sequence[str] | None = None
) -> dict[str, str | None]:
    r"""Read a reason mapping from a CSV (``reason,cause``) or TOML (``reason = "cause"``).

    An empty cause (CSV) or ``"none"`` / ``"unknown"`` marks a reason that says nothing
    about the cause.

    Parameters
    ----------
    path : str or Path
        A regular file of at most :data:`MAX_REASON_MAP_BYTES`, UTF-8 text.
    causes : sequence of str, optional
        The scenario's cause names: when given, every cause in the file must be one of
        them (the error then names the file and line).

    Raises
    ------
    ScenarioError
        Naming the file: missing, not a regular file, too large, not UTF-8 text, not
        valid TOML, no entries, a CSV line without exactly a reason and a cause, an
        empty reason, or (with ``causes``) an unknown cause.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "map.csv"
    >>> _ = f.write_text("reason,cause\nToo slow,poor_service\nNo idea,\n")
    >>> load_reason_map(f)
    {'Too slow': 'poor_service', 'No idea': None}
    """
    p = Path(path)
    where = str(p)
    text = _decode(read_bytes_limited(p, MAX_REASON_MAP_BYTES), where)
    known = None if causes is None else list(causes)
    if p.suffix.lower() == ".toml":
        out = _toml_entries(text, where, known)
    else:
        out = _csv_entries(text, where, known)
    if not out:
        raise ScenarioError(
            where,
            "the reason mapping is empty: expected lines of reason,cause (CSV) or "
            'reason = "cause" (TOML)',
        )
    return out


def _decode(raw: bytes, where: str) -> str:
    """The text of a reason mapping file (UTF-8, a byte-order mark allowed)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(
            where,
            f"the reason mapping is not UTF-8 text (byte {err.start + 1}); save it as a "
            "UTF-8 CSV (reason,cause) or TOML file",
        ) from None
    if "\x00" in text:
        raise ScenarioError(where, "the reason mapping holds binary data (NUL bytes), not text")
    return text


def _checked(target: str | None, known: list[str] | None, where: str, line: str) -> str | None:
    """``target`` if it is a known cause (or says nothing); else an error naming ``line``."""
    if known is not None and target is not None and target not in known:
        raise ScenarioError(
            where,
            f"{line}unknown cause {target[:60]!r} (known: {', '.join(known)}; or leave "
            "it empty for 'says nothing about the cause')",
        )
    return target


def _toml_entries(text: str, where: str, known: list[str] | None) -> dict[str, str | None]:
    """Reason → cause from TOML: ``reason = "cause"``, top level or under ``[reasons]``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(where, f"not valid TOML: {err}") from None
    except RecursionError:
        raise ScenarioError(where, "not valid TOML: values nested too deeply") from None
    table = data.get("reasons", data)
    if not isinstance(table, dict):
        raise ScenarioError(where, "expected a table of reason = cause")
    out: dict[str, str | None] = {}
    for key, value in table.items():
        out[str(key)] = _checked(_cause_value(value, f"{where}: {key[:60]!r}"), known, where, "")
    return out


def _csv_entries(text: str, where: str, known: list[str] | None) -> dict[str, str | None]:
    """Reason → cause from CSV lines ``reason,cause`` (a header line is skipped)."""
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise ScenarioError(where, f"not a valid CSV file: {err}") from None
    rows = [(i, r) for i, r in enumerate(lines, start=1) if r and any(c.strip() for c in r)]
    if rows and [normalize_reason(c) for c in rows[0][1][:2]] == ["reason", "cause"]:
        rows = rows[1:]
    out: dict[str, str | None] = {}
    for i, row in rows:
        fields = [c.strip() for c in row]
        while len(fields) > 2 and not fields[-1]:
            fields.pop()  # trailing empty fields: a spreadsheet's extra commas
        if len(fields) == 1 and (";" in fields[0] or "\t" in fields[0]):
            raise ScenarioError(
                where,
                f"line {i}: expected reason,cause separated by a comma (this line uses "
                f"{'a semicolon' if ';' in fields[0] else 'a tab'})",
            )
        if len(fields) != 2:
            raise ScenarioError(
                where,
                f"line {i}: expected reason,cause (got {len(fields)} field(s)); a "
                "reason without a cause is written 'reason,' and text with commas is "
                "quoted",
            )
        if not fields[0]:
            raise ScenarioError(where, f"line {i}: the reason is empty")
        out[fields[0]] = _checked(_cause_value(fields[1], where), known, where, f"line {i}: ")
    return out


@dataclass(frozen=True)
class ReasonMapping:
    """The outcome of mapping churners' reasons onto causes.

    Attributes
    ----------
    cause : pandas.Series
        One label per row: a cause name, :data:`UNKNOWN`, or missing (not a churner).
    rule : pandas.Series
        The rule that decided each churner's label (see ``table``); missing otherwise.
    table : pandas.DataFrame
        One row per distinct reason seen among churners: ``column`` (which input column
        decided), ``value`` (as written), ``churners``, ``cause`` (or ``unknown``) and
        ``rule`` — ``user``, ``default``, ``category`` (fell back to the category
        column), ``unmapped`` (not in any mapping: counted as unknown) or ``missing``.
    unmapped : pandas.DataFrame
        The ``unmapped`` rows of ``table`` (a warning names them).
    """

    cause: pd.Series
    rule: pd.Series
    table: pd.DataFrame
    unmapped: pd.DataFrame


def map_reasons(
    churned: Sequence[bool] | pd.Series | NDArray[np.bool_],
    reason: pd.Series | None,
    category: pd.Series | None,
    causes: Sequence[str],
    user_map: Mapping[str, str | None] | None = None,
    *,
    reason_column: str = "reason",
    category_column: str = "category",
) -> ReasonMapping:
    """Map each churner's reason (falling back to its category) onto a cause.

    Parameters
    ----------
    churned : sequence of bool
        Which rows are churners (others get a missing label).
    reason, category : pandas.Series or None
        Free-text or coded reason and a coarser category, aligned with ``churned``.
    causes : sequence of str
        The scenario's cause names. Default entries pointing to a cause not in the
        scenario are ignored (the reason becomes unknown); user entries must name one.
    user_map : mapping, optional
        Reason → cause (or ``None``), merged over :data:`DEFAULT_REASON_MAP`.
    reason_column, category_column : str
        Column names used in the table and messages.

    Returns
    -------
    ReasonMapping

    Raises
    ------
    ScenarioError
        A user mapping entry names a cause the scenario does not have.

    Examples
    --------
    >>> out = map_reasons([True, True, False], pd.Series(["Moved", "Gremlins", None]),
    ...                   None, ["natural_events", "price_competitor"])
    >>> out.cause.tolist()
    ['natural_events', 'unknown', nan]
    >>> out.unmapped["value"].tolist()
    ['Gremlins']
    """
    flags = pd.Series(list(churned), dtype=bool).to_numpy()
    n = flags.size
    known = set(causes)
    lookup = _Lookup(
        _user_entries(user_map, causes),
        {k: (v if v in known else None) for k, v in DEFAULT_REASON_MAP.items()},
    )

    def values(s: pd.Series | None) -> list[object]:
        return [None] * n if s is None else list(s.to_numpy(dtype=object))

    reasons, cats = values(reason), values(category)
    labels: list[object] = [float("nan")] * n
    rules: list[object] = [float("nan")] * n
    rows: dict[tuple[str, str], list[object]] = {}
    counts: dict[tuple[str, str], int] = {}
    for i in range(n):
        if not flags[i]:
            continue
        d = _decide(lookup, reasons[i], cats[i], reason_column, category_column)
        labels[i] = d.cause if d.cause is not None else UNKNOWN
        rules[i] = d.rule
        where = (d.column, d.value)
        rows.setdefault(where, [d.column, d.value, 0, labels[i], d.rule])
        counts[where] = counts.get(where, 0) + 1
    table = _reason_table(rows, counts)
    return ReasonMapping(
        cause=pd.Series(labels, dtype=object),
        rule=pd.Series(rules, dtype=object),
        table=table,
        unmapped=table[table["rule"] == "unmapped"].reset_index(drop=True),
    )


def _reason_table(
    rows: dict[tuple[str, str], list[object]], counts: dict[tuple[str, str], int]
) -> pd.DataFrame:
    """One row per distinct (column, value) with its churners, most frequent first."""
    for where, row in rows.items():
        row[2] = counts[where]
    table = pd.DataFrame(
        list(rows.values()), columns=["column", "value", "churners", "cause", "rule"]
    )
    return table.sort_values(["churners", "value"], ascending=[False, True], ignore_index=True)


def _user_entries(
    user_map: Mapping[str, str | None] | None, causes: Sequence[str]
) -> dict[str, str | None]:
    """The user's mapping with normalised reasons; every cause checked against ``causes``."""
    known = set(causes)
    user: dict[str, str | None] = {}
    for key, value in (user_map or {}).items():
        target = _cause_value(value, f"reason_map.{key}")
        if target is not None and target not in known:
            raise ScenarioError(
                f"reason_map.{key}",
                f"unknown cause {target!r} (known: {', '.join(causes)}; or leave it empty "
                "for 'says nothing about the cause')",
            )
        user[normalize_reason(key)] = target
    return user


@dataclass(frozen=True)
class _Lookup:
    """The user's mapping over the default one (both keyed by normalised reason)."""

    user: dict[str, str | None]
    default: dict[str, str | None]

    def find(self, value: object) -> tuple[str | None, str] | None:
        """The cause of a reason and the rule that gave it (None: not in a mapping)."""
        if _missing(value):
            return None
        key = normalize_reason(value)
        if key in self.user:
            return self.user[key], "user"
        if key in self.default:
            return self.default[key], "default"
        return None


class _Decision(NamedTuple):
    """A churner's cause, the rule that decided it, and the column and value it came from."""

    cause: str | None
    rule: str
    column: str
    value: str


def _decide(
    lookup: _Lookup, r: object, c: object, reason_column: str, category_column: str
) -> _Decision:
    """Map one churner's reason ``r``, falling back to its category ``c``."""
    hit = lookup.find(r)
    column, value, rule = reason_column, str(r), "default"
    cause: str | None = None
    if hit is not None:
        cause, rule = hit
    else:
        cat_hit = lookup.find(c)
        if cat_hit is not None:
            cause = cat_hit[0]
            column, value = category_column, str(c)
            rule = cat_hit[1] if _missing(r) else "category"
            if not _missing(r):
                value = f"{r} ({c})"
        elif _missing(r) and _missing(c):
            rule, value = "missing", ""
        else:
            rule = "unmapped"
            if _missing(r):
                column, value = category_column, str(c)
    return _Decision(cause, rule, column, value)
