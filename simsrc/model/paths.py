"""Dotted paths into scenario documents: the one place that reads, writes and lists them.

A scenario document is the plain dictionary of :meth:`simsrc.Scenario.to_dict` (and of a
scenario file). A dotted path names one value in it: tables by key
(``acquisition.new_per_month``), lists of named items — segments, causes — by name
(``segments.premium.monthly_price``), other lists by index
(``acquisition.seasonality.0``). :meth:`Scenario.set <simsrc.Scenario.set>`,
:meth:`Scenario.get <simsrc.Scenario.get>`, the CLI's ``--set``, sweeps, sensitivity and
the dashboards all go through these functions, so a path means the same everywhere.

Examples
--------
>>> doc = {"acquisition": {"new_per_month": 10.0, "seasonality": [1.0, 2.0]},
...        "segments": [{"name": "premium", "monthly_price": 50.0}]}
>>> get_path(doc, "segments.premium.monthly_price")
50.0
>>> set_path(doc, "acquisition.seasonality.1", 3.0)
>>> doc["acquisition"]["seasonality"]
[1.0, 3.0]
>>> [p for p, _ in numeric_leaves(doc)]
['acquisition.new_per_month', 'acquisition.seasonality.0', 'acquisition.seasonality.1', \
'segments.premium.monthly_price']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from simsrc.model.errors import ScenarioError, shorten, shown

__all__ = ["get_path", "leaves", "locate", "numeric_leaves", "set_path"]


def _named_list(node: object) -> bool:
    """A non-empty list of tables: its items are addressed by their ``name``."""
    return isinstance(node, list) and bool(node) and all(isinstance(x, dict) for x in node)


def locate(document: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding a dotted path's value, and its key (or index) there.

    Parameters
    ----------
    document : dict
        A scenario document.
    path : str
        A dotted path.

    Returns
    -------
    tuple
        ``(container, key)`` with ``container[key]`` the value.

    Raises
    ------
    TypeError
        If ``path`` is not a string.
    ScenarioError
        Naming the first part of the path that does not exist (and what does), or when
        the path ends on a whole named item.
    """
    if not isinstance(path, str):
        raise TypeError(
            f"path must be a dotted path such as 'acquisition.new_per_month' (got {shown(path)})"
        )
    parts = path.split(".")
    if not all(parts):
        raise ScenarioError(
            "path",
            f"{shorten(repr(path))} is not a dotted path such as 'acquisition.new_per_month'",
        )
    node: Any = document
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if _named_list(node):
            matches = [item for item in node if item.get("name") == part]
            if not matches:
                names = ", ".join(str(item.get("name")) for item in node)
                raise ScenarioError(here, f"no item named {shorten(part)!r} (known: {names})")
            if last:
                raise ScenarioError(here, "is a whole item; set its fields one at a time")
            node = matches[0]
        elif isinstance(node, list):
            if not part.isdigit():
                raise ScenarioError(here, "a list's items are addressed by number")
            if not node:
                raise ScenarioError(here, "index out of range (the list is empty)")
            if int(part) >= len(node):
                raise ScenarioError(here, f"index out of range (0–{len(node) - 1})")
            if last:
                return node, int(part)
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                known = ", ".join(node) or "nothing"
                raise ScenarioError(here, f"unknown key (known: {known})")
            if last:
                return node, part
            node = node[part]
        else:
            raise ScenarioError(".".join(parts[:i]), "is a value, not a table or list")
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def get_path(document: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (see :func:`locate` for the errors)."""
    node, key = locate(document, path)
    return node[key]


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path, in place.

    A whole table (a section, a segment, a cause's shape) is not replaced by a partial
    one: keys left out would silently fall back to defaults. Per-name tables such as
    ``causes.onboarding.levels`` may be set to one number, meaning every name.

    Raises
    ------
    ScenarioError
        If the path does not exist, or names a whole table or list of named items.
    """
    node, key = locate(document, path)
    old = node[key]
    if isinstance(old, dict) and isinstance(value, Mapping):
        raise ScenarioError(
            path,
            f"is a whole table; set its fields one at a time, e.g. {path}.{next(iter(old), 'x')}",
        )
    if _named_list(old):
        raise ScenarioError(
            path, "is a list of named items; set their fields by name (or use replace())"
        )
    node[key] = value


def leaves(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every concrete dotted path of a document and the value there, in document order.

    Named items are walked by name (their ``name`` field is not a leaf), other lists by
    index; an empty list or table is a leaf of its own. The ``uncertainty`` table is keyed
    by parameter paths, so its leaves are listed but cannot be addressed by a path.
    """
    items: Iterator[tuple[str | int, Any]] | None = None
    if isinstance(document, Mapping) and document:
        items = iter(document.items())
    elif _named_list(document):
        named: list[dict[str, Any]] = document  # type: ignore[assignment]
        items = (
            (item["name"], {k: v for k, v in item.items() if k != "name"})
            for item in named
            if "name" in item
        )
    elif isinstance(document, list) and document:
        items = enumerate(document)
    if items is None:
        yield prefix, document
        return
    for key, value in items:
        yield from leaves(value, f"{prefix}.{key}" if prefix else str(key))


def numeric_leaves(document: Mapping[str, Any]) -> Iterator[tuple[str, float | int]]:
    """The leaves whose value is a number (bools are choices, not numbers)."""
    for path, value in leaves(document):
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield path, value
