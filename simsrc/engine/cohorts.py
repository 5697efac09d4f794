"""The batched cohort engine.

How it works
------------
Hazards depend on tenure, not on the calendar, so every cohort of a segment follows the
same path. The engine therefore

1. packs scenarios into arrays with a leading scenario axis (:func:`pack`);
2. follows one *unit cohort* per segment through its tenure (:func:`cohort_path`):
   how many are present, pay, leave for each cause, ask to cancel, are saved by each
   offer, fall behind on payment, … at every tenure month. Without save team or
   dunning this is loop-free (:func:`core_path`); with them, customers move between
   states (normal, helped, downgraded or both, held by an offer, in dunning) and the
   path is
   stepped month by month (:func:`lever_path`), vectorised over scenarios × segments ×
   heterogeneity classes;
3. builds the calendar by convolving acquisition with the path (:func:`calendar`); a
   renewal loop over months solves the feedbacks on acquisition (referrals from the
   active base, win-back of former customers, word of mouth of badly handled exits).

Conservation holds to rounding error: every month each state loses exactly the
outflows recorded for it, so everyone who starts (paid, referred or won back) is
active or counted in exactly one outflow — a cause (cut-offs count under the first
involuntary cause) or lapsing at the end of a save offer. README, "How the engine
works", states the identity in the monthly table's columns.

Timing convention: customers acquired in month ``t`` are present (and pay) in month
``t``; leavers leave at the end of the month. A customer saved or falling behind on
payment at the end of month τ is held or in dunning from month τ + 1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from simsrc.engine.curves import frailty_nodes, nodes_for, shape_curve, value_curve
from simsrc.engine.draws import EXPECTED, Draw
from simsrc.model.errors import ScenarioError
from simsrc.model.levers import HOLD_OFFERS, OFFER_NAMES
from simsrc.model.scenario import Scenario

Array = NDArray[np.float64]

N_OFFERS = len(OFFER_NAMES)
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

    horizon: int
    segments: tuple[str, ...]
    causes: tuple[str, ...]
    paid_new: Array  # [S, H] paid acquisition (base × growth × seasonality)
    share: Array  # [S, G]
    referral: Array  # [S]
    level: Array  # [S, G, K] after programs and contact policy
    shape: Array  # [S, K, H]
    heterogeneous: Array  # [S, K] 1.0 / 0.0
    voluntary: Array  # [S, K]
    preventable: Array  # [S, K]
    fixable: Array  # [S, K]
    z: Array  # [S, J] relative propensity of each heterogeneity class
    w: Array  # [S, J] its weight
    value: Array  # [S, H]
    price: Array  # [S, G]
    margin: Array  # [S, G]
    cost_to_serve: Array  # [S, G]
    cac: Array  # [S, G]
    discount: Array  # [S] monthly discount factor 1 / (1 + r_m)
    levers: LeverArrays

    @property
    def n(self) -> int:
        """Number of scenarios."""
        return int(self.share.shape[0])

    def take(self, index: slice | NDArray[np.intp]) -> Packed:
        """The packed scenarios selected by ``index`` along the scenario axis."""
        levers = dataclasses.replace(self.levers, **_sliced(self.levers, index))
        return dataclasses.replace(self, levers=levers, **_sliced(self, index))


def _sliced(obj: object, index: slice | NDArray[np.intp]) -> dict[str, Any]:
    """The array fields of a dataclass, sliced along the scenario axis."""
    return {
        f.name: getattr(obj, f.name)[index]
        for f in dataclasses.fields(obj)  # type: ignore[arg-type]
        if isinstance(getattr(obj, f.name), np.ndarray)
    }


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


def pack(scenarios: Sequence[Scenario], nodes: int | None = None) -> Packed:
    """Pack scenarios with the same structure into arrays.

    Parameters
    ----------
    scenarios : sequence of Scenario
        Scenarios sharing horizon, segment names and cause names.
    nodes : int, optional
        Heterogeneity classes; default :func:`simsrc.engine.curves.nodes_for` the horizon.

    Returns
    -------
    Packed

    Raises
    ------
    ScenarioError
        If the scenarios differ in structure.
    """
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
    levers = _lever_arrays(scenarios)
    j = nodes_for(h, stepped=levers.stepped) if nodes is None else int(nodes)
    n_s = len(scenarios)
    z = np.ones((n_s, j))
    w = np.zeros((n_s, j))
    level = np.array([[c.levels for c in s.causes] for s in scenarios], dtype=float)
    level = (
        level.transpose(0, 2, 1) * np.array([hazard_multipliers(s) for s in scenarios])[:, None, :]
    )  # [S, G, K]

    def flag(attr: str) -> Array:
        return np.array([[float(getattr(c, attr)) for c in s.causes] for s in scenarios])

    for i, s in enumerate(scenarios):
        het = s.heterogeneity
        zz, ww = frailty_nodes(float(het.reference_churn or 0.0), het.spread, j)
        z[i, : len(zz)] = zz
        w[i, : len(ww)] = ww

    def seg(attr: str) -> Array:
        return np.array([[getattr(x, attr) for x in s.segments] for s in scenarios], float)

    rate = np.array([s.annual_discount_rate for s in scenarios], dtype=float)
    return Packed(
        horizon=h,
        segments=segs,
        causes=causes,
        paid_new=np.array([acquisition_curve(s) for s in scenarios]),
        share=seg("share"),
        referral=np.array([s.acquisition.referrals_per_active for s in scenarios], float),
        level=level,
        shape=np.array([[shape_curve(c.shape, h) for c in s.causes] for s in scenarios]),
        heterogeneous=flag("heterogeneous"),
        voluntary=flag("voluntary"),
        preventable=flag("preventable"),
        fixable=flag("fixable"),
        z=z,
        w=w,
        value=np.array([value_curve(s.value, h) for s in scenarios]),
        price=seg("monthly_price"),
        margin=seg("gross_margin"),
        cost_to_serve=seg("cost_to_serve"),
        cac=seg("cac"),
        discount=(1.0 + rate) ** (-1.0 / 12.0),
        levers=levers,
    )


# -- the path of a unit cohort ------------------------------------------------------

COUNT_SERIES = (
    "present", "active", "revenue_units", "discount_units", "offer_cash", "reached",
    "held", "paused", "resumed", "delinquent", "onsets", "recovered", "cut_off",
    "dunning_messages", "helped", "downgraded", "lapsed", "bad_exits",
)  # fmt: skip
"""Per-tenure series of a unit cohort, ``[S, G, H]`` each (``revenue_units`` and
``discount_units`` in multiples of the month's list price ``price × v(τ)``; ``offer_cash``
in money)."""
CAUSE_SERIES = ("churned", "requests", "bad")
"""Per-tenure series by cause, ``[S, G, H, K]``."""
OFFER_SERIES = ("saves",)
"""Per-tenure series by offer, ``[S, G, H, O]``."""


@dataclass(frozen=True)
class Path:
    """A unit cohort's path over tenure: named series per scenario and segment."""

    series: dict[str, Array]

    def __getitem__(self, name: str) -> Array:
        return self.series[name]

    def take(self, index: NDArray[np.intp]) -> Path:
        """Paths of the selected scenarios (used to expand shared paths)."""
        return Path({k: v[index] for k, v in self.series.items()})


def _individual_hazards(p: Packed) -> tuple[Array, NDArray[np.bool_]]:
    """Hazard by tenure and cause ``[S, G, H, K]`` and heterogeneity mask ``[S, 1, 1, K]``."""
    hz = p.level[:, :, None, :] * p.shape.transpose(0, 2, 1)[:, None, :, :]
    return hz, p.heterogeneous[:, None, None, :] > 0


def core_path(p: Packed) -> Path:
    """The path without save team or dunning, in closed form (no loop over months).

    A customer of class ``j`` (relative propensity ``z_j``) leaves for cause ``k`` in
    tenure month τ with probability ``level_k · shape_k(τ) · z_j`` (``z_j`` only for
    heterogeneous causes). Their total is ``T_j(τ) = z_j H(τ) + N(τ)`` with ``H`` and
    ``N`` the summed heterogeneous and other hazards; when ``T_j > 1`` all of the class's
    hazards are scaled by ``1 / T_j``. So a class survives as the cumulative product of
    ``1 − min(T_j, 1)``, and each cause's outflow needs only two sums over classes:
    ``Σ_j S_j z_j / max(T_j, 1)`` and ``Σ_j S_j / max(T_j, 1)``. With one flat cause this
    is the shifted-beta-geometric model.
    """
    hz, het = _individual_hazards(p)
    h_het = np.where(het, hz, 0.0).sum(axis=-1)  # [S, G, H]
    h_other = np.where(het, 0.0, hz).sum(axis=-1)
    z = p.z[:, None, :, None]  # [S, 1, J, 1]
    total = z * h_het[:, :, None, :]  # [S, G, J, H], memory-bound: few passes
    total += h_other[:, :, None, :]
    capped = bool(total.max(initial=0.0) > 1.0)
    keep = 1.0 - (np.minimum(total, 1.0) if capped else total)
    surv = np.empty_like(total)  # share of the cohort in class j at the start of month τ
    surv[..., 0] = p.w[:, None, :]
    np.cumprod(keep[..., :-1], axis=-1, out=surv[..., 1:])
    surv[..., 1:] *= p.w[:, None, :, None]
    scaled = surv / np.maximum(total, 1.0) if capped else surv
    z_sum = np.einsum("sgjh,sj->sgh", scaled, p.z)
    plain_sum = scaled.sum(axis=2)
    churned = hz * np.where(het, z_sum[..., None], plain_sum[..., None])
    present = surv.sum(axis=2)
    zeros = np.zeros_like(present)
    series = {name: zeros for name in COUNT_SERIES}
    vol = p.voluntary[:, None, None, :] > 0
    series.update(
        present=present,
        active=present - churned.sum(axis=-1),
        revenue_units=present,
        churned=churned,
        requests=np.where(vol, churned, 0.0),
        bad=np.where(vol, churned, 0.0),  # nobody engages leavers without a save team
        saves=np.zeros((*present.shape, N_OFFERS)),
    )
    series["bad_exits"] = series["bad"].sum(axis=-1)
    return Path(series)


def remaining_value(p: Packed, core: Path) -> Array:
    """Expected discounted margin still to come from a customer present at tenure τ.

    Computed on the path without levers (how the firm values a customer), over the
    horizon plus a geometric tail at the last month's retention. ``[S, G, H]``.
    """
    h = p.horizon
    present, active = core["present"], core["active"]
    unit = p.price[:, :, None] * p.value[:, None, :]
    margin = present * (unit * p.margin[:, :, None] - p.cost_to_serve[:, :, None])
    d = p.discount[:, None, None]
    powers = d ** np.arange(h)[None, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        retention = np.where(present[..., -1] > 0, active[..., -1] / present[..., -1], 0.0)
        q = d[..., 0] * retention
        tail = margin[..., -1] * q / (1.0 - q)
        future = np.cumsum((margin * powers)[..., ::-1], axis=-1)[..., ::-1]
        future = future + (tail * powers[..., -1])[..., None]
        out = np.where(present > 0, future / (powers * present), 0.0)
    return np.asarray(out)


def save_fractions(p: Packed, core: Path) -> Array:
    """Share of cancellation requests saved by each offer, ``[S, G, H, K, O]``.

    ``coverage × mix × acceptance``, limited to the segments an offer may be made to and,
    with value targeting, to tenures where the customer's remaining margin is at least
    ``value_threshold`` × the offer's cost.
    """
    lv = p.levers
    list_price = p.price[:, :, None] * p.value[:, None, :]  # [S, G, H]
    given_up = (1.0 - lv.price_multiplier)[:, None, None, :] * list_price[..., None]
    months = lv.months.copy()
    months[:, DOWNGRADE] = 12.0  # a downgrade gives up a year's difference, for targeting
    cost = given_up * months[:, None, None, :] + lv.cost_per_save[:, None, None, :]
    value = remaining_value(p, core)
    eligible = (lv.value_threshold[:, None, None, None] <= 0) | (
        value[..., None] >= lv.value_threshold[:, None, None, None] * cost
    )  # [S, G, H, O]
    allowed = eligible * lv.offer_segments[:, :, None, :]
    per_cause = lv.mix * lv.acceptance.transpose(0, 2, 1) * p.voluntary[:, :, None]  # [S, K, O]
    return np.asarray(
        lv.coverage[:, None, None, None, None]
        * per_cause[:, None, None, :, :]
        * allowed[:, :, :, None, :]
    )


@dataclass(frozen=True)
class LeverSetup:
    """Everything the stepped path needs that does not change from month to month.

    Arrays carry the scenario axis ``S`` first (size 1 broadcasts over any number of
    rows, which is how the stochastic mode steps many cohorts of one scenario at once).
    """

    lv: LeverArrays
    hz: Array  # [S, G, H, K] hazards by tenure
    zk: Array  # [S, J, K] class multipliers per cause
    pop_mult: Array  # [S, P, K] hazard multipliers of the paying populations
    pop_price: Array  # [S, P] price multipliers of the paying populations
    vol: Array  # [S, 1, 1, 1, K] voluntary causes
    nonprev: Array  # [S, 1, 1, K] causes acting during a hold
    sf: Array  # [S, G, H, K, O] saved share of requests by offer
    sf_total: Array  # [S, G, H, K]
    cov: Array  # [S, 1, 1] save-team coverage
    hold_offers: NDArray[np.intp]  # offer index of each hold block
    keep_shift: NDArray[np.bool_]  # [M] slot k takes slot k + 1's customers next month
    end_slots: NDArray[np.intp]  # slot holding customers in their offer's last month
    slot_price: Array  # [S, M]
    slot_pause: Array  # [M]
    entry_slot: NDArray[np.intp]  # [S, 4] register slot a new save of each hold offer enters
    stay: Array  # [S, 4] share returning to normal at the end of each hold offer
    last_month: Array  # [S, D] 1 in the last month of grace
    in_grace: Array  # [S, D]
    per_month: Array  # [S] dunning messages per month of grace
    recover: Array  # [S, 1, 1, 2, D] recovery chance by kind and month of grace
    dunning_on: Array  # [S, 1, 1]
    invol_first: int  # the cause that dunning cut-offs count under

    @property
    def any_dunning(self) -> bool:
        """Whether any scenario of the pack has dunning on (else its register stays empty)."""
        return bool(self.dunning_on.any())

    @property
    def slots(self) -> int:
        """Length of the hold register."""
        return int(self.keep_shift.shape[0])

    @property
    def grace_slots(self) -> int:
        """Length of the dunning register."""
        return int(self.last_month.shape[1])


def lever_setup(p: Packed, core: Path) -> LeverSetup:
    """Precompute the stepped path's constants for a pack (see :class:`LeverSetup`)."""
    lv = p.levers
    n_s = p.share.shape[0]
    hz, _ = _individual_hazards(p)  # [S, G, H, K]
    cure = 1.0 - lv.cure_effect[:, None] * p.fixable  # [S, K]
    sf = save_fractions(p, core)  # [S, G, H, K, O]
    # hold offers share one register of remaining months, offer by offer in blocks
    hold_len = [int(lv.months[:, o].max(initial=1)) for o in HOLD_INDEX]
    start = np.concatenate([[0], np.cumsum(hold_len)[:-1]]).astype(int)
    int(sum(hold_len))
    block = np.repeat(np.arange(len(HOLD_INDEX)), hold_len)  # offer block of each slot
    keep_shift = np.append(block[1:], -1) == block  # slot k + 1 is of the same offer
    hold_offers = np.array(HOLD_INDEX)
    entry_slot = np.stack(  # months − 1 left on entry
        [start[i] + lv.months[:, o].astype(int) - 1 for i, o in enumerate(HOLD_INDEX)], axis=1
    )
    grace = lv.grace_months.astype(int)
    d_max = int(grace.max(initial=1))
    month_of = np.arange(d_max)[None, :]
    per_month = lv.messages / np.maximum(grace, 1)  # messages per month of grace
    miss_payment = (1.0 - lv.dunning_reach * lv.recover_payment) ** per_month  # [S]
    miss_stuck = (1.0 - lv.dunning_reach * lv.recover_stuck) ** per_month
    recover = np.zeros((n_s, 2, d_max))
    recover[:, 0, :] = 1.0 - miss_payment[:, None]
    recover[:, 0, 0] = 1.0 - (1.0 - lv.retry_recovery) * miss_payment
    recover[:, 1, :] = 1.0 - miss_stuck[:, None]
    invol = 1.0 - p.voluntary
    cheaper = lv.price_multiplier[:, DOWNGRADE]
    return LeverSetup(
        lv=lv,
        hz=hz,
        zk=np.where(p.heterogeneous[:, None, :] > 0, p.z[:, :, None], 1.0),
        pop_mult=np.stack([np.ones_like(cure), cure, np.ones_like(cure), cure], axis=1),
        pop_price=np.stack([np.ones(n_s), np.ones(n_s), cheaper, cheaper], axis=1),
        vol=p.voluntary[:, None, None, None, :],
        nonprev=(1.0 - p.preventable)[:, None, None, :],
        sf=sf,
        sf_total=sf.sum(axis=-1),
        cov=lv.coverage[:, None, None],
        hold_offers=hold_offers,
        keep_shift=keep_shift,
        end_slots=start,  # one month left: the offer ends this month
        slot_price=lv.price_multiplier[:, hold_offers[block]],
        slot_pause=(block == HOLD_OFFERS.index("pause")).astype(float),
        entry_slot=entry_slot,
        stay=lv.stay_after[:, hold_offers],
        last_month=(month_of == (grace - 1)[:, None]).astype(float),
        in_grace=(month_of < grace[:, None]).astype(float),
        per_month=per_month,
        recover=recover[:, None, None, :, :],
        dunning_on=lv.dunning[:, None, None],
        invol_first=int(np.argmax(invol[0])) if invol.any() else 0,
    )


@dataclass
class LeverState:
    """Who is where at the start of a month, per row, segment and class.

    ``pop`` ``[N, G, J, P]``: the paying populations (:data:`NORMAL`, :data:`HELPED`,
    :data:`DOWNGRADED`, :data:`HELPED_DOWNGRADED`);
    ``reg`` ``[N, G, J, M]``: held by an offer, by months left; ``dun`` ``[N, G, J, 2,
    D]``: in dunning, by kind (payment problem, stuck) and month of grace.
    """

    pop: Array
    reg: Array
    dun: Array

    @classmethod
    def empty(cls, setup: LeverSetup, rows: int, segments: int, classes: int) -> LeverState:
        """Nobody anywhere."""
        return cls(
            np.zeros((rows, segments, classes, N_POPS)),
            np.zeros((rows, segments, classes, setup.slots)),
            np.zeros((rows, segments, classes, 2, setup.grace_slots)),
        )

    def rows(self, index: slice) -> LeverState:
        """A view of some rows (changes to the view's arrays change this state)."""
        return LeverState(self.pop[index], self.reg[index], self.dun[index])


def lever_step(
    c: LeverSetup, st: LeverState, hz_t: Array, sf_t: Array, draw: Draw = EXPECTED
) -> dict[str, Array]:
    """One month of the stepped path for populations at a known tenure.

    Parameters
    ----------
    c : LeverSetup
        The pack's constants (scenario axis ``S`` = rows, or 1 to broadcast).
    st : LeverState
        Populations at the start of the month; updated in place to the next month's.
    hz_t : ndarray [N, G, K]
        Each row's hazards at its tenure this month.
    sf_t : ndarray [N, G, K, O]
        Each row's saved shares of requests by offer at its tenure.
    draw : Draw
        Expected shares (:data:`simsrc.engine.draws.EXPECTED`) or random counts.

    Returns
    -------
    dict of str to ndarray
        This month's flows per row and segment: the names of :data:`COUNT_SERIES`
        (``[N, G]``), :data:`CAUSE_SERIES` (``[N, G, K]``) and ``saves`` (``[N, G, O]``).
    """
    lv = c.lv
    pop, reg, dun = st.pop, st.reg, st.dun
    held = reg.sum(axis=2)  # [N, G, M]
    paying = pop.sum(axis=2)  # [N, G, P]
    out: dict[str, Array] = {"held": held.sum(axis=-1), "delinquent": dun.sum(axis=(2, 3, 4))}
    out["present"] = paying.sum(axis=-1) + out["held"] + out["delinquent"]
    held_pay = np.einsum("sgm,sm->sg", held, c.slot_price)
    out["revenue_units"] = np.einsum("sgp,sp->sg", paying, c.pop_price) + held_pay
    out["helped"] = paying[..., HELPED] + paying[..., HELPED_DOWNGRADED]
    out["downgraded"] = paying[..., DOWNGRADED] + paying[..., HELPED_DOWNGRADED]
    out["discount_units"] = (
        out["downgraded"] * (1.0 - lv.price_multiplier[:, DOWNGRADE, None])
        + out["held"]
        - held_pay
    )
    out["paused"] = held @ c.slot_pause

    # paying populations: hazards, cancellation requests, failed payments
    base = hz_t[:, :, None, :] * c.zk[:, None, :, :]  # [N, G, J, K]
    requests, failed, left = _leave(draw, pop, base, c.pop_mult, c.vol)
    saves, joining, leave, reached, bad, out["requests"] = _save_team(
        draw, requests, sf_t, c.cov, lv.rude_share
    )
    out["saves"] = saves.sum(axis=2)
    out["reached"] = reached
    churned = leave + failed.sum(axis=2) * (1.0 - c.dunning_on)
    onset = failed.sum(axis=-1) * c.dunning_on  # [N, G, J]

    # holds: non-preventable causes only; the last month ends the offer
    if draw.random and c.cov.shape[0] == 1:
        in_hold_churn, returns, lapsed, resumed = _holds_in_place(c, draw, reg, base, saves)
    else:
        in_hold_churn, returns, lapsed, resumed, reg = _holds(c, draw, reg, base, saves)
    churned = churned + in_hold_churn
    out["lapsed"], out["resumed"] = lapsed, resumed

    # dunning: recover, cut off at the end of grace, age the rest
    if c.any_dunning:
        rec = draw.thin(dun, c.recover)
        recovered = rec.sum(axis=-1)  # [N, G, J, 2]
        remaining = dun - rec
        last = c.last_month[:, None, None, None, :]
        cut = (remaining * last).sum(axis=(-2, -1))  # [N, G, J]
        out["dunning_messages"] = (dun * c.in_grace[:, None, None, None, :]).sum(
            axis=(2, 3, 4)
        ) * c.per_month[:, None]
        aged = remaining * (1.0 - last)
        dun = np.concatenate([np.zeros_like(aged[..., :1]), aged[..., :-1]], axis=-1)
        stuck = draw.thin(onset, lv.stuck_share[:, None, None])
        dun[..., 0, 0] = onset - stuck
        dun[..., 1, 0] = stuck
        cut_sum = cut.sum(axis=2)
        churned[:, :, c.invol_first] += cut_sum
        bad[:, :, c.invol_first] += cut_sum * (1.0 - lv.help_first[:, None])
    else:  # nobody is ever in dunning: skip the register
        recovered = np.zeros((*dun.shape[:3], 2))
        cut_sum = np.zeros(out["present"].shape)
        out["dunning_messages"] = cut_sum

    out["churned"] = churned
    out["bad"] = bad
    out["onsets"] = onset.sum(axis=2)
    out["recovered"] = recovered.sum(axis=(2, 3))
    out["cut_off"] = cut_sum
    out["offer_cash"] = (
        np.einsum("sgo,so->sg", out["saves"], lv.cost_per_save)
        + reached * lv.cost_per_contact[:, None]
    )

    # next month's paying populations
    help_first = lv.help_first[:, None, None]
    pop = pop - left + joining  # help and downgrade saves compose
    # the end of a hold and recovery from dunning start afresh (README, "limits")
    pop[..., NORMAL] += returns + recovered[..., 0] + recovered[..., 1] * (1.0 - help_first)
    pop[..., HELPED] += recovered[..., 1] * help_first
    st.pop[...], st.dun[...] = pop, dun
    if reg is not st.reg:  # random draws update the register in place
        st.reg[...] = reg
    out["active"] = pop.sum(axis=(2, 3)) + reg.sum(axis=(2, 3)) + dun.sum(axis=(2, 3, 4))
    out["bad_exits"] = bad.sum(axis=-1)
    return out


def _occupied(draw: Draw, n: Array, probs: Array) -> tuple[tuple[NDArray[np.intp], ...], Array]:
    """Random split of the occupied cells of ``n`` only: their indices and counts.

    ``probs`` broadcasts to ``n.shape + (C,)``; returns the indices of the cells holding
    someone and their draws ``[M, C]`` (scatter them back with ``np.add.at``).
    """
    occupied = np.nonzero(n)
    pv = np.broadcast_to(probs, n.shape + probs.shape[-1:])
    return occupied, draw.split(n[occupied], pv[occupied])


class Cells(NamedTuple):
    """The occupied cells of a mostly empty array of whole customers (random counts)."""

    where: tuple[NDArray[np.intp], ...]  # one index array per axis
    customers: Array  # how many in each cell
    shape: tuple[int, ...]  # the array's shape


def _capped(ind: Array) -> Array:
    """Hazards by cause, scaled down where they add up to more than certain leaving."""
    total = ind.sum(axis=-1, keepdims=True)
    return ind / np.maximum(total, 1.0) if total.max(initial=0.0) > 1.0 else ind


def _leave(
    draw: Draw, pop: Array, base: Array, pop_mult: Array, vol: Array
) -> tuple[Array | Cells, Array, Array]:
    """Paying customers leaving for each cause this month.

    ``pop`` ``[N, G, J, P]``; a population's hazards are ``base`` ``[N, G, J, K]`` times
    its multipliers ``pop_mult`` ``[S, P, K]`` (capped at certain leaving). Returns
    cancellation requests by class and population ``[N, G, J·P, K]`` (a save's effect
    depends on who is saved; random counts give only the occupied :class:`Cells`),
    failed payments ``[N, G, J, K]`` and how many left each population ``[N, G, J, P]``.
    """
    n_rows, n_g, n_j, n_p = pop.shape
    if not draw.random:
        ind = _capped(base[:, :, :, None, :] * pop_mult[:, None, None, :, :])  # [N,G,J,P,K]
        flows = pop[..., None] * ind
        dense = (flows * vol).reshape(n_rows, n_g, n_j * n_p, -1)
        return dense, (flows * (1.0 - vol)).sum(axis=3), flows.sum(-1)
    # random counts: first who leaves at all (one binomial per occupied cell), then the
    # leavers' causes — hazards by cause are needed for the few leaving cells only
    mult = np.broadcast_to(pop_mult, (pop.shape[0], *pop_mult.shape[1:]))  # [N, P, K]
    if pop_mult.shape[0] == 1:  # one scenario (always, for random counts): a matmul
        total = base @ pop_mult[0].T
    else:
        total = np.einsum("sgjk,spk->sgjp", base, pop_mult)
    leaving = np.minimum(total, 1.0)  # [N, G, J, P]
    moved = draw.thin(pop, leaving)
    n, g, j, q = np.nonzero(moved)
    ind = base[n, g, j] * mult[n, q]  # [M, K]
    x = draw.split(moved[n, g, j, q], ind / ind.sum(axis=-1, keepdims=True))
    vol_k = np.broadcast_to(vol[:, 0, 0, 0, :], (pop.shape[0], x.shape[-1]))[n]  # [M, K]
    asking = x * vol_k
    m, k = np.nonzero(asking)  # in the order of a dense [N, G, J·P, K] array's nonzero()
    cells = Cells(
        (n[m], g[m], j[m] * n_p + q[m], k), asking[m, k], (n_rows, n_g, n_j * n_p, x.shape[-1])
    )
    failed = np.zeros(pop.shape[:3] + x.shape[-1:])
    np.add.at(failed, (n, g, j), x * (1.0 - vol_k))
    left = np.zeros_like(pop)
    left[n, g, j, q] = x.sum(axis=-1)
    return cells, failed, left


def _holds(
    c: LeverSetup, draw: Draw, reg: Array, base: Array, saves: Array
) -> tuple[Array, Array, Array, Array, Array]:
    """A month of the hold register ``[N, G, J, M]`` (customers held by an offer).

    Non-preventable causes act on the held (``base`` ``[N, G, J, K]`` hazards); those in
    their offer's last month return or lapse; the rest move one month on; this month's
    ``saves`` ``[N, G, J, O]`` by hold offers enter. Returns leavers by cause
    ``[N, G, K]``, returns to the paying population ``[N, G, J]``, lapsed and resumed
    (after a pause) ``[N, G]``, and the next month's register.
    """
    hz_np = base * c.nonprev  # [N, G, J, K]
    rate = hz_np / np.maximum(hz_np.sum(axis=-1, keepdims=True), 1.0)
    in_hold_churn, reg = _hold_exits(draw, reg, rate)
    ending = reg[..., c.end_slots]  # [N, G, J, 4]
    back = draw.thin(ending, c.stay[:, None, None, :])
    lapsed = (ending - back).sum(axis=(2, 3))
    resumed = back[..., HOLD_OFFERS.index("pause")].sum(axis=2)
    shifted = np.zeros_like(reg)  # a month passes: slot k takes slot k + 1's customers
    shifted[..., :-1] = reg[..., 1:]
    shifted *= c.keep_shift
    rows = np.arange(reg.shape[0])
    for i, offer in enumerate(c.hold_offers):  # this month's saves enter their offer
        shifted[rows, :, :, c.entry_slot[:, i]] += saves[..., offer]
    return in_hold_churn, back.sum(axis=-1), lapsed, resumed, shifted


def _holds_in_place(
    c: LeverSetup, draw: Draw, reg: Array, base: Array, saves: Array
) -> tuple[Array, Array, Array, Array]:
    """:func:`_holds` on the occupied cells only, for random counts; ``reg`` updated in place.

    Whole customers held by an offer are few (a handful per cohort), so the register is
    almost empty: the (row, segment, class) cells holding someone, or receiving a save
    this month, are gathered as rows of their own and go through :func:`_holds`; the
    others stay empty. Needs the one-scenario setup of random runs (``S = 1``).
    """
    n_rows, n_g, n_j, _ = reg.shape
    entering = saves[..., c.hold_offers]  # [N, G, J, 4]
    n, g, j = np.nonzero(reg.any(axis=-1) | entering.any(axis=-1))
    in_hold_churn = np.zeros((n_rows, n_g, base.shape[-1]))
    returns = np.zeros((n_rows, n_g, n_j))
    lapsed = np.zeros((n_rows, n_g))
    resumed = np.zeros((n_rows, n_g))
    if len(n):

        def cells(x: Array) -> Array:
            return x[n, g, j][:, None, None]  # [C, 1, 1, …]: one cell a row

        churn_c, returns_c, lapsed_c, resumed_c, reg_c = _holds(
            c, draw, cells(reg), cells(base), cells(saves)
        )
        np.add.at(in_hold_churn, (n, g), churn_c[:, 0])
        returns[n, g, j] = returns_c[:, 0, 0]
        np.add.at(lapsed, (n, g), lapsed_c[:, 0])
        np.add.at(resumed, (n, g), resumed_c[:, 0])
        reg[n, g, j] = reg_c[:, 0, 0]
    return in_hold_churn, returns, lapsed, resumed


def _hold_exits(draw: Draw, reg: Array, rate: Array) -> tuple[Array, Array]:
    """Customers held by an offer who leave anyway (non-preventable causes).

    ``reg`` ``[N, G, J, M]`` held by months left, ``rate`` ``[N, G, J, K]``. Returns the
    leavers by cause ``[N, G, K]`` and the register after them.
    """
    if not draw.random:
        churned = np.einsum("sgj,sgjk->sgk", reg.sum(axis=-1), rate)
        return churned, reg * (1.0 - rate.sum(axis=-1))[..., None]
    (n, g, j, m), x = _occupied(draw, reg, rate[:, :, :, None, :])
    churned = np.zeros(reg.shape[:2] + rate.shape[-1:])
    np.add.at(churned, (n, g), x)
    after = reg.copy()
    after[n, g, j, m] -= x.sum(axis=-1)
    return churned, after


def _save_team(
    draw: Draw, requests: Array | Cells, frac: Array, cov: Array, rude: Array
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """What becomes of this month's cancellation requests.

    Parameters are the requests ``[N, G, J·P, K]`` by heterogeneity class and paying
    population (the occupied :class:`Cells` for random counts), the saved share of
    requests by offer ``[N, G, K, O]``, coverage ``[N, 1, 1]`` and the rude share of
    refusals ``[N]``. Returns saves ``[N, G, J, O]``, the saved customers joining each
    paying population ``[N, G, J, P]`` (:data:`SAVE_MOVES`), leavers ``[N, G, K]``,
    save-team contacts ``[N, G]``, badly handled exits ``[N, G, K]`` (never reached, or
    refused rudely) and requests ``[N, G, K]``.
    """
    n_rows, n_g, n_c, n_k = requests.shape
    n_j = n_c // N_POPS
    if not isinstance(requests, Cells):  # closed form, without the [N, G, C, K, O] outcomes
        saved = frac.sum(axis=-1)  # [N, G, K]
        req_c = requests.sum(axis=2)
        leave = req_c * (1.0 - saved)
        bad = req_c * (1.0 - cov + rude[:, None, None] * (cov - saved))
        by_pop = requests @ frac  # [N, G, J·P, O]
        moved = by_pop.reshape(n_rows, n_g, n_j, N_POPS * N_OFFERS) @ SAVE_MOVES
        saves, joining = moved[..., :N_OFFERS], moved[..., N_OFFERS:]
        return saves, joining, leave, (req_c * cov).sum(axis=-1), bad, req_c
    reached_share = np.broadcast_to(cov[..., None], (*frac.shape[:-1], 1))
    probs = np.concatenate([frac, reached_share - frac.sum(axis=-1, keepdims=True)], -1)
    # per occupied (row, segment, cell, cause): saved by each offer, reached but refused
    (n, g, j, k), count = requests.where, requests.customers
    x = draw.split(count, np.broadcast_to(probs, (n_rows, *probs.shape[1:]))[n, g, k])
    refused = x[:, -1]
    not_reached = count - x.sum(axis=-1)
    rudely = draw.thin(refused, np.broadcast_to(rude, (n_rows,))[n])
    saved = x[:, :-1]
    j, q = np.divmod(j, N_POPS)
    saves = np.zeros((n_rows, n_g, n_j, N_OFFERS))
    np.add.at(saves, (n, g, j), saved)
    joining = np.zeros((n_rows, n_g, n_j, N_POPS))  # as SAVE_MOVES, on the occupied cells
    np.add.at(joining, (n, g, j, q | HELPED), saved[:, HELP])
    np.add.at(joining, (n, g, j, q | DOWNGRADED), saved[:, DOWNGRADE])
    req_c = np.zeros((n_rows, n_g, n_k))
    leave = np.zeros_like(req_c)
    bad = np.zeros_like(req_c)
    reached = np.zeros((n_rows, n_g))
    np.add.at(req_c, (n, g, k), count)
    np.add.at(leave, (n, g, k), refused + not_reached)
    np.add.at(bad, (n, g, k), not_reached + rudely)
    np.add.at(reached, (n, g), count - not_reached)
    return saves, joining, leave, reached, bad, req_c


def lever_path(p: Packed, core: Path) -> Path:
    """The path with save team and dunning: customers move between states monthly.

    States per segment and heterogeneity class: four paying populations (normal;
    *helped* — expert help or help-first recovery, whose fixable causes' hazards are
    lower by the cure effect; *downgraded*, paying less; helped and downgraded, both at
    once — see :data:`SAVE_MOVES`), the hold offers as shift
    registers of remaining months (only non-preventable causes act during a hold; at
    its end ``stay_after`` return to normal, the rest lapse), and dunning as a register
    of months since the failed payment, by kind (stuck / payment problem). Each month
    is one :func:`lever_step` of the unit cohort.
    """
    c = lever_setup(p, core)
    n_s, n_g = p.share.shape
    h, k = p.horizon, len(p.causes)
    st = LeverState.empty(c, n_s, n_g, p.z.shape[1])
    st.pop[..., NORMAL] = p.w[:, None, :]
    out = {name: np.zeros((n_s, n_g, h)) for name in COUNT_SERIES}
    out.update({name: np.zeros((n_s, n_g, h, k)) for name in CAUSE_SERIES})
    out["saves"] = np.zeros((n_s, n_g, h, N_OFFERS))
    for tau in range(h):
        for name, v in lever_step(c, st, c.hz[:, :, tau], c.sf[:, :, tau]).items():
            out[name][:, :, tau] = v
    return Path(out)


def cohort_path(p: Packed) -> Path:
    """The unit cohort's path: closed form without save team and dunning, else stepped."""
    core = core_path(p)
    return lever_path(p, core) if p.levers.stepped else core


def unique_paths(p: Packed) -> tuple[Path, NDArray[np.intp]]:
    """Cohort paths computed once per distinct churn-and-lever setting in a batch.

    The path depends only on churn, heterogeneity and lever settings (not on prices,
    margins or acquisition), so a sweep over those shares one path. Returns the paths of
    the distinct settings and, per scenario, the index of its setting.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("telecom")
    >>> k, idx = unique_paths(pack([s, s.set("acquisition.new_per_month", 9), s.halve_churn()]))
    >>> k["present"].shape[0], idx.tolist()
    (2, [0, 0, 1])
    """
    n = p.n
    lv = p.levers
    parts: list[Array] = [p.level, p.shape, p.heterogeneous, p.z, p.w, p.voluntary]
    if lv.stepped:  # lever settings (and, with targeting, value) shape the path too
        parts += [getattr(lv, f.name) for f in dataclasses.fields(lv)]
        parts += [p.preventable, p.fixable, p.price, p.margin, p.cost_to_serve, p.value,
                  p.discount]  # fmt: skip
    rows = np.ascontiguousarray(np.concatenate([a.reshape(n, -1) for a in parts], axis=1))
    seen: dict[bytes, int] = {}
    which = np.empty(n, dtype=np.intp)
    first: list[int] = []
    for i in range(n):
        key = rows[i].tobytes()
        if key not in seen:
            seen[key] = len(first)
            first.append(i)
        which[i] = seen[key]
    return cohort_path(p.take(np.asarray(first, dtype=np.intp))), which


# -- the calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class Inflow:
    """New customers by segment and month, ``[S, G, H]`` each."""

    paid: Array  # after word-of-mouth losses
    referred: Array
    reactivated: Array
    lost_to_word_of_mouth: Array

    @property
    def new(self) -> Array:
        """All customers starting in the month."""
        return self.paid + self.referred + self.reactivated


def has_feedback(p: Packed) -> bool:
    """Whether acquisition depends on earlier months (referrals, word of mouth, win-back)."""
    lv = p.levers
    return bool(
        np.any(p.referral > 0) or np.any(lv.lost_per_bad_exit > 0) or np.any(lv.win_back > 0)
    )


def arrivals(
    p: Packed,
    t: int,
    active_prev: Array | None,
    bad_prev: Array | None,
    leavers: tuple[Array, Array, Array] | None,
    draw: Draw = EXPECTED,
) -> tuple[Array, Array, Array, Array]:
    """New customers in month ``t`` by source, given what happened before.

    * paid: the month's paid acquisition less ``lost_per_bad_exit`` × badly handled exits
      in ``t − 1`` (word of mouth; never below zero);
    * referred: ``referrals_per_active × active(t − 1)``;
    * won back: the leavers messaged now (those who left ``delay`` months ago) come back
      with the reactivation chance of the cause they left for, × the bad-terms factor
      if they left badly, or the after-offer chance if they lapsed after a save offer.

    Parameters
    ----------
    p : Packed
        Scenario axis ``S`` (or 1, broadcast over rows).
    t : int
        Calendar month.
    active_prev, bad_prev : ndarray [N], optional
        Customers active at the end of ``t − 1`` and badly handled exits in ``t − 1``
        (``None``: no referrals, no word of mouth).
    leavers : tuple of ndarray, optional
        The leavers messaged now who left on good and on bad terms by cause (``[N, G,
        K]`` each) and who lapsed after a save offer (``[N, G]``); ``None``: nobody.
    draw : Draw
        Expected values, or random counts (Poisson arrivals, binomial win-back).

    Returns
    -------
    paid, referred, reactivated, lost : ndarray [N, G]
        ``lost`` is the paid acquisition lost to word of mouth (expected, not drawn).
    """
    lv = p.levers
    base = p.paid_new[:, t, None] * p.share
    n = base.shape[0] if active_prev is None else max(base.shape[0], len(active_prev))
    none = np.zeros((n, base.shape[1]))
    lost = (
        none
        if bad_prev is None
        else np.minimum((lv.lost_per_bad_exit * bad_prev)[:, None] * p.share, base)
    )
    paid = draw.poisson(base - lost)
    referred = (
        none
        if active_prev is None
        else draw.poisson((p.referral * active_prev)[:, None] * p.share)
    )
    if leavers is None:
        return paid, referred, none, lost
    good, bad, lapsed = leavers
    reach = (lv.win_back * lv.win_back_reach)[:, None, None]  # [S, 1, 1]
    chance = reach * lv.reactivation[:, None, :]  # [S, 1, K]
    react = (
        draw.thin(good, chance) + draw.thin(bad, chance * lv.bad_terms_factor[:, None, None])
    ).sum(axis=-1) + draw.thin(lapsed, reach[..., 0] * lv.after_offer[:, None])
    return paid, referred, react, lost


def inflow(p: Packed, path: Path) -> Inflow:
    """Solve acquisition with its feedbacks month by month (a renewal equation).

    Each month's arrivals follow :func:`arrivals` from the calendar so far: active
    customers and badly handled exits of the month before, and the leavers of ``delay``
    months ago for win-back. They restart as new customers of their segment; win-back
    customers without acquisition cost. Only the feedbacks some scenario of the pack
    uses are worked out.
    """
    lv = p.levers
    h = p.horizon
    base_paid = p.paid_new[:, None, :] * p.share[:, :, None]
    zeros = np.zeros_like(base_paid)
    if not has_feedback(p):
        return Inflow(base_paid, zeros, zeros.copy(), zeros.copy())
    paid, referred, react, lost = base_paid.copy(), zeros, zeros.copy(), zeros.copy()
    new = base_paid.copy()
    n_s, n_g, k = p.n, p.share.shape[1], len(p.causes)
    good_path = path["churned"] - path["bad"]  # [S, G, H, K]
    delay = lv.win_back_delay.astype(int)
    winners = np.flatnonzero(lv.win_back * lv.win_back_reach > 0)
    use_referrals = bool(np.any(p.referral > 0))
    use_word_of_mouth = bool(np.any(lv.lost_per_bad_exit > 0))
    if not use_word_of_mouth and not len(winners):
        return Inflow(base_paid, _referrals_only(p, path, base_paid), react, lost)
    for t in range(1, h):
        past = new[:, :, :t]
        rev = slice(t - 1, None, -1)  # kernel index t-1-c for c = 0 … t-1
        active = (
            np.einsum("sgc,sgc->s", past, path["active"][:, :, rev]) if use_referrals else None
        )
        bad_exits = (
            np.einsum("sgc,sgc->s", past, path["bad_exits"][:, :, rev])
            if use_word_of_mouth
            else None
        )
        leavers = None
        src = t - delay  # [S] month whose leavers are messaged now
        messaged = winners[src[winners] >= 0]
        if len(messaged):
            good, bad, lapsed = (
                np.zeros((n_s, n_g, k)),
                np.zeros((n_s, n_g, k)),
                np.zeros((n_s, n_g)),
            )
            for i in messaged:
                m = int(src[i])
                back = slice(m, None, -1)
                cohorts = new[i, :, : m + 1]
                good[i] = np.einsum("gc,gck->gk", cohorts, good_path[i, :, back])
                bad[i] = np.einsum("gc,gck->gk", cohorts, path["bad"][i, :, back])
                lapsed[i] = np.einsum("gc,gc->g", cohorts, path["lapsed"][i, :, back])
            leavers = (good, bad, lapsed)
        step = arrivals(p, t, active, bad_exits, leavers)
        paid[:, :, t], referred[:, :, t], react[:, :, t], lost[:, :, t] = step
        new[:, :, t] = paid[:, :, t] + referred[:, :, t] + react[:, :, t]
    return Inflow(paid, referred, react, lost)


def _referrals_only(p: Packed, path: Path, paid: Array) -> Array:
    """Referred customers when referrals are the only feedback: a renewal equation.

    With ``Q[t]`` the customers active at the end of month ``t``, new customers are
    ``paid[g, t] + r · share[g] · Q[t − 1]``, so ``Q[t] = P[t] + r Σ_{c ≤ t} Q[c − 1]
    B[t − c]`` with ``P`` the active customers from paid acquisition alone (a
    convolution) and ``B = Σ_g share[g] · active_kernel[g]``: one step per month for all
    scenarios at once — the same numbers as :func:`arrivals` month by month.
    """
    active = path["active"]  # [S, G, H] unit cohort active at the end of tenure τ
    from_paid = convolve(paid, active).sum(axis=1)  # [S, H]
    blend = np.einsum("sg,sgh->sh", p.share, active)
    r = p.referral
    q = np.zeros_like(from_paid)
    q[:, 0] = from_paid[:, 0]
    for t in range(1, p.horizon):
        q[:, t] = from_paid[:, t] + r * np.einsum("sc,sc->s", q[:, :t], blend[:, t - 1 :: -1])
    referred = np.zeros_like(paid)
    referred[:, :, 1:] = (r[:, None] * q[:, :-1])[:, None, :] * p.share[:, :, None]
    return referred


def convolve(new: Array, kern: Array) -> Array:
    """Calendar series from cohorts: ``out[t] = Σ_{c ≤ t} new[c] · kern[t − c]``.

    Done as one batched product with the lower-triangular Toeplitz matrix of ``new``
    (exact sums, no FFT rounding). The matrix is a strided view of the zero-padded
    cohort sizes, never materialised: building it as an array of ``S·G·H²`` values cost
    ten times the product itself at sweep sizes.

    Parameters
    ----------
    new : ndarray [S, G, H]
        Cohort sizes by month of acquisition.
    kern : ndarray [S, G, H, ...]
        Per-unit-cohort values by tenure month (extra trailing axes allowed).

    Returns
    -------
    ndarray [S, G, H, ...]

    Examples
    --------
    >>> new = np.ones((1, 1, 3)); kern = np.array([[[1.0, 0.5, 0.25]]])
    >>> convolve(new, kern)[0, 0].tolist()
    [1.0, 1.5, 1.75]
    """
    h = new.shape[-1]
    padded = np.concatenate([np.zeros((*new.shape[:-1], h - 1)), new], axis=-1)
    toeplitz = sliding_window_view(padded, h, axis=-1)[..., ::-1]  # [S, G, t, τ]: new[t − τ]
    flat = kern.reshape((*kern.shape[:3], -1))
    return np.asarray(np.einsum("sgtc,sgcx->sgtx", toeplitz, flat).reshape(kern.shape))
