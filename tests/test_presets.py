"""The shipped telecom preset is what its calibration gives (scripts/derive_telecom.py)."""

import importlib.util
from pathlib import Path

import simsrc

ROOT = Path(__file__).resolve().parents[1]


def derive_module():
    spec = importlib.util.spec_from_file_location(
        "derive_telecom", ROOT / "scripts" / "derive_telecom.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_telecom_preset_is_its_calibration_and_its_header_its_figures(capsys):
    # Issue 17: the preset is re-derived from the calibration, not written by hand.
    derive = derive_module()
    assert derive.main(["--check"]) == 0, capsys.readouterr().out
    s = simsrc.preset("telecom")
    assert [x.contract.term_months for x in s.segments] == [0, 12, 24]
    assert s.estimation is None  # ranges instead of the 200 joint draws: a readable file
    assert {u.path for u in s.uncertainty} >= set(derive.RANGES)


def test_the_check_names_what_moved():
    derive = derive_module()
    s = simsrc.preset("telecom")
    moved = s.set("causes.onboarding.levels.month_to_month", 0.3).replace(description="x")
    problems = derive.differences(s, moved)
    assert any(p.startswith("causes.") and "0.3 derived" in p for p in problems), problems
    assert any(p.startswith("description:") for p in problems), problems
    assert derive.differences(s, s) == []
