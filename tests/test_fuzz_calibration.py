"""Fuzzing the calibration: any table, any options — a valid result or one clear error.

Hypothesis generates customer snapshots and cohort tables with random missing columns,
garbage and impossible dates, negative / NaN / infinite numbers, duplicate ids, wrong
types, empty frames and unicode text, and calls :func:`simsrc.calibration.calibrate_frame`.
Each example must end in one of two ways:

- a calibrated scenario that validates, with every report table present and the fitted
  numbers finite, or
- a :class:`~simsrc.model.errors.ScenarioError` whose message is one line and names a field,
  a column or an option,

never any other exception. The fits are kept fast (≤ 40 rows, a fixed ``spread`` in
most examples), and the settings are local to each test (no profile is registered), so
the file runs in seconds and changes nothing for other test files. At the end, the
command line is driven through ``python -m simsrc calibrate`` for the bad-input
reproductions: exit code 2, one ``simsrc: error:`` line, no traceback.
"""

from __future__ import annotations

import datetime
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simsrc
from simsrc import ScenarioError
from simsrc.calibration import calibrate_frame
from simsrc.calibration.cli import REPORT_TABLES
from simsrc.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = simsrc.preset("telecom")
OPTION_NAMES = {
    "data",
    "frame",
    "columns",
    "segment",
    "window_months",
    "as_of",
    "spread",
    "period_months",
    "kind",
    "name",
    "reason_map",
    "base",
    "latent_causes",
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples every run: a failure here is reproducible
)

# -- values ---------------------------------------------------------------------------

text = st.text(max_size=12)  # any unicode, line breaks and control characters included
garbage = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(-float("inf")),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    text,
)
tenures = st.one_of(
    st.integers(0, 72), st.integers(0, 72).map(str), st.sampled_from([-3, 1.5, "12 "]), garbage
)
statuses = st.one_of(
    st.sampled_from(["Churned", "Stayed", "Joined", "churned", "active", "yes", "no", 1, 0]),
    st.booleans(),
    garbage,
)
dates = st.one_of(
    st.dates(datetime.date(2015, 1, 1), datetime.date(2023, 12, 31)).map(str),
    st.dates(datetime.date(2015, 1, 1), datetime.date(2023, 12, 31)),
    st.datetimes(datetime.datetime(1600, 1, 1), datetime.datetime(2400, 1, 1)),
    st.sampled_from(
        ["2022-02-30", "2022-13-01", "not a date", "0202-01-01", "9999-12-31", "", "31/12/2021"]
    ),
    garbage,
)
reasons = st.one_of(
    st.sampled_from(["Moved", "Price too high", "Competitor made better offer", "Don't know"]),
    garbage,
)
charges = st.one_of(st.floats(-50, 200), st.sampled_from(["$45.10", "1,200", "n/a"]), garbage)
segments = st.one_of(st.sampled_from(["Month-to-Month", "One Year", "Two Year"]), garbage)

GARBAGE_BY_COLUMN = {
    "Customer_ID": st.one_of(st.integers(0, 5).map(lambda i: f"c{i}"), garbage),  # duplicates
    "Tenure_in_Months": tenures,
    "Customer_Status": statuses,
    "Churn_Reason": reasons,
    "Churn_Category": st.one_of(st.sampled_from(["Competitor", "Price", "Other"]), garbage),
    "Monthly_Charge": charges,
    "Contract": segments,
    "signup_date": dates,
    "cancel_date": dates,
}
"""Values a column may be corrupted with (mixed with the right kind of value)."""


@st.composite
def snapshot_frames(draw: st.DrawFn) -> pd.DataFrame:
    """A telecom-like customer table: clean, with a few bad cells, or chaotic.

    Clean tables (a random subset of optional columns, tenure- or date-based) reach the
    fit; corrupted cells and whole garbage columns test the validation, which must name
    the column whatever the value.
    """
    n = draw(st.integers(0, 40))
    dated = draw(st.booleans())
    # now and then a tenure past the engine's 240-month horizon (a customer since 2000)
    longest = draw(st.sampled_from([36, 36, 36, 36, 400]))
    ints = st.lists(st.integers(1, longest), min_size=n, max_size=n)
    status = st.lists(
        st.sampled_from(["Churned", "Stayed", "Stayed", "Joined"]), min_size=n, max_size=n
    )
    data: dict[object, object] = {}
    if draw(st.booleans()):
        data["Customer_ID"] = [f"c{i}" for i in range(n)]
    if dated:
        starts = draw(
            st.lists(
                st.dates(datetime.date(2019, 1, 1), datetime.date(2022, 6, 30)),
                min_size=n,
                max_size=n,
            )
        )
        lasted = draw(st.lists(st.one_of(st.none(), st.integers(0, 500)), min_size=n, max_size=n))
        data["signup_date"] = [str(d) for d in starts]
        data["cancel_date"] = [
            None if k is None else str(d + datetime.timedelta(days=k))
            for d, k in zip(starts, lasted, strict=True)
        ]
    else:
        data["Tenure_in_Months"] = draw(ints)
        data["Customer_Status"] = draw(status)
    if draw(st.booleans()):
        data["Churn_Reason"] = draw(
            st.lists(reasons.filter(lambda v: isinstance(v, str)), min_size=n, max_size=n)
        )
    if draw(st.booleans()):
        data["Monthly_Charge"] = draw(st.lists(st.floats(5, 150), min_size=n, max_size=n))
    if draw(st.booleans()):
        data["Contract"] = draw(
            st.lists(
                st.sampled_from(["Month-to-Month", "One Year", "Two Year"]), min_size=n, max_size=n
            )
        )
    mode = draw(st.sampled_from(["clean", "clean", "cells", "cells", "columns"]))
    if mode == "columns":  # whole columns dropped, added or replaced by garbage
        for name in draw(
            st.lists(st.sampled_from(list(GARBAGE_BY_COLUMN)), unique=True, max_size=4)
        ):
            if name in data and draw(st.booleans()):
                del data[name]
            else:
                data[name] = draw(st.lists(GARBAGE_BY_COLUMN[name], min_size=n, max_size=n))
        if draw(st.booleans()):  # a junk column with an arbitrary (unicode) name
            data[draw(text)] = draw(st.lists(garbage, min_size=n, max_size=n))
    frame = pd.DataFrame(data, index=range(n))
    if mode == "cells" and n and len(frame.columns):
        frame = frame.astype(object)
        for _ in range(draw(st.integers(1, 4))):
            column = draw(st.sampled_from(list(frame.columns)))
            row = draw(st.integers(0, n - 1))
            frame.at[row, column] = draw(GARBAGE_BY_COLUMN.get(str(column), garbage))
    if draw(st.booleans()) and "Tenure_in_Months" in frame:
        # typed columns, as a Parquet file or a database would give them
        frame["Tenure_in_Months"] = pd.to_numeric(frame["Tenure_in_Months"], errors="coerce")
    if draw(st.booleans()) and "signup_date" in frame:
        frame["signup_date"] = pd.to_datetime(
            frame["signup_date"].astype("string"),
            errors="coerce",
            format="mixed",
            utc=draw(st.booleans()),
        )
    if mode == "columns" and len(frame.columns) and draw(st.booleans()):
        frame = pd.concat([frame, frame.iloc[:, :1]], axis=1)  # a column name twice
    return frame


@st.composite
def cohort_frames(draw: st.DrawFn) -> pd.DataFrame:
    """A cohort survival table (columns 0, 1, 2, …): plausible rows or bad counts."""
    periods = draw(st.integers(1, 6))
    n = draw(st.integers(0, 6))
    counts = st.one_of(st.integers(0, 500), st.floats(-10, 500), garbage)
    clean = draw(st.booleans())
    rows = []
    for _ in range(n):
        if clean or draw(st.booleans()):  # a plausible left-justified cohort
            size = draw(st.integers(1, 500))
            kept = [size]
            for _ in range(periods - 1):
                kept.append(draw(st.integers(0, kept[-1])))
            cut = draw(st.integers(1, periods))
            rows.append(kept[:cut] + [None] * (periods - cut))
        else:
            rows.append(draw(st.lists(counts, min_size=periods, max_size=periods)))
    names = [str(p) if draw(st.booleans()) else p for p in range(periods)]
    frame = pd.DataFrame(rows, columns=names) if rows else pd.DataFrame(columns=names)
    if draw(st.booleans()):
        frame.insert(0, "segment", draw(st.lists(segments, min_size=n, max_size=n)))
    return frame


good_options = st.fixed_dictionaries(
    {},
    optional={
        "spread": st.one_of(st.floats(0, 0.95), st.none()),
        "segment": st.sampled_from([False, None]),
        "window_months": st.one_of(st.just("auto"), st.none(), st.integers(1, 40)),
        "as_of": st.one_of(
            st.none(), st.dates(datetime.date(2022, 1, 1), datetime.date(2024, 1, 1)).map(str)
        ),
        "drop_invalid": st.booleans(),
        "kind": st.sampled_from(["auto", "snapshot", "cohorts"]),
        "name": st.text(
            st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=12
        ).filter(str.strip),
    },
)
bad_options = st.fixed_dictionaries(
    {},
    optional={
        "spread": st.one_of(st.floats(0, 0.95), st.none(), st.just(float("nan")), garbage),
        "segment": st.one_of(
            st.just(False), st.none(), st.just("Contract"), text, st.just(True), st.just(["x"])
        ),
        "latent_causes": st.one_of(
            st.just("auto"),
            st.none(),
            st.lists(st.sampled_from([*BASE.cause_names, "gremlins"]), max_size=2),
            garbage,
        ),
        "window_months": st.one_of(st.just("auto"), st.none(), st.integers(-2, 40), garbage),
        "as_of": st.one_of(
            st.none(), dates, st.just(pd.Timestamp("2023-01-01", tz="Europe/Berlin"))
        ),
        "drop_invalid": st.booleans(),
        "period_months": st.one_of(st.integers(-1, 30), garbage),
        "kind": st.sampled_from(["auto", "snapshot", "cohorts", "weekly"]),
        "name": st.one_of(st.none(), text),
        "columns": st.one_of(
            st.none(),
            st.just(["tenure"]),
            st.dictionaries(
                st.sampled_from(["tenure", "status", "start", "end", "age"]),
                st.one_of(st.none(), st.sampled_from(list(GARBAGE_BY_COLUMN)), text),
                max_size=2,
            ),
        ),
        "reason_map": st.one_of(
            st.none(),
            st.dictionaries(text, st.one_of(st.sampled_from(BASE.cause_names), garbage)),
        ),
    },
)
options = st.one_of(good_options, good_options, good_options, bad_options)


def _finite_numbers(value: object, where: str = "") -> None:
    """Every number in a nested dict / list is finite (the scenario as written to TOML)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _finite_numbers(v, f"{where}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _finite_numbers(v, f"{where}[{i}]")
    elif isinstance(value, float):
        assert math.isfinite(value), f"{where} = {value}"


def check_outcome(frame: pd.DataFrame, kwargs: dict[str, object]) -> None:
    """Calibrate; accept a valid result or a one-line ScenarioError naming a field."""
    kwargs = {"spread": 0.3, "segment": False, **kwargs}
    try:
        scenario, report = calibrate_frame(frame, base=BASE, **kwargs)  # type: ignore[arg-type]
    except ScenarioError as err:
        message = str(err)
        assert "\n" not in message and "\r" not in message, message
        assert err.path, f"no field named: {message!r}"
        named = {str(c) for c in frame.columns} | OPTION_NAMES
        assert (
            err.path in named
            or err.path.split(".")[0] in named
            or any(str(c) in message for c in frame.columns)
            or err.path.startswith("cohorts.")
        ), f"names neither a column nor an option: {message!r}"
        return
    assert isinstance(scenario, Scenario)
    assert Scenario.from_dict(scenario.to_dict()) == scenario  # validates, round-trips
    _finite_numbers(scenario.to_dict(), "scenario")
    for table in REPORT_TABLES:
        assert isinstance(getattr(report, table), pd.DataFrame), table
    values = pd.to_numeric(report.parameters["value"], errors="coerce")
    assert np.isfinite(values.dropna()).all(), report.parameters[~np.isfinite(values)]
    assert report.summary()  # the text the CLI prints can be made


@settings(FUZZ, max_examples=45)  # the slower of the two: most examples reach the fit
@given(frame=snapshot_frames(), kwargs=options)
def test_fuzz_snapshots_give_a_result_or_one_clear_error(frame, kwargs):
    check_outcome(frame, kwargs)


@FUZZ
@given(frame=cohort_frames(), kwargs=options)
def test_fuzz_cohort_tables_give_a_result_or_one_clear_error(frame, kwargs):
    check_outcome(frame, kwargs)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(n=st.integers(20, 200), seed=st.integers(0, 2**16), spread=st.sampled_from([None, 0.3]))
def test_fuzz_valid_snapshots_always_calibrate(n, seed, spread):
    """Plausible data (random sizes, mixes, ids, charges) must calibrate, not be refused."""
    rng = np.random.default_rng(seed)
    churned = rng.random(n) < 0.3
    churned[0], churned[1] = True, False  # someone left, someone stayed
    frame = pd.DataFrame(
        {
            "Customer_ID": [f"c{i}" for i in range(n)],
            "Tenure_in_Months": rng.integers(1, 60, n),
            "Customer_Status": np.where(churned, "Churned", "Stayed"),
            "Churn_Reason": np.where(
                churned, rng.choice(["Moved", "Price too high", "Don't know"], n), None
            ),
            "Monthly_Charge": rng.uniform(10, 120, n).round(2),
            "Contract": rng.choice(["Month-to-Month", "One Year"], n),
        }
    )
    scenario, report = calibrate_frame(frame, base=BASE, spread=spread)
    assert set(scenario.segment_names) <= {"month_to_month", "one_year"}
    assert report.rows is not None and not report.fit.empty
    _finite_numbers(scenario.to_dict())


# -- the command line, as users run it --------------------------------------------------


def cli(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simsrc", "calibrate", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def assert_one_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("simsrc: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    dated = d / "dated.csv"
    dated.write_text(
        "customer_id,signup_date,cancel_date,reason\n"
        "a,2021-01-10,,\n"
        "b,2021-02-01,2021-08-15,Moved\n"
        "c,2021-03-05,2022-01-20,Price too high\n"
        "d,2021-06-01,,\n"
    )
    tenure = d / "tenure.csv"
    tenure.write_text("customer_id,tenure,status\na,3,Stayed\nb,5,Churned\nc,8,Stayed\n")
    latin = d / "latin.csv"
    latin.write_bytes(
        "customer_id,tenure,status,reason\na,3,Stayed,\nb,5,Churned,Déménagé\n".encode("latin-1")
    )
    zipped = d / "zipped.csv"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("inner.csv", tenure.read_text())
    bad_reasons = d / "reasons.csv"
    bad_reasons.write_text("reason;cause\nMoved;natural_events\n")
    return {
        "dir": d,
        "dated": dated,
        "tenure": tenure,
        "latin": latin,
        "zipped": zipped,
        "bad_reasons": bad_reasons,
    }


CLI_CASES = {
    "as-of not a date": ("dated", ["--as-of", "not-a-date"], ["--as-of", "YYYY-MM-DD"]),
    "as-of Feb 30": ("dated", ["--as-of", "2022-02-30"], ["--as-of", "not a calendar date"]),
    "as-of, tenure only": ("tenure", ["--as-of", "2022-01-01"], ["--as-of", "date-based"]),
    "window 0": ("tenure", ["--window-months", "0"], ["--window-months", "between 1 and 600"]),
    "period 0": ("tenure", ["--period-months", "0"], ["--period-months", "between 1 and 24"]),
    "empty name": ("tenure", ["--name", ""], ["--name", "empty"]),
    "reasons; ": ("tenure", ["--reasons", "reasons.csv"], ["reasons.csv", "line 1", "comma"]),
    "zip as csv": ("zipped", [], ["zipped.csv", "not a CSV text file", "ZIP"]),
    "/dev/zero": ("/dev/zero", [], ["/dev/zero", "not a regular file"]),
    "out = data": ("tenure", ["--out", "tenure.csv", "--force"], ["tenure.csv", "data file"]),
    "report-dir a file": ("tenure", ["--report-dir", "tenure.csv"], ["not a folder"]),
}
"""Bad command lines and what their one error line must mention."""


@pytest.fixture(scope="module")
def cli_results(files) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case of :data:`CLI_CASES`, run at once (each start imports simsrc anew)."""
    procs = {}
    for case, (key, extra, _) in CLI_CASES.items():
        data = files[key].name if key in files else key
        procs[case] = subprocess.Popen(
            [sys.executable, "-m", "simsrc", "calibrate", data, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=files["dir"],
        )
    results = {}
    for case, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[case] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_bad_input_is_one_error_line(files, cli_results, case):
    assert_one_error_line(cli_results[case], *CLI_CASES[case][2])
    assert files["tenure"].read_text().startswith("customer_id,tenure")  # untouched


def test_cli_reads_a_latin1_file_and_says_so(files):
    result = cli("latin.csv", "--json", cwd=files["dir"])
    assert result.returncode == 0, result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    assert any("read as Latin-1" in w for w in warnings), warnings
    assert any("'Déménagé'" in w for w in warnings), warnings  # decoded correctly
