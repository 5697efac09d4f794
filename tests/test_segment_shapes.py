"""A cause's shape may run at its own pace in one segment (causes.*.segment_months)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.engine.cohorts import cohort_path
from simsrc.engine.pack import pack


def test_a_segments_own_time_scale_changes_that_segment_only():
    s = simsrc.preset("b2b-saas")  # onboarding: an early shape
    slow = s.set("causes.onboarding.segment_months.premium", 9.0)
    a, b = cohort_path(pack([s]))["present"][0], cohort_path(pack([slow]))["present"][0]
    g = s.segment_index("premium")
    np.testing.assert_array_equal(a[1 - g], b[1 - g])  # the other segment: unchanged
    assert not np.allclose(a[g], b[g])
    # the same as giving the whole cause that time scale, for that segment
    own = s.set("causes.onboarding.shape.months", 9.0)
    np.testing.assert_allclose(b[g], cohort_path(pack([own]))["present"][0][g], rtol=1e-12)


def test_flat_causes_and_zero_keep_the_causes_own_shape():
    s = simsrc.preset("b2b-saas")
    same = s.set("causes.price_competitor.segment_months.premium", 9.0)  # flat: no pace
    np.testing.assert_array_equal(cohort_path(pack([same]))["present"],
                                  cohort_path(pack([s]))["present"])  # fmt: skip
    assert s.cause("onboarding").shape_for(0) == s.cause("onboarding").shape


@pytest.mark.parametrize(
    ("path", "value", "unset"),
    [
        ("causes.onboarding.segment_months.two_year", 6.0,
         "causes.onboarding.segment_months.one_year"),
        ("heterogeneity.segment_spread.month_to_month", 0.8,
         "heterogeneity.segment_spread.one_year"),
    ],
)  # fmt: skip
def test_segment_overrides_round_trip_and_are_left_out_when_unset(tmp_path, path, value, unset):
    s = simsrc.preset("telecom").set(path, value)
    saved = tmp_path / "override.toml"
    simsrc.save_scenario(s, saved)
    assert simsrc.load_scenario(saved) == s
    key = path.split(".")[-2]
    assert saved.read_text().count(key) == 1
    assert key not in simsrc.scenario_to_toml(simsrc.preset("telecom"))
    assert s.get(unset) == 0.0


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True).filter(lambda x: not 0 <= x <= 120),
                       st.text(max_size=3)))  # fmt: skip
def test_a_bad_time_scale_is_one_error_naming_it(value):
    with pytest.raises((simsrc.ScenarioError, TypeError)) as err:
        simsrc.preset("b2b-saas").set("causes.onboarding.segment_months.premium", value)
    assert "causes.onboarding.segment_months.premium" in str(err.value)


def test_calibration_drops_the_bases_own_time_scales_with_a_note():
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "telecom_customer_churn.csv"
    base = simsrc.preset("telecom").set("causes.onboarding.segment_months.two_year", 6.0)
    scenario, report = simsrc.calibrate(data, base=base)
    assert not any(scenario.cause("onboarding").segment_months)
    assert any("segment_months: dropped" in w for w in report.warnings)


# -- a segment's own heterogeneity spread -------------------------------------------------


def two_segments(spread: float, own: float) -> simsrc.Scenario:
    """One flat cause at 4 % in two segments; the second has a spread of its own."""
    data = simsrc.simple_scenario(monthly_churn=0.04, spread=spread, horizon_months=60).to_dict()
    seg = data["segments"][0]
    data["segments"] = [{**seg, "name": "a", "label": "A", "share": 0.5},
                        {**seg, "name": "b", "label": "B", "share": 0.5}]  # fmt: skip
    data["causes"][0]["levels"] = 0.04
    data["heterogeneity"]["segment_spread"] = {"b": own}
    return simsrc.Scenario.from_dict(data)


@pytest.mark.parametrize(("spread", "own"), [(0.3, 0.7), (0.6, 0.05), (0.0, 0.5)])
def test_each_segment_with_its_own_spread_is_the_sbg_of_that_spread(spread, own):
    from scipy.special import betaln

    from simsrc.model.conversions import spread_to_beta

    s = two_segments(spread, own)
    present = cohort_path(pack([s]))["present"][0]  # [G, H]
    t = np.arange(60)
    for g, index in ((0, spread), (1, own)):
        if index == 0:
            expected = 0.96**t
        else:  # Fader & Hardie (2007), eq. 5: S(t) = B(α, β + t) / B(α, β)
            a, b = spread_to_beta(0.04, index)
            expected = np.exp(betaln(a, b + t) - betaln(a, b))
        np.testing.assert_allclose(present[g], expected, rtol=0, atol=1e-9)


def test_an_own_spread_equal_to_the_shared_one_changes_nothing():
    s = simsrc.preset("telecom").set("save_team.coverage", 0.8)
    same = s.set("heterogeneity.segment_spread.one_year", s.heterogeneity.spread)
    a, b = simsrc.simulate(s).monthly, simsrc.simulate(same).monthly
    np.testing.assert_allclose(b["active"], a["active"], rtol=1e-12)
    np.testing.assert_allclose(b["revenue"], a["revenue"], rtol=1e-12)
    # a different spread moves that segment's unit cohort only (save team on: stepped)
    wider = s.set("heterogeneity.segment_spread.one_year", 0.9)
    x, y = (cohort_path(pack([t]))["active"][0] for t in (s, wider))
    g = s.segment_index("one_year")
    assert not np.allclose(x[g], y[g], rtol=1e-6)
    np.testing.assert_array_equal(np.delete(y, g, axis=0), np.delete(x, g, axis=0))


def test_a_segment_without_its_own_spread_has_the_shared_one():
    s = simsrc.preset("telecom").set("heterogeneity.segment_spread.month_to_month", 0.8)
    assert s.heterogeneity.spread_for(0) == 0.8
    assert s.heterogeneity.spread_for(1) == s.heterogeneity.spread


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True).filter(lambda x: not 0 <= x <= 0.95),
                       st.text(max_size=3), st.booleans()))  # fmt: skip
def test_a_bad_own_spread_is_one_error_naming_it(value):
    with pytest.raises((simsrc.ScenarioError, TypeError)) as err:
        simsrc.preset("telecom").set("heterogeneity.segment_spread.two_year", value)
    assert "heterogeneity.segment_spread.two_year" in str(err.value)


def test_an_own_spread_for_an_unknown_segment_is_one_error_naming_it():
    data = simsrc.preset("telecom").to_dict()
    data["heterogeneity"]["segment_spread"] = {"three_year": 0.3}
    with pytest.raises(simsrc.ScenarioError, match=r"heterogeneity\.segment_spread\.three_year"):
        simsrc.Scenario.from_dict(data)
