"""The "why" of a recommendation: each variable of the winner moved one step (a bet switched, a
step of money moved from one budget to another), run on the final replications, and its effect
on NPV per unit of extra money decided (marginal return)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from models.spec.scenario import Scenario
from sim.experiments.optimise.candidate import (
    Evaluation,
    Objective,
    allocation_bets,
    budget_excess,
)
from sim.experiments.optimise.decisions import Allocation, BetChoice, Constraints, Variable
from sim.experiments.optimise.ranking import _paired_interval
from sim.experiments.optimise.result import Marginal
from sim.experiments.runner.statistics import lhs_standard_error, t_critical


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
