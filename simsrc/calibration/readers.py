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
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from simsrc.errors import ScenarioError

__all__ = ["NULL_STRINGS", "read_customers", "read_sql"]

NULL_STRINGS = ("N/A", "NA", "n/a", "#N/A", "NULL", "null", "")
"""Text read as a missing value in CSV files."""

_CSV = (".csv", ".tsv", ".txt")
_PARQUET = (".parquet", ".pq")
_DATABASES = (".duckdb", ".db", ".sqlite", ".sqlite3")


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _file_relation(path: Path) -> str:
    """DuckDB table expression reading a CSV or Parquet file."""
    suffix = path.suffix.lower()
    if suffix in _CSV:
        nulls = ", ".join(_literal(s) for s in NULL_STRINGS)
        delim = ", delim='\\t'" if suffix == ".tsv" else ""
        return f"read_csv({_literal(str(path))}, all_varchar=true, nullstr=[{nulls}]{delim})"
    if suffix in _PARQUET:
        return f"read_parquet({_literal(str(path))})"
    raise ScenarioError(
        str(path),
        f"unsupported file type {suffix or '(none)'!r}: use .csv, .tsv or .parquet, or a "
        "database with a SQL query (--query)",
    )


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        raise ScenarioError("reader", "DuckDB is not installed (pip install duckdb)") from None
    return duckdb


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ScenarioError(str(path), "no such file")
    if path.is_dir():
        raise ScenarioError(str(path), "is a folder, not a data file")
    if path.stat().st_size == 0:
        raise ScenarioError(str(path), "the file is empty (no header, no rows)")


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
    if isinstance(source, pd.DataFrame):
        if query is not None:
            raise ScenarioError("query", "a query needs a file or a database, not a DataFrame")
        return source, "DataFrame"
    path = None if source is None else Path(os.fspath(source))
    if query is None:
        if path is None:
            raise ScenarioError("data", "give a file, a DataFrame, or a SQL query")
        _check_file(path)
        if path.suffix.lower() in _DATABASES:
            raise ScenarioError(
                str(path), "a database file needs a SQL query (--query) saying what to read"
            )
        duckdb = _duckdb()
        con = duckdb.connect()
        try:
            df = con.sql(f"SELECT * FROM {_file_relation(path)}").df()
        except duckdb.Error as err:
            raise ScenarioError(str(path), f"cannot read the file: {_first_line(err)}") from None
        finally:
            con.close()
        return df, str(path)
    if connection is None and path is not None and path.suffix.lower() in _DATABASES:
        connection = path
    if connection is None:
        duckdb = _duckdb()
        con = duckdb.connect()
        try:
            if path is not None:
                _check_file(path)
                con.execute(f"CREATE VIEW data AS SELECT * FROM {_file_relation(path)}")
            return read_sql(query, con), (
                f"SQL query on {path} (DuckDB)" if path is not None else "SQL query (DuckDB)"
            )
        finally:
            con.close()
    if isinstance(connection, (str, os.PathLike)):
        con, label = _connect(connection)
        try:
            return read_sql(query, con), f"SQL query on {label}"
        finally:
            con.close()
    return read_sql(query, connection), f"SQL query on a {_kind(connection)} connection"


def _kind(connection: Any) -> str:
    module = type(connection).__module__.split(".")[0].lstrip("_")
    return module or "database"


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _connect(target: str | os.PathLike[str]) -> tuple[Any, str]:
    """Open a DB-API connection from a URL or a database file path."""
    text = os.fspath(target)
    lower = text.lower()
    if "://" not in text:
        path = Path(text)
        _check_file(path)
        if path.suffix.lower() in (".duckdb",):
            return _duckdb().connect(str(path), read_only=True), f"{path} (DuckDB)"
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True), f"{path} (SQLite)"
    rest = text.split("://", 1)[1]
    where = rest[1:] if rest.startswith("/") else rest  # scheme:///rel, scheme:////abs
    if lower.startswith("duckdb://"):
        if where in ("", ":memory:"):
            return _duckdb().connect(), "DuckDB (in memory)"
        _check_file(Path(where))
        return _duckdb().connect(where, read_only=True), f"{where} (DuckDB)"
    if lower.startswith("sqlite://"):
        if where in ("", ":memory:"):
            return sqlite3.connect(":memory:"), "SQLite (in memory)"
        _check_file(Path(where))
        return sqlite3.connect(f"file:{where}?mode=ro", uri=True), f"{where} (SQLite)"
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
    cursor = connection.cursor()
    try:
        cursor.execute(query)
        if cursor.description is None:
            raise ScenarioError("query", "the query returned no table (is it a SELECT?)")
        columns = [str(d[0]) for d in cursor.description]
        rows = cursor.fetchall()
    except ScenarioError:
        raise
    except Exception as err:  # DB-API drivers raise their own Error classes
        raise ScenarioError("query", f"the database refused it: {_first_line(err)}") from None
    finally:
        close = getattr(cursor, "close", None)
        if callable(close):
            close()
    return pd.DataFrame.from_records(rows, columns=columns)
