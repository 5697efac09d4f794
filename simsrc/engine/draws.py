"""Multinomial counts of many small cells at once, for random runs' cohort exits.

The stepped path draws inside the compiled kernel (:mod:`simsrc.engine.kernel`); the
random runs without levers split each cohort's leavers over causes here, vectorised over
cells (:class:`simsrc.results.stochastic._CohortExits`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> out = multinomial_counts(rng, np.array([3, 40]), np.array([[0.5, 0.5], [0.1, 0.9]]))
>>> out.sum(axis=1).tolist()
[3.0, 40.0]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

SMALL = 4
"""Cells of at most this many are split by categorical draws (see :func:`multinomial_counts`)."""


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


__all__ = ["SMALL", "multinomial_counts"]
