"""Serving the dashboards, without a browser: pools, the home page's data, what is served,
and the launcher's answers to bad options (exit 2, one line, no traceback)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
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


@given(
    st.text().filter(
        lambda t: t.strip() and not (re.fullmatch(r"[0-9]+", t.strip()) and int(t) <= 20)
    )
)
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


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_this_computer_needs_no_token(host):
    assert serving.exposure_error(host, "") is None


@given(
    st.ip_addresses().filter(lambda ip: not ip.is_loopback),
    st.text(max_size=serving.MIN_TOKEN_LENGTH - 1),
)
def test_a_network_address_without_a_long_token_is_refused(ip, token):
    message = serving.exposure_error(str(ip), token)
    assert message is not None and serving.TOKEN_VARIABLE in message
    assert serving.exposure_error(str(ip), "x" * serving.MIN_TOKEN_LENGTH) is None


def test_serving_on_a_network_without_a_token_exits_2_with_one_line():
    env = {k: v for k, v in os.environ.items() if k != serving.TOKEN_VARIABLE}
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dashboard.py"), "--host", "0.0.0.0"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and serving.TOKEN_VARIABLE in lines[0], out.stderr


@pytest.mark.slow
def test_with_a_token_visitors_must_give_it(tmp_path):
    token = "correct-horse-battery-staple"
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(tmp_path / var.lower())
    env[serving.TOKEN_VARIABLE] = token
    env[serving.POOL_VARIABLE] = "0"
    port = launcher.free_port()
    proc = subprocess.Popen(
        launcher.voila_command(port, host="0.0.0.0"), cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        launcher.wait_until_ready(port, proc, timeout=90)
        home = f"http://127.0.0.1:{port}/"
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(home)
        assert refused.value.code in (302, 403)  # to the login page, or refused
        with opener.open(f"{home}?token={token}") as r:
            assert r.status == 200 and "Executive dashboard" in r.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _complete(coroutine):
    """Run a coroutine that never suspends, without an event loop.

    ``asyncio.run`` refuses to start when an earlier test in the same process left a
    loop running in this thread (as in-process kernels do), so the result would depend on
    test order.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise AssertionError("the coroutine suspended; it was expected to finish at once")


def test_a_kernel_handed_to_a_page_is_not_culled_before_the_page_connects(monkeypatch):
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    culled = []

    async def cull(self, kernel_id):
        culled.append(kernel_id)

    monkeypatch.setattr(AsyncMappingKernelManager, "cull_kernel_if_idle", cull)
    clock = [1000.0]
    monkeypatch.setattr(serving.time, "monotonic", lambda: clock[0])
    manager = serving.DashboardKernelManager()
    _complete(manager.cull_kernel_if_idle("handed"))  # out of the pool, page not yet here
    clock[0] += serving.UNCONNECTED_GRACE_SECONDS - 1
    _complete(manager.cull_kernel_if_idle("handed"))
    assert culled == []
    clock[0] += 2  # a GET whose page never connected: culled after the grace
    _complete(manager.cull_kernel_if_idle("handed"))
    assert culled == ["handed"]
    manager.notify_connect("tab")  # a page connected once: the usual idle rule at once
    _complete(manager.cull_kernel_if_idle("tab"))
    assert culled == ["handed", "tab"]


def test_pre_heated_kernels_start_in_turn_and_a_visitors_kernel_at_once(monkeypatch):
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    started, waits = [], []

    async def start(self, **kwargs):
        started.append(kwargs["env"]["VOILA_PREHEAT"])
        return f"k{len(started)}"

    async def sleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", start)
    monkeypatch.setattr(serving.asyncio, "sleep", sleep)
    monkeypatch.setattr(serving.time, "monotonic", lambda: 500.0)
    manager = serving.DashboardKernelManager()
    pooled = {"env": {"VOILA_PREHEAT": "True"}}
    ids = [_complete(manager.start_kernel(**pooled)) for _ in range(3)]
    assert ids == ["k1", "k2", "k3"]
    spacing = serving.POOL_START_SPACING_SECONDS
    assert waits == [0.0, spacing, 2 * spacing]
    assert _complete(manager.start_kernel(env={"VOILA_PREHEAT": "False"})) == "k4"
    assert waits == [0.0, spacing, 2 * spacing]  # the visitor's kernel did not wait


def test_a_dashboard_kernel_imports_neither_calibration_nor_the_slow_iri_checker():
    """Each is over 1 s of a pre-heated kernel's start, and calibration 46 MB of its memory."""
    code = (
        "import sys, simsrc.ui.dashboard, altair as alt, jsonschema\n"
        "alt.Chart({'values': [{'a': 1}]}).mark_bar().encode(x='a:Q').to_dict(validate=True)\n"
        "checker = jsonschema.Draft7Validator.FORMAT_CHECKER\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent') is None, 'iri' in checker.checkers,"
        " 'date' in checker.checkers, 'simsrc.calibration' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "VOILA_APP_PORT"}
    outside = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
    inside = subprocess.run([sys.executable, "-c", code], env={**env, "VOILA_APP_PORT": "8866"},
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert outside.stdout.split() == ["False", "True", "True", "False"]
    assert inside.stdout.split() == ["True", "False", "True", "False"]
