"""Fixtures for the browser tests: Voila on a free port, headless Chromium, offline pages.

Chromium is Debian's (``/usr/bin/chromium``, no browser download). When it or Playwright
is missing the tests are skipped with the reason, except under ``CI=true``, where a
missing browser is a failure. Every request that is not to 127.0.0.1 is aborted and
recorded, which is how the tests prove that the dashboards work offline. Screenshots
and the Voila log go to ``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

_spec = importlib.util.spec_from_file_location(
    "dashboard_launcher", ROOT / "scripts" / "dashboard.py"
)
assert _spec and _spec.loader
launcher = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launcher)


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _missing(f"no Chromium at {path} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright for Python is not installed")
    return path


@dataclass(frozen=True)
class Server:
    """A running Voila: its address and process id (its kernels are its children)."""

    url: str
    pid: int


@pytest.fixture(scope="session")
def voila_server(chromium_path, tmp_path_factory):
    """Voila serving the dashboards as ``make dashboard`` does, on a free 127.0.0.1 port.

    One pre-heated executive dashboard instead of five: the tests check behaviour, and
    CI's two cores would spend their first minute pre-heating.
    """
    home = tmp_path_factory.mktemp("voila-home")
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
                "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):  # fmt: skip
        env[var] = str(home / var.lower())
    env["PYTHONUNBUFFERED"] = "1"
    env[launcher.POOL_VARIABLE] = "1"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = launcher.free_port()
    log = (ARTIFACTS / "voila.log").open("wb")
    proc = subprocess.Popen(
        launcher.voila_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        launcher.wait_until_ready(port, proc, timeout=90)
        yield Server(f"http://127.0.0.1:{port}", proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def voila_url(voila_server):
    return voila_server.url


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, voila_url, request):
    """A fresh page; outside requests aborted and recorded; a screenshot when done."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.external = []  # type: ignore[attr-defined]
    page.console_errors = []  # type: ignore[attr-defined]

    def route(r):
        if r.request.url.startswith(voila_url + "/"):
            r.continue_()
        else:
            page.external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.set_viewport_size({"width": 1440, "height": 2300})
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    finally:
        # close the tab as a person does, so that its kernel is shut down now rather than
        # culled later: the next tests get the machine's cores
        with contextlib.suppress(Exception), page.expect_event("close", timeout=5_000):
            page.close(run_before_unload=True)
        time.sleep(1)  # the browser sends the tab's shutdown beacon after it closes
        context.close()
