"""Offer-mix optimisation under a budget."""

import numpy as np
import pytest

import simsrc
from simsrc.optimize import SPEND_KPIS, optimize_offer_mix
from simsrc.sweep import sweep

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
