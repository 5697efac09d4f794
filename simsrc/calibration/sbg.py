"""Shifted-beta-geometric (sBG) model of contract duration, fitted by maximum likelihood.

Each customer has a constant per-period churn probability θ, and θ varies across
customers as Beta(α, β). The cohort's retention rate then rises with tenure because the
customers most likely to churn leave first (Fader & Hardie 2007).

References
----------
.. [FH07] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention".
   *Journal of Interactive Marketing* 21(1), 76–90.
.. [FH10] Fader, P. S. and Hardie, B. G. S. (2010). "Customer-Base Valuation in a
   Contractual Setting: The Perils of Ignoring Heterogeneity". *Marketing Science* 29(1),
   85–93.
.. [SM77] Sabavala, D. J. and Morrison, D. G. (1977). "A Model of TV Show Loyalty".
   *Journal of Advertising Research* 17(6), 35–43.
.. [KM03] Klein, J. P. and Moeschberger, M. L. (2003). *Survival Analysis: Techniques for
   Censored and Truncated Data*, 2nd ed., Springer, ch. 3 (likelihoods with censoring).
.. [EH78] Efron, B. and Hinkley, D. V. (1978). "Assessing the Accuracy of the Maximum
   Likelihood Estimator: Observed versus Expected Fisher Information". *Biometrika* 65(3),
   457–487.
.. [AS64] Abramowitz, M. and Stegun, I. A. (1964). *Handbook of Mathematical Functions*,
   6.1 and 6.4 (log-gamma, digamma and trigamma).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, polygamma, psi, xlogy

from simsrc.calibration.durations import check_durations

# The closed forms live in sbg_curves.py; they are re-exported here with the fit, the
# module the rest of the package and its users import the sBG model from.
from simsrc.calibration.sbg_curves import (
    FloatArray,
    sbg_churn_pmf,
    sbg_derl,
    sbg_derv,
    sbg_from_mean_polarization,
    sbg_params,
    sbg_retention_rate,
    sbg_survival,
    sbg_to_mean_polarization,
)

__all__ = [
    "SBGFit",
    "fit_sbg",
    "fit_sbg_durations",
    "sbg_churn_pmf",
    "sbg_derl",
    "sbg_derv",
    "sbg_from_mean_polarization",
    "sbg_log_likelihood",
    "sbg_retention_rate",
    "sbg_survival",
    "sbg_to_mean_polarization",
]

_LOG_BOUND = 12.0
"""Bounds on log α and log β during the search (α, β in about [6e-6, 1.6e5])."""

# --------------------------------------------------------------------------------------
# Survival tables -> sufficient statistics
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counts:
    """Pooled sufficient statistics: churners by period and survivors censored by period."""

    churned: FloatArray  # churned[t] = customers lost in period t (index 0 unused, = 0)
    censored: FloatArray  # censored[n] = customers still active when last seen at period n
    n_cohorts: int

    @property
    def customers(self) -> float:
        """Customers at period 0, summed over cohorts."""
        return float(self.churned.sum() + self.censored.sum())


def _rows(survivors: ArrayLike | Sequence[ArrayLike]) -> tuple[list[FloatArray], bool]:
    """Split ``survivors`` into one float array per cohort; flag whether it was 1-D."""
    if (
        isinstance(survivors, (list, tuple))
        and len(survivors) > 0
        and all(np.ndim(row) == 1 for row in survivors)
    ):
        return [_as_float(row) for row in survivors], False
    arr = _as_float(survivors)
    if arr.ndim == 1:
        return [arr], True
    if arr.ndim == 2:
        return list(arr), False
    raise ValueError(
        f"survivors: expected a 1-D survival curve or a 2-D cohort table (got {arr.ndim}-D)"
    )


def _as_float(values: object) -> FloatArray:
    """Convert to a float array, turning numpy's conversion errors into a clear message."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"survivors: must hold numbers (counts or percentages): {err}") from err


def _trim(row: FloatArray, i: int, single: bool) -> FloatArray:
    """Drop leading/trailing NaN padding of a cohort-table row; reject any other NaN."""
    where = f"cohort {i}" if not single else "the survival curve"
    observed = ~np.isnan(row)
    if single and not observed.all():
        raise ValueError(f"survivors: {where} contains NaN; give a count for every period")
    if not observed.any():
        raise ValueError(f"survivors: {where} has no observed values (all NaN)")
    first = int(np.argmax(observed))
    last = len(row) - int(np.argmax(observed[::-1]))
    body = row[first:last]
    if np.isnan(body).any():
        raise ValueError(
            f"survivors: {where} has NaN between observed periods; NaN is only allowed as "
            "padding before (calendar-time table) or after (left-justified table) a cohort"
        )
    return body


def _initials(initial: float | Sequence[float] | None, n: int) -> list[float] | None:
    """Broadcast ``initial`` (period-0 customer counts for percentage input) to n cohorts."""
    if initial is None:
        return None
    values = np.atleast_1d(np.asarray(initial, dtype=float))
    if values.size == 1:
        values = np.repeat(values, n)
    if values.ndim != 1 or values.size != n:
        raise ValueError(f"initial: expected one value or one per cohort ({n}), got {values.size}")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"initial: period-0 customer counts must be > 0 (got {values.tolist()})")
    return [float(v) for v in values]


def _to_counts(row: FloatArray, i: int, initial: float | None) -> FloatArray:
    """Check one cohort's survivor curve and return it as (possibly fractional) counts."""
    if initial is not None:
        if np.any((row < 0) | (row > 100)):
            raise ValueError(f"survivors: cohort {i}: percentages must lie in [0, 100]")
        if abs(row[0] - 100.0) > 1e-9:
            raise ValueError(
                f"survivors: cohort {i}: with `initial` given the values are percentages "
                f"of period 0 and must start at 100 (got {row[0]!r})"
            )
        row = row / 100.0 * initial
    if np.any(~np.isfinite(row)) or np.any(row < 0):
        raise ValueError(f"survivors: cohort {i}: counts must be finite and >= 0")
    if row[0] <= 0:
        raise ValueError(f"survivors: cohort {i}: period-0 count must be > 0 (got {row[0]!r})")
    rises = np.flatnonzero(np.diff(row) > 0)
    if rises.size:
        k = int(rises[0])
        raise ValueError(
            f"survivors: cohort {i}: survivor counts must be non-increasing, but rise from "
            f"{row[k]!r} in period {k} to {row[k + 1]!r} in period {k + 1}"
        )
    return row


def _counts(
    survivors: ArrayLike | Sequence[ArrayLike], initial: float | Sequence[float] | None
) -> _Counts:
    """Validate a survival curve or cohort table and pool it into sufficient statistics."""
    rows, single = _rows(survivors)
    inits = _initials(initial, len(rows))
    cohorts = [
        _to_counts(_trim(row, i, single), i, None if inits is None else inits[i])
        for i, row in enumerate(rows)
    ]
    longest = max(len(c) for c in cohorts)
    if longest < 3:
        raise ValueError(
            "survivors: need counts for at least periods 0, 1 and 2 (two periods of churn) "
            f"to identify alpha and beta; the longest cohort has {longest} value(s)"
        )
    churned = np.zeros(longest)
    censored = np.zeros(longest)
    for c in cohorts:
        churned[1 : len(c)] += c[:-1] - c[1:]
        censored[len(c) - 1] += c[-1]
    if churned.sum() <= 0:
        raise ValueError(
            "survivors: no customer churned in the observed periods, so the maximum-"
            "likelihood estimate does not exist (alpha -> 0)"
        )
    return _Counts(churned=churned, censored=censored, n_cohorts=len(cohorts))


# --------------------------------------------------------------------------------------
# Log-likelihood with analytic derivatives
# --------------------------------------------------------------------------------------


def _terms(counts: _Counts) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each likelihood term is ``w [ln B(α+p, β+q) − ln B(α, β)]``; return (w, p, q)."""
    t = np.arange(counts.churned.size, dtype=float)
    w = np.concatenate([counts.churned[1:], counts.censored[1:]])
    p = np.concatenate([np.ones(t.size - 1), np.zeros(t.size - 1)])
    q = np.concatenate([t[1:] - 1.0, t[1:]])
    keep = w > 0
    return w[keep], p[keep], q[keep]


def _loglik(
    a: float, b: float, terms: tuple[FloatArray, FloatArray, FloatArray]
) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, gradient and Hessian in (α, β).

    LL = Σ_t D_t ln P(T=t) + Σ_n C_n ln S(n) with D_t churners in period t and C_n
    customers last seen active at period n (right-censored) [FH07]_ [KM03]_. Derivatives
    of ln B(x, y) = lnΓ(x) + lnΓ(y) − lnΓ(x+y) use the digamma ψ and trigamma ψ'
    functions [AS64]_.
    """
    w, p, q = terms
    total = w.sum()
    ap, bq, s = a + p, b + q, a + b + p + q
    ll = float(w @ betaln(ap, bq) - total * betaln(a, b))
    ga = w @ (psi(ap) - psi(s)) - total * (psi(a) - psi(a + b))
    gb = w @ (psi(bq) - psi(s)) - total * (psi(b) - psi(a + b))
    tri_s, tri_ab = polygamma(1, s), polygamma(1, a + b)
    haa = w @ (polygamma(1, ap) - tri_s) - total * (polygamma(1, a) - tri_ab)
    hbb = w @ (polygamma(1, bq) - tri_s) - total * (polygamma(1, b) - tri_ab)
    hab = -(w @ tri_s) + total * tri_ab
    return ll, np.array([ga, gb]), np.array([[haa, hab], [hab, hbb]])


def _geometric_loglik(terms: tuple[FloatArray, FloatArray, FloatArray]) -> float:
    """Log-likelihood of the limit α, β → ∞ at its best mean churn θ̂ (no heterogeneity).

    Each term ``w [ln B(α+p, β+q) − ln B(α, β)]`` tends to ``w [p ln θ + q ln(1 − θ)]``,
    maximised by ``θ̂ = Σ w p / Σ w (p + q)``.
    """
    w, p, q = terms
    churn, stay = float(w @ p), float(w @ q)
    theta = churn / (churn + stay)
    return float(xlogy(churn, theta) + xlogy(stay, 1.0 - theta))


def _loglik_log(
    x: FloatArray, terms: tuple[FloatArray, FloatArray, FloatArray]
) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, gradient and Hessian in (ln α, ln β) by the chain rule."""
    ab = np.exp(x)
    ll, g, h = _loglik(float(ab[0]), float(ab[1]), terms)
    return ll, g * ab, h * np.outer(ab, ab) + np.diag(g * ab)


def sbg_log_likelihood(
    alpha: float,
    beta: float,
    survivors: ArrayLike | Sequence[ArrayLike],
    initial: float | Sequence[float] | None = None,
) -> float:
    """Log-likelihood of a survival curve or cohort table under sBG(α, β).

    Parameters
    ----------
    alpha, beta : float
        Beta(α, β) parameters, both > 0.
    survivors, initial
        As for :func:`fit_sbg`.

    Returns
    -------
    float
        ``Σ_t D_t ln P(T=t) + Σ_n C_n ln S(n)``: churners D_t in each observed period t and
        the survivors C_n of each cohort at its last observed period n (right-censored).

    Notes
    -----
    Single-cohort likelihood of [FH07]_ (Appendix); a cohort table adds the independent
    cohorts' log-likelihoods, each with its own censoring time [KM03]_.

    Examples
    --------
    >>> round(sbg_log_likelihood(1.0, 1.0, [6, 3, 2]), 4)  # 3 ln½ + 1 ln⅙ + 2 ln⅓
    -6.0684
    """
    a, b = sbg_params(alpha, beta)
    return _loglik(float(a), float(b), _terms(_counts(survivors, initial)))[0]


# --------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SBGFit:
    """Maximum-likelihood sBG fit of a survival curve or cohort table.

    Attributes
    ----------
    alpha, beta : float
        Estimates of the Beta(α, β) parameters.
    alpha_se, beta_se : float
        Standard errors from the inverse observed Fisher information in (α, β) [EH78]_;
        NaN when the observed information is not positive definite.
    cov_alpha_beta : float
        Estimated covariance of α̂ and β̂.
    log_likelihood : float
        Maximised log-likelihood.
    n_periods : int
        Longest observed tenure (periods after period 0).
    n_customers : float
        Customers at period 0, summed over cohorts.
    n_cohorts : int
        Number of cohorts.
    converged : bool
        The gradient vanishes at the estimate, which is not on the search bounds, and the
        observed information there is positive definite.

    Examples
    --------
    >>> fit = fit_sbg([100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1], initial=1000)
    >>> round(fit.alpha, 3), round(fit.beta, 3)
    (0.704, 1.182)
    >>> [round(float(v), 1) for v in fit.project(12, initial=100)[8:]]  # years 8-12
    [22.0, 20.4, 19.1, 18.0, 17.0]
    """

    alpha: float
    beta: float
    alpha_se: float
    beta_se: float
    cov_alpha_beta: float
    log_likelihood: float
    n_periods: int
    n_customers: float
    n_cohorts: int
    converged: bool

    @property
    def mean_churn(self) -> float:
        """Mean per-period churn probability ``α/(α+β)`` [FH07]_."""
        return sbg_to_mean_polarization(self.alpha, self.beta)[0]

    @property
    def polarization(self) -> float:
        """Polarization index ``1/(α+β+1)`` [SM77]_."""
        return sbg_to_mean_polarization(self.alpha, self.beta)[1]

    def survival(self, t: ArrayLike) -> FloatArray:
        """Fitted survival S(t); see :func:`sbg_survival`."""
        return sbg_survival(self.alpha, self.beta, t)

    def retention(self, t: ArrayLike) -> FloatArray:
        """Fitted retention rate r(t); see :func:`sbg_retention_rate`."""
        return sbg_retention_rate(self.alpha, self.beta, t)

    def churn_pmf(self, t: ArrayLike) -> FloatArray:
        """Fitted P(T = t); see :func:`sbg_churn_pmf`."""
        return sbg_churn_pmf(self.alpha, self.beta, t)

    def derl(self, discount: float, renewals: ArrayLike = 0) -> FloatArray:
        """Discounted expected residual lifetime after ``renewals`` renewals [FH10]_.

        See :func:`sbg_derl`; ``discount`` is per period of the fit (a year for yearly
        renewals).

        Examples
        --------
        >>> fit = fit_sbg([100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1], initial=1000)
        >>> fit.derl(0.1, [0, 7]).round(2).tolist()  # the high end of [FH07]_, 10 % a year
        [5.41, 7.53]
        """
        return sbg_derl(self.alpha, self.beta, discount, renewals)

    def derv(
        self, discount: float, renewals: ArrayLike = 0, value_per_period: ArrayLike = 1.0
    ) -> FloatArray:
        """Discounted expected residual value: :meth:`derl` times the value per period.

        See :func:`sbg_derv`.
        """
        return sbg_derv(self.alpha, self.beta, discount, renewals, value_per_period)

    def project(self, periods: int, initial: float = 1.0) -> FloatArray:
        """Project the expected survivors of a new cohort at periods 0, 1, …, ``periods``.

        Parameters
        ----------
        periods : int
            Last period to project, >= 0.
        initial : float, default 1.0
            Cohort size at period 0 (100 gives percentages).

        Returns
        -------
        ndarray
            ``initial · S(t)`` for t = 0 … ``periods`` [FH07]_.
        """
        if not (isinstance(periods, (int, np.integer)) and periods >= 0):
            raise ValueError(f"periods: must be a whole number >= 0 (got {periods!r})")
        if not (math.isfinite(initial) and initial > 0):
            raise ValueError(f"initial: must be finite and > 0 (got {initial!r})")
        return initial * self.survival(np.arange(int(periods) + 1))


def _start(counts: _Counts, terms: tuple[FloatArray, FloatArray, FloatArray]) -> FloatArray:
    """Pick a start (ln α, ln β): first-period churn rate as mean, best of a few φ."""
    at_risk = counts.customers - counts.censored[0]
    mean = float(np.clip(counts.churned[1] / at_risk, 0.02, 0.98))
    starts = [np.log(sbg_from_mean_polarization(mean, phi)) for phi in (0.05, 0.2, 0.5, 0.8)]
    return max(starts, key=lambda x: _loglik_log(x, terms)[0])


def _polish(
    x: FloatArray, terms: tuple[FloatArray, FloatArray, FloatArray], steps: int = 50
) -> FloatArray:
    """Newton steps in log space with step halving, until the step is negligible."""
    for _ in range(steps):
        ll, g, h = _loglik_log(x, terms)
        if np.any(np.linalg.eigvalsh(h) >= 0):
            return x  # not locally concave: keep the quasi-Newton answer
        step = -np.linalg.solve(h, g)
        for _ in range(30):
            trial = np.clip(x + step, -_LOG_BOUND, _LOG_BOUND)
            if _loglik_log(trial, terms)[0] >= ll:
                break
            step = step / 2.0
        else:
            return x
        x = trial
        if np.max(np.abs(step)) < 1e-13:
            break
    return x


def fit_sbg(
    survivors: ArrayLike | Sequence[ArrayLike],
    initial: float | Sequence[float] | None = None,
) -> SBGFit:
    """Fit the shifted-beta-geometric model by maximum likelihood.

    Parameters
    ----------
    survivors : array_like or sequence of array_like
        Customers still active at period 0, 1, 2, … of tenure.

        - 1-D: one cohort, ``survivors[t]`` at period t (at least periods 0, 1, 2).
        - 2-D array or DataFrame: one row per cohort. Rows may be padded with NaN after the
          last observed period (left-justified table: columns are tenure) or before the
          cohort's start (calendar-time table: columns are calendar periods, cohort i
          starting in column i). Each row is read from its first to last observed value.
        - A list of 1-D arrays of different lengths: one cohort each, left-justified.

        Each cohort contributes its churners in every observed period plus a
        right-censored term for the customers still active when last observed. Counts may
        be fractional (weights). Cohorts observed only at period 0 carry no information.
    initial : float or sequence of float, optional
        When given, ``survivors`` are percentages of period 0 (each cohort starting at 100)
        and ``initial`` is the period-0 count (one value, or one per cohort).

    Returns
    -------
    SBGFit
        Estimates, standard errors, log-likelihood and a convergence flag.

    Raises
    ------
    ValueError
        Negative, non-finite or increasing counts, NaN inside a cohort (or anywhere in a
        1-D curve), fewer than three observed periods, or no churn at all.

    Notes
    -----
    Maximises ``LL(α, β) = Σ_t D_t ln P(T=t) + Σ_n C_n ln S(n)`` ([FH07]_, Appendix;
    censored cohorts as in [KM03]_) over (ln α, ln β) with L-BFGS-B and analytic
    gradients, then polishes with Newton steps using the analytic Hessian. Standard
    errors are the square roots of the diagonal of the inverse observed information
    ``−∇²LL(α̂, β̂)`` in (α, β) [EH78]_.

    When retention does not rise with tenure (no sign of heterogeneity) the likelihood
    is maximised on the boundary α, β → ∞ (a plain geometric model, φ → 0); the fit then
    stops at the search bounds with ``converged=False``.

    Examples
    --------
    Fader & Hardie (2007), "High End" segment, years 0–7 as % of 1000 customers:

    >>> fit = fit_sbg([100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1], initial=1000)
    >>> round(fit.alpha, 3), round(fit.beta, 3), fit.converged
    (0.668, 3.806, True)
    """
    counts = _counts(survivors, initial)
    terms = _terms(counts)
    return _fit_terms(
        terms,
        _start(counts, terms),
        n_periods=counts.churned.size - 1,
        n_customers=counts.customers,
        n_cohorts=counts.n_cohorts,
    )


def _fit_terms(
    terms: tuple[FloatArray, FloatArray, FloatArray],
    start: FloatArray,
    *,
    n_periods: int,
    n_customers: float,
    n_cohorts: int,
) -> SBGFit:
    """Maximise the log-likelihood given by ``terms`` from ``start`` (ln α, ln β)."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * 2
    # L-BFGS-B's own success flag is not used: the Newton polish may finish its job.
    res = minimize(
        lambda x: tuple(-v for v in _loglik_log(x, terms)[:2]),
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
    )
    x = _polish(np.asarray(res.x, dtype=float), terms)
    a, b = (float(v) for v in np.exp(x))
    ll, grad, hess = _loglik(a, b, terms)
    info = -hess
    positive = bool(np.all(np.linalg.eigvalsh(info) > 0))
    cov = np.linalg.inv(info) if positive else np.full((2, 2), np.nan)
    # The likelihood may be so flat towards α, β → ∞ that the search stops short of its
    # bounds; the limit (a geometric model) then fits at least as well as the estimate.
    on_bound = bool(np.any(np.abs(x) >= _LOG_BOUND - 1e-6)) or (
        _geometric_loglik(terms) >= ll - 1e-9 * max(1.0, abs(ll))
    )
    flat = bool(np.max(np.abs(grad * np.array([a, b]))) <= 1e-6 * max(1.0, n_customers))
    return SBGFit(
        alpha=a,
        beta=b,
        alpha_se=float(np.sqrt(cov[0, 0])),
        beta_se=float(np.sqrt(cov[1, 1])),
        cov_alpha_beta=float(cov[0, 1]),
        log_likelihood=ll,
        n_periods=n_periods,
        n_customers=n_customers,
        n_cohorts=n_cohorts,
        converged=flat and positive and not on_bound,
    )


def fit_sbg_durations(
    tenure: ArrayLike,
    churned: ArrayLike,
    entry: ArrayLike | None = None,
    weight: ArrayLike | None = None,
) -> SBGFit:
    """Fit the sBG model to customer-level durations with censoring and delayed entry.

    Parameters
    ----------
    tenure : array_like of int
        Periods each customer was observed to survive (actives, right-censored) or the
        period in which they churned (churners, >= 1).
    churned : array_like of bool
        Whether each customer churned.
    entry : array_like of int, optional
        Periods each customer had already survived when observation began (left
        truncation): 0 <= entry <= tenure (< tenure for churners). Default 0.
    weight : array_like of float, optional
        Case weights >= 0 (default 1).

    Returns
    -------
    SBGFit
        As :func:`fit_sbg`; ``n_customers`` is the total weight, ``n_cohorts`` is 1.

    Raises
    ------
    ValueError
        Bad tenure, flags, entries or weights, fewer than two distinct churn periods in
        reach, or no churn at all.

    Notes
    -----
    A churner in period k who entered at e contributes ln P(T=k) − ln S(e) and an active
    customer last seen at k contributes ln S(k) − ln S(e): the sBG likelihood of [FH07]_
    conditioned on survival to the start of observation (left truncation, [KM03]_). With
    ``S(e) = B(α, β+e)/B(α, β)`` each conditioning term is one more ``ln B(α, β+q)`` term
    with a negative weight, so the same analytic derivatives apply.

    Examples
    --------
    A 1000-customer cohort of Fader & Hardie's (2007) "Regular" segment, one row per
    customer, gives the published fit:

    >>> import numpy as np
    >>> surv = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> lost = surv[:-1] - surv[1:]
    >>> tenure = np.concatenate([np.repeat(np.arange(1, 8), lost), np.full(241, 7)])
    >>> churned = np.concatenate([np.ones(lost.sum(), bool), np.zeros(241, bool)])
    >>> fit = fit_sbg_durations(tenure, churned)
    >>> round(fit.alpha, 3), round(fit.beta, 3)
    (0.704, 1.182)
    """
    d = _durations(tenure, churned, entry, weight)
    terms = _duration_terms(d)
    grid = [
        np.log(sbg_from_mean_polarization(m, phi))
        for m in (0.01, 0.05, 0.2, 0.5)
        for phi in (0.05, 0.2, 0.5, 0.8)
    ]
    start = max(grid, key=lambda x: _loglik_log(x, terms)[0])
    return _fit_terms(
        terms, start, n_periods=int(d.tenure.max()), n_customers=float(d.weight.sum()), n_cohorts=1
    )


@dataclass(frozen=True)
class _Durations:
    """Checked customer durations: tenure, churn flags, entry and weight, one per customer."""

    tenure: FloatArray
    churned: NDArray[np.bool_]
    entry: FloatArray
    weight: FloatArray


def _durations(
    tenure: ArrayLike,
    churned: ArrayLike,
    entry: ArrayLike | None,
    weight: ArrayLike | None,
) -> _Durations:
    """Check the arguments of :func:`fit_sbg_durations` and return them as arrays."""
    d = check_durations(tenure, churned, entry, weight, unit="periods")
    t, flags = d.tenure.astype(float), d.churned
    e = np.zeros(t.size) if d.entry is None else d.entry.astype(float)
    w = np.ones(t.size) if d.weight is None else d.weight
    if not np.any(flags & (w > 0)):
        raise ValueError(
            "churned: no customer churned, so the maximum-likelihood estimate does not "
            "exist (alpha -> 0)"
        )
    return _Durations(t, flags, e, w)


def _duration_terms(d: _Durations) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted ``ln B(α + p, β + q)`` terms of the durations' log-likelihood."""
    t, flags, e, w = d.tenure, d.churned, d.entry, d.weight
    terms_w = np.concatenate([w[flags], w[~flags], -w[e > 0]])
    terms_p = np.concatenate([np.ones(flags.sum()), np.zeros((~flags).sum() + (e > 0).sum())])
    terms_q = np.concatenate([t[flags] - 1.0, t[~flags], e[e > 0]])
    # Pool identical (p, q) terms: a few hundred terms however many customers.
    key = terms_q * 2.0 + terms_p
    uniq, inverse = np.unique(key, return_inverse=True)
    pooled = np.bincount(inverse, weights=terms_w)
    keep = np.abs(pooled) > 1e-12 * max(1.0, float(w.sum()))
    return (
        np.asarray(pooled[keep], dtype=float),
        np.asarray((uniq % 2.0)[keep], dtype=float),
        np.asarray(np.floor(uniq / 2.0)[keep], dtype=float),
    )
