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


def _referrals_only(p: Packed, path: CohortPath, paid: Array) -> Array:
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
