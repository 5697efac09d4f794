"""Side-by-side comparison of a baseline and what-if scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario
from simsrc.results.expected import simulate_batch
from simsrc.results.kpis import KPI_INFO
from simsrc.results.simulate import simulate


def kpi_table(*scenarios: Scenario) -> pd.DataFrame:
    """KPIs of several scenarios, one row per scenario (batched when structures match).

    Examples
    --------
    >>> import simsrc
    >>> kpi_table(simsrc.preset("b2b-saas")).shape[0]
    1
    """
    frames = []
    i = 0
    while i < len(scenarios):
        # group consecutive scenarios that can share one batched engine call
        j = i + 1
        key = _structure(scenarios[i])
        while j < len(scenarios) and _structure(scenarios[j]) == key:
            j += 1
        frames.append(simulate_batch(scenarios[i:j], roi=True, base_value=True).kpis)
        i = j
    return pd.concat(frames)


def _structure(s: Scenario) -> tuple[object, ...]:
    return (s.horizon_months, s.segment_names, s.cause_names)


def compare(base: Scenario, *variants: Scenario, tidy: bool = False) -> pd.DataFrame:
    """Compare KPIs of a baseline with one or more what-ifs.

    Parameters
    ----------
    base : Scenario
        The baseline.
    *variants : Scenario
        What-if scenarios.
    tidy : bool
        Return long format (one row per scenario and KPI with ``value``, ``delta`` and
        ``delta_pct``) instead of the side-by-side table.

    Returns
    -------
    pandas.DataFrame
        Side by side: index ``kpi``; columns ``label``, ``unit``, the baseline's name,
        then per variant its name, ``Δ <name>`` and ``Δ% <name>`` (just ``Δ`` and ``Δ %``
        with one variant). Δ% is ``NaN`` where the baseline value is 0.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> table = simsrc.compare(base, base.halve_churn())
    >>> list(table.columns[:3])
    ['label', 'unit', 'b2b-saas']
    """
    if not variants:
        raise ScenarioError("variants", "give at least one what-if scenario to compare")
    names = [base.name, *(v.name for v in variants)]
    if len(set(names)) != len(names):
        raise ScenarioError("variants", f"scenario names must differ (got {names})")
    values = kpi_table(base, *variants).T  # kpi × scenario
    values = values.loc[[k for k in KPI_INFO if k in values.index]]
    b = values[base.name]
    if tidy:
        rows = []
        for name in names:
            delta = values[name] - b
            with np.errstate(divide="ignore", invalid="ignore"):
                pct = delta / b.abs().where(b != 0)
            for kpi in values.index:
                label, unit = KPI_INFO[kpi]
                rows.append(
                    {
                        "scenario": name,
                        "kpi": kpi,
                        "label": label,
                        "unit": unit,
                        "value": values.at[kpi, name],
                        "delta": delta[kpi],
                        "delta_pct": pct[kpi],
                    }
                )
        return pd.DataFrame(rows)
    table = pd.DataFrame(
        {
            "label": [KPI_INFO[k][0] for k in values.index],
            "unit": [KPI_INFO[k][1] for k in values.index],
        },
        index=values.index,
    )
    table[base.name] = b
    for v in variants:
        delta = values[v.name] - b
        suffix = "" if len(variants) == 1 else f" {v.name}"
        table[v.name] = values[v.name]
        table[f"Δ{suffix}"] = delta
        table[f"Δ %{suffix}"] = 100 * delta / b.abs().where(b != 0)
    table.index.name = "kpi"
    return table


def unit_economics(scenario: Scenario) -> pd.DataFrame:
    """What a new customer of each segment costs and brings: why an NPV is what it is.

    Over the scenario's horizon, discounted as the NPV is: new customers acquired (paid
    and referred), acquisition cost per paid customer (CAC), gross margin per new
    customer (after cost to serve, before the retention work, which is not split by
    segment), and their difference. A negative difference is a segment whose customers
    leave before they pay back what it took to win them.

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``new_customers``, ``cac`` (the assumption: per paid customer, when
        won), ``margin_per_customer``, ``acquisition_cost_per_customer`` (the CAC spent,
        discounted, over every new customer, referred ones included),
        ``net_margin_per_customer`` (the margin less that) and ``npv_before_retention``
        (the segment's discounted margin less acquisition).

    Examples
    --------
    >>> import simsrc
    >>> table = unit_economics(simsrc.preset("b2b-saas"))
    >>> list(table["segment"]), bool((table["net_margin_per_customer"] > 0).all())
    (['standard', 'premium'], True)
    """
    by = simulate(scenario).by_segment
    d = (1.0 + scenario.annual_discount_rate) ** (-by["month"] / 12.0)
    pv = by.assign(margin=by["gross_margin"] * d, acquisition=by["acquisition_cost"] * d,
                   new=by["paid_new"] + by["referred_new"])  # fmt: skip
    sums = pv.groupby("segment", sort=False)[["margin", "acquisition", "new"]].sum()
    sums = sums.reindex(scenario.segment_names)
    cac = pd.Series({s.name: s.cac for s in scenario.segments})
    new = sums["new"].where(sums["new"] > 0)
    per, won = sums["margin"] / new, sums["acquisition"] / new
    return pd.DataFrame(
        {
            "segment": scenario.segment_names,
            "new_customers": sums["new"].to_numpy(),
            "cac": cac.to_numpy(),
            "margin_per_customer": per.to_numpy(),
            "acquisition_cost_per_customer": won.to_numpy(),
            "net_margin_per_customer": (per - won).to_numpy(),
            "npv_before_retention": (sums["margin"] - sums["acquisition"]).to_numpy(),
        }
    )
