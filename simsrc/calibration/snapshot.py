"""Calibration from customer snapshots and event logs (one row per customer).

Customer rows are validated (:mod:`simsrc.calibration.prepare`), expanded into risk sets
with delayed entry, and the engine's churn model is fitted to them by maximum likelihood
(:mod:`simsrc.calibration.churn_model`); revenue by tenure, acquisition and the report's
diagnostics follow. Entry point: :func:`simsrc.calibration.calibrate`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from simsrc.calibration.acquisition import Acquisition, acquisition, count_errors
from simsrc.calibration.build import (
    add_param,
    build_scenario,
    economics,
    gross_up,
    issues_frame,
    projection_table,
    source_name,
)
from simsrc.calibration.delivered import DeliveredFit, fit_delivered, resolve_terms
from simsrc.calibration.estimation import with_estimation_draws
from simsrc.calibration.observed_base import observed_base_value
from simsrc.calibration.options import CalibrationOptions
from simsrc.calibration.prepare import risk_rows
from simsrc.calibration.records import Prepared
from simsrc.calibration.report import CalibrationReport
from simsrc.calibration.snapshot_fit import (
    CauseRoles,
    SnapshotFit,
    SnapshotSetup,
    cause_roles,
    fit_snapshot,
)
from simsrc.calibration.snapshot_report import (
    identification_warnings,
    model_parameters,
    snapshot_diagnostics,
)
from simsrc.calibration.value import fit_value_curve, revenue_by_tenure
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import WHAT_IF_MARK, Scenario
from simsrc.model.units import compact

__all__ = ["SnapshotScenario", "ValueStep", "calibrate_snapshot"]


@dataclasses.dataclass(frozen=True)
class ValueStep:
    """The value curve read from monthly charges, and what the report says of it.

    Attributes
    ----------
    update : dict or None
        ``year3_uplift`` and ``ramp_months`` for the scenario (None: the base's curve).
    prices : dict of str to float
        Fitted starting price per segment.
    table : pandas.DataFrame
        Revenue by tenure, observed and fitted (the report's ``revenue`` table).
    params : tuple of dict
        Parameter rows of the value curve.
    warnings, assumptions : tuple of str
        Notes on the fit.
    """

    update: dict[str, float] | None
    prices: dict[str, float]
    table: pd.DataFrame
    params: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    assumptions: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SnapshotScenario:
    """The calibrated scenario, grossed up for the base's levers.

    Attributes
    ----------
    scenario : Scenario
        The scenario.
    factors : numpy.ndarray
        Per segment, the gross-up factor of the fitted levels (1 if not grossed up).
    grossed : bool
        Whether the levels were grossed up.
    params : tuple of dict
        Parameter rows of segments and acquisition.
    warnings, assumptions : tuple of str
        Notes of building the scenario and of the gross-up.
    """

    scenario: Scenario
    factors: np.ndarray
    grossed: bool
    params: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    assumptions: tuple[str, ...]


def calibrate_snapshot(
    prep: Prepared,
    base: Scenario,
    opts: CalibrationOptions,
) -> tuple[Scenario, CalibrationReport]:
    """Calibrate a scenario from customer records (one row per customer).

    Parameters
    ----------
    prep : Prepared
        The cleaned customer records (:func:`simsrc.calibration.prepare_customers`).
    base : Scenario
        The scenario to start from.
    opts : CalibrationOptions
        Calibration options (``latent_causes`` among them).

    Returns
    -------
    scenario : Scenario
        The calibrated scenario.
    report : CalibrationReport
        Fit, diagnostics, parameters, assumptions and warnings.

    Raises
    ------
    ScenarioError
        No churner in the data, or bad ``latent_causes``.
    """
    setup = snapshot_setup(prep, base, opts)
    warnings: list[str] = [i.message() for i in prep.issues if i.level != "info"]
    assumptions: list[str] = list(prep.assumptions)
    acq = segment_shares(acquisition(prep, setup.segments, base))
    if prep.columns.get("segment") and acq.how:
        assumptions.append(
            f"Segments are the values of {prep.columns['segment']!r} as recorded now; a "
            "customer who changed contract or plan counts in the current one."
        )
    roles = cause_roles(setup, opts.latent_causes)
    warnings += _scale_warning(roles)
    assumptions += _latent_assumption(roles)
    fitted = fit_snapshot(setup, roles, acq.shares)
    value = value_step(setup)
    built = snapshot_scenario(setup, roles, fitted, acq, value)
    shaped = _deliver(setup, roles, fitted, built.scenario)
    warnings += [*value.warnings, *built.warnings]
    warnings += identification_warnings(setup, roles, fitted)
    warnings += shaped.warnings
    assumptions += [*value.assumptions, *built.assumptions, *shaped.assumptions]
    churn_rows = model_parameters(setup, roles, fitted, shaped.scenario, built.factors,
                                  built.grossed)  # fmt: skip
    refitted = {row["path"] for row in churn_rows}
    params = [*value.params, *built.params, *_noted(churn_rows, shaped),
              *(row for row in shaped.params if row["path"] not in refitted)]  # fmt: skip
    diag = snapshot_diagnostics(setup, roles, fitted, shaped.scenario, built.grossed)
    delivered = with_estimation_draws(shaped.scenario, fitted.fit, setup.segments, acquired=acq)
    report = CalibrationReport(
        scenario=delivered,
        base=base,
        source=opts.source,
        kind="snapshot",
        assumptions=(*assumptions, *diag.assumptions),
        warnings=(*warnings, *diag.warnings),
        rows=row_counts(prep),
        issues=issues_frame(prep.issues),
        parameters=pd.DataFrame(params),
        survival=diag.survival,
        hazards=diag.hazards,
        cause_shares=diag.cause_shares,
        fit=diag.fit,
        sbg=diag.sbg,
        reasons=prep.reasons.table if prep.reasons is not None else pd.DataFrame(),
        revenue=value.table,
        acquisition=acq.table,
        projection=projection_table(
            shaped.scenario, list(diag.sbg_rows), setup.segments, setup.months, 1
        ),
        base_value=observed_base_value(shaped.scenario, prep.customers),
        bands=diag.bands,
    )
    return delivered, report


def _deliver(
    setup: SnapshotSetup, roles: CauseRoles, fitted: SnapshotFit, scenario: Scenario
) -> DeliveredFit:
    """The built scenario with each segment's contract or tenure pattern fitted, levers on."""
    labels = [setup.prep.segments[s] for s in setup.segments]
    terms = resolve_terms(setup.segments, labels, setup.opts.contract_terms)
    return fit_delivered(
        scenario,
        fitted.life_tables,
        terms,
        months=setup.months,
        min_at_risk=setup.opts.min_at_risk,
        levers_in_data=setup.opts.levers_in_data,
        stated=None if roles.scale else fitted.stated,
        latent=roles.latent,
        own_spreads=setup.opts.spread is None,  # a spread the user fixed holds everywhere
    )


def _noted(rows: list[dict[str, Any]], shaped: DeliveredFit) -> list[dict[str, Any]]:
    """Parameter rows with what the delivered fit multiplied each level by, or refitted."""
    out = []
    again = {row["path"]: row for row in shaped.params}
    for row in rows:
        if row["path"] in again:
            note = (f"the churn model's {compact(row['value'], 4)} ± {compact(row['se'], 2)}, "
                    "refitted levers on")  # fmt: skip
            row = {**again[row["path"]], "note": note}
        elif row["path"] in shaped.level_factors:
            f, f_se = shaped.level_factors[row["path"]]
            if np.isfinite(f):
                extra = (
                    f"× {f:.3f} ± {f_se:.3f} so the scenario, levers on, keeps the observed "
                    "tenure pattern"
                )
                se = row["se"] * f
            else:
                extra = "given a level again by the segment's tenure pattern (the fit gave 0)"
                se = math.nan
            note = f"{row['note']}; {extra}" if row["note"] else extra
            value = shaped.scenario.get(row["path"])
            row = {**row, "value": value, "se": se, "note": note}
        out.append(row)
    return out


def snapshot_setup(prep: Prepared, base: Scenario, opts: CalibrationOptions) -> SnapshotSetup:
    """Segments, risk sets and the longest tenure of customer records.

    Parameters
    ----------
    prep : Prepared
        The cleaned customer records.
    base : Scenario
        The scenario to start from (its segment order is kept).
    opts : CalibrationOptions
        Calibration options.

    Returns
    -------
    SnapshotSetup
        What every later step reads.

    Raises
    ------
    ScenarioError
        No customer has left: churn cannot be estimated.
    """
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
    return SnapshotSetup(
        prep=prep,
        base=base,
        opts=opts,
        causes=tuple(base.cause_names),
        segments=tuple(segments),
        risk=risk_rows(cust, prep.window),
        months=int(cust["tenure"].max()),
    )


def segment_shares(acq: Acquisition) -> Acquisition:
    """``acq`` with shares summing to 1: equal shares where the data and base give none.

    Parameters
    ----------
    acq : Acquisition
        Acquisition as read from the data.

    Returns
    -------
    Acquisition
        The same, shares normalised (and ``how`` empty when they are equal shares).
    """
    shares, how = acq.shares, acq.how
    if np.isnan(shares).any() or shares.sum() <= 0:
        shares = np.full(len(shares), 1.0 / len(shares))
        how = ""
    return acq._replace(shares=shares / shares.sum(), how=how)


def _scale_warning(roles: CauseRoles) -> list[str]:
    """A warning when no exit reason is in the data and the base's mix is scaled."""
    if not roles.scale:
        return []
    return [
        "No exit reasons in the data: the cause mix is kept from the base scenario and "
        "scaled per segment to the observed churn."
    ]


def _latent_assumption(roles: CauseRoles) -> list[str]:
    """The assumption under which latent causes are estimated (if any are)."""
    latent = roles.latent
    if not (latent and roles.hides):
        return []
    return [
        "Customers who leave early often give the reason of the moment when the real "
        f"cause is a failed start; {', '.join(latent)} (early shape) has no reason of its "
        "own in the data, so it is estimated from the tenure pattern: its leavers are "
        "taken to state the preventable reasons in the same proportions as the "
        "segment's other leavers, and each stated reason reads as 'its cause, or "
        f"{' or '.join(latent)}'."
    ]


def row_counts(prep: Prepared) -> pd.DataFrame:
    """Rows read, dropped (by why) and used, churners and actives: the report's ``rows``.

    Parameters
    ----------
    prep : Prepared
        The cleaned customer records.

    Returns
    -------
    pandas.DataFrame
        Columns ``item`` and ``rows``.
    """
    cust = prep.customers
    rows: list[dict[str, Any]] = [{"item": "rows read", "rows": prep.rows_read}]
    rows += [{"item": f"dropped — {why}", "rows": n} for why, n in prep.dropped.items() if n]
    rows += [
        {"item": "customers used", "rows": len(cust)},
        {"item": "churners", "rows": int(cust["churned"].sum())},
        {"item": "still active", "rows": int((~cust["churned"]).sum())},
    ]
    return pd.DataFrame(rows)


def value_step(setup: SnapshotSetup) -> ValueStep:
    """Fit the value curve to the monthly charges by tenure, or keep the base's.

    Parameters
    ----------
    setup : SnapshotSetup
        The customer records and the base.

    Returns
    -------
    ValueStep
        The scenario's value update, fitted prices, revenue table, parameter rows and
        notes.
    """
    prep, base = setup.prep, setup.base
    cust = prep.customers
    revenue = revenue_by_tenure(cust["segment"], cust["tenure"], cust["charge"])
    params: list[dict[str, Any]] = []
    warnings: list[str] = []
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
    if vfit is None:
        for key in ("year3_uplift", "ramp_months"):
            add_param(
                params, f"value.{key}", getattr(base.value, key), "kept from base", note=kept_note
            )
        _add_kept_value_params(params, base)
        return ValueStep(
            None, {}, revenue.assign(fitted=np.nan), tuple(params), tuple(warnings), ()
        )
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
    _add_kept_value_params(params, base)
    assumption = (
        "Revenue by tenure is read from each customer's current monthly charge at their "
        "tenure (a cross-section): price changes over calendar time are not told apart "
        "from growth with tenure."
    )
    update = {"year3_uplift": vfit.value.year3_uplift, "ramp_months": vfit.value.ramp_months}
    return ValueStep(
        update, vfit.prices, vfit.table, tuple(params), tuple(warnings), (assumption,)
    )


def _add_kept_value_params(params: list[dict[str, Any]], base: Scenario) -> None:
    """Rows of the value rates a cross-section cannot tell from the ramp."""
    for key in ("expansion_rate", "contraction_rate"):
        add_param(
            params,
            f"value.{key}",
            getattr(base.value, key),
            "kept from base",
            note="not separable from the ramp in a cross-section",
        )


def snapshot_scenario(
    setup: SnapshotSetup,
    roles: CauseRoles,
    fitted: SnapshotFit,
    acq: Acquisition,
    value: ValueStep,
) -> SnapshotScenario:
    """Build the scenario (net levels), then gross it up for the base's levers.

    Parameters
    ----------
    setup : SnapshotSetup
        The data, the base and the options.
    roles : CauseRoles
        Which causes the data speak to (the scaled mix grosses up every level).
    fitted : SnapshotFit
        The estimates and fitted survival.
    acq : Acquisition
        Segment shares and acquisition.
    value : ValueStep
        Value curve and fitted prices.

    Returns
    -------
    SnapshotScenario
        The scenario, its gross-up factors, parameter rows and notes.
    """
    prep, base, opts = setup.prep, setup.base, setup.opts
    seg_dicts, params = _segment_rows(setup, acq, value.prices)
    acquisition_update = _acquisition_rows(params, base, acq)
    model = fitted.fit.model
    scenario, notes = build_scenario(
        base,
        name=opts.name or f"{base.name}{WHAT_IF_MARK}calibrated",
        description=(
            f"Calibrated from {source_name(opts.source)} ({len(prep.customers):,} customers) "
            f"by simsrc.calibrate; levers and economics from {base.name!r}."
        ),
        segments=seg_dicts,
        levels=model.levels,
        shapes=model.shapes,
        spread=model.spread,
        reference_churn=model.reference_churn,
        value=value.update,
        acquisition=acquisition_update or None,
    )
    warnings = list(notes)
    assumptions = []
    factors = np.ones(len(setup.segments))
    grossed = False
    if opts.levers_in_data and scenario.without_levers() != scenario:
        at_risk = np.array([lt["at_risk"].to_numpy(dtype=float) for lt in fitted.life_tables])
        fitted_mask = fitted.free if not roles.scale else np.ones_like(fitted.free)
        result = gross_up(scenario, fitted_mask, fitted.survival, at_risk, setup.months)
        scenario, factors, grossed = result.scenario, result.factors, True
        if not result.converged:
            warnings.append(
                "Levers: the gross-up of cause levels for the base's retention levers did "
                "not converge; the scenario's survival may differ from the fitted one"
            )
        assumptions.append(
            "The data record churn after the retention work already in place; the base's "
            "levers (save team, dunning, win-back, programs, contact policy) are taken to "
            "be that work, so fitted cause levels are grossed up (× "
            + ", ".join(f"{s} {f:.3f}" for s, f in zip(setup.segments, factors, strict=True))
            + ") for the scenario, levers on, to reproduce the observed churn."
        )
    return SnapshotScenario(
        scenario, factors, grossed, tuple(params), tuple(warnings), tuple(assumptions)
    )


def _segment_rows(
    setup: SnapshotSetup, acq: Acquisition, prices: dict[str, float]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The scenario's segments (share, price, economics) and their parameter rows."""
    base = setup.base
    share_source = f"data: {acq.how}" if acq.how else "kept from base (or equal shares)"
    share_se = count_errors(acq)[0]
    seg_dicts = []
    params: list[dict[str, Any]] = []
    for g, seg in enumerate(setup.segments):
        econ = economics(base, seg)
        price_source = "fitted" if seg in prices else "kept from base"
        price = prices.get(seg)
        if price is None:
            price = (
                base.segments[base.segment_index(seg)].monthly_price
                if seg in base.segment_names
                else float(np.mean([s.monthly_price for s in base.segments]))
            )
        share = float(acq.shares[g])
        seg_dicts.append(
            {
                "name": seg,
                "label": setup.prep.segments[seg],
                "share": share,
                "monthly_price": float(price),
                **econ,
            }
        )
        add_param(params, f"segments.{seg}.share", share, share_source, se=share_se[g])
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
    return seg_dicts, params


def _acquisition_rows(
    params: list[dict[str, Any]], base: Scenario, acq: Acquisition
) -> dict[str, float]:
    """Append acquisition's parameter rows; return the scenario's acquisition update."""
    update: dict[str, float] = {}
    if acq.per_month is not None:
        update["new_per_month"] = round(float(acq.per_month), 6)
        se = count_errors(acq)[1]
        add_param(params, "acquisition.new_per_month", acq.per_month, f"data: {acq.how}", se=se)
    else:
        add_param(
            params,
            "acquisition.new_per_month",
            base.acquisition.new_per_month,
            "kept from base",
            note="the data do not show acquisition per month",
        )
    if acq.growth is not None:
        update["monthly_growth"] = round(acq.growth, 6)
        add_param(params, "acquisition.monthly_growth", acq.growth, f"data: {acq.how}")
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
    return update
