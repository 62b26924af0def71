"""What the optimiser refuses before it runs anything: an unknown objective, a parameter it cannot
vary, a bet that fights a variable or has no size to vary, a budget that is not money."""

from __future__ import annotations

from collections.abc import Sequence

from models.compiled.bets import check_bet
from models.spec.messages import msg
from models.spec.paths import PathError, set_path
from models.spec.scenario import Bet, Scenario
from sim.experiments.compare import select_bets
from sim.experiments.optimise.decisions import (
    ALLOCATION,
    OBJECTIVES,
    BetChoice,
    Constraints,
    Variable,
    _sets,
    _today_raw,
    is_switch,
    today_value,
)


def check(spec: Scenario, variables: Sequence[Variable], choices: Sequence[BetChoice],
          objective: str, constraints: Constraints) -> None:
    """Raise ValueError (naming the option and the fix) on the first thing that cannot run."""
    _check_objective(spec, objective)
    if not variables and not choices:
        raise ValueError("nothing to decide: give --vary PATH=LOW:HIGH or --bet NAME")
    _check_variables(spec, variables)
    _check_choices(spec, variables, choices)
    _check_constraints(constraints)


def _check_objective(spec: Scenario, objective: str) -> None:
    if objective not in OBJECTIVES:
        raise ValueError(f"--objective {objective}: choose one of {', '.join(OBJECTIVES)}")
    if objective in ("p_goal", "months_to_goal") and spec.goal is None:
        raise ValueError(f"--objective {objective} needs a goal: add a goal (metric, target, "
                         "deadline_month) to the scenario, or optimise npv")


def _check_variables(spec: Scenario, variables: Sequence[Variable]) -> None:
    paths = [v.path for v in variables]
    if len(set(paths)) != len(paths):
        raise ValueError(f"--vary names a parameter twice: {', '.join(paths)}")
    for v in variables:
        _check_path(spec, v)
        if is_switch(spec, v.path):
            continue  # true or false, both valid
        for end in (v.low, v.high):
            bet = Bet(name=ALLOCATION, changes=[{"path": v.path, "set": end}])
            problems = check_bet(spec, bet)
            if problems:
                raise ValueError(f"--vary {v.path}={end:g}: {problems[0][1]}")


def _check_path(spec: Scenario, v: Variable) -> None:
    try:
        today_value(spec, v.path)
    except PathError as err:
        try:  # a path the YAML left at its default is valid: set_path knows the fields
            set_path(_today_raw(spec), v.path, v.low, Scenario)
        except PathError as err2:
            raise ValueError(f"--vary {err2}") from None
        raise ValueError(f"--vary {err}") from None


def _check_choices(spec: Scenario, variables: Sequence[Variable],
                   choices: Sequence[BetChoice]) -> None:
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


def _check_constraints(constraints: Constraints) -> None:
    for name in ("budget_monthly", "budget_total"):
        value = getattr(constraints, name)
        if value is not None and value <= 0:
            raise ValueError(f"--{name.replace('_monthly', '').replace('_', '-')}: a budget "
                             f"is a positive amount of money (got {value:g})")
    if not 0 <= constraints.floor_risk < 1:
        raise ValueError(f"--floor-risk {constraints.floor_risk:g}: a share in [0, 1)")
