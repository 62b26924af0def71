"""Goal seek: how big must a bet be to reach the goal by its deadline with a given probability?

The size is the value of one of the bet's changes (a budget to set, managers to add, a factor to
scale by). Bisection on the simulated P(goal by deadline): every size is run on the same
replications (common random numbers), so P moves with the size, not with the noise. The answer's
uncertainty comes from a bootstrap over replications: resample them, and read off the smallest
evaluated size that still reaches the target.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from models.compiled.form import point_values, realise
from models.compiled.sampling import draw_parameters
from models.compiled.streams import parameter_draws
from models.compiled.units import is_whole_number
from models.spec.paths import expand_path, get_value
from models.spec.scenario import Bet, Change, Scenario
from sim.experiments.compare import select_bets
from sim.experiments.runner.alternatives import run_replications
from sim.experiments.runner.parallel import resolve_workers
from sim.experiments.runner.replications import DEFAULT_ENGINE
from sim.experiments.runner.statistics import proportion_ci

_BOOTSTRAP = 1000


@dataclass
class SeekResult:
    """The smallest size of a bet that reaches the goal with the chance asked, and each size
    tried."""

    bet: str
    path: str
    operation: str
    target: float
    replications: int
    size: float | None  # smallest size found that reaches the target (None: not within range)
    p_goal: float | None  # P(goal by deadline) at `size`
    p_goal_ci: tuple[float, float] | None  # Wilson 95% interval of that probability
    size_p10: float | None = None  # bootstrap spread of the answer over replications
    size_p50: float | None = None
    size_p90: float | None = None  # None: above the largest size tried
    unreached_share: float = 0.0  # bootstrap resamples in which no size tried reaches the target
    evaluations: list[tuple[float, float]] = field(default_factory=list)  # (size, P), by size

    def to_dict(self) -> dict[str, object]:
        """What seek.json holds."""
        return dict(self.__dict__)


def _resized(bet: Bet, change: int, size: float) -> Bet:
    raw = bet.model_dump(by_alias=True, exclude_none=True)
    op = bet.changes[change].operation
    raw["changes"][change] = {"path": bet.changes[change].path, op: size}
    return Bet.model_validate(raw)


def default_low(spec: Scenario, change: Change) -> float:
    """Where the search starts: the change doing nothing (add 0, scale 1, set the baseline's
    value)."""
    if change.operation == "add":
        return 0.0
    if change.operation == "scale":
        return 1.0
    raw = realise(spec, point_values(spec)).model_dump(by_alias=True)
    value = get_value(raw, expand_path(raw, change.path)[0])
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{change.path} is not a number: a goal seek needs a numeric size")
    return float(value)


def seek_size(
    spec: Scenario,
    bet_name: str,
    high: float,
    low: float | None = None,
    change: int = 0,
    target: float = 0.8,
    *,
    replications: int = 40,
    seed: int = 1,
    tolerance: float | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, float, float], None] | None = None,
    engine: str = DEFAULT_ENGINE,
) -> SeekResult:
    """Find the smallest size of a bet that reaches the goal with the chance asked.

    The size is the value of the bet's change number `change` (what it sets, adds or scales by),
    searched in [low, high] until P(goal by the deadline) >= `target`. Whole-number parameters
    (managers, touches) are searched by whole steps.

    Parameters
    ----------
    spec : Scenario
        The scenario, with a goal.
    bet_name : str
        The bet whose size is sought.
    high : float
        Largest size to try.
    low : float, optional
        Smallest size (None: the change doing nothing).
    change : int
        Which of the bet's changes is the size.
    target : float
        P(goal by the deadline) to reach.
    replications : int
        Replications of each size tried.
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    tolerance : float, optional
        How close to the smallest size the search stops (None: a hundredth of the range).
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the replications run instead of a local pool (e.g. a Dask cluster's).
    progress : callable, optional
        ``progress(step, size, p)``, called after each size is evaluated.
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).

    Returns
    -------
    SeekResult
        The smallest size found, its P(goal) with the interval, and every size tried.

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> sim.seek_size(spec, "more_ads", high=900_000, replications=20)  # doctest: +SKIP
    """
    if spec.goal is None:
        raise ValueError("the scenario has no goal: add a goal (metric, target, deadline_month) "
                         "to seek the size that reaches it")
    if not 0 < target < 1:
        raise ValueError(f"target is a probability in (0, 1), got {target}")
    (bet,) = select_bets(spec, [bet_name])
    if not 0 <= change < len(bet.changes) or bet.changes[change].operation == "append":
        raise ValueError(f"bet {bet.name!r} has no numeric change number {change}; its changes: "
                         + ", ".join(f"{i}: {c.path}" for i, c in enumerate(bet.changes)))
    the_change = bet.changes[change]
    lo = default_low(spec, the_change) if low is None else low
    if high <= lo:
        raise ValueError(f"high ({high:g}) must be above low ({lo:g})")
    whole = is_whole_number(the_change.path) and the_change.operation in ("set", "add")
    if whole:
        lo, high = math.floor(lo), math.ceil(high)
    tol = tolerance if tolerance is not None else (high - lo) / 100
    n_workers = resolve_workers(workers)
    # the first round of the baseline's draws: the same as `run` and `compare` make
    values = draw_parameters(spec, replications, parameter_draws(seed, 0))
    reached: dict[float, np.ndarray] = {}

    def evaluate(size: float) -> float:
        sized = _resized(bet, change, size)
        reps = [one for (one,) in run_replications(spec, ((sized,),), 0, values, seed, engine,
                                                   n_workers, executor)]
        hits = np.array([r.scalars["goal_by_deadline"] for r in reps])
        reached[size] = hits
        p = float(hits.mean())
        if progress is not None:
            progress(len(reached), size, p)
        return p

    a, b = float(lo), float(high)
    if evaluate(b) < target:
        answer: float | None = None
    elif evaluate(a) >= target:
        answer = a
    else:
        while (b - a > 1) if whole else (b - a > tol):
            mid = math.floor((a + b) / 2) if whole else (a + b) / 2
            if evaluate(mid) >= target:
                b = mid
            else:
                a = mid
        answer = b
    sizes = sorted(reached)
    result = SeekResult(
        bet=bet.name, path=the_change.path, operation=the_change.operation, target=target,
        replications=replications, size=answer,
        p_goal=None if answer is None else float(reached[answer].mean()),
        p_goal_ci=None if answer is None else proportion_ci(int(reached[answer].sum()),
                                                            replications),
        evaluations=[(s, float(reached[s].mean())) for s in sizes],
    )
    if answer is not None:
        rng = np.random.default_rng(0)  # fixed: part of a reproducible report
        idx = rng.integers(0, replications, size=(_BOOTSTRAP, replications))
        matrix = np.stack([reached[s][idx].mean(axis=1) for s in sizes], axis=1)
        ok = matrix >= target
        first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), -1)
        # a resample in which no size tried reaches the target needs more than `high`
        boot = np.array([sizes[i] if i >= 0 else math.inf for i in first])
        result.unreached_share = float(np.isinf(boot).mean())
        p10, p50, p90 = (None if math.isinf(v) else float(v)
                         for v in np.percentile(boot, [10, 50, 90], method="lower"))
        result.size_p10, result.size_p50, result.size_p90 = p10, p50, p90
    return result

