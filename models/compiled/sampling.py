"""Drawing the uncertain parameters of a scenario: Latin hypercube or plain Monte Carlo, with rank
correlations imposed by the Iman-Conover method (Iman & Conover 1982)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.stats import qmc

from models.spec.distributions import _Dist
from models.spec.errors import ScenarioError
from models.spec.paths import iter_distributions
from models.spec.scenario import Scenario


def uncertain_parameters(spec: Scenario) -> list[tuple[str, _Dist]]:
    return list(iter_distributions(spec))


def correlation_problems(spec: Scenario) -> list[tuple[str, str]]:
    """What is wrong with the scenario's correlations, as (path, message); checked at load."""
    try:
        correlation_matrix(spec, [path for path, _ in uncertain_parameters(spec)])
    except ScenarioError as err:
        return err.problems
    return []


def correlation_matrix(spec: Scenario, paths: list[str]) -> np.ndarray:
    """Target rank-correlation matrix from the scenario's `uncertainty.correlations`."""
    k = len(paths)
    target = np.eye(k)
    index = {p: i for i, p in enumerate(paths)}
    problems = []
    for n, corr in enumerate(spec.uncertainty.correlations):
        for side in ("a", "b"):
            path = getattr(corr, side)
            if path not in index:
                problems.append((
                    f"uncertainty.correlations.{n}.{side}",
                    f"{path!r} is not an uncertain parameter; uncertain ones are: "
                    f"{', '.join(paths) or '(none)'}",
                ))
        if not problems:
            i, j = index[corr.a], index[corr.b]
            target[i, j] = target[j, i] = corr.rho
    if problems:
        raise ScenarioError("scenario", problems)
    if k and np.linalg.eigvalsh(target).min() <= 0:
        raise ScenarioError("scenario", [(
            "uncertainty.correlations",
            "these correlations cannot hold together (the matrix is not positive definite); "
            "weaken some of them",
        )])
    return target


def normal_score_correlation(rank_correlation: np.ndarray) -> np.ndarray:
    """The Pearson correlation of normal scores whose Spearman rank correlation is
    `rank_correlation` (for a Gaussian copula: rho_s = 6/pi asin(r/2))."""
    return 2 * np.sin(np.pi * np.asarray(rank_correlation, dtype=float) / 6)


def iman_conover(u: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder each column of `u` so the columns' rank correlation approaches `target`, keeping
    every column's values (and so its marginal distribution and its Latin hypercube strata)."""
    n, k = u.shape
    # With no more draws than parameters the draws' own correlation matrix is singular: too few
    # draws to impose a correlation on, so they stay as drawn.
    if k < 2 or np.allclose(target, np.eye(k)) or n <= k:
        return u
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    x = np.column_stack([rng.permutation(scores) for _ in range(k)])
    p = np.linalg.cholesky(normal_score_correlation(target))
    try:
        q = np.linalg.cholesky(np.corrcoef(x, rowvar=False))
    except np.linalg.LinAlgError:  # a degenerate permutation of few draws
        return u
    t = x @ np.linalg.inv(q).T @ p.T
    out = np.empty_like(u)
    for j in range(k):
        ranks = np.argsort(np.argsort(t[:, j]))
        out[:, j] = np.sort(u[:, j])[ranks]
    return out


def draw_uniforms(n: int, k: int, method: str, rng: np.random.Generator) -> np.ndarray:
    if k == 0:
        return np.empty((n, 0))
    if method == "lhs":
        lhs: np.ndarray = qmc.LatinHypercube(d=k, rng=rng).random(n)
        return lhs
    return rng.random((n, k))


def draw_parameters(spec: Scenario, n: int,
                    seed: np.random.SeedSequence) -> list[dict[str, float]]:
    """n draws of every uncertain parameter, one dict (path -> value) per replication."""
    params = uncertain_parameters(spec)
    paths = [path for path, _ in params]
    target = correlation_matrix(spec, paths)
    rng = np.random.default_rng(seed)
    u = draw_uniforms(n, len(params), spec.uncertainty.sampling, rng)
    u = iman_conover(u, target, rng)
    columns = [dist.ppf(u[:, j]) for j, (_, dist) in enumerate(params)]
    return [{path: float(col[i]) for path, col in zip(paths, columns, strict=True)}
            for i in range(n)]
