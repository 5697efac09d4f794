"""Tornado tables and Monte Carlo over parameter uncertainty."""

import numpy as np
import pandas as pd
import pytest

import simsrc
from simsrc.analysis.sensitivity import monte_carlo, numeric_paths, tornado


@pytest.fixture(scope="module")
def base() -> simsrc.Scenario:
    """The preset without its uncertainty ranges (tests add their own)."""
    return simsrc.preset("b2b-saas").replace(horizon_months=36, uncertainty=())


def test_presets_ship_ranges_that_tornado_and_monte_carlo_use():
    s = simsrc.preset("b2b-saas").replace(horizon_months=24)
    ranges = {u.path: u for u in s.uncertainty}
    pause = ranges["save_team.pause.stay_after"]  # [benchmarks]: 54 % resume (43–89 %)
    assert (pause.low, pause.mode, pause.high) == (0.43, 0.54, 0.89)
    t = tornado(s, list(ranges)).set_index("path")
    for path, u in ranges.items():
        assert (t.loc[path, "low_value"], t.loc[path, "high_value"]) == (u.low, u.high)
    mc = monte_carlo(s, n=30, seed=2)
    assert set(mc.samples.columns) == set(ranges)
    band = mc.monthly["revenue"]
    assert (band["p10"] < band["p90"]).iloc[1:].all()


def test_default_tornado_is_sorted_by_swing_and_covers_nonzero_parameters(base):
    t = tornado(base)
    assert list(t.columns) == [
        "path", "label", "base_value", "low_value", "high_value",
        "kpi_low", "kpi_high", "swing", "elasticity",
    ]  # fmt: skip
    assert t["swing"].is_monotonic_decreasing
    np.testing.assert_allclose(t["swing"], (t["kpi_high"] - t["kpi_low"]).abs())
    assert set(t["path"]) <= set(numeric_paths(base))
    assert "segments.premium.monthly_price" in set(t["path"])
    assert (t["base_value"] != 0).all()
    assert "horizon_months" not in set(t["path"])
    # ±10 % clamped to the bounds
    row = t.set_index("path").loc["acquisition.new_per_month"]
    assert (row["low_value"], row["high_value"]) == pytest.approx((108.0, 132.0))


def test_values_are_clamped_to_the_bounds(base):
    s = base.set("save_team.coverage", 0.95)
    row = tornado(s, ["save_team.coverage"], pct=0.2).iloc[0]
    assert (row["low_value"], row["high_value"]) == pytest.approx((0.76, 1.0))


def test_elasticity_of_revenue_wrt_price_is_the_revenue_share(base):
    paths = [f"segments.{g}.monthly_price" for g in base.segment_names]
    t = tornado(base, paths, kpi="total_revenue").set_index("path")
    res = simsrc.simulate(base)
    rev = res.arrays["revenue"].sum(axis=1)  # by segment
    share = rev / rev.sum()
    for g, expected in zip(base.segment_names, share, strict=True):
        assert t.loc[f"segments.{g}.monthly_price", "elasticity"] == pytest.approx(
            expected, abs=1e-9
        )
    assert t["elasticity"].sum() == pytest.approx(1.0, abs=1e-9)


def test_elasticity_of_new_customers_on_npv_is_one(base):
    # NPV is linear in the acquisition volume (no feedback on acquisition cost per head)
    t = tornado(base.without_levers(), ["acquisition.new_per_month"], pct=0.2)
    assert t["elasticity"].iloc[0] == pytest.approx(1.0, abs=1e-9)


def test_uncertainty_range_replaces_pct(base):
    s = base.replace(uncertainty=(simsrc.Uncertain("segments.standard.cac", 1000, 9000),))
    t = tornado(s, ["segments.standard.cac"]).iloc[0]
    assert (t["low_value"], t["high_value"]) == (1000.0, 9000.0)
    assert t["kpi_low"] > t["kpi_high"]  # cheaper acquisition, higher NPV


@pytest.mark.parametrize("pct", [0, -0.1, 1, 1.5])
def test_bad_pct(base, pct):
    with pytest.raises(ValueError, match="pct must be a fraction strictly between 0 and 1"):
        tornado(base, ["acquisition.new_per_month"], pct=pct)


def test_bad_path_and_kpi(base):
    with pytest.raises(simsrc.ScenarioError) as info:
        tornado(base, ["acquisition.nope"])
    assert info.value.path == "acquisition.nope"
    with pytest.raises(ValueError, match="unknown KPI"):
        tornado(base, ["acquisition.new_per_month"], kpi="profit")


# -- Monte Carlo ----------------------------------------------------------------------

PRICE = "segments.premium.monthly_price"


@pytest.fixture(scope="module")
def uncertain_price(base) -> simsrc.Scenario:
    return base.replace(uncertainty=(simsrc.Uncertain(PRICE, 1000.0, 2000.0),))


def test_median_revenue_is_revenue_at_median_price(uncertain_price):
    mc = monte_carlo(uncertain_price, n=400, seed=7)
    assert mc.samples.shape == (400, 1)
    p50 = mc.monthly["revenue"]["p50"].to_numpy()
    # revenue is increasing and linear in the price, so its median is the revenue at
    # the sample median price exactly …
    at_sample_median = simsrc.simulate(
        uncertain_price.set(PRICE, float(np.median(mc.samples[PRICE])))
    ).monthly["revenue"]
    np.testing.assert_allclose(p50, at_sample_median, rtol=1e-9)
    # … and the revenue at the true median (1500) within sampling error
    at_median = simsrc.simulate(uncertain_price.set(PRICE, 1500.0)).monthly["revenue"]
    np.testing.assert_allclose(p50, at_median, rtol=0.03)
    kp50 = mc.kpi_bands.loc["total_revenue", "p50"]
    assert kp50 == pytest.approx(
        simsrc.simulate(uncertain_price.set(PRICE, 1500.0)).kpis["total_revenue"], rel=0.03
    )


def test_bands_are_ordered_and_same_seed_is_identical(uncertain_price):
    s = uncertain_price.replace(
        uncertainty=(
            *uncertain_price.uncertainty,
            simsrc.Uncertain("acquisition.new_per_month", 60, 200, "triangular", mode=90),
        )
    )
    a = monte_carlo(s, n=120, seed=3)
    b = monte_carlo(s, n=120, seed=3)
    for name in ("revenue", "mrr", "active"):
        band = a.monthly[name]
        assert (band["p10"] <= band["p50"]).all() and (band["p50"] <= band["p90"]).all()
        pd.testing.assert_frame_equal(band, b.monthly[name])
    for k in ("npv", "total_revenue", "ending_active"):
        assert a.kpi_bands.loc[k, "p10"] <= a.kpi_bands.loc[k, "p50"] <= a.kpi_bands.loc[k, "p90"]
    pd.testing.assert_frame_equal(a.kpi_bands, b.kpi_bands)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert a.samples["acquisition.new_per_month"].between(60, 200).all()
    c = monte_carlo(s, n=120, seed=4)
    assert not a.samples.equals(c.samples)


def test_monte_carlo_needs_uncertainty(base):
    with pytest.raises(simsrc.ScenarioError, match="no uncertainty to sample"):
        monte_carlo(base, n=10)
    with pytest.raises(ValueError, match="positive integer"):
        monte_carlo(base.replace(uncertainty=(simsrc.Uncertain(PRICE, 1000.0, 2000.0),)), n=0)


def test_the_uncertainty_table_lists_what_monte_carlo_varies_in_words():
    from simsrc.analysis.sensitivity import uncertain_paths, uncertainty_table
    from simsrc.model.parts import JointDraws

    b = simsrc.preset("b2b-saas")
    path = "causes.poor_service.levels.premium"
    draws = tuple((0.001 * k,) for k in range(1, 11))  # P10–P90: 0.0019 to 0.0091
    s = b.replace(estimation=JointDraws(paths=(path,), draws=draws, source="test"))
    t = uncertainty_table(s)
    assert len(t) == len(uncertain_paths(s)) == len(b.uncertainty) + 1
    first, last = t.iloc[0], t.iloc[-1]
    assert first["parameter"] == "New customers per month"
    assert (first["low"], first["high"]) == (90, 150)
    assert first["distribution"] == "uniform" and first["unit"] == "customers/month"
    assert last["parameter"] == "Monthly churn (Poor service, Premium plan)"
    assert last["low"] == pytest.approx(0.0019) and last["high"] == pytest.approx(0.0091)
    assert last["value"] == b.causes[0].levels[1] and "10 joint draws" in last["distribution"]
