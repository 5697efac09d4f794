"""Checks of function arguments, each naming the argument and what it accepts.

The wrong type is a TypeError, the wrong value a ValueError. Used by every public
function that takes more than a scenario (``simulate``'s ``runs``/``seed``/``nodes``,
sweeps' ``threads``, calibration's options), so that one bad argument always reads the
same way; numpy integers and bools count as Python ones.
"""

from __future__ import annotations

import numbers

import numpy as np

from simsrc.model.errors import shorten

__all__ = ["check_choice", "check_flag", "check_instance", "check_seed", "check_whole", "got"]


def got(value: object) -> str:
    """``value`` for a message: its type and a short repr (a huge input is not echoed)."""
    return f"{type(value).__name__} {shorten(repr(value))}"


def check_whole(value: object, name: str, lo: int, hi: int) -> int:
    """A whole number from ``lo`` to ``hi``, as a Python ``int``.

    Python and numpy integers are accepted; bool, floats (even ``2.0``), strings and
    ``None`` are not.

    Parameters
    ----------
    value : object
        The argument as given.
    name : str
        The argument's name, for the message.
    lo, hi : int
        Smallest and largest value allowed.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If it is outside ``lo … hi``.

    Examples
    --------
    >>> import numpy as np
    >>> check_whole(np.int32(3), "runs", 1, 10)
    3
    >>> check_whole(0, "nodes", 1, 121)
    Traceback (most recent call last):
    ...
    ValueError: nodes must be a whole number from 1 to 121 (got 0)
    """
    allowed = f"{name} must be a whole number from {lo:,} to {hi:,}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{allowed} (got {got(value)})")
    number = int(value)
    if not lo <= number <= hi:
        shown = f"{number:,}" if abs(number) < 10**18 else f"{number:.3g}"
        raise ValueError(f"{allowed} (got {shown})")
    return number


def check_flag(value: object, name: str) -> bool:
    """``True`` or ``False`` (numpy bools too), as a Python ``bool``.

    Examples
    --------
    >>> check_flag("yes", "monthly")
    Traceback (most recent call last):
    ...
    TypeError: monthly must be True or False (got str 'yes')
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise TypeError(f"{name} must be True or False (got {got(value)})")


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (strings), or TypeError / ValueError listing them.

    Examples
    --------
    >>> check_choice("spark", "engine", ("local", "dask"))
    Traceback (most recent call last):
    ...
    ValueError: engine must be 'local' or 'dask' (got 'spark')
    """
    allowed = f"{name} must be " + " or ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(f"{allowed} (got {got(value)})")
    if value not in choices:
        raise ValueError(f"{allowed} (got {got(value).split(' ', 1)[1]})")
    return str(value)


def check_instance(value: object, name: str, cls: type, what: str) -> None:
    """Refuse anything that is not a ``cls`` with a TypeError naming ``name``.

    Examples
    --------
    >>> check_instance(None, "scenario", int, "a Scenario")
    Traceback (most recent call last):
    ...
    TypeError: scenario must be a Scenario (got NoneType None)
    """
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be {what} (got {got(value)})")


def check_seed(seed: object) -> int | None:
    """A random seed: ``None`` (fresh entropy) or a whole number >= 0, as ``int``.

    Only what reproduces a run from :attr:`simsrc.StochasticResult.seed` is accepted:
    a ``Generator`` or ``SeedSequence`` (or a list of ints) would not round-trip
    through that one integer.

    Examples
    --------
    >>> import numpy as np
    >>> check_seed(np.int64(7)), check_seed(None)
    (7, None)
    """
    allowed = "seed must be None or a whole number >= 0"
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{allowed} (got {got(seed)})")
    if seed < 0:
        raise ValueError(f"{allowed} (got {int(seed)})")
    return int(seed)
