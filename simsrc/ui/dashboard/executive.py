"""The executive dashboard: the front door, baseline against what-if for every lever."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import pandas as pd

from simsrc.analysis.attribution import attribute
from simsrc.analysis.sensitivity import (
    MonteCarloResult,
    follow_ranges,
    monte_carlo,
    uncertain_paths,
)
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario
from simsrc.model.units import format_value
from simsrc.results.expected import Result
from simsrc.results.simulate import simulate
from simsrc.ui import charts
from simsrc.ui.dashboard.frame import CardFigures, ControlGroup, Dashboard, guard

__all__ = ["EXECUTIVE_KPIS", "Computed", "ExecutiveDashboard"]

EXECUTIVE_KPIS = (
    "total_revenue",
    "npv",
    "ending_base_value",
    "npv_with_base",
    "avg_monthly_churn",
    "ending_active",
    "ending_mrr",
    "clv_per_customer",
    "total_retention_cost",
    "retention_roi",
)
"""KPI cards of the executive dashboard, in order."""


def settled_share(result: Result) -> tuple[float, float]:
    """How far the base has built up: ``(active at the end ÷ where it would settle, that level)``.

    The base settles where as many leave as arrive: the last month's new customers ÷ its
    churn rate (acquisition and churn held at their last month's values).
    """
    last = result.monthly.iloc[-1]
    rate = float(last["churn_rate"])
    if not rate > 0:
        return float("nan"), float("nan")
    settled = float(last["new"]) / rate
    return float(last["active"]) / settled, settled


def why_text(base: Result, what_if: Result) -> str:
    """One sentence under the cards: why a churn change shows only partly in the results.

    Computed from the two scenarios: how far each customer base is from the level its
    acquisition and churn would settle at by the end of the horizon.
    """
    (share_b, _), (share_w, settled_w) = settled_share(base), settled_share(what_if)
    if not (math.isfinite(share_b) and math.isfinite(share_w)):
        return ""
    years = what_if.scenario.horizon_months / 12
    return (
        f"Customers build up slowly: after {years:g} years the what-if's base is at "
        f"{share_w:.0%} of the level its acquisition and churn would settle at "
        f"({format_value(settled_w, 'count')} customers), the baseline's at {share_b:.0%}. "
        "A churn change keeps paying after the horizon: the base value card counts what "
        "the customers left at the end will still bring, the others only what happens "
        "within it."
    )


@dataclasses.dataclass(frozen=True)
class Computed:
    """What the executive dashboard shows for one scenario."""

    result: Result
    attribution: pd.DataFrame
    kept: float  # the levers' gain in the ending base's value, discounted to today


class ExecutiveDashboard(Dashboard):
    """The front door: what-if controls, KPI cards and six charts, baseline vs what-if.

    Parameters
    ----------
    scenario : str or Scenario
        A preset name or a scenario to start from.

    Examples
    --------
    >>> dash = ExecutiveDashboard("b2b-saas")
    >>> dash.halve_churn()
    >>> import simsrc
    >>> expected = simsrc.simulate(simsrc.preset("b2b-saas").halve_churn()).kpis
    >>> dash.kpi_text("total_revenue") == simsrc.model.units.format_value(
    ...     expected["total_revenue"], "currency")
    True
    """

    title = "Retention what-if"
    link = ' · <a href="offer_mix_dashboard.ipynb">Save team view →</a>'

    band_draws = 100
    """Monte Carlo draws behind the uncertainty band (one batched engine call)."""

    def __init__(self, scenario: str | Scenario = "b2b-saas") -> None:
        self.band_toggle = widgets.ToggleButtons(
            options=[("Off", False), ("On", True)],
            value=False,
            description="Uncertainty band",
            tooltip="Shade the what-if revenue's P10–P90 over the scenario's uncertainty "
            "ranges (its [uncertainty] table)",
            style={"description_width": "initial", "button_width": "auto"},
        )
        self.band_toggle.add_class("sx-input")
        self.band_toggle.add_class("sx-band-toggle")
        self.band_toggle.observe(self._on_band, names="value")
        self.band_note = widgets.HTML()
        self.band_note.add_class("sx-band-note")
        self._bands = functools.lru_cache(maxsize=self.cache_size)(self._band)
        self.halve_button = widgets.Button(
            description="Halve churn",
            tooltip="Set every cause to half of the baseline's churn",
            button_style="primary",
            layout={"width": "auto"},
        )
        self.halve_button.add_class("sx-halve")
        self.halve_button.on_click(self._on_halve)
        self.churn_reset = widgets.Button(
            description="Baseline churn",
            tooltip="Set every cause back to the baseline's churn",
            layout={"width": "auto"},
        )
        self.churn_reset.add_class("sx-churn-reset")
        self.churn_reset.on_click(self._on_churn_reset)
        super().__init__(scenario)

    def _compute(self, s: Scenario) -> Computed:
        result, off = simulate(s), s.without_levers()
        without = result if off == s else simulate(off)
        return Computed(result, attribute(s), charts.base_kept(result.kpis, without.kpis))

    def _extra_main(self) -> list[widgets.Widget]:
        row = widgets.HBox([self.band_toggle, self.band_note])
        row.add_class("sx-band-row")
        return [row]

    @guard
    def _on_band(self, change: Mapping[str, Any]) -> None:
        if change["new"] not in (True, False):
            raise ScenarioError("uncertainty band", "must be on or off")
        self._refresh()

    def uncertainty(self, s: Scenario) -> MonteCarloResult | None:
        """Monte Carlo over a what-if's uncertainty ranges (moved with its values), cached.

        ``None`` when the band is off or the baseline has no ranges or joint draws.
        """
        if not self.band_toggle.value or not uncertain_paths(s):
            return None
        return self._bands(s, self.baseline)

    def _band(self, s: Scenario, baseline: Scenario) -> MonteCarloResult:
        return monte_carlo(follow_ranges(s, baseline), n=self.band_draws, seed=0)

    def _groups(self) -> list[ControlGroup]:
        s = self.baseline
        levels = s.monthly_churn_by_cause()
        churn = [
            self.number_control(f"churn.{c.name}", c.label,
                                hint=f"{format_value(levels[c.name], 'rate')} a month")
            for c in s.causes
        ]  # fmt: skip
        buttons = widgets.HBox([self.halve_button, self.churn_reset])
        buttons.add_class("sx-buttons")
        programs: list[widgets.Widget] = []
        for name in ("onboarding", "success", "service"):
            programs += [
                self.choice_control(f"programs.{name}.enabled"),
                self.number_control(f"programs.{name}.effect"),
                self.number_control(f"programs.{name}.cost"),
            ]
        acquisition = ("acquisition.new_per_month", "acquisition.monthly_growth",
                       "acquisition.referrals_per_active")  # fmt: skip
        return [
            ("Acquisition", "", [self.number_control(p) for p in acquisition]),
            ("Churn by cause", "Multiply each cause's churn: 1 is the baseline, "
             "0.5 halves it.", [buttons, *churn]),
            *self._contract_group(),
            ("Save team and offer mix", "Who reaches the save team, and what they offer "
             "for each reason.", [self.number_control("save_team.coverage"),
                                  self.number_control("save_team.value_threshold"),
                                  *self.mix_editor()]),
            ("Dunning", "Late payers: how and where they are reminded.", [
                self.choice_control("dunning.enabled"),
                self.choice_control("dunning.style"),
                self.choice_control("dunning.channel"),
                self.number_control("dunning.messages"),
                self.number_control("dunning.grace_months")]),
            ("Win-back", "One message to former customers after a delay.", [
                self.choice_control("win_back.enabled"),
                self.choice_control("win_back.channel"),
                self.number_control("win_back.delay_months")]),
            ("Programs", "Work that lowers one cause's churn, at a cost.", programs),
        ]  # fmt: skip

    def _contract_group(self) -> list[ControlGroup]:
        """Term, renewal wave and early exits of each contract segment (none: no group)."""
        controls: list[widgets.Widget] = []
        for seg in self.baseline.segments:
            if seg.contract.term_months == 0:
                continue
            controls += [
                self.number_control(f"segments.{seg.name}.contract.term_months",
                                    f"{seg.label}: months per term"),
                self.number_control(f"renewal.{seg.name}", f"{seg.label}: churn at renewal"),
                self.number_control(f"early_exit.{seg.name}",
                                    f"{seg.label}: churn inside a term"),
            ]  # fmt: skip
        if not controls:
            return []
        hint = ("How long contracts run, and how many leave at each renewal or before it "
                "(1 is the baseline, 0.5 halves it).")  # fmt: skip
        return [("Contracts", hint, controls)]

    def _build_controls(self) -> None:
        super()._build_controls()
        n = len(uncertain_paths(self.baseline))
        self.band_toggle.disabled = n == 0
        if n == 0:
            self.band_toggle.value = False
            self.band_toggle.tooltip = (
                "This scenario has no uncertainty ranges ([uncertainty]) or joint draws "
                "([estimation])"
            )
        else:
            self.band_toggle.tooltip = (
                f"How sure are we? Shade the what-if revenue's P10–P90 over {n} uncertain "
                f"assumptions ({self.band_draws} draws; about half a second per change)"
            )

    @guard
    def _on_halve(self, _: object = None) -> None:
        self.halve_churn()

    def halve_churn(self) -> None:
        """Set every cause's multiplier to ½: the baseline's churn halved."""
        self.set_controls({f"churn.{c}": 0.5 for c in self.baseline.cause_names})

    @guard
    def _on_churn_reset(self, _: object = None) -> None:
        self.set_controls({f"churn.{c}": 1.0 for c in self.baseline.cause_names})

    def _card_kpis(self, base: Computed, what_if: Computed) -> CardFigures:
        return base.result.kpis, what_if.result.kpis, EXECUTIVE_KPIS, {}

    def _why(self, base: Computed, what_if: Computed) -> str:
        return why_text(base.result, what_if.result)

    def _datasets(self) -> dict[str, pd.DataFrame]:
        base, what_if = self.baseline_result, self.what_if_result
        b, w = base.result, what_if.result
        mc = self.uncertainty(self.what_if)
        self._show_band(mc)
        return {
            "monthly": charts.monthly_data(b, w, None if mc is None else mc.monthly["revenue"]),
            "churn": charts.churn_by_cause_data(b, w),
            "survival": charts.survival_data(b, w),
            "per_customer": charts.revenue_per_customer_data(b, w),
            "waterfall": charts.waterfall_data(
                base.attribution, what_if.attribution, kept=(base.kept, what_if.kept)
            ),
        }

    def _show_band(self, mc: MonteCarloResult | None) -> None:
        if mc is None:
            self.band_note.value = ""
            return
        low, high = map(float, mc.kpi_bands.loc["total_revenue", ["p10", "p90"]])
        money = functools.partial(format_value, unit="currency", currency=self.currency)
        self.band_note.value = (
            '<div class="sx-legend sx-band">The what-if\'s total revenue is '
            f'<b class="sx-band-range">{money(low)} – {money(high)}</b> '
            f"(P10–P90 of {len(mc.kpis)} draws over {mc.samples.shape[1]} uncertain "
            "assumptions); shaded around its revenue line.</div>"
        )

    def _panels(self) -> list[charts.Panel]:
        return [
            charts.Panel(
                "revenue",
                "monthly",
                "Revenue per month",
                "What customers pay each month (grey dashed: baseline; blue: what-if; "
                "shaded: the what-if's P10–P90 when the uncertainty band is on). The "
                "area between the lines adds up to the change in total revenue.",
                charts.revenue_view,
                charts.revenue_table,
            ),
            charts.Panel(
                "customers",
                "monthly",
                "Active customers",
                "Customers at the end of each month: new customers flow in, churn drains "
                "the base. With lower churn the base keeps growing for longer.",
                charts.customers_view,
                charts.customers_table,
            ),
            charts.Panel(
                "churn",
                "churn",
                "Customers lost, by cause",
                "Customers lost each year, stacked by why they left (pale: baseline; "
                "solid: what-if). Failed payments are involuntary; the rest chose to go.",
                charts.churn_by_cause_view,
                charts.churn_by_cause_table,
            ),
            charts.Panel(
                "survival",
                "survival",
                "Cohort retention",
                "Of the customers who join, the share still with the company after each "
                "month. The curve flattens because the riskiest customers leave first.",
                charts.survival_view,
                charts.survival_table,
            ),
            charts.Panel(
                "per_customer",
                "per_customer",
                "Revenue per new customer, by tenure",
                "What one new customer pays in total by each month of tenure, at list "
                "prices. Customers pay more the longer they stay, so every month kept is "
                "worth more than the first month's price.",
                charts.revenue_per_customer_view,
                charts.revenue_per_customer_table,
            ),
            charts.Panel(
                "waterfall",
                "waterfall",
                "What each retention lever adds to NPV",
                "NPV added over the same business with no retention work. Each step is "
                "what is lost when only that lever is switched off; 'Interactions' closes "
                "the gap to the total gain of all levers. The last bar rises from that "
                "total: what the customers the levers keep are still worth after the "
                "horizon, which the NPV leaves out.",
                charts.waterfall_view,
                charts.waterfall_table,
            ),
        ]
