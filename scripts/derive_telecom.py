"""Re-derive the shipped ``telecom`` preset from its data.

Usage::

    python scripts/derive_telecom.py           # rewrite simsrc/model/presets/telecom.toml
    python scripts/derive_telecom.py --check   # exit 1 if the shipped preset differs

The preset is the scenario :func:`simsrc.calibrate` fits to the shipped telecom sample
(``data/telecom_customer_churn.csv``) with the preset itself as the base: the data give
segment shares, prices and their growth with tenure, new customers per month, every
cause's level and shape, the heterogeneity spread and the contracts (terms, churn
inside a term, renewal waves); the base keeps what the data do not speak to (margins,
cost to serve, CAC, failed payments, pushing too hard, the retention levers). The
calibration's joint draws are replaced by ranges of two standard errors on the
parameters that matter most, so the preset stays a file a person can read; ``simsrc
calibrate`` gives the draws. The header's figures are computed here, so the file and
its comments cannot drift from the code (``--check``, run by ``tests/test_presets.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path
from typing import Any

import simsrc
from simsrc.calibration.report import CalibrationReport
from simsrc.model.files import write_atomic
from simsrc.model.params import PARAMETERS
from simsrc.model.parts import Uncertain

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "telecom_customer_churn.csv"
PRESET = ROOT / "simsrc" / "model" / "presets" / "telecom.toml"

RANGES = (
    "acquisition.new_per_month",
    "causes.onboarding.levels.month_to_month",
    "causes.price_competitor.levels.month_to_month",
    "causes.poor_service.levels.month_to_month",
    "heterogeneity.spread",
)
"""Paths given a range of ±2 standard errors of the calibration."""

DESCRIPTION = (
    "Telecom: month-to-month, one- and two-year contracts, calibrated to 7,043 customers; "
    "competitors drive churn."
)


def derive() -> tuple[simsrc.Scenario, CalibrationReport]:
    """The preset as the calibration gives it, and the calibration's report."""
    base = simsrc.preset("telecom")
    scenario, report = simsrc.calibrate(DATA, base=base)
    labels = {s.name: s.label for s in base.segments}  # the data's words are terser
    scenario = scenario.replace(segments=tuple(
        dataclasses.replace(s, label=labels.get(s.name, s.label)) for s in scenario.segments
    ))  # fmt: skip
    errors = report.parameters.set_index("path")["se"]
    ranges = []
    for path in RANGES:
        value, se, row = scenario.get(path), float(errors[path]), PARAMETERS[path]
        low, high = max(row.lo, value - 2 * se), min(row.hi, value + 2 * se)
        ranges.append(Uncertain(path, float(f"{low:.4g}"), float(f"{high:.4g}")))
    kept = tuple(u for u in scenario.uncertainty if u.path not in RANGES)
    preset = scenario.replace(
        name="telecom",
        description=DESCRIPTION,
        estimation=None,
        uncertainty=(*ranges, *kept),
    )
    return preset, report


def header(scenario: simsrc.Scenario) -> str:
    """The comment block above the preset: source, what was fitted, what it implies."""
    result = simsrc.simulate(scenario)
    survival, kpis = result.survival, result.kpis
    year = ", ".join(
        f"{label} {survival.loc[12, seg]:.0%}"
        for seg, label in zip(scenario.segment_names, ("month-to-month", "one-year",
                                                        "two-year"), strict=True)
    )  # fmt: skip
    shares = ", ".join(f"{s.share:.0%}" for s in scenario.segments)
    lines = [
        "Telecom / utility: contracts by term, competitor-driven churn.",
        "Source ([maven-telecom] in docs/sources.md): calibrated by scripts/derive_telecom.py",
        "(simsrc.calibrate, this preset as the base) to the telecom sample in data/ (Maven",
        "Analytics 'Telecom Customer Churn', 7,043 customers, one quarter of 2022; see",
        f"data/README.md). From the data: segment shares of new customers ({shares}), prices",
        "and their growth with tenure, new customers per month, every cause's level and",
        "shape, the heterogeneity spread, and each contract's churn inside a term and at",
        "renewal; the scenario, levers on, follows the data's survival (README).",
        f"Customers still here after 12 months: {year}.",
        "Assumptions (not in the data): margin, cost to serve, CAC, failed payments and",
        "pushing too hard (the sample records voluntary reasons only), the retention levers.",
        f"At a CAC of {scenario.segments[0].cac:,.0f}, a new customer brings "
        f"{kpis['clv_per_customer']:,.0f} of margin",
        "(CLV): most month-to-month customers leave within months, so the NPV over five",
        f"years is {kpis['npv'] / 1e6:,.1f}M — what retention and contracts are for.",
        "Retention levers: telecom retention desks answer about half of the cancellations by",
        "phone; competitor offers are met with discounts and contract extensions (the",
        "sample's 'Offer A–E'); published ranges as in the other presets ([benchmarks]);",
        "rates are assumptions. Uncertainty: ±2 standard errors of the calibration for the",
        "fitted values, published ranges where [benchmarks] has one (paused subscribers",
        "resume ≈ 54 %, 43–89 %).",
    ]
    return "".join(f"# {line}\n" for line in lines)


def differences(
    shipped: simsrc.Scenario, derived: simsrc.Scenario, rtol: float = 1e-3
) -> list[str]:
    """The paths whose values differ by more than ``rtol`` (numbers) or at all (words).

    A fit's last digits depend on where its search starts, and the search starts from
    the base, here the preset itself: re-deriving moves values by about 1e-4.
    """
    out: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}.{i}")
        elif isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
            if not math.isclose(a, b, rel_tol=rtol, abs_tol=1e-6):
                out.append(f"{path}: {a!r} shipped, {b!r} derived")
        elif a != b:
            out.append(f"{path}: {a!r} shipped, {b!r} derived")

    walk(shipped.to_dict(full=True), derived.to_dict(full=True), "")
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the preset (or, with ``--check``, say whether the shipped one is current)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the preset differs")
    args = parser.parse_args(argv)
    derived, _ = derive()
    if args.check:
        text = PRESET.read_text(encoding="utf-8")
        shipped = simsrc.preset("telecom")
        problems = differences(shipped, derived)
        if not text.startswith(header(shipped)):
            problems.append("the header's figures are not the preset's")
        print("\n".join(problems) or "telecom preset is current")
        return 1 if problems else 0
    write_atomic(PRESET, header(derived) + simsrc.scenario_to_toml(derived))
    print(f"wrote {PRESET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
