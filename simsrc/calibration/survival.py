"""Discrete-time survival analysis of a customer snapshot, with correct right-censoring.

The input is one row per customer: tenure in whole months, whether the customer has
churned and, optionally, why. A churner with tenure ``k`` churned in month ``k``; a
customer still active with tenure ``k`` was at risk in months 1 … ``k`` and is censored
after month ``k`` (an active customer with tenure 0 has not yet been at risk).

Snapshots that hold only the customers active during a recent window are *left
truncated*: a customer already ``e`` months old when the window opened is seen at risk in
months ``e + 1`` … ``k`` only, because the customers of the same age who left before the
window are missing from the file. Pass ``entry`` (months survived before observation
began) and the risk sets become ``entry < t <= tenure`` — the product-limit estimator
with delayed entry [KM03]_ [TJW87]_. ``weight`` gives each row a case weight (e.g.
fractional copies of a customer whose entry is uncertain).

References
----------
.. [KM58] Kaplan, E. L. and Meier, P. (1958). "Nonparametric Estimation from Incomplete
   Observations". *Journal of the American Statistical Association* 53(282), 457–481.
.. [Gre26] Greenwood, M. (1926). "The Natural Duration of Cancer". *Reports on Public
   Health and Medical Subjects* 33, HMSO, London.
.. [SW93] Singer, J. D. and Willett, J. B. (1993). "It's About Time: Using Discrete-Time
   Survival Analysis to Study Duration and the Timing of Events". *Journal of
   Educational Statistics* 18(2), 155–195.
.. [AJ78] Aalen, O. O. and Johansen, S. (1978). "An Empirical Transition Matrix for
   Non-homogeneous Markov Chains Based on Censored Observations". *Scandinavian Journal
   of Statistics* 5(3), 141–150.
.. [KP02] Kalbfleisch, J. D. and Prentice, R. L. (2002). *The Statistical Analysis of
   Failure Time Data*, 2nd ed., Wiley, ch. 8 (competing risks).
.. [KM03] Klein, J. P. and Moeschberger, M. L. (2003). *Survival Analysis: Techniques for
   Censored and Truncated Data*, 2nd ed., Springer, sec. 4.6 (left truncation).
.. [TJW87] Tsai, W.-Y., Jewell, N. P. and Wang, M.-C. (1987). "A Note on the
   Product-Limit Estimator under Right Censoring and Left Truncation". *Biometrika*
   74(4), 883–886.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from simsrc.calibration.durations import check_durations, churn_flags

__all__ = ["cause_specific_hazards", "life_table", "survival_hazards"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class _Snapshot:
    """Validated snapshot: tenure capped at ``months``, churn flag (False once capped).

    ``entry`` (capped like tenure) and ``weight`` are ``None`` when not given, so that the
    plain case keeps integer counts.
    """

    tenure: IntArray
    churned: NDArray[np.bool_]
    months: int
    entry: IntArray | None = None
    weight: FloatArray | None = None


def _snapshot(
    tenure: ArrayLike,
    churned: ArrayLike,
    max_tenure: int | None,
    entry: ArrayLike | None = None,
    weight: ArrayLike | None = None,
) -> _Snapshot:
    """Validate the snapshot and cap tenure at ``max_tenure`` (censoring beyond it)."""
    d = check_durations(tenure, churned, entry, weight)
    t, c, e = d.tenure, d.churned, d.entry
    if max_tenure is None:
        months = int(t.max())
        if months == 0:
            raise ValueError("tenure: every customer has tenure 0, so none was ever at risk")
    elif isinstance(max_tenure, (int, np.integer)) and not isinstance(max_tenure, bool):
        months = int(max_tenure)
        if months < 1:
            raise ValueError(f"max_tenure: must be a whole number >= 1 (got {max_tenure!r})")
    else:
        raise ValueError(f"max_tenure: must be a whole number >= 1 (got {max_tenure!r})")
    return _Snapshot(
        tenure=np.minimum(t, months),
        churned=c & (t <= months),
        months=months,
        entry=None if e is None else np.minimum(e, months),
        weight=d.weight,
    )


def _by_month(values: IntArray, months: int, weight: FloatArray | None = None) -> NDArray:
    """Customers (or their weights) per month 1 … ``months`` (values of 0 are dropped)."""
    counts = np.bincount(values, weights=weight, minlength=months + 1)[1:]
    return counts if weight is not None else counts.astype(np.int64)


def _select(snap: _Snapshot, mask: NDArray[np.bool_]) -> NDArray:
    """Monthly counts (or weights) of the customers selected by ``mask``, by tenure."""
    w = None if snap.weight is None else snap.weight[mask]
    return _by_month(snap.tenure[mask], snap.months, w)


def _at_risk(snap: _Snapshot) -> NDArray:
    """Customers at risk in month t, ``entry < t <= tenure`` (capped), for t = 1 … months."""
    per_month = np.bincount(snap.tenure, weights=snap.weight, minlength=snap.months + 1)
    at_risk = per_month[::-1].cumsum()[::-1][1:]
    if snap.entry is not None:
        entered = np.bincount(snap.entry, weights=snap.weight, minlength=snap.months + 1)
        at_risk = at_risk - entered[::-1].cumsum()[::-1][1:]
    if snap.weight is None:
        return at_risk.astype(np.int64)
    return np.asarray(np.maximum(at_risk, 0.0), dtype=float)  # clip rounding below 0


def _ratio(num: ArrayLike, den: NDArray) -> FloatArray:
    """``num / den`` with NaN where nobody is at risk."""
    num_arr = np.asarray(num, dtype=float)
    out = np.full(num_arr.shape, np.nan)
    np.divide(num_arr, den, out=out, where=den > 0)
    return out


def survival_hazards(survival: ArrayLike, empty: float = 0.0) -> FloatArray:
    """Monthly hazards ``1 − S(t) / S(t − 1)`` of survival curves (last axis: tenure 0 …).

    ``empty`` where the curve says nothing (nobody left to leave, or NaN).

    Examples
    --------
    >>> survival_hazards([1.0, 0.8, 0.4, 0.0, 0.0]).tolist()
    [0.19999999999999996, 0.5, 1.0, 0.0]
    """
    s = np.asarray(survival, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = 1.0 - s[..., 1:] / s[..., :-1]
    return np.where(np.isfinite(h), h, empty)


def _survival(hazard: FloatArray) -> FloatArray:
    """Compute product-limit survival S(t) = Π_{s<=t} (1 − h(s)) (no one at risk: factor 1)."""
    return np.asarray(np.cumprod(1.0 - np.nan_to_num(hazard, nan=0.0)), dtype=np.float64)


def _greenwood(survival: FloatArray, at_risk: NDArray, churned: NDArray) -> FloatArray:
    """Greenwood SE: S(t) · sqrt(Σ_{s<=t} d_s / (n_s (n_s − d_s))); NaN once S(t) = 0."""
    n = at_risk.astype(float)
    d = churned.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > 0, d / (n * (n - d)), 0.0)
        terms = np.where((n > 0) & (n <= d), np.inf, terms)
        se = survival * np.sqrt(np.cumsum(terms))
    return np.where(survival > 0, se, np.nan)


def life_table(
    tenure: ArrayLike,
    churned: ArrayLike,
    max_tenure: int | None = None,
    *,
    entry: ArrayLike | None = None,
    weight: ArrayLike | None = None,
) -> pd.DataFrame:
    """Discrete-time life table (product-limit survival) from a customer snapshot.

    Parameters
    ----------
    tenure : array_like of int
        Tenure of each customer in whole months, >= 0 (>= 1 for churners).
    churned : array_like of bool
        Whether each customer has churned (bool, or 1/0). A churner with tenure k churned
        in month k; an active customer with tenure k is censored after month k.
    max_tenure : int, optional
        Last month to tabulate (default: the largest tenure). Customers beyond it count
        as at risk up to ``max_tenure`` and censored there.
    entry : array_like of int, optional
        Months each customer had already survived when observation began (left
        truncation, delayed entry): 0 <= entry <= tenure, and entry < tenure for
        churners. The customer is at risk in months ``entry + 1`` … ``tenure`` only.
        Default: everyone observed from month 1.
    weight : array_like of float, optional
        Case weights >= 0 (default 1). Counts become weighted sums (floats).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``tenure`` month 1 … ``max_tenure``, with columns

        - ``at_risk``: n_t, customers with entry < t <= tenure;
        - ``churned``: d_t, churners with tenure t;
        - ``censored``: active customers last seen in month t;
        - ``entered``: customers whose observation began at the start of month t (entry
          = t − 1), only when ``entry`` is given;
        - ``hazard``: h_t = d_t / n_t (NaN if n_t = 0) [SW93]_;
        - ``survival``: S(t) = Π_{s<=t} (1 − h_s), the Kaplan–Meier product-limit
          estimator on a monthly grid [KM58]_ (with delayed entry [TJW87]_);
        - ``survival_se``: Greenwood standard error
          S(t) · sqrt(Σ_{s<=t} d_s / (n_s (n_s − d_s))) [Gre26]_ (NaN once S(t) = 0).

    Raises
    ------
    ValueError
        Tenure not whole months >= 0 (or a churner with tenure 0), churned not
        boolean-like, lengths that differ, ``max_tenure`` < 1, entry outside
        0 … tenure (or not below tenure for a churner), or negative weights.

    Examples
    --------
    >>> table = life_table([1, 2, 2, 3, 3, 4], [1, 0, 1, 1, 0, 0])
    >>> table[["at_risk", "churned", "censored"]].to_numpy().tolist()
    [[6, 1, 0], [5, 1, 1], [3, 1, 1], [1, 0, 1]]
    >>> table["survival"].round(4).tolist()
    [0.8333, 0.6667, 0.4444, 0.4444]

    With delayed entry the last two customers are seen from month 3 only:

    >>> late = life_table([1, 2, 2, 3, 3, 4], [1, 0, 1, 1, 0, 0], entry=[0, 0, 0, 0, 2, 2])
    >>> late["at_risk"].tolist()
    [4, 3, 3, 1]
    """
    snap = _snapshot(tenure, churned, max_tenure, entry, weight)
    at_risk = _at_risk(snap)
    d = _select(snap, snap.churned)
    hazard = _ratio(d, at_risk)
    survival = _survival(hazard)
    columns: dict[str, ArrayLike] = {
        "at_risk": at_risk,
        "churned": d,
        "censored": _select(snap, ~snap.churned),
    }
    if snap.entry is not None:
        columns["entered"] = _entered(snap)
    columns.update(hazard=hazard, survival=survival, survival_se=_greenwood(survival, at_risk, d))
    return pd.DataFrame(columns, index=pd.RangeIndex(1, snap.months + 1, name="tenure"))


def _entered(snap: _Snapshot) -> NDArray[np.float64] | NDArray[np.int64]:
    """Customers whose observation began at the start of each month (entry = t − 1)."""
    assert snap.entry is not None
    counts = np.bincount(snap.entry, weights=snap.weight, minlength=snap.months + 1)
    return counts[: snap.months].astype(np.int64) if snap.weight is None else counts[: snap.months]


def _causes(cause: ArrayLike, churned: NDArray[np.bool_]) -> pd.Series:
    """Cause labels of the churners; every churner needs one (actives are ignored)."""
    labels = pd.Series(np.asarray(cause, dtype=object))
    if labels.size != churned.size:
        raise ValueError(f"cause: length {labels.size} does not match tenure ({churned.size})")
    missing = labels[churned].isna()
    if missing.any():
        raise ValueError(
            f"cause: missing for {int(missing.sum())} churned customer(s); give every "
            "churner a cause (e.g. 'unknown')"
        )
    return labels


def _cause_list(
    cause: ArrayLike, churner_labels: pd.Series, causes: Sequence[Hashable] | None
) -> list[Hashable]:
    """Causes to report: ``causes`` if given, else categories, else those observed."""
    observed = churner_labels.unique().tolist()
    if causes is None:
        if isinstance(cause, (pd.Series, pd.Categorical)) and isinstance(
            cause.dtype, pd.CategoricalDtype
        ):
            return list(cause.dtype.categories)
        return sorted(observed, key=str)
    allowed = list(causes)
    if len(set(allowed)) != len(allowed):
        raise ValueError(f"causes: labels must be unique (got {allowed!r})")
    unknown = [k for k in observed if k not in allowed]
    if unknown:
        raise ValueError(f"cause: {unknown!r} not among the allowed causes {allowed!r}")
    return allowed


def cause_specific_hazards(
    tenure: ArrayLike,
    churned: ArrayLike,
    cause: ArrayLike,
    max_tenure: int | None = None,
    causes: Sequence[Hashable] | None = None,
    *,
    entry: ArrayLike | None = None,
    weight: ArrayLike | None = None,
) -> pd.DataFrame:
    """Cause-specific hazards and cumulative incidence functions by tenure month.

    Parameters
    ----------
    tenure, churned, max_tenure, entry, weight
        As for :func:`life_table`.
    cause : array_like
        Churn reason of each customer (any hashable labels). Required for churners;
        ignored (may be missing) for active customers.
    causes : sequence, optional
        Causes to report, in this order, including any with no churners (zero hazard).
        Default: the categories if ``cause`` is categorical, else the causes observed
        among churners sorted by their string form.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``tenure`` month 1 … ``max_tenure``, with two-level columns:

        - ``("at_risk", "all")``: n_t, customers at risk in month t;
        - ``("survival", "all")``: all-cause product-limit survival S(t), as in
          :func:`life_table`;
        - ``("churned", k)``: churners for cause k in month t, d_k(t);
        - ``("hazard", k)``: cause-specific hazard h_k(t) = d_k(t) / n_t (NaN if n_t = 0)
          [KP02]_;
        - ``("cif", k)``: cumulative incidence CIF_k(t) = Σ_{s<=t} S(s − 1) h_k(s), the
          discrete-time Aalen–Johansen estimator [AJ78]_ [KP02]_.

        Σ_k CIF_k(t) + S(t) = 1 up to rounding. With no churners and no ``causes``, only
        the two ``"all"`` columns are present.

    Raises
    ------
    ValueError
        As for :func:`life_table`, plus a cause that is missing for a churner or not in
        ``causes``, or a ``cause`` whose length differs from ``tenure``.

    Examples
    --------
    >>> out = cause_specific_hazards(
    ...     [1, 2, 2, 3, 3, 4], [1, 0, 1, 1, 0, 0], ["price", None, "service", "price", None, None]
    ... )
    >>> out["cif"].round(4).to_dict("list")
    {'price': [0.1667, 0.1667, 0.3889, 0.3889], 'service': [0.0, 0.1667, 0.1667, 0.1667]}
    """
    snap = _snapshot(tenure, churned, max_tenure, entry, weight)
    flags = churn_flags(churned, snap.tenure.size)  # uncapped: every churner needs a cause
    labels = _causes(cause, flags)
    kinds = _cause_list(cause, labels[flags], causes)
    at_risk = _at_risk(snap)
    survival = _survival(_ratio(_select(snap, snap.churned), at_risk))
    before = np.concatenate([[1.0], survival[:-1]])  # S(t − 1)
    columns: dict[tuple[str, Hashable], ArrayLike] = {
        ("at_risk", "all"): at_risk,
        ("survival", "all"): survival,
    }
    for k in kinds:
        d_k = _select(snap, snap.churned & (labels == k).to_numpy())
        h_k = _ratio(d_k, at_risk)
        columns["churned", k] = d_k
        columns["hazard", k] = h_k
        columns["cif", k] = np.cumsum(before * np.nan_to_num(h_k, nan=0.0))
    out = pd.DataFrame(columns, index=pd.RangeIndex(1, snap.months + 1, name="tenure"))
    out.columns = pd.MultiIndex.from_tuples(list(columns), names=["quantity", "cause"])
    return out
