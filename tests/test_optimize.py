"""Offer-mix optimisation under a budget."""

import numpy as np
import pytest

import simsrc
from simsrc.analysis.optimize import SPEND_KPIS, optimize_offer_mix
from simsrc.analysis.sweep import sweep

CONTRACT = "save_team.mix.price_competitor.contract"
OFFERS = ("expert_help", "downgrade", "contract")  # a subset keeps the tests fast


@pytest.fixture(scope="module")
def base() -> simsrc.Scenario:
    return simsrc.preset("b2b-saas").replace(horizon_months=12)


@pytest.fixture(scope="module")
def free(base):
    return optimize_offer_mix(base, budget=1e12, offers=OFFERS)


def spend(s: simsrc.Scenario) -> float:
    k = simsrc.simulate(s).kpis
    return float(sum(k[name] for name in SPEND_KPIS))


def test_unconstrained_improves_npv_and_reports_row_sums(base, free):
    assert free.success
    assert free.npv >= free.npv_start
    assert "budget" not in free.binding
    assert free.npv == pytest.approx(simsrc.simulate(free.scenario).kpis["npv"], rel=1e-9)
    mix = np.array(free.scenario.save_team.mix)
    assert (mix >= 0).all() and (mix.sum(axis=1) <= 1 + 1e-12).all()
    assert any(b.endswith("(shares sum to 1)") for b in free.binding)


def test_budget_binds(base, free):
    start = simsrc.Scenario.from_dict(
        {**base.to_dict(), "save_team": {**base.to_dict()["save_team"], "mix": {}}}
    )  # no offers at all
    zero = spend(start)
    budget = zero + 0.5 * (free.spend - zero)
    res = optimize_offer_mix(base, budget=budget, offers=OFFERS)
    assert "budget" in res.binding
    assert res.spend <= budget * (1 + 1e-6)
    assert res.spend == pytest.approx(spend(res.scenario), rel=1e-9)
    assert res.npv <= free.npv + 1e-6 * abs(free.npv)


def test_one_offer_matches_a_grid_search(base):
    res = optimize_offer_mix(base, budget=1e12, offers=["contract"])
    assert list(res.mix.columns) == ["contract"]
    room = 1 - (base.save_team.mix[4][0] + base.save_team.mix[4][3])  # discount, downgrade
    grid = sweep(base, {CONTRACT: list(np.linspace(0, room, 13))}, progress=False)
    assert res.npv >= grid["npv"].max() - 1e-6 * abs(res.npv)


def test_errors(base):
    with pytest.raises(simsrc.ScenarioError) as info:
        optimize_offer_mix(base, budget=1.0)
    assert info.value.path == "budget"
    with pytest.raises(simsrc.ScenarioError, match="no save team"):
        optimize_offer_mix(base.without_levers(), budget=1e9)
    with pytest.raises(simsrc.ScenarioError, match="unknown offer"):
        optimize_offer_mix(base, budget=1e9, offers=["bribe"])


# -- a budget across levers, capacity, explained ----------------------------------------------
from simsrc.analysis.optimize import optimize_retention  # noqa: E402
from simsrc.model.levers import OFFER_NAMES  # noqa: E402


@pytest.fixture(scope="module")
def two_years() -> simsrc.Scenario:
    return simsrc.preset("b2b-saas").replace(horizon_months=24)


def single_offer_best(s: simsrc.Scenario, offer: str, budget: float) -> float:
    """Best NPV using one offer only (for every reason that accepts it) within the budget."""
    best = -np.inf
    for share in np.linspace(0.0, 1.0, 21):
        d = s.to_dict(full=True)
        d["save_team"]["mix"] = {
            c.name: {offer: float(share)}
            for k, c in enumerate(s.causes)
            if c.voluntary and s.save_team.offer(offer).acceptance[k] > 0
        }
        k = simsrc.simulate(simsrc.Scenario.from_dict(d)).kpis
        if sum(k[name] for name in SPEND_KPIS) <= budget:
            best = max(best, k["npv"])
    return best


def test_under_a_budget_the_best_plan_is_a_mix_that_beats_every_single_offer(two_years):
    s = two_years
    zero = spend(simsrc.Scenario.from_dict(
        {**s.to_dict(), "save_team": {**s.to_dict()["save_team"], "mix": {}}}))  # fmt: skip
    free = optimize_retention(s)
    budget = zero + 0.4 * (free.spend - zero)
    plan = optimize_retention(s, budget=budget)
    assert "budget" in plan.binding and plan.spend <= budget * (1 + 1e-6)
    offers_used = {o for c in plan.mix.index for o in plan.mix_of(c)}
    assert len(offers_used) >= 2  # a mix, not one offer
    for offer in OFFER_NAMES:
        assert plan.npv > single_offer_best(s, offer, budget) + 1e3, offer
    assert plan.shadow["budget"] > 0  # more budget would buy more NPV
    assert "The budget binds" in plan.explain()


def test_capacity_caps_the_busiest_month_through_coverage(two_years):
    free = optimize_retention(two_years, coverage=True, offers=("expert_help", "contract"))
    assert free.peak_contacts > 10
    capacity = 0.5 * free.peak_contacts
    plan = optimize_retention(
        two_years, capacity=capacity, coverage=True, offers=("expert_help", "contract")
    )
    assert plan.peak_contacts <= capacity * (1 + 1e-6)
    assert "capacity" in plan.binding and plan.coverage < free.coverage
    monthly = simsrc.simulate(plan.scenario).monthly
    assert monthly["save_team_contacts"].max() == pytest.approx(plan.peak_contacts, rel=1e-9)
    assert plan.npv < free.npv and plan.shadow["capacity"] > 0


def test_programs_are_chosen_on_or_off(two_years):
    mix_only = optimize_retention(two_years, offers=("expert_help",), maxiter=20)
    plan = optimize_retention(two_years, offers=("expert_help",), programs=True, maxiter=20)
    assert set(plan.programs) == {"onboarding", "success", "service"}
    for name, on in plan.programs.items():
        assert getattr(plan.scenario.programs, name).enabled is on
    assert plan.npv >= mix_only.npv - 1e-6 * abs(mix_only.npv)
    assert "Programs:" in plan.explain()


def test_bad_budget_and_capacity_are_refused(two_years):
    for kwargs, path in (({"budget": -1.0}, "budget"), ({"capacity": float("nan")}, "capacity"),
                         ({"capacity": 0.0}, "capacity")):  # fmt: skip
        with pytest.raises(simsrc.ScenarioError) as info:
            optimize_retention(two_years, **kwargs)
        assert info.value.path == path


def test_iterates_past_a_full_mix_row_are_projected_not_refused():
    # b2b-saas's price mix is full (0.5 + 0.3 + 0.2): SLSQP tried a point summing to
    # 1.006 here, which the scenario refuses; the optimiser must evaluate its projection.
    three_years = simsrc.preset("b2b-saas").replace(horizon_months=36)
    now = simsrc.simulate(three_years).kpis
    budget = 0.8 * (now["total_retention_cost"] + now["total_discounts_given"])
    plan = optimize_retention(
        three_years, budget=budget, capacity=60, coverage=True, programs=True, maxiter=30
    )
    assert plan.npv >= plan.npv_start
    assert plan.spend <= budget * (1 + 1e-6) and plan.peak_contacts <= 60 * (1 + 1e-6)
    assert (plan.mix.sum(axis=1) <= 1 + 1e-9).all()
