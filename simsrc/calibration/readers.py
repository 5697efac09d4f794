"""Reading customer data: CSV or Parquet files, or a SQL query against a database.

This is the only part of :mod:`simsrc.calibration` that touches files or databases.
DuckDB (embedded, no server) is the default reader: it reads CSV and Parquet files and
runs SQL over them. Any other database is reached through one code path, the Python
DB-API 2.0 (PEP 249): a connection object (``sqlite3``, ``psycopg``, a DuckDB
connection, …), a ``sqlite:///file`` or ``duckdb:///file`` URL handled without extra
packages, or any other SQLAlchemy URL (``postgresql://…``; needs SQLAlchemy installed),
whose engine hands over its raw DB-API connection.

CSV files are read with every column as text (``N/A``, ``NA`` and empty fields as
missing) so that the calibration, not the reader, decides how to parse numbers and
dates — and can name the first offending rows when it cannot.

Text encodings: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
(Excel's "Unicode text"), and anything else read as Latin-1 (ISO-8859-1) — every byte is
a Latin-1 character, so older exports (Latin-1, most of Windows-1252) still load, and the
report says so. Files that are not text at all (a ZIP or Excel workbook renamed ``.csv``,
anything holding NUL bytes) are refused by name before DuckDB sees them. Only regular
files are opened (a FIFO or ``/dev/zero`` would block or never end), and every error of
DuckDB, SQLite or pandas while reading becomes one :class:`~simsrc.model.errors.ScenarioError`
line naming the file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from simsrc.model.errors import ScenarioError
from simsrc.model.files import require_regular_file

__all__ = ["NULL_STRINGS", "Read", "read_customers", "read_sql", "read_with_notes"]

NULL_STRINGS = ("N/A", "NA", "n/a", "#N/A", "NULL", "null", "")
"""Text read as a missing value in CSV files."""

_CSV = (".csv", ".tsv", ".txt")
_PARQUET = (".parquet", ".pq")
_DATABASES = (".duckdb", ".db", ".sqlite", ".sqlite3")

_SNIFF_BYTES = 65_536
"""How much of a CSV file is looked at to tell text from binary and find its encoding."""

_BINARY_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file"),
    (b"PAR1", "a Parquet file (name it .parquet)"),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook (or another Office file)"),
    (b"SQLite format 3\x00", "a SQLite database (give a SQL query with --query)"),
    (b"%PDF", "a PDF document"),
)
"""Leading bytes of common binary formats mistaken for CSV, and what to call them."""

_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-16": "UTF-16", "latin-1": "Latin-1 (ISO-8859-1)"}


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _file_relation(path: Path, encoding: str = "utf-8") -> str:
    """DuckDB table expression reading a CSV (in ``encoding``) or Parquet file."""
    suffix = path.suffix.lower()
    if suffix in _CSV:
        nulls = ", ".join(_literal(s) for s in NULL_STRINGS)
        delim = ", delim='\\t'" if suffix == ".tsv" else ""
        enc = "" if encoding == "utf-8" else f", encoding={_literal(encoding)}"
        return f"read_csv({_literal(str(path))}, all_varchar=true, nullstr=[{nulls}]{delim}{enc})"
    if suffix in _PARQUET:
        return f"read_parquet({_literal(str(path))})"
    raise ScenarioError(
        str(path),
        f"unsupported file type {suffix or '(none)'!r}: use .csv, .tsv or .parquet, or a "
        "database with a SQL query (--query)",
    )


def _duckdb() -> Any:
    """The duckdb module, imported on first use (heavy; a DataFrame never needs it)."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        raise ScenarioError("reader", "DuckDB is not installed (pip install duckdb)") from None
    return duckdb


def _check_file(path: Path) -> None:
    """Refuse a missing path, a folder, a special file (FIFO, device) or an empty file."""
    require_regular_file(path)
    if path.stat().st_size == 0:
        raise ScenarioError(str(path), "the file is empty (no header, no rows)")


def _csv_encoding(path: Path) -> str:
    """The encoding to read a CSV file with first (``utf-8`` or ``utf-16``).

    Raises
    ------
    ScenarioError
        Naming the file, when its first bytes show it is not text: a known binary format
        (ZIP, gzip, Excel, Parquet, …) or NUL bytes outside UTF-16.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as err:
        raise ScenarioError(str(path), f"cannot be read: {err.strerror or err}") from None
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise ScenarioError(
                str(path), f"is not a CSV text file: it looks like {what}; export it as CSV"
            )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head:
        raise ScenarioError(
            str(path),
            "is not a CSV text file: it holds binary data (NUL bytes); accepted are CSV "
            "text files in UTF-8, UTF-16 (with byte-order mark) or Latin-1",
        )
    return "utf-8"


def _check_split(path: Path, df: pd.DataFrame) -> None:
    """Refuse a CSV that DuckDB read as one column because its lines do not agree.

    When no delimiter gives every line the same number of fields, DuckDB's sniffer falls
    back to one column named after the whole header line: say so, instead of letting the
    calibration report a missing tenure column.
    """
    if path.suffix.lower() not in _CSV or len(df.columns) != 1:
        return
    header = str(df.columns[0])
    for delim, name in ((",", "commas"), (";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if delim in header:
            raise ScenarioError(
                str(path),
                f"could not be split into columns: the header has {header.count(delim) + 1} "
                f"fields separated by {name}, but some line has a different number (a "
                "missing or extra field, or an unquoted separator inside a value)",
            )


def _is_encoding_error(message: str) -> bool:
    """Whether a DuckDB error says the file is not in the encoding it was read with."""
    text = message.lower()
    return "invalid unicode" in text or "not utf-8 encoded" in text


def _duckdb_message(err: BaseException) -> str:
    """DuckDB's message cut to its informative first line(s), one line in all.

    DuckDB's CSV errors start with a bare "CSV Error on Line: N" and put the reason on
    the next line, followed by the raw line and many "Possible Solution" hints; the
    reason is kept, the rest dropped.
    """
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    if not lines:
        return type(err).__name__
    first = lines[0].removeprefix("Invalid Input Error: ").removeprefix("IO Error: ")
    rest = [
        ln
        for ln in lines[1:]
        if not ln.startswith(("Original Line", "Possible Solution", "Possible fixes", "*"))
    ]
    if rest and (first.startswith("CSV Error on Line") or first.startswith("Error when sniffing")):
        first = f"{first.rstrip('.')}: {rest[0]}"
    return first if len(first) <= 300 else first[:299] + "…"


def _run_on_file(path: Path, query: str | None) -> tuple[pd.DataFrame, str]:
    """Read a CSV / Parquet file (or run ``query`` over it as table ``data``) in DuckDB.

    A CSV that is not valid UTF-8 is read again as Latin-1.

    Returns
    -------
    data : pandas.DataFrame
    encoding : str
        ``utf-8``, ``utf-16`` or ``latin-1`` (``utf-8`` for Parquet).

    Raises
    ------
    ScenarioError
        Naming the file (or ``query`` for an error in the query) with DuckDB's reason.
    """
    duckdb = _duckdb()
    relation = _file_relation(path)  # refuses unsupported suffixes before anything is read
    encoding = _csv_encoding(path) if path.suffix.lower() in _CSV else "utf-8"
    while True:
        relation = _file_relation(path, encoding)
        con = duckdb.connect()
        try:
            if query is None:
                df = con.sql(f"SELECT * FROM {relation}").df()
                _check_split(path, df)
                return df, encoding
            con.execute(f"CREATE VIEW data AS SELECT * FROM {relation}")
            return read_sql(query, con), encoding
        except (duckdb.Error, ScenarioError) as err:
            message = str(err)
            if encoding == "utf-8" and path.suffix.lower() in _CSV and _is_encoding_error(message):
                encoding = "latin-1"  # every byte is a Latin-1 character: this cannot fail so
                continue
            if isinstance(err, ScenarioError):
                raise
            raise ScenarioError(
                str(path), f"cannot read the file: {_duckdb_message(err)}"
            ) from None
        except (ValueError, TypeError, OverflowError, MemoryError) as err:
            # pandas / pyarrow converting DuckDB's result (e.g. exotic Parquet types).
            raise ScenarioError(str(path), f"cannot read the file: {_first_line(err)}") from None
        finally:
            con.close()


def read_customers(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    query: str | None = None,
    connection: Any = None,
) -> tuple[pd.DataFrame, str]:
    """Read customer data into a DataFrame.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv`` / ``.tsv`` / ``.parquet`` file, a DuckDB or SQLite database file (with
        ``query``), or a DataFrame (returned as is). With ``query`` and no
        ``connection``, a data file is available to the query as the table ``data``.
    query : str, optional
        SQL to run; its result is the data.
    connection : optional
        Where to run ``query``: a DB-API connection, a ``duckdb`` / ``sqlite`` / SQLAlchemy
        URL, or ``None`` for an in-memory DuckDB (which can also read files named in the
        query, e.g. ``SELECT * FROM 'customers.parquet'``).

    Returns
    -------
    data : pandas.DataFrame
        The rows, with the column names as given.
    description : str
        Where the data came from (for the report).

    Raises
    ------
    ScenarioError
        Missing or empty file, unsupported file type, a database file without a query,
        or a failing query (the database's message is passed on).

    Examples
    --------
    >>> import sqlite3
    >>> con = sqlite3.connect(":memory:")
    >>> _ = con.execute("CREATE TABLE t (id TEXT, tenure INT)")
    >>> _ = con.execute("INSERT INTO t VALUES ('a', 3), ('b', 5)")
    >>> df, where = read_customers(None, query="SELECT * FROM t", connection=con)
    >>> df["tenure"].tolist(), where
    ([3, 5], 'SQL query on a sqlite3 connection')
    """
    read = read_with_notes(source, query=query, connection=connection)
    return read.frame, read.source


class Read(NamedTuple):
    """Data read for a calibration.

    Attributes
    ----------
    frame : pandas.DataFrame
        The table.
    source : str
        Where it came from (the file, or the query and its database), for the report.
    notes : list of str
        Notes for the report (how an encoding was guessed).
    """

    frame: pd.DataFrame
    source: str
    notes: list[str]


def read_with_notes(
    source: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    query: str | None = None,
    connection: Any = None,
) -> Read:
    """:func:`read_customers`, plus notes for the report (how an encoding was guessed).

    Parameters
    ----------
    source : path, DataFrame or None
        As :func:`read_customers`.
    query : str, optional
        SQL whose result is the data.
    connection : optional
        A DB-API connection or a URL.

    Returns
    -------
    Read
        The table, a description of where it came from, and notes for the report.
    """
    if isinstance(source, pd.DataFrame):
        if query is not None:
            raise ScenarioError("query", "a query needs a file or a database, not a DataFrame")
        return Read(source, "DataFrame", [])
    if source is not None and not isinstance(source, str | os.PathLike):
        raise ScenarioError(
            "data", f"expected a file name or a DataFrame (got {type(source).__name__})"
        )
    path = None if source is None else Path(os.fspath(source))
    notes: list[str] = []

    def note(encoding: str) -> None:
        if encoding == "latin-1":
            notes.append(
                f"{path}: not valid UTF-8 text, read as Latin-1 (ISO-8859-1); if accented "
                "letters look wrong in the reasons table, save the file as UTF-8"
            )

    if query is None:
        if path is None:
            raise ScenarioError("data", "give a file, a DataFrame, or a SQL query")
        _check_file(path)
        if path.suffix.lower() in _DATABASES:
            raise ScenarioError(
                str(path), "a database file needs a SQL query (--query) saying what to read"
            )
        df, encoding = _run_on_file(path, None)
        note(encoding)
        return Read(df, str(path), notes)
    if connection is None and path is not None and path.suffix.lower() in _DATABASES:
        connection = path
    if connection is None:
        if path is not None:
            _check_file(path)
            df, encoding = _run_on_file(path, query)
            note(encoding)
            return Read(df, f"SQL query on {path} (DuckDB)", notes)
        con = _duckdb().connect()
        try:
            return Read(read_sql(query, con), "SQL query (DuckDB)", notes)
        finally:
            con.close()
    if isinstance(connection, (str, os.PathLike)):
        con, label = _connect(connection)
        try:
            return Read(read_sql(query, con), f"SQL query on {label}", notes)
        finally:
            con.close()
    return Read(
        read_sql(query, connection), f"SQL query on a {_kind(connection)} connection", notes
    )


def _kind(connection: Any) -> str:
    module = type(connection).__module__.split(".")[0].lstrip("_")
    return module or "database"


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _open_duckdb(path: Path) -> Any:
    """A read-only DuckDB connection to a database file (refused by name if it is none)."""
    _check_file(path)
    duckdb = _duckdb()
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        raise ScenarioError(
            str(path), f"cannot open the DuckDB database: {_duckdb_message(err)}"
        ) from None


def _open_sqlite(path: Path) -> sqlite3.Connection:
    """A read-only SQLite connection (a bad file is found by the first query)."""
    _check_file(path)
    # as_uri() percent-encodes the path: a "?" or "#" in a file name stays part of it
    uri = path.absolute().as_uri() + "?mode=ro"
    try:
        return sqlite3.connect(uri, uri=True)
    except sqlite3.Error as err:
        raise ScenarioError(str(path), f"cannot open the SQLite database: {err}") from None


def _connect(target: str | os.PathLike[str]) -> tuple[Any, str]:
    """Open a DB-API connection from a URL or a database file path."""
    text = os.fspath(target)
    lower = text.lower()
    if "://" not in text:
        path = Path(text)
        if path.suffix.lower() in (".duckdb",):
            return _open_duckdb(path), f"{path} (DuckDB)"
        return _open_sqlite(path), f"{path} (SQLite)"
    rest = text.split("://", 1)[1]
    where = rest[1:] if rest.startswith("/") else rest  # scheme:///rel, scheme:////abs
    if lower.startswith("duckdb://"):
        if where in ("", ":memory:"):
            return _duckdb().connect(), "DuckDB (in memory)"
        return _open_duckdb(Path(where)), f"{where} (DuckDB)"
    if lower.startswith("sqlite://"):
        if where in ("", ":memory:"):
            return sqlite3.connect(":memory:"), "SQLite (in memory)"
        return _open_sqlite(Path(where)), f"{where} (SQLite)"
    # SQLAlchemy is an optional dependency (the "sql" extra): imported only for a URL
    # that needs it.
    try:
        import sqlalchemy
    except ImportError:
        raise ScenarioError(
            "connection",
            f"{text.split('://', 1)[0]}:// URLs need SQLAlchemy and the database's driver "
            "(pip install sqlalchemy …); or pass a DB-API connection object",
        ) from None
    try:
        engine = sqlalchemy.create_engine(text)
        raw = engine.raw_connection()
    except Exception as err:  # the driver's own error types vary
        raise ScenarioError("connection", f"cannot connect: {_first_line(err)}") from None
    return raw, engine.url.render_as_string(hide_password=True)


def read_sql(query: str, connection: Any) -> pd.DataFrame:
    """Run ``query`` on a DB-API 2.0 connection and return the result as a DataFrame.

    The one code path for every database: ``cursor()``, ``execute``, ``description``,
    ``fetchall`` (PEP 249).

    Raises
    ------
    ScenarioError
        The connection is not DB-API-like, or the query fails (with the database's
        message).

    Examples
    --------
    >>> import duckdb
    >>> read_sql("SELECT 7 AS tenure", duckdb.connect())["tenure"].tolist()
    [7]
    """
    if not isinstance(query, str) or not query.strip():
        raise ScenarioError("query", "must be a non-empty SQL text")
    if not hasattr(connection, "cursor"):
        raise ScenarioError(
            "connection",
            "expected a DB-API connection (with .cursor()), a database URL or a file path "
            f"(got {type(connection).__name__})",
        )
    try:
        cursor = connection.cursor()
    except Exception as err:  # a closed or broken connection, in the driver's own terms
        raise ScenarioError(
            "connection", f"cannot use the connection: {_duckdb_message(err)}"
        ) from None
    try:
        cursor.execute(query)
        if cursor.description is None:
            raise ScenarioError("query", "the query returned no table (is it a SELECT?)")
        columns = [str(d[0]) for d in cursor.description]
        rows = cursor.fetchall()
    except ScenarioError:
        raise
    except Exception as err:  # DB-API drivers raise their own Error classes
        raise ScenarioError("query", f"the database refused it: {_duckdb_message(err)}") from None
    finally:
        close = getattr(cursor, "close", None)
        if callable(close):
            close()
    return pd.DataFrame.from_records(rows, columns=columns)
