"""Units of parameters and KPIs, and how a value in each unit is written for people.

The words used as units here (``currency``, ``rate``, ``customers``, ``months``,
``multiple``, …) are those of :data:`simsrc.PARAMETERS` and :data:`simsrc.KPI_INFO`.
Formatting is pure text from numbers, so every floor that speaks to a person — the CLI
tables, dashboards, notebooks and an optimised plan's explanation — writes a value the
same way.
"""

from __future__ import annotations

import math

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

FRACTION_UNITS = frozenset({"rate", "share", "monthly rate", "annual rate"})
"""Units whose values are fractions (0.25), shown as percentages (25%)."""


def compact(x: float, digits: int = 3) -> str:
    """A number with K/M/B suffixes and ``digits`` significant figures.

    Examples
    --------
    >>> compact(1234567.0), compact(950.0), compact(-12500.0)
    ('1.23M', '950', '-12.5K')
    """
    if not math.isfinite(x):
        return "—" if math.isnan(x) else ("∞" if x > 0 else "−∞")
    sign = "-" if x < 0 else ""
    x = abs(x)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if x >= div:
            return f"{sign}{_sig(x / div, digits)}{suffix}"
    return f"{sign}{_sig(x, digits)}"


def _sig(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(x)))
    text = f"{x:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(x: float, unit: str, currency: str = "USD") -> str:
    """Format a KPI value for its unit.

    Examples
    --------
    >>> format_value(2_420_000.0, "currency"), format_value(0.149, "currency")
    ('$2.42M', '$0.15')
    >>> format_value(0.0153, "rate"), format_value(-0.005, "rate")
    ('1.53%', '-0.5%')
    >>> format_value(12.3, "months")
    '12.3 months'
    >>> format_value(54.196, "multiple")
    '54.2×'
    """
    if unit.startswith("currency"):
        symbol = _SYMBOLS.get(currency, currency + " ")
        if not math.isfinite(x):
            return compact(x)
        amount = compact(abs(x))
        if abs(x) < 1:  # cents, as money is written: $0.15, $0.50, never $0.149
            amount = f"{abs(x):.2f}" if round(abs(x), 2) else "0"
        text = f"-{symbol}{amount}" if x < 0 and amount != "0" else f"{symbol}{amount}"
        return text + ("/month" if unit.endswith("/month") else "")
    if unit in FRACTION_UNITS:
        if not math.isfinite(x):
            return "—"
        return f"{'-' if x < 0 else ''}{_sig(100 * abs(x), 3)}%"
    if unit == "months":
        return compact(x) + " months"
    if unit == "multiple":
        return compact(x) + "×"
    return compact(x)


def format_delta_pct(x: float) -> str:
    """A percentage change with its sign.

    Examples
    --------
    >>> format_delta_pct(13.096), format_delta_pct(-2.0), format_delta_pct(3e-14)
    ('+13.1%', '-2%', '0%')
    >>> format_delta_pct(-0.0862)  # at most two decimals: no false precision
    '-0.09%'
    """
    if not math.isfinite(x):
        return "—"
    if abs(x) < 0.005:  # below display precision, e.g. rounding noise of an unchanged KPI
        return "0%"
    shown = _sig(abs(x), 3) if abs(x) >= 1 else _cents(abs(x))
    return ("+" if x > 0 else "") + shown.join(["-" if x < 0 else "", "%"])


def _cents(x: float) -> str:
    """``x`` ≥ 0 to two decimals, trailing zeros dropped (0.149 → 0.15, 0.5 → 0.5)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")
