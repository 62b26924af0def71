"""The statistics of replications, written once: summaries, quantiles and intervals.

- `describe`: mean, sd, standard error and quantiles of a metric over replications;
- `describe_time_to_goal`: the same for months to goal, where "never" is later than any month;
- `proportion_ci`: the Wilson interval of a probability estimated from replications (scipy);
- `lhs_standard_error`, `t_critical`: intervals of means that hold under Latin hypercube
  sampling (the parameters of replications are drawn as LHS rounds) with Student's t;
- `mean_ci_half_width`: the 95% half-width of a mean (the precision loop's stopping rule).

Why intervals hold under LHS. The replications of one round share one Latin hypercube design,
so they are not independent and the textbook s/sqrt(n) has no guarantee. LHS is never worse than
plain Monte Carlo with one point fewer (Owen 1997, "Monte Carlo variance of scrambled net
quadrature", SIAM J. Numer. Anal. 34): Var(mean of a round of n) <= sigma^2 / (n - 1). Rounds are
independent designs, so the mean of N replications in rounds n_1, n_2, ... has
Var <= sigma^2 * sum_r (n_r / N)^2 / (n_r - 1); sigma^2 is estimated by the sample variance and
the interval uses Student's t with N - 1 degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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


def lhs_factor(n: int, rounds: Sequence[int] | None = None) -> float:
    """sum_r (n_r / N)^2 / (n_r - 1): the variance of a mean of `n` replications drawn in LHS
    `rounds` is at most sigma^2 times this (see the module's note). Rounds that do not add up to
    `n` (some replications left out, e.g. undefined values) count as one design of `n`."""
    sizes = list(rounds) if rounds and sum(rounds) == n else [n]
    return sum((r / n) ** 2 / max(r - 1, 1) for r in sizes)


def lhs_standard_error(values: np.ndarray, rounds: Sequence[int] | None = None) -> float:
    """A standard error of the mean of replications drawn in LHS `rounds` that is valid under
    Latin hypercube sampling; inf with fewer than two values."""
    n = len(values)
    if n < 2:
        return math.inf
    return float(np.std(values, ddof=1)) * math.sqrt(lhs_factor(n, rounds))


def t_critical(n: int, confidence: float = 0.95, comparisons: int = 1) -> float:
    """Student's t quantile for a two-sided interval of a mean of `n` replications, Bonferroni-
    corrected over `comparisons` intervals."""
    return float(stats.t.ppf(1 - (1 - confidence) / (2 * comparisons), max(n - 1, 1)))


def mean_ci_half_width(values: np.ndarray, rounds: Sequence[int] | None = None) -> float:
    """The 95% half-width of the mean of `values` (t, valid under LHS); inf with fewer than
    two."""
    if len(values) < 2:
        return math.inf
    return t_critical(len(values)) * lhs_standard_error(values, rounds)
