"""The calibration report: how the scenario was fitted and how well it fits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from simsrc.model.scenario import Scenario
from simsrc.model.units import compact

__all__ = ["CalibrationReport"]


@dataclass(frozen=True)
class CalibrationReport:
    """What the data said, what was assumed, and how well the calibrated scenario fits.

    Every table is a tidy :class:`pandas.DataFrame`. Fitted values come with standard
    errors where the likelihood gives them; values the data cannot tell are kept from
    the base scenario and listed as such in ``parameters``.

    Attributes
    ----------
    scenario : Scenario
        The calibrated scenario.
    base : Scenario
        The scenario it started from (levers, economics and anything the data cannot
        tell come from here).
    source : str
        Where the data came from.
    kind : {"snapshot", "cohorts"}
        Customer-level data or a cohort survival table.
    assumptions : tuple of str
        How the data were read (observation window, censoring, segments, …).
    warnings : tuple of str
        Data problems and parameters the data cannot identify.
    rows : pandas.DataFrame
        Row accounting: ``item``, ``rows`` (read, dropped by reason, used).
    issues : pandas.DataFrame
        Data problems: ``level``, ``column``, ``problem``, ``rows``, ``first_rows``,
        ``action``.
    parameters : pandas.DataFrame
        Every calibrated number: ``path`` (scenario parameter), ``value``, ``se``,
        ``source`` (``fitted``, ``data``, ``kept from base``, ``zero: no churners``, …) and
        ``note``.
    survival : pandas.DataFrame
        Per ``segment`` and ``tenure`` (months, from 0): ``at_risk``, ``churned``,
        ``observed`` (Kaplan–Meier with delayed entry), ``observed_se`` (Greenwood),
        ``fitted`` (the fitted model, levers as in the data), ``scenario`` (the
        calibrated scenario simulated by the engine, levers included) and ``sbg`` (an
        unrestricted sBG fit of the segment, for comparison).
    hazards : pandas.DataFrame
        Per ``segment``, ``tenure`` and ``cause``: ``observed`` cause-specific hazard,
        ``fitted`` hazard, ``observed_cif`` and ``fitted_cif`` (cumulative incidence).
    cause_shares : pandas.DataFrame
        Per ``segment`` and ``cause``: ``churners`` (weighted, by stated reason),
        ``observed_share`` (among churners whose reason maps onto a cause),
        ``expected_stated`` / ``stated_share`` (the fitted model's expected churners by
        stated reason at the observed risk sets, latent causes' leavers spread over the
        reasons they give — compare with ``observed_share``), ``expected`` and
        ``fitted_share_all`` (expected churners by underlying cause, latent and kept
        causes included) and ``scenario_share`` (share of churn by cause in the simulated
        scenario, levers on).
    fit : pandas.DataFrame
        Goodness of fit per segment: customers, churners, months observed,
        ``max_gap`` / ``rmse_gap`` (|fitted − observed| survival over months with at least
        ``min_at_risk`` at risk), ``within_tolerance`` (every such month within 0.03 + 2
        Greenwood standard errors), the same for the simulated scenario
        (``scenario_max_gap``, ``scenario_within_tolerance``), ``chi2``, ``df``,
        ``p_value`` (observed vs expected churners by month), ``log_likelihood`` and,
        for the scenario as delivered, ``band_chi2``, ``band_df``, ``band_p_value`` (the
        tenure bands of ``bands`` together).
    sbg : pandas.DataFrame
        Unrestricted shifted-beta-geometric fit per segment: ``alpha``, ``beta``, their
        standard errors, ``mean_churn``, ``spread``, ``log_likelihood``, ``converged``.
    reasons : pandas.DataFrame
        How each exit reason was mapped onto a cause (``column``, ``value``,
        ``churners``, ``cause``, ``rule``).
    revenue : pandas.DataFrame
        Mean monthly charge by ``segment`` and ``tenure``: ``customers``,
        ``mean_charge``, ``fitted``.
    acquisition : pandas.DataFrame
        New customers by month and segment where the data show them.
    projection : pandas.DataFrame
        Projected survival per segment and tenure beyond the data: ``sbg`` and
        ``scenario``.
    base_value : pandas.DataFrame
        What the active customers in the data are worth under the calibrated scenario, by
        ``segment`` and ``tenure``: ``customers``, ``value_per_customer``, ``value``
        (:func:`simsrc.calibration.observed_base.observed_base_value`; snapshots only).
    bands : pandas.DataFrame
        The scenario as delivered against the data by tenure band, per ``segment``:
        ``first`` and ``last`` month, ``at_risk``, ``observed`` and ``expected`` leavers,
        ``z`` and ``p_value`` (:func:`simsrc.calibration.goodness.band_tests`; snapshots
        only).
    """

    scenario: Scenario
    base: Scenario
    source: str
    kind: str
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    rows: pd.DataFrame
    issues: pd.DataFrame
    parameters: pd.DataFrame
    survival: pd.DataFrame
    hazards: pd.DataFrame
    cause_shares: pd.DataFrame
    fit: pd.DataFrame
    sbg: pd.DataFrame
    reasons: pd.DataFrame
    revenue: pd.DataFrame
    acquisition: pd.DataFrame
    projection: pd.DataFrame
    base_value: pd.DataFrame = field(default_factory=pd.DataFrame)
    bands: pd.DataFrame = field(default_factory=pd.DataFrame)

    def kept(self) -> pd.DataFrame:
        """Parameters taken from the base scenario because the data cannot tell them."""
        return self.parameters[self.parameters["source"].str.startswith("kept")]

    def kept_paths(self) -> list[str]:
        """Kept parameters with segment names replaced by ``*`` (one entry per kind)."""
        segs = set(self.scenario.segment_names)
        out: list[str] = []
        for path in self.kept()["path"]:
            parts = ["*" if p in segs else p for p in str(path).split(".")]
            text = ".".join(parts)
            if text not in out:
                out.append(text)
        return out

    def _heterogeneity_line(self) -> str:
        """The spread with its standard error, and the segments' own spreads."""
        s = self.scenario
        het = s.heterogeneity

        def with_se(path: str, value: float) -> str:
            se = _value(self.parameters, path, "se")
            return f"{value:.3f}" + ("" if math.isnan(se) else f" ± {se:.3f}")

        own = [
            f"{name} " + with_se(f"heterogeneity.segment_spread.{name}", value)
            for name, value in zip(s.segment_names, het.segment_spread, strict=True)
            if value > 0
        ]
        return (
            f"Heterogeneity: spread {with_se('heterogeneity.spread', het.spread)} at reference "
            f"churn {het.reference_churn:.4f}/month"
            + (f"; own spread: {', '.join(own)}." if own else ".")
        )

    def overview(self) -> pd.DataFrame:
        """One row per segment: the calibration at a glance, as a table.

        ``segment``, ``share`` (of new customers), ``monthly_price``, ``customers`` and
        ``churners`` in the data, ``survival_12m`` (the scenario's share still here after
        a year), ``gap`` (largest |scenario − Kaplan–Meier|), ``fits`` (the gap within
        tolerance) and ``value_per_customer`` (what an active customer is still worth).

        Examples
        --------
        >>> report.overview().columns.tolist()  # doctest: +SKIP
        ['segment', 'share', 'monthly_price', 'customers', 'churners', 'survival_12m', ...]
        """
        s = self.scenario
        fit = self.fit.set_index("segment") if not self.fit.empty else pd.DataFrame()
        sv = self.survival.set_index(["segment", "tenure"])["scenario"]
        value = (
            self.base_value.groupby("segment", sort=False)[["customers", "value"]].sum()
            if not self.base_value.empty
            else pd.DataFrame(columns=["customers", "value"])
        )
        rows = []
        for seg in s.segments:
            f = fit.loc[seg.name] if seg.name in fit.index else pd.Series(dtype=float)
            v = value.loc[seg.name] if seg.name in value.index else None
            rows.append(
                {
                    "segment": seg.name,
                    "share": seg.share,
                    "monthly_price": seg.monthly_price,
                    "customers": f.get("customers", math.nan),
                    "churners": f.get("churners", math.nan),
                    "survival_12m": sv.get((seg.name, 12), math.nan),
                    "gap": f.get("scenario_max_gap", math.nan),
                    "fits": bool(f.get("scenario_within_tolerance", False)),
                    "value_per_customer": (
                        v["value"] / v["customers"]
                        if v is not None and v["customers"]
                        else math.nan
                    ),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A plain-text summary: data, fitted figures per segment, fit, warnings.

        Examples
        --------
        >>> print(report.summary())  # doctest: +SKIP
        Calibrated 'telecom · calibrated' from data/telecom_customer_churn.csv (snapshot).
        """
        s = self.scenario
        lines = [f"Calibrated {s.name!r} from {self.source} ({self.kind})."]
        for row in self.rows.itertuples(index=False):
            lines.append(f"  {row.item}: {row.rows:,}")
        lines.append(self._heterogeneity_line())
        header = f"  {'segment':<16} {'share':>6} {'price':>8} {'sBG α':>8} {'sBG β':>9} " + (
            f"{'fit gap':>8} {'scen gap':>9} {'ok':>4}"
        )
        lines += [
            "Segments (gap: largest |survival − Kaplan–Meier|, fitted model and the "
            "scenario as delivered, levers on; ok: the scenario's gap within tolerance):",
            header,
        ]
        fit = self.fit.set_index("segment") if not self.fit.empty else self.fit
        sbg = self.sbg.set_index("segment") if not self.sbg.empty else self.sbg
        for seg in s.segments:
            a = sbg["alpha"].get(seg.name, math.nan) if not sbg.empty else math.nan
            b = sbg["beta"].get(seg.name, math.nan) if not sbg.empty else math.nan
            gap = fit["max_gap"].get(seg.name, math.nan) if not fit.empty else math.nan
            sgap = fit["scenario_max_gap"].get(seg.name, math.nan) if not fit.empty else math.nan
            column = "scenario_within_tolerance" if "scenario_within_tolerance" in fit else ""
            ok = bool(fit[column].get(seg.name, False)) if column else False
            lines.append(
                f"  {seg.name:<16} {seg.share:>6.3f} {seg.monthly_price:>8.2f} "
                f"{compact(a, 3):>8} {compact(b, 4):>9} {gap:>8.3f} {sgap:>9.3f} "
                f"{'yes' if ok else 'no':>4}"
            )
        lines.append("Cause levels (monthly hazard at the shape's peak):")
        for c in s.causes:
            levels = ", ".join(
                f"{n}={v:.4f}" for n, v in zip(s.segment_names, c.levels, strict=True)
            )
            source = _cause_source(self.parameters, c.name)
            shape = c.shape.kind + (
                f" {c.shape.months:.3g} mo" if c.shape.kind in ("early", "hump") else ""
            )
            lines.append(f"  {c.name:<18} {shape:<14} {levels}  [{source}]")
        if not self.base_value.empty:
            value = self.base_value.groupby("segment", sort=False)[["customers", "value"]].sum()
            parts = ", ".join(
                f"{seg} {v['value'] / 1e6:,.2f}M ({v['value'] / v['customers']:,.0f} each)"
                for seg, v in value.iterrows()
            )
            lines.append(
                f"Value of the {value['customers'].sum():,.0f} active customers (margin still "
                f"to come, discounted at {s.annual_discount_rate:.0%} a year): "
                f"{value['value'].sum() / 1e6:,.2f}M — {parts}."
            )
        kept = self.kept_paths()
        if kept:
            lines.append("Kept from the base scenario (not in the data): " + ", ".join(kept))
        if self.assumptions:
            lines.append("Assumptions:")
            lines += [f"  - {a}" for a in self.assumptions]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)


def _value(params: pd.DataFrame, path: str, column: str) -> float:
    hit = params.loc[params["path"] == path, column]
    return float(hit.iloc[0]) if len(hit) and pd.notna(hit.iloc[0]) else math.nan


def _cause_source(params: pd.DataFrame, cause: str) -> str:
    rows = params[params["path"].str.startswith(f"causes.{cause}.levels.")]
    kinds = sorted(set(rows["source"]))
    return "; ".join(kinds) if kinds else "kept from base"
