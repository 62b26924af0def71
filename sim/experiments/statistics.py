"""The statistics of replications, written once: summaries, quantiles and intervals.

- `describe`: mean, sd, standard error and quantiles of a metric over replications;
- `describe_time_to_goal`: the same for months to goal, where "never" is later than any month;
- `proportion_ci`: the Wilson interval of a probability estimated from replications (scipy);
- `mean_ci_half_width`: the 95% half-width of a mean (the precision loop's stopping rule).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

QUANTILES = (5, 10, 50, 90, 95)
Z95 = float(stats.norm.ppf(0.975))


def describe(values: np.ndarray) -> dict[str, float | None]:
    """mean, sd, standard error and quantiles of one metric over replications (NaN ignored)."""
    finite = values[~np.isnan(values)]
    n = finite.size
    out: dict[str, float | None] = {"n": float(n)}
    if n == 0:
        out.update({"mean": None, "sd": None, "se": None, **{f"p{q}": None for q in QUANTILES}})
        return out
    sd = float(finite.std(ddof=1)) if n > 1 else 0.0
    out["mean"] = float(finite.mean())
    out["sd"] = sd
    out["se"] = sd / math.sqrt(n)
    for q, v in zip(QUANTILES, np.percentile(finite, QUANTILES), strict=True):
        out[f"p{q}"] = float(v)
    return out


def describe_time_to_goal(values: np.ndarray) -> dict[str, float | None]:
    """Time to goal: a run that never reaches the goal counts as 'later than any month', so its
    quantiles are None (never) where more than that share of runs miss; the mean and sd are over
    the runs that reach it, and `reached` is their share."""
    reached = ~np.isnan(values)
    out = describe(values)
    ranked = np.where(reached, values, np.inf)
    for q, v in zip(QUANTILES, np.percentile(ranked, QUANTILES, method="lower"), strict=True):
        out[f"p{q}"] = None if math.isinf(v) else float(v)
    out["reached"] = float(reached.mean()) if values.size else None
    return out


def proportion_ci(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (no information: the whole [0, 1])."""
    if n == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(int(successes), n).proportion_ci(confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def mean_ci_half_width(values: np.ndarray) -> float:
    """The 95% (normal) half-width of the mean of `values`; inf with fewer than two."""
    if len(values) < 2:
        return math.inf
    return Z95 * float(np.std(values, ddof=1)) / math.sqrt(len(values))
