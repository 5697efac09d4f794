"""Calibration from customer snapshots and event logs (one row per customer).

Customer rows are validated (:mod:`simsrc.calibration.prepare`), expanded into risk sets
with delayed entry, and the engine's churn model is fitted to them by maximum likelihood
(:mod:`simsrc.calibration.churn_model`); revenue by tenure, acquisition and the report's
diagnostics follow. Entry point: :func:`simsrc.calibration.calibrate`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
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
    fit_stats,
    fit_with_reference,
    gross_up,
    issues_frame,
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
from simsrc.calibration.prepare import Prepared, risk_rows
from simsrc.calibration.reasons import UNKNOWN
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.sbg import SBGFit, fit_sbg_durations
from simsrc.calibration.survival import cause_specific_hazards, life_table
from simsrc.calibration.value import fit_value_curve, revenue_by_tenure
from simsrc.engine.curves import shape_curve
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario

# --------------------------------------------------------------------------------------
# Customer snapshots
# --------------------------------------------------------------------------------------


def _counts(
    risk: pd.DataFrame,
    segments: Sequence[str],
    causes: Sequence[str],
    months: int,
    hides: Mapping[str, Sequence[str]] | None = None,
) -> list[SegmentCounts]:
    """Per-segment sufficient statistics.

    ``hides[c]`` lists latent causes whose churners may state reason ``c``; they state
    the reasons in ``hides`` in the proportions the segment's churners state them.
    """
    index = {c: k for k, c in enumerate(causes)}
    k_n = len(causes)
    out = []
    for seg in segments:
        r = risk[risk["segment"] == seg]
        t = r["tenure"].to_numpy(dtype=np.int64)
        w = r["weight"].to_numpy(dtype=float)
        ch = r["churned"].to_numpy(dtype=bool)
        e = r["entry"].to_numpy(dtype=np.int64)
        cause = r["cause"].to_numpy(dtype=object)
        events = np.zeros((months, k_n))
        unknown = np.zeros(months)
        for c, k in index.items():
            m = ch & (cause == c)
            np.add.at(events[:, k], t[m] - 1, w[m])
        m = ch & ~np.isin(cause, list(index))
        np.add.at(unknown, t[m] - 1, w[m])
        censored = np.bincount(t[~ch], weights=w[~ch], minlength=months + 1)[: months + 1]
        entries = np.bincount(e, weights=w, minlength=months + 1)[: months + 1]
        member = None
        if hides:
            member = np.eye(k_n)
            stated = events.sum(axis=0)
            eligible = np.array([causes[k] in hides for k in range(k_n)])
            total = float(stated[eligible].sum())
            for latent in {x for v in hides.values() for x in v}:
                j = index[latent]
                member[j] = np.where(eligible, stated / total, 0.0) if total > 0 else 0.0
        out.append(
            SegmentCounts(
                events, unknown, censored.astype(float), entries.astype(float), member=member
            )
        )
    return out


def _acquisition(
    prep: Prepared, segments: Sequence[str], base: Scenario
) -> tuple[np.ndarray, float | None, float | None, pd.DataFrame, str]:
    """Shares, new customers per month, growth, a table and how they were found."""
    c = prep.customers
    shares_base = np.array(
        [
            base.segments[base.segment_index(s)].share if s in base.segment_names else math.nan
            for s in segments
        ]
    )
    if prep.window is not None and prep.as_of is None:
        joined = (
            c.groupby("segment")["joined_weight"].sum().reindex(list(segments), fill_value=0.0)
        )
        total = float(joined.sum())
        table = pd.DataFrame(
            {
                "segment": list(segments),
                "joined_in_window": joined.to_numpy(),
                "per_month": joined.to_numpy() / prep.window,
            }
        )
        if total > 0:
            return (
                joined.to_numpy() / total,
                total / prep.window,
                None,
                table,
                f"customers who joined during the {prep.window}-month window",
            )
        return shares_base, None, None, table, ""
    if prep.as_of is not None and c["start"].notna().any():
        starts = c[c["joined_weight"] > 0].dropna(subset=["start"])
        month = pd.to_datetime(starts["start"]).dt.to_period("M")
        table = (
            pd.DataFrame({"month": month.astype(str), "segment": starts["segment"]})
            .groupby(["month", "segment"])
            .size()
            .rename("new")
            .reset_index()
        )
        last = pd.Timestamp(prep.as_of).to_period("M")
        if table.empty:
            return shares_base, None, None, table, ""
        first = min(pd.Period(m, "M") for m in table["month"])
        # every complete month since the first start, months without sign-ups included
        complete = [str(m) for m in pd.period_range(first, last - 1, freq="M")]
        if not complete:
            return shares_base, None, None, table, ""
        recent = complete[-12:]
        per_month = table[table["month"].isin(recent)].groupby("month")["new"].sum()
        by_seg = (
            table[table["month"].isin(recent)]
            .groupby("segment")["new"]
            .sum()
            .reindex(list(segments), fill_value=0)
        )
        growth = None
        window = complete[-24:]
        if len(window) >= 6:
            by_month = table[table["month"].isin(window)].groupby("month")["new"].sum()
            y = by_month.reindex(window, fill_value=0).to_numpy(dtype=float)
            if (y > 0).all():
                slope = np.polyfit(np.arange(y.size), np.log(y), 1)[0]
                growth = float(np.clip(math.expm1(slope), -0.5, 1.0))
        total = float(by_seg.sum())
        shares = by_seg.to_numpy() / total if total > 0 else shares_base
        return (
            shares,
            float(per_month.reindex(recent, fill_value=0).mean()),
            growth,
            table,
            f"start dates, last {len(recent)} complete month(s)",
        )
    counts = c.groupby("segment").size().reindex(list(segments), fill_value=0)
    table = pd.DataFrame({"segment": list(segments), "customers": counts.to_numpy()})
    return (
        counts.to_numpy() / counts.sum(),
        None,
        None,
        table,
        "all customers in the file (each acquired once: full history)",
    )


def _calibrate_snapshot(
    prep: Prepared,
    base: Scenario,
    opts: Options,
    latent_causes: Sequence[str] | Literal["auto"] | None = "auto",
) -> tuple[Scenario, CalibrationReport]:
    causes = list(base.cause_names)
    cust = prep.customers
    if not cust["churned"].any():
        raise ScenarioError(
            # the column the user would look at (the role name "status" may be no column)
            str(prep.columns.get("status") or prep.columns.get("end") or "data"),
            f"none of the {len(cust):,} customers has left, so churn cannot be estimated "
            "(is the status column right? a churned customer needs a status such as "
            "'Churned' or an end date)",
        )
    segments = sorted(prep.segments)
    if base.segment_names and set(segments) <= set(base.segment_names):
        segments = [s for s in base.segment_names if s in prep.segments]
    risk = risk_rows(cust, prep.window)
    months = int(cust["tenure"].max())
    warnings: list[str] = [i.message() for i in prep.issues if i.level != "info"]
    assumptions: list[str] = list(prep.assumptions)
    params: list[dict[str, Any]] = []

    # -- acquisition and shares -------------------------------------------------------
    shares, per_month, growth, acq_table, acq_how = _acquisition(prep, segments, base)
    if np.isnan(shares).any() or shares.sum() <= 0:
        shares = np.full(len(segments), 1.0 / len(segments))
        acq_how = ""
    shares = shares / shares.sum()
    share_source = f"data: {acq_how}" if acq_how else "kept from base (or equal shares)"
    if prep.columns.get("segment") and acq_how:
        assumptions.append(
            f"Segments are the values of {prep.columns['segment']!r} as recorded now; a "
            "customer who changed contract or plan counts in the current one."
        )

    # -- which causes the data speak to ---------------------------------------------
    known = cust.loc[cust["churned"], "cause"]
    data_causes = [c for c in causes if (known == c).any()]
    scale = not data_causes
    by_name = {c.name: c for c in base.causes}
    if scale or latent_causes is None:
        latent: list[str] = []
    elif latent_causes == "auto":
        latent = [
            c.name
            for c in base.causes
            if c.shape.kind == "early" and c.voluntary and c.name not in data_causes
        ]
    else:
        latent = [str(c) for c in latent_causes]
        for c in latent:
            if c not in by_name:
                raise ScenarioError(
                    "latent_causes", f"unknown cause {c!r} (known: {', '.join(causes)})"
                )
            if c in data_causes:
                raise ScenarioError(
                    f"latent_causes.{c}",
                    "reasons in the data already map onto this cause; a latent cause has none",
                )
    hides = {
        c: latent
        for c in data_causes
        if latent and by_name[c].voluntary and by_name[c].preventable
    }
    counts = _counts(risk, segments, causes, months, hides)
    stated = np.array(
        [
            [
                float(
                    risk.loc[
                        (risk["segment"] == seg) & risk["churned"] & (risk["cause"] == c), "weight"
                    ].sum()
                )
                for c in causes
            ]
            for seg in segments
        ]
    )
    het = np.array([c.heterogeneous for c in base.causes], dtype=bool)
    base_lv = base_levels(base, segments)
    free = np.zeros_like(base_lv, dtype=bool)
    fixed = base_lv.copy() if opts.unmapped_causes == "keep" else np.zeros_like(base_lv)
    start = fixed.copy()
    shapes_rows = np.array([shape_curve(c.shape, months) for c in base.causes])
    lt_all = []
    for g, seg_counts in enumerate(counts):
        r = risk[risk["segment"] == segments[g]]
        lt = life_table(r["tenure"], r["churned"], months, entry=r["entry"], weight=r["weight"])
        lt_all.append(lt)
        n_t = lt["at_risk"].to_numpy(dtype=float)
        for k, cname in enumerate(causes):
            if cname in data_causes:
                if stated[g, k] > 0:
                    free[g, k] = True
                    start[g, k] = float(
                        np.clip(stated[g, k] / max(n_t @ shapes_rows[k], 1e-9), 1e-6, 0.9)
                    )
                else:
                    start[g, k] = 0.0
            elif cname in latent:
                eligible = sum(stated[g, causes.index(x)] for x in hides)
                free[g, k] = eligible > 0
                start[g, k] = max(base_lv[g, k], 1e-3) if eligible > 0 else 0.0
        if scale:
            base_hz = (start[g][:, None] * shapes_rows).sum(axis=0)
            crude = seg_counts.churners / max(float(n_t @ base_hz), 1e-12)
            start[g] = np.clip(start[g] * crude, 0.0, 1.0)
    if scale:
        warnings.append(
            "No exit reasons in the data: the cause mix is kept from the base scenario and "
            "scaled per segment to the observed churn."
        )
    if latent and hides:
        assumptions.append(
            "Customers who leave early often give the reason of the moment when the real "
            f"cause is a failed start; {', '.join(latent)} (early shape) has no reason of its "
            "own in the data, so it is estimated from the tenure pattern: its leavers are "
            "taken to state the preventable reasons in the same proportions as the "
            "segment's other leavers, and each stated reason reads as 'its cause, or "
            f"{' or '.join(latent)}'."
        )
    fitted_causes = [*data_causes, *latent] if not scale else list(causes)
    fit_shape = tuple(
        bool(opts.fit_shapes and c.name in fitted_causes and c.shape.kind in ("early", "hump"))
        for c in base.causes
    )
    spec = FitSpec(
        levels=start,
        free=free,
        scale=scale,
        shapes=tuple(c.shape for c in base.causes),
        heterogeneous=tuple(bool(h) for h in het),
        reference_churn=reference_of(start, shares, het),
        fit_shape=fit_shape,
        spread=opts.spread,
        spread_start=base.heterogeneity.spread or 0.3,
    )
    fit = fit_with_reference(counts, spec, shares)
    at_zero = free & fit.level_at_bound & (fit.model.levels < 1e-6)
    if at_zero.any():  # a level on its lower bound is the boundary estimate 0
        fit = dataclasses.replace(
            fit,
            model=dataclasses.replace(fit.model, levels=np.where(at_zero, 0.0, fit.model.levels)),
        )
    model = fit.model
    fitted_surv, fitted_pmf = model_curves(model, months)

    # -- value curve ------------------------------------------------------------------
    revenue = revenue_by_tenure(cust["segment"], cust["tenure"], cust["charge"])
    value_update: dict[str, float] | None = None
    prices: dict[str, float] = {}
    revenue_table = revenue.assign(fitted=np.nan)
    vfit = None
    kept_note = "no monthly charges in the data"
    if not revenue.empty and (revenue["mean_charge"] > 0).any():
        try:
            vfit = fit_value_curve(
                revenue,
                expansion_rate=base.value.expansion_rate,
                contraction_rate=base.value.contraction_rate,
            )
        except ScenarioError as err:
            # Revenue by tenure is secondary to churn: a charge column no curve fits
            # (e.g. all charges zero but one) keeps the base's curve and says so.
            kept_note = "no value curve fits the monthly charges"
            warnings.append(
                f"{prep.columns.get('charge')}: {err.message}; the base's value curve is kept"
            )
    if vfit is not None:
        prices = vfit.prices
        revenue_table = vfit.table
        value_update = {
            "year3_uplift": vfit.value.year3_uplift,
            "ramp_months": vfit.value.ramp_months,
        }
        note = "cross-section of current charges by tenure"
        if vfit.max_tenure < 36:
            warnings.append(
                f"value.year3_uplift: charges seen only up to tenure {vfit.max_tenure}; the "
                "year-3 uplift is an extrapolation"
            )
        if vfit.value.ramp_months >= 119.9:
            warnings.append(
                "value.ramp_months: revenue per customer still rises at the longest tenure "
                "seen; the ramp sits at its 120-month limit (growth may continue)"
            )
        add_param(params, "value.year3_uplift", vfit.value.year3_uplift, "fitted", note=note)
        add_param(params, "value.ramp_months", vfit.value.ramp_months, "fitted", note=note)
        assumptions.append(
            "Revenue by tenure is read from each customer's current monthly charge at their "
            "tenure (a cross-section): price changes over calendar time are not told apart "
            "from growth with tenure."
        )
    else:
        for key in ("year3_uplift", "ramp_months"):
            add_param(
                params,
                f"value.{key}",
                getattr(base.value, key),
                "kept from base",
                note=kept_note,
            )
    for key in ("expansion_rate", "contraction_rate"):
        add_param(
            params,
            f"value.{key}",
            getattr(base.value, key),
            "kept from base",
            note="not separable from the ramp in a cross-section",
        )

    # -- the scenario (net levels), then gross-up for the base's levers ---------------
    seg_dicts = []
    for g, seg in enumerate(segments):
        econ = economics(base, seg)
        price_source = "fitted" if seg in prices else "kept from base"
        price = prices.get(seg)
        if price is None:
            price = (
                base.segments[base.segment_index(seg)].monthly_price
                if seg in base.segment_names
                else float(np.mean([s.monthly_price for s in base.segments]))
            )
        seg_dicts.append(
            {
                "name": seg,
                "label": prep.segments[seg],
                "share": float(shares[g]),
                "monthly_price": float(price),
                **econ,
            }
        )
        add_param(params, f"segments.{seg}.share", float(shares[g]), share_source)
        add_param(
            params,
            f"segments.{seg}.monthly_price",
            float(price),
            price_source,
            note="starting price of the fitted revenue curve" if price_source == "fitted" else "",
        )
        how = "same segment in the base" if seg in base.segment_names else "base average"
        for key, v in econ.items():
            add_param(params, f"segments.{seg}.{key}", v, "kept from base", note=how)
    acquisition_update: dict[str, float] = {}
    if per_month is not None:
        acquisition_update["new_per_month"] = round(float(per_month), 6)
        add_param(params, "acquisition.new_per_month", per_month, f"data: {acq_how}")
    else:
        add_param(
            params,
            "acquisition.new_per_month",
            base.acquisition.new_per_month,
            "kept from base",
            note="the data do not show acquisition per month",
        )
    if growth is not None:
        acquisition_update["monthly_growth"] = round(growth, 6)
        add_param(params, "acquisition.monthly_growth", growth, f"data: {acq_how}")
    else:
        add_param(
            params, "acquisition.monthly_growth", base.acquisition.monthly_growth, "kept from base"
        )
    for key in ("seasonality", "referrals_per_active"):
        add_param(
            params,
            f"acquisition.{key}",
            math.nan,
            "kept from base",
            note=str(getattr(base.acquisition, key)),
        )

    name = opts.name or f"{base.name} · calibrated"
    description = (
        f"Calibrated from {source_name(opts.source)} ({len(cust):,} customers) by "
        f"simsrc.calibrate; levers and economics from {base.name!r}."
    )
    scenario, notes = build_scenario(
        base,
        name=name,
        description=description,
        segments=seg_dicts,
        levels=model.levels,
        shapes=model.shapes,
        spread=model.spread,
        reference_churn=model.reference_churn,
        value=value_update,
        acquisition=acquisition_update or None,
    )
    warnings += notes
    at_risk = np.array([lt["at_risk"].to_numpy(dtype=float) for lt in lt_all])
    factors = np.ones(len(segments))
    grossed = False
    fitted_mask = free if not scale else np.ones_like(free)
    if opts.levers_in_data and scenario.without_levers() != scenario:
        scenario, factors, ok = gross_up(scenario, fitted_mask, fitted_surv, at_risk, months)
        grossed = True
        if not ok:
            warnings.append(
                "Levers: the gross-up of cause levels for the base's retention levers did "
                "not converge; the scenario's survival may differ from the fitted one"
            )
        assumptions.append(
            "The data record churn after the retention work already in place; the base's "
            "levers (save team, dunning, win-back, programs, contact policy) are taken to "
            "be that work, so fitted cause levels are grossed up (× "
            + ", ".join(f"{s} {f:.3f}" for s, f in zip(segments, factors, strict=True))
            + ") for the scenario, levers on, to reproduce the observed churn."
        )
    final_levels = np.array([c.levels for c in scenario.causes]).T

    # -- parameters -------------------------------------------------------------------
    for k, cname in enumerate(causes):
        for g, seg in enumerate(segments):
            path = f"causes.{cname}.levels.{seg}"
            gross = factors[g] if grossed and fitted_mask[g, k] else 1.0
            note = (
                f"observed (net) level {model.levels[g, k]:.5g} × {gross:.4f} for the levers"
                if gross != 1.0 and model.levels[g, k] > 0
                else ""
            )
            if scale:
                add_param(
                    params,
                    path,
                    final_levels[g, k],
                    "fitted (base mix scaled)",
                    fit.level_se[g, k] * gross,
                    note,
                )
            elif free[g, k]:
                src = "fitted (at bound)" if fit.level_at_bound[g, k] else "fitted"
                if at_zero[g, k]:
                    src = "fitted: 0"
                if cname in latent:
                    src += ", latent"
                    note = (note + "; " if note else "") + (
                        "no reason of its own: estimated from early churn of any stated reason"
                    )
                add_param(params, path, final_levels[g, k], src, fit.level_se[g, k] * gross, note)
            elif cname in latent:
                add_param(
                    params,
                    path,
                    0.0,
                    "zero: no churners",
                    note="latent cause in a segment without churners",
                )
            elif cname in data_causes:
                add_param(
                    params,
                    path,
                    0.0,
                    "zero: no churners",
                    note=f"no churner of this segment gave a reason mapped to {cname}",
                )
            elif opts.unmapped_causes == "keep":
                add_param(
                    params,
                    path,
                    final_levels[g, k],
                    "kept from base",
                    note="no reason in the data maps onto this cause",
                )
            else:
                add_param(params, path, 0.0, "zero: not in the data")
        shape = model.shapes[k]
        if shape.kind in ("early", "hump"):
            src = "fitted" if fit_shape[k] else "kept from base"
            if fit_shape[k] and fit.shape_at_bound[k]:
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
        add_param(params, key, math.nan, "kept from base", note=str(getattr(base, key)))

    # -- identification warnings ------------------------------------------------------
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
        if fit_shape[k] and (fit.shape_at_bound[k] or not math.isfinite(fit.shape_se[k])):
            warnings.append(
                f"causes.{cname}.shape.months: not identified by the data "
                f"({model.shapes[k].months:.3g} months, at a bound or without a standard error)"
            )
    zero_cells = [
        f"{causes[k]}.{segments[g]}"
        for g in range(len(segments))
        for k in range(len(causes))
        if causes[k] in data_causes and not free[g, k] and not scale
    ]
    if zero_cells:
        warnings.append(
            "Levels set to 0 (no churner gave a reason mapped to the cause in that segment): "
            + ", ".join(zero_cells)
        )
    kept_causes = [c for c in causes if c not in fitted_causes and not scale]
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

    # -- diagnostics ------------------------------------------------------------------
    scen_surv, scen_churn = engine_paths(scenario, months)
    survival_rows = []
    hazard_frames = []
    share_rows = []
    fit_rows = []
    sbg_rows = []
    per_seg_params = fit.n_params / max(len(segments), 1)
    full_history_notes = []
    for g, seg in enumerate(segments):
        r = risk[risk["segment"] == seg]
        lt = lt_all[g]
        try:
            sfit: SBGFit | None = fit_sbg_durations(
                r["tenure"], r["churned"], r["entry"], r["weight"]
            )
        except ValueError:
            sfit = None
        sbg_rows.append(sbg_row(seg, sfit))
        sbg_curve = (
            sfit.survival(np.arange(months + 1))
            if sfit is not None
            else np.full(months + 1, np.nan)
        )
        frame = pd.DataFrame(
            {
                "segment": seg,
                "tenure": np.arange(months + 1),
                "at_risk": np.r_[np.nan, lt["at_risk"].to_numpy(dtype=float)],
                "churned": np.r_[0.0, lt["churned"].to_numpy(dtype=float)],
                "observed": np.r_[1.0, lt["survival"].to_numpy()],
                "observed_se": np.r_[0.0, lt["survival_se"].to_numpy()],
                "fitted": fitted_surv[g],
                "scenario": scen_surv[g],
                "sbg": sbg_curve,
            }
        )
        survival_rows.append(frame)
        # cause-specific hazards, observed vs fitted
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
        prev = fitted_surv[g][:-1]
        for k, cname in enumerate(causes):
            with np.errstate(divide="ignore", invalid="ignore"):
                fh = np.where(prev > 0, fitted_pmf[g, :, k] / prev, np.nan)
            hazard_frames.append(
                pd.DataFrame(
                    {
                        "segment": seg,
                        "tenure": np.arange(1, months + 1),
                        "cause": cname,
                        "observed": obs_cs["hazard", cname].to_numpy(),
                        "fitted": fh,
                        "observed_cif": obs_cs["cif", cname].to_numpy(),
                        "fitted_cif": np.cumsum(fitted_pmf[g, :, k]),
                    }
                )
            )
        hazard_frames.append(
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
        # cause shares
        n_t = lt["at_risk"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = np.where(prev[:, None] > 0, fitted_pmf[g] / prev[:, None], 0.0)
        expected = n_t @ cond  # [K] expected churners by cause at the observed risk sets
        member = counts[g].member
        said = expected @ member if member is not None else expected  # by stated reason
        observed_k = stated[g]
        stated_mask = np.array([c in data_causes for c in causes])
        sim_k = np.nansum(scen_churn[g], axis=0)  # NaN past the engine's 240 months

        def share(values: np.ndarray, k: int, mask: np.ndarray) -> float:
            total = float(values[mask].sum())
            return float(values[k] / total) if mask[k] and total > 0 else math.nan

        everything = np.ones(len(causes), dtype=bool)
        for k, cname in enumerate(causes):
            share_rows.append(
                {
                    "segment": seg,
                    "cause": cname,
                    "churners": float(observed_k[k]),
                    "observed_share": share(observed_k, k, stated_mask),
                    "expected_stated": float(said[k]) if stated_mask[k] else math.nan,
                    "stated_share": share(said, k, stated_mask),
                    "expected": float(expected[k]),
                    "fitted_share_all": share(expected, k, everything),
                    "scenario_share": share(sim_k, k, everything),
                }
            )
        share_rows.append(
            {
                "segment": seg,
                "cause": UNKNOWN,
                "churners": float(counts[g].unknown.sum()),
                "observed_share": math.nan,
                "expected_stated": math.nan,
                "stated_share": math.nan,
                "expected": math.nan,
                "fitted_share_all": math.nan,
                "scenario_share": math.nan,
            }
        )
        seg_ll = segment_loglik(model, counts[g], g)
        stats = fit_stats(
            seg, lt, fitted_surv[g], scen_surv[g], per_seg_params, seg_ll, opts.min_at_risk
        )
        stats["customers"] = float(r["weight"].sum())
        fit_rows.append(stats)
        if not stats["within_tolerance"]:
            warnings.append(
                f"{seg}: the fitted survival departs from the observed (Kaplan–Meier) by up "
                f"to {stats['max_gap']:.3f}, more than {TOLERANCE:.2f} + 2 standard errors: "
                "the engine's cause shapes are shared by all segments and one spread serves "
                "all, so a segment with its own tenure pattern (e.g. a contract's lock-in) "
                "is fitted only on average"
            )
        elif grossed and not stats["scenario_within_tolerance"]:
            warnings.append(
                f"{seg}: simulated with the base's levers on, the scenario's survival departs "
                f"from the observed by up to {stats['scenario_max_gap']:.3f} (the fit: "
                f"{stats['max_gap']:.3f}): offers move churn in time (a discount holds a "
                "customer for its months, then most leave), which scaling the levels cannot "
                "undo; with levers_in_data=False the levels are the observed rates instead"
            )
        if prep.window is not None and prep.as_of is None:
            plain = life_table(
                cust.loc[cust["segment"] == seg, "tenure"],
                cust.loc[cust["segment"] == seg, "churned"],
                months,
            )
            at = min(12, months)
            full_history_notes.append(
                f"{seg} {plain['survival'].iloc[at - 1]:.3f} vs {lt['survival'].iloc[at - 1]:.3f}"
            )
    if full_history_notes:
        assumptions.append(
            "Sensitivity: read as full history instead of a window, 12-month survival would "
            "be (full history vs window): " + "; ".join(full_history_notes) + "."
        )
    sbg_table = pd.DataFrame(sbg_rows)
    for row in sbg_rows:
        if not row["converged"]:
            warnings.append(
                f"{row['segment']}: the sBG fit has no interior optimum (retention does not "
                "rise with tenure, so the data show no sorting of risky customers); its α, β "
                "are at the search bounds and are given for reference only"
            )
    spreads = sbg_table.loc[sbg_table["converged"].astype(bool), "spread"].dropna()
    if len(spreads) > 1 and spreads.max() - spreads.min() > 0.3:
        warnings.append(
            "Per-segment sBG spreads range from "
            f"{spreads.min():.2f} to {spreads.max():.2f}; the scenario has one spread for "
            f"all segments ({model.spread:.2f})"
        )

    rows = [{"item": "rows read", "rows": prep.rows_read}]
    rows += [{"item": f"dropped — {why}", "rows": n} for why, n in prep.dropped.items() if n]
    rows += [
        {"item": "customers used", "rows": len(cust)},
        {"item": "churners", "rows": int(cust["churned"].sum())},
        {"item": "still active", "rows": int((~cust["churned"]).sum())},
    ]
    report = CalibrationReport(
        scenario=scenario,
        base=base,
        source=opts.source,
        kind="snapshot",
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        rows=pd.DataFrame(rows),
        issues=issues_frame(prep.issues),
        parameters=pd.DataFrame(params),
        survival=pd.concat(survival_rows, ignore_index=True),
        hazards=pd.concat(hazard_frames, ignore_index=True),
        cause_shares=pd.DataFrame(share_rows),
        fit=pd.DataFrame(fit_rows),
        sbg=sbg_table,
        reasons=prep.reasons.table if prep.reasons is not None else pd.DataFrame(),
        revenue=revenue_table,
        acquisition=acq_table,
        projection=projection_table(scenario, sbg_rows, segments, months, 1),
    )
    return scenario, report
