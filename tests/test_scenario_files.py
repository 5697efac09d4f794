"""Scenario dictionaries, TOML files, presets and every bad-input case of issue 2."""

import math
import os
import tomllib

import pytest

import simsrc
from simsrc import ScenarioError
from simsrc.model.files import MAX_FILE_BYTES
from simsrc.model.paths import numeric_leaves


@pytest.mark.parametrize("name", simsrc.list_presets())
def test_presets_round_trip_through_dict_and_toml(name, tmp_path):
    s = simsrc.preset(name)
    assert simsrc.Scenario.from_dict(s.to_dict()) == s
    path = tmp_path / f"{name}.toml"
    simsrc.save_scenario(s, path)
    assert simsrc.load_scenario(path) == s
    # and the saved file re-saves byte-identically (stable writer, no drift)
    first = path.read_bytes()
    simsrc.save_scenario(simsrc.load_scenario(path), path)
    assert path.read_bytes() == first


def test_at_least_three_presets_with_sources_named():
    from importlib import resources

    names = simsrc.list_presets()
    assert len(names) >= 3
    for n in names:
        text = resources.files("simsrc.model.presets").joinpath(f"{n}.toml").read_text()
        assert "Source" in text  # every preset names where its numbers come from


def test_set_by_path_and_replace_are_validated_copies():
    base = simsrc.preset("b2b-saas")
    s = base.set("segments.premium.monthly_price", 1800)
    assert s.segments[1].monthly_price == 1800.0 and base.segments[1].monthly_price == 1500.0
    s = base.set("causes.onboarding.levels.standard", 0.01)
    assert s.cause("onboarding").levels[0] == 0.01
    with pytest.raises(
        ScenarioError, match=r"horizon_months: must be a whole number between 1 and 240"
    ):
        base.replace(horizon_months=0)


@pytest.mark.parametrize("name", simsrc.list_presets())
def test_every_number_of_a_scenario_has_a_parameter_row_and_reads_back(name):
    s = simsrc.preset(name)
    numbers = dict(numeric_leaves(s.to_dict(full=True)))
    assert len(numbers) > 100
    for path, value in numbers.items():
        if path.startswith("uncertainty."):  # keyed by paths: ranges, not parameters
            continue
        if path != "schema_version":
            assert simsrc.PARAMETERS.find(path) is not None, path
        assert s.get(path) == value
    assert s.set("acquisition.new_per_month", 7).get("acquisition.new_per_month") == 7.0


def _bad(data_change, match):
    d = simsrc.preset("b2b-saas").to_dict()
    data_change(d)
    with pytest.raises(ScenarioError, match=match):
        simsrc.Scenario.from_dict(d)


def test_unknown_key_is_named_with_a_suggestion():
    _bad(
        lambda d: d["acquisition"].update(new_per_mnth=5),
        r"acquisition\.new_per_mnth: unknown key .*did you mean 'new_per_month'",
    )
    _bad(lambda d: d.update(horizon=12), r"^horizon: unknown key")
    _bad(lambda d: d["causes"][0].update(level=0.1), r"causes\.poor_service\.level: unknown key")
    _bad(
        lambda d: d["causes"][0]["levels"].update(gold=0.1),
        r"causes\.poor_service\.levels\.gold: unknown key",
    )


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        (
            "acquisition.new_per_month",
            -5,
            r"acquisition\.new_per_month: must be a number between 0 and 1e\+07 \(got -5\)",
        ),
        (
            "causes.onboarding.levels.standard",
            1.5,
            r"causes\.onboarding\.levels\.standard: must be a number between 0 and 1 \(got 1\.5\)",
        ),
        ("causes.onboarding.levels.standard", math.nan, r"between 0 and 1 \(got nan\)"),
        (
            "segments.standard.monthly_price",
            math.inf,
            r"segments\.standard\.monthly_price: .*\(got inf\)",
        ),
        ("horizon_months", 0, r"horizon_months: must be a whole number between 1 and 240"),
        ("horizon_months", 241, r"horizon_months: must be a whole number between 1 and 240"),
        ("horizon_months", 12.5, r"horizon_months: must be a whole number"),
        ("segments.standard.share", 0.5, r"segment shares must sum to 1 \(got 0\.75\)"),
        ("heterogeneity.spread", "high", r"heterogeneity\.spread: must be a number"),
        ("annual_discount_rate", True, r"annual_discount_rate: must be a number"),
    ],
)
def test_out_of_range_values_name_field_and_range(path, value, match):
    with pytest.raises(ScenarioError, match=match):
        simsrc.preset("b2b-saas").set(path, value)


def test_nan_and_inf_in_a_toml_file_are_rejected(tmp_path):
    text = simsrc.scenario_to_toml(simsrc.preset("b2b-saas")).replace(
        "new_per_month = 120.0", "new_per_month = nan"
    )
    with pytest.raises(ScenarioError, match=r"acquisition\.new_per_month: .*\(got nan\)"):
        simsrc.parse_scenario_text(text)


def test_malformed_toml_reports_line_and_column(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nhorizon_months = = 3\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml: not valid TOML: .*line 2, column \d+"):
        simsrc.load_scenario(path)


def test_big_files_are_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "huge.toml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))

    def boom(*a, **k):
        raise AssertionError("parser must not be called")

    monkeypatch.setattr(tomllib, "loads", boom)
    with pytest.raises(ScenarioError, match="larger than 1,000,000 bytes"):
        simsrc.load_scenario(path)


def test_newer_schema_is_an_explicit_error():
    _bad(lambda d: d.update(schema_version=99), r"schema_version: .*newer simsrc \(schema 99\)")


def test_schema_1_file_migrates_to_the_same_model(tmp_path):
    # Schema 1 had one monthly_churn per segment and Fader & Hardie's polarization φ.
    path = tmp_path / "old.toml"
    path.write_text(
        'schema_version = 1\nname = "old"\nhorizon_months = 24\n'
        '[[segments]]\nname = "all"\nlabel = "All"\nshare = 1.0\nmonthly_price = 10.0\n'
        "monthly_churn = 0.05\n[heterogeneity]\npolarization = 0.01\n"
    )
    old = simsrc.load_scenario(path)
    assert old.cause_names == ("churn",) and old.cause("churn").levels == (0.05,)
    # φ = 1/(α+β+1) = 0.01 with mean 0.05 → α = 4.95, β = 94.05; survival must be the sBG's
    import numpy as np
    from scipy.special import betaln

    surv = simsrc.simulate(old).survival["all"].to_numpy()
    t = np.arange(25)
    np.testing.assert_allclose(
        surv, np.exp(betaln(4.95, 94.05 + t) - betaln(4.95, 94.05)), atol=1e-9
    )


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "keep.toml"
    simsrc.save_scenario(simsrc.preset("telecom"), path)
    before = path.read_bytes()

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        simsrc.save_scenario(simsrc.preset("b2b-saas"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.toml"]  # no temp file left


def test_missing_file_and_unknown_preset():
    with pytest.raises(ScenarioError, match="no such file"):
        simsrc.load_scenario("/nonexistent/x.toml")
    with pytest.raises(ScenarioError, match=r"unknown preset 'saas' \(known: b2b-saas"):
        simsrc.preset("saas")


def test_rename_drop_and_add_causes():
    d = simsrc.preset("b2b-saas").to_dict()
    d["causes"] = [c for c in d["causes"] if c["name"] != "pushing_too_hard"]
    # levers still name the dropped cause: a clear error says where
    with pytest.raises(ScenarioError, match=r"save_team\.mix\.pushing_too_hard: unknown key"):
        simsrc.Scenario.from_dict(d)
    del d["save_team"]["mix"]["pushing_too_hard"]
    del d["save_team"]["free_month"]["acceptance"]["pushing_too_hard"]
    del d["win_back"]["reactivation"]["pushing_too_hard"]
    d["contact"]["contacts_per_month"] = 0.0
    for section in (
        d["save_team"]["mix"],
        d["save_team"]["free_month"]["acceptance"],
        d["save_team"]["discount"]["acceptance"],
        d["save_team"]["expert_help"]["acceptance"],
        d["win_back"]["reactivation"],
    ):
        if "poor_service" in section:
            section["bad_service"] = section.pop("poor_service")
    d["causes"][0]["name"] = "bad_service"
    d["causes"].append(
        {
            "name": "regulation",
            "levels": 0.001,
            "shape": {"kind": "custom", "values": [0, 0, 1, 2]},
        }
    )
    s = simsrc.Scenario.from_dict(d)
    assert s.cause_names[0] == "bad_service" and "regulation" in s.cause_names
    cols = simsrc.simulate(s).monthly.columns
    assert "churned_regulation" in cols and "churned_pushing_too_hard" not in cols


def test_exit_survey_sets_cause_levels():
    base = simsrc.preset("b2b-saas")
    shares = {"cheaper_alternative": 0.4, "bad_support": 0.3, "hard_to_use": 0.2, "other": 0.1}
    s = simsrc.levels_from_exit_survey(base, shares, monthly_churn=0.02)
    by = s.monthly_churn_by_cause()
    # "other" (10 %) is spread in proportion: price 0.4/0.9 of 2 %, flat shape.
    assert by["price_competitor"] == pytest.approx(0.02 * 0.4 / 0.9)
    assert by["poor_service"] == pytest.approx(0.02 * 0.3 / 0.9)
    assert by["natural_events"] == base.monthly_churn_by_cause()["natural_events"]
    with pytest.raises(ScenarioError, match=r"shares\.cheaper: unknown exit-survey reason"):
        simsrc.levels_from_exit_survey(base, {"cheaper": 1.0}, 0.02)
    with pytest.raises(ScenarioError, match="shares: must sum to 1"):
        simsrc.levels_from_exit_survey(base, {"bad_support": 0.5}, 0.02)


def _with_uncertainty(table):
    d = simsrc.preset("b2b-saas").to_dict()
    d["uncertainty"] = table
    return simsrc.Scenario.from_dict(d)


def test_uncertainty_ranges_round_trip_through_toml():
    s = _with_uncertainty({
        "save_team.discount.acceptance.price_competitor": {"low": 0.2, "high": 0.4},
        "acquisition.new_per_month": {"low": 80, "high": 160, "distribution": "triangular",
                                      "mode": 120},
    })  # fmt: skip
    assert s.uncertainty[1] == simsrc.Uncertain("acquisition.new_per_month", 80.0, 160.0,
                                                "triangular", 120.0)  # fmt: skip
    assert simsrc.parse_scenario_text(simsrc.scenario_to_toml(s)) == s
    bare = simsrc.preset("b2b-saas").replace(uncertainty=())
    assert bare.to_dict().get("uncertainty") is None  # none: no table
    # the presets' own ranges survive a file round trip too
    for name in simsrc.list_presets():
        s = simsrc.preset(name)
        assert s.uncertainty and simsrc.parse_scenario_text(simsrc.scenario_to_toml(s)) == s


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"save_team.coverage": {"low": 0.9, "high": 0.2}},
         r"uncertainty\.save_team\.coverage: low \(0\.9\) must not exceed high \(0\.2\)"),
        ({"save_team.coverage": {"low": 0.2, "high": 1.4}},
         r"uncertainty\.save_team\.coverage\.high: must be a number between 0 and 1"),
        ({"causes.gold.levels.standard": {"low": 0.0, "high": 0.1}},
         r"uncertainty\.causes\.gold\.levels\.standard: no such parameter in this scenario"),
        ({"name": {"low": 0.0, "high": 0.1}}, r"uncertainty\.name: not a numeric parameter"),
        ({"save_team.coverage": {"low": 0.1, "high": 0.2, "mode": 0.5,
                                 "distribution": "triangular"}},
         r"uncertainty\.save_team\.coverage\.mode: must lie between 0\.1 and 0\.2"),
        ({"save_team.coverage": {"low": 0.1, "high": 0.2, "distribution": "normal"}},
         r"uncertainty\.save_team\.coverage\.distribution: must be one of uniform, triangular"),
        ({"save_team.coverage": {"low": 0.1, "hi": 0.2}},
         r"uncertainty\.save_team\.coverage\.hi: unknown key"),
    ],
)  # fmt: skip
def test_bad_uncertainty_ranges_name_the_field(table, match):
    with pytest.raises(ScenarioError, match=match):
        _with_uncertainty(table)


def test_deeply_nested_toml_is_one_clear_error(tmp_path):
    bad = tmp_path / "deep.toml"
    bad.write_text("x = " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(simsrc.ScenarioError, match="nested too deeply"):
        simsrc.load_scenario(bad)
    from simsrc.ui.cli import main

    assert main(["run", str(bad)]) == 2
    assert main(["run", "b2b-saas", "--set", "name=" + "[" * 2000 + "]" * 2000]) == 2


def test_saving_keeps_permissions_and_follows_symlinks(tmp_path):
    import os
    import stat

    s = simsrc.preset("telecom")
    target = tmp_path / "shared.toml"
    simsrc.save_scenario(s, target)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    target.chmod(0o640)
    simsrc.save_scenario(s.halve_churn(), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    simsrc.save_scenario(s, link)
    assert link.is_symlink() and simsrc.load_scenario(target) == s
