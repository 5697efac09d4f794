"""Scale benchmark: random cohort counts against a SimPy per-customer peer; Monte Carlo;
sweeps locally and on dask.

Run with ``python benchmarks/scale.py`` (``make bench-scale``). Prints

1. **peer agreement** — the same scenario (acquisition, churn causes, save team with
   discount, free month, expert help, downgrade, contract and pause offers) simulated by
   the expected-value engine, by the engine's random counts
   (``simulate(..., stochastic=True)``) and by a SimPy discrete-event simulation with
   one process per customer; means are compared in standard errors;
2. **peer speed** at 100,000 customers × 120 months: one SimPy run against random runs
   of the engine (``--peer-customers`` to change the size);
3. **Monte Carlo**: 1,000 random runs of a 100,000-customer, 120-month scenario, in this
   process and on a dask ``LocalCluster`` with two worker processes;
4. **sweeps**: throughput of :func:`simsrc.analysis.sweep.sweep` (``--sweep 1000000`` for the
   million-scenario figure), locally and on the same cluster, with the parallel
   efficiency.

Machines here are shared and noisy (2 cores): read medians and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import simsrc
from simsrc.analysis.sweep import sweep
from simsrc.engine.core import core_path
from simsrc.engine.pack import DOWNGRADE, DOWNGRADED, HELP, HELPED, HOLD_INDEX, NORMAL, pack
from simsrc.engine.stepped import lever_setup
from simsrc.model.levers import OFFER_NAMES
from simsrc.results.parallel import cores
from simsrc.results.stochastic import simulate_stochastic

SERIES = ("active", "revenue", "churned", "saves", "paused")


def peer_scenario(customers: int, horizon: int) -> simsrc.Scenario:
    """b2b-saas with its save team only: no dunning, win-back, programs or referrals."""
    s = simsrc.preset("b2b-saas").replace(horizon_months=horizon)
    for path, value in (
        ("dunning.enabled", False),
        ("win_back.enabled", False),
        ("programs.onboarding.enabled", False),
        ("programs.success.enabled", False),
        ("programs.service.enabled", False),
        ("programs.exit_survey.enabled", False),
        ("contact.contacts_per_month", 0),
        ("word_of_mouth.lost_per_bad_exit", 0),
        ("acquisition.referrals_per_active", 0),
        ("acquisition.monthly_growth", 0),
        ("save_team.value_threshold", 0),
        ("save_team.mix.natural_events.pause", 0.6),
        ("acquisition.new_per_month", customers / horizon),
    ):
        s = s.set(path, value)
    return s


def simpy_peer(s: simsrc.Scenario, seed: int) -> dict[str, np.ndarray]:
    """One run of the scenario with one SimPy process per customer.

    Written from the model's description, customer by customer: each month a customer
    pays, may leave for one of the causes (hazard level × shape by tenure × the
    customer's own propensity), voluntary leavers ask to cancel and may be saved by an
    offer (held for its months — only non-preventable causes act — then back, or gone;
    expert help lowers the fixable causes; a downgrade pays less; the two compose). Only
    the hazard and offer tables come from the engine's packed inputs.
    """
    import simpy

    p = pack([s])
    c = lever_setup(p, core_path(p))
    h, n_g, k = p.horizon, p.share.shape[1], len(p.causes)
    j_n = p.z.shape[2]
    hz = c.hz[0]  # [G, H, K]
    zk = c.zk[0]  # [G, J, K]
    mult = c.levers.pop_mult[0]  # [P, K]: normal, helped, downgraded, both
    nonprev = c.levers.nonprev[0]  # [K]
    vol = p.voluntary[0]
    sf = c.sf[0]  # [G, H, K, O]
    lv = p.levers
    months = lv.months[0].astype(int)
    price_mult = lv.price_multiplier[0]
    stay_after = lv.stay_after[0]
    down = float(price_mult[DOWNGRADE])
    pop_price = [1.0, 1.0, down, down]  # by population: the cheaper plan in bit DOWNGRADED
    list_price = (p.price[0][:, None] * p.value[0][None, :]).tolist()  # [G][H]

    def cumulative(x: np.ndarray) -> list[float]:
        return [float(v) for v in np.cumsum(x)]

    leave_table = []  # [G][H][J][pop] cumulative cause probabilities
    hold_table = []  # [G][H][J] cumulative non-preventable cause probabilities
    for g in range(n_g):
        by_tau, hold_tau = [], []
        for tau in range(h):
            base = hz[g, tau][None, :] * zk[g]  # [J, K]
            rows, hold_rows = [], []
            for j in range(j_n):
                pops = []
                for q in range(len(mult)):
                    ind = base[j] * mult[q]
                    pops.append(cumulative(ind / max(ind.sum(), 1.0)))
                rows.append(pops)
                hnp = base[j] * nonprev
                hold_rows.append(cumulative(hnp / max(hnp.sum(), 1.0)))
            by_tau.append(rows)
            hold_tau.append(hold_rows)
        leave_table.append(by_tau)
        hold_table.append(hold_tau)
    offer_table = [[[cumulative(sf[g, tau, kk]) for kk in range(k)] for tau in range(h)]
                   for g in range(n_g)]  # fmt: skip
    hold_offers = set(HOLD_INDEX)
    pause = OFFER_NAMES.index("pause")

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    out = {name: np.zeros(h) for name in SERIES}
    active, revenue, churned = out["active"], out["revenue"], out["churned"]
    saves, paused = out["saves"], out["paused"]
    share = (p.share[0] / p.share[0].sum()).tolist()
    weights = (p.w[0] / p.w[0].sum(axis=-1, keepdims=True)).tolist()  # [G][J]
    env = simpy.Environment()

    def pick(cum: list[float], u: float) -> int:
        for i, x in enumerate(cum):
            if u < x:
                return i
        return -1

    def customer(g: int, j: int):  # type: ignore[no-untyped-def]
        pop, held, offer, tau = NORMAL, 0, -1, 0
        while True:
            t = int(env.now)
            if t >= h:
                return
            lp = list_price[g][tau]
            if held:
                revenue[t] += lp * price_mult[offer]
                if offer == pause:
                    paused[t] += 1
                if pick(hold_table[g][tau][j], rng.random()) >= 0:
                    churned[t] += 1
                    return
                held -= 1
                if held == 0:
                    if rng.random() >= stay_after[offer]:
                        churned[t] += 1  # lapsed at the end of the offer
                        return
                    pop = NORMAL
            else:
                revenue[t] += lp * pop_price[pop]
                cause = pick(leave_table[g][tau][j][pop], rng.random())
                if cause >= 0:
                    if not vol[cause]:
                        churned[t] += 1  # failed payment, no dunning
                        return
                    o = pick(offer_table[g][tau][cause], rng.random())
                    if o < 0:
                        churned[t] += 1
                        return
                    saves[t] += 1
                    if o in hold_offers:
                        held, offer = int(months[o]), o
                    elif o == HELP:  # help and a cheaper plan compose
                        pop |= HELPED
                    elif o == DOWNGRADE:
                        pop |= DOWNGRADED
            active[t] += 1
            tau += 1
            yield env.timeout(1)

    def acquisition():  # type: ignore[no-untyped-def]
        for t in range(h):
            for _ in range(int(np_rng.poisson(p.paid_new[0, t]))):
                g = rng.choices(range(n_g), share)[0]
                j = rng.choices(range(j_n), weights[g])[0]
                env.process(customer(g, j))
            yield env.timeout(1)

    env.process(acquisition())
    env.run(until=h)
    return out


def engine_series(res: simsrc.StochasticResult) -> dict[str, np.ndarray]:
    m = res.runs_monthly
    return {
        "active": m["active"],
        "revenue": m["revenue"],
        "churned": m["churned"],
        "saves": m["saves"],
        "paused": m["paused"],
    }


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def agreement(runs: int) -> None:
    s = peer_scenario(customers=6_000, horizon=36)
    expected = simsrc.simulate(s).monthly
    res = simsrc.simulate(s, stochastic=True, runs=runs, seed=1)
    peer = [simpy_peer(s, seed) for seed in range(runs)]
    print(f"1. agreement: {s.name}, 6,000 customers × 36 months, {runs} runs of each")
    print(f"   {'series':10s} {'engine counts |z|':>18s} {'SimPy peer |z|':>15s}")
    counts = engine_series(res)
    for name in SERIES:
        e = expected["active" if name == "active" else name].to_numpy()
        cols = []
        for x in (counts[name], np.array([r[name] for r in peer])):
            se = np.maximum(x.std(axis=0, ddof=1), np.sqrt(np.abs(e))) / math.sqrt(len(x))
            gap = np.abs(x.mean(axis=0) - e)
            cols.append(float(np.where(se > 0, gap / np.where(se > 0, se, 1.0), 0.0).max()))
        print(f"   {name:10s} {cols[0]:18.2f} {cols[1]:15.2f}")
    print("   (largest gap over the months, in standard errors: below ~3.5 is agreement)")


def peer_speed(customers: int) -> None:
    s = peer_scenario(customers=customers, horizon=120)
    print(f"2. speed: {customers:,} customers × 120 months, save team with pause")
    t_peer, out = timed(lambda: simpy_peer(s, 0))
    one, _ = timed(lambda: simsrc.simulate(s, stochastic=True, runs=1, seed=2), repeat=3)
    ten, _ = timed(lambda: simsrc.simulate(s, stochastic=True, runs=10, seed=2), repeat=3)
    ev, _ = timed(lambda: simsrc.simulate(s), repeat=5)
    print(f"   SimPy per-customer peer, 1 run:     {t_peer:8.2f} s  "
          f"({out['active'][-1]:,.0f} active at the end)")  # fmt: skip
    print(f"   engine random counts, 1 run:        {one:8.2f} s  ({t_peer / one:,.0f}× faster)")
    print(f"   engine random counts, 10 runs:      {ten:8.2f} s  "
          f"({10 * t_peer / ten:,.0f}× faster per run)")  # fmt: skip
    print(f"   engine expected values:             {ev * 1e3:8.1f} ms")


def monte_carlo(runs: int, client: Any) -> None:
    s = simsrc.preset("telecom").without_levers().replace(horizon_months=120)
    s = s.set("acquisition.new_per_month", 100_000 / 120)
    simsrc.simulate(s, stochastic=True, runs=2, seed=0)  # warm caches
    one, res = timed(lambda: simulate_stochastic(s, runs=runs, seed=3, threads=1), 3)
    local, _ = timed(lambda: simsrc.simulate(s, stochastic=True, runs=runs, seed=3), 3)
    print(f"3. Monte Carlo: {runs:,} runs of {s.name}, "
          f"{res.kpis['total_acquired'].mean():,.0f} customers × 120 months")  # fmt: skip
    print(f"   one thread:                         {one:8.2f} s")
    print(f"   this process, {cores()} threads (default):  {local:8.2f} s  "
          f"(parallel efficiency {one / local / cores():.0%})")  # fmt: skip
    if client is not None:
        remote, _ = timed(
            lambda: simulate_stochastic(s, runs=runs, seed=3, engine="dask", client=client), 3
        )
        print(f"   dask LocalCluster, 2 workers:       {remote:8.2f} s  "
              f"(parallel efficiency {one / remote / 2:.0%})")  # fmt: skip
    lever = simsrc.preset("b2b-saas").replace(horizon_months=120)
    lever = lever.set("acquisition.new_per_month", 100_000 / 120)
    t_lever, _ = timed(lambda: simsrc.simulate(lever, stochastic=True, runs=100, seed=3))
    print(f"   with every lever (b2b-saas), 100 runs: {t_lever:6.2f} s")


def sweeps(n: int, client: Any) -> None:
    base = simsrc.preset("b2b-saas").without_levers().replace(horizon_months=24)
    side = max(1, round(n**0.5))
    grid = {
        "acquisition.new_per_month": list(np.linspace(50, 200, side)),
        "segments.standard.monthly_price": list(np.linspace(300, 500, side)),
    }
    total = side * side
    print(f"4. sweep of {total:,} scenarios ({base.name}, 24 months)")
    t_local, local = timed(lambda: sweep(base, grid, chunk_size=5000, progress=False))
    rate = total / t_local
    print(f"   local, one process:   {rate:9,.0f} scenarios/s  "
          f"({rate * 24:,.0f} scenario-months/s per core)")  # fmt: skip
    if client is not None:
        t_dask, remote = timed(
            lambda: sweep(
                base, grid, engine="dask", client=client, chunk_size=5000, progress=False
            )
        )
        same = remote.equals(local)
        print(f"   dask, 2 workers:      {total / t_dask:9,.0f} scenarios/s  "
              f"(parallel efficiency {t_local / t_dask / 2:.0%}; identical: {same})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per model for agreement")
    parser.add_argument("--peer-customers", type=int, default=100_000)
    parser.add_argument("--mc-runs", type=int, default=1000)
    parser.add_argument("--sweep", type=int, default=40_000, help="scenarios in the sweep")
    parser.add_argument(
        "--quick", action="store_true", help="agreement and peer speed only (no MC, no sweeps)"
    )
    args = parser.parse_args()
    agreement(args.runs)
    peer_speed(args.peer_customers)
    if args.quick:
        return 0
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("   (dask skipped: pip install simsrc[scale])")
        monte_carlo(args.mc_runs, None)
        sweeps(args.sweep, None)
        return 0
    from simsrc.results.parallel import fast_workers

    with fast_workers():
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster) as client:
        monte_carlo(args.mc_runs, client)
        sweeps(args.sweep, client)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
