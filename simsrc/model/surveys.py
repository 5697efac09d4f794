"""Exit surveys: the reasons customers give for leaving, and the causes they point to."""

from __future__ import annotations

__all__ = ["DEFAULT_REASON_TO_CAUSE", "EXIT_SURVEY_REASONS"]

EXIT_SURVEY_REASONS: dict[str, str] = {
    "cheaper_alternative": "Found a cheaper alternative",
    "missing_features": "Missing features",
    "no_longer_needed": "No longer need it",
    "technical_problems": "Too many technical problems",
    "hard_to_use": "Hard to use or understand",
    "unmet_expectations": "Did not meet expectations",
    "bad_support": "Bad support experience",
    "other": "Other",
}
"""The eight exit-survey reasons of [sms] (an SMS exit survey; see ``docs/sources.md``)."""

DEFAULT_REASON_TO_CAUSE: dict[str, str | None] = {
    "cheaper_alternative": "price_competitor",
    "missing_features": "success_dropoff",
    "no_longer_needed": "natural_events",
    "technical_problems": "poor_service",
    "hard_to_use": "onboarding",
    "unmet_expectations": "onboarding",
    "bad_support": "poor_service",
    "other": None,
}
"""Default mapping of exit-survey reasons onto causes; ``None`` spreads the answer
over the other causes in proportion (an "other" answer says nothing about the cause)."""
