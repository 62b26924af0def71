"""Monte Carlo: N replications of an engine, each with its own parameter draw and stream.

A replication is a pure function of (scenario, parameter draw, seed, engine), so the map over
replications runs serially, in a local process pool or on any `concurrent.futures.Executor`
(a Dask cluster's `client.get_executor()` included) with the same results
(`sim.experiments.runner.parallel`). Streams are keyed in `models.compiled.streams`: neither
depends on the number of workers.

Memory stays bounded: a replication returns only its monthly metric series and scalar metrics
(a few kilobytes), never its events.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.accounting.goal import value_at_deadline
from models.load import scenario_hash
from models.spec.scenario import Scenario
from sim.experiments.runner.alternatives import run_replications
from sim.experiments.runner.parallel import resolve_workers
from sim.experiments.runner.replications import (
    DEFAULT_ENGINE,
    Replication,
    in_rounds,
    stack,
)
from sim.experiments.runner.statistics import (
    QUANTILES,
    describe,
    describe_time_to_goal,
    mean_ci_half_width,
)


@dataclass
class MonteCarloResult:
    """The forecast: every replication's monthly series and scalar metrics, and how it was run."""

    spec: Scenario
    seed: int
    monthly: dict[str, np.ndarray]  # metric -> (replications, months)
    scalars: dict[str, np.ndarray]  # metric -> (replications,)
    events: int
    seconds: float
    rounds: list[int] = field(default_factory=list)  # replications added in each round
    engine: str = DEFAULT_ENGINE

    @property
    def replications(self) -> int:
        """How many replications were run."""
        return len(next(iter(self.scalars.values())))

    def summary(self) -> dict[str, dict[str, float | None]]:
        """Each metric's mean, quantiles and 95% interval of the mean over the replications."""
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
        """What was run: the scenario and its hash, the seed, the engine, the versions."""
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
            "engine": self.engine,
        }


def goal_value(result_monthly: dict[str, np.ndarray], spec: Scenario) -> np.ndarray:
    """The goal metric at the goal's deadline, per replication (see `models.accounting.goal`)."""
    return value_at_deadline(result_monthly, spec.goal)


def goal_half_width_percent(result_monthly: dict[str, np.ndarray], spec: Scenario,
                            rounds: list[int]) -> float:
    """The 95% confidence half-width of the goal metric's mean (at its deadline), in percent of
    that mean: what `--precision` bounds. `rounds`: the replications added in each round (the
    interval accounts for the rounds' sizes). Infinite when the mean is zero."""
    goal = goal_value(result_monthly, spec)
    mean = float(np.mean(goal))
    return math.inf if not mean else mean_ci_half_width(goal, rounds) / abs(mean) * 100


def run_monte_carlo(
    spec: Scenario,
    *,
    replications: int = 100,
    seed: int = 1,
    workers: int | None = None,
    precision: float | None = None,
    max_replications: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    engine: str = DEFAULT_ENGINE,
) -> MonteCarloResult:
    """Run the Monte Carlo forecast of a scenario.

    With `precision` (percent), keep adding rounds of replications until the 95% confidence
    half-width of the goal metric (at its deadline) is below `precision`% of its mean, or
    `max_replications` is reached.

    Parameters
    ----------
    spec : Scenario
        The scenario (`sim.load_scenario`).
    replications : int
        Replications (the first round, with `precision`).
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the replications run instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    precision : float, optional
        Target half-width of the goal metric's 95% interval, in percent of its mean.
    max_replications : int
        Cap on the replications added for `precision`.
    progress : callable, optional
        ``progress(done, total)``, called as replications finish.

    Returns
    -------
    MonteCarloResult
        Every replication's monthly series and metrics (`summary()`, `monthly_quantiles()`,
        `provenance()`).

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> result = sim.run_monte_carlo(spec, replications=20, seed=1)  # doctest: +SKIP
    >>> result.summary()["npv_profit"]["mean"]  # doctest: +SKIP
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    n_workers = resolve_workers(workers)
    start = time.perf_counter()
    done: list[Replication] = []
    target = [replications]
    sizes: list[int] = []  # replications in each round so far

    def run_round(first: int, draws: list[dict[str, float]]) -> None:
        target[0] = first + len(draws)
        sizes.append(len(draws))
        # a few replications a task, as a comparison's (the baseline alone): the spec travels
        # to a worker once for all of them
        for (rep,) in run_replications(spec, ((),), first, draws, seed, engine, n_workers,
                                       executor):
            done.append(rep)
            if progress is not None:
                progress(len(done), target[0])

    def precise() -> bool:
        assert precision is not None
        return goal_half_width_percent(stack(done).monthly, spec, sizes) <= precision

    rounds = in_rounds(spec, seed, replications, max(max_replications, replications), run_round,
                       None if precision is None else precise)
    stacked = stack(done)
    return MonteCarloResult(
        spec=spec,
        seed=seed,
        monthly=stacked.monthly,
        scalars=stacked.scalars,
        events=stacked.events,
        seconds=time.perf_counter() - start,
        rounds=rounds,
        engine=engine,
    )
