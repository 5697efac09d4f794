"""Scale benchmark: stochastic counts vs a SimPy per-customer peer; sweep throughput.

Run with ``python benchmarks/scale.py`` (add ``--sweep 1000000`` for the full
million-scenario sweep; the default is smaller so the script finishes in a minute or
two). Prints

1. the core model three ways — expected values (engine), random counts per cohort cell
   (:func:`simsrc.stochastic.simulate_stochastic`) and a SimPy discrete-event simulation
   with one process per customer — with timings and agreement (in standard errors);
2. sweep throughput in scenarios per second, locally and on a dask ``LocalCluster`` with
   two workers (skipped if dask.distributed is not installed: ``pip install
   simsrc[scale]``).

Machines here are shared and noisy: read medians and ratios, not single timings.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import simsrc
from simsrc.engine import pack
from simsrc.stochastic import class_probabilities, simulate_stochastic
from simsrc.sweep import sweep


def simpy_peer(s: simsrc.Scenario, seed: int) -> np.ndarray:
    """Active customers at the end of each month, one SimPy process per customer.

    Same model as the engine: Poisson acquisition (paid + referrals), segment and
    heterogeneity class drawn per customer, monthly leave probability from the engine's
    class hazards.
    """
    import simpy

    p = pack([s])
    probs = class_probabilities(p)  # [G, H, J, K + 1]
    leave = 1.0 - probs[..., -1]  # [G, H, J]
    share = p.share[0] / p.share[0].sum()
    w = p.w[0] / p.w[0].sum()
    h = s.horizon_months
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    state = {"active": 0}
    active_end = np.zeros(h)

    def customer(g: int, j: int):  # type: ignore[no-untyped-def]
        state["active"] += 1
        tau = 0
        start = int(env.now)
        while start + tau < h:
            if rng.random() < leave[g, tau, j]:
                yield env.timeout(0.5)  # leaves at the end of the month
                state["active"] -= 1
                return
            tau += 1
            yield env.timeout(1)

    def acquisition():  # type: ignore[no-untyped-def]
        for t in range(h):
            n = rng.poisson(p.paid_new[0, t] + p.referral[0] * state["active"])
            for _ in range(n):
                g = int(rng.choice(len(share), p=share))
                j = int(rng.choice(len(w), p=w))
                env.process(customer(g, j))
            yield env.timeout(0.75)  # after this month's leavers
            active_end[t] = state["active"]
            yield env.timeout(0.25)

    env.process(acquisition())
    env.run(until=h)
    return active_end


def compare_models(runs: int) -> None:
    s = simsrc.preset("telecom").without_levers().replace(horizon_months=24)
    s = s.set("acquisition.new_per_month", 300)
    t0 = time.perf_counter()
    expected = simsrc.simulate(s).monthly["active"].to_numpy()
    t_engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = simulate_stochastic(s, runs=runs, seed=1).totals("active")
    t_counts = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer = np.array([simpy_peer(s, seed) for seed in range(runs)])
    t_peer = time.perf_counter() - t0
    print(f"core model, telecom, 24 months, {runs} random runs each")
    print(f"  expected-value engine:      {1e3 * t_engine:9.1f} ms")
    print(f"  stochastic cohort counts:   {1e3 * t_counts:9.1f} ms")
    print(
        f"  SimPy per-customer peer:    {1e3 * t_peer:9.1f} ms  ({t_peer / t_counts:.0f}× counts)"
    )
    for name, x in (("counts", counts), ("simpy", peer)):
        se = x.std(axis=0, ddof=1) / np.sqrt(len(x))
        z = np.abs(x.mean(axis=0) - expected) / np.where(se > 0, se, 1.0)
        print(f"  {name:6s} mean vs engine: max |gap| = {z.max():.2f} standard errors")


def sweep_throughput(n: int) -> None:
    base = simsrc.preset("b2b-saas").without_levers().replace(horizon_months=24)
    side = max(1, round(n**0.5))
    grid = {
        "acquisition.new_per_month": list(np.linspace(50, 200, side)),
        "segments.standard.monthly_price": list(np.linspace(300, 500, side)),
    }
    total = side * side
    print(f"sweep of {total:,} scenarios (b2b-saas core, 24 months)")
    t0 = time.perf_counter()
    local = sweep(base, grid, chunk_size=5000, progress=False)
    t_local = time.perf_counter() - t0
    print(f"  local:              {total / t_local:10,.0f} scenarios/s")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("  dask: skipped (pip install simsrc[scale])")
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            t0 = time.perf_counter()
            remote = sweep(
                base, grid, engine="dask", client=client, chunk_size=5000, progress=False
            )
            t_dask = time.perf_counter() - t0
    same = remote.equals(local)
    print(f"  dask LocalCluster(2): {total / t_dask:8,.0f} scenarios/s  (identical: {same})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="random runs per model")
    parser.add_argument("--sweep", type=int, default=20_000, help="scenarios in the sweep")
    args = parser.parse_args()
    compare_models(args.runs)
    sweep_throughput(args.sweep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
