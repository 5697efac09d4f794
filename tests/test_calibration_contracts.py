"""Contract segments in calibration: the delivered scenario fits, and a known truth returns."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.analysis.coverage import COVERAGE_REASONS, coverage_truth
from simsrc.calibration import calibrate_frame
from simsrc.calibration.delivered import contract_months, resolve_terms
from simsrc.calibration.goodness import MIN_EXPECTED, band_tests, bands_chi2
from simsrc.calibration.synthetic import synthetic_customers


def contract_truth() -> simsrc.Scenario:
    """The coverage study's truth with its pro customers on yearly contracts."""
    s = coverage_truth()
    for key, value in (("term_months", 12), ("early_exit", [0.2]), ("renewal", [0.3, 0.15])):
        s = s.set(f"segments.pro.contract.{key}", value)
    return s


@pytest.fixture(scope="module")
def recovered():
    truth = contract_truth()
    df = synthetic_customers(truth, 30_000, seed=4, reasons=COVERAGE_REASONS)
    scenario, report = calibrate_frame(
        df, base=truth.replace(name="base"), window_months=None, segment="plan",
        contract_terms={"Pro": 12},
    )  # fmt: skip
    return truth, scenario, report


def test_a_known_contract_is_recovered_from_customer_records(recovered):
    truth, scenario, report = recovered
    pro = scenario.segments[1].contract
    assert pro.term_months == 12 and scenario.segments[0].contract.term_months == 0
    params = report.parameters.set_index("path")
    # The waves are absolute (the average customer's churn at renewal): 4 standard errors
    for i, true in enumerate((0.3, 0.15)):
        row = params.loc[f"segments.pro.contract.renewal.{i}"]
        assert abs(row["value"] - true) <= 4 * row["se"], (i, row["value"], row["se"])
    # Churn inside a term is relative to the fitted level: judge the survival it gives.
    months = 72
    got = simsrc.simulate(scenario.replace(horizon_months=months)).survival["pro"]
    want = simsrc.simulate(truth.replace(horizon_months=months)).survival["pro"]
    assert (got - want).abs().max() < 0.02
    assert report.fit.set_index("segment").loc["pro", "band_p_value"] > 0.01


def test_without_the_term_the_same_records_are_fitted_only_on_average(recovered):
    truth, _, _ = recovered
    df = synthetic_customers(truth, 30_000, seed=4, reasons=COVERAGE_REASONS)
    _, report = calibrate_frame(df, base=truth.replace(name="base"), window_months=None,
                                segment="plan", contract_terms=None)  # fmt: skip
    fit = report.fit.set_index("segment")
    assert fit.loc["pro", "scenario_max_gap"] > 0.05
    assert fit.loc["pro", "band_p_value"] < 0.01  # the bands see the renewal waves


@pytest.mark.parametrize(
    ("label", "months"),
    [("Two Year", 24), ("one_year", 12), ("18 months", 18), ("Month-to-Month", 0),
     ("Annual plan", 12), ("Premium", 0), ("3-year", 36)],
)  # fmt: skip
def test_contract_terms_are_read_from_segment_labels(label, months):
    assert contract_months(label) == months
    assert resolve_terms(["s"], [label], "auto") == {"s": months}
    assert resolve_terms(["s"], [label], None) == {"s": 0}


def test_bands_pool_months_until_each_expects_enough_leavers():
    survival = np.r_[1.0, np.cumprod(np.full(40, 0.99))]
    table = band_tests(np.full(40, 50.0), np.full(40, 0.5), survival)
    # 0.5 expected a month: months pool until 5 are expected; the last band takes the rest
    assert (table["expected"].iloc[:-1] >= MIN_EXPECTED).all()
    assert table["first"].iloc[0] == 1 and table["last"].iloc[-1] == 40
    assert (table["first"].iloc[1:].to_numpy() == table["last"].iloc[:-1].to_numpy() + 1).all()
    assert table["z"].abs().max() < 1e-9  # the data are the model's expectation
    chi2, df, p = bands_chi2(table)
    assert chi2 < 1e-12 and df == len(table) and p == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(
    months=st.integers(1, 120),
    rate=st.floats(0.0, 0.5),
    seed=st.integers(0, 1000),
)
def test_bands_cover_every_month_once_and_count_every_leaver(months, rate, seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(0, 200, size=months).astype(float)
    d = rng.binomial(n.astype(int), 0.05).astype(float)
    survival = np.r_[1.0, np.cumprod(np.full(months, 1 - rate))]
    table = band_tests(n, d, survival)
    assert table["observed"].sum() == pytest.approx(d.sum())
    assert table["at_risk"].sum() == pytest.approx(n.sum())
    spans = (table["last"] - table["first"] + 1).sum()
    assert spans == months
    assert ((table["p_value"] >= 0) & (table["p_value"] <= 1)).all()


def test_the_report_says_how_much_the_exit_month_matters():
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "telecom_customer_churn.csv"
    _, report = simsrc.calibrate(data, segment=False)
    note = next(a for a in report.assumptions if a.startswith("Sensitivity to when"))
    first, middle, last = (float(x) for x in note.rsplit(": ", 1)[1].rstrip(".").split()[1::2])
    # Leaving late in the window means having been seen longer: more customer-months at
    # risk for the same leavers, a lower hazard, a higher survival.
    assert first < middle < last
    assert pd.notna(report.bands["p_value"]).all()


def test_a_segments_own_spread_is_recovered_and_thin_data_keep_the_shared_one():
    # Issue 17: per-segment spread where the data identify it, a warning where not.
    truth = coverage_truth().set("heterogeneity.segment_spread.basic", 0.6)  # pro: 0.4
    df = synthetic_customers(truth, 30_000, seed=4, reasons=COVERAGE_REASONS)
    scenario, report = calibrate_frame(df, base=truth.replace(name="base"),
                                       window_months=None, segment="plan")  # fmt: skip
    params = report.parameters.set_index("path")
    for seg, true in (("basic", 0.6), ("pro", 0.4)):
        row = params.loc[f"heterogeneity.segment_spread.{seg}"]
        assert abs(row["value"] - true) <= 4 * row["se"], (seg, row["value"], row["se"])
        assert scenario.heterogeneity.spread_for(scenario.segment_index(seg)) == pytest.approx(
            row["value"], abs=1e-6
        )
    # one shared spread could not fit both: with their own, neither band test rejects
    assert (report.fit["band_p_value"] > 0.01).all(), report.fit["band_p_value"]
    assert "own spread: basic 0.5" in report.summary()
    # 600 customers: the data cannot tell the spreads apart; the shared one stays
    few = synthetic_customers(truth, 600, seed=5, reasons=COVERAGE_REASONS)
    thin, report = calibrate_frame(few, base=truth.replace(name="base"),
                                   window_months=None, segment="plan")  # fmt: skip
    kept = [w for w in report.warnings if "do not pin down a heterogeneity spread" in w]
    assert kept and all(
        thin.heterogeneity.segment_spread[thin.segment_index(w.split(":")[0])] == 0 for w in kept
    )
