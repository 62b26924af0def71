"""Monte Carlo: N replications of the agent engine, each with its own parameter draw and stream.

A replication is a pure function of (scenario, parameter draw, seed), so the map over
replications runs serially, in a local process pool or on any `concurrent.futures.Executor`
(a Dask cluster's `client.get_executor()` included) with the same results. Seeds: replication i
runs on `SeedSequence(seed, spawn_key=(1, i))`; parameter batch b is drawn from
`SeedSequence(seed, spawn_key=(0, b))`. Neither depends on the number of workers.

Memory stays bounded: a replication returns only its monthly metric series and scalar metrics
(a few kilobytes), never its events.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from models.accounting.metrics import GOAL_SERIES, monthly_metrics, run_metrics
from models.compiled.form import CompiledScenario, compile_scenario
from models.compiled.sampling import draw_parameters
from models.spec.loader import scenario_hash
from models.spec.scenario import Scenario
from sim.engines.agent import simulate

QUANTILES = (5, 10, 50, 90, 95)
T = TypeVar("T")
R = TypeVar("R")
_PARAM_KEY, _RUN_KEY = 0, 1


@dataclass(frozen=True)
class Replication:
    index: int
    monthly: dict[str, np.ndarray]
    scalars: dict[str, float]
    events: int
    seconds: float


def run_replication(spec: Scenario, index: int, values: dict[str, float],
                    seed: int) -> Replication:
    """One replication: compile the drawn parameters, simulate, reduce to metrics."""
    return run_compiled(compile_scenario(spec, values), index, seed)


def run_compiled(compiled: CompiledScenario, index: int, seed: int) -> Replication:
    """Replication `index` of a compiled scenario on its own stream of `seed`."""
    start = time.perf_counter()
    ledger = simulate(compiled, np.random.SeedSequence(seed, spawn_key=(_RUN_KEY, index)))
    monthly = monthly_metrics(ledger)
    scalars = run_metrics(ledger, compiled, monthly)
    return Replication(index, monthly, scalars, ledger.events, time.perf_counter() - start)


def _run_one(args: tuple[Scenario, int, dict[str, float], int]) -> Replication:
    return run_replication(*args)


def describe(values: np.ndarray) -> dict[str, float | None]:
    """mean, sd, standard error and quantiles of one metric over replications (NaN ignored)."""
    finite = values[~np.isnan(values)]
    n = finite.size
    out: dict[str, float | None] = {"n": float(n)}
    if n == 0:
        out.update({"mean": None, "sd": None, "se": None, **{f"p{q}": None for q in QUANTILES}})
        return out
    sd = float(finite.std(ddof=1)) if n > 1 else 0.0
    out["mean"] = float(finite.mean())
    out["sd"] = sd
    out["se"] = sd / math.sqrt(n)
    for q, v in zip(QUANTILES, np.percentile(finite, QUANTILES), strict=True):
        out[f"p{q}"] = float(v)
    return out


def describe_time_to_goal(values: np.ndarray) -> dict[str, float | None]:
    """Time to goal: a run that never reaches the goal counts as 'later than any month', so its
    quantiles are None (never) where more than that share of runs miss; the mean and sd are over
    the runs that reach it, and `reached` is their share."""
    reached = ~np.isnan(values)
    out = describe(values)
    ranked = np.where(reached, values, np.inf)
    for q, v in zip(QUANTILES, np.percentile(ranked, QUANTILES, method="lower"), strict=True):
        out[f"p{q}"] = None if math.isinf(v) else float(v)
    out["reached"] = float(reached.mean()) if values.size else None
    return out


@dataclass
class MonteCarloResult:
    spec: Scenario
    seed: int
    monthly: dict[str, np.ndarray]  # metric -> (replications, months)
    scalars: dict[str, np.ndarray]  # metric -> (replications,)
    events: int
    seconds: float
    rounds: list[int] = field(default_factory=list)  # replications added in each round

    @property
    def replications(self) -> int:
        return len(next(iter(self.scalars.values())))

    def summary(self) -> dict[str, dict[str, float | None]]:
        out = {}
        for name, values in self.scalars.items():
            out[name] = (describe_time_to_goal(values) if name == "time_to_goal"
                         else describe(values))
        for name, series in self.monthly.items():
            out[f"{name}_last_month"] = describe(series[:, -1])
        return out

    def monthly_quantiles(self) -> pd.DataFrame:
        """Tidy table: metric, month (1-based), mean, sd, p5, p10, p50, p90, p95."""
        rows = []
        for name, series in self.monthly.items():
            q = np.percentile(series, QUANTILES, axis=0)
            mean = series.mean(axis=0)
            sd = series.std(axis=0, ddof=1) if series.shape[0] > 1 else np.zeros_like(mean)
            for m in range(series.shape[1]):
                row = {"metric": name, "month": m + 1, "mean": mean[m], "sd": sd[m]}
                row.update({f"p{k}": q[i, m] for i, k in enumerate(QUANTILES)})
                rows.append(row)
        return pd.DataFrame(rows)

    def provenance(self) -> dict[str, object]:
        from importlib.metadata import PackageNotFoundError, version

        try:
            package = version("growthsim")
        except PackageNotFoundError:  # running from a source tree
            package = "unknown"
        return {
            "scenario": self.spec.name,
            "scenario_hash": scenario_hash(self.spec),
            "seed": self.seed,
            "replications": self.replications,
            "rounds": self.rounds,
            "growthsim_version": package,
            "engine": "agent (SimPy)",
        }


def goal_value(result_monthly: dict[str, np.ndarray], spec: Scenario) -> np.ndarray:
    """The goal metric at the goal's deadline, per replication (NPV-free, in the goal's units)."""
    goal = spec.goal
    if goal is None:
        return result_monthly["cumulative_profit"][:, -1]
    return result_monthly[GOAL_SERIES[goal.metric]][:, goal.deadline_month - 1]


def _default_workers() -> int:
    return os.cpu_count() or 1


def _pool(workers: int) -> Executor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_worker_init, initargs=(os.getpid(),))


def _worker_init(parent: int) -> None:
    """A pool worker ends with its parent (issue 12): killed outright, the parent cannot shut
    the pool down, and workers would compute on for minutes holding the caller's stdout open.
    Ctrl-C is the parent's to handle (it stops the pool), so workers ignore SIGINT."""
    import signal
    import sys
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

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
        pool = _pool(min(workers, len(tasks)))
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


def run_monte_carlo(
    spec: Scenario,
    replications: int = 100,
    seed: int = 1,
    workers: int | None = None,
    precision: float | None = None,
    max_replications: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> MonteCarloResult:
    """Run the Monte Carlo. With `precision` (percent), keep adding rounds of replications until
    the 95% confidence half-width of the goal metric (at its deadline) is below `precision`% of
    its mean, or `max_replications` is reached."""
    if replications < 1:
        raise ValueError("replications must be at least 1")
    workers = _default_workers() if workers is None else max(1, workers)
    start = time.perf_counter()
    done: list[Replication] = []
    rounds: list[int] = []
    target = replications
    while True:
        batch = len(rounds)
        n = target - len(done)
        values = draw_parameters(spec, n, np.random.SeedSequence(seed, spawn_key=(_PARAM_KEY,
                                                                                 batch)))
        tasks = [(spec, len(done) + i, values[i], seed) for i in range(n)]
        for rep in map_tasks(_run_one, tasks, workers, executor):
            done.append(rep)
            if progress is not None:
                progress(len(done), target)
        rounds.append(n)
        if precision is None or len(done) >= max_replications:
            break
        monthly = _stack(done, "monthly")
        goal = goal_value(monthly, spec)
        mean = float(np.mean(goal))
        sd = float(np.std(goal, ddof=1)) if len(goal) > 1 else math.inf
        half = 1.96 * sd / math.sqrt(len(goal))
        if mean and half / abs(mean) * 100 <= precision:
            break
        target = min(max_replications, len(done) * 2)
    done.sort(key=lambda r: r.index)
    return MonteCarloResult(
        spec=spec,
        seed=seed,
        monthly=_stack(done, "monthly"),
        scalars=_stack_scalars(done),
        events=sum(r.events for r in done),
        seconds=time.perf_counter() - start,
        rounds=rounds,
    )


def _stack(reps: Iterable[Replication], attr: str) -> dict[str, np.ndarray]:
    reps = list(reps)
    names = getattr(reps[0], attr).keys()
    return {k: np.stack([getattr(r, attr)[k] for r in reps]) for k in names}


def _stack_scalars(reps: list[Replication]) -> dict[str, np.ndarray]:
    names = reps[0].scalars.keys()
    return {k: np.array([r.scalars[k] for r in reps], dtype=float) for k in names}
