"""How sure the data make us: the calibrated scenario's estimation uncertainty as draws.

A fitted churn model comes with the covariance of its estimates (the inverse observed
information, on the fit's own scale). :func:`with_estimation_draws` draws whole
parameter sets from it and attaches them to the calibrated scenario as its
``[estimation]`` table (:class:`simsrc.model.parts.JointDraws`), so Monte Carlo of a
calibrated scenario draws churn levels, shapes and the heterogeneity spread together,
with their correlations, rather than from independent ranges.
"""

from __future__ import annotations

import numpy as np

from simsrc.calibration.acquisition import Acquisition
from simsrc.calibration.churn_model import ChurnModelFit
from simsrc.model.params import PARAMETERS
from simsrc.model.parts import JointDraws
from simsrc.model.scenario import Scenario

__all__ = ["ESTIMATION_DRAWS", "acquisition_draws", "with_estimation_draws"]

ESTIMATION_DRAWS = 200
"""Parameter sets attached to a calibrated scenario (P10–P90 bands settle at about 100)."""


def with_estimation_draws(
    scenario: Scenario,
    fit: ChurnModelFit,
    segments: tuple[str, ...],
    n: int = ESTIMATION_DRAWS,
    seed: int = 0,
    acquired: Acquisition | None = None,
) -> Scenario:
    """``scenario`` with ``n`` joint draws of its estimated churn parameters attached.

    Each drawn model's levels, shape time scales and spread are carried to the scenario
    as ratios to the estimate (the scenario's levels may be grossed up for its levers),
    kept within each parameter's bounds. With ``acquired`` (the customers by segment the
    segment shares, and new customers per month, were read from), those are drawn too
    (:func:`acquisition_draws`). Parameters the data did not estimate, or
    barely identify (:meth:`~simsrc.calibration.churn_model.ChurnModelFit.drawn`), get
    no column; the base's ``[uncertainty]`` ranges on the parameters that do are
    dropped, as the data now speak to them. ``scenario`` is returned unchanged when
    nothing was estimated.
    """
    layout = fit.layout
    if layout is None:
        return scenario
    rng = np.random.default_rng(seed)
    models = fit.draw_models(n, rng)
    point = fit.model
    columns: dict[str, np.ndarray] = {}
    varies = set(fit.drawn().tolist())
    for i, (g, k) in enumerate(layout.level_cells):
        if i not in varies:
            continue
        causes = range(len(scenario.causes)) if k < 0 else (k,)
        for kk in causes:
            if point.levels[g, kk] > 0:
                path = f"causes.{scenario.causes[kk].name}.levels.{segments[g]}"
                ratio = np.array([m.levels[g, kk] for m in models]) / point.levels[g, kk]
                columns[path] = scenario.get(path) * ratio
    off = len(layout.level_cells)
    for i, k in enumerate(layout.shape_causes):
        if off + i in varies:
            path = f"causes.{scenario.causes[k].name}.shape.months"
            ratio = np.array([m.shapes[k].months for m in models]) / point.shapes[k].months
            columns[path] = scenario.get(path) * ratio
    if layout.fit_spread and len(fit.x) - 1 in varies and point.spread > 0:
        ratio = np.array([m.spread for m in models]) / point.spread
        columns["heterogeneity.spread"] = scenario.heterogeneity.spread * ratio
    columns.update(acquisition_draws(scenario, acquired, n, rng))
    if not columns:
        return scenario
    paths = tuple(columns)
    for path in paths:
        row = PARAMETERS[path]
        columns[path] = np.clip(columns[path], row.lo, row.hi)
    draws = np.column_stack([columns[p] for p in paths])
    kept = tuple(u for u in scenario.uncertainty if u.path not in columns)
    estimation = JointDraws(
        paths,
        tuple(tuple(float(x) for x in row) for row in draws),
        f"calibration: {n} draws from the estimates' covariance (inverse observed information)",
    )
    return scenario.replace(uncertainty=kept, estimation=estimation)


def acquisition_draws(
    scenario: Scenario, acquired: Acquisition | None, n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Draws of the segment shares and new customers per month that data counted.

    Customers counted by segment are Poisson counts, so given the data each segment's
    rate is Gamma(count) (the posterior under a flat prior on the log scale): the shares
    are the drawn counts over their total (a Dirichlet draw) and, when the data gave the
    acquisition per month, it moves with the total. Nothing is drawn for figures the
    data did not give or for a scenario whose segments the counts do not cover.

    Examples
    --------
    >>> import numpy as np, pandas as pd, simsrc
    >>> s = simsrc.preset("telecom")
    >>> acq = Acquisition(np.array([.5, .3, .2]), None, None, pd.DataFrame(), "",
    ...                   np.array([500.0, 300.0, 200.0]))
    >>> d = acquisition_draws(s, acq, 4000, np.random.default_rng(0))
    >>> round(float(np.std(d["segments.month_to_month.share"])), 3)  # √(.5 × .5 / 1000)
    0.016
    """
    if acquired is None or acquired.counts is None:
        return {}
    counts = np.asarray(acquired.counts, dtype=float)
    if len(counts) != len(scenario.segments) or counts.sum() <= 0:
        return {}
    drawn = np.zeros((n, len(counts)))
    seen = counts > 0
    drawn[:, seen] = rng.gamma(counts[seen], size=(n, int(seen.sum())))
    total = drawn.sum(axis=1)
    out: dict[str, np.ndarray] = {}
    if len(counts) > 1:
        shares = drawn / total[:, None]
        shares[:, -1] = np.clip(1.0 - shares[:, :-1].sum(axis=1), 0.0, 1.0)  # sums to 1
        for g, seg in enumerate(scenario.segments):
            out[f"segments.{seg.name}.share"] = shares[:, g]
    if acquired.per_month is not None:
        out["acquisition.new_per_month"] = (
            scenario.acquisition.new_per_month * total / counts.sum()
        )
    return out
