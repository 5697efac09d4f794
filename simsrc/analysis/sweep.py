"""Parameter sweeps: run a grid (or a table of sample points) of what-ifs in batches.

:func:`sweep` turns a base scenario and a set of parameter values into one scenario per
point, runs them through :func:`simsrc.simulate_batch` in chunks (locally, or on a
``dask.distributed`` cluster) and returns one row per point with its parameter values
and the requested KPIs. Every value is checked against :data:`simsrc.PARAMETERS` before
anything runs. A grid is not built point by point where it need not be: each swept
value is built once and the points' arrays are assembled from them
(:func:`pack_points`), exactly — the results are those of one scenario per point.

All points of a sweep are simulated in batches, so they must share the base scenario's
structure: sweeping ``horizon_months`` is not supported (run one sweep per horizon).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsrc.engine.pack import Packed, pack
from simsrc.model.errors import ScenarioError
from simsrc.model.params import PARAMETERS
from simsrc.model.paths import get_path, set_path
from simsrc.model.scenario import Scenario
from simsrc.results.expected import simulate_batch
from simsrc.results.kpis import KPI_INFO
from simsrc.results.parallel import Engine, check_engine, run_tasks

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

DEFAULT_CHUNK = 2000
"""Scenarios per chunk when ``chunk_size`` is not given."""


def points_frame(grid_or_samples: Mapping[str, Sequence[Any]] | pd.DataFrame) -> pd.DataFrame:
    """The sweep's points as a DataFrame, one column per parameter path.

    Parameters
    ----------
    grid_or_samples : dict of str to sequence, or DataFrame
        ``{path: values}`` for the full grid (every combination, first path varying
        slowest, as :func:`itertools.product`), or a DataFrame whose columns are paths
        and whose rows are points.

    Returns
    -------
    pandas.DataFrame
        One row per point (a fresh ``RangeIndex``).

    Examples
    --------
    >>> points_frame({"a.b": [1, 2], "c": [3, 4, 5]}).shape
    (6, 2)
    """
    if isinstance(grid_or_samples, pd.DataFrame):
        return grid_or_samples.reset_index(drop=True)
    if not isinstance(grid_or_samples, Mapping):
        raise TypeError("grid_or_samples must be a dict {path: values} or a DataFrame")
    paths = list(grid_or_samples)
    values = []
    for path in paths:
        vals = grid_or_samples[path]
        if isinstance(vals, str | bytes) or not isinstance(vals, Sequence | np.ndarray):
            raise ScenarioError(path, "sweep values must be a list of numbers")
        values.append(list(vals))
    rows = list(itertools.product(*values))
    return pd.DataFrame(rows, columns=paths)


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching Python number (the parameter table wants those)."""
    return value.item() if isinstance(value, np.generic) else value


def validate_points(base: Scenario, points: pd.DataFrame) -> None:
    """Check every path and value of a sweep against the parameter table and the base.

    Raises
    ------
    ScenarioError
        Naming the path, for an unknown path or a value outside its allowed range.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> validate_points(base, points_frame({"acquisition.new_per_month": [10, 20]}))
    """
    if points.empty and len(points.columns) == 0:
        raise ScenarioError("sweep", "needs at least one parameter")
    data = base.to_dict(full=True)
    for path in points.columns:
        if not isinstance(path, str):
            raise ScenarioError(str(path), "sweep columns must be dotted parameter paths")
        row = PARAMETERS.find(path)
        if row is None:
            raise ScenarioError(path, "not a numeric parameter (see `simsrc params`)")
        if path == "horizon_months":
            raise ScenarioError(
                path, "cannot be swept (batches share a horizon); run one sweep per horizon"
            )
        for value in points[path]:
            row.check(_plain(value), path)
        try:  # the path exists in this scenario (cross-field checks come per point)
            get_path(data, path)
        except ScenarioError as err:
            if err.path == path:
                raise
            raise ScenarioError(path, f"{err.path}: {err.message}") from None


def build_scenarios(base: Scenario, points: pd.DataFrame) -> list[Scenario]:
    """One validated scenario per point.

    Equivalent to ``base.set(path, value)`` for every path of the point, but validated
    once per point (one dictionary round trip instead of one per path), so values that
    must change together — e.g. segment shares that sum to one — can be swept jointly.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> [s.acquisition.new_per_month for s in build_scenarios(
    ...     base, points_frame({"acquisition.new_per_month": [10, 20]}))]
    [10.0, 20.0]
    """
    paths = list(points.columns)
    data = base.to_dict(full=True)
    sections = sorted({path.split(".")[0] for path in paths})
    out = []
    for values in points.itertuples(index=False, name=None):
        d = dict(data)  # copy only the sections the sweep changes
        for section in sections:
            d[section] = copy.deepcopy(data[section])
        for path, value in zip(paths, values, strict=True):
            set_path(d, path, _plain(value))  # what Scenario.set does, per path
        out.append(Scenario.from_dict(d))
    return out


MAX_CORNERS = 256
"""Most corners of a grid's box :func:`pack_points` builds in full (eight parameters)."""


def _arrays(p: Packed) -> dict[str, np.ndarray]:
    """Every per-scenario array of a pack by name (lever arrays as ``levers.<name>``)."""
    out = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
    out.update(
        {f"levers.{f.name}": getattr(p.levers, f.name) for f in dataclasses.fields(p.levers)}
    )
    return {k: v for k, v in out.items() if isinstance(v, np.ndarray)}


def _with_arrays(template: Packed, arrays: Mapping[str, np.ndarray]) -> Packed:
    """``template`` with its arrays replaced by ``arrays`` (names as :func:`_arrays`)."""
    lever = {k.removeprefix("levers."): v for k, v in arrays.items() if k.startswith("levers.")}
    top: dict[str, Any] = {k: v for k, v in arrays.items() if not k.startswith("levers.")}
    return dataclasses.replace(
        template, levers=dataclasses.replace(template.levers, **lever), **top
    )


def pack_points(base: Scenario, points: pd.DataFrame) -> Packed | None:
    """The points packed axis by axis, without one scenario per point; None if it cannot be.

    Each swept path's distinct values are built (and validated) as scenarios of their
    own, each differing from ``base`` in that path only; a point's arrays are then taken
    from the scenario of the path that changes them. This is exact when every packed
    array depends on at most one swept path, which is checked twice: varying each path
    alone must change disjoint arrays, and the corners of the grid's box (every path at
    its smallest and largest value) are built in full — which also runs the checks across
    fields, such as shares summing to at most one, that bind at the extremes — and must
    equal their assembled arrays. Returns ``None`` (build every point) when the arrays
    are not separable, a corner fails its checks, the corners would be too many
    (:data:`MAX_CORNERS`), or the points repeat too few values for this to save work.
    """
    paths = list(points.columns)
    codes, uniques = {}, {}
    for path in paths:
        codes[path], uniques[path] = pd.factorize(points[path], sort=True)
    n = len(points)
    if 2 ** len(paths) > MAX_CORNERS or 4 * sum(len(u) for u in uniques.values()) > n:
        return None
    one = pack([base])
    base_arrays = _arrays(one)
    by_path = {
        path: _arrays(pack(build_scenarios(base, pd.DataFrame({path: uniques[path]}))))
        for path in paths
    }
    owner: dict[str, str | None] = {}
    for name, value in base_arrays.items():
        changed = [
            path
            for path in paths
            if not np.array_equal(
                by_path[path][name], np.broadcast_to(value, by_path[path][name].shape), True
            )
        ]
        if len(changed) > 1:
            return None
        owner[name] = changed[0] if changed else None

    def assemble(index: Mapping[str, np.ndarray], size: int) -> Packed:
        arrays = {
            name: (
                np.repeat(value, size, axis=0)
                if owner[name] is None
                else by_path[str(owner[name])][name][index[str(owner[name])]]
            )
            for name, value in base_arrays.items()
        }
        return _with_arrays(one, arrays)

    extremes = [[0, len(uniques[path]) - 1] for path in paths]
    corner_codes = np.array(list(itertools.product(*extremes))).reshape(-1, len(paths))
    corners = pd.DataFrame(
        {path: uniques[path][corner_codes[:, i]] for i, path in enumerate(paths)}
    )
    try:
        built = _arrays(pack(build_scenarios(base, corners)))
    except ScenarioError:
        return None  # the points themselves are checked one by one
    got = _arrays(
        assemble({path: corner_codes[:, i] for i, path in enumerate(paths)}, len(corners))
    )
    if not all(np.array_equal(built[name], got[name], True) for name in built):
        return None
    return assemble(codes, n)


def run_chunk(base: Scenario, points: pd.DataFrame, kpis: Sequence[str]) -> pd.DataFrame:
    """Simulate one chunk of points; KPI columns only, one row per point.

    The points are packed axis by axis where that is exact (:func:`pack_points`), else
    built one scenario each. This is the unit of work sent to dask workers.
    """
    packed = pack_points(base, points)
    batch = simulate_batch(build_scenarios(base, points) if packed is None else packed)
    return batch.kpis[list(kpis)].reset_index(drop=True)


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def _check_options(
    kpis: Sequence[str], engine: Engine, chunk_size: int | None
) -> tuple[tuple[str, ...], int]:
    """The sweep's KPIs and chunk size, checked before any work (:func:`sweep`'s errors)."""
    kpis = tuple(kpis)
    unknown = [k for k in kpis if k not in KPI_INFO]
    if unknown:
        raise ValueError(f"unknown KPI {unknown[0]!r}; choose from {', '.join(KPI_INFO)}")
    check_engine(engine)
    if chunk_size is None:
        return kpis, DEFAULT_CHUNK
    if isinstance(chunk_size, bool) or int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be a positive integer (got {chunk_size!r})")
    return kpis, int(chunk_size)


def sweep(
    base: Scenario,
    grid_or_samples: Mapping[str, Sequence[Any]] | pd.DataFrame,
    kpis: Sequence[str] = ("npv", "total_revenue"),
    engine: Engine = "local",
    client: Client | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run a grid or a sample of what-ifs and tabulate their KPIs.

    Parameters
    ----------
    base : Scenario
        The scenario every point starts from.
    grid_or_samples : dict of str to sequence, or DataFrame
        ``{path: values}`` for the full grid (:func:`itertools.product`), or a DataFrame
        whose columns are parameter paths, one row per point.
    kpis : sequence of str
        KPI columns to report (see :data:`simsrc.KPI_INFO`).
    engine : {"local", "dask"}
        Run chunks in this process, or submit them to a ``dask.distributed`` client.
    client : distributed.Client, optional
        The dask client to use; if ``None`` with ``engine="dask"`` a ``LocalCluster`` is
        started for the call and closed afterwards.
    chunk_size : int, optional
        Points per engine call (default 2000). Results do not depend on it.
    progress : bool
        Show a progress bar (``tqdm.auto``).

    Returns
    -------
    pandas.DataFrame
        One row per point, in order: the parameter values, then the KPIs.

    Raises
    ------
    ScenarioError
        Before anything runs, if a path is unknown or a value is out of range.
    ValueError
        For an unknown KPI, engine or a chunk size below 1.
    ImportError
        For ``engine="dask"`` when dask.distributed is not installed.

    Examples
    --------
    >>> import simsrc
    >>> base = simsrc.preset("b2b-saas")
    >>> out = sweep(base, {"acquisition.new_per_month": [50, 100],
    ...                    "segments.standard.monthly_price": [40, 60]}, progress=False)
    >>> out.shape
    (4, 4)
    >>> bool(out["total_revenue"].iloc[1] > out["total_revenue"].iloc[0])
    True
    """
    kpis, size = _check_options(kpis, engine, chunk_size)
    points = points_frame(grid_or_samples)
    validate_points(base, points)
    base = base.replace(uncertainty=())  # ranges do not change expected values
    slices = list(_chunks(len(points), size))
    parts = run_tasks(
        run_chunk,
        base,
        [(points.iloc[sl], kpis) for sl in slices],
        [sl.stop - sl.start for sl in slices],
        engine=engine,
        client=client,
        progress=progress,
        desc="sweep",
        unit="scenario",
    )
    results = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({k: np.empty(0) for k in kpis})
    )
    return pd.concat([points, results], axis=1)


__all__ = [
    "build_scenarios",
    "pack_points",
    "points_frame",
    "run_chunk",
    "sweep",
    "validate_points",
]
