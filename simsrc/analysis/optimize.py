"""The best use of a retention budget: offer mix, save-team coverage and programs.

:func:`optimize_retention` chooses, for every voluntary cause, which share of the save
team's reached requests get each offer — and, if asked, how many cancellation requests
the save team reaches (coverage) and which cause programs to run — to maximise NPV
subject to

* a **budget** on the retention spend over the horizon (retention costs plus the
  discounts given, undiscounted), and
* the save team's **capacity**: at most so many conversations in any month.

The mix and coverage are continuous: :func:`scipy.optimize.minimize` (SLSQP) climbs from
the scenario's own settings and from each cause's single most accepted offer, with
forward-difference gradients whose what-ifs run in one :func:`simsrc.simulate_batch`
call per step. Programs are on/off, so every combination is solved and the best kept.
The answer says which constraints bind and what more budget or capacity would be worth
(:meth:`RetentionPlan.explain`).

The problem is smooth but not convex in general: the answer is the best local optimum
found from those starts.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize

from simsrc.engine.pack import pack
from simsrc.model.errors import ScenarioError
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import Scenario
from simsrc.model.units import format_value
from simsrc.results.expected import simulate_batch

Array = NDArray[np.float64]

SPEND_KPIS = ("total_retention_cost", "total_discounts_given")
"""KPIs summed into the retention spend that the budget caps (over the horizon)."""

PROGRAMS = ("onboarding", "success", "service")
"""Cause programs that ``programs=True`` switches on and off."""

_STEP = 1e-4  # finite-difference step on a share
_TOL = 1e-3  # relative tolerance for calling a constraint binding


@dataclass(frozen=True)
class RetentionPlan:
    """Outcome of :func:`optimize_retention` (and :func:`optimize_offer_mix`).

    Attributes
    ----------
    scenario : Scenario
        The scenario with the chosen settings.
    mix : pandas.DataFrame
        Chosen shares, causes × offers (the decision variables; others unchanged).
    coverage : float
        The save team's coverage.
    programs : dict of str to bool
        Which cause programs run.
    npv, npv_start : float
        NPV with the plan and with the scenario's own settings.
    spend, budget : float
        Retention spend of the plan (sum of :data:`SPEND_KPIS`) and its cap
        (``inf`` without one).
    peak_contacts, capacity : float
        The most save-team conversations in any month, and its cap (``inf``).
    binding : tuple of str
        Constraints that bind: ``"budget"``, ``"capacity"``, ``"save_team.coverage
        (at most 100 %)"``, ``"save_team.mix.<cause> (shares sum to 1)"``.
    shadow : dict of str to float
        NPV per unit of more budget (``"budget"``: per currency unit) or capacity
        (``"capacity"``: per conversation a month), for binding ones.
    evaluations : int
        Scenarios simulated.
    success : bool
        Whether SLSQP reported convergence for the chosen solution.
    message : str
        SLSQP's message.
    """

    scenario: Scenario
    mix: pd.DataFrame
    coverage: float
    programs: dict[str, bool]
    npv: float
    npv_start: float
    spend: float
    budget: float
    peak_contacts: float
    capacity: float
    binding: tuple[str, ...]
    shadow: dict[str, float] = field(default_factory=dict)
    evaluations: int = 0
    success: bool = True
    message: str = ""

    def mix_of(self, cause: str) -> dict[str, float]:
        """The chosen shares of one cause's requests, offers above 0.5 % only."""
        if cause not in self.mix.index:
            return {}
        row = self.mix.loc[cause].to_numpy(dtype=float)
        return {str(o): float(v) for o, v in zip(self.mix.columns, row, strict=True) if v > 0.005}

    def explain(self) -> str:
        """The plan in plain words: what it does, what it gains, what limits it."""
        cur = self.scenario.currency

        def money(x: float) -> str:
            return format_value(x, "currency", cur)

        gain = self.npv - self.npv_start
        labels = self.scenario.item_labels
        lines = [
            f"NPV {money(self.npv)} against {money(self.npv_start)} with the current "
            f"settings ({'+' if gain >= 0 else ''}{money(gain)}).",
            f"Save team: reaches {self.coverage:.0%} of cancellation requests; "
            f"at most {self.peak_contacts:,.0f} conversations in a month.",
        ]
        for cause in self.mix.index:
            shares = ", ".join(
                f"{labels.get(o, o).lower()} {v:.0%}" for o, v in self.mix_of(cause).items()
            )
            lines.append(f"  {labels.get(cause, cause)}: {shares or 'no offer'}")
        if self.programs:
            on = [p.replace("_", " ") for p, v in self.programs.items() if v]
            lines.append(f"Programs: {', '.join(on) if on else 'none'}.")
        if np.isfinite(self.budget):
            lines.append(f"Retention spend {money(self.spend)} of a {money(self.budget)} budget.")
        if not self.binding:
            lines.append("No constraint binds: more budget or capacity would not help.")
        full = [
            b.split(".")[2].split(" ")[0] for b in self.binding if b.startswith("save_team.mix.")
        ]
        for b in self.binding:
            if b == "budget":
                value = self.shadow.get("budget")
                worth = (
                    f" each extra {money(1.0)} of budget adds about {money(value)} of NPV"
                    if value
                    else ""
                )
                lines.append(f"The budget binds:{worth}.")
            elif b == "capacity":
                value = self.shadow.get("capacity")
                worth = (
                    f" each extra conversation a month adds about {money(value)} of NPV"
                    if value
                    else ""
                )
                lines.append(f"The save team's capacity binds:{worth}.")
            elif b.startswith("save_team.coverage"):
                lines.append("At its limit: the save team already reaches every request.")
            elif not b.startswith("save_team.mix."):
                lines.append(f"At its limit: {b}.")
        if full:
            causes = ", ".join(labels.get(c, c).lower() for c in full)
            lines.append(
                f"At its limit: every request the save team reaches gets an offer for {causes}."
            )
        return "\n".join(lines)


@dataclass
class _Problem:
    """Decision variables, their scenario, and batched evaluation with gradients."""

    data: dict[str, Any]
    pairs: list[tuple[str, str]]
    with_coverage: bool
    need_peak: bool
    evaluations: int = 0
    cache: dict[bytes, tuple[Array, Array, Array]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.pairs) + int(self.with_coverage)

    def scenario(self, x: Array) -> Scenario:
        d = copy.deepcopy(self.data)
        for (cause, offer), v in zip(self.pairs, x, strict=False):
            d["save_team"]["mix"][cause][offer] = float(min(max(v, 0.0), 1.0))
        if self.with_coverage:
            d["save_team"]["coverage"] = float(min(max(x[-1], 0.0), 1.0))
        return Scenario.from_dict(d)

    def run(self, points: Sequence[Array]) -> tuple[Array, Array, Array]:
        """NPV, spend and peak monthly contacts of each point (one batch)."""
        self.evaluations += len(points)
        out = simulate_batch([self.scenario(p) for p in points], monthly=self.need_peak)
        k = out.kpis
        npv = k["npv"].to_numpy(dtype=float)
        spend = k[list(SPEND_KPIS)].to_numpy(dtype=float).sum(axis=1)
        if self.need_peak:
            assert out.arrays is not None
            peak = out.arrays["reached"].sum(axis=1).max(axis=1)
        else:
            peak = np.zeros(len(points))
        return npv, spend, np.asarray(peak, dtype=float)

    def with_gradients(self, x: Array, step_room: Array) -> tuple[Array, Array, Array]:
        """Values at ``x`` and forward-difference gradients (step sign kept feasible)."""
        key = np.asarray(x, dtype=float).tobytes()
        if key not in self.cache:
            steps = np.where(step_room >= _STEP, _STEP, -_STEP)
            points = [x, *(x + steps[i] * np.eye(self.n)[i] for i in range(self.n))]
            values = self.run(points)
            self.cache.clear()  # SLSQP asks for the value, then the gradient, at one point
            self.cache[key] = tuple(  # type: ignore[assignment]
                np.concatenate([[v[0]], (v[1:] - v[0]) / steps]) for v in values
            )
        return self.cache[key]


def _variables(s: Scenario, offers: Sequence[str]) -> list[tuple[str, str]]:
    """(cause, offer) pairs worth deciding: voluntary causes, offers that can be accepted."""
    p = pack([s])
    acc = p.levers.acceptance[0]  # [O, K]
    return [
        (cause, offer)
        for k, cause in enumerate(s.cause_names)
        if p.voluntary[0, k] > 0
        for offer in offers
        if acc[OFFER_NAMES.index(offer), k] > 0
    ]


@dataclass(frozen=True)
class _MixSpace:
    """The feasible mixes: each share in [0, 1], each cause's decided shares within room.

    ``rows[i] @ x`` is cause ``i``'s total decided share; ``room[i]`` what its offers
    that are not decided leave over (shares of one cause sum to at most 1).
    """

    causes: list[str]
    rows: Array  # [causes, variables]
    room: Array  # [causes]

    @classmethod
    def of(cls, s: Scenario, pairs: list[tuple[str, str]], n: int) -> _MixSpace:
        """The space of a scenario's decided (cause, offer) pairs and ``n`` variables."""
        mix = s.to_dict(full=True)["save_team"]["mix"]
        causes = sorted({c for c, _ in pairs}, key=s.cause_names.index)
        rows = np.zeros((len(causes), n))
        for i, cause in enumerate(causes):
            rows[i, : len(pairs)] = [1.0 if c == cause else 0.0 for c, _ in pairs]
        fixed = [sum(v for o, v in mix[c].items() if (c, o) not in pairs) for c in causes]
        return cls(causes, rows, np.array([max(1.0 - f, 0.0) for f in fixed]))

    def step_room(self, x: Array) -> Array:
        """How far each variable may grow: its bound, and its cause's row."""
        free = 1.0 - x
        for row, room in zip(self.rows, self.room, strict=True):
            free = np.where(row > 0, np.minimum(free, room - row @ x), free)
        return free

    def clip(self, x: Array) -> Array:
        """The nearest point inside the space (shares scaled down within their row)."""
        x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
        for row, room in zip(self.rows, self.room, strict=True):
            total = row @ x
            if total > room:
                x = np.where(row > 0, x * (room / total) * (1 - 1e-12), x)
        return x

    def full_rows(self, x: Array) -> list[str]:
        """Causes whose decided shares use all their room."""
        return [
            c for c, row, room in zip(self.causes, self.rows, self.room, strict=True)
            if row @ x >= room - _TOL
        ]  # fmt: skip


def _greedy(s: Scenario, pairs: list[tuple[str, str]], space: _MixSpace, x0: Array) -> Array:
    """Each cause's most accepted offer for all its room (coverage as it is)."""
    greedy = np.zeros_like(x0)
    acc = pack([s]).levers.acceptance[0]
    for cause, room in zip(space.causes, space.room, strict=True):
        idx = [j for j, (c, _) in enumerate(pairs) if c == cause]
        k = s.cause_names.index(cause)
        top = max(idx, key=lambda j: acc[OFFER_NAMES.index(pairs[j][1]), k])
        greedy[top] = room
    if len(x0) > len(pairs):
        greedy[-1] = x0[-1]
    return greedy


@dataclass(frozen=True)
class _Search:
    """One SLSQP search space: the problem, its feasible mixes, budget and capacity."""

    prob: _Problem
    space: _MixSpace
    budget: float
    capacity: float

    def at(self, x: Array) -> tuple[Array, Array, Array]:
        """NPV, spend and peak contacts at x, each followed by its gradient.

        SLSQP may try points a little outside the mix rows (shares of a reason summing
        past 1); those are evaluated at their projection, which is a valid scenario.
        """
        y = self.space.clip(x)
        return self.prob.with_gradients(y, self.space.step_room(y))

    def feasible_start(self, x: Array) -> Array | None:
        """Scale offers (and coverage) down until spend and contacts fit."""
        for t in (1.0, 0.5, 0.25, 0.1, 0.0):
            y = self.space.clip(x * t)
            _, spend, peak = self.prob.run([y])
            if spend[0] <= self.budget and peak[0] <= self.capacity:
                return y
        return None

    def constraints(self) -> list[dict[str, Any]]:
        """SLSQP's inequality constraints: mix rows, budget and capacity (scaled)."""
        space = self.space
        out: list[dict[str, Any]] = []
        if len(space.causes):
            out.append(
                {"type": "ineq", "fun": lambda x: space.room - space.rows @ x,
                 "jac": lambda x: -space.rows}
            )  # fmt: skip
        for which, limit in ((1, self.budget), (2, self.capacity)):
            if np.isfinite(limit):
                out.append(self._cap(which, limit))
        return out

    def _cap(self, which: int, limit: float) -> dict[str, Any]:
        """Constraint ``value ≤ limit`` on output ``which`` (1 spend, 2 peak), scaled."""
        scale = max(limit, 1.0)
        return {
            "type": "ineq",
            "fun": lambda x: np.array([(limit - self.at(x)[which][0]) / scale]),
            "jac": lambda x: -self.at(x)[which][1:][None, :] / scale,
        }

    def best(self, starts: Sequence[Array], maxiter: int) -> tuple[Array, Any] | None:
        """The best feasible end point of SLSQP over the starts, and its result."""
        npv_scale = max(abs(float(self.prob.run([self.space.clip(starts[0])])[0][0])), 1.0)
        constraints = self.constraints()
        best: tuple[float, Array, Any] | None = None
        for start in starts:
            x_start = self.feasible_start(start)
            if x_start is None:
                continue
            res = minimize(
                lambda x: -self.at(x)[0][0] / npv_scale,
                x_start,
                jac=lambda x: -self.at(x)[0][1:] / npv_scale,
                method="SLSQP",
                bounds=[(0.0, 1.0)] * self.prob.n,
                constraints=constraints,
                options={"maxiter": maxiter, "ftol": 1e-10},
            )
            x = self.space.clip(res.x)  # SLSQP may end a hair outside the bounds
            npv, spend, peak = (float(v[0]) for v in self.prob.run([x]))
            if spend > self.budget * (1 + 1e-6) or peak > self.capacity * (1 + 1e-6):
                x = x_start  # SLSQP stopped outside: keep the feasible start
                npv = float(self.prob.run([x])[0][0])
            if best is None or npv > best[0]:
                best = (npv, x, res)
        return None if best is None else (best[1], best[2])


def _solve(
    s: Scenario,
    offers: Sequence[str],
    budget: float,
    capacity: float,
    with_coverage: bool,
    maxiter: int,
) -> tuple[RetentionPlan | None, int]:
    """Best mix (and coverage) for one scenario; ``None`` if nothing is feasible."""
    pairs = _variables(s, offers)
    data = s.to_dict(full=True)
    mix = data["save_team"]["mix"]
    prob = _Problem(data, pairs, with_coverage, need_peak=np.isfinite(capacity))
    space = _MixSpace.of(s, pairs, prob.n)
    x0 = np.array(
        [mix[c][o] for c, o in pairs] + ([s.save_team.coverage] if with_coverage else [])
    )
    found = _Search(prob, space, budget, capacity).best(
        [x0, _greedy(s, pairs, space, x0)], maxiter
    )
    if found is None:
        return None, prob.evaluations
    x, res = found
    prob.need_peak = True  # the plan reports its busiest month, capped or not
    npv, spend, peak = (float(v[0]) for v in prob.run([x]))
    binding: list[str] = []
    if np.isfinite(budget) and spend >= budget * (1 - _TOL):
        binding.append("budget")
    if np.isfinite(capacity) and peak >= capacity * (1 - _TOL):
        binding.append("capacity")
    if with_coverage and x[-1] >= 1 - _TOL:
        binding.append("save_team.coverage (at most 100 %)")
    binding += [f"save_team.mix.{c} (shares sum to 1)" for c in space.full_rows(x)]
    table = pd.DataFrame(0.0, index=pd.Index(space.causes, name="cause"), columns=list(offers))
    for (c, o), v in zip(pairs, x, strict=False):
        table.loc[c, o] = v
    chosen = prob.scenario(x)
    plan = RetentionPlan(
        scenario=chosen,
        mix=table,
        coverage=float(chosen.save_team.coverage),
        programs={},
        npv=npv,
        npv_start=float("nan"),
        spend=spend,
        budget=budget,
        peak_contacts=peak,
        capacity=capacity,
        binding=tuple(binding),
        evaluations=prob.evaluations,
        success=bool(res.success),
        message=str(res.message),
    )
    return plan, prob.evaluations


def _checked_plan_inputs(
    scenario: Scenario,
    offers: Sequence[str] | None,
    budget: float | None,
    capacity: float | None,
    coverage: bool,
) -> tuple[str, ...]:
    """The offers to optimise, after refusing a plan that has nothing to choose or bad caps."""
    if scenario.save_team.coverage <= 0 and not coverage:
        raise ScenarioError("save_team.coverage", "is 0: there is no save team to optimise")
    chosen = tuple(OFFER_NAMES if offers is None else offers)
    for o in chosen:
        if o not in OFFER_NAMES:
            raise ScenarioError("offers", f"unknown offer {o!r} (known: {', '.join(OFFER_NAMES)})")
    for name, value in (("budget", budget), ("capacity", capacity)):
        if value is not None and (not np.isfinite(value) or value < 0):
            raise ScenarioError(name, f"must be a non-negative amount (got {value!r})")
    if not _variables(scenario, chosen) and not coverage:
        raise ScenarioError("offers", "no offer can be accepted for any voluntary cause")
    return chosen


def optimize_retention(
    scenario: Scenario,
    *,
    budget: float | None = None,
    capacity: float | None = None,
    offers: Sequence[str] | None = None,
    coverage: bool = False,
    programs: bool = False,
    maxiter: int = 60,
) -> RetentionPlan:
    """The settings of the retention levers that maximise NPV within a budget and capacity.

    Parameters
    ----------
    scenario : Scenario
        A scenario with a save team (``save_team.coverage > 0``, or ``coverage=True``).
    budget : float, optional
        Cap on the retention spend over the horizon: ``total_retention_cost +
        total_discounts_given`` (money, undiscounted). No cap when ``None``.
    capacity : float, optional
        Cap on the save team's conversations in any month (``save_team_contacts`` of
        the monthly table). No cap when ``None``.
    offers : sequence of str, optional
        Offers the mix may use (default all of :data:`simsrc.model.levers.OFFER_NAMES`).
    coverage : bool
        Also choose the save team's coverage (0–100 % of requests reached).
    programs : bool
        Also choose which of the scenario's cause programs (:data:`PROGRAMS`) to run.
    maxiter : int
        SLSQP iterations per start.

    Returns
    -------
    RetentionPlan

    Raises
    ------
    ScenarioError
        Without a save team to optimise, with an unknown offer, a negative budget or
        capacity, or when even no offers at all do not fit the budget or capacity.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(horizon_months=12)
    >>> plan = optimize_retention(s, offers=["expert_help", "contract"], maxiter=20)
    >>> plan.npv >= plan.npv_start - 1e-6
    True
    """
    offers = _checked_plan_inputs(scenario, offers, budget, capacity, coverage)
    cap_b = float("inf") if budget is None else float(budget)
    cap_c = float("inf") if capacity is None else float(capacity)
    combos: list[dict[str, bool]] = [{}]
    if programs:
        combos = [dict(zip(PROGRAMS, on, strict=True))
                  for on in itertools.product((False, True), repeat=len(PROGRAMS))]  # fmt: skip
    best: RetentionPlan | None = None
    evaluations = 0
    for combo in combos:
        s = scenario
        for name, on in combo.items():
            s = s.set(f"programs.{name}.enabled", on, name=s.name)
        plan, n = _solve(s, offers, cap_b, cap_c, coverage, maxiter)
        evaluations += n
        if plan is not None and (best is None or plan.npv > best.npv):
            best = dataclasses.replace(plan, programs=combo)
    if best is None:
        raise _infeasible(scenario, cap_b)
    start = simulate_batch([scenario]).kpis["npv"].iloc[0]
    best = dataclasses.replace(best, npv_start=float(start), evaluations=evaluations)
    return dataclasses.replace(best, shadow=_shadow_prices(best, offers, coverage, maxiter))


def _infeasible(scenario: Scenario, budget: float) -> ScenarioError:
    """Why no plan fits: the budget is below the spend with no offers, or capacity is."""
    zero = scenario.to_dict(full=True)
    zero["save_team"]["mix"] = {}
    k = simulate_batch([Scenario.from_dict(zero)], monthly=True)
    spend = float(k.kpis[list(SPEND_KPIS)].to_numpy().sum())
    if spend > budget:
        return ScenarioError(
            "budget",
            f"{budget:,.0f} is below the retention spend with no offers at all "
            f"({spend:,.0f}: contacts, programs, messages); raise it or cut those",
        )
    return ScenarioError(
        "capacity",
        "the save team's conversations exceed it even without offers; "
        "raise it, or let the coverage be chosen (coverage=True)",
    )


def _shadow_prices(
    plan: RetentionPlan, offers: Sequence[str], coverage: bool, maxiter: int
) -> dict[str, float]:
    """NPV gained per unit of a binding budget or capacity (re-solved 5 % looser)."""
    out: dict[str, float] = {}
    for name in ("budget", "capacity"):
        if name not in plan.binding:
            continue
        cap = getattr(plan, name)
        more = cap * 1.05 if cap > 0 else 1.0
        budget, capacity = (more, plan.capacity) if name == "budget" else (plan.budget, more)
        looser, _ = _solve(plan.scenario, offers, budget, capacity, coverage, maxiter)
        if looser is not None:
            out[name] = max(looser.npv - plan.npv, 0.0) / (more - cap)
    return out


def optimize_offer_mix(
    scenario: Scenario,
    budget: float | None = None,
    offers: Sequence[str] | None = None,
    *,
    maxiter: int = 60,
) -> RetentionPlan:
    """The save-offer mix that maximises NPV (within a budget): the mix alone.

    :func:`optimize_retention` with coverage and programs left as they are.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(horizon_months=12)
    >>> plan = optimize_offer_mix(s, budget=1e9, offers=["expert_help", "contract"])
    >>> plan.npv >= plan.npv_start - 1e-6
    True
    """
    return optimize_retention(scenario, budget=budget, offers=offers, maxiter=maxiter)


__all__ = [
    "PROGRAMS",
    "SPEND_KPIS",
    "RetentionPlan",
    "optimize_offer_mix",
    "optimize_retention",
]
