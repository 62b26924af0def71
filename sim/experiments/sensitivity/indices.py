"""Global sensitivity indices: Sobol (variance shares) and Morris (elementary effects), per
parameter and grouped by lever, stage and block of correlated parameters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.load import scenario_hash
from models.spec.scenario import Scenario
from sim.experiments.runner.parallel import resolve_workers
from sim.experiments.runner.replications import DEFAULT_ENGINE
from sim.experiments.sensitivity.correlations import correlation_blocks, impose_correlations
from sim.experiments.sensitivity.factors import (
    Distribution,
    Factor,
    UniformRange,
    factors,
    require_factors,
)
from sim.experiments.sensitivity.model import (
    Model,
    SimulationModel,
    _metrics_of,
    _points,
    evaluate,
    noise_share,
)


# -- Sobol and Morris --------------------------------------------------------------------------
@dataclass
class SensitivityResult:
    """Sobol or Morris indices per metric, per parameter and per grouping, and the simulation's
    noise share."""

    method: str  # "sobol" or "morris"
    factors: list[Factor]
    n: int
    replications: int
    seed: int
    indices: dict[str, pd.DataFrame]  # metric -> one row per factor
    groups: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)  # by -> metric -> df
    noise: dict[str, float] = field(default_factory=dict)  # metric -> noise share
    runs: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What sensitivity.json holds: per metric each parameter's S1, ST and their 95%
        intervals (Sobol) or mu*, sigma (Morris), the grouped indices, and the noise share."""
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            rows = df.astype(object).where(df.notna(), None).to_dict(orient="records")
            return [{str(k): v for k, v in row.items()} for row in rows]

        return {
            "provenance": {**self.provenance, "method": self.method, "n": self.n,
                           "replications_per_point": self.replications, "seed": self.seed,
                           "runs": self.runs, "seconds": self.seconds},
            "factors": [{"path": f.path, "lever": f.lever, "stage": f.stage,
                         "distribution": _describe_dist(f.dist)} for f in self.factors],
            "metrics": {m: {"parameters": records(df), "noise_share": self.noise.get(m),
                            "groups": {by: records(g[m]) for by, g in self.groups.items()
                                       if m in g}}
                        for m, df in self.indices.items()},
            "notes": self.notes,
        }

    def frame(self) -> pd.DataFrame:
        """Every index in one tidy table (metric, by, name, columns of the method)."""
        frames = [df.assign(metric=m, by="parameter") for m, df in self.indices.items()]
        for by, per_metric in self.groups.items():
            frames += [df.assign(metric=m, by=by) for m, df in per_metric.items()]
        return pd.concat(frames, ignore_index=True)


def _describe_dist(dist: Distribution) -> Any:
    if isinstance(dist, UniformRange):
        return {"dist": "uniform", "low": dist.low, "high": dist.high}
    dump = getattr(dist, "model_dump", None)
    return dump() if callable(dump) else repr(dist)


def _problem(names: Sequence[str], groups: Sequence[str] | None = None) -> dict[str, Any]:
    problem: dict[str, Any] = {"num_vars": len(names), "names": list(names),
                               "bounds": [[0.0, 1.0]] * len(names)}
    if groups is not None:
        problem["groups"] = list(groups)
    return problem


def _provenance(spec: Scenario | None, engine: str) -> dict[str, Any]:
    if spec is None:
        return {"scenario": None, "engine": None}
    return {"scenario": spec.name, "scenario_hash": scenario_hash(spec), "engine": engine}


def _notes(spec: Scenario | None, fs: Sequence[Factor]) -> list[str]:
    notes = []
    if spec is not None and spec.uncertainty.correlations:
        notes.append("correlations_ignored")
    if spec is not None and spec.goal is None:
        notes.append("no_goal")
    return notes


@dataclass
class _Plan:
    """Every sample of an analysis (per parameter, then each grouping), so that progress
    counts the runs of all of them: (done so far, total)."""

    progress: Callable[[int, int], None] | None
    total: int
    done: int = 0

    def step(self, runs: int) -> Callable[[int, int], None] | None:
        if self.progress is None:
            return None
        offset, outer = self.done, self.progress
        self.done += runs
        return lambda k, _n: outer(offset + k, self.total)


def _groupings(spec: Scenario | None, fs: Sequence[Factor],
               groups: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(by, each factor's label) for each grouping asked for; "block" only when some factors
    are correlated (else it repeats the per-parameter indices)."""
    out = []
    for by in groups:
        if by == "block":
            labels, _ = correlation_blocks(spec, fs)
            if len(set(labels)) == len(labels):
                continue
        elif by in ("lever", "stage"):
            labels = [getattr(f, by) for f in fs]
        else:
            raise ValueError(f"group by lever, stage or block, got {by!r}")
        out.append((by, labels))
    return out


def sobol(
    spec: Scenario | None = None,
    n: int = 256,
    *,
    replications: int = 2,
    seed: int = 1,
    ranges: Sequence[tuple[str, float, float]] = (),
    only: Sequence[str] | None = None,
    groups: Sequence[str] = ("lever", "stage", "block"),
    model: Model | None = None,
    factor_list: Sequence[Factor] | None = None,
    metrics: Sequence[str] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    engine: str = DEFAULT_ENGINE,
    progress: Callable[[int, int], None] | None = None,
    resamples: int = 200,
) -> SensitivityResult:
    """Sobol indices: which assumptions carry the plan's variance.

    First-order (S1) and total (ST) indices with 95% bootstrap intervals, from Saltelli's sampling
    (N x (k + 2) points, `n` a power of 2), of each metric; then the same by group (SALib's groups,
    each its own sample of N x (g + 2) points). "block" (only when some factors are correlated):
    each set of correlated parameters one group, its correlations imposed (see
    `sim.experiments.sensitivity`).

    Parameters
    ----------
    spec : Scenario, optional
        The scenario (None: `model` and `factor_list` say what is analysed).
    n : int
        Base sample N, a power of 2.
    replications : int
        Replications per sample point (2 or more measure the simulation's noise).
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    ranges : sequence of (path, low, high)
        Parameters also varied uniformly between their ends.
    only : sequence of str, optional
        Keep these parameters only.
    groups : sequence of str
        Groupings: "lever", "stage", "block".
    model : callable, optional
        ``model(values, replication) -> {metric: value}`` instead of the simulation.
    factor_list : sequence of Factor, optional
        The factors instead of the scenario's.
    metrics : sequence of str, optional
        The outputs analysed (None: NPV, months to goal and profit).
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the runs go instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    progress : callable, optional
        ``progress(done, total)``, counting the runs of every sample.
    resamples : int
        Bootstrap resamples of the intervals.

    Returns
    -------
    SensitivityResult
        Per metric, the indices per parameter and per grouping, and the noise share.

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> sim.sensitivity.sobol(spec, n=8, replications=1)  # doctest: +SKIP
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if n < 2 or n & (n - 1):
        raise ValueError(f"--n must be a power of 2 (Sobol sequences), e.g. 256; got {n}")
    if replications < 1:
        raise ValueError("replications per point must be at least 1")
    fs, model, ms = _setup(spec, ranges, only, model, factor_list, metrics, seed, engine)
    n_workers = resolve_workers(workers)
    start = time.perf_counter()
    result = SensitivityResult("sobol", fs, n, replications, seed, {},
                               provenance=_provenance(spec, engine), notes=_notes(spec, fs))
    grouped = [(by, labels) for by, labels in _groupings(spec, fs, groups)
               if len(set(labels)) > 1]
    plan = _Plan(progress, sum(n * (g + 2) * replications for g in
                               [len(fs)] + [len(set(labels)) for _, labels in grouped]))
    _, target = correlation_blocks(spec, fs)

    def analyse(names: list[str], group_of: list[str] | None,
                correlated: bool = False) -> dict[str, pd.DataFrame]:
        problem = _problem([f.path for f in fs], group_of)
        u = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
        if correlated and group_of is not None:
            u = impose_correlations(u, target, group_of)
        y = evaluate(model, _points(fs, u), replications, ms, n_workers, executor,
                     plan.step(u.shape[0] * replications))
        result.runs += u.shape[0] * replications
        out = {}
        for m in ms:
            if group_of is None:
                result.noise[m] = noise_share(y[m])
            mean = y[m].mean(axis=1)
            if np.ptp(mean) == 0:  # nothing moves the output: no variance to apportion
                out[m] = pd.DataFrame({"name": names, "S1": 0.0, "S1_low": 0.0, "S1_high": 0.0,
                                       "ST": 0.0, "ST_low": 0.0, "ST_high": 0.0})
                continue
            si = sobol_analyze.analyze(problem, mean, calc_second_order=False,
                                       num_resamples=resamples, seed=seed)
            s1, s1c, st, stc = (np.asarray(si[k]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
            out[m] = pd.DataFrame({"name": names, "S1": s1, "S1_low": s1 - s1c,
                                   "S1_high": s1 + s1c, "ST": st, "ST_low": st - stc,
                                   "ST_high": st + stc})
        return out

    result.indices = analyse([f.path for f in fs], None)
    for by, labels in _groupings(spec, fs, groups):
        names = list(dict.fromkeys(labels))
        if len(names) > 1:
            result.groups[by] = analyse(names, labels, correlated=by == "block")
        else:  # one group holds everything: its index is 1 by definition
            result.groups[by] = {m: pd.DataFrame({"name": names, "S1": 1.0, "S1_low": 1.0,
                                                  "S1_high": 1.0, "ST": 1.0, "ST_low": 1.0,
                                                  "ST_high": 1.0}) for m in ms}
    if "block" in result.groups:
        result.notes.append("correlations_in_blocks")
    result.seconds = time.perf_counter() - start
    return result


def morris(
    spec: Scenario | None = None,
    n: int = 20,
    *,
    replications: int = 2,
    seed: int = 1,
    ranges: Sequence[tuple[str, float, float]] = (),
    only: Sequence[str] | None = None,
    levels: int = 4,
    groups: Sequence[str] = ("lever", "stage"),
    model: Model | None = None,
    factor_list: Sequence[Factor] | None = None,
    metrics: Sequence[str] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    engine: str = DEFAULT_ENGINE,
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Morris's elementary effects: a cheap screen of which assumptions matter.

    `n` trajectories of k + 1 points each; per factor mu* (mean absolute effect, with its 95%
    interval) and sigma (spread: interactions or non-linearity), effects measured per unit of the
    factor's quantile (0 to 1). Then the same by group (each trajectory moves a whole group at a
    time, n x (g + 1) points): mu* of a group is the mean absolute effect of moving all its
    parameters at once, each up or down at random (Campolongo et al. 2007); SALib gives sigma for
    one-member groups only (NaN for the others).

    Parameters
    ----------
    spec : Scenario, optional
        The scenario (None: `model` and `factor_list` say what is analysed).
    n : int
        Trajectories.
    replications : int
        Replications per sample point.
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    ranges : sequence of (path, low, high)
        Parameters also varied uniformly between their ends.
    only : sequence of str, optional
        Keep these parameters only.
    levels : int
        Levels of Morris's grid.
    groups : sequence of str
        Groupings: "lever", "stage".
    model : callable, optional
        ``model(values, replication) -> {metric: value}`` instead of the simulation.
    factor_list : sequence of Factor, optional
        The factors instead of the scenario's.
    metrics : sequence of str, optional
        The outputs analysed (None: NPV, months to goal and profit).
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the runs go instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    progress : callable, optional
        ``progress(done, total)``, counting the runs of every sample.

    Returns
    -------
    SensitivityResult
        Per metric, mu* and sigma per parameter and per grouping, and the noise share.

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> sim.sensitivity.morris(spec, n=4, replications=1)  # doctest: +SKIP
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if n < 2:
        raise ValueError(f"--n (trajectories) must be at least 2, got {n}")
    fs, model, ms = _setup(spec, ranges, only, model, factor_list, metrics, seed, engine)
    start = time.perf_counter()
    n_workers = resolve_workers(workers)
    # Morris moves one group at a time through the independent quantiles: the copula of the
    # "block" grouping would move the other members of a block too, so it is Sobol's only.
    grouped = [(by, labels) for by, labels in _groupings(spec, fs, groups)
               if by != "block" and len(set(labels)) > 1]
    plan = _Plan(progress, sum(n * (g + 1) * replications for g in
                               [len(fs)] + [len(set(labels)) for _, labels in grouped]))
    result = SensitivityResult("morris", fs, n, replications, seed, {},
                               provenance=_provenance(spec, engine), notes=_notes(spec, fs))

    def analyse(names: list[str], group_of: list[str] | None) -> dict[str, pd.DataFrame]:
        problem = _problem([f.path for f in fs], group_of)
        u = morris_sample.sample(problem, n, num_levels=levels, seed=seed)
        y = evaluate(model, _points(fs, u), replications, ms, n_workers, executor,
                     plan.step(u.shape[0] * replications))
        result.runs += u.shape[0] * replications
        out = {}
        for m in ms:
            if group_of is None:
                result.noise[m] = noise_share(y[m])
            si = morris_analyze.analyze(problem, u, y[m].mean(axis=1), num_levels=levels,
                                        seed=seed)
            mu_star, conf = np.asarray(si["mu_star"]), np.asarray(si["mu_star_conf"])
            out[m] = pd.DataFrame({
                "name": names, "mu_star": mu_star, "mu_star_low": mu_star - conf,
                "mu_star_high": mu_star + conf, "mu": np.asarray(si["mu"], dtype=float),
                "sigma": np.asarray(si["sigma"], dtype=float)}).sort_values(
                    "mu_star", ascending=False, ignore_index=True)
        return out

    result.indices = analyse([f.path for f in fs], None)
    for by, labels in grouped:
        result.groups[by] = analyse(list(dict.fromkeys(labels)), labels)
    result.seconds = time.perf_counter() - start
    return result


def _setup(spec: Scenario | None, ranges: Sequence[tuple[str, float, float]],
           only: Sequence[str] | None, model: Model | None,
           factor_list: Sequence[Factor] | None, metrics: Sequence[str] | None, seed: int,
           engine: str) -> tuple[list[Factor], Model, list[str]]:
    if factor_list is not None:
        fs = list(factor_list)
    elif spec is not None:
        fs = factors(spec, ranges, only)
    else:
        raise ValueError("give a scenario or the factors")
    require_factors(fs)
    if model is None:
        if spec is None:
            raise ValueError("give a scenario or a model")
        model = SimulationModel(spec, seed, engine)
    return fs, model, _metrics_of(model, metrics)


def grouping_names(spec: Scenario, method: str = "sobol",
                   ranges: Sequence[tuple[str, float, float]] = ()) -> list[str]:
    """The groupings `sobol` or `morris` (default groups) computes on the scenario: those with
    more than one group ("block" only when some parameters are correlated, and Sobol's only)."""
    chosen = ("lever", "stage", "block") if method == "sobol" else ("lever", "stage")
    return [by for by, labels in _groupings(spec, factors(spec, ranges), chosen)
            if len(set(labels)) > 1]


def planned_runs(spec: Scenario, method: str = "sobol", n: int = 256, replications: int = 2,
                 groups: Sequence[str] | None = None,
                 ranges: Sequence[tuple[str, float, float]] = ()) -> int:
    """How many runs `sobol` or `morris` (default groups) takes on the scenario: every sample,
    every grouping (a progress bar's total, a cost shown before running)."""
    fs = factors(spec, ranges)
    chosen = groups if groups is not None else (
        ("lever", "stage", "block") if method == "sobol" else ("lever", "stage"))
    sizes = [len(fs)] + [len(set(labels)) for by, labels in _groupings(spec, fs, chosen)
                         if len(set(labels)) > 1 and not (method == "morris" and by == "block")]
    return sum(n * (k + (2 if method == "sobol" else 1)) * replications for k in sizes)
