"""The plan's fan and where each actual falls in it.

- `plan_fan`: the plan's Monte Carlo (its own parameter draws and streams, so it is the forecast
  `growthsim run` makes) keeping the monthly series an owner can count;
- `positions`: each actual's percentile in the fan of its month (mid-rank: ties count half),
  flagged when outside P10-P90.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.accounting.ledger import OPEN_LEAD_STATES, S
from models.accounting.metrics import monthly_metrics, run_metrics
from models.calibration.actuals import MONEY_COLUMNS, STAGES, Actuals, count_columns
from models.compiled.form import compile_scenario
from models.compiled.streams import replication_stream
from models.spec.scenario import Scenario
from sim.engines import get_engine
from sim.experiments.runner.parallel import map_tasks, resolve_workers
from sim.experiments.runner.replications import in_rounds

FLAG_LOW, FLAG_HIGH = 10.0, 90.0  # percentiles outside which a month is flagged


# -- the fan -------------------------------------------------------------------------------------

def track_series(ledger: Any, channels: list[str]) -> dict[str, np.ndarray]:
    """The monthly figures of one run an owner can count, named as the actuals' columns, plus
    what the re-forecast's starting state needs (open leads, unpaid invoices, revenue by tier)."""
    a = ledger.arrays()
    m = monthly_metrics(ledger)
    n = len(channels)
    out = {
        "leads": a["leads"][:, : n + 1].sum(axis=1),  # new leads: channels and referrals
        "leads_referral": a["leads"][:, n],
        "new_clients": m["new_clients"],
        "revenue": m["revenue"],
        "churned": m["churned"],
        "active_clients": m["active_clients"],
        "marketing": m["marketing"],
        "cumulative_profit": m["cumulative_profit"],
        "open_leads": a["state_end"][:, [s for s in OPEN_LEAD_STATES if s != S["invoiced"]]
                                     ].sum(axis=1),
        "invoiced": a["state_end"][:, S["invoiced"]],
    }
    for j, name in enumerate(channels):
        out[f"leads_{name}"] = a["leads"][:, j]
    for stage in STAGES:
        out[stage] = a["flows"][:, :, S[stage]].sum(axis=1)
    for k in range(a["revenue"].shape[1]):
        out[f"revenue_tier_{k}"] = a["revenue"][:, k, :].sum(axis=1)
        out[f"repeat_revenue_tier_{k}"] = a["revenue"][:, k, 1]
    return out


@dataclass(frozen=True)
class _Run:
    index: int
    series: dict[str, np.ndarray]
    goal_by_deadline: float


def _run_one(args: tuple[Scenario, int, dict[str, float] | None, int, str]) -> _Run:
    spec, index, values, seed, engine = args
    compiled = compile_scenario(spec, values)
    ledger = get_engine(engine)(compiled, replication_stream(seed, index))
    scalars = run_metrics(ledger, compiled)
    return _Run(index, track_series(ledger, [c.name for c in spec.channels]),
                scalars["goal_by_deadline"])


@dataclass
class Fan:
    """A Monte Carlo forecast as monthly series: metric -> (replications, months); `first_month`
    is the plan's month of column 0 (1 for the plan, last actual month + 1 for a re-forecast)."""

    series: dict[str, np.ndarray]
    goal_by_deadline: np.ndarray  # (replications,), NaN without a goal
    first_month: int = 1

    @property
    def replications(self) -> int:
        return len(self.goal_by_deadline)

    @property
    def months(self) -> np.ndarray:
        n = next(iter(self.series.values())).shape[1]
        return np.arange(self.first_month, self.first_month + n)

    def p_goal(self) -> tuple[float | None, float | None]:
        """P(goal by the deadline) and its Monte Carlo standard error (None without a goal)."""
        g = self.goal_by_deadline
        if g.size == 0 or np.isnan(g).all():
            return None, None
        p = float(np.mean(g))
        return p, math.sqrt(max(p * (1 - p), 1e-12) / g.size)

    def quantiles(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """Tidy: metric, month (the plan's), mean, p10, p50, p90."""
        rows = []
        for name in metrics or list(self.series):
            s = self.series[name]
            q = np.percentile(s, [10, 50, 90], axis=0)
            for j, month in enumerate(self.months):
                rows.append({"metric": name, "month": int(month), "mean": float(s[:, j].mean()),
                             "p10": float(q[0, j]), "p50": float(q[1, j]),
                             "p90": float(q[2, j])})
        return pd.DataFrame(rows)


def plan_fan(spec: Scenario, replications: int = 200, seed: int = 1, workers: int | None = None,
             executor: Executor | None = None, engine: str = "fast", first_month: int = 1,
             progress: Callable[[int, int], None] | None = None) -> Fan:
    """The Monte Carlo fan of `spec` (same parameter draws and streams as `run_monte_carlo`)."""
    if replications < 2:
        raise ValueError("replications must be at least 2")
    n_workers = resolve_workers(workers)
    runs: list[_Run] = []

    def run_round(first: int, draws: list[dict[str, float]]) -> None:
        tasks = [(spec, first + i, draws[i], seed, engine) for i in range(len(draws))]
        for run in map_tasks(_run_one, tasks, n_workers, executor):
            runs.append(run)
            if progress is not None:
                progress(len(runs), replications)

    in_rounds(spec, seed, replications, replications, run_round)
    runs.sort(key=lambda r: r.index)
    series = {k: np.stack([r.series[k] for r in runs]) for k in runs[0].series}
    goal = np.array([r.goal_by_deadline for r in runs], dtype=float)
    return Fan(series, goal, first_month)


# -- where each actual falls ---------------------------------------------------------------------

def tracked_columns(spec: Scenario, actuals: Actuals) -> list[str]:
    """The actuals' figures the fan has, in the file's order."""
    known = (*count_columns(spec), *MONEY_COLUMNS)
    return [c for c in actuals.frame.columns if c in known and actuals.has(c)]


def percentile_in(values: np.ndarray, x: float) -> float:
    """Mid-rank percentile of x among `values` (ties count half), 0-100."""
    below = float(np.sum(values < x))
    ties = float(np.sum(values == x))
    return 100.0 * (below + 0.5 * ties) / values.size


def positions(fan: Fan, actuals: Actuals, columns: list[str]) -> pd.DataFrame:
    """metric, month, actual, p10, p50, p90, percentile, flag ('below', 'above' or '')."""
    rows = []
    for name in columns:
        series = fan.series[name]
        for month, actual in zip(actuals.frame.index, actuals.column(name), strict=True):
            if np.isnan(actual):
                continue
            sims = series[:, month - fan.first_month]
            pct = percentile_in(sims, actual)
            q = np.percentile(sims, [10, 50, 90])
            flag = "below" if pct < FLAG_LOW else "above" if pct > FLAG_HIGH else ""
            rows.append({"metric": name, "month": int(month), "actual": float(actual),
                         "p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2]),
                         "percentile": pct, "flag": flag})
    return pd.DataFrame(rows, columns=["metric", "month", "actual", "p10", "p50", "p90",
                                       "percentile", "flag"])
