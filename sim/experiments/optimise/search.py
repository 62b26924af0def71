"""The optimiser's three steps, each a function, and `optimise`, which runs them in order.

1. screening (`_screen`): optuna proposes allocations, each run on the screening replications;
2. ranking and selection (`_select`): the best feasible ones and today's run again on fresh
   replications, ranked, and told apart (`ranking`);
3. the why (`_why`): each variable of the winner moved one step (`marginal`).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from models.compiled.sampling import draw_parameters
from models.compiled.streams import parameter_draws
from models.spec.errors import Message
from models.spec.messages import amount, msg
from models.spec.messages_ru import bilingual
from models.spec.scenario import Bet, Scenario
from sim.experiments.optimise.candidate import (
    Evaluation,
    Objective,
    _floor_breach,
    _key,
    allocation_bets,
    budget_excess,
    monthly_spend,
)
from sim.experiments.optimise.checks import check
from sim.experiments.optimise.decisions import (
    TODAY,
    Allocation,
    BetChoice,
    Constraints,
    Variable,
    _grid,
    _switches,
    covered_bets,
    default_variables,
    grid_size,
    today_value,
)
from sim.experiments.optimise.marginal import _is_money, _marginal, _transfers
from sim.experiments.optimise.ranking import _comparison, _separation
from sim.experiments.optimise.result import Marginal, OptimisationResult
from sim.experiments.runner.alternatives import run_replications
from sim.experiments.runner.parallel import process_pool, resolve_workers
from sim.experiments.runner.replications import DEFAULT_ENGINE, stack

if TYPE_CHECKING:
    import optuna

Key = tuple[tuple[str, float], ...]


@dataclass
class _Search:
    """What every step shares: the scenario, what is decided, the objective, where replications
    run, the spend of each allocation met so far, and the progress count."""

    spec: Scenario
    variables: list[Variable]
    choices: list[BetChoice]
    constraints: Constraints
    goal: Objective
    seed: int
    engine: str
    workers: int
    where: Executor | None
    total: int
    progress: Callable[[int, int], None] | None
    done: int = 0
    spends: dict[Key, np.ndarray] = field(default_factory=dict)

    def tick(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)

    def run(self, allocation: Allocation, bets_: tuple[Bet, ...],
            draws: list[dict[str, float]], first: int) -> Evaluation:
        """The allocation run on replications first, first + 1, ... (the baseline's `draws`)."""
        reps = [one for (one,) in run_replications(self.spec, (bets_,), first, draws, self.seed,
                                                   self.engine, self.workers, self.where)]
        stacked = stack(reps)
        return Evaluation(allocation, bets_, monthly_spend(self.spec, bets_), stacked.monthly,
                          stacked.scalars, self.goal.score(stacked.scalars),
                          _floor_breach(stacked.monthly, self.constraints.cash_floor))

    def spend_of(self, allocation: Allocation) -> tuple[tuple[Bet, ...], np.ndarray]:
        """The allocation's bets and its spend per month (computed once per allocation); an
        allocation the model refuses is an error that names it."""
        bets_ = allocation_bets(self.spec, self.variables, self.choices, allocation)
        key = _key(allocation)
        if key not in self.spends:
            try:
                self.spends[key] = monthly_spend(self.spec, bets_)
            except (ValueError, ValidationError) as err:
                first = err.args[0] if err.args else None
                why = (first if isinstance(first, Message)
                       else bilingual(str(err).splitlines()[0]))
                raise ValueError(msg("allocation_cannot_run",
                                     allocation=_describe(allocation), why=why)) from None
        return bets_, self.spends[key]

    def holds_floor(self, ev: Evaluation) -> bool:
        """Within the cash floor's chance constraint (always, without a floor)."""
        return (self.constraints.cash_floor is None
                or ev.floor_breach <= self.constraints.floor_risk)


def optimise(
    spec: Scenario,
    variables: Sequence[Variable] | None = None,
    bets: Sequence[BetChoice] = (),
    objective: str = "npv",
    constraints: Constraints | None = None,
    *,
    trials: int = 40,
    replications: int = 20,
    finalists: int = 4,
    final_replications: int = 60,
    level: float = 0.1,
    seed: int = 1,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: str = DEFAULT_ENGINE,
) -> OptimisationResult:
    """Find the allocation that does best on `objective` within `constraints`.

    Screening, ranking on fresh replications, and the one-step moves of the winner: see
    `sim.experiments.optimise`.

    Parameters
    ----------
    spec : Scenario
        The scenario, as loaded (`sim.load_scenario`).
    variables : sequence of Variable, optional
        Numeric parameters to decide, each in [low, high] by a step. None: each paid channel's
        budget and the managers (`default_variables`).
    bets : sequence of BetChoice
        Bets of the scenario switched on or off (and sized, when given a range).
    objective : str
        One of `OBJECTIVES`: "p_goal", "months_to_goal", "npv", "npv_quantile", "cvar".
    constraints : Constraints, optional
        Monthly and total budgets of the spend decided, and a cash floor.
    trials : int
        Allocations tried in screening.
    replications : int
        Replications of each screened allocation (at least 2).
    finalists : int
        Best screened allocations run again on fresh replications.
    final_replications : int
        Fresh replications of the finalists, today's allocation and each one-step move.
    level : float
        The lower quantile (npv_quantile) or the tail share (cvar).
    seed : int
        Root random seed: the same seed gives the same result.
    workers : int, optional
        Processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where replications run instead of a local pool (a Dask cluster's).
    progress : callable, optional
        ``progress(done, total)``, called after each candidate is run.
    engine : str
        "fast" or "agent".

    Returns
    -------
    OptimisationResult
        The finalists ranked, the recommendation with its interval, and the marginal moves.

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> result = sim.optimise(spec, [sim.Variable("sales.managers", 2, 6, 1)], trials=4,
    ...                       replications=4, final_replications=8, workers=1)  # doctest: +SKIP
    >>> result.winner.allocation  # doctest: +SKIP
    """
    import optuna

    constraints = constraints or Constraints()
    variables = list(default_variables(spec) if variables is None else variables)
    choices = list(bets)
    check(spec, variables, choices, objective, constraints)
    variables = _switches(spec, variables)
    if replications < 2 or final_replications < 2:
        raise ValueError("replications must be at least 2 (paired intervals need two)")
    if trials < 1 or finalists < 1:
        raise ValueError("trials and finalists must be at least 1")
    goal = Objective(objective, spec.horizon_months, level)
    start = time.perf_counter()
    n_workers = resolve_workers(workers)
    pool = process_pool(n_workers) if executor is None and n_workers > 1 else None
    n_money = sum(_is_money(v) for v in variables)
    search = _Search(spec, variables, choices, constraints, goal, seed, engine, n_workers,
                     executor or pool,
                     trials + finalists + 1 + len(variables) + len(choices)
                     + n_money * (n_money - 1), progress)
    screen_draws = draw_parameters(spec, replications, parameter_draws(seed, 0))
    final_draws = draw_parameters(spec, final_replications, parameter_draws(seed, 1))
    today_alloc: Allocation = {v.path: today_value(spec, v.path) for v in variables}
    for c in choices:
        today_alloc[f"bet:{c.name}"] = 0.0
    try:
        screened, trial_frame = _screen(search, optuna, trials, today_alloc, screen_draws)
        named, today, today_feasible, evaluated = _select(
            search, screened, today_alloc, finalists, final_draws, replications)
        differences, could_be_best = _separation(goal, named, today_feasible)
        comparison = _comparison(spec, seed, named, final_replications, engine)
        marginals = _why(search, named[0][1], final_draws, replications)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if progress is not None:
        progress(search.total, search.total)
    return OptimisationResult(
        spec=spec, objective=goal, variables=variables, choices=choices, constraints=constraints,
        seed=seed, engine=engine, replications=replications,
        final_replications=final_replications, today=today, finalists=named,
        comparison=comparison, differences=differences, could_be_best=could_be_best,
        marginals=marginals, trials=trial_frame, today_feasible=today_feasible,
        seconds=time.perf_counter() - start,
        evaluations=len(screened) + evaluated + 1 + len(marginals),
        covered=covered_bets(spec, variables))


# -- 1. screening ---------------------------------------------------------------------------------
def _suggest(trial: optuna.Trial, variables: Sequence[Variable],
             choices: Sequence[BetChoice]) -> Allocation:
    """The allocation optuna proposes, on each variable's grid."""
    allocation: Allocation = {}
    for v in variables:
        if v.whole:
            allocation[v.path] = float(trial.suggest_int(
                v.path, math.ceil(v.low), math.floor(v.high), step=int(v.resolution)))
        elif v.step:
            count = math.floor((v.high - v.low) / v.step + 1e-9)
            allocation[v.path] = v.low + v.step * trial.suggest_int(v.path, 0, count)
        else:
            allocation[v.path] = trial.suggest_float(v.path, v.low, v.high)
    for c in choices:
        on = trial.suggest_categorical(f"bet:{c.name}", [False, True])
        allocation[f"bet:{c.name}"] = float(on)
        if on and c.sized:
            low, high = float(c.low or 0), float(c.high or 0)
            if c.step:
                count = math.floor((high - low) / c.step + 1e-9)
                size = low + c.step * trial.suggest_int(f"size:{c.name}", 0, count)
            else:
                size = trial.suggest_float(f"size:{c.name}", low, high)
            allocation[f"size:{c.name}"] = size
    return allocation


@dataclass
class _Trials:
    """Optuna's objective: a proposed allocation checked against the budgets (over budget: never
    simulated), run on the screening replications once, scored; a row per trial."""

    search: _Search
    draws: list[dict[str, float]]
    screened: dict[Key, Evaluation] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, trial: optuna.Trial) -> float:
        search, constraints = self.search, self.search.constraints
        allocation = _suggest(trial, search.variables, search.choices)
        bets_, spend = search.spend_of(allocation)
        excess = budget_excess(spend, constraints)
        for name, value in excess.items():
            trial.set_constraint(name, value)
        row: dict[str, Any] = {"trial": trial.number, **allocation,
                               "spend_monthly_max": float(spend.max()),
                               "spend_total": float(spend.sum())}
        if any(value > 0 for value in excess.values()):  # over budget: never simulated
            trial.set_constraint("cash_floor", 0.0)
            self.rows.append({**row, "feasible": False, "objective": math.nan})
            search.tick()
            return -math.inf
        key = _key(allocation)
        if key not in self.screened:
            self.screened[key] = search.run(allocation, bets_, self.draws, 0)
        ev = self.screened[key]
        breach = ev.floor_breach - constraints.floor_risk
        trial.set_constraint("cash_floor", breach if constraints.cash_floor is not None
                             else 0.0)
        feasible = breach <= 0 or constraints.cash_floor is None
        self.rows.append({**row, "feasible": feasible, "objective": search.goal.value(ev.score)})
        search.tick()
        return ev.score


def _sampler(optuna: Any, variables: Sequence[Variable], choices: Sequence[BetChoice],
             trials: int, seed: int) -> optuna.samplers.BaseSampler:
    """Every allocation when the grid fits in the trials (brute force), else seeded TPE."""
    if grid_size(variables, choices) <= trials:  # every allocation fits in the trials
        return optuna.samplers.BruteForceSampler(seed=seed)
    return optuna.samplers.TPESampler(
        seed=seed, multivariate=True, group=bool(any(c.sized for c in choices)),
        n_startup_trials=min(10, max(1, trials // 3)))


def _first_trial(variables: Sequence[Variable], choices: Sequence[BetChoice],
                 today_alloc: Allocation) -> dict[str, Any]:
    """Today's allocation on the grid, as optuna's parameters."""
    first: dict[str, Any] = {}
    for v in variables:
        value = _grid(v, today_alloc[v.path])
        if v.whole:
            first[v.path] = int(value)
        elif v.step:
            first[v.path] = round((value - v.low) / v.step)
        else:
            first[v.path] = value
    for c in choices:
        first[f"bet:{c.name}"] = False
    return first


def _screen(search: _Search, optuna: Any, trials: int, today_alloc: Allocation,
            draws: list[dict[str, float]]) -> tuple[dict[Key, Evaluation], pd.DataFrame]:
    """Optuna's trials, one at a time (so that the same seed gives the same trials): today's
    allocation first, then each unsized bet alone on it, then what the sampler proposes."""
    objective = _Trials(search, draws)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = _sampler(optuna, search.variables, search.choices, trials, search.seed)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        first = _first_trial(search.variables, search.choices, today_alloc)
        study.enqueue_trial(first)  # today's allocation (on the grid) is the first trial
        # then each option alone on today's allocation: what `compare` compares, so that
        # the search never misses the option compare would recommend (unsized ones; a
        # sized one is searched over its sizes)
        for c in [c for c in search.choices if not c.sized][:max(0, trials - 1)]:
            study.enqueue_trial({**first, f"bet:{c.name}": True})
        study.optimize(objective, n_trials=trials, n_jobs=1)  # one at a time: seeded
    return objective.screened, pd.DataFrame(objective.rows)


# -- 2. ranking and selection on fresh replications ---------------------------------------------
def _select(search: _Search, screened: dict[Key, Evaluation], today_alloc: Allocation,
            finalists: int, draws: list[dict[str, float]], first: int
            ) -> tuple[list[tuple[str, Evaluation]], Evaluation, bool, int]:
    """The `finalists` best feasible screened allocations and today's, run on the final
    replications and ranked: (named finalists, today's run, whether today's is within the
    constraints, how many screened allocations were run again)."""
    constraints = search.constraints
    feasible_keys = [k for k, ev in screened.items() if search.holds_floor(ev)]
    # today's allocation is a finalist of its own (run as the scenario is written)
    feasible_keys = [k for k in feasible_keys if k != _key(today_alloc)]
    ranked = sorted(feasible_keys, key=lambda k: -screened[k].score)[:finalists]
    today_bets: tuple[Bet, ...] = ()
    today = search.run(today_alloc, today_bets, draws, first)
    search.tick()
    today_feasible = (all(v <= 0 for v in budget_excess(today.spend, constraints).values())
                      and search.holds_floor(today))
    evaluated = []
    for k in ranked:
        ev = screened[k]
        evaluated.append(search.run(ev.allocation, ev.bets, draws, first))
        search.tick()
    # today's first, so that a tie keeps it (a change must earn its place), then the
    # screening order
    eligible = ([today] if today_feasible else []) + [
        ev for ev in evaluated if search.holds_floor(ev)]
    if not eligible:
        raise ValueError(_nothing_fits(constraints))
    order = sorted(range(len(eligible)), key=lambda i: -eligible[i].score)
    ranked_evs = [eligible[i] for i in order]
    if not today_feasible:  # shown beside the others, never recommended
        ranked_evs.append(today)
    named = [(TODAY if ev is today else f"rank {i + 1}", ev)
             for i, ev in enumerate(ranked_evs)]
    return named, today, today_feasible, len(evaluated)


# -- 3. the why: one step of each variable at the winner ----------------------------------------
def _why(search: _Search, winner: Evaluation, draws: list[dict[str, float]], first: int
         ) -> list[Marginal]:
    """Each variable and bet of the winner moved one step, then a step of money moved between
    each two budgets (the moves a binding budget allows)."""
    spec, variables, choices = search.spec, search.variables, search.choices
    marginals = []
    for v in variables:
        marginals.append(_marginal(search.goal, spec, variables, choices, winner, v.path, v,
                                   search.run, draws, first, search.constraints))
        search.tick()
    for c in choices:
        marginals.append(_marginal(search.goal, spec, variables, choices, winner,
                                   f"bet:{c.name}", c, search.run, draws, first,
                                   search.constraints))
        search.tick()
    # money moved from one budget to another: the moves a binding budget allows
    for give, take in _transfers(variables, winner.allocation):
        marginals.append(_marginal(search.goal, spec, variables, choices, winner, give.path,
                                   give, search.run, draws, first, search.constraints, take))
        search.tick()
    return marginals


def _describe(allocation: Allocation) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in allocation.items())


def _nothing_fits(constraints: Constraints) -> Message:
    return msg("nothing_fits_constraints", monthly=amount(constraints.budget_monthly),
               total=amount(constraints.budget_total), floor=amount(constraints.cash_floor))
