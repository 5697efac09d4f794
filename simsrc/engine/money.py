"""Money of a unit cohort by tenure: revenue, margin, the levers' costs, MRR movements.

One description of the money, used by the expected-value engine (a unit cohort's
kernels, :func:`money_kernels`), the random runs (one month of many cohorts) and the
valuation of the customer base: every series is elementwise in the path's counts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.core import CohortPath
from simsrc.engine.pack import Packed

Array = NDArray[np.float64]

# Money and customer series per unit cohort, in the order the engine stacks them.
KERNEL_SERIES = (
    "present", "active", "revenue", "mrr", "new_mrr", "churned_mrr", "expansion_mrr",
    "contraction_mrr", "gross_margin", "discounts_given", "offer_costs", "messaging_costs",
    "program_costs", "leavers", "win_back_messages",
    "reached", "held", "paused", "resumed", "delinquent", "onsets", "recovered", "cut_off",
    "dunning_messages", "helped", "downgraded", "lapsed", "bad_exits",
)  # fmt: skip
PASS_THROUGH = KERNEL_SERIES[KERNEL_SERIES.index("reached") :]
"""Path counts the kernels carry unchanged (save team, dunning, lapsed offers)."""


def per_customer_price(path: Mapping[str, Array], list_price: Array) -> Array:
    """Monthly revenue per present customer (list price where nobody is present)."""
    present = path["present"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(present > 0, path["revenue_units"] / present, 1.0) * list_price)


def money_series(
    p: Packed,
    path: Mapping[str, Array],
    list_price: Array,
    prev_price: Array,
    first: Array,
    messaged: Array,
) -> dict[str, Array]:
    """Money and customer series from a path's counts — elementwise, any layout.

    Every array shares one layout ``[N, G, T]`` (by cause: ``[N, G, T, K]``), with the
    scenario axis first (size 1 broadcasts): a unit cohort by tenure in the
    expected-value engine, or one month of many cohorts in the stochastic mode.

    Parameters
    ----------
    p : Packed
        Prices, margins and lever costs.
    path : mapping of str to ndarray
        The path's counts (:data:`simsrc.engine.kernel.COUNT_SERIES` and ``churned``).
    list_price : ndarray
        The month's list price ``price × v(τ)`` of each cell.
    prev_price : ndarray
        Revenue per customer of the same customers a month earlier (equal to this
        month's in their first month).
    first : ndarray of bool
        Cells in the customers' first month (tenure 0).
    messaged : ndarray
        Leavers of ``delay`` months ago, sent a win-back message now.
    """
    lv = p.levers
    present, active = path["present"], path["active"]
    price_now = per_customer_price(path, list_price)
    leavers = path["churned"].sum(axis=-1) + path["lapsed"]
    step = price_now - prev_price
    revenue = path["revenue_units"] * list_price
    vol_leavers = (path["churned"] * p.voluntary[:, None, None, :]).sum(axis=-1)
    win_back = lv.win_back[:, None, None]
    messaging = (
        path["dunning_messages"] * lv.dunning_cost[:, None, None]
        + messaged * (lv.win_back_cost[:, None, None] * win_back)
        + (vol_leavers + path["lapsed"]) * (lv.survey_cost * lv.survey)[:, None, None]
        + present * lv.contact_cost[:, None, None]
    )
    columns = {
        "present": present,
        "active": active,
        "revenue": revenue,
        "mrr": active * price_now,
        "new_mrr": np.where(first, active * price_now, 0.0),
        "churned_mrr": np.where(first, 0.0, leavers * prev_price),  # not in a starting MRR
        "expansion_mrr": active * np.maximum(step, 0.0),
        "contraction_mrr": active * np.maximum(-step, 0.0),
        "gross_margin": revenue * p.margin[:, :, None] - present * p.cost_to_serve[:, :, None],
        "discounts_given": path["discount_units"] * list_price,
        "offer_costs": path["offer_cash"],
        "messaging_costs": messaging,
        "program_costs": present
        * (
            np.where(first, lv.onboarding_cost[:, None, None], 0.0)
            + lv.success_cost[:, None, None]
        ),
        "leavers": leavers,
        "win_back_messages": messaged * win_back,
    }
    columns.update({name: path[name] for name in PASS_THROUGH})
    return columns


def money_kernels(p: Packed, path: CohortPath) -> dict[str, Array]:
    """Money and customer series of a unit cohort by tenure, ``[S, G, H]`` each."""
    list_price = p.price[:, :, None] * p.value[:, None, :]  # [S, G, H]
    price_now = per_customer_price(path.series, list_price)
    prev = np.concatenate([price_now[..., :1], price_now[..., :-1]], axis=-1)
    first = np.zeros(p.horizon, dtype=bool)
    first[0] = True
    leavers = path["churned"].sum(axis=-1) + path["lapsed"]
    messaged = np.zeros_like(leavers)  # leavers D months earlier, messaged now
    delay = p.levers.win_back_delay.astype(int)
    for i in np.flatnonzero(p.levers.win_back > 0):
        d = int(delay[i])
        if d < p.horizon:
            messaged[i, :, d:] = leavers[i, :, : p.horizon - d]
    return money_series(p, path.series, list_price, prev, first, messaged)
