"""How a population splits: expected shares or random counts, compiled and vectorised.

The compiled draws (:func:`thin`, :func:`split`, :func:`poisson`) take a ``random`` flag:
false gives the expected share ``n × p``, true a binomial, multinomial or Poisson count,
so the kernel's one description of a month serves expected values and random runs
(:mod:`simsrc.engine.kernel`, :mod:`simsrc.engine.arrivals`). :func:`multinomial_counts`
splits many small cells at once with numpy, for the random runs without levers
(:class:`simsrc.results.stochastic._CohortExits`). :func:`compiled` holds numba's options
for every compiled function of the engine.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> out = multinomial_counts(rng, np.array([3, 40]), np.array([[0.5, 0.5], [0.1, 0.9]]))
>>> out.sum(axis=1).tolist()
[3.0, 40.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

Array = NDArray[np.float64]

SMALL = 4
"""Cells of at most this many are split by categorical draws (see :func:`multinomial_counts`)."""


def compiled(inline: bool = False) -> Any:
    """The options of every compiled function of the engine (small helpers inline)."""
    return njit(
        cache=True,  # machine code kept beside the source for the next process
        nogil=True,  # threads of random runs step in parallel
        error_model="numpy",  # no zero-division checks: every divisor is checked > 0
        # reordered sums and fused multiply-adds (within a few ulp); NaN and infinity keep
        # their meaning
        fastmath={"reassoc", "contract", "nsz", "arcp"},
        inline="always" if inline else "never",
    )


def floats(x: NDArray) -> Array:
    """``x`` as contiguous float64, the layout every compiled function here takes."""
    return np.ascontiguousarray(x, dtype=np.float64)


NO_DRAWS = np.random.default_rng(0)
"""Types a compiled function's generator argument when it computes expected values,
which never draw from it."""

FEW = 16
"""Random draws: up to this many customers a split goes customer by customer (one
uniform each), and up to this mean a binomial is drawn by inversion — for the few
customers of a cohort's class both are several times cheaper than numba's binomial."""


@compiled(inline=True)
def thin(rng: np.random.Generator, random: bool, n: float, p: float) -> float:
    """The part of ``n`` that moves with probability ``p``."""
    if not random:
        return n * p
    if n <= 0.0 or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return n
    whole = np.int64(n + 0.5)
    if whole <= 4:  # a uniform per customer beats the exponential below
        moved = 0
        for _ in range(whole):
            if rng.random() < p:
                moved += 1
        return float(moved)
    if whole * p > FEW:
        return float(rng.binomial(whole, p))
    # inversion: walk up the probabilities of 0, 1, 2, … moved (few steps for a small
    # mean; most draws stop at 0)
    ratio = p / (1.0 - p)
    f = np.exp(whole * np.log1p(-p))
    u = rng.random()
    moved = 0
    while u > f and moved < whole:
        u -= f
        f *= (whole - moved) / (moved + 1.0) * ratio
        moved += 1
    return float(moved)


@compiled(inline=True)
def split(
    rng: np.random.Generator,
    random: bool,
    n: float,
    work: np.ndarray,
    r: int,
    src: int,
    dst: int,
    size: int,
) -> None:
    """Split ``n`` over ``size`` destinations: chances ``work[r, src]``, into ``work[r, dst]``.

    The probabilities sum to at most 1 (the rest stays where it is). Random counts draw
    the multinomial customer by customer when they are few (a uniform each, found in
    the cumulative probabilities), else as a chain of binomials, each conditional on
    the customers not yet placed.
    """
    if not random:
        for c in range(size):
            work[r, dst, c] = n * work[r, src, c]
        return
    for c in range(size):
        work[r, dst, c] = 0.0
    whole = np.int64(n + 0.5)
    if whole <= 0:
        return
    if whole <= FEW:
        for _ in range(whole):
            u = rng.random()
            for c in range(size):
                u -= work[r, src, c]
                if u < 0.0:
                    work[r, dst, c] += 1.0
                    break
        return
    left = n
    rest = 1.0
    for c in range(size):
        if left <= 0.0 or rest <= 1e-15:
            break
        x = thin(rng, True, left, min(work[r, src, c] / rest, 1.0))
        work[r, dst, c] = x
        left -= x
        rest -= work[r, src, c]


@compiled(inline=True)
def poisson(rng: np.random.Generator, random: bool, mean: float) -> float:
    """Arrivals with mean ``mean``: the mean itself, or a Poisson count."""
    if not random:
        return mean
    return float(rng.poisson(mean)) if mean > 0.0 else 0.0


@compiled()
def guided_cells(
    rng: np.random.Generator,
    leavers: NDArray[np.int64],
    cum: Array,
    guide: NDArray[np.int64],
    scale: Array,
    cells: int,
    counts: Array,
) -> None:
    """Each of ``leavers[b, g]`` customers' cell among the first ``cells`` of ``cum[g]``.

    ``cum`` ``[G, C]`` holds cumulative weights; a draw ``u`` uniform below
    ``cum[g, cells − 1]`` falls in the first cell whose cumulative exceeds it (inverse
    CDF). The guide table ``guide`` ``[G, buckets]`` (Chen's indexed search; bucket
    ``⌊u × scale[g]⌋``) gives the first cell a draw can fall in, so a few steps finish
    the search. Adds one to ``counts[b, g, cell]`` per customer.
    """
    buckets = guide.shape[1]
    for b in range(leavers.shape[0]):
        for g in range(leavers.shape[1]):
            top = cum[g, cells - 1]
            for _ in range(leavers[b, g]):
                u = rng.random() * top
                cell = guide[g, min(np.int64(u * scale[g]), buckets - 1)]
                while cell < cells - 1 and cum[g, cell] <= u:
                    cell += 1
                counts[b, g, cell] += 1.0


def multinomial_counts(
    rng: np.random.Generator,
    n: NDArray[np.int64],
    probs: Array,
    cumulative: Array | None = None,
) -> Array:
    """Multinomial counts of ``n`` ``[M]`` over ``probs`` ``[M, C]`` (rows sum to 1).

    Cells of up to :data:`SMALL` are drawn as that many categorical draws (inverse CDF
    on ``cumulative``, the rows' cumulative sums without the last column): the common
    case for leavers, and several times cheaper than numpy's per-row multinomial loop.
    Larger cells use ``Generator.multinomial``.
    """
    m, c = probs.shape
    out = np.zeros((m, c))
    small = n <= SMALL
    if small.any():
        cum = np.cumsum(probs[:, :-1], axis=-1) if cumulative is None else cumulative
        rows = np.repeat(np.flatnonzero(small), n[small])
        pick = (rng.random(len(rows))[:, None] >= cum[rows]).sum(axis=-1)
        out += np.bincount(rows * c + pick, minlength=m * c).reshape(m, c)
    big = ~small
    if big.any():
        out[big] = rng.multinomial(n[big], probs[big])
    return out


__all__ = [
    "FEW",
    "NO_DRAWS",
    "SMALL",
    "compiled",
    "floats",
    "guided_cells",
    "multinomial_counts",
    "poisson",
    "split",
    "thin",
]
