"""Validation of a whole scenario: types and names first, then every value and rule.

Bounds of single values live in the parameter table (:data:`simsrc.PARAMETERS`) and are
checked by :mod:`simsrc.model.schema`; this module adds what needs the whole scenario —
list lengths and names, segment shares summing to one, offer mixes, lever rules that name
causes, uncertain ranges, and the value ramp's reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from simsrc.model import paths, schema
from simsrc.model.conversions import ramp_gain
from simsrc.model.errors import ScenarioError, shown
from simsrc.model.levers import LEVER_SECTIONS, OFFER_NAMES
from simsrc.model.params import PARAMETERS
from simsrc.model.parts import Cause, JointDraws, Segment, Uncertain

if TYPE_CHECKING:  # pragma: no cover - the scenario module imports this one
    from simsrc.model.scenario import Scenario

__all__ = ["MAX_CAUSES", "MAX_SEGMENTS", "check_names", "check_structure", "validate"]

MAX_SEGMENTS = 50
"""Most segments a scenario may have (each is a full set of cohorts in the engine)."""
MAX_CAUSES = 50
"""Most churn causes a scenario may have (a scenario file stays well under 1 MB)."""

_ITEM_TYPES: dict[str, type] = {"segments": Segment, "causes": Cause, "uncertainty": Uncertain}


def check_structure(s: Scenario) -> None:
    """Types, names and list lengths, checked before anything is aligned by name.

    ``Scenario(...)`` and :meth:`Scenario.replace` take Python objects, not plain data:
    each field must be of its declared kind (lists of segments, causes and ranges become
    tuples), so a wrong object is refused here by name instead of failing deep inside.
    """
    if not isinstance(s.name, str) or not s.name.strip():
        raise ScenarioError("name", f"must be a non-empty text (got {shown(s.name)})")
    for key, item_type in _ITEM_TYPES.items():
        items = getattr(s, key)
        if isinstance(items, list):
            items = tuple(items)
            object.__setattr__(s, key, items)
        if not isinstance(items, tuple):
            raise ScenarioError(
                key,
                f"must be a tuple of {item_type.__name__} objects (got {type(items).__name__})",
            )
        for i, item in enumerate(items):
            if not isinstance(item, item_type):
                raise ScenarioError(
                    f"{key}[{i}]",
                    f"must be of type {item_type.__name__} (got {type(item).__name__})",
                )
    for key in ("acquisition", "heterogeneity", "value", *LEVER_SECTIONS):
        tp = schema.hints(type(s))[key]
        if not isinstance(getattr(s, key), tp):
            raise ScenarioError(
                key, f"must be of type {tp.__name__} (got {type(getattr(s, key)).__name__})"
            )
    object.__setattr__(s, "horizon_months", schema.whole(s.horizon_months))
    if not s.segments:
        raise ScenarioError("segments", "at least one segment is required")
    if not s.causes:
        raise ScenarioError("causes", "at least one cause is required")
    for key, most in (("segments", MAX_SEGMENTS), ("causes", MAX_CAUSES)):
        if len(getattr(s, key)) > most:
            raise ScenarioError(key, f"at most {most} allowed (got {len(getattr(s, key))})")
    check_names([seg.name for seg in s.segments], "segments")
    check_names([c.name for c in s.causes], "causes")


def validate(s: Scenario) -> None:
    """Every value within its bounds and every cross-field rule of a scenario.

    Raises
    ------
    ScenarioError
        Naming the first field at fault and what it allows.
    """
    names = s.names
    if not isinstance(s.horizon_months, int) or isinstance(s.horizon_months, bool):
        raise ScenarioError(
            "horizon_months",
            f"must be a whole number between 1 and 240 (got {s.horizon_months!r})",
        )
    for key in ("horizon_months", "annual_discount_rate"):
        schema.check_number(getattr(s, key), key)
    for key in ("currency", "description"):
        if not isinstance(getattr(s, key), str):
            raise ScenarioError(key, "must be text")
    for seg in s.segments:
        schema.validate(seg, f"segments.{seg.name}", names)
    total_share = sum(seg.share for seg in s.segments)
    if abs(total_share - 1) > 1e-9:
        raise ScenarioError(
            "segments.*.share", f"segment shares must sum to 1 (got {total_share:.6g})"
        )
    for c in s.causes:
        base = f"causes.{c.name}"
        schema.validate(c, base, names)
        if c.shape.kind == "custom" and not c.shape.values:
            raise ScenarioError(f"{base}.shape.values", "a custom shape needs values")
        if len(c.shape.values) > 240:
            raise ScenarioError(f"{base}.shape.values", "at most 240 values")
    for section in ("acquisition", "heterogeneity", "value", *LEVER_SECTIONS):
        schema.validate(getattr(s, section), section, names)
    a = s.acquisition
    if a.seasonality:
        if len(a.seasonality) != 12:
            raise ScenarioError(
                "acquisition.seasonality",
                f"needs 12 monthly multipliers or none (got {len(a.seasonality)})",
            )
        if sum(a.seasonality) <= 0:
            raise ScenarioError("acquisition.seasonality", "must not be all zero")
    _validate_levers(s)
    _validate_uncertainty(s)
    _validate_estimation(s)
    ramp_gain(s.value.year3_uplift, s.value.ramp_months)  # raises if out of the ramp's reach


_PATHS: dict[tuple[Any, ...], frozenset[str]] = {}
_PATHS_KEPT = 64  # shapes remembered; a long-running dashboard sees few, a sweep one


def numeric_paths(s: Scenario) -> frozenset[str]:
    """Every concrete dotted path of a number in scenarios shaped like ``s``.

    Paths depend only on the scenario's shape (its segment and cause names and the
    length of its lists), so they are worked out once per shape; the oldest shape is
    forgotten when more than ``_PATHS_KEPT`` have been seen.
    """
    key = (s.segment_names, s.cause_names, len(s.acquisition.seasonality))
    found = _PATHS.get(key)
    if found is None:
        found = frozenset(path for path, _ in paths.numeric_leaves(s.to_dict(full=True)))
        if len(_PATHS) >= _PATHS_KEPT:
            del _PATHS[next(iter(_PATHS))]
        _PATHS[key] = found
    return found


MAX_DRAWS = 10_000
"""Most parameter sets an ``[estimation]`` table may hold."""


def _validate_estimation(s: Scenario) -> None:
    """Joint draws: known numeric parameters, each once, rows complete and in bounds."""
    est = s.estimation
    if est is None:
        return
    if not isinstance(est, JointDraws):
        raise ScenarioError("estimation", "must be JointDraws")
    if not est.paths:
        raise ScenarioError("estimation.paths", "must name at least one parameter")
    known = numeric_paths(s)
    ranged = {u.path for u in s.uncertainty}
    rows = []
    for path in est.paths:
        where = f"estimation.paths ({path})"
        row = PARAMETERS.find(path)
        if row is None or path not in known:
            raise ScenarioError(where, "not a numeric parameter of this scenario")
        if est.paths.count(path) > 1:
            raise ScenarioError(where, "listed twice")
        if path in ranged:
            raise ScenarioError(where, "also has an [uncertainty] range: give it one or the other")
        rows.append(row)
    if not 2 <= len(est.draws) <= MAX_DRAWS:
        raise ScenarioError(
            "estimation.draws",
            f"must hold 2 to {MAX_DRAWS:,} parameter sets (got {len(est.draws)})",
        )
    for i, draw in enumerate(est.draws):
        if len(draw) != len(est.paths):
            raise ScenarioError(
                f"estimation.draws[{i}]",
                f"has {len(draw)} values for {len(est.paths)} paths",
            )
        for path, row, value in zip(est.paths, rows, draw, strict=True):
            row.check(value, f"estimation.draws[{i}] ({path})")


def _validate_uncertainty(s: Scenario) -> None:
    """Each uncertain parameter exists, is numeric, and has a valid range."""
    if not s.uncertainty:
        return
    known = numeric_paths(s)
    seen: set[str] = set()
    for u in s.uncertainty:
        where = f"uncertainty.{u.path}"
        if not isinstance(u, Uncertain):
            raise ScenarioError("uncertainty", "entries must be Uncertain ranges")
        if u.path in seen:
            raise ScenarioError(where, "listed twice")
        seen.add(u.path)
        row = PARAMETERS.find(u.path)
        if row is None:
            raise ScenarioError(where, "not a numeric parameter (see `simsrc params`)")
        if u.path not in known:
            raise ScenarioError(where, "no such parameter in this scenario")
        for bound in ("low", "high"):
            row.check(getattr(u, bound), f"{where}.{bound}")
        if u.low > u.high:
            raise ScenarioError(where, f"low ({u.low:g}) must not exceed high ({u.high:g})")
        if u.distribution not in ("uniform", "triangular"):
            raise ScenarioError(
                f"{where}.distribution",
                f"must be one of uniform, triangular (got {u.distribution!r})",
            )
        if u.mode is not None:
            row.check(u.mode, f"{where}.mode")
            if not u.low <= u.mode <= u.high:
                raise ScenarioError(f"{where}.mode", f"must lie between {u.low:g} and {u.high:g}")


def _validate_levers(s: Scenario) -> None:
    """Cross-field rules of the levers (bounds are in the parameter table)."""
    for cause, row in zip(s.cause_names, s.save_team.mix, strict=True):
        total = sum(row)
        if total > 1 + 1e-9:
            raise ScenarioError(
                f"save_team.mix.{cause}",
                f"offer shares for one cause must sum to at most 100% (got {100 * total:.4g}%)",
            )
    for name in OFFER_NAMES:
        offer = s.save_team.offer(name)
        if name in ("discount", "free_month", "contract", "pause") and offer.months < 1:
            raise ScenarioError(f"save_team.{name}.months", "must be at least 1 month")
    if s.dunning.enabled and not any(not c.voluntary for c in s.causes):
        raise ScenarioError(
            "dunning.enabled", "dunning needs a failed-payment cause (voluntary = false)"
        )
    for prog in ("onboarding", "success", "service"):
        program = getattr(s.programs, prog)
        if program.enabled and program.cause not in s.cause_names:
            raise ScenarioError(
                f"programs.{prog}.cause",
                f"unknown cause {program.cause!r} (known: {', '.join(s.cause_names)})",
            )
    if s.contact.contacts_per_month > 0:
        for key in ("push_cause", "value_cause"):
            cause = getattr(s.contact, key)
            if cause not in s.cause_names:
                raise ScenarioError(
                    f"contact.{key}",
                    f"unknown cause {cause!r} (known: {', '.join(s.cause_names)})",
                )


def check_names(names: Sequence[object], where: str) -> None:
    """Segment or cause names: identifiers of at most 64 characters, none twice."""
    seen: set[str] = set()
    for i, n in enumerate(names):
        if not isinstance(n, str) or not n.isidentifier() or len(n) > 64:
            raise ScenarioError(
                f"{where}[{i}].name",
                "must be a name of at most 64 letters, digits and underscores, not starting "
                f"with a digit (got {shown(n)})",
            )
        if n in seen:
            raise ScenarioError(f"{where}[{i}].name", f"duplicate name {n!r}")
        seen.add(n)
