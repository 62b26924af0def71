"""What the optimiser found (`OptimisationResult`): the finalists ranked on fresh replications,
the winner's separation from the runner-up, the recommendation's interval, and the one-step
moves of the winner (`Marginal`); its tables and what optimise.json holds.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.spec.scenario import Scenario
from sim.experiments.compare import BASELINE, Comparison
from sim.experiments.optimise.candidate import Evaluation, Objective
from sim.experiments.optimise.decisions import TODAY, BetChoice, Constraints, Variable
from sim.experiments.runner.statistics import (
    describe_time_to_goal,
    lhs_standard_error,
    proportion_ci,
    t_critical,
)


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
    """What the optimiser found: the finalists ranked on fresh replications, the recommendation
    with its interval, and the one-step moves of the winner."""

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
        """The recommended allocation's run (the first finalist)."""
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
        """The second finalist's name (None: a single finalist)."""
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
        """The one-step moves of the winner, those that cost money by their return on it first."""
        frame = pd.DataFrame([m.__dict__ for m in self.marginals])
        if frame.empty:
            return frame
        # steps that cost money by their return on it, then transfers by their change of NPV
        order = frame["npv_per_money"].astype(float).fillna(-math.inf).to_numpy()
        moved = np.where(frame["target"].isna(), 0.0, frame["npv"].astype(float).to_numpy())
        ranked = np.lexsort((-moved, -order))
        return frame.iloc[ranked].reset_index(drop=True)

    def provenance(self) -> dict[str, Any]:
        """What was run: the scenario and its hash, the seed, the engine, the replications."""
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
