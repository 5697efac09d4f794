"""Errors raised for bad input, each naming the field (or file position) at fault."""

from __future__ import annotations

import math
import numbers

MAX_SHOWN = 60
"""Longest echo of a user's value or key in a message: a 100 KB key is cut, not repeated."""


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    r"""``text`` on one line, cut to ``limit`` characters with an ellipsis.

    Control characters (newlines included) are escaped so that an error stays one line.

    Examples
    --------
    >>> shorten("a" * 100, 10)
    'aaaaaaaaa…'
    >>> shorten("two\nlines")
    'two\\nlines'
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A user's value as it appears in a message: short, one line, numbers plainly.

    Examples
    --------
    >>> shown(0.25), shown(10**400), shown("x" * 100)[-3:], shown(float("nan"))
    ('0.25', 'a number of about 400 digits', 'xx…', 'nan')
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            x = float(value)
        except OverflowError:
            # str() of a huge int is slow or refused (Python's digit limit): say its size
            digits = abs(int(value)).bit_length() * math.log10(2)  # type: ignore[call-overload]
            return f"a number of about {digits:.0f} digits"
        return f"{x:g}" if math.isfinite(x) else str(x)
    return shorten(repr(value), limit)


class ScenarioError(ValueError):
    """A scenario, scenario file or parameter value is invalid.

    The message is always one line: control characters in ``path`` are escaped and a
    path longer than 100 characters is cut.

    Parameters
    ----------
    path : str
        Dotted path of the offending field (``"acquisition.new_per_month"``), or the
        file name for file-level problems. Empty when the whole input is at fault.
    message : str
        What is wrong and what is allowed, in plain words.

    Examples
    --------
    >>> err = ScenarioError("horizon_months", "must be between 1 and 240 (got 0)")
    >>> str(err)
    'horizon_months: must be between 1 and 240 (got 0)'
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = shorten(str(path), 100)
        self.message = " ".join(str(message).splitlines())
        super().__init__(f"{self.path}: {self.message}" if self.path else self.message)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str]]:
        return (type(self), (self.path, self.message))


# Tracebacks and reprs name the error by its public home, ``simsrc.ScenarioError``.
ScenarioError.__module__ = "simsrc"
