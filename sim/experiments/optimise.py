"""The optimiser under uncertainty: how should the money be split to reach the goal soonest, with
the highest probability, or with the most NPV?

Decision variables are numeric parameter paths with bounds and steps (`Variable`: channels'
budgets, managers, touches, ...) and the scenario's bets, each on or off and, where a bet has a
size, sized within a range (`BetChoice`, sized as `goalseek` sizes a bet: the value of its first
change). An allocation is applied as a bet of its own, `ALLOCATION`, that sets every variable
from month 1 at once, followed by the bets chosen; so every candidate is compiled the way
`compare` compiles an alternative, and replication i of every candidate sees the same draw of
the baseline's uncertain parameters and the same engine stream (common random numbers).

Constraints (`Constraints`): the spend the owner decides (advertising, salaries and the chosen
bets' own costs: `Params.decided_spend`), at the parameters' means, in every month at most
`budget_monthly` and over the horizon at most `budget_total` (known before any simulation, so a
candidate over budget is never simulated and never recommended); a cash floor: cumulative profit
never below `cash_floor` in at least 1 - `floor_risk` of the replications (a chance constraint,
estimated from the replications).

Method, in three steps:
1. screening: optuna's TPE sampler (seeded, one trial at a time so that the same seed gives the
   same trials) proposes allocations; each is run on the same `replications` (round 0 of the
   baseline's draws, replications 0..R-1). Today's allocation is the first trial, then each bet
   switched on alone on today's allocation (the alternatives `compare` compares).
2. ranking and selection: the `finalists` best distinct feasible allocations and today's are run
   again on `final_replications` fresh replications (round 1 of the draws, the next indices: the
   winner is not picked on the noise it was found with). The best by the objective wins; the
   difference of the objective between it and each other finalist gets a paired bootstrap 95%
   interval over those replications (the same replications for both, so the interval is of the
   difference itself); the winner is *separated* when the runner-up's interval excludes zero.
   The finalists whose interval includes zero could be best as well: the range of each variable
   over them is the recommendation's interval.
3. the "why": each variable of the winner is moved one step (a bet switched), run on the final
   replications, and its effect on NPV per unit of extra money decided (marginal return).
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from models.accounting.goal import month_or_never
from models.compiled.bets import check_bet, compile_alternative
from models.compiled.form import point_values, realise
from models.compiled.sampling import draw_parameters
from models.compiled.streams import parameter_draws
from models.compiled.units import is_whole_number, whole_number
from models.spec.errors import Message
from models.spec.messages import amount, msg
from models.spec.messages_ru import bilingual
from models.spec.paths import PathError, get_value, set_path
from models.spec.scenario import Bet, Scenario
from sim.experiments.compare import (
    BASELINE,
    Alternative,
    Comparison,
    nominal_cost,
    select_bets,
)
from sim.experiments.goalseek import _resized as resized
from sim.experiments.runner.alternatives import run_replications
from sim.experiments.runner.parallel import process_pool, resolve_workers
from sim.experiments.runner.replications import stack
from sim.experiments.runner.statistics import (
    describe_time_to_goal,
    lhs_standard_error,
    proportion_ci,
    t_critical,
)

ALLOCATION = "optimiser_allocation"  # the name of the bet that sets an allocation's values
TODAY = "today"
OBJECTIVES = ("p_goal", "months_to_goal", "npv", "npv_quantile", "cvar")
_BOOTSTRAP = 2000
_TOLERANCE = 1e-6  # relative slack of a budget check (money summed month by month)


# -- what is decided ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Variable:
    """A numeric parameter the optimiser sets, in [low, high], by `step` (None: any value;
    whole-number fields such as managers always move by whole steps)."""

    path: str
    low: float
    high: float
    step: float | None = None

    switch: bool = False  # an on/off field (`retention.enabled`), varied as 0 or 1

    @property
    def whole(self) -> bool:
        """Moves by whole steps: whole-number fields, and switches."""
        return is_whole_number(self.path) or self.switch

    @property
    def resolution(self) -> float:
        """The smallest move the optimiser makes (0: any value)."""
        if self.whole:
            return max(1.0, float(round(self.step or 1)))
        return self.step or 0.0


@dataclass(frozen=True)
class BetChoice:
    """A bet of the scenario, on or off; with `low`/`high`, also the size of its first change
    (as `seek` sizes a bet) when on."""

    name: str
    low: float | None = None
    high: float | None = None
    step: float | None = None

    @property
    def sized(self) -> bool:
        return self.low is not None and self.high is not None


@dataclass(frozen=True)
class Constraints:
    budget_monthly: float | None = None  # decided spend in any month at most this
    budget_total: float | None = None  # decided spend over the horizon at most this
    cash_floor: float | None = None  # cumulative profit never below this ...
    floor_risk: float = 0.1  # ... in at least 1 - floor_risk of the replications


Allocation = dict[str, float]  # variable path -> value; "bet:NAME" -> 0/1; "size:NAME" -> size


def parse_vary(text: str) -> Variable:
    """`PATH=LOW:HIGH[:STEP]` (the `--vary` option) as a Variable."""
    path, sep, span = text.partition("=")
    parts = span.split(":")
    try:
        if not (sep and path.strip()) or len(parts) not in (2, 3):
            raise ValueError
        low, high = float(parts[0]), float(parts[1])
        step = float(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise ValueError(f"--vary {text!r}: write PATH=LOW:HIGH or PATH=LOW:HIGH:STEP, e.g. "
                         "--vary channels.yandex_direct.budget_monthly=0:1000000:50000") from None
    if not high > low:
        raise ValueError(f"--vary {text!r}: the high end must be above the low end")
    if step is not None and not 0 < step <= high - low:
        raise ValueError(f"--vary {text!r}: the step must be positive and at most high - low")
    return Variable(path.strip(), low, high, step)


def parse_bet(text: str) -> BetChoice:
    """`NAME` or `NAME=LOW:HIGH[:STEP]` (the `--bet` option) as a BetChoice."""
    name, sep, span = text.partition("=")
    if not sep:
        return BetChoice(name.strip())
    try:
        var = parse_vary(f"{name}={span}")
    except ValueError:
        raise ValueError(f"--bet {text!r}: write NAME (on or off) or NAME=LOW:HIGH[:STEP] (on "
                         "or off, and the size of its first change)") from None
    return BetChoice(var.path, var.low, var.high, var.step)


def _today_raw(spec: Scenario) -> dict[str, Any]:
    return realise(spec, point_values(spec)).model_dump(by_alias=True)


def today_value(spec: Scenario, path: str) -> float:
    """A variable's value in the scenario as written (an uncertain one at its mean; a switch
    such as `retention.enabled` as 0 or 1)."""
    value = get_value(_today_raw(spec), path)
    if not isinstance(value, int | float):
        raise ValueError(f"--vary {path}: not a number or a switch in this scenario; the "
                         "optimiser varies numbers and on/off switches")
    return float(value)


def is_switch(spec: Scenario, path: str) -> bool:
    """Is the parameter an on/off switch (true/false), varied as 0 or 1?"""
    return isinstance(get_value(_today_raw(spec), path), bool)


def _switches(spec: Scenario, variables: Sequence[Variable]) -> list[Variable]:
    """Switches vary over {0, 1} by whole steps, whatever range was written."""
    return [Variable(v.path, 0.0, 1.0, 1.0, switch=True) if is_switch(spec, v.path) else v
            for v in variables]


def default_variables(spec: Scenario) -> list[Variable]:
    """What to vary when nothing is said: each paid channel's budget from 0 to twice today's (in
    tenths of today's), and the managers from two fewer (at least one) to three more."""
    out = []
    for ch in spec.channels:
        path = f"channels.{ch.name}.budget_monthly"
        budget = today_value(spec, path)
        if budget > 0:
            out.append(Variable(path, 0.0, 2 * budget, budget / 10))
    managers = today_value(spec, "sales.managers")
    out.append(Variable("sales.managers", max(1.0, managers - 2), managers + 3, 1.0))
    return out


def _sets(bet: Bet, path: str) -> bool:
    """Does one of the bet's changes set the parameter at `path` (or a part of it, or all of
    it)?"""
    return any(c.path == path or c.path.startswith(path + ".") or path.startswith(c.path + ".")
               for c in bet.changes)


def covered_bets(spec: Scenario, variables: Sequence[Variable]) -> list[str]:
    """The scenario's bets that change a parameter one of `variables` already decides (e.g.
    'more ads' and the channel's budget): switching them on would fight the variable over the
    same parameter, so the optimiser decides the variable, not the bet."""
    return [b.name for b in spec.bets if any(_sets(b, v.path) for v in variables)]


def default_choices(spec: Scenario, variables: Sequence[Variable]) -> list[BetChoice]:
    """What the optimiser switches on or off when nothing is said: every bet of the scenario
    (the options `compare` compares), except those a variable decides (`covered_bets`)."""
    covered = set(covered_bets(spec, variables))
    return [BetChoice(b.name) for b in spec.bets if b.name not in covered]


def _grid(var: Variable | BetChoice, value: float) -> float:
    """A value put on the variable's grid (whole numbers for whole-number fields)."""
    low, high = float(var.low or 0.0), float(var.high or 0.0)
    value = min(max(value, low), high)
    step = var.step if isinstance(var, BetChoice) else var.resolution
    if step:
        value = low + round((value - low) / step) * step
        value = min(value, high)
    if isinstance(var, Variable) and var.whole:
        value = whole_number(value)
    return float(value)


# -- a candidate --------------------------------------------------------------------------------
def _key(allocation: Allocation) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, round(v, 9)) for k, v in allocation.items()))


def allocation_bets(spec: Scenario, variables: Sequence[Variable], choices: Sequence[BetChoice],
                    allocation: Allocation) -> tuple[Bet, ...]:
    """The bets that make an allocation: `ALLOCATION` setting every variable from month 1, then
    the bets switched on, sized where asked (a later bet's change of a variable overrides)."""
    out: list[Bet] = []
    if variables:
        out.append(Bet(name=ALLOCATION, changes=[
            {"path": v.path, "set": allocation[v.path] >= 0.5 if v.switch
             else allocation[v.path]} for v in variables]))
    known = {b.name: b for b in spec.bets}
    for c in choices:
        if not allocation.get(f"bet:{c.name}"):
            continue
        bet = known[c.name]
        if c.sized:  # the value of its first change, as `seek` sizes a bet
            bet = resized(bet, 0, allocation[f"size:{c.name}"])
        out.append(bet)
    return tuple(out)


def monthly_spend(spec: Scenario, bets: Sequence[Bet]) -> np.ndarray:
    """What the owner decides to spend in each month (advertising, salaries, the bets' own
    costs), at the parameters' means: what the budget constraints bound."""
    compiled = compile_alternative(spec, bets)
    return np.array([sum(p.decided_spend().values()) for p in compiled.timeline])


def budget_excess(spend: np.ndarray, constraints: Constraints) -> dict[str, float]:
    """How far a spend plan is over each budget, as a share of it (<= 0: within)."""
    out = {}
    if constraints.budget_monthly is not None:
        out["budget_monthly"] = (float(spend.max()) - constraints.budget_monthly) / max(
            constraints.budget_monthly, 1.0) - _TOLERANCE
    if constraints.budget_total is not None:
        out["budget_total"] = (float(spend.sum()) - constraints.budget_total) / max(
            constraints.budget_total, 1.0) - _TOLERANCE
    return out


@dataclass
class Evaluation:
    """A candidate run on a set of replications."""

    allocation: Allocation
    bets: tuple[Bet, ...]
    spend: np.ndarray  # per month, at the means
    monthly: dict[str, np.ndarray]
    scalars: dict[str, np.ndarray]
    score: float  # the objective as "higher is better"
    floor_breach: float  # share of replications whose cumulative profit dips below the floor


# -- the objective ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Objective:
    """What to optimise; `score(scalars)` is higher-is-better (months to goal: minus the
    median), `value(score)` the figure the owner reads."""

    name: str
    horizon: int
    level: float = 0.1  # the lower quantile (npv_quantile) or the tail share (cvar)

    def per_replication(self, scalars: dict[str, np.ndarray]) -> np.ndarray:
        if self.name == "p_goal":
            return scalars["goal_by_deadline"]
        if self.name == "months_to_goal":  # never reached: later than any month of the horizon
            return month_or_never(scalars["time_to_goal"], self.horizon + 1)
        return scalars["npv_profit"]

    def statistic(self, values: np.ndarray) -> float:
        """The objective of replications' values, higher is better."""
        if self.name == "months_to_goal":
            return -float(np.median(values))
        if self.name == "npv_quantile":
            return float(np.quantile(values, self.level))
        if self.name == "cvar":  # the mean of the worst `level` share of replications
            k = max(1, math.ceil(self.level * len(values)))
            return float(np.sort(values)[:k].mean())
        return float(values.mean())

    def score(self, scalars: dict[str, np.ndarray]) -> float:
        return self.statistic(self.per_replication(scalars))

    def value(self, score: float) -> float:
        return -score if self.name == "months_to_goal" else score


def _floor_breach(monthly: dict[str, np.ndarray], floor: float | None) -> float:
    if floor is None:
        return 0.0
    lowest = np.cumsum(monthly["profit"], axis=1).min(axis=1)
    return float((lowest < floor).mean())


# -- the result ---------------------------------------------------------------------------------
@dataclass
class Marginal:
    """One variable of the winner moved one step: what it does to NPV and to the objective, per
    unit of extra money decided."""

    variable: str
    move: float  # the step taken (a bet: +1 switched on, -1 switched off)
    extra_spend: float  # over the horizon, at the means
    npv: float  # mean change of NPV
    npv_lo: float
    npv_hi: float
    objective: float  # change of the objective as the owner reads it
    npv_per_money: float | None  # npv / extra_spend (None: the move costs nothing)
    within_constraints: bool = True  # the moved allocation meets the budgets and the floor
    better: bool = False  # within them and better on the objective beyond the noise (paired)
    target: str | None = None  # a transfer: `move` taken from `variable` and given to this


@dataclass
class OptimisationResult:
    spec: Scenario
    objective: Objective
    variables: list[Variable]
    choices: list[BetChoice]
    constraints: Constraints
    seed: int
    engine: str
    replications: int
    final_replications: int
    today: Evaluation
    finalists: list[tuple[str, Evaluation]]  # ranked, "rank 1" first, today among them
    comparison: Comparison  # the finalists against today on the final replications
    differences: dict[str, dict[str, float]]  # finalist -> winner minus it: mean, ci_low, ci_high
    could_be_best: list[str]
    marginals: list[Marginal]
    trials: pd.DataFrame  # one row per trial: number, feasible, score, the allocation
    today_feasible: bool
    seconds: float = 0.0
    evaluations: int = 0  # candidates simulated
    covered: list[str] = dataclasses.field(default_factory=list)  # bets a variable decides

    @property
    def settled(self) -> bool:
        """The verdict's one rule (`sim.report.decision.verdict_kind`): separated from the
        runner-up and no one-step move better beyond the noise."""
        return self.separated and self.converged

    @property
    def winner(self) -> Evaluation:
        return self.finalists[0][1]

    @property
    def separated(self) -> bool:
        """Is the winner better than the runner-up beyond the noise (paired interval)?"""
        runner = self.runner_up
        return runner is None or self.differences[runner]["ci_low"] > 0

    @property
    def converged(self) -> bool:
        """No one-step move of the winner (within the constraints) beats it beyond the noise:
        a local optimum of the grid as far as the final replications tell."""
        return not any(m.better for m in self.marginals)

    @property
    def runner_up(self) -> str | None:
        return self.finalists[1][0] if len(self.finalists) > 1 else None

    def interval(self, key: str) -> tuple[float, float]:
        """The range of a variable over the finalists that could be best (the allocations the
        final replications cannot tell from the winner), widened by half the variable's step:
        on a grid the best value is known to half a step at best. A whole-number variable (the
        managers) takes only whole values: it is not widened."""
        values = [ev.allocation[key] for name, ev in self.finalists
                  if name in self.could_be_best and key in ev.allocation]
        if not values:
            return (math.nan, math.nan)
        var = next((v for v in self.variables if v.path == key), None)
        half = var.resolution / 2 if var is not None and not var.whole else 0.0
        low, high = (var.low, var.high) if var is not None else (-math.inf, math.inf)
        return (max(low, min(values) - half), min(high, max(values) + half))

    def allocation_table(self) -> pd.DataFrame:
        """The recommended allocation beside today's: one row per variable."""
        rows = []
        for v in self.variables:
            lo, hi = self.interval(v.path)
            rows.append({"variable": v.path, "kind": "parameter",
                         "today": self.today.allocation[v.path],
                         "recommended": self.winner.allocation[v.path],
                         "could_be_low": lo, "could_be_high": hi, "low": v.low, "high": v.high})
        for c in self.choices:
            key = f"bet:{c.name}"
            lo, hi = self.interval(key)
            rows.append({"variable": c.name, "kind": "bet", "today": 0.0,
                         "recommended": self.winner.allocation[key],
                         "could_be_low": lo, "could_be_high": hi, "low": 0.0, "high": 1.0})
            if c.sized:
                size = f"size:{c.name}"
                lo, hi = self.interval(size)
                # A bet the winner leaves off has no size (its allocation holds none).
                rows.append({"variable": f"{c.name} (size)", "kind": "bet_size",
                             "today": math.nan,
                             "recommended": self.winner.allocation.get(size, math.nan),
                             "could_be_low": lo, "could_be_high": hi,
                             "low": c.low, "high": c.high})
        rows.append({"variable": "spend_monthly_max", "kind": "spend",
                     "today": float(self.today.spend.max()),
                     "recommended": float(self.winner.spend.max()),
                     "could_be_low": math.nan, "could_be_high": math.nan,
                     "low": math.nan, "high": self.constraints.budget_monthly or math.nan})
        rows.append({"variable": "spend_total", "kind": "spend",
                     "today": float(self.today.spend.sum()),
                     "recommended": float(self.winner.spend.sum()),
                     "could_be_low": math.nan, "could_be_high": math.nan,
                     "low": math.nan, "high": self.constraints.budget_total or math.nan})
        return pd.DataFrame(rows)

    def figures(self) -> pd.DataFrame:
        """Each finalist's figures on the final replications, with 95% intervals: NPV, the
        change of NPV against today's, ROI and payback of that change, months to goal, P(goal),
        the objective and how much worse than the winner."""
        cmp, n = self.comparison, self.final_replications
        t = t_critical(n)
        rows = []
        for name, ev in self.finalists:
            alt = BASELINE if name == TODAY else name
            npv = ev.scalars["npv_profit"]
            se = lhs_standard_error(npv, [n])
            ttg = describe_time_to_goal(ev.scalars["time_to_goal"])
            has_goal = self.spec.goal is not None
            hits = ev.scalars["goal_by_deadline"]
            p_lo, p_hi = (proportion_ci(int(np.nansum(hits)), n) if has_goal
                          else (math.nan, math.nan))
            delta = cmp.paired(alt, "npv_profit") if alt != BASELINE else {}
            roi = cmp.roi(alt) if alt != BASELINE else {}
            payback = describe_time_to_goal(cmp.payback(alt)) if alt != BASELINE else {}
            diff = self.differences.get(name, {})
            rows.append({
                "allocation": name,
                "objective": self.objective.value(ev.score),
                "worse_by": diff.get("mean", 0.0) if name != self.finalists[0][0] else 0.0,
                "worse_lo": diff.get("ci_low", 0.0) if name != self.finalists[0][0] else 0.0,
                "worse_hi": diff.get("ci_high", 0.0) if name != self.finalists[0][0] else 0.0,
                "could_be_best": name in self.could_be_best,
                "npv": float(npv.mean()), "npv_lo": float(npv.mean() - t * se),
                "npv_hi": float(npv.mean() + t * se),
                "npv_vs_today": delta.get("mean", 0.0),
                "npv_vs_today_lo": delta.get("ci_low", 0.0),
                "npv_vs_today_hi": delta.get("ci_high", 0.0),
                "roi": roi.get("mean", math.nan), "roi_lo": roi.get("ci_low", math.nan),
                "roi_hi": roi.get("ci_high", math.nan),
                "payback_month": payback.get("p50"),
                "months_to_goal_p10": ttg["p10"], "months_to_goal_p50": ttg["p50"],
                "months_to_goal_p90": ttg["p90"],
                "p_goal": float(np.nanmean(hits)) if has_goal else math.nan,
                "p_goal_lo": p_lo, "p_goal_hi": p_hi,
                "spend_monthly_max": float(ev.spend.max()), "spend_total": float(ev.spend.sum()),
                "cash_floor_breach": ev.floor_breach,
            })
        return pd.DataFrame(rows)

    def marginal_table(self) -> pd.DataFrame:
        frame = pd.DataFrame([m.__dict__ for m in self.marginals])
        if frame.empty:
            return frame
        # steps that cost money by their return on it, then transfers by their change of NPV
        order = frame["npv_per_money"].astype(float).fillna(-math.inf).to_numpy()
        moved = np.where(frame["target"].isna(), 0.0, frame["npv"].astype(float).to_numpy())
        ranked = np.lexsort((-moved, -order))
        return frame.iloc[ranked].reset_index(drop=True)

    def provenance(self) -> dict[str, Any]:
        from models.load import scenario_hash

        return {"scenario": self.spec.name, "scenario_hash": scenario_hash(self.spec),
                "seed": self.seed, "engine": self.engine, "trials": len(self.trials),
                "replications": self.replications,
                "final_replications": self.final_replications,
                "objective": self.objective.name, "level": self.objective.level,
                "evaluations": self.evaluations}

    def to_dict(self) -> dict[str, Any]:
        """What optimise.json holds."""
        return {
            "provenance": self.provenance(),
            "constraints": dict(self.constraints.__dict__),
            "variables": [dict(v.__dict__) for v in self.variables],
            "bets": [dict(c.__dict__) for c in self.choices],
            "recommended": dict(self.winner.allocation),
            "today": dict(self.today.allocation),
            "today_within_constraints": self.today_feasible,
            "separated": self.separated,
            "settled": self.settled,
            "bets_decided_by_variables": list(self.covered),
            "converged": self.converged,
            "runner_up": self.runner_up,
            "could_be_best": self.could_be_best,
            "allocations": {name: dict(ev.allocation) for name, ev in self.finalists},
            "allocation": _records(self.allocation_table()),
            "figures": _records(self.figures()),
            "marginal_returns": _records(self.marginal_table()),
            "seconds": self.seconds,
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in row.items()} for row in rows]


def _levels(low: float, high: float, step: float | None) -> float:
    return math.floor((high - low) / step + 1e-9) + 1 if step else math.inf


def grid_size(variables: Sequence[Variable], choices: Sequence[BetChoice]) -> float:
    """How many allocations the variables' grids allow (inf: some variable is continuous).
    When the trials cover them all, every one is tried (optuna's brute-force sampler) instead
    of sampled (TPE)."""
    size = 1.0
    for v in variables:
        if v.whole:
            size *= _levels(math.ceil(v.low), math.floor(v.high), v.resolution)
        else:
            size *= _levels(v.low, v.high, v.step)
    for c in choices:
        size *= 1 + (_levels(float(c.low or 0), float(c.high or 0), c.step) if c.sized else 1)
    return size


# -- checks -------------------------------------------------------------------------------------
def _check(spec: Scenario, variables: Sequence[Variable], choices: Sequence[BetChoice],
           objective: str, constraints: Constraints) -> None:
    if objective not in OBJECTIVES:
        raise ValueError(f"--objective {objective}: choose one of {', '.join(OBJECTIVES)}")
    if objective in ("p_goal", "months_to_goal") and spec.goal is None:
        raise ValueError(f"--objective {objective} needs a goal: add a goal (metric, target, "
                         "deadline_month) to the scenario, or optimise npv")
    if not variables and not choices:
        raise ValueError("nothing to decide: give --vary PATH=LOW:HIGH or --bet NAME")
    paths = [v.path for v in variables]
    if len(set(paths)) != len(paths):
        raise ValueError(f"--vary names a parameter twice: {', '.join(paths)}")
    for v in variables:
        try:
            today_value(spec, v.path)
        except PathError as err:
            try:  # a path the YAML left at its default is valid: set_path knows the fields
                set_path(_today_raw(spec), v.path, v.low, Scenario)
            except PathError as err2:
                raise ValueError(f"--vary {err2}") from None
            raise ValueError(f"--vary {err}") from None
        if is_switch(spec, v.path):
            continue  # true or false, both valid
        for end in (v.low, v.high):
            bet = Bet(name=ALLOCATION, changes=[{"path": v.path, "set": end}])
            problems = check_bet(spec, bet)
            if problems:
                raise ValueError(f"--vary {v.path}={end:g}: {problems[0][1]}")
    select_bets(spec, [c.name for c in choices])
    for c in choices:
        bet = next(b for b in spec.bets if b.name == c.name)
        clash = [v.path for v in variables if _sets(bet, v.path)]
        if clash:
            raise ValueError(msg("bet_sets_variable", bet=c.name, path=clash[0]))
    for c in choices:
        if c.sized:
            bet = next(b for b in spec.bets if b.name == c.name)
            if not bet.changes or bet.changes[0].operation == "append":
                raise ValueError(f"--bet {c.name}: its first change has no size to vary "
                                 "(it adds a channel or tier); give the bet without a range")
    for name in ("budget_monthly", "budget_total"):
        value = getattr(constraints, name)
        if value is not None and value <= 0:
            raise ValueError(f"--{name.replace('_monthly', '').replace('_', '-')}: a budget "
                             f"is a positive amount of money (got {value:g})")
    if not 0 <= constraints.floor_risk < 1:
        raise ValueError(f"--floor-risk {constraints.floor_risk:g}: a share in [0, 1)")


# -- the optimiser ------------------------------------------------------------------------------
def optimise(
    spec: Scenario,
    variables: Sequence[Variable] | None = None,
    bets: Sequence[BetChoice] = (),
    objective: str = "npv",
    constraints: Constraints | None = None,
    trials: int = 40,
    replications: int = 20,
    finalists: int = 4,
    final_replications: int = 60,
    level: float = 0.1,
    seed: int = 1,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "fast",
) -> OptimisationResult:
    """Find the allocation that does best on `objective` within `constraints` (see the module's
    note). `variables` None: each paid channel's budget and the managers (`default_variables`).
    `progress(done, total)` is called after each candidate is run."""
    import optuna

    constraints = constraints or Constraints()
    variables = list(default_variables(spec) if variables is None else variables)
    choices = list(bets)
    _check(spec, variables, choices, objective, constraints)
    variables = _switches(spec, variables)
    if replications < 2 or final_replications < 2:
        raise ValueError("replications must be at least 2 (paired intervals need two)")
    if trials < 1 or finalists < 1:
        raise ValueError("trials and finalists must be at least 1")
    goal = Objective(objective, spec.horizon_months, level)
    start = time.perf_counter()
    n_workers = resolve_workers(workers)
    pool = process_pool(n_workers) if executor is None and n_workers > 1 else None
    where = executor or pool
    n_money = sum(_is_money(v) for v in variables)
    total = trials + finalists + 1 + len(variables) + len(choices) + n_money * (n_money - 1)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(done, total), total)

    screen_draws = draw_parameters(spec, replications, parameter_draws(seed, 0))
    final_draws = draw_parameters(spec, final_replications, parameter_draws(seed, 1))

    def run(allocation: Allocation, bets_: tuple[Bet, ...], draws: list[dict[str, float]],
            first: int) -> Evaluation:
        reps = [one for (one,) in run_replications(spec, (bets_,), first, draws, seed, engine,
                                                   n_workers, where)]
        stacked = stack(reps)
        return Evaluation(allocation, bets_, monthly_spend(spec, bets_), stacked.monthly,
                          stacked.scalars, goal.score(stacked.scalars),
                          _floor_breach(stacked.monthly, constraints.cash_floor))

    today_alloc: Allocation = {v.path: today_value(spec, v.path) for v in variables}
    for c in choices:
        today_alloc[f"bet:{c.name}"] = 0.0
    try:
        screened: dict[tuple[tuple[str, float], ...], Evaluation] = {}
        spends: dict[tuple[tuple[str, float], ...], np.ndarray] = {}
        rows: list[dict[str, Any]] = []

        def spend_of(allocation: Allocation) -> tuple[tuple[Bet, ...], np.ndarray]:
            bets_ = allocation_bets(spec, variables, choices, allocation)
            key = _key(allocation)
            if key not in spends:
                try:
                    spends[key] = monthly_spend(spec, bets_)
                except (ValueError, ValidationError) as err:
                    first = err.args[0] if err.args else None
                    why = (first if isinstance(first, Message)
                           else bilingual(str(err).splitlines()[0]))
                    raise ValueError(msg("allocation_cannot_run",
                                         allocation=_describe(allocation), why=why)) from None
            return bets_, spends[key]

        def trial_objective(trial: optuna.Trial) -> float:
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
            bets_, spend = spend_of(allocation)
            excess = budget_excess(spend, constraints)
            for name, value in excess.items():
                trial.set_constraint(name, value)
            row: dict[str, Any] = {"trial": trial.number, **allocation,
                                   "spend_monthly_max": float(spend.max()),
                                   "spend_total": float(spend.sum())}
            if any(value > 0 for value in excess.values()):  # over budget: never simulated
                trial.set_constraint("cash_floor", 0.0)
                rows.append({**row, "feasible": False, "objective": math.nan})
                tick()
                return -math.inf
            key = _key(allocation)
            if key not in screened:
                screened[key] = run(allocation, bets_, screen_draws, 0)
            ev = screened[key]
            breach = ev.floor_breach - constraints.floor_risk
            trial.set_constraint("cash_floor", breach if constraints.cash_floor is not None
                                 else 0.0)
            feasible = breach <= 0 or constraints.cash_floor is None
            rows.append({**row, "feasible": feasible, "objective": goal.value(ev.score)})
            tick()
            return ev.score

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler: optuna.samplers.BaseSampler
            if grid_size(variables, choices) <= trials:  # every allocation fits in the trials
                sampler = optuna.samplers.BruteForceSampler(seed=seed)
            else:
                sampler = optuna.samplers.TPESampler(
                    seed=seed, multivariate=True, group=bool(any(c.sized for c in choices)),
                    n_startup_trials=min(10, max(1, trials // 3)))
            study = optuna.create_study(direction="maximize", sampler=sampler)
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
            study.enqueue_trial(first)  # today's allocation (on the grid) is the first trial
            # then each option alone on today's allocation: what `compare` compares, so that
            # the search never misses the option compare would recommend (unsized ones; a
            # sized one is searched over its sizes)
            for c in [c for c in choices if not c.sized][:max(0, trials - 1)]:
                study.enqueue_trial({**first, f"bet:{c.name}": True})
            study.optimize(trial_objective, n_trials=trials, n_jobs=1)  # one at a time: seeded
        trial_frame = pd.DataFrame(rows)

        # -- ranking and selection on fresh replications --------------------------------------
        feasible_keys = [k for k, ev in screened.items()
                         if constraints.cash_floor is None
                         or ev.floor_breach <= constraints.floor_risk]
        # today's allocation is a finalist of its own (run as the scenario is written)
        feasible_keys = [k for k in feasible_keys if k != _key(today_alloc)]
        ranked = sorted(feasible_keys, key=lambda k: -screened[k].score)[:finalists]
        today_bets: tuple[Bet, ...] = ()
        today = run(today_alloc, today_bets, final_draws, replications)
        tick()
        today_feasible = (all(v <= 0 for v in budget_excess(today.spend, constraints).values())
                          and (constraints.cash_floor is None
                               or today.floor_breach <= constraints.floor_risk))
        evaluated = []
        for k in ranked:
            ev = screened[k]
            evaluated.append(run(ev.allocation, ev.bets, final_draws, replications))
            tick()
        # today's first, so that a tie keeps it (a change must earn its place), then the
        # screening order
        eligible = ([today] if today_feasible else []) + [
            ev for ev in evaluated if constraints.cash_floor is None
            or ev.floor_breach <= constraints.floor_risk]
        if not eligible:
            raise ValueError(_nothing_fits(constraints))
        order = sorted(range(len(eligible)), key=lambda i: -eligible[i].score)
        ranked_evs = [eligible[i] for i in order]
        if not today_feasible:  # shown beside the others, never recommended
            ranked_evs.append(today)
        named = [(TODAY if ev is today else f"rank {i + 1}", ev)
                 for i, ev in enumerate(ranked_evs)]
        winner = named[0][1]
        differences, could_be_best = _separation(goal, named, today_feasible)
        comparison = _comparison(spec, seed, named, final_replications, engine)

        # -- the why: one step of each variable at the winner --------------------------------
        marginals = []
        for v in variables:
            marginals.append(_marginal(goal, spec, variables, choices, winner, v.path, v,
                                       run, final_draws, replications, constraints))
            tick()
        for c in choices:
            marginals.append(_marginal(goal, spec, variables, choices, winner, f"bet:{c.name}",
                                       c, run, final_draws, replications, constraints))
            tick()
        # money moved from one budget to another: the moves a binding budget allows
        for give, take in _transfers(variables, winner.allocation):
            marginals.append(_marginal(goal, spec, variables, choices, winner, give.path,
                                       give, run, final_draws, replications, constraints,
                                       take))
            tick()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if progress is not None:
        progress(total, total)
    return OptimisationResult(
        spec=spec, objective=goal, variables=variables, choices=choices, constraints=constraints,
        seed=seed, engine=engine, replications=replications,
        final_replications=final_replications, today=today, finalists=named,
        comparison=comparison, differences=differences, could_be_best=could_be_best,
        marginals=marginals, trials=trial_frame, today_feasible=today_feasible,
        seconds=time.perf_counter() - start,
        evaluations=len(screened) + len(evaluated) + 1 + len(marginals),
        covered=covered_bets(spec, variables))


def _describe(allocation: Allocation) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in allocation.items())


def _nothing_fits(constraints: Constraints) -> Message:
    return msg("nothing_fits_constraints", monthly=amount(constraints.budget_monthly),
               total=amount(constraints.budget_total), floor=amount(constraints.cash_floor))


def _paired_interval(goal: Objective, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """objective(a) - objective(b) (higher is better) over the same replications, with a
    bootstrap 95% interval that resamples replications, the same for both."""
    n = len(a)
    rng = np.random.default_rng(0)  # fixed: the interval is part of a reproducible report
    idx = rng.integers(0, n, size=(_BOOTSTRAP, n))
    boot = np.array([goal.statistic(a[i]) - goal.statistic(b[i]) for i in idx])
    lo, hi = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    return goal.statistic(a) - goal.statistic(b), lo, hi


def _separation(goal: Objective, named: list[tuple[str, Evaluation]], today_feasible: bool
                ) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Winner minus each other finalist (how much worse it is; months to goal: months later),
    with its paired bootstrap interval; and the finalists the interval cannot tell from the
    winner."""
    best = goal.per_replication(named[0][1].scalars)
    out: dict[str, dict[str, float]] = {}
    could = [named[0][0]]
    for name, ev in named[1:]:
        diff, lo, hi = _paired_interval(goal, best, goal.per_replication(ev.scalars))
        out[name] = {"mean": diff, "ci_low": lo, "ci_high": hi}
        if not lo > 0 and (name != TODAY or today_feasible):
            could.append(name)
    return out, could


def _comparison(spec: Scenario, seed: int, named: list[tuple[str, Evaluation]],
                final_replications: int, engine: str) -> Comparison:
    """The finalists as a `Comparison` against today's allocation (its baseline), so that the
    change's NPV, ROI and payback have `compare`'s definitions and intervals."""
    alts = [Alternative(BASELINE, ())]
    monthly, scalars, costs = {}, {}, {BASELINE: 0.0}
    for name, ev in named:
        key = BASELINE if name == TODAY else name
        if key != BASELINE:
            alts.append(Alternative(key, ev.bets))
            costs[key] = nominal_cost(spec, ev.bets)
        monthly[key], scalars[key] = ev.monthly, ev.scalars
    cmp = Comparison(spec, seed, alts, monthly, scalars, costs, rounds=[final_replications])
    cmp.engine = engine
    return cmp


def _is_money(v: Variable) -> bool:
    return v.path.endswith(".budget_monthly") and not v.whole


def _amount(v: Variable) -> float:
    return v.resolution or (v.high - v.low) / 10


def _transfers(variables: Sequence[Variable], allocation: Allocation
               ) -> list[tuple[Variable, Variable]]:
    """Pairs of budgets (give, take) between which one step of money can move within the
    bounds: the smaller of the two steps leaves one and goes to the other."""
    money = [v for v in variables if _is_money(v)]
    out = []
    for give in money:
        for take in money:
            if give is take:
                continue
            amount = min(_amount(give), _amount(take))
            if (allocation[give.path] - amount >= give.low - 1e-9
                    and allocation[take.path] + amount <= take.high + 1e-9):
                out.append((give, take))
    return out


def _marginal(goal: Objective, spec: Scenario, variables: Sequence[Variable],
              choices: Sequence[BetChoice], winner: Evaluation, key: str,
              var: Variable | BetChoice, run: Callable[..., Evaluation],
              final_draws: list[dict[str, float]], first: int,
              constraints: Constraints, take: Variable | None = None) -> Marginal:
    """Move one variable of the winner a step up (down at its upper bound; a bet switched; with
    `take`, a step of money from `var` to `take`) and measure the change on the final
    replications."""
    moved = dict(winner.allocation)
    if take is not None:
        assert isinstance(var, Variable)
        move = min(_amount(var), _amount(take))
        moved[key] -= move
        moved[take.path] += move
    elif isinstance(var, BetChoice):
        on = bool(moved.get(key))
        moved[key] = 0.0 if on else 1.0
        if not on and var.sized:
            moved[f"size:{var.name}"] = float(var.high if var.high is not None else 0.0)
        move = -1.0 if on else 1.0
    else:
        step = var.resolution or (var.high - var.low) / 10
        up = moved[key] + step <= var.high + 1e-9
        moved[key] = moved[key] + step if up else moved[key] - step
        move = step if up else -step
    bets_ = allocation_bets(spec, variables, choices, moved)
    ev = run(moved, bets_, final_draws, first)
    d = ev.scalars["npv_profit"] - winner.scalars["npv_profit"]
    n = len(d)
    se = lhs_standard_error(d, [n])
    t = t_critical(n)
    extra = float(ev.spend.sum() - winner.spend.sum())
    change = goal.value(ev.score) - goal.value(winner.score)
    within = (all(v <= 0 for v in budget_excess(ev.spend, constraints).values())
              and (constraints.cash_floor is None or ev.floor_breach <= constraints.floor_risk))
    _, lo, _ = _paired_interval(goal, goal.per_replication(ev.scalars),
                                goal.per_replication(winner.scalars))
    return Marginal(variable=key.removeprefix("bet:"), move=move, extra_spend=extra,
                    npv=float(d.mean()), npv_lo=float(d.mean() - t * se),
                    npv_hi=float(d.mean() + t * se), objective=change,
                    npv_per_money=float(d.mean()) / extra if abs(extra) > 1e-9 else None,
                    within_constraints=within, better=within and lo > 0,
                    target=None if take is None else take.path)
