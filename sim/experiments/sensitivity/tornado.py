"""The tornado: each factor at its P10 and P90 with the others at their medians, on common random
numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.spec.scenario import Scenario
from sim.experiments.runner.parallel import resolve_workers
from sim.experiments.runner.replications import DEFAULT_ENGINE
from sim.experiments.sensitivity.factors import (
    Factor,
)
from sim.experiments.sensitivity.indices import _provenance, _setup
from sim.experiments.sensitivity.model import (
    Model,
    evaluate,
)


# -- tornado -----------------------------------------------------------------------------------
@dataclass
class Tornado:
    """Each factor at its P10 and P90 with the others at their medians, on common random
    numbers: per metric, one row per factor sorted by swing (largest first)."""

    table: dict[str, pd.DataFrame]  # metric -> factor, low_value, high_value, at_p10, at_p90,
    #                                  swing, base
    replications: int
    seed: int
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What the tornado's part of sensitivity.json holds."""
        return {"provenance": {**self.provenance, "replications": self.replications,
                               "seed": self.seed},
                "metrics": {m: df.to_dict(orient="records") for m, df in self.table.items()}}


def tornado(
    spec: Scenario | None = None,
    *,
    replications: int = 10,
    seed: int = 1,
    ranges: Sequence[tuple[str, float, float]] = (),
    only: Sequence[str] | None = None,
    model: Model | None = None,
    factor_list: Sequence[Factor] | None = None,
    metrics: Sequence[str] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    engine: str = DEFAULT_ENGINE,
    low: float = 0.1,
    high: float = 0.9,
    progress: Callable[[int, int], None] | None = None,
) -> Tornado:
    """The tornado: each factor at its P10 and P90, the others at their medians.

    On common random numbers: every point runs the same replications, so the swings are paired.

    Parameters
    ----------
    spec : Scenario, optional
        The scenario (None: `model` and `factor_list` say what is analysed).
    replications : int
        Replications per point (the same at every point: the swings are paired).
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    ranges : sequence of (path, low, high)
        Parameters also varied uniformly between their ends.
    only : sequence of str, optional
        Keep these parameters only.
    model : callable, optional
        ``model(values, replication) -> {metric: value}`` instead of the simulation.
    factor_list : sequence of Factor, optional
        The factors instead of the scenario's.
    metrics : sequence of str, optional
        The outputs (None: NPV, months to goal and profit).
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the replications run instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    low, high : float
        The quantiles each factor is set to.
    progress : callable, optional
        ``progress(done, total)``, called as runs finish.

    Returns
    -------
    Tornado
        Per metric, one row per factor sorted by swing (largest first).

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> sim.sensitivity.tornado(spec, replications=4).table["npv_profit"]  # doctest: +SKIP
    """
    fs, model, ms = _setup(spec, ranges, only, model, factor_list, metrics, seed, engine)
    median = {f.path: f.value(0.5) for f in fs}
    points = [median]
    for f in fs:
        points += [{**median, f.path: f.value(low)}, {**median, f.path: f.value(high)}]
    y = evaluate(model, points, replications, ms, resolve_workers(workers), executor,
                 progress)
    table = {}
    for m in ms:
        mean = y[m].mean(axis=1)  # the same replications at every point: paired
        rows = [{"factor": f.path, "lever": f.lever, "low_value": f.value(low),
                 "high_value": f.value(high), "at_low": float(mean[1 + 2 * j]),
                 "at_high": float(mean[2 + 2 * j]),
                 "swing": abs(float(mean[2 + 2 * j] - mean[1 + 2 * j])),
                 "base": float(mean[0])} for j, f in enumerate(fs)]
        table[m] = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable",
                                                  ignore_index=True)
    return Tornado(table, replications, seed, _provenance(spec, engine))
