"""The batched cohort engine: which path a batch takes, and the path of each setting.

How it works
------------
Hazards depend on tenure, not on the calendar, so every cohort of a segment follows the
same path. The engine therefore

1. packs scenarios into arrays with a leading scenario axis
   (:func:`simsrc.engine.pack.pack`);
2. follows one *unit cohort* per segment through its tenure (:func:`cohort_path`): how
   many are present, pay, leave for each cause, ask to cancel, are saved by each offer,
   fall behind on payment, … at every tenure month. Without save team or dunning this is
   loop-free (:func:`simsrc.engine.core.core_path`); with them, customers move between
   states (normal, helped, downgraded or both, held by an offer, in dunning) and the
   path is stepped month by month (:func:`simsrc.engine.stepped.lever_path`), vectorised
   over scenarios × segments × heterogeneity classes;
3. builds the calendar by convolving acquisition with the path
   (:mod:`simsrc.engine.calendar`); a renewal loop over months solves the feedbacks on
   acquisition (referrals from the active base, win-back of former customers, word of
   mouth of badly handled exits).

Conservation holds to rounding error: every month each state loses exactly the
outflows recorded for it, so everyone who starts (paid, referred or won back) is
active or counted in exactly one outflow — a cause (cut-offs count under the first
involuntary cause) or lapsing at the end of a save offer. README, "How the engine
works", states the identity in the monthly table's columns.

Timing convention: customers acquired in month ``t`` are present (and pay) in month
``t``; leavers leave at the end of the month. A customer saved or falling behind on
payment at the end of month τ is held or in dunning from month τ + 1.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.core import CohortPath, core_path
from simsrc.engine.pack import Packed
from simsrc.engine.stepped import lever_path

Array = NDArray[np.float64]


def cohort_path(p: Packed) -> CohortPath:
    """The unit cohort's path: closed form without save team and dunning, else stepped."""
    core = core_path(p)
    return lever_path(p, core) if p.levers.stepped else core


def unique_paths(p: Packed) -> tuple[CohortPath, NDArray[np.intp]]:
    """Cohort paths computed once per distinct churn-and-lever setting in a batch.

    The path depends only on churn, heterogeneity and lever settings (not on prices,
    margins or acquisition), so a sweep over those shares one path. Returns the paths of
    the distinct settings and, per scenario, the index of its setting.

    Examples
    --------
    >>> import simsrc
    >>> from simsrc.engine.pack import pack
    >>> s = simsrc.preset("telecom")
    >>> k, idx = unique_paths(pack([s, s.set("acquisition.new_per_month", 9), s.halve_churn()]))
    >>> k["present"].shape[0], idx.tolist()
    (2, [0, 0, 1])
    """
    n = p.n
    if n == 1:  # nothing to share
        return cohort_path(p), np.zeros(1, dtype=np.intp)
    lv = p.levers
    parts: list[Array] = [p.level, p.shape, p.term, p.heterogeneous, p.z, p.w, p.voluntary]
    if lv.stepped:  # lever settings (and, with targeting, value) shape the path too
        parts += [getattr(lv, f.name) for f in dataclasses.fields(lv)]
        parts += [p.preventable, p.fixable, p.price, p.margin, p.cost_to_serve, p.value,
                  p.discount]  # fmt: skip
    rows = np.ascontiguousarray(np.concatenate([a.reshape(n, -1) for a in parts], axis=1))
    seen: dict[bytes, int] = {}
    which = np.empty(n, dtype=np.intp)
    first: list[int] = []
    for i in range(n):
        key = rows[i].tobytes()
        if key not in seen:
            seen[key] = len(first)
            first.append(i)
        which[i] = seen[key]
    return cohort_path(p.take(np.asarray(first, dtype=np.intp))), which
