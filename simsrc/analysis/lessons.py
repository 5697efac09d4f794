"""Analyses behind the lessons and dashboards: tidy DataFrames, computed by the engine.

Each function answers one question a teacher or an executive asks, returning a tidy
DataFrame that a chart function or a table can show directly.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from simsrc.analysis.compare import kpi_table
from simsrc.calibration.sbg import fit_sbg, sbg_survival
from simsrc.engine.cohorts import cohort_path
from simsrc.engine.curves import shape_curve
from simsrc.engine.money import money_kernels
from simsrc.engine.pack import pack
from simsrc.model.scenario import Scenario, simple_scenario
from simsrc.results.expected import simulate_batch
from simsrc.results.simulate import simulate

FADER_HARDIE_2007 = pd.DataFrame(
    {
        "year": np.arange(13),
        "regular": [100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3, 20.7, 19.4, 18.3, 17.3],
        "high_end": [100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9,
                     39.4],
    }
)  # fmt: skip
"""Fader & Hardie (2007), "How to Project Customer Retention", Table 1: % of customers
surviving, years 0–12, for two groups of a subscription service."""

FADER_HARDIE_GROUPS = {"regular": "Regular customers", "high_end": "High-end customers"}
"""Display names of :data:`FADER_HARDIE_2007`'s groups."""


DUNNING_BENCHMARKS = pd.DataFrame(
    {
        "benchmark": ["retries alone", "no dunning process (under a third)",
                      "dedicated dunning", "top performers"],
        "low": [0.21, 0.0, 0.40, 0.80],
        "high": [0.21, 0.33, 0.50, 0.90],
    }
)  # fmt: skip
"""Published recovery of late payers ([benchmarks], docs/sources.md), drawn in lesson 5."""

EXIT_SURVEY: dict[str, float] = {
    "cheaper_alternative": 0.35,
    "missing_features": 0.15,
    "no_longer_needed": 0.10,
    "technical_problems": 0.10,
    "hard_to_use": 0.10,
    "unmet_expectations": 0.05,
    "bad_support": 0.10,
    "other": 0.05,
}
"""Lesson 3's exit survey: the share of leavers giving each answer (illustrative)."""


def halving_churn_table(
    monthly_churn: float = 0.04,
    horizons: tuple[int, ...] = (12, 36, 60, 120, 240),
    *,
    year3_uplift: float = 0.0,
    monthly_growth: float = 0.0,
) -> pd.DataFrame:
    """How much halving churn raises revenue and customers over different horizons.

    With constant acquisition A and churn c the base tends to A/c, so halving churn
    doubles the steady state — but only in the long run, and less so when acquisition
    grows or when value rises with tenure (this returns the ratios that show it).

    Parameters
    ----------
    monthly_churn : float
        Churn before halving.
    horizons : tuple of int
        Horizons in months.
    year3_uplift, monthly_growth : float
        Value growth with tenure and acquisition growth.

    Returns
    -------
    pandas.DataFrame
        One row per horizon: ``months``, ``revenue_ratio``, ``customers_ratio``.

    Examples
    --------
    >>> t = halving_churn_table(0.04, (240,))
    >>> round(float(t["customers_ratio"].iloc[0]), 1)
    2.0
    """
    rows = []
    for h in horizons:
        base = simple_scenario(monthly_churn=monthly_churn, horizon_months=h,
                               year3_uplift=year3_uplift).set(
            "acquisition.monthly_growth", monthly_growth)  # fmt: skip
        k = kpi_table(base, base.halve_churn())
        rows.append(
            {
                "months": h,
                "revenue_ratio": k["total_revenue"].iloc[1] / k["total_revenue"].iloc[0],
                "customers_ratio": k["ending_active"].iloc[1] / k["ending_active"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


def leaky_bucket(new_per_month: float, monthly_churn: float, months: int = 120) -> pd.DataFrame:
    """Customers over time for constant acquisition and churn, with the A/c ceiling.

    Examples
    --------
    >>> df = leaky_bucket(100, 0.05, 240)
    >>> round(float(df["customers"].iloc[-1]))
    2000
    """
    s = simple_scenario(
        new_per_month=new_per_month, monthly_churn=monthly_churn, horizon_months=months
    )
    m = simulate(s).monthly
    return pd.DataFrame(
        {
            "month": m["month"],
            "customers": m["billed"],
            "steady_state": new_per_month / monthly_churn if monthly_churn > 0 else np.inf,
        }
    )


def naive_vs_sbg(group: str = "regular", fit_years: int = 7) -> pd.DataFrame:
    """Fader & Hardie's lesson: project survival from the early years, two ways.

    The sBG fit on years 0–``fit_years`` (heterogeneity: the risky leave first) against a
    naive projection that assumes the average retention rate of those years stays
    constant, both compared with what actually happened (Table 1, years 0–12).

    Returns
    -------
    pandas.DataFrame
        ``year``, ``actual``, ``sbg``, ``naive`` (% surviving) and ``fitted`` (whether the
        year was used for fitting).

    Examples
    --------
    >>> df = naive_vs_sbg("regular").set_index("year")
    >>> err = (df[["sbg", "naive"]].sub(df["actual"], axis=0)).abs().loc[8:].max()
    >>> bool(err["sbg"] < err["naive"])
    True
    """
    data = FADER_HARDIE_2007
    actual = data[group].to_numpy(dtype=float)
    fit = fit_sbg(actual[: fit_years + 1] * 10)  # per 1,000 customers
    years = data["year"].to_numpy()
    retention = (actual[fit_years] / actual[0]) ** (1 / fit_years)  # constant-rate fit
    out = pd.DataFrame(
        {
            "year": years,
            "actual": actual,
            "sbg": 100 * sbg_survival(fit.alpha, fit.beta, years),
            "naive": 100 * retention**years,
            "fitted": years <= fit_years,
        }
    )
    out.attrs["group"] = FADER_HARDIE_GROUPS[group]  # for the chart's title
    return out


def derl_by_renewals(
    group: str = "high_end", discount: float = 0.10, renewals: int = 12
) -> pd.DataFrame:
    """What a customer who has renewed ``n`` times is still worth, two ways (lesson 7).

    Fader & Hardie (2010): the discounted expected residual lifetime (DERL, in
    payments) of an sBG fitted to the group's years 0–7 (Fader & Hardie 2007, Table 1),
    against the same with one retention rate for everyone — the group's average over
    those years — which makes every customer worth the same whatever their history.

    Returns
    -------
    pandas.DataFrame
        ``renewals`` (0 … ``renewals``), ``sbg`` (DERL with heterogeneity), ``alike``
        (DERL with one retention rate) and ``ratio`` (``sbg / alike``).

    Examples
    --------
    >>> df = derl_by_renewals("high_end").set_index("renewals")
    >>> round(float(df.loc[7, "sbg"]), 2), round(float(df.loc[7, "alike"]), 2)
    (7.53, 5.05)
    """
    actual = FADER_HARDIE_2007[group].to_numpy(dtype=float)
    fit = fit_sbg(actual[:8] * 10)  # per 1,000 customers, years 0–7
    retention = (actual[7] / actual[0]) ** (1 / 7)
    n = np.arange(renewals + 1)
    alike = retention / (1 - retention / (1 + discount))  # Σ r^(k+1) (1+d)^-k
    sbg = fit.derl(discount, n)
    out = pd.DataFrame({"renewals": n, "sbg": sbg, "alike": alike, "ratio": sbg / alike})
    out.attrs.update(group=FADER_HARDIE_GROUPS[group], discount=discount)  # for the chart
    return out


def hazards_by_cause(scenario: Scenario, segment: str | None = None) -> pd.DataFrame:
    """Each cause's monthly hazard over tenure (level × shape) for an average new customer.

    Returns
    -------
    pandas.DataFrame
        Long format: ``tenure``, ``cause`` (label), ``hazard``.

    Examples
    --------
    >>> import simsrc
    >>> df = hazards_by_cause(simsrc.preset("b2b-saas"))
    >>> sorted(df["cause"].unique())[:2]
    ['Failed payment', 'Ineffective onboarding']
    """
    g = 0 if segment is None else scenario.segment_index(segment)
    shares = np.array([s.share for s in scenario.segments])
    frames = []
    for c in scenario.causes:
        level = c.levels[g] if segment is not None else float(np.dot(shares, c.levels))
        curve = level * shape_curve(c.shape, scenario.horizon_months)
        frames.append(pd.DataFrame({"tenure": np.arange(len(curve)), "cause": c.label,
                                    "hazard": curve}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def dunning_matrix(scenario: Scenario) -> pd.DataFrame:
    """Recovery and its economics for each dunning style × channel.

    Returns
    -------
    pandas.DataFrame
        One row per style and channel: ``style``, ``channel``, ``recovery_rate``,
        ``cut_off`` (customers over the horizon), ``bad_exits``, ``npv``.

    Examples
    --------
    >>> import simsrc
    >>> df = dunning_matrix(simsrc.preset("b2b-saas"))
    >>> df.sort_values("recovery_rate").iloc[-1][["style", "channel"]].tolist()
    ['help_first', 'sms']
    """
    variants, keys = [], []
    for style in ("pay_up", "help_first"):
        for channel in ("email", "sms"):
            dunning = dataclasses.replace(scenario.dunning, enabled=True, style=style,
                                          channel=channel)  # fmt: skip
            variants.append(dataclasses.replace(scenario, dunning=dunning,
                                                name=f"{style} by {channel}"))  # fmt: skip
            keys.append((style, channel))
    out = simulate_batch(variants, monthly=True)
    arrays = out.arrays or {}
    return pd.DataFrame(
        {
            "style": [k[0] for k in keys],
            "channel": [k[1] for k in keys],
            "recovery_rate": out.kpis["recovery_rate"].to_numpy(),
            "cut_off": arrays["cut_off"].sum(axis=(1, 2)),
            "bad_exits": arrays["bad_exits"].sum(axis=(1, 2)),
            "npv": out.kpis["npv"].to_numpy(),
        }
    )


def leavers_by_cause(scenario: Scenario, per: float = 1000.0) -> pd.DataFrame:
    """Customers of one cohort leaving each month, by cause (saves and dunning included).

    Returns
    -------
    pandas.DataFrame
        Long format: ``tenure``, ``cause`` (label), ``leavers`` per ``per`` acquired.

    Examples
    --------
    >>> import simsrc
    >>> df = leavers_by_cause(simsrc.preset("telecom"))
    >>> bool(df["leavers"].sum() < 1000)
    True
    """
    p = pack([scenario])
    path = cohort_path(p)
    churned = per * np.einsum("g,ghk->hk", p.share[0], path["churned"][0])
    wide = pd.DataFrame(churned, columns=[c.label for c in scenario.causes])
    wide.index.name = "tenure"
    return wide.reset_index().melt("tenure", var_name="cause", value_name="leavers")


def cohort_value(scenario: Scenario) -> pd.DataFrame:
    """Discounted margin per customer acquired, by year of tenure (sums to the CLV).

    Returns
    -------
    pandas.DataFrame
        ``year`` (1 = first twelve months), ``margin``, ``share`` of the total.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas")
    >>> v = cohort_value(s)
    >>> bool(abs(v["margin"].sum() - simsrc.simulate(s).kpis["clv_per_customer"]) < 1e-6)
    True
    """
    p = pack([scenario])
    margin = money_kernels(p, cohort_path(p))["gross_margin"][0]  # [G, H] per customer
    d = p.discount[0] ** np.arange(p.horizon)
    per_month = (p.share[0][:, None] * margin * d).sum(axis=0)
    years = pd.DataFrame({"year": np.arange(p.horizon) // 12 + 1, "margin": per_month})
    value = years.groupby("year", as_index=False).agg(margin=("margin", "sum"))
    value["share"] = value["margin"] / value["margin"].sum()
    return value
