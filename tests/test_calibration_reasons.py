"""Exit reasons onto causes: normalisation, the default mapping, user mappings and files."""

import os

import pandas as pd
import pytest

import simsrc
from simsrc import ScenarioError
from simsrc.calibration import default_reason_map, load_reason_map, map_reasons
from simsrc.calibration.reasons import normalize_reason

CAUSES = simsrc.preset("telecom").cause_names


def test_every_telecom_reason_and_category_has_a_default():
    from pathlib import Path

    df = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "telecom_customer_churn.csv")
    mapping = default_reason_map()
    for column in ("Churn_Reason", "Churn_Category"):
        for value in df[column].dropna().unique():
            assert normalize_reason(value) in mapping, value
    # Every default target is one of the telecom preset's causes (or None).
    assert set(mapping.values()) <= {*CAUSES, None}


def test_the_eight_exit_survey_reasons_follow_the_scenario_default():
    mapping = default_reason_map()
    assert mapping["cheaper alternative"] == "price_competitor"
    assert mapping[normalize_reason("Too many technical problems")] == "poor_service"
    assert mapping["other"] is None


def test_user_entries_win_and_unknown_values_are_listed():
    out = map_reasons(
        [True, True, True, True, False],
        pd.Series(["Moved", "moved ", "Gremlins", None, None]),
        pd.Series(["Other", "Other", "Other", "Price", None]),
        CAUSES,
        {"MOVED": "price_competitor"},
        reason_column="Churn_Reason",
        category_column="Churn_Category",
    )
    assert out.cause.tolist()[:4] == ["price_competitor", "price_competitor", "unknown",
                                      "price_competitor"]  # fmt: skip
    assert pd.isna(out.cause.iloc[4])
    assert out.rule.tolist()[:4] == ["user", "user", "category", "default"]
    table = out.table.set_index("value")
    # "Gremlins" is unknown, but its category "Other" says "unknown cause" on purpose.
    assert table.loc["Gremlins (Other)", "rule"] == "category"
    assert table.loc["Price", "column"] == "Churn_Category"


def test_a_reason_in_no_mapping_and_no_category_is_unmapped():
    out = map_reasons([True], pd.Series(["Gremlins"]), None, CAUSES)
    assert out.unmapped["value"].tolist() == ["Gremlins"]
    assert out.cause.tolist() == ["unknown"]


def test_default_targets_missing_from_the_base_become_unknown():
    out = map_reasons(
        [True, True], pd.Series(["Moved", "Price too high"]), None, ["price_competitor"]
    )
    assert out.cause.tolist() == ["unknown", "price_competitor"]


def test_user_entry_naming_an_unknown_cause_is_an_error():
    with pytest.raises(ScenarioError, match=r"reason_map.x: unknown cause 'nope'"):
        map_reasons([True], pd.Series(["x"]), None, CAUSES, {"x": "nope"})


def test_reason_map_files(tmp_path):
    csv = tmp_path / "map.csv"
    csv.write_text("reason,cause\nToo slow,poor_service\nNo idea,\nOdd one,none\n")
    assert load_reason_map(csv) == {"Too slow": "poor_service", "No idea": None, "Odd one": None}
    toml = tmp_path / "map.toml"
    toml.write_text('[reasons]\n"Too slow" = "poor_service"\n"No idea" = "unknown"\n')
    assert load_reason_map(toml) == {"Too slow": "poor_service", "No idea": None}
    bad = tmp_path / "bad.csv"
    bad.write_text("reason,cause\na,b,c\n")
    with pytest.raises(ScenarioError, match=r"line 2: expected reason,cause"):
        load_reason_map(bad)
    with pytest.raises(ScenarioError, match=r"no such file"):
        load_reason_map(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"the reason mapping is empty"),
        (b"reason,cause\n", r"the reason mapping is empty"),
        (b"\n \n", r"the reason mapping is empty"),
        (
            b"Moved;natural_events\n",
            r"line 1: expected reason,cause separated by a comma .*semicolon",
        ),
        (b"Moved\n", r"line 1: expected reason,cause \(got 1 field"),
        (b"reason,cause\n,poor_service\n", r"line 2: the reason is empty"),
        (b"\xff\xfe\x00garbage\x80", r"the reason mapping is not UTF-8 text \(byte 1\)"),
        (b"Moved,natural\x00_events\n", r"the reason mapping holds binary data \(NUL bytes\)"),
    ],
)
def test_malformed_reason_csv_names_the_file_and_the_problem(tmp_path, content, match):
    f = tmp_path / "map.csv"
    f.write_bytes(content)
    with pytest.raises(ScenarioError, match=r"^.*map\.csv: " + match) as info:
        load_reason_map(f)
    assert "\n" not in str(info.value)


def test_reason_map_file_checks_causes_by_line_when_told_them(tmp_path):
    f = tmp_path / "map.csv"
    f.write_text("reason,cause\nMoved,natural_events\nToo slow,speed\n")
    assert load_reason_map(f)["Too slow"] == "speed"  # no causes given: checked later
    with pytest.raises(ScenarioError, match=r"map.csv: line 3: unknown cause 'speed' \(known: "):
        load_reason_map(f, causes=CAUSES)
    toml = tmp_path / "map.toml"
    toml.write_text('[reasons]\n"Too slow" = 3\n')
    with pytest.raises(ScenarioError, match=r"map.toml: 'Too slow': the cause must be text"):
        load_reason_map(toml)
    toml.write_text("[reasons\n")
    with pytest.raises(ScenarioError, match=r"map.toml: not valid TOML"):
        load_reason_map(toml)


def test_reason_map_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "map.csv"
    os.mkfifo(fifo)  # reading it would wait forever for a writer
    with pytest.raises(ScenarioError, match=r"map.csv: is not a regular file"):
        load_reason_map(fifo)
    with pytest.raises(ScenarioError, match=r"/dev/zero: is not a regular file"):
        load_reason_map("/dev/zero")
    with pytest.raises(ScenarioError, match=r"is a folder"):
        load_reason_map(tmp_path)
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" * 300_000)
    with pytest.raises(ScenarioError, match=r"big.csv: file is larger than 1,000,000 bytes"):
        load_reason_map(big)


def test_user_mapping_values_must_be_text():
    with pytest.raises(ScenarioError, match=r"reason_map.x: the cause must be text"):
        map_reasons([True], pd.Series(["x"]), None, CAUSES, {"x": 5})  # type: ignore[dict-item]
