"""The calendar: acquisition convolved with the cohort path, feedbacks solved monthly.

Referrals from the active base, win-back of former customers and word of mouth of badly
handled exits make acquisition depend on earlier months; a renewal loop over months
solves them. Without feedback the calendar is one convolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from simsrc.engine.arrivals import Feedback, renewal_inflow
from simsrc.engine.core import CohortPath
from simsrc.engine.draws import NO_DRAWS, floats
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


def feedback(p: Packed) -> Feedback:
    """The pack's acquisition feedbacks as the compiled arrivals take them."""
    lv = p.levers
    reach = lv.win_back * lv.win_back_reach  # [S]

    return Feedback(
        paid_new=floats(p.paid_new),
        share=floats(p.share),
        referral=floats(p.referral),
        lost_per_bad_exit=floats(lv.lost_per_bad_exit),
        chance=floats(reach[:, None] * lv.reactivation),
        bad_terms=floats(lv.bad_terms_factor),
        after_offer=floats(reach * lv.after_offer),
        delay=np.ascontiguousarray(lv.win_back_delay, dtype=np.int64),
    )


def inflow(p: Packed, path: CohortPath) -> Inflow:
    """Solve acquisition with its feedbacks month by month (a renewal equation).

    Each month's arrivals depend on the calendar so far: active customers and badly
    handled exits of the month before, and the leavers of ``delay`` months ago for
    win-back (the rules: :func:`simsrc.engine.kernel.renewal_inflow`). They restart as
    new customers of their segment; win-back customers without acquisition cost. The
    loop over months is compiled.
    """
    base_paid = p.paid_new[:, None, :] * p.share[:, :, None]
    if not has_feedback(p):
        zeros = np.zeros_like(base_paid)
        return Inflow(base_paid, zeros, zeros.copy(), zeros.copy())

    out = np.zeros((*base_paid.shape, 4))
    renewal_inflow(
        NO_DRAWS, feedback(p), floats(path["active"]), floats(path["bad_exits"]),
        floats(path["churned"] - path["bad"]), floats(path["bad"]), floats(path["lapsed"]), out,
    )  # fmt: skip
    return Inflow(*np.moveaxis(out, -1, 0))


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
