"""Tidy frames for the dashboard charts: results in, small aggregated tables out.

Each ``*_data`` function turns simulation results into one row per month, year, step
or category and scenario (never one row per customer); the views in
:mod:`simsrc.ui.charts.views` draw these frames and :mod:`simsrc.ui.charts.tables`
turns them into display strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from simsrc.analysis.attribution import LEVERS
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import Scenario
from simsrc.results.expected import Result
from simsrc.ui.charts.style import OFFER_LABELS, SCENARIOS, WHAT_IF

LAPSED = "Lapsed after an offer"  # the last "cause": saved, then left anyway
KEPT, DISCOUNTS, OFFER_COSTS = "Margin kept", "Discounts given", "Offer and contact costs"


def _pair(base: Result, what_if: Result, build: Callable[[Result], pd.DataFrame]) -> pd.DataFrame:
    frames = []
    for name, res in zip(SCENARIOS, (base, what_if), strict=True):
        part = build(res)
        part.insert(0, "scenario", name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def monthly_data(base: Result, what_if: Result, band: pd.DataFrame | None = None) -> pd.DataFrame:
    """Revenue, MRR and customers by month, baseline and what-if.

    Sums the results' per-segment monthly arrays (the same numbers as
    :attr:`simsrc.Result.monthly`, without building its ~80 columns).

    Parameters
    ----------
    base, what_if : Result
        The two results.
    band : pandas.DataFrame, optional
        The what-if revenue's uncertainty band by month (columns ``p10`` and ``p90``,
        e.g. ``monte_carlo(...).monthly["revenue"]``); drawn by :func:`.revenue_view`.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``month`` (0-based, as in ``Result.monthly``), ``revenue``,
        ``mrr``, ``active``, ``revenue_p10``, ``revenue_p90`` (the band on the what-if
        rows; empty without one).
    """

    def build(res: Result) -> pd.DataFrame:
        a = res.arrays
        return pd.DataFrame(
            {
                "month": np.arange(res.scenario.horizon_months),
                "revenue": a["revenue"].sum(axis=0),
                "mrr": a["mrr"].sum(axis=0),
                "active": a["active"].sum(axis=0),
            }
        )

    data = _pair(base, what_if, build)
    data["revenue_p10"] = np.nan
    data["revenue_p90"] = np.nan
    if band is not None:
        rows = data["scenario"] == WHAT_IF
        months = data.loc[rows, "month"].to_numpy()
        for q in ("p10", "p90"):
            data.loc[rows, f"revenue_{q}"] = band[q].reindex(months).to_numpy()
    return data


def churn_by_cause_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Customers lost per year by cause (plus those lapsing after a save offer).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``year`` (1-based; the last may be partial), ``cause`` (label),
        ``order`` (the cause's position, for stacking), ``lost``.
    """

    def build(res: Result) -> pd.DataFrame:
        s = res.scenario
        by_cause = res.arrays["churned_by"].sum(axis=0)  # [H, K]
        lapsed = res.arrays["lapsed"].sum(axis=0)
        table = np.concatenate([by_cause, lapsed[:, None]], axis=1)
        years = np.arange(s.horizon_months) // 12
        per_year = np.zeros((int(years[-1]) + 1, table.shape[1]))
        np.add.at(per_year, years, table)
        labels = [c.label for c in s.causes] + [LAPSED]
        n_years, n_causes = per_year.shape
        return pd.DataFrame(
            {
                "year": np.repeat(np.arange(1, n_years + 1), n_causes),
                "cause": labels * n_years,
                "order": list(range(n_causes)) * n_years,
                "lost": per_year.ravel(),
            }
        )

    return _pair(base, what_if, build)


def cause_order(data: pd.DataFrame) -> list[str]:
    """The causes of a :func:`churn_by_cause_data` frame in stacking order (lapsed last)."""
    return list(dict.fromkeys(data.sort_values("order", kind="stable")["cause"]))


def survival_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Share of a new cohort still with the company by tenure (all segments).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``tenure`` (months completed, 0 … horizon), ``survival``.
    """

    def build(res: Result) -> pd.DataFrame:
        surv = res.survival
        return pd.DataFrame({"tenure": surv.index.to_numpy(), "survival": surv["all"].to_numpy()})

    return _pair(base, what_if, build)


def revenue_per_customer_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Expected revenue from one new customer by tenure, at list prices.

    For each tenure month τ: Σ over segments of (share of new customers) × (share still
    with the company at the start of τ) × (list price at τ, which grows with tenure; see
    :meth:`simsrc.Result.revenue_per_customer`), and its running total. Discounts and
    pauses granted by save offers are not deducted.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``tenure`` (0-based month of tenure), ``price`` (average list price
        of the customers still there), ``revenue`` (expected revenue in that month per new
        customer), ``cumulative``.
    """

    def build(res: Result) -> pd.DataFrame:
        s = res.scenario
        h = s.horizon_months
        shares = np.array([seg.share for seg in s.segments])
        surv = res.survival[list(s.segment_names)].to_numpy()[:h]  # start of each month
        price = res.revenue_per_customer()[list(s.segment_names)].to_numpy()[:h]
        present = surv @ shares
        revenue = (surv * price) @ shares
        with np.errstate(invalid="ignore", divide="ignore"):
            avg_price = np.where(present > 0, revenue / present, np.nan)
        return pd.DataFrame(
            {
                "tenure": np.arange(h),
                "price": avg_price,
                "revenue": revenue,
                "cumulative": np.cumsum(revenue),
            }
        )

    return _pair(base, what_if, build)


def waterfall_data(
    base: pd.DataFrame,
    what_if: pd.DataFrame,
    kpi: str = "npv",
    kept: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """A waterfall of what the retention levers add, for both scenarios.

    Bars start from the same business without levers (0): each lever's step is its
    contribution (:func:`simsrc.attribute`: the KPI lost when only that lever is off),
    ``Interactions`` closes the gap and ``All levers`` is the total gain. Both scenarios
    share the zero line, so their bars compare directly. With ``kept``, a last step
    (kind ``base``) rises from the total: what the customers the levers keep are still
    worth after the horizon, which an NPV over the horizon leaves out.

    Parameters
    ----------
    base, what_if : pandas.DataFrame
        Tables from :func:`simsrc.attribute` (``lever``, ``label``, ``kind`` and ``kpi``).
    kpi : str
        Which KPI column to draw.
    kept : tuple of float, optional
        Baseline's and what-if's gain from the levers in the discounted value of the
        base at the end (:func:`base_kept`).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``step`` (label), ``order``, ``kind`` (``start``, ``lever``,
        ``interaction``, ``end``), ``value`` (the KPI's level without levers and with all
        of them for ``start`` and ``end``, a contribution otherwise), ``lo`` and ``hi``
        (bar ends, as gains over the business without levers). Levers active in only
        one scenario contribute 0 in the other.

    Examples
    --------
    >>> import simsrc
    >>> table = simsrc.attribute(simsrc.preset("b2b-saas"))
    >>> df = waterfall_data(table, table).query("scenario == 'What-if'").set_index("kind")
    >>> gain = df.loc["end", "value"] - df.loc["start", "value"]
    >>> bool(abs(df.loc["end", "hi"] - gain) < 1e-6)  # the steps add up to the total
    True
    """
    lever_steps = {
        key: label
        for key, (label, _) in LEVERS.items()
        if key in set(base["lever"]) | set(what_if["lever"])
    }
    steps = [
        ("none", "Without levers", "start"),
        *((k, v, "lever") for k, v in lever_steps.items()),
        ("interaction", "Interactions", "interaction"),
        ("all", "All levers", "end"),
    ]
    rows = []
    for name, table in zip(SCENARIOS, (base, what_if), strict=True):
        values = dict(zip(table["lever"], table[kpi], strict=True))
        start = float(values.get("none", 0.0))
        gain = 0.0
        for order, (key, label, kind) in enumerate(steps):
            v = float(values.get(key, 0.0))
            if kind == "start":
                lo, hi = 0.0, 0.0
            elif kind == "end":
                lo, hi = 0.0, v - start
            else:
                lo, hi = gain, gain + v
                gain = hi
            rows.append({"scenario": name, "step": label, "order": order, "kind": kind,
                         "value": v, "lo": lo, "hi": hi})  # fmt: skip
        if kept is not None:
            extra = float(kept[SCENARIOS.index(name)])
            rows.append({"scenario": name, "step": "Kept past the horizon",
                         "order": len(steps), "kind": "base", "value": extra,
                         "lo": gain, "hi": gain + extra})  # fmt: skip
    return pd.DataFrame(rows)


def base_kept(with_levers: Mapping[str, float], without: Mapping[str, float]) -> float:
    """The levers' gain in the ending base's value, discounted to today.

    ``with_levers`` and ``without`` are the KPIs of a scenario and of its levers-off
    copy; each's ``npv_with_base − npv`` is its ending base's discounted value.
    """
    return (with_levers["npv_with_base"] - with_levers["npv"]) - (
        without["npv_with_base"] - without["npv"]
    )


def offer_mix_data(scenario: Scenario) -> pd.DataFrame:
    """The save team's offer mix per reason (voluntary causes only), with acceptance.

    Returns
    -------
    pandas.DataFrame
        ``cause`` (label), ``offer`` (label), ``share`` of reached requests that get the
        offer, ``acceptance`` (chance it is accepted for that reason).

    Examples
    --------
    >>> import simsrc
    >>> df = offer_mix_data(simsrc.preset("b2b-saas"))
    >>> row = df.query("cause == 'Ineffective onboarding' and offer == 'Expert help'")
    >>> float(row["share"].iloc[0])
    0.8
    """
    team = scenario.save_team
    rows = []
    for k, cause in enumerate(scenario.causes):
        if not cause.voluntary:
            continue
        for o, offer in enumerate(OFFER_NAMES):
            rows.append(
                {
                    "cause": cause.label,
                    "offer": OFFER_LABELS[offer],
                    "share": float(team.mix[k][o]),
                    "acceptance": float(team.offer(offer).acceptance[k]),
                }
            )
    return pd.DataFrame(rows)


def saves_by_offer_data(base: Result, what_if: Result) -> pd.DataFrame:
    """Customers saved over the horizon by each offer.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``offer`` (label), ``saves``.
    """

    def build(res: Result) -> pd.DataFrame:
        saves = res.arrays["saves_by"].sum(axis=(0, 1))
        return pd.DataFrame({"offer": [OFFER_LABELS[o] for o in OFFER_NAMES], "saves": saves})

    return _pair(base, what_if, build)


def margin_kept_data(
    base: Result,
    what_if: Result,
    base_margin_without_team: float,
    what_if_margin_without_team: float,
) -> pd.DataFrame:
    """Margin the save team keeps against what it gives away, baseline and what-if.

    *Margin kept* is the gross margin over the horizon minus that of the same scenario
    with no save team (coverage 0), i.e. net of the discounts. *Given away* is the list
    revenue not charged during discounts, free months and pauses (``discounts_given``)
    and the team's cash costs (cost per save and per contact).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``measure`` (:data:`KEPT`, :data:`DISCOUNTS`, :data:`OFFER_COSTS`),
        ``amount``.
    """
    rows = []
    for name, res, without in zip(
        SCENARIOS, (base, what_if), (base_margin_without_team, what_if_margin_without_team),
        strict=True,
    ):  # fmt: skip
        rows += [
            {"scenario": name, "measure": KEPT,
             "amount": res.kpis["total_gross_margin"] - without},
            {"scenario": name, "measure": DISCOUNTS,
             "amount": res.kpis["total_discounts_given"]},
            {"scenario": name, "measure": OFFER_COSTS,
             "amount": float(res.arrays["offer_costs"].sum())},
        ]  # fmt: skip
    return pd.DataFrame(rows)


def offer_delay_data(survival: pd.DataFrame, per: int = 1000) -> pd.DataFrame:
    """Extra customers each offer keeps, by tenure: "a discount only delays".

    Parameters
    ----------
    survival : pandas.DataFrame
        :func:`simsrc.analysis.offers.offer_survival` output (``tenure``, ``offer``,
        ``survival``; ``none`` is the same business with no save team).
    per : int
        Scale: customers per ``per`` new customers.

    Returns
    -------
    pandas.DataFrame
        ``offer`` (label), ``tenure``, ``kept`` (customers still with the company per
        ``per`` new ones, above the no-save-team curve).

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.analysis.offers import offer_survival
    >>> df = offer_delay_data(offer_survival(simsrc.preset("b2b-saas"), ("discount",)))
    >>> bool(df["kept"].iloc[-1] < df["kept"].max())  # the discount's gain fades
    True
    """
    wide = survival.pivot(index="tenure", columns="offer", values="survival")
    none = wide["none"]
    frames = [
        pd.DataFrame(
            {
                "offer": OFFER_LABELS[offer],
                "tenure": wide.index.to_numpy(),
                "kept": per * (wide[offer] - none).to_numpy(),
            }
        )
        for offer in OFFER_NAMES
        if offer in wide.columns
    ]
    return pd.concat(frames, ignore_index=True)
