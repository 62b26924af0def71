"""Running a sweep as tasks, into a results store that survives being killed.

A task is (variant, alternative, chunk of replications), identified by a content hash over the
base scenario's hash, the variant scenario's hash, the swept values, the alternative (and the
bets acting in it), the replication indices (and their total, which the parameter draws depend
on), the seed, the engine, the monthly series kept and the code version (`code_version`: the
package version, the source of every module a result depends on and the versions of the
libraries that compute or write it). A worker whose code differs from the driver's refuses its
tasks (reported as failed), so a store never mixes results of two versions of the model.

A task's partitions are written once, atomically, under its hash, so a run started again after
a kill (or a crash, or Ctrl-C) finds what is done by listing the store and runs only the
rest; the same tasks give the same bytes whoever runs them.

Tasks go to any `concurrent.futures.Executor` (a local pool, a Dask cluster's) or run in this
process, a bounded number at a time: the parent holds only the results in flight and writes each
to the store as it arrives, so memory does not grow with the size of the sweep. A task that
raises is recorded (`failures/`) with its variant, alternative and seed; the others go on.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
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
from models.spec.scenario import Bet, Scenario
from sim.experiments import store
from sim.experiments.compare import run_alternative
from sim.experiments.replications import DEFAULT_ENGINE
from sim.experiments.sweep import Sweep, Value


def package_version() -> str:
    try:
        return metadata.version("growthsim")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


# What a task's result depends on beyond its inputs: the model (spec, compiled form, accounting),
# the engines, the experiment code that runs a replication and the store's writer; and the
# libraries that draw, simulate or encode. The package version alone would miss an edit to an
# editable install or a source checkout between two runs into the same folder (a resumed batch
# would then mix two models' results), and a worker with another numpy or numba.
_CODE = ("models", "sim.engines", "sim.experiments.batch", "sim.experiments.compare",
         "sim.experiments.replications", "sim.experiments.store")
_LIBRARIES = ("numpy", "scipy", "simpy", "numba", "pyarrow", "pydantic")


@functools.cache
def code_version() -> str:
    """A hash of the package version, the source of the modules in `_CODE` (every .py file of
    a package) and the versions of `_LIBRARIES`: equal on two machines exactly when they compute
    the same results. Computed once per process."""
    digest = hashlib.sha256(package_version().encode())
    for name in _CODE:
        module = importlib.import_module(name)
        where = Path(module.__file__ or "")
        package = where.name == "__init__.py"
        files = sorted(where.parent.rglob("*.py")) if package else [where]
        base = where.parent.parent if package else where.parent
        for path in files:
            digest.update(path.relative_to(base).as_posix().encode())
            digest.update(path.read_bytes())
    for lib in _LIBRARIES:
        try:
            digest.update(f"{lib}=={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{lib} absent".encode())
    return f"{package_version()}+{digest.hexdigest()[:12]}"


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
    bets: tuple[Bet, ...] = field(default=(), repr=False)  # acting in this alternative
    monthly: tuple[str, ...] = ()  # monthly series kept in the store
    code: str = ""  # the driver's `code_version()`: a worker with other code refuses the task

    @property
    def file(self) -> str:
        return store.part_name(self.variant, self.alternative_index, self.first, self.hash)

    def describe(self) -> dict[str, Any]:
        return {"hash": self.hash, "variant": self.variant, "scenario": self.scenario,
                "params": self.params, "alternative": self.alternative,
                "replications": [self.first, self.stop], "seed": self.seed}


def task_hash(base_hash: str, spec_hash: str, params: dict[str, Value], alternative: str,
              first: int, stop: int, total: int, seed: int, engine: str, version: str,
              bets: tuple[Bet, ...] = (), monthly: tuple[str, ...] = ()) -> str:
    key = {"scenario": base_hash, "variant_scenario": spec_hash, "params": params,
           "alternative": alternative, "replications": [first, stop, total], "seed": seed,
           "engine": engine, "version": version, "monthly": list(monthly),
           "bets": [b.model_dump(mode="json", by_alias=True, exclude_none=True) for b in bets]}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def make_tasks(sweep: Sweep, engine: str = DEFAULT_ENGINE) -> list[Task]:
    """Every task of the sweep, in a fixed order: variant, alternative, chunk."""
    spec, version = sweep.spec, code_version()
    n, chunk, monthly = spec.replications, spec.chunk, spec.monthly_metrics
    tasks = []
    for v in sweep.variants:
        spec_hash = v.spec_hash
        for a, alt in enumerate(v.alternatives):
            for first in range(0, n, chunk):
                stop = min(n, first + chunk)
                h = task_hash(v.base_hash, spec_hash, v.params, alt, first, stop, n, spec.seed,
                              engine, version, v.bets[a], monthly)
                tasks.append(Task(h, v.index, a, alt, first, stop, n, spec.seed, engine,
                                  v.scenario, v.params, sweep.columns, v.spec, v.bets[a],
                                  monthly, version))
    return tasks


@dataclass(frozen=True)
class Outcome:
    hash: str
    data: bytes | None  # the partition's Parquet bytes; None when the task raised
    error: str | None = None
    trace: str | None = None
    seconds: float = 0.0
    monthly: bytes | None = None  # the monthly partition's Parquet bytes (None: none kept)


def compute(task: Task) -> tuple[pa.Table, pa.Table | None]:
    """The task's replications as tables: one row per replication (the scalars) and one per
    replication and month (the monthly series kept; None when none is). Columns: see
    `sim.experiments.store`."""
    draws = draw_parameters(task.spec, task.replications, parameter_draws(task.seed, 0))
    reps = [run_alternative(task.spec, task.bets, i, draws[i], task.seed, task.engine)
            for i in range(task.first, task.stop)]
    metrics = {k: np.array([r.scalars[k] for r in reps], dtype=float) for k in reps[0].scalars}
    columns: dict[str, tuple[Any, str]] = {
        "scenario": (task.scenario, "str"), "variant": (task.variant, "int"),
        "alternative": (task.alternative, "str")}
    columns.update({k: (task.params[k], kind) for k, kind in task.kinds.items()})
    replications = np.arange(task.first, task.stop)
    scalars = store.task_table(columns, replications, metrics)
    if not task.monthly:
        return scalars, None
    series = {k: np.stack([r.monthly[k] for r in reps]) for k in task.monthly}
    return scalars, store.monthly_table(columns, replications, series)


def run_task(task: Task) -> Outcome:
    """What a worker runs: the task's partitions as Parquet bytes, or the error it raised."""
    start = time.perf_counter()
    if task.code and code_version() != task.code:
        return Outcome(task.hash, None, f"this worker runs other code (growthsim "
                       f"{code_version()}, the batch's is {task.code}); install the same "
                       "growthsim and libraries on every worker")
    try:
        scalars, monthly = compute(task)
        data = store.parquet_bytes(scalars)
        series = None if monthly is None else store.parquet_bytes(monthly)
    except Exception as err:  # reported with the task, the sweep goes on
        return Outcome(task.hash, None, f"{type(err).__name__}: {err}", traceback.format_exc(),
                       time.perf_counter() - start)
    return Outcome(task.hash, data, seconds=time.perf_counter() - start, monthly=series)


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
            for task in todo:
                try:
                    pending[executor.submit(fn, task)] = task
                except Exception as err:  # a broken pool takes no more tasks: each is reported
                    lost()
                    yield task, Outcome(task.hash, None, f"{type(err).__name__}: {err}",
                                        traceback.format_exc())
                    continue
                if len(pending) >= window:
                    break
            if not pending:
                return
            finished: set[Future[Outcome]] = set()
            while not finished:  # a lost cluster may never resolve its futures: look at it
                finished, _ = wait(pending, timeout=poll if alive is not None else None,
                                   return_when=FIRST_COMPLETED)
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
                    outcome = Outcome(task.hash, None, f"{type(err).__name__}: {err}",
                                      traceback.format_exc())
                yield task, outcome
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
        "code_version": code_version(),
        "monthly": list(sweep.spec.monthly_metrics),
        "engine": engine,
        "seed": sweep.spec.seed,
        "replications": sweep.spec.replications,
        "chunk": sweep.spec.chunk,
        "scenarios": scenarios,
        "parameters": sweep.columns,
        "variants": len(sweep.variants),
        "skipped_portfolios": [{"variant": v.index, "portfolio": name, "why": why}
                               for v in sweep.variants for name, why in v.skipped],
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
              progress: Callable[[int, int, int], None] | None = None,
              alive: Callable[[], str | None] | None = None) -> BatchReport:
    """Run the sweep's missing tasks into the store at `out`. `progress(done, failed, total)`
    is called as each task finishes (and once at the start). One run at a time writes a store
    (`store.locked`: a second raises `store.StoreError`). A damaged partition (cut short) counts
    as missing and is run again. `alive`: see `stream`; a lost cluster raises `ClusterLost`
    with every finished task in the store and none recorded as failed."""
    tasks = make_tasks(sweep, engine)
    plan = _plan(sweep, tasks, engine)
    out.mkdir(parents=True, exist_ok=True)
    with store.locked(out):
        return _run_locked(sweep, out, engine, executor, parallelism, retry_failed,
                           executor_name, progress, alive, tasks, plan)


def _run_locked(sweep: Sweep, out: Path, engine: str, executor: Executor | None,
                parallelism: int, retry_failed: bool, executor_name: str,
                progress: Callable[[int, int, int], None] | None,
                alive: Callable[[], str | None] | None, tasks: list[Task],
                plan: dict[str, Any]) -> BatchReport:
    try:
        old = store.read_manifest(out)
    except store.StoreError:  # a manifest cut short: rewritten below, the partitions kept
        old = None
    if old is not None and old.get("plan_hash") != plan["plan_hash"]:
        raise StoreMismatch(
            f"{out} holds the results of another sweep (or engine, or code version: "
            f"{old.get('sweep', {}).get('file')}, engine {old.get('engine')}, version "
            f"{old.get('code_version', old.get('package_version'))}, this one "
            f"{plan['code_version']}); give another --out folder or delete it")
    store.clean_temporary(out)
    for path in store.damaged(out):  # cut short (a full disk, a copy): run its task again
        path.unlink(missing_ok=True)
    runs = (old or {}).get("runs", [])
    started = _now()
    store.write_json(out / store.MANIFEST, {**plan, "runs": runs})
    store.write_atomic(out / "variants.parquet", store.parquet_bytes(variants_table(sweep)))

    done = store.done_parts(out)
    if plan["monthly"]:  # a task is done with both of its partitions
        monthly = store.listed(out / store.MONTHLY)
        done = {h: p for h, p in done.items() if h in monthly}
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
    for task, outcome in stream(run_task, todo, executor, max(2, 2 * parallelism), alive):
        failure_file = out / store.FAILURES / f"{task.hash}.json"
        if outcome.data is not None:
            # the monthly partition first: the scalar one marks the task done (a kill between
            # the two leaves the task to run again, and it writes the same bytes)
            if outcome.monthly is not None:
                store.write_atomic(out / store.MONTHLY / task.file, outcome.monthly)
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
