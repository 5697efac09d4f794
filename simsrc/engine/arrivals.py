"""New customers each month when acquisition feeds back on earlier months, compiled.

Referrals from the active base, word of mouth of badly handled exits and win-back of
former customers make a month's arrivals depend on the months before. :func:`arrivals`
is the rule for one month and segment; :func:`renewal_inflow` solves it for expected
values (a renewal equation over the unit cohort's path) and :func:`random_arrivals`
draws it for random runs without levers; the stepped random runs call :func:`arrivals`
directly (:func:`simsrc.engine.kernel.random_runs`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simsrc.engine.draws import compiled, poisson, thin

__all__ = ["Feedback", "arrivals", "random_arrivals", "renewal_inflow"]


class Feedback(NamedTuple):
    """How acquisition depends on earlier months, per scenario (leading axis ``S``)."""

    paid_new: np.ndarray  # [S, H] paid acquisition
    share: np.ndarray  # [S, G] segment shares
    referral: np.ndarray  # [S] new customers per active customer of the month before
    lost_per_bad_exit: np.ndarray  # [S] paid acquisition lost per badly handled exit
    chance: np.ndarray  # [S, K] win-back chance of a leaver on good terms, by cause
    bad_terms: np.ndarray  # [S] factor on that chance for a bad exit
    after_offer: np.ndarray  # [S] win-back chance of a customer who lapsed after an offer
    delay: np.ndarray  # [S] months between leaving and the win-back message


@compiled(inline=True)
def arrivals(
    rng: np.random.Generator,
    random: bool,
    f: Feedback,
    s: int,
    t: int,
    g: int,
    active_prev: float,
    bad_prev: float,
    good: np.ndarray,
    bad: np.ndarray,
    lapsed: float,
    out: np.ndarray,
) -> float:
    """New customers of segment ``g`` in month ``t``, by source, given the months before.

    * paid: the month's paid acquisition less ``lost_per_bad_exit`` × the badly handled
      exits of ``t − 1`` (word of mouth; never below zero);
    * referred: ``referral`` × the customers active at the end of ``t − 1``;
    * won back: the leavers messaged now (they left ``delay`` months ago: ``good`` and
      ``bad`` by cause, ``lapsed`` after an offer) come back with the chance of the
      cause they left for, × the bad-terms factor if they left badly, or the after-offer
      chance if they lapsed.

    Random arrivals are Poisson, win-back binomial. Writes paid, referred, won back
    and lost to word of mouth (expected, not drawn) into ``out`` ``[4]``; returns their
    new customers.
    """
    base = f.paid_new[s, t] * f.share[s, g]
    lost = min(f.lost_per_bad_exit[s] * bad_prev * f.share[s, g], base)
    paid = poisson(rng, random, base - lost)
    referred = poisson(rng, random, f.referral[s] * active_prev * f.share[s, g])
    back = thin(rng, random, lapsed, f.after_offer[s])
    for k in range(good.shape[0]):
        back += thin(rng, random, good[k], f.chance[s, k])
        back += thin(rng, random, bad[k], f.chance[s, k] * f.bad_terms[s])
    out[0], out[1], out[2], out[3] = paid, referred, back, lost
    return paid + referred + back


@compiled()
def renewal_inflow(
    rng: np.random.Generator,
    f: Feedback,
    active: np.ndarray,
    bad_exits: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    lapsed: np.ndarray,
    out: np.ndarray,
) -> None:
    """Expected new customers by source when acquisition feeds back on earlier months.

    The calendar sums the arrivals read (:func:`arrivals`) come from the cohorts so
    far times the unit cohort's path: ``active``, ``bad_exits`` and ``lapsed`` ``[S, G,
    H]``, ``good`` and ``bad`` leavers ``[S, G, H, K]``. Writes paid, referred, won back
    and lost to word of mouth into ``out`` ``[S, G, H, 4]``; ``rng`` is never drawn from.
    """
    n_s, n_g, n_h = active.shape
    n_k = good.shape[3]
    new = np.zeros((n_g, n_h))
    good_m = np.zeros(n_k)
    bad_m = np.zeros(n_k)
    # the path by tenure reversed, so that the sums over cohorts run forwards in memory:
    # kernel[t − 1 − c] = reversed[H − t + c]
    act_rev = np.zeros((n_g, n_h))
    bad_rev = np.zeros((n_g, n_h))
    for s in range(n_s):
        wins = f.after_offer[s] > 0.0 or f.chance[s].max() > 0.0
        word_of_mouth = f.lost_per_bad_exit[s] > 0.0  # else bad exits change nothing
        for g in range(n_g):
            for i in range(n_h):
                act_rev[g, i] = active[s, g, n_h - 1 - i]
                bad_rev[g, i] = bad_exits[s, g, n_h - 1 - i]
        new[:] = 0.0
        for t in range(n_h):
            active_prev = 0.0
            bad_prev = 0.0
            for g in range(n_g):
                # slices indexed from 0: no negative-index wrap, so the sums vectorise
                born, act = new[g, :t], act_rev[g, n_h - t :]
                for c in range(t):
                    active_prev += born[c] * act[c]
                if word_of_mouth:
                    bad_k = bad_rev[g, n_h - t :]
                    for c in range(t):
                        bad_prev += born[c] * bad_k[c]
            src = t - f.delay[s]  # leavers of this month are messaged now
            for g in range(n_g):
                good_m[:] = 0.0
                bad_m[:] = 0.0
                lapsed_m = 0.0
                if wins:
                    for c in range(src + 1):
                        lapsed_m += new[g, c] * lapsed[s, g, src - c]
                        for k in range(n_k):
                            good_m[k] += new[g, c] * good[s, g, src - c, k]
                            bad_m[k] += new[g, c] * bad[s, g, src - c, k]
                new[g, t] = arrivals(
                    rng, False, f, s, t, g, active_prev, bad_prev, good_m, bad_m, lapsed_m,
                    out[s, g, t],
                )  # fmt: skip


@compiled()
def random_arrivals(
    rng: np.random.Generator,
    f: Feedback,
    t: int,
    active_prev: np.ndarray,
    bad_prev: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    lapsed: np.ndarray,
    out: np.ndarray,
) -> None:
    """Month ``t``'s random arrivals of a one-scenario pack for runs ``[B]``.

    ``active_prev`` and ``bad_prev`` ``[B]`` are the month before's active customers and
    bad exits, ``good``, ``bad`` ``[B, G, K]`` and ``lapsed`` ``[B, G]`` the leavers
    messaged now; writes paid, referred, won back and lost into ``out`` ``[B, G, 4]``.
    """
    for b in range(out.shape[0]):
        for g in range(out.shape[1]):
            arrivals(
                rng, True, f, 0, t, g, active_prev[b], bad_prev[b], good[b, g], bad[b, g],
                lapsed[b, g], out[b, g],
            )  # fmt: skip
