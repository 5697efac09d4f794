"""Reading data: CSV and Parquet through DuckDB, SQL through DuckDB and any DB-API database.

The SQL path is tested with DuckDB itself and with ``sqlite3`` from the standard library
as the DB-API example; both must give the same calibration as the CSV file.
"""

import gzip
import os
import sqlite3
import zipfile
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


def test_special_files_and_folders_are_refused_up_front(tmp_path):
    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)  # DuckDB would wait forever for a writer
    with pytest.raises(ScenarioError, match=r"customers.csv: is not a regular file"):
        read_customers(fifo)
    with pytest.raises(ScenarioError, match=r"^/dev/zero: is not a regular file"):
        read_customers("/dev/zero")
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(ScenarioError, match=r"data.csv: is a folder"):
        read_customers(folder)
    with pytest.raises(ScenarioError, match=r"customers.csv: is not a regular file"):
        read_customers(fifo, query="SELECT * FROM data")
    with pytest.raises(ScenarioError, match=r"customers.csv: is not a regular file"):
        read_customers(None, query="SELECT 1", connection=f"sqlite:///{fifo}")
    with pytest.raises(ScenarioError, match=r"data: expected a file name or a DataFrame"):
        read_customers(42)  # type: ignore[arg-type]


SMALL = "customer_id,tenure,status,reason\na,3,Stayed,\nb,5,Churned,Déménagé\n"


def test_latin1_csv_is_read_as_latin1_and_the_report_says_so(tmp_path):
    f = tmp_path / "latin.csv"
    f.write_bytes(SMALL.encode("latin-1"))
    df, where = read_customers(f)
    assert df["reason"].tolist() == [None, "Déménagé"] or df["reason"].iloc[1] == "Déménagé"
    assert where == str(f)
    q, _ = read_customers(f, query="SELECT reason FROM data WHERE status = 'Churned'")
    assert q["reason"].tolist() == ["Déménagé"]  # the query path retries the same way
    good = pd.read_csv(DATA).head(400)
    good.loc[399, "City"] = "Köln"  # a non-UTF-8 byte far past the first 64 KiB sniffed
    good.to_csv(f, index=False, na_rep="N/A", encoding="latin-1")
    assert f.stat().st_size > 65_536
    _, report = calibrate(f, spread=0.3, segment=False)
    assert any("read as Latin-1" in w for w in report.warnings)


def test_ragged_csv_read_as_one_column_is_explained(tmp_path):
    f = tmp_path / "ragged.csv"
    f.write_text("customer_id,tenure,status\n" + "a,3,Stayed\n" * 3000 + "b,4,x,y,z\n")
    with pytest.raises(ScenarioError, match=r"ragged.csv: cannot read the file: ") as info:
        read_customers(f)
    assert "\n" not in str(info.value) and "Possible" not in str(info.value)
    f.write_text("customer_id,tenure,status\na,3,Stayed\nb,4,Churned,x,y\nc,5\n")
    with pytest.raises(
        ScenarioError,
        match=r"ragged.csv: could not be split into columns: the header has 3 fields .*some line",
    ):
        read_customers(f)


def test_utf16_and_bom_files_are_read(tmp_path):
    f = tmp_path / "u16.csv"
    f.write_bytes(SMALL.encode("utf-16"))  # with a byte-order mark, as Excel writes it
    df, _ = read_customers(f)
    assert df["reason"].iloc[1] == "Déménagé"
    f.write_bytes(SMALL.encode("utf-8-sig"))
    df, _ = read_customers(f)
    assert list(df.columns) == ["customer_id", "tenure", "status", "reason"]


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (None, "a ZIP archive"),
        (gzip.compress(b"customer_id,tenure\na,1\n"), "a gzip-compressed file"),
        (b"PAR1\x00\x00", "a Parquet file"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "a SQLite database"),
        (b"customer_id,tenure\na,1\x00\n", "binary data \\(NUL bytes\\)"),
    ],
)
def test_binary_files_named_csv_are_not_csv_text(tmp_path, content, what):
    f = tmp_path / "customers.csv"
    if content is None:
        with zipfile.ZipFile(f, "w") as z:
            z.writestr("customers.csv", "customer_id,tenure\na,1\n")
    else:
        f.write_bytes(content)
    with pytest.raises(ScenarioError, match=rf"customers.csv: is not a CSV text file: .*{what}"):
        read_customers(f)


def test_duckdb_errors_become_one_line_naming_the_file(tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"this is not parquet at all")
    with pytest.raises(ScenarioError, match=r"broken.parquet: cannot read the file: ") as info:
        read_customers(broken)
    assert "\n" not in str(info.value)
    fake_db = tmp_path / "fake.sqlite"
    fake_db.write_bytes(b"not a database, just text" * 40)
    with pytest.raises(ScenarioError, match=r"query: the database refused it: ") as info:
        read_customers(fake_db, query="SELECT * FROM t")
    assert "\n" not in str(info.value)


def test_database_files_that_are_not_databases_name_the_file(tmp_path):
    fake = tmp_path / "shop.duckdb"
    fake.write_text("just text, not a database")
    for connection in (None, f"duckdb:///{fake}"):
        with pytest.raises(ScenarioError, match=r"shop.duckdb: cannot open the DuckDB database"):
            read_customers(
                fake if connection is None else None, query="SELECT 1", connection=connection
            )
    odd = tmp_path / "what?#.sqlite"  # characters that mean something in a URI
    con = sqlite3.connect(odd)
    con.execute("CREATE TABLE t (tenure INT)")
    con.execute("INSERT INTO t VALUES (4)")
    con.commit()
    con.close()
    df, _ = read_customers(odd, query="SELECT * FROM t")
    assert df["tenure"].tolist() == [4]
    closed = sqlite3.connect(":memory:")
    closed.close()
    with pytest.raises(ScenarioError, match=r"^connection: cannot use the connection"):
        read_sql("SELECT 1", closed)
