"""What a customer base is worth: the sBG's discounted expected residual lifetime and value.

Fader & Hardie (2010), "Customer-Base Valuation in a Contractual Setting: The Perils of
Ignoring Heterogeneity", Marketing Science 29(1), eq. 6, checked against the sum it
closes and against Fader & Hardie (2007)'s published high-end fit.
"""

import functools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.analysis.lessons import FADER_HARDIE_2007
from simsrc.calibration import fit_sbg, sbg_derl, sbg_derv, sbg_survival
from simsrc.model.conversions import beta_to_spread
from simsrc.results import valuation
from tests.test_identities import every_lever_on


def brute_force_derl(alpha, beta, discount, renewals, terms=40_000):
    """Σ_{k≥0} S(n+1+k)/S(n) · (1+d)^-k, summed term by term."""
    t = np.arange(renewals + 1, renewals + 1 + terms)
    ratio = sbg_survival(alpha, beta, t) / sbg_survival(alpha, beta, renewals)
    return float(np.sum(ratio * (1.0 + discount) ** -(t - renewals - 1.0)))


@settings(max_examples=150, deadline=None)
@given(
    alpha=st.floats(0.05, 50.0),
    beta=st.floats(0.05, 50.0),
    discount=st.floats(0.005, 0.9),
    renewals=st.integers(0, 300),
)
@example(alpha=2.0, beta=20.0, discount=0.00797, renewals=149)  # hyp2f1 gives NaN here
@example(alpha=10.0, beta=3.806, discount=0.1, renewals=149)  # and 0.14 % off here
def test_derl_closed_form_equals_the_sum_it_closes(alpha, beta, discount, renewals):
    closed = float(sbg_derl(alpha, beta, discount, renewals))
    assert closed == pytest.approx(brute_force_derl(alpha, beta, discount, renewals), rel=1e-9)


def test_derl_of_the_published_high_end_segment():
    # Fader & Hardie (2007): the high-end segment's sBG is α = 0.668, β = 3.806 (their fit
    # of years 0–7, which simsrc reproduces); DERL at 10 % a year by eq. 6 of [FH10].
    fit = fit_sbg(FADER_HARDIE_2007["high_end"].to_numpy()[:8], initial=1000)
    assert (round(fit.alpha, 3), round(fit.beta, 3)) == (0.668, 3.806)
    derl = fit.derl(0.10, [0, 1, 4, 7])
    np.testing.assert_allclose(derl, [5.4149, 5.9018, 6.8971, 7.5299], atol=5e-4)
    for n, value in zip([0, 1, 4, 7], derl, strict=True):
        assert value == pytest.approx(brute_force_derl(fit.alpha, fit.beta, 0.10, n), rel=1e-9)
    assert fit.derv(0.10, 7, 250.0) == pytest.approx(250.0 * derl[3])


def test_ignoring_heterogeneity_understates_a_seasoned_customers_value():
    # The paper's point: with one retention rate for everyone (the cohort's average over
    # the fit years), a customer who has renewed seven times looks no better than a new one.
    alpha, beta, d = 0.668, 3.806, 0.10
    r = float(sbg_survival(alpha, beta, 7) ** (1 / 7))
    flat = r / (1 - r / (1 + d))  # Σ_k r^(k+1) (1+d)^-k
    seasoned = float(sbg_derl(alpha, beta, d, 7))
    assert (round(flat, 3), round(seasoned, 3)) == (5.037, 7.530)  # half as much again
    # a near-homogeneous sBG (huge α + β, same mean) gives back the flat value
    mean = 1 - r
    total = 1e7
    near_flat = float(sbg_derl(mean * total, (1 - mean) * total, d, 7))
    assert near_flat == pytest.approx(flat, rel=1e-5)


@given(discount=st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0),
                          st.just(math.nan), st.just(math.inf)))  # fmt: skip
def test_a_discount_outside_zero_to_one_is_refused_by_name(discount):
    with pytest.raises(ValueError, match=r"^discount: .*between 0 and 1"):
        sbg_derl(0.7, 1.2, discount, 0)


def test_a_discount_too_small_to_sum_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^discount: below 1e-05 per period"):
        sbg_derl(0.7, 1.2, 1e-6, 0)


@given(renewals=st.one_of(st.integers(max_value=-1), st.floats(0.01, 0.99).map(lambda x: 3 + x),
                          st.just(math.nan)))  # fmt: skip
def test_renewals_must_be_whole_and_not_negative(renewals):
    with pytest.raises(ValueError, match=r"^renewals: .*whole numbers >= 0"):
        sbg_derl(0.7, 1.2, 0.1, renewals)


def test_a_value_that_is_not_a_finite_amount_is_refused():
    with pytest.raises(ValueError, match=r"^value_per_period: "):
        sbg_derv(0.7, 1.2, 0.1, 0, math.inf)


# -- the full model: residual value of the customers of a month -----------------------


@pytest.mark.parametrize(
    ("alpha", "beta", "horizon"), [(0.704, 1.182, 60), (0.668, 3.806, 36), (0.1, 0.5, 12)]
)
def test_one_flat_cause_values_the_base_as_the_sbg_derv_summed_over_tenure(alpha, beta, horizon):
    mean, spread = beta_to_spread(alpha, beta)
    s = simsrc.simple_scenario(monthly_churn=mean, spread=spread, horizon_months=horizon,
                               monthly_price=50.0, gross_margin=0.8, new_per_month=250.0,
                               annual_discount_rate=0.10)  # fmt: skip
    res = simsrc.simulate(s)
    base = res.base_value
    table = base.by_tenure
    assert table["tenure"].tolist() == list(range(horizon))
    monthly_discount = 1.1 ** (1 / 12) - 1
    derv = sbg_derv(alpha, beta, monthly_discount, table["tenure"], 50.0 * 0.8)
    # equal but for the geometric tail after 50 years (valuation.VALUATION_MONTHS)
    np.testing.assert_allclose(table["value_per_customer"], derv, rtol=1e-4)
    # customers billed in the last month, at tenure τ: 250 × S(τ)
    survival = sbg_survival(alpha, beta, table["tenure"])
    np.testing.assert_allclose(table["customers"], 250.0 * survival, rtol=1e-9)
    assert base.total == pytest.approx(float((table["customers"] * derv).sum()), rel=1e-4)


def test_followed_for_a_century_the_base_matches_the_sbg_to_six_digits(monkeypatch):
    monkeypatch.setattr(valuation, "VALUATION_MONTHS", 1200)
    alpha, beta = 0.3, 5.0
    mean, spread = beta_to_spread(alpha, beta)
    s = simsrc.simple_scenario(monthly_churn=mean, spread=spread, horizon_months=24,
                               annual_discount_rate=0.10)  # fmt: skip
    per = valuation.residual_values([s])[0, 0]
    derv = sbg_derv(alpha, beta, 1.1 ** (1 / 12) - 1, np.arange(24), 100.0)
    np.testing.assert_allclose(per, derv, rtol=1e-6)


def test_the_base_counts_every_customer_billed_in_the_month_valued():
    res = simsrc.simulate(simsrc.preset("b2b-saas"))
    for month in (0, 17, res.scenario.horizon_months - 1):
        base = res.base_value_at(month)
        assert base.month == month
        assert base.customers == pytest.approx(res.monthly["billed"].iloc[month], rel=1e-12)
        by_segment = base.by_segment
        assert by_segment["value"].sum() == pytest.approx(base.total, rel=1e-12)
    assert res.base_value.total == res.base_value_at(res.scenario.horizon_months - 1).total


def test_survivors_are_worth_more_and_a_what_if_that_keeps_customers_ends_richer():
    base = simsrc.preset("b2b-saas")
    res = simsrc.simulate(base)
    table = res.base_value.by_tenure
    standard = table[table["segment"] == "standard"].set_index("tenure")["value_per_customer"]
    assert standard.loc[36] > standard.loc[1]  # the loyal ones are left
    kept = simsrc.simulate(base.halve_churn()).base_value
    assert kept.total > 1.3 * res.base_value.total


@given(month=st.one_of(st.integers(max_value=-1), st.integers(min_value=60), st.just(2.5)))
def test_a_month_outside_the_horizon_is_refused_by_name(month):
    res = _b2b_result()
    with pytest.raises((ValueError, TypeError), match=r"^month"):
        res.base_value_at(month)


@functools.cache
def _b2b_result():
    return simsrc.simulate(simsrc.preset("b2b-saas"))


def test_npv_with_the_base_counts_a_programs_later_costs_with_its_later_benefits():
    s = simsrc.preset("b2b-saas").replace(horizon_months=36)
    served = s.set("programs.service.enabled", True, name="service program")
    kpis = simsrc.simulate(served).kpis
    d = (1 + s.annual_discount_rate) ** (-1 / 12)
    cost = served.programs.service.cost  # a month, for the 50 years the base is followed
    months = (1 - d**valuation.VALUATION_MONTHS) / (1 - d)
    expected = d**36 * (kpis["ending_base_value"] - cost * months)
    assert kpis["npv_with_base"] - kpis["npv"] == pytest.approx(expected, rel=1e-9)
    # over three years the program does not pay; with the customers it keeps, it does
    table = simsrc.compare(s, served)
    assert table.loc["npv", "Δ"] < 0 < table.loc["npv_with_base", "Δ"]


@pytest.mark.parametrize(
    "scenario",
    [
        simsrc.simple_scenario(monthly_churn=0.0, horizon_months=12),  # never leave, no discount
        simsrc.preset("b2b-saas").replace(annual_discount_rate=0.0),  # sBG-like tail, no discount
        simsrc.preset("b2b-saas").set("value.expansion_rate", 0.02),  # grows faster than 8 %/yr
    ],
)
def test_a_base_whose_value_has_no_finite_sum_is_nan_and_says_why(scenario):
    res = simsrc.simulate(scenario)
    assert math.isnan(res.kpis["ending_base_value"]) and math.isnan(res.kpis["npv_with_base"])
    assert math.isfinite(res.kpis["npv"])
    with pytest.raises(simsrc.ScenarioError, match=r"^annual_discount_rate: .*no finite sum"):
        _ = res.base_value


def test_geometric_churn_needs_no_discount_to_have_a_value():
    s = simsrc.simple_scenario(monthly_churn=0.05, horizon_months=12, monthly_price=100.0)
    per = valuation.residual_values([s])[0, 0]
    np.testing.assert_allclose(per, 0.95 * 100.0 / 0.05, rtol=1e-9)  # Σ 0.95^(k+1) × 100


@pytest.mark.parametrize("name", ["b2b-saas", "telecom", "consumer-app"])
def test_value_targeting_weighs_a_customer_at_what_the_valuation_says(name):
    from simsrc.engine.core import core_path
    from simsrc.engine.pack import pack
    from simsrc.engine.worth import remaining_value

    s = every_lever_on(name).set("save_team.value_threshold", 20.0)
    p = pack([s])
    judged = remaining_value(p, core_path(p))[0]
    # The same customers valued as the base is, in the firm without save team and dunning
    # (what they are worth if the team does nothing) and without win-back.
    alone = s.set("save_team.coverage", 0.0).set("dunning.enabled", False)
    valued = valuation.survivor_values(alone.set("win_back.enabled", False), s.horizon_months - 1)
    # The targeting pack follows the save team's stepped path with fewer heterogeneity
    # classes (24 against 48): with the first segment's wide own spread (0.7) the two
    # quadratures part by about 1e-6 (1e-9 with the shared 0.3); the others agree to 1e-9.
    np.testing.assert_allclose(judged[1:], valued[1:], rtol=1e-9)
    np.testing.assert_allclose(judged[0], valued[0], rtol=1e-5)
    # Net of what keeping them costs per customer: cheaper programs make them worth more.
    free = s.set("programs.success.cost", 0.0)
    q = pack([free])
    assert np.all(remaining_value(q, core_path(q))[0] > judged)


def test_value_targeting_follows_the_simulations_path_within_the_horizon():
    from simsrc.engine.cohorts import cohort_path
    from simsrc.engine.pack import pack

    s = simsrc.preset("consumer-app").set("save_team.value_threshold", 20.0)
    short = pack([s])
    nodes = short.z.shape[2]
    long = pack([s], nodes=nodes, months=s.horizon_months + valuation.VALUATION_MONTHS)
    within = cohort_path(long)["present"][0][:, : s.horizon_months]
    np.testing.assert_allclose(within, cohort_path(short)["present"][0], rtol=0, atol=1e-15)
