"""What the customers in the data who are still here are worth, under a calibrated scenario.

Fader & Hardie (2010) value a contractual customer base as the sum, over the customers
still active, of the discounted expected residual value of a customer with their tenure.
Given the scenario a calibration delivers, :func:`observed_base_value` does that for the
snapshot's active customers, by segment and tenure, with everything the scenario knows
(causes and their shapes, heterogeneity, value growth, levers): the engine's
:func:`simsrc.results.valuation.survivor_values`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario
from simsrc.results.valuation import survivor_values

__all__ = ["observed_base_value"]


def observed_base_value(scenario: Scenario, customers: pd.DataFrame) -> pd.DataFrame:
    """The value of the active customers in ``customers``, by segment and tenure.

    Parameters
    ----------
    scenario : Scenario
        The calibrated scenario (its segments are the data's).
    customers : pandas.DataFrame
        One row per customer with ``segment``, ``tenure`` (whole months completed) and
        ``churned``; churners are left out.

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``tenure``, ``customers``, ``value_per_customer`` (discounted margin
        from their next month on, at the scenario's rate, given they have stayed this
        long; that month counts as certain, as they are billed next, so this is that
        month's margin plus the discounted DERV of Fader & Hardie after it) and
        ``value``; one row per segment and tenure held by someone.

    Raises
    ------
    ScenarioError
        A segment the scenario does not have, a tenure that is not a whole number of
        months, or one beyond what the valuation follows.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.simple_scenario(monthly_churn=0.05, annual_discount_rate=0.1)
    >>> data = pd.DataFrame({"segment": ["all"] * 3, "tenure": [1, 1, 12],
    ...                      "churned": [False, False, True]})
    >>> table = observed_base_value(s, data)
    >>> table[["tenure", "customers"]].to_numpy().tolist()
    [[1, 2]]
    >>> round(float(table["value_per_customer"].iloc[0]), 2)  # 100 / (1 − 0.95 / 1.1^(1/12))
    1738.66
    """
    active = customers.loc[~customers["churned"].astype(bool), ["segment", "tenure"]]
    unknown = sorted(set(active["segment"]) - set(scenario.segment_names), key=str)
    if unknown:
        raise ScenarioError(
            "segment", f"{unknown[0]!r} is not a segment of {scenario.name!r} "
            f"({', '.join(scenario.segment_names)})"
        )  # fmt: skip
    tenure = pd.to_numeric(active["tenure"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(tenure) & (tenure >= 0) & (tenure == np.round(tenure))):
        raise ScenarioError("tenure", "must be whole months completed, 0 or more")
    active = active.assign(tenure=tenure.astype(np.int64))
    counts = active.groupby(["segment", "tenure"], sort=True).size().rename("customers")
    table = counts.reset_index()
    if table.empty:
        return table.assign(value_per_customer=[], value=[])
    values = survivor_values(scenario, int(table["tenure"].max()))
    index = {name: g for g, name in enumerate(scenario.segment_names)}
    rows = table["segment"].map(index).to_numpy()
    table["value_per_customer"] = values[rows, table["tenure"].to_numpy(dtype=np.int64)]
    table["value"] = table["customers"] * table["value_per_customer"]
    return table
