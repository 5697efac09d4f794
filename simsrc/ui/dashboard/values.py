"""Control values of the dashboards, checked, and the what-if they make (no widgets).

A *control key* is a scenario path (``"save_team.coverage"``, ``"dunning.style"``) or
``"churn.<cause>"``, a multiplier of that cause's churn levels. Numbers are bounded by
the parameter table (:data:`simsrc.PARAMETERS`); the words a choice allows come from the
type hints of the scenario's dataclasses (``bool`` or a ``Literal`` in
:mod:`simsrc.model.levers`), so the dashboards never keep a second list of them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from simsrc.model import paths
from simsrc.model.errors import ScenarioError
from simsrc.model.levers import CHOICE_LABELS, OFFER_NAMES
from simsrc.model.params import PARAMETERS, Param
from simsrc.model.scenario import WHAT_IF_MARK, Scenario
from simsrc.model.schema import hints
from simsrc.model.units import compact, format_value
from simsrc.ui.charts import OFFER_LABELS

__all__ = [
    "CHOICES",
    "CHURN_FACTOR",
    "EARLY_EXIT_FACTOR",
    "FACTORS",
    "RENEWAL_FACTOR",
    "WORD_LABELS",
    "build_what_if",
    "change_lines",
    "check_control",
    "choice_options",
    "choice_words",
    "control_param",
    "field_label",
    "is_factor",
    "is_mix",
    "mix_of",
    "readable_error",
    "scenario_value",
    "value_text",
    "whole_percents",
]

CHURN_FACTOR = Param(
    "churn.*",
    "Churn multiplier",
    "×",
    0.0,
    3.0,
    0.05,
    "Multiplies this cause's monthly churn levels in every segment (1 = as in the "
    "baseline, 0.5 = halved). The resulting levels must stay at most 100 % a month.",
)
"""Bounds of the per-cause churn multiplier (a what-if lever, not a scenario field)."""

RENEWAL_FACTOR = Param(
    "renewal.*",
    "Renewal churn multiplier",
    "×",
    0.0,
    3.0,
    0.05,
    "Multiplies this contract segment's churn at every renewal point (1 = as in the "
    "baseline, 0.5 = halved, say by a renewal campaign). The waves must stay at most 100 %.",
)
"""Bounds of the per-segment multiplier of renewal waves (see :meth:`Scenario.scale_contract`)."""

EARLY_EXIT_FACTOR = Param(
    "early_exit.*",
    "Early-exit multiplier",
    "×",
    0.0,
    3.0,
    0.05,
    "Multiplies the churn still happening inside this segment's contract term (early "
    "terminations: a higher termination fee lowers it; 1 = as in the baseline).",
)
"""Bounds of the per-segment multiplier of churn inside a contract term."""

FACTORS: dict[str, Param] = {
    "churn": CHURN_FACTOR,
    "renewal": RENEWAL_FACTOR,
    "early_exit": EARLY_EXIT_FACTOR,
}
"""Multiplier controls by key prefix: ``churn.<cause>``, ``renewal.<segment>``,
``early_exit.<segment>`` (1 is the baseline)."""

CHOICES: dict[str, tuple[str, str]] = {
    "dunning.enabled": (
        "Dunning of late payers",
        "Remind customers whose payment failed, over a grace period, before cutting them off.",
    ),
    "dunning.style": (
        "Message style",
        "Pay up: ever firmer reminders. Help first: 'are you stuck? here is a person' — "
        "recovers stuck customers a reminder loses, and fixes their problem.",
    ),
    "dunning.channel": (
        "Channel",
        "SMS is read far more often than email (about 98 % against 20 %).",
    ),
    "win_back.enabled": (
        "Win-back",
        "Send former customers one message after a delay; some come back.",
    ),
    "win_back.channel": ("Channel", "SMS is read far more often than email."),
    "programs.onboarding.enabled": (
        "Onboarding program",
        "Guided onboarding for every new customer; lowers onboarding churn.",
    ),
    "programs.success.enabled": (
        "Success check-ins",
        "Regular check-ins with active customers; lowers success drop-off.",
    ),
    "programs.service.enabled": (
        "Service quality",
        "Training, audits and empowered staff; lowers churn from poor service.",
    ),
}
"""Non-numeric controls (the parameter table covers numbers only): label and help text."""

WORD_LABELS: dict[Any, str] = {
    True: "On",
    False: "Off",
    **CHOICE_LABELS,
}
"""How a choice word reads on its button."""


def choice_words(key: str) -> tuple[Any, ...]:
    """The values a non-numeric scenario field allows, from its type hint.

    ``bool`` fields allow ``True`` and ``False``; ``Literal`` fields their words, in
    the order the type lists them.

    Raises
    ------
    ScenarioError
        If ``key`` is not a path to a ``bool`` or ``Literal`` field of a scenario.

    Examples
    --------
    >>> choice_words("dunning.style")
    ('pay_up', 'help_first')
    >>> choice_words("programs.service.enabled")
    (True, False)
    """
    tp: Any = Scenario
    for part in key.split("."):
        if not (isinstance(tp, type) and dataclasses.is_dataclass(tp)):
            tp = None
            break
        tp = hints(tp).get(part)
    if tp is bool:
        return (True, False)
    if get_origin(tp) is Literal:
        return get_args(tp)
    raise ScenarioError(key, "is not a choice of a scenario")


def choice_options(key: str) -> dict[Any, str]:
    """A choice control's allowed values and their button texts, in order.

    Examples
    --------
    >>> choice_options("dunning.channel")
    {'email': 'Email', 'sms': 'SMS'}
    """
    return {word: WORD_LABELS.get(word, str(word)) for word in choice_words(key)}


def is_factor(key: str) -> bool:
    """Whether a control key is a multiplier (``churn.<cause>``, ``renewal.<segment>``…).

    Examples
    --------
    >>> is_factor("churn.onboarding"), is_factor("renewal.one_year"), is_factor("dunning.style")
    (True, True, False)
    """
    prefix, _, rest = key.partition(".")
    return prefix in FACTORS and bool(rest) and "." not in rest


def control_param(key: str) -> Param | None:
    """The parameter-table row that bounds a numeric control, or ``None`` for choices.

    Examples
    --------
    >>> control_param("save_team.coverage").label
    'Save-team coverage'
    >>> control_param("churn.onboarding").unit
    '×'
    """
    if is_factor(key):
        return FACTORS[key.partition(".")[0]]
    return PARAMETERS.find(key)


def check_control(key: str, value: object) -> Any:
    """Validate a value a widget sent for a control; return it in canonical form.

    Numbers are checked against the parameter table (type, finite, bounds, whole
    numbers) and rounded to 10 decimals, which removes the float noise of slider steps
    (0.1 + 0.2); choices must be one of the allowed words.

    Raises
    ------
    ScenarioError
        Naming the control's path and what is allowed.

    Examples
    --------
    >>> check_control("save_team.coverage", 0.30000000000000004)
    0.3
    >>> check_control("dunning.channel", "fax")
    Traceback (most recent call last):
    ...
    simsrc.ScenarioError: dunning.channel: must be one of email, sms (got 'fax')
    """
    if key in CHOICES:
        allowed = choice_words(key)
        kind = type(allowed[0])
        try:
            ok = type(value) is kind and value in allowed
        except TypeError:  # unhashable
            ok = False
        if not ok:
            words = ", ".join(str(v).lower() for v in allowed)
            raise ScenarioError(key, f"must be one of {words} (got {value!r})")
        return value
    row = control_param(key)
    if row is None:
        raise ScenarioError(key, "is not a control of this dashboard")
    x = row.check(value, key)
    return round(x) if row.integer else round(x, 10)


def is_mix(key: str) -> bool:
    """Whether a control key is an offer-mix share (``save_team.mix.<cause>.<offer>``)."""
    return key.startswith("save_team.mix.")


def scenario_value(scenario: Scenario | dict[str, Any], path: str) -> Any:
    """A value of a scenario (or scenario document) by dotted path.

    Examples
    --------
    >>> import simsrc
    >>> scenario_value(simsrc.preset("b2b-saas"), "save_team.mix.onboarding.expert_help")
    0.8
    """
    document = scenario.to_dict(full=True) if isinstance(scenario, Scenario) else scenario
    return paths.get_path(document, path)


def build_what_if(
    baseline: Scenario, values: Mapping[str, Any], name: str | None = None
) -> Scenario:
    """The baseline with control values applied: fields by path, churn multipliers.

    Parameters
    ----------
    baseline : Scenario
        The scenario the controls start from.
    values : mapping
        Control key → value: a parameter path (``"save_team.coverage"``), a choice path
        (``"dunning.style"``) or ``"churn.<cause>"`` for a multiplier of that cause's
        levels. Values equal to the baseline's are skipped.
    name : str, optional
        Name of the result (default: ``"<baseline> · what-if"``).

    Returns
    -------
    Scenario
        The what-if.

    Raises
    ------
    ScenarioError
        If a value is out of bounds or the combination is invalid (e.g. an offer mix
        over 100 %).

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> halved = build_what_if(base, {f"churn.{c}": 0.5 for c in base.cause_names})
    >>> simsrc.simulate(halved).kpis["npv"] == simsrc.simulate(base.halve_churn()).kpis["npv"]
    True
    """
    name = name or f"{baseline.name}{WHAT_IF_MARK}what-if"
    fields = {k: v for k, v in values.items() if not is_factor(k)}
    data = baseline.to_dict(full=True)
    changed = {k: v for k, v in fields.items() if scenario_value(data, k) != v}
    if changed:
        for key, value in changed.items():
            paths.set_path(data, key, value)
        data["name"] = name
        s = Scenario.from_dict(data)
    else:
        s = baseline.replace(name=name)
    for key, factor in values.items():
        if not is_factor(key) or factor == 1.0:
            continue
        prefix, _, item = key.partition(".")
        if prefix == "churn":
            s = s.scale_churn(float(factor), cause=item, name=name)
        else:
            s = s.scale_contract(item, name=name, **{prefix: float(factor)})
    return s


def mix_of(s: Scenario) -> dict[str, dict[str, float]]:
    """The offers each voluntary cause gets (shares over half a percent), by name.

    Examples
    --------
    >>> import simsrc
    >>> mix_of(simsrc.preset("b2b-saas"))["onboarding"]
    {'expert_help': 0.8}
    """
    return {
        c.name: {o: float(v) for o, v in zip(OFFER_NAMES, s.save_team.mix[k], strict=True)
                 if v > 0.005}
        for k, c in enumerate(s.causes)
        if c.voluntary
    }  # fmt: skip


def whole_percents(shares: Mapping[str, float]) -> dict[str, float]:
    """Shares rounded to whole percents that still sum to at most 100 %.

    Each share goes to its nearest percent; if that pushes the total over 100 %, the
    shares rounded up the most give a percent back (largest remainder), so a mix of
    99.6 % reads and applies as 100 %, never as 99 % or 101 %.

    Examples
    --------
    >>> whole_percents({"discount": 0.996})
    {'discount': 1.0}
    >>> whole_percents({"a": 0.335, "b": 0.335, "c": 0.33})
    {'a': 0.33, 'b': 0.34, 'c': 0.33}
    """
    points = {k: round(100 * max(0.0, float(v))) for k, v in shares.items()}
    over = sum(points.values()) - min(100, math.floor(100 * sum(shares.values()) + 0.5))
    by_excess = sorted(points, key=lambda k: points[k] - 100 * shares[k], reverse=True)
    for k in by_excess[: max(0, over)]:
        points[k] -= 1
    return {k: p / 100 for k, p in points.items()}


def field_label(path: str, scenario: Scenario) -> str:
    """A control or field as a person names it: its label, never its dotted path.

    Examples
    --------
    >>> from simsrc import preset
    >>> field_label("save_team.mix.poor_service.discount", preset("b2b-saas"))
    'Discount in the offer mix for poor service'
    >>> field_label("churn.onboarding", preset("b2b-saas"))
    'Ineffective onboarding churn'
    >>> field_label("segments.premium.monthly_price", preset("b2b-saas"))
    'Premium plan: starting monthly price'
    """
    labels, causes, segments = scenario.item_labels, scenario.cause_names, scenario.segment_names
    parts = path.split(".")
    if parts[0] == "churn" and len(parts) == 2 and parts[1] in causes:
        return f"{labels[parts[1]]} churn"
    if parts[0] in ("renewal", "early_exit") and len(parts) == 2 and parts[1] in segments:
        what = "churn at renewal" if parts[0] == "renewal" else "churn inside a term"
        return f"{labels[parts[1]]}: {what}"
    if parts[:2] == ["save_team", "mix"] and len(parts) in (3, 4):
        cause = labels.get(parts[2], parts[2]).lower()
        if len(parts) == 4:
            return f"{OFFER_LABELS.get(parts[3], parts[3])} in the offer mix for {cause}"
        return f"Offer mix for {cause}"
    if path in CHOICES:
        return CHOICES[path][0]
    row = PARAMETERS.find(path) if path else None
    if row is not None and parts[0] == "segments" and len(parts) > 2 and parts[1] in segments:
        return f"{labels[parts[1]]}: {row.label[0].lower()}{row.label[1:]}"
    return row.label if row is not None else path


def value_text(key: str, value: Any, currency: str = "USD") -> str:
    """A control's value as a person reads it: On, Help first, 30%, $1.2K, 3 months.

    Examples
    --------
    >>> value_text("dunning.style", "help_first"), value_text("save_team.coverage", 0.3)
    ('Help first', '30%')
    >>> value_text("churn.onboarding", 0.5), value_text("acquisition.new_per_month", 1200)
    ('×0.5', '1.2K')
    """
    if key in CHOICES:
        return WORD_LABELS.get(value, str(value))
    row = control_param(key)
    unit = "" if row is None else row.unit
    if unit == "×":
        return f"×{compact(float(value))}"
    if row is not None and (row.is_fraction or unit.startswith("currency") or unit == "months"):
        return format_value(float(value), unit, currency)
    return compact(float(value))


def change_lines(
    moved: Mapping[str, tuple[Any, Any]], scenario: Scenario, currency: str = "USD"
) -> list[str]:
    """What a what-if changes, one line per control, in the controls' order.

    Parameters
    ----------
    moved : mapping
        Control key → ``(baseline value, what-if value)``.
    scenario : Scenario
        The baseline (for cause names).
    currency : str
        Currency of money values.

    Examples
    --------
    >>> from simsrc import preset
    >>> change_lines({"churn.onboarding": (1.0, 0.5), "dunning.channel": ("email", "sms")},
    ...              preset("b2b-saas"))
    ['Ineffective onboarding churn ×0.5', 'Channel of dunning: Email → SMS']
    """
    lines = []
    for key, (before, after) in moved.items():
        label = field_label(key, scenario)
        if is_factor(key):
            lines.append(f"{label} {value_text(key, after)}")
            continue
        if key.startswith(("dunning.", "win_back.")) and label == "Channel":
            label += " of " + ("dunning" if key.startswith("dunning.") else "win-back")
        lines.append(
            f"{label}: {value_text(key, before, currency)} → {value_text(key, after, currency)}"
        )
    return lines


def readable_error(exc: ScenarioError, scenario: Scenario) -> str:
    """A problem as the dashboard says it: the field by its label, not its path.

    Examples
    --------
    >>> from simsrc import preset
    >>> err = ScenarioError("save_team.mix.poor_service", "offer shares sum to more than 1")
    >>> readable_error(err, preset("b2b-saas"))
    'Offer mix for poor service: offer shares sum to more than 1'
    >>> readable_error(ScenarioError("churn.onboarding", "too high"), preset("b2b-saas"))
    'Ineffective onboarding churn: too high'
    """
    field = field_label(exc.path, scenario)
    return f"{field}: {exc.message}" if field else exc.message
