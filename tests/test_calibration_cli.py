"""``simsrc calibrate``: the handler driven through a tiny argparse parser, as the CLI will."""

import argparse
import json
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
