"""Running a sweep as tasks, into a results store that survives being killed.

A task is (variant, alternative, chunk of replications), identified by a content hash over the
base scenario's hash, the variant scenario's hash, the swept values, the alternative, the
replication indices (and their total, which the parameter draws depend on), the seed, the engine
and the package version. A task's partition is written once, atomically, under its hash, so a
run started again after a kill (or a crash, or Ctrl-C) finds what is done by listing the store
and runs only the rest; the same tasks give the same bytes whoever runs them.

Tasks go to any `concurrent.futures.Executor` (a local pool, a Dask cluster's) or run in this
process, a bounded number at a time: the parent holds only the results in flight and writes each
to the store as it arrives, so memory does not grow with the size of the sweep. A task that
raises is recorded (`failures/`) with its variant, alternative and seed; the others go on.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from models.compiled.sampling import draw_parameters
from models.compiled.streams import parameter_draws
from models.spec.scenario import Scenario
from sim.experiments import store
from sim.experiments.compare import BASELINE, run_alternative, select_bets
from sim.experiments.replications import DEFAULT_ENGINE
from sim.experiments.sweep import Sweep, Value


def package_version() -> str:
    try:
        return metadata.version("growthsim")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@dataclass(frozen=True)
class Task:
    hash: str
    variant: int
    alternative_index: int
    alternative: str
    first: int
    stop: int
    replications: int  # the variant's total: its parameter draws are drawn for all of them
    seed: int
    engine: str
    scenario: str
    params: dict[str, Value]
    kinds: dict[str, str]
    spec: Scenario = field(repr=False)

    @property
    def file(self) -> str:
        return store.part_name(self.variant, self.alternative_index, self.first, self.hash)

    def describe(self) -> dict[str, Any]:
        return {"hash": self.hash, "variant": self.variant, "scenario": self.scenario,
                "params": self.params, "alternative": self.alternative,
                "replications": [self.first, self.stop], "seed": self.seed}


def task_hash(base_hash: str, spec_hash: str, params: dict[str, Value], alternative: str,
              first: int, stop: int, total: int, seed: int, engine: str, version: str) -> str:
    key = {"scenario": base_hash, "variant_scenario": spec_hash, "params": params,
           "alternative": alternative, "replications": [first, stop, total], "seed": seed,
           "engine": engine, "version": version}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def make_tasks(sweep: Sweep, engine: str = DEFAULT_ENGINE) -> list[Task]:
    """Every task of the sweep, in a fixed order: variant, alternative, chunk."""
    spec, version = sweep.spec, package_version()
    n, chunk = spec.replications, spec.chunk
    tasks = []
    for v in sweep.variants:
        spec_hash = v.spec_hash
        for a, alt in enumerate(v.alternatives):
            for first in range(0, n, chunk):
                stop = min(n, first + chunk)
                h = task_hash(v.base_hash, spec_hash, v.params, alt, first, stop, n, spec.seed,
                              engine, version)
                tasks.append(Task(h, v.index, a, alt, first, stop, n, spec.seed, engine,
                                  v.scenario, v.params, sweep.columns, v.spec))
    return tasks


@dataclass(frozen=True)
class Outcome:
    hash: str
    data: bytes | None  # the partition's Parquet bytes; None when the task raised
    error: str | None = None
    trace: str | None = None
    seconds: float = 0.0


def compute(task: Task) -> pa.Table:
    """The task's replications as a table (see `sim.experiments.store` for its columns)."""
    draws = draw_parameters(task.spec, task.replications, parameter_draws(task.seed, 0))
    bets = tuple(select_bets(task.spec, [task.alternative])) if task.alternative != BASELINE \
        else ()
    reps = [run_alternative(task.spec, bets, i, draws[i], task.seed, task.engine)
            for i in range(task.first, task.stop)]
    metrics = {k: np.array([r.scalars[k] for r in reps], dtype=float) for k in reps[0].scalars}
    columns: dict[str, tuple[Any, str]] = {
        "scenario": (task.scenario, "str"), "variant": (task.variant, "int"),
        "alternative": (task.alternative, "str")}
    columns.update({k: (task.params[k], kind) for k, kind in task.kinds.items()})
    return store.task_table(columns, np.arange(task.first, task.stop), metrics)


def run_task(task: Task) -> Outcome:
    """What a worker runs: the task's partition as Parquet bytes, or the error it raised."""
    start = time.perf_counter()
    try:
        data = store.parquet_bytes(compute(task))
    except Exception as err:  # reported with the task, the sweep goes on
        return Outcome(task.hash, None, f"{type(err).__name__}: {err}", traceback.format_exc(),
                       time.perf_counter() - start)
    return Outcome(task.hash, data, seconds=time.perf_counter() - start)


def stream(fn: Callable[[Task], Outcome], tasks: Iterable[Task], executor: Executor | None,
           window: int) -> Iterator[tuple[Task, Outcome]]:
    """`fn` over `tasks`, results as they finish, at most `window` in flight."""
    if executor is None:
        for task in tasks:
            yield task, fn(task)
        return
    pending: dict[Future[Outcome], Task] = {}
    todo = iter(tasks)
    try:
        while True:
            for task in todo:
                try:
                    pending[executor.submit(fn, task)] = task
                except Exception as err:  # a broken pool takes no more tasks: each is reported
                    yield task, Outcome(task.hash, None, f"{type(err).__name__}: {err}",
                                        traceback.format_exc())
                    continue
                if len(pending) >= window:
                    break
            if not pending:
                return
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: pending[f].hash):
                task = pending.pop(future)
                try:
                    yield task, future.result()
                except Exception as err:  # the worker itself died (killed, out of memory)
                    yield task, Outcome(task.hash, None, f"{type(err).__name__}: {err}",
                                        traceback.format_exc())
    finally:
        for future in pending:
            future.cancel()


class StoreMismatch(ValueError):
    """The folder holds another sweep's results (a different file, engine or version)."""


@dataclass
class BatchReport:
    total: int
    already: int  # done before this run
    ran: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped_failed: int = 0  # failed in an earlier run and not retried
    seconds: float = 0.0
    task_seconds: float = 0.0  # the tasks' own time, summed

    @property
    def complete(self) -> bool:
        return not self.failed and not self.skipped_failed


def _plan(sweep: Sweep, tasks: list[Task], engine: str) -> dict[str, Any]:
    scenarios: dict[str, str] = {}
    for v in sweep.variants:
        scenarios.setdefault(v.scenario, v.base_hash)
    plan_hash = hashlib.sha256("".join(t.hash for t in tasks).encode()).hexdigest()[:16]
    return {
        "sweep": {"name": sweep.spec.name, "file": sweep.source, "hash": sweep.content_hash},
        "plan_hash": plan_hash,
        "package_version": package_version(),
        "engine": engine,
        "seed": sweep.spec.seed,
        "replications": sweep.spec.replications,
        "chunk": sweep.spec.chunk,
        "scenarios": scenarios,
        "parameters": sweep.columns,
        "variants": len(sweep.variants),
        "tasks": [{"hash": t.hash, "variant": t.variant, "alternative": t.alternative,
                   "replications": [t.first, t.stop], "file": t.file} for t in tasks],
    }


def variants_table(sweep: Sweep) -> pa.Table:
    cols: dict[str, list[Any]] = {"variant": [], "scenario": [], "scenario_hash": [],
                                  "variant_hash": []}
    for v in sweep.variants:
        cols["variant"].append(v.index)
        cols["scenario"].append(v.scenario)
        cols["scenario_hash"].append(v.base_hash)
        cols["variant_hash"].append(v.spec_hash)
    arrays = [pa.array(cols["variant"], pa.int64()), *(pa.array(cols[k], pa.string())
                                                       for k in list(cols)[1:])]
    names = list(cols)
    for key, kind in sweep.columns.items():
        arrays.append(pa.array([v.params[key] for v in sweep.variants], store.arrow_type(kind)))
        names.append(key)
    return pa.table(arrays, names=names)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_batch(sweep: Sweep, out: Path, engine: str = DEFAULT_ENGINE,
              executor: Executor | None = None, parallelism: int = 1,
              retry_failed: bool = False, executor_name: str = "serial",
              progress: Callable[[int, int, int], None] | None = None) -> BatchReport:
    """Run the sweep's missing tasks into the store at `out`. `progress(done, failed, total)`
    is called as each task finishes (and once at the start)."""
    tasks = make_tasks(sweep, engine)
    plan = _plan(sweep, tasks, engine)
    old = store.read_manifest(out)
    if old is not None and old.get("plan_hash") != plan["plan_hash"]:
        raise StoreMismatch(
            f"{out} holds the results of another sweep (or engine, or package version: "
            f"{old.get('sweep', {}).get('file')}, engine {old.get('engine')}, version "
            f"{old.get('package_version')}); give another --out folder or delete it")
    out.mkdir(parents=True, exist_ok=True)
    store.clean_temporary(out)
    runs = (old or {}).get("runs", [])
    started = _now()
    store.write_json(out / store.MANIFEST, {**plan, "runs": runs})
    store.write_atomic(out / "variants.parquet", store.parquet_bytes(variants_table(sweep)))

    done = store.done_parts(out)
    failed_before = store.failures(out)
    todo = [t for t in tasks if t.hash not in done
            and (retry_failed or t.hash not in failed_before)]
    report = BatchReport(total=len(tasks), already=sum(t.hash in done for t in tasks))
    report.skipped_failed = sum(1 for t in tasks if t.hash not in done and not retry_failed
                                and t.hash in failed_before)
    by_hash = {t.hash: t for t in tasks}
    clock = time.perf_counter()
    if progress is not None:
        progress(report.already, 0, report.total)
    for task, outcome in stream(run_task, todo, executor, max(2, 2 * parallelism)):
        failure_file = out / store.FAILURES / f"{task.hash}.json"
        if outcome.data is not None:
            store.write_atomic(out / store.PARTS / task.file, outcome.data)
            failure_file.unlink(missing_ok=True)
            report.ran += 1
        else:
            record = {**by_hash[outcome.hash].describe(), "error": outcome.error,
                      "traceback": outcome.trace}
            store.write_json(failure_file, record)
            report.failed.append(record)
        report.task_seconds += outcome.seconds
        if progress is not None:
            progress(report.already + report.ran, len(report.failed), report.total)
    report.seconds = time.perf_counter() - clock
    runs.append({"started": started, "finished": _now(), "executor": executor_name,
                 "tasks_run": report.ran, "tasks_failed": len(report.failed),
                 "seconds": round(report.seconds, 3)})
    store.write_json(out / store.MANIFEST, {**plan, "runs": runs})
    return report
