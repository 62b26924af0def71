"""Where tasks run: this process, a local process pool, a local Dask cluster or an existing one.

All four give the same results (tasks carry their seeds, `models.compiled.streams`): an executor
only decides where and when a task runs. A Dask cluster is reached through
`Client(...).get_executor()`, a `concurrent.futures.Executor`, so every experiment that accepts
`executor=` runs on it unchanged. Workers of a cluster must have the same growthsim installed
(docs/how-to/batch.md): tasks carry the validated scenario, never a file path.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from models.spec.messages import msg
from sim.experiments.runner.parallel import process_pool, resolve_workers


class ExecutorError(ValueError):
    """An executor that cannot start (a scheduler that does not answer, dask not installed).
    Its argument may be a `Message` (both languages); `str` is the English text."""


@dataclass(frozen=True)
class Where:
    executor: Executor | None  # None: serially in this process
    name: str  # for the manifest: "serial", "process pool of 2", "dask ..."
    label: str  # for the terminal: a `Message`, in both languages
    parallelism: int  # tasks that run at once
    # None while the cluster is there, else why it is gone (`sim.experiments.batch.stream`)
    alive: Callable[[], str | None] | None = None


_ADDRESS = re.compile(r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^:/\s]+)"
                      r":(?P<port>[0-9]+)$")


def check_address(address: str) -> tuple[str, int]:
    """(host, port) of a scheduler address `tcp://HOST:PORT`; `ExecutorError` naming the
    problem when it is not one (a port beyond 65535 would time out after 20 s)."""

    m = _ADDRESS.match(address.strip())
    if m is None:
        raise ExecutorError(msg("scheduler_address", address=address,
                                why=msg("address_no_port")))
    if m["scheme"] not in (None, "tcp"):
        raise ExecutorError(msg("scheduler_address", address=address,
                                why=msg("address_protocol", scheme=m["scheme"])))
    port = int(m["port"])
    if not 1 <= port <= 65535:
        raise ExecutorError(msg("scheduler_address", address=address,
                                why=msg("address_port_range", port=port)))
    return m["host"].strip("[]"), port


def probe_scheduler(address: str, timeout: float) -> int:
    """How many workers the Dask scheduler at `address` has, asked within `timeout` seconds
    (the whole exchange, not only the TCP connect: a port that accepts and never answers would
    otherwise hold `Client` for ever). `ExecutorError` when nothing listens there, when it does
    not answer, or when what answers is not a Dask scheduler."""
    import asyncio
    import socket


    host, port = check_address(address)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        raise ExecutorError(msg("scheduler_unreachable", address=address,
                                why=err.strerror or str(err) or type(err).__name__)) from None

    async def identity() -> Any:
        from distributed.comm import connect

        comm = await connect(f"tcp://{host}:{port}", timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded() -> Any:
        return await asyncio.wait_for(identity(), timeout)

    try:
        reply = asyncio.run(bounded())
    except TimeoutError:
        raise ExecutorError(msg("scheduler_silent", address=address, seconds=timeout)) from None
    except Exception as err:  # a web server, an SSH daemon...: bytes that are not Dask's
        why = f"{type(err).__name__}: {err}".split("\n")[0][:120]
        raise ExecutorError(msg("scheduler_not_dask", address=address, why=why)) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ExecutorError(msg("scheduler_not_dask", address=address,
                                why="it does not say it is a scheduler"))
    return len(reply.get("workers") or {})


@contextlib.contextmanager
def open_executor(workers: int | None = None, dask_workers: int | None = None,
                  scheduler: str | None = None, timeout: float = 10.0) -> Iterator[Where]:
    """The executor the options ask for, shut down on leaving. At most one of `dask_workers`
    and `scheduler`; neither: a local process pool of `workers` (default: one per core), or
    this process when that is one."""
    if dask_workers is not None and scheduler is not None:
        raise ExecutorError(msg("dask_workers_and_scheduler"))
    if scheduler is not None or dask_workers is not None:
        with _dask(dask_workers, scheduler, timeout) as where:
            yield where
        return
    n = resolve_workers(workers)
    if n <= 1:
        yield Where(None, "serial", msg("where_serial"), 1)
        return
    pool = process_pool(n)
    try:
        yield Where(pool, f"process pool of {n}", msg("where_pool", n=n), n)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _dask(dask_workers: int | None, scheduler: str | None, timeout: float) -> Iterator[Where]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise ExecutorError(msg("dask_not_installed", why=err)) from None

    cluster: Any = None
    if scheduler is not None:
        workers = probe_scheduler(scheduler, timeout)
        deadline = time.monotonic() + timeout
        while workers == 0:  # a scheduler without workers would wait for ever
            if time.monotonic() > deadline:
                raise ExecutorError(msg("scheduler_no_workers", address=scheduler,
                                        seconds=timeout))
            time.sleep(0.25)
            workers = probe_scheduler(scheduler, timeout)
        try:
            client = Client(scheduler, timeout=timeout)
        except Exception as err:  # it answered the probe a moment ago: gone since
            raise ExecutorError(msg("scheduler_unreachable", address=scheduler,
                                    why=str(err).split("\n")[0])) from None
        name = f"dask scheduler {scheduler}"
        label = functools.partial(msg, "where_scheduler", address=scheduler)
    else:
        n = max(1, int(dask_workers or 1))
        # One single-threaded worker process per core: the engines hold the GIL.
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        name = f"local dask cluster of {n}"
        label = functools.partial(msg, "where_local_dask", n=n)
    try:
        threads = sum(client.nthreads().values()) or 1
        yield Where(client.get_executor(pure=False), f"{name} ({threads} threads)",
                    label(threads=threads), threads, functools.partial(_client_lost, client))
    finally:
        with contextlib.suppress(Exception):  # a lost scheduler: nothing left to close
            client.close(timeout=timeout)
        if cluster is not None:
            cluster.close()


def _client_lost(client: Any) -> str | None:
    """None while the client is connected to its scheduler, else its state."""
    status = str(getattr(client, "status", "running"))
    return None if status == "running" else f"the scheduler stopped answering; client {status}"
