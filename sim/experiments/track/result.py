"""Plan vs actual in one call (`track`) and its result (`TrackResult`); actuals as the engine makes
them (`simulated_actuals`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.calibration.actuals import MONEY_COLUMNS, Actuals, count_columns
from models.spec.scenario import Scenario
from sim.engines import DEFAULT_ENGINE
from sim.experiments.track.fan import (
    Fan,
    _run_one,
    plan_fan,
    positions,
    tracked_columns,
)
from sim.experiments.track.rates import Rate, journey_rates
from sim.experiments.track.reforecast import reforecast_scenario

# -- all of it -----------------------------------------------------------------------------------

@dataclass
class TrackResult:
    """Plan vs actual and the re-forecast: the plan's fan, where each actual falls in it
    (`positions`, `flagged()`), the journey's rates with their posterior intervals, the
    re-forecast's scenario and fan, and (with `bet_replications`) the bets on both."""

    spec: Scenario
    actuals: Actuals
    plan: Fan
    positions: pd.DataFrame
    rates: list[Rate]
    reforecast_spec: Scenario
    reforecast: Fan
    seed: int
    engine: str
    seconds: float
    bets_plan: Any = None  # Comparison of the plan's bets, or None
    bets_now: Any = None  # Comparison of the bets on the re-forecast, or None
    notes: list[str] = field(default_factory=list)

    @property
    def months(self) -> int:
        """How many months of actuals there are."""
        return self.actuals.months

    def flagged(self) -> pd.DataFrame:
        """The actuals outside the plan's P10-P90 in their month."""
        return self.positions[self.positions["flag"] != ""]

    def to_dict(self) -> dict[str, Any]:
        """What track.json holds."""
        from models.load import scenario_hash

        p_plan, se_plan = self.plan.p_goal()
        p_now, se_now = self.reforecast.p_goal()
        goal = self.spec.goal
        doc: dict[str, Any] = {
            "provenance": {"scenario": self.spec.name, "scenario_hash": scenario_hash(self.spec),
                           "actuals": self.actuals.source, "actual_months": self.months,
                           "seed": self.seed, "replications": self.plan.replications,
                           "engine": self.engine, "seconds": self.seconds},
            "goal": None if goal is None else {
                "metric": goal.metric, "target": goal.target, "deadline_month": goal.deadline_month,
                "p_plan": p_plan, "p_plan_se": se_plan, "p_now": p_now, "p_now_se": se_now},
            "flagged": self.flagged().to_dict(orient="records"),
            "positions": self.positions.to_dict(orient="records"),
            "rates": [r.to_dict() for r in self.rates],
            "reforecast_scenario": self.reforecast_spec.model_dump(mode="json", by_alias=True,
                                                                   exclude_none=True),
            "notes": self.notes,
        }
        for key, cmp in (("bets_plan", self.bets_plan), ("bets_now", self.bets_now)):
            if cmp is not None:
                doc[key] = cmp.to_dict()
        return doc

    def fans(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """Plan and re-forecast quantiles in one tidy table (column `forecast`)."""
        plan = self.plan.quantiles(metrics).assign(forecast="plan")
        now = self.reforecast.quantiles(
            [m for m in (metrics or list(self.reforecast.series))
             if m in self.reforecast.series]).assign(forecast="reforecast")
        return pd.concat([plan, now], ignore_index=True)


def track(spec: Scenario, actuals: Actuals, *, replications: int = 200, seed: int = 1,
          workers: int | None = None, executor: Executor | None = None,
          engine: str = DEFAULT_ENGINE, bet_replications: int = 0,
          progress: Callable[[int, int], None] | None = None,
          plan: Fan | None = None) -> TrackResult:
    """Compare the actuals with the plan and re-forecast from where the business is now.

    Each actual's percentile in the plan's fan, the journey's rates the actuals inform with their
    posterior intervals, and the re-forecast (see `sim.experiments.track`).

    Parameters
    ----------
    spec : Scenario
        The plan.
    actuals : Actuals
        The business's monthly actuals (`sim.read_actuals`).
    replications : int
        Replications of the plan's fan and of the re-forecast's.
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the replications run instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    bet_replications : int
        Above 0: also compare the scenario's bets on the plan and on the re-forecast, with this
        many replications each.
    progress : callable, optional
        ``progress(done, total)``, called as replications finish.
    plan : Fan, optional
        The plan's fan if already made (`plan_fan`), so that several actuals files are tracked
        against one plan without running it again.

    Returns
    -------
    TrackResult
        The positions (`flagged()`), the rates, the re-forecast's scenario and fan.

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> actuals = sim.read_actuals("scenarios/data/b2b_services_actuals.csv", spec)
    >>> sim.track(spec, actuals, replications=50, seed=1).flagged()  # doctest: +SKIP
    """
    start = time.perf_counter()
    steps = 2 * replications
    done = [0]

    def step(offset: int) -> Callable[[int, int], None]:
        def report(k: int, _total: int) -> None:
            done[0] = offset + k
            if progress is not None:
                progress(done[0], steps)
        return report

    if plan is None:
        plan = plan_fan(spec, replications, seed, workers, executor, engine, 1, step(0))
    columns = tracked_columns(spec, actuals)
    pos = positions(plan, actuals, columns)
    rates = journey_rates(spec, plan, actuals)
    new_spec = reforecast_scenario(spec, plan, actuals, rates)
    now = plan_fan(new_spec, plan.replications, seed, workers, executor, engine,
                   actuals.months + 1, step(replications))
    result = TrackResult(spec, actuals, plan, pos, rates, new_spec, now, seed, engine, 0.0)
    if spec.goal is not None and spec.goal.deadline_month <= actuals.months:
        result.notes.append("deadline_passed")
    if bet_replications >= 2 and new_spec.bets:
        from sim.experiments.compare import compare_bets

        result.bets_plan = compare_bets(spec, None, replications=bet_replications, seed=seed,
                                        workers=workers,
                                        executor=executor, engine=engine)
        result.bets_now = compare_bets(new_spec, None, replications=bet_replications, seed=seed,
                                       workers=workers,
                                       executor=executor, engine=engine)
    result.seconds = time.perf_counter() - start
    return result


def simulated_actuals(spec: Scenario, months: int, seed: int, engine: str = DEFAULT_ENGINE,
                      columns: list[str] | None = None, values: dict[str, float] | None = None,
                      index: int = 0) -> pd.DataFrame:
    """Actuals as the engine makes them: one run of `spec` (uncertain parameters at their means
    unless `values` gives them) on stream `index` of `seed`, its first `months` months, as the
    table of an actuals file (for tests, and how the example's file was made)."""
    run = _run_one((spec, index, values, seed, engine))
    names = columns or [c for c in (*count_columns(spec), *MONEY_COLUMNS) if c != "leads"]
    frame = pd.DataFrame({name: run.series[name][:months] for name in names})
    frame.insert(0, "month", np.arange(1, months + 1))
    money = [c for c in names if c in MONEY_COLUMNS]
    frame[money] = frame[money].round(0)
    return frame
