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

from simsrc.calibration.churn_model import ChurnModelFit
from simsrc.model.params import PARAMETERS
from simsrc.model.parts import JointDraws
from simsrc.model.scenario import Scenario

__all__ = ["ESTIMATION_DRAWS", "with_estimation_draws"]

ESTIMATION_DRAWS = 200
"""Parameter sets attached to a calibrated scenario (P10–P90 bands settle at about 100)."""


def with_estimation_draws(
    scenario: Scenario,
    fit: ChurnModelFit,
    segments: tuple[str, ...],
    n: int = ESTIMATION_DRAWS,
    seed: int = 0,
) -> Scenario:
    """``scenario`` with ``n`` joint draws of its estimated churn parameters attached.

    Each drawn model's levels, shape time scales and spread are carried to the scenario
    as ratios to the estimate (the scenario's levels may be grossed up for its levers),
    kept within each parameter's bounds. Parameters the data did not estimate, or
    barely identify (:meth:`~simsrc.calibration.churn_model.ChurnModelFit.drawn`), get
    no column; the base's ``[uncertainty]`` ranges on the parameters that do are
    dropped, as the data now speak to them. ``scenario`` is returned unchanged when
    nothing was estimated.
    """
    layout = fit.layout
    if layout is None:
        return scenario
    models = fit.draw_models(n, np.random.default_rng(seed))
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
