"""Plan the test before betting on a lever: how many customers, how many months, what waits.

A change to the save team, dunning or win-back moves one rate of a funnel the scenario
already describes — the save rate of the requests the save team reaches, the share of
late payers recovered, the share of former customers won back. :func:`plan_experiment`
reads that funnel from the scenario (its volume a month and the rate with and without
the change, at the business's scale in the horizon's last year), and sizes an A/B test
with customers split half and half: the customers per arm a two-sided test of two
proportions needs (normal approximation on Cohen's h, statsmodels' ``NormalIndPower``),
the months that takes at the scenario's volume, and the NPV at stake for every month the
decision waits (the change's gain in NPV including the ending base, one month later).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simsrc.model.checks import check_instance
from simsrc.model.errors import ScenarioError
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import WHAT_IF_MARK, Scenario
from simsrc.model.units import format_value
from simsrc.results.simulate import simulate

__all__ = [
    "FUNNELS",
    "MAX_TEST_MONTHS",
    "ExperimentPlan",
    "SimulatedPower",
    "UntestableError",
    "plan_experiment",
    "simulate_power",
]

MAX_TEST_MONTHS = 36
"""A test that needs longer is refused: the business will have changed before it ends."""

FUNNELS: dict[str, tuple[str, str, str, str]] = {
    "save_team": ("cancellation requests the save team reaches", "save_team_contacts",
                  "saves", "save rate"),
    "dunning": ("late payers entering dunning", "delinquency_onsets", "recovered",
                "share of late payers recovered"),
    "win_back": ("former customers messaged", "win_back_messages", "reactivated",
                 "share of former customers won back"),
}  # fmt: skip
"""Lever section → (unit of the test, monthly column of units, of successes, the rate)."""

_CHANGE = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*=\s*(.+?)\s*$")


class UntestableError(ScenarioError):
    """A change no test can detect: nobody reaches the lever, or the rate does not move.

    A :class:`~simsrc.ScenarioError` on ``change``; ``why`` says which (``"nobody"`` or
    ``"no_effect"``), so that a caller can word it for its reader.
    """

    def __init__(self, why: str, message: str) -> None:
        self.why = why
        super().__init__("change", message)


@dataclass(frozen=True)
class ExperimentPlan:
    """An A/B test of one change, sized from the scenario's own volumes.

    Attributes
    ----------
    path, value : str, Any
        The parameter changed and its value in the test arm.
    unit, metric : str
        What is randomised (e.g. cancellation requests the save team reaches) and the
        rate compared (e.g. save rate).
    rate_control, rate_test : float
        The rate without and with the change (the scenario's expected values).
    monthly_volume : float
        Units a month, both arms together (average of the horizon's last 12 months).
    per_arm : int
        Units each arm needs.
    months : float
        Months to collect them, half of the volume going to each arm.
    alpha, power : float
        Significance (two-sided) and power.
    npv_gain : float
        NPV including the ending base, with the change against without it.
    npv_per_month_of_delay : float
        What each month of waiting costs: the gain, one month later.
    control, test : Scenario
        The two arms' scenarios.
    cause : str or None
        The exit reason whose requests alone are in a save-team test, if the change is
        about one.
    """

    path: str
    value: Any
    unit: str
    metric: str
    rate_control: float
    rate_test: float
    monthly_volume: float
    per_arm: int
    months: float
    alpha: float
    power: float
    npv_gain: float
    npv_per_month_of_delay: float
    control: Scenario
    test: Scenario
    cause: str | None = None

    def summary(self, currency: str = "USD") -> str:
        """The plan in three sentences."""
        rate = lambda x: format_value(x, "rate")  # noqa: E731
        money = lambda x: format_value(x, "currency", currency=currency)  # noqa: E731
        what = f"{self.path} = {self.value}" if "." in self.path else f"{self.value!r}"
        return (
            f"Testing {what}: the {self.metric} goes from "
            f"{rate(self.rate_control)} to {rate(self.rate_test)} (expected). "
            f"With {format_value(self.monthly_volume, 'count')} {self.unit} a month split "
            f"half and half, {self.per_arm:,} per arm take {self.months:.1f} months "
            f"(two-sided test at {self.alpha:g}, power {self.power:.0%}). "
            + (
                f"The change is worth {money(self.npv_gain)} (NPV including the ending "
                f"base); each month of waiting costs {money(self.npv_per_month_of_delay)}."
                if self.npv_gain > 0
                else f"The change would lose {money(-self.npv_gain)} (NPV including the "
                "ending base): the test guards against it."
            )
        )


def parse_change(change: str) -> tuple[str, str, float | str | bool]:
    """``path=value``, ``path=+x`` or ``path=-x`` → ``(path, "set" | "add", value)``.

    A value is a number, ``true`` / ``false``, or a word.

    Examples
    --------
    >>> parse_change("save_team.discount.acceptance.price_competitor=+0.05")
    ('save_team.discount.acceptance.price_competitor', 'add', 0.05)
    >>> parse_change("dunning.style=help_first")
    ('dunning.style', 'set', 'help_first')
    """
    check_instance(change, "change", str, "text like save_team.discount.acceptance.price=+0.05")
    match = _CHANGE.match(change)
    if not match:
        raise ScenarioError("change", f"expects PATH=VALUE or PATH=+DELTA (got {change!r})")
    path, text = match.groups()
    if text.lower() in ("true", "false"):  # switching a lever on or off
        return path, "set", text.lower() == "true"
    try:
        number = float(text)
    except ValueError:
        return path, "set", text
    if not math.isfinite(number):
        raise ScenarioError(
            "change", f"the value must be a finite number or a word (got {text!r})"
        )
    return path, ("add" if text[0] in "+-" else "set"), number


def _changed(scenario: Scenario, change: str | Scenario) -> tuple[Scenario, str, Any]:
    if isinstance(change, Scenario):  # a whole test arm: the lever section it changes
        differs = [n for n in FUNNELS if getattr(change, n) != getattr(scenario, n)]
        rest = {name: getattr(scenario, name) for name in FUNNELS}
        same_business = change.replace(name=scenario.name, **rest) == scenario
        if len(differs) != 1 or not same_business:
            raise ScenarioError(
                "change", "a test arm must differ from the scenario in the save team, "
                "dunning or win-back only, and in just one of them"
            )  # fmt: skip
        return change, differs[0], change.name
    path, how, value = parse_change(change)
    section = path.split(".", 1)[0]
    if section not in FUNNELS:
        raise ScenarioError(
            "change",
            f"{path!r} is not a lever parameter of the save team, dunning or win-back "
            "(a test compares customers treated two ways; e.g. "
            "save_team.discount.acceptance.price_competitor=+0.05)",
        )
    current = scenario.get(path)
    if how == "add":
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError("change", f"{path} is not a number, so +/- means nothing")
        value = float(current) + float(value)
    return scenario.set(path, value, name=f"{scenario.name}{WHAT_IF_MARK}test arm"), path, value


def _cause_of(scenario: Scenario, path: str) -> str | None:
    """The exit reason a save-team parameter is about (acceptance or mix), if any."""
    parts = path.split(".")
    named = [p for p in parts[1:] if p in scenario.cause_names]
    return named[0] if parts[0] == "save_team" and named else None


def _only(scenario: Scenario, cause: str) -> Scenario:
    """The save team making offers for one reason only: its saves are that reason's."""
    out = scenario
    for other in scenario.cause_names:
        if other != cause and scenario.cause(other).voluntary:
            for offer in OFFER_NAMES:
                out = out.set(f"save_team.mix.{other}.{offer}", 0.0, name=out.name)
    return out


@dataclass(frozen=True)
class _Funnel:
    """What a test counts: its units and successes, as monthly result columns."""

    unit: str
    metric: str
    units: str
    successes: str
    cause: str | None  # a save-team test on one reason's requests only

    def counts(self, monthly: Any, months: int) -> tuple[np.ndarray, np.ndarray]:
        """Successes and units of the last ``months`` months, per run.

        ``monthly`` maps columns to ``[runs, H]`` arrays or, for one run, to series.
        For one reason, its reached requests are its requests times the team's reach
        over all requests; measured on :func:`_only`, every save is one of its own.
        """

        def total(name: str) -> np.ndarray:
            return np.atleast_2d(np.asarray(monthly[name], dtype=float))[:, -months:].sum(1)

        if self.cause is None:
            return total(self.successes), total(self.units)
        requests = total("cancellation_requests")
        with np.errstate(invalid="ignore", divide="ignore"):
            reach = np.where(requests > 0, total("save_team_contacts") / requests, 0.0)
        return total("saves"), reach * total(f"requests_{self.cause}")

    def volume_and_rate(self, monthly: pd.DataFrame) -> tuple[float, float]:
        """Units a month and their success rate over the horizon's last 12 months."""
        months = min(12, len(monthly))
        successes, units = (float(x[0]) for x in self.counts(monthly, months))
        return units / months, successes / units if units > 0 else math.nan


def _funnel_of(scenario: Scenario, path: str) -> _Funnel:
    """The funnel a change to ``path`` acts on (:data:`FUNNELS`, narrowed where it can be)."""
    unit, units, successes, metric = FUNNELS[path.split(".", 1)[0]]
    if path == "save_team.coverage":  # reaching more requests: count them all
        unit, units, metric = "cancellation requests", "cancellation_requests", "share saved"
    cause = _cause_of(scenario, path)
    if cause is not None:  # only that reason's requests are in the test: no dilution
        label = scenario.cause(cause).label.lower()
        unit, metric = f"{label} requests the save team reaches", f"save rate ({label})"
    return _Funnel(unit, metric, units, successes, cause)


def _check_plan_arguments(alpha: object, power: object, max_months: object) -> None:
    ranges = {"alpha": (alpha, "(0, 0.5]", lambda v: 0.0 < v <= 0.5),
              "power": (power, "[0.5, 1)", lambda v: 0.5 <= v < 1.0),
              "max_months": (max_months, "> 0", lambda v: v > 0)}  # fmt: skip
    for name, (value, allowed, inside) in ranges.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (number and inside(value)):
            raise ScenarioError(name, f"must be a number in {allowed} (got {value!r})")


def _per_arm(p0: float, p1: float, alpha: float, power: float) -> int:
    """Units each arm needs: two-sided test of two proportions on Cohen's h."""
    # statsmodels is imported here, not at the top: the dashboards import this module,
    # and its power functions are only needed when a plan is asked for.
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    effect = abs(float(proportion_effectsize(p1, p0)))
    n = float(NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power,
                                           ratio=1.0, alternative="two-sided"))  # fmt: skip
    if not math.isfinite(n):  # an effect so large that a handful of customers decide it
        n = 2.0
    return math.ceil(n)


def plan_experiment(
    scenario: Scenario,
    change: str | Scenario,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    max_months: float = MAX_TEST_MONTHS,
) -> ExperimentPlan:
    """Size an A/B test of one lever change from the scenario's own volumes.

    Parameters
    ----------
    scenario : Scenario
        The business as it runs today (the control arm).
    change : str or Scenario
        ``PATH=VALUE`` or ``PATH=+DELTA`` for one parameter of the save team, dunning or
        win-back, e.g. ``"save_team.discount.acceptance.price_competitor=+0.05"``; or the
        test arm itself, differing in one of those sections (a new offer mix, say).
    alpha : float
        Significance of the two-sided test, in (0, 0.5].
    power : float
        Chance of detecting the change if the scenario is right, in [0.5, 1).
    max_months : float
        Longest test allowed, > 0; a longer one is an error saying how long it would take.

    Returns
    -------
    ExperimentPlan

    Raises
    ------
    ScenarioError
        A change naming no lever parameter, a value out of range, a change that does not
        move the rate tested, a test longer than :data:`MAX_TEST_MONTHS` (saying how long),
        or ``alpha`` / ``power`` out of range.

    Examples
    --------
    >>> import simsrc
    >>> plan = plan_experiment(simsrc.preset("consumer-app"),
    ...                        "save_team.discount.acceptance.price_competitor=+0.05")
    >>> plan.metric, plan.per_arm > 0, plan.months < MAX_TEST_MONTHS
    ('save rate (price or competitor)', True, True)
    """
    check_instance(scenario, "scenario", Scenario, "a Scenario")
    _check_plan_arguments(alpha, power, max_months)
    test, path, value = _changed(scenario, change)
    funnel = _funnel_of(scenario, path)
    unit, metric = funnel.unit, funnel.metric
    control_res, test_res = simulate(scenario), simulate(test)
    volume, p0 = funnel.volume_and_rate(control_res.monthly)  # the business as it runs
    if funnel.cause is None:
        _, p1 = funnel.volume_and_rate(test_res.monthly)
    else:
        _, p0 = funnel.volume_and_rate(simulate(_only(scenario, funnel.cause)).monthly)
        _, p1 = funnel.volume_and_rate(simulate(_only(test, funnel.cause)).monthly)
    if not volume > 0:
        raise UntestableError("nobody", f"the scenario has no {unit}: there is nobody to test on")
    if not (math.isfinite(p1) and abs(p1 - p0) > 1e-9):
        raise UntestableError(
            "no_effect", f"{path} = {value} does not move the {metric} ({p0:.4g} either way)"
        )
    per_arm = _per_arm(p0, p1, alpha, power)
    months = 2 * per_arm / volume
    if months > max_months:
        raise ScenarioError(
            "change",
            f"moving the {metric} from {p0:.3g} to {p1:.3g} is too small to test: "
            f"{per_arm:,} {unit} per arm take {months:,.0f} months at "
            f"{volume:,.0f} a month (at most {max_months:g} allowed)",
        )
    gain = float(test_res.kpis["npv_with_base"] - control_res.kpis["npv_with_base"])
    monthly_discount = (1.0 + scenario.annual_discount_rate) ** (-1.0 / 12.0)
    return ExperimentPlan(path, value, unit, metric, p0, p1, volume, per_arm, months,
                          float(alpha), float(power), gain, gain * (1.0 - monthly_discount),
                          scenario, test, funnel.cause)  # fmt: skip


@dataclass(frozen=True)
class SimulatedPower:
    """A planned test run many times in the simulator's random mode.

    Attributes
    ----------
    months : int
        Months the test ran (the plan's, rounded up; the horizon's last months).
    achieved : float
        Share of runs in which the two-sided z-test of two proportions rejected.
    standard_error : float
        Its Monte Carlo standard error.
    expected : float
        The power the plan's formula gives for the units those months bring.
    runs : int
        Runs of each arm.
    """

    months: int
    achieved: float
    standard_error: float
    expected: float
    runs: int


def simulate_power(plan: ExperimentPlan, runs: int = 200, seed: int = 0) -> SimulatedPower:
    """Run ``plan``'s test ``runs`` times with random customers and count the detections.

    Each arm is its scenario with half the new customers (customers are split half and
    half); the test takes the plan's months, rounded up, at the end of the horizon (the
    business at the scale the plan was sized for), compares the arms' rates with a
    two-sided z-test at the plan's ``alpha``, and the share of runs that reject is the
    achieved power, to be compared with what the power formula gives for the units
    those months bring.

    Parameters
    ----------
    plan : ExperimentPlan
        From :func:`plan_experiment`.
    runs : int
        Random runs of each arm.
    seed : int
        Seed of the runs (the test arm uses ``seed + 1``).
    """
    from scipy.stats import norm
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    months = math.ceil(plan.months)
    if months > plan.control.horizon_months:
        raise ScenarioError(
            "plan",
            f"needs {months} months, more than the {plan.control.horizon_months}-month "
            "horizon it would be simulated in",
        )
    funnel = _funnel_of(plan.control, plan.path)
    counts = []
    for i, arm in enumerate((plan.control, plan.test)):
        half = arm.set(
            "acquisition.new_per_month", arm.acquisition.new_per_month / 2, name=arm.name
        )
        if plan.cause is not None:
            half = _only(half, plan.cause)
        sim = simulate(half, stochastic=True, runs=runs, seed=seed + i)
        counts.append(funnel.counts(sim.runs_monthly, months))
        if i == 0:
            units_expected = float(funnel.counts(sim.expected.monthly, months)[1][0])
    (s_a, n_a), (s_b, n_b) = counts
    pooled = (s_a + s_b) / (n_a + n_b)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = np.abs(s_b / n_b - s_a / n_a) / se
    achieved = float(np.mean(z > norm.ppf(1 - plan.alpha / 2)))
    effect = abs(float(proportion_effectsize(plan.rate_test, plan.rate_control)))
    expected = float(NormalIndPower().power(effect_size=effect, nobs1=units_expected,
                                            alpha=plan.alpha, ratio=1.0))  # fmt: skip
    return SimulatedPower(months, achieved, math.sqrt(achieved * (1 - achieved) / runs),
                          expected, runs)  # fmt: skip
