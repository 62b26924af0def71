"""Tasks streamed through an executor, a bounded number at a time.

Tasks go to any `concurrent.futures.Executor` (a local pool, a Dask cluster's) or run in this
process: the parent holds only the results in flight, so memory does not grow with the size of
the sweep. A task that raises comes back as an `Outcome` with its error; a cluster that goes
away raises `ClusterLost`.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait

from sim.experiments.batch.tasks import Outcome, Task


class ClusterLost(RuntimeError):
    """The executor's cluster went away (a Dask scheduler killed or unreachable): the tasks in
    flight are not failures of theirs, and are not recorded as failed."""


def stream(fn: Callable[[Task], Outcome], tasks: Iterable[Task], executor: Executor | None,
           window: int, alive: Callable[[], str | None] | None = None,
           poll: float = 1.0) -> Iterator[tuple[Task, Outcome]]:
    """`fn` over `tasks`, results as they finish, at most `window` in flight. `alive()`: None
    while the executor's cluster is there, else why it is gone (then `ClusterLost` is raised,
    checked every `poll` seconds and before a task's error is taken as the task's own)."""
    if executor is None:
        for task in tasks:
            yield task, fn(task)
        return

    def lost() -> None:
        why = alive() if alive is not None else None
        if why is not None:
            raise ClusterLost(why)

    pending: dict[Future[Outcome], Task] = {}
    todo = iter(tasks)
    try:
        while True:
            yield from _submit(fn, todo, executor, window, pending, lost)
            if not pending:
                return
            yield from _collect(pending, lost, poll if alive is not None else None)
    finally:
        for future in pending:
            future.cancel()


def _failed(task: Task, err: BaseException) -> Outcome:
    return Outcome(task.hash, None, f"{type(err).__name__}: {err}", traceback.format_exc())


def _submit(fn: Callable[[Task], Outcome], todo: Iterator[Task], executor: Executor,
            window: int, pending: dict[Future[Outcome], Task], lost: Callable[[], None]
            ) -> Iterator[tuple[Task, Outcome]]:
    """Submit tasks until `window` are in flight (or none is left); a task the executor refuses
    is yielded with its error."""
    for task in todo:
        try:
            pending[executor.submit(fn, task)] = task
        except Exception as err:  # a broken pool takes no more tasks: each is reported
            lost()
            yield task, _failed(task, err)
            continue
        if len(pending) >= window:
            break


def _collect(pending: dict[Future[Outcome], Task], lost: Callable[[], None],
             poll: float | None) -> Iterator[tuple[Task, Outcome]]:
    """Wait for at least one task in flight to finish and yield those finished, in hash order."""
    finished: set[Future[Outcome]] = set()
    while not finished:  # a lost cluster may never resolve its futures: look at it
        finished, _ = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
        if not finished:
            lost()
    for future in sorted(finished, key=lambda f: pending[f].hash):
        task = pending.pop(future)
        try:
            outcome = future.result()
        except BaseException as err:  # the worker died (killed, out of memory), or
            if isinstance(err, KeyboardInterrupt | SystemExit):  # the cluster did
                raise
            lost()
            outcome = _failed(task, err)
        yield task, outcome
