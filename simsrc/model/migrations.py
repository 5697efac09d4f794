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

from simsrc.model.conversions import beta_to_spread
from simsrc.model.errors import ScenarioError, shown
from simsrc.model.params import PARAMETERS
from simsrc.model.schema import reject_unknown, require_mapping

SCHEMA_VERSION = 2
"""Version of the scenario dictionary written by this package (files and ``to_dict``)."""


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2, checking what schema 1 said before turning it into causes.

    Everything read here is validated with the same one-line errors as schema 2, naming
    the schema-1 field (``segments[0].monthly_churn``, ``heterogeneity.polarization``).
    """
    out = {k: v for k, v in data.items() if k not in {"heterogeneity", "schema_version"}}
    raw = data.get("segments", [])
    if not isinstance(raw, list | tuple):
        raise ScenarioError("segments", f"must be a list of tables (got {shown(raw)})")
    segments = [require_mapping(s, f"segments[{i}]") for i, s in enumerate(raw)]
    levels = {}
    for i, seg in enumerate(segments):
        if "monthly_churn" not in seg:
            raise ScenarioError(f"segments[{i}].monthly_churn", "is required in schema 1")
        churn = seg.pop("monthly_churn")
        PARAMETERS["causes.*.levels.*"].check(churn, f"segments[{i}].monthly_churn")
        levels[str(seg.get("name", f"segment{i}"))] = churn
    out["segments"] = segments
    out["causes"] = [
        {"name": "churn", "label": "All causes", "shape": {"kind": "flat"}, "levels": levels}
    ]
    het = require_mapping(data.get("heterogeneity", {}), "heterogeneity")
    reject_unknown(het, ("polarization",), "heterogeneity")
    phi = het.get("polarization", 0.0)
    where = "heterogeneity.polarization"
    if isinstance(phi, bool) or not isinstance(phi, int | float) or not 0 <= phi < 1:
        raise ScenarioError(
            where, f"must be a number from 0 up to (not including) 1 (got {shown(phi)})"
        )
    if phi:
        # φ = 1/(α+β+1) with the mean churn of the first segment fixes α and β; the
        # spread index is then independent of the mean (see conversions.spread_to_beta).
        m = float(next(iter(levels.values()), 0.0))
        if not 0 < m < 1:
            raise ScenarioError(
                where,
                f"needs the first segment's monthly_churn strictly between 0 and 1 (got {m:g})",
            )
        total = (1.0 - phi) / phi
        _, spread = beta_to_spread(m * total, (1.0 - m) * total)
        row = PARAMETERS["heterogeneity.spread"]
        if not row.lo <= spread <= row.hi:
            raise ScenarioError(
                where,
                f"{phi:g} with monthly churn {m:g} means a spread of {spread:.3g}, outside the "
                f"{row.lo:g} to {row.hi:g} simsrc models; use a smaller polarization",
            )
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
