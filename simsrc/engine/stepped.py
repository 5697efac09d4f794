"""The path with save team and dunning, stepped month by month.

Customers move between states (normal, helped, downgraded or both, held by an offer, in
dunning); each month is one :func:`lever_step` of the unit cohort, vectorised over
scenarios × segments × heterogeneity classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.core import (
    CAUSE_SERIES,
    COUNT_SERIES,
    CohortPath,
    individual_hazards,
    save_fractions,
)
from simsrc.engine.draws import EXPECTED, Draw
from simsrc.engine.kernel import Levers, expected_path
from simsrc.engine.pack import (
    DOWNGRADE,
    DOWNGRADED,
    HELP,
    HELPED,
    HELPED_DOWNGRADED,
    HOLD_INDEX,
    N_OFFERS,
    N_POPS,
    NORMAL,
    SAVE_MOVES,
    LeverArrays,
    Packed,
)
from simsrc.model.levers import HOLD_OFFERS

Array = NDArray[np.float64]


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


def lever_setup(p: Packed, core: CohortPath) -> LeverSetup:
    """Precompute the stepped path's constants for a pack (see :class:`LeverSetup`)."""
    lv = p.levers
    n_s = p.share.shape[0]
    hz, _ = individual_hazards(p)  # [S, G, H, K]
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


def _at_start(setup: LeverSetup, state: LeverState) -> dict[str, Array]:
    """Who is with the company at the start of the month, and what they pay: ``[N, G]``."""
    lv = setup.lv
    held = state.reg.sum(axis=2)  # [N, G, M]
    paying = state.pop.sum(axis=2)  # [N, G, P]
    out: dict[str, Array] = {
        "held": held.sum(axis=-1),
        "delinquent": state.dun.sum(axis=(2, 3, 4)),
    }
    out["present"] = paying.sum(axis=-1) + out["held"] + out["delinquent"]
    held_pay = np.einsum("sgm,sm->sg", held, setup.slot_price)
    out["revenue_units"] = np.einsum("sgp,sp->sg", paying, setup.pop_price) + held_pay
    out["helped"] = paying[..., HELPED] + paying[..., HELPED_DOWNGRADED]
    out["downgraded"] = paying[..., DOWNGRADED] + paying[..., HELPED_DOWNGRADED]
    out["discount_units"] = (
        out["downgraded"] * (1.0 - lv.price_multiplier[:, DOWNGRADE, None])
        + out["held"]
        - held_pay
    )
    out["paused"] = held @ setup.slot_pause
    return out


class DunningMonth(NamedTuple):
    """A month of the dunning register (see :func:`_dunning`)."""

    recovered: Array  # by kind (stuck, payment problem), [N, G, J, 2]
    cut_off: Array  # at the end of grace, [N, G]
    messages: Array  # dunning messages sent, [N, G]
    register: Array  # next month's register, [N, G, J, 2, D]


def _dunning(setup: LeverSetup, draw: Draw, dun: Array, onset: Array) -> DunningMonth:
    """Recover late payers, cut off those at the end of grace, age the rest.

    This month's failed payments (``onset`` ``[N, G, J]``) enter the register's first
    month, split into stuck customers and payment problems.
    """
    if not setup.any_dunning:  # nobody is ever in dunning: skip the register
        none = np.zeros(onset.shape[:2])
        return DunningMonth(np.zeros((*dun.shape[:3], 2)), none, none, dun)
    rec = draw.thin(dun, setup.recover)
    remaining = dun - rec
    last = setup.last_month[:, None, None, None, :]
    cut = (remaining * last).sum(axis=(-2, -1))  # [N, G, J]
    messages = (dun * setup.in_grace[:, None, None, None, :]).sum(
        axis=(2, 3, 4)
    ) * setup.per_month[:, None]
    aged = remaining * (1.0 - last)
    nxt = np.concatenate([np.zeros_like(aged[..., :1]), aged[..., :-1]], axis=-1)
    stuck = draw.thin(onset, setup.lv.stuck_share[:, None, None])
    nxt[..., 0, 0] = onset - stuck
    nxt[..., 1, 0] = stuck
    return DunningMonth(rec.sum(axis=-1), cut.sum(axis=2), messages, nxt)


def lever_step(
    setup: LeverSetup,
    state: LeverState,
    hazards: Array,
    saved_shares: Array,
    draw: Draw = EXPECTED,
) -> dict[str, Array]:
    """One month of the stepped path for populations at a known tenure.

    Parameters
    ----------
    setup : LeverSetup
        The pack's constants (scenario axis ``S`` = rows, or 1 to broadcast).
    state : LeverState
        Populations at the start of the month; updated in place to the next month's.
    hazards : ndarray [N, G, K]
        Each row's hazards at its tenure this month.
    saved_shares : ndarray [N, G, K, O]
        Each row's saved shares of requests by offer at its tenure.
    draw : Draw
        Expected shares (:data:`simsrc.engine.draws.EXPECTED`) or random counts.

    Returns
    -------
    dict of str to ndarray
        This month's flows per row and segment: the names of :data:`COUNT_SERIES`
        (``[N, G]``), :data:`CAUSE_SERIES` (``[N, G, K]``) and ``saves`` (``[N, G, O]``).
    """
    lv = setup.lv
    pop, reg, dun = state.pop, state.reg, state.dun
    out = _at_start(setup, state)

    # paying populations: hazards, cancellation requests, failed payments
    base = hazards[:, :, None, :] * setup.zk[:, None, :, :]  # [N, G, J, K]
    requests, failed, left = _leave(draw, pop, base, setup.pop_mult, setup.vol)
    saves, joining, leave, reached, bad, out["requests"] = _save_team(
        draw, requests, saved_shares, setup.cov, lv.rude_share
    )
    out["saves"] = saves.sum(axis=2)
    out["reached"] = reached
    churned = leave + failed.sum(axis=2) * (1.0 - setup.dunning_on)
    onset = failed.sum(axis=-1) * setup.dunning_on  # [N, G, J]

    # holds: non-preventable causes only; the last month ends the offer
    if draw.random and setup.cov.shape[0] == 1:
        in_hold_churn, returns, lapsed, resumed, reg = _holds_in_place(
            setup, draw, reg, base, saves
        )
    else:
        in_hold_churn, returns, lapsed, resumed, reg = _holds(setup, draw, reg, base, saves)
    churned = churned + in_hold_churn
    out["lapsed"], out["resumed"] = lapsed, resumed

    # dunning: recover, cut off at the end of grace, age the rest
    recovered, cut_sum, out["dunning_messages"], dun = _dunning(setup, draw, dun, onset)
    if setup.any_dunning:
        churned[:, :, setup.invol_first] += cut_sum
        bad[:, :, setup.invol_first] += cut_sum * (1.0 - lv.help_first[:, None])

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
    state.pop[...], state.dun[...] = pop, dun
    if reg is not state.reg:  # random draws update the register in place
        state.reg[...] = reg
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


class HoldMonth(NamedTuple):
    """A month of the hold register (see :func:`_holds`)."""

    churned: Array  # leavers by cause while held, [N, G, K]
    returns: Array  # back to the paying population at the end of an offer, [N, G, J]
    lapsed: Array  # left at the end of an offer, [N, G]
    resumed: Array  # back after a pause, [N, G]
    register: Array  # next month's register, [N, G, J, M]


class SaveTeamMonth(NamedTuple):
    """What became of a month's cancellation requests (see :func:`_save_team`)."""

    saves: Array  # by offer, [N, G, J, O]
    joining: Array  # saved customers joining each paying population, [N, G, J, P]
    leave: Array  # leavers by cause, [N, G, K]
    reached: Array  # save-team contacts, [N, G]
    bad: Array  # badly handled exits by cause, [N, G, K]
    requests: Array  # requests by cause, [N, G, K]


def _holds(c: LeverSetup, draw: Draw, reg: Array, base: Array, saves: Array) -> HoldMonth:
    """A month of the hold register ``[N, G, J, M]`` (customers held by an offer).

    Non-preventable causes act on the held (``base`` ``[N, G, J, K]`` hazards); those in
    their offer's last month return or lapse; the rest move one month on; this month's
    ``saves`` ``[N, G, J, O]`` by hold offers enter.
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
    return HoldMonth(in_hold_churn, back.sum(axis=-1), lapsed, resumed, shifted)


def _holds_in_place(c: LeverSetup, draw: Draw, reg: Array, base: Array, saves: Array) -> HoldMonth:
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
    return HoldMonth(in_hold_churn, returns, lapsed, resumed, reg)


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
) -> SaveTeamMonth:
    """What becomes of this month's cancellation requests.

    Parameters are the requests ``[N, G, J·P, K]`` by heterogeneity class and paying
    population (the occupied :class:`Cells` for random counts), the saved share of
    requests by offer ``[N, G, K, O]``, coverage ``[N, 1, 1]`` and the rude share of
    refusals ``[N]``. Saved customers join the paying populations as :data:`SAVE_MOVES`
    says; badly handled exits are those never reached or refused rudely.
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
        return SaveTeamMonth(saves, joining, leave, (req_c * cov).sum(axis=-1), bad, req_c)
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
    return SaveTeamMonth(saves, joining, leave, reached, bad, req_c)


def lever_path(p: Packed, core: CohortPath) -> CohortPath:
    """The path with save team and dunning: customers move between states monthly.

    States per segment and heterogeneity class: four paying populations (normal;
    *helped* — expert help or help-first recovery, whose fixable causes' hazards are
    lower by the cure effect; *downgraded*, paying less; helped and downgraded, both at
    once — see :data:`SAVE_MOVES`), the hold offers as shift
    registers of remaining months (only non-preventable causes act during a hold; at
    its end ``stay_after`` return to normal, the rest lapse), and dunning as a register
    of months since the failed payment, by kind (stuck / payment problem). Each month
    is one step of the compiled kernel (:func:`simsrc.engine.kernel.step_rows`) for all
    classes of a segment. Scenarios of the pack without save team and dunning (a
    levers-off twin, say) keep the closed-form ``core`` path.
    """
    stepped = np.flatnonzero((p.levers.coverage > 0) | (p.levers.dunning > 0))
    if len(stepped) < p.n:
        out = {name: v.copy() for name, v in core.series.items()}
        part = lever_path(p.take(stepped), core.take(stepped))
        for name, v in part.series.items():
            out[name][stepped] = v
        return CohortPath(out)
    c = lever_setup(p, core)
    n_s, n_g = p.share.shape
    h, k = p.horizon, len(p.causes)
    counts = np.zeros((n_s, n_g, h, len(COUNT_SERIES)))
    causes = np.zeros((n_s, n_g, h, len(CAUSE_SERIES), k))
    offers = np.zeros((n_s, n_g, h, N_OFFERS))
    expected_path(
        _NO_DRAWS, kernel_levers(c), np.ascontiguousarray(c.hz), np.ascontiguousarray(c.zk),
        np.ascontiguousarray(p.w), np.ascontiguousarray(c.sf), counts, causes, offers,
    )  # fmt: skip
    out = {name: counts[..., i] for i, name in enumerate(COUNT_SERIES)}
    out.update({name: causes[..., i, :] for i, name in enumerate(CAUSE_SERIES)})
    out["saves"] = offers
    return CohortPath(out)


def kernel_levers(c: LeverSetup) -> Levers:
    """The setup's constants as the compiled kernel takes them (contiguous, typed)."""
    lv = c.lv
    n_s = lv.coverage.shape[0]

    def f(x: Array) -> Array:
        return np.ascontiguousarray(x, dtype=np.float64)

    def i(x: NDArray) -> NDArray[np.int64]:
        return np.ascontiguousarray(x, dtype=np.int64)

    return Levers(
        pop_mult=f(c.pop_mult), pop_price=f(c.pop_price), vol=f(c.vol.reshape(n_s, -1)),
        nonprev=f(c.nonprev.reshape(n_s, -1)), cov=f(c.cov.reshape(n_s)),
        rude=f(lv.rude_share), cost_per_save=f(lv.cost_per_save),
        cost_per_contact=f(lv.cost_per_contact), down_mult=f(lv.price_multiplier[:, DOWNGRADE]),
        help_first=f(lv.help_first), slot_price=f(c.slot_price), entry_slot=i(c.entry_slot),
        stay=f(c.stay), dunning_on=f(c.dunning_on.reshape(n_s)),
        recover=f(c.recover.reshape(n_s, 2, -1)), last_month=f(c.last_month),
        in_grace=f(c.in_grace), per_month=f(c.per_month), stuck_share=f(lv.stuck_share),
        slot_pause=f(c.slot_pause), keep_shift=np.ascontiguousarray(c.keep_shift, dtype=np.bool_),
        end_slots=i(c.end_slots), hold_offers=i(c.hold_offers),
        pause_block=HOLD_OFFERS.index("pause"), any_dunning=c.any_dunning,
        invol_first=c.invol_first,
    )  # fmt: skip


_NO_DRAWS = np.random.default_rng(0)
"""Types the kernel's generator argument; expected values never draw from it."""
