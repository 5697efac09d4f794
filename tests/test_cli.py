"""The command line as a user meets it: real subprocesses, exit codes, one-line errors."""

import json
import subprocess
import sys

import pytest

import simsrc


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "simsrc", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_compare_prints_the_halve_churn_table():
    p = run("compare", "b2b-saas", "--what-if", "halve-churn")
    assert p.returncode == 0, p.stderr
    assert "b2b-saas · halve churn" in p.stdout and "Total revenue" in p.stdout
    table = simsrc.compare(simsrc.preset("b2b-saas"), simsrc.preset("b2b-saas").halve_churn())
    pct = table.loc["total_revenue", "Δ %"]
    assert f"+{pct:.1f}%" in p.stdout


def test_run_json_matches_the_api(tmp_path):
    path = tmp_path / "mine.toml"
    assert (
        run("init", "telecom", str(path), "--set", "acquisition.new_per_month=200").returncode == 0
    )
    p = run("run", str(path), "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    api = simsrc.simulate(simsrc.preset("telecom").set("acquisition.new_per_month", 200))
    assert out["kpis"]["npv"] == pytest.approx(api.kpis["npv"], rel=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "b2b-saas", "--set", "causes.onboarding.levels.standard=2"],
            "causes.onboarding.levels.standard: must be a number between 0 and 1 (got 2)",
        ),
        (["run", "b2b-saas", "--set", "acquisition.new_per_mnth=2"], "unknown key"),
        (["run", "missing.toml"], "missing.toml: no such file"),
        (["run", "nonsense"], "is neither a preset"),
        (["compare", "b2b-saas", "--what-if", "scale-churn=abc"], "scale-churn expects a number"),
        (["compare", "b2b-saas", "--what-if", "halve-churn:nope"], "unknown cause 'nope'"),
    ],
)
def test_errors_are_one_line_and_exit_2(args, message):
    p = run(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], p.stderr


def test_bad_files_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    p = run("run", str(bad))
    assert p.returncode == 2 and "line 1, column" in p.stderr and "Traceback" not in p.stderr


def test_init_does_not_overwrite_without_force(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("precious")
    p = run("init", "b2b-saas", str(path))
    assert p.returncode == 2 and path.read_text() == "precious"
