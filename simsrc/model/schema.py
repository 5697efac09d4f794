"""Generic scenario (de)serialisation and validation, driven by dataclass fields.

One mechanism serves every section of a scenario, core and levers alike:

* a field's type says what it holds (``bool``, ``str``, a ``Literal`` of allowed words,
  ``int``/``float``, a nested dataclass, a tuple);
* field metadata ``keys`` says when a tuple is keyed by names: ``"segments"``,
  ``"causes"`` or ``"causes,offers"`` (a per-cause row of per-offer values); ``sparse``
  says zeros (or a section at its default) may be left out of files;
* every number is checked against :data:`simsrc.model.params.PARAMETERS` by its dotted path,
  so the parameter table is the single source of bounds (a number without a row is a
  programming error, caught by the tests).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import typing
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, cast, get_args, get_origin

import numpy as np

from simsrc.model.errors import ScenarioError, shorten, shown
from simsrc.model.params import PARAMETERS


@dataclass(frozen=True)
class Names:
    """The names that keyed tuples are aligned with."""

    segments: tuple[str, ...]
    causes: tuple[str, ...]
    offers: tuple[str, ...]

    def of(self, kind: str) -> tuple[str, ...]:
        """Names for a ``keys`` kind (``"segments"``, ``"causes"`` or ``"offers"``)."""
        names: tuple[str, ...] = getattr(self, kind)
        return names


def hints(cls: type) -> dict[str, Any]:
    """Resolved field types of a dataclass (cached per class)."""
    return _hints(cast(Hashable, cls))


@lru_cache(maxsize=128)  # one entry per dataclass of the model: a few dozen
def _hints(cls: Hashable) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


@dataclass(frozen=True)
class _Slot:
    """What one dataclass field holds, worked out once per class (see :func:`_plan`)."""

    field: dataclasses.Field[Any]
    tp: Any
    kind: str  # section, causes_offers, keyed, names, tuple, bool, literal, str, number, other
    keys: str | None
    sparse: bool
    required: bool

    @property
    def name(self) -> str:
        return self.field.name


def _plan(cls: type) -> dict[str, _Slot]:
    """The fields of a dataclass in order, with their kinds (see :func:`_make_plan`)."""
    return _make_plan(cast(Hashable, cls))


@lru_cache(maxsize=128)
def _make_plan(cls: Any) -> dict[str, _Slot]:
    """The fields of a dataclass in order, with their kinds (cached per class).

    Building and validating scenarios walks the same few classes thousands of times in a
    sweep; resolving types and metadata once per class instead of per value keeps that
    walk cheap.
    """
    types = hints(cls)
    plan = {}
    for f in dataclasses.fields(cls):
        tp, keys = types[f.name], f.metadata.get("keys")
        if _is_dataclass_type(tp):
            kind = "section"
        elif keys == "causes,offers":
            kind = "causes_offers"
        elif keys:
            kind = "keyed"
        elif f.metadata.get("names"):
            kind = "names"
        elif get_origin(tp) is tuple:
            kind = "tuple"
        elif tp is bool:
            kind = "bool"
        elif get_origin(tp) is Literal:
            kind = "literal"
        elif tp is str:
            kind = "str"
        elif tp in (int, float) or set(get_args(tp)) == {float, type(None)}:
            kind = "number"
        else:
            kind = "other"
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        plan[f.name] = _Slot(f, tp, kind, keys, bool(f.metadata.get("sparse", False)), required)
    return plan


def to_plain(obj: Any, names: Names, *, full: bool = False) -> dict[str, Any]:
    """A dataclass as plain dictionaries, lists and scalars (keyed tuples as mappings).

    Zero entries of sparse keyed tuples are left out unless ``full`` is true.
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        keys = f.metadata.get("keys")
        sparse = f.metadata.get("sparse", False) and not full
        if dataclasses.is_dataclass(v):
            if sparse and v == f.default:  # an optional section left at its default
                continue
            out[f.name] = to_plain(v, names, full=full)
        elif keys == "causes,offers":
            rows = {}
            for cause, row in zip(names.causes, v, strict=True):
                cells = {
                    o: x.item() if isinstance(x, np.generic) else x
                    for o, x in zip(names.offers, row, strict=True)
                    if x or not sparse
                }
                if cells:
                    rows[cause] = cells
            out[f.name] = rows
        elif keys:
            cells = {
                k: x.item() if isinstance(x, np.generic) else x
                for k, x in zip(names.of(keys), v, strict=True)
                if x or not sparse
            }
            if cells or not sparse or f.default != ():  # an optional table left unset
                out[f.name] = cells
        elif isinstance(v, tuple):
            out[f.name] = [x.item() if isinstance(x, np.generic) else x for x in v]
        else:
            out[f.name] = v.item() if isinstance(v, np.generic) else v
    return out


def reject_unknown(data: Mapping[str, Any], allowed: typing.Iterable[str], path: str) -> None:
    """Raise naming the first key not in ``allowed``, with a did-you-mean hint."""
    allowed = list(allowed)
    for key in data:
        if key not in allowed:
            where = f"{path}.{shorten(str(key))}" if path else shorten(str(key))
            if not allowed:
                raise ScenarioError(where, "unknown key (nothing is allowed here)")
            near = difflib.get_close_matches(str(key)[:200], allowed, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ScenarioError(
                where, f"unknown key (allowed: {', '.join(sorted(set(allowed)))}){hint}"
            )


def require_mapping(obj: Any, path: str) -> dict[str, Any]:
    """The object as a dict, or an error naming ``path``."""
    if not isinstance(obj, Mapping):
        raise ScenarioError(path, f"must be a table of keys and values (got {shown(obj)})")
    return dict(obj)


def _keyed(data: Any, keys: tuple[str, ...], path: str, sparse: bool) -> tuple[Any, ...]:
    if not sparse and isinstance(data, int | float) and not isinstance(data, bool):
        return tuple(float(data) for _ in keys)  # one value for every name
    m = require_mapping(data, path)
    reject_unknown(m, keys, path)
    missing = [k for k in keys if k not in m]
    if missing and not sparse:
        raise ScenarioError(f"{path}.{missing[0]}", "is required (one value per name)")
    return tuple(_number(m.get(k, 0.0)) for k in keys)


def _number(x: Any) -> Any:
    """Any real number (numpy scalars included) as a Python float; other values as they are.

    A value that cannot be a float (``10**400``) is kept, for validation to refuse with
    the field's range.
    """
    if isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_):
        try:
            return float(x)
        except OverflowError:
            return x
    return x


def whole(x: Any) -> Any:
    """A whole number (numpy's and integer-valued floats included) as a Python int."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool | np.bool_):
        return int(x)
    if isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_):
        f = float(x)
        if math.isfinite(f) and f.is_integer():
            return int(f)
    return x


def from_plain(cls: type, data: Any, path: str, names: Names) -> Any:
    """Build a dataclass from plain data, rejecting unknown keys and mistyped values."""
    data = require_mapping(data, path)
    plan = _plan(cls)
    reject_unknown(data, plan, path)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        slot = plan[key]
        tp, kind = slot.tp, slot.kind
        where = f"{path}.{key}" if path else key
        if kind == "section":
            kwargs[key] = from_plain(tp, value, where, names)
        elif kind == "causes_offers":
            rows = require_mapping(value, where)
            reject_unknown(rows, names.causes, where)
            kwargs[key] = tuple(
                _keyed(rows.get(c, {}), names.offers, f"{where}.{c}", True) for c in names.causes
            )
        elif kind == "keyed":
            assert slot.keys is not None
            kwargs[key] = _keyed(value, names.of(slot.keys), where, slot.sparse)
        elif kind == "tuple" or (kind == "names" and get_origin(tp) is tuple):
            if not isinstance(value, list | tuple):
                raise ScenarioError(where, f"must be a list (got {shown(value)})")
            kwargs[key] = tuple(_number(v) for v in value)
        elif kind == "number" and tp is not int:
            kwargs[key] = _number(value)
        elif tp is int:
            kwargs[key] = whole(value)
        else:
            kwargs[key] = value
    missing = [n for n, slot in plan.items() if slot.required and n not in kwargs]
    if missing:
        raise ScenarioError(f"{path}.{missing[0]}" if path else missing[0], "is required")
    return cls(**kwargs)


def normalize(obj: Any, names: Names) -> Any:
    """Fill empty sparse keyed tuples with zeros so they align with the names."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        keys = f.metadata.get("keys")
        if dataclasses.is_dataclass(v):
            nv = normalize(v, names)
            if nv is not v:
                changes[f.name] = nv
        elif keys and f.metadata.get("sparse") and v == ():
            if keys == "causes,offers":
                changes[f.name] = tuple(tuple(0.0 for _ in names.offers) for _ in names.causes)
            else:
                changes[f.name] = tuple(0.0 for _ in names.of(keys))
    return dataclasses.replace(obj, **changes) if changes else obj


def check_number(value: Any, path: str) -> None:
    """Check a number against its parameter-table row (found by path pattern)."""
    row = PARAMETERS.find(path)
    if row is None:  # pragma: no cover - every number has a row (test_scenario_files)
        raise RuntimeError(f"no parameter row for {path!r}; add one to simsrc/model/params.py")
    row.check(value, path)


def validate(obj: Any, path: str, names: Names) -> None:
    """Check types, allowed words, keyed lengths and every number of a dataclass tree."""
    for name, slot in _plan(type(obj)).items():
        v, tp, kind = getattr(obj, name), slot.tp, slot.kind
        where = f"{path}.{name}" if path else name
        if kind == "section":
            if not isinstance(v, tp):
                raise ScenarioError(where, f"must be a {tp.__name__} section")
            validate(v, where, names)
        elif kind == "causes_offers":
            if len(v) != len(names.causes) or any(len(r) != len(names.offers) for r in v):
                raise ScenarioError(where, "needs one row per cause and one value per offer")
            for cause, row in zip(names.causes, v, strict=True):
                for offer, x in zip(names.offers, row, strict=True):
                    check_number(x, f"{where}.{cause}.{offer}")
        elif kind == "keyed":
            assert slot.keys is not None
            expected = names.of(slot.keys)
            if len(v) != len(expected):
                raise ScenarioError(
                    where, f"needs one value per {slot.keys[:-1]} ({len(expected)}), got {len(v)}"
                )
            for k, x in zip(expected, v, strict=True):
                check_number(x, f"{where}.{k}")
        elif kind == "names":
            allowed = names.of(slot.field.metadata["names"])
            for item in v:
                if item not in allowed:
                    raise ScenarioError(
                        where, f"unknown name {shown(item)} (known: {', '.join(allowed)})"
                    )
        elif kind == "tuple":
            if not isinstance(v, tuple):
                raise ScenarioError(where, "must be a list")
            for i, x in enumerate(v):
                check_number(x, f"{where}.{i}")
        elif kind == "bool":
            if not isinstance(v, bool):
                raise ScenarioError(where, f"must be true or false (got {shown(v)})")
        elif kind == "literal":
            allowed_words = get_args(tp)
            if v not in allowed_words:
                raise ScenarioError(
                    where, f"must be one of {', '.join(allowed_words)} (got {shown(v)})"
                )
        elif kind == "str":
            if not isinstance(v, str):
                raise ScenarioError(where, f"must be text (got {shown(v)})")
        elif kind == "number":
            if v is None:
                if tp in (int, float):
                    raise ScenarioError(where, "is required")
                continue
            check_number(v, where)
            if tp is int and not isinstance(v, int):
                raise ScenarioError(where, f"must be a whole number (got {shown(v)})")
