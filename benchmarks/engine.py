"""Engine benchmark: every path against a vectorised numpy per-customer peer, in one run.

Run with ``make bench`` (or ``python benchmarks/engine.py``; ``--quick`` for a first
look). The scenario is the b2b-saas preset (every lever on) over 120 months with about
100,000 paid new customers (``new_per_month = 100,000 / 120``; growth, referrals and
win-back add more); "core" is the same business without levers. Each engine path —
expected values and random runs, one scenario and batches — is timed against
:func:`peer.numpy_peer`, a per-customer Monte Carlo vectorised with numpy over
customers (what a competent analyst would write instead), measured in the same run.
The old Python-object peer is kept at its old size for continuity. Then the agreement
of random runs and the peer with the expected values (worst |z| over the months), the
cost per unit of work (per cohort row stepped, per customer-month), and the peak
memory of the largest batch calls (each in a fresh process).

Machines here are shared and noisy (2 cores): read medians and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the peer beside this file

from peer import numpy_peer
from peer import timing as peer_timing

import simsrc
from simsrc.engine.curves import shape_curve, value_curve
from simsrc.engine.pack import acquisition_curve, pack
from simsrc.model.conversions import spread_to_beta
from simsrc.results.expected import simulate_batch
from simsrc.results.stochastic import simulate_stochastic

SERIES = ("active", "revenue", "churned", "saves")


def median_s(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def object_peer(s: simsrc.Scenario, seed: int) -> dict[str, float]:
    """The old peer: every customer a Python object stepped month by month (core model).

    Each new customer draws a segment and a churn propensity from the Beta distribution
    of the heterogeneous causes' total; each month they leave for cause k with
    probability level_k · shape_k(tenure) · z (z only for heterogeneous causes).
    """
    rng = np.random.default_rng(seed)
    h = s.horizon_months
    shapes = np.array([shape_curve(c.shape, h) for c in s.causes])  # [K, H]
    value = value_curve(s.value, h)
    shares = np.array([g.share for g in s.segments])
    paid = acquisition_curve(s)
    het = [c.heterogeneous for c in s.causes]
    seg_params = []
    for g in range(len(s.segments)):
        levels = np.array([c.levels[g] for c in s.causes])
        mean = float(sum(lvl for lvl, hh in zip(levels, het, strict=True) if hh))
        ab = spread_to_beta(mean, s.heterogeneity.spread) if s.heterogeneity.spread > 0 else None
        seg_params.append((levels, mean, ab))
    active: list[list[float]] = []
    revenue, churned, last_active = 0.0, 0, 0
    for t in range(h):
        expected = paid[t] + s.acquisition.referrals_per_active * last_active
        for _ in range(int(expected) + (rng.random() < expected - int(expected))):
            g = int(rng.choice(len(shares), p=shares))
            levels, mean, ab = seg_params[g]
            z = rng.beta(*ab) / mean if ab is not None and mean > 0 else 1.0
            active.append([g, z, 0])
        survivors = []
        for cust in active:
            g, z, tau = int(cust[0]), cust[1], int(cust[2])
            revenue += s.segments[g].monthly_price * value[tau]
            levels = seg_params[g][0]
            total = sum(
                levels[k] * shapes[k, tau] * (z if het[k] else 1.0) for k in range(len(levels))
            )
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


def worst_z(runs: np.ndarray, expected: np.ndarray) -> float:
    """Largest |mean − expected| / standard error over the months (months seen by all)."""
    se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    seen = se > 0
    return float(np.max(np.abs(runs.mean(axis=0) - expected)[seen] / se[seen]))


def peak_mb(code: str) -> float:
    """Peak resident memory of a fresh Python process running ``code``, in MB.

    Read from ``VmHWM`` (the high-water mark of this process image), not ``ru_maxrss``,
    which Linux carries over from the forking parent across ``exec``.
    """
    probe = f"{code}\nprint([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1].split()[1]) / 1024


def row(label: str, engine_s: float, peer_s: float | None = None, target: str = "") -> dict:
    """Print one line of the table (times in ms) and return it for the summary."""
    ratio = f"{peer_s / engine_s:8.1f}×" if peer_s else " " * 9
    peer = f"{peer_s * 1e3:10.1f}" if peer_s else " " * 10
    print(f"  {label:<46} {engine_s * 1e3:10.2f} {peer} {ratio}  {target}")
    return {"what": label, "engine_ms": engine_s * 1e3, "peer_ms": peer_s and peer_s * 1e3}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, no memory probes")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    rep = 3 if args.quick else 7
    full = simsrc.preset("b2b-saas").replace(horizon_months=120)
    full = full.set("acquisition.new_per_month", 100_000 / 120)
    core = full.without_levers()
    print(
        f"simsrc engine benchmark — b2b-saas, 120 months, {len(full.segments)} segments × "
        f"{len(full.causes)} causes, {100_000:,} paid new customers (before growth)"
    )
    simsrc.simulate(full)  # compile or load the kernels, warm caches
    simulate_stochastic(full, runs=1, seed=0, threads=1)
    simulate_stochastic(core, runs=1, seed=0, threads=1)

    peer_lever, started = peer_timing(full, repeats=rep)
    peer_core, started_core = peer_timing(core, repeats=rep)
    print(
        f"  peer: one run = {started:,.0f} customers (every lever) / {started_core:,.0f} "
        "(core) started over 120 months\n"
    )
    print(f"  {'path':<46} {'engine ms':>10} {'peer ms':>10} {'ratio':>9}  target")
    out = []
    t = median_s(lambda: simsrc.simulate(core), 10 * rep)
    out.append(row("core, expected values, one scenario", t, peer_core, "≤ 1 ms"))
    t = median_s(lambda: simsrc.simulate(full), 10 * rep)
    out.append(row("every lever (+ levers-off twin), expected", t, peer_lever, "≤ 5 ms"))
    t = median_s(lambda: simulate_stochastic(core, runs=1, seed=1, threads=1), rep)
    out.append(row("core, one random run", t, peer_core, ""))
    t_one = median_s(lambda: simulate_stochastic(full, runs=1, seed=1, threads=1), rep)
    out.append(row("every lever, one random run", t_one, peer_lever, "≥ 10× the peer"))
    t = median_s(lambda: simsrc.simulate(full, stochastic=True, runs=100, seed=2), 1)
    out.append(row("every lever, 100 random runs (default threads)", t, 100 * peer_lever, "≤ 3 s"))
    variants = pack(
        [
            dataclasses.replace(core.scale_churn(float(f)), name=f"{f}")
            for f in np.linspace(0.5, 1.5, 10_000)
        ]
    )
    simulate_batch(variants.take(slice(0, 10)))
    t = median_s(lambda: simulate_batch(variants), 3)
    out.append(row("core, 10,000 distinct variants (packed), expected", t, None, "≤ 0.5 s"))
    levered = pack(
        [full.set("save_team.coverage", float(c)) for c in np.linspace(0.2, 1.0, 1_000)]
    )
    simulate_batch(levered.take(slice(0, 10)))
    t = median_s(lambda: simulate_batch(levered), 3)
    out.append(row("every lever, 1,000 distinct coverages (packed), expected", t, None, ""))
    t = median_s(lambda: simsrc.simulate(core, stochastic=True, runs=1000, seed=3), 1)
    out.append(row("core, Monte Carlo 1,000 random runs", t, None, "≤ 1 s"))

    print("\n  agreement with the expected values (worst |z| over 120 months):")
    expected = simsrc.simulate(full).monthly
    n = 20 if args.quick else 40
    runs = simsrc.simulate(full, stochastic=True, runs=n, seed=4).runs_monthly
    peers = [numpy_peer(full, seed) for seed in range(8 if args.quick else 16)]
    for name in SERIES:
        e = expected[name].to_numpy()
        zr = worst_z(runs[name], e)
        zp = worst_z(np.array([p[name] for p in peers]), e) if name in peers[0] else float("nan")
        print(
            f"    {name:<10} engine random runs ({n}) {zr:5.2f}   "
            f"numpy peer ({len(peers)}) {zp:5.2f}"
        )

    print("\n  cost per unit of work:")
    p = pack([full])
    j, h, g = p.z.shape[2], p.horizon, p.share.shape[1]
    t_exp = median_s(lambda: simsrc.simulate(full), 10 * rep)
    print(
        f"    expected lever path: {g * j * h:,} class-months stepped (segments × classes × "
        f"months) → {t_exp / (g * j * h) * 1e9:5.0f} ns each, whole call included"
    )
    months = float(expected["billed"].sum())
    print(
        f"    one random run: {months:,.0f} customer-months → engine "
        f"{t_one / months * 1e9:5.1f} ns, peer {peer_lever / months * 1e9:5.1f} ns "
        "per customer-month"
    )

    print("\n  the old Python-object peer (core model, default acquisition, 3 seeds):")
    small = core.set(
        "acquisition.new_per_month", simsrc.preset("b2b-saas").acquisition.new_per_month
    )
    t_obj = median_s(lambda: object_peer(small, 0), 3)
    t_small = median_s(lambda: simsrc.simulate(small), 10 * rep)
    print(
        f"    {t_obj * 1e3:,.0f} ms per run; engine expected {t_small * 1e3:.2f} ms "
        f"→ {t_obj / t_small:,.0f}×"
    )

    if not args.quick:
        print("\n  peak memory (fresh process, MB):")
        setup = (
            "import numpy as np, simsrc, dataclasses\n"
            "from simsrc.engine.pack import pack\n"
            "from simsrc.results.expected import simulate_batch\n"
            "s = simsrc.preset('b2b-saas').replace(horizon_months=120)"
            ".set('acquisition.new_per_month', 100_000 / 120).without_levers()\n"
        )
        base = peak_mb(setup + "simsrc.simulate(s)")
        batch = peak_mb(
            setup + "simulate_batch(pack([s.scale_churn(float(f)) "
            "for f in np.linspace(0.5, 1.5, 10_000)]))"
        )
        mc = peak_mb(setup + "simsrc.simulate(s, stochastic=True, runs=1000, seed=3)")
        print(
            f"    import and one scenario {base:7.0f}   10,000-variant batch {batch:7.0f}   "
            f"1,000 random runs {mc:7.0f}  (limit 2,048)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
