"""A batch's tasks: what one task is, its content hash and the code version it was computed
with, and what a worker runs (`run_task`).

A task is (variant, alternative, chunk of replications), identified by a content hash over the
base scenario's hash, the variant scenario's hash, the swept values, the alternative (and the
bets acting in it), the replication indices (and their total, which the parameter draws depend
on), the seed, the engine, the monthly series kept and the code version (`code_version`: the
package version, the source of every module a result depends on and the versions of the
libraries that compute or write it). A worker whose code differs from the driver's refuses its
tasks (reported as failed), so a store never mixes results of two versions of the model.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from models.compiled.sampling import draw_parameters
from models.compiled.streams import parameter_draws
from models.spec.scenario import Bet, Scenario
from sim.experiments.batch import store
from sim.experiments.batch.sweep import Sweep, Value
from sim.experiments.runner.alternatives import run_alternative
from sim.experiments.runner.replications import DEFAULT_ENGINE


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
         "sim.experiments.runner")
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
    `sim.experiments.batch.store`."""
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
