"""Best save-offer mix under a budget.

:func:`optimize_offer_mix` chooses, for every voluntary cause, which share of the
save team's reached requests get each offer, to maximise NPV while the retention spend
over the horizon stays within a budget. It uses :func:`scipy.optimize.minimize` (SLSQP)
with gradients by forward differences, all of a gradient's what-ifs simulated in one
:func:`simsrc.simulate_batch` call, and reports which constraint binds.

The problem is smooth but not guaranteed convex: the answer is a local optimum reached
from the scenario's current mix.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize

from simsrc.engine import pack
from simsrc.errors import ScenarioError
from simsrc.levers import OFFER_NAMES
from simsrc.scenario import Scenario
from simsrc.simulate import simulate_batch

Array = NDArray[np.float64]

SPEND_KPIS = ("total_retention_cost", "total_discounts_given")
"""KPIs summed into the retention spend that the budget caps (over the horizon)."""

_STEP = 1e-4  # finite-difference step on a mix share
_TOL = 1e-3  # relative tolerance for calling a constraint binding


@dataclass(frozen=True)
class OfferMixResult:
    """Outcome of :func:`optimize_offer_mix`.

    Attributes
    ----------
    scenario : Scenario
        The scenario with the optimised offer mix.
    mix : pandas.DataFrame
        Optimised shares, causes × offers (only the decision variables; others are 0
        or unchanged).
    npv, npv_start : float
        NPV with the optimised and with the starting mix.
    spend, budget : float
        Retention spend (sum of :data:`SPEND_KPIS`) of the optimised mix, and its cap.
    binding : tuple of str
        Constraints that bind at the optimum: ``"budget"`` and/or
        ``"save_team.mix.<cause> (shares sum to 1)"``. Empty for an interior optimum.
    success : bool
        Whether SLSQP reported convergence.
    message : str
        SLSQP's message.
    """

    scenario: Scenario
    mix: pd.DataFrame
    npv: float
    npv_start: float
    spend: float
    budget: float
    binding: tuple[str, ...]
    success: bool
    message: str


def _variables(s: Scenario, offers: Sequence[str]) -> list[tuple[str, str]]:
    """(cause, offer) pairs worth deciding: voluntary causes, offers that can be accepted."""
    p = pack([s])
    acc = p.levers.acceptance[0]  # [O, K]
    out = []
    for k, cause in enumerate(s.cause_names):
        if p.voluntary[0, k] <= 0:
            continue
        for offer in offers:
            if acc[OFFER_NAMES.index(offer), k] > 0:
                out.append((cause, offer))
    return out


def _with_mix(data: dict[str, Any], pairs: list[tuple[str, str]], x: Array) -> Scenario:
    d = copy.deepcopy(data)
    for (cause, offer), v in zip(pairs, x, strict=True):
        d["save_team"]["mix"][cause][offer] = float(min(max(v, 0.0), 1.0))
    return Scenario.from_dict(d)


def optimize_offer_mix(
    scenario: Scenario,
    budget: float,
    offers: Sequence[str] | None = None,
    *,
    maxiter: int = 100,
) -> OfferMixResult:
    """The save-offer mix that maximises NPV with retention spend within a budget.

    Parameters
    ----------
    scenario : Scenario
        A scenario with a save team (``save_team.coverage > 0``).
    budget : float
        Cap on the retention spend over the horizon: ``total_retention_cost +
        total_discounts_given`` (money, undiscounted).
    offers : sequence of str, optional
        Offers the mix may use (default all of :data:`simsrc.levers.OFFER_NAMES`).
    maxiter : int
        SLSQP iterations.

    Returns
    -------
    OfferMixResult

    Raises
    ------
    ScenarioError
        Without a save team, with an unknown offer, or when even no offers at all cost
        more than the budget.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(horizon_months=12)
    >>> res = optimize_offer_mix(s, budget=1e9, offers=["expert_help", "contract"])
    >>> res.npv >= res.npv_start - 1e-6
    True
    """
    if scenario.save_team.coverage <= 0:
        raise ScenarioError("save_team.coverage", "is 0: there is no save team to optimise")
    offers = tuple(OFFER_NAMES if offers is None else offers)
    for o in offers:
        if o not in OFFER_NAMES:
            raise ScenarioError("offers", f"unknown offer {o!r} (known: {', '.join(OFFER_NAMES)})")
    if not np.isfinite(budget) or budget < 0:
        raise ScenarioError("budget", f"must be a non-negative amount (got {budget!r})")
    pairs = _variables(scenario, offers)
    if not pairs:
        raise ScenarioError("offers", "no offer can be accepted for any voluntary cause")
    data = scenario.to_dict(full=True)
    mix = data["save_team"]["mix"]
    x0 = np.array([mix[c][o] for c, o in pairs], dtype=float)
    n = len(pairs)
    # rows: the other (fixed) offers' share of each cause
    causes = sorted({c for c, _ in pairs}, key=scenario.cause_names.index)
    fixed = {c: sum(v for o, v in mix[c].items() if (c, o) not in pairs) for c in causes}
    rows = np.array([[1.0 if c == cause else 0.0 for c, _ in pairs] for cause in causes])
    room = np.array([max(1.0 - fixed[c], 0.0) for c in causes])

    def project(x: Array) -> Array:
        """Clip to [0, 1] and scale down any cause whose shares exceed its room."""
        x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
        for i in range(len(causes)):
            total = rows[i] @ x
            if total > room[i]:
                x = np.where(rows[i] > 0, x * (room[i] / total) * (1 - 1e-12), x)
        return x

    cache: dict[bytes, tuple[Array, Array]] = {}

    def evaluate(x: Array) -> tuple[Array, Array]:
        """NPV and spend with their gradients at x, one batch.

        Forward differences from ``x_s``: x with every cause's shares scaled to leave at
        least one step of room (equal to x unless a cause is within a step of full).
        """
        key = np.asarray(x, dtype=float).tobytes()
        if key not in cache:
            x = project(x)
            x_s = x.copy()
            for i in range(len(causes)):
                total, cap = rows[i] @ x_s, max(room[i] - _STEP, 0.0)
                if total > cap:
                    x_s = np.where(rows[i] > 0, x_s * (cap / total), x_s)
            points = [x, x_s, *(x_s + _STEP * np.eye(n)[i] for i in range(n))]
            k = simulate_batch([_with_mix(data, pairs, pt) for pt in points]).kpis
            npv = k["npv"].to_numpy(dtype=float)
            spend = k[list(SPEND_KPIS)].to_numpy(dtype=float).sum(axis=1)
            cache.clear()  # only the latest point is reused (fun, then jac)
            cache[key] = (
                np.concatenate([[npv[0]], (npv[2:] - npv[1]) / _STEP]),
                np.concatenate([[spend[0]], (spend[2:] - spend[1]) / _STEP]),
            )
        return cache[key]

    zero_spend = evaluate(np.zeros(n))[1][0]
    if zero_spend > budget * (1 + 1e-9):
        raise ScenarioError(
            "budget",
            f"{budget:,.0f} is below the retention spend with no offers at all "
            f"({zero_spend:,.0f}: contacts, programs, messages); raise it or cut those",
        )
    start = evaluate(x0)
    if start[1][0] > budget:  # start feasible: scale the mix down to the budget
        x0 = x0 * max(0.0, (budget - zero_spend) / max(start[1][0] - zero_spend, 1e-12))
    npv_scale = max(abs(start[0][0]), 1.0)
    spend_scale = max(budget, 1.0)

    res = minimize(
        lambda x: -evaluate(x)[0][0] / npv_scale,
        x0,
        jac=lambda x: -evaluate(x)[0][1:] / npv_scale,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[
            {"type": "ineq", "fun": lambda x: room - rows @ x, "jac": lambda x: -rows},
            {
                "type": "ineq",
                "fun": lambda x: np.array([(budget - evaluate(x)[1][0]) / spend_scale]),
                "jac": lambda x: -evaluate(x)[1][1:][None, :] / spend_scale,
            },
        ],
        options={"maxiter": maxiter, "ftol": 1e-10},
    )
    x = project(res.x)  # SLSQP may end a hair outside the bounds
    best = _with_mix(data, pairs, x)
    npv, spend = evaluate(x)[0][0], evaluate(x)[1][0]
    binding: list[str] = []
    if spend >= budget * (1.0 - _TOL):
        binding.append("budget")
    for i, c in enumerate(causes):
        if rows[i] @ x >= room[i] - _TOL:
            binding.append(f"save_team.mix.{c} (shares sum to 1)")
    table = pd.DataFrame(0.0, index=pd.Index(causes, name="cause"), columns=list(offers))
    for (c, o), v in zip(pairs, x, strict=True):
        table.loc[c, o] = v
    return OfferMixResult(
        scenario=best,
        mix=table,
        npv=float(npv),
        npv_start=float(start[0][0]),
        spend=float(spend),
        budget=float(budget),
        binding=tuple(binding),
        success=bool(res.success),
        message=str(res.message),
    )


__all__ = ["SPEND_KPIS", "OfferMixResult", "optimize_offer_mix"]
