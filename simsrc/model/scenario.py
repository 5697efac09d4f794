"""Scenarios: the frozen, validated description of one business and its choices.

A :class:`Scenario` is the single source of truth for a simulation. A what-if is a
changed copy (:meth:`Scenario.replace`, :meth:`Scenario.set`, :meth:`Scenario.halve_churn`,
:meth:`Scenario.scale_churn`), never a mutation. :meth:`Scenario.to_dict` and
:meth:`Scenario.from_dict` round-trip exactly and are what scenario files contain.

Money is in one currency per scenario; time is monthly and field names say so.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simsrc.model import paths, schema, validation
from simsrc.model.errors import ScenarioError, shown
from simsrc.model.levers import (
    LEVER_SECTIONS,
    OFFER_LABELS,
    OFFER_NAMES,
    Channels,
    ContactPolicy,
    Dunning,
    Programs,
    SaveTeam,
    WinBack,
    WordOfMouth,
)
from simsrc.model.migrations import SCHEMA_VERSION, migrate
from simsrc.model.params import PARAMETERS
from simsrc.model.parts import (
    Acquisition,
    Cause,
    Heterogeneity,
    JointDraws,
    Segment,
    Uncertain,
    ValueGrowth,
)

WHAT_IF_MARK = " · "
"""What separates a what-if's name from its baseline's (``"b2b-saas · halve churn"``)."""


@dataclass(frozen=True)
class Scenario:
    """A complete, validated what-if scenario.

    Build one from a preset (:func:`simsrc.preset`), a file
    (:func:`simsrc.load_scenario`) or a dictionary (:meth:`from_dict`); derive what-ifs
    with :meth:`replace`, :meth:`set`, :meth:`scale_churn` and :meth:`halve_churn`.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> base.halve_churn().name
    'b2b-saas · halve churn'
    """

    name: str
    segments: tuple[Segment, ...]
    causes: tuple[Cause, ...]
    acquisition: Acquisition = field(default_factory=Acquisition)
    heterogeneity: Heterogeneity = field(default_factory=Heterogeneity)
    value: ValueGrowth = field(default_factory=ValueGrowth)
    horizon_months: int = 60
    annual_discount_rate: float = 0.10
    currency: str = "USD"
    description: str = ""
    save_team: SaveTeam = field(default_factory=SaveTeam)
    dunning: Dunning = field(default_factory=Dunning)
    win_back: WinBack = field(default_factory=WinBack)
    programs: Programs = field(default_factory=Programs)
    contact: ContactPolicy = field(default_factory=ContactPolicy)
    word_of_mouth: WordOfMouth = field(default_factory=WordOfMouth)
    channels: Channels = field(default_factory=Channels)
    uncertainty: tuple[Uncertain, ...] = ()
    estimation: JointDraws | None = None

    def __post_init__(self) -> None:
        validation.check_structure(self)
        names = self.names
        causes = tuple(schema.normalize(c, names) for c in self.causes)
        if any(a is not b for a, b in zip(causes, self.causes, strict=True)):
            object.__setattr__(self, "causes", causes)
        for section in ("heterogeneity", *LEVER_SECTIONS):
            value = getattr(self, section)
            normal = schema.normalize(value, names)
            if normal is not value:
                object.__setattr__(self, section, normal)
        validation.validate(self)
        if self.heterogeneity.reference_churn is None:
            object.__setattr__(
                self,
                "heterogeneity",
                dataclasses.replace(self.heterogeneity, reference_churn=_mean_het_level(self)),
            )

    # -- what-ifs ---------------------------------------------------------------------
    def replace(self, **changes: Any) -> Scenario:
        """Return a validated copy with top-level fields changed.

        Examples
        --------
        >>> import simsrc
        >>> simsrc.preset("b2b-saas").replace(horizon_months=120).horizon_months
        120
        """
        return dataclasses.replace(self, **changes)

    def get(self, path: str) -> Any:
        """The value at a dotted path (the paths :meth:`set` and ``simsrc params`` use).

        Raises
        ------
        ScenarioError
            If the path does not exist in this scenario, naming what does.

        Examples
        --------
        >>> import simsrc
        >>> simsrc.preset("b2b-saas").get("segments.premium.monthly_price")
        1500.0
        """
        return paths.get_path(self.to_dict(full=True), path)

    def set(self, path: str, value: Any, *, name: str | None = None) -> Scenario:
        """Return a copy with one field changed, addressed by its dotted path.

        Segments and causes are addressed by name, e.g.
        ``"segments.premium.monthly_price"`` or ``"causes.onboarding.levels.standard"``.

        Parameters
        ----------
        path : str
            Dotted path as listed in :data:`simsrc.PARAMETERS`.
        value : Any
            New value.
        name : str, optional
            Name for the new scenario. By default a base scenario keeps its name, and a
            what-if (a name made by a what-if method, ``"b2b-saas · halve churn"``) says
            what was changed since, so its name never describes a scenario it no longer is.

        Raises
        ------
        ScenarioError
            If the path does not exist or the value is out of range.

        Examples
        --------
        >>> import simsrc
        >>> s = simsrc.preset("b2b-saas").set("acquisition.new_per_month", 80)
        >>> s.acquisition.new_per_month, s.name
        (80.0, 'b2b-saas')
        >>> simsrc.preset("b2b-saas").halve_churn().set("dunning.style", "help_first").name
        'b2b-saas · halve churn · dunning.style = help_first'
        """
        data = self.to_dict(full=True)
        paths.set_path(data, path, value)
        if name is not None:
            data["name"] = name
        elif WHAT_IF_MARK in self.name:
            said = value if isinstance(value, str) else shown(value)
            data["name"] = f"{self.name}{WHAT_IF_MARK}{path} = {said}"
        return Scenario.from_dict(data)

    def scale_churn(
        self,
        factor: float,
        cause: str | None = None,
        segment: str | None = None,
        *,
        name: str | None = None,
    ) -> Scenario:
        """Multiply churn levels by ``factor`` (all causes and segments by default).

        Parameters
        ----------
        factor : float
            Non-negative multiplier (0.5 halves churn).
        cause, segment : str, optional
            Restrict the change to one cause and/or one segment.
        name : str, optional
            Name of the new scenario; a descriptive one is made up by default.

        Examples
        --------
        >>> import simsrc
        >>> base = simsrc.preset("b2b-saas")
        >>> lower = base.scale_churn(0.8, cause="onboarding")
        >>> lower.cause("onboarding").levels[0] == 0.8 * base.cause("onboarding").levels[0]
        True
        """
        factor = _factor(factor, "factor")
        if cause is not None:
            self.cause(cause)
        seg_index = None if segment is None else self.segment_index(segment)
        causes = []
        for c in self.causes:
            if cause is None or c.name == cause:
                levels = tuple(
                    lvl * factor if seg_index is None or i == seg_index else lvl
                    for i, lvl in enumerate(c.levels)
                )
                c = dataclasses.replace(c, levels=levels)
            causes.append(c)
        if name is None:  # in words: "halve price or competitor churn (One year)"
            what = "churn" if cause is None else f"{self.cause(cause).label.lower()} churn"
            where = "" if seg_index is None else f" ({self.segments[seg_index].label})"
            name = (
                f"{self.name}{WHAT_IF_MARK}halve {what}{where}"
                if factor == 0.5
                else f"{self.name}{WHAT_IF_MARK}{what}{where} ×{factor:g}"
            )
        return dataclasses.replace(self, causes=tuple(causes), name=name)

    def scale_contract(
        self,
        segment: str,
        *,
        renewal: float = 1.0,
        early_exit: float = 1.0,
        name: str | None = None,
    ) -> Scenario:
        """Multiply a contract segment's renewal waves and its churn inside a term.

        Parameters
        ----------
        segment : str
            A segment with a contract term.
        renewal : float
            Multiplier of the churn at every renewal point (0.5: a renewal campaign
            that halves the wave).
        early_exit : float
            Multiplier of the churn still happening inside a term (a higher early
            termination fee lowers it).
        name : str, optional
            Name of the new scenario (default: the same name).

        Raises
        ------
        ScenarioError
            If a factor is not a finite number ≥ 0, the segment is unknown or has no
            term, or a value leaves its bounds (a wave above 100 %, naming the field).

        Examples
        --------
        >>> import simsrc
        >>> s = simsrc.preset("telecom").set("segments.one_year.contract.term_months", 12)
        >>> s = s.set("segments.one_year.contract.renewal", [0.2, 0.1])
        >>> s.scale_contract("one_year", renewal=0.5).segments[1].contract.renewal
        (0.1, 0.05)
        """
        g = self.segment_index(segment)
        seg = self.segments[g]
        if seg.contract.term_months == 0:
            raise ScenarioError(f"segments.{segment}.contract", "has no term to scale")
        factors = {"renewal": _factor(renewal, "renewal"),
                   "early_exit": _factor(early_exit, "early_exit")}  # fmt: skip
        contract = dataclasses.replace(
            seg.contract,
            renewal=tuple(v * factors["renewal"] for v in seg.contract.renewal),
            early_exit=tuple(v * factors["early_exit"] for v in seg.contract.early_exit),
        )
        segments = list(self.segments)
        segments[g] = dataclasses.replace(seg, contract=contract)
        return dataclasses.replace(self, segments=tuple(segments), name=name or self.name)

    def halve_churn(self, cause: str | None = None, segment: str | None = None) -> Scenario:
        """Halve churn levels (all causes by default): the headline what-if.

        From [good-customers-leave]: with the same acquisition strategy, a firm that
        halves churn ends with about twice the total revenue.

        Examples
        --------
        >>> import simsrc
        >>> simsrc.preset("b2b-saas").halve_churn().name
        'b2b-saas · halve churn'
        """
        return self.scale_churn(0.5, cause=cause, segment=segment)

    def without_levers(self) -> Scenario:
        """The same business with no retention work: the core model.

        No save team (coverage 0), no dunning, no win-back, no programs, no marketing
        contacts and no word-of-mouth loss; every other setting is kept.

        Examples
        --------
        >>> import simsrc
        >>> s = simsrc.preset("b2b-saas").without_levers()
        >>> s.save_team.coverage, s.dunning.enabled
        (0.0, False)
        """
        off: dict[str, Any] = {
            "save_team": dataclasses.replace(self.save_team, coverage=0.0),
            "dunning": dataclasses.replace(self.dunning, enabled=False),
            "win_back": dataclasses.replace(self.win_back, enabled=False),
            "programs": dataclasses.replace(
                self.programs,
                onboarding=dataclasses.replace(self.programs.onboarding, enabled=False),
                success=dataclasses.replace(self.programs.success, enabled=False),
                service=dataclasses.replace(self.programs.service, enabled=False),
                exit_survey=dataclasses.replace(self.programs.exit_survey, enabled=False),
            ),
            "contact": dataclasses.replace(self.contact, contacts_per_month=0.0),
            "word_of_mouth": dataclasses.replace(self.word_of_mouth, lost_per_bad_exit=0.0),
        }
        if all(getattr(self, k) == v for k, v in off.items()):
            return self
        return dataclasses.replace(self, name=f"{self.name}{WHAT_IF_MARK}no levers", **off)

    # -- lookups ----------------------------------------------------------------------
    @property
    def segment_names(self) -> tuple[str, ...]:
        """Segment identifiers in order."""
        return tuple(s.name for s in self.segments)

    @property
    def cause_names(self) -> tuple[str, ...]:
        """Cause identifiers in order."""
        return tuple(c.name for c in self.causes)

    @property
    def item_labels(self) -> dict[str, str]:
        """Display names of the offers, causes and segments, by name.

        A cause or segment named like an offer keeps its own label.

        Examples
        --------
        >>> from simsrc import preset
        >>> labels = preset("b2b-saas").item_labels
        >>> labels["expert_help"], labels["price_competitor"], labels["premium"]
        ('Expert help', 'Price or competitor', 'Premium plan')
        """
        labels = dict(OFFER_LABELS)
        labels.update({c.name: c.label for c in self.causes})
        labels.update({g.name: g.label for g in self.segments})
        return labels

    @property
    def names(self) -> schema.Names:
        """Segment, cause and offer names that keyed values align with."""
        return schema.Names(self.segment_names, self.cause_names, OFFER_NAMES)

    def segment_index(self, name: str) -> int:
        """Position of a segment by name; raises :class:`ScenarioError` if unknown."""
        return _index_of(self.segment_names, name, "segment")

    def cause(self, name: str) -> Cause:
        """A cause by name; raises :class:`ScenarioError` if unknown."""
        return self.causes[_index_of(self.cause_names, name, "cause")]

    def monthly_churn_by_cause(self) -> dict[str, float]:
        """Share-weighted level of each cause over segments (peak monthly hazard)."""
        shares = [s.share for s in self.segments]
        return {
            c.name: float(sum(w * lvl for w, lvl in zip(shares, c.levels, strict=True)))
            for c in self.causes
        }

    # -- dictionaries -----------------------------------------------------------------
    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """Plain nested dictionary (the scenario-file layout), exact round trip.

        Per-segment and per-cause values appear as tables keyed by name; zero entries of
        sparse tables (acceptances, offer mix, reactivation) are left out unless ``full``.

        Examples
        --------
        >>> import simsrc
        >>> s = simsrc.preset("b2b-saas")
        >>> simsrc.Scenario.from_dict(s.to_dict()) == s
        True
        """
        names = self.names
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        plain = schema.to_plain(self, names, full=full)
        for key in _SCALARS:
            out[key] = plain.pop(key)
        out["segments"] = [schema.to_plain(s, names, full=full) for s in self.segments]
        out["causes"] = [schema.to_plain(c, names, full=full) for c in self.causes]
        del plain["segments"], plain["causes"], plain["uncertainty"], plain["estimation"]
        out.update(plain)
        if self.uncertainty:
            out["uncertainty"] = {
                u.path: {
                    k: v
                    for k, v in schema.to_plain(u, names).items()
                    if k != "path" and v is not None
                }
                for u in self.uncertainty
            }
        if self.estimation is not None:
            est = self.estimation
            out["estimation"] = {
                **({"source": est.source} if est.source else {}),
                "paths": list(est.paths),
                "draws": [list(row) for row in est.draws],
            }
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build and validate a scenario from its dictionary form.

        Unknown keys are rejected (naming the key and suggesting the nearest known one);
        values are checked against :data:`simsrc.PARAMETERS`. Dictionaries written by an
        older schema version are migrated; newer versions are refused.

        Raises
        ------
        ScenarioError
            Naming the field path and the allowed values.
        """
        data = migrate(schema.require_mapping(data, ""))
        sections = {f.name for f in dataclasses.fields(cls)}
        schema.reject_unknown(data, sections | {"schema_version"}, "")
        for required in ("name", "segments", "causes"):
            if required not in data:
                raise ScenarioError(required, "is required")
        seg_names, seg_items = _named_items(data["segments"], "segments", validation.MAX_SEGMENTS)
        cause_names, cause_items = _named_items(data["causes"], "causes", validation.MAX_CAUSES)
        names = schema.Names(seg_names, cause_names, OFFER_NAMES)
        segments = tuple(
            schema.from_plain(Segment, x, f"segments.{n}", names)
            for n, x in zip(seg_names, seg_items, strict=True)
        )
        causes = []
        for n, x in zip(cause_names, cause_items, strict=True):
            x = dict(x)
            x.setdefault("label", n.replace("_", " ").capitalize())
            causes.append(schema.from_plain(Cause, x, f"causes.{n}", names))
        kwargs: dict[str, Any] = {"segments": segments, "causes": tuple(causes)}
        hints = schema.hints(cls)
        for key in (f.name for f in dataclasses.fields(cls)):  # file order of sections
            if key in ("segments", "causes"):
                continue
            if key not in data:
                continue
            tp = hints[key]
            if key == "uncertainty":
                table = schema.require_mapping(data[key], key)
                kwargs[key] = tuple(
                    schema.from_plain(
                        Uncertain,
                        {**schema.require_mapping(v, f"uncertainty.{path}"), "path": path},
                        f"uncertainty.{path}",
                        names,
                    )
                    for path, v in table.items()
                )
            elif key == "estimation":
                kwargs[key] = _joint_draws(data[key])
            elif dataclasses.is_dataclass(tp):
                kwargs[key] = schema.from_plain(tp, data[key], key, names)  # type: ignore[arg-type]
            elif key == "horizon_months":
                value = data[key]
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                kwargs[key] = value
            else:
                kwargs[key] = data[key]
        return cls(**kwargs)


def _joint_draws(data: Any) -> JointDraws:
    """``[estimation]`` as :class:`JointDraws`; the values are checked by validation."""
    table = schema.require_mapping(data, "estimation")
    schema.reject_unknown(table, {"paths", "draws", "source"}, "estimation")
    for required in ("paths", "draws"):
        if required not in table:
            raise ScenarioError(f"estimation.{required}", "is required")
    paths, draws = table["paths"], table["draws"]
    if not isinstance(paths, list | tuple) or not all(isinstance(p, str) for p in paths):
        raise ScenarioError("estimation.paths", "must be a list of parameter paths")
    if not isinstance(draws, list | tuple) or not all(isinstance(r, list | tuple) for r in draws):
        raise ScenarioError("estimation.draws", "must be a list of lists of numbers")
    rows = []
    for i, row in enumerate(draws):
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in row):
            raise ScenarioError(f"estimation.draws[{i}]", "must hold numbers only")
        rows.append(tuple(float(x) for x in row))
    source = table.get("source", "")
    if not isinstance(source, str):
        raise ScenarioError("estimation.source", "must be text")
    return JointDraws(tuple(paths), tuple(rows), source)


_SCALARS = (
    "name", "description", "currency", "horizon_months", "annual_discount_rate",
)  # fmt: skip


# -- dictionary helpers ---------------------------------------------------------------


def _require_list(obj: Any, path: str) -> list[Any]:
    if not isinstance(obj, list | tuple):
        raise ScenarioError(path, f"must be a list (got {type(obj).__name__})")
    return list(obj)


def _named_items(obj: Any, path: str, most: int) -> tuple[tuple[str, ...], list[Any]]:
    """Names and tables of a list of named items, checked before anything is keyed by them.

    Everything keyed by segment or cause name is read against these names, so a missing,
    malformed or duplicate name is reported as such (not as an unknown key elsewhere).
    """
    items = _require_list(obj, path)
    if len(items) > most:
        raise ScenarioError(path, f"at most {most} allowed (got {len(items)})")
    names = []
    for i, x in enumerate(items):
        table = schema.require_mapping(x, f"{path}[{i}]")
        if "name" not in table:
            raise ScenarioError(f"{path}[{i}].name", "is required")
        names.append(table["name"])
    validation.check_names(names, path)
    return tuple(names), items


def _factor(value: object, where: str) -> float:
    """A what-if's multiplier, checked: a finite number ≥ 0 (or one error naming ``where``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScenarioError(where, f"must be a number ≥ 0 (got {shown(value)})")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not (math.isfinite(x) and x >= 0):
        raise ScenarioError(where, f"must be a finite number ≥ 0 (got {shown(value)})")
    return x


def simple_scenario(
    *,
    monthly_churn: float = 0.05,
    spread: float = 0.0,
    new_per_month: float = 100.0,
    monthly_price: float = 100.0,
    gross_margin: float = 1.0,
    horizon_months: int = 60,
    annual_discount_rate: float = 0.0,
    year3_uplift: float = 0.0,
    name: str = "simple",
) -> Scenario:
    """A one-segment, one-cause scenario with flat churn: the textbook leaky bucket.

    With ``spread = 0`` every customer leaves with probability ``monthly_churn`` each
    month (geometric lifetimes); with ``spread > 0`` it is the shifted-beta-geometric
    model of Fader & Hardie (2007) with mean churn ``monthly_churn``.

    Examples
    --------
    >>> s = simple_scenario(monthly_churn=0.1)
    >>> s.cause_names
    ('churn',)
    """
    return Scenario(
        name=name,
        segments=(Segment("all", "All customers", 1.0, monthly_price, gross_margin),),
        causes=(Cause("churn", "All causes", (monthly_churn,)),),
        acquisition=Acquisition(new_per_month=new_per_month),
        heterogeneity=Heterogeneity(spread=spread),
        value=ValueGrowth(year3_uplift=year3_uplift),
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
    )


def _mean_het_level(s: Scenario) -> float:
    """Share-weighted sum of heterogeneous causes' levels, within the allowed range."""
    total = sum(
        seg.share * c.levels[i]
        for c in s.causes
        if c.heterogeneous
        for i, seg in enumerate(s.segments)
    )
    row = PARAMETERS["heterogeneity.reference_churn"]
    return float(min(max(total, row.lo), row.hi))


def _index_of(names: Sequence[str], name: str, what: str) -> int:
    try:
        return list(names).index(name)
    except ValueError:
        raise ScenarioError(what, f"unknown {what} {name!r} (known: {', '.join(names)})") from None
