"""Correlated parameters in a sensitivity analysis: the blocks of correlated parameters (connected
components of the correlation graph) and the Gaussian copula that imposes the scenario's rank
correlations inside each block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from models.compiled.sampling import normal_score_correlation
from models.spec.scenario import Scenario
from sim.experiments.sensitivity.factors import _EDGE, Factor


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
