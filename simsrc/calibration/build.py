"""Shared steps of a calibration: base-scenario values, the fit, the scenario, diagnostics.

Used by :mod:`simsrc.calibration.snapshot` (customer data) and
:mod:`simsrc.calibration.cohorts` (cohort tables); :func:`simsrc.calibration.calibrate`
is the entry point.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import betaln
from scipy.stats import chi2 as chi2_dist

from simsrc.calibration.churn_model import (
    ChurnModel,
    ChurnModelFit,
    FitSpec,
    SegmentCounts,
    fit_churn_model,
    log_likelihood,
)
from simsrc.calibration.records import Issue
from simsrc.calibration.sbg import SBGFit
from simsrc.calibration.survival import survival_hazards
from simsrc.engine.cohorts import cohort_path
from simsrc.engine.pack import pack
from simsrc.model.conversions import beta_to_spread
from simsrc.model.parts import Shape
from simsrc.model.scenario import Scenario
from simsrc.results.simulate import simulate

LEVER_SECTIONS = (
    "save_team",
    "dunning",
    "win_back",
    "programs",
    "contact",
    "word_of_mouth",
    "channels",
)
TOLERANCE = 0.03
"""Survival gap allowed on top of two Greenwood standard errors (see ``fit``)."""


def period_of(column: object) -> int | None:
    """Period number of a cohort-table column (``0``, ``"3"``, ``"month_3"``, ``"Y2"``)."""
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        return int(column)
    m = re.fullmatch(r"\s*(?:[a-z_ ]*?)[_ ]?(\d+)\s*", str(column).lower())
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------


def base_levels(base: Scenario, segments: Sequence[str]) -> np.ndarray:
    """Base levels ``[G, K]`` for the data's segments (share-weighted mean if unknown)."""
    shares = np.array([s.share for s in base.segments])
    out = np.zeros((len(segments), len(base.causes)))
    for g, seg in enumerate(segments):
        for k, c in enumerate(base.causes):
            if seg in base.segment_names:
                out[g, k] = c.levels[base.segment_index(seg)]
            else:
                out[g, k] = float(np.dot(shares, c.levels))
    return out


def economics(base: Scenario, seg: str) -> dict[str, float]:
    """Margin, cost to serve and CAC of a segment: the base's, or its share-weighted mean."""
    if seg in base.segment_names:
        s = base.segments[base.segment_index(seg)]
        return {"gross_margin": s.gross_margin, "cost_to_serve": s.cost_to_serve, "cac": s.cac}
    shares = np.array([s.share for s in base.segments])
    return {
        key: float(np.dot(shares, [getattr(s, key) for s in base.segments]))
        for key in ("gross_margin", "cost_to_serve", "cac")
    }


def reference_of(levels: np.ndarray, shares: np.ndarray, het: np.ndarray) -> float:
    """Share-weighted sum of heterogeneous levels (the engine's default reference)."""
    m = float(shares @ levels[:, het].sum(axis=1))
    return float(min(max(m, 1e-4), 0.999))


def fit_with_reference(
    counts: Sequence[SegmentCounts], spec: FitSpec, shares: np.ndarray
) -> ChurnModelFit:
    """Fit, then refit with the reference churn implied by the fitted levels.

    The reference churn fixes the heterogeneity distribution's mean during a fit; the
    engine's own default is the share-weighted sum of heterogeneous levels, so the fit is
    repeated (warm) until that sum moves by less than 5 %. The scenario then records the
    reference used, keeping fit and simulation on the same distribution.
    """
    het = np.asarray(spec.heterogeneous, dtype=bool)
    fit = fit_churn_model(counts, spec)
    for _ in range(2):
        m = reference_of(fit.model.levels, shares, het)
        if abs(m - spec.reference_churn) <= 0.05 * spec.reference_churn:
            break
        spec = dataclasses.replace(
            spec,
            levels=np.where(spec.free, fit.model.levels, spec.levels)
            if not spec.scale
            else spec.levels,
            shapes=fit.model.shapes,
            reference_churn=m,
            spread_start=max(fit.model.spread, 1e-3),
        )
        fit = fit_churn_model(counts, spec, spread_starts=(max(fit.model.spread, 1e-3),))
    return fit


def build_scenario(
    base: Scenario,
    *,
    name: str,
    description: str,
    segments: list[dict[str, Any]],
    levels: np.ndarray,
    shapes: Sequence[Shape],
    spread: float,
    reference_churn: float,
    value: dict[str, float] | None,
    acquisition: dict[str, float] | None,
) -> tuple[Scenario, list[str]]:
    """The base's dictionary with calibrated sections replaced; notes on dropped keys."""
    notes: list[str] = []
    d = base.to_dict(full=True)
    names = [s["name"] for s in segments]
    d["name"] = name
    d["description"] = description
    d["segments"] = segments
    for k, cause in enumerate(d["causes"]):
        cause["levels"] = {n: float(levels[g, k]) for g, n in enumerate(names)}
        shape = shapes[k]
        cause["shape"] = {"kind": shape.kind, "months": float(shape.months)}
        if shape.values:
            cause["shape"]["values"] = list(shape.values)
        # the fit's shapes are shared by the data's segments; the base's own per-segment
        # time scales belong to its segments and shapes, not these
        if any(v > 0 for v in cause.pop("segment_months", {}).values()):
            notes.append(f"causes.{cause['name']}.segment_months: dropped (the fit shares shapes)")
    d["heterogeneity"] = {"spread": float(spread), "reference_churn": float(reference_churn)}
    if value is not None:
        d["value"].update(value)
    if acquisition is not None:
        d["acquisition"].update(acquisition)
    for offer, table in d.get("save_team", {}).items():
        if isinstance(table, dict) and table.get("segments"):
            kept = [s for s in table["segments"] if s in names]
            if len(kept) != len(table["segments"]):
                notes.append(
                    f"save_team.{offer}.segments: dropped segments not in the data "
                    f"({', '.join(s for s in table['segments'] if s not in names)})"
                )
            table["segments"] = kept
    if "uncertainty" in d:
        keep = {}
        for path, rng in d["uncertainty"].items():
            parts = path.split(".")
            stale = (parts[0] == "segments" and parts[1] not in names) or (
                parts[0] == "causes" and "levels" in parts and parts[-1] not in names
            )
            calibrated = (
                parts[0] in ("heterogeneity", "value")
                or (parts[0] == "causes" and parts[2:3] in (["levels"], ["shape"]))
                or (parts[0] == "acquisition" and acquisition is not None
                    and parts[1] in acquisition)
                or (parts[0] == "segments" and parts[-1] in ("share", "monthly_price"))
            )  # fmt: skip
            if stale or calibrated:
                notes.append(f"uncertainty.{path}: dropped (calibrated or no longer present)")
            else:
                keep[path] = rng
        d["uncertainty"] = keep
        if not keep:
            del d["uncertainty"]
    return Scenario.from_dict(d), notes


ENGINE_MAX_MONTHS = 240
"""Longest horizon the engine simulates (``horizon_months`` at most 240)."""


def engine_paths(s: Scenario, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Engine survival ``[G, T + 1]`` and churn by cause ``[G, T, K]`` of a unit cohort.

    Months beyond :data:`ENGINE_MAX_MONTHS` (data with customers of more than 20 years'
    tenure) are NaN: the engine does not simulate them.
    """
    h = min(max(months, 1), ENGINE_MAX_MONTHS)
    path = cohort_path(pack([s.replace(horizon_months=h)]))
    active = path["active"][0]  # [G, H]: after each tenure month
    surv = np.concatenate([np.ones((active.shape[0], 1)), active], axis=1)[:, : months + 1]
    churned = path["churned"][0][:, :months, :]
    if months > h:
        surv = np.pad(surv, ((0, 0), (0, months - h)), constant_values=np.nan)
        churned = np.pad(churned, ((0, 0), (0, months - h), (0, 0)), constant_values=np.nan)
    return surv, churned


class GrossUp(NamedTuple):
    """The scenario grossed up for its levers.

    Attributes
    ----------
    scenario : Scenario
        The scenario with scaled levels.
    factors : numpy.ndarray
        The factor applied to each segment's fitted levels.
    converged : bool
        Whether the fixed-point iteration converged.
    """

    scenario: Scenario
    factors: np.ndarray
    converged: bool


def gross_up(
    s: Scenario,
    fitted: np.ndarray,
    target_survival: np.ndarray,
    at_risk: np.ndarray,
    months: int,
) -> GrossUp:
    """Scale fitted levels per segment until the scenario with levers matches the fit.

    Matches the expected number of churners at the observed risk sets,
    ``Σ_t n_t (1 − S(t)/S(t − 1))``, between the engine path with levers and the fitted
    (levers-as-observed) survival; a fixed-point iteration on one factor per segment.
    Returns the scenario, the factors and whether it converged.

    Parameters
    ----------
    s : Scenario
        The scenario with the fitted (net) levels and the base's levers.
    fitted : numpy.ndarray
        ``[G, K]``: which levels are scaled (the others are kept).
    target_survival : numpy.ndarray
        ``[G, T + 1]``: the fitted survival to reproduce.
    at_risk : numpy.ndarray
        ``[G, T]``: observed customers at risk by month.
    months : int
        Longest tenure.

    Returns
    -------
    GrossUp
        The scenario, the factor per segment and whether the iteration converged.
    """
    g_n = len(s.segments)
    factors = np.ones(g_n)
    if s.without_levers() == s or not fitted.any():
        return GrossUp(s, factors, True)

    # Matched over the months the engine simulates (see engine_paths), for both sides.
    span = min(months, ENGINE_MAX_MONTHS)

    def expected(surv: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            h = 1.0 - surv[:, 1 : span + 1] / surv[:, :span]
        h = np.nan_to_num(h, nan=0.0)
        return (at_risk[:, :span] * h).sum(axis=1)

    target = expected(target_survival)
    base_levels = np.array([c.levels for c in s.causes]).T  # [G, K]
    converged = False
    current = s
    for _ in range(40):
        surv, _ = engine_paths(current, months)
        sim = expected(surv)
        ratio = np.where(sim > 0, target / np.maximum(sim, 1e-300), 1.0)
        if np.all(np.abs(ratio - 1.0) < 1e-4):
            converged = True
            break
        factors = factors * np.clip(ratio, 0.5, 2.0)
        levels = np.where(fitted, np.minimum(base_levels * factors[:, None], 1.0), base_levels)
        causes = tuple(
            dataclasses.replace(c, levels=tuple(float(v) for v in levels[:, k]))
            for k, c in enumerate(current.causes)
        )
        current = dataclasses.replace(current, causes=causes)
    return GrossUp(current, factors, converged)


def source_name(source: str) -> str:
    """A data file's name (no folders: scenario files travel), else the description."""
    try:
        path = Path(source)
        return path.name if path.is_file() else source
    except (OSError, ValueError):
        return source


def issues_frame(issues: Sequence[Issue]) -> pd.DataFrame:
    """Data problems as a table."""
    return pd.DataFrame(
        [dataclasses.asdict(i) for i in issues],
        columns=["level", "column", "problem", "rows", "first_rows", "action"],
    )


def add_param(
    rows: list[dict[str, Any]],
    path: str,
    value: float,
    source: str,
    se: float = math.nan,
    note: str = "",
) -> None:
    """Append one row to the report's parameter table."""
    rows.append({"path": path, "value": value, "se": se, "source": source, "note": note})


def sbg_row(seg: str, fit: SBGFit | None) -> dict[str, Any]:
    """One row of the report's sBG table (NaN when the fit failed)."""
    if fit is None:
        return {
            "segment": seg,
            "alpha": math.nan,
            "beta": math.nan,
            "alpha_se": math.nan,
            "beta_se": math.nan,
            "mean_churn": math.nan,
            "spread": math.nan,
            "log_likelihood": math.nan,
            "converged": False,
        }
    mean, spread = beta_to_spread(fit.alpha, fit.beta)
    return {
        "segment": seg,
        "alpha": fit.alpha,
        "beta": fit.beta,
        "alpha_se": fit.alpha_se,
        "beta_se": fit.beta_se,
        "mean_churn": mean,
        "spread": spread,
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
    }


def fit_stats(
    seg: str,
    observed: pd.DataFrame,
    fitted: np.ndarray,
    scenario: np.ndarray,
    n_params: float,
    loglik: float,
    min_at_risk: float,
) -> dict[str, Any]:
    """Gap and hazard chi-square statistics of one segment."""
    months = len(observed)
    n = observed["at_risk"].to_numpy(dtype=float)
    d = observed["churned"].to_numpy(dtype=float)
    obs = observed["survival"].to_numpy()
    se = np.nan_to_num(observed["survival_se"].to_numpy(), nan=0.0)
    mask = n >= min_at_risk
    gap = np.abs(fitted[1 : months + 1] - obs)
    sgap = np.abs(scenario[1 : months + 1] - obs)
    smask = mask & np.isfinite(sgap)  # the engine's path ends at 240 months
    h = np.clip(survival_hazards(fitted[: months + 1]), 1e-12, 1 - 1e-12)
    expected = n * h
    m = mask & (expected > 0)
    chi = float(((d[m] - expected[m]) ** 2 / (expected[m] * (1 - h[m]))).sum())
    df = max(int(mask.sum()) - math.ceil(n_params), 1)
    band = TOLERANCE + 2.0 * se
    return {
        "segment": seg,
        "customers": float(n[0]),
        "churners": float(d.sum()),
        "months_observed": int(mask.sum()),
        "max_gap": float(gap[mask].max()) if mask.any() else math.nan,
        "rmse_gap": float(np.sqrt((gap[mask] ** 2).mean())) if mask.any() else math.nan,
        "within_tolerance": bool(np.all(gap[mask] <= band[mask])) if mask.any() else False,
        "scenario_max_gap": float(sgap[smask].max()) if smask.any() else math.nan,
        "scenario_within_tolerance": bool(np.all(sgap[smask] <= band[smask]))
        if smask.any()
        else False,
        "chi2": chi,
        "df": df,
        "p_value": float(chi2_dist.sf(chi, df)),
        "log_likelihood": loglik,
    }


def segment_loglik(model: ChurnModel, counts: SegmentCounts, g: int) -> float:
    """Log-likelihood of one segment's data under the fitted model."""
    if counts.customers == 0:
        return math.nan
    one = dataclasses.replace(model, levels=model.levels[g : g + 1])
    return log_likelihood(one, [counts])


def projection_table(
    s: Scenario,
    sbg_rows: Sequence[dict[str, Any]],
    segments: Sequence[str],
    months: int,
    period: int,
) -> pd.DataFrame:
    """SBG and scenario survival beyond the data (twice the observed span, >= 5 years)."""
    horizon = int(min(240, max(2 * months * period, 60)))
    surv = simulate(s.replace(horizon_months=horizon)).survival
    frames = []
    for g, seg in enumerate(segments):
        row = sbg_rows[g]
        t = np.arange(0, horizon + 1, period)
        sbg = (
            np.exp(log_sbg(row["alpha"], row["beta"], t // period))
            if math.isfinite(row["alpha"])
            else np.full(t.size, np.nan)
        )
        frames.append(
            pd.DataFrame(
                {"segment": seg, "tenure": t, "sbg": sbg, "scenario": surv[seg].to_numpy()[t]}
            )
        )
    return pd.concat(frames, ignore_index=True)


def log_sbg(alpha: float, beta: float, t: np.ndarray) -> np.ndarray:
    """Log survival of the sBG, ``ln B(α, β + t) − ln B(α, β)`` (Fader & Hardie 2007)."""
    return np.asarray(betaln(alpha, beta + t) - betaln(alpha, beta), dtype=float)
