"""Command-line interface: ``simsrc run``, ``simsrc compare`` and friends.

Every user error (bad file, bad value, unknown preset) becomes one readable line on
standard error and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simsrc.analysis.compare import compare
from simsrc.analysis.experiment import plan_experiment, simulate_power
from simsrc.calibration.cli import add_calibrate_command
from simsrc.model.errors import ScenarioError, shorten
from simsrc.model.files import check_output, load_scenario, save_scenario, write_atomic
from simsrc.model.params import PARAMETERS
from simsrc.model.presets import list_presets, preset
from simsrc.model.scenario import Scenario
from simsrc.model.units import export_frame, format_delta_pct, format_value
from simsrc.results.kpis import KPI_INFO
from simsrc.results.simulate import simulate


class UsageError(Exception):
    """A command-line usage problem (reported like a scenario error)."""


def _resolve(spec: str) -> Scenario:
    """A preset name or a path to a TOML scenario file."""
    if spec in list_presets():
        return preset(spec)
    if spec.endswith(".toml") or Path(spec).exists():
        return load_scenario(spec)
    raise ScenarioError(
        "scenario",
        f"{spec!r} is neither a preset ({', '.join(list_presets())}) nor a .toml file",
    )


def _parse_value(path: str, text: str) -> Any:
    """A ``--set`` value: TOML (numbers, true/false, "text", [lists]) or a bare word.

    A bare word (``--set name=My plan``) is taken as text, but a value that starts like
    TOML — a quote, bracket or brace — and does not parse is an error rather than text
    with a stray quote in it.
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        if text[:1] in "\"'[{" or not text:
            detail = str(exc).split(" (at")[0]
            raise UsageError(
                f"--set {shorten(path)}: the value is not valid TOML ({detail}); quote text "
                'as "…" and write lists as [1, 2]'
            ) from None
        return text
    except RecursionError:
        raise UsageError(f"--set {shorten(path)}: the value is nested too deeply") from None


def _apply_sets(s: Scenario, sets: Sequence[str]) -> Scenario:
    for item in sets:
        if "=" not in item:
            raise UsageError(f"--set expects PATH=VALUE (got {shorten(repr(item))})")
        path, value = item.split("=", 1)
        s = s.set(path.strip(), _parse_value(path.strip(), value.strip()))
    return s


def _what_if(base: Scenario, spec: str) -> Scenario:
    """``halve-churn[:cause]``, ``scale-churn=F[:cause]``, or a preset / TOML file."""
    head, _, cause = spec.partition(":")
    cause_arg = cause or None
    if head == "halve-churn":
        return base.halve_churn(cause=cause_arg)
    if head.startswith("scale-churn="):
        try:
            factor = float(head.split("=", 1)[1])
        except ValueError:
            raise UsageError(
                f"scale-churn expects a number, e.g. scale-churn=0.8 (got {spec!r})"
            ) from None
        return base.scale_churn(factor, cause=cause_arg)
    if spec in list_presets() or spec.endswith(".toml"):
        return _resolve(spec)
    raise UsageError(
        f"unknown what-if {spec!r}: use halve-churn[:cause], scale-churn=F[:cause], "
        "a preset name or a .toml file"
    )


def _jsonable(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _cmd_run(args: argparse.Namespace) -> int:
    if args.monthly and not args.json:
        raise UsageError(
            "--monthly adds the monthly rows to --json output; add --json (or "
            "use --csv FILE for the monthly table)"
        )
    csv = check_output(args.csv, force=args.force) if args.csv else None
    s = _apply_sets(_resolve(args.scenario), args.set)
    res = simulate(s)
    if csv is not None:
        write_atomic(csv, export_frame(res.monthly).to_csv(index=False))
    if args.json:
        out: dict[str, Any] = {
            "scenario": s.name,
            "kpis": {k: _jsonable(v) for k, v in res.kpis.items()},
        }
        if args.monthly:
            out["monthly"] = json.loads(res.monthly.to_json(orient="records"))
        print(json.dumps(out, indent=2))
        return 0
    print(f"{s.name} — {s.horizon_months} months")
    shown = {k: v for k, v in KPI_INFO.items() if not math.isnan(res.kpis[k])}
    width = max(len(label) for label, _ in shown.values())
    for key, (label, unit) in shown.items():
        print(f"  {label:<{width}}  {format_value(res.kpis[key], unit, s.currency)}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    base = _apply_sets(_resolve(args.scenario), args.set)
    variants = [_what_if(base, spec) for spec in (args.what_if or ["halve-churn"])]
    table = compare(base, *variants)
    names = [base.name, *(v.name for v in variants)]
    table = table[table[names].notna().any(axis=1)]  # drop KPIs undefined everywhere
    if args.json:
        tidy = compare(base, *variants, tidy=True)
        records = [
            {k: (_jsonable(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in tidy.to_dict(orient="records")
        ]
        print(json.dumps(records, indent=2))
        return 0
    width = max(len(label) for label in table["label"])
    cols = [max(14, len(n)) for n in names]
    header = f"  {'':<{width}}  " + "  ".join(
        f"{n:>{w}}" for n, w in zip(names, cols, strict=True)
    )
    print(header + ("  " + f"{'Δ %':>8}" if len(variants) == 1 else ""))
    for _, row in table.iterrows():
        cells = [format_value(row[n], str(row["unit"]), base.currency) for n in names]
        line = f"  {row['label']:<{width}}  " + "  ".join(
            f"{c:>{w}}" for c, w in zip(cells, cols, strict=True)
        )
        if len(variants) == 1:
            line += f"  {format_delta_pct(row['Δ %']):>8}"
        print(line)
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    base = _apply_sets(_resolve(args.scenario), args.set)
    plan = plan_experiment(base, args.change, alpha=args.alpha, power=args.power)
    print(plan.summary(base.currency))
    if args.check:
        sim = simulate_power(plan, runs=args.check)
        print(
            f"Checked with {sim.runs} random runs of each arm over {sim.months} months: "
            f"detected in {sim.achieved:.0%} ± {sim.standard_error:.0%} of them; the power "
            f"formula gives {sim.expected:.0%} for the customers those months bring."
        )
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    for name in list_presets():
        print(f"{name:<14} {preset(name).description}")
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    df = PARAMETERS.to_frame()
    if args.json:
        print(df.to_json(orient="records", indent=2))
    else:
        for row in df.itertuples():
            print(f"{row.path:<34} {row.min:g} … {row.max:g} {row.unit:<16} {row.label}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    out = check_output(args.out, force=args.force)
    s = _apply_sets(_resolve(args.scenario), args.set)
    save_scenario(s, out)
    print(f"wrote {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    p = argparse.ArgumentParser(
        prog="simsrc", description="What-if simulator of customer-retention economics."
    )
    sub = p.add_subparsers(dest="command", required=True)

    def scenario_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("scenario", help="preset name or path to a scenario .toml file")
        sp.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="PATH=VALUE",
            help="change one parameter, e.g. --set acquisition.new_per_month=200 "
            "(see `simsrc params`); repeatable",
        )

    run = sub.add_parser("run", help="simulate one scenario and print its KPIs")
    scenario_args(run)
    run.add_argument("--json", action="store_true", help="print JSON instead of a table")
    run.add_argument("--monthly", action="store_true", help="with --json: include monthly rows")
    run.add_argument("--csv", metavar="FILE", help="also write the monthly table to FILE")
    run.add_argument("--force", action="store_true", help="overwrite an existing --csv file")
    run.set_defaults(func=_cmd_run)

    cmp_ = sub.add_parser("compare", help="compare a scenario with what-ifs")
    scenario_args(cmp_)
    cmp_.add_argument(
        "--what-if",
        action="append",
        metavar="SPEC",
        help="halve-churn[:cause], scale-churn=F[:cause], a preset or a .toml file "
        "(default: halve-churn); repeatable",
    )
    cmp_.add_argument("--json", action="store_true", help="print tidy JSON records")
    cmp_.set_defaults(func=_cmd_compare)

    plan = sub.add_parser("plan", help="size an A/B test of one lever change")
    scenario_args(plan)
    plan.add_argument(
        "--change", required=True, metavar="PATH=VALUE",
        help="the change tested, e.g. save_team.discount.acceptance.price_competitor=+0.05 "
        "(a save-team, dunning or win-back parameter; +/- for a change from today's value)",
    )  # fmt: skip
    plan.add_argument("--alpha", type=float, default=0.05, help="significance (default 0.05)")
    plan.add_argument("--power", type=float, default=0.8, help="power (default 0.8)")
    plan.add_argument("--check", type=int, metavar="RUNS", default=0,
                      help="also run the test RUNS times with random customers")  # fmt: skip
    plan.set_defaults(func=_cmd_plan)

    pre = sub.add_parser("presets", help="list shipped presets")
    pre.set_defaults(func=_cmd_presets)
    par = sub.add_parser("params", help="list parameters, units and allowed ranges")
    par.add_argument("--json", action="store_true")
    par.set_defaults(func=_cmd_params)
    init = sub.add_parser("init", help="write a preset (with --set changes) to a TOML file")
    scenario_args(init)
    init.add_argument("out", help="file to write")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=_cmd_init)
    add_calibrate_command(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``simsrc`` command. Returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 on usage errors
    try:
        return int(args.func(args))
    except (ScenarioError, UsageError) as exc:
        print(f"simsrc: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `simsrc run … | head`: the reader has gone
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(
            f"simsrc: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
