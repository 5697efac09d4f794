"""Shifted-beta-geometric model: published estimates, exact identities and bad input.

Published figures used here come from Fader, P. S. and Hardie, B. G. S. (2007), "How to
Project Customer Retention", Journal of Interactive Marketing 21(1), 76–90:
- Table 1: % of each segment's 1000 customers (year 0) still active in years 0–12,
  "Regular" and "High End" (the paper's data come from Berry & Linoff, 2004);
- the maximum-likelihood estimates from years 0–7: Regular α̂ = 0.704, β̂ = 1.182;
  High End α̂ = 0.668, β̂ = 3.806.
and from Fader, P. S. and Hardie, B. G. S. (2010), "Customer-Base Valuation in a
Contractual Setting: The Perils of Ignoring Heterogeneity", Marketing Science 29(1),
85–93: the multi-cohort table of its Case 1 (tests/data/fader_hardie_2010_case1.csv) and
the printed estimates α̂ = 3.80, β̂ = 15.20.
Every other number below (log-likelihoods, standard errors, projection gaps) is our own
computation, pinned as a regression value and labelled as such.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import betaln

from simsrc.calibration.sbg import (
    SBGFit,
    fit_sbg,
    fit_sbg_durations,
    sbg_churn_pmf,
    sbg_from_mean_polarization,
    sbg_log_likelihood,
    sbg_retention_rate,
    sbg_survival,
    sbg_to_mean_polarization,
)

# Fader & Hardie (2007), Table 1: % surviving at years 0..12.
REGULAR = [100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3, 20.7, 19.4, 18.3, 17.3]
HIGH_END = [100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9, 39.4]

# Fader & Hardie (2007): estimates from the calibration period, years 0–7.
PUBLISHED = {"regular": (REGULAR, 0.704, 1.182), "high_end": (HIGH_END, 0.668, 3.806)}


def _fit_2007(segment: str) -> SBGFit:
    curve = PUBLISHED[segment][0]
    return fit_sbg(curve[:8], initial=1000)


# --------------------------------------------------------------------------------------
# Published numbers: Fader & Hardie (2007)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_fader_hardie_2007_estimates_to_the_printed_three_decimals(segment):
    _, alpha, beta = PUBLISHED[segment]
    fit = _fit_2007(segment)
    assert fit.converged
    assert round(fit.alpha, 3) == alpha
    assert round(fit.beta, 3) == beta
    assert fit.n_periods == 7
    assert fit.n_customers == pytest.approx(1000.0)


@pytest.mark.parametrize(
    ("segment", "log_likelihood", "alpha_se", "beta_se"),
    [
        # Our values (not printed in the paper), pinned against regressions.
        ("regular", -1680.2652, 0.06560, 0.15248),
        ("high_end", -1611.1581, 0.10373, 0.78553),
    ],
)
def test_fader_hardie_2007_log_likelihood_and_standard_errors(
    segment, log_likelihood, alpha_se, beta_se
):
    fit = _fit_2007(segment)
    assert fit.log_likelihood == pytest.approx(log_likelihood, abs=1e-4)
    assert fit.alpha_se == pytest.approx(alpha_se, rel=1e-3)
    assert fit.beta_se == pytest.approx(beta_se, rel=1e-3)


@pytest.mark.parametrize(("segment", "max_gap"), [("regular", 0.5), ("high_end", 2.0)])
def test_fader_hardie_2007_projection_of_the_holdout_years(segment, max_gap):
    # The paper reports that the sBG fitted on years 0–7 projects years 8–12 closely (its
    # projection figures); the numeric bounds are ours. Our projections (% surviving):
    #   regular  22.01 20.44 19.12 17.99 17.00  vs actual 22.3 20.7 19.4 18.3 17.3
    #   high end 46.04 43.58 41.42 39.51 37.80  vs actual 46.8 44.5 42.7 40.9 39.4
    # i.e. largest gaps 0.3 and 1.6 percentage points.
    curve = PUBLISHED[segment][0]
    projected = _fit_2007(segment).project(12, initial=100)
    gaps = np.abs(projected[8:] - np.asarray(curve[8:]))
    assert gaps.max() < max_gap
    # The sBG's rising retention is what makes it work: a constant-retention projection
    # from year-1 retention misses year 12 by far more (e.g. 0.631^12 = 0.4 % vs 17.3 %).
    naive = 100 * (curve[1] / 100) ** 12
    assert abs(naive - curve[12]) > 10 * gaps.max()


# --------------------------------------------------------------------------------------
# Several cohorts (calendar-time / left-justified tables)
# --------------------------------------------------------------------------------------


def _cohort_table(alpha: float, beta: float, lengths=(7, 6, 5, 4, 3), size=1000.0):
    """Left-justified cohorts: cohort i observed for lengths[i] periods after period 0."""
    return [size * sbg_survival(alpha, beta, np.arange(n + 1)) for n in lengths]


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_calendar_time_table_built_from_the_2007_curve_recovers_the_2007_fit(segment):
    # Stand-in for Fader & Hardie (2010), whose exact published cohort table we have not
    # verified: 5 cohorts of 1000 observed for 7, 6, 5, 4, 3 years, with counts taken from
    # the sBG curve fitted to the 2007 data. (With the raw 2007 percentages instead, the
    # truncated cohorts weight early years more and the pooled fit moves to about
    # α = 0.732, β = 1.234 for Regular — within one standard error, but not 1e-3.)
    single = _fit_2007(segment)
    table = _cohort_table(single.alpha, single.beta)
    pooled = fit_sbg(table)
    assert pooled.converged
    assert pooled.n_cohorts == 5
    assert pooled.n_customers == pytest.approx(5000.0)
    assert pooled.alpha == pytest.approx(single.alpha, abs=1e-3)
    assert pooled.beta == pytest.approx(single.beta, abs=1e-3)
    # and, the counts being noiseless, in fact much more closely:
    assert pooled.alpha == pytest.approx(single.alpha, rel=1e-6)
    assert pooled.beta == pytest.approx(single.beta, rel=1e-6)


def test_cohort_table_layouts_give_identical_fits():
    rows = [np.round(r) for r in _cohort_table(0.7, 1.2)]
    width = max(len(r) for r in rows)
    left = np.full((len(rows), width), np.nan)
    calendar = np.full((len(rows), width + len(rows) - 1), np.nan)
    for i, r in enumerate(rows):
        left[i, : len(r)] = r
        # cohort i acquired in calendar period i, all observed up to the same last period
        calendar[i, i : i + len(r)] = r
    fits = [
        fit_sbg(rows),
        fit_sbg(left),
        fit_sbg(pd.DataFrame(left)),
        fit_sbg(calendar),
    ]
    for fit in fits[1:]:
        assert fit.alpha == pytest.approx(fits[0].alpha, rel=1e-10)
        assert fit.beta == pytest.approx(fits[0].beta, rel=1e-10)
        assert fit.log_likelihood == pytest.approx(fits[0].log_likelihood, rel=1e-12)


def test_calendar_time_table_with_staggered_starts_and_a_common_last_period():
    # A true calendar-time table: cohorts acquired in years 0..4, all observed to year 7;
    # cohort i is then observed for 7 − i periods, i.e. the same as the left-justified one.
    rows = [np.round(r) for r in _cohort_table(0.7, 1.2, lengths=(7, 6, 5, 4, 3))]
    calendar = np.full((5, 8), np.nan)
    for i, r in enumerate(rows):
        calendar[i, 8 - len(r) :] = r
    assert fit_sbg(calendar).alpha == pytest.approx(fit_sbg(rows).alpha, rel=1e-10)


def test_newest_cohort_seen_only_at_period_zero_adds_customers_but_no_information():
    rows = _cohort_table(0.7, 1.2)
    with_new = fit_sbg([*rows, np.array([1000.0])])
    without = fit_sbg(rows)
    assert with_new.alpha == pytest.approx(without.alpha, rel=1e-10)
    assert with_new.n_customers == pytest.approx(without.n_customers + 1000)
    assert with_new.n_cohorts == without.n_cohorts + 1


def test_stacking_k_identical_cohorts_keeps_the_estimate_and_divides_se_by_sqrt_k():
    cohort = np.round(1000 * np.asarray(REGULAR[:8]) / 100)
    one = fit_sbg(cohort)
    four = fit_sbg([cohort] * 4)
    assert four.alpha == pytest.approx(one.alpha, rel=1e-8)
    assert four.beta == pytest.approx(one.beta, rel=1e-8)
    assert four.log_likelihood == pytest.approx(4 * one.log_likelihood, rel=1e-12)
    assert four.alpha_se == pytest.approx(one.alpha_se / 2, rel=1e-6)
    assert four.beta_se == pytest.approx(one.beta_se / 2, rel=1e-6)


def test_percentages_with_one_initial_per_cohort():
    pct = [np.asarray(REGULAR[:8]), np.asarray(REGULAR[:5])]
    counts = [p / 100 * n for p, n in zip(pct, (1000, 400), strict=True)]
    a = fit_sbg(pct, initial=[1000, 400])
    b = fit_sbg(counts)
    assert a.alpha == pytest.approx(b.alpha, rel=1e-10)
    assert a.n_customers == pytest.approx(1400)


# --------------------------------------------------------------------------------------
# Exact identities
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (5.0, 0.3)])
def test_survival_is_the_product_of_retention_rates_and_pmf_its_decrement(alpha, beta):
    t = np.arange(0, 61)
    s = sbg_survival(alpha, beta, t)
    r = sbg_retention_rate(alpha, beta, t[1:])
    np.testing.assert_allclose(s[1:], np.cumprod(r), rtol=1e-12)
    np.testing.assert_allclose(sbg_churn_pmf(alpha, beta, t[1:]), s[:-1] - s[1:], atol=1e-12)
    assert s[0] == 1.0
    assert np.all(np.diff(r) > 0)  # retention rises with tenure (heterogeneity sorting)


def test_closed_forms_for_uniform_churn_probability():
    # θ ~ Beta(1, 1): S(t) = 1/(t+1), P(T=t) = 1/(t(t+1)), r(t) = t/(t+1).
    t = np.arange(1, 30)
    np.testing.assert_allclose(sbg_survival(1, 1, t), 1 / (t + 1), rtol=1e-12)
    np.testing.assert_allclose(sbg_churn_pmf(1, 1, t), 1 / (t * (t + 1)), rtol=1e-12)
    np.testing.assert_allclose(sbg_retention_rate(1, 1, t), t / (t + 1), rtol=1e-12)


def test_functions_broadcast_over_parameters_and_periods():
    alphas = np.array([[0.5], [2.0]])
    out = sbg_survival(alphas, 1.5, np.arange(5))
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out[1], sbg_survival(2.0, 1.5, np.arange(5)), rtol=1e-15)


@pytest.mark.parametrize(
    ("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (0.2, 0.5), (3.0, 12.0), (1.5, 40.0)]
)
def test_noiseless_data_recover_the_parameters(alpha, beta):
    curve = 10_000 * sbg_survival(alpha, beta, np.arange(13))
    fit = fit_sbg(curve)
    assert fit.converged
    assert fit.alpha == pytest.approx(alpha, rel=1e-6)
    assert fit.beta == pytest.approx(beta, rel=1e-6)


def test_standard_errors_match_the_numerical_hessian_of_the_log_likelihood():
    curve = np.round(1000 * np.asarray(HIGH_END[:8]) / 100)
    fit = fit_sbg(curve)
    x, h = np.array([fit.alpha, fit.beta]), 1e-4

    def ll(p):
        return sbg_log_likelihood(p[0], p[1], curve)

    hess = np.empty((2, 2))
    grad = np.empty(2)
    eye = np.eye(2) * h
    for i in range(2):
        grad[i] = (ll(x + eye[i]) - ll(x - eye[i])) / (2 * h)
        for j in range(2):
            hess[i, j] = (
                ll(x + eye[i] + eye[j])
                - ll(x + eye[i] - eye[j])
                - ll(x - eye[i] + eye[j])
                + ll(x - eye[i] - eye[j])
            ) / (4 * h * h)
    cov = np.linalg.inv(-hess)
    assert np.abs(grad).max() < 1e-5  # the fit is at a stationary point
    assert fit.alpha_se == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-4)
    assert fit.beta_se == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-4)
    assert fit.cov_alpha_beta == pytest.approx(cov[0, 1], rel=1e-4)
    assert fit.log_likelihood == pytest.approx(ll(x), rel=1e-12)


def test_standard_errors_scale_exactly_as_one_over_sqrt_n_for_noiseless_counts():
    # Expected counts scale the log-likelihood by n, so the MLE is unchanged and the
    # observed information is multiplied by n: SE ∝ 1/sqrt(n) exactly.
    small = fit_sbg(1_000 * sbg_survival(0.7, 1.2, np.arange(8)))
    large = fit_sbg(100_000 * sbg_survival(0.7, 1.2, np.arange(8)))
    assert small.alpha_se / large.alpha_se == pytest.approx(10.0, rel=1e-6)
    assert small.beta_se / large.beta_se == pytest.approx(10.0, rel=1e-6)


def _simulated_curve(rng, n, alpha, beta, periods=8):
    theta = rng.beta(alpha, beta, size=n)
    lifetimes = rng.geometric(theta)  # period in which each customer churns (>= 1)
    return np.array([(lifetimes > t).sum() for t in range(periods)], dtype=float)


def test_standard_errors_shrink_roughly_as_one_over_sqrt_n_for_simulated_cohorts():
    rng = np.random.default_rng(20070101)
    small = fit_sbg(_simulated_curve(rng, 2_000, 0.7, 1.2))
    large = fit_sbg(_simulated_curve(rng, 32_000, 0.7, 1.2))
    assert small.converged and large.converged
    # 16× the customers: SE ratio sqrt(16) = 4, give or take the sampling noise of the SEs.
    assert small.alpha_se / large.alpha_se == pytest.approx(4.0, rel=0.25)
    assert small.beta_se / large.beta_se == pytest.approx(4.0, rel=0.25)
    # and the large-sample estimate lies within 4 standard errors of the truth
    assert abs(large.alpha - 0.7) < 4 * large.alpha_se
    assert abs(large.beta - 1.2) < 4 * large.beta_se


@given(
    st.floats(min_value=1e-3, max_value=1e3),
    st.floats(min_value=1e-3, max_value=1e3),
)
def test_mean_polarization_round_trip_from_alpha_beta(alpha, beta):
    m, phi = sbg_to_mean_polarization(alpha, beta)
    a, b = sbg_from_mean_polarization(m, phi)
    assert a == pytest.approx(alpha, rel=1e-12)
    assert b == pytest.approx(beta, rel=1e-12)


@given(
    st.floats(min_value=1e-6, max_value=1 - 1e-6),
    st.floats(min_value=1e-6, max_value=1 - 1e-6),
)
def test_mean_polarization_round_trip_from_m_phi(m, phi):
    back = sbg_to_mean_polarization(*sbg_from_mean_polarization(m, phi))
    assert back[0] == pytest.approx(m, rel=1e-12)
    assert back[1] == pytest.approx(phi, rel=1e-12)


def test_fit_exposes_mean_churn_polarization_and_projections():
    fit = _fit_2007("regular")
    assert fit.mean_churn == pytest.approx(fit.alpha / (fit.alpha + fit.beta), rel=1e-15)
    assert fit.polarization == pytest.approx(1 / (fit.alpha + fit.beta + 1), rel=1e-15)
    np.testing.assert_allclose(fit.project(5), fit.survival(np.arange(6)), rtol=1e-15)
    np.testing.assert_allclose(
        fit.retention([1, 2]), sbg_retention_rate(fit.alpha, fit.beta, [1, 2])
    )
    np.testing.assert_allclose(fit.churn_pmf([1, 2]), sbg_churn_pmf(fit.alpha, fit.beta, [1, 2]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.alpha = 1.0  # type: ignore[misc]


def test_boundary_solutions_are_flagged_not_converged():
    # Constant retention (no heterogeneity): the MLE runs off to α, β → ∞ (φ → 0).
    assert not fit_sbg([1000, 500, 250, 125]).converged
    # Everyone churns in period 1: mean churn → 1.
    assert not fit_sbg([100, 0, 0]).converged


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("survivors", "kwargs", "match"),
    [
        ([1000, 600, -5], {}, r"survivors: .*>= 0"),
        ([1000, 600, 650, 500], {}, r"survivors: .*non-increasing.*period 1.*period 2"),
        ([1000, 600], {}, r"survivors: need counts for at least periods 0, 1 and 2"),
        ([1000], {}, r"survivors: need counts for at least periods 0, 1 and 2"),
        ([1000, np.nan, 400], {}, r"survivors: .*NaN"),
        ([[1000, np.nan, 400, 300]], {}, r"survivors: cohort 0 has NaN between"),
        ([[np.nan, np.nan]], {}, r"survivors: cohort 0 has no observed values"),
        ([0, 0, 0], {}, r"survivors: .*period-0 count must be > 0"),
        ([1000, 1000, 1000], {}, r"survivors: no customer churned"),
        (np.ones((2, 2, 2)), {}, r"survivors: expected a 1-D .* or a 2-D"),
        (["a", "b", "c"], {}, r"survivors: must hold numbers"),
        ([98, 60, 40], {"initial": 1000}, r"survivors: .*must start at 100"),
        ([100, 160, 40], {"initial": 1000}, r"survivors: .*\[0, 100\]"),
        ([100, 60, 40], {"initial": 0}, r"initial: .*> 0"),
        ([[100, 60, 40], [100, 50, 30]], {"initial": [1, 2, 3]}, r"initial: .*one per cohort"),
    ],
)
def test_fit_rejects_bad_survivor_tables(survivors, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_sbg(survivors, **kwargs)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sbg_survival(0.0, 1.0, 1), r"alpha: must be finite and > 0"),
        (lambda: sbg_survival(1.0, -1.0, 1), r"beta: must be finite and > 0"),
        (lambda: sbg_survival(1.0, np.nan, 1), r"beta: must be finite and > 0"),
        (lambda: sbg_survival(1.0, 1.0, -1), r"t: periods must be whole numbers >= 0"),
        (lambda: sbg_survival(1.0, 1.0, 1.5), r"t: periods must be whole numbers >= 0"),
        (lambda: sbg_churn_pmf(1.0, 1.0, 0), r"t: periods must be whole numbers >= 1"),
        (lambda: sbg_retention_rate(1.0, 1.0, 0), r"t: periods must be whole numbers >= 1"),
        (lambda: sbg_from_mean_polarization(0.0, 0.5), r"mean: must be strictly between 0 and 1"),
        (lambda: sbg_from_mean_polarization(0.5, 1.0), r"polarization: .*between 0 and 1"),
        (lambda: sbg_to_mean_polarization(-1.0, 1.0), r"alpha: must be finite and > 0"),
        (lambda: _fit_2007("regular").project(-1), r"periods: .*>= 0"),
        (lambda: _fit_2007("regular").project(3, initial=0.0), r"initial: .*> 0"),
    ],
)
def test_closed_forms_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------------------
# Multi-cohort reference table and customer-level durations
# --------------------------------------------------------------------------------------

# Fader & Hardie (2010), Case 1, in calendar-time layout: four cohorts of 10,000 acquired
# in years 0–3, all observed to year 4. The same table as tests/data (checked below). It
# also appears in the test of a public implementation (jdmaturen/shifted_beta_geometric_py,
# Apache-2.0, whose history attributes it to Fader & Hardie's note "Fitting the sBG Model
# to Multi-Cohort Data", 2007), which expects α = 3.80, β = 15.19 to two decimals.
MULTI_COHORT = [
    [10000, 8000, 6480, 5307, 4391],
    [np.nan, 10000, 8000, 6480, 5307],
    [np.nan, np.nan, 10000, 8000, 6480],
    [np.nan, np.nan, np.nan, 10000, 8000],
]


def test_multi_cohort_table_matches_an_independent_implementation():
    fit = fit_sbg(MULTI_COHORT)
    assert fit.converged and fit.n_cohorts == 4
    # The other implementation checks two decimals (3.80, 15.19).
    assert round(fit.alpha, 2) == 3.80
    assert round(fit.beta, 2) == 15.19
    # Left-justified layout of the same cohorts: identical fit.
    left = [[v for v in row if not np.isnan(v)] for row in MULTI_COHORT]
    same = fit_sbg(left)
    assert same.alpha == pytest.approx(fit.alpha, rel=1e-10)
    assert same.log_likelihood == pytest.approx(fit.log_likelihood, rel=1e-12)


# --------------------------------------------------------------------------------------
# Published numbers: Fader & Hardie (2010), Case 1 (multi-cohort)
# --------------------------------------------------------------------------------------

CASE1 = Path(__file__).parent / "data" / "fader_hardie_2010_case1.csv"
# Printed in the paper, two decimals (as recorded with the data in tests/data/README.md).
# No printed log-likelihood is on record, so ours is pinned as a regression value.
PRINTED_ALPHA, PRINTED_BETA = 3.80, 15.20


def _case1() -> list[np.ndarray]:
    """Cohort 1 (oldest) first, each row its survivors at tenure 0, 1, … as observed."""
    table = pd.read_csv(CASE1, index_col="cohort")
    return [row.dropna().to_numpy(dtype=float) for _, row in table.iterrows()]


def _literal_log_likelihood(alpha, beta, cohorts):
    """The multi-cohort sBG log-likelihood written out cohort by cohort.

    Each cohort: Σ_t (n_{t−1} − n_t) ln P(T = t) over its observed years, plus its
    survivors n_last times ln S(last), with P(T = t) = B(α+1, β+t−1)/B(α, β) and
    S(t) = B(α, β+t)/B(α, β). Independent of the fitter's pooled sufficient statistics.
    """
    total = 0.0
    for n in cohorts:
        t = np.arange(1, len(n))
        total += float(
            ((n[:-1] - n[1:]) * (betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))).sum()
        )
        total += float(n[-1] * (betaln(alpha, beta + len(n) - 1) - betaln(alpha, beta)))
    return total


def test_fader_hardie_2010_case1_table_as_published():
    cohorts = _case1()
    assert [len(c) for c in cohorts] == [5, 4, 3, 2]  # 4, 3, 2, 1 years observed
    assert all(c[0] == 10_000 for c in cohorts)
    # the calendar-time table above holds the same cohorts
    for c, row in zip(cohorts, MULTI_COHORT, strict=True):
        np.testing.assert_array_equal(c, np.asarray(row)[~np.isnan(row)])


def test_fader_hardie_2010_case1_estimates_to_the_printed_precision():
    cohorts = _case1()
    fit = fit_sbg(cohorts)
    assert fit.converged and fit.n_cohorts == 4 and fit.n_periods == 4
    assert fit.n_customers == 40_000
    # α̂ = 3.7981: the printed 3.80 to its two decimals (half a unit of the last digit).
    assert abs(fit.alpha - PRINTED_ALPHA) <= 0.005
    # β̂ = 15.1919 rounds to 15.19, NOT the printed 15.20: 0.008 below it, beyond the
    # printed precision (0.005). Not a fault of the fitter (next test): the table is
    # exactly the sBG of the printed pair rounded to whole customers, and the maximum
    # likelihood of the rounded counts lies 0.003 standard errors away; an independent
    # implementation gets 15.19 too. Pinned so that a "fix" towards 15.20 shows up here.
    assert round(fit.beta, 2) == 15.19
    assert 0.005 < PRINTED_BETA - fit.beta < 0.01
    assert PRINTED_BETA - fit.beta < 0.005 * fit.beta_se
    # Log-likelihood (not printed in the paper; ours, two decimals), and the same value
    # from the cohort-by-cohort formula
    assert abs(fit.log_likelihood - (-40255.84)) <= 0.005
    assert fit.log_likelihood == pytest.approx(
        _literal_log_likelihood(fit.alpha, fit.beta, cohorts), rel=1e-12
    )
    # a stationary point of the literal likelihood, and higher than at the printed pair
    h = 1e-4
    for d in (np.array([h, 0.0]), np.array([0.0, h])):
        up = _literal_log_likelihood(*(np.array([fit.alpha, fit.beta]) + d), cohorts)
        down = _literal_log_likelihood(*(np.array([fit.alpha, fit.beta]) - d), cohorts)
        assert abs(up - down) / (2 * h) < 1e-4
    printed = _literal_log_likelihood(PRINTED_ALPHA, PRINTED_BETA, cohorts)
    assert 0 < fit.log_likelihood - printed < 1e-5  # a very flat ridge


def test_fader_hardie_2010_case1_is_the_rounded_sbg_of_the_printed_estimates():
    # Every count is 10,000 · S(t; α = 3.80, β = 15.20) rounded to a whole customer (mean
    # churn 0.2, polarisation 0.05): the table was evidently made from the printed pair.
    cohorts = _case1()
    exact = [
        10_000 * sbg_survival(PRINTED_ALPHA, PRINTED_BETA, np.arange(len(c))) for c in cohorts
    ]
    for c, e in zip(cohorts, exact, strict=True):
        np.testing.assert_array_equal(c, np.round(e))
    # Without the rounding the fit returns them, data layout and censoring of the
    # customers still active included; so the 0.008 in β̂ is the rounding's doing.
    unrounded = fit_sbg(exact)
    assert unrounded.alpha == pytest.approx(PRINTED_ALPHA, rel=1e-6)
    assert unrounded.beta == pytest.approx(PRINTED_BETA, rel=1e-6)
    # Fitting fewer cohorts does not give 15.20 either (the oldest alone: 15.16).
    assert round(fit_sbg(cohorts[0]).beta, 2) == 15.16


def _durations(curve, size=1000):
    """One row per customer from a survival curve in % (churn period or censored)."""
    counts = np.round(np.asarray(curve) / 100 * size).astype(int)
    lost = counts[:-1] - counts[1:]
    tenure = np.concatenate([np.repeat(np.arange(1, len(counts)), lost), [len(counts) - 1]])
    weight = np.concatenate([np.ones(lost.sum()), [counts[-1]]])
    churned = np.concatenate([np.ones(lost.sum(), bool), [False]])
    return tenure, churned, weight


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_customer_durations_give_the_published_2007_fit(segment):
    tenure, churned, weight = _durations(PUBLISHED[segment][0][:8])
    fit = fit_sbg_durations(tenure, churned, weight=weight)
    _, alpha, beta = PUBLISHED[segment]
    assert round(fit.alpha, 3) == alpha and round(fit.beta, 3) == beta
    # Same likelihood as the cohort-table fit (same data, pooled differently): rounding.
    table = _fit_2007(segment)
    assert fit.log_likelihood == pytest.approx(table.log_likelihood, rel=1e-10)
    assert fit.alpha_se == pytest.approx(table.alpha_se, rel=1e-6)


def test_delayed_entry_is_conditioning_on_survival_to_entry():
    # Customers observed from period 3 on contribute P(T=k)/S(3) or S(k)/S(3): the fit on
    # the truncated rows alone recovers the truth from noiseless expected counts.
    alpha, beta, n, last = 0.9, 2.5, 100_000.0, 14
    s = sbg_survival(alpha, beta, np.arange(last + 1))
    k = np.arange(4, last + 1)
    tenure = np.r_[k, last]
    churned = np.r_[np.ones(k.size, bool), False]
    weight = n * np.r_[s[k - 1] - s[k], s[last]] / s[3]
    fit = fit_sbg_durations(tenure, churned, entry=np.full(tenure.size, 3), weight=weight)
    # Expected counts are the likelihood's fixed point: optimiser tolerance only.
    assert fit.alpha == pytest.approx(alpha, rel=1e-6)
    assert fit.beta == pytest.approx(beta, rel=1e-6)
    # Ignoring the truncation (entry 0) biases both badly.
    naive = fit_sbg_durations(tenure, churned, weight=weight)
    assert abs(naive.beta - beta) > 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"tenure": [1, 2], "churned": [1, 0], "entry": [1, 0]},
            r"entry: must be whole periods with 0 <= entry",
        ),
        ({"tenure": [0, 2], "churned": [1, 0]}, r"churned customers need tenure >= 1"),
        ({"tenure": [1, 2], "churned": [0, 0]}, r"churned: no customer churned"),
        ({"tenure": [1, -2], "churned": [1, 0]}, r"tenure: must be whole periods"),
        ({"tenure": [1, 2], "churned": [1, 0], "weight": [1, -1]}, r"weight: must be finite"),
        ({"tenure": [1, 2], "churned": ["y", "n"]}, r"churned: must be boolean-like"),
    ],
)
def test_durations_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_sbg_durations(**kwargs)
