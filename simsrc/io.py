"""Files: strict, bounded reading and atomic writing, for every file the project touches.

Scenario files are TOML, read with the standard library's :mod:`tomllib` and written
with ``tomli-w`` (the small, well-kept writer paired with it). Every file simsrc writes
(scenarios, CSV tables, reports, caches) goes through :func:`atomic_output`: the data
go to a temporary file beside the target, which then replaces it in one step, so a
failure or a kill part-way leaves the old file byte-for-byte intact and no temporary
file behind. Commands check their outputs with :func:`check_output` before any work.

Reading is bounded: :func:`read_bytes_limited` refuses anything that is not a regular
file (a FIFO would block forever, ``/dev/zero`` never ends) and reads at most the limit
plus one byte, whatever the file claims its size is.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

from simsrc.errors import ScenarioError
from simsrc.scenario import Scenario

MAX_FILE_BYTES = 1_000_000
"""Largest scenario file accepted (1 MB): scenario files are small; anything bigger is
a mistake (a data file passed by accident) or an attack. What simsrc writes obeys the
same limit (:func:`scenario_to_toml`)."""


def _too_large(source: str) -> ScenarioError:
    return ScenarioError(
        source, f"file is larger than {MAX_FILE_BYTES:,} bytes, the most simsrc reads; refused"
    )


def require_regular_file(path: str | os.PathLike[str]) -> Path:
    """The path, if it names an existing regular file (symbolic links followed).

    Raises
    ------
    ScenarioError
        Naming the path: no such file, a folder, or a special file (FIFO, device,
        socket) that could block or never end.

    Examples
    --------
    >>> require_regular_file("/dev/zero")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simsrc.errors.ScenarioError: /dev/zero: is not a regular file (a device, FIFO or ...
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ScenarioError(str(p), "no such file") from None
    except NotADirectoryError:
        raise ScenarioError(str(p), "no such file (a part of the path is not a folder)") from None
    except OSError as exc:
        raise ScenarioError(str(p), f"cannot be read: {exc.strerror or exc}") from None
    _check_mode(st.st_mode, str(p))
    return p


def _check_mode(mode: int, source: str) -> None:
    if stat.S_ISDIR(mode):
        raise ScenarioError(source, "is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise ScenarioError(source, "is not a regular file (a device, FIFO or socket); refused")


def read_bytes_limited(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a regular file of at most ``limit`` bytes.

    The file is opened without blocking and checked on the open descriptor (so it cannot
    be swapped for a FIFO in between), and at most ``limit + 1`` bytes are read.

    Raises
    ------
    ScenarioError
        Naming the path, when it is missing, not a regular file, unreadable or too large.
    """
    p = require_regular_file(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ScenarioError(str(p), f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        _check_mode(os.fstat(fd).st_mode, str(p))
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise ScenarioError(str(p), f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise _too_large(str(p))
    return raw


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
    if not isinstance(text, str):
        raise ScenarioError(source, f"must be TOML text (got {type(text).__name__})")
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise _too_large(source)
    try:
        data = tomllib.loads(text)
        return Scenario.from_dict(data)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, f"not valid TOML: {exc}") from None
    except RecursionError:  # e.g. arrays nested thousands deep: not a scenario
        raise ScenarioError(source, "values are nested too deeply to be a scenario") from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load a scenario from a TOML file.

    Raises
    ------
    ScenarioError
        When the file is missing, not a regular file, larger than
        :data:`MAX_FILE_BYTES`, not UTF-8, not TOML, or not a valid scenario.

    Examples
    --------
    >>> import simsrc, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> simsrc.save_scenario(simsrc.preset("b2b-saas"), d / "s.toml")
    >>> simsrc.load_scenario(d / "s.toml") == simsrc.preset("b2b-saas")
    True
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a file name (got {type(path).__name__})")
    raw = read_bytes_limited(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "not a UTF-8 text file") from None
    return parse_scenario_text(text, str(path))


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text (what :func:`save_scenario` writes).

    Raises
    ------
    ScenarioError
        If the text would be larger than :data:`MAX_FILE_BYTES`: simsrc writes nothing
        it would refuse to read back.
    """
    data: dict[str, Any] = scenario.to_dict()
    header = (
        "# simsrc scenario file: edit values, keep the keys. Parameters, units and allowed\n"
        "# ranges: `simsrc params` or simsrc.PARAMETERS.to_frame().\n"
    )
    text = header + tomli_w.dumps(data)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ScenarioError(
            scenario.name[:60],
            f"as a file this scenario would be larger than {MAX_FILE_BYTES:,} bytes, the most "
            "simsrc reads; refused (shorten the description or use fewer segments or causes)",
        )
    return text


def check_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check, before any work, that a command may write ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        File to be written.
    force : bool
        Whether an existing file may be overwritten (the CLI's ``--force``).

    Returns
    -------
    Path
        The path.

    Raises
    ------
    ScenarioError
        Naming the path: it is a folder or a special file, it exists and ``force`` is
        false, or its folder is missing or not writable.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> check_output(f) == f
    True
    >>> _ = f.write_text("x")
    >>> check_output(f)
    Traceback (most recent call last):
    ...
    simsrc.errors.ScenarioError: ...a.csv: exists; add --force to overwrite it
    """
    p = Path(path)
    if p.exists():
        if p.is_dir():
            raise ScenarioError(str(p), "is a folder; give a file name to write")
        if not p.is_file():
            raise ScenarioError(str(p), "is not a regular file (a device, FIFO or socket)")
        if not force:
            raise ScenarioError(str(p), "exists; add --force to overwrite it")
    elif p.is_symlink() and not force:
        raise ScenarioError(str(p), "exists (a broken link); add --force to overwrite it")
    parent = p.resolve().parent if p.is_symlink() else (p.parent if str(p.parent) else Path("."))
    if not parent.is_dir():
        raise ScenarioError(str(p), f"folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ScenarioError(str(p), f"folder {parent} is not writable")
    return p


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path to write to, moved over ``path`` only when the block succeeds.

    For writers that take a file name (DuckDB ``COPY``, ``DataFrame.to_parquet``). The
    temporary file lies in the target's folder (so the replace is one atomic rename), is
    flushed to disk before it replaces the target, and is removed on any failure,
    including ``KeyboardInterrupt``; the target then keeps its old content. A symbolic
    link is followed (its target is replaced, the link stays); an existing file keeps
    its permissions, a new one gets the usual ones (``0o666`` less the umask).

    Raises
    ------
    OSError
        Of the same kind as the failure, naming ``path`` (never the temporary file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> with atomic_output(f) as tmp:
    ...     _ = tmp.write_bytes(b"hello")
    >>> f.read_bytes()
    b'hello'
    """
    p = Path(path)
    if p.is_symlink():
        p = p.resolve()
    if p.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    try:
        mode = stat.S_IMODE(p.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno is not None and exc.filename in (tmp_name, str(tmp), None):
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to a file so that a failure never leaves it half-written.

    See :func:`atomic_output` for the guarantees.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_atomic(f, "hello")
    >>> f.read_text()
    'hello'
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_output(path) as tmp, open(tmp, "wb") as fh:
        fh.write(raw)


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> None:
    """Write a scenario to a TOML file atomically (see :func:`atomic_output`).

    Raises
    ------
    ScenarioError
        If the file would be larger than :data:`MAX_FILE_BYTES`; nothing is written.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario (got {type(scenario).__name__})")
    write_atomic(path, scenario_to_toml(scenario))
