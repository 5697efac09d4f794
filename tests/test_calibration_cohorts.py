"""Cohort survival tables through :func:`simsrc.calibration.calibrate`, and revenue curves."""

import numpy as np
import pandas as pd
import pytest

import simsrc
from simsrc import ScenarioError
from simsrc.calibration import calibrate, fit_value_curve, revenue_by_tenure
from simsrc.engine.curves import value_curve

# Fader & Hardie (2007), Table 1, years 0–7 (% of 1000 customers).
REGULAR = [100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1]
HIGH_END = [100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1]


@pytest.fixture(scope="module")
def yearly():
    df = pd.DataFrame([np.multiply(REGULAR, 10), np.multiply(HIGH_END, 10)],
                      columns=[f"year_{i}" for i in range(8)])  # fmt: skip
    df.insert(0, "segment", ["Regular", "High End"])
    return calibrate(df, period_months=12, base="b2b-saas")


def test_cohort_table_reports_the_published_sbg_fits(yearly):
    _, report = yearly
    assert report.kind == "cohorts"
    sbg = report.sbg.set_index("segment")
    # Fader & Hardie (2007): Regular α̂ = 0.704, β̂ = 1.182; High End 0.668, 3.806.
    assert round(sbg.loc["regular", "alpha"], 3) == 0.704
    assert round(sbg.loc["regular", "beta"], 3) == 1.182
    assert round(sbg.loc["high_end", "alpha"], 3) == 0.668
    assert round(sbg.loc["high_end", "beta"], 3) == 3.806
    proj = report.projection.query("segment == 'regular' and tenure == 144")
    # Their year-12 figure is 17.3 % actual; the sBG projects 17.0 % (our computation).
    assert proj["sbg"].iloc[0] == pytest.approx(0.170, abs=0.001)


def test_cohort_table_scenario_keeps_the_base_mix_and_fits_yearly_survival(yearly):
    scenario, report = yearly
    base = simsrc.preset("b2b-saas")
    assert scenario.cause_names == base.cause_names
    fit = report.fit.set_index("segment")
    # The engine's monthly model with the base's cause shapes, fitted to yearly data:
    # within 4 points of the observed survival in every year (our fit: 0.032 and 0.027).
    assert (fit["max_gap"] < 0.04).all()
    assert "cause mix and shapes are kept" in report.assumptions[1]


def test_cohort_calibration_attaches_joint_draws_matching_its_standard_errors(yearly):
    scenario, report = yearly
    est = scenario.estimation
    assert est is not None and len(est.draws) == 200
    draws = pd.DataFrame(est.draws, columns=list(est.paths))
    params = report.parameters.set_index("path")
    for path in ("causes.onboarding.levels.regular", "causes.onboarding.levels.high_end",
                 "heterogeneity.spread"):  # fmt: skip
        # The draws' spread is the report's standard error (200 draws: within 20 %).
        assert draws[path].std() == pytest.approx(params.loc[path, "se"], rel=0.2)
        assert draws[path].mean() == pytest.approx(params.loc[path, "value"], rel=0.05)
    # One scale per segment: a segment's causes move together in every draw.
    ratio = draws["causes.poor_service.levels.regular"] / draws["causes.onboarding.levels.regular"]
    assert np.allclose(ratio, ratio.iloc[0])
    band = simsrc.monte_carlo(scenario, n=100, seed=0).kpi_bands.loc["ending_active"]
    assert band["p10"] < band["p50"] < band["p90"]


def test_cohort_table_errors():
    with pytest.raises(ScenarioError, match=r"period columns must be 0, 1, 2"):
        calibrate(pd.DataFrame({"0": [100], "1": [80], "3": [60]}), kind="cohorts")
    with pytest.raises(ScenarioError, match=r"cohorts.all: survivors: .*non-increasing"):
        calibrate(pd.DataFrame({"0": [100], "1": [80], "2": [90]}), kind="cohorts")
    with pytest.raises(ScenarioError, match=r"period_months: must be a whole number"):
        calibrate(pd.DataFrame({"0": [100], "1": [80], "2": [60]}), period_months=0)


def test_value_curve_recovers_prices_and_uplift_from_charges():
    v = value_curve(simsrc.ValueGrowth(year3_uplift=0.4, ramp_months=18.0), 60)
    rng = np.random.default_rng(2)
    tenure = rng.integers(1, 61, size=6000)
    seg = rng.choice(["a", "b"], size=6000)
    price = np.where(seg == "a", 30.0, 75.0)
    charge = price * v[tenure - 1] * (1 + 0.05 * rng.standard_normal(6000))
    fit = fit_value_curve(revenue_by_tenure(seg, tenure, charge))
    # 5 % noise on 6,000 customers: prices within 1 %, uplift within 0.03, ramp within 25 %.
    assert fit.prices["a"] == pytest.approx(30.0, rel=0.01)
    assert fit.prices["b"] == pytest.approx(75.0, rel=0.01)
    assert fit.value.year3_uplift == pytest.approx(0.4, abs=0.03)
    assert fit.value.ramp_months == pytest.approx(18.0, rel=0.25)


def test_trailing_empty_periods_are_dropped_not_a_crash():
    # Found by the fuzzer: an all-empty last period column made the grids disagree.
    df = pd.DataFrame([[100, 80, 70, None], [100, 85, None, None]], columns=[0, 1, 2, 3])
    _, report = calibrate(df, spread=0.3)
    assert report.survival["tenure"].tolist() == [0, 1, 2]


def test_cohort_segments_missing_colliding_or_too_many():
    rows = [[100, 80, 70], [100, 85, 75]]
    df = pd.DataFrame(rows, columns=["0", "1", "2"])
    df.insert(0, "segment", [None, None])
    # Found by the fuzzer: missing segments left no group at all (max() of nothing).
    with pytest.raises(ScenarioError, match=r"^segment: segment missing — 2 row\(s\)"):
        calibrate(df, spread=0.3)
    df["segment"] = ["Pro plan", "pro_plan"]  # one name once made URL-safe: both kept
    scenario, _ = calibrate(df, spread=0.3)
    assert scenario.segment_names == ("pro_plan", "pro_plan_2")
    wide = pd.DataFrame([[100, 80, 70]] * 25, columns=["0", "1", "2"])
    wide.insert(0, "segment", [f"plan {i}" for i in range(25)])
    with pytest.raises(ScenarioError, match=r"^segment: 25 distinct values: too many"):
        calibrate(wide, spread=0.3)


def test_duplicate_column_names_are_refused():
    df = pd.DataFrame([[100, 80, 70]], columns=["0", "1", "1"])
    with pytest.raises(ScenarioError, match=r"^1: two columns have this name"):
        calibrate(df)


def test_segments_observed_for_fewer_periods_than_the_table():
    # Found by the fuzzer: a segment whose cohorts are younger made columns of unequal length.
    df = pd.DataFrame(
        {"segment": ["a", "b"], "0": [100, 100], "1": [80, 90], "2": [70, 85], "3": [60, None]}
    )
    _, report = calibrate(df, spread=0.3)
    b = report.survival[report.survival["segment"] == "b"].set_index("tenure")
    assert b["observed"].iloc[:3].tolist() == [1.0, 0.9, 0.85]
    assert np.isnan(b.loc[3, "observed"]) and np.isfinite(b.loc[3, "fitted"])
    assert np.isfinite(report.fit["max_gap"]).all()


def test_value_curve_on_the_edge_of_the_reachable_region_still_fits():
    # Found by the fuzzer: the optimum, rounded to 6 decimals, stepped outside the
    # uplifts a ramp can reach and an internal assertion failed.
    table = pd.DataFrame(
        {
            "segment": ["all"] * 4,
            "tenure": [0, 1, 7, 36],
            "customers": [1, 2, 1, 5],
            "mean_charge": [5.0, 5.0, 16.0, 5.0],
        }
    )
    fit = fit_value_curve(table)
    assert np.isfinite(fit.rmse) and fit.prices["all"] > 0
    assert np.isfinite(value_curve(fit.value, 36)).all()
