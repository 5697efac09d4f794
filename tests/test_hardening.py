"""Bad input gets one clear line, and no write loses a user's file.

The reproductions of the hardening issue, each pinned: the API raises the project's
error (or TypeError naming the argument), the CLI exits 2 with one line and no
traceback, and a failed or killed write leaves the old file byte-identical with nothing
beside it. The generated (fuzzed) inputs are in test_fuzz_scenarios.py.
"""

import os
import resource
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import simsrc
from simsrc.model.errors import ScenarioError
from simsrc.model.files import MAX_FILE_BYTES, atomic_output, check_output, write_atomic
from simsrc.ui import cli


def run_cli(*args, cwd=None, preexec_fn=None, timeout=120):
    """The real entry point in a fresh interpreter: (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "simsrc", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        preexec_fn=preexec_fn,
    )
    return proc.returncode, proc.stdout, proc.stderr


def one_line_error(code, err, *fragments):
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simsrc: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def in_process(argv, capsys):
    code = cli.main(argv)
    return code, capsys.readouterr().err


# -- schema-1 files ---------------------------------------------------------------------

V1 = """schema_version = 1
name = "old"
{top}
[[segments]]
name = "all"
label = "All"
share = 1.0
monthly_price = 10.0
monthly_churn = {churn}
{tail}
"""


@pytest.mark.parametrize(
    ("top", "churn", "tail", "names"),
    [
        ("heterogeneity = 3", "0.05", "", "heterogeneity"),
        ("", "0.05", "[heterogeneity]\npolarization = 1.0", "heterogeneity.polarization"),
        ("", "0.05", '[heterogeneity]\npolarization = "x"', "heterogeneity.polarization"),
        ("", "0.05", "[heterogeneity]\nphi = 0.1", "heterogeneity.phi"),
        ("", '"abc"', "", "segments[0].monthly_churn"),
        ("", "1.5", "", "segments[0].monthly_churn"),
        ("", "0", "[heterogeneity]\npolarization = 0.2", "heterogeneity.polarization"),
    ],
)
def test_schema_1_files_with_bad_content_get_one_line(tmp_path, capsys, top, churn, tail, names):
    path = tmp_path / "old.toml"
    path.write_text(V1.format(top=top, churn=churn, tail=tail))
    with pytest.raises(ScenarioError) as info:
        simsrc.load_scenario(path)
    assert info.value.path == names
    code, err = in_process(["run", str(path)], capsys)
    one_line_error(code, err, names)


def test_schema_1_segments_must_be_tables():
    with pytest.raises(ScenarioError, match=r"^segments\[0\]: must be a table"):
        simsrc.Scenario.from_dict({"schema_version": 1, "name": "x", "segments": [1, 2]})
    with pytest.raises(ScenarioError, match=r"^segments: must be a list"):
        simsrc.Scenario.from_dict({"schema_version": 1, "name": "x", "segments": 3})


# -- special and oversized files --------------------------------------------------------


def test_devices_fifos_and_folders_are_refused_without_reading(tmp_path, capsys):
    fifo = tmp_path / "f.toml"
    os.mkfifo(fifo)
    for path, words in (
        ("/dev/zero", "not a regular file"),
        (fifo, "not a regular file"),
        (tmp_path, "is a folder"),
    ):
        with pytest.raises(ScenarioError, match=words):
            simsrc.load_scenario(path)
        code, err = in_process(["run", str(path)], capsys)
        one_line_error(code, err, words)


def test_the_read_itself_is_bounded(tmp_path, monkeypatch):
    # A file whose size the system misreports (procfs, a growing file) must still be
    # cut at the limit: read_bytes_limited reads at most limit + 1 bytes.
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 10))
    with pytest.raises(ScenarioError, match="larger than 1,000,000 bytes"):
        simsrc.load_scenario(path)
    from simsrc.model import files as io

    assert io.read_bytes_limited(path, limit=MAX_FILE_BYTES + 10) == b"#" * (MAX_FILE_BYTES + 10)
    with pytest.raises(ScenarioError, match="larger than"):
        io.read_bytes_limited(path, limit=5)


def test_what_simsrc_writes_it_reads_back(tmp_path):
    base = simsrc.preset("b2b-saas")
    huge = base.replace(description="x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError, match="larger than 1,000,000 bytes"):
        simsrc.save_scenario(huge, tmp_path / "s.toml")
    assert not list(tmp_path.iterdir())
    # thousands of causes cannot be created at all (each adds rows to every lever table)
    d = base.to_dict()
    d["causes"] = [{"name": f"c{i}", "levels": 0.001} for i in range(6000)]
    with pytest.raises(ScenarioError, match=r"^causes: at most 50 allowed \(got 6000\)"):
        simsrc.Scenario.from_dict(d)
    # the largest scenario users can build still fits the limit it is read back with
    d = base.without_levers().to_dict()
    d["segments"] = [
        {"name": f"s{i}", "label": "S" * 60, "share": 1 / 50, "monthly_price": 10.0}
        for i in range(50)
    ]
    d["causes"] = [
        {
            "name": f"c{i}" + "x" * 60,
            "label": "C" * 60,
            "levels": 0.001,
            "shape": {"kind": "custom", "values": [1.0 / 3] * 240},
        }
        for i in range(50)
    ]
    for key in ("save_team", "win_back", "programs", "contact", "uncertainty"):
        d.pop(key)
    biggest = simsrc.Scenario.from_dict(d)
    simsrc.save_scenario(biggest, tmp_path / "big.toml")
    assert simsrc.load_scenario(tmp_path / "big.toml") == biggest


# -- dotted paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("acquisition.seasonality.0.x", r"^acquisition\.seasonality\.0: is a value, not a table"),
        ("acquisition.seasonality.12", r"index out of range \(0–11\)"),
        ("acquisition.seasonality.first", r"addressed by number"),
        ("acquisition", r"^acquisition: is a whole table; set its fields one at a time"),
        ("causes", r"^causes: is a list of named items"),
        ("segments.monthly", r"^segments\.monthly: is a whole item"),
        ("acquisition..x", r"^path: 'acquisition\.\.x' is not a dotted path"),
        ("name.x", r"^name: is a value"),
    ],
)
def test_paths_through_lists_and_tables(path, message):
    s = simsrc.preset("consumer-app")
    value = {"x": 1} if path == "acquisition" else ([] if path == "causes" else 1)
    with pytest.raises(ScenarioError, match=message):
        s.set(path, value)


def test_empty_lists_say_so():
    s = simsrc.preset("b2b-saas")
    assert s.acquisition.seasonality == ()
    with pytest.raises(ScenarioError, match=r"the list is empty"):
        s.set("acquisition.seasonality.0", 1.0)


def test_per_name_tables_still_take_one_number_for_every_name():
    s = simsrc.preset("b2b-saas").set("causes.onboarding.levels", 0.01)
    assert set(s.cause("onboarding").levels) == {0.01}


# -- the CLI ----------------------------------------------------------------------------


def test_run_csv_needs_force_and_checks_before_the_work(tmp_path, capsys):
    out = tmp_path / "m.csv"
    out.write_text("keep me")
    code, err = in_process(["run", "b2b-saas", "--csv", str(out)], capsys)
    one_line_error(code, err, "m.csv: exists; add --force to overwrite it")
    assert out.read_text() == "keep me"
    code, err = in_process(["run", "b2b-saas", "--csv", str(tmp_path / "no" / "m.csv")], capsys)
    one_line_error(code, err, "does not exist")
    code, err = in_process(["run", "b2b-saas", "--csv", str(tmp_path)], capsys)
    one_line_error(code, err, "is a folder")
    assert cli.main(["run", "b2b-saas", "--csv", str(out), "--force"]) == 0
    assert out.read_text().startswith("month,")
    code, err = in_process(["init", "b2b-saas", str(out)], capsys)
    one_line_error(code, err, "exists; add --force")


def test_a_write_over_the_file_size_limit_keeps_the_old_file(tmp_path):
    out = tmp_path / "m.csv"
    out.write_text("old content\n")

    def small_files():  # 8 KiB: the monthly table of b2b-saas is larger
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    code, _, err = run_cli(
        "run", "b2b-saas", "--csv", out, "--force", cwd=tmp_path, preexec_fn=small_files
    )
    one_line_error(code, err, "File too large", str(out))
    assert out.read_text() == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.csv"]


def test_a_killed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "report.csv"
    target.write_bytes(b"precious\n")
    child = textwrap.dedent(
        f"""
        import sys, time
        from simsrc.model.files import atomic_output
        with atomic_output({str(target)!r}) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(b"half a report" * 10000)
                fh.flush()
                print("writing", flush=True)
                time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert target.read_bytes() == b"precious\n"
    if hasattr(os, "O_TMPFILE"):  # elsewhere a named temporary file can be left
        assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_write_errors_name_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "s.toml"

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".s.toml.abc.tmp"))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError) as info:
        write_atomic(target, "x")
    assert info.value.filename == str(target)
    assert not list(tmp_path.iterdir())


def test_atomic_output_and_check_output(tmp_path):
    target = tmp_path / "t.bin"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"never seen")
        raise RuntimeError("writer failed")
    assert not list(tmp_path.iterdir())
    with pytest.raises(ScenarioError, match="is a folder"):
        check_output(tmp_path)
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ScenarioError, match="exists"):
        check_output(link)
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    try:
        if not os.access(readonly, os.W_OK):  # root can write anywhere
            with pytest.raises(ScenarioError, match="not writable"):
                check_output(readonly / "x.csv")
    finally:
        readonly.chmod(0o700)


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["run", "b2b-saas", "--set", 'name="abc'], ["--set name", "not valid TOML"]),
        (["run", "b2b-saas", "--set", "causes=[]"], ["causes: is a list of named items"]),
        (
            ["run", "b2b-saas", "--set", "acquisition={new_per_month=5}"],
            ["acquisition: is a whole table"],
        ),
        (["run", "b2b-saas", "--monthly"], ["--monthly", "--json"]),
        (["run", "b2b-saas", "--set", "acquisition." + "k" * 100_000 + "=1"], ["unknown key"]),
        (["run", "b2b-saas", "--set", "nothing"], ["--set expects PATH=VALUE"]),
    ],
)
def test_cli_usage_errors(capsys, argv, fragments):
    code, err = in_process(argv, capsys)
    one_line_error(code, err, *fragments)
    assert len(err) < 400  # a 100 KB key is cut, not echoed


def test_bare_words_are_still_text(capsys):
    assert cli.main(["run", "b2b-saas", "--set", "name=My plan", "--json"]) == 0
    assert '"scenario": "My plan"' in capsys.readouterr().out


# -- messages and API exception types ----------------------------------------------------


def test_duplicate_and_missing_names_are_reported_as_such():
    d = simsrc.preset("telecom").to_dict()
    d["segments"][1]["name"] = d["segments"][0]["name"]
    with pytest.raises(ScenarioError, match=r"^segments\[1\]\.name: duplicate name"):
        simsrc.Scenario.from_dict(d)
    del d["segments"][1]["name"]
    with pytest.raises(ScenarioError, match=r"^segments\[1\]\.name: is required"):
        simsrc.Scenario.from_dict(d)


def test_empty_allowed_lists_and_long_values_read_well():
    from simsrc.model.schema import reject_unknown

    with pytest.raises(ScenarioError, match=r"unknown key \(nothing is allowed here\)$"):
        reject_unknown({"x": 1}, [], "save_team.mix")
    err = ScenarioError("a\nb" * 100, "two\nlines")
    assert "\n" not in str(err) and len(err.path) <= 100


@pytest.mark.parametrize(
    ("call", "kind", "words"),
    [
        (lambda s: s.set(None, 1), TypeError, "path must be a dotted path"),
        (lambda s: s.replace(segments=("x",)), ScenarioError, "segments[0]: must be of type"),
        (lambda s: s.replace(acquisition={"a": 1}), ScenarioError, "acquisition: must be of"),
        (lambda s: s.replace(uncertainty=[1]), ScenarioError, "uncertainty[0]"),
        (lambda s: simsrc.load_scenario(3), TypeError, "path must be a file name"),
        (lambda s: simsrc.Scenario.from_dict(None), ScenarioError, "must be a table"),
        (lambda s: simsrc.parse_scenario_text(b"x"), ScenarioError, "must be TOML text"),
        (
            lambda s: s.set("acquisition.new_per_month", 10**400),
            ScenarioError,
            "about 400 digits",
        ),
        (lambda s: s.scale_churn(10**400), ScenarioError, "factor"),
        (lambda s: simsrc.save_scenario(None, "x.toml"), TypeError, "scenario must be"),
    ],
)
def test_api_errors_name_the_argument(call, kind, words):
    with pytest.raises(kind) as info:
        call(simsrc.preset("b2b-saas"))
    assert type(info.value) is kind
    assert words in str(info.value)


@pytest.mark.parametrize(
    "value", [np.int64(80), np.int32(80), np.float32(80.0), np.float64(80.0), np.uint8(80)]
)
def test_numpy_scalars_are_numbers_everywhere(tmp_path, value):
    s = simsrc.preset("b2b-saas")
    a = s.set("acquisition.new_per_month", value)
    assert a.acquisition.new_per_month == 80.0 and type(a.acquisition.new_per_month) is float
    h = s.set("horizon_months", value)
    assert h.horizon_months == 80 and type(h.horizon_months) is int
    assert s.replace(horizon_months=value).horizon_months == 80
    assert s.scale_churn(value / 160).cause_names == s.cause_names
    # objects built with numpy values save and read back as plain numbers
    segs = tuple(type(seg)(**{**seg.__dict__, "monthly_price": value}) for seg in s.segments)
    direct = s.replace(segments=segs)
    simsrc.save_scenario(direct, tmp_path / "n.toml")
    assert simsrc.load_scenario(tmp_path / "n.toml") == direct
    with pytest.raises(ScenarioError, match="must be a number"):
        s.set("acquisition.new_per_month", np.bool_(True))
