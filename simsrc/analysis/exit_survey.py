"""Cause levels from an exit survey: "why customers say they leave" → the model's causes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from simsrc.engine.curves import shape_curve
from simsrc.model.errors import ScenarioError
from simsrc.model.params import PARAMETERS
from simsrc.model.scenario import Scenario
from simsrc.model.surveys import DEFAULT_REASON_TO_CAUSE, EXIT_SURVEY_REASONS

__all__ = ["DEFAULT_REASON_TO_CAUSE", "EXIT_SURVEY_REASONS", "levels_from_exit_survey"]


def levels_from_exit_survey(
    scenario: Scenario,
    shares: Mapping[str, float],
    monthly_churn: float,
    *,
    mapping: Mapping[str, str | None] | None = None,
    reference_months: int = 24,
) -> Scenario:
    """Set voluntary cause levels from "why customers say they leave".

    Each cause gets the part of ``monthly_churn`` that the survey attributes to it,
    divided by the cause's average shape multiplier over the first
    ``reference_months`` months (so a cause concentrated early gets a higher peak
    level). Causes no survey reason maps onto keep their level; segments keep their
    relative levels.

    Parameters
    ----------
    scenario : Scenario
        Scenario whose cause levels are replaced.
    shares : mapping of str to float
        Survey answer shares by reason (keys of :data:`EXIT_SURVEY_REASONS`), summing
        to 1.
    monthly_churn : float
        Total monthly voluntary churn the survey explains (between 0 and 1).
    mapping : mapping, optional
        Reason → cause name (or ``None`` for "spread over the rest"); defaults to
        :data:`DEFAULT_REASON_TO_CAUSE`.
    reference_months : int
        Window over which a cause's average shape is taken.

    Returns
    -------
    Scenario
        A copy with new levels.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> s = levels_from_exit_survey(
    ...     base, {"cheaper_alternative": 0.5, "bad_support": 0.5}, monthly_churn=0.02)
    >>> round(s.monthly_churn_by_cause()["price_competitor"], 4)
    0.01
    """
    mapping = dict(DEFAULT_REASON_TO_CAUSE if mapping is None else mapping)
    PARAMETERS["causes.*.levels.*"].check(monthly_churn, "monthly_churn")
    _check_shares(shares, mapping)
    by_cause: dict[str, float] = {}
    spread = 0.0
    for reason, share in shares.items():
        target = mapping[reason]
        if target is None:
            spread += share
            continue
        scenario.cause(target)
        by_cause[target] = by_cause.get(target, 0.0) + share
    mapped = sum(by_cause.values())
    if mapped == 0:
        raise ScenarioError("shares", "no answer maps onto a cause")
    causes = []
    weights = [s.share for s in scenario.segments]
    for c in scenario.causes:
        if c.name in by_cause:
            share = by_cause[c.name] * (1 + spread / mapped)
            mean_shape = float(shape_curve(c.shape, reference_months).mean())
            target_level = monthly_churn * share / mean_shape
            current = sum(w * lvl for w, lvl in zip(weights, c.levels, strict=True))
            rel = [lvl / current for lvl in c.levels] if current > 0 else [1.0] * len(c.levels)
            c = dataclasses.replace(c, levels=tuple(min(1.0, target_level * r) for r in rel))
        causes.append(c)
    return dataclasses.replace(scenario, causes=tuple(causes))


def _check_shares(shares: Mapping[str, float], mapping: Mapping[str, str | None]) -> None:
    """Refuse reasons the mapping does not know, shares outside 0…1, and a total ≠ 1."""
    for reason in shares:
        if reason not in mapping:
            raise ScenarioError(
                f"shares.{reason}",
                f"unknown exit-survey reason (allowed: {', '.join(mapping)})",
            )
    for reason, share in shares.items():
        PARAMETERS["segments.*.share"].check(share, f"shares.{reason}")
    total = sum(shares.values())
    if abs(total - 1) > 1e-6:
        raise ScenarioError("shares", f"must sum to 1 (got {total:g})")
