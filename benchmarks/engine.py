"""Engine benchmark: one scenario, a 10,000-variant batch, and a per-customer peer.

Run with ``make bench`` (or ``python benchmarks/engine.py``). Prints medians and the
speed ratio against a straightforward per-customer Python simulation of the same
scenario, measured in the same run, plus the agreement between the two (the peer is
random, so agreement is judged in units of its Monte Carlo standard error).
Machines here are shared and noisy: read medians and ratios, not single timings.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time

import numpy as np

import simsrc
from simsrc.engine.curves import shape_curve, value_curve
from simsrc.engine.pack import pack
from simsrc.model.conversions import spread_to_beta
from simsrc.results.expected import simulate_batch


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def per_customer_simulation(s: simsrc.Scenario, seed: int) -> dict[str, float]:
    """The peer: every customer is a Python object stepped month by month.

    Each new customer draws a segment and an individual churn propensity from the
    segment's Beta distribution (the continuous distribution the engine's quadrature
    classes represent); each month they leave for cause k with probability
    level_k · shape_k(tenure) · z (z only for heterogeneous causes). Expected
    acquisition counts are rounded stochastically.
    """
    rng = np.random.default_rng(seed)
    h = s.horizon_months
    shapes = np.array([shape_curve(c.shape, h) for c in s.causes])  # [K, H]
    value = value_curve(s.value, h)
    shares = np.array([g.share for g in s.segments])
    paid = simsrc.engine.pack.acquisition_curve(s)
    het = [c.heterogeneous for c in s.causes]
    seg_params = []
    for g in range(len(s.segments)):
        levels = np.array([c.levels[g] for c in s.causes])
        mean = float(sum(lvl for lvl, hh in zip(levels, het, strict=True) if hh))
        ab = spread_to_beta(mean, s.heterogeneity.spread) if s.heterogeneity.spread > 0 else None
        seg_params.append((levels, mean, ab))
    active: list[list[float]] = []  # [segment, propensity z, tenure]
    revenue = 0.0
    churned = 0
    ref_rate = s.acquisition.referrals_per_active
    last_active = 0
    for t in range(h):
        expected = paid[t] + ref_rate * last_active
        n_new = int(expected) + (rng.random() < expected - int(expected))
        for _ in range(n_new):
            g = int(rng.choice(len(shares), p=shares))
            levels, mean, ab = seg_params[g]
            z = rng.beta(*ab) / mean if ab is not None and mean > 0 else 1.0
            active.append([g, z, 0])
        survivors = []
        for cust in active:
            g, z, tau = int(cust[0]), cust[1], int(cust[2])
            seg = s.segments[g]
            revenue += seg.monthly_price * value[tau]
            levels = seg_params[g][0]
            total = 0.0
            for k in range(len(levels)):
                total += levels[k] * shapes[k, tau] * (z if het[k] else 1.0)
            if rng.random() < min(total, 1.0):
                churned += 1
            else:
                cust[2] = tau + 1
                survivors.append(cust)
        active = survivors
        last_active = len(active)
    return {
        "total_revenue": revenue,
        "ending_active": float(len(active)),
        "total_churned": float(churned),
    }


def batch_variants(base: simsrc.Scenario, n_side: int) -> list[simsrc.Scenario]:
    """A grid of churn multipliers × acquisition volumes (n_side² scenarios)."""
    out = []
    acq = base.acquisition
    for f in np.linspace(0.5, 1.5, n_side):
        churn = base.scale_churn(float(f))
        for v in np.linspace(0.5, 1.5, n_side) * acq.new_per_month:
            out.append(
                dataclasses.replace(
                    churn,
                    acquisition=dataclasses.replace(acq, new_per_month=float(v)),
                    name=f"churn×{f:.3f} acq {v:.1f}",
                )
            )
    return out


def main() -> int:
    full = simsrc.preset("b2b-saas").replace(horizon_months=120)
    base = full.without_levers()  # the core model: what the per-customer peer implements
    print(
        f"simsrc engine benchmark — preset b2b-saas, 120 months, "
        f"{len(base.segments)} segments × {len(base.causes)} causes"
    )
    simsrc.simulate(base)
    single = median_ms(lambda: simsrc.simulate(base), 200)
    with_frame = median_ms(lambda: simsrc.simulate(base).monthly, 50)
    levers = median_ms(lambda: simsrc.simulate(full), 50)
    print(f"  one scenario, core model, simulate(): {single:8.2f} ms median  (target ≤ 5 ms)")
    print(f"  one scenario incl. monthly DataFrame:  {with_frame:8.2f} ms median")
    print(
        f"  one scenario with all levers (+ its levers-off twin for ROI): {levers:.2f} ms median"
    )

    t0 = time.perf_counter()
    variants = batch_variants(base, 100)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    packed = pack(variants)
    pack_s = time.perf_counter() - t0
    simulate_batch(packed.take(slice(0, 10)))
    engine_s = statistics.median([_timed(lambda: simulate_batch(packed)) for _ in range(3)])
    print("  10,000 variants (100 churn × 100 acquisition grid):")
    print(
        f"    engine on packed arrays:           {engine_s * 1e3:8.0f} ms median  (target ≤ 1 s)"
    )
    print(f"    packing 10,000 Scenario objects:   {pack_s * 1e3:8.0f} ms")
    rng = np.random.default_rng(0)
    distinct = pack([base.scale_churn(float(f)) for f in rng.uniform(0.5, 1.5, 10_000)])
    distinct_s = statistics.median([_timed(lambda: simulate_batch(distinct)) for _ in range(3)])
    print(
        f"    engine, 10,000 distinct churn settings (worst case: no kernel shared): "
        f"{distinct_s * 1e3:.0f} ms median"
    )
    print(f"    building them (validated):         {build * 1e3:8.0f} ms")

    runs = 5
    print(f"  per-customer Python peer, {runs} seeds (this takes a while)…", flush=True)
    peer_times, peer = [], []
    for seed in range(runs):
        t0 = time.perf_counter()
        peer.append(per_customer_simulation(base, seed))
        peer_times.append(time.perf_counter() - t0)
    peer_ms = 1e3 * statistics.median(peer_times)
    kpis = simsrc.simulate(base).kpis
    print(f"    peer median:                       {peer_ms:8.0f} ms")
    print(f"    speed ratio peer / engine:         {peer_ms / single:8.0f}×  (target ≥ 1,000×)")
    worst = 0.0
    for key in ("total_revenue", "ending_active", "total_churned"):
        vals = np.array([p[key] for p in peer])
        se = vals.std(ddof=1) / np.sqrt(runs)
        z = (kpis[key] - vals.mean()) / se
        worst = max(worst, abs(z))
        print(
            f"    {key:<15} engine {kpis[key]:14,.1f}  peer {vals.mean():14,.1f} "
            f"± {se:10,.1f} (SE)  z = {z:+.2f}"
        )
    print(
        f"  agreement: worst |z| = {worst:.2f} "
        f"({'within' if worst < 4 else 'OUTSIDE'} 4 standard errors)"
    )
    return 0


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
