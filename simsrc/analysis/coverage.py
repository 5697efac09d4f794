"""Are the calibrated bands honest? Coverage of a known truth over repeated data sets.

A calibrated scenario carries the estimation uncertainty of its churn parameters
(:mod:`simsrc.calibration.estimation`), and :func:`simsrc.monte_carlo` turns it into
P10–P90 bands of every KPI. Those bands are *calibrated* when the P10–P90 band of a
forecast contains the true expected value in about 80 % of data sets.
:func:`coverage_study` checks this the only way it can be checked, against a truth that
is known: draw a customer table from a scenario (:func:`synthetic_customers`),
calibrate it, take the band of each KPI from the calibrated scenario, and count how
often the truth's expected KPI falls inside — many times, at several data sizes (the
band narrows as data grow; coverage should not move).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from simsrc.analysis.sensitivity import monte_carlo
from simsrc.calibration.calibrate import calibrate_frame
from simsrc.calibration.synthetic import synthetic_customers
from simsrc.model.checks import check_seed, check_whole
from simsrc.model.parts import Cause, Heterogeneity, Segment, Shape
from simsrc.model.scenario import Scenario
from simsrc.results.expected import simulate_batch
from simsrc.results.parallel import Engine, run_tasks

__all__ = [
    "COVERAGE_KPIS",
    "COVERAGE_LEVEL",
    "COVERAGE_REASONS",
    "STUDY_FILE",
    "CoverageStudy",
    "coverage_study",
    "coverage_truth",
    "published_coverage",
    "summarize",
]

STUDY_FILE = "coverage_study.csv"
"""The shipped study's summary (package data of :mod:`simsrc.analysis`), written by
``make coverage`` (``benchmarks/coverage.py``): 200 data sets at 2,000 and 8,000
customers, 200 Monte Carlo draws each."""

COVERAGE_KPIS = ("ending_active", "npv", "clv_per_customer")
"""KPIs whose bands are checked: they depend on churn levels, shapes and the spread."""

COVERAGE_LEVEL = 0.8
"""Share of data sets whose P10–P90 band should hold the truth."""

COVERAGE_REASONS: dict[str, str | None] = {
    "price_competitor": "Price too high",
    "onboarding": "Competitor made better offer",
    "natural_events": "Moved",
}
"""Reasons the truth's leavers state: onboarding leavers give a price reason, so the
calibration must find that cause from the tenure pattern alone (its latent-cause model)."""


def coverage_truth() -> Scenario:
    """Two segments, a flat and an early cause with heterogeneity, and unpreventable moves.

    Examples
    --------
    >>> s = coverage_truth()
    >>> [c.name for c in s.causes], s.heterogeneity.spread
    (['price_competitor', 'onboarding', 'natural_events'], 0.4)
    """
    return Scenario(
        name="truth",
        segments=(Segment("basic", "Basic", 0.6, 30.0), Segment("pro", "Pro", 0.4, 80.0)),
        causes=(
            Cause("price_competitor", "Price", (0.04, 0.015)),
            Cause("onboarding", "Onboarding", (0.10, 0.03), shape=Shape("early", 2.0)),
            Cause(
                "natural_events", "Moved", (0.006, 0.004), heterogeneous=False, preventable=False
            ),
        ),
        heterogeneity=Heterogeneity(spread=0.4),
        horizon_months=72,
    )


@dataclass(frozen=True)
class CoverageStudy:
    """What :func:`coverage_study` found.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per data set and KPI: ``customers``, ``rep``, ``kpi``, ``p10``, ``p90``,
        ``truth`` and ``covered`` (the truth inside the band).
    summary : pandas.DataFrame
        One row per data size and KPI: ``coverage`` (share of bands holding the truth),
        ``mc_error`` (its binomial standard error, ``sqrt(c (1 − c) / reps)``),
        ``reps`` and ``width`` (median band width relative to the truth).
    """

    runs: pd.DataFrame
    summary: pd.DataFrame

    def consistent(self, level: float = COVERAGE_LEVEL, sigmas: float = 3.0) -> pd.Series:
        """Whether each size's and KPI's coverage is within ``sigmas`` Monte Carlo errors.

        The error used is the one of the target level (``sqrt(level (1 − level) / reps)``),
        which does not vanish when a small study happens to cover every time.
        """
        s = self.summary
        error = np.sqrt(level * (1 - level) / s["reps"])
        return (s["coverage"] - level).abs() <= sigmas * error


def _one_data_set(shared: Mapping[str, Any], customers: int, rep: int, seed: int) -> dict:
    """Calibrate one drawn table and return its band of every KPI."""
    truth: Scenario = shared["truth"]
    frame = synthetic_customers(
        truth, customers, seed=seed, window=shared["window"], reasons=shared["reasons"]
    )
    calibrated, _ = calibrate_frame(
        frame, base=truth.replace(name="base"), window_months=shared["window"], segment="plan"
    )
    bands = monte_carlo(calibrated, n=shared["draws"], seed=seed).kpis
    kpis = shared["kpis"]
    low = bands[list(kpis)].quantile(0.1)
    high = bands[list(kpis)].quantile(0.9)
    return {"customers": customers, "rep": rep, "p10": low, "p90": high}


def coverage_study(
    truth: Scenario | None = None,
    sizes: Sequence[int] = (2_000, 8_000),
    reps: int = 200,
    *,
    kpis: Sequence[str] = COVERAGE_KPIS,
    draws: int = 200,
    window: int | None = None,
    reasons: Mapping[str, str | None] | None = None,
    seed: int = 0,
    engine: Engine = "local",
    progress: bool = False,
) -> CoverageStudy:
    """Coverage of the calibrated P10–P90 bands, over ``reps`` data sets at each size.

    Parameters
    ----------
    truth : Scenario, optional
        The scenario the data are drawn from (default :func:`coverage_truth`, whose
        leavers state :data:`COVERAGE_REASONS`). Its expected KPIs are the truth; the
        calibration starts from it renamed, so only what the data estimate can differ.
    sizes : sequence of int
        Customers per data set.
    reps : int
        Data sets per size (≥ 200 for a coverage to ±3 points).
    kpis : sequence of str
        KPIs whose bands are checked.
    draws : int
        Monte Carlo draws of each calibrated scenario's band.
    window : int, optional
        Draw quarterly-style snapshots of the last ``window`` months (see
        :func:`synthetic_customers`) and calibrate them as such.
    reasons : mapping, optional
        Stated reason per cause (default :data:`COVERAGE_REASONS` for the default truth).
    seed : int
        Data set ``r`` at size ``i`` is drawn with ``seed + 1000 * i + r``.
    engine : {"local", "dask"}
        Where the data sets are calibrated (dask: one process per core).
    progress : bool
        Show a progress bar.

    Returns
    -------
    CoverageStudy

    Examples
    --------
    >>> study = coverage_study(sizes=(1_000,), reps=2, draws=50)
    >>> study.summary[["customers", "kpi", "reps"]].to_dict("records")[0]
    {'customers': 1000, 'kpi': 'ending_active', 'reps': 2}
    """
    truth = coverage_truth() if truth is None else truth
    if reasons is None:
        reasons = COVERAGE_REASONS if truth.name == "truth" else {}
    reps = check_whole(reps, "reps", 1, 100_000)
    draws = check_whole(draws, "draws", 2, 100_000)
    seed = check_seed(seed) or 0
    sizes = [check_whole(n, "sizes", 100, 10_000_000) for n in sizes]
    true = simulate_batch([truth]).kpis.iloc[0]
    shared: dict[str, Any] = {"truth": truth, "window": window, "reasons": dict(reasons)}
    shared |= {"draws": draws, "kpis": tuple(kpis)}
    tasks = [(n, r, seed + 1000 * i + r) for i, n in enumerate(sizes) for r in range(reps)]
    out = run_tasks(
        _one_data_set, shared, tasks, [1] * len(tasks), engine=engine,
        progress=progress, desc="data sets calibrated", unit="data set",
    )  # fmt: skip
    runs = _runs(out, kpis, true)
    return CoverageStudy(runs, summarize(runs))


def _runs(out: Sequence[dict], kpis: Sequence[str], true: pd.Series) -> pd.DataFrame:
    """One row per data set and KPI: its band, the truth and whether the band held it."""
    rows = [
        {"customers": o["customers"], "rep": o["rep"], "kpi": k, "p10": float(o["p10"][k]),
         "p90": float(o["p90"][k]), "truth": float(true[k])}
        for o in out
        for k in kpis
    ]  # fmt: skip
    runs = pd.DataFrame(rows)
    runs["covered"] = (runs["p10"] <= runs["truth"]) & (runs["truth"] <= runs["p90"])
    return runs


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Coverage, its Monte Carlo error and the median relative band width per size × KPI."""
    width = (runs["p90"] - runs["p10"]) / runs["truth"].abs()
    g = runs.assign(width=width).groupby(["customers", "kpi"], sort=False)
    out = g.agg(coverage=("covered", "mean"), reps=("covered", "size"), width=("width", "median"))
    out = out.reset_index()
    c = out["coverage"]
    out.insert(3, "mc_error", np.sqrt(c * (1 - c) / out["reps"]))
    return out[["customers", "kpi", "coverage", "mc_error", "reps", "width"]]


def published_coverage() -> pd.DataFrame:
    """The summary of the shipped study (:data:`STUDY_FILE`), as :attr:`CoverageStudy.summary`.

    Examples
    --------
    >>> table = published_coverage()
    >>> sorted(set(table["customers"])), int(table["reps"].min())
    ([2000, 8000], 200)
    """
    text = resources.files("simsrc.analysis").joinpath(STUDY_FILE).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text))
