"""Tier 1: exact identities the engine must reproduce to rounding error."""

import numpy as np
import pytest
from scipy.special import betaln

import simsrc
from simsrc.model.conversions import beta_to_spread, spread_to_beta
from simsrc.results import metrics


def test_finite_horizon_geometric_formula():
    # Constant acquisition A, constant churn c, everyone alike: customers billed in month t
    # are A (1 − (1−c)^(t+1)) / c (a geometric series), active at month end (1 − c) times that.
    a, c = 250.0, 0.04
    res = simsrc.simulate(
        simsrc.simple_scenario(new_per_month=a, monthly_churn=c, horizon_months=120)
    )
    t = np.arange(120)
    billed = a * (1 - (1 - c) ** (t + 1)) / c
    np.testing.assert_allclose(res.monthly["billed"], billed, rtol=1e-12)
    np.testing.assert_allclose(res.monthly["active"], billed * (1 - c), rtol=1e-12)


def test_steady_state_is_acquisition_over_churn_and_halving_churn_doubles_it():
    a, c = 100.0, 0.1
    base = simsrc.simple_scenario(new_per_month=a, monthly_churn=c, horizon_months=240)
    billed = simsrc.simulate(base).monthly["billed"].iloc[-1]
    # (1 − c)^240 ≈ 1e-11, so after 240 months the base sits at A / c to 1e-9.
    assert billed == pytest.approx(a / c, rel=1e-9)
    halved = simsrc.simulate(base.halve_churn()).monthly["billed"].iloc[-1]
    assert halved / billed == pytest.approx(2.0, rel=1e-4)  # (0.95)^240 ≈ 4e-6 left to go


@pytest.mark.parametrize(
    ("alpha", "beta", "horizon"),
    [(0.704, 1.182, 60), (0.668, 3.806, 60), (0.3, 5.0, 95), (2.0, 20.0, 240), (0.1, 0.5, 240)],
)
def test_sbg_is_an_exact_special_case(alpha, beta, horizon):
    # Fader & Hardie (2007), eq. 5: S(t) = B(α, β + t) / B(α, β).
    mean, spread = beta_to_spread(alpha, beta)
    s = simsrc.simple_scenario(monthly_churn=mean, spread=spread, horizon_months=horizon)
    surv = simsrc.simulate(s).survival["all"].to_numpy()
    t = np.arange(horizon + 1)
    expected = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))
    # Gauss–Jacobi quadrature is exact for t ≤ 2J − 1; beyond 95 months the 48-node cap
    # leaves an error below 1e-11 (hazards.MAX_NODES); 1e-9 is the bar.
    np.testing.assert_allclose(surv, expected, rtol=0, atol=1e-9)


def test_sbg_retention_rate_formula():
    # r(t) = (β + t − 1) / (α + β + t − 1): the aggregate retention rate rises with tenure.
    alpha, beta = 0.668, 3.806
    mean, spread = beta_to_spread(alpha, beta)
    surv = (
        simsrc.simulate(
            simsrc.simple_scenario(monthly_churn=mean, spread=spread, horizon_months=40)
        )
        .survival["all"]
        .to_numpy()
    )
    t = np.arange(1, 41)
    np.testing.assert_allclose(
        surv[1:] / surv[:-1], (beta + t - 1) / (alpha + beta + t - 1), rtol=1e-10
    )


def test_spread_beta_round_trip():
    for m, s in [(0.01, 0.3), (0.3, 0.6), (0.5, 0.01), (0.3, 0.9)]:
        a, b = spread_to_beta(m, s)
        if s < 1 - m:
            assert beta_to_spread(a, b) == pytest.approx((m, s), rel=1e-12)
        else:  # a mean m admits a spread of at most 1 − m (φ < 1): clamped there
            assert beta_to_spread(a, b) == pytest.approx((m, 1 - m), rel=1e-6)


def test_clv_of_constant_retention():
    # Σ_{t<H} m (r d)^t with margin m = price × gross margin, paid at the start of each month.
    s = simsrc.simple_scenario(
        monthly_churn=0.05,
        monthly_price=100.0,
        gross_margin=0.8,
        horizon_months=60,
        annual_discount_rate=0.12,
    )
    i = 1.12 ** (1 / 12) - 1
    expected = metrics.discounted_clv_constant(80.0, 0.95, i, months=60)
    assert simsrc.simulate(s).kpis["clv_per_customer"] == pytest.approx(expected, rel=1e-12)


def test_value_growth_hits_year3_uplift_exactly():
    # [good-customers-leave] (docs/sources.md): repeat customers spend 67 % more in year 3
    # than in months 0–5.
    res = simsrc.simulate(simsrc.preset("b2b-saas"))
    rpc = res.revenue_per_customer()["standard"].to_numpy()
    assert rpc[24:36].mean() / rpc[0:6].mean() == pytest.approx(1.67, rel=1e-12)


def test_geometric_lifetime_mean():
    # With no discounting the undiscounted CLV over a long horizon is price / churn.
    s = simsrc.simple_scenario(monthly_churn=0.2, monthly_price=50.0, horizon_months=240)
    assert simsrc.simulate(s).kpis["clv_per_customer"] == pytest.approx(
        metrics.simple_ltv(50.0, 0.2), rel=1e-12
    )


@pytest.mark.parametrize(
    ("alpha", "beta", "observed", "tol"),
    [
        # Fader & Hardie (2007), "How to Project Customer Retention", Table 1: % of customers
        # surviving at years 0–7 for the "regular" and "high end" groups, and the sBG
        # maximum-likelihood estimates they report for those years (α̂, β̂).
        # The fitted curve tracks the regular group within 0.7 points and the high-end group
        # within 1.9 points (largest gaps in years 1 and 3–4); tolerances say just that.
        (0.704, 1.182, [100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1], 0.7),
        (0.668, 3.806, [100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1], 1.9),
    ],
)
def test_fader_hardie_2007_published_fit(alpha, beta, observed, tol):
    mean, spread = beta_to_spread(alpha, beta)
    s = simsrc.simple_scenario(monthly_churn=mean, spread=spread, horizon_months=7)
    surv = 100 * simsrc.simulate(s).survival["all"].to_numpy()
    np.testing.assert_allclose(surv, observed, atol=tol)
    # and the aggregate retention rate rises with tenure as the paper stresses
    retention = surv[1:] / surv[:-1]
    assert np.all(np.diff(retention) > 0)


# -- conservation of customers with every lever on ---------------------------------------


def every_lever_on(name: str) -> simsrc.Scenario:
    """A preset with every lever working: save team (value-targeted), dunning, win-back,
    every program and the exit survey, contacts, word of mouth, referrals; its first
    segment's customers differ more than the rest's (a spread of its own)."""
    s = simsrc.preset(name)
    s = s.set(f"heterogeneity.segment_spread.{s.segment_names[0]}", 0.7)
    for path, value in (
        ("save_team.coverage", 0.9),
        ("save_team.value_threshold", 2.0),
        ("dunning.enabled", True),
        ("win_back.enabled", True),
        ("programs.onboarding.enabled", True),
        ("programs.success.enabled", True),
        ("programs.service.enabled", True),
        ("programs.exit_survey.enabled", True),
        ("contact.contacts_per_month", 4.0),
        ("word_of_mouth.lost_per_bad_exit", 0.2),
        ("acquisition.referrals_per_active", 0.002),
    ):
        s = s.set(path, value)
    return s


def conservation_terms(m, causes) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of README's identity ("How the engine works"), month by month:

    cumsum(new_paid + new_referred + reactivated)
        = active + cumsum(Σ_cause churned_<cause> + lapsed_after_offer)
    """
    started = np.cumsum(m["new_paid"] + m["new_referred"] + m["reactivated"])
    left = np.cumsum(sum(m[f"churned_{c}"] for c in causes) + m["lapsed_after_offer"])
    return np.asarray(started), np.asarray(m["active"] + left)


@pytest.mark.parametrize("name", simsrc.list_presets())
def test_everyone_who_starts_is_active_or_has_left_with_every_lever(name):
    s = every_lever_on(name)
    m = simsrc.simulate(s).monthly
    # each lever is at work, so every term of the identity is exercised
    for column in ("new_referred", "reactivated", "lapsed_after_offer", "cut_off",
                   "lost_to_word_of_mouth", "in_offer", "delinquent"):  # fmt: skip
        assert m[column].sum() > 1.0, column
    started, accounted = conservation_terms(m, s.cause_names)
    np.testing.assert_allclose(accounted, started, rtol=1e-9, atol=0)
    # month by month: billed customers are last month's active ones plus the new, and
    # the month's leavers are those causes and lapses
    new = m["new_paid"] + m["new_referred"] + m["reactivated"]
    left = sum(m[f"churned_{c}"] for c in s.cause_names) + m["lapsed_after_offer"]
    prev = m["active"].shift(1, fill_value=0.0)
    np.testing.assert_allclose(m["billed"], prev + new, rtol=1e-9, atol=0)
    scale = 1e-9 * m["billed"].max()  # a difference of two large numbers: absolute error
    np.testing.assert_allclose(m["billed"] - m["active"], left, rtol=1e-9, atol=scale)
    # the aggregate columns are these sums, and former customers the running balance
    np.testing.assert_allclose(m["new"], new, rtol=1e-12)
    np.testing.assert_allclose(m["churned"], left, rtol=1e-12)
    np.testing.assert_allclose(
        m["former_customers"], np.cumsum(left - m["reactivated"]), rtol=1e-9
    )


@pytest.mark.parametrize("name", simsrc.list_presets())
def test_the_same_identity_holds_exactly_in_whole_customers_in_a_random_run(name):
    s = every_lever_on(name)
    runs = simsrc.simulate(s, stochastic=True, runs=1, seed=11).runs_monthly
    m = {column: values[0] for column, values in runs.items()}
    for column in ("new_paid", "new_referred", "reactivated", "active", "lapsed_after_offer",
                   *(f"churned_{c}" for c in s.cause_names)):  # fmt: skip
        assert np.array_equal(m[column], np.rint(m[column])), column  # whole customers
    assert m["reactivated"].sum() > 0 and m["lapsed_after_offer"].sum() > 0
    started, accounted = conservation_terms(m, s.cause_names)
    assert np.array_equal(started, accounted)
