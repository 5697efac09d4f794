"""Standard subscription metrics, as defined in [benchmarks] (see ``docs/sources.md``).

Definitions:

* gross MRR churn = (churned + contraction MRR) / MRR at period start
* net MRR churn = (churned + contraction − expansion − reactivation MRR) / start MRR
* GRR = 1 − gross MRR churn over a year; NRR = (start + expansion − contraction − churn)
  / start
* simple customer lifetime value = ARPA × gross margin / churn rate
* CAC payback (months) = CAC / (ARPA × gross margin)

The functions accept floats or numpy arrays (element-wise).
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Num = TypeVar("Num", float, NDArray[np.float64], "pd.Series[float]")


def gross_mrr_churn(start_mrr: Num, churned_mrr: Num, contraction_mrr: Num) -> Num:
    """Gross MRR churn: lost recurring revenue as a share of the starting MRR.

    Examples
    --------
    >>> gross_mrr_churn(100.0, 10.0, 10.0)
    0.2
    """
    return (churned_mrr + contraction_mrr) / start_mrr


def net_mrr_churn(
    start_mrr: Num,
    churned_mrr: Num,
    contraction_mrr: Num,
    expansion_mrr: Num,
    reactivation_mrr: Num | float = 0.0,
) -> Num:
    """Net MRR churn: gross losses less expansion and reactivation, over start MRR.

    Examples
    --------
    >>> net_mrr_churn(100.0, 10.0, 10.0, 10.0)
    0.1
    """
    return (churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr) / start_mrr


def grr(start_mrr: Num, churned_mrr: Num, contraction_mrr: Num) -> Num:
    """Gross revenue retention over a period: ``1 − gross MRR churn``.

    Examples
    --------
    >>> grr(100.0, 10.0, 10.0)
    0.8
    """
    return 1.0 - gross_mrr_churn(start_mrr, churned_mrr, contraction_mrr)


def nrr(start_mrr: Num, churned_mrr: Num, contraction_mrr: Num, expansion_mrr: Num) -> Num:
    """Net revenue retention: ``(start + expansion − contraction − churn) / start``.

    Examples
    --------
    >>> nrr(100.0, 10.0, 10.0, 10.0)
    0.9
    """
    return (start_mrr + expansion_mrr - contraction_mrr - churned_mrr) / start_mrr


def simple_ltv(arpa: Num, monthly_churn: Num, gross_margin: Num | float = 1.0) -> Num:
    """Simple customer lifetime value: ``ARPA × gross margin / churn``.

    Examples
    --------
    >>> simple_ltv(100.0, 0.05)
    2000.0
    """
    return arpa * gross_margin / monthly_churn


def cac_payback_months(cac: Num, arpa: Num, gross_margin: Num | float = 1.0) -> Num:
    """Months of gross margin needed to earn back the acquisition cost.

    Examples
    --------
    >>> cac_payback_months(1200.0, 100.0, 0.8)
    15.0
    """
    return cac / (arpa * gross_margin)


def discounted_clv_constant(
    margin: float, retention: float, monthly_discount_rate: float, months: int | None = None
) -> float:
    """CLV of a customer with constant retention, paid at the start of each month.

    ``Σ_{t=0}^{n-1} m (r d)^t = m (1 − (r d)^n) / (1 − r d)`` with ``d = 1/(1+i)``; the
    infinite sum when ``months`` is None.

    Examples
    --------
    >>> round(discounted_clv_constant(100.0, 0.95, 0.0), 9)
    2000.0
    """
    q = retention / (1.0 + monthly_discount_rate)
    if months is None:
        return margin / (1.0 - q)
    return margin * (1.0 - q**months) / (1.0 - q)
