"""Scenario files (TOML): strict loading and atomic saving.

Reading uses the standard library's :mod:`tomllib`; writing uses ``tomli-w`` (the
small, well-kept writer paired with it). Files over :data:`MAX_FILE_BYTES` are refused
before parsing; a parse error names the line and column; saving writes a temporary file
next to the target and atomically replaces it, so a failure part-way leaves the old
file byte-for-byte intact.
"""

from __future__ import annotations

import os
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from simsrc.errors import ScenarioError
from simsrc.scenario import Scenario

MAX_FILE_BYTES = 1_000_000
"""Largest scenario file accepted (1 MB): scenario files are small; anything bigger is
a mistake (a data file passed by accident) or an attack."""


def parse_scenario_text(text: str, source: str = "<text>") -> Scenario:
    """Parse TOML text into a validated scenario.

    Parameters
    ----------
    text : str
        TOML document.
    source : str
        Name used in error messages.

    Raises
    ------
    ScenarioError
        On malformed TOML (with line and column) or invalid content (with field path).
    """
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ScenarioError(source, f"file is larger than {MAX_FILE_BYTES:,} bytes; refused")
    try:
        data = tomllib.loads(text)
        return Scenario.from_dict(data)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, f"not valid TOML: {exc}") from None
    except RecursionError:  # e.g. arrays nested thousands deep: not a scenario
        raise ScenarioError(source, "values are nested too deeply to be a scenario") from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load a scenario from a TOML file.

    Examples
    --------
    >>> import simsrc, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> simsrc.save_scenario(simsrc.preset("b2b-saas"), d / "s.toml")
    >>> simsrc.load_scenario(d / "s.toml") == simsrc.preset("b2b-saas")
    True
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ScenarioError(str(p), "no such file") from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError(str(p), f"file is larger than {MAX_FILE_BYTES:,} bytes; refused")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(p), "not a UTF-8 text file") from None
    return parse_scenario_text(text, str(p))


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text (what :func:`save_scenario` writes)."""
    data: dict[str, Any] = scenario.to_dict()
    header = (
        "# simsrc scenario file: edit values, keep the keys. Parameters, units and allowed\n"
        "# ranges: `simsrc params` or simsrc.PARAMETERS.to_frame().\n"
    )
    return header + tomli_w.dumps(data)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text to a file so that a failure never leaves it half-written.

    The text goes to a temporary file in the same directory, is flushed to disk and
    moved over the target in one step; on any failure the temporary file is removed and
    an existing file at ``path`` is left untouched. A symbolic link is followed (its
    target is replaced, the link stays); an existing file keeps its permissions, a new
    one gets the usual ones (``0o666`` less the umask).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_text_atomic(f, "hello")
    >>> f.read_text()
    'hello'
    """
    p = Path(path)
    if p.is_symlink():
        p = p.resolve()
    try:
        mode = stat.S_IMODE(p.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> None:
    """Write a scenario to a TOML file atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, scenario_to_toml(scenario))
