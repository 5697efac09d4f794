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
import errno
import os
import secrets
import stat
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario

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
    simsrc.ScenarioError: /dev/zero: is not a regular file (a device, FIFO or ...
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


def _estimation_toml(table: dict[str, Any]) -> str:
    """The ``[estimation]`` table with one parameter set per line.

    tomli_w writes a long array one number per line, which turns 200 draws of a dozen
    parameters into thousands of lines; a row per line keeps the file readable (each
    row is a parameter set). Strings go through tomli_w for their escaping; floats are
    written with ``repr``, which TOML reads back exactly (draws are finite).
    """
    head = {k: v for k, v in table.items() if k != "draws"}
    rows = ",\n".join(
        "    [" + ", ".join(repr(float(x)) for x in row) + "]" for row in table.get("draws", ())
    )
    return (
        tomli_w.dumps({"estimation": head})
        + "# one parameter set per line, in the order of paths\n"
        + f"draws = [\n{rows},\n]\n"
    )


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
    estimation = data.pop("estimation", None)
    text = header + tomli_w.dumps(data)
    if estimation:
        text += "\n" + _estimation_toml(estimation)
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
    simsrc.ScenarioError: ...a.csv: exists; add --force to overwrite it
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


def _anonymous_file(folder: Path) -> int | None:
    """A descriptor of a nameless new file in ``folder`` (Linux ``O_TMPFILE``), or None.

    A nameless file vanishes with the process, so even a write killed by SIGKILL leaves
    nothing behind. Where the system or the file system cannot make one, None.
    """
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not Path("/proc/self/fd").is_dir():
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o600)
    except OSError:  # e.g. EOPNOTSUPP on a file system without O_TMPFILE
        return None


def _named_temp(folder: Path, name: str) -> Path:
    return folder / f".{name}.{secrets.token_hex(6)}.tmp"


def _give_name(fd: int, folder: Path, name: str) -> Path:
    """Give the nameless file ``fd`` a temporary name in ``folder``, ready to be renamed.

    Linking ``/proc/self/fd/N`` is the documented way; where the system refuses it (some
    sandboxes answer EXDEV) the bytes are copied in the kernel to a new named file, so a
    kill can leave a temporary file only during this last copy, not while writing.
    """
    named = _named_temp(folder, name)
    try:
        os.link(f"/proc/self/fd/{fd}", named, follow_symlinks=True)
        return named
    except OSError:
        pass
    out = os.open(named, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        size, offset = os.fstat(fd).st_size, 0
        while offset < size:
            sent = os.sendfile(out, fd, offset, size - offset)
            if sent == 0:
                raise OSError(errno.EIO, "short copy", str(named))
            offset += sent
        os.fsync(out)
    except BaseException:
        named.unlink(missing_ok=True)
        raise
    finally:
        os.close(out)
    return named


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path to write to, moved over ``path`` only when the block succeeds.

    For writers that take a file name (DuckDB ``COPY``, ``DataFrame.to_parquet``). The
    temporary file lies in the target's folder (so the replace is one atomic rename) and
    is flushed to disk before it replaces the target. On any failure, including
    ``KeyboardInterrupt``, it is removed and the target keeps its old content. On Linux
    the temporary file has no name until the very end (``O_TMPFILE``, given to the
    writer as ``/proc/self/fd/N``), so a process killed part-way leaves nothing behind
    either. A symbolic link is followed (its target is replaced, the link stays); an
    existing file keeps its permissions, a new one gets the usual ones (``0o666`` less
    the umask). The temporary path's name has no meaningful suffix: tell the writer the
    format explicitly (``FORMAT CSV``), do not let it guess from the name.

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
    >>> f.read_bytes(), [p.name for p in f.parent.iterdir()]
    (b'hello', ['a.bin'])
    """
    p = Path(path)
    if p.is_symlink():
        p = p.resolve()
    if p.is_dir():
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    folder = p.parent
    try:
        mode = stat.S_IMODE(p.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd = _anonymous_file(folder)
    named: Path | None = None
    try:
        if fd is not None:
            yield Path(f"/proc/self/fd/{fd}")
            os.fsync(fd)
            named = _give_name(fd, folder, p.name)
            os.chmod(named, mode)
        else:
            handle, name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
            os.close(handle)
            named = Path(name)
            yield named
            with open(named, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(named, mode)
        os.replace(named, p)
        named = None
    except OSError as exc:
        if exc.errno is None or (exc.filename is not None and str(exc.filename) == str(p)):
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    finally:
        if fd is not None:
            os.close(fd)
        if named is not None:
            named.unlink(missing_ok=True)


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
