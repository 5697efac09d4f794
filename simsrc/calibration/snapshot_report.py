"""What a snapshot calibration reports: parameters, identification and diagnostics.

The report lists where each parameter came from (fitted, derived, kept from the base),
warns of estimates the data barely identify, and compares the observed survival, hazards
and cause shares with the fit, the scenario and the shifted-beta-geometric model [fh2007].
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from simsrc.calibration.build import (
    LEVER_SECTIONS,
    TOLERANCE,
    add_param,
    engine_paths,
    fit_stats,
    sbg_row,
    segment_loglik,
)
from simsrc.calibration.goodness import band_tests, bands_chi2, exit_month_survival
from simsrc.calibration.reasons import UNKNOWN
from simsrc.calibration.sbg import SBGFit, fit_sbg_durations
from simsrc.calibration.snapshot_fit import CauseRoles, SnapshotFit, SnapshotSetup
from simsrc.calibration.survival import cause_specific_hazards, life_table
from simsrc.model.scenario import Scenario
from simsrc.model.units import compact

__all__ = [
    "SnapshotDiagnostics",
    "identification_warnings",
    "model_parameters",
    "snapshot_diagnostics",
]


@dataclasses.dataclass(frozen=True)
class SnapshotDiagnostics:
    """The report's observed-vs-fitted tables and the notes they give rise to.

    Attributes
    ----------
    survival, hazards, cause_shares, fit, sbg, bands : pandas.DataFrame
        The report's tables of the same names.
    sbg_rows : tuple of dict
        The sBG fit per segment (the rows of ``sbg``).
    warnings, assumptions : tuple of str
        Segments fitted only on average, sBG fits without an optimum, and the
        full-history sensitivity of a window snapshot.
    """

    survival: pd.DataFrame
    hazards: pd.DataFrame
    cause_shares: pd.DataFrame
    fit: pd.DataFrame
    sbg: pd.DataFrame
    sbg_rows: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    assumptions: tuple[str, ...]
    bands: pd.DataFrame


# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------


def model_parameters(
    setup: SnapshotSetup,
    roles: CauseRoles,
    fitted: SnapshotFit,
    scenario: Scenario,
    factors: np.ndarray,
    grossed: bool,
) -> list[dict[str, Any]]:
    """Parameter rows of the churn model, the levers and the scenario's settings.

    Parameters
    ----------
    setup : SnapshotSetup
        The data, the base and the options.
    roles : CauseRoles
        Which causes the data speak to.
    fitted : SnapshotFit
        The estimates.
    scenario : Scenario
        The calibrated scenario (levels grossed up for the levers if so).
    factors : numpy.ndarray
        Per segment, the gross-up factor of the fitted levels.
    grossed : bool
        Whether the levels were grossed up.

    Returns
    -------
    list of dict
        Rows of the report's parameter table.
    """
    opts, fit = setup.opts, fitted.fit
    model = fit.model
    params: list[dict[str, Any]] = []
    final_levels = np.array([c.levels for c in scenario.causes]).T
    fitted_mask = fitted.free if not roles.scale else np.ones_like(fitted.free)
    for k, cname in enumerate(setup.causes):
        for g in range(len(setup.segments)):
            gross = factors[g] if grossed and fitted_mask[g, k] else 1.0
            _add_level(params, setup, roles, fitted, (g, k), final_levels[g, k], gross)
        shape = model.shapes[k]
        if shape.kind in ("early", "hump"):
            src = "fitted" if fitted.fit_shape[k] else "kept from base"
            if fitted.fit_shape[k] and fit.shape_at_bound[k]:
                src = "fitted (at bound)"
            add_param(params, f"causes.{cname}.shape.months", shape.months, src, fit.shape_se[k])
    if opts.spread is None:
        src = "fitted (at bound)" if fit.spread_at_bound else "fitted"
        add_param(params, "heterogeneity.spread", model.spread, src, fit.spread_se)
    else:
        add_param(params, "heterogeneity.spread", model.spread, "given", note="spread= option")
    add_param(
        params,
        "heterogeneity.reference_churn",
        model.reference_churn,
        "derived",
        note="share-weighted sum of the fitted (net) heterogeneous levels",
    )
    for section in LEVER_SECTIONS:
        add_param(
            params,
            section,
            math.nan,
            "kept from base",
            note="retention levers are not in the data",
        )
    for key in ("horizon_months", "annual_discount_rate", "currency"):
        add_param(params, key, math.nan, "kept from base", note=str(getattr(setup.base, key)))
    return params


def _add_level(
    params: list[dict[str, Any]],
    setup: SnapshotSetup,
    roles: CauseRoles,
    fitted: SnapshotFit,
    cell: tuple[int, int],
    final: float,
    gross: float,
) -> None:
    """Append the row of one cause level (segment ``g``, cause ``k``) and its source."""
    g, k = cell
    cname, seg = setup.causes[k], setup.segments[g]
    fit = fitted.fit
    net = fit.model.levels[g, k]
    path = f"causes.{cname}.levels.{seg}"
    note = (
        f"observed (net) level {compact(net, 5)} × {gross:.4f} for the levers"
        if gross != 1.0 and net > 0
        else ""
    )
    if roles.scale:
        add_param(
            params, path, final, "fitted (base mix scaled)", fit.level_se[g, k] * gross, note
        )
    elif fitted.free[g, k]:
        src = "fitted (at bound)" if fit.level_at_bound[g, k] else "fitted"
        if fitted.at_zero[g, k]:
            src = "fitted: 0"
        if cname in roles.latent:
            src += ", latent"
            note = (note + "; " if note else "") + (
                "no reason of its own: estimated from early churn of any stated reason"
            )
        add_param(params, path, final, src, fit.level_se[g, k] * gross, note)
    elif cname in roles.latent:
        add_param(
            params,
            path,
            0.0,
            "zero: no churners",
            note="latent cause in a segment without churners",
        )
    elif cname in roles.data_causes:
        add_param(
            params,
            path,
            0.0,
            "zero: no churners",
            note=f"no churner of this segment gave a reason mapped to {cname}",
        )
    elif setup.opts.unmapped_causes == "keep":
        add_param(
            params,
            path,
            final,
            "kept from base",
            note="no reason in the data maps onto this cause",
        )
    else:
        add_param(params, path, 0.0, "zero: not in the data")


# --------------------------------------------------------------------------------------
# Identification
# --------------------------------------------------------------------------------------


def identification_warnings(
    setup: SnapshotSetup, roles: CauseRoles, fitted: SnapshotFit
) -> list[str]:
    """Warnings on estimates the data do not pin down and on levels not fitted.

    Parameters
    ----------
    setup : SnapshotSetup
        The data, the base and the options.
    roles : CauseRoles
        Which causes the data speak to.
    fitted : SnapshotFit
        The estimates.

    Returns
    -------
    list of str
        The warnings, in the report's order.
    """
    causes, segments, opts = setup.causes, setup.segments, setup.opts
    fit = fitted.fit
    model = fit.model
    warnings: list[str] = []
    if opts.spread is None:
        if fit.spread_at_bound:
            warnings.append(
                f"heterogeneity.spread: the estimate sits at its bound ({model.spread:.3f}); "
                "the data do not pin down how different customers are"
            )
        elif not math.isfinite(fit.spread_se) or fit.spread_se > 0.15:
            warnings.append(
                f"heterogeneity.spread: weakly identified ({model.spread:.3f} ± "
                f"{fit.spread_se:.3f}); a falling churn rate can come from risky customers "
                "leaving first or from the causes' shapes, and the data barely tell them apart"
            )
    for k, cname in enumerate(causes):
        if fitted.fit_shape[k] and (fit.shape_at_bound[k] or not math.isfinite(fit.shape_se[k])):
            warnings.append(
                f"causes.{cname}.shape.months: not identified by the data "
                f"({model.shapes[k].months:.3g} months, at a bound or without a standard error)"
            )
    zero_cells = [
        f"{causes[k]}.{segments[g]}"
        for g in range(len(segments))
        for k in range(len(causes))
        if causes[k] in roles.data_causes and not fitted.free[g, k] and not roles.scale
    ]
    if zero_cells:
        warnings.append(
            "Levels set to 0 (no churner gave a reason mapped to the cause in that segment): "
            + ", ".join(zero_cells)
        )
    kept_causes = [c for c in causes if c not in fitted.fitted_causes and not roles.scale]
    if kept_causes:
        what = "kept at the base's levels" if opts.unmapped_causes == "keep" else "set to 0"
        warnings.append(
            f"Causes no reason in the data maps onto, {what}: {', '.join(kept_causes)}"
        )
    if not fit.converged:
        warnings.append(
            "The maximum-likelihood fit did not fully converge (or its information matrix is "
            "singular): treat standard errors with care"
        )
    return warnings


# --------------------------------------------------------------------------------------
# Diagnostics
# --------------------------------------------------------------------------------------


def snapshot_diagnostics(
    setup: SnapshotSetup,
    roles: CauseRoles,
    fitted: SnapshotFit,
    scenario: Scenario,
    grossed: bool,
) -> SnapshotDiagnostics:
    """Compare the observed survival, hazards and cause shares with fit and scenario.

    Parameters
    ----------
    setup : SnapshotSetup
        The data, the base and the options.
    roles : CauseRoles
        Which causes the data speak to.
    fitted : SnapshotFit
        The estimates and fitted curves.
    scenario : Scenario
        The calibrated scenario.
    grossed : bool
        Whether the levels were grossed up for the base's levers.

    Returns
    -------
    SnapshotDiagnostics
        The report's tables and the warnings and assumptions they give rise to.
    """
    prep, months = setup.prep, setup.months
    scen_surv, scen_churn = engine_paths(scenario, months)
    survival_rows, hazard_frames, share_rows, fit_rows, sbg_rows = [], [], [], [], []
    band_frames = []
    warnings: list[str] = []
    per_seg_params = fitted.fit.n_params / max(len(setup.segments), 1)
    full_history_notes = []
    for g, seg in enumerate(setup.segments):
        r = setup.risk[setup.risk["segment"] == seg]
        lt = fitted.life_tables[g]
        sfit = _sbg_fit(r)
        sbg_rows.append(sbg_row(seg, sfit))
        survival_rows.append(
            _survival_frame(seg, lt, fitted.survival[g], scen_surv[g], sfit, months)
        )
        hazard_frames += _hazard_frames(setup, fitted, g, r)
        share_rows += _share_rows(setup, roles, fitted, g, np.nansum(scen_churn[g], axis=0))
        stats = fit_stats(
            seg,
            lt,
            fitted.survival[g],
            scen_surv[g],
            per_seg_params,
            segment_loglik(fitted.fit.model, fitted.counts[g], g),
            setup.opts.min_at_risk,
        )
        stats["customers"] = float(r["weight"].sum())
        bands = band_tests(lt["at_risk"].to_numpy(), lt["churned"].to_numpy(), scen_surv[g])
        band_frames.append(bands.assign(segment=seg))
        stats["band_chi2"], stats["band_df"], stats["band_p_value"] = bands_chi2(bands)
        fit_rows.append(stats)
        warnings += _fit_warnings(seg, stats, grossed)
        if prep.window is not None and prep.as_of is None:
            full_history_notes.append(_full_history_note(setup, seg, lt))
    assumptions = _window_notes(setup, full_history_notes)
    sbg_table = pd.DataFrame(sbg_rows)
    warnings += _sbg_warnings(sbg_table, sbg_rows, fitted.fit.model.spread)
    return SnapshotDiagnostics(
        survival=pd.concat(survival_rows, ignore_index=True),
        hazards=pd.concat(hazard_frames, ignore_index=True),
        cause_shares=pd.DataFrame(share_rows),
        fit=pd.DataFrame(fit_rows),
        sbg=sbg_table,
        sbg_rows=tuple(sbg_rows),
        warnings=tuple(warnings),
        assumptions=tuple(assumptions),
        bands=pd.concat(band_frames, ignore_index=True)[["segment", *band_frames[0].columns[:-1]]],
    )


def _window_notes(setup: SnapshotSetup, full_history: list[str]) -> list[str]:
    """How a window snapshot's reading moves 12-month survival (none without a window)."""
    if not full_history:
        return []
    return [
        "Sensitivity: read as full history instead of a window, 12-month survival would "
        "be (full history vs window): " + "; ".join(full_history) + ".",
        _exit_month_note(setup),
    ]


def _exit_month_note(setup: SnapshotSetup) -> str:
    """12-month survival with every leaver in the window's first, middle or last month."""
    cust, window, months = setup.prep.customers, int(setup.prep.window or 1), setup.months
    parts = []
    for seg in setup.segments:
        s = exit_month_survival(cust[cust["segment"] == seg], window, months, 12)
        parts.append(f"{seg} {s['first']:.3f} / {s['middle']:.3f} / {s['last']:.3f}")
    return (
        f"Sensitivity to when in the {window}-month window leavers left (taken as any month "
        "alike): 12-month survival with every leaver in its first / middle / last month: "
        + "; ".join(parts)
        + "."
    )


def _sbg_fit(r: pd.DataFrame) -> SBGFit | None:
    """The sBG fit of one segment's risk-set rows (None: no fit)."""
    try:
        return fit_sbg_durations(r["tenure"], r["churned"], r["entry"], r["weight"])
    except ValueError:
        return None


def _survival_frame(
    seg: str,
    lt: pd.DataFrame,
    fitted_surv: np.ndarray,
    scen_surv: np.ndarray,
    sfit: SBGFit | None,
    months: int,
) -> pd.DataFrame:
    """Observed (Kaplan–Meier), fitted, scenario and sBG survival of one segment."""
    sbg_curve = (
        sfit.survival(np.arange(months + 1)) if sfit is not None else np.full(months + 1, np.nan)
    )
    return pd.DataFrame(
        {
            "segment": seg,
            "tenure": np.arange(months + 1),
            "at_risk": np.r_[np.nan, lt["at_risk"].to_numpy(dtype=float)],
            "churned": np.r_[0.0, lt["churned"].to_numpy(dtype=float)],
            "observed": np.r_[1.0, lt["survival"].to_numpy()],
            "observed_se": np.r_[0.0, lt["survival_se"].to_numpy()],
            "fitted": fitted_surv,
            "scenario": scen_surv,
            "sbg": sbg_curve,
        }
    )


def _hazard_frames(
    setup: SnapshotSetup, fitted: SnapshotFit, g: int, r: pd.DataFrame
) -> list[pd.DataFrame]:
    """Cause-specific hazards and cumulative incidence of one segment, observed vs fitted."""
    causes, months, seg = setup.causes, setup.months, setup.segments[g]
    labels = r["cause"].where(r["churned"], None)
    obs_cs = cause_specific_hazards(
        r["tenure"],
        r["churned"],
        labels.fillna(UNKNOWN).where(r["churned"], None),
        months,
        causes=[*causes, UNKNOWN],
        entry=r["entry"],
        weight=r["weight"],
    )
    prev = fitted.survival[g][:-1]
    frames = []
    for k, cname in enumerate(causes):
        with np.errstate(divide="ignore", invalid="ignore"):
            fh = np.where(prev > 0, fitted.pmf[g, :, k] / prev, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "segment": seg,
                    "tenure": np.arange(1, months + 1),
                    "cause": cname,
                    "observed": obs_cs["hazard", cname].to_numpy(),
                    "fitted": fh,
                    "observed_cif": obs_cs["cif", cname].to_numpy(),
                    "fitted_cif": np.cumsum(fitted.pmf[g, :, k]),
                }
            )
        )
    frames.append(
        pd.DataFrame(
            {
                "segment": seg,
                "tenure": np.arange(1, months + 1),
                "cause": UNKNOWN,
                "observed": obs_cs["hazard", UNKNOWN].to_numpy(),
                "fitted": np.nan,
                "observed_cif": obs_cs["cif", UNKNOWN].to_numpy(),
                "fitted_cif": np.nan,
            }
        )
    )
    return frames


def _share(values: np.ndarray, k: int, mask: np.ndarray) -> float:
    """Share of cause ``k`` among the causes in ``mask`` (NaN outside it or if none)."""
    total = float(values[mask].sum())
    return float(values[k] / total) if mask[k] and total > 0 else math.nan


def _share_rows(
    setup: SnapshotSetup,
    roles: CauseRoles,
    fitted: SnapshotFit,
    g: int,
    sim_k: np.ndarray,
) -> list[dict[str, Any]]:
    """Cause shares of one segment: observed, expected (stated and all) and simulated.

    ``sim_k`` is the scenario's churn by cause summed over tenure.
    """
    causes, seg = setup.causes, setup.segments[g]
    n_t = fitted.life_tables[g]["at_risk"].to_numpy(dtype=float)
    prev = fitted.survival[g][:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(prev[:, None] > 0, fitted.pmf[g] / prev[:, None], 0.0)
    expected = n_t @ cond  # [K] expected churners by cause at the observed risk sets
    member = fitted.counts[g].member
    said = expected @ member if member is not None else expected  # by stated reason
    observed_k = fitted.stated[g]
    stated_mask = np.array([c in roles.data_causes for c in causes])
    everything = np.ones(len(causes), dtype=bool)
    rows: list[dict[str, Any]] = [
        {
            "segment": seg,
            "cause": cname,
            "churners": float(observed_k[k]),
            "observed_share": _share(observed_k, k, stated_mask),
            "expected_stated": float(said[k]) if stated_mask[k] else math.nan,
            "stated_share": _share(said, k, stated_mask),
            "expected": float(expected[k]),
            "fitted_share_all": _share(expected, k, everything),
            "scenario_share": _share(sim_k, k, everything),
        }
        for k, cname in enumerate(causes)
    ]
    rows.append(
        {
            "segment": seg,
            "cause": UNKNOWN,
            "churners": float(fitted.counts[g].unknown.sum()),
            "observed_share": math.nan,
            "expected_stated": math.nan,
            "stated_share": math.nan,
            "expected": math.nan,
            "fitted_share_all": math.nan,
            "scenario_share": math.nan,
        }
    )
    return rows


def _fit_warnings(seg: str, stats: dict[str, Any], grossed: bool) -> list[str]:
    """A warning when the delivered scenario misses the observed survival.

    The fitted model shares cause shapes and one spread across segments; the delivered
    scenario has each segment's contract or tenure pattern fitted on top
    (:mod:`simsrc.calibration.delivered`), so only its gap is a reason to warn.
    """
    if stats["scenario_within_tolerance"]:
        return []
    if not stats["within_tolerance"]:
        return [
            f"{seg}: the scenario's survival departs from the observed (Kaplan–Meier) by up "
            f"to {stats['scenario_max_gap']:.3f}, more than {TOLERANCE:.2f} + 2 standard "
            f"errors (the fitted model: {stats['max_gap']:.3f}): the segment's tenure "
            "pattern is not one the engine's shared cause shapes, contract terms and one "
            "spread can follow (contract_terms= names a segment's term)"
        ]
    if grossed:
        return [
            f"{seg}: simulated with the base's levers on, the scenario's survival departs "
            f"from the observed by up to {stats['scenario_max_gap']:.3f} (the fit: "
            f"{stats['max_gap']:.3f}): offers move churn in time (a discount holds a "
            "customer for its months, then most leave), which its fitted tenure pattern "
            "could not undo; with levers_in_data=False the levels are the observed rates "
            "instead"
        ]
    return []


def _full_history_note(setup: SnapshotSetup, seg: str, lt: pd.DataFrame) -> str:
    """12-month survival of a segment read as full history vs as a window."""
    cust, months = setup.prep.customers, setup.months
    plain = life_table(
        cust.loc[cust["segment"] == seg, "tenure"],
        cust.loc[cust["segment"] == seg, "churned"],
        months,
    )
    at = min(12, months)
    return f"{seg} {plain['survival'].iloc[at - 1]:.3f} vs {lt['survival'].iloc[at - 1]:.3f}"


def _sbg_warnings(
    sbg_table: pd.DataFrame, sbg_rows: list[dict[str, Any]], spread: float
) -> list[str]:
    """Warnings on sBG fits without an optimum and on spreads that differ by segment."""
    warnings = [
        f"{row['segment']}: the sBG fit has no interior optimum (retention does not "
        "rise with tenure, so the data show no sorting of risky customers); its α, β "
        "are at the search bounds and are given for reference only"
        for row in sbg_rows
        if not row["converged"]
    ]
    spreads = sbg_table.loc[sbg_table["converged"].astype(bool), "spread"].dropna()
    if len(spreads) > 1 and spreads.max() - spreads.min() > 0.3:
        warnings.append(
            "Per-segment sBG spreads range from "
            f"{spreads.min():.2f} to {spreads.max():.2f}; the scenario has one spread for "
            f"all segments ({spread:.2f})"
        )
    return warnings
