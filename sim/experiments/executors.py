"""Where tasks run: this process, a local process pool, a local Dask cluster or an existing one.

All four give the same results (tasks carry their seeds, `models.compiled.streams`): an executor
only decides where and when a task runs. A Dask cluster is reached through
`Client(...).get_executor()`, a `concurrent.futures.Executor`, so every experiment that accepts
`executor=` runs on it unchanged. Workers of a cluster must have the same growthsim installed
(docs/how-to/batch.md): tasks carry the validated scenario, never a file path.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from sim.experiments.parallel import process_pool, resolve_workers


class ExecutorError(ValueError):
    """An executor that cannot start (a scheduler that does not answer, dask not installed)."""


@dataclass(frozen=True)
class Where:
    executor: Executor | None  # None: serially in this process
    name: str  # for the manifest and the terminal: "serial", "pool of 2", "dask ..."
    parallelism: int  # tasks that run at once


@contextlib.contextmanager
def open_executor(workers: int | None = None, dask_workers: int | None = None,
                  scheduler: str | None = None, timeout: float = 10.0) -> Iterator[Where]:
    """The executor the options ask for, shut down on leaving. At most one of `dask_workers`
    and `scheduler`; neither: a local process pool of `workers` (default: one per core), or
    this process when that is one."""
    if dask_workers is not None and scheduler is not None:
        raise ExecutorError("give --dask-workers (a local cluster) or --scheduler (an existing "
                            "one), not both")
    if scheduler is not None or dask_workers is not None:
        with _dask(dask_workers, scheduler, timeout) as where:
            yield where
        return
    n = resolve_workers(workers)
    if n <= 1:
        yield Where(None, "serial", 1)
        return
    pool = process_pool(n)
    try:
        yield Where(pool, f"process pool of {n}", n)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _dask(dask_workers: int | None, scheduler: str | None, timeout: float) -> Iterator[Where]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise ExecutorError(f"Dask is not installed ({err}); pip install 'dask[distributed]'"
                            ) from None
    cluster: Any = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as err:
            raise ExecutorError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                                f"({err}); check the address (tcp://HOST:PORT) and that "
                                "`dask scheduler` runs there") from None
        name = f"dask scheduler {scheduler}"
    else:
        n = max(1, int(dask_workers or 1))
        # One single-threaded worker process per core: the engines hold the GIL.
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        name = f"local dask cluster of {n}"
    try:
        threads = sum(client.nthreads().values()) or 1
        yield Where(client.get_executor(pure=False), f"{name} ({threads} threads)", threads)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
