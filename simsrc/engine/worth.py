"""What a customer is worth, and the save offers that worth allows.

One number values a customer everywhere: the margin they will still bring, net of what
keeping them costs per customer (offers, messages, programs), each month discounted,
followed :data:`~simsrc.engine.pack.VALUATION_MONTHS` past the horizon and then as a
geometric tail (:func:`worth`). The valuation of the customer base
(:mod:`simsrc.results.valuation`) takes it on the path with every lever in place; value
targeting (``save_team.value_threshold``, :func:`save_fractions`) takes it on the path
without save team and dunning — what the customer is worth if the team does nothing, so
the judgement does not depend on itself — so "be sparing with offers" weighs a customer
at exactly what the valuation of that scenario without save team and dunning says.
Win-back belongs to neither: its messages go to leavers and its returns are new
customers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.core import CohortPath, core_path
from simsrc.engine.money import money_kernels
from simsrc.engine.pack import DOWNGRADE, Packed

Array = NDArray[np.float64]

NET_COSTS = ("offer_costs", "messaging_costs", "program_costs")
"""Per-customer costs of keeping customers, taken off their gross margin."""

__all__ = ["NET_COSTS", "future_value", "net_margin", "remaining_value", "save_fractions", "worth"]


def future_value(
    present: Array, active: Array, margin: Array, discount: Array, cycle: Array | None = None
) -> Array:
    """Discounted margin from tenure τ on, per customer present at τ, ``[S, G, H]``.

    ``margin`` is a unit cohort's by tenure; months after the last follow a geometric
    tail at the monthly retention of the last ``cycle`` months (``[S, G]``; default 1:
    the last month's ``active / present``). A contract's hazard repeats with its term,
    so its tail takes the retention over a whole term, renewal wave included.
    """
    h = present.shape[-1]
    d = discount[:, None, None]
    powers = d ** np.arange(h)[None, None, :]
    span = np.ones(present.shape[:2], dtype=np.intp) if cycle is None else cycle.astype(np.intp)
    first = np.take_along_axis(present, (h - span)[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.where(first > 0, active[..., -1] / first, 0.0)
        retention = np.where(kept > 0, kept ** (1.0 / span), 0.0)
        q = d[..., 0] * retention
        tail = margin[..., -1] * q / (1.0 - q)
        future = np.cumsum((margin * powers)[..., ::-1], axis=-1)[..., ::-1]
        future = future + (tail * powers[..., -1])[..., None]
        out = np.where(present > 0, future / (powers * present), 0.0)
    return np.asarray(out)


def net_margin(p: Packed, path: CohortPath) -> Array:
    """A unit cohort's margin by tenure, net of :data:`NET_COSTS` (win-back left out)."""
    no_win_back = dataclasses.replace(p.levers, win_back=np.zeros_like(p.levers.win_back))
    kern = money_kernels(dataclasses.replace(p, levers=no_win_back), path)
    return np.asarray(kern["gross_margin"] - sum(kern[name] for name in NET_COSTS))


def worth(p: Packed, path: CohortPath) -> Array:
    """Discounted net margin from tenure τ on, per customer present at τ, ``[S, G, H]``.

    ``p`` should follow the cohort :data:`~simsrc.engine.pack.VALUATION_MONTHS` past
    the horizon (``pack(months=)``) for the value to be the valuation's.
    """
    net = net_margin(p, path)
    return future_value(path["present"], path["active"], net, p.discount, p.cycle)


def remaining_value(p: Packed, core: CohortPath) -> Array:
    """What value targeting weighs: a customer present at tenure τ, ``[S, G, H]``.

    :func:`worth` on the path without save team or dunning (cause programs and contact
    policy in place), on the pack's valuation pack (``p.valuation``) when it follows
    fewer months than the valuation; ``core`` is ``p``'s own such path.
    """
    long = p if p.valuation is None else p.valuation
    path = core if long is p else core_path(long)
    return worth(long, path)[..., : p.horizon]


def save_fractions(p: Packed, core: CohortPath) -> Array:
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
    eligible = np.broadcast_to(lv.value_threshold[:, None, None, None] <= 0, cost.shape)
    if not eligible.all():
        value = remaining_value(p, core)
        eligible = eligible | (value[..., None] >= lv.value_threshold[:, None, None, None] * cost)
    allowed = eligible * lv.offer_segments[:, :, None, :]
    per_cause = lv.mix * lv.acceptance.transpose(0, 2, 1) * p.voluntary[:, :, None]  # [S, K, O]
    return np.asarray(
        lv.coverage[:, None, None, None, None]
        * per_cause[:, None, None, :, :]
        * allowed[:, :, :, None, :]
    )
