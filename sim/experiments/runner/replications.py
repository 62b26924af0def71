"""One replication, many replications: what every experiment is built from.

- `run_compiled(compiled, index, seed, engine)`: replication `index` of a compiled scenario on its
  own stream (`models.compiled.streams.replication_stream`), reduced to its metrics;
- `stack`: replications (in any order) into arrays, replication by replication in index order;
- `in_rounds`: the loop that adds rounds of replications until a stopping rule is satisfied (Monte
  Carlo's `--precision`, a comparison's `--until-settled`), each round's parameter draws from its
  own stream so that the first N replications are the same however many rounds follow.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from models.accounting.metrics import monthly_metrics, run_metrics
from models.compiled.form import CompiledScenario
from models.compiled.sampling import draw_parameters
from models.compiled.streams import parameter_draws, replication_stream
from models.spec.scenario import Scenario
from sim.engines import get_engine

# The fast engine (the same model compiled with numba, ~100x the agent engine's replications per
# second) is the default of everything that runs many replications: Monte Carlo, compare, seek,
# sensitivity, stress tests and sweeps. The agent engine (SimPy, the readable reference) runs
# with engine="agent" (`--engine agent`) and in the validation tests.
DEFAULT_ENGINE = "fast"


@dataclass(frozen=True)
class Replication:
    index: int
    monthly: dict[str, np.ndarray]
    scalars: dict[str, float]
    events: int
    seconds: float


def run_compiled(compiled: CompiledScenario, index: int, seed: int,
                 engine: str = DEFAULT_ENGINE) -> Replication:
    """Replication `index` of a compiled scenario on its own stream of `seed`."""
    start = time.perf_counter()
    ledger = get_engine(engine)(compiled, replication_stream(seed, index))
    monthly = monthly_metrics(ledger)
    scalars = run_metrics(ledger, compiled, monthly)
    return Replication(index, monthly, scalars, ledger.events, time.perf_counter() - start)


@dataclass(frozen=True)
class Stacked:
    """Replications as arrays, in index order."""

    monthly: dict[str, np.ndarray]  # metric -> (replications, months)
    scalars: dict[str, np.ndarray]  # metric -> (replications,)
    events: int


def stack(reps: Sequence[Replication]) -> Stacked:
    ordered = sorted(reps, key=lambda r: r.index)
    first = ordered[0]
    return Stacked(
        monthly={k: np.stack([r.monthly[k] for r in ordered]) for k in first.monthly},
        scalars={k: np.array([r.scalars[k] for r in ordered], dtype=float) for k in first.scalars},
        events=sum(r.events for r in ordered),
    )


def in_rounds(spec: Scenario, seed: int, first: int, cap: int,
              run_round: Callable[[int, list[dict[str, float]]], None],
              enough: Callable[[], bool] | None = None) -> list[int]:
    """Run rounds of replications: `first` of them, then (while `enough()` says no and the
    count is below `cap`) double the count. `run_round(start, draws)` runs replications
    start, start + 1, ... with the baseline's parameter draws `draws`. Returns the replications
    added in each round."""
    rounds: list[int] = []
    done, target = 0, first
    while True:
        n = target - done
        run_round(done, draw_parameters(spec, n, parameter_draws(seed, len(rounds))))
        rounds.append(n)
        done = target
        if enough is None or done >= cap or enough():
            return rounds
        target = min(cap, done * 2)
