"""Run independent tasks here or on a dask.distributed cluster, with one progress bar.

Sweeps (:func:`simsrc.analysis.sweep.sweep`) and random runs
(:func:`simsrc.results.stochastic.simulate_stochastic`) both split their work into tasks whose
results do not depend on where or in which order they run; :func:`run_tasks` runs them
in this process or submits them to a dask client, and returns the results in task
order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from simsrc.model.checks import check_choice, check_whole, got

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

T = TypeVar("T")

DASK_HINT = (
    "engine='dask' needs dask.distributed; install it with `pip install simsrc[scale]` "
    "(or `pip install 'dask[distributed]'`)"
)

Engine = Literal["local", "dask"]

WORKER_ENV = {"MALLOC_TRIM_THRESHOLD_": 2**30, "MALLOC_MMAP_THRESHOLD_": 2**25}
"""glibc settings for dask worker processes (see :func:`fast_workers`)."""


def fast_workers() -> Any:
    """Context in which dask starts worker processes that run the engine at full speed.

    dask's nanny puts ``MALLOC_TRIM_THRESHOLD_=65536`` in every worker's environment
    before it starts, which switches off glibc's adaptive ``mmap`` threshold: each
    large numpy temporary is then mapped and page-faulted afresh, and blocks of random
    runs took twice as long (measured here: 1.0 s instead of 0.5 s). Clusters started
    inside this context give their workers :data:`WORKER_ENV` instead. For a cluster
    started elsewhere, start its workers with those variables in their environment
    (e.g. ``MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_MMAP_THRESHOLD_=33554432 dask
    worker …``).

    Examples
    --------
    >>> with fast_workers():  # doctest: +SKIP
    ...     cluster = LocalCluster(n_workers=2, threads_per_worker=1)
    """
    import dask

    prefix = "distributed.nanny.pre-spawn-environ."
    return dask.config.set({prefix + k: v for k, v in WORKER_ENV.items()})


def cores() -> int:
    """CPU cores this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


# -- argument checks ------------------------------------------------------------------
# The one place where the public entry points (simulate, simulate_batch,
# simulate_stochastic, sweeps) check their keyword arguments: a wrong type raises
# TypeError, a wrong value ValueError, and every message names the argument and what it
# accepts. numpy scalars count as the Python type they stand for; bool is not a number.

MAX_THREADS = 1024
"""Most threads :func:`run_tasks` accepts: far more than any machine's cores; more would
only be idle (a call never uses more threads than it has tasks)."""


def check_threads(threads: object) -> int:
    """The number of threads to use: ``None`` means one per core; 1 … 1024 otherwise."""
    if threads is None:
        return cores()
    return check_whole(threads, "threads", 1, MAX_THREADS)


def check_engine(engine: object) -> Engine:
    """``"local"`` or ``"dask"``; anything else is refused."""
    return "local" if check_choice(engine, "engine", ("local", "dask")) == "local" else "dask"


def check_client(client: object, engine: Engine) -> None:
    """A dask client goes with ``engine="dask"`` only, and must look like one.

    Checked by its methods (``submit``, ``scatter``) rather than its class, so that
    ``distributed`` is not imported unless a client is given.
    """
    if client is None:
        return
    if not (
        callable(getattr(client, "submit", None)) and callable(getattr(client, "scatter", None))
    ):
        raise TypeError(f"client must be None or a distributed.Client (got {got(client)})")
    if engine != "dask":
        raise ValueError(f"client is used only with engine='dask' (got engine={engine!r})")


def run_tasks(
    fn: Callable[..., T],
    shared: Any,
    tasks: Sequence[tuple[Any, ...]],
    sizes: Sequence[int],
    *,
    engine: Engine = "local",
    client: Client | None = None,
    progress: bool = False,
    desc: str = "tasks",
    unit: str = "item",
    threads: int = 1,
) -> list[T]:
    """``[fn(shared, *task) for task in tasks]``, here or on a dask cluster.

    Parameters
    ----------
    fn : callable
        A module-level function (so that dask can send it to workers).
    shared : object
        The first argument of every call (scattered once to dask workers).
    tasks : sequence of tuple
        The other arguments of each call.
    sizes : sequence of int
        Work items per task, for the progress bar.
    engine : {"local", "dask"}
        Where to run.
    client : distributed.Client, optional
        With ``engine="dask"``: the cluster to use; without one a ``LocalCluster`` is
        started for the call and closed afterwards.
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in notebooks, text in terminals).
    desc, unit : str
        Progress bar labels.
    threads : int
        With ``engine="local"``: run the tasks on this many threads of this process.
        Worth it only for work that spends its time in numpy calls releasing the GIL
        (random draws, matrix products); the results do not depend on it.

    Returns
    -------
    list
        One result per task, in task order.

    Raises
    ------
    ImportError
        For ``engine="dask"`` when dask.distributed is not installed.

    Examples
    --------
    >>> run_tasks(pow, 2, [(3,), (4,)], [1, 1])
    [8, 16]
    """
    check_engine(engine)
    from tqdm.auto import tqdm  # imported late: notebooks and terminals pick their bar

    with tqdm(total=int(sum(sizes)), disable=not progress, desc=desc, unit=unit) as bar:
        if engine == "local" and (threads <= 1 or len(tasks) <= 1):
            out = []
            for task, size in zip(tasks, sizes, strict=True):
                out.append(fn(shared, *task))
                bar.update(size)
            return out
        if engine == "local":
            return _on_threads(fn, shared, tasks, sizes, threads, bar)
        return _on_dask(fn, shared, tasks, sizes, client, bar)


def _on_threads(
    fn: Callable[..., T],
    shared: Any,
    tasks: Sequence[tuple[Any, ...]],
    sizes: Sequence[int],
    threads: int,
    bar: Any,
) -> list[T]:
    with ThreadPoolExecutor(max_workers=min(threads, len(tasks))) as pool:
        futures = {pool.submit(fn, shared, *task): i for i, task in enumerate(tasks)}
        results: list[Any] = [None] * len(futures)
        try:
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                bar.update(sizes[i])
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        return results


def _on_dask(
    fn: Callable[..., T],
    shared: Any,
    tasks: Sequence[tuple[Any, ...]],
    sizes: Sequence[int],
    client: Client | None,
    bar: Any,
) -> list[T]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(DASK_HINT) from err
    own = client is None
    cluster = None
    if client is None:
        with fast_workers():
            cluster = LocalCluster(dashboard_address=None)
        client = Client(cluster)
    try:
        shared_f = client.scatter(shared, broadcast=True)
        futures = [client.submit(fn, shared_f, *task, pure=False) for task in tasks]
        where = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for fut in as_completed(futures):
            i = where[fut.key]
            results[i] = fut.result()
            bar.update(sizes[i])
        return results
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


__all__ = [
    "DASK_HINT",
    "MAX_THREADS",
    "WORKER_ENV",
    "check_client",
    "check_engine",
    "check_threads",
    "cores",
    "fast_workers",
    "run_tasks",
]
