"""Where replications run: serially, in a local process pool, or on any executor.

Every experiment maps a pure function over tasks with `map_tasks`, so results never depend on
the number of workers or the executor (a `concurrent.futures.Executor`, e.g. a Dask cluster's
`client.get_executor()`): each task carries its own seed (`models.compiled.streams`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
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
    the parent's imported modules), spawned elsewhere. Its workers end with their parent."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_worker_init, initargs=(os.getpid(),))


def _worker_init(parent: int) -> None:
    """A pool worker ends with its parent: killed outright, the parent cannot shut the pool
    down, and workers would compute on for minutes holding the caller's stdout open. Ctrl-C is
    the parent's to handle (it stops the pool), so workers ignore SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the watchdog below does it, within a second
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watchdog() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watchdog, name="parent-watchdog", daemon=True).start()


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
        except BaseException as err:  # an error, Ctrl-C or a consumer that stopped early
            if isinstance(err, KeyboardInterrupt):  # stop now, not after the running ones
                workers_of = getattr(pool, "_processes", None) or {}  # pid -> Process
                for proc in list(workers_of.values()):
                    proc.terminate()
            pool.shutdown(wait=True, cancel_futures=True)  # drop the queued replications
            raise
        pool.shutdown(wait=True)
