"""The declarative parameter table: one row per numeric scenario field.

This table is the single source for validation (bounds), the scenario-file schema
(which numeric keys exist), dashboard sliders (label, unit, step, help text as a
tooltip) and the generated parameter reference in the docs. Paths use ``*`` for a
named item of a list (a segment or a cause) or a key of a per-segment mapping, e.g.
``causes.*.levels.*`` matches ``causes.onboarding.levels.premium``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase

import pandas as pd

from simsrc.errors import ScenarioError


@dataclass(frozen=True)
class Param:
    """One numeric parameter of a scenario.

    Parameters
    ----------
    path : str
        Dotted path pattern (``*`` matches one named item).
    label : str
        Short human label for sliders and tables.
    unit : str
        Unit shown next to the value (``"share"`` and ``"rate"`` values are fractions
        shown as percentages).
    lo, hi : float
        Inclusive bounds.
    step : float
        Natural slider step.
    help : str
        One or two sentences for tooltips and the docs.
    integer : bool
        Whether the value must be a whole number.
    """

    path: str
    label: str
    unit: str
    lo: float
    hi: float
    step: float
    help: str
    integer: bool = False

    @property
    def is_fraction(self) -> bool:
        """Whether the value is a fraction best shown as a percentage."""
        return self.unit in {"share", "rate", "monthly rate", "annual rate"}

    def check(self, value: object, path: str | None = None) -> float:
        """Validate one value against this parameter's type and bounds.

        Parameters
        ----------
        value : object
            The candidate value.
        path : str, optional
            Concrete path to name in the error (defaults to the pattern).

        Returns
        -------
        float
            The value as a float (or an int-valued float for integer parameters).

        Raises
        ------
        ScenarioError
            If the value is not a finite number within ``[lo, hi]``.

        Examples
        --------
        >>> PARAMETERS["horizon_months"].check(60)
        60.0
        """
        where = path or self.path
        allowed = f"a number between {_fmt(self.lo)} and {_fmt(self.hi)}"
        if self.integer:
            allowed = f"a whole number between {_fmt(self.lo)} and {_fmt(self.hi)}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(where, f"must be {allowed} (got {value!r})")
        x = float(value)
        if not math.isfinite(x):
            raise ScenarioError(where, f"must be {allowed} (got {value!r})")
        if self.integer and x != round(x):
            raise ScenarioError(where, f"must be {allowed} (got {value!r})")
        if not self.lo <= x <= self.hi:
            raise ScenarioError(where, f"must be {allowed} (got {_fmt(x)})")
        return x


def _fmt(x: float) -> str:
    return f"{x:g}"


_ROWS: tuple[Param, ...] = (
    Param(
        "horizon_months",
        "Horizon",
        "months",
        1,
        240,
        1,
        "How many months to simulate.",
        integer=True,
    ),
    Param(
        "annual_discount_rate",
        "Discount rate",
        "annual rate",
        0,
        1,
        0.01,
        "Yearly rate used to discount future money for NPV and CLV.",
    ),
    Param(
        "acquisition.new_per_month",
        "New customers per month",
        "customers/month",
        0,
        1e7,
        10,
        "Paid/organic new customers in the first month, before growth, seasonality and referrals.",
    ),
    Param(
        "acquisition.monthly_growth",
        "Acquisition growth",
        "monthly rate",
        -0.5,
        1,
        0.005,
        "Month-on-month growth of base acquisition volume (0.01 = +1 % a month).",
    ),
    Param(
        "acquisition.seasonality.*",
        "Seasonality",
        "×",
        0,
        10,
        0.05,
        "Twelve relative multipliers of acquisition by calendar month (rescaled to average 1).",
    ),
    Param(
        "acquisition.referrals_per_active",
        "Referrals per active customer",
        "monthly rate",
        0,
        0.5,
        0.001,
        "New customers each active customer brings in per month by word of mouth.",
    ),
    Param(
        "segments.*.share",
        "Share of new customers",
        "share",
        0,
        1,
        0.01,
        "Fraction of new customers who join this segment (all segments sum to 1).",
    ),
    Param(
        "segments.*.monthly_price",
        "Starting monthly price",
        "currency/month",
        0,
        1e6,
        1,
        "Revenue per customer per month in the first month, before value growth.",
    ),
    Param(
        "segments.*.gross_margin",
        "Gross margin",
        "share",
        0,
        1,
        0.01,
        "Fraction of revenue left after the cost of goods sold.",
    ),
    Param(
        "segments.*.cost_to_serve",
        "Cost to serve",
        "currency/month",
        0,
        1e6,
        1,
        "Fixed monthly cost per active customer (support, infrastructure), after gross margin.",
    ),
    Param(
        "segments.*.cac",
        "Acquisition cost (CAC)",
        "currency",
        0,
        1e7,
        10,
        "Sales and marketing cost per newly acquired customer of this segment.",
    ),
    Param(
        "causes.*.levels.*",
        "Monthly churn",
        "monthly rate",
        0,
        1,
        0.001,
        "Monthly probability of leaving for this cause at the peak of its tenure shape, "
        "for an average new customer of the segment.",
    ),
    Param(
        "causes.*.shape.months",
        "Shape time scale",
        "months",
        0.5,
        120,
        0.5,
        "For 'early': months for the hazard to fall by a factor e; for 'hump': month of the peak.",
    ),
    Param(
        "causes.*.shape.values.*",
        "Shape multiplier",
        "×",
        0,
        50,
        0.05,
        "For 'custom' shapes: hazard multiplier by tenure month (the last value continues).",
    ),
    Param(
        "heterogeneity.spread",
        "How different are customers",
        "index",
        0,
        0.95,
        0.01,
        "0 = all customers equally likely to leave; 0.5 = propensity varies as much as "
        "its mean; towards 1 = a few very risky customers and many loyal ones, so churn "
        "falls with tenure (the risky leave first).",
    ),
    Param(
        "heterogeneity.reference_churn",
        "Reference churn",
        "monthly rate",
        1e-4,
        1.0,
        0.001,
        "Mean monthly churn at which the spread is defined (set from the causes' levels "
        "when a scenario is built; what-ifs keep it, so the customers stay the same).",
    ),
    Param(
        "value.year3_uplift",
        "Year-3 revenue uplift",
        "share",
        -0.9,
        10,
        0.01,
        "How much more a customer pays in their third year than in their first six "
        "months (0.67 = +67 %).",
    ),
    Param(
        "value.ramp_months",
        "Value ramp",
        "months",
        0.5,
        120,
        0.5,
        "Time scale over which revenue per customer grows towards its mature level.",
    ),
    Param(
        "value.expansion_rate",
        "Expansion",
        "monthly rate",
        0,
        0.2,
        0.001,
        "Extra compounding monthly growth of revenue per retained customer (upsell).",
    ),
    Param(
        "value.contraction_rate",
        "Contraction",
        "monthly rate",
        0,
        0.2,
        0.001,
        "Compounding monthly shrinkage of revenue per retained customer (downgrades).",
    ),
)


class ParameterTable:
    """Lookup of :class:`Param` rows by concrete or pattern path.

    Examples
    --------
    >>> PARAMETERS["segments.premium.monthly_price"].label
    'Starting monthly price'
    """

    def __init__(self, rows: tuple[Param, ...]) -> None:
        self.rows = rows
        self._by_path = {row.path: row for row in rows}

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Iterate over the rows."""
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def find(self, path: str) -> Param | None:
        """Return the row whose pattern matches a concrete path, or ``None``."""
        if path in self._by_path:
            return self._by_path[path]
        parts = path.split(".")
        for row in self.rows:
            pattern = row.path.split(".")
            if len(pattern) == len(parts) and all(
                fnmatchcase(p, q) for p, q in zip(parts, pattern, strict=True)
            ):
                return row
        return None

    def __getitem__(self, path: str) -> Param:
        row = self.find(path)
        if row is None:
            raise KeyError(path)
        return row

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame (for docs and notebooks)."""
        return pd.DataFrame(
            [
                {
                    "path": r.path,
                    "label": r.label,
                    "unit": r.unit,
                    "min": r.lo,
                    "max": r.hi,
                    "step": r.step,
                    "help": r.help,
                }
                for r in self.rows
            ]
        )


PARAMETERS = ParameterTable(_ROWS)
