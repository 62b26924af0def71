"""The goal, worked out once: its monthly series, the month it is reached, and whether that is by
the deadline. Every other place (run metrics, Monte Carlo's precision, comparisons, goal seek,
reports) calls these.

A goal is a metric, a target and a 1-based deadline month (spec `Goal`, compiled `Goal`): it is
reached in the first month whose value of the metric's monthly series is at least the target.
A run that never reaches it has no month (NaN); where runs are ranked by speed, "never" counts as
later than any month of the horizon (`month_or_never`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

import numpy as np

# The monthly series each goal metric is read from (`models.accounting.metrics.monthly_metrics`).
GOAL_SERIES = {
    "monthly_revenue": "revenue",
    "monthly_profit": "profit",
    "active_clients": "active_clients",
    "recurring_revenue": "recurring_revenue",
    "cumulative_profit": "cumulative_profit",
}
# Without a goal, a run is judged by what it earned: cumulative profit at the horizon.
NO_GOAL_SERIES = "cumulative_profit"


class GoalLike(Protocol):
    @property
    def metric(self) -> str: ...
    @property
    def target(self) -> float: ...
    @property
    def deadline_month(self) -> int: ...


def goal_series(monthly: Mapping[str, np.ndarray], goal: GoalLike) -> np.ndarray:
    """The goal's monthly series (of one run, or of many: replications x months)."""
    return monthly[GOAL_SERIES[goal.metric]]


def month_reached(series: np.ndarray, target: float) -> float:
    """First 1-based month whose value reaches the target; NaN if none does."""
    hits = np.flatnonzero(series >= target)
    return float(hits[0] + 1) if hits.size else math.nan


def reached_by_deadline(month: float, goal: GoalLike) -> float:
    """1.0 if the goal was reached by its deadline, else 0.0 (never reached: 0.0)."""
    return float(month <= goal.deadline_month)


def value_at_deadline(monthly: Mapping[str, np.ndarray], goal: GoalLike | None) -> np.ndarray:
    """The goal metric at the goal's deadline, per replication (replications x months in), in the
    goal's units; without a goal, cumulative profit at the horizon."""
    if goal is None:
        return monthly[NO_GOAL_SERIES][:, -1]
    return goal_series(monthly, goal)[:, goal.deadline_month - 1]


def never_reached(horizon_months: int) -> int:
    """The month a goal never reached within the horizon counts as in paired differences and
    averages: one past the horizon's last month, later than any month (so a bet that makes the
    goal reachable is credited, not dropped)."""
    return horizon_months + 1


def month_or_never(months: np.ndarray, never: float) -> np.ndarray:
    """Months to goal with 'never reached' (NaN) counted as `never` (`never_reached(horizon)`
    for paired differences, inf for ranking)."""
    return np.where(np.isnan(months), never, months)
