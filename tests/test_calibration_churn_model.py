"""The engine's churn model as a likelihood: exact identities and recovery of known truth.

Identities: with one flat cause the model is the sBG, so its survival and log-likelihood
equal the closed forms of Fader & Hardie (2007); its survival equals the engine's own for
any scenario without levers. Recovery: customer data sampled from the engine's cohort
path (fixed seeds) give back the parameters that generated them, with errors shrinking
as the sample grows.
"""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.calibration import calibrate_frame
from simsrc.calibration.churn_model import (
    ChurnModel,
    FitSpec,
    SegmentCounts,
    fit_churn_model,
    frailty,
    log_likelihood,
    model_curves,
)
from simsrc.calibration.sbg import sbg_log_likelihood, sbg_survival
from simsrc.calibration.synthetic import synthetic_customers
from simsrc.engine.cohorts import cohort_path
from simsrc.engine.pack import pack
from simsrc.model.conversions import beta_to_spread
from simsrc.model.parts import Contract

# --------------------------------------------------------------------------------------
# Exact identities
# --------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    alpha=st.floats(0.3, 8.0),
    beta=st.floats(0.5, 20.0),
)
def test_one_flat_cause_is_the_sbg(alpha, beta):
    m, s = beta_to_spread(alpha, beta)
    model = ChurnModel(np.array([[m]]), (simsrc.Shape(),), (True,), s, m)
    surv, pmf = model_curves(model, 20)
    # Gauss–Jacobi quadrature with 11 classes is exact for t <= 21: rounding only.
    np.testing.assert_allclose(surv[0], sbg_survival(alpha, beta, np.arange(21)), atol=1e-12)
    np.testing.assert_allclose(pmf[0, :, 0], -np.diff(surv[0]), atol=1e-12)


def test_log_likelihood_equals_the_sbg_likelihood_of_a_cohort_table():
    # Fader & Hardie (2007) "Regular" segment, years 0–7 (% of 1000), at their estimates.
    regular = np.array([100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1]) * 10
    alpha, beta = 0.704, 1.182
    m, s = beta_to_spread(alpha, beta)
    lost = regular[:-1] - regular[1:]
    counts = SegmentCounts(
        events=lost[:, None],
        unknown=np.zeros(7),
        censored=np.r_[np.zeros(7), regular[-1]],
        entries=np.r_[regular[0], np.zeros(7)],
    )
    model = ChurnModel(np.array([[m]]), (simsrc.Shape(),), (True,), s, m)
    # Exact in real arithmetic (quadrature exact up to period 7); rounding only.
    assert log_likelihood(model, [counts]) == pytest.approx(
        sbg_log_likelihood(alpha, beta, regular), rel=1e-12
    )


def test_unknown_cause_and_interval_events_match_the_all_cause_likelihood():
    # One cause: a churner of unknown cause contributes exactly what a known one does.
    rng = np.random.default_rng(3)
    ev = rng.integers(0, 30, size=(12, 1)).astype(float)
    known = SegmentCounts(ev, np.zeros(12), np.r_[np.zeros(12), 400.0], np.r_[700.0, np.zeros(12)])
    unknown = SegmentCounts(np.zeros((12, 1)), ev[:, 0], known.censored, known.entries)
    model = ChurnModel(np.array([[0.04]]), (simsrc.Shape(),), (True,), 0.3, 0.04)
    assert log_likelihood(model, [known]) == pytest.approx(log_likelihood(model, [unknown]))


def test_model_survival_equals_the_engines_for_a_scenario_without_levers():
    s = simsrc.preset("telecom").without_levers()  # and without contracts: the model has none
    s = s.replace(segments=tuple(dataclasses.replace(x, contract=Contract()) for x in s.segments))
    het = tuple(c.heterogeneous for c in s.causes)
    model = ChurnModel(
        np.array([c.levels for c in s.causes]).T,
        tuple(c.shape for c in s.causes),
        het,
        s.heterogeneity.spread,
        float(s.heterogeneity.reference_churn or 0.0),
    )
    surv, pmf = model_curves(model, s.horizon_months)
    engine = simsrc.simulate(s).survival
    for g, seg in enumerate(s.segment_names):
        # Same classes (31 for 60 months), same capped hazards: rounding only.
        np.testing.assert_allclose(surv[g], engine[seg].to_numpy(), atol=1e-12)
    path = cohort_path(pack([s]))["churned"][0]
    np.testing.assert_allclose(pmf, path, atol=1e-12)


def test_frailty_classes_have_mean_one_and_the_requested_spread():
    z, w = frailty(0.35, 0.05, 40)
    cv2 = float(w @ (z - 1.0) ** 2)
    # Quadrature reproduces the first 2J−1 moments exactly: rounding only.
    assert float(w @ z) == pytest.approx(1.0, abs=1e-12)
    assert cv2 / (1 + cv2) == pytest.approx(0.35, abs=1e-12)
    assert frailty(0.0, 0.05, 40)[0].tolist() == [1.0]


def test_noiseless_counts_recover_levels_shape_and_spread_exactly():
    shapes = (simsrc.Shape(), simsrc.Shape("early", 3.0), simsrc.Shape("hump", 8.0))
    het = (True, True, False)
    truth = ChurnModel(np.array([[0.03, 0.08, 0.01], [0.01, 0.02, 0.003]]), shapes, het, 0.5, 0.05)
    surv, pmf = model_curves(truth, 48)
    counts = [
        SegmentCounts(
            10_000 * pmf[g],
            np.zeros(48),
            np.r_[np.zeros(48), 10_000 * surv[g, 48]],
            np.r_[10_000.0, np.zeros(48)],
        )
        for g in range(2)
    ]
    spec = FitSpec(
        np.full((2, 3), 0.02), np.ones((2, 3), bool), shapes, het, 0.05, fit_shape=(0, 1, 1)
    )
    fit = fit_churn_model(counts, spec)
    assert fit.converged
    # Expected counts are the maximum-likelihood fixed point; optimiser tolerance only.
    np.testing.assert_allclose(fit.model.levels, truth.levels, rtol=1e-5)
    assert fit.model.spread == pytest.approx(0.5, abs=1e-5)
    assert [s.months for s in fit.model.shapes] == pytest.approx([3.0, 3.0, 8.0], rel=1e-5)
    assert np.all(np.isfinite(fit.level_se)) and fit.spread_se > 0


# --------------------------------------------------------------------------------------
# Recovery from customer data sampled from the engine
# --------------------------------------------------------------------------------------

REASON = {"price_competitor": "Price too high", "onboarding": "Competitor made better offer",
          "natural_events": "Moved"}  # fmt: skip


def truth_scenario() -> simsrc.Scenario:
    """Two segments, a flat and an early heterogeneous cause, and unpreventable moves."""
    return simsrc.Scenario(
        name="truth",
        segments=(
            simsrc.Segment("basic", "Basic", 0.6, 30.0),
            simsrc.Segment("pro", "Pro", 0.4, 80.0),
        ),
        causes=(
            simsrc.Cause("price_competitor", "Price", (0.04, 0.015)),
            simsrc.Cause(
                "onboarding", "Onboarding", (0.10, 0.03), shape=simsrc.Shape("early", 2.0)
            ),
            simsrc.Cause(
                "natural_events", "Moved", (0.006, 0.004), heterogeneous=False, preventable=False
            ),
        ),
        heterogeneity=simsrc.Heterogeneity(spread=0.4),
        horizon_months=72,
    )


def sample_customers(s: simsrc.Scenario, n: int, seed: int, window: int | None = None):
    """Customers drawn from the engine's path; leavers state the telecom reasons above."""
    return synthetic_customers(s, n, seed=seed, window=window, reasons=REASON)


def _fit(df, window):
    base = truth_scenario().replace(name="base")
    return calibrate_frame(df, base=base, window_months=window, segment="plan")


def _estimates(report):
    p = report.parameters.set_index("path")
    paths = [
        "causes.price_competitor.levels.basic",
        "causes.price_competitor.levels.pro",
        "causes.onboarding.levels.basic",
        "causes.onboarding.levels.pro",
        "heterogeneity.spread",
    ]
    return p.loc[paths, "value"].to_numpy(float), p.loc[paths, "se"].to_numpy(float)


TRUE = np.array([0.04, 0.015, 0.10, 0.03, 0.4])


@pytest.mark.slow
def test_recovery_from_full_history_samples_with_errors_shrinking_with_size():
    errors, ses = [], []
    for n in (2_000, 8_000, 32_000):
        _, report = _fit(sample_customers(truth_scenario(), n, seed=11), None)
        est, se = _estimates(report)
        # Maximum likelihood is consistent: each estimate within 4 of its standard errors
        # (a 4-SE band keeps this fixed-seed test far from chance failures).
        assert np.all(np.abs(est - TRUE) <= 4 * se), (n, est, se)
        errors.append(float(np.sqrt(np.mean(((est - TRUE) / TRUE) ** 2))))
        ses.append(se)
    # Standard errors shrink like 1/sqrt(n): ×16 customers → ÷4 on (geometric) average.
    # ±30 %: at 2,000 customers the likelihood is not yet quadratic, so single ratios
    # scatter (2.6–5.9 with this seed); every one must still shrink at least twofold.
    ratio = ses[0] / ses[2]
    assert 4 / 1.3 < math.exp(np.mean(np.log(ratio))) < 4 * 1.3, ratio
    assert np.all(ratio > 2), ratio
    # and the realised relative error with them (fixed seed: 2k → 32k).
    assert errors[2] < errors[0] / 2, errors


@pytest.mark.slow
def test_recovery_from_a_quarterly_window_snapshot_needs_left_truncation():
    df = sample_customers(truth_scenario(), 64_000, seed=5, window=3)
    assert set(df["status"]) == {"Churned", "Stayed", "Joined"}
    scenario, report = _fit(df, "auto")
    assert "3-month window" in report.assumptions[0]
    est, se = _estimates(report)
    # Same 4-SE band as above.
    assert np.all(np.abs(est - TRUE) <= 4 * se), (est, se)
    # Read as full history the same file understates churn badly: the customers who left
    # before the window are missing while their surviving cohort-mates are not.
    _, naive = _fit(df, None)
    naive_price = naive.parameters.set_index("path").loc[
        "causes.price_competitor.levels.basic", "value"
    ]
    assert naive_price < 0.5 * TRUE[0]
    assert math.isfinite(scenario.heterogeneity.spread)
