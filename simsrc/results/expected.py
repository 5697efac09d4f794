"""Run scenarios through the engine and present the results.

:func:`simulate` returns a :class:`Result` for one scenario (monthly frame, cohort
survival, KPIs); :func:`simulate_batch` runs many scenarios of the same structure in one
batched call and returns their KPIs as a DataFrame (and optionally the monthly arrays).
Both go through the same engine path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc.engine.calendar import Inflow, convolve, inflow
from simsrc.engine.cohorts import unique_paths
from simsrc.engine.core import CohortPath
from simsrc.engine.curves import value_curve
from simsrc.engine.money import KERNEL_SERIES, money_kernels
from simsrc.engine.pack import Packed, pack
from simsrc.model.checks import check_flag, check_instance, check_whole
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import Scenario
from simsrc.results import metrics, valuation
from simsrc.results.kpis import Sums, ratio_kpis
from simsrc.results.valuation import BaseValue, ending_base_values, residual_values

Array = NDArray[np.float64]


@dataclass(frozen=True)
class _Run:
    """Engine output for a batch: packed inputs, cohort path, money kernels, inflow."""

    packed: Packed
    path: CohortPath
    kern: dict[str, Array]  # name -> [S, G, H]
    flows: Inflow

    @property
    def new(self) -> Array:
        return self.flows.new


def _run(p: Packed, path: CohortPath | None = None) -> _Run:
    if path is None:
        path, which = unique_paths(p)
        if len(which) and path["present"].shape[0] < p.n:
            path = path.take(which)
    kern = money_kernels(p, path)
    return _Run(p, path, kern, inflow(p, path))


def _calendar_costs(r: _Run) -> dict[str, Array]:
    """Costs that belong to the calendar, not to a cohort: ``[S, H]`` each."""
    p, f = r.packed, r.flows
    lv = p.levers
    h = p.horizon
    return {
        "acquisition_cost": np.einsum("sgt,sg->st", f.paid, p.cac),
        "reactivation_costs": f.reactivated.sum(axis=1) * lv.reactivation_cost[:, None],
        "service_costs": np.repeat(lv.service_cost[:, None], h, axis=1),
    }


def _per_new_customer(r: _Run, d: Array) -> tuple[Array, Array]:
    """CLV per new customer and CAC payback in months, share-weighted over segments, ``[S]``.

    ``d`` is the discount factor by month, ``[S, H]``.
    """
    p = r.packed
    clv = np.einsum("sg,sg->s", p.share, (r.kern["gross_margin"] * d[:, None, :]).sum(axis=2))
    arpa0 = np.einsum("sg,sg->s", p.share, p.price * p.value[:, :1])
    margin0 = np.einsum("sg,sg->s", p.share, p.price * p.value[:, :1] * p.margin)
    cac = np.einsum("sg,sg->s", p.share, p.cac)
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(
            margin0 > 0, metrics.cac_payback_months(cac, arpa0, margin0 / arpa0), np.inf
        )
    return clv, payback


def _kpis(r: _Run) -> dict[str, Array]:
    """Headline KPIs in closed form from the path (no monthly arrays needed)."""
    p, new = r.packed, r.new
    h = p.horizon
    rev_new = new[..., ::-1]  # new[H-1-τ] aligned with tenure τ
    # Σ_t Σ_{c≤t} new[c] K[t−c] = Σ_τ K[τ] · Σ_{c ≤ H−1−τ} new[c]: totals need cumulative
    # acquisition only, not cumulative kernels; discounting works the same way.
    d = p.discount[:, None] ** np.arange(h)[None, :]  # [S, H]
    weight = np.cumsum(new, axis=2)[..., ::-1]
    weight_pv = np.cumsum(new * d[:, None, :], axis=2)[..., ::-1] * d[:, None, :]

    def total(name: str) -> Array:
        return np.einsum("sgt,sgt->s", weight, r.kern[name])

    def ending(name: str) -> Array:
        return np.einsum("sgt,sgt->s", rev_new, r.kern[name])

    def present_value(name: str) -> Array:
        return np.einsum("sgt,sgt->s", weight_pv, r.kern[name])

    cal = _calendar_costs(r)
    cohort_costs = ("offer_costs", "messaging_costs", "program_costs")
    retention_cal = cal["reactivation_costs"] + cal["service_costs"]
    retention = sum(total(c) for c in cohort_costs) + retention_cal.sum(axis=1)
    pv_retention = sum(present_value(c) for c in cohort_costs) + (retention_cal * d).sum(1)
    npv = present_value("gross_margin") - pv_retention - (cal["acquisition_cost"] * d).sum(axis=1)
    churned_by_cause = np.einsum("sgt,sgtk->sk", rev_new, np.cumsum(r.path["churned"], axis=2))
    churned = churned_by_cause.sum(axis=1) + total("lapsed")
    present = total("present")
    clv, payback = _per_new_customer(r, d)
    saves = np.einsum("sgt,sgto->s", weight, r.path["saves"])
    requests = np.einsum("sgt,sgtk->s", weight, r.path["requests"])
    save_cost = total("offer_costs") + total("discounts_given")
    invol = churned_by_cause @ (1.0 - p.voluntary[0])
    ratios = ratio_kpis(
        Sums(
            churned=churned,
            involuntary=invol,
            present=present,
            requests=requests,
            saves=saves,
            save_cost=save_cost,
            recovered=total("recovered"),
            cut_off=total("cut_off"),
            **_last_year(r)._asdict(),
        )
    )
    return {
        "total_revenue": total("revenue"),
        "total_gross_margin": total("gross_margin"),
        "total_acquisition_cost": cal["acquisition_cost"].sum(axis=1),
        "total_retention_cost": retention,
        "npv": npv,
        "ending_base_value": np.full(len(npv), np.nan),  # when asked: _with_base_value
        "npv_with_base": np.full(len(npv), np.nan),
        "ending_active": ending("active"),
        "ending_mrr": ending("mrr"),
        "total_acquired": new.sum(axis=(1, 2)),
        "total_churned": churned,
        "avg_monthly_churn": ratios["avg_monthly_churn"],
        "clv_per_customer": clv,
        "cac_payback_months": payback,
        "grr_last_12m": ratios["grr_last_12m"],
        "nrr_last_12m": ratios["nrr_last_12m"],
        "save_rate": ratios["save_rate"],
        "cost_per_save": ratios["cost_per_save"],
        "recovery_rate": ratios["recovery_rate"],
        "involuntary_share": ratios["involuntary_share"],
        "total_discounts_given": total("discounts_given"),
        "total_reactivated": r.flows.reactivated.sum(axis=(1, 2)),
        "retention_roi": np.full(len(npv), np.nan),
        "_pv_retention": pv_retention,
    }


class _LastYear(NamedTuple):
    start_mrr: Array
    lost_mrr: Array
    down_mrr: Array
    up_mrr: Array


def _last_year(r: _Run) -> _LastYear:
    """Starting MRR, then churned, contraction and expansion MRR over 12 months.

    Of the customers active at the end of month H − 13 (GRR and NRR); NaN when the
    horizon is shorter than 13 months.
    """
    p = r.packed
    h = p.horizon
    n_s = r.new.shape[0]
    if h < 13:
        nan = np.full(n_s, np.nan)
        return _LastYear(nan, nan, nan, nan)
    t0 = h - 13
    new0 = r.new[:, :, : t0 + 1]  # cohorts existing at t0
    lag = t0 - np.arange(t0 + 1)  # tenure of cohort c at t0

    def at(name: str, offset: int) -> Array:
        return np.einsum("sgc,sgc->s", new0, r.kern[name][:, :, lag + offset])

    def window(name: str) -> Array:  # Σ over tenure lag+1 … lag+12
        cum = np.cumsum(r.kern[name], axis=2)
        return np.einsum("sgc,sgc->s", new0, cum[:, :, lag + 12] - cum[:, :, lag])

    return _LastYear(
        at("mrr", 0), window("churned_mrr"), window("contraction_mrr"), window("expansion_mrr")
    )


def _monthly_arrays(r: _Run) -> dict[str, Array]:
    """Calendar series per scenario and segment, ``[S, G, H]`` (by cause/offer: ``+[K|O]``)."""
    by = ("churned", "requests", "bad", "saves")  # by cause or offer
    parts = [np.stack([r.kern[name] for name in KERNEL_SERIES], axis=-1)]
    parts += [r.path[name] for name in by]
    series = convolve(r.new, np.concatenate(parts, axis=-1))  # one product for all
    out = {name: series[..., i] for i, name in enumerate(KERNEL_SERIES)}
    edges = np.cumsum([len(KERNEL_SERIES)] + [r.path[name].shape[-1] for name in by])
    for name, lo, hi in zip(by, edges[:-1], edges[1:], strict=True):
        out[name + "_by"] = series[..., lo:hi]
    out["paid_new"] = r.flows.paid
    out["referred_new"] = r.flows.referred
    out["reactivated"] = r.flows.reactivated
    out["lost_to_word_of_mouth"] = r.flows.lost_to_word_of_mouth
    g = r.new.shape[1]
    for name, v in _calendar_costs(r).items():  # spread over segments for the [S, G, H] layout
        if name == "acquisition_cost":
            out[name] = r.flows.paid * r.packed.cac[:, :, None]
        elif name == "reactivation_costs":
            out[name] = r.flows.reactivated * r.packed.levers.reactivation_cost[:, None, None]
        else:
            out[name] = np.repeat(v[:, None, :] / g, g, axis=1)
    return out


def monthly_columns(a: Mapping[str, Array], scenario: Scenario) -> dict[str, Array]:
    """The monthly table's columns from calendar arrays summed over segments.

    ``a`` maps the names of the engine's calendar arrays to ``[..., H]`` arrays (by cause
    or offer ``[..., H, K|O]``); any leading axes (e.g. random runs) are kept. See
    :attr:`Result.monthly` for the columns.
    """
    s = scenario
    col: dict[str, Array] = {}
    col["new_paid"] = a["paid_new"]
    col["new_referred"] = a["referred_new"]
    col["reactivated"] = a["reactivated"]
    col["new"] = col["new_paid"] + col["new_referred"] + col["reactivated"]
    col["lost_to_word_of_mouth"] = a["lost_to_word_of_mouth"]
    col["billed"] = a["present"]
    col["active"] = a["active"]
    col["lapsed_after_offer"] = a["lapsed"]
    churn = a["churned_by"]
    col["churned"] = churn.sum(axis=-1) + a["lapsed"]
    for i, name in enumerate(s.cause_names):
        col[f"churned_{name}"] = churn[..., i]
    with np.errstate(divide="ignore", invalid="ignore"):
        col["churn_rate"] = np.where(col["billed"] > 0, col["churned"] / col["billed"], np.nan)
    col["former_customers"] = np.cumsum(col["churned"] - col["reactivated"], axis=-1)
    requests = a["requests_by"]
    col["cancellation_requests"] = requests.sum(axis=-1)
    for i, name in enumerate(s.cause_names):
        col[f"requests_{name}"] = requests[..., i]
    col["save_team_contacts"] = a["reached"]
    col["saves"] = a["saves_by"].sum(axis=-1)
    for i, name in enumerate(OFFER_NAMES):
        col[f"saves_{name}"] = a["saves_by"][..., i]
    col["in_offer"] = a["held"]
    for name in ("paused", "resumed", "helped", "downgraded", "bad_exits", "delinquent"):
        col[name] = a[name]
    col["delinquency_onsets"] = a["onsets"]
    for name in ("recovered", "cut_off", "dunning_messages", "win_back_messages"):
        col[name] = a[name]
    survey = s.programs.exit_survey
    reach = getattr(s.channels, survey.channel).reach * survey.response_rate
    for i, c in enumerate(s.causes):
        answered = survey.enabled and c.voluntary
        col[f"survey_responses_{c.name}"] = churn[..., i] * (reach if answered else 0.0)
    # Customers who lapse when an offer ends are surveyed (and charged for) too; the
    # engine does not carry their original reason, so their answers are a group of their own.
    col["survey_responses_after_offer"] = a["lapsed"] * (reach if survey.enabled else 0.0)
    for name in ("revenue", "mrr", "new_mrr", "expansion_mrr", "contraction_mrr",
                 "churned_mrr", "gross_margin", "discounts_given", "offer_costs",
                 "messaging_costs", "acquisition_cost"):  # fmt: skip
        col[name] = a[name]
    col["program_costs"] = a["program_costs"] + a["service_costs"]
    col["offer_costs"] = col["offer_costs"] + a["reactivation_costs"]
    mrr = col["mrr"]
    start = np.concatenate([np.full_like(mrr[..., :1], np.nan), mrr[..., :-1]], axis=-1)
    start = np.where(start > 0, start, np.nan)
    col["gross_mrr_churn"] = metrics.gross_mrr_churn(
        start, col["churned_mrr"], col["contraction_mrr"]
    )
    col["net_mrr_churn"] = metrics.net_mrr_churn(
        start, col["churned_mrr"], col["contraction_mrr"], col["expansion_mrr"]
    )
    col["retention_costs"] = col["offer_costs"] + col["messaging_costs"] + col["program_costs"]
    col["margin_after_retention"] = col["gross_margin"] - col["retention_costs"]
    col["contribution"] = col["margin_after_retention"] - col["acquisition_cost"]
    col["cumulative_revenue"] = np.cumsum(col["revenue"], axis=-1)
    col["cumulative_contribution"] = np.cumsum(col["contribution"], axis=-1)
    return {k: np.asarray(v, dtype=float) for k, v in col.items()}


@dataclass(frozen=True)
class Result:
    """The outcome of simulating one scenario. Frozen; carries its scenario.

    Attributes
    ----------
    scenario : Scenario
        The scenario that produced this result.
    arrays : mapping of str to ndarray
        Monthly series by segment, ``[G, H]`` (``*_by``: ``[G, H, K or O]``).
    kernel_active : ndarray
        Fraction of a unit cohort still with the company at the end of each tenure month,
        ``[G, H]``.
    kpi_values : mapping of str to float
        Headline figures (see :data:`KPI_INFO`).
    nodes : int or None
        Heterogeneity classes asked for (None: the default for the horizon).
    residual : ndarray or None
        Discounted margin still to come per customer billed at each tenure, ``[G, H]``,
        as valued for the KPIs (:func:`simsrc.results.valuation.residual_values`).
    """

    scenario: Scenario
    arrays: Mapping[str, Array]
    kernel_active: Array
    kpi_values: Mapping[str, float]
    nodes: int | None = None
    residual: Array | None = None

    @property
    def kpis(self) -> Mapping[str, float]:
        """Headline figures by name (read-only mapping)."""
        return self.kpi_values

    @cached_property
    def base_value(self) -> BaseValue:
        """What the customers billed in the last month are worth, by segment and tenure.

        The discounted margin they will still bring after the horizon, with heterogeneity,
        every cause, value growth and the levers in place (:mod:`simsrc.results.valuation`);
        ``.total``, ``.by_tenure``, ``.by_segment``.

        Examples
        --------
        >>> import simsrc
        >>> res = simsrc.simulate(simsrc.preset("b2b-saas"))
        >>> bool(res.base_value.customers == res.monthly["billed"].iloc[-1])
        True
        """
        return self.base_value_at(self.scenario.horizon_months - 1)

    def base_value_at(self, month: int) -> BaseValue:
        """What the customers billed in ``month`` (0 … horizon − 1) are worth.

        See :attr:`base_value`.
        """
        new = self.arrays["paid_new"] + self.arrays["referred_new"] + self.arrays["reactivated"]
        active = self.kernel_active  # a unit cohort is billed at τ if active at the end of τ − 1
        present = np.concatenate([np.ones((active.shape[0], 1)), active[:, :-1]], axis=1)
        return valuation.base_value(
            self.scenario, new, month, self.nodes, present, values=self.residual
        )

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """One row per month: customers, churn by cause, levers, revenue, MRR, money.

        Customers: ``month``, ``new`` (= ``new_paid`` + ``new_referred`` +
        ``reactivated``), ``lost_to_word_of_mouth``, ``billed`` (with the company during
        the month), ``active`` (at its end), ``churned`` (all who left: causes and lapsed
        offers), ``churned_<cause>``, ``churn_rate``, ``former_customers``.
        Save team: ``cancellation_requests``, ``requests_<cause>``,
        ``save_team_contacts``, ``saves``, ``saves_<offer>``, ``in_offer``, ``paused``,
        ``resumed``, ``lapsed_after_offer``, ``helped``, ``downgraded``, ``bad_exits``.
        Dunning: ``delinquent``, ``delinquency_onsets``, ``recovered``, ``cut_off``,
        ``dunning_messages``. Win-back: ``win_back_messages``, ``reactivated``.
        Surveys: ``survey_responses_<cause>`` and ``survey_responses_after_offer``
        (customers who left when an offer ended).
        Money: ``revenue``, ``mrr``, ``new_mrr``, ``expansion_mrr``, ``contraction_mrr``,
        ``churned_mrr``, ``gross_mrr_churn``, ``net_mrr_churn``, ``gross_margin``,
        ``discounts_given``, ``offer_costs``, ``messaging_costs``, ``program_costs``,
        ``retention_costs``, ``margin_after_retention``, ``acquisition_cost``,
        ``contribution`` (margin after retention − acquisition), ``cumulative_revenue``,
        ``cumulative_contribution``.
        """
        a = {k: v.sum(axis=0) for k, v in self.arrays.items()}
        df = pd.DataFrame({"month": np.arange(self.scenario.horizon_months)})
        return pd.concat([df, pd.DataFrame(monthly_columns(a, self.scenario))], axis=1)

    @cached_property
    def by_segment(self) -> pd.DataFrame:
        """Tidy monthly figures per segment (one row per month and segment)."""
        frames = []
        for g, seg in enumerate(self.scenario.segment_names):
            part = pd.DataFrame({"month": np.arange(self.scenario.horizon_months)})
            part["segment"] = seg
            for key in ("paid_new", "referred_new", "reactivated", "present", "active",
                        "revenue", "mrr", "gross_margin", "acquisition_cost"):  # fmt: skip
                part[key] = self.arrays[key][g]
            part["churned"] = self.arrays["churned_by"][g].sum(axis=-1) + self.arrays["lapsed"][g]
            frames.append(part)
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def survival(self) -> pd.DataFrame:
        """Share of a new cohort still with the company after each tenure month.

        Index: ``tenure`` (months completed, starting at 0 with everyone active); one
        column per segment and ``all`` (weighted by the segments' shares of new customers).
        """
        g_active = self.kernel_active
        shares = np.array([s.share for s in self.scenario.segments])
        ones = np.ones((g_active.shape[0], 1))
        surv = np.concatenate([ones, g_active], axis=1)  # tenure 0 … H
        df = pd.DataFrame(surv.T, columns=list(self.scenario.segment_names))
        df["all"] = surv.T @ shares
        df.index.name = "tenure"
        return df

    @cached_property
    def cohort_survival(self) -> pd.DataFrame:
        """Cohort × tenure matrix: share of each monthly cohort active after τ months.

        Rows are acquisition months, columns tenure months completed (0 … H); cells
        beyond the horizon are NaN. Cohorts differ only through their segment mix.
        """
        h = self.scenario.horizon_months
        new = self.arrays["paid_new"] + self.arrays["referred_new"] + self.arrays["reactivated"]
        surv = np.concatenate(
            [np.ones((self.kernel_active.shape[0], 1)), self.kernel_active], axis=1
        )  # [G, H+1]
        tot = new.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = (new.T @ surv) / tot[:, None]
        observed = np.arange(h + 1)[None, :] <= (h - np.arange(h))[:, None]
        matrix = np.where(observed, matrix, np.nan)
        df = pd.DataFrame(matrix, columns=pd.Index(np.arange(h + 1), name="tenure"))
        df.index.name = "cohort"
        return df

    def revenue_per_customer(self) -> pd.DataFrame:
        """Monthly list price per customer by tenure and segment (the value-growth curve)."""
        v = value_multipliers(self.scenario)
        df = pd.DataFrame({seg.name: seg.monthly_price * v for seg in self.scenario.segments})
        df.index.name = "tenure"
        return df


def value_multipliers(scenario: Scenario) -> Array:
    """Revenue multiplier by tenure for a scenario (``v(0) = 1``)."""
    return np.asarray(value_curve(scenario.value, scenario.horizon_months))


def _with_base_value(
    kpis: dict[str, Array], r: _Run, scenarios: Sequence[Scenario], nodes: int | None
) -> Array | None:
    """Fill the ending base's value and the NPV with it for the first ``len(scenarios)``.

    The base is valued at the start of the month after the horizon
    (:mod:`simsrc.results.valuation`), so the NPV discounts it by ``H`` months. Returns
    the values per customer by tenure, ``[len(scenarios), G, H]`` (None if none).
    """
    n = len(scenarios)
    if not n:
        return None
    values = residual_values(scenarios, nodes)
    ending = ending_base_values(values, r.new[:n], r.path["present"][:n])
    kpis["ending_base_value"][:n] = ending
    kpis["npv_with_base"][:n] = kpis["npv"][:n] + after_horizon(r.packed.take(slice(0, n)), ending)
    return values


def after_horizon(p: Packed, ending: Array) -> Array:
    """What the years after the horizon add to the NPV, discounted to today, ``[S]``.

    The ending base's value, less what the service program (a calendar cost the base's
    value leaves out) goes on costing over the years the base is followed: a program's
    later benefits to today's customers come with its later costs. (Its benefits to
    customers acquired later are not counted, so this leans against such programs.)
    """
    d, span = p.discount, valuation.VALUATION_MONTHS  # as long as the base is followed
    with np.errstate(divide="ignore", invalid="ignore"):
        months = np.where(d < 1.0, (1.0 - d**span) / (1.0 - d), float(span))
    return np.asarray(d**p.horizon * (ending - p.levers.service_cost * months))


def _with_roi(kpis: dict[str, Array], off: dict[str, Array]) -> None:
    """Retention ROI = (NPV − NPV without levers) / present value of retention costs.

    The gain is net of everything the levers cost, the revenue that discounts, free
    months and pauses give away included; the denominator is the cash spent on
    retention (save team, offers, messages, programs). So 54× means every unit spent
    on retention returned 54 on top of itself, after the revenue given away.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        kpis["retention_roi"] = np.where(
            kpis["_pv_retention"] > 0,
            (kpis["npv"] - off["npv"]) / kpis["_pv_retention"],
            np.nan,
        )


MAX_NODES_ARG = 121
"""Most heterogeneity classes ``nodes=`` accepts. J classes reproduce the sBG survival
exactly up to tenure 2J − 1, so 121 are exact over the longest horizon (240 months); with
shaped hazards the presets' KPIs at 121 classes are within 1e-8 (relative) of 400
classes. More would only cost: the quadrature's eigenvectors take J² numbers (``nodes=
10**6`` asked for 7 TiB) and the engine's class arrays S × G × J × H."""


def check_nodes(nodes: object) -> int | None:
    """``nodes=``: None (the default for the horizon) or 1 … :data:`MAX_NODES_ARG`."""
    return None if nodes is None else check_whole(nodes, "nodes", 1, MAX_NODES_ARG)


def simulate_expected(scenario: Scenario, *, nodes: int | None = None) -> Result:
    """Expected values of one scenario (what :func:`simsrc.simulate` returns by default).

    When the scenario uses levers, its levers-off copy is simulated in the same batched
    call so that the retention ROI can be reported.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    nodes : int, optional
        Heterogeneity classes, 1 … :data:`MAX_NODES_ARG` (default: exact sBG for
        horizons up to 95 months).

    Returns
    -------
    Result
    """
    check_instance(scenario, "scenario", Scenario, "a Scenario")
    nodes = check_nodes(nodes)
    off = scenario.without_levers()
    batch = [scenario] if off == scenario else [scenario, off]
    r = _run(pack(batch, nodes=nodes))
    kpis = _kpis(r)
    residual = _with_base_value(kpis, r, [scenario], nodes)
    if len(batch) == 2:
        _with_roi(kpis, {k: v[1:] for k, v in kpis.items()})
    arrays = {k: v[0] for k, v in _monthly_arrays(r).items()}
    values = {k: float(v[0]) for k, v in kpis.items() if not k.startswith("_")}
    return Result(
        scenario=scenario,
        arrays=MappingProxyType(arrays),
        kernel_active=r.path["active"][0],
        kpi_values=MappingProxyType(values),
        nodes=nodes,
        residual=None if residual is None else residual[0],
    )


@dataclass(frozen=True)
class BatchResult:
    """KPIs (and optionally monthly arrays) of many scenarios simulated together.

    Attributes
    ----------
    scenarios : tuple of Scenario
        The scenarios, in order (empty when the batch was given as packed arrays).
    kpis : pandas.DataFrame
        One row per scenario, one column per KPI.
    arrays : mapping of str to ndarray or None
        Monthly series ``[S, G, H]`` when requested.
    """

    scenarios: tuple[Scenario, ...]
    kpis: pd.DataFrame
    arrays: Mapping[str, Array] | None


def simulate_batch(
    scenarios: Sequence[Scenario] | Packed,
    *,
    monthly: bool = False,
    nodes: int | None = None,
    roi: bool = False,
    base_value: bool = False,
) -> BatchResult:
    """Simulate many scenarios with the same structure in one batched engine call.

    Parameters
    ----------
    scenarios : sequence of Scenario or Packed
        Scenarios (same horizon, segments and causes) or already packed arrays (sweeps
        build these directly to avoid creating thousands of objects).
    monthly : bool
        Also return monthly arrays (costs O(S × H²) memory traffic).
    nodes : int, optional
        Heterogeneity classes, 1 … 121 (ignored for packed arrays, which carry theirs).
    roi : bool
        Also simulate each scenario's levers-off twin (in the same batch) to report
        ``retention_roi``; otherwise that KPI is NaN. Needs scenarios, not packed arrays.
    base_value : bool
        Also value each scenario's customer base at the end (``ending_base_value``,
        ``npv_with_base``: each cohort followed 50 years past the horizon, about 8 ms a
        scenario); otherwise those KPIs are NaN. Needs scenarios, not packed arrays.

    Returns
    -------
    BatchResult

    Raises
    ------
    TypeError
        ``scenarios`` not a sequence of :class:`Scenario` (or packed arrays), ``monthly``
        or ``roi`` not a bool, ``nodes`` not an integer.
    ValueError
        ``nodes`` out of range, ``roi=True`` or ``base_value=True`` with packed arrays,
        or scenarios of different structure (:class:`~simsrc.ScenarioError`).

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> out = simsrc.simulate_batch([base, base.halve_churn()])
    >>> bool(out.kpis["total_revenue"].iloc[1] > out.kpis["total_revenue"].iloc[0])
    True
    """
    monthly = check_flag(monthly, "monthly")
    nodes = check_nodes(nodes)
    roi = check_flag(roi, "roi")
    base_value = check_flag(base_value, "base_value")
    objs: tuple[Scenario, ...] = ()
    if isinstance(scenarios, Packed):
        for flag, name in ((roi, "roi"), (base_value, "base_value")):
            if flag:
                raise ValueError(f"{name}=True needs Scenario objects, not packed arrays")
        p = scenarios
    else:
        objs = _check_scenarios(scenarios)
        p = pack(objs + tuple(s.without_levers() for s in objs) if roi else objs, nodes=nodes)
    kpis, month_parts = _run_chunks(p, objs if base_value else (), nodes, monthly)
    if roi:
        kpis = _twins_roi(kpis, len(objs))
    kpis = kpis.drop(columns=[c for c in kpis.columns if c.startswith("_")])
    if objs:
        kpis.index = pd.Index([s.name for s in objs], name="scenario")
    arrays = (
        {k: np.concatenate([m[k] for m in month_parts])[: len(kpis)] for k in month_parts[0]}
        if monthly
        else None
    )
    return BatchResult(objs, kpis, arrays)


def _run_chunks(
    p: Packed, valued: Sequence[Scenario], nodes: int | None, monthly: bool
) -> tuple[pd.DataFrame, list[dict[str, Array]]]:
    """KPIs (and monthly arrays) of a batch in chunks within the memory budget.

    The first ``len(valued)`` scenarios also get their ending base valued.
    """
    kpi_parts: list[pd.DataFrame] = []
    month_parts: list[dict[str, Array]] = []
    size = chunk_size(p)
    for start in range(0, p.n, size):
        r = _run(p.take(slice(start, start + size)))
        values = _kpis(r)
        # the valued scenarios of this chunk (levers-off twins come after them)
        _with_base_value(values, r, valued[start : start + size], nodes)
        kpi_parts.append(pd.DataFrame(values))
        if monthly:
            month_parts.append(_monthly_arrays(r))
    return pd.concat(kpi_parts, ignore_index=True), month_parts


def _twins_roi(kpis: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` rows, with the retention ROI against the levers-off twins after them."""
    cols = {k: kpis[k].to_numpy() for k in ("npv", "_pv_retention")}
    values = {"npv": cols["npv"][:n], "_pv_retention": cols["_pv_retention"][:n]}
    _with_roi(values, {"npv": cols["npv"][n:]})
    out = kpis.iloc[:n].copy()
    out["retention_roi"] = values["retention_roi"]
    return out


def _check_scenarios(scenarios: object) -> tuple[Scenario, ...]:
    """``simulate_batch``'s scenarios as a tuple; refuse anything but Scenario objects."""
    if isinstance(scenarios, Scenario):
        raise TypeError(
            "scenarios must be a sequence of Scenario objects or packed arrays (got one "
            "Scenario: pass [scenario], or use simulate)"
        )
    if isinstance(scenarios, str | bytes | Mapping) or not isinstance(scenarios, Iterable):
        raise TypeError(
            "scenarios must be a sequence of Scenario objects or packed arrays "
            f"(got {type(scenarios).__name__})"
        )
    objs = tuple(scenarios)
    for i, s in enumerate(objs):
        check_instance(s, f"scenarios[{i}]", Scenario, "a Scenario")
    return objs


def chunk_size(p: Packed, budget_bytes: float = 64e6) -> int:
    """Scenarios per engine call so one class-by-tenure array stays within a budget.

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.engine.pack import pack
    >>> chunk_size(pack([simsrc.preset("b2b-saas")])) > 100
    True
    """
    per_scenario = 8.0 * p.share.shape[1] * p.z.shape[2] * p.horizon
    return max(1, int(budget_bytes // per_scenario))
