"""Data with a known truth, and whether the calibrated bands hold it 80 % of the time."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.analysis.coverage import (
    COVERAGE_LEVEL,
    CoverageStudy,
    coverage_study,
    coverage_truth,
    published_coverage,
    summarize,
)
from simsrc.calibration.survival import life_table
from simsrc.calibration.synthetic import MAX_CUSTOMERS, synthetic_customers
from simsrc.ui import charts

# --------------------------------------------------------------------------------------
# Customer tables drawn from a scenario
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["telecom", "consumer-app"])
def test_drawn_customers_leave_as_the_scenarios_survival_says(name):
    s = simsrc.preset(name)
    df = synthetic_customers(s, 60_000, seed=3)
    truth = simsrc.simulate(s).survival
    for seg in s.segments:
        mine = df[df["plan"] == seg.label]
        km = life_table(mine["tenure"], mine["status"] == "Churned", s.horizon_months)
        for month in (1, 6, 12, 24, s.horizon_months - 1):
            want = truth.loc[month, seg.name]
            gap = abs(km.loc[month, "survival"] - want)
            # Kaplan–Meier of the drawn table within 4 standard errors of the engine's:
            # Greenwood's, or the binomial one where nobody has left yet (Greenwood's is 0)
            se = max(km.loc[month, "survival_se"], math.sqrt(want * (1 - want) / len(mine)))
            assert gap <= 4 * se + 1e-9, (seg.name, month, gap)
    # Segments in their shares; churners state their cause's name (the default map reads it).
    shares = df["plan"].value_counts(normalize=True)
    for seg in s.segments:
        assert shares[seg.label] == pytest.approx(seg.share, abs=0.01)
    assert set(df.loc[df["status"] == "Churned", "reason"].dropna()) <= set(s.cause_names)


def test_a_window_keeps_only_the_customers_a_snapshot_would_hold():
    s = coverage_truth()
    full = synthetic_customers(s, 5_000, seed=1)
    window = synthetic_customers(s, 5_000, seed=1, window=3)
    assert len(window) < len(full)
    assert set(window["status"]) == {"Churned", "Stayed", "Joined"}
    # Joined: started in the last 3 months; same seed, same customers, same tenures
    joined = window[window["status"] == "Joined"]
    assert joined["tenure"].max() <= 3
    same = full.set_index("customer_id").loc[window["customer_id"], "tenure"].to_numpy()
    np.testing.assert_array_equal(same, window["tenure"].to_numpy())
    said = synthetic_customers(s, 2_000, seed=2, reasons={"onboarding": "Price too high"})
    assert "onboarding" not in set(said["reason"].dropna())


@settings(max_examples=40, deadline=None)
@given(
    n=st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_CUSTOMERS + 1),
                st.floats(allow_nan=True), st.booleans(), st.text(max_size=3)),
)  # fmt: skip
def test_a_bad_customer_count_is_one_clear_error(n):
    with pytest.raises((TypeError, ValueError), match=r"^n must be a whole number from 1"):
        synthetic_customers(coverage_truth(), n)


@settings(max_examples=40, deadline=None)
@given(
    window=st.one_of(st.integers(max_value=0), st.integers(min_value=73),
                     st.floats(allow_nan=True), st.text(max_size=3)),
)  # fmt: skip
def test_a_bad_window_is_one_clear_error(window):
    with pytest.raises(
        (TypeError, ValueError), match=r"^window must be a whole number from 1 to 72"
    ):
        synthetic_customers(coverage_truth(), 10, window=window)


@settings(max_examples=30, deadline=None)
@given(
    name=st.text(min_size=1, max_size=12).filter(lambda x: x not in coverage_truth().cause_names)
)
def test_a_reason_for_an_unknown_cause_is_refused(name):
    with pytest.raises(simsrc.ScenarioError, match=r"^reasons: names no cause"):
        synthetic_customers(coverage_truth(), 10, reasons={name: "x"})


# --------------------------------------------------------------------------------------
# Coverage of the calibrated bands
# --------------------------------------------------------------------------------------


def test_summary_counts_coverage_and_its_monte_carlo_error():
    runs = pd.DataFrame(
        {
            "customers": [100] * 4,
            "rep": [0, 1, 2, 3],
            "kpi": ["npv"] * 4,
            "p10": [0.0, 0.0, 2.0, 0.0],
            "p90": [2.0, 2.0, 3.0, 0.5],
            "truth": [1.0] * 4,
        }
    )
    runs["covered"] = (runs["p10"] <= runs["truth"]) & (runs["truth"] <= runs["p90"])
    row = summarize(runs).iloc[0]
    assert row["coverage"] == 0.5
    assert row["mc_error"] == pytest.approx(0.25)  # √(.5 × .5 / 4)
    assert row["width"] == pytest.approx(1.5)  # median of 2, 2, 1, .5
    study = CoverageStudy(runs, summarize(runs))
    # 4 data sets: 0.5 is within 3 errors of 80 % (3 × 0.2), 0.1 would not be
    assert bool(study.consistent().iloc[0])


@pytest.mark.slow
def test_calibrated_bands_are_as_wide_as_the_estimates_scatter():
    study = coverage_study(sizes=(2_000,), reps=24, draws=100, seed=50)
    runs = study.runs
    for kpi, one in runs.groupby("kpi"):
        # A P10–P90 band of a normal spans 2.563 SD; its middle is the estimate. Over
        # data sets the estimates scatter around the truth: calibrated bands are as
        # wide as that scatter (24 data sets: the SD is known to ±15 %).
        band_sd = ((one["p90"] - one["p10"]) / 2.563).median()
        scatter = np.sqrt(np.mean(((one["p10"] + one["p90"]) / 2 - one["truth"]) ** 2))
        assert 0.65 < band_sd / scatter < 1.5, (kpi, band_sd, scatter)
    assert study.summary["coverage"].min() >= 0.5


def test_the_shipped_study_finds_bands_calibrated_and_narrowing_with_data():
    table = published_coverage()
    assert (table["reps"] >= 200).all()
    study = CoverageStudy(pd.DataFrame(), table)
    # every KPI at both sizes within 3 Monte Carlo errors of 80 %
    assert study.consistent(COVERAGE_LEVEL).all(), table
    width = table.pivot(index="kpi", columns="customers", values="width")
    # four times the data, half the width (1/√4)
    np.testing.assert_allclose(width[8000] / width[2000], 0.5, atol=0.08)


def test_the_coverage_chart_draws_the_study_and_the_target():
    spec = charts.coverage_chart(published_coverage()).to_dict()
    bars, _, target = spec["layer"]
    assert bars["encoding"]["y"]["field"] == "coverage"
    bar_rows = spec["datasets"][spec["data"]["name"]]
    assert spec["datasets"][target["data"]["name"]] == [{"level": 0.8}]
    assert {v["data"] for v in bar_rows} == {"2,000 customers", "8,000 customers"}
    assert {v["KPI"] for v in bar_rows} == {"NPV", "Customers at the end", "CLV per new customer"}
    table = published_coverage()
    assert sorted(v["coverage"] for v in bar_rows) == sorted(table["coverage"])


def test_the_readme_quotes_the_shipped_study():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for row in published_coverage().itertuples():
        quoted = f"{100 * row.coverage:.1f} % ± {100 * row.mc_error:.1f} %"
        assert quoted in readme, quoted
