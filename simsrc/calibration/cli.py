"""``simsrc calibrate``: calibrate a scenario from a data file or a SQL query.

Wire it into :mod:`simsrc.ui.cli` with ``add_calibrate_command(sub)`` where ``sub`` is the
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
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from simsrc.calibration.calibrate import calibrate
from simsrc.calibration.columns import MAX_TENURE, ROLES, parse_as_of
from simsrc.calibration.options import check_name
from simsrc.model.errors import ScenarioError
from simsrc.model.files import check_output, require_regular_file, save_scenario, write_atomic
from simsrc.model.units import export_frame

__all__ = ["add_calibrate_command", "run_calibrate"]

REPORT_TABLES = (
    "parameters", "survival", "fit", "cause_shares", "hazards", "sbg", "reasons",
    "revenue", "acquisition", "projection", "issues", "rows", "bands",
)  # fmt: skip
"""Report tables written by ``--report-dir`` (one CSV each)."""

_FLAGS = {
    "as_of": "--as-of",
    "window_months": "--window-months",
    "period_months": "--period-months",
    "spread": "--spread",
    "name": "--name",
    "segment": "--segment",
    "kind": "--kind",
    "base": "--base",
    "query": "--query",
    "connection": "--db",
}
"""Keyword arguments of :func:`calibrate` and the options that set them: an error the
calibration raises about a keyword names the option the user actually typed."""


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
    _add_source_arguments(p)
    _add_reading_arguments(p)
    _add_fit_arguments(p)
    _add_report_arguments(p)
    p.set_defaults(func=run_calibrate)
    return p


def _add_source_arguments(p: argparse.ArgumentParser) -> None:
    """The data, where they come from, the base and the output scenario."""
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


def _add_reading_arguments(p: argparse.ArgumentParser) -> None:
    """How the data are read: kind, columns, segments, reasons, window."""
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


def _add_fit_arguments(p: argparse.ArgumentParser) -> None:
    """What is fitted and how unusable rows are handled."""
    p.add_argument(
        "--levers-not-in-data",
        action="store_true",
        help="the base's retention levers were not in place when the data were recorded",
    )
    p.add_argument("--spread", type=float, help="fix the heterogeneity spread (0 … 0.95)")
    p.add_argument(
        "--contract",
        action="append",
        default=[],
        metavar="SEGMENT=MONTHS",
        help="a segment's contract term in months, by name or label (repeatable; default: "
        "read from the segment labels, e.g. 'Two Year' is 24)",
    )
    p.add_argument("--no-contracts", action="store_true", help="fit no contract terms")
    p.add_argument(
        "--period-months", type=int, default=1, help="months per period of a cohort table"
    )
    p.add_argument(
        "--drop-invalid",
        action="store_true",
        help="drop (and count) unusable rows instead of stopping",
    )
    p.add_argument("--name", help="name of the calibrated scenario")


def _add_report_arguments(p: argparse.ArgumentParser) -> None:
    """How the report is written."""
    p.add_argument(
        "--report-dir", metavar="DIR", help="also write the report's tables as CSV files"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a summary")


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


def _as_typed(err: ScenarioError) -> ScenarioError:
    """The calibration's error, naming the option the user typed instead of its keyword."""
    if err.path in _FLAGS:
        return ScenarioError(_FLAGS[err.path], err.message)
    if err.path.startswith("contract_terms."):
        segment = err.path.removeprefix("contract_terms.")
        return ScenarioError("--contract", f"{segment}: {err.message}")
    return err


def _contract_terms(args: argparse.Namespace) -> dict[str, int] | str | None:
    """``contract_terms`` from ``--contract SEGMENT=MONTHS`` and ``--no-contracts``."""
    if args.no_contracts:
        if args.contract:
            raise ScenarioError("--no-contracts", "cannot be combined with --contract")
        return None
    if not args.contract:
        return "auto"
    out: dict[str, int] = {}
    for item in args.contract:
        segment, sep, months = item.rpartition("=")
        if not sep or not segment.strip() or not months.strip().isdigit():
            raise ScenarioError(
                "--contract", f"expects SEGMENT=MONTHS with whole months (got {item!r})"
            )
        out[segment.strip()] = int(months)
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a report table atomically, rounded as a person reads it.

    Estimates (``value``, ``se``) keep every digit: a level of 0.00093 is not money.
    """
    keep = {"value": "number", "se": "number"} if path.stem == "parameters" else None
    write_atomic(path, export_frame(frame, keep).to_csv(index=False))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_options(args: argparse.Namespace) -> None:
    """Check the options' values, naming each option as typed, before anything is read."""
    if args.data is None and args.query is None:
        raise ScenarioError("data", "give a data file, or --query (with --db for a database)")
    if args.window_months is not None and not 1 <= args.window_months <= MAX_TENURE:
        raise ScenarioError(
            "--window-months",
            f"must be a whole number of months between 1 and {MAX_TENURE} (got "
            f"{args.window_months}); for the whole history use --full-history",
        )
    if not 1 <= args.period_months <= 24:
        raise ScenarioError(
            "--period-months",
            f"must be a whole number of months between 1 and 24 (got {args.period_months})",
        )
    if args.spread is not None and not 0 <= args.spread <= 0.95:  # NaN fails too
        raise ScenarioError("--spread", f"must be between 0 and 0.95 (got {args.spread})")
    parse_as_of(args.as_of, "--as-of")
    check_name(args.name, "--name")
    if args.reasons is not None:
        require_regular_file(args.reasons)


def _check_report_dir(path: Path, force: bool) -> None:
    """Check that the report's tables can be written into ``path`` (created if missing).

    Raises
    ------
    ScenarioError
        Naming the folder or table: the path is a file (or a broken link), the folder
        (or, when it is still to be created, its nearest existing parent) is not
        writable, or a table exists without ``force`` or is a folder.
    """
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise ScenarioError(
                str(path),
                "exists and is not a folder; --report-dir needs a folder (created if missing)",
            )
        if not os.access(path, os.W_OK | os.X_OK):
            raise ScenarioError(str(path), "folder is not writable")
        for table in REPORT_TABLES:
            check_output(path / f"{table}.csv", force=force)
        return
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # mkdir(parents=True) creates the missing ones
    if not parent.is_dir():
        raise ScenarioError(str(path), f"cannot create the folder: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ScenarioError(str(path), f"cannot create the folder: {parent} is not writable")
    # os.access trusts permission bits (always true for root); a real folder made and
    # removed again proves the folder can be created (e.g. not on /proc or a full disk).
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".simsrc-check.", dir=parent))
    except OSError as err:
        raise ScenarioError(
            str(path), f"cannot create the folder in {parent}: {err.strerror or err}"
        ) from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _refuse_overwriting_inputs(args: argparse.Namespace, outputs: list[Path]) -> None:
    """Refuse an output that is also an input, or two outputs that are one file.

    ``--force`` allows replacing an old output, never the data the command reads.
    """
    inputs = [
        (name, Path(value))
        for name, value in (
            ("the data file", args.data),
            ("the --reasons file", args.reasons),
            ("the --base scenario", args.base if str(args.base).endswith(".toml") else None),
            ("the --db database", args.db),
        )
        if isinstance(value, str) and value and "://" not in value
    ]
    for out in outputs:
        for what, source in inputs:
            if _same_file(out, source) or out.absolute() == source.absolute():
                raise ScenarioError(
                    str(out), f"is {what} this command reads; choose another output file"
                )
    seen: dict[Path, Path] = {}
    for out in outputs:
        key = out.absolute()
        if key in seen:
            raise ScenarioError(str(out), "is written twice (--out and --report-dir)")
        seen[key] = out


def run_calibrate(args: argparse.Namespace) -> int:
    """Handler of ``simsrc calibrate``; returns the exit code (0).

    Every option and every output is checked before the data are read and fitted, so
    a typing error or a blocked output costs no waiting; the outputs are then written
    atomically (:func:`simsrc.model.files.write_atomic`), after the fit has succeeded.

    Raises
    ------
    ScenarioError
        Bad options (naming the option), an output that exists without ``--force``,
        is not writable or is one of the inputs, or data problems.
    """
    _check_options(args)
    out = check_output(args.out, force=args.force) if args.out else None
    report_dir = Path(args.report_dir) if args.report_dir else None
    if report_dir is not None:
        _check_report_dir(report_dir, args.force)
    outputs = [out] if out is not None else []
    if report_dir is not None:
        outputs += [report_dir / f"{t}.csv" for t in REPORT_TABLES]
    _refuse_overwriting_inputs(args, outputs)
    window: int | Literal["auto"] | None = "auto"
    if args.full_history:
        window = None
    elif args.window_months is not None:
        window = args.window_months
    try:
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
            contract_terms=_contract_terms(args),
            period_months=args.period_months,
            drop_invalid=args.drop_invalid,
            name=args.name,
        )
    except ScenarioError as err:
        raise _as_typed(err) from None
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
