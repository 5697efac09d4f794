"""``simsrc calibrate``: the handler driven through a tiny argparse parser, as the CLI will."""

import argparse
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import simsrc
from simsrc import ScenarioError
from simsrc.calibration.cli import REPORT_TABLES, add_calibrate_command

DATA = Path(__file__).resolve().parents[1] / "data" / "telecom_customer_churn.csv"


def run(argv: list[str]) -> int:
    """Parse ``simsrc <argv>`` with only the calibrate command and call its handler."""
    parser = argparse.ArgumentParser(prog="simsrc")
    sub = parser.add_subparsers(dest="command", required=True)
    add_calibrate_command(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The first 1,500 telecom customers (quick, same columns)."""
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    pd.read_csv(DATA).head(1500).to_csv(path, index=False, na_rep="N/A")
    return path


def test_writes_a_loadable_scenario_and_prints_the_summary(small, tmp_path, capsys):
    out = tmp_path / "scenario.toml"
    assert run(["calibrate", str(small), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Calibrated 'telecom · calibrated'" in text
    assert f"wrote {out}" in text
    scenario = simsrc.load_scenario(out)
    assert scenario.segment_names == ("month_to_month", "one_year", "two_year")
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temporary file


def test_never_overwrites_without_force(small, tmp_path):
    out = tmp_path / "scenario.toml"
    out.write_text("keep me")
    with pytest.raises(ScenarioError, match=r"scenario.toml: exists; add --force"):
        run(["calibrate", str(small), "--out", str(out)])
    assert out.read_text() == "keep me"
    assert run(["calibrate", str(small), "--out", str(out), "--force"]) == 0
    assert simsrc.load_scenario(out).name == "telecom · calibrated"


def test_bad_data_is_a_scenario_error_naming_column_and_rows(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,tenure,status\na,3,Stayed\nb,-1,Churned\n")
    out = tmp_path / "s.toml"
    with pytest.raises(
        ScenarioError, match=r"tenure: negative tenure — 1 row\(s\) \(first rows: 2"
    ):
        run(["calibrate", str(bad), "--out", str(out)])
    assert not out.exists()


def test_options_reach_the_calibration(small, tmp_path, capsys):
    reasons = tmp_path / "reasons.csv"
    reasons.write_text("reason,cause\nMoved,natural_events\nDon't know,price_competitor\n")
    report_dir = tmp_path / "report"
    code = run(
        [
            "calibrate", str(small), "--full-history", "--reasons", str(reasons),
            "--name", "mine", "--column", "segment=Contract", "--levers-not-in-data",
            "--report-dir", str(report_dir), "--json",
        ]
    )  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["scenario"] == "mine"
    assert any("full history" in a for a in payload["assumptions"])
    assert sorted(p.stem for p in report_dir.glob("*.csv")) == sorted(REPORT_TABLES)
    mapping = pd.read_csv(report_dir / "reasons.csv")
    assert mapping.set_index("value").loc["Don't know", "rule"] == "user"


def test_usage_errors_are_scenario_errors(small):
    with pytest.raises(ScenarioError, match=r"--column: expects ROLE=NAME"):
        run(["calibrate", str(small), "--column", "tenure"])
    with pytest.raises(ScenarioError, match=r"--column: unknown role 'age'"):
        run(["calibrate", str(small), "--column", "age=Age"])
    with pytest.raises(ScenarioError, match=r"data: give a data file, or --query"):
        run(["calibrate"])
    with pytest.raises(ScenarioError, match=r"folder .* does not exist"):
        run(["calibrate", str(small), "--out", "/nonexistent-dir/s.toml"])


def test_sql_query_from_the_command_line(small, tmp_path, capsys):
    out = tmp_path / "s.toml"
    code = run(
        [
            "calibrate",
            str(small),
            "--query",
            "SELECT * FROM data WHERE Contract <> 'Two Year'",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert simsrc.load_scenario(out).segment_names == ("month_to_month", "one_year")


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """A small date-based table: signup and cancel dates, no tenure column."""
    path = tmp_path_factory.mktemp("dated") / "dated.csv"
    rows = ["customer_id,signup_date,cancel_date,reason"]
    for i in range(40):
        start = f"2021-{1 + i % 12:02d}-{1 + i % 27:02d}"
        end = f"2022-{1 + i % 6:02d}-15" if i % 3 == 0 else ""
        rows.append(f"c{i},{start},{end},{'Moved' if end else ''}")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--as-of", "not-a-date"], r"^--as-of: expected a date written YYYY-MM-DD"),
        (["--as-of", "2022-02-30"], r"^--as-of: '2022-02-30' is not a calendar date"),
        (["--as-of", "1066-10-14"], r"^--as-of: must be a date in the years 1900"),
        (["--period-months", "3"], r"^--period-months: applies only to cohort tables"),
    ],
)
def test_bad_as_of_on_date_data_names_the_option(dated, extra, match):
    with pytest.raises(ScenarioError, match=match):
        run(["calibrate", str(dated), *extra])


def test_as_of_on_date_data_is_used(dated, capsys):
    assert (
        run(["calibrate", str(dated), "--as-of", "2022-12-31", "--spread", "0.3", "--json"]) == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert any("completed by 2022-12-31" in a for a in payload["assumptions"])


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--window-months", "0"], r"^--window-months: must be .*between 1 and 600 \(got 0\)"),
        (["--window-months", "-3"], r"^--window-months: must be .*between 1 and 600 \(got -3\)"),
        (["--period-months", "0"], r"^--period-months: must be .*between 1 and 24 \(got 0\)"),
        (["--period-months", "-1"], r"^--period-months: must be .*between 1 and 24 \(got -1\)"),
        (["--spread", "nan"], r"^--spread: must be between 0 and 0.95"),
        (["--name", ""], r"^--name: must not be empty or only spaces"),
        (["--name", "   "], r"^--name: must not be empty or only spaces"),
        (["--name", "two\nlines"], r"^--name: must be one line"),
        (["--reasons", "/dev/zero"], r"^/dev/zero: is not a regular file"),
    ],
)
def test_bad_options_are_refused_before_any_work(small, extra, match, monkeypatch):
    def never(*args, **kwargs):  # the data must not even be read
        raise AssertionError("calibrate() was called")

    monkeypatch.setattr("simsrc.calibration.cli.calibrate", never)
    with pytest.raises(ScenarioError, match=match) as info:
        run(["calibrate", str(small), *extra])
    assert "\n" not in str(info.value)


def test_as_of_on_tenure_data_is_refused_not_ignored(small):
    with pytest.raises(ScenarioError, match=r"^--as-of: applies only to date-based data"):
        run(["calibrate", str(small), "--as-of", "2022-01-01"])


def test_blocked_outputs_are_found_before_the_fit(small, tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("calibrate() was called")

    monkeypatch.setattr("simsrc.calibration.cli.calibrate", never)
    a_file = tmp_path / "a_file"
    a_file.write_text("keep")
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "parameters.csv").write_text("old")
    (tmp_path / "rep" / "survival.csv").mkdir()
    (tmp_path / "r").mkdir()
    cases = [
        (["--out", str(tmp_path)], r"is a folder; give a file name"),
        (["--out", str(tmp_path / "missing" / "s.toml")], r"folder .*missing does not exist"),
        (["--out", str(a_file)], r"a_file: exists; add --force"),
        (["--report-dir", str(a_file)], r"a_file: exists and is not a folder"),
        (["--report-dir", str(a_file / "sub")], r"cannot create the folder: .*a_file is not a"),
        (["--report-dir", str(tmp_path / "rep")], r"rep/parameters.csv: exists; add --force"),
        (["--report-dir", str(tmp_path / "rep"), "--force"], r"survival.csv: is a folder"),
        (["--out", str(small), "--force"], r"customers.csv: is the data file this command reads"),
        (
            ["--out", str(tmp_path / "r" / "fit.csv"), "--report-dir", str(tmp_path / "r")],
            r"fit.csv: is written twice",
        ),
    ]
    for extra, match in cases:
        with pytest.raises(ScenarioError, match=match):
            run(["calibrate", str(small), *extra])
    assert a_file.read_text() == "keep"
    assert (tmp_path / "rep" / "parameters.csv").read_text() == "old"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_folders_are_found_before_the_fit(small, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ScenarioError, match=r"folder .*locked is not writable"):
            run(["calibrate", str(small), "--out", str(locked / "s.toml")])
        with pytest.raises(ScenarioError, match=r"cannot create the folder: .*locked is not"):
            run(["calibrate", str(small), "--report-dir", str(locked / "rep")])
    finally:
        locked.chmod(0o700)


def test_report_dir_is_created_with_its_parents(small, tmp_path):
    report_dir = tmp_path / "a" / "b"
    assert run(["calibrate", str(small), "--report-dir", str(report_dir), "--spread", "0.3"]) == 0
    assert sorted(p.stem for p in report_dir.glob("*.csv")) == sorted(REPORT_TABLES)
    assert not list(report_dir.glob(".*")) and not list(tmp_path.glob(".simsrc-check*"))


def test_cohort_only_options_name_the_flag(tmp_path):
    cohorts = tmp_path / "cohorts.csv"
    cohorts.write_text("cohort,0,1,2\n2021,100,80,70\n2022,100,85,\n")
    with pytest.raises(ScenarioError, match=r"^--as-of: applies only to date-based customer"):
        run(["calibrate", str(cohorts), "--as-of", "2022-01-01"])
    with pytest.raises(ScenarioError, match=r"^--window-months: applies only to customer"):
        run(["calibrate", str(cohorts), "--window-months", "3"])


def test_contract_terms_are_given_or_switched_off_by_flag(small, tmp_path, capsys):
    for bad, match in (
        (["--contract", "Two Year=two"], r"^--contract: expects SEGMENT=MONTHS"),
        (["--contract", "Lifetime=12"], r"^--contract: Lifetime: names no segment"),
        (["--contract", "Two Year=200"], r"^--contract: Two Year: must be a whole number"),
        (["--no-contracts", "--contract", "Two Year=24"], r"^--no-contracts: cannot be"),
    ):
        with pytest.raises(ScenarioError, match=match):
            run(["calibrate", str(small), *bad])
    out = tmp_path / "plain.toml"
    assert run(["calibrate", str(small), "--no-contracts", "--out", str(out)]) == 0
    assert all(s.contract.term_months == 0 for s in simsrc.load_scenario(out).segments)
    given = tmp_path / "given.toml"
    assert run(["calibrate", str(small), "--contract", "Two Year=12", "--out", str(given)]) == 0
    terms = [s.contract.term_months for s in simsrc.load_scenario(given).segments]
    assert terms == [0, 0, 12]  # only the segment named: the others are month-to-month
    capsys.readouterr()
