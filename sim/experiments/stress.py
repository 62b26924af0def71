"""What shocks a plan survives, and how large a shock breaks it.

Shocks are bets with no cost (`models.spec.scenario.Bet`): changes (set, scale or add on any
parameter path) from a start month for a duration. They are compared with the unshocked plan by
`sim.experiments.compare.compare_bets`, so replication i of every shock uses the same draw of
the uncertain parameters and the same engine stream as the plan (common random numbers).

- `preset(spec, name, start_month, duration_months, severity)`: recession, cac_spike,
  churn_spike, payments_delayed, manager_leaves, channel_off (of one channel: `channel_off:NAME`,
  default the channel with the largest budget); severity 1 is the size described, 2 twice it;
- `custom_shock("path:op:value", ...)`: any change, as the `--shock` option writes it;
- `combined(shocks)`: shocks acting together, as one shock;
- `stress_test`: every shock against the plan: outcome distributions, P(goal) with its interval,
  the paired change of NPV and of P(goal);
- `reverse_stress`: for each lever (or chosen parameter), the smallest shock that brings
  P(goal by the deadline) below a threshold, or the mean NPV below zero, found by bisection on
  the same replications at every size, with a bootstrap interval over replications.

The shocks themselves (names, other spellings, changes) are declared once, in
`models.compiled.shocks`, which `models.compiled.bets.stress_shocks` (the app's five standard
shocks) builds from too: its higher_cac, higher_churn and later_payments are the presets
cac_spike, churn_spike and payments_delayed under other names, accepted wherever a preset is
named; its fewer_leads is the leads half of recession.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.compiled.bets import compile_alternative
from models.compiled.sampling import draw_parameters
from models.compiled.shocks import PRESETS as PRESETS  # the stress test's presets, by name
from models.compiled.shocks import churn_changes, shock_changes
from models.compiled.streams import parameter_draws
from models.load import scenario_hash
from models.spec.errors import Message
from models.spec.messages import msg
from models.spec.messages_ru import bilingual
from models.spec.paths import PathError
from models.spec.scenario import Bet, Scenario, text_in
from sim.experiments.compare import (
    BASELINE,
    Comparison,
    compare_bets,
)
from sim.experiments.runner.alternatives import run_replications
from sim.experiments.runner.parallel import resolve_workers
from sim.experiments.runner.replications import DEFAULT_ENGINE
from sim.experiments.runner.statistics import proportion_ci


def _end(spec: Scenario, start_month: int, duration_months: int | None) -> int | None:
    if start_month < 1 or start_month > spec.horizon_months:
        raise ValueError(msg("shock_start_outside", start=start_month,
                             horizon=spec.horizon_months))
    if duration_months is None:
        return None
    if duration_months < 1:
        raise ValueError(msg("shock_too_short", months=duration_months))
    return min(spec.horizon_months, start_month + duration_months - 1)


def _bet(spec: Scenario, name: str, description: str, changes: list[dict[str, Any]],
         start_month: int, duration_months: int | None) -> Bet:
    return Bet.model_validate({"name": name, "description": description, "changes": changes,
                               "start_month": start_month,
                               "end_month": _end(spec, start_month, duration_months)})


def preset_changes(spec: Scenario, name: str, severity: float = 1.0) -> tuple[str, list[dict]]:
    """A preset's description and changes at `severity` (1: the size described), by any of its
    names (`models.compiled.shocks`)."""
    return shock_changes(spec, name, severity)


def preset(spec: Scenario, name: str, start_month: int = 1, duration_months: int | None = None,
           severity: float = 1.0) -> Bet:
    """A preset shock as a bet with no cost.

    Parameters
    ----------
    spec : Scenario
        The plan.
    name : str
        A preset (`PRESETS`: recession, cac_spike, churn_spike, payments_delayed,
        manager_leaves, channel_off or channel_off:NAME) or another spelling of one
        (`models.compiled.shocks.ALIASES`: higher_cac, higher_churn, later_payments; and
        fewer_leads, the leads half of recession).
    start_month : int
        Month the shock starts.
    duration_months : int, optional
        How long it lasts (None: to the horizon).
    severity : float
        Its size: 1 as described, 2 twice it.

    Returns
    -------
    Bet
        The shock, named `name` (with its severity when not 1).

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> sim.stress.preset(spec, "recession", start_month=6, severity=2).description
    'recession: 60% fewer leads, conversion 40% lower'
    """
    description, changes = preset_changes(spec, name, severity)
    label = name if severity == 1 else f"{name} x{severity:g}"
    return _bet(spec, label, description, changes, start_month, duration_months)


def parse_shock(text: str) -> dict[str, Any]:
    """`path:op:value` (op: set, scale or add), the `--shock` option's syntax."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or parts[1] not in ("set", "scale", "add") or not parts[0]:
        raise ValueError(msg("shock_syntax", text=text))
    path, op, value = parts
    try:
        number: Any = float(value)
    except ValueError:
        if op != "set":
            raise ValueError(msg("shock_needs_number", text=text, op=op, value=value)) from None
        number = value
    return {"path": path, op: number}


def custom_shock(spec: Scenario, texts: Sequence[str], start_month: int = 1,
                 duration_months: int | None = None, name: str | None = None) -> Bet:
    """One shock of the changes written `path:op:value`, acting together."""
    changes = [parse_shock(t) for t in texts]
    written = ", ".join(texts)  # the description: the changes as written, whatever the name
    return _bet(spec, name or written, written, changes, start_month, duration_months)


def combined(shocks: Sequence[Bet], name: str | None = None) -> Bet:
    """Shocks acting together, as one shock (their changes in order: two scales of one
    parameter multiply). They must share their timing."""
    if len({(b.start_month, b.end_month) for b in shocks}) > 1:
        raise ValueError(msg("shocks_timing"))
    first = shocks[0]
    return Bet(name=name or " + ".join(b.name for b in shocks),
               description=" + ".join(text_in(b.description, "en") for b in shocks),
               changes=[c for b in shocks for c in b.changes], start_month=first.start_month,
               end_month=first.end_month)


# -- stress test -------------------------------------------------------------------------------
@dataclass
class StressResult:
    """Every shock against the plan on common random numbers (a `Comparison`) and the shocks."""

    comparison: Comparison
    shocks: list[Bet]

    def table(self) -> pd.DataFrame:
        """One row per alternative (the plan first, then each shock): NPV's distribution, the
        paired change of NPV with its 95% interval, P(goal) with its Wilson interval and its
        paired change."""
        cmp = self.comparison
        has_goal = cmp.spec.goal is not None
        rows = []
        for name in cmp.names:
            npv = cmp.scalars[name]["npv_profit"]
            q = np.percentile(npv, [10, 50, 90])
            goal = cmp.scalars[name]["goal_by_deadline"]
            hits = int(np.nansum(goal)) if has_goal else 0
            lo, hi = proportion_ci(hits, len(goal)) if has_goal else (math.nan, math.nan)
            row: dict[str, Any] = {
                "shock": name, "npv_mean": float(npv.mean()), "npv_p10": float(q[0]),
                "npv_p50": float(q[1]), "npv_p90": float(q[2]),
                "p_negative_npv": float((npv < 0).mean()),
                "p_goal": hits / len(goal) if has_goal else math.nan,
                "p_goal_low": lo, "p_goal_high": hi,
                "delta_npv": 0.0, "delta_npv_low": 0.0, "delta_npv_high": 0.0,
                "delta_p_goal": 0.0 if has_goal else math.nan,
                "delta_p_goal_low": 0.0 if has_goal else math.nan,
                "delta_p_goal_high": 0.0 if has_goal else math.nan,
            }
            if name != BASELINE:
                d = cmp.paired(name, "npv_profit")
                row.update(delta_npv=d["mean"], delta_npv_low=d["ci_low"],
                           delta_npv_high=d["ci_high"])
                if has_goal:
                    g = cmp.paired(name, "goal_by_deadline")
                    row.update(delta_p_goal=g["mean"], delta_p_goal_low=g["ci_low"],
                               delta_p_goal_high=g["ci_high"])
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """What stress.json holds."""
        doc = self.comparison.to_dict()
        return {"provenance": doc["provenance"],
                "shocks": [b.model_dump(by_alias=True, exclude_none=True) for b in self.shocks],
                "table": _records(self.table()),
                "alternatives": doc["alternatives"]}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in row.items()} for row in rows]


def stress_test(spec: Scenario, shocks: Sequence[Bet], *, replications: int = 40, seed: int = 1,
                workers: int | None = None, executor: Executor | None = None,
                engine: str = DEFAULT_ENGINE,
                progress: Callable[[int, int], None] | None = None) -> StressResult:
    """Run every shock against the unshocked plan on common random numbers.

    Parameters
    ----------
    spec : Scenario
        The plan.
    shocks : sequence of Bet
        The shocks (`preset`, `custom_shock`, `combined`), each a bet with no cost.
    replications : int
        Replications of the plan and of each shock.
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the replications run instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    progress : callable, optional
        ``progress(done, total)``, called as replications finish.

    Returns
    -------
    StressResult
        Each shock's outcome distributions, P(goal) with its interval, and the paired change of
        NPV and of P(goal) against the plan (`table()`).

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> shocks = [sim.stress.preset(spec, "recession", start_month=6)]
    >>> sim.stress.stress_test(spec, shocks, replications=10).table()  # doctest: +SKIP
    """
    if not shocks:
        raise ValueError(msg("no_shock"))
    cmp = compare_bets(spec, list(shocks), replications=replications, seed=seed, workers=workers,
                       progress=progress,
                       executor=executor, engine=engine)
    return StressResult(cmp, list(shocks))


# -- reverse stress test -----------------------------------------------------------------------
@dataclass(frozen=True)
class ReverseTarget:
    """A family of shocks of growing size x in [0, high]: `changes(x)` are the changes of
    size x; `unit` says what x is ("share": 0.3 = 30% worse; "factor"; "amount")."""

    name: str
    changes: Callable[[float], list[dict[str, Any]]]
    high: float
    unit: str = "share"


def _down(paths: Sequence[str]) -> Callable[[float], list[dict[str, Any]]]:
    return lambda x: [{"path": p, "scale": max(0.0, 1 - x)} for p in paths]


@dataclass(frozen=True)
class _ChurnUp:
    spec: Scenario

    def __call__(self, x: float) -> list[dict[str, Any]]:
        return churn_changes(self.spec, 1 + x)


def lever_targets(spec: Scenario) -> list[ReverseTarget]:
    """One shock family per lever of revenue, and churn: leads and conversion fall by x (a
    share), the average check (prices) falls by x, purchases come 1 + x times as seldom, and
    churn rises by x (relative: 1 = twice the churn)."""
    tiers = [t.name for t in spec.tiers]
    return [
        ReverseTarget("leads", _down(["channels.*.max_leads", "channels.*.organic_leads",
                                      "referrals.leads_per_client_month"]), 1.0),
        ReverseTarget("conversion", _down(["journey.first_contact_conversion",
                                           "journey.follow_up.conversion_per_touch"]), 1.0),
        ReverseTarget("average_check", _down([f"tiers.{t}.price" for t in tiers]), 1.0),
        ReverseTarget("frequency", lambda x: [{"path": f"tiers.{t}.purchase_interval_months",
                                               "scale": 1 + x} for t in tiers], 4.0, "factor"),
        ReverseTarget("churn", _ChurnUp(spec), 9.0, "factor"),
    ]


def parameter_target(text: str) -> ReverseTarget:
    """`path` or `path:down`/`path:up` (the `--break` option): the parameter moved down (by a
    share, to 0 at most) or up (by a relative amount, up to 10 times)."""
    path, _, direction = text.partition(":")
    if direction not in ("", "down", "up") or not path:
        raise ValueError(msg("break_syntax", text=text))
    if direction == "up":
        return ReverseTarget(text, lambda x: [{"path": path, "scale": 1 + x}], 9.0, "factor")
    return ReverseTarget(text, _down([path]), 1.0)


def check_target(spec: Scenario, target: ReverseTarget) -> None:
    """Fail before any run if a target's shock names no parameter or cannot apply (the search
    would otherwise stop at its first evaluation)."""
    try:
        compile_alternative(spec, [_bet(spec, target.name, target.name,
                                        target.changes(target.high / 2), 1, None)])
    except ValueError as err:
        if isinstance(err, PathError) and isinstance(err.message, Message):
            said: str = Message(f"{err.path}: {err.message}", f"{err.path}: {err.message.ru}")
        else:
            said = err.args[0] if err.args and isinstance(err.args[0], Message) else bilingual(
                str(err))  # the loader's English, its known phrases in Russian
        raise ValueError(msg("break_cannot_apply", option="--break", target=target.name,
                                 why=said)) from None


@dataclass
class Break:
    """The smallest shock of a family that breaks the plan."""

    target: str
    unit: str
    size: float | None  # None: the plan holds up to the largest size tried
    low: float | None  # bootstrap 95% interval of the size over replications
    high: float | None  # None: above the largest size tried in more than 2.5% of resamples
    value_at_size: float | None  # P(goal) or mean NPV at `size`
    value_unshocked: float
    already_broken: bool
    evaluations: list[tuple[float, float]] = field(default_factory=list)


def default_threshold(plan_chance: float) -> float:
    """The threshold when none is given: half the plan's own chance of the goal, down to a
    multiple of 5% (what halves the plan's chance), so that the plan itself is above it and
    every lever has room to break it; a plan with under a 10% chance gets half of it exactly,
    and one that never reaches the goal 1% (nothing can break it: it is broken already)."""
    half = math.floor(plan_chance / 2 * 20 + 1e-9) / 20
    if half > 0:
        return half
    return plan_chance / 2 if plan_chance > 0 else 0.01


@dataclass
class ReverseResult:
    """For each lever or parameter, the smallest shock that breaks the plan, with its interval."""

    criterion: str  # "goal" or "npv"
    threshold: float
    replications: int
    seed: int
    breaks: list[Break]
    provenance: dict[str, Any] = field(default_factory=dict)
    plan_value: float | None = None  # the plan's own P(goal) or mean NPV, unshocked
    threshold_default: bool = False  # the threshold is `default_threshold` of the plan's chance

    @property
    def plan_broken(self) -> bool:
        """Is the plan broken without any shock (its own P(goal) below the threshold, or its
        mean NPV below zero)? Then every lever reads "broken without a shock" at size 0."""
        if self.plan_value is None:
            return bool(self.breaks) and all(b.already_broken for b in self.breaks)
        if self.criterion == "goal":
            return self.plan_value < self.threshold
        return self.plan_value < 0

    def table(self) -> pd.DataFrame:
        """What breaks the plan: one row per target, smallest breaking shock first."""
        rows = [{"target": b.target, "unit": b.unit, "size": b.size, "size_low": b.low,
                 "size_high": b.high, "value_at_size": b.value_at_size,
                 "value_unshocked": b.value_unshocked, "already_broken": b.already_broken}
                for b in self.breaks]
        frame = pd.DataFrame(rows)
        order = frame["size"].astype(float).fillna(math.inf)
        return frame.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """What the reverse test's part of stress.json holds."""
        return {"provenance": {**self.provenance, "criterion": self.criterion,
                               "threshold": self.threshold, "replications": self.replications,
                               "seed": self.seed, "threshold_default": self.threshold_default},
                "plan_value": self.plan_value, "plan_broken": self.plan_broken,
                "breaks": _records(self.table()),
                "evaluations": {b.target: [{"size": s, "value": v} for s, v in b.evaluations]
                                for b in self.breaks}}


# Per replication, at a shock of size x: the value the criterion averages (goal reached by
# the deadline, 0/1, or the NPV).
ShockModel = Callable[[ReverseTarget, float, int, dict[str, float]], float]


def find_break(values_at: Callable[[float], np.ndarray], broken: Callable[[np.ndarray], bool],
               high: float, tolerance: float, target: str = "", unit: str = "share",
               resamples: int = 1000) -> Break:
    """Bisection on [0, high] for the smallest size whose replications are `broken` (the same
    replications at every size: the criterion moves with the size, not with the noise), then a
    bootstrap over replications of the first evaluated size that breaks."""
    seen: dict[float, np.ndarray] = {}

    def at(x: float) -> bool:
        seen[x] = values_at(x)
        return broken(seen[x])

    a, b = 0.0, float(high)
    size: float | None
    already = at(a)
    if already:
        size = 0.0
    elif not at(b):
        size = None
    else:
        while b - a > tolerance:
            mid = (a + b) / 2
            if at(mid):
                b = mid
            else:
                a = mid
        size = b
    sizes = sorted(seen)
    n = len(seen[0.0])
    low = hi = None
    if size is not None:
        rng = np.random.default_rng(0)  # fixed: part of a reproducible report
        idx = rng.integers(0, n, size=(resamples, n))
        matrix = np.stack([[broken(seen[s][row]) for s in sizes] for row in idx])
        first = np.where(matrix.any(axis=1), np.argmax(matrix, axis=1), -1)
        boot = np.array([sizes[i] if i >= 0 else math.inf for i in first])
        lo_q, hi_q = np.percentile(boot, [2.5, 97.5], method="lower")
        low = None if math.isinf(lo_q) else float(lo_q)
        hi = None if math.isinf(hi_q) else float(hi_q)
    mean = {s: float(np.mean(v)) for s, v in seen.items()}
    return Break(target, unit, size, low, hi, None if size is None else mean[size], mean[0.0],
                 already, [(s, mean[s]) for s in sizes])


def reverse_stress(
    spec: Scenario,
    targets: Sequence[ReverseTarget] | None = None,
    criterion: str | None = None,
    threshold: float | None = None,
    *,
    replications: int = 40,
    seed: int = 1,
    start_month: int = 1,
    duration_months: int | None = None,
    tolerance: float = 0.01,
    workers: int | None = None,
    executor: Executor | None = None,
    engine: str = DEFAULT_ENGINE,
    model: ShockModel | None = None,
    progress: Callable[[str, float, float], None] | None = None,
) -> ReverseResult:
    """Find, for each lever or parameter, the smallest shock that breaks the plan.

    The plan is broken when P(goal by the deadline) falls below `threshold` (criterion "goal") or
    the mean NPV below zero (criterion "npv"). Sizes are found by bisection on the same
    replications at every size, with a bootstrap interval over replications.

    Parameters
    ----------
    spec : Scenario
        The plan.
    targets : sequence of ReverseTarget, optional
        The families of shocks (None: `lever_targets`, one per lever).
    criterion : str, optional
        "goal" or "npv" (None: "goal" when the scenario has a goal).
    threshold : float, optional
        The chance of the goal below which the plan counts as broken (None: `default_threshold`
        of the plan's own chance, so that the plan is not broken before any shock).
    replications : int
        Replications at each size tried.
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    start_month : int
        Month the shocks start.
    duration_months : int, optional
        How long they last (None: to the horizon).
    tolerance : float
        How close the size is found, relative to the target's range.
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the replications run instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    model : callable, optional
        ``model(target, size, replication, draw)`` instead of the simulation.
    progress : callable, optional
        ``progress(target, size, value)``, called after each size is evaluated.

    Returns
    -------
    ReverseResult
        For each target, the breaking size with its interval (`table()`).

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> sim.stress.reverse_stress(spec, replications=10).table()  # doctest: +SKIP
    """
    criterion = criterion or ("goal" if spec.goal is not None else "npv")
    if criterion not in ("goal", "npv"):
        raise ValueError(msg("criterion_unknown", criterion=criterion))
    if criterion == "goal" and spec.goal is None:
        raise ValueError(msg("criterion_no_goal"))
    if threshold is not None and not 0 < threshold < 1:
        raise ValueError(msg("threshold_range", threshold=threshold))
    chosen = list(targets) if targets is not None else lever_targets(spec)
    draws = draw_parameters(spec, replications, parameter_draws(seed, 0))
    n_workers = resolve_workers(workers)
    metric = "goal_by_deadline" if criterion == "goal" else "npv_profit"

    def plan_values(target: ReverseTarget | None) -> np.ndarray:
        """The plan unshocked (a model: its target at size 0), on the same replications."""
        if model is not None and target is not None:
            return np.array([model(target, 0.0, i, draws[i]) for i in range(replications)])
        reps = [one for (one,) in run_replications(spec, ((),), 0, draws, seed, engine,
                                                   n_workers, executor)]
        return np.array([r.scalars[metric] for r in reps])

    automatic = threshold is None
    plan: float | None = None
    if threshold is None and criterion == "goal":  # the plan's own chance sets it
        plan = float(np.mean(plan_values(chosen[0] if chosen else None)))
        threshold = default_threshold(plan)
    limit = threshold = 0.5 if threshold is None else threshold  # (npv: not used)

    def broken(values: np.ndarray) -> bool:
        mean = float(np.mean(values))
        return mean < limit if criterion == "goal" else mean < 0

    breaks = []
    for target in chosen:
        def values_at(x: float, target: ReverseTarget = target) -> np.ndarray:
            if model is not None:
                out = np.array([model(target, x, i, draws[i]) for i in range(replications)])
            else:
                shock = _bet(spec, target.name, target.name, target.changes(x), start_month,
                             duration_months)
                reps = [one for (one,) in run_replications(spec, ((shock,),), 0, draws, seed,
                                                           engine, n_workers, executor)]
                out = np.array([r.scalars[metric] for r in reps])
            if progress is not None:
                progress(target.name, x, float(np.mean(out)))
            return out

        breaks.append(find_break(values_at, broken, target.high, tolerance * target.high,
                                 target.name, target.unit))
    return ReverseResult(criterion, threshold, replications, seed, breaks,
                         {"scenario": spec.name, "scenario_hash": scenario_hash(spec),
                          "engine": engine, "start_month": start_month,
                          "duration_months": duration_months},
                         plan if plan is not None or not breaks else breaks[0].value_unshocked,
                         automatic and criterion == "goal")
