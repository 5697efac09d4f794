"""Sensitivity and parameter uncertainty: tornado tables and Monte Carlo bands.

* :func:`tornado` moves each parameter down and up (by ±``pct`` of its value, or over
  its ``[uncertainty]`` range) and ranks parameters by how much a KPI swings;
* :func:`monte_carlo` samples every ``[uncertainty]`` range of a scenario and reports
  P10/P50/P90 bands of monthly revenue, MRR and active customers and of the KPIs.

Both answer all their what-ifs in one :func:`simsrc.simulate_batch` call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc.analysis.sweep import build_scenarios
from simsrc.model import paths
from simsrc.model.errors import ScenarioError
from simsrc.model.params import PARAMETERS, Param
from simsrc.model.parts import JointDraws, Uncertain
from simsrc.model.scenario import Scenario
from simsrc.results.bands import kpi_table, monthly_band
from simsrc.results.expected import simulate_batch
from simsrc.results.kpis import KPI_INFO

Array = NDArray[np.float64]

_NOT_SWEPT = frozenset({"horizon_months"})  # structural: variants must share a horizon


def numeric_paths(scenario: Scenario, *, nonzero: bool = True) -> list[str]:
    """Concrete paths of the scenario's numeric parameters (listed in the table).

    Parameters
    ----------
    scenario : Scenario
        The scenario to enumerate.
    nonzero : bool
        Only parameters whose value is not zero (a relative change of zero is nothing),
        and no contract fields of a segment without a contract term (they act on nothing).

    Returns
    -------
    list of str
        In the scenario-file order; ``horizon_months`` is left out (structural).

    Examples
    --------
    >>> import simsrc
    >>> "segments.premium.monthly_price" in numeric_paths(simsrc.preset("b2b-saas"))
    True
    """
    data = scenario.to_dict(full=True)
    data.pop("uncertainty", None)
    idle = tuple(
        f"segments.{x.name}.contract." for x in scenario.segments if x.contract.term_months <= 0
    )
    out = []
    for path, value in paths.numeric_leaves(data):
        if path in _NOT_SWEPT or PARAMETERS.find(path) is None:
            continue
        if nonzero and path.startswith(idle):
            continue
        if path.rpartition(".")[2].isdigit():  # one month of a seasonality list says little
            continue
        if nonzero and value == 0:
            continue
        out.append(path)
    return out


def current_value(scenario: Scenario, path: str) -> float:
    """The scenario's value at a concrete dotted path.

    Examples
    --------
    >>> import simsrc
    >>> current_value(simsrc.preset("b2b-saas"), "segments.premium.monthly_price") > 0
    True
    """
    value = paths.get_path(scenario.to_dict(full=True), path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(path, "not a numeric parameter of this scenario")
    return float(value)


def _range(row: Param, base: float, pct: float, u: Uncertain | None) -> tuple[float, float]:
    if u is not None:
        return float(u.low), float(u.high)
    lo = min(max(base * (1.0 - pct), row.lo), row.hi)
    hi = min(max(base * (1.0 + pct), row.lo), row.hi)
    lo, hi = min(lo, hi), max(lo, hi)
    if row.integer:
        lo, hi = float(math.floor(lo)), float(math.ceil(hi))
        lo, hi = max(lo, row.lo), min(hi, row.hi)
    return lo, hi


def _as_number(x: float, row: Param) -> float | int:
    return round(x) if row.integer else float(x)


def tornado(
    scenario: Scenario,
    paths: Sequence[str] | None = None,
    pct: float = 0.1,
    kpi: str = "npv",
) -> pd.DataFrame:
    """One-at-a-time sensitivity of a KPI: the data of a tornado chart.

    Each parameter is set to a low and a high value with everything else at the base:
    ±``pct`` of its value (clamped to the parameter's bounds), or its ``[uncertainty]``
    range when the scenario gives one. All variants run in one batched call.

    Parameters
    ----------
    scenario : Scenario
        The base point.
    paths : sequence of str, optional
        Concrete parameter paths; default every non-zero numeric parameter of the
        scenario (variants the scenario's own checks reject, e.g. a segment share that
        no longer sums to one, are left out of the default list).
    pct : float
        Relative change, ``0 < pct < 1``.
    kpi : str
        The KPI to explain (see :data:`simsrc.KPI_INFO`).

    Returns
    -------
    pandas.DataFrame
        Columns ``path, label, base_value, low_value, high_value, kpi_low, kpi_high,
        swing, elasticity``, sorted by ``swing = |kpi_high − kpi_low|``, largest first.
        ``elasticity`` is the arc elasticity at the base point,
        ``((kpi_high − kpi_low) / kpi_base) / ((high − low) / base)`` (NaN when the base
        KPI or the range is zero).

    Raises
    ------
    ValueError
        For ``pct`` outside (0, 1) or an unknown KPI.
    ScenarioError
        For an unknown path or a variant the scenario rejects (explicit paths only).

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas")
    >>> t = tornado(s, ["segments.premium.monthly_price", "acquisition.new_per_month"])
    >>> list(t.columns)[:3]
    ['path', 'label', 'base_value']
    >>> bool(t["swing"].is_monotonic_decreasing)
    True
    """
    if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0.0 < pct < 1.0:
        raise ValueError(f"pct must be a fraction strictly between 0 and 1 (got {pct!r})")
    if kpi not in KPI_INFO:
        raise ValueError(f"unknown KPI {kpi!r}; choose from {', '.join(KPI_INFO)}")
    explicit = paths is not None
    todo = list(paths) if paths is not None else numeric_paths(scenario)
    rows, variants = _tornado_variants(scenario, todo, float(pct), explicit)
    values = simulate_batch(variants).kpis[kpi].to_numpy(dtype=float)
    return _tornado_frame(rows, values)


def _tornado_variants(
    scenario: Scenario, todo: list[str], pct: float, explicit: bool
) -> tuple[list[dict[str, Any]], list[Scenario]]:
    """One row per varied path and the variants: the base, then low and high per row.

    A variant the scenario rejects raises for an explicit path and is left out otherwise.
    """
    ranges = {u.path: u for u in scenario.uncertainty}
    rows: list[dict[str, Any]] = []
    variants: list[Scenario] = [scenario]
    for path in todo:
        row = PARAMETERS.find(path)
        if row is None:
            raise ScenarioError(path, "not a numeric parameter (see `simsrc params`)")
        if path in _NOT_SWEPT:
            raise ScenarioError(path, "cannot be varied in a batch (structural)")
        base = current_value(scenario, path)
        lo, hi = _range(row, base, pct, ranges.get(path))
        try:
            pair = [scenario.set(path, _as_number(v, row), name=scenario.name) for v in (lo, hi)]
        except ScenarioError:
            if explicit:
                raise
            continue
        variants += pair
        rows.append(
            {
                "path": path,
                "label": PARAMETERS.label(path, scenario),
                "base_value": base,
                "low_value": lo,
                "high_value": hi,
            }
        )
    return rows, variants


def _tornado_frame(rows: list[dict[str, Any]], values: NDArray[np.float64]) -> pd.DataFrame:
    """The tornado table from its rows and the KPI of the base and every variant."""
    k0 = values[0]
    out = pd.DataFrame(
        rows, columns=["path", "label", "base_value", "low_value", "high_value"]
    ).astype({"base_value": float, "low_value": float, "high_value": float})
    out["kpi_low"] = values[1::2]
    out["kpi_high"] = values[2::2]
    out["swing"] = (out["kpi_high"] - out["kpi_low"]).abs()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_kpi = (out["kpi_high"] - out["kpi_low"]) / k0
        rel_par = (out["high_value"] - out["low_value"]) / out["base_value"]
        el = np.where((rel_par != 0) & (k0 != 0), rel_kpi / rel_par, np.nan)
    out["elasticity"] = el
    out = out.sort_values("swing", ascending=False, kind="stable", na_position="last")
    return out.reset_index(drop=True)


# -- Monte Carlo over parameter uncertainty -------------------------------------------


def sample_uncertainty(scenario: Scenario, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw ``n`` samples of the scenario's uncertain parameters.

    Uniform ranges use ``rng.uniform``; triangular ranges ``rng.triangular`` with the
    given mode (default the midpoint); each range independently. Joint draws
    (``[estimation]``) contribute one whole parameter set per sample, picked uniformly
    with ``rng.integers``, so their correlations are kept. Integer parameters are
    rounded.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(uncertainty=(
    ...     simsrc.Uncertain("segments.premium.monthly_price", 900, 1100),))
    >>> sample_uncertainty(s, 3, np.random.default_rng(0)).shape
    (3, 1)
    """
    cols: dict[str, Array] = {}
    for u in scenario.uncertainty:
        row = PARAMETERS[u.path]
        if u.high <= u.low:
            x = np.full(n, float(u.low))
        elif u.distribution == "triangular":
            mode = (u.low + u.high) / 2.0 if u.mode is None else u.mode
            x = rng.triangular(u.low, mode, u.high, size=n)
        else:
            x = rng.uniform(u.low, u.high, size=n)
        if row.integer:
            x = np.clip(np.round(x), row.lo, row.hi)
        cols[u.path] = np.asarray(x, dtype=float)
    if scenario.estimation is not None:
        draws = np.asarray(scenario.estimation.draws, dtype=float)
        rows = draws[rng.integers(0, len(draws), size=n)]
        for j, path in enumerate(scenario.estimation.paths):
            cols[path] = rows[:, j]
    return pd.DataFrame(cols)


def uncertain_paths(scenario: Scenario) -> tuple[str, ...]:
    """Parameters Monte Carlo varies: ``[uncertainty]`` ranges, then ``[estimation]`` draws.

    Examples
    --------
    >>> import simsrc
    >>> len(uncertain_paths(simsrc.preset("b2b-saas")))
    7
    """
    joint = scenario.estimation.paths if scenario.estimation is not None else ()
    return tuple(u.path for u in scenario.uncertainty) + joint


def uncertainty_table(scenario: Scenario) -> pd.DataFrame:
    """What Monte Carlo varies, one row a parameter, for people to read.

    The ``[uncertainty]`` ranges, then the parameters of the ``[estimation]`` draws (a
    calibration's joint estimates) with the P10–P90 of their draws.

    Returns
    -------
    pandas.DataFrame
        ``parameter`` (its label), ``value`` (the scenario's), ``low``, ``high``,
        ``distribution`` and ``unit`` (each row's, which :func:`simsrc.ui.format.table`
        writes its numbers in).

    Examples
    --------
    >>> import simsrc
    >>> t = uncertainty_table(simsrc.preset("b2b-saas"))
    >>> t.loc[0, "parameter"], float(t.loc[0, "low"]), float(t.loc[0, "high"]), t.loc[0, "unit"]
    ('New customers per month', 90.0, 150.0, 'customers/month')
    """
    ranges: list[tuple[str, float, float, str]] = [
        (u.path, u.low, u.high, u.distribution) for u in scenario.uncertainty
    ]
    if scenario.estimation is not None:
        draws = np.asarray(scenario.estimation.draws, dtype=float)
        low, high = np.percentile(draws, [10, 90], axis=0)
        said = f"estimated (P10–P90 of {len(draws)} joint draws)"
        joint = zip(scenario.estimation.paths, low, high, strict=True)
        ranges += [(p, float(lo), float(hi), said) for p, lo, hi in joint]
    rows = []
    for path, lo, hi, distribution in ranges:
        row = PARAMETERS[path]
        rows.append({"parameter": PARAMETERS.label(path, scenario),
                     "value": current_value(scenario, path), "low": lo, "high": hi,
                     "distribution": distribution, "unit": row.unit})  # fmt: skip
    columns = ["parameter", "value", "low", "high", "distribution", "unit"]
    return pd.DataFrame(rows, columns=columns)


def follow_ranges(scenario: Scenario, reference: Scenario) -> Scenario:
    """Move uncertainty ranges set around ``reference``'s values to ``scenario``'s.

    A what-if that changes an uncertain parameter (say, halves a churn level) keeps
    the range's relative width around the new value: each bound (and mode) is
    multiplied by ``new / old`` (shifted by ``new − old`` when the old value is zero)
    and kept within the parameter's bounds. Ranges of unchanged parameters stay as
    they are.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> what_if = base.set("acquisition.new_per_month", 240)
    >>> u = next(u for u in follow_ranges(what_if, base).uncertainty
    ...          if u.path == "acquisition.new_per_month")
    >>> (u.low, u.high)
    (180.0, 300.0)
    """
    moved = []
    for u in scenario.uncertainty:
        old, new = current_value(reference, u.path), current_value(scenario, u.path)
        if old == new:
            moved.append(u)
            continue
        row = PARAMETERS[u.path]

        def shift(x: float, old: float = old, new: float = new, row: Param = row) -> float:
            return float(_moved(np.asarray(x, dtype=float), old, new, row))

        mode = None if u.mode is None else shift(u.mode)
        moved.append(Uncertain(u.path, shift(u.low), shift(u.high), u.distribution, mode))
    return scenario.replace(
        uncertainty=tuple(moved), estimation=_follow_draws(scenario, reference)
    )


def _moved(x: Array, old: float, new: float, row: Param) -> Array:
    """Values set around ``old`` moved to ``new``, kept within the parameter's bounds.

    Scaled by ``new / old``, or shifted by ``new − old`` when ``old`` is 0.
    """
    y = x * new / old if old else x + new - old
    return np.asarray(np.clip(y, row.lo, row.hi))


def _follow_draws(scenario: Scenario, reference: Scenario) -> JointDraws | None:
    """Joint draws moved like ranges: each changed parameter's column scaled (or shifted)."""
    est = scenario.estimation
    if est is None:
        return None
    draws = np.asarray(est.draws, dtype=float)
    for j, path in enumerate(est.paths):
        old, new = current_value(reference, path), current_value(scenario, path)
        if old != new:
            draws[:, j] = _moved(draws[:, j], old, new, PARAMETERS[path])
    return JointDraws(est.paths, tuple(tuple(float(x) for x in r) for r in draws), est.source)


@dataclass(frozen=True)
class MonteCarloResult:
    """Outcome of :func:`monte_carlo`.

    Attributes
    ----------
    scenario : Scenario
        The base scenario (its ``uncertainty`` ranges were sampled).
    samples : pandas.DataFrame
        The sampled parameter values, one row per run, one column per path.
    kpis : pandas.DataFrame
        KPIs of every run (same rows as ``samples``).
    kpi_bands : pandas.DataFrame
        One row per KPI: ``p10, p50, p90, mean, std_error`` over the runs (the layout of
        :attr:`simsrc.StochasticResult.kpi_bands`).
    monthly : dict of str to pandas.DataFrame
        ``"revenue"``, ``"mrr"``, ``"active"``: columns ``p10, p50, p90, mean`` by month
        (summed over segments).
    runs : dict of str to ndarray
        The monthly series of every run, ``[n, H]`` (same keys as ``monthly``).
    """

    scenario: Scenario
    samples: pd.DataFrame
    kpis: pd.DataFrame
    kpi_bands: pd.DataFrame
    monthly: dict[str, pd.DataFrame]
    runs: dict[str, Array]


MONTHLY_SERIES = ("revenue", "mrr", "active")


def monte_carlo(scenario: Scenario, n: int = 500, seed: int | None = None) -> MonteCarloResult:
    """Propagate the scenario's parameter uncertainty to monthly series and KPIs.

    Samples every ``[uncertainty]`` range (independently; uniform or triangular) and
    whole parameter sets of the ``[estimation]`` draws (their correlations kept) with
    ``numpy.random.default_rng(seed)`` and simulates all draws in one batched call.
    The same seed gives identical output.

    Parameters
    ----------
    scenario : Scenario
        A scenario with at least one :class:`simsrc.Uncertain` range.
    n : int
        Number of draws.
    seed : int, optional
        Seed for reproducible draws.

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    ScenarioError
        If the scenario has no uncertainty ranges.
    ValueError
        If ``n < 1``.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(uncertainty=(
    ...     simsrc.Uncertain("acquisition.new_per_month", 40, 80),))
    >>> mc = monte_carlo(s, n=50, seed=1)
    >>> list(mc.monthly["revenue"].columns)
    ['p10', 'p50', 'p90', 'mean']
    >>> bands = mc.monthly["revenue"]
    >>> bool((bands["p10"] <= bands["p90"]).all())
    True
    """
    if not scenario.uncertainty and scenario.estimation is None:
        raise ScenarioError(
            "uncertainty",
            "the scenario has no uncertainty to sample (add [uncertainty] ranges or "
            "[estimation] draws)",
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer (got {n!r})")
    rng = np.random.default_rng(seed)
    samples = sample_uncertainty(scenario, n, rng)
    points = samples.copy()
    for path in points.columns:
        if PARAMETERS[path].integer:
            points[path] = points[path].astype(int)
    out = simulate_batch(build_scenarios(scenario, points), monthly=True)
    assert out.arrays is not None
    kpis = out.kpis.reset_index(drop=True)
    kpi_bands = kpi_table(kpis)
    runs = {name: out.arrays[name].sum(axis=1) for name in MONTHLY_SERIES}
    monthly = {name: monthly_band(x) for name, x in runs.items()}
    return MonteCarloResult(scenario, samples, kpis, kpi_bands, monthly, runs)


__all__ = [
    "MonteCarloResult",
    "current_value",
    "follow_ranges",
    "monte_carlo",
    "numeric_paths",
    "sample_uncertainty",
    "tornado",
    "uncertain_paths",
    "uncertainty_table",
]
