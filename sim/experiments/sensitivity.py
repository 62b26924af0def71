"""Which assumptions carry a plan: global sensitivity (Sobol, Morris) and the tornado.

Factors are the scenario's uncertain parameters (their distributions) and any parameter given a
range (uniform between its ends). Each factor is sampled on the unit interval and mapped through
its distribution's quantile function, so SALib only ever sees independent U(0, 1) inputs.

Correlations. Sobol's decomposition of the variance into one share per input holds for
independent inputs only; with correlated ones a parameter's "share" mixes its own effect with
its partners'. So the per-parameter, lever and stage indices are computed on independent inputs
(the scenario's correlations switched off; `notes` says "correlations_ignored") and read as
"what each assumption would carry if the assumptions were unrelated". Beside them, when the
scenario correlates some of the analysed parameters, the "block" grouping puts each set of
correlated parameters (a connected component of the correlation graph) in one group and imposes
the correlations inside each group (a Gaussian copula with the scenario's rank correlations,
as `models.compiled.sampling` does for Monte Carlo): the groups are then independent of one
another, so their indices are exact Sobol indices of the plan as the scenario describes it,
correlations included (Jacques et al. 2006, "Sensitivity analysis in presence of model
uncertainty and correlated inputs"). The note "correlations_in_blocks" says so.

Common random numbers. A sensitivity run is a set of (sample point, replication) tasks; the
engine's stream of replication r is the same at every sample point
(`models.compiled.streams.replication_stream(seed, r)`), so two points differ by their
parameters, not by their luck. The indices are computed on the mean over replications of each
point; the simulation's own noise is reported beside them as

    noise share = mean over points of the within-point variance / total variance

(the total over every (point, replication) output). A noise share near 1 says the indices
describe noise: add replications or widen the ranges.

Months to goal: a run that never reaches the goal counts as horizon + 1 (later than any month),
as in paired comparisons, so the index credits a parameter that makes the goal reachable.

A model function `model(values, replication) -> {metric: value}` may replace the simulation
(analytic cases in the tests, a surrogate); the default is `SimulationModel`.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pydantic import ValidationError
from scipy import stats

from models.accounting.goal import month_or_never
from models.compiled.form import CompiledScenario, compile_scenario, point_values, realise
from models.compiled.sampling import normal_score_correlation, uncertain_parameters
from models.load import scenario_hash
from models.spec.errors import Message
from models.spec.fields import NO_LEVER
from models.spec.fields import lever_of as lever_of
from models.spec.fields import stage_of as stage_of
from models.spec.paths import PathError, get_value, set_path
from models.spec.scenario import Scenario
from sim.experiments.parallel import map_tasks, resolve_workers
from sim.experiments.replications import DEFAULT_ENGINE, run_compiled

METRICS = ("npv_profit", "time_to_goal", "total_profit")
# A factor's lever and stage are its field's, declared in the spec (`models.spec.fields`);
# `OTHER` is neither one of the four levers nor a stage: costs and the scenario's settings.
OTHER = NO_LEVER
_EDGE = 1e-6  # quantiles are taken inside (0, 1): an unbounded distribution has no 0 or 1


class Distribution(Protocol):
    def ppf(self, u: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class UniformRange:
    """A parameter given a range on the command line: uniform between its ends."""

    low: float
    high: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)


@dataclass(frozen=True)
class Factor:
    path: str
    dist: Distribution
    lever: str
    stage: str

    def value(self, u: float) -> float:
        return float(self.dist.ppf(np.array([min(max(u, _EDGE), 1 - _EDGE)]))[0])


def parse_range(text: str) -> tuple[str, float, float]:
    """`path=low:high` (the `--range` option) as (path, low, high)."""
    path, sep, span = text.partition("=")
    low_text, colon, high_text = span.partition(":")
    try:
        if not (sep and colon and path.strip()):
            raise ValueError
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ValueError(f"--range {text!r}: write path=low:high, e.g. "
                         "--range sales.managers=3:6") from None
    if not high > low:
        raise ValueError(f"--range {text!r}: the high end must be above the low end")
    return path.strip(), low, high


def _check_range(spec: Scenario, path: str, low: float, high: float) -> None:
    """A range's path must name a parameter and both ends must be valid values of it."""
    raw = realise(spec, point_values(spec)).model_dump(by_alias=True)
    try:
        get_value(raw, path)
    except PathError:
        set_path(raw, path, low, Scenario)  # raises the error naming the unknown part
        raise ValueError(f"{path}: not a parameter of this scenario") from None
    for end in (low, high):
        trial = realise(spec, point_values(spec)).model_dump(by_alias=True)
        set_path(trial, path, end, Scenario)
        try:
            Scenario.model_validate(trial)
        except ValidationError as err:
            msg = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            raise ValueError(f"--range {path}: {end:g} is not a valid value ({msg}); narrow "
                             "the range") from None


def factors(spec: Scenario, ranges: Sequence[tuple[str, float, float]] = (),
            only: Sequence[str] | None = None) -> list[Factor]:
    """Every uncertain parameter of the scenario, then each ranged one (a range given for an
    uncertain parameter replaces its distribution). `only`: keep these paths."""
    ranged = {path: UniformRange(low, high) for path, low, high in ranges}
    for path, low, high in ranges:
        _check_range(spec, path, low, high)
    out: list[Factor] = []
    for path, dist in uncertain_parameters(spec):
        chosen: Distribution = ranged.pop(path, dist)
        out.append(Factor(path, chosen, lever_of(path), stage_of(path)))
    out += [Factor(path, d, lever_of(path), stage_of(path)) for path, d in ranged.items()]
    if only is not None:
        known = {f.path for f in out}
        missing = [p for p in only if p not in known]
        if missing:
            raise ValueError(f"not an uncertain or ranged parameter: {', '.join(missing)}; "
                             f"these are: {', '.join(sorted(known)) or '(none)'}")
        out = [f for f in out if f.path in only]
    return out


# -- the model: values -> outputs --------------------------------------------------------------
Model = Callable[[dict[str, float], int], dict[str, float]]


# Per process: the last points compiled (compiling is deterministic, so a kept one is the one
# that would be compiled again).
_COMPILED: OrderedDict[tuple[str, tuple[tuple[str, float], ...]], CompiledScenario] = (
    OrderedDict())
_COMPILED_KEPT = 8


@dataclass(frozen=True)
class SimulationModel:
    """The scenario simulated at a parameter point: replication `r` on the engine stream of
    (seed, r), whatever the point (common random numbers). Picklable, for process pools."""

    spec: Scenario
    seed: int = 1
    engine: str = DEFAULT_ENGINE

    @cached_property
    def _hash(self) -> str:
        return scenario_hash(self.spec)

    def compiled(self, values: dict[str, float]) -> CompiledScenario:
        """The scenario compiled at a point, kept for the point's next replications (a point's
        tasks come one after another; compiling costs about as much as a fast-engine run)."""
        key = (self._hash, tuple(sorted(values.items())))
        found = _COMPILED.get(key)
        if found is None:
            found = compile_scenario(self.spec, {**point_values(self.spec), **values})
            _COMPILED[key] = found
            while len(_COMPILED) > _COMPILED_KEPT:
                _COMPILED.popitem(last=False)
        return found

    def __call__(self, values: dict[str, float], replication: int) -> dict[str, float]:
        scalars = run_compiled(self.compiled(values), replication, self.seed,
                               self.engine).scalars
        never = self.spec.horizon_months + 1
        out = {m: float(scalars[m]) for m in METRICS}
        out["time_to_goal"] = float(month_or_never(np.array([scalars["time_to_goal"]]),
                                                   never)[0])
        out["goal_by_deadline"] = float(scalars["goal_by_deadline"])
        return out


Task = tuple[Model, dict[str, float], int]


def _run_task(task: Task) -> dict[str, float]:
    model, values, replication = task
    return model(values, replication)


def evaluate(model: Model, points: Sequence[dict[str, float]], replications: int,
             metrics: Sequence[str], workers: int = 1, executor: Executor | None = None,
             progress: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
    """Every point with replications 0 .. replications-1: metric -> (points, replications)."""
    tasks: list[Task] = [(model, p, r) for p in points for r in range(replications)]
    out = {m: np.empty(len(tasks)) for m in metrics}
    for k, result in enumerate(map_tasks(_run_task, tasks, workers, executor)):
        for m in metrics:
            out[m][k] = result[m]
        if progress is not None:
            progress(k + 1, len(tasks))
    return {m: v.reshape(len(points), replications) for m, v in out.items()}


def noise_share(y: np.ndarray) -> float:
    """Mean within-point variance over the total variance of (points, replications) outputs."""
    if y.shape[1] < 2:
        return math.nan
    total = float(np.var(y, ddof=1))
    if total <= 0:
        return 0.0
    # Where the parameters move nothing the two estimates are equal up to sampling error, and
    # the ratio can come out a little above 1: it is a share, so it stops at 1.
    return min(1.0, float(np.mean(np.var(y, axis=1, ddof=1))) / total)


def _points(fs: Sequence[Factor], u: np.ndarray) -> list[dict[str, float]]:
    return [{f.path: f.value(float(row[j])) for j, f in enumerate(fs)} for row in u]


def _metrics_of(model: Model, metrics: Sequence[str] | None) -> list[str]:
    return list(metrics) if metrics is not None else list(METRICS)


# -- Sobol and Morris --------------------------------------------------------------------------
@dataclass
class SensitivityResult:
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


# -- correlated parameters: blocks and the copula ----------------------------------------------
def correlation_blocks(spec: Scenario | None,
                       fs: Sequence[Factor]) -> tuple[list[str], np.ndarray]:
    """Each factor's block (the factors the scenario's correlations connect, directly or
    through others, named "a + b"; an uncorrelated factor is its own block) and the target rank
    correlation matrix of the factors (correlations naming a parameter not analysed are
    dropped)."""
    paths = [f.path for f in fs]
    index = {p: i for i, p in enumerate(paths)}
    target = np.eye(len(paths))
    parent = list(range(len(paths)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for corr in spec.uncertainty.correlations if spec is not None else ():
        if corr.a in index and corr.b in index:
            i, j = index[corr.a], index[corr.b]
            target[i, j] = target[j, i] = corr.rho
            parent[root(i)] = root(j)
    members: dict[int, list[str]] = {}
    for i, p in enumerate(paths):
        members.setdefault(root(i), []).append(p)
    return [" + ".join(members[root(i)]) for i in range(len(paths))], target


def impose_correlations(u: np.ndarray, target: np.ndarray, blocks: Sequence[str]) -> np.ndarray:
    """Uniforms `u` (rows of independent U(0, 1)) with each block's columns given the block's
    rank correlations by a Gaussian copula; each column stays U(0, 1), and a column depends on
    its own block's columns only, so Saltelli's swapping of whole groups stays valid."""
    out = np.array(u, dtype=float, copy=True)
    for block in dict.fromkeys(blocks):
        cols = [j for j, b in enumerate(blocks) if b == block]
        if len(cols) < 2:
            continue
        # (the Monte Carlo draws' rule: models.compiled.sampling)
        pearson = normal_score_correlation(target[np.ix_(cols, cols)])
        z = stats.norm.ppf(np.clip(out[:, cols], _EDGE, 1 - _EDGE))
        out[:, cols] = stats.norm.cdf(z @ np.linalg.cholesky(pearson).T)
    return out


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
    """Sobol first-order (S1) and total (ST) indices with 95% bootstrap intervals, from
    Saltelli's sampling (N x (k + 2) points, `n` a power of 2), of each metric; then the same
    by group (`groups`: "lever" and/or "stage", SALib's groups, each its own sample of
    N x (g + 2) points). `model` and `factor_list` replace the simulation and the scenario's
    factors (analytic cases). "block" (only when some factors are correlated): each set of
    correlated parameters one group, its correlations imposed (see the module's note).
    `progress(done, total)` counts the runs of every sample."""
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
    """Morris's elementary effects, a cheap screen: `n` trajectories of k + 1 points each; per
    factor mu* (mean absolute effect, with its 95% interval) and sigma (spread: interactions or
    non-linearity), effects measured per unit of the factor's quantile (0 to 1). Then the same
    by group (`groups`: "lever" and/or "stage", SALib's groups: each trajectory moves a whole
    group at a time, n x (g + 1) points): mu* of a group is the mean absolute effect of moving
    all its parameters at once, each up or down at random (Campolongo et al. 2007); SALib gives
    sigma for one-member groups only (NaN for the others). `progress(done, total)` counts the
    runs of every sample."""
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


def require_factors(fs: Sequence[Factor]) -> None:
    """Fail, saying how to fix it, when there is nothing to analyse."""
    if not fs:
        raise ValueError(Message(
            "the scenario has no uncertain parameters to analyse; give some a range, e.g. "
            "--range sales.managers=3:6, or a distribution in the YAML",
            "в сценарии нет неопределённых параметров для анализа: задайте какому-нибудь "
            "параметру распределение (например, {dist: pert, low: …, mode: …, high: …}) или "
            "диапазон (--range sales.managers=3:6)"))


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
        return {"provenance": {**self.provenance, "replications": self.replications,
                               "seed": self.seed},
                "metrics": {m: df.to_dict(orient="records") for m, df in self.table.items()}}


def tornado(
    spec: Scenario | None = None,
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
