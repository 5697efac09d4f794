"""Scenario-dictionary schema versions and the migrations between them.

Version history
---------------
1. Single churn rate: each segment carried ``monthly_churn`` and the file had a
   ``[heterogeneity] polarization`` (Fader & Hardie's φ). This is the layout of the
   classic sBG retention models.
2. Churn by cause (current): ``[[causes]]`` with per-segment ``levels`` and a tenure
   ``shape``; heterogeneity as the scale-free ``spread`` index.

A dictionary without ``schema_version`` is taken to be the current version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simsrc.errors import ScenarioError


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    from simsrc.hazards import beta_to_spread

    out = {k: v for k, v in data.items() if k not in {"heterogeneity", "schema_version"}}
    segments = [dict(s) for s in data.get("segments", [])]
    levels = {}
    for i, seg in enumerate(segments):
        if "monthly_churn" not in seg:
            raise ScenarioError(f"segments[{i}].monthly_churn", "is required in schema 1")
        levels[seg.get("name", f"segment{i}")] = seg.pop("monthly_churn")
    out["segments"] = segments
    out["causes"] = [
        {"name": "churn", "label": "All causes", "shape": {"kind": "flat"}, "levels": levels}
    ]
    phi = data.get("heterogeneity", {}).get("polarization", 0.0)
    if phi:
        # φ = 1/(α+β+1) with the mean churn of the first segment fixes α and β; the
        # spread index is then independent of the mean (see hazards.spread_to_beta).
        m = float(next(iter(levels.values())))
        total = (1.0 - phi) / phi
        _, spread = beta_to_spread(m * total, (1.0 - m) * total)
        out["heterogeneity"] = {"spread": spread, "reference_churn": m}
    out["schema_version"] = 2
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}
"""``MIGRATIONS[v]`` turns a version-``v`` dictionary into version ``v + 1``."""


def migrate(data: Mapping[str, Any]) -> dict[str, Any]:
    """Bring a scenario dictionary to the current schema version.

    Raises
    ------
    ScenarioError
        If the version is newer than this package understands, or not a whole number.

    Examples
    --------
    >>> migrate({"schema_version": 2, "name": "x"})["schema_version"]
    2
    """
    from simsrc.scenario import SCHEMA_VERSION

    out = dict(data)
    version = out.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ScenarioError(
            "schema_version",
            f"must be a whole number from 1 to {SCHEMA_VERSION} (got {version!r})",
        )
    if version > SCHEMA_VERSION:
        raise ScenarioError(
            "schema_version",
            f"this file was written by a newer simsrc (schema {version}); this version reads "
            f"schemas 1 to {SCHEMA_VERSION} — please upgrade simsrc",
        )
    while version < SCHEMA_VERSION:
        out = MIGRATIONS[version](out)
        version = out["schema_version"]
    return out
