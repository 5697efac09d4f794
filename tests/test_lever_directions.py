"""Directions and economics of the levers test_levers.py leaves out.

Each test compares numbers between scenarios (or against an identity the README states),
so that a lever moving the wrong way, or a cost charged on the wrong base, fails.
"""

import itertools

import numpy as np
import pytest

import simsrc
from simsrc.model.levers import OFFER_NAMES

HORIZON = 36


@pytest.fixture(scope="module")
def base() -> simsrc.Scenario:
    return simsrc.preset("b2b-saas").set("horizon_months", HORIZON)


def quiet(s: simsrc.Scenario, keep: str) -> simsrc.Scenario:
    """``s`` with every messaging lever but ``keep`` off, so messaging cost is ``keep``'s."""
    off = {
        "dunning": ("dunning.enabled", False),
        "win_back": ("win_back.enabled", False),
        "survey": ("programs.exit_survey.enabled", False),
        "contact": ("contact.contacts_per_month", 0.0),
    }
    for name, (path, value) in off.items():
        if name != keep:
            s = s.set(path, value)
    return s


def non_increasing(values) -> bool:
    return all(b <= a + 1e-9 for a, b in itertools.pairwise(values))


def strictly_increasing(values) -> bool:
    return all(b > a for a, b in itertools.pairwise(values))


# -- 1. save-team targeting ------------------------------------------------------------


def test_a_higher_value_threshold_saves_fewer_and_spends_less(base):
    thresholds = (0.0, 5.0, 10.0, 30.0, 100.0)
    runs = [simsrc.simulate(base.set("save_team.value_threshold", k)).monthly for k in thresholds]
    saves = [m["saves"].sum() for m in runs]
    offer_cost = [m["offer_costs"].sum() for m in runs]
    discounts = [m["discounts_given"].sum() for m in runs]
    assert non_increasing(saves) and non_increasing(offer_cost) and non_increasing(discounts)
    assert saves[-1] < 0.5 * saves[0]
    assert offer_cost[-1] < offer_cost[0] and discounts[-1] < 0.1 * discounts[0]
    # "be sparing": offers that give up most margin per save go first — a downgrade gives
    # up 40 % of a year's price, a discount 30 % of three months', expert help costs 300
    kept = {o: runs[3][f"saves_{o}"].sum() / runs[0][f"saves_{o}"].sum() for o in OFFER_NAMES}
    assert kept["downgrade"] < kept["discount"] <= 1.0
    assert kept["downgrade"] < kept["expert_help"]


# A worked example of value targeting as the parameter help and README define it: one
# segment at 100 a month (no value growth), 80 % gross margin, 10 a month to serve,
# everyone alike with 5 % flat churn, 12 % a year discounting.
PRICE, GROSS_MARGIN, SERVE, CHURN, RATE, TARGET_HORIZON = 100.0, 0.8, 10.0, 0.05, 0.12, 24


def targeted(offer: str, threshold: float) -> simsrc.Scenario:
    """Every request reaches the team and gets ``offer`` (accepted half the time)."""
    s = simsrc.simple_scenario(
        monthly_churn=CHURN, monthly_price=PRICE, gross_margin=GROSS_MARGIN,
        horizon_months=TARGET_HORIZON, annual_discount_rate=RATE,
    ).set("segments.all.cost_to_serve", SERVE)  # fmt: skip
    for path, value in (
        ("save_team.coverage", 1.0),
        (f"save_team.mix.churn.{offer}", 1.0),
        (f"save_team.{offer}.acceptance.churn", 0.5),
        ("save_team.discount.cost_per_save", 5.0),
        ("save_team.downgrade.cost_per_save", 20.0),
        ("save_team.expert_help.cost_per_save", 150.0),
        ("save_team.value_threshold", threshold),
    ):
        s = s.set(path, value)
    return s


@pytest.mark.parametrize(
    ("offer", "cost"),
    [
        # the offer's cost: cash per save + the list price given up, (1 − share paid) ×
        # the offer's months (a downgrade: 12 months), undiscounted
        ("discount", 5.0 + (1 - 0.7) * PRICE * 3),  # 3 months at 70 %
        ("free_month", (1 - 0.0) * PRICE * 1),
        ("pause", (1 - 0.0) * PRICE * 3),
        ("contract", (1 - 0.85) * PRICE * 12),
        ("downgrade", 20.0 + (1 - 0.6) * PRICE * 12),
        ("expert_help", 150.0),  # nothing given up: the price stays
    ],
)
def test_value_threshold_switches_an_offer_exactly_at_remaining_margin_over_cost(offer, cost):
    # Expected remaining margin of a customer asking to leave at tenure τ: the discounted
    # monthly margin (price × gross margin − cost to serve) from month τ on, of the
    # segment's customers without levers, Σ_{u=τ}^{H−1} d^(u−τ) S(u)/S(τ) m, plus the
    # months after the horizon at the last month's retention (a geometric tail). With
    # flat churn S(u)/S(τ) = (1 − c)^(u−τ), so at τ = 0:
    d = (1 + RATE) ** (-1 / 12)
    q = d * (1 - CHURN)
    m = PRICE * GROSS_MARGIN - SERVE
    within = sum(q**u * m for u in range(TARGET_HORIZON))
    after = q ** (TARGET_HORIZON - 1) * m * q / (1 - q)
    remaining = within + after
    assert remaining == pytest.approx(m / (1 - q), rel=1e-12)  # the same at every tenure
    switch = remaining / cost
    assert 1 < switch < 100  # inside the parameter's range
    on, off = (
        simsrc.simulate(targeted(offer, k)).monthly[f"saves_{offer}"]
        for k in (switch * (1 - 1e-9), switch * (1 + 1e-9))
    )
    assert (on > 0).all()  # at or just below the switch the offer is made every month
    assert (off == 0).all()  # just above it, never


def test_an_offer_limited_to_one_segment_saves_nobody_in_the_other(base):
    limited = base.set("save_team.discount.segments", ["premium"])
    a, b = simsrc.simulate(base), simsrc.simulate(limited)
    g_std, g_prem = base.segment_index("standard"), base.segment_index("premium")
    d = OFFER_NAMES.index("discount")
    assert a.arrays["saves_by"][g_std, :, d].sum() > 1.0  # standard customers took it before
    assert b.arrays["saves_by"][g_std, :, d].sum() == 0.0
    # premium customers still get it (only acquisition feedbacks differ, slightly)
    assert b.arrays["saves_by"][g_prem, :, d].sum() == pytest.approx(
        a.arrays["saves_by"][g_prem, :, d].sum(), rel=1e-3
    )
    assert b.monthly["saves_discount"].sum() < a.monthly["saves_discount"].sum()


# -- 2. cause programs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "cause", "basis"),
    [
        ("onboarding", "onboarding", "new"),  # cost per new customer
        ("success", "success_dropoff", "billed"),  # per customer and month
        ("service", "poor_service", "month"),  # per month
    ],
)
def test_a_cause_program_lowers_its_cause_and_costs_what_it_says(base, program, cause, basis):
    on = base.set(f"programs.{program}.enabled", True)
    ra, rb = simsrc.simulate(base), simsrc.simulate(on)
    a, b = ra.monthly, rb.monthly
    prog = getattr(on.programs, program)
    # month 0: everyone is new, so the cause's requests and leavers fall by the effect
    # exactly; other causes are untouched
    for col in (f"requests_{cause}", f"churned_{cause}"):
        assert b[col].iloc[0] == pytest.approx((1 - prog.effect) * a[col].iloc[0], rel=1e-12)
    assert b["churned_natural_events"].iloc[0] == pytest.approx(
        a["churned_natural_events"].iloc[0], rel=1e-12
    )
    assert b[f"churned_{cause}"].sum() < 0.8 * a[f"churned_{cause}"].sum()
    # the cost, on its documented base
    expected = prog.cost * (b[basis] if basis != "month" else np.ones(HORIZON))
    np.testing.assert_allclose(b["program_costs"], expected, rtol=1e-12)
    assert a["program_costs"].sum() == 0.0
    # total retention cost rises by about that much (other costs move only a little)
    rise = rb.kpis["total_retention_cost"] - ra.kpis["total_retention_cost"]
    assert rise == pytest.approx(b["program_costs"].sum(), rel=0.02)


# -- 3. exit surveys ---------------------------------------------------------------------

RESPONSES = [f"survey_responses_{c}" for c in simsrc.preset("b2b-saas").cause_names]


def test_exit_survey_answers_by_reason_scale_with_response_rate_and_reach(base):
    runs = {
        (ch, rr): simsrc.simulate(
            base.set("programs.exit_survey.channel", ch).set(
                "programs.exit_survey.response_rate", rr
            )
        ).monthly
        for ch, rr in (("email", 0.15), ("email", 0.3), ("sms", 0.3))
    }
    m = runs["email", 0.3]
    assert (m[RESPONSES].to_numpy() >= 0).all()
    # answers by reason = voluntary leavers for that reason × read × answered
    reach = base.channels.email.reach
    for cause in base.causes:
        expected = m[f"churned_{cause.name}"] * reach * 0.3 if cause.voluntary else 0.0
        np.testing.assert_allclose(m[f"survey_responses_{cause.name}"], expected, rtol=1e-12)
    # surveys are information only: the customers are the same, so answers scale exactly
    np.testing.assert_allclose(runs["email", 0.15][RESPONSES], 0.5 * m[RESPONSES], rtol=1e-12)
    np.testing.assert_allclose(
        runs["sms", 0.3][RESPONSES],
        m[RESPONSES] * base.channels.sms.reach / base.channels.email.reach,
        rtol=1e-12,
    )
    off = simsrc.simulate(base.set("programs.exit_survey.enabled", False)).monthly
    assert off[RESPONSES].to_numpy().sum() == 0.0
    np.testing.assert_allclose(off["churned"], m["churned"], rtol=1e-12)


def test_exit_survey_costs_one_message_per_surveyed_leaver(base):
    s = quiet(base, keep="survey")
    on, off = simsrc.simulate(s).monthly, simsrc.simulate(quiet(base, keep="none")).monthly
    voluntary = [f"churned_{c.name}" for c in s.causes if c.voluntary]
    # leavers for a voluntary reason and customers lapsing after an offer are surveyed
    messages = on[voluntary].sum(axis=1) + on["lapsed_after_offer"]
    np.testing.assert_allclose(
        on["messaging_costs"], messages * s.channels.email.cost_per_message, rtol=1e-9
    )
    assert off["messaging_costs"].sum() == 0.0


def test_every_surveyed_leaver_can_answer(base):
    s = quiet(base, keep="survey")
    m = simsrc.simulate(s).monthly
    ch = s.channels.email
    messages = m["messaging_costs"] / ch.cost_per_message
    # those who lapse when an offer ends answer too, in a group of their own
    assert m["survey_responses_after_offer"].sum() > 0
    answered = m[[*RESPONSES, "survey_responses_after_offer"]].sum(axis=1)
    # the share of surveyed leavers who answer is reach × response rate
    np.testing.assert_allclose(
        answered, messages * ch.reach * s.programs.exit_survey.response_rate, rtol=1e-6
    )


def test_late_payers_cut_off_are_not_surveyed(base):
    # The documented choice: a customer cut off for not paying left for a known reason,
    # so gets no survey message and gives no answer (voluntary leavers and lapsers do).
    s = quiet(base, keep="survey").set("dunning.enabled", True)
    m = simsrc.simulate(s).monthly
    (invol,) = (c.name for c in s.causes if not c.voluntary)
    assert m["cut_off"].sum() > 100  # plenty of involuntary leavers …
    np.testing.assert_allclose(m[f"churned_{invol}"], m["cut_off"], rtol=1e-12)
    assert (m[f"survey_responses_{invol}"] == 0).all()  # … and not one answer from them
    # nor a message: survey messages are the voluntary leavers and the lapsers only
    per_message = {ch: getattr(s.channels, ch).cost_per_message for ch in ("email", "sms")}
    dunning_cost = m["dunning_messages"] * per_message[s.dunning.channel]
    survey_cost = per_message[s.programs.exit_survey.channel]
    survey_messages = (m["messaging_costs"] - dunning_cost) / survey_cost
    voluntary = [f"churned_{c.name}" for c in s.causes if c.voluntary]
    np.testing.assert_allclose(
        survey_messages, m[voluntary].sum(axis=1) + m["lapsed_after_offer"], rtol=1e-9
    )


# -- 4. contact policy -------------------------------------------------------------------


def test_value_contacts_damp_success_dropoff(base):
    s = base.set("contact.promotional_share", 0.2)  # at 20 % promotion: no push effect
    contacts = (0.0, 1.0, 4.0, 8.0)
    runs = [simsrc.simulate(s.set("contact.contacts_per_month", c)).monthly for c in contacts]
    totals = [m["churned_success_dropoff"].sum() for m in runs]
    assert totals == sorted(totals, reverse=True) and totals[-1] < 0.7 * totals[0]
    for c, m in zip(contacts, runs, strict=True):
        # month 0: hazard / (1 + damping × value contacts); pushing too hard unchanged
        damp = 1 + s.contact.value_damping * c * 0.8
        assert m["churned_success_dropoff"].iloc[0] == pytest.approx(
            runs[0]["churned_success_dropoff"].iloc[0] / damp, rel=1e-12
        )
        assert m["churned_pushing_too_hard"].iloc[0] == pytest.approx(
            runs[0]["churned_pushing_too_hard"].iloc[0], rel=1e-12
        )
    # fewer promotional contacts at the same volume: more value contacts, less drop-off
    by_share = [
        simsrc.simulate(
            s.set("contact.contacts_per_month", 4.0).set("contact.promotional_share", p)
        )
        .monthly["churned_success_dropoff"]
        .sum()
        for p in (0.0, 0.1, 0.2)
    ]
    assert strictly_increasing(by_share)


def test_contacts_cost_one_message_per_customer_contact(base):
    s = quiet(base, keep="contact").set("contact.contacts_per_month", 4.0)
    m = simsrc.simulate(s).monthly
    expected = m["billed"] * 4.0 * s.channels.email.cost_per_message
    np.testing.assert_allclose(m["messaging_costs"], expected, rtol=1e-12)


# -- 5. dunning channel ------------------------------------------------------------------


@pytest.mark.parametrize("style", ["pay_up", "help_first"])
def test_sms_dunning_costs_its_own_price_per_message_and_recovers_more(base, style):
    s = quiet(base, keep="dunning").set("dunning.style", style)
    runs = {ch: simsrc.simulate(s.set("dunning.channel", ch)) for ch in ("email", "sms")}
    for ch, r in runs.items():
        m = r.monthly
        cost = getattr(s.channels, ch).cost_per_message
        np.testing.assert_allclose(m["messaging_costs"], m["dunning_messages"] * cost, rtol=1e-12)
        # one grace month: every late payer gets all four reminders
        np.testing.assert_allclose(m["dunning_messages"], 4 * m["delinquent"], rtol=1e-12)
    email, sms = runs["email"], runs["sms"]
    ratio = s.channels.sms.cost_per_message / s.channels.email.cost_per_message
    per_msg = lambda r: r.monthly["messaging_costs"].sum() / r.monthly["dunning_messages"].sum()  # noqa: E731
    assert per_msg(sms) == pytest.approx(ratio * per_msg(email), rel=1e-12)
    # SMS is read far more often: more late payers recovered, fewer cut off
    assert sms.kpis["recovery_rate"] > 1.5 * email.kpis["recovery_rate"]
    assert sms.monthly["recovered"].sum() > email.monthly["recovered"].sum()
    assert sms.monthly["cut_off"].sum() < email.monthly["cut_off"].sum()


# -- 6. contract offer -------------------------------------------------------------------


def contract_business(acceptance: float) -> simsrc.Scenario:
    """Everyone alike; price churn 5 % (contract offered), moving 2 % (nobody can stop it)."""
    d = simsrc.simple_scenario(monthly_churn=0.0, horizon_months=HORIZON).to_dict()
    d["causes"] = [
        {"name": "price", "levels": 0.05, "shape": {"kind": "flat"}},
        {"name": "moving", "levels": 0.02, "preventable": False, "heterogeneous": False},
    ]
    d["heterogeneity"] = {"spread": 0.0}
    d["save_team"] = {
        "coverage": 1.0,
        "mix": {"price": {"contract": 1.0}},
        "contract": {"months": 12, "price_multiplier": 0.85, "stay_after": 1.0,
                     "acceptance": {"price": acceptance}},
    }  # fmt: skip
    return simsrc.Scenario.from_dict(d)


def test_customers_on_a_contract_only_leave_for_causes_nobody_can_prevent():
    m = simsrc.simulate(contract_business(0.5)).monthly
    m0 = simsrc.simulate(contract_business(0.0)).monthly
    paying = m["billed"] - m["in_offer"]
    assert m["in_offer"].iloc[12] > 0.1 * m["billed"].iloc[12]
    # held customers never ask to leave; moving acts on everyone, held or not
    np.testing.assert_allclose(m["requests_price"], 0.05 * paying, rtol=1e-12)
    np.testing.assert_allclose(m["churned_moving"], 0.02 * m["billed"], rtol=1e-12)
    # so a saved customer is held for 12 months with only the 2 % moving hazard
    saves = m["saves_contract"].to_numpy()
    held = [sum(saves[u] * 0.98 ** (t - 1 - u) for u in range(max(0, t - 12), t))
            for t in range(HORIZON)]  # fmt: skip
    np.testing.assert_allclose(m["in_offer"], held, rtol=1e-12, atol=1e-12)
    assert m["lapsed_after_offer"].sum() == 0.0  # stay_after = 1
    # and pays 85 % of the price meanwhile
    np.testing.assert_allclose(m["discounts_given"], 15.0 * m["in_offer"], rtol=1e-9)
    assert m["churned_price"].sum() < 0.6 * m0["churned_price"].sum()


def test_a_contract_for_price_shoppers_cuts_their_churn_in_the_preset(base):
    s = (
        base.set("save_team.mix.price_competitor.discount", 0.0)
        .set("save_team.mix.price_competitor.downgrade", 0.0)
        .set("save_team.mix.price_competitor.contract", 1.0)
    )
    none = s.set("save_team.contract.acceptance.price_competitor", 0.0)
    on = s.set("save_team.contract.acceptance.price_competitor", 1.0)
    a, b = simsrc.simulate(none).monthly, simsrc.simulate(on).monthly
    assert a["in_offer"].sum() < b["in_offer"].sum()
    # during the first contract term, fewer price-competitor leavers (held ones can't leave)
    assert (
        b["churned_price_competitor"].iloc[1:13].sum()
        < a["churned_price_competitor"].iloc[1:13].sum()
    )
    assert b["churned_price_competitor"].sum() < 0.5 * a["churned_price_competitor"].sum()


# -- 7. win-back and word of mouth -------------------------------------------------------


def test_win_back_charges_every_message_and_sms_reaches_more(base):
    s = quiet(base, keep="win_back")
    delay = s.win_back.delay_months
    runs = {ch: simsrc.simulate(s.set("win_back.channel", ch)).monthly for ch in ("email", "sms")}
    for ch, m in runs.items():
        # one message to every leaver, ``delay`` months later, at the channel's price
        np.testing.assert_allclose(
            m["win_back_messages"].iloc[delay:].to_numpy(),
            m["churned"].iloc[:-delay].to_numpy(),
            rtol=1e-12,
        )
        assert m["win_back_messages"].iloc[:delay].sum() == 0.0
        np.testing.assert_allclose(
            m["messaging_costs"],
            m["win_back_messages"] * getattr(s.channels, ch).cost_per_message,
            rtol=1e-12,
        )
    # until the first won-back customers leave again, reactivations scale with reach
    email, sms = runs["email"], runs["sms"]
    reach_ratio = s.channels.sms.reach / s.channels.email.reach
    np.testing.assert_allclose(
        sms["reactivated"].iloc[delay : 2 * delay],
        reach_ratio * email["reactivated"].iloc[delay : 2 * delay],
        rtol=1e-9,
    )
    assert sms["reactivated"].sum() > email["reactivated"].sum()
    assert sms["messaging_costs"].sum() > email["messaging_costs"].sum()
    # messaging sooner reaches more leavers within the horizon, so it costs more
    costs = [simsrc.simulate(s.set("win_back.delay_months", d)).monthly["messaging_costs"].sum()
             for d in (6, 3, 1)]  # fmt: skip
    assert strictly_increasing(costs)


def test_win_back_offer_cost_is_charged_per_customer_who_comes_back(base):
    s = base.set("win_back.cost_per_reactivation", 100.0)
    a = simsrc.simulate(s).monthly
    b = simsrc.simulate(s.set("win_back.cost_per_reactivation", 250.0)).monthly
    assert a["reactivated"].sum() > 1.0
    np.testing.assert_allclose(a["reactivated"], b["reactivated"], rtol=1e-12)
    np.testing.assert_allclose(
        b["offer_costs"] - a["offer_costs"], 150.0 * a["reactivated"], rtol=1e-9, atol=1e-9
    )


def test_only_badly_handled_exits_cost_new_customers_by_word_of_mouth(base):
    # everyone reached, nobody refused rudely, help-first dunning: no exit is handled badly
    good = (
        base.set("save_team.coverage", 1.0)
        .set("save_team.rude_share", 0.0)
        .set("dunning.style", "help_first")
    )
    paid_base = base.acquisition.new_per_month * (
        1 + base.acquisition.monthly_growth
    ) ** np.arange(HORIZON)
    for s, has_bad in ((good, False), (base, True), (good.set("save_team.rude_share", 1.0), True)):
        m = simsrc.simulate(s).monthly
        m0 = simsrc.simulate(s.set("word_of_mouth.lost_per_bad_exit", 0.0)).monthly
        np.testing.assert_allclose(m0["new_paid"], paid_base, rtol=1e-12)
        # next month's paid acquisition loses lost_per_bad_exit per bad exit
        lost = s.word_of_mouth.lost_per_bad_exit * m["bad_exits"].shift(1, fill_value=0.0)
        np.testing.assert_allclose(m["lost_to_word_of_mouth"], lost, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(m["new_paid"], paid_base - lost, rtol=1e-9)
        if has_bad:
            assert m["bad_exits"].sum() > 100.0
            assert m["new_paid"].sum() < m0["new_paid"].sum() - 10.0
        else:
            assert m["bad_exits"].sum() == 0.0
            np.testing.assert_allclose(m["new_paid"], m0["new_paid"], rtol=1e-12)


# -- 8. acceptance -----------------------------------------------------------------------


@pytest.mark.parametrize("offer", OFFER_NAMES)
def test_higher_acceptance_saves_more_with_that_offer(base, offer):
    acceptance = dict(zip(base.cause_names, base.save_team.offer(offer).acceptance, strict=True))
    assert any(a > 0 for a in acceptance.values())
    saves = []
    for factor in (0.0, 0.5, 1.0, 1.5):
        s = base
        for cause, a in acceptance.items():
            if a > 0:
                s = s.set(f"save_team.{offer}.acceptance.{cause}", min(1.0, a * factor))
        saves.append(simsrc.simulate(s).monthly[f"saves_{offer}"].sum())
    assert saves[0] == 0.0
    assert strictly_increasing(saves)


# -- 9. churn of one segment ------------------------------------------------------------


def test_scaling_one_segments_churn_changes_only_that_segment(base):
    scaled = base.scale_churn(0.5, segment="premium")
    g = base.segment_index("premium")
    for c0, c1 in zip(base.causes, scaled.causes, strict=True):
        for i, (lo, hi) in enumerate(zip(c0.levels, c1.levels, strict=True)):
            assert hi == (0.5 * lo if i == g else lo), (c0.name, i)
    d0, d1 = base.to_dict(full=True), scaled.to_dict(full=True)
    assert {k for k in d0 if d0[k] != d1[k]} == {"name", "causes"}
    assert scaled.heterogeneity == base.heterogeneity  # the same customers
    # standard customers' survival is untouched; premium customers stay longer
    r0, r1 = simsrc.simulate(base), simsrc.simulate(scaled)
    np.testing.assert_allclose(r1.survival["standard"], r0.survival["standard"], rtol=1e-12)
    assert (r1.survival["premium"].iloc[1:] > r0.survival["premium"].iloc[1:]).all()
    seg0, seg1 = r0.by_segment.groupby("segment"), r1.by_segment.groupby("segment")
    churn0, churn1 = seg0["churned"].sum(), seg1["churned"].sum()
    assert churn1["premium"] < 0.6 * churn0["premium"]
    # standard leavers differ only through acquisition feedbacks (referrals, win-back)
    assert churn1["standard"] == pytest.approx(churn0["standard"], rel=2e-3)
