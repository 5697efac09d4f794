"""The save team's dashboard: offer mix per reason, targeting and coverage."""

from __future__ import annotations

import dataclasses
import functools
import math

import ipywidgets as widgets
import pandas as pd

from simsrc.analysis.experiment import MAX_TEST_MONTHS, UntestableError, plan_experiment
from simsrc.analysis.offers import offer_survival
from simsrc.analysis.optimize import RetentionPlan, optimize_offer_mix
from simsrc.model.errors import ScenarioError
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import WHAT_IF_MARK, Scenario
from simsrc.model.units import format_value
from simsrc.results.expected import Result, simulate_batch
from simsrc.results.simulate import simulate
from simsrc.ui import charts
from simsrc.ui.dashboard.frame import CardFigures, ControlGroup, Dashboard, guard
from simsrc.ui.dashboard.markup import esc, mix_text
from simsrc.ui.dashboard.values import build_what_if, mix_of, whole_percents

__all__ = ["OfferMixDashboard", "SaveTeamComputed"]


@dataclasses.dataclass(frozen=True)
class SaveTeamComputed:
    """What the offer-mix dashboard shows for one scenario."""

    result: Result
    margin_without_team: float
    delay: pd.DataFrame


def test_text(what_if: Scenario, best: Scenario) -> str:
    """How long an A/B test of the best mix against the what-if's would take, in words."""
    try:
        plan = plan_experiment(what_if, best.replace(name="the NPV-best mix"),
                               max_months=math.inf)  # fmt: skip
    except UntestableError as err:
        if err.why == "nobody":
            return "How long to test it: no cancellation request reaches the save team."
        return (
            "How long to test it: the best mix saves as many customers as the what-if's, so "
            "a test of the save rate cannot tell them apart; its gain is in the margin kept."
        )
    except ScenarioError as err:
        return f"How long to test it: it cannot be planned here ({err.message})."
    money = format_value(plan.npv_per_month_of_delay, "currency", what_if.currency)
    rates = f"save rate {format_value(plan.rate_control, 'rate')} → " + format_value(
        plan.rate_test, "rate"
    )
    if plan.months > MAX_TEST_MONTHS:
        return (
            f"How long to test it: {plan.months:,.0f} months at "
            f"{format_value(plan.monthly_volume, 'count')} requests a month ({rates}), too "
            "long to wait for; the best mix's gain is in the margin it keeps more than in "
            "how many it saves."
        )
    months = math.ceil(plan.months)
    return (
        f"How long to test it: {plan.per_arm:,} requests on each mix, about {months} "
        f"month{'s' if months != 1 else ''} with half the requests on each ({rates}); "
        + (f"each month of waiting costs {money}." if plan.npv_gain > 0 else "")
    ).rstrip("; ")


class OfferMixDashboard(Dashboard):
    """The save team's view: offer mix per reason, targeting threshold and coverage.

    Parameters
    ----------
    scenario : str or Scenario
        A preset name or a scenario to start from.

    Examples
    --------
    >>> dash = OfferMixDashboard("b2b-saas")
    >>> dash.set_control("save_team.mix.price_competitor.discount", 0.2)
    >>> dash.what_if.save_team.mix[4][0]
    0.2
    """

    title = "Save team: offer mix"
    link = ' · <a href="executive_dashboard.ipynb">← Executive view</a>'

    def __init__(self, scenario: str | Scenario = "b2b-saas") -> None:
        self._delay_data = functools.lru_cache(maxsize=self.cache_size)(
            lambda key: charts.offer_delay_data(offer_survival(key))
        )
        self.search_button = widgets.Button(
            description="Find the NPV-best mix",
            tooltip="Search the offer mix that maximises NPV for the what-if (a few seconds)",
            button_style="primary",
            layout={"width": "auto"},
        )
        self.search_button.add_class("sx-search")
        self.search_button.on_click(self._on_search)
        self.apply_button = widgets.Button(
            description="Use this mix",
            tooltip="Put the best mix found into the what-if",
            layout={"display": "none", "width": "auto"},
        )
        self.apply_button.add_class("sx-apply-best")
        self.apply_button.on_click(self._on_apply_best)
        self.search_result = widgets.HTML()
        self.search_result.add_class("sx-search-result")
        self.best: RetentionPlan | None = None
        self.best_values: dict[str, float] = {}
        super().__init__(scenario)

    def _extra_main(self) -> list[widgets.Widget]:
        buttons = widgets.HBox([self.search_button, self.apply_button])
        buttons.add_class("sx-buttons")
        box = widgets.VBox(
            [
                widgets.HTML(
                    '<div class="sx-panel-title">The NPV-best mix for the what-if</div>'
                    '<div class="sx-panel-text">A search over the share of each offer for '
                    "each reason (offers that reason's customers accept), keeping coverage, "
                    "targeting and everything else as they are.</div>"
                ),
                buttons,
                self.search_result,
            ]
        )
        box.add_class("sx-panel")
        box.add_class("sx-search-panel")
        return [box]

    def _compute(self, s: Scenario) -> SaveTeamComputed:
        team_off = dataclasses.replace(
            s,
            save_team=dataclasses.replace(s.save_team, coverage=0.0),
            name=f"{s.name}{WHAT_IF_MARK}off",
        )
        off = simulate_batch([team_off]).kpis["total_gross_margin"].iloc[0]
        return SaveTeamComputed(simulate(s), float(off), self._delay(s))

    def _delay(self, s: Scenario) -> pd.DataFrame:
        """Single-offer survival depends neither on the mix nor on coverage: cache by the rest."""
        key = dataclasses.replace(
            s,
            name="key",
            save_team=dataclasses.replace(
                s.save_team, coverage=0.0, mix=tuple((0.0,) * len(OFFER_NAMES) for _ in s.causes)
            ),
        )
        data: pd.DataFrame = self._delay_data(key)
        return data

    def _groups(self) -> list[ControlGroup]:
        return [
            ("Who gets an offer", "Reach and targeting of the save team.", [
                self.number_control("save_team.coverage"),
                self.number_control("save_team.value_threshold"),
            ]),
            ("Offer mix per reason", "Choose a reason, then the share of its requests "
             "that get each offer.", self.mix_editor()),
        ]  # fmt: skip

    def _card_kpis(self, base: SaveTeamComputed, what_if: SaveTeamComputed) -> CardFigures:
        def extra(c: SaveTeamComputed) -> dict[str, float]:
            k = c.result.kpis
            given = k["total_discounts_given"] + float(c.result.arrays["offer_costs"].sum())
            return {**k, "margin_kept": k["total_gross_margin"] - c.margin_without_team,
                    "given_away": given}  # fmt: skip

        labels = {"margin_kept": ("Margin kept", "currency"),
                  "given_away": ("Given away", "currency")}  # fmt: skip
        keys = ("save_rate", "cost_per_save", "margin_kept", "given_away", "npv")
        return extra(base), extra(what_if), keys, labels

    def _datasets(self) -> dict[str, pd.DataFrame]:
        base, what_if = self.baseline_result, self.what_if_result
        b, w = base.result, what_if.result
        return {
            "mix": charts.offer_mix_data(self.what_if),
            "saves": charts.saves_by_offer_data(b, w),
            "margin": charts.margin_kept_data(
                b, w, base.margin_without_team, what_if.margin_without_team
            ),
            "delay": what_if.delay,
        }

    def _panels(self) -> list[charts.Panel]:
        return [
            charts.Panel(
                "mix",
                "mix",
                "Offer mix (what-if)",
                "For each reason customers give when asking to leave: the share of the "
                "requests reaching the save team that get each offer. Blank: no offer.",
                charts.offer_mix_view,
                charts.offer_mix_table,
            ),
            charts.Panel(
                "saves",
                "saves",
                "Customers saved, by offer",
                "Cancellation requests each offer turned into a stay over the horizon "
                "(grey: baseline; blue: what-if). A customer saved twice counts twice.",
                charts.saves_by_offer_view,
                charts.saves_by_offer_table,
            ),
            charts.Panel(
                "margin",
                "margin",
                "Margin kept against money given away",
                "Margin kept: extra gross margin over the horizon compared with no save "
                "team, net of discounts. Given away: list revenue not charged during "
                "discounts, free months and pauses, and the team's costs.",
                charts.margin_kept_view,
                charts.margin_kept_table,
            ),
            charts.Panel(
                "delay",
                "delay",
                "A discount only delays",
                "If every request got this one offer: extra customers still with the "
                "company, per 1,000 who joined, compared with no save team. A discount "
                "holds customers a few months, then most leave; a fix keeps them.",
                charts.offer_delay_view,
                charts.offer_delay_table,
            ),
        ]

    @guard
    def _on_search(self, _: object = None) -> None:
        self.search()

    def search(self) -> RetentionPlan:
        """Find the NPV-best mix for the what-if and show it (:func:`optimize_offer_mix`)."""
        self.search_result.value = '<div class="sx-result">Searching…</div>'
        s = self.what_if
        if s.save_team.coverage <= 0:
            raise ScenarioError("save_team.coverage", "is 0: no save team to find a mix for")
        found = optimize_offer_mix(s, maxiter=40)
        self.best = found
        self.best_values = self._rounded_mix(found)
        applied = build_what_if(self.baseline, {**self.values, **self.best_values})
        npv = float(self.result(applied).result.kpis["npv"])  # the mix as it will be applied
        rows = []
        for c in s.causes:
            if c.voluntary:
                chosen = {o: self.best_values.get(f"save_team.mix.{c.name}.{o}", 0.0)
                          for o in OFFER_NAMES}  # fmt: skip
                best = {o: v for o, v in chosen.items() if v > 0}
                rows.append(
                    f"<tr><td>{esc(c.label)}</td><td>{esc(mix_text(mix_of(s).get(c.name, {})))}"
                    f"</td><td><b>{esc(mix_text(best))}</b></td></tr>"
                )
        gain = npv - found.npv_start
        signed = ("+" if gain > 0 else "") + format_value(gain, "currency", s.currency)
        self.search_result.value = (
            '<div class="sx-result">NPV with the best mix: <b class="sx-best-npv">'
            f"{esc(format_value(npv, 'currency', s.currency))}</b> ({esc(signed)} "
            f"against the what-if's mix; {found.evaluations} scenarios simulated; shares in "
            "whole percents, as they are applied)."
            "<table><tr><th>Reason</th><th>What-if mix</th><th>NPV-best mix</th></tr>"
            + "".join(rows)
            + f'</table><p class="sx-test-plan">{esc(test_text(s, applied))}</p></div>'
        )
        self.apply_button.layout.display = None if gain > 0 else "none"
        return found

    def _rounded_mix(self, found: RetentionPlan) -> dict[str, float]:
        """The found mix as control values in whole percents (each reason ≤ 100 %)."""
        values: dict[str, float] = {}
        for cause in found.mix.index:
            row = found.mix.loc[cause]
            shares = whole_percents({str(o): float(row[o]) for o in found.mix.columns})
            for o, v in shares.items():
                if f"save_team.mix.{cause}.{o}" in self.values:
                    values[f"save_team.mix.{cause}.{o}"] = v
        return values

    @guard
    def _on_apply_best(self, _: object = None) -> None:
        if self.best is None:
            return
        self.set_controls(self.best_values)
        self.apply_button.layout.display = "none"
