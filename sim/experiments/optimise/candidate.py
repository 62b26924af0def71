"""A candidate allocation: the bets that make it, what it spends month by month, its run on a set
of replications (`Evaluation`) and the objective it is scored on (`Objective`).

An allocation is applied as a bet of its own, `ALLOCATION`, that sets every variable from month
1 at once, followed by the bets chosen; so every candidate is compiled the way `compare` compiles
an alternative, and replication i of every candidate sees the same draw of the baseline's
uncertain parameters and the same engine stream (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.accounting.goal import month_or_never
from models.compiled.bets import compile_alternative
from models.spec.scenario import Bet, Scenario
from sim.experiments.goalseek import _resized as resized
from sim.experiments.optimise.decisions import (
    ALLOCATION,
    Allocation,
    BetChoice,
    Constraints,
    Variable,
)

_TOLERANCE = 1e-6  # relative slack of a budget check (money summed month by month)


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
