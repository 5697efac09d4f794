"""The parts a scenario is built from.

Segments, causes and their shapes, acquisition, heterogeneity, value growth and uncertain
ranges. Each is a frozen dataclass whose fields are described, bounded and documented in
:data:`simsrc.PARAMETERS`; :class:`simsrc.Scenario` puts them together and validates the
whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "SHAPE_KINDS",
    "Acquisition",
    "Cause",
    "Heterogeneity",
    "JointDraws",
    "Segment",
    "Shape",
    "ShapeKind",
    "Uncertain",
    "ValueGrowth",
]

ShapeKind = Literal["flat", "early", "hump", "custom"]
SHAPE_KINDS: tuple[str, ...] = ("flat", "early", "hump", "custom")


@dataclass(frozen=True)
class Shape:
    """How a cause's hazard varies with tenure (a multiplier of its level).

    Parameters
    ----------
    kind : {"flat", "early", "hump", "custom"}
        ``flat``: the same every month. ``early``: highest in the first month and
        falling by a factor e every ``months`` (onboarding). ``hump``: rising to a peak
        at month ``months`` and fading after (success drop-off). ``custom``: the
        multipliers in ``values`` by tenure month, the last one continuing.
    months : float
        Time scale of ``early`` and ``hump`` shapes.
    values : tuple of float
        Multipliers for ``custom`` shapes.
    """

    kind: ShapeKind = "flat"
    months: float = 3.0
    values: tuple[float, ...] = ()


@dataclass(frozen=True)
class Cause:
    """A reason customers leave, defined by its hazard: level × shape over tenure.

    Parameters
    ----------
    name : str
        Identifier used in files, columns (``churned_<name>``) and paths.
    label : str
        Human name.
    levels : tuple of float
        Monthly probability of leaving for this cause at the peak of the shape, one per
        segment (in the scenario's segment order), for an average new customer.
    shape : Shape
        Shape over tenure.
    heterogeneous : bool
        Whether customers' individual propensity to leave (heterogeneity) scales this
        cause. Natural events (moving, closing down) hit loyal and fickle customers
        alike, so they default to ``False``.
    voluntary : bool
        ``False`` for failed-payment (involuntary) churn: with dunning on, its level is
        the monthly rate of failed payments; the save team only sees voluntary
        cancellations.
    preventable : bool
        ``False`` for causes nobody can prevent (natural events: moving, closing down);
        they still act while a customer is held by a save offer (pause, contract…).
    fixable : bool
        Whether expert help (or a help-first dunning call) can fix it: customers who got
        help churn less for fixable causes (poor service, onboarding, success drop-off).
    segment_months : tuple of float
        The shape's time scale for each segment (0: the shape's own ``months``), so an
        ``early`` or ``hump`` cause can run faster or slower in one segment — a failed
        start that takes longer to show on a contract, say.
    """

    name: str
    label: str
    levels: tuple[float, ...] = field(metadata={"keys": "segments"})
    shape: Shape = field(default_factory=Shape)
    heterogeneous: bool = True
    voluntary: bool = True
    preventable: bool = True
    fixable: bool = False
    segment_months: tuple[float, ...] = field(
        default=(), metadata={"keys": "segments", "sparse": True}
    )

    def shape_for(self, g: int) -> Shape:
        """The shape the cause has in segment ``g`` (its own time scale there, if set)."""
        months = self.segment_months[g] if g < len(self.segment_months) else 0.0
        if months > 0 and self.shape.kind in ("early", "hump"):
            return Shape(self.shape.kind, months, self.shape.values)
        return self.shape


@dataclass(frozen=True)
class Contract:
    """A contract term: leaving at will held back during a term, bunched at its end.

    Customers on a contract cannot leave at will during its term (or pay to: an early
    termination), and decide at each renewal point whether to go on. Month ``n × term``
    of tenure is the n-th renewal point; every other month is inside a term. A term
    holds the causes a save team's hold offers hold (a ``contract`` or ``pause`` offer):
    the voluntary, preventable ones. A failed payment, a move or a closing-down ends a
    contract too, and ``renewal`` plays the part of an offer's ``1 − stay_after``.

    Parameters
    ----------
    term_months : int
        Months per term (0: month-to-month, no term, every other field ignored).
    early_exit : tuple of float
        Multiplier of the held causes' hazard inside the 1st, 2nd, … term (early
        terminations; 0: no one leaves during the term, 1: it holds nobody back; the
        last value repeats; at most 5). Customers who have renewed often hold less to a
        term.
    renewal : tuple of float
        Churn from the held causes of an average customer at the 1st, 2nd, … renewal
        point (the renewal wave; the last value repeats), spread over those causes in
        proportion to their hazards then; heterogeneous causes scale it by the
        customer's propensity. Empty: the causes' own hazard at renewal points.
    """

    term_months: int = 0
    early_exit: tuple[float, ...] = (1.0,)
    renewal: tuple[float, ...] = ()


@dataclass(frozen=True)
class Segment:
    """A group of customers with its own price, margin and churn levels.

    Parameters
    ----------
    name, label : str
        Identifier and human name.
    share : float
        Fraction of new customers joining this segment; all segments sum to 1.
    monthly_price : float
        Revenue per customer per month at tenure 0 (before value growth).
    gross_margin : float
        Fraction of revenue kept after cost of goods sold.
    cost_to_serve : float
        Fixed monthly cost per active customer, subtracted from gross margin.
    cac : float
        Acquisition cost per new customer.
    contract : Contract
        The segment's contract term (default month-to-month); written to files only when
        the segment has one.
    """

    name: str
    label: str
    share: float
    monthly_price: float
    gross_margin: float = 0.8
    cost_to_serve: float = 0.0
    cac: float = 0.0
    contract: Contract = field(default=Contract(), metadata={"sparse": True})


@dataclass(frozen=True)
class Acquisition:
    """New customers per month: base × (1 + growth)^t × seasonality + referrals.

    Parameters
    ----------
    new_per_month : float
        Base acquisition volume in month 0.
    monthly_growth : float
        Compounding monthly growth of the base volume.
    seasonality : tuple of float
        Twelve multipliers by calendar month (month 0 is the first); rescaled to mean 1.
        Empty means no seasonality.
    referrals_per_active : float
        Referred new customers per active customer per month (no CAC is paid for them).
    """

    new_per_month: float = 100.0
    monthly_growth: float = 0.0
    seasonality: tuple[float, ...] = ()
    referrals_per_active: float = 0.0


@dataclass(frozen=True)
class Heterogeneity:
    """How much customers differ in their propensity to leave.

    Each customer has a relative propensity ``z`` (mean 1) that multiplies the level of
    every heterogeneous cause; ``z = θ / m`` with θ ~ Beta(α, β) of mean
    ``m = reference_churn`` and the given spread. What-ifs that change churn levels keep
    this distribution, so "halve churn" halves every customer's hazard — the customers
    stay the same people.

    Parameters
    ----------
    spread : float
        How different customers are, as a scale-free index ``CV² / (1 + CV²)`` of
        individual churn probability (CV: coefficient of variation). 0: everyone alike,
        so a cohort's churn rate is constant; 0.5: propensity varies as much as its mean;
        towards 1: a few very risky customers and many loyal ones, so a cohort's churn
        rate falls steeply with tenure. It maps to Fader & Hardie's polarization index by
        ``φ = s/(1−s) · m/(1−m)`` (see :func:`simsrc.engine.curves.spread_to_beta`).
    reference_churn : float or None
        Mean monthly churn probability ``m`` at which the spread is defined. ``None``
        (the default) takes the share-weighted sum of the heterogeneous causes' levels
        when the scenario is built; what-ifs derived from it keep that value. With one
        flat cause at level ``m`` the model is the sBG with ``(α, β)`` from ``(m, s)``.
    segment_spread : tuple of float
        A segment's own spread, one per segment (0: the shared ``spread``), so customers
        can differ more in one segment than another — month-to-month customers who sort
        themselves out fast, say, beside contract customers who are much alike.
    """

    spread: float = 0.0
    reference_churn: float | None = None
    segment_spread: tuple[float, ...] = field(
        default=(), metadata={"keys": "segments", "sparse": True}
    )

    def spread_for(self, g: int) -> float:
        """The spread of segment ``g`` (its own, if set, else the shared one)."""
        own = self.segment_spread[g] if g < len(self.segment_spread) else 0.0
        return own if own > 0 else self.spread


@dataclass(frozen=True)
class ValueGrowth:
    """Revenue per customer by tenure, relative to the starting monthly price.

    Parameters
    ----------
    year3_uplift : float
        Average revenue per customer in months 24–35 relative to months 0–5, minus one.
        The default +67 % is the repeat-customer figure of [good-customers-leave]
        ("When good customers leave"; see ``docs/sources.md``).
    ramp_months : float
        Time scale of the saturating ramp ``1 + g (1 - exp(-t / ramp_months))``.
    expansion_rate, contraction_rate : float
        Additional compounding monthly up- and downgrades of revenue per customer.
    """

    year3_uplift: float = 0.67
    ramp_months: float = 12.0
    expansion_rate: float = 0.0
    contraction_rate: float = 0.0


@dataclass(frozen=True)
class Uncertain:
    """A parameter whose value is uncertain: a range (and distribution) to sample from.

    Written in scenario files as ``[uncertainty]`` with the parameter path as a quoted
    key, e.g. ``"save_team.discount.acceptance.price_competitor" = { low = 0.2, high =
    0.4 }``. Monte Carlo and sensitivity analyses draw from it; the scenario's own value
    stays the point estimate.

    Parameters
    ----------
    path : str
        Dotted path of a numeric parameter of the scenario.
    low, high : float
        Range, within the parameter's allowed bounds, ``low <= high``.
    distribution : {"uniform", "triangular"}
        Shape of the distribution over the range.
    mode : float, optional
        Most likely value of a triangular distribution (default: the midpoint).
    """

    path: str
    low: float
    high: float
    distribution: Literal["uniform", "triangular"] = "uniform"
    mode: float | None = None


@dataclass(frozen=True)
class JointDraws:
    """Parameter sets drawn together: estimation uncertainty that keeps its correlations.

    Written in scenario files as ``[estimation]``: ``paths`` (parameter paths), ``draws``
    (one list of values per parameter set, in the order of ``paths``) and an optional
    ``source``. Monte Carlo takes one whole row per draw, so parameters estimated
    together move together (a calibration's churn levels and heterogeneity spread are
    correlated); ``[uncertainty]`` ranges of other parameters are drawn independently
    alongside. The scenario's own values stay the point estimate.

    Parameters
    ----------
    paths : tuple of str
        Dotted paths of numeric parameters of the scenario, each once and none of them
        also in ``[uncertainty]``.
    draws : tuple of tuple of float
        2 to :data:`simsrc.model.validation.MAX_DRAWS` parameter sets, each within the
        parameters' allowed bounds.
    source : str
        Where the draws come from (shown to people, e.g. "calibration: observed
        information").
    """

    paths: tuple[str, ...]
    draws: tuple[tuple[float, ...], ...]
    source: str = ""
