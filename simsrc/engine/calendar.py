"""The calendar: acquisition convolved with the cohort path, feedbacks solved monthly.

Referrals from the active base, win-back of former customers and word of mouth of badly
handled exits make acquisition depend on earlier months; a renewal loop over months
solves them. Without feedback the calendar is one convolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from simsrc.engine.core import CohortPath
from simsrc.engine.draws import EXPECTED, Draw
from simsrc.engine.kernel import renewal_inflow
from simsrc.engine.pack import Packed

Array = NDArray[np.float64]

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


class Arrivals(NamedTuple):
    """New customers of one month by source (see :func:`arrivals`), ``[N, G]`` each."""

    paid: Array
    referred: Array
    reactivated: Array
    lost_to_word_of_mouth: Array


def arrivals(
    p: Packed,
    t: int,
    active_prev: Array | None,
    bad_prev: Array | None,
    leavers: tuple[Array, Array, Array] | None,
    draw: Draw = EXPECTED,
) -> Arrivals:
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
    Arrivals
        ``lost_to_word_of_mouth`` is the paid acquisition lost to word of mouth
        (expected, not drawn).
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
        return Arrivals(paid, referred, none, lost)
    good, bad, lapsed = leavers
    reach = (lv.win_back * lv.win_back_reach)[:, None, None]  # [S, 1, 1]
    chance = reach * lv.reactivation[:, None, :]  # [S, 1, K]
    react = (
        draw.thin(good, chance) + draw.thin(bad, chance * lv.bad_terms_factor[:, None, None])
    ).sum(axis=-1) + draw.thin(lapsed, reach[..., 0] * lv.after_offer[:, None])
    return Arrivals(paid, referred, react, lost)


def inflow(p: Packed, path: CohortPath) -> Inflow:
    """Solve acquisition with its feedbacks month by month (a renewal equation).

    Each month's arrivals follow :func:`arrivals` from the calendar so far: active
    customers and badly handled exits of the month before, and the leavers of ``delay``
    months ago for win-back. They restart as new customers of their segment; win-back
    customers without acquisition cost. The loop over months is compiled
    (:func:`simsrc.engine.kernel.renewal_inflow`).
    """
    lv = p.levers
    base_paid = p.paid_new[:, None, :] * p.share[:, :, None]
    if not has_feedback(p):
        zeros = np.zeros_like(base_paid)
        return Inflow(base_paid, zeros, zeros.copy(), zeros.copy())
    reach = lv.win_back * lv.win_back_reach  # [S]

    def f(x: Array) -> Array:
        return np.ascontiguousarray(x, dtype=np.float64)

    out = np.zeros((4, *base_paid.shape))
    renewal_inflow(
        f(p.paid_new), f(p.share), f(p.referral), f(lv.lost_per_bad_exit),
        f(reach[:, None] * lv.reactivation), f(lv.bad_terms_factor), f(reach * lv.after_offer),
        np.ascontiguousarray(lv.win_back_delay, dtype=np.int64), f(path["active"]),
        f(path["bad_exits"]), f(path["churned"] - path["bad"]), f(path["bad"]),
        f(path["lapsed"]), out,
    )  # fmt: skip
    return Inflow(*out)


_TOEPLITZ_CHUNK = 1 << 19
"""Values of the Toeplitz matrices built at once (4 MB): enough for one BLAS product per
chunk, few enough that a 10,000-scenario sweep never holds ``S·G·H²`` values."""


def convolve(new: Array, kern: Array) -> Array:
    """Calendar series from cohorts: ``out[t] = Σ_{c ≤ t} new[c] · kern[t − c]``.

    Done as batched matrix products with the lower-triangular Toeplitz matrix of ``new``
    (exact sums, no FFT rounding), a chunk of scenarios at a time so that the matrices
    stay small; pass every series of the same cohorts at once (stacked on a trailing
    axis) to make one product of them.

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
    n_s, n_g, h = new.shape
    padded = np.concatenate([np.zeros((n_s, n_g, h - 1)), new], axis=-1)
    toeplitz = sliding_window_view(padded, h, axis=-1)[..., ::-1]  # [S, G, t, τ]: new[t − τ]
    flat = kern.reshape(n_s, n_g, h, -1)
    out = np.empty(flat.shape)
    step = max(1, _TOEPLITZ_CHUNK // (n_g * h * h))
    for a in range(0, n_s, step):
        block = np.ascontiguousarray(toeplitz[a : a + step])  # BLAS wants contiguous
        np.matmul(block, flat[a : a + step], out=out[a : a + step])
    return out.reshape(kern.shape)
