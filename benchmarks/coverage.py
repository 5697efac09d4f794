"""Coverage of the calibrated bands: the study shipped with simsrc, run again.

Draws 200 customer tables at each of two sizes from a known scenario
(:func:`simsrc.analysis.coverage.coverage_truth`), calibrates each, and counts how often
the P10–P90 band of each KPI (200 Monte Carlo draws of the calibrated scenario's
estimation uncertainty) holds the truth's expected value. Calibrated bands hold it about
80 % of the time at both sizes while they narrow by half.

Run ``make coverage`` (about 5 minutes on 2 cores, the data sets calibrated on dask
worker processes). It prints the table and writes the summary that the calibration
notebook and lesson 07 draw (``simsrc/analysis/coverage_study.csv``), atomically.
Options: ``--reps`` and ``--sizes`` for a quicker look (written only with ``--write``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from simsrc.analysis.coverage import COVERAGE_LEVEL, STUDY_FILE, coverage_study
from simsrc.model.files import write_atomic

OUT = Path(__file__).resolve().parents[1] / "simsrc" / "analysis" / STUDY_FILE


def main() -> None:
    """Run the study, print its summary and write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="data sets per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 8_000])
    parser.add_argument("--engine", choices=["local", "dask"], default="dask")
    parser.add_argument("--write", action="store_true", help="write even a smaller study")
    args = parser.parse_args()
    start = time.perf_counter()
    study = coverage_study(sizes=args.sizes, reps=args.reps, engine=args.engine, progress=True)
    seconds = time.perf_counter() - start
    table = study.summary
    print(f"\nCoverage of the calibrated P10–P90 bands (target {COVERAGE_LEVEL:.0%}):")
    for row in table.itertuples():
        print(
            f"  {row.customers:>7,} customers  {row.kpi:<18} {row.coverage:6.1%} "
            f"± {row.mc_error:.1%}   band width {row.width:5.1%} of the truth"
        )
    fine = study.consistent()
    print(f"  within 3 Monte Carlo errors of {COVERAGE_LEVEL:.0%}: {int(fine.sum())}/{len(fine)}")
    print(f"  {len(study.runs) // len(set(study.runs['kpi']))} data sets in {seconds:.0f} s")
    if args.write or (args.reps >= 200 and sorted(args.sizes) == [2_000, 8_000]):
        write_atomic(OUT, table.to_csv(index=False, float_format="%.6g"))
        print(
            f"  written: {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}"
        )


if __name__ == "__main__":
    main()
