"""The declarative parameter table: one row per numeric scenario field.

This table is the single source for validation (bounds), the scenario-file schema
(which numeric keys exist), dashboard sliders (label, unit, step, help text as a
tooltip) and the generated parameter reference in the docs. Paths use ``*`` for a
named item of a list (a segment or a cause) or a key of a per-segment mapping, e.g.
``causes.*.levels.*`` matches ``causes.onboarding.levels.premium``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simsrc.model.errors import ScenarioError, shown
from simsrc.model.units import FRACTION_UNITS

if TYPE_CHECKING:  # the scenario is built on this table
    from simsrc.model.scenario import Scenario

MAX_EARLY_EXIT = 5.0
"""Largest multiplier of voluntary churn inside a contract term (long-standing contract
customers may leave more than the segment's average while a term runs)."""


@dataclass(frozen=True)
class Param:
    """One numeric parameter of a scenario.

    Parameters
    ----------
    path : str
        Dotted path pattern (``*`` matches one named item).
    label : str
        Short human label for sliders and tables.
    unit : str
        Unit shown next to the value (``"share"`` and ``"rate"`` values are fractions
        shown as percentages).
    lo, hi : float
        Inclusive bounds.
    step : float
        Natural slider step.
    help : str
        One or two sentences for tooltips and the docs.
    integer : bool
        Whether the value must be a whole number.
    """

    path: str
    label: str
    unit: str
    lo: float
    hi: float
    step: float
    help: str
    integer: bool = False

    def _error(self, path: str | None, value: object) -> ScenarioError:
        kind = "a whole number" if self.integer else "a number"
        return ScenarioError(
            path or self.path,
            f"must be {kind} between {_fmt(self.lo)} and {_fmt(self.hi)} (got {shown(value)})",
        )

    @property
    def is_fraction(self) -> bool:
        """Whether the value is a fraction best shown as a percentage."""
        return self.unit in FRACTION_UNITS

    def check(self, value: object, path: str | None = None) -> float:
        """Validate one value against this parameter's type and bounds.

        Parameters
        ----------
        value : object
            The candidate value.
        path : str, optional
            Concrete path to name in the error (defaults to the pattern).

        Returns
        -------
        float
            The value as a float (or an int-valued float for integer parameters).

        Raises
        ------
        ScenarioError
            If the value is not a finite number within ``[lo, hi]``.

        Examples
        --------
        >>> PARAMETERS["horizon_months"].check(60)
        60.0
        """
        # numbers.Real admits numpy's integer and float scalars; bools are not numbers here
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise self._error(path, value)
        try:
            x = float(value)
        except OverflowError:  # an int beyond float range, e.g. 10**400
            raise self._error(path, value) from None
        if not (math.isfinite(x) and self.lo <= x <= self.hi) or (self.integer and x != round(x)):
            raise self._error(path, value)
        return x


def _fmt(x: float) -> str:
    """Short number for messages."""
    return f"{x:g}"


_ROWS: tuple[Param, ...] = (
    Param(
        "horizon_months",
        "Horizon",
        "months",
        1,
        240,
        1,
        "How many months to simulate.",
        integer=True,
    ),
    Param(
        "annual_discount_rate",
        "Discount rate",
        "annual rate",
        0,
        1,
        0.01,
        "Yearly rate used to discount future money for NPV and CLV.",
    ),
    Param(
        "acquisition.new_per_month",
        "New customers per month",
        "customers/month",
        0,
        1e7,
        10,
        "Paid/organic new customers in the first month, before growth, seasonality and referrals.",
    ),
    Param(
        "acquisition.monthly_growth",
        "Acquisition growth",
        "monthly rate",
        -0.5,
        1,
        0.005,
        "Month-on-month growth of base acquisition volume (0.01 = +1 % a month).",
    ),
    Param(
        "acquisition.seasonality.*",
        "Seasonality",
        "×",
        0,
        10,
        0.05,
        "Twelve relative multipliers of acquisition by calendar month (rescaled to average 1).",
    ),
    Param(
        "acquisition.referrals_per_active",
        "Referrals per active customer",
        "monthly rate",
        0,
        0.5,
        0.001,
        "New customers each active customer brings in per month by word of mouth.",
    ),
    Param(
        "segments.*.share",
        "Share of new customers",
        "share",
        0,
        1,
        0.01,
        "Fraction of new customers who join this segment (all segments sum to 1).",
    ),
    Param(
        "segments.*.monthly_price",
        "Starting monthly price",
        "currency/month",
        0,
        1e6,
        1,
        "Revenue per customer per month in the first month, before value growth.",
    ),
    Param(
        "segments.*.gross_margin",
        "Gross margin",
        "share",
        0,
        1,
        0.01,
        "Fraction of revenue left after the cost of goods sold.",
    ),
    Param(
        "segments.*.cost_to_serve",
        "Cost to serve",
        "currency/month",
        0,
        1e6,
        1,
        "Fixed monthly cost per active customer (support, infrastructure), after gross margin.",
    ),
    Param(
        "segments.*.cac",
        "Acquisition cost (CAC)",
        "currency",
        0,
        1e7,
        10,
        "Sales and marketing cost per newly acquired customer of this segment.",
    ),
    Param(
        "segments.*.contract.term_months",
        "Contract term",
        "months",
        0,
        120,
        1,
        "Months per contract term (0: month-to-month). Customers on a term leave at will "
        "only at its end; see early exits and the renewal wave.",
        integer=True,
    ),
    Param(
        "segments.*.contract.early_exit.*",
        "Churn inside a term",
        "×",
        0,
        MAX_EARLY_EXIT,
        0.01,
        "Multiplier of the segment's usual churn from voluntary, preventable causes inside "
        "the 1st, 2nd, … contract term (early terminations; 0: nobody leaves before the "
        "term ends, 1: as without a contract; the last value repeats). Failed payments, "
        "moves and closing-downs end a contract too.",
    ),
    Param(
        "segments.*.contract.renewal.*",
        "Churn at renewal",
        "share",
        0,
        1,
        0.01,
        "Voluntary, preventable churn of an average customer at the 1st, 2nd, … renewal "
        "point (the renewal wave; the last value repeats; none: the causes' own monthly "
        "hazard).",
    ),
    Param(
        "causes.*.levels.*",
        "Monthly churn",
        "monthly rate",
        0,
        1,
        0.001,
        "Monthly probability of leaving for this cause at the peak of its tenure shape, "
        "for an average new customer of the segment.",
    ),
    Param(
        "causes.*.shape.months",
        "Shape time scale",
        "months",
        0.5,
        120,
        0.5,
        "For 'early': months for the hazard to fall by a factor e; for 'hump': month of the peak.",
    ),
    Param(
        "causes.*.segment_months.*",
        "Shape time scale in a segment",
        "months",
        0,
        120,
        0.5,
        "The 'early' or 'hump' shape's time scale in this segment (0: the cause's own).",
    ),
    Param(
        "causes.*.shape.values.*",
        "Shape multiplier",
        "×",
        0,
        50,
        0.05,
        "For 'custom' shapes: hazard multiplier by tenure month (the last value continues).",
    ),
    Param(
        "heterogeneity.spread",
        "How different are customers",
        "index",
        0,
        0.95,
        0.01,
        "0 = all customers equally likely to leave; 0.5 = propensity varies as much as "
        "its mean; towards 1 = a few very risky customers and many loyal ones, so churn "
        "falls with tenure (the risky leave first).",
    ),
    Param(
        "heterogeneity.segment_spread.*",
        "How different are a segment's customers",
        "index",
        0,
        0.95,
        0.01,
        "The segment's own spread (0: the shared one), for segments whose customers "
        "differ more or less than the rest's.",
    ),
    Param(
        "heterogeneity.reference_churn",
        "Reference churn",
        "monthly rate",
        1e-4,
        1.0,
        0.001,
        "Mean monthly churn at which the spread is defined (set from the causes' levels "
        "when a scenario is built; what-ifs keep it, so the customers stay the same).",
    ),
    Param(
        "value.year3_uplift",
        "Year-3 revenue uplift",
        "share",
        -0.9,
        10,
        0.01,
        "How much more a customer pays in their third year than in their first six "
        "months (0.67 = +67 %).",
    ),
    Param(
        "value.ramp_months",
        "Value ramp",
        "months",
        0.5,
        120,
        0.5,
        "Time scale over which revenue per customer grows towards its mature level.",
    ),
    Param(
        "value.expansion_rate",
        "Expansion",
        "monthly rate",
        0,
        0.2,
        0.001,
        "Extra compounding monthly growth of revenue per retained customer (upsell).",
    ),
    Param(
        "value.contraction_rate",
        "Contraction",
        "monthly rate",
        0,
        0.2,
        0.001,
        "Compounding monthly shrinkage of revenue per retained customer (downgrades).",
    ),
)

# -- levers ---------------------------------------------------------------------------
_LEVER_ROWS: tuple[Param, ...] = (
    Param(
        "save_team.coverage",
        "Save-team coverage",
        "share",
        0,
        1,
        0.01,
        "Share of cancellation requests that reach the save team ([save-team]: all should).",
    ),
    Param(
        "save_team.cost_per_contact",
        "Cost per save-team contact",
        "currency",
        0,
        1e5,
        1,
        "Handling cost of each request the save team takes.",
    ),
    Param(
        "save_team.rude_share",
        "Badly handled refusals",
        "share",
        0,
        1,
        0.01,
        "Share of engaged customers who are not saved and leave feeling badly treated.",
    ),
    Param(
        "save_team.value_threshold",
        "Value targeting (× offer cost)",
        "×",
        0,
        100,
        0.1,
        "Offer only when the customer's expected remaining margin is at least this many "
        "times the offer's cost (0 = offer to everyone; [save-team]: be sparing). Remaining "
        "margin: what the customer is worth in the valuation of the base — discounted "
        "margin less cost to serve and per-customer retention costs from the month of the "
        "request on, 50 years and a tail — for the segment's customers of that tenure "
        "without save team, dunning or win-back (cause programs and contact policy in "
        "place). Cost: cash cost per save plus the revenue given up at that month's list "
        "price, (1 − price paid) × the offer's months (a downgrade: 12), undiscounted.",
    ),
    Param(
        "save_team.mix.*.*",
        "Offer mix",
        "share",
        0,
        1,
        0.01,
        "Share of reached requests of a cause that get this offer (each cause's shares sum "
        "to at most 1).",
    ),
    Param(
        "save_team.*.acceptance.*",
        "Acceptance",
        "share",
        0,
        1,
        0.01,
        "Chance that a customer leaving for this cause accepts the offer.",
    ),
    Param(
        "save_team.*.months",
        "Offer duration",
        "months",
        0,
        36,
        1,
        "How long a discount, free month, contract term or pause lasts.",
        integer=True,
    ),
    Param(
        "save_team.*.price_multiplier",
        "Price paid",
        "share",
        0,
        1,
        0.01,
        "Share of the price paid during the offer (for a downgrade: from then on).",
    ),
    Param(
        "save_team.*.stay_after",
        "Stay after the offer",
        "share",
        0,
        1,
        0.01,
        "Share who stay when the offer ends (discount ≈ 11 %, pause resume ≈ 54 %: [benchmarks]).",
    ),
    Param(
        "save_team.*.cure_effect",
        "Cure effect",
        "share",
        0,
        1,
        0.01,
        "How much lower the fixable causes' hazards are after expert help.",
    ),
    Param(
        "save_team.*.cost_per_save",
        "Cost per save",
        "currency",
        0,
        1e5,
        1,
        "Cash cost per accepted offer.",
    ),
    Param(
        "dunning.stuck_share",
        "Stuck share of late payers",
        "share",
        0,
        1,
        0.01,
        "Share of failed payers who are stuck with the product ([deadbeats]), not broke.",
    ),
    Param(
        "dunning.grace_months",
        "Grace period",
        "months",
        1,
        6,
        1,
        "Months of grace before unrecovered late payers are cut off.",
        integer=True,
    ),
    Param(
        "dunning.messages",
        "Dunning messages",
        "messages",
        0,
        20,
        1,
        "Reminders sent over the grace period.",
        integer=True,
    ),
    Param(
        "dunning.retry_recovery",
        "Recovered by retries",
        "share",
        0,
        1,
        0.01,
        "Share of payment-problem failures recovered by payment retries alone.",
    ),
    Param(
        "dunning.pay_up_payment",
        "Pay-up recovery (payment problem)",
        "share",
        0,
        1,
        0.01,
        "Chance one read pay-up reminder recovers a customer with a payment problem.",
    ),
    Param(
        "dunning.pay_up_stuck",
        "Pay-up recovery (stuck)",
        "share",
        0,
        1,
        0.01,
        "Chance one read pay-up reminder recovers a stuck customer.",
    ),
    Param(
        "dunning.help_first_payment",
        "Help-first recovery (payment problem)",
        "share",
        0,
        1,
        0.01,
        "Chance one read help-first message recovers a customer with a payment problem.",
    ),
    Param(
        "dunning.help_first_stuck",
        "Help-first recovery (stuck)",
        "share",
        0,
        1,
        0.01,
        "Chance one read help-first message recovers a stuck customer.",
    ),
    Param(
        "win_back.delay_months",
        "Win-back delay",
        "months",
        1,
        60,
        1,
        "Months after leaving when former customers are contacted.",
        integer=True,
    ),
    Param(
        "win_back.cost_per_reactivation",
        "Win-back offer cost",
        "currency",
        0,
        1e5,
        1,
        "Offer cost per customer who comes back.",
    ),
    Param(
        "win_back.bad_terms_factor",
        "Bad-terms factor",
        "×",
        0,
        1,
        0.01,
        "Customers who left on bad terms come back at this fraction of the rate.",
    ),
    Param(
        "win_back.reactivation.*",
        "Reactivation",
        "share",
        0,
        1,
        0.01,
        "Chance a reached former customer who left for this cause comes back.",
    ),
    Param(
        "win_back.after_offer",
        "Reactivation after an offer",
        "share",
        0,
        1,
        0.01,
        "Chance a reached customer who lapsed after a save offer comes back.",
    ),
    Param(
        "programs.*.effect",
        "Program effect",
        "share",
        0,
        1,
        0.01,
        "Share by which the program lowers its cause's hazard.",
    ),
    Param(
        "programs.onboarding.cost",
        "Onboarding cost",
        "currency",
        0,
        1e5,
        1,
        "Cost per new customer of the onboarding program.",
    ),
    Param(
        "programs.success.cost",
        "Success check-in cost",
        "currency/month",
        0,
        1e4,
        0.5,
        "Cost per active customer per month of success check-ins.",
    ),
    Param(
        "programs.service.cost",
        "Service quality budget",
        "currency/month",
        0,
        1e8,
        100,
        "Monthly spend on service quality (training, audits, empowered staff).",
    ),
    Param(
        "programs.exit_survey.response_rate",
        "Survey response rate",
        "share",
        0,
        1,
        0.01,
        "Share of those who read the exit survey who answer it: answers = surveyed "
        "leavers × the channel's reach × this rate. Surveyed (one message each): "
        "voluntary leavers and customers lapsing after an offer; leavers over a failed "
        "payment (cut off by dunning, or at once without it) are not: their reason is "
        "known.",
    ),
    Param(
        "contact.contacts_per_month",
        "Contacts per month",
        "contacts",
        0,
        60,
        0.5,
        "Marketing and value contacts per active customer per month (0 = none).",
    ),
    Param(
        "contact.promotional_share",
        "Promotional share",
        "share",
        0,
        1,
        0.01,
        "Share of contacts that sell; above 20 % customers feel pushed ([good-customers-leave]).",
    ),
    Param(
        "contact.push_sensitivity",
        "Push sensitivity",
        "×",
        0,
        50,
        0.1,
        "How strongly promotion above 20 % raises the pushing-too-hard hazard.",
    ),
    Param(
        "contact.value_damping",
        "Value-contact effect",
        "×",
        0,
        10,
        0.01,
        "How strongly value contacts damp success drop-off.",
    ),
    Param(
        "word_of_mouth.lost_per_bad_exit",
        "Customers lost per bad exit",
        "customers",
        0,
        10,
        0.05,
        "Future new customers lost per badly handled exit "
        "([cancellations], [good-customers-leave]).",
    ),
    Param(
        "channels.*.reach",
        "Channel reach",
        "share",
        0,
        1,
        0.01,
        "Share of messages read (email ≈ 20 %, SMS ≈ 98 %: commonly quoted figures).",
    ),
    Param(
        "channels.*.cost_per_message",
        "Cost per message",
        "currency",
        0,
        100,
        0.001,
        "Cost of sending one message on this channel.",
    ),
)


class ParameterTable:
    """Lookup of :class:`Param` rows by concrete or pattern path.

    Examples
    --------
    >>> PARAMETERS["segments.premium.monthly_price"].label
    'Starting monthly price'
    """

    def __init__(self, rows: tuple[Param, ...]) -> None:
        self.rows = rows
        self._by_path = {row.path: row for row in rows}
        # Concrete path -> row: scenarios repeat their paths, and a long-running kernel sees
        # user-chosen names, so the memo is bounded.
        self._find = lru_cache(maxsize=4096)(self._match)

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Iterate over the rows."""
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def find(self, path: str) -> Param | None:
        """Return the row whose pattern matches a concrete path, or ``None``."""
        return self._find(path)

    def _match(self, path: str) -> Param | None:
        if path in self._by_path:
            return self._by_path[path]
        parts = path.split(".")
        for row in self.rows:
            pattern = row.path.split(".")
            if len(pattern) == len(parts) and all(
                fnmatchcase(p, q) for p, q in zip(parts, pattern, strict=True)
            ):
                return row
        return None

    def label(self, path: str, scenario: Scenario | None = None) -> str:
        """A concrete path as people read it, naming the items a ``*`` matched.

        Items by their labels in ``scenario`` (a cause after ``causes``, ``mix`` or
        ``acceptance``, else a segment or offer), list positions from 1. Raises
        ``KeyError`` for a path the table does not know.

        Examples
        --------
        >>> import simsrc
        >>> path = "save_team.discount.acceptance.price_competitor"
        >>> PARAMETERS.label(path, simsrc.preset("b2b-saas"))
        'Acceptance (Discount, Price or competitor)'
        """
        row, parts = self[path], path.split(".")
        causes = {c.name: c.label for c in scenario.causes} if scenario else {}
        others = scenario.item_labels if scenario else {}
        items = []
        for k, (part, pat) in enumerate(zip(parts, row.path.split("."), strict=False)):
            if pat == "*" or (fnmatchcase(part, pat) and part != pat):
                near_cause = k and parts[k - 1] in ("causes", "mix", "acceptance")
                items.append(f"#{int(part) + 1}" if part.isdigit() else
                             causes[part] if near_cause and part in causes else
                             others.get(part, part))  # fmt: skip
        return f"{row.label} ({', '.join(items)})" if items else row.label

    def __getitem__(self, path: str) -> Param:
        row = self.find(path)
        if row is None:
            raise KeyError(path)
        return row

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame (for docs and notebooks)."""
        return pd.DataFrame(
            [
                {
                    "path": r.path,
                    "label": r.label,
                    "unit": r.unit,
                    "min": r.lo,
                    "max": r.hi,
                    "step": r.step,
                    "help": r.help,
                }
                for r in self.rows
            ]
        )


PARAMETERS = ParameterTable(_ROWS + _LEVER_ROWS)
