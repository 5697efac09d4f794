"""Closed-form conversions between the model's parameters and the quantities they imply.

Pure arithmetic on floats (no arrays), so the model can validate a scenario with them and
the engine and calibration can share them: the spread index ↔ Beta(α, β) of individual
churn probabilities [fh2007], and the gain of the saturating revenue ramp that yields a
scenario's year-3 uplift.
"""

from __future__ import annotations

import math

from simsrc.model.errors import ScenarioError

__all__ = ["beta_to_spread", "ramp_gain", "spread_to_beta"]


def spread_to_beta(mean: float, spread: float) -> tuple[float, float]:
    """Beta(α, β) of individual churn probabilities with a given mean and spread.

    The spread index ``s = CV² / (1 + CV²)`` (CV: coefficient of variation of individual
    churn probability) is scale-free: 0 means identical customers, 0.5 means propensity
    varies as much as its mean. Fader & Hardie's polarization index is then
    ``φ = 1/(α+β+1) = s/(1-s) · m/(1-m)``. A Beta distribution needs φ < 1, so a mean
    ``m`` allows a spread of at most ``1 − m``; larger spreads are clamped to that limit
    (only reachable with mean churn above 5 % a month, as the spread is at most 0.95).

    Parameters
    ----------
    mean : float
        Mean churn probability m, in (0, 1).
    spread : float
        Spread index s in (0, 1).

    Returns
    -------
    tuple of float
        ``(alpha, beta)``.

    Examples
    --------
    >>> a, b = spread_to_beta(0.3, 0.5)
    >>> round(a / (a + b), 12)
    0.3
    """
    cv2 = spread / (1.0 - spread)
    phi = min(cv2 * mean / (1.0 - mean), 1.0 - 1e-9)
    total = (1.0 - phi) / phi
    return mean * total, (1.0 - mean) * total


def beta_to_spread(alpha: float, beta: float) -> tuple[float, float]:
    """Mean churn probability and spread index of a Beta(α, β) (inverse of the above).

    Examples
    --------
    >>> m, s = beta_to_spread(*spread_to_beta(0.05, 0.4))
    >>> round(m, 12), round(s, 12)
    (0.05, 0.4)
    """
    mean = alpha / (alpha + beta)
    cv2 = beta / (alpha * (alpha + beta + 1.0))
    return mean, cv2 / (1.0 + cv2)


def ramp_gain(uplift: float, ramp: float) -> float:
    """Gain ``g`` of the saturating ramp that yields a given year-3 uplift.

    Examples
    --------
    >>> round(ramp_gain(0.0, 12.0), 12)
    0.0
    """
    a0 = math.fsum(1.0 - math.exp(-k / ramp) for k in range(6)) / 6.0
    a3 = math.fsum(1.0 - math.exp(-k / ramp) for k in range(24, 36)) / 12.0
    denom = a3 - (1.0 + uplift) * a0
    if denom <= 0 or 1.0 + uplift / denom <= 0:
        raise ScenarioError(
            "value.year3_uplift",
            f"an uplift of {uplift:g} cannot be reached with a ramp of {ramp:g} months "
            "(use a shorter ramp or a smaller uplift)",
        )
    return uplift / denom
