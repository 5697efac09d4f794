"""Serve the dashboards with Voila on 127.0.0.1 and print where (``make dashboard``).

Usage: ``python scripts/dashboard.py [--port 8866] [--lessons] [extra Voila options]``

Voila reads the project's settings from ``config/voila.py`` (bound to
127.0.0.1, no port hopping, sources stripped, tracebacks hidden, pre-heated kernels,
kernels freed when their tab closes; the serving behaviour is
:mod:`simsrc.ui.serving`). Only the dashboards are served — a directory of links to
them — unless ``--lessons`` asks for every notebook in ``notebooks/``. This script starts
Voila, waits until it answers and its pre-heated kernels are ready, prints the addresses
and stops it (with its kernels) on Ctrl-C.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from simsrc.ui.serving import (
    CULL_IDLE_SECONDS,
    DASHBOARDS,
    POOL_VARIABLE,
    TOKEN_VARIABLE,
    exposure_error,
    pool_sizes,
)

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def served_directory(lessons: bool = False) -> Path:
    """What Voila serves: ``notebooks/``, or a directory of links to the dashboards only.

    A GET of any served notebook starts a kernel, so the lessons are not served unless
    asked for. The links live in the temporary directory, one directory per checkout,
    and point at ``notebooks/`` (edits show on the next page load).
    """
    notebooks = ROOT / "notebooks"
    if lessons:
        return notebooks
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]
    root = Path(tempfile.gettempdir()) / f"simsrc-dashboards-{tag}"
    root.mkdir(exist_ok=True)
    for name in DASHBOARDS:
        link = root / name
        if not link.is_symlink() or link.resolve() != notebooks / name:
            link.unlink(missing_ok=True)
            link.symlink_to(notebooks / name)
    return root


def voila_command(port: int, *extra: str, lessons: bool = False, host: str = HOST) -> list[str]:
    """The Voila command line serving the dashboards on ``host:port``."""
    voila = Path(sys.executable).with_name("voila")
    exe = [str(voila)] if voila.exists() else [sys.executable, "-m", "voila"]
    return [
        *exe,
        str(served_directory(lessons)),
        f"--port={port}",
        f"--Voila.config_file_paths={ROOT / 'config'}",  # config/voila.py
        f"--Voila.ip={host}",  # a bare --ip is ignored by Voila 0.5
        "--Voila.port_retries=0",  # a busy port is an error, not a silent move
        "--no-browser",
        *extra,
    ]


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether nothing listens on ``host:port``."""
    with socket.socket() as s:
        # as Voila binds: connections of a server stopped a moment ago (TIME_WAIT) do
        # not make the port busy, a listening server does
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port that is free on 127.0.0.1 right now (for tests and benchmarks)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until_ready(
    port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0, host: str = HOST
) -> None:
    """Block until Voila answers on ``port`` (or raise if it exits or times out)."""
    url = f"http://{host}:{port}/voila/static/voila.js"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Voila exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"Voila did not answer on port {port} within {timeout:.0f} s")


def launch(
    port: int,
    *extra: str,
    env: dict[str, str] | None = None,
    log: IO[bytes] | None = None,
    lessons: bool = False,
    host: str = HOST,
) -> tuple[subprocess.Popen[bytes], threading.Event]:
    """Start Voila; the event is set once every dashboard's pre-heated kernel is ready.

    Voila's output is passed on (to ``log``, or this process's stdout) line by line and
    watched for "Kernel pool of <notebook> is filled", which Voila logs when a pool's
    kernel has run its notebook and waits for a visitor.
    """
    proc = subprocess.Popen(
        voila_command(port, *extra, lessons=lessons, host=host), cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    warm = threading.Event()
    pending = set(DASHBOARDS)
    sink = log if log is not None else sys.stdout.buffer

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            sink.write(line)
            sink.flush()
            text = line.decode(errors="replace")
            for nb in list(pending):
                if f"Kernel pool of {nb} is filled" in text:
                    pending.discard(nb)
            if not pending:
                warm.set()

    threading.Thread(target=pump, daemon=True).start()
    return proc, warm


def wait_until_warm(
    proc: subprocess.Popen[bytes], warm: threading.Event, timeout: float, kernels: int
) -> bool:
    """Block until every dashboard's pre-heated kernel has run its notebook.

    Voila reports a pool "filled" as soon as its kernel has started; the kernel then
    runs the notebook (imports, first simulation, chart). Running means busy: the
    kernels are warm once Voila has reported every pool and its ``kernels`` kernel
    processes have been idle (under 5 % CPU) for a second.
    """
    deadline = time.monotonic() + timeout
    if not warm.wait(timeout):
        return False
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        return True
    server = psutil.Process(proc.pid)
    quiet = 0
    while time.monotonic() < deadline:
        try:  # a kernel may exit as we look (psutil.ZombieProcess, NoSuchProcess)
            running = [c for c in server.children(recursive=True)
                       if "ipykernel" in " ".join(c.cmdline())]  # fmt: skip
            busy = [k.cpu_percent(interval=None) for k in running]
            time.sleep(0.5)
            busy = [k.cpu_percent(interval=None) for k in running]
        except psutil.Error:
            continue
        quiet = quiet + 1 if len(running) >= kernels and max(busy, default=0) < 5 else 0
        if quiet >= 2:
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    """Start Voila, print the addresses, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8866)))
    parser.add_argument(
        "--lessons", action="store_true", help="also serve the lessons and workbooks"
    )
    parser.add_argument(
        "--host",
        default=HOST,
        help=f"address to serve on (default {HOST}: this computer only; any other needs "
        f"{TOKEN_VARIABLE})",
    )
    parser.add_argument(
        "--pool",
        metavar="N",
        help="executive dashboards kept pre-heated, 0 to 20 (default 5; about 300 MB each)",
    )
    args, extra = parser.parse_known_args(argv)
    env = dict(os.environ)
    if args.pool is not None:
        env[POOL_VARIABLE] = args.pool
    try:
        pools = pool_sizes(env)
    except ValueError:
        where = "--pool" if args.pool is not None else POOL_VARIABLE
        got = env[POOL_VARIABLE]
        print(f"dashboard: {where} must be a whole number from 0 to 20 (got {got!r})",
              file=sys.stderr)  # fmt: skip
        return 2
    refused = exposure_error(args.host, env.get(TOKEN_VARIABLE, ""))
    if refused:
        print(f"dashboard: {refused}", file=sys.stderr)
        return 2
    if not port_is_free(args.port, args.host):
        print(
            f"dashboard: port {args.port} on {args.host} is busy (another dashboard running?); "
            "choose another with PORT=<port> make dashboard",
            file=sys.stderr,
        )
        return 2
    proc, warm = launch(args.port, *extra, env=env, lessons=args.lessons, host=args.host)

    def stop(*_: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    try:
        shown = HOST if args.host in ("0.0.0.0", "::") else args.host
        wait_until_ready(args.port, proc, host=shown)
        print("\nVoila answers; pre-heating the dashboards' kernels…", flush=True)
        if not wait_until_warm(proc, warm, timeout=240, kernels=sum(pools.values())):
            print("dashboard: kernels still warming up; the first visit will wait", flush=True)
        base = f"http://{shown}:{args.port}"
        print(f"\nDashboards are ready. Home page: {base}/", flush=True)
        for nb, (title, _) in DASHBOARDS.items():
            print(f"  {title + ':':24} {base}/voila/render/{nb}", flush=True)
        if args.lessons:
            print(f"  {'Lessons and workbooks:':24} listed on the home page", flush=True)
        if env.get(TOKEN_VARIABLE, "").strip():
            print(f"Visitors open {base}/?token=<{TOKEN_VARIABLE}> once (then a cookie).")
        print(
            f"A closed tab frees its kernel; one left without a page is stopped after "
            f"{CULL_IDLE_SECONDS} s.\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        return proc.wait()
    except KeyboardInterrupt:
        stop()
        return proc.wait()
    except (RuntimeError, TimeoutError) as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        stop()
        proc.wait()
        return 1


if __name__ == "__main__":
    sys.exit(main())
