"""Random-count runs: how far real months can stray from the expected values.

:func:`simsrc.simulate` returns expected values. ``simulate(s, stochastic=True,
runs=N, seed=…)`` (or :func:`simulate_stochastic`) draws the same model as whole
numbers of customers, per cohort cell, never customer by customer:

* arrivals each month are Poisson (paid acquisition less word-of-mouth losses, and
  referrals from the active base); win-back reactivations are binomial;
* **without save team or dunning**, a cohort's future is one multinomial draw over the
  cells (month it leaves in, cause) of the engine's unit-cohort path, or staying past
  the horizon (:class:`_CohortExits`: the number leaving, then where they go — by
  inverse CDF when leavers are fewer than cells, by tenure then cause otherwise, so the
  cost follows the smaller of the two). Heterogeneity classes are mixed into that path
  exactly (a customer's class is drawn independently of everyone else's), so no
  classes are tracked;
* **with save team or dunning**, every cohort's populations by segment, heterogeneity
  class and state (paying, helped, downgraded, held by an offer by months left, in
  dunning) step month by month through :func:`simsrc.engine.kernel.step_rows` — the very
  code of the expected-value engine — with its splits drawn (multinomial leaving and
  saving, binomial recovery, resumption and win-back) by the compiled
  :func:`simsrc.engine.kernel.random_runs`.

Runs are drawn in blocks of up to :data:`BLOCK` (:data:`STEPPED_BLOCK` with save team
or dunning), each from its own stream
(``SeedSequence(seed, spawn_key=(block,))``), so the output depends only on the seed
and the number of runs — never on ``chunk_size``, the number of threads, or where the
blocks run. Locally, blocks run on one thread per core: numpy's draws and matrix
products release the GIL.

Every run produces the full monthly table (:attr:`simsrc.Result.monthly`'s columns) and
the KPIs; :class:`StochasticResult` gives P10/P50/P90 bands of both. ``clv_per_customer``
and ``cac_payback_months`` are expected values per customer (the same in every run);
``retention_roi`` compares each run with the expected NPV of the same business without
levers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simsrc.engine.arrivals import random_arrivals
from simsrc.engine.calendar import feedback
from simsrc.engine.core import CohortPath, core_path
from simsrc.engine.draws import guided_cells, multinomial_counts
from simsrc.engine.kernel import CAUSE_SERIES, COUNT_SERIES, random_runs
from simsrc.engine.money import PASS_THROUGH, money_series, per_customer_price
from simsrc.engine.pack import Packed, pack
from simsrc.engine.stepped import LeverSetup, lever_setup, random_inputs
from simsrc.model.checks import check_flag, check_instance, check_seed, check_whole
from simsrc.model.errors import ScenarioError
from simsrc.model.levers import OFFER_NAMES
from simsrc.model.scenario import Scenario
from simsrc.results.bands import QUANTILES, kpi_table, monthly_band
from simsrc.results.expected import Result, after_horizon, monthly_columns, simulate_expected
from simsrc.results.kpis import KPI_INFO, OLD_COHORT_SERIES, kpis_from_monthly
from simsrc.results.parallel import (
    Engine,
    check_client,
    check_engine,
    check_threads,
    run_tasks,
)

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

Array = NDArray[np.float64]

MAX_RUNS = 100_000
"""Most random runs a call accepts. Every run keeps its monthly table: about 0.5 MB per
run at 240 months without levers (measured), so the largest call at the longest horizon
needs tens of GB; short horizons need proportionally less."""


BLOCK = 100
"""Runs drawn together from one random stream (fewer when fewer runs are asked for)."""

STEPPED_BLOCK = 10
"""The same for scenarios with save team or dunning: their runs cost the same drawn
alone or together (the compiled kernel steps one run at a time), so smaller blocks
keep every thread busy."""


def block_size(scenario: Scenario) -> int:
    """Runs per block for ``scenario`` (:data:`STEPPED_BLOCK` or :data:`BLOCK`)."""
    stepped = scenario.save_team.coverage > 0 or scenario.dunning.enabled
    return STEPPED_BLOCK if stepped else BLOCK


MAX_NEW_PER_MONTH = 1e12
"""Most new customers (paid, referred and won back) a month that random runs accept.

Random runs hold whole customers in float64 arrays and sum them over cohorts and months
(active customers, churned, acquired to date); those sums are exact whole numbers only
below 2**53 ≈ 9.0e15. At most 1e12 a month over the longest horizon (240 months) makes
2.4e14, 37 times below that: room for runs that stray far above their expected value
(referral growth from a few early customers). numpy's draws need counts below 2**63 ≈
9.2e18 (a larger float cast to int64 silently becomes negative, and the int64 sum of a
block's leavers — 100 runs × segments — wraps), over 10,000 times above anything allowed
here. The scenario is checked against this before any draw (:func:`check_random_counts`);
expected values have no such limit."""

_EXACT = float(2**53)
"""Whole numbers in float64 are exact (and cast to int64 safely) below this."""

_MONEY = (
    "present", "active", "revenue", "mrr", "new_mrr", "churned_mrr", "expansion_mrr",
    "contraction_mrr", "gross_margin", "discounts_given", "offer_costs", "messaging_costs",
    "program_costs", "leavers", "win_back_messages", *PASS_THROUGH,
)  # fmt: skip
_BY = {"churned_by": "churned", "requests_by": "requests", "bad_by": "bad", "saves_by": "saves"}
_CORE_ZEROS = frozenset(PASS_THROUGH) - {"bad_exits"} | {
    "discounts_given",
    "offer_costs",
    "saves",
}
"""Series that are zero without save team or dunning."""


def streams(entropy: int, start: int, stop: int) -> list[np.random.SeedSequence]:
    """The seed sequences of blocks ``start … stop − 1``.

    Identical to ``SeedSequence(entropy).spawn(stop)[start:stop]``, without spawning
    the earlier ones, so any block can be reproduced on its own (e.g. on a worker).

    Examples
    --------
    >>> a = streams(5, 2, 3)[0].generate_state(1)
    >>> b = np.random.SeedSequence(5).spawn(3)[2].generate_state(1)
    >>> bool((a == b).all())
    True
    """
    return [np.random.SeedSequence(entropy, spawn_key=(i,)) for i in range(start, stop)]


class _Calendar:
    """Calendar sums of one block: ``[B, H]`` per series, ``[B, H, K|O]`` by cause/offer.

    Also the per-segment leaver counts the acquisition feedback needs (active and bad
    exits per month, leavers by cause and terms, lapsed) and the MRR series of the
    customers present 13 months before the end (GRR, NRR).
    """

    def __init__(self, p: Packed, runs: int) -> None:
        h, n_g, k = p.horizon, p.share.shape[1], len(p.causes)
        self.p, self.runs = p, runs
        self.t0 = h - 13 if h >= 13 else -1
        self.a = {name: np.zeros((runs, h)) for name in _MONEY}
        self.a.update({name: np.zeros((runs, h, k)) for name in ("churned_by", "requests_by")})
        self.a["bad_by"] = np.zeros((runs, h, k))
        self.a["saves_by"] = np.zeros((runs, h, len(OFFER_NAMES)))
        for name in ("paid_new", "referred_new", "reactivated", "lost_to_word_of_mouth",
                     "acquisition_cost", "reactivation_costs"):  # fmt: skip
            self.a[name] = np.zeros((runs, h))
        self.a["service_costs"] = np.broadcast_to(p.levers.service_cost[:, None], (runs, h))
        self.old = {name: np.zeros((runs, h)) for name in OLD_COHORT_SERIES}
        # what the acquisition feedback reads, month first: active at the end of the
        # month, badly handled exits, leavers on good / bad terms by cause, lapsed
        self.fb_active = np.zeros((h, runs))
        self.fb_bad_exits = np.zeros((h, runs))
        self.good = np.zeros((h, runs, n_g, k))
        self.bad = np.zeros((h, runs, n_g, k))
        self.lapsed = np.zeros((h, runs, n_g))
        self.delay = int(p.levers.win_back_delay[0])
        self.feedback = feedback(p)
        self.win_back = bool(p.levers.win_back[0] * p.levers.win_back_reach[0] > 0)

    def arrivals(self, t: int, rng: np.random.Generator) -> Array:
        """Draw month ``t``'s new customers by segment, ``[B, G]``; record them."""
        n_g, k = self.good.shape[2], self.good.shape[3]
        prev = max(t - 1, 0)  # month 0 reads the (empty) month 0
        m = t - self.delay
        out = np.zeros((self.runs, n_g, 4))
        random_arrivals(
            rng, self.feedback, t, self.fb_active[prev], self.fb_bad_exits[prev],
            self.good[m] if m >= 0 else np.zeros((self.runs, n_g, k)),
            self.bad[m] if m >= 0 else np.zeros((self.runs, n_g, k)),
            self.lapsed[m] if m >= 0 else np.zeros((self.runs, n_g)), out,
        )  # fmt: skip
        self.record_arrivals((slice(None), t), out)
        return np.asarray(out[..., :3].sum(axis=-1))

    def record_arrivals(self, where: tuple[slice | int, ...], out: Array) -> None:
        """Record arrivals by source ``out`` ``[…, G, 4]`` at ``a[name][where]``."""
        a, p = self.a, self.p
        paid, referred, react, lost = np.moveaxis(out, -1, 0)  # [..., G] each
        a["paid_new"][where] = paid.sum(axis=-1)
        a["referred_new"][where] = referred.sum(axis=-1)
        a["reactivated"][where] = react.sum(axis=-1)
        a["lost_to_word_of_mouth"][where] = lost.sum(axis=-1)
        a["acquisition_cost"][where] = paid @ p.cac[0]
        a["reactivation_costs"][where] = react.sum(axis=-1) * p.levers.reactivation_cost[0]

    def add_month(self, t: int, money: Mapping[str, Array]) -> None:
        """Add month ``t``'s series summed over cohorts, ``[B, G]`` / ``[B, G, K|O]``."""
        a = self.a
        for name in _MONEY:
            a[name][:, t] += money[name].sum(axis=1)
        for name, src in _BY.items():
            a[name][:, t] += money[src].sum(axis=1)
        self.fb_active[t] = a["active"][:, t]
        self.fb_bad_exits[t] = a["bad_exits"][:, t]
        if self.win_back:
            self.good[t] += money["churned"] - money["bad"]
            self.bad[t] += money["bad"]
            self.lapsed[t] += money["lapsed"]


def whole_counts(counts: Array) -> NDArray[np.int64]:
    """Drawn arrivals (whole numbers in floats) as int64, refusing any count at 2**53 or more.

    A float64 count that large is no longer exact, and from 2**63 on the cast to int64
    silently turns it negative; :func:`check_random_counts` keeps scenarios far below
    this, so only a direct call of :func:`simulate_block` with such a scenario gets here.
    """
    if counts.size and not float(counts.max()) < _EXACT:
        raise ScenarioError(
            "acquisition",
            f"random runs drew {float(counts.max()):.3g} new customers in one month and "
            "segment, beyond exact whole numbers (2**53); use expected values",
        )
    return np.rint(counts).astype(np.int64)


def _linear_money(p: Packed, names: tuple[str, ...]) -> dict[str, Array]:
    """Per-customer coefficients of the money series, for paths without levers.

    Without save team or dunning a customer's price depends on tenure alone, so every
    series of :func:`simsrc.engine.money.money_series` is linear in the counts present,
    active, leaving for each cause and messaged for win-back. Evaluating it once per
    unit count gives tables ``[M, G, H]`` (leavers: ``[M, G, H, K]``) with which a
    cohort's money is a few weighted sums.
    """
    h, n_g, k = p.horizon, p.share.shape[1], len(p.causes)
    list_price = p.price[:, :, None] * p.value[:, None, :]  # [1, G, H]
    prev = np.concatenate([list_price[..., :1], list_price[..., :-1]], axis=-1)
    first = np.arange(h) == 0
    zero = np.zeros((1, n_g, h))
    vol = p.voluntary[0]

    def unit(**counts: Array) -> Array:
        path = {name: zero for name in (*PASS_THROUGH, "discount_units", "offer_cash")}
        path.update(present=zero, active=zero, revenue_units=zero)
        path["churned"] = np.zeros((1, n_g, h, k))
        path.update(counts)
        messaged = counts.pop("messaged", zero)
        money = money_series(p, path, list_price, prev, first, messaged)
        return np.stack([money[name][0] for name in names])

    one = np.ones((1, n_g, h))
    tables = {
        "present": unit(present=one, revenue_units=one),
        "active": unit(active=one),
        "messaged": unit(messaged=one),
    }
    by_cause = []
    for i in range(k):
        churned = np.zeros((1, n_g, h, k))
        churned[..., i] = 1.0
        by_cause.append(unit(churned=churned, bad_exits=one * vol[i]))
    tables["churned"] = np.stack(by_cause, axis=-1)  # [M, G, H, K]
    return tables


CATEGORICAL = 2.0
"""Leavers per tenure × cause cell up to which exits are drawn leaver by leaver."""


class _CohortExits:
    """When, and for which cause, the customers of one cohort leave (or stay past the end).

    A cohort of ``N`` customers of a segment is one multinomial draw over the cells
    (tenure τ, cause k) of the unit-cohort path plus "still there at the horizon". It
    is drawn in two exact steps: how many leave at all (a binomial), then where the
    leavers go. Where leavers are few for the number of cells — the usual case — each
    leaver's cell is one inverse-CDF draw on the cohort's cumulative cell
    probabilities; where they are many (:data:`CATEGORICAL` per cell and more), the
    leavers are split multinomially over tenure and each tenure's leavers over causes.
    Both give the same distribution; the cost stays proportional to the smaller of
    leavers and cells.

    Parameters
    ----------
    churned : ndarray
        The unit cohort's leavers by segment, tenure and cause, ``[G, H, K]``.
    stay_past : ndarray
        The unit cohort still there after each tenure, ``[G, H]``.
    rng : numpy.random.Generator
        The block's stream.
    """

    def __init__(self, churned: Array, stay_past: Array, rng: np.random.Generator) -> None:
        self.churned = np.clip(churned, 0.0, None)
        self.stay_past = np.clip(stay_past, 0.0, None)
        self.rng = rng
        n_g, h, k = self.churned.shape
        exit_pmf = self.churned.sum(axis=-1)  # [G, H]
        with np.errstate(divide="ignore", invalid="ignore"):
            mix = np.where(exit_pmf[..., None] > 0, self.churned / exit_pmf[..., None], 1.0)
        self.mix = mix / mix.sum(axis=-1, keepdims=True)
        self.cum_mix = np.cumsum(self.mix, axis=-1)[..., :-1]
        # cells (τ, k) in tenure-major order: a cohort followed for n months uses the first
        # n·K of them, so one cumulative table and its guide serve every cohort (and its
        # entry n·K − 1 is the chance of leaving within n months)
        self.cells = h * k
        self.cum = np.cumsum(self.churned.reshape(n_g, self.cells), axis=1)
        self.buckets = 2 * self.cells
        scale = self.buckets / np.maximum(self.cum[:, -1], 1e-300)
        grid = np.arange(self.buckets)[None, :] / scale[:, None]  # each bucket's lower end
        # the first cell that can hold a draw in the bucket: cells whose cumulative is
        # at most the bucket's lower end are ruled out
        self.guide = np.stack(  # int64, as the compiled search takes it
            [np.searchsorted(self.cum[g], grid[g], side="right") for g in range(n_g)]
        )
        self.scale = scale

    def draw(self, new: NDArray[np.int64], n: int) -> tuple[Array, Array]:
        """Leavers of a cohort of ``new`` ``[B, G]`` within ``n`` months.

        Returns leavers by tenure, run, segment and cause ``[n, B, G, K]`` and their
        sum over causes ``[n, B, G]``.
        """
        runs, n_g = new.shape
        k = self.churned.shape[-1]
        leaving = self.cum[:, n * k - 1]
        p_leave = leaving / np.maximum(leaving + self.stay_past[:, n - 1], 1e-300)
        leavers = self.rng.binomial(new, np.clip(p_leave, 0.0, 1.0)[None, :])  # [B, G]
        total = int(leavers.sum())
        if total == 0:
            return np.zeros((n, runs, n_g, k)), np.zeros((n, runs, n_g))
        if total <= CATEGORICAL * leavers.size * n * k:
            return self._one_by_one(leavers, n)
        return self._by_tenure(leavers, n)

    def _one_by_one(self, leavers: NDArray[np.int64], n: int) -> tuple[Array, Array]:
        """Each leaver's (tenure, cause) cell by inverse CDF, counted per cell.

        Compiled: :func:`simsrc.engine.draws.guided_cells`.
        """
        runs, n_g = leavers.shape
        k = self.churned.shape[-1]
        counts = np.zeros((runs, n_g, n * k))
        guided_cells(self.rng, leavers, self.cum, self.guide, self.scale, n * k, counts)
        by_cause = np.moveaxis(counts.reshape(runs, n_g, n, k), 2, 0)  # [n, B, G, K]
        return by_cause, by_cause.sum(axis=-1)

    def _by_tenure(self, leavers: NDArray[np.int64], n: int) -> tuple[Array, Array]:
        """Leavers over tenures (one multinomial per run and segment), then over causes."""
        runs, n_g = leavers.shape
        k = self.churned.shape[-1]
        exit_pmf = self.churned[:, :n].sum(axis=-1)
        pv = exit_pmf / np.maximum(exit_pmf.sum(axis=1, keepdims=True), 1e-300)
        leave = np.moveaxis(self.rng.multinomial(leavers, pv), 2, 0)  # [n, B, G]
        tau, b, g = np.nonzero(leave)
        out = np.zeros((n, runs, n_g, k))
        out[tau, b, g] = multinomial_counts(
            self.rng, leave[tau, b, g], self.mix[g, tau], self.cum_mix[g, tau]
        )
        return out, leave.astype(float)


def _core_block(p: Packed, core: CohortPath, runs: int, rng: np.random.Generator) -> _Calendar:
    """Runs without save team or dunning: each cohort's future in one multinomial draw.

    Arrays run tenure-first (``[τ, B, G]``) so that a cohort's money is one batched
    matrix product of its counts (leavers by cause, present, leavers) with the tables
    of :func:`_linear_money`.
    """
    h, n_g, k = p.horizon, p.share.shape[1], len(p.causes)
    cal = _Calendar(p, runs)
    exits = _CohortExits(core["churned"][0], core["active"][0], rng)
    vol = p.voluntary[0]
    names = tuple(n for n in _MONEY if n not in _CORE_ZEROS)
    tables = _linear_money(p, names)  # [M, G, H], leavers [M, G, H, K]
    coef = {
        b: np.ascontiguousarray(x.transpose(2, 1, 0)) for b, x in tables.items() if x.ndim == 3
    }
    m = len(names)
    # leavers also feed the by-cause calendars: K columns of leavers, K of voluntary ones
    by_cause_cols = np.zeros((h, n_g, k, 2 * k))
    by_cause_cols[:, :, np.arange(k), np.arange(k)] = 1.0
    by_cause_cols[:, :, np.arange(k), k + np.arange(k)] = vol
    coef["churned"] = np.ascontiguousarray(
        np.concatenate([tables["churned"].transpose(2, 1, 3, 0), by_cause_cols], axis=-1).reshape(
            h, n_g * k, m + 2 * k
        )
    )  # [H, G × K, M + 2K]; the others [H, G, M]
    pad = np.zeros((h, n_g, 2 * k))
    for base in ("present", "active", "messaged"):
        coef[base] = np.ascontiguousarray(np.concatenate([coef[base], pad], axis=-1))
    # one product per cohort: leavers by cause, present (counted as staying) and leavers
    # (taken back out of the active): active = present − leavers
    stacked = np.concatenate(
        [coef["churned"], coef["present"] + coef["active"], -coef["active"]], axis=1
    )  # [H, G × K + 2G, M + 2K]
    i_active, i_bad = names.index("active"), names.index("bad_exits")
    stack = np.zeros((h, runs, m + 2 * k))  # calendar money of this block, month first
    old = np.zeros((h, runs, m))
    for c in range(h):
        n = h - c
        new = cal.arrivals(c, rng)  # [B, G]
        by_cause, leave = exits.draw(whole_counts(new), n)  # [n, B, G, K]
        present = new[None] - (np.cumsum(leave, axis=0) - leave)
        counts = np.concatenate([by_cause.reshape(n, runs, n_g * k), present, leave], axis=-1)
        money = np.matmul(counts, stacked[:n])  # [n, B, M + 2K]
        if cal.win_back and cal.delay < n:
            messaged = np.zeros_like(leave)
            messaged[cal.delay :] = leave[: n - cal.delay]
            money += np.matmul(messaged, coef["messaged"][:n])
        stack[c:] += money
        if c <= cal.t0:
            old[c:] += money[..., :m]
        cal.fb_active[c:] += money[..., i_active]  # read by the next months' arrivals
        cal.fb_bad_exits[c:] += money[..., i_bad]
        if cal.win_back:
            bad = by_cause * vol  # nobody engages leavers without a save team
            cal.good[c:] += by_cause - bad
            cal.bad[c:] += bad
    for i, name in enumerate(names):
        cal.a[name] = stack[:, :, i].T
        if name in OLD_COHORT_SERIES:
            cal.old[name] = old[:, :, i].T
    cal.a["churned_by"] = stack[:, :, m : m + k].transpose(1, 0, 2)
    cal.a["requests_by"] = cal.a["bad_by"] = stack[:, :, m + k :].transpose(1, 0, 2)
    return cal


_PATH_BYTES = 64 << 20
"""Memory for the cohort paths of the runs stepped at once (the rest wait their turn)."""


def _stepped_block(p: Packed, setup: LeverSetup, runs: int, rng: np.random.Generator) -> _Calendar:
    """Runs with save team or dunning: every cohort's groups stepped month by month.

    The compiled kernel (:func:`simsrc.engine.kernel.random_runs`) draws the arrivals and
    steps every cohort, keeping each cohort's path by tenure; its money follows from
    :func:`simsrc.engine.money.money_series` (per cohort, as prices depend on who
    is left) and is summed into calendar months.
    """
    h, n_g, k = p.horizon, p.share.shape[1], len(p.causes)
    cal = _Calendar(p, runs)
    lv, x = setup.levers, random_inputs(p, setup)
    width = len(COUNT_SERIES) + len(CAUSE_SERIES) * k + len(OFFER_NAMES)
    step = max(1, _PATH_BYTES // (8 * h * n_g * h * width))
    for a in range(0, runs, step):
        b = min(step, runs - a)
        counts = np.zeros((b, h, n_g, h, len(COUNT_SERIES)))
        causes = np.zeros((b, h, n_g, h, len(CAUSE_SERIES), k))
        offers = np.zeros((b, h, n_g, h, len(OFFER_NAMES)))
        inflow = np.zeros((b, n_g, h, 4))
        random_runs(rng, lv, x, cal.feedback, counts, causes, offers, inflow)
        _add_cohort_paths(cal, slice(a, a + b), counts, causes, offers, inflow)
    return cal


def _add_cohort_paths(
    cal: _Calendar, rows: slice, counts: Array, causes: Array, offers: Array, inflow: Array
) -> None:
    """Money of runs' cohort paths (by tenure), summed into the calendar of ``rows``."""
    p = cal.p
    b, h, n_g = counts.shape[:3]
    path: dict[str, Array] = {
        name: counts[..., i].reshape(b * h, n_g, h) for i, name in enumerate(COUNT_SERIES)
    }
    for i, name in enumerate(CAUSE_SERIES):
        path[name] = causes[..., i, :].reshape(b * h, n_g, h, -1)
    list_price = p.price[:, :, None] * p.value[:, None, :]  # [1, G, H] by tenure
    now = per_customer_price(path, list_price)
    prev = np.concatenate([now[..., :1], now[..., :-1]], axis=-1)
    leavers = path["churned"].sum(axis=-1) + path["lapsed"]
    messaged = np.zeros_like(leavers)  # the same cohort's leavers ``delay`` months earlier
    if cal.win_back and cal.delay < h:
        messaged[..., cal.delay :] = leavers[..., : h - cal.delay]
    money = money_series(p, path, list_price, prev, np.arange(h) == 0, messaged)
    by = [path["churned"], path["requests"], path["bad"], offers.reshape(b * h, n_g, h, -1)]
    edges = np.cumsum([len(_MONEY)] + [x.shape[-1] for x in by])
    flat = np.empty((edges[-1], b * h, h))  # series first, summed over segments
    for i, name in enumerate(_MONEY):
        np.sum(money[name], axis=1, out=flat[i])
    for x, lo, hi in zip(by, edges[:-1], edges[1:], strict=True):
        flat[lo:hi] = np.moveaxis(x.sum(axis=1), -1, 0)
    calendar, old = _by_calendar_month(flat.reshape(-1, b, h, h), cal.t0)  # [X, B, H]
    for i, name in enumerate(_MONEY):
        cal.a[name][rows] = calendar[i]
        if name in OLD_COHORT_SERIES:
            cal.old[name][rows] = old[i]
    for name, lo, hi in zip(_BY, edges[:-1], edges[1:], strict=True):
        cal.a[name][rows] = np.moveaxis(calendar[lo:hi], 0, -1)
    cal.record_arrivals((rows,), inflow.transpose(0, 2, 1, 3))  # [B, H, G, 4]


def _by_calendar_month(x: Array, t0: int) -> tuple[Array, Array]:
    """Series × run × cohort × tenure ``[X, B, C, T]`` summed into months ``t = c + τ``.

    Returns every cohort's sum ``[X, B, H]`` and, for months from ``t0`` on, the sum
    of the cohorts that started by ``t0`` (the customers present 13 months before the
    end, for GRR and NRR).
    """
    h = x.shape[2]
    out = np.zeros((*x.shape[:2], h))
    old = np.zeros_like(out)
    for c in range(h):
        out[..., c:] += x[:, :, c, : h - c]
        if c == t0:
            old[..., t0:] = out[..., t0:]
    return out, old


def _block_streams(entropy: int, runs: int, size: int) -> list[tuple[int, np.random.SeedSequence]]:
    size = min(size, runs)
    blocks = -(-runs // size)
    return [(min(size, runs - b * size), ss) for b, ss in enumerate(streams(entropy, 0, blocks))]


def simulate_block(scenario: Scenario, runs: int, seed: np.random.SeedSequence) -> _Calendar:
    """One block of random runs of a scenario (the unit of work of a stochastic run)."""
    p = pack([scenario])
    core = core_path(p)
    rng = np.random.default_rng(seed)
    if p.levers.stepped:
        return _stepped_block(p, lever_setup(p, core), runs, rng)
    return _core_block(p, core, runs, rng)


@dataclass(frozen=True)
class StochasticResult:
    """Random runs of a scenario: every run's monthly table and KPIs, and their bands.

    Attributes
    ----------
    scenario : Scenario
        The simulated scenario.
    seed : int
        The seed actually used (``simulate(..., seed=seed)`` reproduces the runs).
    expected : Result
        The expected-value result of the same scenario.
    runs_monthly : mapping of str to ndarray
        Every column of the monthly table, ``[runs, H]``.
    kpis : pandas.DataFrame
        One row per run, one column per KPI.
    """

    scenario: Scenario
    seed: int
    expected: Result
    runs_monthly: Mapping[str, Array]
    kpis: pd.DataFrame

    @property
    def n_runs(self) -> int:
        """Number of random runs."""
        return len(self.kpis)

    def band(self, column: str) -> pd.DataFrame:
        """P10/P50/P90, mean and expected value of one monthly column, by month.

        Examples
        --------
        >>> import simsrc
        >>> s = simsrc.preset("telecom").replace(horizon_months=12)
        >>> res = simsrc.simulate(s, stochastic=True, runs=20, seed=1)
        >>> list(res.band("revenue").columns)
        ['p10', 'p50', 'p90', 'mean', 'expected']
        """
        check_instance(column, "column", str, "a monthly column name (str)")
        if column not in self.runs_monthly:
            raise KeyError(f"no monthly column {column!r}; see Result.monthly")
        df = monthly_band(self.runs_monthly[column])
        df["expected"] = self.expected.monthly[column].to_numpy()
        return df

    @cached_property
    def monthly_bands(self) -> pd.DataFrame:
        """Every monthly column's band, tidy: ``month, series, p10, p50, p90, mean, expected``."""
        frames = [self.band(c).reset_index().assign(series=c) for c in self.runs_monthly]
        cols = ["month", "series", *QUANTILES, "mean", "expected"]
        return pd.concat(frames, ignore_index=True)[cols]

    @cached_property
    def kpi_bands(self) -> pd.DataFrame:
        """One row per KPI: ``p10, p50, p90, mean, std_error`` over runs and ``expected``."""
        out = kpi_table(self.kpis)
        out["expected"] = pd.Series(dict(self.expected.kpis))
        return out


def simulate_stochastic(
    scenario: Scenario,
    runs: int = 100,
    seed: int | None = None,
    *,
    engine: Engine = "local",
    client: Client | None = None,
    progress: bool = False,
    threads: int | None = None,
) -> StochasticResult:
    """Random-count runs of a scenario, with bands for every monthly series and KPI.

    Same as ``simsrc.simulate(scenario, stochastic=True, runs=runs, seed=seed)``.

    Parameters
    ----------
    scenario : Scenario
        Any scenario (levers included).
    runs : int
        Number of random runs (``1 … 100_000``).
    seed : int, optional
        Seed, a whole number >= 0; the same seed and number of runs give identical
        output. Without one, fresh entropy is drawn (kept in
        :attr:`StochasticResult.seed`).
    engine : {"local", "dask"}
        Run the blocks in this process, or on a ``dask.distributed`` cluster (the
        output is identical).
    client : distributed.Client, optional
        The dask client (default: a ``LocalCluster`` for the call).
    progress : bool
        Show a progress bar.
    threads : int, optional
        With ``engine="local"``: threads drawing blocks at once (default: one per
        core). The draws release the GIL, so two cores finish in about 60 % of the
        time of one; the output is identical.

    Returns
    -------
    StochasticResult

    Raises
    ------
    TypeError
        An argument of the wrong type: ``scenario`` not a :class:`Scenario`, ``runs``,
        ``seed`` or ``threads`` not an integer (numpy integers are), ``engine`` not a
        string, ``progress`` not a bool, ``client`` not a dask client.
    ValueError
        ``runs`` not in ``1 … 100_000``, ``seed`` negative, ``threads`` not in
        ``1 … 1024``, an unknown ``engine``, a ``client`` without ``engine="dask"``; or
        :class:`~simsrc.ScenarioError` when the scenario expects more than
        :data:`MAX_NEW_PER_MONTH` new customers in some month (see
        :func:`check_random_counts`).

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("telecom").replace(horizon_months=12)
    >>> res = simulate_stochastic(s, runs=20, seed=1)
    >>> res.runs_monthly["active"].shape
    (20, 12)
    >>> bool((res.band("active")["p10"] <= res.band("active")["p90"]).all())
    True
    """
    # Checked once per call, before any work: wrong type TypeError, wrong value
    # ValueError, each naming the argument and what it accepts.
    check_instance(scenario, "scenario", Scenario, "a Scenario")
    runs = check_whole(runs, "runs", 1, MAX_RUNS)
    entropy = np.random.SeedSequence(check_seed(seed)).entropy
    assert isinstance(entropy, int)  # seed is None or an int: never a list of words
    engine = check_engine(engine)
    check_client(client, engine)
    progress = check_flag(progress, "progress")
    n_threads = check_threads(threads)
    expected = simulate_expected(scenario)
    check_random_counts(expected)
    parts = _run_blocks(scenario, entropy, runs, engine, client, progress, n_threads)
    return _result(scenario, entropy, expected, parts)


def _run_blocks(
    scenario: Scenario,
    entropy: int,
    runs: int,
    engine: Engine,
    client: Client | None,
    progress: bool,
    threads: int,
) -> list[_Calendar]:
    """Every block of runs, each from its own stream, here or on a dask cluster."""
    blocks = _block_streams(entropy, runs, block_size(scenario))
    return run_tasks(
        simulate_block,
        scenario,
        blocks,
        [size for size, _ in blocks],
        engine=engine,
        client=client,
        progress=progress,
        desc="runs",
        unit="run",
        threads=threads,
    )


def check_random_counts(expected: Result) -> None:
    """Refuse, before any draw, a scenario whose customer counts random runs cannot hold.

    Parameters
    ----------
    expected : Result
        The scenario's expected values (arrivals include referrals and win-backs, so
        their feedback is accounted for).

    Raises
    ------
    ScenarioError
        If the expected new customers of some month exceed :data:`MAX_NEW_PER_MONTH`;
        the message names the month, the number and the acquisition fields.

    Examples
    --------
    >>> import simsrc
    >>> s = simsrc.preset("b2b-saas").replace(horizon_months=240)
    >>> s = s.set("acquisition.new_per_month", 1e7).set("acquisition.monthly_growth", 0.15)
    >>> check_random_counts(simsrc.simulate(s))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: acquisition: random runs need at most 1e+12 new ...
    """
    a = expected.arrays
    new = (a["paid_new"] + a["referred_new"] + a["reactivated"]).sum(axis=0)  # [H]
    over = np.flatnonzero(~(new <= MAX_NEW_PER_MONTH))  # NaN counts as over
    if len(over):
        month = int(over[0])
        raise ScenarioError(
            "acquisition",
            f"random runs need at most {MAX_NEW_PER_MONTH:.0e} new customers a month "
            f"(their counts stay exact whole numbers); this scenario expects "
            f"{new[month]:.3g} in month {month} (acquisition.new_per_month × (1 + "
            "acquisition.monthly_growth)^month, plus referrals and win-backs): lower "
            "acquisition.new_per_month or acquisition.monthly_growth, shorten "
            "horizon_months, or use expected values (stochastic=False)",
        )


def _result(
    scenario: Scenario, entropy: int, expected: Result, parts: list[_Calendar]
) -> StochasticResult:
    """Assemble blocks into a :class:`StochasticResult`."""
    p = parts[0].p
    a = {name: np.concatenate([c.a[name] for c in parts]) for name in parts[0].a}
    old = {name: np.concatenate([c.old[name] for c in parts]) for name in OLD_COHORT_SERIES}
    values = kpis_from_monthly(p, a, old)
    n = len(values["npv"])
    exp = expected.kpis
    off_npv = simulate_expected(scenario.without_levers()).kpis["npv"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pv = values.pop("_pv_retention")
        values["retention_roi"] = np.where(pv > 0, (values["npv"] - off_npv) / pv, np.nan)
    values["clv_per_customer"] = np.full(n, exp["clv_per_customer"])
    values["cac_payback_months"] = np.full(n, exp["cac_payback_months"])
    # The base a run ends with, valued at the expected value per customer billed in the
    # last month: the spread across runs is that of how many customers they keep; that
    # of who they are (segment and tenure mix) is left out, so the band is a little narrow.
    base = expected.base_value
    per_customer = base.total / base.customers if base.customers > 0 else 0.0
    values["ending_base_value"] = a["present"][:, -1] * per_customer
    values["npv_with_base"] = values["npv"] + after_horizon(p, values["ending_base_value"])
    kpis = pd.DataFrame({name: values[name] for name in KPI_INFO})
    kpis.index.name = "run"
    columns = monthly_columns(a, scenario)
    return StochasticResult(
        scenario=scenario,
        seed=entropy,
        expected=expected,
        runs_monthly=MappingProxyType(columns),
        kpis=kpis,
    )


__all__ = [
    "BLOCK",
    "MAX_NEW_PER_MONTH",
    "STEPPED_BLOCK",
    "StochasticResult",
    "block_size",
    "check_random_counts",
    "simulate_block",
    "simulate_stochastic",
    "streams",
    "whole_counts",
]
