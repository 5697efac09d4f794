"""Shipped preset scenarios (TOML files with their sources named in comments)."""

from __future__ import annotations

from importlib import resources

from simsrc.model.errors import ScenarioError
from simsrc.model.files import parse_scenario_text
from simsrc.model.scenario import Scenario


def list_presets() -> list[str]:
    """Names of the shipped presets.

    Examples
    --------
    >>> list_presets()
    ['b2b-saas', 'consumer-app', 'telecom']
    """
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def preset(name: str) -> Scenario:
    """Load a shipped preset by name.

    Raises
    ------
    ScenarioError
        If there is no such preset (the message lists the known ones).

    Examples
    --------
    >>> preset("telecom").segment_names
    ('month_to_month', 'one_year', 'two_year')
    """
    known = list_presets()
    if name not in known:
        raise ScenarioError("preset", f"unknown preset {name!r} (known: {', '.join(known)})")
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return parse_scenario_text(text, f"preset {name}")
