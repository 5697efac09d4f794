"""Joint draws of estimated parameters ([estimation]): files, validation, Monte Carlo."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.analysis.sensitivity import follow_ranges, uncertain_paths
from simsrc.model.parts import JointDraws

PATHS = ("heterogeneity.spread", "causes.poor_service.levels.standard")
DRAWS = ((0.30, 0.010), (0.35, 0.012), (0.40, 0.014), (0.45, 0.016))


def _with_draws(base=None):
    base = base or simsrc.preset("b2b-saas")
    return base.replace(estimation=JointDraws(PATHS, DRAWS, "a test"))


def test_joint_draws_round_trip_through_toml(tmp_path):
    s = _with_draws()
    assert simsrc.parse_scenario_text(simsrc.scenario_to_toml(s)) == s
    path = tmp_path / "with-draws.toml"
    simsrc.save_scenario(s, path)
    loaded = simsrc.load_scenario(path)
    assert loaded.estimation == JointDraws(PATHS, DRAWS, "a test")
    assert "[estimation]" in path.read_text()
    # one parameter set per line
    assert "    [0.3, 0.01],\n    [0.35, 0.012]," in path.read_text()


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.floats(0.0, 0.95), st.floats(0.0, 1.0, allow_subnormal=True)),
        min_size=2,
        max_size=6,
    ),
    source=st.text(max_size=30),
)
def test_any_draws_and_source_survive_the_file_exactly(rows, source):
    s = simsrc.preset("b2b-saas").replace(estimation=JointDraws(PATHS, tuple(rows), source))
    assert simsrc.parse_scenario_text(simsrc.scenario_to_toml(s)) == s


def test_monte_carlo_takes_whole_parameter_sets():
    s = _with_draws()
    mc = simsrc.monte_carlo(s, n=60, seed=3)
    sampled = {tuple(row) for row in mc.samples[list(PATHS)].to_numpy()}
    assert sampled <= set(DRAWS) and len(sampled) > 1  # rows, never mixed columns
    # the two columns move together exactly as in the draws (correlation 1 here)
    corr = np.corrcoef(mc.samples[PATHS[0]], mc.samples[PATHS[1]])[0, 1]
    assert corr == pytest.approx(1.0)
    assert set(mc.samples.columns) == set(uncertain_paths(s))
    # each run is the scenario with its drawn values
    first = mc.samples.iloc[0]
    run = s.set(PATHS[0], first[PATHS[0]]).set(PATHS[1], first[PATHS[1]])
    for u in s.uncertainty:
        run = run.set(u.path, first[u.path])
    assert simsrc.simulate(run).kpis["npv"] == pytest.approx(mc.kpis["npv"].iloc[0], rel=1e-9)


def test_draws_alone_are_enough_for_monte_carlo_and_the_dashboard_band():
    s = _with_draws(simsrc.preset("b2b-saas").replace(uncertainty=()))
    assert simsrc.monte_carlo(s, n=20, seed=1).samples.shape == (20, 2)
    from simsrc.ui.dashboard import ExecutiveDashboard

    dash = ExecutiveDashboard(s)
    assert not dash.band_toggle.disabled
    dash.band_toggle.value = True
    assert "2 uncertain" in dash.band_note.value


def test_a_what_if_moves_the_draws_with_its_values():
    base = _with_draws()
    what_if = base.scale_churn(0.5, cause="poor_service")
    moved = follow_ranges(what_if, base).estimation
    assert moved is not None
    np.testing.assert_allclose([r[1] for r in moved.draws], [r[1] / 2 for r in DRAWS])
    assert [r[0] for r in moved.draws] == [r[0] for r in DRAWS]  # spread unchanged


bad_tables = st.fixed_dictionaries(
    {},
    optional={
        "paths": st.one_of(
            st.lists(st.sampled_from([*PATHS, "nope", "horizon_months", "currency"]), max_size=3),
            st.integers(),
            st.text(max_size=5),
        ),
        "draws": st.one_of(
            st.lists(
                st.lists(st.one_of(st.floats(allow_nan=True), st.booleans(), st.text(max_size=2)),
                         max_size=3),
                max_size=4,
            ),
            st.floats(),
        ),
        "source": st.one_of(st.text(max_size=5), st.integers()),
        "extra": st.integers(),
    },
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(table=bad_tables)
def test_a_bad_estimation_table_is_one_clear_error_naming_it(table):
    data = simsrc.preset("b2b-saas").to_dict()
    data["estimation"] = table
    try:
        s = simsrc.Scenario.from_dict(data)
    except simsrc.ScenarioError as exc:
        assert str(exc).startswith("estimation")
        assert "\n" not in str(exc)
    else:  # the rare valid table: it round-trips
        assert s.estimation is not None
        assert simsrc.Scenario.from_dict(s.to_dict()) == s


def test_a_parameter_with_a_range_cannot_also_have_draws():
    with pytest.raises(simsrc.ScenarioError, match=r"^estimation.paths \(acquisition"):
        simsrc.preset("b2b-saas").replace(
            estimation=JointDraws(("acquisition.new_per_month",), ((100.0,), (120.0,)))
        )
