"""How a population splits between destinations: expected shares or random counts.

The engine's stepped path (:func:`simsrc.engine.stepped.lever_step`) and its acquisition
feedback are written once against :class:`Draw`. With :data:`EXPECTED` every split is
``n × p`` (the deterministic expected-value flows); with :class:`RandomDraw` the same
splits are multinomial, binomial and Poisson counts drawn from a generator — so the
stochastic mode follows exactly the same model, cell by cell, never customer by
customer.

Examples
--------
>>> import numpy as np
>>> EXPECTED.split(np.array([10.0]), np.array([[0.2, 0.3]])).tolist()
[[2.0, 3.0]]
>>> d = RandomDraw(np.random.default_rng(0))
>>> counts = d.split(np.array([10.0]), np.array([[0.2, 0.3]]))
>>> bool(counts.sum() <= 10 and (counts == counts.round()).all())
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

SMALL = 4
"""Cells of at most this many are split by categorical draws (see :meth:`RandomDraw.counts`)."""


class Draw:
    """Expected-value splits: every flow is its population times its probability."""

    random = False

    def split(self, n: Array, probs: Array) -> Array:
        """Split ``n`` (shape ``[...]``) over destinations ``probs`` (``[..., C]``).

        The probabilities of a cell sum to at most one; the rest stays where it is.
        Returns the amount moving to each destination, ``[..., C]``.
        """
        return np.asarray(n[..., None] * probs)

    def thin(self, n: Array, p: Array | float) -> Array:
        """The part of ``n`` that moves with probability ``p`` (broadcast)."""
        return np.asarray(n * p)

    def poisson(self, mean: Array) -> Array:
        """Arrivals with the given mean (the mean itself)."""
        return np.asarray(mean, dtype=float)


EXPECTED = Draw()
"""The engine's default: expected-value flows."""


class RandomDraw(Draw):
    """Random counts: multinomial splits, binomial thinning, Poisson arrivals.

    Populations are whole numbers held in float arrays (so the engine's sums and
    registers work unchanged); only cells holding someone draw, which keeps the cost
    proportional to occupied cells.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream to draw from.
    """

    random = True

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def split(self, n: Array, probs: Array) -> Array:
        """Multinomial split of whole counts ``n`` over ``probs`` (the rest stays)."""
        n_b, p_b = np.broadcast_arrays(n[..., None], probs)
        counts = n_b[..., 0]
        out = np.zeros(p_b.shape)
        occupied = np.nonzero(counts > 0)
        if len(occupied[0]):
            # first how many move at all (one binomial per cell; usually few), then
            # where those go: the multinomial split, exactly, at the cost of the movers
            pv = np.clip(p_b[occupied], 0.0, 1.0)  # [M, C]
            moving = pv.sum(axis=-1)
            np.minimum(moving, 1.0, out=moving)
            moved = self.rng.binomial(np.rint(counts[occupied]).astype(np.int64), moving)
            some = np.flatnonzero(moved)
            if len(some):
                where = pv[some] / moving[some, None]
                cells = tuple(ix[some] for ix in occupied)
                out[cells] = self.counts(moved[some], where / where.sum(axis=-1, keepdims=True))
        return out

    def counts(self, n: NDArray[np.int64], probs: Array, cumulative: Array | None = None) -> Array:
        """Multinomial counts of ``n`` ``[M]`` over ``probs`` ``[M, C]`` (rows sum to 1).

        Cells of up to :data:`SMALL` are drawn as that many categorical draws (inverse
        CDF on ``cumulative``, the rows' cumulative sums without the last column): the
        common case for leavers, and several times cheaper than numpy's per-row
        multinomial loop. Larger cells use ``Generator.multinomial``.
        """
        m, c = probs.shape
        out = np.zeros((m, c))
        small = n <= SMALL
        if small.any():
            cum = np.cumsum(probs[:, :-1], axis=-1) if cumulative is None else cumulative
            rows = np.repeat(np.flatnonzero(small), n[small])
            pick = (self.rng.random(len(rows))[:, None] >= cum[rows]).sum(axis=-1)
            out += np.bincount(rows * c + pick, minlength=m * c).reshape(m, c)
        big = ~small
        if big.any():
            out[big] = self.rng.multinomial(n[big], probs[big])
        return out

    def thin(self, n: Array, p: Array | float) -> Array:
        """Binomial thinning of whole counts ``n`` with probability ``p``."""
        n_b, p_b = np.broadcast_arrays(n, np.asarray(p, dtype=float))
        out = np.zeros(n_b.shape)
        occupied = n_b > 0
        if occupied.any():
            out[occupied] = self.rng.binomial(
                np.rint(n_b[occupied]).astype(np.int64), np.clip(p_b[occupied], 0.0, 1.0)
            )
        return out

    def poisson(self, mean: Array) -> Array:
        """Poisson counts with the given means."""
        return np.asarray(self.rng.poisson(np.maximum(mean, 0.0)), dtype=float)


__all__ = ["EXPECTED", "Draw", "RandomDraw"]
