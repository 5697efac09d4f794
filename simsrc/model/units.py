"""Units of parameters and KPIs, and how a value in each unit is written for people.

The words used as units here (``currency``, ``rate``, ``customers``, ``months``,
``multiple``, …) are those of :data:`simsrc.PARAMETERS` and :data:`simsrc.KPI_INFO`.
Formatting is pure text from numbers, so every floor that speaks to a person — the CLI
tables, dashboards, notebooks and an optimised plan's explanation — writes a value the
same way.
"""

from __future__ import annotations

import math

import pandas as pd

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
    if not math.isfinite(x):  # a huge rate's 100 × x overflows
        return "∞"
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


# -- columns of tables and exports -------------------------------------------------------

_MONEY_WORDS = frozenset(
    {"revenue", "mrr", "margin", "cost", "costs", "discounts", "contribution", "value",
     "price", "npv", "clv", "cac", "charge", "worth", "spend"}
)  # fmt: skip
_RATE_WORDS = frozenset(
    {"rate", "share", "survival", "coverage", "grr", "nrr", "gap", "width", "probability",
     "power", "churn"}
)  # fmt: skip
_COUNT_WORDS = frozenset(
    {"customers", "active", "churned", "churners", "new", "billed", "present", "reactivated",
     "lost", "lapsed", "former", "requests", "saves", "contacts", "paused", "resumed",
     "helped", "downgraded", "exits", "delinquent", "onsets", "recovered", "off", "messages",
     "responses", "risk", "acquired", "won", "leavers", "offer", "joined", "rows", "paid",
     "referred", "referrals"}
)  # fmt: skip
_INDEX_NAMES = frozenset({"month", "tenure", "year", "cohort", "first", "last", "customers_n"})


def column_unit(name: str) -> str:
    """The unit of a table column, from the words of its name (see :func:`cell_text`).

    Money words (revenue, margin, cost, value, NPV, CLV…) give ``currency``; rates,
    shares and survival ``rate``; month counters ``index`` (whole numbers written
    plainly); ratios ``multiple``; counts of people and events ``customers``; anything
    else ``number`` (an estimate: every digit kept in exports). Names are matched word
    by word (``churned_mrr`` is money, ``churn_rate`` a rate, ``churned`` a count).

    Examples
    --------
    >>> [column_unit(c) for c in ("churned_mrr", "churn_rate", "churned", "tenure",
    ...                           "revenue_ratio", "gross_mrr_churn", "alpha")]
    ['currency', 'rate', 'customers', 'index', 'multiple', 'rate', 'number']
    """
    words = set(str(name).lower().replace(" ", "_").split("_"))
    if str(name).lower() in _INDEX_NAMES:
        return "index"
    if "ratio" in words or "roi" in words or "multiple" in words:
        return "multiple"
    if "payback" in words or (words & {"months", "delay"} and not words & _MONEY_WORDS):
        return "months"
    if str(name).endswith("_churn") or "p" in words:  # MRR churn is a rate; p-values too
        return "rate"
    if words & _MONEY_WORDS:
        return "currency"
    if words & _RATE_WORDS:
        return "rate"
    if words & _COUNT_WORDS:
        return "customers"
    return "number"


def cell_text(x: float, unit: str, currency: str = "USD") -> str:
    """A value as a finance team writes it in a table cell: never in scientific notation.

    Money: whole amounts with thousands separators below 10,000 (cents below 10), then
    K/M/B with three figures; counts rounded (a decimal below 100, as expected values
    are fractions); rates as percentages; multiples with ×; month counters plainly.

    Examples
    --------
    >>> cell_text(255_272_700.0, "currency"), cell_text(1234.4, "currency")
    ('$255M', '$1,234')
    >>> cell_text(1491.63, "customers"), cell_text(3.42, "customers"), cell_text(0.0153, "rate")
    ('1,492', '3.4', '1.53%')
    >>> cell_text(6.0016e-07, "rate"), cell_text(1.344, "multiple"), cell_text(12.0, "index")
    ('0.00006%', '×1.34', '12')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    x = float(x)
    if not math.isfinite(x):
        return "∞" if x > 0 else "−∞"
    if unit.startswith("currency"):
        symbol = _SYMBOLS.get(currency, currency + " ")
        sign = "-" if x < 0 and round(abs(x), 2) else ""
        a = abs(x)
        if a >= 10_000:
            return f"{sign}{symbol}{compact(a)}"
        return f"{sign}{symbol}{a:,.2f}" if a < 10 else f"{sign}{symbol}{a:,.0f}"
    if unit in FRACTION_UNITS:
        if x != 0 and abs(x) < 1e-5:
            return f"{'-' if x < 0 else ''}{100 * abs(x):.5f}".rstrip("0").rstrip(".") + "%"
        return format_value(x, "rate")
    if unit in ("multiple", "×"):  # "×" is the parameters' word for a multiplier
        return f"×{_sig(abs(x), 3)}" if x >= 0 else f"-×{_sig(abs(x), 3)}"
    if unit == "percent":  # already in percent (a change of 10.6 %)
        return format_delta_pct(x)
    if unit == "number":  # a plain quantity: four figures, K/M for large ones
        return compact(x, 4)
    if unit == "index":
        return f"{x:.0f}"
    if unit == "months":
        return f"{x:,.1f}".removesuffix(".0")
    if abs(x) >= 100 or x == round(x):
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def export_frame(frame: pd.DataFrame, units: dict[str, str] | None = None) -> pd.DataFrame:
    """A table rounded for a CSV a person opens: cents, hundredths of a customer.

    Rates keep six decimals, multiples four. Numbers stay numbers (a spreadsheet can
    add them up); only the float noise goes (``235.32979237402134`` customers →
    ``235.33``). Units come from ``units`` or :func:`column_unit`.

    Examples
    --------
    >>> export_frame(pd.DataFrame({"active": [235.32979237402134], "churn_rate": [0.0123456789]}))
       active  churn_rate
    0  235.33    0.012346
    """
    units = units or {}
    out = frame.copy()
    for name in out.columns:
        if not pd.api.types.is_float_dtype(out[name]):
            continue
        unit = units.get(str(name), column_unit(str(name)))
        if unit == "number":  # an estimate or a plain quantity: every digit
            continue
        digits = 6 if unit in FRACTION_UNITS else 4 if unit == "multiple" else 2
        out[name] = out[name].round(digits)
    return out
