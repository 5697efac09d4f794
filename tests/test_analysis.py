"""The analyses behind lessons and dashboards say what the lessons claim."""

import numpy as np
import pytest

import simsrc
from simsrc.analysis import lessons, offers


def test_halving_churn_approaches_double_only_in_the_long_run():
    t = lessons.halving_churn_table(0.04, (12, 60, 240))
    assert t["revenue_ratio"].is_monotonic_increasing
    assert t["customers_ratio"].is_monotonic_increasing
    # revenue lags customers (it sums the whole path). End-of-month customers after n
    # months: A (1 − c)(1 − (1 − c)^n) / c, heading to A (1 − c) / c: a ratio of about 2.
    assert (t["revenue_ratio"] < t["customers_ratio"]).all()

    def end(c, n=240):
        return (1 - c) * (1 - (1 - c) ** n) / c

    assert t["customers_ratio"].iloc[-1] == pytest.approx(end(0.02) / end(0.04), rel=1e-12)
    assert t["revenue_ratio"].iloc[1] == pytest.approx(1.344, abs=0.001)  # 5 years: +34 %


def test_value_rising_with_tenure_makes_halving_churn_worth_more():
    flat = lessons.halving_churn_table(0.04, (60,))["revenue_ratio"].iloc[0]
    rising = lessons.halving_churn_table(0.04, (60,), year3_uplift=0.67)["revenue_ratio"].iloc[0]
    assert rising > flat


def test_leaky_bucket_fills_to_acquisition_over_churn():
    df = lessons.leaky_bucket(100, 0.05, 240)
    assert df["customers"].iloc[-1] == pytest.approx(2000, rel=1e-4)
    assert (df["customers"] <= df["steady_state"]).all()


@pytest.mark.parametrize("group", ["regular", "high_end"])
def test_naive_projection_misses_what_the_sbg_gets(group):
    df = lessons.naive_vs_sbg(group).set_index("year")
    holdout = df.loc[8:]
    sbg_err = (holdout["sbg"] - holdout["actual"]).abs().max()
    naive_err = (holdout["naive"] - holdout["actual"]).abs().max()
    assert sbg_err < 2.0 < naive_err  # points of survival, years 8–12 (Fader & Hardie 2007)
    assert (holdout["naive"] < holdout["actual"]).all()  # constant churn is too pessimistic


def test_hazards_by_cause_are_level_times_shape():
    s = simsrc.preset("b2b-saas")
    df = lessons.hazards_by_cause(s, segment="standard")
    onboarding = df[df["cause"] == "Ineffective onboarding"]["hazard"].to_numpy()
    assert onboarding[0] == pytest.approx(0.02) and onboarding[2] == pytest.approx(
        0.02 * np.exp(-1)
    )


def test_offer_survival_shows_a_discount_delays_while_help_keeps():
    s = simsrc.preset("b2b-saas")
    df = offers.offer_survival(s, ("discount", "expert_help")).pivot(
        index="tenure", columns="offer", values="survival"
    )
    assert (df["discount"] >= df["none"] - 1e-12).all()
    early = (df["discount"] - df["none"]).loc[3]
    late = (df["discount"] - df["none"]).loc[60]
    assert late < early  # the discount's gain fades: most leave when it ends
    assert (df["expert_help"] - df["none"]).loc[60] > (df["expert_help"] - df["none"]).loc[3]


def test_dunning_matrix_orders_style_and_channel():
    df = lessons.dunning_matrix(simsrc.preset("b2b-saas")).set_index(["style", "channel"])
    r = df["recovery_rate"]
    assert r[("help_first", "sms")] > r[("pay_up", "sms")] > r[("pay_up", "email")]
    assert r[("help_first", "email")] > r[("pay_up", "email")]
    # pay-up cut-offs leave on bad terms; help-first ones do not
    assert df["bad_exits"][("help_first", "email")] < df["bad_exits"][("pay_up", "email")]
