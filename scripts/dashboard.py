"""Serve the dashboards with Voila on 127.0.0.1 and print where (``make dashboard``).

Usage: ``python scripts/dashboard.py [--port 8866] [extra Voila options]``

Voila reads the project's settings from ``voila.json`` in the repository root (bound to
127.0.0.1, no port hopping, sources stripped, tracebacks hidden, idle kernels culled, one
pre-heated kernel per dashboard). This script starts it from there, waits until it
answers and its pre-heated kernels are ready, prints the addresses and stops it (with
its kernels) on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DASHBOARDS = {
    "Executive dashboard": "executive_dashboard.ipynb",
    "Save team (offer mix)": "offer_mix_dashboard.ipynb",
}


def voila_command(port: int, *extra: str) -> list[str]:
    """The Voila command line serving ``notebooks/`` on ``127.0.0.1:port``."""
    voila = Path(sys.executable).with_name("voila")
    exe = [str(voila)] if voila.exists() else [sys.executable, "-m", "voila"]
    return [
        *exe,
        "notebooks",
        f"--port={port}",
        f"--Voila.ip={HOST}",  # also in voila.json; a bare --ip is ignored by Voila 0.5
        "--Voila.port_retries=0",  # a busy port is an error, not a silent move
        "--no-browser",
        *extra,
    ]


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``127.0.0.1:port``."""
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port that is free on 127.0.0.1 right now (for tests and benchmarks)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Block until Voila answers on ``port`` (or raise if it exits or times out)."""
    url = f"http://{HOST}:{port}/voila/static/voila.js"
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
    port: int, *extra: str, env: dict[str, str] | None = None, log: IO[bytes] | None = None
) -> tuple[subprocess.Popen[bytes], threading.Event]:
    """Start Voila; the event is set once every dashboard's pre-heated kernel is ready.

    Voila's output is passed on (to ``log``, or this process's stdout) line by line and
    watched for "Kernel pool of <notebook> is filled", which Voila logs when a pool's
    kernel has run its notebook and waits for a visitor.
    """
    proc = subprocess.Popen(
        voila_command(port, *extra), cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    warm = threading.Event()
    pending = set(DASHBOARDS.values())
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


def wait_until_warm(proc: subprocess.Popen[bytes], warm: threading.Event, timeout: float) -> bool:
    """Block until every dashboard's pre-heated kernel has run its notebook.

    Voila reports a pool "filled" as soon as its kernel has started; the kernel then
    runs the notebook (imports, first simulation, chart). Running means busy: the
    kernels are warm once Voila has reported every pool and its kernel processes have
    been idle (under 5 % CPU) for a second.
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
        kernels = [c for c in server.children(recursive=True)
                   if "ipykernel" in " ".join(c.cmdline())]  # fmt: skip
        try:
            busy = [k.cpu_percent(interval=None) for k in kernels]
            time.sleep(0.5)
            busy = [k.cpu_percent(interval=None) for k in kernels]
        except psutil.Error:
            continue
        quiet = quiet + 1 if len(kernels) >= len(DASHBOARDS) and max(busy) < 5 else 0
        if quiet >= 2:
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    """Start Voila, print the addresses, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8866)))
    args, extra = parser.parse_known_args(argv)
    if not port_is_free(args.port):
        print(
            f"dashboard: port {args.port} on {HOST} is busy (another dashboard running?); "
            "choose another with PORT=<port> make dashboard",
            file=sys.stderr,
        )
        return 2
    proc, warm = launch(args.port, *extra)

    def stop(*_: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    try:
        wait_until_ready(args.port, proc)
        print("\nVoila answers; pre-heating one kernel per dashboard…", flush=True)
        if not wait_until_warm(proc, warm, timeout=180):
            print("dashboard: kernels still warming up; the first visit will wait", flush=True)
        base = f"http://{HOST}:{args.port}"
        print(f"\nDashboards are ready at {base}/", flush=True)
        for title, nb in DASHBOARDS.items():
            print(f"  {title + ':':24} {base}/voila/render/{nb}", flush=True)
        print("Press Ctrl-C to stop.\n", flush=True)
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
