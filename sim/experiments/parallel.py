"""Where replications run: serially, in a local process pool, or on any executor.

Every experiment maps a pure function over tasks with `map_tasks`, so results never depend on
the number of workers or the executor (a `concurrent.futures.Executor`, e.g. a Dask cluster's
`client.get_executor()`): each task carries its own seed (`models.compiled.streams`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Processes to use when the caller does not say: one per core."""
    return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    return default_workers() if workers is None else max(1, workers)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A local pool; forked where the platform allows (workers start in milliseconds and share
    the parent's imported modules), spawned elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def map_tasks(fn: Callable[[T], R], tasks: list[T], workers: int,
              executor: Executor | None = None) -> Iterator[R]:
    """`fn` over `tasks`, in order: on `executor` if given, else serially or in a local process
    pool of `workers`. Results never depend on which."""
    if executor is not None:
        yield from executor.map(fn, tasks)
    elif workers <= 1 or len(tasks) <= 1:
        yield from map(fn, tasks)
    else:
        pool = process_pool(min(workers, len(tasks)))
        try:
            yield from pool.map(fn, tasks, chunksize=1)
        except BaseException:  # an error, Ctrl-C or a consumer that stopped early
            pool.shutdown(wait=True, cancel_futures=True)  # drop the queued replications
            raise
        pool.shutdown(wait=True)
