"""Contract terms: leaving at will held back during a term and bunched at renewals."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.engine.cohorts import cohort_path
from simsrc.engine.pack import pack
from tests.test_identities import conservation_terms, every_lever_on


def with_contract(s, segment, term, early_exit=0.0, renewal=()):
    """``s`` with a contract term on ``segment``."""
    for key, value in (
        ("term_months", term),
        ("early_exit", list(early_exit) if isinstance(early_exit, tuple) else [early_exit]),
        ("renewal", list(renewal)),
    ):
        s = s.set(f"segments.{segment}.contract.{key}", value)
    return s


def survival(s):
    """The engine's survival of a new customer by tenure month 1 … H, per segment."""
    table = simsrc.simulate(s).survival
    return table.iloc[1:, : len(s.segments)].to_numpy().T


def test_one_flat_cause_on_a_contract_is_the_product_of_its_monthly_hazards():
    base = simsrc.simple_scenario(monthly_churn=0.03, horizon_months=40)
    s = with_contract(base, "all", 12, early_exit=(0.1, 0.5), renewal=(0.3, 0.2))
    hazard = np.full(40, 0.5 * 0.03)  # inside a term: early terminations only, by term
    hazard[:12] = 0.1 * 0.03
    hazard[[11, 23, 35]] = [0.3, 0.2, 0.2]  # renewal points: the wave, the last repeats
    np.testing.assert_allclose(survival(s)[0], np.cumprod(1 - hazard), rtol=1e-12)
    # without a wave the causes' own hazard applies at the renewal points
    plain = with_contract(base, "all", 12, early_exit=0.0)
    hazard = np.zeros(40)
    hazard[[11, 23, 35]] = 0.03
    np.testing.assert_allclose(survival(plain)[0], np.cumprod(1 - hazard), rtol=1e-12)


def test_heterogeneity_scales_the_wave_and_failed_payments_are_not_held_back():
    data = simsrc.simple_scenario(monthly_churn=0.04, spread=0.4, horizon_months=30).to_dict()
    data["causes"].append({"name": "card", "label": "Failed payment", "levels": 0.01,
                           "voluntary": False, "heterogeneous": False})  # fmt: skip
    s = with_contract(simsrc.Scenario.from_dict(data), "all", 6, 0.2, (0.25,))
    p = pack([s])
    z, w = p.z[0, 0], p.w[0, 0]
    vol = np.full(30, 0.2 * 0.04)
    vol[[5, 11, 17, 23, 29]] = 0.25  # the average customer's wave (z = 1)
    # each class: its propensity × the voluntary hazard, plus the failed payments
    total = np.minimum(z[:, None] * vol[None, :] + 0.01, 1.0)
    expected = w @ np.cumprod(1 - total, axis=1)
    np.testing.assert_allclose(survival(s)[0], expected, rtol=1e-10)


def test_a_term_holds_what_a_save_teams_hold_holds():
    # Issue 17: one mechanism. A save team's contract or pause holds the voluntary,
    # preventable causes; a term holds the same: a move (voluntary, not preventable)
    # and a failed payment (involuntary) end a contract inside its term too.
    data = simsrc.simple_scenario(monthly_churn=0.04, horizon_months=24).to_dict()
    data["causes"] += [
        {"name": "moved", "label": "Moved", "levels": 0.01, "preventable": False,
         "heterogeneous": False},
        {"name": "card", "label": "Failed payment", "levels": 0.005, "voluntary": False,
         "heterogeneous": False},
    ]  # fmt: skip
    s = with_contract(simsrc.Scenario.from_dict(data), "all", 12, 0.0, (0.2,))
    hazard = np.full(24, 0.01 + 0.005)  # inside the term: only the move and the card
    hazard[[11, 23]] = 0.2 + 0.015  # the wave of the held cause, and the others' own
    np.testing.assert_allclose(survival(s)[0], np.cumprod(1 - hazard), rtol=1e-12)
    p = pack([s])
    assert p.held[0].tolist() == [1.0, 0.0, 0.0]


@settings(max_examples=25, deadline=None)
@given(
    early_exit=st.lists(st.floats(0, 1), max_size=3).map(tuple),
    renewal=st.lists(st.floats(0, 1), max_size=3),
)
def test_month_to_month_ignores_the_rest_of_a_contract(early_exit, renewal):
    s = simsrc.preset("b2b-saas")
    same = with_contract(s, "premium", 0, early_exit, renewal)
    np.testing.assert_array_equal(
        cohort_path(pack([same]))["present"], cohort_path(pack([s]))["present"]
    )


def test_a_contract_keeps_customers_longer_and_paths_are_not_shared_across_terms():
    s = simsrc.preset("telecom")
    held = with_contract(s, "two_year", 24, 0.05)  # the own hazard at renewal points
    out = simsrc.simulate_batch([s, held]).kpis
    assert out["ending_active"].iloc[1] > out["ending_active"].iloc[0]
    alone = simsrc.simulate(held).kpis["ending_active"]
    assert out["ending_active"].iloc[1] == pytest.approx(alone, rel=1e-12)


@pytest.mark.parametrize("name", simsrc.list_presets())
def test_everyone_is_accounted_for_with_contracts_and_every_lever(name):
    s = every_lever_on(name)
    for seg in s.segment_names:
        s = with_contract(s, seg, 12, 0.1, (0.2, 0.1))
    m = simsrc.simulate(s).monthly
    started, accounted = conservation_terms(m, s.cause_names)
    np.testing.assert_allclose(accounted, started, rtol=1e-9, atol=0)
    runs = simsrc.simulate(s, stochastic=True, runs=1, seed=3).runs_monthly
    r = {column: values[0] for column, values in runs.items()}
    started, accounted = conservation_terms(r, s.cause_names)
    assert np.array_equal(started, accounted)


def test_contracts_round_trip_through_files_and_month_to_month_writes_none(tmp_path):
    s = with_contract(simsrc.preset("b2b-saas"), "premium", 12, 0.05, (0.3, 0.15))
    path = tmp_path / "contract.toml"
    simsrc.save_scenario(s, path)
    assert simsrc.load_scenario(path) == s
    text = path.read_text()
    assert text.count("[segments.contract]") == 1  # only premium has one
    assert s.get("segments.premium.contract.renewal") == [0.3, 0.15]
    assert s.get("segments.standard.contract.term_months") == 0
    assert "[segments.contract]" not in simsrc.scenario_to_toml(simsrc.preset("b2b-saas"))


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(["term_months", "early_exit", "renewal"]),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not 0 <= x <= 5),
        st.integers(min_value=121),
        st.integers(max_value=-1),
        st.text(max_size=3),
        st.just(12.5),
    ),
)
def test_a_bad_contract_value_is_one_error_naming_the_field(key, value):
    s = simsrc.preset("b2b-saas")
    whole = isinstance(value, float) and value.is_integer() and 0 <= value <= 120
    assume(not (key == "term_months" and whole))  # 6.0 months is 6 months, as elsewhere
    if key == "renewal" or (key == "early_exit" and value == 12.5):
        with pytest.raises(simsrc.ScenarioError, match=r"between 0 and 1\b|between 0 and 5\b"):
            s.set(f"segments.premium.contract.{key}", [1.5 if key == "renewal" else 7.0])
    value = [value] if key in ("renewal", "early_exit") else value
    with pytest.raises((simsrc.ScenarioError, TypeError)) as err:
        s.set(f"segments.premium.contract.{key}", value)
    assert f"segments.premium.contract.{key}" in str(err.value)


def test_an_unknown_contract_key_is_refused_by_name():
    data = simsrc.preset("b2b-saas").to_dict()
    data["segments"][0]["contract"] = {"term_months": 12, "notice": 1}
    with pytest.raises(simsrc.ScenarioError, match=r"segments\.standard\.contract.*notice"):
        simsrc.Scenario.from_dict(data)


def test_a_base_on_contracts_is_valued_over_whole_terms():
    from simsrc.results import valuation

    base = simsrc.simple_scenario(monthly_churn=0.03, horizon_months=24, annual_discount_rate=0.1)
    s = with_contract(base, "all", 12, 0.0, (0.25,))
    values = valuation.residual_values([s])[0, 0]
    # brute force over 500 years: present at tenure u with Π (1 − h), margin 100 a month
    hazard = np.zeros(6000)
    hazard[11::12] = 0.25
    present = np.concatenate([[1.0], np.cumprod(1 - hazard)])
    d = 1.1 ** (-1 / 12)
    for tau in (0, 5, 11, 12, 23):
        later = np.arange(tau + 1, 6000)
        expected = np.sum(d ** (later - tau - 1) * present[later] / present[tau] * 100.0)
        assert values[tau] == pytest.approx(expected, rel=1e-6), tau


def test_sensitivity_lists_contract_fields_only_where_a_term_runs():
    from simsrc.analysis.sensitivity import numeric_paths

    s = simsrc.preset("b2b-saas")
    assert not [p for p in numeric_paths(s) if p.startswith("segments.") and ".contract." in p]
    held = with_contract(s, "premium", 12, 0.1, (0.2,))
    assert [p for p in numeric_paths(held) if p.startswith("segments.") and ".contract." in p] == [
        "segments.premium.contract.term_months",
    ]


@pytest.mark.parametrize("name", simsrc.list_presets())
def test_one_segment_of_a_pack_follows_that_segments_path(name):
    s = every_lever_on(name)
    s = with_contract(s, s.segment_names[-1], 12, (0.2, 0.5), (0.1,))
    whole = cohort_path(pack([s, s.halve_churn()]))
    for g in range(len(s.segments)):
        alone = cohort_path(pack([s, s.halve_churn()]).one_segment(g))
        for key in ("present", "active", "saves", "lapsed", "cut_off"):
            np.testing.assert_allclose(alone[key][:, 0], whole[key][:, g], rtol=1e-12, atol=0)


@settings(max_examples=60, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True).filter(lambda x: not x >= 0),
                       st.just(float("inf")), st.integers(min_value=10**309),
                       st.booleans(), st.text(max_size=3)))  # fmt: skip
def test_a_bad_contract_multiplier_is_one_error_naming_it(value):
    s = simsrc.preset("telecom")
    for field in ("renewal", "early_exit"):
        with pytest.raises(simsrc.ScenarioError, match=rf"^{field}: must be a"):
            s.scale_contract("one_year", **{field: value})
