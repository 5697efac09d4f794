"""Tier 2: the standard metric definitions of [benchmarks] (docs/sources.md) on worked examples."""

import numpy as np
import pytest

import simsrc
from simsrc.results import metrics


def test_mrr_churn_worked_example():
    # Brief: start MRR 100, churned 10, contraction 10, expansion 10 → gross 20 %, net 10 %.
    assert metrics.gross_mrr_churn(100.0, 10.0, 10.0) == pytest.approx(0.20)
    assert metrics.net_mrr_churn(100.0, 10.0, 10.0, 10.0) == pytest.approx(0.10)
    assert metrics.grr(100.0, 10.0, 10.0) == pytest.approx(0.80)
    assert metrics.nrr(100.0, 10.0, 10.0, 10.0) == pytest.approx(0.90)
    assert metrics.net_mrr_churn(100.0, 10.0, 10.0, 10.0, 5.0) == pytest.approx(0.05)


def test_simple_ltv_worked_example():
    # Brief: ARPA 100 at 5 % monthly churn → simple LTV 2,000.
    assert metrics.simple_ltv(100.0, 0.05) == pytest.approx(2000.0)
    assert metrics.simple_ltv(100.0, 0.05, 0.8) == pytest.approx(1600.0)


def test_cac_payback():
    assert metrics.cac_payback_months(1200.0, 100.0, 0.8) == pytest.approx(15.0)
    res = simsrc.simulate(simsrc.preset("telecom"))
    s = res.scenario
    arpa_margin = sum(g.share * g.monthly_price * g.gross_margin for g in s.segments)
    cac = sum(g.share * g.cac for g in s.segments)
    assert res.kpis["cac_payback_months"] == pytest.approx(cac / arpa_margin, rel=1e-12)


def test_monthly_mrr_bridge_holds():
    # mrr[t] = mrr[t−1] + new + expansion − contraction − churned, every month.
    s = simsrc.preset("b2b-saas").set("value.contraction_rate", 0.02)
    m = simsrc.simulate(s).monthly
    bridge = (
        m["mrr"].shift(1, fill_value=0.0)
        + m["new_mrr"]
        + m["expansion_mrr"]
        - m["contraction_mrr"]
        - m["churned_mrr"]
    )
    np.testing.assert_allclose(m["mrr"], bridge, rtol=1e-10)
    assert m["contraction_mrr"].iloc[40] > 0


def test_grr_nrr_match_their_definitions_on_monthly_figures():
    # Without churn and with 1 % expansion a month, customers existing at month H−13 grow
    # their MRR by (1.01)^12 over the year: NRR = 1.01^12, GRR = 1.
    s = (
        simsrc.preset("b2b-saas")
        .scale_churn(0.0)
        .replace(value=simsrc.ValueGrowth(year3_uplift=0.0, expansion_rate=0.01))
    )
    k = simsrc.simulate(s).kpis
    assert k["nrr_last_12m"] == pytest.approx(1.01**12, rel=1e-12)
    assert k["grr_last_12m"] == pytest.approx(1.0, abs=1e-12)
    m = simsrc.simulate(s).monthly
    np.testing.assert_allclose(m["gross_mrr_churn"].iloc[1:], 0.0, atol=1e-12)
