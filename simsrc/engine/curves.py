"""Curves over tenure: cause shapes, revenue per customer, and heterogeneity classes.

Everything here is a pure function of its inputs, cached where sweeps would otherwise
recompute the same curve thousands of times (the returned arrays are read-only).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import eigh_tridiagonal

from simsrc.model.conversions import ramp_gain, spread_to_beta
from simsrc.model.errors import ScenarioError
from simsrc.model.parts import Shape, ValueGrowth

MAX_NODES = 48
"""Cap on heterogeneity classes. Gauss–Jacobi quadrature with J nodes reproduces the
sBG survival exactly up to tenure 2J − 1; 48 nodes keep the error below 1e-11 out to
240 months for the parameter ranges tested in ``tests/test_identities.py``."""


def shape_curve(shape: Shape, months: int) -> NDArray[np.float64]:
    """Hazard multiplier by tenure month 0 … ``months`` − 1.

    Parameters
    ----------
    shape : Shape
        The cause's shape.
    months : int
        Number of tenure months.

    Returns
    -------
    ndarray
        ``flat``: ones. ``early``: ``exp(-t / T)``. ``hump``: ``u exp(1 - u)`` with
        ``u = (t + 1) / T`` (peak 1 in month ``T``). ``custom``: the values, the last one
        repeated.

    Examples
    --------
    >>> shape_curve(Shape("early", months=2.0), 3).round(3).tolist()
    [1.0, 0.607, 0.368]
    """
    return _shape_curve(shape.kind, float(shape.months), tuple(shape.values), int(months))


@lru_cache(maxsize=1024)
def _shape_curve(
    kind: str, scale: float, values: tuple[float, ...], months: int
) -> NDArray[np.float64]:
    t = np.arange(months, dtype=float)
    if kind == "flat":
        out = np.ones(months)
    elif kind == "early":
        out = np.exp(-t / scale)
    elif kind == "hump":
        u = (t + 1.0) / scale
        out = u * np.exp(1.0 - u)
    elif kind == "custom":
        v = np.asarray(values, dtype=float)
        out = v[np.minimum(np.arange(months), len(v) - 1)]
    else:  # pragma: no cover - validated in Scenario
        raise ScenarioError("shape.kind", f"unknown shape {kind!r}")
    out.setflags(write=False)
    return out


def value_curve(value: ValueGrowth, months: int) -> NDArray[np.float64]:
    """Revenue per customer by tenure relative to the starting price.

    ``v(t) = (1 + g (1 - exp(-t / T))) (1 + e)^t (1 - c)^t`` where ``g`` is solved so
    that the mean of ``v`` over months 24–35 is ``1 + year3_uplift`` times its mean over
    months 0–5 (before expansion ``e`` and contraction ``c``).

    Parameters
    ----------
    value : ValueGrowth
        Value-growth settings.
    months : int
        Number of tenure months.

    Returns
    -------
    ndarray
        Multipliers, ``v(0) = 1``.

    Raises
    ------
    ScenarioError
        If the uplift cannot be produced by the ramp (revenue would turn negative).

    Examples
    --------
    >>> v = value_curve(ValueGrowth(year3_uplift=0.67, ramp_months=12.0), 36)
    >>> round(float(v[24:36].mean() / v[0:6].mean()), 6)
    1.67
    """
    return _value_curve(
        float(value.year3_uplift),
        float(value.ramp_months),
        float(value.expansion_rate),
        float(value.contraction_rate),
        int(months),
    )


@lru_cache(maxsize=256)
def _value_curve(
    uplift: float, ramp: float, expansion: float, contraction: float, months: int
) -> NDArray[np.float64]:
    g = ramp_gain(uplift, ramp)
    t = np.arange(months, dtype=float)
    out = (1.0 + g * (1.0 - np.exp(-t / ramp))) * ((1.0 + expansion) * (1.0 - contraction)) ** t
    out.setflags(write=False)
    return out


STEPPED_NODES = 24
"""Heterogeneity classes when a save team or dunning makes the engine step month by
month (each class costs a state vector there): survival error below 1e-5 out to 240
months for the sBG cases of ``tests/test_identities.py`` — far inside what lever
assumptions are known to."""


def nodes_for(horizon: int, stepped: bool = False) -> int:
    """Default number of heterogeneity classes (exact sBG up to 95 months when not stepped).

    Examples
    --------
    >>> nodes_for(60), nodes_for(240), nodes_for(120, stepped=True)
    (31, 48, 24)
    """
    exact = min(math.ceil((horizon + 1) / 2), MAX_NODES)
    return min(exact, STEPPED_NODES) if stepped else exact


def frailty_nodes(
    mean: float, spread: float, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Heterogeneity classes: relative propensities ``z`` and their weights.

    Individual churn probability θ ~ Beta(α, β) with mean ``mean`` and the given spread
    is represented by Gauss–Jacobi quadrature nodes θ_j with weights w_j; the relative
    propensity is ``z_j = θ_j / mean`` (weighted mean 1). For a single flat cause this
    makes a cohort's survival ``Σ w_j (1 − θ_j)^t`` equal to the sBG closed form
    B(α, β+t)/B(α, β) exactly for t ≤ 2n − 1 (Fader & Hardie 2007, eq. 5).

    Parameters
    ----------
    mean : float
        Mean churn probability of the segment (at the hazard's peak), in [0, 1).
    spread : float
        Spread index in [0, 1).
    n : int
        Number of classes.

    Returns
    -------
    z, w : ndarray
        Relative propensities and weights (both of length ``n``, or 1 when customers are
        alike or the mean is 0).

    Examples
    --------
    >>> z, w = frailty_nodes(0.1, 0.3, 8)
    >>> round(float((z * w).sum()), 12), round(float(w.sum()), 12)
    (1.0, 1.0)
    """
    return _frailty_nodes(round(float(mean), 14), round(float(spread), 14), int(n))


@lru_cache(maxsize=4096)
def _frailty_nodes(
    mean: float, spread: float, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if spread <= 0 or mean <= 0 or mean >= 1.0 or n <= 1:
        # alike customers; also when the causes add up to certain churn, where no
        # Beta distribution with that mean has any spread
        z, w = np.ones(1), np.ones(1)
    else:
        theta, w = beta_quadrature(*spread_to_beta(mean, spread), n)
        z = theta / mean
    z.setflags(write=False)
    w.setflags(write=False)
    return z, w


def beta_quadrature(
    alpha: float, beta: float, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gauss quadrature nodes and weights for the Beta(α, β) distribution on (0, 1).

    Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of the monic
    Jacobi polynomials with parameters ``a = β − 1``, ``b = α − 1`` on [−1, 1] (mapped
    to θ = (1 + x)/2), the weights the squared first components of its eigenvectors.
    Unlike normalising constants such as ``2^(α+β+1)``, this stays finite for the very
    large α + β of nearly homogeneous customers. Exact for polynomials of degree
    ``2n − 1`` in θ.

    Examples
    --------
    >>> th, w = beta_quadrature(2.0, 3.0, 3)
    >>> round(float((w * th).sum()), 12)  # mean α/(α+β)
    0.4
    """
    a, b = beta - 1.0, alpha - 1.0
    k = np.arange(n, dtype=float)
    s = 2.0 * k + a + b
    diag = np.empty(n)
    diag[0] = (b - a) / (a + b + 2.0)
    diag[1:] = (b * b - a * a) / (s[1:] * (s[1:] + 2.0))
    kk = k[1:]
    ss = s[1:]
    off2 = 4.0 * kk * (kk + a) * (kk + b) * (kk + a + b) / (ss**2 * (ss + 1.0) * (ss - 1.0))
    if n > 1:  # n = 1 term with the (1 + a + b) factor cancelled (it may be 0)
        off2[0] = 4.0 * (1.0 + a) * (1.0 + b) / ((2.0 + a + b) ** 2 * (3.0 + a + b))
    x, vecs = eigh_tridiagonal(diag, np.sqrt(off2))
    w = vecs[0, :] ** 2
    return (1.0 + x) / 2.0, w / w.sum()
