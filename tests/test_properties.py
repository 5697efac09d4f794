"""Property tests (hypothesis): conservation and monotonicity for random scenarios."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simsrc

level = st.floats(0.0, 0.3)
shapes = st.sampled_from(
    [
        {"kind": "flat"},
        {"kind": "early", "months": 2.0},
        {"kind": "hump", "months": 6.0},
        {"kind": "custom", "values": [3.0, 1.0, 0.5]},
    ]
)


@st.composite
def scenarios(draw):
    n_causes = draw(st.integers(1, 4))
    share = draw(st.floats(0.05, 0.95))
    d = {
        "name": "random",
        "horizon_months": draw(st.integers(1, 48)),
        "annual_discount_rate": draw(st.floats(0, 0.3)),
        "acquisition": {
            "new_per_month": draw(st.floats(0, 1e4)),
            "monthly_growth": draw(st.floats(-0.1, 0.1)),
            "referrals_per_active": draw(st.floats(0, 0.02)),
        },
        "segments": [
            {"name": "a", "label": "A", "share": share, "monthly_price": draw(st.floats(0, 500))},
            {"name": "b", "label": "B", "share": 1 - share, "monthly_price": 100.0},
        ],
        "causes": [
            {
                "name": f"c{i}",
                "levels": {"a": draw(level), "b": draw(level)},
                "shape": draw(shapes),
                "heterogeneous": draw(st.booleans()),
            }
            for i in range(n_causes)
        ],
        "heterogeneity": {"spread": draw(st.floats(0, 0.9))},
    }
    return simsrc.Scenario.from_dict(d)


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(scenarios())
def test_conservation_and_nothing_negative(s):
    res = simsrc.simulate(s)
    m = res.monthly
    acquired = m["new"].sum()
    # everyone acquired is active at the end or counted in exactly one cause's outflow
    by_cause = sum(m[f"churned_{c}"].sum() for c in s.cause_names)
    assert np.isclose(acquired, m["active"].iloc[-1] + by_cause, rtol=1e-10, atol=1e-8)
    assert np.allclose(m["churned"], m[[f"churned_{c}" for c in s.cause_names]].sum(axis=1))
    # Rounding when a whole class leaves: allow 1e-12 of the scale the column is computed
    # from (customers, or customers × the largest price: money columns are differences of
    # such products, so a column of zeros can come out as -1e-12).
    people = max(1.0, acquired)
    money = people * max(1.0, *(seg.monthly_price for seg in s.segments))
    for col in ("new", "billed", "active", "churned", "revenue", "mrr"):
        scale = money if col in ("revenue", "mrr") else people
        assert (m[col] >= -1e-12 * max(scale, m[col].abs().max())).all(), col
    assert np.isclose(res.kpis["ending_active"], m["active"].iloc[-1], rtol=1e-10, atol=1e-8)
    assert np.isclose(res.kpis["total_revenue"], m["revenue"].sum(), rtol=1e-10, atol=1e-6)


@fast
@given(scenarios())
def test_zero_churn_keeps_everyone_and_full_churn_keeps_no_one(s):
    kept = simsrc.simulate(s.scale_churn(0.0)).monthly
    assert np.allclose(kept["active"], kept["new"].cumsum(), rtol=1e-12)
    # A population whose mean churn is 1: built afresh (no stored reference), its reference
    # churn is 1 and no Beta distribution with mean 1 has any spread, so all leave.
    d = s.to_dict()
    del d["heterogeneity"]["reference_churn"]
    for c in d["causes"]:
        c["levels"] = {"a": 1.0, "b": 1.0}
        c["shape"] = {"kind": "flat"}
    gone = simsrc.simulate(simsrc.Scenario.from_dict(d)).monthly
    assert np.allclose(gone["active"], 0.0, atol=1e-9)
    assert np.allclose(gone["churned"], gone["new"], rtol=1e-12)


@fast
@given(scenarios(), st.floats(0.0, 1.0))
def test_lowering_churn_never_lowers_revenue_or_customers(s, factor):
    base = simsrc.simulate(s).kpis
    lower = simsrc.simulate(s.scale_churn(factor)).kpis
    assert lower["total_revenue"] >= base["total_revenue"] * (1 - 1e-12) - 1e-9
    assert lower["ending_active"] >= base["ending_active"] * (1 - 1e-12) - 1e-9
