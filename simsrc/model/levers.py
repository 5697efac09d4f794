"""Retention levers: what a business does about churn, and what it costs.

Every lever here comes from the sources listed in ``docs/sources.md``, cited by key:

* **Save team** ([cancellations], [save-team]): voluntary churn happens as cancellation
  requests; a share (``coverage``) reaches the save team, which asks the reason and
  makes an offer from the **offer mix** for that reason. Offers: discount, free month,
  expert help, downgrade, contract extension, pause ("Move & Follow"). A discount or free
  month only *holds* the customer for a while (most leave when it ends); expert help
  fixes the problem; a downgrade keeps the customer on a cheaper plan (help and a
  downgrade combine: a customer can have both); a contract locks them in;
  a pause keeps them without revenue and some resume. ``value_threshold`` limits offers
  to customers whose expected remaining margin is worth it ("be sparing").
* **Dunning** ([deadbeats]): each month some customers fail to pay (the ``voluntary =
  false`` cause). Some are *stuck* with the product, the rest have a plain payment
  problem. A sequence of messages over a grace period recovers some of them; a
  help-first message ("are you stuck? here is a person") recovers stuck customers that
  a pay-up reminder loses, and fixes their problem. The rest are cut off.
* **Win-back** ([cancellations]): former customers are contacted after a delay; more
  come back when they left on good terms.
* **Programs** ([good-customers-leave]): onboarding, customer-success check-ins and
  service quality each lower one cause's hazard at a cost; exit surveys cost messages
  and return answers by reason (see :class:`ExitSurvey` for who is surveyed).
* **Contact policy** ([sms], [good-customers-leave]): above 20 % promotional contacts
  the pushing-too-hard cause grows; value contacts damp success drop-off.
* **Word of mouth** ([cancellations], [good-customers-leave]): badly handled exits
  (never engaged, refused rudely, cut off by a pay-up reminder) cost future customers.

Each lever is off by default (coverage 0, dunning off, win-back off, programs off, no
contacts, no word-of-mouth loss), so a scenario without levers is the core model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LEVER_SECTIONS: tuple[str, ...] = (
    "save_team", "dunning", "win_back", "programs", "contact", "word_of_mouth", "channels",
)  # fmt: skip
"""The scenario sections that hold retention levers, in scenario-file order."""

OFFER_NAMES: tuple[str, ...] = (
    "discount", "free_month", "expert_help", "downgrade", "contract", "pause",
)  # fmt: skip
"""The offer catalogue, in a fixed order."""

OFFER_LABELS: dict[str, str] = {
    "discount": "Discount",
    "free_month": "Free month",
    "expert_help": "Expert help",
    "downgrade": "Downgrade",
    "contract": "Contract",
    "pause": "Pause",
}
"""Display names of the save team's offers (:data:`OFFER_NAMES`)."""

CHOICE_LABELS: dict[str, str] = {
    "pay_up": "Pay up",
    "help_first": "Help first",
    "email": "Email",
    "sms": "SMS",
}
"""Display names of the dunning styles and message channels (:data:`DunningStyle`,
:data:`ChannelName`)."""

HOLD_OFFERS: tuple[str, ...] = ("discount", "free_month", "contract", "pause")
"""Offers that hold a customer for ``months`` and then end (stay or lapse)."""

ChannelName = Literal["email", "sms"]
DunningStyle = Literal["pay_up", "help_first"]


@dataclass(frozen=True)
class Channel:
    """A way to reach customers.

    Parameters
    ----------
    reach : float
        Share of messages that are read (opened). Defaults: email ≈ 20 %, SMS ≈ 98 % —
        commonly quoted industry figures without a named source; [sms] only says SMS
        is opened far more often and costs little.
    cost_per_message : float
        Money per message sent.
    """

    reach: float
    cost_per_message: float


@dataclass(frozen=True)
class Channels:
    """The two channels the levers can use ([sms]: SMS vs. email)."""

    email: Channel = field(default_factory=lambda: Channel(0.2, 0.002))
    sms: Channel = field(default_factory=lambda: Channel(0.98, 0.02))


@dataclass(frozen=True)
class Offer:
    """One save offer and its effect.

    Parameters
    ----------
    acceptance : tuple of float
        Probability the offer is accepted, per cause (scenario cause order).
    months : int
        How long a hold offer lasts (discount, free month, contract term, pause).
    price_multiplier : float
        Share of the price paid during a hold (discount 0.7 = 30 % off, free month and
        pause 0); for a downgrade, the share of the price paid from then on.
    stay_after : float
        Share of held customers who stay when the hold ends (discount: ≈ 11 % remain
        after the discount ends; pause: ≈ 54 % resume — [benchmarks]).
    cure_effect : float
        Expert help: how much lower the hazards of fixable causes are afterwards
        (0.5 = halved).
    cost_per_save : float
        Cash cost per accepted offer (e.g. the technician's time).
    segments : tuple of str
        Segments the offer may be made to (empty: all).
    """

    acceptance: tuple[float, ...] = field(default=(), metadata={"keys": "causes", "sparse": True})
    months: int = 0
    price_multiplier: float = 1.0
    stay_after: float = 1.0
    cure_effect: float = 0.0
    cost_per_save: float = 0.0
    segments: tuple[str, ...] = field(default=(), metadata={"names": "segments"})


@dataclass(frozen=True)
class SaveTeam:
    """The cancellation flow and the save team's offers.

    Parameters
    ----------
    coverage : float
        Share of cancellation requests that reach the save team (0: no save team).
    cost_per_contact : float
        Handling cost per request the team takes.
    rude_share : float
        Share of engaged customers who are not saved and leave feeling badly handled.
    value_threshold : float
        Make an offer only if the customer's expected remaining margin is at least this
        many times the offer's cost (0: no targeting), decided per segment, tenure and
        offer (:func:`simsrc.engine.worth.save_fractions`). *Expected remaining margin*
        at tenure τ: ``Σ_{u ≥ τ} d^(u−τ) S(u)/S(τ) m(u)`` with ``m`` the monthly margin
        ``price × v(u) × gross_margin − cost_to_serve`` less the per-customer costs of
        programs, contacts and exit surveys, ``S`` the segment's survival without save
        team, dunning or win-back (cause programs and contact policy in place) and ``d``
        the monthly discount factor, followed 600 months past the horizon and then as a
        geometric tail — the valuation of the base's number for that customer
        (:func:`simsrc.engine.worth.remaining_value`). *The offer's cost*: ``cost_per_save +
        (1 − price_multiplier) × price × v(τ) × months`` — cash plus the revenue given
        up at the request month's list price, undiscounted; a downgrade counts 12
        months, expert help (price unchanged) only its cash cost. Requests whose offer
        is withheld get no offer.
    mix : tuple of tuple of float
        Offer mix per cause: ``mix[k][o]`` is the share of reached requests of cause ``k``
        that get offer ``o`` (order :data:`OFFER_NAMES`); each row sums to at most 1, the
        rest get no offer.
    discount, free_month, expert_help, downgrade, contract, pause : Offer
        The offer catalogue.
    """

    coverage: float = 0.0
    cost_per_contact: float = 0.0
    rude_share: float = 0.0
    value_threshold: float = 0.0
    mix: tuple[tuple[float, ...], ...] = field(
        default=(), metadata={"keys": "causes,offers", "sparse": True}
    )
    discount: Offer = field(
        default_factory=lambda: Offer(months=3, price_multiplier=0.7, stay_after=0.11)
    )
    free_month: Offer = field(
        default_factory=lambda: Offer(months=1, price_multiplier=0.0, stay_after=0.3)
    )
    expert_help: Offer = field(default_factory=lambda: Offer(cure_effect=0.5, cost_per_save=150.0))
    downgrade: Offer = field(default_factory=lambda: Offer(price_multiplier=0.6))
    contract: Offer = field(
        default_factory=lambda: Offer(months=12, price_multiplier=0.85, stay_after=1.0)
    )
    pause: Offer = field(
        default_factory=lambda: Offer(months=3, price_multiplier=0.0, stay_after=0.54)
    )

    def offer(self, name: str) -> Offer:
        """An offer of the catalogue by name."""
        offer: Offer = getattr(self, name)
        return offer


@dataclass(frozen=True)
class Dunning:
    """Help-first dunning of late payers ([deadbeats]).

    Parameters
    ----------
    enabled : bool
        Off: customers whose payment fails are cut off at once (the core model).
    stuck_share : float
        Share of failed payers who are stuck with the product rather than having a
        payment problem.
    grace_months : int
        Months of grace (unpaid) before the unrecovered are cut off.
    messages : int
        Reminders sent over the grace period (spread evenly over its months).
    style : {"pay_up", "help_first"}
        Pay-up reminder or "are you stuck? here is a person who will help".
    channel : {"email", "sms"}
        Channel of the reminders.
    retry_recovery : float
        Share of payment-problem failures recovered by payment retries alone in the
        first month (≈ 30 % of them ≈ 21 % of all failures, the [benchmarks] figure).
    pay_up_payment, pay_up_stuck, help_first_payment, help_first_stuck : float
        Chance that one reminder that is read recovers a delinquent of that kind.

    Stuck customers recovered by a help-first message come back with their problem
    fixed: they join the *helped* customers, whose fixable causes' hazards are lower by
    the expert-help offer's ``cure_effect``.
    """

    enabled: bool = False
    stuck_share: float = 0.3
    grace_months: int = 1
    messages: int = 4
    style: DunningStyle = "pay_up"
    channel: ChannelName = "email"
    retry_recovery: float = 0.3
    pay_up_payment: float = 0.3
    pay_up_stuck: float = 0.02
    help_first_payment: float = 0.25
    help_first_stuck: float = 0.3


@dataclass(frozen=True)
class WinBack:
    """Win-back campaigns to former customers ([cancellations]).

    Parameters
    ----------
    enabled : bool
        Whether former customers are contacted.
    delay_months : int
        Months after leaving when the one campaign message is sent.
    channel : {"email", "sms"}
        Channel of the message.
    cost_per_reactivation : float
        Offer cost per customer who comes back.
    bad_terms_factor : float
        Customers who left on bad terms come back at this fraction of the rate.
    reactivation : tuple of float
        Chance that a reached former customer comes back, per cause they left for.
    after_offer : float
        Same, for customers who lapsed at the end of a save offer.
    """

    enabled: bool = False
    delay_months: int = 3
    channel: ChannelName = "email"
    cost_per_reactivation: float = 0.0
    bad_terms_factor: float = 0.3
    reactivation: tuple[float, ...] = field(
        default=(), metadata={"keys": "causes", "sparse": True}
    )
    after_offer: float = 0.05


@dataclass(frozen=True)
class Program:
    """A program acting on one cause ([good-customers-leave]).

    Parameters
    ----------
    enabled : bool
        Whether the program runs.
    cause : str
        The cause whose hazard it lowers.
    effect : float
        Share by which it lowers that hazard.
    cost : float
        Cost: per new customer (onboarding), per active customer per month (success
        check-ins), or per month (service quality).
    """

    enabled: bool = False
    cause: str = ""
    effect: float = 0.0
    cost: float = 0.0


@dataclass(frozen=True)
class ExitSurvey:
    """Exit surveys: their value is information — answers by reason ([cancellations], [sms]).

    Who is surveyed: every customer who leaves for a voluntary cause (after the save
    team, or during a hold) and every customer who lapses when a save offer ends — one
    message each. Customers who leave over a failed payment (cut off by dunning, or at
    once without it) are not surveyed: their reason is already known. Answers are
    ``surveyed × reach × response_rate`` (``reach`` of the channel), by cause
    (``survey_responses_<cause>``; lapsers in ``survey_responses_after_offer``).

    Parameters
    ----------
    enabled : bool
        Whether leavers are surveyed.
    channel : {"email", "sms"}
        Channel of the survey.
    response_rate : float
        Share of readers who answer.
    """

    enabled: bool = False
    channel: ChannelName = "sms"
    response_rate: float = 0.3


@dataclass(frozen=True)
class Programs:
    """Cause programs: onboarding, success check-ins, service quality, exit surveys."""

    onboarding: Program = field(
        default_factory=lambda: Program(cause="onboarding", effect=0.3, cost=50.0)
    )
    success: Program = field(
        default_factory=lambda: Program(cause="success_dropoff", effect=0.3, cost=5.0)
    )
    service: Program = field(
        default_factory=lambda: Program(cause="poor_service", effect=0.3, cost=10000.0)
    )
    exit_survey: ExitSurvey = field(default_factory=ExitSurvey)


@dataclass(frozen=True)
class ContactPolicy:
    """How often customers are contacted, and how much of it sells ([sms], [good-customers-leave]).

    Cause levels are taken to be those under no marketing contact; the policy multiplies
    them: the ``push_cause`` hazard by ``1 + push_sensitivity × contacts ×
    max(0, promotional_share − 0.2)`` ([good-customers-leave]: promotion at most 20 %), the
    ``value_cause`` hazard by ``1 / (1 + value_damping × contacts × (1 −
    promotional_share))``.

    Parameters
    ----------
    contacts_per_month : float
        Contacts per active customer per month (0: none; the policy has no effect).
    promotional_share : float
        Share of contacts that sell rather than help.
    push_sensitivity, value_damping : float
        Strength of the two effects.
    channel : {"email", "sms"}
        Channel (sets the cost per contact).
    push_cause, value_cause : str
        Causes the policy acts on.
    """

    contacts_per_month: float = 0.0
    promotional_share: float = 0.2
    push_sensitivity: float = 2.0
    value_damping: float = 0.1
    channel: ChannelName = "email"
    push_cause: str = "pushing_too_hard"
    value_cause: str = "success_dropoff"


@dataclass(frozen=True)
class WordOfMouth:
    """Badly handled exits cost future customers ([cancellations], [good-customers-leave]).

    Parameters
    ----------
    lost_per_bad_exit : float
        New customers lost the next month per badly handled exit.
    """

    lost_per_bad_exit: float = 0.0
