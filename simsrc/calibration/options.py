"""The options of :func:`simsrc.calibration.calibrate`, in one frozen dataclass.

:func:`~simsrc.calibration.calibrate` and :func:`~simsrc.calibration.calibrate_frame`
take these options as keyword arguments and build one :class:`CalibrationOptions` from
them; every check of an option lives here, and the calibration paths read the object.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import pandas as pd

from simsrc.calibration.columns import check_window, parse_as_of
from simsrc.model.errors import ScenarioError

__all__ = [
    "MAX_NAME_LENGTH",
    "MIN_SPREAD",
    "CalibrationOptions",
    "check_contract_terms",
    "check_name",
    "check_options",
]

MIN_SPREAD = 1e-9
"""Smaller given spreads are taken as 0 (identical customers)."""

MAX_NAME_LENGTH = 200
"""Longest scenario name accepted (characters): names are labels in summaries and charts."""


@dataclasses.dataclass(frozen=True)
class CalibrationOptions:
    """How to read the data and what to fit: the keyword options of ``calibrate``.

    Parameters
    ----------
    kind : {"auto", "snapshot", "cohorts"}
        Customer rows or a cohort survival table (auto-detected by default).
    columns : mapping, optional
        Role → column name for columns not found by their usual names (roles: ``id``,
        ``tenure``, ``status``, ``start``, ``end``, ``reason``, ``category``, ``charge``,
        ``segment``).
    segment : str or False, optional
        Column defining segments (default: contract / plan); ``False``: one segment.
    window_months : int, "auto" or None
        The snapshot's observation window (left truncation). ``"auto"`` infers it from a
        "Joined" status; ``None``: every customer observed from month 1.
    as_of : date, optional
        End of observation for date-based data (default: the latest date).
    levers_in_data : bool
        The data were recorded with the base's levers in place: cause levels are grossed
        up so the calibrated scenario, levers on, reproduces the observed churn. ``False``:
        levels are the observed rates and the levers act on top.
    unmapped_causes : {"keep", "zero"}
        Causes no reason maps onto keep the base's levels (as fixed parts of the hazard)
        or are set to zero.
    fit_shapes : bool
        Estimate the time scale of ``early`` / ``hump`` causes that have data.
    latent_causes : sequence of str, "auto" or None
        Causes with no reason of their own that a stated reason may hide (each churner
        of a preventable voluntary cause then counts as "that cause or a latent one", and
        the tenure pattern decides). ``"auto"``: the base's voluntary causes with an
        ``early`` shape that no reason maps onto (onboarding, in the presets). ``None``:
        none.
    spread : float, optional
        Fix the heterogeneity spread instead of estimating it.
    period_months : int
        Months per period of a cohort table (12 for yearly renewals).
    drop_invalid : bool
        Drop (and count) unusable rows instead of stopping with an error.
    min_at_risk : float
        Months with fewer customers at risk are left out of the gap statistics (and a
        contract term or renewal point with fewer gets no parameter of its own).
    contract_terms : mapping, "auto" or None
        Contract term in months per segment (by name or label) for a snapshot: each such
        segment's churn inside a term and at each renewal point is fitted. ``"auto"``
        reads it from the segment labels ("One Year" → 12, "Two Year" → 24,
        "Month-to-Month" → none); ``None``: no contracts.
    name : str, optional
        Name of the calibrated scenario.
    source : str
        Names the data in the report (set by ``calibrate`` from the file or query).

    Examples
    --------
    >>> opts = CalibrationOptions(spread=1e-12, period_months=12)
    >>> opts.check()
    >>> opts.fit_spread, opts.period_months
    (0.0, 12)
    """

    kind: Literal["auto", "snapshot", "cohorts"] = "auto"
    columns: Mapping[str, str | None] | None = None
    segment: str | Literal[False] | None = None
    window_months: int | Literal["auto"] | None = "auto"
    as_of: str | pd.Timestamp | None = None
    levers_in_data: bool = True
    unmapped_causes: Literal["keep", "zero"] = "keep"
    fit_shapes: bool = True
    latent_causes: Sequence[str] | Literal["auto"] | None = "auto"
    spread: float | None = None
    period_months: int = 1
    drop_invalid: bool = False
    min_at_risk: float = 30.0
    contract_terms: Mapping[str, int] | Literal["auto"] | None = "auto"
    name: str | None = None
    source: str = "DataFrame"

    @property
    def fit_spread(self) -> float | None:
        """The spread the fit uses: ``None`` (estimated), or the given one.

        A spread below :data:`MIN_SPREAD` is identical customers to every digit the fit
        sees, and the Beta quadrature overflows for spreads near the smallest float: it
        is taken as 0.
        """
        if self.spread is None:
            return None
        return 0.0 if self.spread < MIN_SPREAD else float(self.spread)

    def check(self) -> None:
        """Check the options that do not depend on the data (see :func:`check_options`).

        Raises
        ------
        ScenarioError
            Naming the keyword argument and what is allowed.
        """
        check_options(
            kind=self.kind,
            window_months=self.window_months,
            as_of=self.as_of,
            spread=self.spread,
            period_months=self.period_months,
            name=self.name,
            unmapped_causes=self.unmapped_causes,
            min_at_risk=self.min_at_risk,
        )

    def check_arguments(self) -> None:
        """Check the types of ``columns``, ``segment`` and ``latent_causes``.

        Raises
        ------
        ScenarioError
            Naming the keyword argument and what was expected.
        """
        columns, segment, latent_causes = self.columns, self.segment, self.latent_causes
        if columns is not None and not isinstance(columns, Mapping):
            raise ScenarioError(
                "columns",
                f"expected a mapping of role -> column name (got {type(columns).__name__})",
            )
        if segment is True or not isinstance(segment, Hashable):
            raise ScenarioError(
                "segment", f"expected a column name, False or None (got {type(segment).__name__})"
            )
        if not (
            latent_causes is None
            or (isinstance(latent_causes, str) and latent_causes == "auto")
            or (
                isinstance(latent_causes, list | tuple)
                and all(isinstance(c, str) for c in latent_causes)
            )
        ):
            raise ScenarioError(
                "latent_causes",
                f"expected 'auto', None or a list of cause names (got {latent_causes!r:.60})",
            )
        check_contract_terms(self.contract_terms)

    def check_for_cohorts(self) -> None:
        """Refuse options that only mean something for customer rows.

        Raises
        ------
        ScenarioError
            ``as_of`` or ``window_months`` given for a cohort table.
        """
        if self.as_of is not None:
            raise ScenarioError(
                "as_of", "applies only to date-based customer data, not to a cohort table"
            )
        if self.window_months not in ("auto", None):
            raise ScenarioError(
                "window_months",
                "applies only to customer snapshots; a cohort table follows each cohort "
                "from its start",
            )

    def check_for_snapshot(self) -> None:
        """Refuse a period length for customer rows (they give tenure in months).

        Raises
        ------
        ScenarioError
            ``period_months`` other than 1.
        """
        if self.period_months != 1:
            raise ScenarioError(
                "period_months",
                f"applies only to cohort tables (got {self.period_months}); customer data "
                "give tenure in months",
            )


def check_options(
    *,
    kind: object = "auto",
    window_months: object = "auto",
    as_of: object = None,
    spread: object = None,
    period_months: object = 1,
    name: object = None,
    unmapped_causes: object = "keep",
    min_at_risk: object = 30.0,
) -> None:
    """Check the options of :func:`calibrate` that do not depend on the data.

    Called before any data are read, so that a typing error costs no waiting; the
    data-dependent checks (``as_of`` without dates, ``period_months`` on a snapshot)
    follow once the kind of data is known.

    Raises
    ------
    ScenarioError
        Naming the keyword argument and what is allowed.

    Examples
    --------
    >>> check_options(period_months=0)
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: period_months: must be a whole number between 1 and 24 (got 0)
    """
    if kind not in ("auto", "snapshot", "cohorts"):
        raise ScenarioError("kind", f"must be 'auto', 'snapshot' or 'cohorts' (got {kind!r})")
    if unmapped_causes not in ("keep", "zero"):
        raise ScenarioError(
            "unmapped_causes", f"must be 'keep' or 'zero' (got {unmapped_causes!r})"
        )
    if spread is not None and (
        isinstance(spread, bool) or not isinstance(spread, int | float) or not 0 <= spread <= 0.95
    ):
        raise ScenarioError("spread", f"must be between 0 and 0.95 (got {spread!r})")
    if (
        isinstance(period_months, bool)
        or not isinstance(period_months, int)
        or not 1 <= period_months <= 24
    ):
        raise ScenarioError(
            "period_months", f"must be a whole number between 1 and 24 (got {period_months!r})"
        )
    if (
        isinstance(min_at_risk, bool)
        or not isinstance(min_at_risk, int | float)
        or not (math.isfinite(min_at_risk) and min_at_risk >= 0)
    ):
        raise ScenarioError("min_at_risk", f"must be a number >= 0 (got {min_at_risk!r})")
    check_window(window_months)
    parse_as_of(as_of)
    check_name(name)


def check_contract_terms(terms: object) -> None:
    """Check ``contract_terms``: ``"auto"``, ``None`` or segment → whole months 0 … 120.

    Examples
    --------
    >>> check_contract_terms({"Two Year": 24.5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: contract_terms.Two Year: must be a whole number of months ...
    """
    if terms is None or (isinstance(terms, str) and terms == "auto"):
        return
    if not isinstance(terms, Mapping):
        raise ScenarioError(
            "contract_terms",
            f"expected 'auto', None or a mapping of segment -> months (got {terms!r:.60})",
        )
    for key, months in terms.items():
        if isinstance(months, bool) or not isinstance(months, int) or not 0 <= months <= 120:
            raise ScenarioError(
                f"contract_terms.{str(key)[:60]}",
                f"must be a whole number of months from 0 to 120 (got {months!r:.30})",
            )


def check_name(name: object, where: str = "name") -> None:
    """Check a scenario name given for the calibrated scenario (``None``: the default).

    Raises
    ------
    ScenarioError
        Naming ``where``: not text, empty or only spaces, longer than
        :data:`MAX_NAME_LENGTH`, or holding line breaks or other control characters.

    Examples
    --------
    >>> check_name("  ")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: name: must not be empty or only spaces ...
    """
    if name is None:
        return
    if not isinstance(name, str):
        raise ScenarioError(where, f"must be text (got {type(name).__name__})")
    if not name.strip():
        raise ScenarioError(
            where, "must not be empty or only spaces (leave it out for the default name)"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScenarioError(
            where, f"must be at most {MAX_NAME_LENGTH} characters (got {len(name):,})"
        )
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ScenarioError(where, "must be one line, without control characters")
