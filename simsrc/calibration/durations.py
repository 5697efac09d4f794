"""Customer durations checked once: tenure, churn flags, entry and case weights.

Both the life tables (:mod:`simsrc.calibration.survival`) and the sBG fit of durations
(:mod:`simsrc.calibration.sbg`) take one row per customer; this module is where such rows
are read and where a bad value is reported, naming the argument and its first bad row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Durations", "check_durations", "churn_flags"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Durations:
    """Checked durations, one entry per customer.

    Attributes
    ----------
    tenure : numpy.ndarray of int
        Whole periods observed (a churner with tenure ``k`` churned in period ``k``).
    churned : numpy.ndarray of bool
        Whether the customer churned.
    entry : numpy.ndarray of int or None
        Periods survived before observation began (``None`` when not given).
    weight : numpy.ndarray of float or None
        Case weights (``None`` when not given, so that counts stay whole numbers).
    """

    tenure: IntArray
    churned: NDArray[np.bool_]
    entry: IntArray | None
    weight: FloatArray | None


def _numbers(values: ArrayLike, name: str, n: int | None, what: str) -> FloatArray:
    """A 1-D float array, non-empty, of length ``n`` when given."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: must be numbers{what}: {err}") from err
    if n is None and (arr.ndim != 1 or arr.size == 0):
        raise ValueError(f"{name}: expected a non-empty 1-D array (got shape {arr.shape})")
    if n is not None and (arr.ndim != 1 or arr.size != n):
        raise ValueError(f"{name}: length {arr.size} does not match tenure ({n})")
    return arr


def _reject(arr: NDArray, bad: NDArray[np.bool_], message: str) -> None:
    """Raise ``message`` with the first bad row and the number of bad values, if any."""
    if bad.any():
        i = int(np.argmax(bad))
        value = np.asarray(arr[i]).item()
        raise ValueError(f"{message} (row {i} is {value!r}; {int(bad.sum())} bad value(s))")


def churn_flags(churned: ArrayLike, n: int) -> NDArray[np.bool_]:
    """Boolean-like churn flags (bool, or numbers 0/1) as a bool array of length ``n``."""
    arr = np.asarray(churned)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"churned: length {arr.size} does not match tenure ({n})")
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind in "iuf":
        ok = np.isin(arr, [0, 1])
    elif arr.dtype.kind == "O":
        ok = np.array(
            [isinstance(v, (bool, np.bool_, int, np.integer, float)) and v in (0, 1) for v in arr],
            dtype=bool,
        )
    else:
        ok = np.zeros(n, dtype=bool)
    _reject(arr, ~ok, "churned: must be boolean-like (True/False or 1/0)")
    return arr.astype(bool)


def check_durations(
    tenure: ArrayLike,
    churned: ArrayLike,
    entry: ArrayLike | None = None,
    weight: ArrayLike | None = None,
    unit: str = "months",
) -> Durations:
    """Check one row per customer and return the rows as arrays.

    Parameters
    ----------
    tenure : array_like
        Whole periods observed, >= 0 (>= 1 for churners).
    churned : array_like
        Churn flags: booleans or the numbers 0 and 1.
    entry : array_like, optional
        Whole periods survived before observation began: ``0 <= entry <= tenure``, and
        ``entry < tenure`` for churners.
    weight : array_like, optional
        Finite case weights >= 0.
    unit : str
        The word for a period in the messages ("months", "periods").

    Returns
    -------
    Durations
        The checked arrays.

    Raises
    ------
    ValueError
        Naming the argument, the rule and the first bad row.

    Examples
    --------
    >>> check_durations([3, 0], [1, 0]).tenure.tolist()
    [3, 0]
    >>> check_durations([2, -1], [1, 0])
    Traceback (most recent call last):
    ...
    ValueError: tenure: must be whole months >= 0 (row 1 is -1.0; 1 bad value(s))
    """
    t = _numbers(tenure, "tenure", None, f" of whole {unit}")
    _reject(
        t, ~np.isfinite(t) | (t < 0) | (t != np.round(t)), f"tenure: must be whole {unit} >= 0"
    )
    ints = t.astype(np.int64)
    flags = churn_flags(churned, t.size)
    _reject(
        ints,
        flags & (ints == 0),
        "tenure: churned customers need tenure >= 1 (a churner with tenure k churned in period k)",
    )
    e = None
    if entry is not None:
        arr = _numbers(entry, "entry", t.size, f" of whole {unit}")
        bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr)) | (arr > t)
        _reject(
            arr,
            bad | (flags & (arr >= t)),
            f"entry: must be whole {unit} with 0 <= entry <= tenure, and entry < tenure for "
            "churners",
        )
        e = arr.astype(np.int64)
    w = None
    if weight is not None:
        w = _numbers(weight, "weight", t.size, "")
        _reject(w, ~np.isfinite(w) | (w < 0), "weight: must be finite and >= 0")
    return Durations(ints, flags, e, w)
