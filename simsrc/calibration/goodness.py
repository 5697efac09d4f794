"""Goodness of fit that means something: pooled tenure bands and the exit-month assumption.

A chi-square over single months is dominated by months with less than one expected
leaver, where it means nothing. :func:`band_tests` pools months into tenure bands
(first quarter, rest of year 1, then yearly) and merges bands until each expects at least
:data:`MIN_EXPECTED` leavers; each band gets a z test of observed against expected
leavers, and the bands together a chi-square.

A quarterly snapshot does not say in which of its months a leaver left. The calibration
takes each month as equally likely; :func:`exit_month_survival` gives the survival read
with every leaver in the window's first, middle or last month instead, so the report can
say how much that assumption matters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from simsrc.calibration.survival import life_table, survival_hazards

__all__ = ["BAND_EDGES", "MIN_EXPECTED", "band_tests", "bands_chi2", "exit_month_survival"]

BAND_EDGES = (1, 4, 13, 25, 37, 49, 61, 73, 97, 121, 181, 241)
"""First tenure month of each band: months 1–3, 4–12, then each year (beyond 6 years,
two-year and five-year bands)."""

MIN_EXPECTED = 5.0
"""Bands expecting fewer leavers are merged with the next (the chi-square's rule of
thumb)."""


def band_tests(
    at_risk: NDArray[np.float64], churned: NDArray[np.float64], survival: NDArray[np.float64]
) -> pd.DataFrame:
    """Observed against expected leavers by tenure band, with a z test each.

    Parameters
    ----------
    at_risk, churned : ndarray
        Customers at risk and leavers in tenure months 1 … T (a life table).
    survival : ndarray
        The model's survival at tenure 0 … T (``S(0) = 1``): its monthly hazard times
        the customers at risk is the expected number of leavers.

    Returns
    -------
    pandas.DataFrame
        One row per band: ``first`` and ``last`` month, ``at_risk``, ``observed``,
        ``expected``, ``z`` ((observed − expected) / its binomial standard deviation)
        and the two-sided ``p_value``.

    Examples
    --------
    >>> import numpy as np
    >>> s = 0.9 ** np.arange(25)
    >>> t = band_tests(np.full(24, 100.0), np.full(24, 10.0), s)
    >>> t[["first", "last", "expected"]].round(1).to_numpy().tolist()
    [[1.0, 3.0, 30.0], [4.0, 12.0, 90.0], [13.0, 24.0, 120.0]]
    >>> bool(t["z"].abs().max() < 1e-9)
    True
    """
    n = np.nan_to_num(np.asarray(at_risk, dtype=float))
    d = np.nan_to_num(np.asarray(churned, dtype=float))
    h = np.clip(survival_hazards(np.asarray(survival, dtype=float)[: n.size + 1]), 0.0, 1.0)
    months = n.size
    edges = [e for e in BAND_EDGES if e <= months] + [months + 1]
    rows, start = [], edges[0]
    for i, end in enumerate(edges[1:]):
        part = slice(start - 1, end - 1)
        expected = float((n[part] * h[part]).sum())
        if expected < MIN_EXPECTED and i < len(edges) - 2:
            continue  # merge with the next band
        variance = float((n[part] * h[part] * (1.0 - h[part])).sum())
        observed = float(d[part].sum())
        z = (observed - expected) / np.sqrt(variance) if variance > 0 else 0.0
        rows.append(
            {
                "first": start,
                "last": end - 1,
                "at_risk": float(n[part].sum()),
                "observed": observed,
                "expected": expected,
                "z": float(z),
                "p_value": float(2 * stats.norm.sf(abs(z))),
            }
        )
        start = end
    return pd.DataFrame(rows)


def bands_chi2(table: pd.DataFrame) -> tuple[float, int, float]:
    """Chi-square of the bands together: statistic, degrees of freedom, p-value.

    Examples
    --------
    >>> import pandas as pd
    >>> bands_chi2(pd.DataFrame({"z": [1.0, -1.0]}))[1]
    2
    """
    chi2 = float((table["z"] ** 2).sum()) if len(table) else 0.0
    df = len(table)
    return chi2, df, float(stats.chi2.sf(chi2, df)) if df else float("nan")


def exit_month_survival(
    customers: pd.DataFrame, window: int, months: int, at: int
) -> dict[str, float]:
    """Survival at tenure ``at`` with every leaver in the window's first, middle or last month.

    Parameters
    ----------
    customers : pandas.DataFrame
        One segment's customers: ``tenure``, ``churned``, ``entry_low`` (the months
        before a stayer was first observed).
    window : int
        Months in the snapshot's window.
    months : int
        Tenure months of the life table.
    at : int
        Tenure month to read the survival at.

    Returns
    -------
    dict
        ``{"first": S, "middle": S, "last": S}``.
    """
    tenure = customers["tenure"].to_numpy()
    churned = customers["churned"].to_numpy(dtype=bool)
    low = customers["entry_low"].to_numpy()
    out = {}
    for name, c in (("first", 1), ("middle", (window + 1) // 2), ("last", window)):
        # leaving in the window's c-th month: observed for c months, from tenure k − c
        entry = np.where(churned, np.maximum(tenure - c, 0), low)
        table = life_table(tenure, churned, months, entry=entry)
        out[name] = float(table["survival"].iloc[min(at, months) - 1])
    return out
