"""`compare` on the two engines: the fast engine ranks the example bets as the agent
engine does wherever the agent engine separates them, and keeps common random numbers as well
(paired standard errors as far below independent ones).

One comparison per engine of `b2b_services.yaml` (the baseline and its six bets), fixed seed:
the agent engine at 30 replications (~15 s on 2 workers), the fast one at 200.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from models.load import load_scenario
from sim.experiments.compare import Comparison, compare_bets

ROOT = Path(__file__).resolve().parents[1]
SEED = 11
# a pair counts as separated when its paired t statistic passes the two-sided 99% point
CONFIDENCE = 0.99


@pytest.fixture(scope="module")
def comparisons() -> dict[str, Comparison]:
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    return {"agent": compare_bets(spec, replications=30, seed=SEED, workers=2, engine="agent"),
            "fast": compare_bets(spec, replications=200, seed=SEED, workers=2, engine="fast")}


def _pair_t(cmp: Comparison, a: str, b: str) -> float:
    """The paired t statistic of NPV(a) - NPV(b), replication by replication."""
    d = cmp.scalars[a]["npv_profit"] - cmp.scalars[b]["npv_profit"]
    return float(d.mean() / (d.std(ddof=1) / np.sqrt(len(d))))


def test_fast_engine_ranks_the_bets_as_the_agent_engine_where_it_separates_them(
        comparisons: dict[str, Comparison]) -> None:
    agent, fast = comparisons["agent"], comparisons["fast"]
    assert agent.engine == "agent" and fast.engine == "fast"
    t_agent = stats.t.ppf(0.5 + CONFIDENCE / 2, agent.replications - 1)
    t_fast = stats.t.ppf(0.5 + CONFIDENCE / 2, fast.replications - 1)
    separated = 0
    for a, b in combinations(agent.names, 2):
        ta = _pair_t(agent, a, b)
        if abs(ta) < t_agent:
            continue  # the agent engine cannot tell these two apart: nothing to agree on
        separated += 1
        tf = _pair_t(fast, a, b)
        assert np.sign(tf) == np.sign(ta) and abs(tf) >= t_fast, (a, b, ta, tf)
    assert separated >= 15, separated  # the test says something: most of the 21 pairs count


def test_fast_engine_keeps_common_random_numbers_as_the_agent_engine(
        comparisons: dict[str, Comparison]) -> None:
    agent, fast = comparisons["agent"], comparisons["fast"]
    va, vf = agent.variance_reduction(), fast.variance_reduction()
    for bet, reduction in va.items():
        assert reduction > 2, (bet, reduction)  # pairing helps on the agent engine
        # the variance ratio of 30 replications is known to ~40%: a factor 2.5 is ~2.5 SE
        assert vf[bet] >= reduction / 2.5, (bet, reduction, vf[bet])
