"""Engine consistency: one code path for single runs and batches, closed forms vs months."""

import numpy as np
import pandas as pd
import pytest

import simsrc
from simsrc.engine.pack import pack


def test_batch_equals_single_runs():
    base = simsrc.preset("b2b-saas")
    variants = [
        base,
        base.halve_churn(),
        base.set("acquisition.referrals_per_active", 0.01),
        base.set("heterogeneity.spread", 0.0),
    ]
    batch = simsrc.simulate_batch(variants, roi=True, base_value=True).kpis
    for i, s in enumerate(variants):
        single = pd.Series(simsrc.simulate(s).kpis)
        np.testing.assert_allclose(batch.iloc[i][single.index], single, rtol=1e-12)
    plain = simsrc.simulate_batch(variants).kpis  # the base is valued only when asked
    assert plain["ending_base_value"].isna().all() and plain["npv_with_base"].isna().all()


def test_batch_monthly_arrays_match_single():
    base = simsrc.preset("telecom")
    out = simsrc.simulate_batch([base, base.halve_churn()], monthly=True)
    res = simsrc.simulate(base.halve_churn())
    np.testing.assert_allclose(out.arrays["revenue"][1].sum(axis=0), res.monthly["revenue"])


def test_kpis_in_closed_form_equal_sums_of_monthly_rows():
    res = simsrc.simulate(simsrc.preset("consumer-app"))
    m, k, s = res.monthly, res.kpis, res.scenario
    d = (1 + s.annual_discount_rate) ** (-m["month"] / 12)
    assert k["npv"] == pytest.approx((m["contribution"] * d).sum(), rel=1e-12)
    assert k["total_revenue"] == pytest.approx(m["revenue"].sum(), rel=1e-12)
    assert k["total_acquisition_cost"] == pytest.approx(m["acquisition_cost"].sum(), rel=1e-12)
    assert k["ending_mrr"] == pytest.approx(m["mrr"].iloc[-1], rel=1e-12)
    assert k["total_churned"] == pytest.approx(m["churned"].sum(), rel=1e-12)
    assert k["avg_monthly_churn"] == pytest.approx(m["churned"].sum() / m["billed"].sum())
    assert m["cumulative_revenue"].iloc[-1] == pytest.approx(k["total_revenue"], rel=1e-12)


def test_referrals_feed_back_into_acquisition():
    base = simsrc.preset("b2b-saas").set("acquisition.referrals_per_active", 0.0)
    ref = base.set("acquisition.referrals_per_active", 0.01)
    m0, m1 = simsrc.simulate(base).monthly, simsrc.simulate(ref).monthly
    assert (m0["new_referred"] == 0).all()
    # referrals in month t are 1 % of those active at the end of month t − 1
    np.testing.assert_allclose(
        m1["new_referred"].iloc[1:], 0.01 * m1["active"].iloc[:-1], rtol=1e-12
    )
    assert m1["active"].iloc[-1] > m0["active"].iloc[-1]


def test_seasonality_is_rescaled_to_mean_one():
    s = simsrc.preset("consumer-app").without_levers()  # no word-of-mouth losses
    m = simsrc.simulate(s.replace(horizon_months=24)).monthly
    assert m["new_paid"].iloc[:12].mean() == pytest.approx(s.acquisition.new_per_month)
    assert m["new_paid"].iloc[0] / m["new_paid"].iloc[5] == pytest.approx(1.6 / 0.8)


def test_churn_falls_with_tenure_when_customers_differ():
    s = simsrc.simple_scenario(monthly_churn=0.05, spread=0.6, horizon_months=36)
    surv = simsrc.simulate(s).survival["all"].to_numpy()
    hazard = 1 - surv[1:] / surv[:-1]
    assert hazard[0] == pytest.approx(0.05, rel=1e-9) and np.all(np.diff(hazard) < 0)


def test_cohort_survival_matrix_is_a_triangle_of_the_survival_curve():
    res = simsrc.simulate(simsrc.preset("b2b-saas").replace(horizon_months=12))
    mat = res.cohort_survival
    assert mat.shape == (12, 13)
    np.testing.assert_allclose(mat.iloc[0].to_numpy(), res.survival["all"].to_numpy())
    assert np.isnan(mat.iloc[11, 2]) and not np.isnan(mat.iloc[11, 1])


def test_results_are_frozen_and_carry_their_scenario():
    s = simsrc.preset("telecom")
    res = simsrc.simulate(s)
    assert res.scenario is s
    with pytest.raises(AttributeError):
        res.scenario = s  # type: ignore[misc]
    with pytest.raises(TypeError):
        res.kpis["npv"] = 0.0  # type: ignore[index]


def test_mixed_structures_cannot_share_a_batch():
    with pytest.raises(simsrc.ScenarioError, match="same horizon, segments and causes"):
        pack([simsrc.preset("b2b-saas"), simsrc.preset("telecom")])


def test_compare_table_and_tidy_form():
    base = simsrc.preset("b2b-saas")
    table = simsrc.compare(base, base.halve_churn())
    row = table.loc["total_revenue"]
    assert row["Δ"] == pytest.approx(row["b2b-saas · halve churn"] - row["b2b-saas"])
    assert row["Δ %"] == pytest.approx(100 * row["Δ"] / row["b2b-saas"])
    tidy = simsrc.compare(base, base.halve_churn(), simsrc.preset("telecom"), tidy=True)
    assert set(tidy["scenario"]) == {"b2b-saas", "b2b-saas · halve churn", "telecom"}
    own = tidy.query("scenario == 'b2b-saas'")
    assert (own["delta"].dropna() == 0).all()
    assert own["delta"].isna().equals(own["value"].isna())  # undefined KPIs stay undefined


def test_halving_churn_over_a_finite_horizon_is_less_than_double():
    # The often-quoted "halve churn → twice the revenue" is a steady-state statement; over five
    # years from a standing start, with value rising with tenure, the tool shows the gap.
    base = simsrc.simple_scenario(monthly_churn=0.04, horizon_months=60)
    ratio = (
        simsrc.simulate(base.halve_churn()).kpis["total_revenue"]
        / simsrc.simulate(base).kpis["total_revenue"]
    )
    # Σ_t (1 − 0.98^(t+1))/0.02 over Σ_t (1 − 0.96^(t+1))/0.04, t < 60: exact value
    t = np.arange(60)
    expected = ((1 - 0.98 ** (t + 1)) / 0.02).sum() / ((1 - 0.96 ** (t + 1)) / 0.04).sum()
    assert ratio == pytest.approx(expected, rel=1e-12)
    assert 1.2 < ratio < 1.5


def test_referral_renewal_equation_equals_month_by_month_arrivals():
    """The compiled renewal loop gives the referral rule written out month by month."""
    from simsrc.engine.calendar import convolve, inflow
    from simsrc.engine.cohorts import cohort_path

    for name in ("b2b-saas", "consumer-app"):
        s = simsrc.preset(name).without_levers().set("acquisition.referrals_per_active", 0.02)
        p = pack([s, s.set("acquisition.referrals_per_active", 0.005)])
        path = cohort_path(p)
        got = inflow(p, path)
        new = p.paid_new[:, None, :] * p.share[:, :, None]
        for t in range(1, p.horizon):  # referred = r × active(t − 1), split by share
            active = convolve(new, path["active"])[:, :, t - 1].sum(axis=1)
            new[:, :, t] += (p.referral * active)[:, None] * p.share
        np.testing.assert_allclose(got.new, new, rtol=1e-12)
        assert got.referred.sum() > 0
