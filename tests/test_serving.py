"""Serving the dashboards, without a browser: pools, the home page's data, what is served,
and the launcher's answers to bad options (exit 2, one line, no traceback)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simsrc.ui import serving

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("launcher", ROOT / "scripts" / "dashboard.py")
assert _spec and _spec.loader
launcher = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launcher)


def test_pools_default_and_override():
    assert serving.pool_sizes({}) == serving.POOL_SIZES
    sizes = serving.pool_sizes({serving.POOL_VARIABLE: " 2 "})
    assert sizes["executive_dashboard.ipynb"] == 2
    assert sizes["offer_mix_dashboard.ipynb"] == serving.POOL_SIZES["offer_mix_dashboard.ipynb"]
    assert serving.pool_sizes({serving.POOL_VARIABLE: "0"})["executive_dashboard.ipynb"] == 0


@given(st.text().filter(lambda t: t.strip() and not (t.strip().isdigit() and int(t) <= 20)))
def test_a_bad_pool_is_refused_naming_the_variable_and_the_range(raw):
    with pytest.raises(ValueError, match=rf"{serving.POOL_VARIABLE} .* from 0 to 20"):
        serving.pool_sizes({serving.POOL_VARIABLE: raw})


def test_home_page_config_carries_every_dashboard_and_is_returned():
    config: dict = {"other": 1}
    out = serving.home_page_config(config, base_url="/")
    assert out is config and config["other"] == 1
    assert {name: (v["title"], v["question"]) for name, v in out["simsrc"].items()} == (
        serving.DASHBOARDS
    )


def test_the_home_page_template_is_where_voila_looks_and_packaged():
    template = serving.TEMPLATES_ROOT / "voila" / "templates" / "simsrc"
    assert (template / "tree.html").is_file() and (template / "conf.json").is_file()
    assert "share/voila/templates/simsrc/*" in (ROOT / "pyproject.toml").read_text()


def test_only_the_dashboards_are_served_unless_lessons_are_asked_for():
    root = launcher.served_directory()
    served = sorted(p.name for p in root.iterdir())
    assert served == sorted(serving.DASHBOARDS)
    for p in root.iterdir():
        assert p.resolve() == ROOT / "notebooks" / p.name
    assert launcher.served_directory(lessons=True) == ROOT / "notebooks"
    command = launcher.voila_command(8866)
    assert str(root) in command and f"--Voila.config_file_paths={ROOT / 'config'}" in command


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--pool", "30"], {}, "dashboard: --pool must be a whole number from 0 to 20 (got '30')"),
        (["--pool", "-1"], {}, "dashboard: --pool must be a whole number from 0 to 20 (got '-1')"),
        (["--pool", "x"], {}, "dashboard: --pool must be a whole number from 0 to 20 (got 'x')"),
        ([], {serving.POOL_VARIABLE: "many"}, f"dashboard: {serving.POOL_VARIABLE} must be"),
    ],
)
def test_bad_launcher_options_exit_2_with_one_line(args, env, message):
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dashboard.py"),
         "--port", str(launcher.free_port()), *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), out.stderr
