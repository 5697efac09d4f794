"""Stochastic runs of the core model: unbiased against the engine, reproducible, chunkable."""

import numpy as np
import pytest

import simsrc
from simsrc.engine import core_path, pack
from simsrc.stochastic import (
    class_probabilities,
    simulate_runs,
    simulate_stochastic,
)


def core(name: str, horizon: int = 24) -> simsrc.Scenario:
    return simsrc.preset(name).without_levers().replace(horizon_months=horizon)


@pytest.mark.parametrize("name", ["telecom", "consumer-app"])
def test_mean_within_four_standard_errors_of_the_engine(name):
    s = core(name)
    res = simulate_stochastic(s, runs=200, seed=11)
    expected = simsrc.simulate(s).monthly
    for series in ("active", "churned", "revenue", "mrr"):
        x = res.totals(series)
        se = x.std(axis=0, ddof=1) / np.sqrt(len(x))
        gap = np.abs(x.mean(axis=0) - expected[series].to_numpy())
        assert (gap <= 4 * se + 1e-9).all(), series
        np.testing.assert_allclose(res.bands[series]["mean"], x.mean(axis=0))


def test_class_probabilities_reproduce_the_engine_survival():
    s = core("b2b-saas", 36).set("heterogeneity.spread", 0.8)
    p = pack([s])
    probs = class_probabilities(p)  # [G, H, J, K+1]
    stay = probs[..., -1]
    surv = np.concatenate([np.ones_like(stay[:, :1]), np.cumprod(stay, axis=1)[:, :-1]], axis=1)
    present = (surv * p.w[0][None, None, :]).sum(axis=-1)  # [G, H]
    np.testing.assert_allclose(present, core_path(p)["present"][0], rtol=1e-12)


def test_capped_hazards_are_scaled_like_the_engine():
    s = core("consumer-app", 12).scale_churn(8.0)
    p = pack([s])
    probs = class_probabilities(p)
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0)
    stay = probs[..., -1]
    surv = np.concatenate([np.ones_like(stay[:, :1]), np.cumprod(stay, axis=1)[:, :-1]], axis=1)
    present = (surv * p.w[0][None, None, :]).sum(axis=-1)
    np.testing.assert_allclose(present, core_path(p)["present"][0], rtol=1e-12, atol=1e-15)


def test_same_seed_identical_and_chunking_invariant():
    s = core("telecom", 12)
    a = simulate_stochastic(s, runs=100, seed=42)
    b = simulate_stochastic(s, runs=100, seed=42, chunk_size=50)
    c = simulate_stochastic(s, runs=100, seed=42, chunk_size=7)
    halves = [simulate_runs(s, a.entropy, 0, 50), simulate_runs(s, a.entropy, 50, 100)]
    for name in a.runs:
        np.testing.assert_array_equal(a.runs[name], b.runs[name])
        np.testing.assert_array_equal(a.runs[name], c.runs[name])
        np.testing.assert_array_equal(a.runs[name], np.concatenate([h[name] for h in halves]))
        assert a.bands[name].equals(b.bands[name])
    d = simulate_stochastic(s, runs=100, seed=43)
    assert not np.array_equal(a.runs["active"], d.runs["active"])
    # the first 30 runs of a 100-run simulation are the 30 runs of a 30-run one
    e = simulate_stochastic(s, runs=30, seed=42)
    np.testing.assert_array_equal(e.runs["revenue"], a.runs["revenue"][:30])


def test_without_seed_the_entropy_reproduces():
    s = core("telecom", 6)
    a = simulate_stochastic(s, runs=5)
    b = simulate_stochastic(s, runs=5, seed=a.entropy)
    np.testing.assert_array_equal(a.runs["active"], b.runs["active"])


def test_bands_ordered_and_counts_are_whole():
    res = simulate_stochastic(core("consumer-app", 12), runs=50, seed=3)
    for band in res.bands.values():
        assert (band["p10"] <= band["p50"]).all() and (band["p50"] <= band["p90"]).all()
    for name in ("new", "active", "churned"):
        np.testing.assert_array_equal(res.runs[name], np.round(res.runs[name]))
    # conservation per run: acquired = active at the end + churned so far
    acquired = res.runs["new"].sum(axis=(1, 2))
    churned = res.runs["churned"].sum(axis=(1, 2))
    np.testing.assert_array_equal(acquired, res.runs["active"][:, :, -1].sum(axis=1) + churned)


def test_levers_are_refused():
    with pytest.raises(simsrc.ScenarioError, match="without_levers"):
        simulate_stochastic(simsrc.preset("b2b-saas"), runs=2, seed=1)
    with pytest.raises(ValueError, match="positive integer"):
        simulate_stochastic(core("telecom", 6), runs=0)
