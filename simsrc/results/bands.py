"""Uncertainty bands: one set of quantiles and one table layout for every band.

Random runs (:class:`simsrc.StochasticResult`) and Monte Carlo over parameter ranges
(:class:`simsrc.MonteCarloResult`) both describe a spread of outcomes. Both report monthly
series as :func:`monthly_band` frames (one row per month) and KPIs as :func:`kpi_table`
frames (one row per KPI), with the columns named by :data:`QUANTILES`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["QUANTILES", "kpi_table", "monthly_band"]

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
"""Band names and their quantiles."""


def monthly_band(runs: NDArray[np.float64]) -> pd.DataFrame:
    """P10/P50/P90 and mean by month of a ``[runs, months]`` array.

    Months where a ratio is undefined in some runs (NaN) are summarised over the others.

    Examples
    --------
    >>> monthly_band(np.array([[1.0, 2.0], [3.0, 4.0]]))["mean"].tolist()
    [2.0, 3.0]
    """
    with warnings.catch_warnings():  # months undefined in every run stay NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(runs, list(QUANTILES.values()), axis=0)
        mean = np.nanmean(runs, axis=0)
    df = pd.DataFrame({name: q[i] for i, name in enumerate(QUANTILES)})
    df["mean"] = mean
    df.index.name = "month"
    return df


def kpi_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """One row per KPI: ``p10, p50, p90, mean, std_error`` over the rows (runs) of ``kpis``.

    Examples
    --------
    >>> t = kpi_table(pd.DataFrame({"npv": [1.0, 2.0, 3.0]}))
    >>> t.loc["npv", ["p50", "mean"]].tolist()
    [2.0, 2.0]
    """
    out = kpis.quantile(list(QUANTILES.values())).T
    out.columns = pd.Index(list(QUANTILES))
    out["mean"] = kpis.mean()
    out["std_error"] = kpis.std(ddof=1) / np.sqrt(max(len(kpis), 1))
    out.index.name = "kpi"
    return out
