"""``simsrc.simulate``: one scenario, expected values or random runs.

The arguments are checked here, once per call (the engine never sees a bad one): the
wrong type is a TypeError, the wrong value a ValueError, each naming the argument and
what it accepts. Expected values come from :mod:`simsrc.results.expected`, random runs
from :mod:`simsrc.results.stochastic`.
"""

from __future__ import annotations

from typing import Literal, overload

from simsrc.model.checks import check_flag, check_instance, check_seed, check_whole
from simsrc.model.scenario import Scenario
from simsrc.results.expected import Result, check_nodes, simulate_expected
from simsrc.results.stochastic import MAX_RUNS, StochasticResult, simulate_stochastic

__all__ = ["simulate"]


@overload
def simulate(
    scenario: Scenario,
    *,
    nodes: int | None = None,
    stochastic: Literal[False] = False,
    runs: int = 100,
    seed: int | None = None,
) -> Result: ...


@overload
def simulate(
    scenario: Scenario,
    *,
    nodes: int | None = None,
    stochastic: Literal[True],
    runs: int = 100,
    seed: int | None = None,
) -> StochasticResult: ...


def simulate(
    scenario: Scenario,
    *,
    nodes: int | None = None,
    stochastic: bool = False,
    runs: int = 100,
    seed: int | None = None,
) -> Result | StochasticResult:
    """Simulate one scenario: expected values, or random counts with bands.

    When the scenario uses levers, its levers-off copy is simulated in the same batched
    call so that the retention ROI can be reported.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    nodes : int, optional
        Heterogeneity classes, 1 … 121 (default: exact sBG for horizons up to 95
        months). Random runs always use the default.
    stochastic : bool
        Draw ``runs`` random runs (whole customers per cohort cell) instead of expected
        values; see :mod:`simsrc.results.stochastic`.
    runs : int
        Number of random runs (with ``stochastic=True``), 1 … 100,000.
    seed : int, optional
        Seed of the random runs, a whole number >= 0; the same seed gives identical
        output.

    Returns
    -------
    Result or StochasticResult
        :class:`StochasticResult` (P10/P50/P90 bands of every monthly series and KPI)
        when ``stochastic=True``.

    Raises
    ------
    TypeError
        An argument of the wrong type (``scenario`` not a :class:`Scenario`, ``nodes``,
        ``runs`` or ``seed`` not an integer, ``stochastic`` not a bool); numpy integers
        and bools count as Python ones.
    ValueError
        ``nodes``, ``runs`` or ``seed`` out of range; for random runs also
        :class:`~simsrc.ScenarioError` when the scenario's counts would not stay exact
        (see :func:`simsrc.results.stochastic.simulate_stochastic`).

    Examples
    --------
    >>> import simsrc
    >>> res = simsrc.simulate(simsrc.preset("b2b-saas"))
    >>> bool(abs(res.monthly["active"].iloc[-1] - res.kpis["ending_active"]) < 1e-6)
    True
    """
    # Arguments are checked once per call (the engine never sees a bad one): wrong type
    # TypeError, wrong value ValueError, each naming the argument and what it accepts.
    check_instance(scenario, "scenario", Scenario, "a Scenario")
    nodes = check_nodes(nodes)
    stochastic = check_flag(stochastic, "stochastic")
    runs = check_whole(runs, "runs", 1, MAX_RUNS)
    seed = check_seed(seed)
    if stochastic:
        return simulate_stochastic(scenario, runs=runs, seed=seed)
    return simulate_expected(scenario, nodes=nodes)
