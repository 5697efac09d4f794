"""Closed forms of the shifted-beta-geometric (sBG) model of contract duration.

Each customer has a constant per-period churn probability θ, and θ varies across
customers as Beta(α, β): survival, the churn probability by period and the retention
rate follow in closed form, as does the (mean, polarization) parametrisation. The
estimation is :mod:`simsrc.calibration.sbg`.

References
----------
.. [FH07] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention".
   *Journal of Interactive Marketing* 21(1), 76–90.
.. [FH10] Fader, P. S. and Hardie, B. G. S. (2010). "Customer-Base Valuation in a
   Contractual Setting: The Perils of Ignoring Heterogeneity". *Marketing Science* 29(1),
   85–93.
.. [SM77] Sabavala, D. J. and Morrison, D. G. (1977). "A Model of TV Show Loyalty".
   *Journal of Advertising Research* 17(6), 35–43.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln

__all__ = [
    "FloatArray",
    "sbg_churn_pmf",
    "sbg_derl",
    "sbg_derv",
    "sbg_from_mean_polarization",
    "sbg_params",
    "sbg_retention_rate",
    "sbg_survival",
    "sbg_to_mean_polarization",
]

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------


def sbg_params(alpha: ArrayLike, beta: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validate α, β > 0 (finite) and return them as float arrays."""
    a = np.asarray(alpha, dtype=float)
    b = np.asarray(beta, dtype=float)
    for name, v in (("alpha", a), ("beta", b)):
        if not np.all(np.isfinite(v) & (v > 0)):
            raise ValueError(f"{name}: must be finite and > 0 (got {v.tolist()!r})")
    return a, b


def _periods(t: ArrayLike, lowest: int, name: str = "t") -> FloatArray:
    """Validate that every period ``t`` is a whole number >= ``lowest``."""
    arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < lowest):
        raise ValueError(
            f"{name}: periods must be whole numbers >= {lowest} (got {arr.tolist()!r})"
        )
    return arr


def sbg_survival(alpha: ArrayLike, beta: ArrayLike, t: ArrayLike) -> FloatArray:
    """Share of a cohort still active after ``t`` periods, S(t) = B(α, β+t) / B(α, β).

    Parameters
    ----------
    alpha, beta : array_like
        Beta(α, β) parameters of the per-period churn probability, both > 0.
    t : array_like
        Periods, whole numbers >= 0 (S(0) = 1). Broadcast against ``alpha`` and ``beta``.

    Returns
    -------
    ndarray
        S(t), computed in log space with ``scipy.special.betaln``.

    Notes
    -----
    Survivor function of the sBG distribution, [FH07]_ ("A probability model", the
    survivor function after integrating (1 − θ)^t over the beta mixing distribution).

    Examples
    --------
    >>> sbg_survival(1.0, 1.0, [0, 1, 2, 3]).tolist()  # S(t) = 1 / (t + 1)
    [1.0, 0.5, 0.3333333333333333, 0.25]
    """
    a, b = sbg_params(alpha, beta)
    tt = _periods(t, 0)
    return np.asarray(np.exp(betaln(a, b + tt) - betaln(a, b)), dtype=float)


def sbg_churn_pmf(alpha: ArrayLike, beta: ArrayLike, t: ArrayLike) -> FloatArray:
    """Probability of churning in period ``t``, P(T = t) = B(α+1, β+t−1) / B(α, β).

    Parameters
    ----------
    alpha, beta : array_like
        Beta(α, β) parameters, both > 0.
    t : array_like
        Periods, whole numbers >= 1.

    Returns
    -------
    ndarray
        P(T = t) = S(t − 1) − S(t).

    Notes
    -----
    Probability mass function of the sBG distribution, [FH07]_ ("A probability model").

    Examples
    --------
    >>> sbg_churn_pmf(1.0, 1.0, [1, 2, 3]).round(6).tolist()  # 1 / (t (t + 1))
    [0.5, 0.166667, 0.083333]
    """
    a, b = sbg_params(alpha, beta)
    tt = _periods(t, 1)
    return np.asarray(np.exp(betaln(a + 1.0, b + tt - 1.0) - betaln(a, b)), dtype=float)


def sbg_retention_rate(alpha: ArrayLike, beta: ArrayLike, t: ArrayLike) -> FloatArray:
    """Retention rate in period ``t``, r(t) = S(t) / S(t−1) = (β+t−1) / (α+β+t−1).

    Parameters
    ----------
    alpha, beta : array_like
        Beta(α, β) parameters, both > 0.
    t : array_like
        Periods, whole numbers >= 1.

    Returns
    -------
    ndarray
        r(t), increasing in ``t`` towards 1 (the sorting effect of heterogeneity).

    Notes
    -----
    Retention-rate expression of [FH07]_ ("A probability model").

    Examples
    --------
    >>> sbg_retention_rate(1.0, 1.0, [1, 2, 3]).round(6).tolist()  # t / (t + 1)
    [0.5, 0.666667, 0.75]
    """
    a, b = sbg_params(alpha, beta)
    tt = _periods(t, 1)
    return np.asarray((b + tt - 1.0) / (a + b + tt - 1.0), dtype=float)


def _discount(discount: float) -> float:
    """Validate a per-period discount rate: strictly between 0 and 1."""
    try:
        d = float(discount)
    except (TypeError, ValueError):
        raise ValueError(
            f"discount: must be a number between 0 and 1 (got {discount!r})"
        ) from None
    if not (math.isfinite(d) and 0.0 < d < 1.0):
        raise ValueError(
            f"discount: the per-period discount rate must be strictly between 0 and 1 "
            f"(got {discount!r}; 10 % a year is 0.1)"
        )
    return d


def sbg_derl(
    alpha: ArrayLike, beta: ArrayLike, discount: float, renewals: ArrayLike
) -> FloatArray:
    """Discounted expected residual lifetime of a customer who has made ``renewals`` renewals.

    Standing just before the customer's next renewal decision, the expected number of
    further payments, one per period starting with that renewal's, each discounted by
    ``1 / (1 + discount)`` per period after the first ([FH10]_, eq. 6)::

        DERL = B(α, β+n+1) / B(α, β+n) · ₂F₁(1, β+n+1; α+β+n+1; 1/(1+d))

    with ``n`` renewals made. It rises with ``n``: the customers still here are the loyal
    ones, so a constant retention rate understates what they are worth.

    Parameters
    ----------
    alpha, beta : array_like
        Beta(α, β) parameters, both > 0.
    discount : float
        Discount rate per period, strictly between 0 and 1 (0.1 for 10 % a year with
        yearly renewals).
    renewals : array_like
        Renewals made so far, whole numbers >= 0 (0: a customer just acquired, before
        the first renewal). Broadcast against ``alpha`` and ``beta``.

    Returns
    -------
    ndarray
        DERL in periods (payments, discounted).

    Raises
    ------
    ValueError
        A parameter outside its range, naming it.

    Notes
    -----
    Eq. 6 is the sum ``Σ_{k≥0} S(n+1+k) / S(n) · (1+d)^{-k}``: the first renewal's
    probability ``(β+n)/(α+β+n)`` times the Gauss series ``Σ_k (β+n+1)_k / (α+β+n+1)_k
    z^k`` at ``z = 1/(1+d)``. The series is summed term by term, all renewals at once,
    until what is left is below 1e-16 of the sum (each term is at most ``z`` times the
    one before, so the rest is at most ``z/(1−z)`` times the last): about ``37/d`` terms.
    ``scipy.special.hyp2f1`` is not used: for whole-number α (``c − a − b`` an integer)
    it returns NaN or loses three digits once ``n`` is large.

    Examples
    --------
    >>> round(float(sbg_derl(1.0, 1.0, 0.1, 0)), 4)  # S(k) = 1/(k+1): Σ 1.1^-k / (k+2)
    1.8015
    >>> sbg_derl(0.668, 3.806, 0.1, [0, 4, 8]).round(3).tolist()  # [FH07]_'s high end
    [5.415, 6.897, 7.695]
    """
    a, b = sbg_params(alpha, beta)
    d = _discount(discount)
    if d < _SMALLEST_DISCOUNT:
        raise ValueError(
            f"discount: below {_SMALLEST_DISCOUNT:g} per period the residual lifetime is a "
            f"sum of more than {37 / _SMALLEST_DISCOUNT:,.0f} terms (got {discount!r})"
        )
    n = _periods(renewals, 0, "renewals")
    first, start = np.broadcast_arrays((b + n) / (a + b + n), b + n + 1.0)
    gap = np.broadcast_to(a, first.shape)  # c − b of the series
    return np.asarray(first * _gauss_series(start.ravel(), gap.ravel(), 1.0 / (1.0 + d))
                      .reshape(first.shape), dtype=float)  # fmt: skip


_SMALLEST_DISCOUNT = 1e-5
"""Per-period discount below which :func:`sbg_derl` refuses (millions of terms)."""


def _gauss_series(b: FloatArray, gap: FloatArray, z: float, chunk: int = 4096) -> FloatArray:
    """``Σ_k (b)_k / (b+gap)_k z^k`` for each element, summed in chunks of terms."""
    total = np.ones_like(b)
    term = np.ones_like(b)
    k = 0
    while True:
        j = np.arange(k, k + chunk, dtype=float)
        terms = term[:, None] * np.cumprod(
            (b[:, None] + j) / (b[:, None] + gap[:, None] + j) * z, axis=1
        )
        total = total + terms.sum(axis=1)
        term = terms[:, -1]
        k += chunk
        if np.all(term * z / (1.0 - z) <= 1e-16 * total):
            return total


def sbg_derv(
    alpha: ArrayLike,
    beta: ArrayLike,
    discount: float,
    renewals: ArrayLike,
    value_per_period: ArrayLike,
) -> FloatArray:
    """Discounted expected residual value: :func:`sbg_derl` times the value per period.

    Parameters
    ----------
    alpha, beta, discount, renewals
        As for :func:`sbg_derl`.
    value_per_period : array_like
        Net cash flow of an active customer per period (constant, as in [FH10]_), finite.

    Returns
    -------
    ndarray
        The value of a customer who has made ``renewals`` renewals, before the next one.

    Examples
    --------
    >>> round(float(sbg_derv(1.0, 1.0, 0.1, 0, 50.0)), 2)
    90.07
    """
    value = np.asarray(value_per_period, dtype=float)
    if not np.all(np.isfinite(value)):
        raise ValueError(f"value_per_period: must be a finite amount (got {value.tolist()!r})")
    return np.asarray(value * sbg_derl(alpha, beta, discount, renewals), dtype=float)


def sbg_from_mean_polarization(mean: float, polarization: float) -> tuple[float, float]:
    """Beta(α, β) with mean churn ``m = α/(α+β)`` and polarization ``φ = 1/(α+β+1)``.

    Parameters
    ----------
    mean : float
        Mean per-period churn probability m, in (0, 1).
    polarization : float
        Polarization index φ, in (0, 1): near 0, customers are alike; near 1, each
        customer's churn probability is close to 0 or 1.

    Returns
    -------
    tuple of float
        ``(alpha, beta) = (m (1−φ)/φ, (1−m)(1−φ)/φ)``.

    Notes
    -----
    The polarization index is that of [SM77]_; Fader & Hardie use the (m, φ) form to
    describe a fitted beta distribution in managerial terms ([FH07]_, [FH10]_).

    Examples
    --------
    >>> a, b = sbg_from_mean_polarization(0.25, 0.5)
    >>> a, b
    (0.25, 0.75)
    """
    for name, v in (("mean", mean), ("polarization", polarization)):
        if not (math.isfinite(v) and 0.0 < v < 1.0):
            raise ValueError(f"{name}: must be strictly between 0 and 1 (got {v!r})")
    total = (1.0 - polarization) / polarization
    return mean * total, (1.0 - mean) * total


def sbg_to_mean_polarization(alpha: float, beta: float) -> tuple[float, float]:
    """Mean churn ``m = α/(α+β)`` and polarization ``φ = 1/(α+β+1)`` of Beta(α, β).

    Parameters
    ----------
    alpha, beta : float
        Beta(α, β) parameters, both > 0.

    Returns
    -------
    tuple of float
        ``(m, phi)``; inverse of :func:`sbg_from_mean_polarization`.

    Notes
    -----
    Polarization index of [SM77]_ as used by [FH07]_ and [FH10]_.

    Examples
    --------
    >>> sbg_to_mean_polarization(0.25, 0.75)
    (0.25, 0.5)
    """
    sbg_params(alpha, beta)
    return alpha / (alpha + beta), 1.0 / (alpha + beta + 1.0)
