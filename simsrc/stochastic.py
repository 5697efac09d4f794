"""Stochastic (random-count) runs of the core model: how far a real month can stray.

The engine (:func:`simsrc.simulate`) returns expected values. :func:`simulate_stochastic`
draws the same model as random counts, so that small businesses see the spread around
those expectations:

* new customers in month ``t`` ~ Poisson(paid acquisition + referrals × active customers
  at the end of ``t − 1``), split multinomially into segments (by share) and
  heterogeneity classes (by weight);
* every month each (cohort, segment, class) cell draws
  ``multinomial(n, [p_cause_1 … p_cause_K, p_stay])`` with the engine's hazards
  (:func:`simsrc.engine.core_path`: a class's hazard is ``level × shape × z`` for
  heterogeneous causes, all scaled down when they sum above one).

Customers are simulated as counts per cohort cell, never one by one, so a run costs the
same for 100 or 10 million customers.

Limitations: only the core model is simulated stochastically. Save team, dunning,
win-back, retention programs, marketing contacts and word-of-mouth losses are not (yet);
a scenario using any of them is refused — pass ``scenario.without_levers()``.

Each run has its own random stream, spawned from ``numpy.random.SeedSequence(seed)``, so
a run's outcome depends only on the seed and its index: running 2 × 50 runs gives the
same runs as 1 × 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc.engine import Packed, pack
from simsrc.errors import ScenarioError
from simsrc.scenario import Scenario

Array = NDArray[np.float64]

SERIES = ("new", "active", "churned", "revenue", "mrr")
"""Monthly series of every run (``active`` and ``mrr`` at the end of the month)."""

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}


def class_probabilities(p: Packed) -> Array:
    """Leave-for-each-cause and stay probabilities, ``[G, H, J, K + 1]`` (first scenario).

    Same hazards as :func:`simsrc.engine.core_path`: ``level × shape`` per cause, times
    the class's relative propensity ``z_j`` for heterogeneous causes; when a class's
    hazards sum above one they are scaled to sum to one.

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.engine import pack
    >>> s = simsrc.preset("telecom").without_levers().replace(horizon_months=12)
    >>> pr = class_probabilities(pack([s]))
    >>> pr.shape[-1] == len(s.causes) + 1, bool(np.allclose(pr.sum(axis=-1), 1.0))
    (True, True)
    """
    hz = p.level[0][:, None, :] * p.shape[0].T[None, :, :]  # [G, H, K]
    zk = np.where(p.heterogeneous[0][None, :] > 0, p.z[0][:, None], 1.0)  # [J, K]
    ind = hz[:, :, None, :] * zk[None, None, :, :]  # [G, H, J, K]
    total = ind.sum(axis=-1, keepdims=True)
    ind = ind / np.maximum(total, 1.0)
    stay = np.clip(1.0 - ind.sum(axis=-1, keepdims=True), 0.0, 1.0)
    return np.asarray(np.concatenate([ind, stay], axis=-1))


def _check_core(scenario: Scenario) -> None:
    if scenario.without_levers() != scenario:
        raise ScenarioError(
            "levers",
            "stochastic runs cover the core model only; save team, dunning, win-back, "
            "programs, contacts and word of mouth are not simulated stochastically yet — "
            "pass scenario.without_levers()",
        )


def _one_run(p: Packed, probs: Array, rng: np.random.Generator) -> dict[str, Array]:
    """One random run: monthly series by segment, ``[G, H]`` each."""
    h, n_g, n_j = p.horizon, probs.shape[0], probs.shape[2]
    share = p.share[0] / p.share[0].sum()
    w = p.w[0] / p.w[0].sum()
    price, value = p.price[0], p.value[0]
    paid, referral = p.paid_new[0], float(p.referral[0])
    cells = np.zeros((h, n_g, n_j), dtype=np.int64)  # [cohort, G, J] present this month
    out = {name: np.zeros((n_g, h)) for name in SERIES}
    active_total = 0
    for t in range(h):
        lam = paid[t] + referral * active_total
        new = rng.multinomial(rng.poisson(lam), share)  # [G]
        cells[t] = rng.multinomial(new, w)  # [G, J]
        out["new"][:, t] = new
        present = cells[: t + 1]  # cohorts 0 … t, tenure t − c
        tenure = t - np.arange(t + 1)
        c_idx, g_idx, j_idx = np.nonzero(present)
        if len(c_idx) == 0:
            continue
        counts = present[c_idx, g_idx, j_idx]
        pv = probs[g_idx, tenure[c_idx], j_idx]  # [cells, K + 1]
        draws = rng.multinomial(counts, pv)
        stayed = draws[:, -1]
        left = counts - stayed
        present[c_idx, g_idx, j_idx] = stayed
        unit = price[g_idx] * value[tenure[c_idx]]
        out["revenue"][:, t] = np.bincount(g_idx, counts * unit, minlength=n_g)
        out["mrr"][:, t] = np.bincount(g_idx, stayed * unit, minlength=n_g)
        out["active"][:, t] = np.bincount(g_idx, stayed, minlength=n_g)
        out["churned"][:, t] = np.bincount(g_idx, left, minlength=n_g)
        active_total = int(stayed.sum())
    return out


def run_streams(entropy: int, start: int, stop: int) -> list[np.random.SeedSequence]:
    """The seed sequences of runs ``start … stop − 1``.

    Identical to ``SeedSequence(entropy).spawn(stop)[start:stop]``, without spawning the
    earlier ones, so any chunk of runs can be reproduced on its own.

    Examples
    --------
    >>> a = run_streams(5, 2, 3)[0].generate_state(1)
    >>> b = np.random.SeedSequence(5).spawn(3)[2].generate_state(1)
    >>> bool((a == b).all())
    True
    """
    return [np.random.SeedSequence(entropy, spawn_key=(i,)) for i in range(start, stop)]


def simulate_runs(
    scenario: Scenario, entropy: int, start: int, stop: int
) -> dict[str, NDArray[np.float64]]:
    """Runs ``start … stop − 1`` of a stochastic simulation, ``[runs, G, H]`` per series.

    Parameters
    ----------
    scenario : Scenario
        A core-model scenario (``scenario.without_levers() == scenario``).
    entropy : int
        The seed (``SeedSequence(seed).entropy`` of the full simulation).
    start, stop : int
        Run indices (half-open range).

    Returns
    -------
    dict of str to ndarray
        One array per name in :data:`SERIES`.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("telecom").without_levers().replace(horizon_months=6)
    >>> simulate_runs(s, 1, 0, 2)["active"].shape
    (2, 3, 6)
    """
    _check_core(scenario)
    p = pack([scenario])
    probs = class_probabilities(p)
    runs = [
        _one_run(p, probs, np.random.default_rng(ss)) for ss in run_streams(entropy, start, stop)
    ]
    return {name: np.stack([r[name] for r in runs]) for name in SERIES}


@dataclass(frozen=True)
class StochasticResult:
    """Outcome of :func:`simulate_stochastic`.

    Attributes
    ----------
    scenario : Scenario
        The simulated scenario.
    entropy : int
        The seed actually used (reproduce with ``seed=entropy``).
    runs : dict of str to ndarray
        Every run's monthly series by segment, ``[runs, G, H]`` (see :data:`SERIES`).
    bands : dict of str to pandas.DataFrame
        Per series, totals over segments by month: columns ``p10, p50, p90, mean``.
    """

    scenario: Scenario
    entropy: int
    runs: dict[str, Array]
    bands: dict[str, pd.DataFrame]

    def totals(self, name: str) -> Array:
        """Series ``name`` summed over segments, ``[runs, H]``."""
        return np.asarray(self.runs[name].sum(axis=1))


def _bands(x: Array) -> pd.DataFrame:
    q = np.quantile(x, list(QUANTILES.values()), axis=0)
    df = pd.DataFrame({name: q[i] for i, name in enumerate(QUANTILES)})
    df["mean"] = x.mean(axis=0)
    df.index.name = "month"
    return df


def simulate_stochastic(
    scenario: Scenario,
    runs: int = 100,
    seed: int | None = None,
    *,
    chunk_size: int | None = None,
) -> StochasticResult:
    """Random-count runs of the core model, with P10/P50/P90 bands by month.

    Parameters
    ----------
    scenario : Scenario
        A scenario without retention levers (``scenario.without_levers()``).
    runs : int
        Number of runs.
    seed : int, optional
        Seed; the same seed gives identical runs. Without one, fresh entropy is drawn
        (kept in :attr:`StochasticResult.entropy`).
    chunk_size : int, optional
        Runs per chunk (memory only; results do not depend on it).

    Returns
    -------
    StochasticResult

    Raises
    ------
    ScenarioError
        If the scenario uses save team, dunning, win-back, programs, contacts or word of
        mouth (not simulated stochastically yet).
    ValueError
        If ``runs < 1``.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("telecom").without_levers().replace(horizon_months=12)
    >>> res = simulate_stochastic(s, runs=20, seed=1)
    >>> list(res.bands["active"].columns)
    ['p10', 'p50', 'p90', 'mean']
    >>> res.runs["revenue"].shape
    (20, 3, 12)
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive integer (got {runs!r})")
    _check_core(scenario)
    entropy = np.random.SeedSequence(seed).entropy
    assert isinstance(entropy, int)
    size = runs if chunk_size is None else max(1, int(chunk_size))
    parts = [
        simulate_runs(scenario, entropy, start, min(start + size, runs))
        for start in range(0, runs, size)
    ]
    arrays = {name: np.concatenate([part[name] for part in parts]) for name in SERIES}
    bands = {name: _bands(x.sum(axis=1)) for name, x in arrays.items()}
    return StochasticResult(scenario, entropy, arrays, bands)


__all__ = [
    "SERIES",
    "StochasticResult",
    "class_probabilities",
    "simulate_runs",
    "simulate_stochastic",
]
