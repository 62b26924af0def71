"""The model a sensitivity analysis samples: parameter values -> outputs.

`SimulationModel` simulates the scenario at a point, replication r on the engine stream of
(seed, r) whatever the point (common random numbers); `evaluate` runs every (point, replication)
task on workers; `noise_share` is the simulation's own noise beside the indices. A model function
`model(values, replication) -> {metric: value}` may replace the simulation (analytic cases in the
tests, a surrogate).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from models.accounting.goal import month_or_never
from models.compiled.form import CompiledScenario, compile_scenario, point_values
from models.load import scenario_hash
from models.spec.scenario import Scenario
from sim.experiments.runner.parallel import map_tasks
from sim.experiments.runner.replications import DEFAULT_ENGINE, run_compiled
from sim.experiments.sensitivity.factors import (
    Factor,
)

METRICS = ("npv_profit", "time_to_goal", "total_profit")


# -- the model: values -> outputs --------------------------------------------------------------
Model = Callable[[dict[str, float], int], dict[str, float]]


# Per process: the last points compiled (compiling is deterministic, so a kept one is the one
# that would be compiled again).
_COMPILED: OrderedDict[tuple[str, tuple[tuple[str, float], ...]], CompiledScenario] = (
    OrderedDict())
_COMPILED_KEPT = 8


@dataclass(frozen=True)
class SimulationModel:
    """The scenario simulated at a parameter point: replication `r` on the engine stream of
    (seed, r), whatever the point (common random numbers). Picklable, for process pools."""

    spec: Scenario
    seed: int = 1
    engine: str = DEFAULT_ENGINE

    @cached_property
    def _hash(self) -> str:
        return scenario_hash(self.spec)

    def compiled(self, values: dict[str, float]) -> CompiledScenario:
        """The scenario compiled at a point, kept for the point's next replications (a point's
        tasks come one after another; compiling costs about as much as a fast-engine run)."""
        key = (self._hash, tuple(sorted(values.items())))
        found = _COMPILED.get(key)
        if found is None:
            found = compile_scenario(self.spec, {**point_values(self.spec), **values})
            _COMPILED[key] = found
            while len(_COMPILED) > _COMPILED_KEPT:
                _COMPILED.popitem(last=False)
        return found

    def __call__(self, values: dict[str, float], replication: int) -> dict[str, float]:
        scalars = run_compiled(self.compiled(values), replication, self.seed,
                               self.engine).scalars
        never = self.spec.horizon_months + 1
        out = {m: float(scalars[m]) for m in METRICS}
        out["time_to_goal"] = float(month_or_never(np.array([scalars["time_to_goal"]]),
                                                   never)[0])
        out["goal_by_deadline"] = float(scalars["goal_by_deadline"])
        return out


Task = tuple[Model, dict[str, float], int]


def _run_task(task: Task) -> dict[str, float]:
    model, values, replication = task
    return model(values, replication)


def evaluate(model: Model, points: Sequence[dict[str, float]], replications: int,
             metrics: Sequence[str], workers: int = 1, executor: Executor | None = None,
             progress: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
    """Every point with replications 0 .. replications-1: metric -> (points, replications)."""
    tasks: list[Task] = [(model, p, r) for p in points for r in range(replications)]
    out = {m: np.empty(len(tasks)) for m in metrics}
    for k, result in enumerate(map_tasks(_run_task, tasks, workers, executor)):
        for m in metrics:
            out[m][k] = result[m]
        if progress is not None:
            progress(k + 1, len(tasks))
    return {m: v.reshape(len(points), replications) for m, v in out.items()}


def noise_share(y: np.ndarray) -> float:
    """Mean within-point variance over the total variance of (points, replications) outputs."""
    if y.shape[1] < 2:
        return math.nan
    total = float(np.var(y, ddof=1))
    if total <= 0:
        return 0.0
    # Where the parameters move nothing the two estimates are equal up to sampling error, and
    # the ratio can come out a little above 1: it is a share, so it stops at 1.
    return min(1.0, float(np.mean(np.var(y, axis=1, ddof=1))) / total)


def _points(fs: Sequence[Factor], u: np.ndarray) -> list[dict[str, float]]:
    return [{f.path: f.value(float(row[j])) for j, f in enumerate(fs)} for row in u]


def _metrics_of(model: Model, metrics: Sequence[str] | None) -> list[str]:
    return list(metrics) if metrics is not None else list(METRICS)
