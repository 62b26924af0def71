"""Intervals of means hold under Latin hypercube sampling (the replications of one round share
one design, so they are not independent)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import qmc

from sim.experiments.runner.statistics import (
    lhs_factor,
    lhs_standard_error,
    proportion_ci,
    t_critical,
)


def _coverage(f, n: int, designs: int, seed: int) -> float:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(designs):
        u = qmc.LatinHypercube(d=2, seed=rng).random(n)
        y = f(u) + rng.normal(0, 0.05, n)  # the engine's own noise, independent per run
        half = t_critical(n) * lhs_standard_error(y)
        hits += abs(y.mean() - 0.0) <= half
    return hits / designs


def test_intervals_cover_under_lhs() -> None:
    """A mean-zero output that LHS stratifies badly (high frequency in u1) and one it stratifies
    well (linear): the 95% interval covers the true mean at least as often as it should (the
    bound is conservative), within the binomial error of 1,000 designs."""
    rough = _coverage(lambda u: np.sin(40 * math.pi * u[:, 0]) * u[:, 1], 12, 1000, 1)
    smooth = _coverage(lambda u: u[:, 0] + u[:, 1] - 1.0, 12, 1000, 2)
    se = math.sqrt(0.95 * 0.05 / 1000)
    assert rough >= 0.95 - 3 * se, rough
    assert smooth >= 0.95 - 3 * se, smooth


def test_rounds_are_independent_designs() -> None:
    # one round of 40: 1/39; rounds 20 + 20: 2 x (1/2)^2 / 19 = 1/38 (slightly wider)
    assert lhs_factor(40) == 1 / 39
    assert math.isclose(lhs_factor(40, [20, 20]), 1 / 38)
    assert lhs_factor(40, [10, 10]) == 1 / 39  # not this run's rounds: one design


def test_wilson_interval_matches_the_textbook_case() -> None:
    # 8 successes in 10 (Wilson 1927; e.g. Agresti & Coull 1998, table 1: 0.490 to 0.943)
    low, high = proportion_ci(8, 10)
    assert round(low, 3) == 0.490 and round(high, 3) == 0.943
    assert proportion_ci(0, 0) == (0.0, 1.0)
