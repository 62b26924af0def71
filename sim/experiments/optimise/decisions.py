"""What the optimiser decides: the decision variables (`Variable`: numeric parameter paths with
bounds and steps), the bets switched on or off and sized (`BetChoice`), the budgets and cash
floor (`Constraints`), what is decided when nothing is said, and the grid the values live on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.compiled.form import point_values, realise
from models.compiled.units import is_whole_number, whole_number
from models.spec.paths import get_value
from models.spec.scenario import Bet, Scenario

ALLOCATION = "optimiser_allocation"  # the name of the bet that sets an allocation's values
TODAY = "today"
OBJECTIVES = ("p_goal", "months_to_goal", "npv", "npv_quantile", "cvar")


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
        """Is the bet sized within a range as well as switched on or off?"""
        return self.low is not None and self.high is not None


@dataclass(frozen=True)
class Constraints:
    """The budgets of the spend the owner decides, and the cash floor with its allowed risk."""

    budget_monthly: float | None = None  # decided spend in any month at most this
    budget_total: float | None = None  # decided spend over the horizon at most this
    cash_floor: float | None = None  # cumulative profit never below this ...
    floor_risk: float = 0.1  # ... in at least 1 - floor_risk of the replications


Allocation = dict[str, float]  # variable path -> value; "bet:NAME" -> 0/1; "size:NAME" -> size


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
