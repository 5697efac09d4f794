"""The month of the stepped path, compiled: groups of customers at their tenure.

:func:`step_rows` is the whole month of the save team, the hold offers and dunning for
groups of customers (a scenario's segment and heterogeneity classes, or the classes of
one cohort of a random run): the states are tiny (four paying populations, a register of
months left on an offer, a register of months of grace) and the month is a chain of
small, dependent splits. Written as numpy calls it cost a few dozen array operations per
month whatever the size, which is why the path ran 15–30 times slower than the
closed-form core; compiled, it costs the arithmetic it does. :func:`expected_path` steps
the unit cohort of every scenario, :func:`random_runs` every cohort of random runs, and
:func:`class_sums` is the closed-form core path's pass over classes.

The same code gives expected values and random counts: the draws of
:mod:`simsrc.engine.draws` give the expected share with ``random`` false, a binomial or
multinomial count with ``random`` true, so random runs and expected values cannot drift
apart. numba compiles on first use and caches the machine code beside the source, so
later processes load it in a fraction of a second.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simsrc.engine.arrivals import Feedback, arrivals
from simsrc.engine.draws import compiled, split, thin
from simsrc.engine.pack import (
    DOWNGRADE,
    DOWNGRADED,
    HELP,
    HELPED,
    HELPED_DOWNGRADED,
    N_POPS,
    NORMAL,
)

__all__ = [
    "CAUSE_SERIES",
    "COUNT_SERIES",
    "OFFER_SERIES",
    "Levers",
    "RandomInputs",
    "class_sums",
    "expected_path",
    "random_runs",
    "step_rows",
]

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

# Column of each series in the kernel's output arrays (compile-time constants).
_C = {name: i for i, name in enumerate(COUNT_SERIES)}
PRESENT, ACTIVE, REVENUE_UNITS = _C["present"], _C["active"], _C["revenue_units"]
DISCOUNT_UNITS, OFFER_CASH, REACHED = _C["discount_units"], _C["offer_cash"], _C["reached"]
HELD, PAUSED, RESUMED, DELINQUENT = _C["held"], _C["paused"], _C["resumed"], _C["delinquent"]
ONSETS, RECOVERED, CUT_OFF = _C["onsets"], _C["recovered"], _C["cut_off"]
MESSAGES, HELPED_N, DOWNGRADED_N = _C["dunning_messages"], _C["helped"], _C["downgraded"]
LAPSED, BAD_EXITS = _C["lapsed"], _C["bad_exits"]
CHURNED, REQUESTS, BAD = (CAUSE_SERIES.index(n) for n in ("churned", "requests", "bad"))


# Scratch of :func:`step_rows`, per group ``r``: ``work[r, ROW, :]``.
PROBS, MOVED, FAILED, SAVED_BY, SAVE_PROBS, SAVES, JOINING, ASKING, TALLY = range(9)
# Columns of ``work[r, TALLY]``: what a group's stages of the month hand on.
LIVE, PAYING, HELD_NOW, IN_DUNNING, RETURNS, BACK_PAYING, BACK_STUCK, ONSET = range(8)


@compiled(inline=True)
def _scratch(rows: int, width: int) -> np.ndarray:
    """Scratch space for :func:`step_rows` on ``rows`` groups, ``width`` ≥ causes, offers + 1."""
    return np.zeros((rows, TALLY + 1, max(width, N_POPS, ONSET + 1)))


@compiled(inline=True)
def _save_team(
    rng: np.random.Generator,
    random: bool,
    asking: float,
    k: int,
    fracs: np.ndarray,
    t: int,
    cov: float,
    rude: float,
    work: np.ndarray,
    r: int,
    causes: np.ndarray,
) -> float:
    """What becomes of group ``r``'s ``asking`` requests for cause ``k``; returns the reached.

    Saved by each offer (into ``work[r, SAVED_BY, :O]`` and added to ``work[r, SAVES]``),
    reached but refused (``work[r, SAVED_BY, O]``; a ``rude`` share of them badly), or
    not reached: refusals and the unreached leave, the unreached and the rudely refused
    are badly handled exits. ``fracs[t, k]`` are the saved shares by offer at tenure ``t``.
    """
    n_o = fracs.shape[2]
    causes[REQUESTS, k] += asking
    share = 0.0
    for o in range(n_o):
        work[r, SAVE_PROBS, o] = fracs[t, k, o]
        share += fracs[t, k, o]
    work[r, SAVE_PROBS, n_o] = max(cov - share, 0.0)
    split(rng, random, asking, work, r, SAVE_PROBS, SAVED_BY, n_o + 1)
    kept = 0.0
    for o in range(n_o):
        kept += work[r, SAVED_BY, o]
        work[r, SAVES, o] += work[r, SAVED_BY, o]
    refused = work[r, SAVED_BY, n_o]
    if random:
        not_reached = asking - kept - refused
    else:  # exactly zero with full coverage, whatever the rounding of the shares
        not_reached = asking * (1.0 - max(cov, share))
    causes[CHURNED, k] += refused + not_reached
    causes[BAD, k] += not_reached + thin(rng, random, refused, rude)
    return asking - not_reached


class Levers(NamedTuple):
    """The stepped path's constants: per scenario (leading axis ``S``) or shared.

    Built by :func:`simsrc.engine.stepped.kernel_levers` from a
    :class:`~simsrc.engine.stepped.LeverSetup`; a tuple of arrays so that compiled code
    can take it as one argument.
    """

    pop_mult: np.ndarray  # [S, P, K] hazard multipliers of the paying populations
    pop_price: np.ndarray  # [S, P] their price multipliers
    vol: np.ndarray  # [S, K] 1 for voluntary causes
    nonprev: np.ndarray  # [S, K] 1 for causes acting during a hold
    cov: np.ndarray  # [S] save-team coverage
    rude: np.ndarray  # [S] rude share of refusals
    cost_per_save: np.ndarray  # [S, O]
    cost_per_contact: np.ndarray  # [S]
    down_mult: np.ndarray  # [S] price multiplier of a downgrade
    help_first: np.ndarray  # [S] 1 for help-first dunning
    slot_price: np.ndarray  # [S, M] price multiplier of each slot of the hold register
    entry_slot: np.ndarray  # [S, 4] slot a new save of each hold offer enters
    stay: np.ndarray  # [S, 4] share back to paying at the end of each hold offer
    dunning_on: np.ndarray  # [S]
    recover: np.ndarray  # [S, 2, D] recovery chance by kind and month of grace
    last_month: np.ndarray  # [S, D] 1 in the last month of grace
    in_grace: np.ndarray  # [S, D]
    per_month: np.ndarray  # [S] dunning messages per month of grace
    stuck_share: np.ndarray  # [S]
    slot_pause: np.ndarray  # [M] 1 for the pause offer's slots
    keep_shift: np.ndarray  # [M] slot m takes slot m + 1's customers next month
    end_slots: np.ndarray  # [4] slot of each hold offer's last month
    hold_offers: np.ndarray  # [4] offer index of each hold block
    pause_block: int  # block of the pause offer
    any_dunning: bool  # some scenario has dunning (else its register stays empty)
    invol_first: int  # the cause dunning cut-offs count under


@compiled(inline=True)
def _at_start(
    s: int,
    lv: Levers,
    pops: np.ndarray,
    regs: np.ndarray,
    duns: np.ndarray,
    sizes: np.ndarray,
    counts: np.ndarray,
    work: np.ndarray,
) -> None:
    """Count who is there at the start of the month and what they pay, group by group.

    Leaves each group's customers paying, held by an offer and in dunning in
    ``work[r, TALLY]``; groups of size zero stay empty (``LIVE`` zero).
    """
    for r in range(pops.shape[0]):
        work[r, TALLY, LIVE] = sizes[r]
        if sizes[r] <= 0.0:
            continue
        held = 0.0
        held_pay = 0.0
        paused = 0.0
        for m in range(regs.shape[1]):
            held += regs[r, m]
            held_pay += regs[r, m] * lv.slot_price[s, m]
            paused += regs[r, m] * lv.slot_pause[m]
        delinquent = 0.0
        for q in range(2):
            for d in range(duns.shape[2]):
                delinquent += duns[r, q, d]
        paying = 0.0
        revenue = held_pay
        for q in range(N_POPS):
            paying += pops[r, q]
            revenue += pops[r, q] * lv.pop_price[s, q]
        work[r, TALLY, PAYING] = paying
        work[r, TALLY, HELD_NOW] = held
        work[r, TALLY, IN_DUNNING] = delinquent
        downgraded = pops[r, DOWNGRADED] + pops[r, HELPED_DOWNGRADED]
        counts[PRESENT] += paying + held + delinquent
        counts[REVENUE_UNITS] += revenue
        counts[HELD] += held
        counts[PAUSED] += paused
        counts[DELINQUENT] += delinquent
        counts[HELPED_N] += pops[r, HELPED] + pops[r, HELPED_DOWNGRADED]
        counts[DOWNGRADED_N] += downgraded
        counts[DISCOUNT_UNITS] += downgraded * (1.0 - lv.down_mult[s]) + held - held_pay


@compiled(inline=True)
def _leaving(
    rng: np.random.Generator,
    random: bool,
    s: int,
    pop_mult: np.ndarray,
    pops: np.ndarray,
    hzs: np.ndarray,
    r: int,
    q: int,
    work: np.ndarray,
) -> None:
    """Who of group ``r``'s paying population ``q`` leaves, by cause, into ``work[r, MOVED]``.

    Takes the one lever array it needs, not :class:`Levers`: it runs per group, and each
    array an inlined helper takes costs an atomic reference count per call.
    """
    n_k = hzs.shape[1]
    total = 0.0
    for k in range(n_k):
        work[r, PROBS, k] = hzs[r, k] * pop_mult[s, q, k]
        total += work[r, PROBS, k]
    if total > 1.0:
        for k in range(n_k):
            work[r, PROBS, k] /= total
        total = 1.0
    if not random:
        for k in range(n_k):
            work[r, MOVED, k] = pops[r, q] * work[r, PROBS, k]
        return
    leaving = thin(rng, True, pops[r, q], total)  # who leaves at all, then their causes
    if leaving <= 0.0:
        for k in range(n_k):
            work[r, MOVED, k] = 0.0
        return
    for k in range(n_k):
        work[r, PROBS, k] /= total
    split(rng, True, leaving, work, r, PROBS, MOVED, n_k)


@compiled(inline=True)
def _requests(
    rng: np.random.Generator,
    random: bool,
    s: int,
    lv: Levers,
    pops: np.ndarray,
    hzs: np.ndarray,
    fracs: np.ndarray,
    tau: np.ndarray,
    work: np.ndarray,
    counts: np.ndarray,
    causes: np.ndarray,
    offers: np.ndarray,
) -> None:
    """Paying customers who leave: requests through the save team, failed payments.

    For each group ``r`` (at tenure ``tau[r]``) leaves ``work[r, FAILED]`` (failed
    payments by cause), ``work[r, SAVES]`` (saves by offer) and ``work[r, JOINING]``
    (saved customers joining each paying population), and adds the requests reached,
    the saves and their cost.
    """
    n_k, n_o = hzs.shape[1], fracs.shape[2]
    for r in range(pops.shape[0]):
        if work[r, TALLY, LIVE] <= 0.0:
            continue
        for k in range(n_k):
            work[r, FAILED, k] = 0.0
            work[r, ASKING, k] = 0.0
        for o in range(n_o):
            work[r, SAVES, o] = 0.0
        for q in range(N_POPS):
            work[r, JOINING, q] = 0.0
        t = tau[r]
        reached = 0.0
        for q in range(N_POPS):
            if pops[r, q] <= 0.0:
                continue
            _leaving(rng, random, s, lv.pop_mult, pops, hzs, r, q, work)
            for k in range(n_k):  # random: whoever the split left unplaced stays
                pops[r, q] -= work[r, MOVED, k]
            for k in range(n_k):
                asking = work[r, MOVED, k] * lv.vol[s, k]
                work[r, FAILED, k] += work[r, MOVED, k] - asking
                if asking <= 0.0:
                    continue
                if random:  # whole customers: each population's requests on their own
                    reached += _save_team(
                        rng, True, asking, k, fracs, t, lv.cov[s], lv.rude[s], work, r, causes
                    )
                    work[r, JOINING, q | HELPED] += work[r, SAVED_BY, HELP]
                    work[r, JOINING, q | DOWNGRADED] += work[r, SAVED_BY, DOWNGRADE]
                else:  # shares: the populations' requests are summed first
                    work[r, ASKING, k] += asking
                    work[r, JOINING, q | HELPED] += asking * fracs[t, k, HELP]
                    work[r, JOINING, q | DOWNGRADED] += asking * fracs[t, k, DOWNGRADE]
        if not random:
            for k in range(n_k):
                if work[r, ASKING, k] > 0.0:
                    reached += _save_team(
                        rng, False, work[r, ASKING, k], k, fracs, t, lv.cov[s], lv.rude[s],
                        work, r, causes,
                    )  # fmt: skip
        counts[REACHED] += reached
        cash = reached * lv.cost_per_contact[s]
        for o in range(n_o):
            offers[o] += work[r, SAVES, o]
            cash += work[r, SAVES, o] * lv.cost_per_save[s, o]
        counts[OFFER_CASH] += cash


@compiled(inline=True)
def _holds(
    rng: np.random.Generator,
    random: bool,
    s: int,
    lv: Levers,
    regs: np.ndarray,
    hzs: np.ndarray,
    work: np.ndarray,
    counts: np.ndarray,
    causes: np.ndarray,
) -> None:
    """A month of the hold register, group by group: who goes back to paying.

    Non-preventable causes act on the held; those in their offer's last month return
    (``stay``, into ``work[r, TALLY, RETURNS]``) or lapse; the rest move a month on;
    this month's saves by hold offers (``work[r, SAVES]``) enter. Updates
    ``work[r, TALLY, HELD_NOW]`` to the held after the month.
    """
    n_k, n_m = hzs.shape[1], regs.shape[1]
    for r in range(regs.shape[0]):
        if work[r, TALLY, LIVE] <= 0.0:
            continue
        work[r, TALLY, RETURNS] = 0.0
        held = work[r, TALLY, HELD_NOW]
        entering = 0.0
        for i in range(lv.hold_offers.shape[0]):
            entering += work[r, SAVES, lv.hold_offers[i]]
        if held <= 0.0 and entering <= 0.0:
            continue  # the register is empty and stays so
        total = 0.0
        for k in range(n_k):
            work[r, PROBS, k] = hzs[r, k] * lv.nonprev[s, k]
            total += work[r, PROBS, k]
        if total > 1.0:
            for k in range(n_k):
                work[r, PROBS, k] /= total
            total = 1.0
        if held > 0.0 and total > 0.0:
            if random:
                for m in range(n_m):
                    if regs[r, m] <= 0.0:
                        continue
                    split(rng, True, regs[r, m], work, r, PROBS, MOVED, n_k)
                    for k in range(n_k):
                        causes[CHURNED, k] += work[r, MOVED, k]
                        regs[r, m] -= work[r, MOVED, k]
            else:
                for k in range(n_k):
                    causes[CHURNED, k] += held * work[r, PROBS, k]
                for m in range(n_m):
                    regs[r, m] *= 1.0 - total
        returns = 0.0
        lapsed = 0.0
        for i in range(lv.end_slots.shape[0]):
            ending = regs[r, lv.end_slots[i]]
            back = thin(rng, random, ending, lv.stay[s, i])
            returns += back
            lapsed += ending - back
            if i == lv.pause_block:
                counts[RESUMED] += back
        counts[LAPSED] += lapsed
        for m in range(n_m - 1):
            regs[r, m] = regs[r, m + 1] if lv.keep_shift[m] else 0.0
        regs[r, n_m - 1] = 0.0
        for i in range(lv.entry_slot.shape[1]):
            regs[r, lv.entry_slot[s, i]] += work[r, SAVES, lv.hold_offers[i]]
        held = 0.0
        for m in range(n_m):
            held += regs[r, m]
        work[r, TALLY, RETURNS] = returns
        work[r, TALLY, HELD_NOW] = held


@compiled(inline=True)
def _dunning(
    rng: np.random.Generator,
    random: bool,
    s: int,
    lv: Levers,
    duns: np.ndarray,
    work: np.ndarray,
    counts: np.ndarray,
    causes: np.ndarray,
) -> None:
    """Recover late payers, cut off those at the end of grace, age the rest, by group.

    This month's failed payments (``work[r, TALLY, ONSET]``) enter the register's first
    month, split into stuck customers and payment problems. Leaves the recovered by kind
    (``BACK_PAYING``, ``BACK_STUCK``) and the customers left in dunning (``IN_DUNNING``)
    in ``work[r, TALLY]``.
    """
    n_d = duns.shape[2]
    for r in range(duns.shape[0]):
        if work[r, TALLY, LIVE] <= 0.0:
            continue
        work[r, TALLY, BACK_PAYING] = work[r, TALLY, BACK_STUCK] = 0.0
        onset = work[r, TALLY, ONSET]
        if not lv.any_dunning or (onset <= 0.0 and work[r, TALLY, IN_DUNNING] <= 0.0):
            continue
        cut = 0.0
        messages = 0.0
        left = 0.0
        for q in range(2):
            for d in range(n_d):
                messages += duns[r, q, d] * lv.in_grace[s, d]
                back = thin(rng, random, duns[r, q, d], lv.recover[s, q, d])
                work[r, TALLY, BACK_PAYING + q] += back
                duns[r, q, d] -= back
                if lv.last_month[s, d] > 0.0:
                    cut += duns[r, q, d]
                    duns[r, q, d] = 0.0
            for d in range(n_d - 1, 0, -1):
                duns[r, q, d] = duns[r, q, d - 1]
                left += duns[r, q, d]
        stuck = thin(rng, random, onset, lv.stuck_share[s])
        duns[r, 0, 0] = onset - stuck
        duns[r, 1, 0] = stuck
        work[r, TALLY, IN_DUNNING] = left + onset
        counts[MESSAGES] += messages * lv.per_month[s]
        counts[RECOVERED] += work[r, TALLY, BACK_PAYING] + work[r, TALLY, BACK_STUCK]
        counts[CUT_OFF] += cut
        causes[CHURNED, lv.invol_first] += cut
        causes[BAD, lv.invol_first] += cut * (1.0 - lv.help_first[s])


@compiled()
def step_rows(
    rng: np.random.Generator,
    random: bool,
    s: int,
    lv: Levers,
    pops: np.ndarray,
    regs: np.ndarray,
    duns: np.ndarray,
    sizes: np.ndarray,
    hzs: np.ndarray,
    fracs: np.ndarray,
    tau: np.ndarray,
    counts: np.ndarray,
    causes: np.ndarray,
    offers: np.ndarray,
    work: np.ndarray,
) -> None:
    """One month of some groups of scenario ``s``: add their flows, update their states.

    Row ``r`` is a group of customers (a segment's heterogeneity class, of one cohort
    in random runs) at tenure ``tau[r]``: its paying populations ``pops[r]`` ``[P]``,
    hold register ``regs[r]`` ``[M]`` and dunning register ``duns[r]`` ``[2, D]`` at the
    start of the month are updated in place, and its size ``sizes[r]`` (zero: the group
    is empty, and stays so); ``hzs[r]`` ``[K]`` are its hazards this
    month and ``fracs[tau[r]]`` ``[K, O]`` its saved shares of requests by offer.
    ``counts`` ``[C]`` (the columns of :data:`COUNT_SERIES`),
    ``causes`` ``[3, K]`` (:data:`CAUSE_SERIES`) and ``offers``
    ``[O]`` receive the rows' flows, summed. ``work`` is scratch space
    (:func:`_scratch`). The month's stages, each over every group: who is there and what
    they pay; requests and failed payments through the save team; the hold register;
    dunning; the next month's states. (Each stage is one inlined loop over the groups:
    every array a helper takes is reference-counted with an atomic add per call, which
    per group cost as much as the month's arithmetic.)
    """
    n_k = hzs.shape[1]
    _at_start(s, lv, pops, regs, duns, sizes, counts, work)
    _requests(rng, random, s, lv, pops, hzs, fracs, tau, work, counts, causes, offers)
    for r in range(pops.shape[0]):
        if work[r, TALLY, LIVE] <= 0.0:
            continue
        onset = 0.0
        for k in range(n_k):
            if lv.dunning_on[s] > 0.0:
                onset += work[r, FAILED, k]
            else:
                causes[CHURNED, k] += work[r, FAILED, k]
        work[r, TALLY, ONSET] = onset
        counts[ONSETS] += onset
    _holds(rng, random, s, lv, regs, hzs, work, counts, causes)
    _dunning(rng, random, s, lv, duns, work, counts, causes)
    help_first = lv.help_first[s]
    for r in range(pops.shape[0]):  # next month's paying populations
        if work[r, TALLY, LIVE] <= 0.0:
            continue  # nobody at the start of the month: nobody now
        stuck = work[r, TALLY, BACK_STUCK]
        for q in range(N_POPS):
            pops[r, q] += work[r, JOINING, q]
        pops[r, NORMAL] += (
            work[r, TALLY, RETURNS] + work[r, TALLY, BACK_PAYING] + stuck * (1.0 - help_first)
        )
        pops[r, HELPED] += stuck * help_first
        paying = 0.0
        for q in range(N_POPS):
            paying += pops[r, q]
        sizes[r] = paying + work[r, TALLY, HELD_NOW] + work[r, TALLY, IN_DUNNING]
        counts[ACTIVE] += sizes[r]
    bad = 0.0
    for k in range(n_k):
        bad += causes[BAD, k]
    counts[BAD_EXITS] = bad  # causes[BAD] holds every row of this output cell


@compiled()
def expected_path(
    rng: np.random.Generator,
    lv: Levers,
    hz: np.ndarray,
    zk: np.ndarray,
    w: np.ndarray,
    sf: np.ndarray,
    counts: np.ndarray,
    causes: np.ndarray,
    offers: np.ndarray,
) -> None:
    """The unit cohort of every scenario, segment and class, stepped over tenure.

    Shapes: ``hz`` ``[S, G, H, K]`` hazards by tenure, ``zk`` ``[S, G, J, K]`` class
    multipliers, ``w`` ``[S, G, J]`` class weights, ``sf`` ``[S, G, H, K, O]`` saved shares;
    the outputs ``counts`` ``[S, G, H, C]``, ``causes`` ``[S, G, H, 3, K]`` and
    ``offers`` ``[S, G, H, O]`` start at zero. ``rng`` is never drawn from (expected
    values), only typed.
    """
    n_s, n_g, n_h, n_k = hz.shape
    n_j = zk.shape[2]
    n_o = sf.shape[4]
    pop = np.zeros((n_j, N_POPS))
    size = np.zeros(n_j)
    reg = np.zeros((n_j, lv.slot_pause.shape[0]))
    dun = np.zeros((n_j, 2, lv.recover.shape[2]))
    work = _scratch(n_j, max(n_k, n_o + 1))
    rows_hz = np.zeros((n_j, n_k))
    tau = np.zeros(n_j, dtype=np.int64)
    for s in range(n_s):
        for g in range(n_g):
            pop[:] = 0.0
            pop[:, NORMAL] = w[s, g]
            size[:] = w[s, g]
            reg[:] = 0.0
            dun[:] = 0.0
            for t in range(n_h):
                tau[:] = t
                for j in range(n_j):
                    for k in range(n_k):
                        rows_hz[j, k] = hz[s, g, t, k] * zk[s, g, j, k]
                step_rows(
                    rng, False, s, lv, pop, reg, dun, size, rows_hz, sf[s, g], tau,
                    counts[s, g, t], causes[s, g, t], offers[s, g, t], work,
                )  # fmt: skip


class RandomInputs(NamedTuple):
    """What one scenario's stepped random runs need beyond :class:`Levers` (``S = 1``)."""

    hzj: np.ndarray  # [G, H, J, K] hazards by segment, tenure and class
    sf: np.ndarray  # [G, H, K, O] saved shares of requests by offer
    w: np.ndarray  # [G, J] class weights by segment, each row summing to 1


@compiled()
def random_runs(
    rng: np.random.Generator,
    lv: Levers,
    x: RandomInputs,
    f: Feedback,
    counts: np.ndarray,
    causes: np.ndarray,
    offers: np.ndarray,
    inflow: np.ndarray,
) -> None:
    """Random runs of one scenario: every cohort's groups stepped month by month.

    Month by month: new customers by segment are drawn (:func:`arrivals`), split over
    heterogeneity classes (multinomial), and every cohort so far steps one month
    (:func:`step_rows`, random). Fills, per run ``b``, cohort ``c``, segment ``g`` and
    tenure ``τ``: ``counts`` ``[B, H, G, H, C]``, ``causes`` ``[B, H, G, H, 3, K]`` and
    ``offers`` ``[B, H, G, H, O]`` (cells with ``c + τ`` past the horizon stay zero);
    and ``inflow`` ``[B, G, H, 4]`` (paid, referred, won back, lost to word of mouth).
    """
    n_b, n_h, n_g = counts.shape[0], counts.shape[1], counts.shape[2]
    n_j, n_k = x.hzj.shape[2], x.hzj.shape[3]
    n_o = x.sf.shape[3]
    pop = np.zeros((n_h, n_g, n_j, N_POPS))
    size = np.zeros((n_h, n_g, n_j))
    reg = np.zeros((n_h, n_g, n_j, lv.slot_pause.shape[0]))
    dun = np.zeros((n_h, n_g, n_j, 2, lv.recover.shape[2]))
    work = _scratch(n_j, max(n_k, n_o + 1, n_j))
    tau_rows = np.zeros(n_j, dtype=np.int64)
    active = np.zeros(n_h)
    bad_exits = np.zeros(n_h)
    good = np.zeros((n_h, n_g, n_k))
    bad = np.zeros((n_h, n_g, n_k))
    lapsed = np.zeros((n_h, n_g))
    none = np.zeros(n_k)
    for b in range(n_b):
        pop[:] = 0.0
        size[:] = 0.0
        reg[:] = 0.0
        dun[:] = 0.0
        active[:] = 0.0
        bad_exits[:] = 0.0
        good[:] = 0.0
        bad[:] = 0.0
        lapsed[:] = 0.0
        for t in range(n_h):
            prev = max(t - 1, 0)  # month 0 reads the (empty) month 0
            m = t - f.delay[0]
            for g in range(n_g):
                new = arrivals(
                    rng, True, f, 0, t, g, active[prev], bad_exits[prev],
                    good[m, g] if m >= 0 else none, bad[m, g] if m >= 0 else none,
                    lapsed[m, g] if m >= 0 else 0.0, inflow[b, g, t],
                )  # fmt: skip
                for j in range(n_j):
                    work[0, PROBS, j] = x.w[g, j]
                split(rng, True, new, work, 0, PROBS, MOVED, n_j)
                for j in range(n_j):
                    pop[t, g, j, NORMAL] = size[t, g, j] = work[0, MOVED, j]
            for c in range(t + 1):
                tau = t - c
                tau_rows[:] = tau
                for g in range(n_g):
                    out, by_cause = counts[b, c, g, tau], causes[b, c, g, tau]
                    step_rows(
                        rng, True, 0, lv, pop[c, g], reg[c, g], dun[c, g], size[c, g],
                        x.hzj[g, tau],
                        x.sf[g], tau_rows, out, by_cause, offers[b, c, g, tau], work,
                    )  # fmt: skip
                    active[t] += out[ACTIVE]
                    bad_exits[t] += out[BAD_EXITS]
                    lapsed[t, g] += out[LAPSED]
                    for k in range(n_k):
                        good[t, g, k] += by_cause[CHURNED, k] - by_cause[BAD, k]
                        bad[t, g, k] += by_cause[BAD, k]


@compiled()
def class_sums(
    h_het: np.ndarray,
    h_other: np.ndarray,
    z: np.ndarray,
    w: np.ndarray,
    present: np.ndarray,
    z_sum: np.ndarray,
    plain_sum: np.ndarray,
) -> None:
    """The closed-form core path's sums over heterogeneity classes, in one pass.

    Class ``j`` of scenario ``s``, segment ``g`` has total hazard ``T = z_j H(τ) + N(τ)``
    (``h_het``, ``h_other`` ``[S, G, H]``; ``z``, ``w`` ``[S, G, J]``) and survives as the
    product of ``1 − min(T, 1)``. Adds ``Σ_j S_j`` (present), ``Σ_j S_j z_j / max(T, 1)``
    and ``Σ_j S_j / max(T, 1)`` into the ``[S, G, H]`` outputs — what numpy would do in
    several passes over ``[S, G, J, H]`` temporaries.
    """
    n_s, n_g, n_h = h_het.shape
    n_j = z.shape[2]
    surv = np.zeros(n_j)
    for s in range(n_s):
        for g in range(n_g):
            zs = z[s, g]
            surv[:] = w[s, g]
            for t in range(n_h):  # classes innermost: independent, so they vectorise
                het, other = h_het[s, g, t], h_other[s, g, t]
                alive, by_z, plain = 0.0, 0.0, 0.0
                for j in range(n_j):
                    total = zs[j] * het + other
                    scale = surv[j] / max(total, 1.0)
                    alive += surv[j]
                    by_z += scale * zs[j]
                    plain += scale
                    surv[j] *= 1.0 - min(total, 1.0)
                present[s, g, t] += alive
                z_sum[s, g, t] += by_z
                plain_sum[s, g, t] += plain
