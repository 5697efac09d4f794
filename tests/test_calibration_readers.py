"""Reading data: CSV and Parquet through DuckDB, SQL through DuckDB and any DB-API database.

The SQL path is tested with DuckDB itself and with ``sqlite3`` from the standard library
as the DB-API example; both must give the same calibration as the CSV file.
"""

import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from simsrc import ScenarioError
from simsrc.calibration import calibrate, read_customers, read_sql

DATA = Path(__file__).resolve().parents[1] / "data" / "telecom_customer_churn.csv"


@pytest.fixture(scope="module")
def frame():
    df, _ = read_customers(DATA)
    return df


def test_csv_is_read_as_text_with_na_as_missing(frame):
    assert frame.shape == (7043, 38)
    # Every column arrives as text so the calibration decides how to parse it...
    assert frame["Tenure_in_Months"].iloc[0] == "9"
    # ... and the file's "N/A" is missing.
    assert frame["Churn_Reason"].isna().sum() == 5174


def test_parquet_and_tsv_give_the_same_rows(frame, tmp_path):
    parquet = tmp_path / "customers.parquet"
    duckdb.connect().from_df(frame).write_parquet(str(parquet))
    df, where = read_customers(parquet)
    assert where == str(parquet)
    pd.testing.assert_frame_equal(df.astype(str), frame.astype(str))
    tsv = tmp_path / "customers.tsv"
    frame.head(20).to_csv(tsv, sep="\t", index=False, na_rep="N/A")
    df, _ = read_customers(tsv)
    assert df.shape == (20, 38)


def test_duckdb_query_over_the_file_as_table_data():
    df, where = read_customers(
        DATA, query="SELECT * FROM data WHERE Contract = 'Two Year' ORDER BY Customer_ID"
    )
    assert len(df) == 1883
    assert where.endswith("(DuckDB)")


def _load_sqlite(frame: pd.DataFrame, path: Path) -> None:
    con = sqlite3.connect(path)
    frame.to_sql("customers", con, index=False)
    con.close()


def test_sql_through_duckdb_and_sqlite_reproduces_the_csv_calibration(frame, tmp_path):
    part = tmp_path / "part.csv"  # the first 2,500 customers keep the test quick
    frame.head(2500).to_csv(part, index=False, na_rep="N/A")
    by_csv, _ = calibrate(part)
    # DuckDB database file, with typed columns (not text).
    db = tmp_path / "customers.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE customers AS SELECT * FROM read_csv(?, nullstr='N/A')", [str(part)])
    con.close()
    by_duckdb, _ = calibrate(query="SELECT * FROM customers", connection=f"duckdb:///{db}")
    # SQLite through the standard library's DB-API driver: a connection object and a URL.
    lite = tmp_path / "customers.sqlite"
    _load_sqlite(frame.head(2500), lite)
    con = sqlite3.connect(lite)
    by_sqlite, report = calibrate(query="SELECT * FROM customers", connection=con)
    con.close()
    by_url, _ = calibrate(query="SELECT * FROM customers", connection=f"sqlite:///{lite}")
    assert report.source == "SQL query on a sqlite3 connection"

    # Same rows, same code after the reader (text or typed columns): the same scenario.
    def content(s):
        return {k: v for k, v in s.to_dict().items() if k != "description"}

    for other in (by_duckdb, by_sqlite, by_url):
        assert content(other) == content(by_csv)


def test_database_file_path_and_bad_queries(frame, tmp_path):
    lite = tmp_path / "customers.db"
    _load_sqlite(frame.head(50), lite)
    df, where = read_customers(lite, query="SELECT Customer_ID FROM customers")
    assert len(df) == 50 and "SQLite" in where
    with pytest.raises(ScenarioError, match=r"a database file needs a SQL query"):
        read_customers(lite)
    with pytest.raises(ScenarioError, match=r"query: the database refused it: .*no such table"):
        read_customers(None, query="SELECT * FROM nowhere", connection=sqlite3.connect(":memory:"))
    with pytest.raises(ScenarioError, match=r"query: must be a non-empty SQL text"):
        read_sql("  ", sqlite3.connect(":memory:"))
    with pytest.raises(ScenarioError, match=r"connection: expected a DB-API connection"):
        read_sql("SELECT 1", object())


def test_file_errors(tmp_path):
    with pytest.raises(ScenarioError, match=r"missing.csv: no such file"):
        read_customers(tmp_path / "missing.csv")
    odd = tmp_path / "customers.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(ScenarioError, match=r"unsupported file type '.xlsx'"):
        read_customers(odd)
    with pytest.raises(ScenarioError, match=r"give a file, a DataFrame, or a SQL query"):
        read_customers(None)


def test_urls_needing_sqlalchemy_explain_what_to_install():
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        with pytest.raises(ScenarioError, match=r"postgresql:// URLs need SQLAlchemy"):
            read_customers(None, query="SELECT 1", connection="postgresql://host/db")
    else:  # pragma: no cover - depends on the environment
        with pytest.raises(ScenarioError, match=r"connection: cannot connect"):
            read_customers(None, query="SELECT 1", connection="postgresql://nobody@127.0.0.1:1/x")


def test_sqlalchemy_url_goes_through_the_same_db_api_path(frame, tmp_path):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    lite = tmp_path / "customers.sqlite"
    _load_sqlite(frame.head(30), lite)
    # A URL SQLAlchemy knows but we do not parse ourselves (driver named explicitly).
    url = f"sqlite+pysqlite:///{lite}"
    df, where = read_customers(None, query="SELECT * FROM customers", connection=url)
    assert len(df) == 30 and sqlalchemy.__version__
    assert "sqlite+pysqlite" in where
