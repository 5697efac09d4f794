"""Planning a test of one lever: sized from the scenario, checked by simulation."""

import functools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import simsrc
from simsrc.analysis.experiment import MAX_TEST_MONTHS, simulate_power
from simsrc.model.levers import OFFER_NAMES
from simsrc.ui import cli

CHANGE = "save_team.discount.acceptance.price_competitor=+0.05"


@functools.cache
def _app():
    return simsrc.preset("consumer-app")


@functools.cache
def _plan():
    return simsrc.plan_experiment(_app(), CHANGE)


def test_a_reason_specific_offer_is_tested_on_that_reasons_requests():
    s, plan = _app(), _plan()
    c = s.cause_names.index("price_competitor")
    acceptance = [s.get(f"save_team.{o}.acceptance.price_competitor") for o in OFFER_NAMES]
    saved = sum(m * a for m, a in zip(s.save_team.mix[c], acceptance, strict=True))
    assert plan.rate_control == pytest.approx(saved, abs=1e-12)  # mix × acceptance
    assert plan.rate_test == pytest.approx(saved + 0.05 * s.save_team.mix[c][0], abs=1e-12)
    assert plan.value == pytest.approx(0.55) and plan.cause == "price_competitor"
    last = simsrc.simulate(s).monthly.iloc[-12:]
    reach = last["save_team_contacts"].sum() / last["cancellation_requests"].sum()
    assert plan.monthly_volume == pytest.approx(reach * last["requests_price_competitor"].mean())


def test_the_sample_size_is_the_two_proportion_formula():
    plan = _plan()
    h = 2 * math.asin(math.sqrt(plan.rate_test)) - 2 * math.asin(math.sqrt(plan.rate_control))
    z = norm.ppf(1 - plan.alpha / 2) + norm.ppf(plan.power)
    # Cohen's h: each arm's 2·asin(√p̂) has variance 1/n, their difference 2/n
    assert abs(plan.per_arm - math.ceil(2 * (z / h) ** 2)) <= 1
    assert plan.months == pytest.approx(2 * plan.per_arm / plan.monthly_volume)


def test_waiting_costs_the_gain_one_month_later():
    s, plan = _app(), _plan()
    kpis = simsrc.compare(s, plan.test).loc["npv_with_base"]
    assert plan.npv_gain == pytest.approx(kpis[plan.test.name] - kpis[s.name])
    monthly = (1 + s.annual_discount_rate) ** (-1 / 12)
    assert plan.npv_per_month_of_delay == pytest.approx(plan.npv_gain * (1 - monthly))


def test_the_planned_power_is_what_random_runs_achieve():
    sim = simulate_power(_plan(), runs=300, seed=11)
    assert sim.months == math.ceil(_plan().months)
    # the formula's power for the units those months bring, within Monte Carlo error
    assert abs(sim.achieved - sim.expected) < 3 * sim.standard_error + 0.01
    assert 0.6 < sim.expected < 0.9


def test_dunning_and_coverage_changes_use_their_own_funnels():
    dunning = simsrc.plan_experiment(_app(), "dunning.pay_up_payment=+0.05")
    assert dunning.unit == "late payers entering dunning"
    coverage = simsrc.plan_experiment(_app(), "save_team.coverage=1.0")
    assert (coverage.unit, coverage.metric) == ("cancellation requests", "share saved")
    assert coverage.rate_test > coverage.rate_control


def test_a_change_too_small_to_test_says_how_long_it_would_take():
    with pytest.raises(simsrc.ScenarioError, match=r"^change: .* take [\d,]+ months at"):
        simsrc.plan_experiment(simsrc.preset("b2b-saas"), CHANGE)
    assert MAX_TEST_MONTHS == 36


@settings(max_examples=40, deadline=None)
@given(
    change=st.one_of(
        st.text(max_size=30).filter(lambda t: "=" not in t),
        st.sampled_from(["acquisition.new_per_month=+5", "horizon_months=24",
                         "segments.standard.monthly_price=99", "=0.1", "save_team.nope=1",
                         "save_team.coverage=2", "save_team.coverage=nan",
                         "dunning.help_first_payment=+0.1"]),
    )
)  # fmt: skip
def test_a_bad_change_is_one_clear_error_naming_it(change):
    with pytest.raises(simsrc.ScenarioError, match=r"^(change|save_team)"):
        simsrc.plan_experiment(_app(), change)


@given(
    alpha=st.one_of(st.floats(max_value=0.0), st.floats(min_value=0.5, exclude_min=True),
                    st.just(math.nan)),
)  # fmt: skip
def test_alpha_out_of_range_is_refused(alpha):
    with pytest.raises(simsrc.ScenarioError, match=r"^alpha"):
        simsrc.plan_experiment(_app(), CHANGE, alpha=alpha)


def test_the_command_line_plans_and_refuses(capsys):
    assert cli.main(["plan", "consumer-app", "--change", CHANGE]) == 0
    out = capsys.readouterr().out
    plan = _plan()
    assert f"{plan.per_arm:,} per arm" in out and f"{plan.months:.1f} months" in out
    assert cli.main(["plan", "b2b-saas", "--change", "acquisition.new_per_month=+5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("simsrc: error: change:") and err.count("\n") == 1


def test_a_whole_test_arm_is_planned_on_the_lever_it_changes():
    s = _app()
    arm = s.set("save_team.mix.price_competitor.discount", 0.0).set(
        "save_team.mix.price_competitor.pause", 0.6
    )
    plan = simsrc.plan_experiment(s, arm.replace(name="pause for price"), max_months=math.inf)
    assert (plan.path, plan.metric) == ("save_team", "save rate")
    last = simsrc.simulate(arm).monthly.iloc[-12:]
    assert plan.rate_test == pytest.approx(last["saves"].sum() / last["save_team_contacts"].sum())
    assert "Testing 'pause for price'" in plan.summary()
    with pytest.raises(simsrc.ScenarioError, match=r"^change: a test arm must differ"):
        simsrc.plan_experiment(s, s.halve_churn())


def test_edge_inputs_get_clear_answers():
    quiet = _app()
    for cause in quiet.cause_names:
        if quiet.cause(cause).voluntary:
            quiet = quiet.scale_churn(0.0, cause=cause)
    with pytest.raises(simsrc.ScenarioError, match=r"^change: .*nobody to test on"):
        simsrc.plan_experiment(quiet, CHANGE)
    from simsrc.analysis.experiment import parse_change

    assert parse_change("win_back.enabled=true") == ("win_back.enabled", "set", True)
    assert simsrc.plan_experiment(_app(), CHANGE, power=0.5).per_arm < _plan().per_arm
    for bad in (math.nan, 0, -3):
        with pytest.raises(simsrc.ScenarioError, match=r"^max_months"):
            simsrc.plan_experiment(_app(), CHANGE, max_months=bad)


def test_the_offer_mix_dashboard_words_each_untestable_case():
    from simsrc.analysis.experiment import UntestableError
    from simsrc.ui.dashboard.offer_mix import test_text

    app = _app()
    more = app.set("save_team.discount.acceptance.price_competitor", 0.9)
    assert "requests on each mix" in test_text(app, more)
    # the same mix: the save rate cannot move
    said = test_text(app, app.set("save_team.cost_per_contact", 1.0))
    assert "cannot tell them apart" in said
    # no save team: nobody to test on, said as such (not "saves as many")
    off = app.set("save_team.coverage", 0.0)
    with pytest.raises(UntestableError) as err:
        simsrc.plan_experiment(off, off.set("save_team.discount.acceptance.price_competitor", 0.9))
    assert err.value.why == "nobody"
    said = test_text(off, off.set("save_team.discount.acceptance.price_competitor", 0.9))
    assert said == "How long to test it: no cancellation request reaches the save team."
    # any other refusal is shown with its reason
    two = app.set("win_back.enabled", not app.win_back.enabled).set("save_team.coverage", 0.5)
    other = test_text(app, two)
    assert other.startswith("How long to test it: it cannot be planned here (")
