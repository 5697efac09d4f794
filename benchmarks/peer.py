"""A fair per-customer peer of the engine: Monte Carlo of whole customers, vectorised with numpy.

What a competent analyst would write instead of simsrc's cohort engine: every customer is
a row of a few numpy arrays (segment, individual churn propensity drawn at arrival, month
of arrival, state — paying normal / helped / downgraded / both, held by an offer with
months left, or in dunning with months since the failed payment), and one Python loop
runs over calendar months, with every step vectorised over customers (uniform draws
against hazards, cumulative sums to pick a cause or an offer, boolean masks). No loop
over customers, no hand-tuned kernel.

The rules are the documented ones (README "The model", "Retention levers", "Limits worth
knowing"; the help of :data:`simsrc.PARAMETERS`; :mod:`simsrc.model.levers`), written
without the engine's arrays. Only small public helpers read the scenario's curves:
:func:`simsrc.engine.pack.acquisition_curve`, :func:`simsrc.engine.curves.shape_curve`,
:func:`simsrc.engine.curves.value_curve` and
:func:`simsrc.model.conversions.spread_to_beta`. In one month, in this order:

1. New customers arrive (present and paying this month): paid acquisition (Poisson, mean
   ``base × share``) less ``lost_per_bad_exit`` × last month's badly handled exits
   (word of mouth), referrals ``referrals_per_active`` × last month's active, and
   win-back: the leavers of ``delay_months`` ago get one message; a reached one comes
   back with the chance of the cause they left for (× ``bad_terms_factor`` if they left
   on bad terms) or ``after_offer`` if they lapsed at the end of an offer. Everyone
   starting draws a segment and a propensity ``z = θ / m``, θ ~ Beta of mean
   ``m = heterogeneity.reference_churn`` and the segment's spread; won-back customers
   start afresh as new customers of their segment (tenure 0, normal, a new ``z``).
2. Everyone present pays: list price ``monthly_price × v(tenure)`` × 1 (normal, helped),
   × the downgrade's ``price_multiplier`` (downgraded), × the offer's price multiplier
   (held), × 0 (in dunning: unpaid).
3. Paying customers leave for cause ``k`` with hazard ``level_k × shape_k(tenure) × z``
   (``z`` for heterogeneous causes only; × ``1 − cure_effect`` for fixable causes once
   helped; levels after the cause programs and the contact policy); when the hazards add
   up to more than 1 they are scaled down to certain leaving. A voluntary exit is a
   cancellation request: it reaches the save team with ``coverage``; the team picks an
   offer from the cause's mix (none for the rest of the row, or when the offer is not
   for the segment or fails value targeting); it is accepted with the offer's
   acceptance for the cause. Expert help makes the customer *helped*, a downgrade puts
   them on the cheaper plan (the two compose and last); a hold offer holds them for
   ``months`` months from next month. Requests not saved leave; those never reached, or
   reached and refused rudely (``rude_share``), leave on bad terms. An involuntary exit
   is a failed payment: without dunning the customer leaves at once; with it they are
   in dunning from next month, stuck with the product (``stuck_share``) or with a
   payment problem.
4. Held customers face only the non-preventable causes; in their offer's last month the
   survivors stay (``stay_after``, back to normal: help and downgrade forgotten) or lapse.
5. Late payers are recovered with ``1 − (1 − reach × p)^(messages / grace_months)`` a
   month (``p`` the style's chance per read message and kind; a payment problem also by
   retries in the first month: ``1 − (1 − retry_recovery) × (…)``); recovered customers
   pay again from next month as normal customers (a stuck one recovered by help-first
   returns helped). The unrecovered are cut off at the end of the last month of grace
   (churn for their failed-payment cause; on bad terms after pay-up reminders).

Money follows the README: gross margin = revenue × gross margin − present × cost to
serve; discounts = list price − price paid for held and downgraded customers; offer costs
= save-team contacts × ``cost_per_contact`` + saves × ``cost_per_save`` + reactivations ×
``cost_per_reactivation``; messaging = dunning, win-back and exit-survey messages (one per
voluntary leaver and per lapser) and marketing contacts; programs = onboarding per new
customer, success check-ins per customer, service per month; acquisition = paid new
customers × CAC. Value targeting ("be sparing") compares what a customer of that segment
and tenure is worth — their discounted margin still to come, net of what keeping them
costs per customer (programs, marketing contacts, exit surveys), on the path without
save team, dunning or win-back, followed 50 years past the horizon and then as a
geometric tail, as the valuation of the base values customers — computed here from the
Beta distribution on a quantile grid — with the offer's cost, as the parameter help says.

Where the documents leave a choice, the peer takes the engine's: nobody leaves for any
cause while in dunning (only cut-offs end it); messages that do not divide evenly over the
grace months recover at the same rate every month (``messages / grace_months`` reads a
month); customers who leave while held, or over a failed payment without dunning, leave on
good terms; success check-ins and marketing contacts are paid for every customer present
in the month ("per active customer" in the help), leavers of the month included; a
won-back customer draws a new propensity. One rule parts from the engine on purpose, and
``main`` shows it: cut-offs are counted under the customer's own failed-payment cause
(the engine counts them, and wins them back, under the first involuntary cause, as the
README's "Limits worth knowing" says).

Run ``python benchmarks/peer.py`` from the repository root (with simsrc importable, e.g.
``PYTHONPATH=.``): it prints the agreement with the engine's expected values
(:func:`simsrc.simulate`) on every preset, the core model and two variants with every
lever on — for each series the worst |z| over the months and the z of its total, z =
(peer mean − engine) / (standard error of the peer mean over 64 seeds) — then the two
rules above, and the median time of one run of ``b2b-saas`` at 100,000 / 120 paid new
customers a month over 120 months. ``--quick`` uses 8 seeds (a first look: with so few,
the standard errors themselves are rough and |z| > 4 turns up by chance);
``numpy_peer(scenario, seed)`` is one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

import simsrc
from simsrc.engine.curves import shape_curve, value_curve
from simsrc.engine.pack import acquisition_curve
from simsrc.model.conversions import spread_to_beta
from simsrc.model.levers import HOLD_OFFERS, OFFER_NAMES

O_HELP, O_DOWN = OFFER_NAMES.index("expert_help"), OFFER_NAMES.index("downgrade")
O_PAUSE = OFFER_NAMES.index("pause")
IS_HOLD = np.array([o in HOLD_OFFERS for o in OFFER_NAMES])
NORMAL, HELPED, HELD, DUNNING = 0, 1, 2, 3  # rows of the hazard tables (state of a customer)


@dataclass(frozen=True)
class Model:
    """A scenario as the lookup tables the monthly loop reads (fixed over a run)."""

    h: int
    g: int
    k: int
    causes: tuple[str, ...]
    share: np.ndarray  # [G]
    paid: np.ndarray  # [H] paid acquisition before word of mouth
    het_sum: np.ndarray  # [4·G·H] summed heterogeneous hazards by state, segment, tenure
    plain_sum: np.ndarray  # [4·G·H] the other causes' hazards
    by_cause: np.ndarray  # [4·G·H, K]
    het: np.ndarray  # [K] bool
    vol: np.ndarray  # [K] bool
    list_price: np.ndarray  # [4·G·H] monthly_price × v(tenure), repeated for each state
    margin: np.ndarray  # [G]
    cts: np.ndarray  # [G]
    cac: np.ndarray  # [G]
    mix_cum: np.ndarray  # [K, O] cumulative offer mix
    accept: np.ndarray  # [O, K]
    allowed: np.ndarray  # [G·H, O] offer may be made (segments and value targeting)
    price_mult: np.ndarray  # [O]
    months: np.ndarray  # [O]
    stay: np.ndarray  # [O]
    cost_per_save: np.ndarray  # [O]
    recover: np.ndarray  # [2, grace] monthly recovery chance: payment problem, stuck
    react: np.ndarray  # [K] reach × reactivation
    beta: list[tuple[float, float] | None]  # Beta of θ by segment (None: everyone z = 1)
    ref: float  # reference churn m (z = θ / m)


def cause_levels(s: simsrc.Scenario, levers: bool = True) -> np.ndarray:
    """Monthly levels ``[G, K]``, after the cause programs and the contact policy.

    Programs lower their cause's level by ``effect``; the contact policy multiplies the
    push cause by ``1 + push_sensitivity × contacts × max(0, promotional_share − 0.2)``
    and divides the value cause by ``1 + value_damping × contacts × (1 − promotional_share)``
    (:class:`simsrc.model.levers.ContactPolicy`).

    Parameters
    ----------
    s : Scenario
        The scenario.
    levers : bool
        Apply programs and contact policy (``False``: the levels as written).

    Returns
    -------
    ndarray
        Levels by segment and cause.
    """
    level = np.array([c.levels for c in s.causes], dtype=float).T
    if not levers:
        return level
    names = list(s.cause_names)
    for prog in (s.programs.onboarding, s.programs.success, s.programs.service):
        if prog.enabled:
            level[:, names.index(prog.cause)] *= 1.0 - prog.effect
    c = s.contact
    if c.contacts_per_month > 0:
        push = c.push_sensitivity * c.contacts_per_month * max(0.0, c.promotional_share - 0.2)
        level[:, names.index(c.push_cause)] *= 1.0 + push
        damp = c.value_damping * c.contacts_per_month * (1.0 - c.promotional_share)
        level[:, names.index(c.value_cause)] /= 1.0 + damp
    return level


def _beta_of(s: simsrc.Scenario, g: int) -> tuple[tuple[float, float] | None, float]:
    het = s.heterogeneity
    m, spread = float(het.reference_churn or 0.0), het.spread_for(g)
    if spread <= 0 or not 0.0 < m < 1.0:
        return None, m
    return spread_to_beta(m, spread), m


def remaining_margin(s: simsrc.Scenario, grid: int = 2000) -> np.ndarray:
    """Expected discounted net margin still to come of a customer present at tenure τ, ``[G, H]``.

    README, "Retention levers" and "What the customer base is worth": the discounted
    monthly margin (price × v × gross margin − cost to serve − success check-ins −
    marketing contacts, less onboarding in the first month and an exit survey for a
    voluntary leaver) from τ on, averaged over the segment's customers still there at τ on
    the path without save team, dunning or win-back (cause programs and contact policy in
    place), over the horizon and 600 months more, then a geometric tail at the last
    month's retention. The Beta distribution of propensity is integrated on a grid of
    ``grid`` equally likely quantiles.

    Parameters
    ----------
    s : Scenario
        The scenario.
    grid : int
        Quantiles of the propensity distribution.

    Returns
    -------
    ndarray
        Remaining margin by segment and tenure 0 … H − 1.
    """
    h = s.horizon_months + 600
    shapes = np.array([shape_curve(c.shape, h) for c in s.causes])  # [K, H]
    het = np.array([c.heterogeneous for c in s.causes])
    vol = np.array([c.voluntary for c in s.causes])
    level = cause_levels(s, levers=True)
    d = (1.0 + s.annual_discount_rate) ** (-1.0 / 12.0)
    v = value_curve(s.value, h)
    pr, ch, contact = s.programs, s.channels, s.contact
    per_month = (
        pr.success.enabled * pr.success.cost
        + contact.contacts_per_month * getattr(ch, contact.channel).cost_per_message
    )
    survey = pr.exit_survey.enabled * getattr(ch, pr.exit_survey.channel).cost_per_message
    onboarding = pr.onboarding.enabled * pr.onboarding.cost
    out = np.zeros((len(s.segments), s.horizon_months))
    for g, seg in enumerate(s.segments):
        ab, m = _beta_of(s, g)
        z = np.ones(1) if ab is None else beta_dist.ppf((np.arange(grid) + 0.5) / grid, *ab) / m
        hz = level[g][:, None] * shapes  # [K, H]
        total = z[:, None] * hz[het].sum(0) + hz[~het].sum(0)  # [grid, H]
        scale = 1.0 / np.maximum(total, 1.0)  # hazards above 1 are scaled to certain exit
        here = np.cumprod(1.0 - np.minimum(total, 1.0), axis=1)
        before = np.concatenate([np.ones((len(z), 1)), here[:, :-1]], axis=1)
        zk = np.where(het[:, None], z[None, :], 1.0)  # [K, grid]
        vol_exits = (before[None] * (zk[..., None] * hz[:, None, :]) * scale[None])[vol].sum(0)
        present = before.mean(axis=0)
        alive = here.mean(axis=0)
        margin = present * (seg.monthly_price * v * seg.gross_margin - seg.cost_to_serve)
        margin -= present * per_month + vol_exits.mean(axis=0) * survey
        margin[0] -= onboarding
        disc = d ** np.arange(h)
        q = d * (alive[-1] / present[-1] if present[-1] > 0 else 0.0)
        tail = margin[-1] * q / (1.0 - q) * disc[-1]
        future = np.cumsum((margin * disc)[::-1])[::-1] + tail
        with np.errstate(divide="ignore", invalid="ignore"):
            out[g] = np.where(present > 0, future / (disc * present), 0.0)[: s.horizon_months]
    return out


def offers_allowed(s: simsrc.Scenario) -> np.ndarray:
    """Whether each offer may be made, ``[G·H, O]``: its segments, and value targeting.

    The offer's cost: ``cost_per_save`` plus the revenue given up at the month's list
    price, ``(1 − price_multiplier) × months`` (a downgrade 12 months, expert help none).

    Parameters
    ----------
    s : Scenario
        The scenario.

    Returns
    -------
    ndarray of bool
        By segment × tenure (flattened) and offer.
    """
    team, h = s.save_team, s.horizon_months
    v = value_curve(s.value, h)
    out = np.ones((len(s.segments), h, len(OFFER_NAMES)), dtype=bool)
    worth = remaining_margin(s) if team.value_threshold > 0 else None
    for o, name in enumerate(OFFER_NAMES):
        offer = team.offer(name)
        months = {"downgrade": 12, "expert_help": 0}.get(name, offer.months)
        for g, seg in enumerate(s.segments):
            if offer.segments and seg.name not in offer.segments:
                out[g, :, o] = False
            elif worth is not None:
                given_up = (1.0 - offer.price_multiplier) * seg.monthly_price * v * months
                out[g, :, o] = worth[g] >= team.value_threshold * (offer.cost_per_save + given_up)
    return out.reshape(-1, len(OFFER_NAMES))


def _recovery(s: simsrc.Scenario) -> np.ndarray:
    """Monthly chance that a late payer is recovered, ``[kind, month of grace]``."""
    dn = s.dunning
    reach = getattr(s.channels, dn.channel).reach
    first = dn.style == "help_first"
    per_read = (
        (dn.help_first_payment, dn.help_first_stuck)
        if first
        else (dn.pay_up_payment, dn.pay_up_stuck)
    )
    per_month = dn.messages / dn.grace_months  # spread evenly over the grace months
    miss = [(1.0 - reach * p) ** per_month for p in per_read]
    out = np.array([[1.0 - miss[0]] * dn.grace_months, [1.0 - miss[1]] * dn.grace_months])
    out[0, 0] = 1.0 - (1.0 - dn.retry_recovery) * miss[0]
    return out


def build(s: simsrc.Scenario) -> Model:
    """The lookup tables of a scenario (see :class:`Model`).

    Parameters
    ----------
    s : Scenario
        The scenario.

    Returns
    -------
    Model
    """
    h, g, k = s.horizon_months, len(s.segments), len(s.causes)
    team = s.save_team
    shapes = np.array([shape_curve(c.shape, h) for c in s.causes])  # [K, H]
    het = np.array([c.heterogeneous for c in s.causes])
    fixable = np.array([c.fixable for c in s.causes])
    preventable = np.array([c.preventable for c in s.causes])
    base = cause_levels(s)[:, None, :] * shapes.T[None, :, :]  # [G, H, K]
    cure = 1.0 - team.expert_help.cure_effect * fixable
    hz = np.stack([base, base * cure, base * ~preventable, np.zeros_like(base)])  # [4, G, H, K]
    v = value_curve(s.value, h)
    price = np.array([seg.monthly_price for seg in s.segments])[:, None] * v[None, :]

    def offer_attr(attr: str) -> np.ndarray:
        return np.array([getattr(team.offer(o), attr) for o in OFFER_NAMES])

    by_segment = [_beta_of(s, g) for g in range(len(s.segments))]
    wb = s.win_back
    return Model(
        h=h,
        g=g,
        k=k,
        causes=s.cause_names,
        share=np.array([seg.share for seg in s.segments]),
        paid=acquisition_curve(s),
        het_sum=hz[..., het].sum(-1).ravel(),
        plain_sum=hz[..., ~het].sum(-1).ravel(),
        by_cause=hz.reshape(-1, k),
        het=het,
        vol=np.array([c.voluntary for c in s.causes]),
        list_price=np.tile(price.ravel(), 4),
        margin=np.array([seg.gross_margin for seg in s.segments]),
        cts=np.array([seg.cost_to_serve for seg in s.segments]),
        cac=np.array([seg.cac for seg in s.segments]),
        mix_cum=np.cumsum(np.array(team.mix, dtype=float).reshape(k, -1), axis=1),
        accept=np.array([team.offer(o).acceptance for o in OFFER_NAMES], dtype=float),
        allowed=offers_allowed(s),
        price_mult=offer_attr("price_multiplier"),
        months=offer_attr("months").astype(int),
        stay=offer_attr("stay_after"),
        cost_per_save=offer_attr("cost_per_save"),
        recover=_recovery(s),
        react=getattr(s.channels, wb.channel).reach * np.array(wb.reactivation, dtype=float),
        beta=[ab for ab, _ in by_segment],
        ref=float(s.heterogeneity.reference_churn or 0.0),
    )


class Customers:
    """The customers with the company: one row each, in parallel arrays.

    ``row`` is ``state × G·H + segment × H − start``, so ``row + t`` indexes the hazard
    and price tables of :class:`Model` at the customer's state, segment and tenure.
    """

    FIELDS = ("z", "seg", "start", "row", "pay", "pop", "offer", "left", "stuck", "grace", "cause")

    def __init__(self, gh: int, h: int) -> None:
        self.gh, self.h = gh, h
        self.z = np.zeros(0)  # propensity to leave (heterogeneous causes)
        self.seg = np.zeros(0, dtype=np.intp)
        self.start = np.zeros(0, dtype=np.intp)  # month of arrival
        self.row = np.zeros(0, dtype=np.intp)
        self.pay = np.zeros(0)  # share of the list price paid
        self.pop = np.zeros(0, dtype=np.int8)  # paying: bit 1 helped, bit 2 downgraded
        self.offer = np.zeros(0, dtype=np.int8)  # held: the offer
        self.left = np.zeros(0, dtype=np.int8)  # held: months left, this one included
        self.stuck = np.zeros(0, dtype=bool)  # in dunning: stuck, not a payment problem
        self.grace = np.zeros(0, dtype=np.int8)  # in dunning: months of grace so far
        self.cause = np.zeros(0, dtype=np.int8)  # in dunning: the failed-payment cause

    def __len__(self) -> int:
        return len(self.z)

    def keep_and_add(
        self, keep: np.ndarray | None, seg: np.ndarray, z: np.ndarray, t: int
    ) -> None:
        """Drop the leavers (``keep`` False) and add customers starting in month ``t``."""
        n = len(seg)
        zeros = np.zeros(n, np.int8)
        row = NORMAL * self.gh + seg * self.h - t
        new = {"z": z, "seg": seg, "start": np.full(n, t), "row": row, "pay": np.ones(n),
               "pop": zeros, "offer": zeros, "left": zeros, "stuck": np.zeros(n, bool),
               "grace": zeros, "cause": zeros}  # fmt: skip
        for f in self.FIELDS:
            old = getattr(self, f)
            setattr(self, f, np.concatenate([old if keep is None else old[keep], new[f]]))

    def move(
        self, idx: np.ndarray, state: int, pop: int = 0, pay: float | np.ndarray = 1.0
    ) -> None:
        """Put customers ``idx`` in a state, with their help/downgrade bits and price paid."""
        self.row[idx] = state * self.gh + self.seg[idx] * self.h - self.start[idx]
        self.pop[idx], self.pay[idx] = pop, pay


class Exits:
    """This month's leavers: who, for which cause (−1: lapsed after an offer), on bad terms."""

    def __init__(self, n: int) -> None:
        self.gone = np.zeros(n, dtype=bool)
        self.bad = np.zeros(n, dtype=bool)
        self.cause = np.full(n, -1, dtype=np.intp)

    def leave(self, idx: np.ndarray, cause: np.ndarray | int = -1, bad: np.ndarray | bool = False):
        """Customers ``idx`` leave at the end of the month."""
        self.gone[idx], self.cause[idx], self.bad[idx] = True, cause, bad


SERIES = (
    "new", "new_paid", "new_referred", "reactivated", "lost_to_word_of_mouth", "billed",
    "active", "churned", "lapsed_after_offer", "cancellation_requests", "save_team_contacts",
    "saves", "in_offer", "paused", "resumed", "helped", "downgraded", "bad_exits", "delinquent",
    "delinquency_onsets", "recovered", "cut_off", "dunning_messages", "win_back_messages",
    "revenue", "gross_margin", "discounts_given", "offer_costs", "messaging_costs",
    "program_costs", "acquisition_cost",
)  # fmt: skip
"""Monthly series of a peer run (plus ``churned_<cause>`` and ``saves_<offer>``)."""


class Run:
    """One random run: the scenario's tables, the generator, the customers and the records."""

    def __init__(self, s: simsrc.Scenario, mdl: Model, seed: int) -> None:
        self.s, self.mdl, self.rng = s, mdl, np.random.default_rng(seed)
        h, g, k = mdl.h, mdl.g, mdl.k
        self.c = Customers(g * h, h)
        self.out = {name: np.zeros(h) for name in (*SERIES, "voluntary_leavers")}
        self.by_cause, self.by_offer = np.zeros((h, k)), np.zeros((h, len(OFFER_NAMES)))
        self.good = np.zeros((h, g, k), np.int64)  # leavers by month, segment and cause
        self.bad = np.zeros((h, g, k), np.int64)  # … on bad terms
        self.lapsed = np.zeros((h, g), np.int64)  # lapsed after an offer, by segment

    def arrive(self, t: int, keep: np.ndarray | None) -> int:
        """Drop last month's leavers; this month's paid, referred and won-back customers join."""
        s, mdl, rng, out, wb = self.s, self.mdl, self.rng, self.out, self.s.win_back
        base = mdl.paid[t] * mdl.share
        bad_prev = out["bad_exits"][t - 1] if t else 0.0
        lost = np.minimum(s.word_of_mouth.lost_per_bad_exit * bad_prev * mdl.share, base)
        paid = rng.poisson(base - lost)
        active_prev = out["active"][t - 1] if t else 0.0
        referred = rng.poisson(s.acquisition.referrals_per_active * active_prev * mdl.share)
        back = np.zeros(mdl.g, dtype=np.int64)
        src = t - wb.delay_months  # leavers of that month get their one message now
        if wb.enabled and src >= 0:
            back += rng.binomial(self.good[src], mdl.react).sum(axis=1)
            back += rng.binomial(self.bad[src], mdl.react * wb.bad_terms_factor).sum(axis=1)
            reach = getattr(s.channels, wb.channel).reach
            back += rng.binomial(self.lapsed[src], reach * wb.after_offer)
            messaged = self.good[src].sum() + self.bad[src].sum() + self.lapsed[src].sum()
            out["win_back_messages"][t] = messaged
        seg = np.repeat(np.arange(mdl.g), paid + referred + back)
        z = np.ones(len(seg))
        for g, ab in enumerate(mdl.beta):
            if ab is not None:
                z[seg == g] = rng.beta(*ab, int((seg == g).sum())) / mdl.ref
        self.c.keep_and_add(keep, seg, z, t)
        out["new_paid"][t], out["new_referred"][t] = paid.sum(), referred.sum()
        out["reactivated"][t], out["new"][t] = back.sum(), len(seg)
        out["lost_to_word_of_mouth"][t] = lost.sum()
        out["acquisition_cost"][t] = paid @ mdl.cac
        return len(seg)

    def bill(self, t: int, idx: np.ndarray, state: np.ndarray, n_new: int) -> None:
        """Everyone present this month: what they pay and cost, and who is in which state."""
        s, mdl, c, out = self.s, self.mdl, self.c, self.out
        price = mdl.list_price[idx]
        paid = np.bincount(c.seg, weights=price * c.pay, minlength=mdl.g)
        out["billed"][t] = n = len(c)
        out["revenue"][t] = paid.sum()
        out["gross_margin"][t] = paid @ mdl.margin - np.bincount(c.seg, minlength=mdl.g) @ mdl.cts
        out["discounts_given"][t] = price @ (1.0 - c.pay) - price[state == DUNNING].sum()
        out["helped"][t], out["in_offer"][t], out["delinquent"][t] = np.bincount(
            state, minlength=4
        )[1:]
        out["downgraded"][t] = np.count_nonzero(c.pop >= 2)
        pr = s.programs
        out["program_costs"][t] = (
            pr.onboarding.enabled * pr.onboarding.cost * n_new
            + pr.success.enabled * pr.success.cost * n
            + pr.service.enabled * pr.service.cost
        )
        contact = s.contact
        out["messaging_costs"][t] = (
            n * contact.contacts_per_month * getattr(s.channels, contact.channel).cost_per_message
        )

    def requests(self, t: int, who: np.ndarray, cause: np.ndarray, exits: Exits) -> None:
        """Cancellation requests of paying customers: the save team and its offers."""
        mdl, rng, c, team, n_o = self.mdl, self.rng, self.c, self.s.save_team, len(OFFER_NAMES)
        m = len(who)
        reached = rng.random(m) < team.coverage
        pick = (rng.random(m)[:, None] >= mdl.mix_cum[cause]).sum(axis=1)  # n_o: no offer
        o = np.minimum(pick, n_o - 1)
        cell = c.seg[who] * mdl.h + t - c.start[who]  # segment and tenure
        offered = reached & (pick < n_o) & mdl.allowed[cell, o]
        saved = offered & (rng.random(m) < mdl.accept[o, cause])
        rude = reached & ~saved & (rng.random(m) < team.rude_share)
        exits.leave(who[~saved], cause[~saved], (~reached | rude)[~saved])
        self.out["cancellation_requests"][t], self.out["save_team_contacts"][t] = m, reached.sum()
        self.by_offer[t] = np.bincount(o[saved], minlength=n_o)
        who, o = who[saved], o[saved]
        helped = who[o == O_HELP]  # expert help and a downgrade compose (bits of pop)
        c.move(helped, HELPED, c.pop[helped] | 1, c.pay[helped])
        down = who[o == O_DOWN]
        c.pop[down] |= 2
        c.pay[down] = team.downgrade.price_multiplier
        hold = IS_HOLD[o]  # held from next month; help and downgrade forgotten
        held, ho = who[hold], o[hold]
        c.move(held, HELD, 0, mdl.price_mult[ho])
        c.offer[held], c.left[held] = ho, mdl.months[ho]

    def failed_payments(self, t: int, who: np.ndarray, cause: np.ndarray, exits: Exits) -> None:
        """Failed payments: in dunning from next month, or gone at once without dunning."""
        dn, c = self.s.dunning, self.c
        if not dn.enabled:
            exits.leave(who, cause)
            return
        self.out["delinquency_onsets"][t] = len(who)
        c.move(who, DUNNING, 0, 0.0)
        c.grace[who], c.cause[who] = 0, cause
        c.stuck[who] = self.rng.random(len(who)) < dn.stuck_share

    def holds(self, t: int, held: np.ndarray, exits: Exits) -> None:
        """Held customers at the start of the month whose offer ends now: stay or lapse."""
        c, out = self.c, self.out
        out["paused"][t] = np.count_nonzero(c.offer[held] == O_PAUSE)
        held = held[~exits.gone[held]]  # leavers for non-preventable causes are gone already
        ending = held[c.left[held] == 1]
        stays = self.rng.random(len(ending)) < self.mdl.stay[c.offer[ending]]
        back, lapse = ending[stays], ending[~stays]
        out["resumed"][t] = np.count_nonzero(c.offer[back] == O_PAUSE)
        out["lapsed_after_offer"][t] = len(lapse)
        np.add.at(self.lapsed[t], c.seg[lapse], 1)
        exits.leave(lapse)
        c.left[held] -= 1
        c.move(back, NORMAL)

    def dunning(self, t: int, late: np.ndarray, exits: Exits) -> None:
        """Late payers at the start of the month: recovered, cut off, or a month further on."""
        dn, c, out = self.s.dunning, self.c, self.out
        out["dunning_messages"][t] = len(late) * dn.messages / dn.grace_months
        rec = (
            self.rng.random(len(late)) < self.mdl.recover[c.stuck[late].astype(int), c.grace[late]]
        )
        ok, late = late[rec], late[~rec]
        out["recovered"][t] = len(ok)
        cut = late[c.grace[late] == dn.grace_months - 1]
        out["cut_off"][t] = len(cut)
        exits.leave(cut, c.cause[cut], dn.style == "pay_up")
        c.grace[late] += 1
        fixed = ok[c.stuck[ok]] if dn.style == "help_first" else ok[:0]
        c.move(ok, NORMAL)
        c.move(fixed, HELPED, 1)  # a stuck customer helped by a person returns helped

    def close(self, t: int, exits: Exits) -> np.ndarray:
        """Count the month's leavers (for win-back, word of mouth, surveys); who stays."""
        mdl, c, out = self.mdl, self.c, self.out
        gone = np.flatnonzero(exits.gone)
        churners = gone[exits.cause[gone] >= 0]
        k, bad = exits.cause[churners], exits.bad[churners]
        self.by_cause[t] = np.bincount(k, minlength=mdl.k)
        cells = c.seg[churners] * mdl.k + k
        size = mdl.g * mdl.k
        self.bad[t] = np.bincount(cells[bad], minlength=size).reshape(mdl.g, mdl.k)
        self.good[t] = np.bincount(cells[~bad], minlength=size).reshape(mdl.g, mdl.k)
        out["bad_exits"][t] = bad.sum()
        out["churned"][t] = len(gone)
        out["voluntary_leavers"][t] = mdl.vol[k].sum()
        out["active"][t] = len(c) - len(gone)
        return ~exits.gone

    def results(self) -> dict[str, np.ndarray]:
        """The monthly series, with the money that follows from the counts."""
        s, out = self.s, self.out
        ch = s.channels
        team, dn, wb, survey = s.save_team, s.dunning, s.win_back, s.programs.exit_survey
        surveyed = out.pop("voluntary_leavers") + out["lapsed_after_offer"]
        out["messaging_costs"] += (
            out["dunning_messages"] * getattr(ch, dn.channel).cost_per_message
            + out["win_back_messages"] * getattr(ch, wb.channel).cost_per_message * wb.enabled
            + surveyed * getattr(ch, survey.channel).cost_per_message * survey.enabled
        )
        out["saves"] = self.by_offer.sum(axis=1)
        out["offer_costs"] = (
            out["save_team_contacts"] * team.cost_per_contact
            + self.by_offer @ self.mdl.cost_per_save
            + out["reactivated"] * wb.cost_per_reactivation
        )
        for i, name in enumerate(self.mdl.causes):
            out[f"churned_{name}"] = self.by_cause[:, i]
        for i, name in enumerate(OFFER_NAMES):
            out[f"saves_{name}"] = self.by_offer[:, i]
        return out


def numpy_peer(
    scenario: simsrc.Scenario, seed: int, *, model: Model | None = None
) -> dict[str, np.ndarray]:
    """One random run of whole customers under the documented rules.

    Parameters
    ----------
    scenario : Scenario
        What to simulate, at its own acquisition volume and horizon.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    model : Model, optional
        The scenario's tables from :func:`build` (built here if not given).

    Returns
    -------
    dict of str to ndarray
        Monthly series over the horizon, named like the columns of
        ``simsrc.simulate(scenario).monthly``: customers (``new``, ``new_paid``,
        ``new_referred``, ``reactivated``, ``lost_to_word_of_mouth``, ``billed``,
        ``active``, ``churned`` — all causes and lapsed offers — ``churned_<cause>``),
        save team (``cancellation_requests``, ``save_team_contacts``, ``saves``,
        ``saves_<offer>``, ``in_offer``, ``paused``, ``resumed``, ``lapsed_after_offer``,
        ``helped``, ``downgraded``, ``bad_exits``), dunning (``delinquent``,
        ``delinquency_onsets``, ``recovered``, ``cut_off``, ``dunning_messages``),
        ``win_back_messages``, and money (``revenue``, ``gross_margin``,
        ``discounts_given``, ``offer_costs``, ``messaging_costs``, ``program_costs``,
        ``acquisition_cost``).

    Examples
    --------
    >>> run = numpy_peer(simsrc.preset("telecom").replace(horizon_months=12), seed=1)
    >>> bool(run["active"][-1] > 0)
    True
    """
    mdl = build(scenario) if model is None else model
    run = Run(scenario, mdl, seed)
    c, rng, gh = run.c, run.rng, mdl.g * mdl.h
    keep = None
    for t in range(mdl.h):
        n_new = run.arrive(t, keep)
        idx = c.row + t  # table index: state, segment, tenure
        state = idx // gh
        run.bill(t, idx, state, n_new)
        # who leaves: one uniform against the summed hazards of the customer's state
        # (paying: all causes, helped lower for fixable ones; held: non-preventable
        # causes only; in dunning: none), then the cause where it falls among them
        total = c.z * mdl.het_sum[idx] + mdl.plain_sum[idx]
        u = rng.random(len(c))
        who = np.flatnonzero(u < total)
        hz = mdl.by_cause[idx[who]] * np.where(mdl.het, c.z[who, None], 1.0)
        cum = np.cumsum(hz, axis=1) / np.maximum(total[who], 1.0)[:, None]
        cause = np.minimum((u[who, None] >= cum).sum(axis=1), mdl.k - 1)
        st = state[who]
        exits = Exits(len(c))
        ask = (st <= HELPED) & mdl.vol[cause]
        fail = (st <= HELPED) & ~mdl.vol[cause]
        exits.leave(who[st == HELD], cause[st == HELD])
        run.requests(t, who[ask], cause[ask], exits)
        run.failed_payments(t, who[fail], cause[fail], exits)
        not_paying = np.flatnonzero(state > HELPED)
        run.holds(t, not_paying[state[not_paying] == HELD], exits)
        run.dunning(t, not_paying[state[not_paying] == DUNNING], exits)
        keep = run.close(t, exits)
    return run.results()


# -- agreement with the engine and timing ----------------------------------------------

MONEY = ("revenue", "gross_margin", "discounts_given", "offer_costs", "messaging_costs",
         "program_costs", "acquisition_cost")  # fmt: skip


def z_scores(runs: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, float]:
    """z = (peer mean − engine) / standard error of the peer mean, by month and for the total.

    A month is judged only when at least half of the seeds saw something in it: rarer
    months (a handful of events over all seeds) make the seeds' standard error too rough
    for a z, and count only in the total.

    Parameters
    ----------
    runs : ndarray [seeds, H]
        One series of each peer run.
    expected : ndarray [H]
        The engine's expected values.

    Returns
    -------
    z : ndarray [H]
        By month (NaN for months not judged).
    z_total : float
        Of the sum over months (NaN if the series is zero in every run and in the engine).
    """
    n = len(runs)

    def z_of(x: np.ndarray, e: np.ndarray) -> np.ndarray:
        se = x.std(axis=0, ddof=1) / np.sqrt(n)
        diff = x.mean(axis=0) - e
        judged = np.count_nonzero(x, axis=0) >= n / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, diff / se, np.where(diff == 0, 0.0, np.inf))
        return np.where(judged, z, np.nan)

    total = z_of(runs.sum(axis=1)[:, None], np.atleast_1d(expected.sum()))
    return z_of(runs, expected), float(total[0])


def agreement(scenario: simsrc.Scenario, seeds: int = 64) -> pd.DataFrame:
    """The peer's runs against the engine's expected values, series by series.

    Parameters
    ----------
    scenario : Scenario
        What to simulate (its own acquisition and horizon).
    seeds : int
        Peer runs (seeds 0 … ``seeds`` − 1).

    Returns
    -------
    pandas.DataFrame
        One row per series: ``worst_z`` (largest |z| over the months judged, NaN if
        none is), ``month`` (where),
        ``total_z``, ``engine_total`` and ``peer_total`` (mean over seeds).
    """
    engine = simsrc.simulate(scenario).monthly
    model = build(scenario)
    runs = [numpy_peer(scenario, seed, model=model) for seed in range(seeds)]
    rows = {}
    for name in runs[0]:
        x = np.array([r[name] for r in runs])
        e = engine[name].to_numpy()
        z, z_total = z_scores(x, e)
        judged = np.isfinite(z) | np.isinf(z)
        worst = int(np.nanargmax(np.abs(z))) if judged.any() else -1
        rows[name] = {
            "worst_z": float(np.abs(z[worst])) if judged.any() else np.nan,
            "month": worst,
            "total_z": z_total,
            "engine_total": float(e.sum()),
            "peer_total": float(x.sum(axis=1).mean()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def every_lever(s: simsrc.Scenario, value_threshold: float = 60.0) -> simsrc.Scenario:
    """The scenario with the levers its preset leaves off switched on as well.

    Cause programs (onboarding, success check-ins, service), exit surveys, help-first
    dunning by SMS, win-back, value targeting at ``value_threshold`` × the offer's cost,
    and the contract offered to the last segment only.

    Parameters
    ----------
    s : Scenario
        A preset, or any scenario with the cause names the programs need.
    value_threshold : float
        Value targeting.

    Returns
    -------
    Scenario
    """
    changes = {
        "programs.onboarding.enabled": True,
        "programs.success.enabled": True,
        "programs.service.enabled": True,
        "programs.exit_survey.enabled": True,
        "dunning.enabled": True,
        "dunning.style": "help_first",
        "dunning.channel": "sms",
        "win_back.enabled": True,
        "save_team.value_threshold": value_threshold,
        "save_team.contract.segments": [s.segment_names[-1]],
    }
    for path, value in changes.items():
        s = s.set(path, value)
    return s.replace(name=f"{s.name} · every lever")


def two_failed_payment_causes(s: simsrc.Scenario) -> simsrc.Scenario:
    """The scenario with a second failed-payment cause, ``card_expired``, won back less often.

    Parameters
    ----------
    s : Scenario
        A scenario whose win-back reactivation is given by cause.

    Returns
    -------
    Scenario
    """
    d = s.to_dict()
    levels = {seg.name: 0.5 * max(c.levels[g] for c in s.causes if not c.voluntary)
              for g, seg in enumerate(s.segments)}  # fmt: skip
    d["causes"].append({"name": "card_expired", "label": "Card expired", "voluntary": False,
                        "levels": levels})  # fmt: skip
    d["win_back"]["reactivation"]["card_expired"] = 0.01
    d["name"] = f"{s.name} · two failed-payment causes"
    return simsrc.Scenario.from_dict(d)


def check_scenarios(customers: float = 20_000, months: int = 60) -> dict[str, simsrc.Scenario]:
    """The scenarios of the agreement table, at ``customers / months`` paid new a month.

    Parameters
    ----------
    customers : float
        Paid new customers over the horizon, before growth and seasonality.
    months : int
        Horizon.

    Returns
    -------
    dict of str to Scenario
        The core model of ``b2b-saas``, every preset with its own levers, and ``b2b-saas``
        and ``telecom`` with every lever on (:func:`every_lever`).
    """

    def scaled(s: simsrc.Scenario) -> simsrc.Scenario:
        return s.replace(horizon_months=months).set(
            "acquisition.new_per_month", customers / months
        )

    b2b = simsrc.preset("b2b-saas")
    out = {"b2b-saas, no levers": scaled(b2b.without_levers())}
    for name in simsrc.list_presets():
        out[name] = scaled(simsrc.preset(name))
    out["b2b-saas, every lever"] = scaled(every_lever(b2b))
    out["telecom, every lever"] = scaled(every_lever(simsrc.preset("telecom"), 10.0))
    return out


def timing(s: simsrc.Scenario, repeats: int = 3) -> tuple[float, float]:
    """Median seconds of one peer run (tables built once, outside the timing).

    Parameters
    ----------
    s : Scenario
        What to run.
    repeats : int
        Runs timed (seeds 0 … ``repeats`` − 1).

    Returns
    -------
    tuple of float
        Median seconds, and the mean number of customers who started.
    """
    model = build(s)
    numpy_peer(s.replace(horizon_months=2), 0)  # warm up
    times, started = [], []
    for seed in range(repeats):
        t0 = time.perf_counter()
        run = numpy_peer(s, seed, model=model)
        times.append(time.perf_counter() - t0)
        started.append(run["new"].sum())
    return statistics.median(times), float(np.mean(started))


def _num(x: float, fmt: str) -> str:
    return format(x, fmt) if np.isfinite(x) or np.isinf(x) else "–".rjust(len(format(0.0, fmt)))


def _print_table(tables: dict[str, pd.DataFrame]) -> None:
    series = list(next(iter(tables.values())).index)
    width = max(len(x) for x in series)
    heads = [label.split(", ") for label in tables]
    for line in range(2):
        cells = [h[line] if line < len(h) else "" for h in heads]
        print(" " * width + "".join(f"{c:>15}" for c in cells))
    for name in series:
        cells = []
        for t in tables.values():
            w, zt = t.loc[name, "worst_z"], t.loc[name, "total_z"]
            flag = "!" if np.nanmax([w, abs(zt), 0.0]) > 4 else " "
            cells.append(f"{_num(w, '5.1f')} /{_num(zt, '+5.1f')}{flag}")
        print(f"{name:<{width}}" + "".join(f"{c:>15}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    """Print the agreement table, the known gaps and the timing of a 100k × 120 run."""
    ap = argparse.ArgumentParser(description="numpy per-customer peer of the simsrc engine")
    ap.add_argument("--seeds", type=int, default=64, help="peer runs per scenario")
    ap.add_argument("--quick", action="store_true", help="8 seeds, for a first look")
    args = ap.parse_args(argv)
    seeds = 8 if args.quick else args.seeds
    scenarios = check_scenarios()
    print(
        f"numpy per-customer peer vs the engine's expected values: {seeds} seeds, "
        "20,000 paid new customers over 60 months (before growth and referrals)"
    )
    print(
        "cell: worst |z| over the months / z of the total  (!: |z| > 4; –: nothing to judge,\n"
        "months where fewer than half of the seeds saw anything count only in the total)\n"
    )
    tables = {label: agreement(s, seeds) for label, s in scenarios.items()}
    _print_table(tables)
    worst = {
        k: np.nanmax([t["worst_z"].max(), t["total_z"].abs().max()]) for k, t in tables.items()
    }
    print("\nworst |z|, month or total: " + ", ".join(f"{k} {v:.1f}" for k, v in worst.items()))

    print("\nwhere the documented rules and the engine part:")
    two = two_failed_payment_causes(scenarios["b2b-saas"])
    print(
        "* two failed-payment causes (b2b-saas + card_expired): the engine counts every "
        "dunning cut-off under the first one, the peer under the customer's own cause:"
    )
    t = agreement(two, seeds)
    for name in ("churned", "churned_involuntary", "churned_card_expired", "reactivated"):
        row = t.loc[name]
        print(
            f"    {name:<20} {row.worst_z:5.1f} /{row.total_z:+6.1f}   engine total "
            f"{row.engine_total:9.1f}  peer {row.peer_total:9.1f}"
        )

    print("\ntiming: one run of b2b-saas at 100,000/120 paid new a month, 120 months")
    full = simsrc.preset("b2b-saas").replace(horizon_months=120)
    full = full.set("acquisition.new_per_month", 100_000 / 120)
    for label, s in (("every lever", every_lever(full)), ("preset levers", full)):
        sec, started = timing(s)
        print(
            f"  {label:<14} {sec:6.3f} s median of 3  "
            f"({started:,.0f} customers started: 1 %/month growth, referrals, win-back)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
