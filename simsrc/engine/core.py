"""The path of a unit cohort over tenure, and its closed form without save team or dunning.

:class:`CohortPath` holds the named per-tenure series of one cohort per scenario and
segment; :func:`core_path` computes them with no loop over months, and is what the
stepped path (:mod:`simsrc.engine.stepped`) and value targeting
(:mod:`simsrc.engine.worth`) start from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simsrc.engine.draws import floats
from simsrc.engine.kernel import COUNT_SERIES, class_sums
from simsrc.engine.pack import N_OFFERS, Packed

Array = NDArray[np.float64]

# -- the path of a unit cohort ------------------------------------------------------

# The series' names are the kernel's output columns (simsrc.engine.kernel).


@dataclass(frozen=True)
class CohortPath:
    """A unit cohort's path over tenure: named series per scenario and segment."""

    series: dict[str, Array]

    def __getitem__(self, name: str) -> Array:
        return self.series[name]

    def take(self, index: NDArray[np.intp]) -> CohortPath:
        """Paths of the selected scenarios (used to expand shared paths)."""
        return CohortPath({k: v[index] for k, v in self.series.items()})


def individual_hazards(p: Packed) -> tuple[Array, NDArray[np.bool_]]:
    """Hazard by tenure and cause ``[S, G, H, K]`` and heterogeneity mask ``[S, 1, 1, K]``."""
    hz = p.level[:, :, None, :] * p.shape.transpose(0, 1, 3, 2)
    if np.any(p.term != 1.0):  # contract terms hold some exits (most packs have none)
        held = p.held[:, None, None, :] > 0
        hz = np.where(held, hz * p.term[..., None], hz)
    return hz, p.heterogeneous[:, None, None, :] > 0


def core_path(p: Packed) -> CohortPath:
    """The path without save team or dunning, in closed form (no loop over months).

    A customer of class ``j`` (relative propensity ``z_j``) leaves for cause ``k`` in
    tenure month τ with probability ``level_k · shape_k(τ) · z_j`` (``z_j`` only for
    heterogeneous causes). Their total is ``T_j(τ) = z_j H(τ) + N(τ)`` with ``H`` and
    ``N`` the summed heterogeneous and other hazards; when ``T_j > 1`` all of the class's
    hazards are scaled by ``1 / T_j``. So a class survives as the cumulative product of
    ``1 − min(T_j, 1)``, and each cause's outflow needs only two sums over classes:
    ``Σ_j S_j z_j / max(T_j, 1)`` and ``Σ_j S_j / max(T_j, 1)``. With one flat cause this
    is the shifted-beta-geometric model.
    """
    hz, het = individual_hazards(p)
    h_het = floats(np.where(het, hz, 0.0).sum(axis=-1))  # [S, G, H]
    h_other = floats(np.where(het, 0.0, hz).sum(axis=-1))
    present, z_sum, plain_sum = (np.zeros_like(h_het) for _ in range(3))
    class_sums(h_het, h_other, floats(p.z), floats(p.w), present, z_sum, plain_sum)
    churned = hz * np.where(het, z_sum[..., None], plain_sum[..., None])
    zeros = np.zeros_like(present)
    series = {name: zeros for name in COUNT_SERIES}
    vol = p.voluntary[:, None, None, :] > 0
    series.update(
        present=present,
        active=present - churned.sum(axis=-1),
        revenue_units=present,
        churned=churned,
        requests=np.where(vol, churned, 0.0),
        bad=np.where(vol, churned, 0.0),  # nobody engages leavers without a save team
        saves=np.zeros((*present.shape, N_OFFERS)),
    )
    series["bad_exits"] = series["bad"].sum(axis=-1)
    return CohortPath(series)
