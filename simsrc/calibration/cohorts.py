"""Calibration from cohort survival tables (customers still active by period since start).

The shifted-beta-geometric fit of Fader & Hardie (2007) is reported per segment with
standard errors and projections; the scenario keeps the base's cause mix and shapes and
scales them per segment by maximum likelihood on the monthly grid. Entry point:
:func:`simsrc.calibration.calibrate`.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import numpy as np
import pandas as pd

from simsrc.calibration.build import (
    LEVER_SECTIONS,
    TOLERANCE,
    Options,
    add_param,
    base_levels,
    build_scenario,
    economics,
    engine_paths,
    fit_with_reference,
    gross_up,
    issues_frame,
    period_of,
    projection_table,
    reference_of,
    sbg_row,
    segment_loglik,
    source_name,
)
from simsrc.calibration.churn_model import (
    FitSpec,
    SegmentCounts,
    model_curves,
)
from simsrc.calibration.prepare import MAX_SEGMENTS
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.sbg import SBGFit, fit_sbg
from simsrc.engine.curves import shape_curve
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario

# --------------------------------------------------------------------------------------
# Cohort survival tables
# --------------------------------------------------------------------------------------


def _cohort_matrix(
    frame: pd.DataFrame, segment: str | Literal[False] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per segment, the cohort × period matrix of survivor counts (NaN padding)."""
    period_cols = {c: period_of(c) for c in frame.columns}
    numeric = {c: p for c, p in period_cols.items() if p is not None}
    if not numeric or 0 not in numeric.values():
        raise ScenarioError(
            "data",
            "a cohort table needs period columns 0, 1, 2, … (customers still active by "
            "period since start)",
        )
    ordered = sorted(numeric, key=lambda c: numeric[c])
    periods = [numeric[c] for c in ordered]
    if periods != list(range(len(periods))):
        raise ScenarioError(
            "data", f"period columns must be 0, 1, 2, … without gaps (got {periods})"
        )
    other = [c for c in frame.columns if c not in numeric]
    seg_col = None
    if segment is not False:
        if segment is not None:
            if segment not in frame.columns:
                raise ScenarioError("segment", f"no column {segment!r} in the cohort table")
            seg_col = segment
        else:
            seg_col = next(
                (c for c in other if str(c).strip().lower() in ("segment", "plan", "contract")),
                None,
            )
    values = pd.DataFrame(
        {c: pd.to_numeric(frame[c], errors="coerce") for c in ordered}, index=frame.index
    )
    bad = frame[ordered].notna().to_numpy() & values.isna().to_numpy()
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ScenarioError(
            str(ordered[c]), f"not a number in row {r + 1}: {frame[ordered[c]].iloc[r]!r}"
        )
    # Trailing periods nobody has reached yet (a template's empty future columns) carry
    # no information; kept, they would make the period grid longer than the data.
    while len(ordered) > 1 and values[ordered[-1]].isna().all():
        values = values.drop(columns=ordered[-1])
        ordered = ordered[:-1]
    groups: dict[str, np.ndarray] = {}
    labels: list[str] = []
    if seg_col is None:
        groups["all"] = values.to_numpy(dtype=float)
        labels = ["All customers"]
    else:
        seg_values = frame[seg_col].reset_index(drop=True)
        missing = seg_values.isna().to_numpy()
        if missing.any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(missing)[:5])
            raise ScenarioError(
                str(seg_col), f"segment missing — {int(missing.sum())} row(s) (first rows: {rows})"
            )
        keys = seg_values.astype(str).str.strip()
        distinct = sorted(set(keys))
        if len(distinct) > MAX_SEGMENTS:
            raise ScenarioError(
                str(seg_col),
                f"{len(distinct)} distinct values: too many segments (at most {MAX_SEGMENTS});"
                " choose a coarser column with segment=... or segment=False",
            )
        matrix = values.to_numpy(dtype=float)
        for v in distinct:
            name = re.sub(r"[^0-9a-z]+", "_", v.lower()).strip("_") or "segment"
            if not name[0].isalpha():
                name = "s_" + name
            while name in groups:  # "Pro plan" and "pro_plan" (or two non-Latin names)
                name += "_2"
            groups[name] = matrix[(keys == v).to_numpy()]
            labels.append(v)
    return groups, labels


def _calibrate_cohorts(
    frame: pd.DataFrame,
    base: Scenario,
    opts: Options,
    period: int,
    segment: str | Literal[False] | None,
) -> tuple[Scenario, CalibrationReport]:
    if frame.empty:
        raise ScenarioError("data", "no rows: the cohort table is empty")
    groups, labels = _cohort_matrix(frame, segment)
    segments = list(groups)
    warnings: list[str] = []
    assumptions = [
        f"Cohort table: each row a cohort, column n the customers still active {n_text(period)}"
        " after start; each cohort is observed from its start (no left truncation).",
        "No exit reasons: the cause mix and shapes are kept from the base scenario and "
        "scaled per segment to the observed churn.",
    ]
    sbg_fits: dict[str, SBGFit] = {}
    counts = []
    n_periods = max(m.shape[1] for m in groups.values()) - 1
    months = n_periods * period
    sizes = []
    for seg, mat in groups.items():
        try:
            sbg_fits[seg] = fit_sbg(mat)
        except ValueError as err:
            raise ScenarioError(f"cohorts.{seg}", str(err)) from None
        unknown = np.zeros(months)
        censored = np.zeros(months + 1)
        entries = np.zeros(months + 1)
        size = 0.0
        for row in mat:
            obs = row[~np.isnan(row)]
            first = int(np.argmax(~np.isnan(row)))
            cohort = row[first : first + obs.size]
            size += float(cohort[0])
            entries[0] += cohort[0]
            lost = cohort[:-1] - cohort[1:]
            for n, d in enumerate(lost, start=1):
                if d > 0:
                    unknown[n * period - 1] += d
            censored[(cohort.size - 1) * period] += cohort[-1]
        sizes.append(size)
        counts.append(
            SegmentCounts(
                np.zeros((months, len(base.causes))), unknown, censored, entries, interval=period
            )
        )
    shares = np.array(sizes) / sum(sizes)
    het = np.array([c.heterogeneous for c in base.causes], dtype=bool)
    base_lv = base_levels(base, segments)
    start = base_lv.copy()
    rows_shape = np.array([shape_curve(c.shape, months) for c in base.causes])
    for g, c in enumerate(counts):
        surv = groups[segments[g]]
        n_exposed = np.nansum(surv[:, :-1]) * period
        base_hz = float((start[g][:, None] * rows_shape).sum(axis=0).mean())
        crude = c.churners / max(n_exposed * base_hz, 1e-12)
        start[g] = np.clip(start[g] * crude, 0, 1)
    spec = FitSpec(
        levels=start,
        free=np.zeros_like(start, dtype=bool),
        scale=True,
        shapes=tuple(c.shape for c in base.causes),
        heterogeneous=tuple(bool(h) for h in het),
        reference_churn=reference_of(start, shares, het),
        spread=opts.spread,
        spread_start=base.heterogeneity.spread or 0.3,
    )
    fit = fit_with_reference(counts, spec, shares)
    model = fit.model
    fitted_surv, _ = model_curves(model, months)
    seg_dicts = []
    params: list[dict[str, Any]] = []
    for g, seg in enumerate(segments):
        econ = economics(base, seg)
        price = (
            base.segments[base.segment_index(seg)].monthly_price
            if seg in base.segment_names
            else float(np.mean([s.monthly_price for s in base.segments]))
        )
        seg_dicts.append(
            {
                "name": seg,
                "label": labels[g],
                "share": float(shares[g]),
                "monthly_price": price,
                **econ,
            }
        )
        add_param(params, f"segments.{seg}.share", float(shares[g]), "data: cohort sizes")
        add_param(params, f"segments.{seg}.monthly_price", price, "kept from base")
        for key, v in econ.items():
            add_param(params, f"segments.{seg}.{key}", v, "kept from base")
    new = sum(sizes) / max(sum(m.shape[0] for m in groups.values()), 1) / period
    scenario, notes = build_scenario(
        base,
        name=opts.name or f"{base.name} · calibrated",
        description=(
            f"Calibrated from a cohort table ({source_name(opts.source)}) by simsrc.calibrate."
        ),
        segments=seg_dicts,
        levels=model.levels,
        shapes=model.shapes,
        spread=model.spread,
        reference_churn=model.reference_churn,
        value=None,
        acquisition={"new_per_month": round(new, 6)},
    )
    warnings += notes
    add_param(
        params,
        "acquisition.new_per_month",
        new,
        "data: mean cohort size per month",
        note="assumes one cohort per period",
    )
    at_risk = np.zeros((len(segments), months))
    for g, seg in enumerate(segments):
        mat = groups[seg]
        for row in mat:
            obs = row[~np.isnan(row)]
            for n in range(obs.size - 1):
                at_risk[g, n * period : (n + 1) * period] += obs[n]
    factors = np.ones(len(segments))
    if opts.levers_in_data and scenario.without_levers() != scenario:
        scenario, factors, _ = gross_up(
            scenario, np.ones_like(start, dtype=bool), fitted_surv, at_risk, months
        )
        assumptions.append(
            "Cause levels are grossed up (× "
            + ", ".join(f"{s} {f:.3f}" for s, f in zip(segments, factors, strict=True))
            + ") so that the scenario with the base's levers reproduces the observed churn."
        )
    for k, cause in enumerate(scenario.causes):
        for g, seg in enumerate(segments):
            add_param(
                params,
                f"causes.{cause.name}.levels.{seg}",
                cause.levels[g],
                "fitted (base mix scaled)",
                fit.level_se[g, k] * factors[g],
            )
    src = "given" if opts.spread is not None else "fitted"
    add_param(params, "heterogeneity.spread", model.spread, src, fit.spread_se)
    add_param(params, "heterogeneity.reference_churn", model.reference_churn, "derived")
    for section in ("value", *LEVER_SECTIONS):
        add_param(params, section, math.nan, "kept from base", note="not in a cohort table")
    scen_surv, _ = engine_paths(scenario, months)
    survival_rows, fit_rows, sbg_rows = [], [], []
    for g, seg in enumerate(segments):
        mat = groups[seg]
        sfit = sbg_fits[seg]
        sbg_rows.append(sbg_row(seg, sfit))
        t = np.arange(n_periods + 1)
        surv_obs = _pooled_survival(mat)
        # A segment whose cohorts are younger than the table's longest is not observed
        # at the last periods: unknown there, not a shorter column.
        surv_obs = np.r_[surv_obs, np.full(n_periods + 1 - surv_obs.size, np.nan)]
        at = np.array([np.nansum(mat[:, n]) for n in range(n_periods + 1)])
        frame_g = pd.DataFrame(
            {
                "segment": seg,
                "tenure": t * period,
                "at_risk": at,
                "churned": np.r_[0.0, np.array([_lost(mat, n) for n in range(1, n_periods + 1)])],
                "observed": surv_obs,
                "observed_se": np.nan,
                "fitted": fitted_surv[g][t * period],
                "scenario": scen_surv[g][t * period],
                "sbg": sfit.survival(t),
            }
        )
        survival_rows.append(frame_g)
        observed = frame_g["observed"].to_numpy(dtype=float)
        seen = np.isfinite(observed)[1:]  # at least period 1: fit_sbg needs two periods
        gap = np.abs(frame_g["scenario"].to_numpy(dtype=float) - observed)[1:][seen]
        fgap = np.abs(frame_g["fitted"].to_numpy(dtype=float) - observed)[1:][seen]
        sgap = np.abs(frame_g["sbg"].to_numpy(dtype=float) - observed)[1:][seen]
        fit_rows.append(
            {
                "segment": seg,
                "customers": float(sizes[g]),
                "churners": float(counts[g].churners),
                "months_observed": months,
                "max_gap": float(fgap.max()),
                "rmse_gap": float(np.sqrt((fgap**2).mean())),
                "within_tolerance": bool(fgap.max() <= TOLERANCE),
                "scenario_max_gap": float(gap.max()),
                "scenario_within_tolerance": bool(gap.max() <= TOLERANCE),
                "sbg_max_gap": float(sgap.max()),
                "chi2": math.nan,
                "df": math.nan,
                "p_value": math.nan,
                "log_likelihood": segment_loglik(model, counts[g], g),
            }
        )
    report = CalibrationReport(
        scenario=scenario,
        base=base,
        source=opts.source,
        kind="cohorts",
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        rows=pd.DataFrame(
            [
                {"item": "cohorts", "rows": sum(m.shape[0] for m in groups.values())},
                {"item": "customers at period 0", "rows": round(sum(sizes))},
            ]
        ),
        issues=issues_frame(()),
        parameters=pd.DataFrame(params),
        survival=pd.concat(survival_rows, ignore_index=True),
        hazards=pd.DataFrame(columns=["segment", "tenure", "cause", "observed", "fitted"]),
        cause_shares=pd.DataFrame(columns=["segment", "cause", "churners", "observed_share"]),
        fit=pd.DataFrame(fit_rows),
        sbg=pd.DataFrame(sbg_rows),
        reasons=pd.DataFrame(),
        revenue=pd.DataFrame(),
        acquisition=pd.DataFrame({"segment": segments, "cohort_customers": sizes}),
        projection=projection_table(scenario, sbg_rows, segments, n_periods, period),
    )
    return scenario, report


def n_text(period: int) -> str:
    """``"n months"`` / ``"n years"`` wording for a period length."""
    return "n years" if period == 12 else ("n months" if period == 1 else f"n × {period} months")


def _lost(mat: np.ndarray, n: int) -> float:
    prev, cur = mat[:, n - 1], mat[:, n]
    ok = ~np.isnan(prev) & ~np.isnan(cur)
    return float((prev[ok] - cur[ok]).sum())


def _pooled_survival(mat: np.ndarray) -> np.ndarray:
    """Product-limit survival pooled over cohorts (each seen from its start)."""
    rows = []
    for row in mat:
        obs = row[~np.isnan(row)]
        rows.append(obs)
    n_max = max(r.size for r in rows)
    surv = [1.0]
    for n in range(1, n_max):
        at = sum(r[n - 1] for r in rows if r.size > n)
        lost = sum(r[n - 1] - r[n] for r in rows if r.size > n)
        surv.append(surv[-1] * (1 - lost / at) if at > 0 else surv[-1])
    return np.array(surv)
