"""The finalists told apart: the winner minus each other finalist with a paired bootstrap 95%
interval over the same replications (so the interval is of the difference itself), the
finalists that could be best, and the finalists as a `Comparison` against today's allocation.
"""

from __future__ import annotations

import numpy as np

from models.spec.scenario import Scenario
from sim.experiments.compare import BASELINE, Alternative, Comparison, nominal_cost
from sim.experiments.optimise.candidate import Evaluation, Objective
from sim.experiments.optimise.decisions import TODAY

_BOOTSTRAP = 2000


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
