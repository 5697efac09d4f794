"""``simsrc calibrate``: calibrate a scenario from a data file or a SQL query.

Wire it into :mod:`simsrc.cli` with ``add_calibrate_command(sub)`` where ``sub`` is the
parser's subparsers object; the handler raises :class:`simsrc.ScenarioError` for user
errors (the CLI prints them on one line and exits with code 2).

Examples
--------
::

    simsrc calibrate data/telecom_customer_churn.csv --out telecom_calibrated.toml
    simsrc calibrate --db customers.duckdb --query "SELECT * FROM customers" --out s.toml
    simsrc calibrate cohorts.csv --kind cohorts --period-months 12 --base b2b-saas
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from simsrc.calibration.calibrate import calibrate
from simsrc.calibration.prepare import ROLES
from simsrc.errors import ScenarioError
from simsrc.io import save_scenario, write_atomic

__all__ = ["add_calibrate_command", "run_calibrate"]

REPORT_TABLES = (
    "parameters", "survival", "fit", "cause_shares", "hazards", "sbg", "reasons",
    "revenue", "acquisition", "projection", "issues", "rows",
)  # fmt: skip
"""Report tables written by ``--report-dir`` (one CSV each)."""


def add_calibrate_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``calibrate`` sub-command to an argparse subparsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers(...)``.

    Returns
    -------
    argparse.ArgumentParser
        The sub-command's parser (its handler is set as ``func``).

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="simsrc")
    >>> sub = parser.add_subparsers(dest="command", required=True)
    >>> _ = add_calibrate_command(sub)
    >>> args = parser.parse_args(["calibrate", "data.csv", "--out", "s.toml"])
    >>> args.func is run_calibrate, args.out
    (True, 's.toml')
    """
    p = subparsers.add_parser(
        "calibrate",
        help="calibrate a scenario from customer data (CSV, Parquet or a SQL query)",
        description="Fit churn by cause, heterogeneity, revenue by tenure and acquisition "
        "to a company's own data, starting from a base scenario whose levers and economics "
        "are kept. Prints how well it fits; --out writes the scenario.",
    )
    p.add_argument(
        "data",
        nargs="?",
        help="customer data: .csv / .tsv / .parquet, or a database file with --query",
    )
    p.add_argument("--out", metavar="FILE", help="write the calibrated scenario (TOML)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument(
        "--base",
        default="telecom",
        metavar="SCENARIO",
        help="preset name or .toml to start from (default: telecom)",
    )
    p.add_argument("--query", metavar="SQL", help="SQL whose result is the data")
    p.add_argument(
        "--db",
        metavar="URL",
        help="database for --query: a .duckdb / .sqlite file or a URL (sqlite:///f.db, "
        "duckdb:///f.duckdb, or any SQLAlchemy URL); default: in-memory DuckDB, where the "
        "data file is the table 'data'",
    )
    p.add_argument("--kind", choices=("auto", "snapshot", "cohorts"), default="auto")
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="ROLE=NAME",
        help=f"name a column for a role ({', '.join(ROLES)}); repeatable",
    )
    seg = p.add_mutually_exclusive_group()
    seg.add_argument("--segment", metavar="COLUMN", help="column defining segments")
    seg.add_argument("--no-segments", action="store_true", help="one segment for everyone")
    p.add_argument(
        "--reasons",
        metavar="FILE",
        help="reason mapping (CSV reason,cause or TOML) merged over the default",
    )
    win = p.add_mutually_exclusive_group()
    win.add_argument(
        "--window-months",
        type=int,
        metavar="N",
        help="the snapshot lists customers active in the last N months (left truncation); "
        "default: inferred from a 'Joined' status",
    )
    win.add_argument(
        "--full-history",
        action="store_true",
        help="every customer is observed from month 1 (the file holds all customers ever)",
    )
    p.add_argument("--as-of", metavar="DATE", help="end of observation for date-based data")
    p.add_argument(
        "--levers-not-in-data",
        action="store_true",
        help="the base's retention levers were not in place when the data were recorded",
    )
    p.add_argument("--spread", type=float, help="fix the heterogeneity spread (0 … 0.95)")
    p.add_argument(
        "--period-months", type=int, default=1, help="months per period of a cohort table"
    )
    p.add_argument(
        "--drop-invalid",
        action="store_true",
        help="drop (and count) unusable rows instead of stopping",
    )
    p.add_argument("--name", help="name of the calibrated scenario")
    p.add_argument(
        "--report-dir", metavar="DIR", help="also write the report's tables as CSV files"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    p.set_defaults(func=run_calibrate)
    return p


def _columns(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        role, sep, name = item.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise ScenarioError("--column", f"expects ROLE=NAME (got {item!r})")
        if role.strip() not in ROLES:
            raise ScenarioError(
                "--column", f"unknown role {role.strip()!r} (known: {', '.join(ROLES)})"
            )
        out[role.strip()] = name.strip()
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV atomically (:func:`simsrc.io.write_text_atomic`)."""
    write_atomic(path, frame.to_csv(index=False))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_calibrate(args: argparse.Namespace) -> int:
    """Handler of ``simsrc calibrate``; returns the exit code (0).

    Raises
    ------
    ScenarioError
        Bad options, an existing output without ``--force``, or data problems.
    """
    if args.data is None and args.query is None:
        raise ScenarioError("data", "give a data file, or --query (with --db for a database)")
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.exists() and not args.force:
            raise ScenarioError(str(out), "exists; add --force to overwrite it")
        if not out.parent.exists():
            raise ScenarioError(str(out), f"folder {out.parent} does not exist")
    report_dir = Path(args.report_dir) if args.report_dir else None
    if report_dir is not None and not args.force:
        clash = [t for t in REPORT_TABLES if (report_dir / f"{t}.csv").exists()]
        if clash:
            raise ScenarioError(
                str(report_dir), f"{clash[0]}.csv exists; add --force to overwrite it"
            )
    window: int | Literal["auto"] | None = "auto"
    if args.full_history:
        window = None
    elif args.window_months is not None:
        window = args.window_months
    scenario, report = calibrate(
        args.data,
        query=args.query,
        connection=args.db,
        base=args.base,
        kind=args.kind,
        columns=_columns(args.column) or None,
        segment=False if args.no_segments else args.segment,
        reason_map=args.reasons,
        window_months=window,
        as_of=args.as_of,
        levers_in_data=not args.levers_not_in_data,
        spread=args.spread,
        period_months=args.period_months,
        drop_invalid=args.drop_invalid,
        name=args.name,
    )
    if out is not None:
        save_scenario(scenario, out)
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        for table in REPORT_TABLES:
            _write_csv(getattr(report, table), report_dir / f"{table}.csv")
    if args.json:
        payload = {
            "scenario": scenario.name,
            "out": str(out) if out else None,
            "fit": [
                {k: _jsonable(v) for k, v in row.items()}
                for row in report.fit.to_dict(orient="records")
            ],
            "parameters": [
                {k: _jsonable(v) for k, v in row.items()}
                for row in report.parameters.to_dict(orient="records")
            ],
            "assumptions": list(report.assumptions),
            "warnings": list(report.warnings),
        }
        print(json.dumps(payload, indent=2, default=str))
        return 0
    print(report.summary())
    if out is not None:
        print(f"wrote {out}")
    if report_dir is not None:
        print(f"wrote {len(REPORT_TABLES)} tables to {report_dir}")
    return 0
