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


def test_segment_time_scales_round_trip_and_are_left_out_when_unset(tmp_path):
    s = simsrc.preset("telecom").set("causes.onboarding.segment_months.two_year", 6.0)
    path = tmp_path / "paced.toml"
    simsrc.save_scenario(s, path)
    assert simsrc.load_scenario(path) == s
    assert path.read_text().count("segment_months") == 1
    assert "segment_months" not in simsrc.scenario_to_toml(simsrc.preset("telecom"))
    assert s.get("causes.onboarding.segment_months.one_year") == 0.0


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
