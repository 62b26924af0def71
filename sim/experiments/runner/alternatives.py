"""Replications of alternatives: the loop every experiment that runs bets is built on.

Replication i of an alternative (the baseline, a bet, a portfolio, a shock, an allocation) is
the baseline's draw i of the uncertain parameters, each bet's own draw i and the engine on the
replication's stream; `run_replications` runs consecutive replications of several alternatives
together, on workers or an executor, in tasks that carry the scenario once. Monte Carlo (one
alternative: the scenario as written), compare, seek, stress, sensitivity and the optimiser all
run through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor

from models.compiled.bets import compile_alternatives, draw_bet_values
from models.spec.scenario import Bet, Scenario
from sim.experiments.runner.parallel import map_tasks
from sim.experiments.runner.replications import DEFAULT_ENGINE, Replication, run_compiled


def run_alternative(spec: Scenario, bets: tuple[Bet, ...], index: int, values: dict[str, float],
                    seed: int, engine: str = DEFAULT_ENGINE) -> Replication:
    """Replication `index` of an alternative: the baseline's draw `values`, each bet's own draw,
    the engine on the replication's stream."""
    return run_alternatives(spec, (bets,), index, values, seed, engine)[0]


def run_alternatives(spec: Scenario, alternatives: tuple[tuple[Bet, ...], ...], index: int,
                     values: dict[str, float], seed: int, engine: str = DEFAULT_ENGINE
                     ) -> list[Replication]:
    """Replication `index` of each alternative (`run_alternative` of each), compiled together
    (`compile_alternatives`: the draw realised and the baseline compiled once)."""
    bet_values = [[draw_bet_values(b, seed, index) for b in bets] for bets in alternatives]
    compiled = compile_alternatives(spec, alternatives, values, bet_values)
    return [run_compiled(cs, index, seed, engine) for cs in compiled]


# (spec, alternatives, first replication, the baseline's draws of replications first, first+1,
# ..., seed, engine): consecutive replications of every alternative, one task for a worker, so
# that the spec travels to it once for all of them
ReplicationsTask = tuple[Scenario, tuple[tuple[Bet, ...], ...], int, list[dict[str, float]], int,
                         str]


def run_replications_task(task: ReplicationsTask) -> list[list[Replication]]:
    """Each replication of the task: the list of its alternatives' replications."""
    spec, alternatives, first, draws, seed, engine = task
    return [run_alternatives(spec, alternatives, first + i, values, seed, engine)
            for i, values in enumerate(draws)]


def replication_tasks(spec: Scenario, alternatives: tuple[tuple[Bet, ...], ...], first: int,
                      draws: list[dict[str, float]], seed: int, engine: str, workers: int
                      ) -> list[ReplicationsTask]:
    """Tasks of a few consecutive replications each: enough tasks to keep every worker busy to
    the end (and progress moving), few enough that sending them costs little. Results do not
    depend on the split: every replication has its own streams."""
    size = max(1, min(4, len(draws) // (8 * max(1, workers))))
    return [(spec, alternatives, first + i, draws[i:i + size], seed, engine)
            for i in range(0, len(draws), size)]


def run_replications(spec: Scenario, alternatives: tuple[tuple[Bet, ...], ...], first: int,
                     draws: list[dict[str, float]], seed: int, engine: str, workers: int,
                     executor: Executor | None = None) -> Iterator[list[Replication]]:
    """Replications first, first + 1, ... (the baseline's draws `draws`) of every alternative,
    on `workers` or `executor`: for each replication in order, its alternatives' replications."""
    tasks = replication_tasks(spec, alternatives, first, draws, seed, engine, workers)
    for chunk in map_tasks(run_replications_task, tasks, workers, executor):
        yield from chunk
