"""Random-count runs: unbiased against the expected values, reproducible, whole customers."""

import numpy as np
import pytest

import simsrc
from simsrc.engine.calendar import convolve
from simsrc.engine.core import core_path
from simsrc.engine.money import money_series
from simsrc.engine.pack import pack
from simsrc.results import stochastic
from simsrc.results.expected import _kpis, _monthly_arrays, _run
from simsrc.results.kpis import OLD_COHORT_SERIES, kpis_from_monthly
from simsrc.results.stochastic import (
    _CORE_ZEROS,
    _MONEY,
    BLOCK,
    _block_streams,
    _CohortExits,
    _linear_money,
    block_size,
    simulate_block,
    simulate_stochastic,
)

MONTHLY = (
    "new", "active", "billed", "churned", "revenue", "mrr", "gross_margin",
    "cancellation_requests", "saves", "saves_discount", "saves_pause", "in_offer", "paused",
    "resumed", "lapsed_after_offer", "delinquent", "recovered", "cut_off", "reactivated",
    "discounts_given", "offer_costs", "messaging_costs", "program_costs", "bad_exits",
)  # fmt: skip
KPIS = (
    "total_revenue", "npv", "ending_active", "ending_mrr", "total_churned", "save_rate",
    "cost_per_save", "recovery_rate", "involuntary_share", "nrr_last_12m",
)  # fmt: skip


def with_levers(name: str, horizon: int = 24) -> simsrc.Scenario:
    """A preset with every lever on: save team (pause in the mix), dunning, win-back."""
    s = simsrc.preset(name).replace(horizon_months=horizon)
    s = s.set("save_team.mix.natural_events.pause", 0.6).set("win_back.enabled", True)
    return s.set("dunning.enabled", True)


def assert_unbiased(res: simsrc.StochasticResult, columns, kpis) -> None:
    """Every mean within 4 standard errors of the expected value.

    The standard error has a floor of sqrt(expected / runs), the Poisson error, so that
    a rare flow whose runs are all zero (e.g. pauses in the first months) still counts.
    """
    n = res.n_runs
    expected = res.expected.monthly
    for col in columns:
        x = res.runs_monthly[col]
        e = expected[col].to_numpy()
        se = np.maximum(x.std(axis=0, ddof=1) / np.sqrt(n), np.sqrt(np.abs(e) / n))
        gap = np.abs(x.mean(axis=0) - e)
        assert (gap <= 4 * se + 1e-9).all(), (col, float((gap / np.maximum(se, 1e-12)).max()))
    bands = res.kpi_bands
    for kpi in kpis:
        row = bands.loc[kpi]
        assert abs(row["mean"] - row["expected"]) <= 4 * row["std_error"] + 1e-9, kpi


@pytest.mark.parametrize("name", ["telecom", "consumer-app"])
def test_core_model_mean_within_four_standard_errors(name):
    s = simsrc.preset(name).without_levers().replace(horizon_months=24)
    res = simsrc.simulate(s, stochastic=True, runs=300, seed=11)
    kpis = [k for k in KPIS if k not in ("save_rate", "cost_per_save", "recovery_rate")]
    assert_unbiased(res, ("new", "active", "churned", "revenue", "mrr", "gross_margin"),
                    (*kpis, "grr_last_12m"))  # fmt: skip
    for cause in s.cause_names:
        assert_unbiased(res, (f"churned_{cause}",), ())


def test_core_model_unbiased_when_leavers_outnumber_cells(monkeypatch):
    """The other exact path: leavers split over tenures, then each tenure over causes."""
    monkeypatch.setattr(stochastic, "CATEGORICAL", 0.0)
    s = simsrc.preset("telecom").without_levers().replace(horizon_months=24)
    res = simsrc.simulate(s, stochastic=True, runs=300, seed=12)
    assert_unbiased(res, ("active", "churned", "revenue"), ("npv", "total_churned"))
    for cause in s.cause_names:
        assert_unbiased(res, (f"churned_{cause}",), ())


@pytest.mark.parametrize("path", ["_one_by_one", "_by_tenure"])
def test_cohort_exits_are_the_cohort_multinomial(path):
    """Leavers by (tenure, cause): mean N·p and variance N·p·(1 − p) per cell, either path."""
    s = simsrc.preset("telecom").without_levers().replace(horizon_months=12)
    core = core_path(pack([s]))
    rng = np.random.default_rng(7)
    exits = _CohortExits(core["churned"][0], core["active"][0], rng)
    n, runs, size = 9, 4000, 300
    new = np.full((runs, len(s.segments)), size, dtype=np.int64)
    leaving = exits.cum[:, n * len(s.causes) - 1]
    p_leave = leaving / (leaving + exits.stay_past[:, n - 1])
    leavers = rng.binomial(new, p_leave[None, :])
    if path == "_one_by_one":
        by_cause, leave = exits._one_by_one(leavers, n)
    else:
        by_cause, leave = exits._by_tenure(leavers, n)
    assert by_cause.shape == (n, runs, len(s.segments), len(s.causes))
    np.testing.assert_array_equal(by_cause.sum(axis=-1), leave)
    np.testing.assert_array_equal(leave.sum(axis=0), leavers)
    cell = np.clip(core["churned"][0][:, :n], 0.0, None)  # [G, n, K]
    p_cell = cell / (cell.sum(axis=(1, 2)) + exits.stay_past[:, n - 1])[:, None, None]
    expected = size * np.moveaxis(p_cell, 1, 0)  # [n, G, K]
    mean = by_cause.mean(axis=1)
    se = np.sqrt(size * np.moveaxis(p_cell * (1 - p_cell), 1, 0) / runs)
    # cells expecting ten leavers or more over the runs: a rarer one's mean is Poisson,
    # not normal (one leaver in 4,000 runs is a z of 8)
    seen = expected * runs >= 10
    z = (mean - expected)[seen] / se[seen]
    # the z-scores look standard normal (their spread, their extreme)
    assert 0.85 < np.sqrt((z**2).mean()) < 1.15 and np.abs(z).max() < 5, z
    var = by_cause.var(axis=1, ddof=1)
    busy = expected > 5  # variance ratio is well estimated where cells are not tiny
    ratio = var[busy] / (size * np.moveaxis(p_cell * (1 - p_cell), 1, 0)[busy])
    assert np.abs(ratio - 1).max() < 0.15, float(np.abs(ratio - 1).max())


def test_threads_give_the_same_runs():
    for s in (simsrc.preset("telecom").replace(horizon_months=12), with_levers("b2b-saas", 12)):
        one = simulate_stochastic(s, runs=BLOCK + 5, seed=21, threads=1)
        two = simulate_stochastic(s, runs=BLOCK + 5, seed=21, threads=2)
        for col in ("active", "revenue", "churned"):
            np.testing.assert_array_equal(one.runs_monthly[col], two.runs_monthly[col])
        assert one.kpis.equals(two.kpis)


@pytest.mark.parametrize("name", ["b2b-saas", "telecom"])
def test_levers_mean_within_four_standard_errors(name):
    s = with_levers(name)
    res = simsrc.simulate(s, stochastic=True, runs=150, seed=5)
    assert res.runs_monthly["saves_pause"].sum() > 0 and res.runs_monthly["cut_off"].sum() > 0
    assert_unbiased(res, MONTHLY, KPIS)


def test_referrals_and_word_of_mouth_feed_back_in_random_runs():
    s = with_levers("consumer-app", 18).set("acquisition.referrals_per_active", 0.01)
    s = s.set("word_of_mouth.lost_per_bad_exit", 0.2)
    res = simulate_stochastic(s, runs=150, seed=8)
    assert res.runs_monthly["new_referred"].sum() > 0
    assert res.runs_monthly["lost_to_word_of_mouth"].sum() > 0
    assert_unbiased(res, ("new_referred", "new_paid", "active", "revenue"), ("npv",))


def assert_whole_and_conserved(res: simsrc.StochasticResult, columns=("new", "active")) -> None:
    """Whole, non-negative counts; everyone acquired is still active or has left, exactly."""
    m = res.runs_monthly
    for col in (*columns, "churned"):
        np.testing.assert_array_equal(m[col], np.round(m[col]))
        assert (m[col] >= 0).all()
    # everyone acquired is active at the end or left (causes and lapsed offers)
    acquired = m["new"].sum(axis=1)
    np.testing.assert_array_equal(acquired, m["active"][:, -1] + m["churned"].sum(axis=1))
    # and month by month: active = active before + new − churned (whole numbers below
    # 2**53 add exactly in float64, however large)
    prev = np.concatenate([np.zeros((res.n_runs, 1)), m["active"][:, :-1]], axis=1)
    np.testing.assert_array_equal(m["active"], prev + m["new"] - m["churned"])


def test_whole_customers_and_conservation_in_every_run():
    res = simulate_stochastic(with_levers("b2b-saas", 18), runs=40, seed=3)
    assert_whole_and_conserved(res, ("new", "active", "saves", "paused", "cut_off", "reactivated"))


def test_same_seed_same_runs_and_blocks_are_independent_units():
    s = with_levers("telecom", 12)
    a = simulate_stochastic(s, runs=30, seed=42)
    b = simulate_stochastic(s, runs=30, seed=42)
    for col in ("active", "revenue", "saves"):
        np.testing.assert_array_equal(a.runs_monthly[col], b.runs_monthly[col])
    assert a.kpis.equals(b.kpis)
    c = simulate_stochastic(s, runs=30, seed=43)
    assert not np.array_equal(a.runs_monthly["active"], c.runs_monthly["active"])
    # a run depends only on the seed and its block: blocks simulated on their own (as a
    # worker would, in any order) give the same runs
    runs = BLOCK + 7
    whole = simulate_stochastic(s, runs=runs, seed=9)
    parts = [
        simulate_block(s, size, ss)
        for size, ss in reversed(_block_streams(whole.seed, runs, block_size(s)))
    ]
    active = np.concatenate([p.a["active"] for p in reversed(parts)])
    np.testing.assert_array_equal(active, whole.runs_monthly["active"])


def test_without_seed_the_recorded_seed_reproduces():
    s = simsrc.preset("telecom").replace(horizon_months=6)
    a = simulate_stochastic(s, runs=5)
    b = simulate_stochastic(s, runs=5, seed=a.seed)
    np.testing.assert_array_equal(a.runs_monthly["active"], b.runs_monthly["active"])


def test_bands_are_ordered_and_carry_the_expected_values():
    res = simulate_stochastic(with_levers("consumer-app", 12), runs=40, seed=3)
    band = res.band("revenue")
    assert (band["p10"] <= band["p50"]).all() and (band["p50"] <= band["p90"]).all()
    np.testing.assert_allclose(band["expected"], res.expected.monthly["revenue"])
    tidy = res.monthly_bands
    assert set(tidy["series"]) == set(res.expected.monthly.columns) - {"month"}
    kb = res.kpi_bands.dropna(subset=["p10"])  # GRR/NRR need 13 months
    assert len(kb) > 15 and (kb["p10"] <= kb["p90"] + 1e-9).all()
    # per-customer expected values are the same in every run
    assert res.kpis["clv_per_customer"].nunique() == 1
    with pytest.raises(KeyError, match="no monthly column"):
        res.band("revenu")


def test_calendar_kpis_equal_the_closed_form_kpis():
    """kpis_from_monthly (used for random runs) is the engine's KPI definition."""
    for name in simsrc.list_presets():
        for s in (simsrc.preset(name), with_levers(name, 30)):
            p = pack([s])
            r = _run(p)
            closed = _kpis(r)
            arrays = {k: v.sum(axis=1) for k, v in _monthly_arrays(r).items()}
            t0 = s.horizon_months - 13
            old_new = r.new.copy()
            old_new[:, :, t0 + 1 :] = 0.0
            old = {k: convolve(old_new, r.kern[k]).sum(axis=1) for k in OLD_COHORT_SERIES}
            calendar = kpis_from_monthly(p, arrays, old)
            for kpi, value in calendar.items():
                np.testing.assert_allclose(value, closed[kpi], rtol=1e-9, err_msg=kpi)


def test_core_money_tables_are_the_money_series():
    """Without levers money is linear in the counts: the tables reproduce money_series."""
    s = simsrc.preset("b2b-saas").without_levers().set("win_back.enabled", True)
    p = pack([s])
    names = tuple(n for n in _MONEY if n not in _CORE_ZEROS)
    tables = _linear_money(p, names)
    rng = np.random.default_rng(0)
    h, g, k = s.horizon_months, len(s.segments), len(s.causes)
    present = rng.integers(0, 50, (1, g, h)).astype(float)
    active = np.minimum(present, rng.integers(0, 50, (1, g, h)))
    churned = rng.integers(0, 3, (1, g, h, k)).astype(float)
    messaged = rng.integers(0, 4, (1, g, h)).astype(float)
    lp = p.price[:, :, None] * p.value[:, None, :]
    prev = np.concatenate([lp[..., :1], lp[..., :-1]], axis=-1)
    zero = np.zeros((1, g, h))
    path = {n: zero for n in _MONEY}
    path.update(present=present, active=active, revenue_units=present, churned=churned,
                discount_units=zero, offer_cash=zero, dunning_messages=zero, lapsed=zero,
                bad_exits=(churned * p.voluntary[0]).sum(axis=-1))  # fmt: skip
    direct = money_series(p, path, lp, prev, np.arange(h) == 0, messaged)
    linear = (
        np.einsum("gt,mgt->mgt", present[0], tables["present"])
        + np.einsum("gt,mgt->mgt", active[0], tables["active"])
        + np.einsum("gtk,mgtk->mgt", churned[0], tables["churned"])
        + np.einsum("gt,mgt->mgt", messaged[0], tables["messaged"])
    )
    for i, name in enumerate(names):
        np.testing.assert_allclose(linear[i], direct[name][0], rtol=1e-12, atol=1e-9)


def test_bad_arguments_are_refused():
    # wrong values ValueError, wrong types TypeError (bool is not a number); every
    # keyword is covered in tests/test_api_arguments.py
    s = simsrc.preset("telecom").replace(horizon_months=6)
    for runs, error in ((0, ValueError), (-3, ValueError), (100_001, ValueError),
                        (True, TypeError), (2.5, TypeError)):  # fmt: skip
        with pytest.raises(error, match="runs must be a whole number from 1 to 100,000"):
            simulate_stochastic(s, runs=runs)  # type: ignore[arg-type]
    for threads, error in ((0, ValueError), (-1, ValueError), (True, TypeError),
                           (1.5, TypeError)):  # fmt: skip
        with pytest.raises(error, match="threads must be a whole number from 1 to 1,024"):
            simulate_stochastic(s, runs=2, threads=threads)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Counts too large for whole numbers: refused up front, just below runs exactly
# --------------------------------------------------------------------------------------


def fast_growing(horizon: int) -> simsrc.Scenario:
    """1e7 new customers in month 0 growing 15 % a month (both within documented ranges)."""
    s = simsrc.preset("b2b-saas").without_levers().replace(horizon_months=horizon)
    return s.set("acquisition.new_per_month", 1e7).set("acquisition.monthly_growth", 0.15)


def test_random_runs_refuse_counts_beyond_exact_whole_numbers_up_front(monkeypatch):
    # 1e7 × 1.15^239 ≈ 3.3e21 new customers in the last month: beyond int64 (9.2e18),
    # where numpy's draws used to fail with "negative dimensions are not allowed".
    s = fast_growing(240)
    drawn = []
    monkeypatch.setattr(stochastic, "simulate_block", lambda *a: drawn.append(a))
    with pytest.raises(simsrc.ScenarioError) as info:
        simsrc.simulate(s, stochastic=True, runs=2, seed=1)
    message = str(info.value)
    assert info.value.path == "acquisition"
    assert "at most 1e+12 new customers a month" in message
    # 1e7 × 1.15^83 = 1.1e12 is the first month over the limit (plus referrals)
    assert "expects 1.1e+12 in month 83" in message
    for field in ("acquisition.new_per_month", "acquisition.monthly_growth", "stochastic=False"):
        assert field in message
    assert drawn == []  # refused before any block was drawn


def test_expected_values_of_the_refused_scenario_are_finite():
    res = simsrc.simulate(fast_growing(240))
    m = res.monthly.drop(columns=["gross_mrr_churn", "net_mrr_churn"])  # 0/0 in month 0
    assert np.isfinite(m.to_numpy(dtype=float)).all()
    assert np.isfinite(res.monthly[["gross_mrr_churn", "net_mrr_churn"]].iloc[1:]).all().all()
    # 1e7 · Σ 1.15^t over 240 months ≈ 2.5e22 acquired
    assert res.kpis["total_acquired"] == pytest.approx(1e7 * (1.15**240 - 1) / 0.15, rel=0.01)
    assert res.kpis["ending_active"] > 1e21


def test_just_under_the_limit_random_runs_keep_exact_whole_counts():
    # The same business one month shorter: its busiest month expects 9.5e11 customers.
    s = fast_growing(83)
    expected = simsrc.simulate(s).monthly["new"]
    assert 0.9 * stochastic.MAX_NEW_PER_MONTH < expected.max() < stochastic.MAX_NEW_PER_MONTH
    res = simsrc.simulate(s, stochastic=True, runs=3, seed=5)
    assert_whole_and_conserved(res)
    m = res.runs_monthly
    assert m["active"].max() > 6e12  # far beyond float32 or int32: the counts are big
    # the runs follow the expected values (relative noise ~ 1/sqrt(count))
    np.testing.assert_allclose(m["new"][:, -1], expected.iloc[-1], rtol=1e-4)
    np.testing.assert_allclose(res.kpis["ending_active"], res.expected.kpis["ending_active"],
                               rtol=1e-4)  # fmt: skip


def test_a_block_drawn_directly_refuses_counts_beyond_exact_whole_numbers():
    # simulate_block (a dask worker's unit) skips the up-front check; the cast is guarded.
    s = fast_growing(240)
    with pytest.raises(simsrc.ScenarioError, match="beyond exact whole numbers"):
        simulate_block(s, 2, np.random.SeedSequence(1))
    np.testing.assert_array_equal(stochastic.whole_counts(np.array([3.0, 2.0**53 - 1])),
                                  [3, 2**53 - 1])  # fmt: skip


def test_dask_gives_the_same_runs():
    distributed = pytest.importorskip("distributed")
    s = with_levers("telecom", 12)
    local = simulate_stochastic(s, runs=BLOCK + 3, seed=4)
    with (
        distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = simulate_stochastic(s, runs=BLOCK + 3, seed=4, engine="dask", client=client)
    for col in ("active", "revenue", "saves", "cut_off"):
        np.testing.assert_array_equal(remote.runs_monthly[col], local.runs_monthly[col])
    assert remote.kpis.equals(local.kpis)
    with pytest.raises(ValueError, match="engine must be"):
        simulate_stochastic(s, runs=2, engine="spark")  # type: ignore[arg-type]
