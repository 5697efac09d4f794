"""Scenarios packed into arrays with a leading scenario axis: the engine's input.

:func:`pack` turns scenarios of the same structure (horizon, segments, causes) into one
:class:`Packed` batch — levels, shapes, heterogeneity classes, prices, lever settings —
so every later step is vectorised over scenarios × segments × classes × tenure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.curves import frailty_nodes, nodes_for, shape_curve, value_curve
from simsrc.model.errors import ScenarioError
from simsrc.model.levers import HOLD_OFFERS, OFFER_NAMES
from simsrc.model.scenario import Scenario

Array = NDArray[np.float64]


N_OFFERS = len(OFFER_NAMES)

VALUATION_MONTHS = 600
"""Months a customer is followed past the horizon to value them (50 years, then a
geometric tail): by value targeting (:mod:`simsrc.engine.worth`) and the valuation of
the customer base (:mod:`simsrc.results.valuation`) alike."""
HOLD_INDEX = tuple(OFFER_NAMES.index(o) for o in HOLD_OFFERS)
HELP, DOWNGRADE = OFFER_NAMES.index("expert_help"), OFFER_NAMES.index("downgrade")
NORMAL, HELPED, DOWNGRADED, HELPED_DOWNGRADED = 0, 1, 2, 3
"""The paying populations. The index is a bit set — 1: helped, 2: on the cheaper plan —
so expert help moves population ``q`` to ``q | HELPED`` and a downgrade to
``q | DOWNGRADED``: the two compose, and repeating one changes nothing."""
N_POPS = 4


def _save_moves() -> Array:
    """Saves by offer and where they take paying customers, from saves by population.

    ``[P·O, O + P]``: row ``q·O + o`` (saves by offer ``o`` of population ``q``) adds to
    column ``o`` (saves by offer) and to column ``O + q'``, the population the customer
    joins: expert help sets the helped bit (``q' = q | HELPED``), a downgrade the
    cheaper-plan bit (``q' = q | DOWNGRADED``); hold offers take the customer out of
    the paying populations (into the hold register). README, "Limits worth knowing":
    help and a downgrade stay together until the customer leaves, is held by an offer,
    or falls into dunning.
    """
    moves = np.zeros((N_POPS, N_OFFERS, N_OFFERS + N_POPS))
    for q in range(N_POPS):
        moves[q, :, :N_OFFERS] = np.eye(N_OFFERS)
        moves[q, HELP, N_OFFERS + (q | HELPED)] = 1.0
        moves[q, DOWNGRADE, N_OFFERS + (q | DOWNGRADED)] = 1.0
    return moves.reshape(N_POPS * N_OFFERS, N_OFFERS + N_POPS)


SAVE_MOVES = _save_moves()


@dataclass(frozen=True)
class LeverArrays:
    """Lever settings as arrays, leading axis ``S`` (``O`` offers, ``K`` causes)."""

    coverage: Array  # [S]
    cost_per_contact: Array  # [S]
    rude_share: Array  # [S]
    value_threshold: Array  # [S]
    mix: Array  # [S, K, O]
    acceptance: Array  # [S, O, K]
    offer_segments: Array  # [S, G, O] 1 where the offer may be made to the segment
    months: Array  # [S, O] (int-valued)
    price_multiplier: Array  # [S, O]
    stay_after: Array  # [S, O]
    cure_effect: Array  # [S] expert help (and help-first recovery)
    cost_per_save: Array  # [S, O]
    dunning: Array  # [S] 1 if on
    stuck_share: Array  # [S]
    grace_months: Array  # [S] (int-valued)
    messages: Array  # [S]
    help_first: Array  # [S] 1 if help-first style
    retry_recovery: Array  # [S]
    recover_payment: Array  # [S] per read message, chosen style
    recover_stuck: Array  # [S]
    dunning_reach: Array  # [S]
    dunning_cost: Array  # [S] per message
    win_back: Array  # [S] 1 if on
    win_back_delay: Array  # [S] (int-valued)
    win_back_reach: Array  # [S]
    win_back_cost: Array  # [S] per message
    reactivation_cost: Array  # [S]
    bad_terms_factor: Array  # [S]
    reactivation: Array  # [S, K]
    after_offer: Array  # [S]
    onboarding_cost: Array  # [S] per new customer (0 if the program is off)
    success_cost: Array  # [S] per present customer per month
    service_cost: Array  # [S] per month
    survey: Array  # [S] 1 if exit surveys are on
    survey_reach: Array  # [S] reach × response rate
    survey_cost: Array  # [S] per message
    contact_cost: Array  # [S] per present customer per month
    lost_per_bad_exit: Array  # [S]

    @property
    def stepped(self) -> bool:
        """Whether any scenario needs the stepped path (save team or dunning)."""
        return bool(np.any(self.coverage > 0) or np.any(self.dunning > 0))


@dataclass(frozen=True)
class Packed:
    """Scenario parameters as arrays with a leading scenario axis ``S``.

    Axes: ``G`` segments, ``K`` causes, ``J`` heterogeneity classes, ``H`` months.
    All scenarios in a pack share horizon, segment names and cause names.
    """

    horizon: int  # months followed: the scenarios' horizon unless pack(months=) said more
    segments: tuple[str, ...]
    causes: tuple[str, ...]
    paid_new: Array  # [S, H] paid acquisition (base × growth × seasonality)
    share: Array  # [S, G]
    referral: Array  # [S]
    level: Array  # [S, G, K] after programs and contact policy
    shape: Array  # [S, G, K, H] (a cause's shape may run at its own pace in a segment)
    term: Array  # [S, G, H] multiplier of held causes' hazards by contract terms (1: none)
    cycle: Array  # [S, G] months after which the hazards repeat: the contract term, or 1
    heterogeneous: Array  # [S, K] 1.0 / 0.0
    voluntary: Array  # [S, K]
    preventable: Array  # [S, K]
    fixable: Array  # [S, K]
    z: Array  # [S, G, J] relative propensity of each heterogeneity class
    w: Array  # [S, G, J] its weight
    value: Array  # [S, H]
    price: Array  # [S, G]
    margin: Array  # [S, G]
    cost_to_serve: Array  # [S, G]
    cac: Array  # [S, G]
    discount: Array  # [S] monthly discount factor 1 / (1 + r_m)
    levers: LeverArrays
    horizon_months: int = 0  # the scenarios' horizon when more months are followed, else 0
    # With value targeting and fewer months followed than the valuation's: the same
    # scenarios packed for VALUATION_MONTHS past the horizon, where customers are valued.
    valuation: Packed | None = None

    @property
    def n(self) -> int:
        """Number of scenarios."""
        return int(self.share.shape[0])

    @property
    def held(self) -> Array:
        """``[S, K]``: 1 for the causes a contract term holds back (voluntary, preventable).

        A failed payment, a move or a closing-down ends a contract as it ends a save
        team's hold: only the causes a customer could be kept from act on the term.
        """
        return self.voluntary * self.preventable

    def one_segment(self, g: int) -> Packed:
        """The packed scenarios with segment ``g`` only.

        A unit cohort's path does not depend on the other segments, so this path is that
        segment's path of the whole pack, for a third of the work with three segments:
        what fitting one segment needs.
        """
        cut = slice(g, g + 1)
        per_segment = ("share", "level", "shape", "term", "cycle", "z", "w", "price",
                       "margin", "cost_to_serve", "cac")  # fmt: skip
        levers = dataclasses.replace(
            self.levers, offer_segments=self.levers.offer_segments[:, cut]
        )
        valuation = None if self.valuation is None else self.valuation.one_segment(g)
        return dataclasses.replace(
            self,
            segments=(self.segments[g],),
            levers=levers,
            valuation=valuation,
            **{name: getattr(self, name)[:, cut] for name in per_segment},
        )

    def take(self, index: slice | NDArray[np.intp]) -> Packed:
        """The packed scenarios selected by ``index`` along the scenario axis."""
        levers = dataclasses.replace(self.levers, **_sliced(self.levers, index))
        valuation = None if self.valuation is None else self.valuation.take(index)
        return dataclasses.replace(
            self, levers=levers, valuation=valuation, **_sliced(self, index)
        )


def _sliced(obj: object, index: slice | NDArray[np.intp]) -> dict[str, Any]:
    """The array fields of a dataclass, sliced along the scenario axis."""
    return {
        f.name: getattr(obj, f.name)[index]
        for f in dataclasses.fields(obj)  # type: ignore[arg-type]
        if isinstance(getattr(obj, f.name), np.ndarray)
    }


def _months(scenarios: Sequence[Scenario], months: int | None) -> tuple[int, int]:
    """The batch's horizon (checked to be shared, with its structure) and months followed."""
    if not scenarios:
        raise ScenarioError("scenarios", "need at least one scenario")
    first = scenarios[0]
    h = first.horizon_months
    segs, causes = first.segment_names, first.cause_names
    for s in scenarios[1:]:
        if (s.horizon_months, s.segment_names, s.cause_names) != (h, segs, causes):
            raise ScenarioError(
                "scenarios",
                "a batch needs the same horizon, segments and causes "
                f"({first.name!r} and {s.name!r} differ); simulate them separately",
            )
    m = h if months is None else int(months)
    if (m != months and months is not None) or m < h:
        raise ScenarioError(
            "months", f"must be a whole number >= the horizon, {h} (got {months!r})"
        )
    return h, m


def term_curves(term: int, early_exit: Array, renewal: Array, vol_hazard: Array) -> Array:
    """Multipliers of the held causes' hazards by tenure for contracts of one term, ``[M, H]``.

    Parameters
    ----------
    term : int
        Months per term (≥ 1).
    early_exit : ndarray
        ``[M, E]``: the share of held churn inside the 1st … E-th term (the last
        repeats); ``E = 0`` means 1.
    renewal : ndarray
        ``[M, R]``: the wave at the 1st … R-th renewal point (the last repeats); ``R = 0``
        means the causes' own hazard there.
    vol_hazard : ndarray
        ``[H]`` or ``[M, H]``: the average customer's hazard of the held causes by
        tenure, which the wave is shared over.

    Examples
    --------
    >>> import numpy as np
    >>> term_curves(3, np.array([[0.0, 0.5]]), np.array([[0.2]]), np.full(7, 0.02))
    array([[ 0. ,  0. , 10. ,  0.5,  0.5, 10. ,  0.5]])
    """
    m, h = early_exit.shape[0], vol_hazard.shape[-1]
    out = np.ones((m, h))
    if early_exit.shape[1]:
        nth = np.minimum(np.arange(h) // term, early_exit.shape[1] - 1)
        out = early_exit[:, nth].astype(float)
    ends = np.arange(term - 1, h, term)
    out[:, ends] = 1.0
    if renewal.shape[1] and ends.size:
        wave = renewal[:, np.minimum(np.arange(ends.size), renewal.shape[1] - 1)]
        base = vol_hazard[..., ends]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, ends] = np.where(base > 0, wave / base, 1.0)
    return out


def contract_terms(
    scenarios: Sequence[Scenario], level: Array, shape: Array, held_causes: Array
) -> Array:
    """Multiplier of each segment's held causes' hazards by tenure, ``[S, G, H]``.

    ``early_exit`` of the n-th term inside it; at the n-th renewal point (month ``n × term``,
    tenure index ``n × term − 1``) the renewal wave over the average customer's hazard
    of the held causes (:attr:`Packed.held`) then, so the causes share the wave in
    proportion to their hazards (the causes' own hazard when no wave is given, or when
    they have none to share it by); 1 for segments without a term (:func:`term_curves`).

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.simple_scenario(monthly_churn=0.02, horizon_months=6)
    >>> for key, value in (("term_months", 3), ("early_exit", [0.0]), ("renewal", [0.2])):
    ...     s = s.set(f"segments.all.contract.{key}", value)
    >>> p = pack([s])
    >>> (p.term[0, 0] * 0.02).round(3).tolist()  # hazard by month: the wave at months 3, 6
    [0.0, 0.0, 0.2, 0.0, 0.0, 0.2]
    """
    n, g_n, _ = level.shape
    h = shape.shape[-1]
    out = np.ones((n, g_n, h))
    held = [
        i for i, s in enumerate(scenarios) if any(x.contract.term_months > 0 for x in s.segments)
    ]
    if not held:
        return out
    vol_hazard = np.einsum(
        "sgk,sgkt->sgt", level[held] * held_causes[held][:, None, :], shape[held]
    )
    done: dict[tuple[object, bytes], Array] = {}  # a sweep repeats the same few contracts
    for row, i in enumerate(held):
        for g, seg in enumerate(scenarios[i].segments):
            c = seg.contract
            if c.term_months <= 0:
                continue
            key = (c, vol_hazard[row, g].tobytes() if c.renewal else b"")
            if key not in done:
                early = np.array([c.early_exit], dtype=float).reshape(1, -1)
                wave = np.array([c.renewal], dtype=float).reshape(1, -1)
                done[key] = term_curves(c.term_months, early, wave, vol_hazard[row, g])[0]
            out[i, g] = done[key]
    return out


def _classes(scenarios: Sequence[Scenario], j: int) -> tuple[Array, Array]:
    """Heterogeneity classes per scenario and segment: propensities and weights, ``[S, G, J]``.

    Segments without a spread of their own share the scenario's classes; the reference
    churn is the scenario's in every segment, so a segment's own spread changes how
    different its customers are, not their average.
    """
    n_g = len(scenarios[0].segments)
    z = np.ones((len(scenarios), n_g, j))
    w = np.zeros((len(scenarios), n_g, j))
    done: dict[tuple[float, float], tuple[Array, Array]] = {}
    for i, s in enumerate(scenarios):
        het = s.heterogeneity
        mean = float(het.reference_churn or 0.0)
        for g in range(n_g):
            key = (mean, het.spread_for(g))
            if key not in done:
                done[key] = frailty_nodes(mean, key[1], j)
            zz, ww = done[key]
            z[i, g, : len(zz)] = zz
            w[i, g, : len(ww)] = ww
    return z, w


def acquisition_curve(scenario: Scenario) -> Array:
    """Paid new customers per month: ``base × (1 + growth)^t × seasonality``.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(horizon_months=3)
    >>> acquisition_curve(s).shape
    (3,)
    """
    a = scenario.acquisition
    t = np.arange(scenario.horizon_months, dtype=float)
    out = a.new_per_month * (1.0 + a.monthly_growth) ** t
    if a.seasonality:
        season = np.asarray(a.seasonality, dtype=float)
        season = season / season.mean()
        out = out * season[np.arange(scenario.horizon_months) % 12]
    return np.asarray(out, dtype=float)


def hazard_multipliers(s: Scenario) -> NDArray[np.float64]:
    """Per-cause hazard multipliers from the cause programs and the contact policy.

    Examples
    --------
    >>> import simsrc
    >>> hazard_multipliers(simsrc.preset("b2b-saas").replace(horizon_months=3)).shape
    (7,)
    """
    mult = np.ones(len(s.causes))
    for prog in (s.programs.onboarding, s.programs.success, s.programs.service):
        if prog.enabled:
            mult[s.cause_names.index(prog.cause)] *= 1.0 - prog.effect
    c = s.contact
    if c.contacts_per_month > 0:
        push = 1.0 + c.push_sensitivity * c.contacts_per_month * max(
            0.0, c.promotional_share - 0.2
        )
        mult[s.cause_names.index(c.push_cause)] *= push
        value_contacts = c.contacts_per_month * (1.0 - c.promotional_share)
        mult[s.cause_names.index(c.value_cause)] /= 1.0 + c.value_damping * value_contacts
    return mult


def _lever_arrays(scenarios: Sequence[Scenario]) -> LeverArrays:
    def arr(fn: Callable[[Scenario], object]) -> Array:
        return np.array([fn(s) for s in scenarios], dtype=np.float64)

    def offers(attr: str) -> Array:
        return arr(lambda s: [getattr(s.save_team.offer(o), attr) for o in OFFER_NAMES])

    def channel(s: Scenario, name: str) -> tuple[float, float]:
        ch = getattr(s.channels, name)
        return ch.reach, ch.cost_per_message

    return LeverArrays(
        coverage=arr(lambda s: s.save_team.coverage),
        cost_per_contact=arr(lambda s: s.save_team.cost_per_contact),
        rude_share=arr(lambda s: s.save_team.rude_share),
        value_threshold=arr(lambda s: s.save_team.value_threshold),
        mix=arr(lambda s: s.save_team.mix),
        acceptance=offers("acceptance"),
        offer_segments=arr(
            lambda s: [
                [
                    not s.save_team.offer(o).segments or g in s.save_team.offer(o).segments
                    for o in OFFER_NAMES
                ]
                for g in s.segment_names
            ]
        ),
        months=offers("months"),
        price_multiplier=offers("price_multiplier"),
        stay_after=offers("stay_after"),
        cure_effect=arr(lambda s: s.save_team.expert_help.cure_effect),
        cost_per_save=offers("cost_per_save"),
        dunning=arr(lambda s: s.dunning.enabled),
        stuck_share=arr(lambda s: s.dunning.stuck_share),
        grace_months=arr(lambda s: s.dunning.grace_months),
        messages=arr(lambda s: s.dunning.messages),
        help_first=arr(lambda s: s.dunning.style == "help_first"),
        retry_recovery=arr(lambda s: s.dunning.retry_recovery),
        recover_payment=arr(
            lambda s: (
                s.dunning.help_first_payment
                if s.dunning.style == "help_first"
                else s.dunning.pay_up_payment
            )
        ),
        recover_stuck=arr(
            lambda s: (
                s.dunning.help_first_stuck
                if s.dunning.style == "help_first"
                else s.dunning.pay_up_stuck
            )
        ),
        dunning_reach=arr(lambda s: channel(s, s.dunning.channel)[0]),
        dunning_cost=arr(lambda s: channel(s, s.dunning.channel)[1]),
        win_back=arr(lambda s: s.win_back.enabled),
        win_back_delay=arr(lambda s: s.win_back.delay_months),
        win_back_reach=arr(lambda s: channel(s, s.win_back.channel)[0]),
        win_back_cost=arr(lambda s: channel(s, s.win_back.channel)[1]),
        reactivation_cost=arr(lambda s: s.win_back.cost_per_reactivation),
        bad_terms_factor=arr(lambda s: s.win_back.bad_terms_factor),
        reactivation=arr(lambda s: s.win_back.reactivation),
        after_offer=arr(lambda s: s.win_back.after_offer),
        onboarding_cost=arr(
            lambda s: s.programs.onboarding.cost if s.programs.onboarding.enabled else 0.0
        ),
        success_cost=arr(lambda s: s.programs.success.cost if s.programs.success.enabled else 0.0),
        service_cost=arr(lambda s: s.programs.service.cost if s.programs.service.enabled else 0.0),
        survey=arr(lambda s: s.programs.exit_survey.enabled),
        survey_reach=arr(
            lambda s: (
                channel(s, s.programs.exit_survey.channel)[0]
                * s.programs.exit_survey.response_rate
            )
        ),
        survey_cost=arr(lambda s: channel(s, s.programs.exit_survey.channel)[1]),
        contact_cost=arr(
            lambda s: s.contact.contacts_per_month * channel(s, s.contact.channel)[1]
        ),
        lost_per_bad_exit=arr(lambda s: s.word_of_mouth.lost_per_bad_exit),
    )


def _hazard_parts(scenarios: Sequence[Scenario], months: int) -> tuple[Array, Array]:
    """Cause levels after programs and contact policy, and shape curves by segment.

    ``[S, G, K]`` and ``[S, G, K, H]``.
    """
    level = np.array([[c.levels for c in s.causes] for s in scenarios], dtype=float)
    programs = np.array([hazard_multipliers(s) for s in scenarios])
    shape = np.array(
        [[[shape_curve(c.shape_for(g), months) for c in s.causes]
          for g in range(len(s.segments))] for s in scenarios]
    )  # fmt: skip
    return level.transpose(0, 2, 1) * programs[:, None, :], shape


def _cycles(scenarios: Sequence[Scenario], months: int) -> Array:
    """Months after which each segment's hazards repeat: its contract term, or 1, ``[S, G]``."""
    return np.array(
        [[max(1, min(x.contract.term_months, months)) for x in s.segments] for s in scenarios],
        dtype=float,
    )


def pack(
    scenarios: Sequence[Scenario], nodes: int | None = None, months: int | None = None
) -> Packed:
    """Pack scenarios with the same structure into arrays.

    Parameters
    ----------
    scenarios : sequence of Scenario
        Scenarios sharing horizon, segment names and cause names.
    nodes : int, optional
        Heterogeneity classes; default :func:`simsrc.engine.curves.nodes_for` the months.
    months : int, optional
        Tenure months to follow a cohort for, at least the horizon (the default). More
        values the customers of the horizon's last months past it
        (:mod:`simsrc.results.valuation`): the packed ``horizon`` is then this number of
        months and paid acquisition stops at the scenarios' horizon (kept as
        ``horizon_months``). With value targeting (``save_team.value_threshold > 0``)
        and fewer than :data:`VALUATION_MONTHS` past the horizon, the scenarios are also
        packed for that many (``valuation``): targeting values customers on that pack,
        as the valuation does (:mod:`simsrc.engine.worth`).

    Returns
    -------
    Packed

    Raises
    ------
    ScenarioError
        If the scenarios differ in structure.
    """
    h, m = _months(scenarios, months)
    first = scenarios[0]
    segs, causes = first.segment_names, first.cause_names
    levers = _lever_arrays(scenarios)
    j = nodes_for(m, stepped=levers.stepped) if nodes is None else int(nodes)
    z, w = _classes(scenarios, j)
    level, shape = _hazard_parts(scenarios, m)

    def flag(attr: str) -> Array:
        return np.array([[float(getattr(c, attr)) for c in s.causes] for s in scenarios])

    def seg(attr: str) -> Array:
        return np.array([[getattr(x, attr) for x in s.segments] for s in scenarios], float)

    voluntary, preventable = flag("voluntary"), flag("preventable")
    rate = np.array([s.annual_discount_rate for s in scenarios], dtype=float)
    valuation = None
    if m < h + VALUATION_MONTHS and np.any(levers.value_threshold > 0):
        valuation = pack(scenarios, nodes, h + VALUATION_MONTHS)
    return Packed(
        horizon=m,
        segments=segs,
        causes=causes,
        paid_new=np.array([np.pad(acquisition_curve(s), (0, m - h)) for s in scenarios]),
        share=seg("share"),
        referral=np.array([s.acquisition.referrals_per_active for s in scenarios], float),
        level=level,
        shape=shape,
        term=contract_terms(scenarios, level, shape, voluntary * preventable),
        cycle=_cycles(scenarios, m),
        heterogeneous=flag("heterogeneous"),
        voluntary=voluntary,
        preventable=preventable,
        fixable=flag("fixable"),
        z=z,
        w=w,
        value=np.array([value_curve(s.value, m) for s in scenarios]),
        price=seg("monthly_price"),
        margin=seg("gross_margin"),
        cost_to_serve=seg("cost_to_serve"),
        cac=seg("cac"),
        discount=(1.0 + rate) ** (-1.0 / 12.0),
        levers=levers,
        horizon_months=h if m > h else 0,
        valuation=valuation,
    )
