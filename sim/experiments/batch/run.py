"""Running a sweep as tasks (`sim.experiments.batch.tasks`), into a results store that survives
being killed.

A task and its content hash (which includes the code version, so a store never mixes results of
two versions of the model) are defined in `sim.experiments.batch.tasks`.

A task's partitions are written once, atomically, under its hash, so a run started again after
a kill (or a crash, or Ctrl-C) finds what is done by listing the store and runs only the
rest; the same tasks give the same bytes whoever runs them.

Tasks go to any `concurrent.futures.Executor` (a local pool, a Dask cluster's) or run in this
process, a bounded number at a time: the parent holds only the results in flight and writes each
to the store as it arrives, so memory does not grow with the size of the sweep. A task that
raises is recorded (`failures/`) with its variant, alternative and seed; the others go on.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim.experiments.batch import store
from sim.experiments.batch.stream import stream
from sim.experiments.batch.sweep import Sweep
from sim.experiments.batch.tasks import Task, code_version, make_tasks, package_version, run_task
from sim.experiments.runner.replications import DEFAULT_ENGINE


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
