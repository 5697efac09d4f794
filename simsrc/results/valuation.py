"""What the customers of a month are worth: the discounted margin they will still bring.

A 5-year NPV stops counting at the horizon, so a what-if that keeps more customers ends
with a more valuable base that the NPV ignores. The residual value closes that gap
(Fader & Hardie 2010, "Customer-Base Valuation in a Contractual Setting: The Perils of
Ignoring Heterogeneity", *Marketing Science* 29(1)): for the customers billed in a month,
by segment and tenure, the expected margin they bring from the next month on, each month
discounted, with everything the engine knows about them —

* **heterogeneity**: the customers still here at tenure τ are the survivors of their
  cohort, the loyal ones, so their future is conditioned on having survived to τ (the
  engine's heterogeneity classes carry that sorting past the horizon);
* every cause with its shape over tenure, value growth, and the levers in place (the save
  team, dunning, programs and contact policy, with their per-customer costs);
* not counted: customers they may refer, win-back of those who later leave (neither its
  messages nor its returns), the word of mouth of their badly handled exits, costs that
  belong to the calendar rather than to customers (the service program, reactivation).

The unit cohort is followed :data:`VALUATION_MONTHS` past the horizon
(:func:`simsrc.engine.pack.pack` with ``months``; heterogeneity classes for that length),
then a geometric tail at the last month's retention: at 10 % a year the months beyond
weigh under 1 %, and against the sBG's closed form the value is within 1e-4 (a century
brings that to 1e-6 at twice the cost; the dashboards value a base on every slider move).

Timing follows Fader & Hardie's DERL: a customer is valued in month ``t`` before their
end-of-month decision, and the value is that of the start of month ``t + 1`` (next
month's margin undiscounted). With one flat cause and no levers this is the sBG DERV of
:func:`simsrc.calibration.sbg.sbg_derv` at each tenure, to 1e-4 with the default
heterogeneity classes (tested; fewer classes, as a save team's stepped path uses, give
1e-3). When the sum does not converge (no discount, or value growing as fast as the
discount) the value is NaN and :func:`base_value` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc.engine.cohorts import cohort_path
from simsrc.engine.pack import VALUATION_MONTHS, pack
from simsrc.engine.worth import future_value, net_margin
from simsrc.model.checks import check_whole
from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import Scenario

Array = NDArray[np.float64]


CONVERGENCE_MONTHS = 120
"""The value is checked against the same sum followed this many months less."""

CONVERGENCE_TOLERANCE = 1e-3
"""Largest relative change that check may show; beyond it the value is NaN (no finite
value: no discount, or value growing as fast as the discount)."""


@dataclass(frozen=True)
class BaseValue:
    """The residual value of the customers billed in one month.

    Attributes
    ----------
    month : int
        The month valued (0-based); the value is that of the start of the next month.
    by_tenure : pandas.DataFrame
        One row per segment and tenure (months since acquisition, 0 … ``month``):
        ``segment``, ``tenure``, ``customers`` (billed in the month), ``value_per_customer``
        (discounted expected margin still to come) and ``value`` (their product).
    total : float
        The value of the whole base, the sum of ``value``.
    customers : float
        Customers billed in the month (the sum of ``customers``).
    """

    month: int
    by_tenure: pd.DataFrame
    total: float
    customers: float

    @property
    def by_segment(self) -> pd.DataFrame:
        """Customers, value and value per customer by segment."""
        out = self.by_tenure.groupby("segment", sort=False)[["customers", "value"]].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out["value_per_customer"] = out["value"] / out["customers"]
        return out


def _ahead(scenarios: Sequence[Scenario], nodes: int | None) -> tuple[Array, Array]:
    """Discounted margin from τ on per customer billed at τ, and the share billed at τ.

    Both ``[S, G, H + VALUATION_MONTHS]``.
    """
    h = scenarios[0].horizon_months
    p = pack(scenarios, nodes=nodes, months=h + VALUATION_MONTHS)
    path = cohort_path(p)
    net = net_margin(p, path)
    present, active = path["present"], path["active"]
    ahead = future_value(present, active, net, p.discount, p.cycle)
    # The sum converges only if the discounted margin shrinks: with no discount, or value
    # growing as fast as the discount, it does not, and no number is the base's value.
    cut = -CONVERGENCE_MONTHS
    shorter = future_value(
        present[..., :cut], active[..., :cut], net[..., :cut], p.discount, p.cycle
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(shorter[..., :h] - ahead[..., :h]) / np.abs(ahead[..., :h])
    gap = np.where(ahead[..., :h] == shorter[..., :h], 0.0, gap)
    settled = np.asarray((gap <= CONVERGENCE_TOLERANCE) & np.isfinite(ahead[..., :h]))
    diverges = np.asarray(~settled.all(axis=-1))  # [S, G]; NaN and infinity count
    return np.where(diverges[..., None], np.nan, ahead), present


def residual_values(scenarios: Sequence[Scenario], nodes: int | None = None) -> Array:
    """Discounted margin still to come from a customer billed at each tenure, ``[S, G, H]``.

    Parameters
    ----------
    scenarios : sequence of Scenario
        Scenarios of the same structure (one batched engine call), each with its causes,
        heterogeneity, value growth, prices and levers.
    nodes : int, optional
        Heterogeneity classes, as in :func:`simsrc.simulate` (default: enough for the
        half-century followed).

    Returns
    -------
    ndarray
        Per scenario, segment and tenure 0 … horizon − 1: the expected margin net of
        per-customer retention costs from the next month on, discounted monthly at the
        scenario's rate, of a customer billed at that tenure (before that month's churn;
        next month's margin undiscounted).
    """
    ahead, present = _ahead(scenarios, nodes)
    with np.errstate(invalid="ignore", divide="ignore"):
        after = np.where(
            present[..., :-1] > 0, ahead[..., 1:] * present[..., 1:] / present[..., :-1], 0.0
        )
    return np.asarray(after[..., : scenarios[0].horizon_months])


def survivor_values(scenario: Scenario, months: int) -> Array:
    """Value of a customer who has completed ``k`` months and is still here, ``[G, months+1]``.

    Customer data count tenure in completed months: an active customer with tenure ``k``
    has survived ``k`` monthly decisions and is billed next in their month ``k + 1``.
    Their value is the discounted margin from that month on (undiscounted first), given
    that survival — the loyal are worth more.

    Parameters
    ----------
    scenario : Scenario
        The scenario that describes them (a calibrated one, say).
    months : int
        Longest tenure to value, at most the horizon + :data:`VALUATION_MONTHS` − 1.
    """
    limit = scenario.horizon_months + VALUATION_MONTHS - 1
    months = check_whole(months, "months", 0, limit)
    ahead, _ = _ahead([scenario], None)
    return np.asarray(ahead[0, :, : months + 1])


def ending_base_values(values: Array, new: Array, present: Array) -> Array:
    """Value of the customers billed in the last month, per scenario, ``[S]``.

    ``values`` from :func:`residual_values`; ``new`` the customers starting each month and
    ``present`` a unit cohort's share billed at each tenure, both ``[S, G, H]``: the
    cohort of month ``H − 1 − τ`` is at tenure ``τ``.
    """
    return np.asarray(np.einsum("sgt,sgt,sgt->s", new[..., ::-1], present, values))


def base_value(
    scenario: Scenario,
    new: Array,
    month: int | None = None,
    nodes: int | None = None,
    present: Array | None = None,
    *,
    values: Array | None = None,
) -> BaseValue:
    """The residual value of the customers billed in ``month``, by segment and tenure.

    Parameters
    ----------
    scenario : Scenario
        The scenario simulated.
    new : ndarray
        Customers starting in each month by segment, ``[G, H]`` (paid, referred and won
        back: everyone who starts a cohort).
    month : int, optional
        Month to value, 0 … horizon − 1 (default: the last).
    nodes : int, optional
        Heterogeneity classes, as in :func:`simsrc.simulate` (default: enough for the
        half-century followed; the customers counted use the horizon's).
    present : ndarray, optional
        A unit cohort's share billed at each tenure, ``[G, H]`` (computed if omitted).
    values : ndarray, optional
        :func:`residual_values` of the scenario, ``[G, H]``, if already computed.

    Returns
    -------
    BaseValue

    Raises
    ------
    ValueError
        ``month`` is not a whole number in 0 … horizon − 1.
    ScenarioError
        The value has no finite sum (see :func:`residual_values`), naming the discount
        rate.
    """
    h = scenario.horizon_months
    t = h - 1 if month is None else check_whole(month, "month", 0, h - 1)
    value = residual_values([scenario], nodes)[0] if values is None else values
    if np.isnan(value).any():
        raise ScenarioError(
            "annual_discount_rate",
            f"at {scenario.annual_discount_rate:.0%} a year the customers' discounted margin "
            "does not shrink over the years (little churn, or value growing as fast as the "
            "discount), so their value has no finite sum; value the base at a higher rate",
        )
    if present is None:
        present = cohort_path(pack([scenario]))["present"][0]
    tenure = np.arange(t + 1)
    customers = new[:, t - tenure] * present[:, : t + 1]  # [G, t+1]
    per = value[:, : t + 1]
    frame = pd.DataFrame(
        {
            "segment": np.repeat(scenario.segment_names, t + 1),
            "tenure": np.tile(tenure, len(scenario.segment_names)),
            "customers": customers.ravel(),
            "value_per_customer": per.ravel(),
            "value": (customers * per).ravel(),
        }
    )
    return BaseValue(t, frame, float(frame["value"].sum()), float(frame["customers"].sum()))
