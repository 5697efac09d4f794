"""Customer tables drawn from a scenario: data whose truth is known.

:func:`synthetic_customers` draws customers the way the model says they behave, one
row per customer in the shape :func:`simsrc.calibrate_frame` reads (``customer_id``,
the segment's label, ``tenure``, ``status``, ``reason``). Calibrating such a table and
comparing with the scenario that drew it is how the calibration is checked: recovery
of the parameters (``tests/test_calibration_churn_model.py``) and coverage of the
bands it delivers (:mod:`simsrc.analysis.coverage`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc.engine.cohorts import cohort_path
from simsrc.engine.pack import pack
from simsrc.model.checks import check_seed, check_whole
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario

__all__ = ["MAX_CUSTOMERS", "synthetic_customers"]

MAX_CUSTOMERS = 10_000_000
"""Largest table drawn (about 1 GB of rows in pandas)."""


def synthetic_customers(
    scenario: Scenario,
    n: int,
    *,
    seed: int | None = None,
    window: int | None = None,
    reasons: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """``n`` customers acquired evenly over the horizon, each leaving as the model says.

    Each customer's segment follows the segment shares and their start is uniform over
    the ``horizon_months`` before the data's end. Their month and cause of leaving are
    one multinomial draw from the engine's unit-cohort path (the probability of leaving
    at each tenure for each cause, or at the end of a save offer, levers included), so a
    large table's Kaplan–Meier curve is the scenario's survival. Customers who lapse at
    the end of an offer state no reason. (Customers won back are new customers of the
    business, not rows here.) Customers who have not left by the end of the
    data are censored at their age.

    Parameters
    ----------
    scenario : Scenario
        The truth.
    n : int
        Customers acquired (before the window, if any, drops some).
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    window : int, optional
        Keep only the customers active during the last ``window`` months, labelled
        ``Churned`` (left in the window), ``Joined`` (started in it) or ``Stayed``,
        like a quarterly snapshot. ``None``: the full history, ``Churned``/``Stayed``.
    reasons : mapping, optional
        The reason each cause's leavers state, by cause name (``None``: no reason).
        Causes not named state their own name, which the default reason map reads.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``plan``, ``tenure``, ``status``, ``reason``.

    Examples
    --------
    >>> import simsrc
    >>> df = synthetic_customers(simsrc.preset("telecom"), 1_000, seed=0)
    >>> list(df.columns), len(df)
    (['customer_id', 'plan', 'tenure', 'status', 'reason'], 1000)
    >>> sorted(df["status"].unique())
    ['Churned', 'Stayed']
    """
    n = check_whole(n, "n", 1, MAX_CUSTOMERS)
    seed = check_seed(seed)
    horizon = scenario.horizon_months
    if window is not None:
        window = check_whole(window, "window", 1, horizon)
    names = [c.name for c in scenario.causes]
    said = dict(reasons or {})
    unknown = sorted(set(said) - set(names))
    if unknown:
        raise ScenarioError("reasons", f"names no cause of the scenario: {', '.join(unknown)}")
    seg, age, month, cause = _draw(scenario, n, np.random.default_rng(seed))
    churned = month <= age
    status = np.where(churned, "Churned", "Stayed")
    keep = np.ones(n, dtype=bool)
    if window is not None:
        keep = ~churned | (age - month < window)
        status = np.where(churned, "Churned", np.where(age <= window, "Joined", "Stayed"))
    stated = [said.get(name, name) for name in names] + [None]  # lapsers: no reason
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "plan": [scenario.segments[g].label for g in seg],
            "tenure": np.where(churned, month, age),
            "status": status,
            "reason": [stated[k] if c else None for k, c in zip(cause, churned, strict=True)],
        }
    )
    return frame[keep].reset_index(drop=True)


def _draw(
    scenario: Scenario, n: int, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Each customer's segment, age, month of leaving (huge: never) and cause.

    The cause index ``K`` (one past the scenario's causes) is leaving at the end of a
    save offer.
    """
    path = cohort_path(pack([scenario]))
    # Leaving at each tenure for each cause, or at the end of a save offer (lapsing)
    leave = np.concatenate([path["churned"][0], path["lapsed"][0][..., None]], axis=-1)
    g_n, _, k_n = leave.shape
    seg = rng.choice(g_n, size=n, p=[s.share for s in scenario.segments])
    age = rng.integers(1, scenario.horizon_months + 1, size=n)  # months to the data's end
    month = np.full(n, np.iinfo(np.int64).max)
    cause = np.full(n, -1)
    for g in range(g_n):
        idx = np.flatnonzero(seg == g)
        p = np.clip(leave[g].reshape(-1), 0.0, None)
        rest = max(0.0, 1.0 - p.sum())
        draw = rng.choice(p.size + 1, size=idx.size, p=np.append(p, rest) / (p.sum() + rest))
        hit = draw < p.size
        month[idx[hit]] = draw[hit] // k_n + 1
        cause[idx[hit]] = draw[hit] % k_n
    return seg, age, month, cause
