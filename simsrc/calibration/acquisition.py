"""Segment shares and acquisition per month read from customer records.

Three readings, by what the data hold: the customers who joined during a snapshot's
observation window; start dates (the last complete months, with a growth trend over up
to two years); or, for a full-history file, every customer counted once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from simsrc.calibration.records import Prepared
from simsrc.model.scenario import Scenario

__all__ = ["Acquisition", "acquisition", "count_errors"]


class Acquisition(NamedTuple):
    """Segment shares and acquisition read from the data.

    Attributes
    ----------
    shares : numpy.ndarray
        Share of new customers by segment (the base's, NaN where unknown, if the data
        say nothing).
    per_month : float or None
        New customers per month (None: the data do not show it).
    growth : float or None
        Monthly growth of acquisition (None: not estimated).
    table : pandas.DataFrame
        The counts the figures come from (the report's ``acquisition`` table).
    how : str
        How they were found ("" when the data gave nothing).
    counts : numpy.ndarray or None
        The customers by segment that ``shares`` (and ``per_month``) were read from
        (None when the data gave nothing): how sure the figures are.
    """

    shares: np.ndarray
    per_month: float | None
    growth: float | None
    table: pd.DataFrame
    how: str
    counts: np.ndarray | None = None


def acquisition(prep: Prepared, segments: Sequence[str], base: Scenario) -> Acquisition:
    """Shares, new customers per month, growth, a table and how they were found.

    Parameters
    ----------
    prep : Prepared
        The cleaned customer records.
    segments : sequence of str
        The data's segments, in the scenario's order.
    base : Scenario
        Gives the shares when the data cannot.

    Returns
    -------
    Acquisition
        The figures, their table and how they were found.
    """
    shares_base = np.array(
        [
            base.segments[base.segment_index(s)].share if s in base.segment_names else math.nan
            for s in segments
        ]
    )
    if prep.window is not None and prep.as_of is None:
        return _from_window(prep, prep.window, segments, shares_base)
    if prep.as_of is not None and prep.customers["start"].notna().any():
        return _from_start_dates(prep, prep.as_of, segments, shares_base)
    c = prep.customers
    counts = c.groupby("segment").size().reindex(list(segments), fill_value=0)
    table = pd.DataFrame({"segment": list(segments), "customers": counts.to_numpy()})
    return Acquisition(
        counts.to_numpy() / counts.sum(),
        None,
        None,
        table,
        "all customers in the file (each acquired once: full history)",
        counts.to_numpy(dtype=float),
    )


def count_errors(acq: Acquisition) -> tuple[np.ndarray, float]:
    """Standard errors of the shares and of the acquisition per month read from counts.

    Customers counted by segment are Poisson counts: a share ``p`` of ``N`` counted has
    standard error ``√(p (1 − p) / N)`` and a monthly rate ``λ`` read from them ``λ / √N``.
    NaN where the figures were not read from data.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> acq = Acquisition(np.array([.6, .4]), 50.0, None, pd.DataFrame(), "",
    ...                   np.array([600.0, 400.0]))
    >>> shares, per_month = count_errors(acq)
    >>> np.round(shares, 4).tolist(), round(per_month, 3)
    ([0.0155, 0.0155], 1.581)
    """
    nan = np.full(len(acq.shares), np.nan)
    if acq.counts is None or np.sum(acq.counts) <= 0:
        return nan, math.nan
    n = float(np.sum(acq.counts))
    shares = np.sqrt(acq.shares * (1.0 - acq.shares) / n) if len(acq.shares) > 1 else nan
    per_month = math.nan if acq.per_month is None else acq.per_month / math.sqrt(n)
    return shares, per_month


def _from_window(
    prep: Prepared, window: int, segments: Sequence[str], shares_base: np.ndarray
) -> Acquisition:
    """Acquisition from the customers who joined during the ``window``-month window."""
    c = prep.customers
    joined = c.groupby("segment")["joined_weight"].sum().reindex(list(segments), fill_value=0.0)
    total = float(joined.sum())
    table = pd.DataFrame(
        {
            "segment": list(segments),
            "joined_in_window": joined.to_numpy(),
            "per_month": joined.to_numpy() / window,
        }
    )
    if total > 0:
        return Acquisition(
            joined.to_numpy() / total,
            total / window,
            None,
            table,
            f"customers who joined during the {window}-month window",
            joined.to_numpy(dtype=float),
        )
    return Acquisition(shares_base, None, None, table, "")


def _from_start_dates(
    prep: Prepared, as_of: pd.Timestamp, segments: Sequence[str], shares_base: np.ndarray
) -> Acquisition:
    """Acquisition from start dates up to ``as_of``: the last 12 complete months."""
    c = prep.customers
    starts = c[c["joined_weight"] > 0].dropna(subset=["start"])
    month = pd.to_datetime(starts["start"]).dt.to_period("M")
    table = (
        pd.DataFrame({"month": month.astype(str), "segment": starts["segment"]})
        .groupby(["month", "segment"])
        .size()
        .rename("new")
        .reset_index()
    )
    last = pd.Timestamp(as_of).to_period("M")
    if table.empty:
        return Acquisition(shares_base, None, None, table, "")
    first = min(pd.Period(m, "M") for m in table["month"])
    # every complete month since the first start, months without sign-ups included
    complete = [str(m) for m in pd.period_range(first, last - 1, freq="M")]
    if not complete:
        return Acquisition(shares_base, None, None, table, "")
    recent = complete[-12:]
    per_month = table[table["month"].isin(recent)].groupby("month")["new"].sum()
    by_seg = (
        table[table["month"].isin(recent)]
        .groupby("segment")["new"]
        .sum()
        .reindex(list(segments), fill_value=0)
    )
    growth = None
    window = complete[-24:]
    if len(window) >= 6:
        by_month = table[table["month"].isin(window)].groupby("month")["new"].sum()
        y = by_month.reindex(window, fill_value=0).to_numpy(dtype=float)
        if (y > 0).all():
            slope = np.polyfit(np.arange(y.size), np.log(y), 1)[0]
            growth = float(np.clip(math.expm1(slope), -0.5, 1.0))
    total = float(by_seg.sum())
    shares = by_seg.to_numpy() / total if total > 0 else shares_base
    return Acquisition(
        shares,
        float(per_month.reindex(recent, fill_value=0).mean()),
        growth,
        table,
        f"start dates, last {len(recent)} complete month(s)",
        by_seg.to_numpy(dtype=float) if total > 0 else None,
    )
