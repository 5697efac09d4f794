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
from typing import Any, Literal

from simsrc.model import paths, schema
from simsrc.model.errors import ScenarioError, shown
from simsrc.model.levers import (
    OFFER_NAMES,
    Channels,
    ContactPolicy,
    Dunning,
    Programs,
    SaveTeam,
    WinBack,
    WordOfMouth,
)
from simsrc.model.params import PARAMETERS

SCHEMA_VERSION = 2
"""Version of the scenario dictionary / file layout written by this package."""

ShapeKind = Literal["flat", "early", "hump", "custom"]
SHAPE_KINDS: tuple[str, ...] = ("flat", "early", "hump", "custom")


@dataclass(frozen=True)
class Shape:
    """How a cause's hazard varies with tenure (a multiplier of its level).

    Parameters
    ----------
    kind : {"flat", "early", "hump", "custom"}
        ``flat``: the same every month. ``early``: highest in the first month and
        falling by a factor e every ``months`` (onboarding). ``hump``: rising to a peak
        at month ``months`` and fading after (success drop-off). ``custom``: the
        multipliers in ``values`` by tenure month, the last one continuing.
    months : float
        Time scale of ``early`` and ``hump`` shapes.
    values : tuple of float
        Multipliers for ``custom`` shapes.
    """

    kind: ShapeKind = "flat"
    months: float = 3.0
    values: tuple[float, ...] = ()


@dataclass(frozen=True)
class Cause:
    """A reason customers leave, defined by its hazard: level × shape over tenure.

    Parameters
    ----------
    name : str
        Identifier used in files, columns (``churned_<name>``) and paths.
    label : str
        Human name.
    levels : tuple of float
        Monthly probability of leaving for this cause at the peak of the shape, one per
        segment (in the scenario's segment order), for an average new customer.
    shape : Shape
        Shape over tenure.
    heterogeneous : bool
        Whether customers' individual propensity to leave (heterogeneity) scales this
        cause. Natural events (moving, closing down) hit loyal and fickle customers
        alike, so they default to ``False``.
    voluntary : bool
        ``False`` for failed-payment (involuntary) churn: with dunning on, its level is
        the monthly rate of failed payments; the save team only sees voluntary
        cancellations.
    preventable : bool
        ``False`` for causes nobody can prevent (natural events: moving, closing down);
        they still act while a customer is held by a save offer (pause, contract…).
    fixable : bool
        Whether expert help (or a help-first dunning call) can fix it: customers who got
        help churn less for fixable causes (poor service, onboarding, success drop-off).
    """

    name: str
    label: str
    levels: tuple[float, ...] = field(metadata={"keys": "segments"})
    shape: Shape = field(default_factory=Shape)
    heterogeneous: bool = True
    voluntary: bool = True
    preventable: bool = True
    fixable: bool = False


@dataclass(frozen=True)
class Segment:
    """A group of customers with its own price, margin and churn levels.

    Parameters
    ----------
    name, label : str
        Identifier and human name.
    share : float
        Fraction of new customers joining this segment; all segments sum to 1.
    monthly_price : float
        Revenue per customer per month at tenure 0 (before value growth).
    gross_margin : float
        Fraction of revenue kept after cost of goods sold.
    cost_to_serve : float
        Fixed monthly cost per active customer, subtracted from gross margin.
    cac : float
        Acquisition cost per new customer.
    """

    name: str
    label: str
    share: float
    monthly_price: float
    gross_margin: float = 0.8
    cost_to_serve: float = 0.0
    cac: float = 0.0


@dataclass(frozen=True)
class Acquisition:
    """New customers per month: base × (1 + growth)^t × seasonality + referrals.

    Parameters
    ----------
    new_per_month : float
        Base acquisition volume in month 0.
    monthly_growth : float
        Compounding monthly growth of the base volume.
    seasonality : tuple of float
        Twelve multipliers by calendar month (month 0 is the first); rescaled to mean 1.
        Empty means no seasonality.
    referrals_per_active : float
        Referred new customers per active customer per month (no CAC is paid for them).
    """

    new_per_month: float = 100.0
    monthly_growth: float = 0.0
    seasonality: tuple[float, ...] = ()
    referrals_per_active: float = 0.0


@dataclass(frozen=True)
class Heterogeneity:
    """How much customers differ in their propensity to leave.

    Each customer has a relative propensity ``z`` (mean 1) that multiplies the level of
    every heterogeneous cause; ``z = θ / m`` with θ ~ Beta(α, β) of mean
    ``m = reference_churn`` and the given spread. What-ifs that change churn levels keep
    this distribution, so "halve churn" halves every customer's hazard — the customers
    stay the same people.

    Parameters
    ----------
    spread : float
        How different customers are, as a scale-free index ``CV² / (1 + CV²)`` of
        individual churn probability (CV: coefficient of variation). 0: everyone alike,
        so a cohort's churn rate is constant; 0.5: propensity varies as much as its mean;
        towards 1: a few very risky customers and many loyal ones, so a cohort's churn
        rate falls steeply with tenure. It maps to Fader & Hardie's polarization index by
        ``φ = s/(1−s) · m/(1−m)`` (see :func:`simsrc.engine.curves.spread_to_beta`).
    reference_churn : float or None
        Mean monthly churn probability ``m`` at which the spread is defined. ``None``
        (the default) takes the share-weighted sum of the heterogeneous causes' levels
        when the scenario is built; what-ifs derived from it keep that value. With one
        flat cause at level ``m`` the model is the sBG with ``(α, β)`` from ``(m, s)``.
    """

    spread: float = 0.0
    reference_churn: float | None = None


@dataclass(frozen=True)
class ValueGrowth:
    """Revenue per customer by tenure, relative to the starting monthly price.

    Parameters
    ----------
    year3_uplift : float
        Average revenue per customer in months 24–35 relative to months 0–5, minus one.
        The default +67 % is the repeat-customer figure of [good-customers-leave]
        ("When good customers leave"; see ``docs/sources.md``).
    ramp_months : float
        Time scale of the saturating ramp ``1 + g (1 - exp(-t / ramp_months))``.
    expansion_rate, contraction_rate : float
        Additional compounding monthly up- and downgrades of revenue per customer.
    """

    year3_uplift: float = 0.67
    ramp_months: float = 12.0
    expansion_rate: float = 0.0
    contraction_rate: float = 0.0


@dataclass(frozen=True)
class Uncertain:
    """A parameter whose value is uncertain: a range (and distribution) to sample from.

    Written in scenario files as ``[uncertainty]`` with the parameter path as a quoted
    key, e.g. ``"save_team.discount.acceptance.price_competitor" = { low = 0.2, high =
    0.4 }``. Monte Carlo and sensitivity analyses draw from it; the scenario's own value
    stays the point estimate.

    Parameters
    ----------
    path : str
        Dotted path of a numeric parameter of the scenario.
    low, high : float
        Range, within the parameter's allowed bounds, ``low <= high``.
    distribution : {"uniform", "triangular"}
        Shape of the distribution over the range.
    mode : float, optional
        Most likely value of a triangular distribution (default: the midpoint).
    """

    path: str
    low: float
    high: float
    distribution: Literal["uniform", "triangular"] = "uniform"
    mode: float | None = None


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

    def __post_init__(self) -> None:
        _check_structure(self)
        names = self.names
        for section in _LEVER_SECTIONS:
            value = getattr(self, section)
            normal = schema.normalize(value, names)
            if normal is not value:
                object.__setattr__(self, section, normal)
        _validate(self)
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
            Name for the new scenario (unchanged by default).

        Raises
        ------
        ScenarioError
            If the path does not exist or the value is out of range.

        Examples
        --------
        >>> import simsrc
        >>> s = simsrc.preset("b2b-saas").set("acquisition.new_per_month", 80)
        >>> s.acquisition.new_per_month
        80.0
        """
        data = self.to_dict(full=True)
        paths.set_path(data, path, value)
        if name is not None:
            data["name"] = name
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
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            raise ScenarioError("factor", f"must be a number ≥ 0 (got {shown(factor)})")
        try:
            factor = float(factor)
        except OverflowError:
            factor = math.inf
        if not (math.isfinite(factor) and factor >= 0):
            raise ScenarioError("factor", f"must be a finite number ≥ 0 (got {shown(factor)})")
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
        if name is None:
            what = "churn" if cause is None else f"{cause} churn"
            where = "" if segment is None else f" ({segment})"
            name = (
                f"{self.name} · halve {what}{where}"
                if factor == 0.5
                else f"{self.name} · {what}{where} ×{factor:g}"
            )
        return dataclasses.replace(self, causes=tuple(causes), name=name)

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
        return dataclasses.replace(self, name=f"{self.name} · no levers", **off)

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
        del plain["segments"], plain["causes"], plain["uncertainty"]
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
        from simsrc.model.migrations import migrate

        data = migrate(schema.require_mapping(data, ""))
        sections = {f.name for f in dataclasses.fields(cls)}
        schema.reject_unknown(data, sections | {"schema_version"}, "")
        for required in ("name", "segments", "causes"):
            if required not in data:
                raise ScenarioError(required, "is required")
        seg_names, seg_items = _named_items(data["segments"], "segments", MAX_SEGMENTS)
        cause_names, cause_items = _named_items(data["causes"], "causes", MAX_CAUSES)
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


_SCALARS = (
    "name", "description", "currency", "horizon_months", "annual_discount_rate",
)  # fmt: skip
_LEVER_SECTIONS = (
    "save_team", "dunning", "win_back", "programs", "contact", "word_of_mouth", "channels",
)  # fmt: skip


# -- exit surveys ---------------------------------------------------------------------

EXIT_SURVEY_REASONS: dict[str, str] = {
    "cheaper_alternative": "Found a cheaper alternative",
    "missing_features": "Missing features",
    "no_longer_needed": "No longer need it",
    "technical_problems": "Too many technical problems",
    "hard_to_use": "Hard to use or understand",
    "unmet_expectations": "Did not meet expectations",
    "bad_support": "Bad support experience",
    "other": "Other",
}
"""The eight exit-survey reasons of [sms] (an SMS exit survey; see ``docs/sources.md``)."""

DEFAULT_REASON_TO_CAUSE: dict[str, str | None] = {
    "cheaper_alternative": "price_competitor",
    "missing_features": "success_dropoff",
    "no_longer_needed": "natural_events",
    "technical_problems": "poor_service",
    "hard_to_use": "onboarding",
    "unmet_expectations": "onboarding",
    "bad_support": "poor_service",
    "other": None,
}
"""Default mapping of exit-survey reasons onto causes; ``None`` spreads the answer
over the other causes in proportion (an "other" answer says nothing about the cause)."""


def levels_from_exit_survey(
    scenario: Scenario,
    shares: Mapping[str, float],
    monthly_churn: float,
    *,
    mapping: Mapping[str, str | None] | None = None,
    reference_months: int = 24,
) -> Scenario:
    """Set voluntary cause levels from "why customers say they leave".

    Each cause gets the part of ``monthly_churn`` that the survey attributes to it,
    divided by the cause's average shape multiplier over the first
    ``reference_months`` months (so a cause concentrated early gets a higher peak
    level). Causes no survey reason maps onto keep their level; segments keep their
    relative levels.

    Parameters
    ----------
    scenario : Scenario
        Scenario whose cause levels are replaced.
    shares : mapping of str to float
        Survey answer shares by reason (keys of :data:`EXIT_SURVEY_REASONS`), summing
        to 1.
    monthly_churn : float
        Total monthly voluntary churn the survey explains (between 0 and 1).
    mapping : mapping, optional
        Reason → cause name (or ``None`` for "spread over the rest"); defaults to
        :data:`DEFAULT_REASON_TO_CAUSE`.
    reference_months : int
        Window over which a cause's average shape is taken.

    Returns
    -------
    Scenario
        A copy with new levels.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> s = levels_from_exit_survey(
    ...     base, {"cheaper_alternative": 0.5, "bad_support": 0.5}, monthly_churn=0.02)
    >>> round(s.monthly_churn_by_cause()["price_competitor"], 4)
    0.01
    """
    from simsrc.engine.curves import shape_curve

    mapping = dict(DEFAULT_REASON_TO_CAUSE if mapping is None else mapping)
    PARAMETERS["causes.*.levels.*"].check(monthly_churn, "monthly_churn")
    for reason in shares:
        if reason not in mapping:
            raise ScenarioError(
                f"shares.{reason}",
                f"unknown exit-survey reason (allowed: {', '.join(mapping)})",
            )
    for reason, share in shares.items():
        PARAMETERS["segments.*.share"].check(share, f"shares.{reason}")
    total = sum(shares.values())
    if abs(total - 1) > 1e-6:
        raise ScenarioError("shares", f"must sum to 1 (got {total:g})")
    by_cause: dict[str, float] = {}
    spread = 0.0
    for reason, share in shares.items():
        target = mapping[reason]
        if target is None:
            spread += share
            continue
        scenario.cause(target)
        by_cause[target] = by_cause.get(target, 0.0) + share
    mapped = sum(by_cause.values())
    if mapped == 0:
        raise ScenarioError("shares", "no answer maps onto a cause")
    causes = []
    weights = [s.share for s in scenario.segments]
    for c in scenario.causes:
        if c.name in by_cause:
            share = by_cause[c.name] * (1 + spread / mapped)
            mean_shape = float(shape_curve(c.shape, reference_months).mean())
            target_level = monthly_churn * share / mean_shape
            current = sum(w * lvl for w, lvl in zip(weights, c.levels, strict=True))
            rel = [lvl / current for lvl in c.levels] if current > 0 else [1.0] * len(c.levels)
            c = dataclasses.replace(c, levels=tuple(min(1.0, target_level * r) for r in rel))
        causes.append(c)
    return dataclasses.replace(scenario, causes=tuple(causes))


# -- validation -----------------------------------------------------------------------


MAX_SEGMENTS = 50
"""Most segments a scenario may have (each is a full set of cohorts in the engine)."""
MAX_CAUSES = 50
"""Most churn causes a scenario may have (a scenario file stays well under 1 MB)."""

_ITEM_TYPES: dict[str, type] = {"segments": Segment, "causes": Cause, "uncertainty": Uncertain}


def _check_structure(s: Scenario) -> None:
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
    for key in ("acquisition", "heterogeneity", "value", *_LEVER_SECTIONS):
        tp = schema.hints(Scenario)[key]
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
    _check_names([seg.name for seg in s.segments], "segments")
    _check_names([c.name for c in s.causes], "causes")


def _validate(s: Scenario) -> None:
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
    for section in ("acquisition", "heterogeneity", "value", *_LEVER_SECTIONS):
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
    from simsrc.engine.curves import value_curve

    value_curve(s.value, 36)  # raises if the year-3 uplift cannot be reached by the ramp


_PATHS: dict[tuple[Any, ...], frozenset[str]] = {}
_PATHS_KEPT = 64  # shapes remembered; a long-running dashboard sees few, a sweep one


def _numeric_paths(s: Scenario) -> frozenset[str]:
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


def _validate_uncertainty(s: Scenario) -> None:
    """Each uncertain parameter exists, is numeric, and has a valid range."""
    if not s.uncertainty:
        return
    known = _numeric_paths(s)
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
                f"offer shares for one cause must sum to at most 1 (got {total:.6g})",
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


def _check_names(names: Sequence[object], where: str) -> None:
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


def _index_of(names: Sequence[str], name: str, what: str) -> int:
    try:
        return list(names).index(name)
    except ValueError:
        raise ScenarioError(what, f"unknown {what} {name!r} (known: {', '.join(names)})") from None


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
    _check_names(names, path)
    return tuple(names), items


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
