"""Calibration from cohort survival tables (customers still active by period since start).

The shifted-beta-geometric fit of Fader & Hardie (2007) is reported per segment with
standard errors and projections; the scenario keeps the base's cause mix and shapes and
scales them per segment by maximum likelihood on the monthly grid. Entry point:
:func:`simsrc.calibration.calibrate`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, Literal

import numpy as np
import pandas as pd

from simsrc.calibration.acquisition import Acquisition, count_errors
from simsrc.calibration.build import (
    LEVER_SECTIONS,
    TOLERANCE,
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
    ChurnModel,
    ChurnModelFit,
    FitSpec,
    SegmentCounts,
    model_curves,
)
from simsrc.calibration.columns import MAX_SEGMENTS
from simsrc.calibration.estimation import with_estimation_draws
from simsrc.calibration.options import CalibrationOptions
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.sbg import SBGFit, fit_sbg
from simsrc.engine.curves import shape_curve
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import WHAT_IF_MARK, Scenario

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


@dataclasses.dataclass(frozen=True)
class CohortCounts:
    """Sufficient statistics of a cohort table, per segment.

    Attributes
    ----------
    sbg_fits : dict of str to SBGFit
        The shifted-beta-geometric fit of each segment's cohorts [fh2007].
    counts : tuple of SegmentCounts
        Churners (cause unknown), censored and entries on the monthly grid.
    sizes : tuple of float
        Customers at period 0, summed over the segment's cohorts.
    n_periods : int
        Periods after the start in the table's longest cohort.
    months : int
        ``n_periods`` in months.
    """

    sbg_fits: dict[str, SBGFit]
    counts: tuple[SegmentCounts, ...]
    sizes: tuple[float, ...]
    n_periods: int
    months: int


@dataclasses.dataclass(frozen=True)
class CohortScenario:
    """The calibrated scenario of a cohort table and what the report says of it.

    Attributes
    ----------
    scenario : Scenario
        The scenario, grossed up for the base's levers if the options say so.
    params : tuple of dict
        Rows of the report's parameter table, in the report's order.
    warnings, assumptions : tuple of str
        Notes of building the scenario and of the gross-up.
    """

    scenario: Scenario
    params: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    assumptions: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class CohortDiagnostics:
    """The report's observed-vs-fitted tables of a cohort calibration.

    Attributes
    ----------
    survival : pandas.DataFrame
        Observed, fitted, scenario and sBG survival by segment and tenure.
    fit : pandas.DataFrame
        Goodness of fit per segment.
    sbg_rows : tuple of dict
        The sBG fit per segment (rows of the report's ``sbg`` table).
    """

    survival: pd.DataFrame
    fit: pd.DataFrame
    sbg_rows: tuple[dict[str, Any], ...]


def calibrate_cohorts(
    frame: pd.DataFrame,
    base: Scenario,
    opts: CalibrationOptions,
) -> tuple[Scenario, CalibrationReport]:
    """Calibrate a scenario from a cohort survival table.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per cohort; period columns hold the customers still active.
    base : Scenario
        Scenario whose cause mix, shapes, levers and economics are kept.
    opts : CalibrationOptions
        Calibration options; ``period_months`` gives the months per period of the table
        and ``segment`` the column defining segments (``False`` or ``None``: one).

    Returns
    -------
    scenario : Scenario
        The calibrated scenario.
    report : CalibrationReport
        Fit, sBG comparison, parameters and assumptions.
    """
    if frame.empty:
        raise ScenarioError("data", "no rows: the cohort table is empty")
    period = opts.period_months
    groups, labels = _cohort_matrix(frame, opts.segment)
    segments = list(groups)
    assumptions = [
        f"Cohort table: each row a cohort, column n the customers still active {n_text(period)}"
        " after start; each cohort is observed from its start (no left truncation).",
        "No exit reasons: the cause mix and shapes are kept from the base scenario and "
        "scaled per segment to the observed churn.",
    ]
    data = cohort_counts(groups, base, period)
    shares = np.array(data.sizes) / sum(data.sizes)
    fit = fit_cohort_levels(groups, data, base, opts, shares, period)
    fitted_surv, _ = model_curves(fit.model, data.months)
    built = cohort_scenario(groups, labels, data, fit, fitted_surv, base, opts, shares, period)
    diag = cohort_diagnostics(groups, data, fit.model, fitted_surv, built.scenario, period)
    counted = _counted(data, shares)
    delivered = with_estimation_draws(built.scenario, fit, tuple(segments), acquired=counted)
    report = CalibrationReport(
        scenario=delivered,
        base=base,
        source=opts.source,
        kind="cohorts",
        assumptions=(*assumptions, *built.assumptions),
        warnings=built.warnings,
        rows=pd.DataFrame(
            [
                {"item": "cohorts", "rows": sum(m.shape[0] for m in groups.values())},
                {"item": "customers at period 0", "rows": round(sum(data.sizes))},
            ]
        ),
        issues=issues_frame(()),
        parameters=pd.DataFrame(list(built.params)),
        survival=diag.survival,
        hazards=pd.DataFrame(columns=["segment", "tenure", "cause", "observed", "fitted"]),
        cause_shares=pd.DataFrame(columns=["segment", "cause", "churners", "observed_share"]),
        fit=diag.fit,
        sbg=pd.DataFrame(list(diag.sbg_rows)),
        reasons=pd.DataFrame(),
        revenue=pd.DataFrame(),
        acquisition=pd.DataFrame({"segment": segments, "cohort_customers": list(data.sizes)}),
        projection=projection_table(
            built.scenario, list(diag.sbg_rows), segments, data.n_periods, period
        ),
    )
    return delivered, report


def _counted(data: CohortCounts, shares: np.ndarray) -> Acquisition:
    """Cohort sizes as counts of new customers, which the shares and acquisition read."""
    sizes = np.array(data.sizes, dtype=float)
    return Acquisition(shares, 1.0, None, pd.DataFrame(), "cohort sizes", sizes)


def cohort_counts(groups: dict[str, np.ndarray], base: Scenario, period: int) -> CohortCounts:
    """Fit the sBG model per segment and count churners on the monthly grid.

    Parameters
    ----------
    groups : dict of str to numpy.ndarray
        Per segment, the cohort × period matrix of survivors (NaN padding).
    base : Scenario
        Gives the number of causes.
    period : int
        Months per period.

    Returns
    -------
    CohortCounts
        sBG fits, segment counts and cohort sizes.
    """
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
    return CohortCounts(sbg_fits, tuple(counts), tuple(sizes), n_periods, months)


def fit_cohort_levels(
    groups: dict[str, np.ndarray],
    data: CohortCounts,
    base: Scenario,
    opts: CalibrationOptions,
    shares: np.ndarray,
    period: int,
) -> ChurnModelFit:
    """Scale the base's cause mix per segment to the observed churn by maximum likelihood.

    Parameters
    ----------
    groups : dict of str to numpy.ndarray
        Per segment, the cohort × period matrix of survivors.
    data : CohortCounts
        The segments' counts.
    base : Scenario
        Gives the cause mix, shapes and the starting spread.
    opts : CalibrationOptions
        ``opts.fit_spread`` fixes the spread when given.
    shares : numpy.ndarray
        Segment shares (cohort sizes).
    period : int
        Months per period.

    Returns
    -------
    ChurnModelFit
        The fitted churn model with standard errors.
    """
    segments = list(groups)
    het = np.array([c.heterogeneous for c in base.causes], dtype=bool)
    start = base_levels(base, segments).copy()
    rows_shape = np.array([shape_curve(c.shape, data.months) for c in base.causes])
    for g, c in enumerate(data.counts):
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
        spread=opts.fit_spread,
        spread_start=base.heterogeneity.spread or 0.3,
    )
    return fit_with_reference(list(data.counts), spec, shares)


def cohort_scenario(
    groups: dict[str, np.ndarray],
    labels: list[str],
    data: CohortCounts,
    fit: ChurnModelFit,
    fitted_surv: np.ndarray,
    base: Scenario,
    opts: CalibrationOptions,
    shares: np.ndarray,
    period: int,
) -> CohortScenario:
    """Build the scenario from the fit, gross it up for the levers, list its parameters.

    Parameters
    ----------
    groups : dict of str to numpy.ndarray
        Per segment, the cohort × period matrix of survivors.
    labels : list of str
        Segment labels.
    data : CohortCounts
        The segments' counts and sizes.
    fit : ChurnModelFit
        The fitted churn model.
    fitted_surv : numpy.ndarray
        The model's survival ``[G, T + 1]``: the gross-up's target.
    base : Scenario
        Scenario whose economics and levers are kept.
    opts : CalibrationOptions
        Name, source, spread and ``levers_in_data``.
    shares : numpy.ndarray
        Segment shares.
    period : int
        Months per period.

    Returns
    -------
    CohortScenario
        The scenario, the parameter rows and the notes on building it.
    """
    segments = list(groups)
    model = fit.model
    share_se, per_month_se = count_errors(_counted(data, shares))
    seg_dicts, params = _cohort_segments(segments, labels, shares, share_se, base)
    assumptions: list[str] = []
    new = sum(data.sizes) / max(sum(m.shape[0] for m in groups.values()), 1) / period
    scenario, notes = build_scenario(
        base,
        name=opts.name or f"{base.name}{WHAT_IF_MARK}calibrated",
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
    add_param(
        params,
        "acquisition.new_per_month",
        new,
        "data: mean cohort size per month",
        se=new * per_month_se,
        note="assumes one cohort per period",
    )
    factors = np.ones(len(segments))
    if opts.levers_in_data and scenario.without_levers() != scenario:
        scenario, factors, said = _grossed(scenario, groups, data, fit, fitted_surv, period)
        assumptions.append(said)
    _add_model_params(params, scenario, segments, fit, factors, opts)
    return CohortScenario(scenario, tuple(params), tuple(notes), tuple(assumptions))


def _grossed(
    scenario: Scenario,
    groups: dict[str, np.ndarray],
    data: CohortCounts,
    fit: ChurnModelFit,
    fitted_surv: np.ndarray,
    period: int,
) -> tuple[Scenario, np.ndarray, str]:
    """The scenario grossed up for its levers, the factor per segment, and what to say."""
    months = data.months
    at_risk = _at_risk(groups, months, period)
    free = np.ones_like(fit.model.levels, dtype=bool)
    grossed = gross_up(scenario, free, fitted_surv, at_risk, months)
    said = (
        "Cause levels are grossed up (× "
        + ", ".join(f"{s} {f:.3f}" for s, f in zip(groups, grossed.factors, strict=True))
        + ") so that the scenario with the base's levers reproduces the observed churn."
    )
    return grossed.scenario, grossed.factors, said


def _add_model_params(
    params: list[dict[str, Any]],
    scenario: Scenario,
    segments: list[str],
    fit: ChurnModelFit,
    factors: np.ndarray,
    opts: CalibrationOptions,
) -> None:
    """Append the rows of the scaled cause levels, the heterogeneity and what is kept."""
    model = fit.model
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


def _cohort_segments(
    segments: list[str],
    labels: list[str],
    shares: np.ndarray,
    share_se: np.ndarray,
    base: Scenario,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The scenario's segments (cohort shares, the base's prices) and their parameter rows."""
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
        share = float(shares[g])
        add_param(params, f"segments.{seg}.share", share, "data: cohort sizes", se=share_se[g])
        add_param(params, f"segments.{seg}.monthly_price", price, "kept from base")
        for key, v in econ.items():
            add_param(params, f"segments.{seg}.{key}", v, "kept from base")
    return seg_dicts, params


def _at_risk(groups: dict[str, np.ndarray], months: int, period: int) -> np.ndarray:
    """Customers at risk ``[G, T]`` by month: each period's survivors over its months."""
    at_risk = np.zeros((len(groups), months))
    for g, seg in enumerate(groups):
        mat = groups[seg]
        for row in mat:
            obs = row[~np.isnan(row)]
            for n in range(obs.size - 1):
                at_risk[g, n * period : (n + 1) * period] += obs[n]
    return at_risk


def cohort_diagnostics(
    groups: dict[str, np.ndarray],
    data: CohortCounts,
    model: ChurnModel,
    fitted_surv: np.ndarray,
    scenario: Scenario,
    period: int,
) -> CohortDiagnostics:
    """Compare observed survival with the fit, the scenario and the sBG model.

    Parameters
    ----------
    groups : dict of str to numpy.ndarray
        Per segment, the cohort × period matrix of survivors.
    data : CohortCounts
        sBG fits, counts and sizes.
    model : ChurnModel
        The fitted (net) churn model.
    fitted_surv : numpy.ndarray
        The model's survival ``[G, T + 1]``.
    scenario : Scenario
        The calibrated scenario.
    period : int
        Months per period.

    Returns
    -------
    CohortDiagnostics
        Survival and fit tables and the sBG rows.
    """
    months, n_periods = data.months, data.n_periods
    scen_surv, _ = engine_paths(scenario, months)
    survival_rows, fit_rows, sbg_rows = [], [], []
    for g, seg in enumerate(groups):
        mat = groups[seg]
        sfit = data.sbg_fits[seg]
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
        fit_rows.append(_cohort_fit_row(seg, frame_g, data, model, g))
    return CohortDiagnostics(
        pd.concat(survival_rows, ignore_index=True), pd.DataFrame(fit_rows), tuple(sbg_rows)
    )


def _cohort_fit_row(
    seg: str, frame_g: pd.DataFrame, data: CohortCounts, model: ChurnModel, g: int
) -> dict[str, Any]:
    """Goodness of fit of one segment: gaps of fit, scenario and sBG to the observed."""
    observed = frame_g["observed"].to_numpy(dtype=float)
    seen = np.isfinite(observed)[1:]  # at least period 1: fit_sbg needs two periods
    gap = np.abs(frame_g["scenario"].to_numpy(dtype=float) - observed)[1:][seen]
    fgap = np.abs(frame_g["fitted"].to_numpy(dtype=float) - observed)[1:][seen]
    sgap = np.abs(frame_g["sbg"].to_numpy(dtype=float) - observed)[1:][seen]
    return {
        "segment": seg,
        "customers": float(data.sizes[g]),
        "churners": float(data.counts[g].churners),
        "months_observed": data.months,
        "max_gap": float(fgap.max()),
        "rmse_gap": float(np.sqrt((fgap**2).mean())),
        "within_tolerance": bool(fgap.max() <= TOLERANCE),
        "scenario_max_gap": float(gap.max()),
        "scenario_within_tolerance": bool(gap.max() <= TOLERANCE),
        "sbg_max_gap": float(sgap.max()),
        "chi2": math.nan,
        "df": math.nan,
        "p_value": math.nan,
        "log_likelihood": segment_loglik(model, data.counts[g], g),
    }


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
