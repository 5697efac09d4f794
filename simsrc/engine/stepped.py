"""The path with save team and dunning, stepped month by month.

Customers move between states (normal, helped, downgraded or both, held by an offer, in
dunning); each month is one step of the compiled kernel
(:func:`simsrc.engine.kernel.step_rows`) for the unit cohort of every scenario, segment
and heterogeneity class (:func:`lever_path`), or for every cohort of a random run
(:func:`simsrc.engine.kernel.random_runs`). This module sets up the kernel's constants.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.core import CohortPath, individual_hazards
from simsrc.engine.draws import NO_DRAWS, floats
from simsrc.engine.kernel import CAUSE_SERIES, COUNT_SERIES, Levers, RandomInputs, expected_path
from simsrc.engine.pack import (
    DOWNGRADE,
    HOLD_INDEX,
    N_OFFERS,
    Packed,
)
from simsrc.engine.worth import save_fractions
from simsrc.model.levers import HOLD_OFFERS

Array = NDArray[np.float64]


class LeverSetup(NamedTuple):
    """What the stepped path needs that does not change from month to month."""

    levers: Levers  # the kernel's constants, per scenario
    hz: Array  # [S, G, H, K] hazards by tenure
    zk: Array  # [S, G, J, K] class multipliers per cause
    sf: Array  # [S, G, H, K, O] saved share of requests by offer


def lever_setup(p: Packed, core: CohortPath) -> LeverSetup:
    """Precompute the stepped path's constants for a pack (see :class:`LeverSetup`).

    The hold offers share one register of remaining months, offer by offer in blocks;
    dunning is a register of months of grace by kind (payment problem, stuck), whose
    recovery chance per month follows from the messages sent and how many are read.
    """
    lv = p.levers
    n_s = p.share.shape[0]
    hz, _ = individual_hazards(p)  # [S, G, H, K]
    cure = 1.0 - lv.cure_effect[:, None] * p.fixable  # [S, K]
    hold_len = [int(lv.months[:, o].max(initial=1)) for o in HOLD_INDEX]
    start = np.concatenate([[0], np.cumsum(hold_len)[:-1]]).astype(np.int64)
    block = np.repeat(np.arange(len(HOLD_INDEX)), hold_len)  # offer block of each slot
    entry_slot = np.stack(  # months − 1 left on entry
        [start[i] + lv.months[:, o].astype(int) - 1 for i, o in enumerate(HOLD_INDEX)], axis=1
    )
    grace = lv.grace_months.astype(int)
    month_of = np.arange(int(grace.max(initial=1)))[None, :]
    per_month = lv.messages / np.maximum(grace, 1)  # messages per month of grace
    miss_payment = (1.0 - lv.dunning_reach * lv.recover_payment) ** per_month  # [S]
    miss_stuck = (1.0 - lv.dunning_reach * lv.recover_stuck) ** per_month
    recover = np.zeros((n_s, 2, month_of.shape[1]))
    recover[:, 0, :] = 1.0 - miss_payment[:, None]
    recover[:, 0, 0] = 1.0 - (1.0 - lv.retry_recovery) * miss_payment
    recover[:, 1, :] = 1.0 - miss_stuck[:, None]
    invol = 1.0 - p.voluntary
    cheaper = lv.price_multiplier[:, DOWNGRADE]
    ones = np.ones(n_s)
    levers = Levers(
        pop_mult=floats(np.stack([np.ones_like(cure), cure, np.ones_like(cure), cure], axis=1)),
        pop_price=floats(np.stack([ones, ones, cheaper, cheaper], axis=1)),
        vol=floats(p.voluntary),
        nonprev=floats(1.0 - p.preventable),
        cov=floats(lv.coverage),
        rude=floats(lv.rude_share),
        cost_per_save=floats(lv.cost_per_save),
        cost_per_contact=floats(lv.cost_per_contact),
        down_mult=floats(cheaper),
        help_first=floats(lv.help_first),
        slot_price=floats(lv.price_multiplier[:, np.array(HOLD_INDEX)[block]]),
        entry_slot=np.ascontiguousarray(entry_slot, dtype=np.int64),
        stay=floats(lv.stay_after[:, HOLD_INDEX]),
        dunning_on=floats(lv.dunning),
        recover=floats(recover),
        last_month=floats(month_of == (grace - 1)[:, None]),
        in_grace=floats(month_of < grace[:, None]),
        per_month=floats(per_month),
        stuck_share=floats(lv.stuck_share),
        slot_pause=floats(block == HOLD_OFFERS.index("pause")),
        keep_shift=np.append(block[1:], -1) == block,  # slot m + 1 is of the same offer
        end_slots=start,  # one month left: the offer ends this month
        hold_offers=np.array(HOLD_INDEX, dtype=np.int64),
        pause_block=HOLD_OFFERS.index("pause"),
        any_dunning=bool(lv.dunning.any()),
        invol_first=int(np.argmax(invol[0])) if invol.any() else 0,
    )
    zk = np.where(p.heterogeneous[:, None, None, :] > 0, p.z[..., None], 1.0)
    return LeverSetup(levers, floats(hz), floats(zk), floats(save_fractions(p, core)))


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
    expected_path(NO_DRAWS, c.levers, c.hz, c.zk, floats(p.w), c.sf, counts, causes, offers)
    out = {name: counts[..., i] for i, name in enumerate(COUNT_SERIES)}
    out.update({name: causes[..., i, :] for i, name in enumerate(CAUSE_SERIES)})
    out["saves"] = offers
    return CohortPath(out)


def random_inputs(p: Packed, c: LeverSetup) -> RandomInputs:
    """A one-scenario pack's hazards by class and saved shares as random runs take them."""
    return RandomInputs(
        hzj=floats(c.hz[0][:, :, None, :] * c.zk[0][:, None, :, :]),
        sf=floats(c.sf[0]),
        w=floats(p.w[0] / p.w[0].sum(axis=-1, keepdims=True)),
    )
