"""Survival when the save team makes one kind of offer: what each offer does over tenure.

The offer-mix dashboard's "a discount only delays" curves and lesson 04 draw this frame
(:func:`simsrc.ui.charts.offer_delay_data`, :func:`simsrc.ui.charts.offer_survival_chart`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsrc.engine.cohorts import cohort_path
from simsrc.engine.pack import pack
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import Scenario


def offer_survival(scenario: Scenario, offers: tuple[str, ...] = OFFER_NAMES) -> pd.DataFrame:
    """Survival of a cohort when the save team makes only one kind of offer.

    For each offer, every voluntary cancellation request reaches the save team and gets
    that offer (with the scenario's acceptance rates); ``none`` is no save team. The
    curves show, e.g., that a discount only delays attrition while a fix keeps customers.

    Returns
    -------
    pandas.DataFrame
        Long format: ``tenure``, ``offer``, ``survival`` (share of the cohort still with
        the company), ``revenue`` (cumulative revenue per customer acquired).

    Examples
    --------
    >>> import simsrc
    >>> df = offer_survival(simsrc.preset("b2b-saas"), ("discount", "expert_help"))
    >>> sorted(df["offer"].unique())
    ['discount', 'expert_help', 'none']
    """
    base = scenario.without_levers()
    variants = [("none", base)]
    for offer in offers:
        d = base.to_dict(full=True)
        d["save_team"]["coverage"] = 1.0
        for cause in scenario.cause_names:
            d["save_team"]["mix"][cause] = {o: float(o == offer) for o in OFFER_NAMES}
        variants.append((offer, Scenario.from_dict(d)))
    p = pack([v for _, v in variants])
    path = cohort_path(p)
    shares = p.share[:, :, None]
    survival = (path["active"] * shares).sum(axis=1)  # [S, H]
    list_price = p.price[:, :, None] * p.value[:, None, :]
    revenue = np.cumsum((path["revenue_units"] * list_price * shares).sum(axis=1), axis=1)
    frames = [
        pd.DataFrame(
            {
                "tenure": np.arange(1, p.horizon + 1),
                "offer": name,
                "survival": survival[i],
                "revenue": revenue[i],
            }
        )
        for i, (name, _) in enumerate(variants)
    ]
    return pd.concat(frames, ignore_index=True)
