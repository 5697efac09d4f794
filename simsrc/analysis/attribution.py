"""Lever attribution: what each retention lever contributes, for a waterfall chart."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pandas as pd

from simsrc.model.errors import ScenarioError
from simsrc.model.scenario import WHAT_IF_MARK, Scenario
from simsrc.results.expected import simulate_batch
from simsrc.results.kpis import BASE_VALUE_KPIS


def _programs(s: Scenario, **off: Any) -> Scenario:
    return dataclasses.replace(s, programs=dataclasses.replace(s.programs, **off))


def _program_off(name: str) -> Callable[[Scenario], Scenario]:
    def off(s: Scenario) -> Scenario:
        program = getattr(s.programs, name)
        return _programs(s, **{name: dataclasses.replace(program, enabled=False)})

    return off


LEVERS: dict[str, tuple[str, Callable[[Scenario], Scenario]]] = {
    "save_team": (
        "Save team",
        lambda s: dataclasses.replace(s, save_team=dataclasses.replace(s.save_team, coverage=0.0)),
    ),
    "dunning": (
        "Dunning",
        lambda s: dataclasses.replace(s, dunning=dataclasses.replace(s.dunning, enabled=False)),
    ),
    "win_back": (
        "Win-back",
        lambda s: dataclasses.replace(s, win_back=dataclasses.replace(s.win_back, enabled=False)),
    ),
    "onboarding_program": ("Onboarding program", _program_off("onboarding")),
    "success_program": ("Success check-ins", _program_off("success")),
    "service_program": ("Service quality", _program_off("service")),
    "exit_survey": ("Exit surveys", _program_off("exit_survey")),
    "contact_policy": (
        "Contact policy",
        lambda s: dataclasses.replace(
            s, contact=dataclasses.replace(s.contact, contacts_per_month=0.0)
        ),
    ),
}
"""Each lever: label and how to switch it off. Word of mouth is an effect, not a lever."""


def lever_off(scenario: Scenario, lever: str) -> Scenario:
    """The scenario with one lever switched off.

    Examples
    --------
    >>> import simsrc
    >>> lever_off(simsrc.preset("b2b-saas"), "dunning").dunning.enabled
    False
    """
    if lever not in LEVERS:
        raise ScenarioError("lever", f"unknown lever {lever!r} (known: {', '.join(LEVERS)})")
    label, off = LEVERS[lever]
    return dataclasses.replace(
        off(scenario), name=f"{scenario.name}{WHAT_IF_MARK}without {label.lower()}"
    )


def attribute(
    scenario: Scenario, kpis: tuple[str, ...] = ("npv", "total_revenue")
) -> pd.DataFrame:
    """Contribution of each active lever: the full scenario minus it with that lever off.

    All variants run in one batched engine call. Contributions need not add up to the
    total effect of the levers (they interact: a saved customer can also be won back),
    so the table has an ``interaction`` row that closes the gap exactly, which makes it a
    waterfall from the scenario without levers to the full scenario.

    Parameters
    ----------
    scenario : Scenario
        The full scenario.
    kpis : tuple of str
        KPIs to attribute (columns of :data:`simsrc.KPI_INFO`).

    Returns
    -------
    pandas.DataFrame
        Rows in waterfall order: ``kind`` is ``"start"`` (no levers), ``"lever"`` (one per
        lever that is on), ``"interaction"`` and ``"end"`` (the full scenario); columns
        ``lever``, ``label``, ``kind`` and one per KPI (levels for start/end,
        contributions for the rest).

    Examples
    --------
    >>> import simsrc
    >>> table = attribute(simsrc.preset("b2b-saas"))
    >>> list(table["kind"].unique())
    ['start', 'lever', 'interaction', 'end']
    """
    active = [k for k in LEVERS if lever_off(scenario, k).replace(name=scenario.name) != scenario]
    variants = [scenario, scenario.without_levers(), *(lever_off(scenario, k) for k in active)]
    base_value = any(k in BASE_VALUE_KPIS for k in kpis)
    values = simulate_batch(variants, base_value=base_value).kpis.reset_index(drop=True)
    full, none = values.iloc[0], values.iloc[1]
    rows = [{"lever": "none", "label": "Without levers", "kind": "start",
             **{k: none[k] for k in kpis}}]  # fmt: skip
    for i, key in enumerate(active):
        rows.append({"lever": key, "label": LEVERS[key][0], "kind": "lever",
                     **{k: full[k] - values.iloc[2 + i][k] for k in kpis}})  # fmt: skip
    explained = {k: sum(r[k] for r in rows[1:]) for k in kpis}
    rows.append({"lever": "interaction", "label": "Interactions", "kind": "interaction",
                 **{k: full[k] - none[k] - explained[k] for k in kpis}})  # fmt: skip
    rows.append({"lever": "all", "label": "With levers", "kind": "end",
                 **{k: full[k] for k in kpis}})  # fmt: skip
    return pd.DataFrame(rows)
