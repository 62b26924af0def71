"""The beta-geometric/beta-Bernoulli (BG/BB) model of repeat transactions at discrete
opportunities (Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time
noncontractual setting", Marketing Science 29(6)), fitted by maximum likelihood.

At each opportunity (an annual fund-raising drive, a monthly event) a customer who is still
"alive" transacts with probability p; before each later opportunity they die, for good, with
probability theta. Across customers p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta). A
customer's data are x transactions in n opportunities, the last at opportunity t_x (0 if none);
a table of (x, t_x, n, count) holds every customer with the same history once.

Every function is vectorised over histories.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from models.calibration.mle import FitResult, hessian_standard_errors, log_scale_intervals

Array = NDArray[np.float64]
PARAM_NAMES = ("alpha", "beta", "gamma", "delta")
REFERENCE = ("Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a "
             "discrete-time noncontractual setting. Marketing Science, 29(6), 1086-1108.")
_LOG_BOUND = 12.0


@dataclass(frozen=True)
class BGBBParams:
    alpha: float  # p ~ Beta(alpha, beta): the chance of a transaction while alive
    beta: float
    gamma: float  # theta ~ Beta(gamma, delta): the chance of dying before an opportunity
    delta: float

    def __post_init__(self) -> None:
        from models.spec.messages import msg

        for name in PARAM_NAMES:
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(msg("sbg_not_positive", name=name, got=value))

    def as_array(self) -> Array:
        return np.array([self.alpha, self.beta, self.gamma, self.delta])


def _arrays(*xs: ArrayLike) -> list[Array]:
    return [np.asarray(x, dtype=float) for x in xs]


def _terms(params: BGBBParams, x: Array, t_x: Array, n: Array) -> tuple[Array, Array]:
    """(alive, died): the log of the likelihood's first term (alive through opportunity n), and
    the log of the sum over the opportunities the customer may have died after t_x;
    -inf where there is no such opportunity (t_x = n)."""
    a, b, g, d = params.alpha, params.beta, params.gamma, params.delta
    lb = special.betaln
    base = lb(a + x, b + n - x) - lb(a, b)
    alive = base + lb(g, d + n) - lb(g, d)
    longest = int(np.max(n - t_x)) if n.size else 0
    i = np.arange(max(longest, 1))
    # Term i: alive through opportunity t_x + i, dead at the next one.
    each = (lb(a + x[..., None], b + t_x[..., None] - x[..., None] + i) - lb(a, b)
            + lb(g + 1, d + t_x[..., None] + i) - lb(g, d))
    each = np.where(i < (n - t_x)[..., None], each, -np.inf)
    died = special.logsumexp(each, axis=-1)
    return np.asarray(alive, dtype=float), np.asarray(died, dtype=float)


def log_likelihood(params: BGBBParams, x: ArrayLike, t_x: ArrayLike, n: ArrayLike) -> Array:
    """Each history's log-likelihood."""
    x_, tx_, n_ = _arrays(x, t_x, n)
    alive, died = _terms(params, x_, tx_, n_)
    return np.asarray(np.logaddexp(alive, died), dtype=float)


def conditional_probability_alive(params: BGBBParams, x: ArrayLike, t_x: ArrayLike,
                                  n: ArrayLike) -> Array:
    """P(alive at opportunity n + 1 | x, t_x, n)."""
    x_, tx_, n_ = _arrays(x, t_x, n)
    g, d = params.gamma, params.delta
    alive, died = _terms(params, x_, tx_, n_)
    # alive through n and not dying before n + 1: B(g, d + n + 1) instead of B(g, d + n).
    next_alive = alive + special.betaln(g, d + n_ + 1) - special.betaln(g, d + n_)
    return np.asarray(np.exp(next_alive - np.logaddexp(alive, died)), dtype=float)


def expected_number_of_transactions(params: BGBBParams, n: ArrayLike) -> Array:
    """E[X(n)]: expected transactions of a new customer in n opportunities."""
    a, b, g, d = params.alpha, params.beta, params.gamma, params.delta
    (n_,) = _arrays(n)
    gl = special.gammaln
    ratio = np.exp(gl(g + d) - gl(1 + d) + gl(1 + d + n_) - gl(g + d + n_))
    return np.asarray(a / (a + b) * d / (g - 1) * (1 - ratio), dtype=float)


def probability_of_n_transactions(params: BGBBParams, x: ArrayLike, n: int) -> Array:
    """P(X(n) = x): the chance a new customer transacts x times in n opportunities."""
    a, b, g, d = params.alpha, params.beta, params.gamma, params.delta
    (x_,) = _arrays(x)
    lb = special.betaln

    def log_choose(top: Array | float, k: Array) -> Array:
        return np.asarray(special.gammaln(np.asarray(top) + 1) - special.gammaln(k + 1)
                          - special.gammaln(np.asarray(top) - k + 1), dtype=float)

    alive = np.exp(log_choose(n, x_) + lb(a + x_, b + n - x_) - lb(a, b)
                   + lb(g, d + n) - lb(g, d))
    # Died after opportunity i (x <= i < n): x transactions among those i.
    i = np.arange(n, dtype=float)
    with np.errstate(invalid="ignore"):
        each = np.exp(log_choose(i, x_[..., None]) + lb(a + x_[..., None], b + i - x_[..., None])
                      - lb(a, b) + lb(g + 1, d + i) - lb(g, d))
    died = np.where(i >= x_[..., None], each, 0.0).sum(axis=-1)
    return np.asarray(alive + died, dtype=float)


def conditional_expected_number_of_transactions(
        params: BGBBParams, m: ArrayLike, x: ArrayLike, t_x: ArrayLike, n: ArrayLike) -> Array:
    """E[X(n, n + m) | x, t_x, n]: expected transactions in the next m opportunities of a
    customer with this history."""
    a, b, g, d = params.alpha, params.beta, params.gamma, params.delta
    m_, x_, tx_, n_ = _arrays(m, x, t_x, n)
    gl, lb = special.gammaln, special.betaln
    total = log_likelihood(params, x_, tx_, n_)
    head = np.exp(lb(a + x_ + 1, b + n_ - x_) - lb(a, b) - total
                  + gl(g + d) - gl(1 + d))
    tail = (np.exp(gl(1 + d + n_) - gl(g + d + n_))
            - np.exp(gl(1 + d + n_ + m_) - gl(g + d + n_ + m_)))
    return np.asarray(head * d / (g - 1) * tail, dtype=float)


@dataclass(frozen=True)
class BGBBFit:
    """A fitted BG/BB with the histories it came from."""

    fit: FitResult
    low: Array
    high: Array
    x: Array
    t_x: Array
    n: Array
    count: Array

    @property
    def params(self) -> BGBBParams:
        return BGBBParams(*self.fit.estimate.tolist())

    def report(self, horizon: int | None = None) -> dict[str, Any]:
        """For retention.json: each parameter with its 95% interval under the paper's name, the
        log-likelihood, and per history P(alive) and the expected transactions over the next
        `horizon` opportunities (default: the table's largest n)."""
        m = int(self.n.max()) if horizon is None else horizon
        p = self.params
        alive = conditional_probability_alive(p, self.x, self.t_x, self.n)
        expected = conditional_expected_number_of_transactions(p, m, self.x, self.t_x, self.n)
        return {
            "model": "bgbb",
            "reference": REFERENCE,
            **{name: {"estimate": float(est), "low": float(lo), "high": float(hi)}
               for name, est, lo, hi in zip(PARAM_NAMES, self.fit.estimate, self.low,
                                            self.high, strict=True)},
            "interval": "95%, symmetric in the log parameters (Hessian of the log-likelihood)",
            "log_likelihood": self.fit.log_likelihood,
            "customers": int(self.count.sum()),
            "next_opportunities": m,
            "histories": [
                {"frequency": int(xi), "recency": int(ti), "n": int(ni), "count": int(ci),
                 "p_alive": float(ai), "expected_transactions": float(ei)}
                for xi, ti, ni, ci, ai, ei in zip(self.x, self.t_x, self.n, self.count, alive,
                                                  expected, strict=True)],
        }


def fit(x: ArrayLike, t_x: ArrayLike, n: ArrayLike, count: ArrayLike) -> BGBBFit:
    """Maximum-likelihood BG/BB fit to a table of histories.

    Parameters
    ----------
    x, t_x, n
        Transactions, the opportunity of the last one (0 if none), and opportunities, per
        history.
    count
        Customers with that history (the weights of the log-likelihood).

    Returns
    -------
    BGBBFit
        Estimates with 95% intervals symmetric in the log parameters; `converged` is False when
        the optimiser failed or an estimate ran to the edge of its range.
    """
    x_, tx_, n_, c_ = _arrays(x, t_x, n, count)

    def total(p: Array) -> float:
        try:
            params = BGBBParams(*p.tolist())
        except ValueError:
            return -np.inf
        return float((c_ * log_likelihood(params, x_, tx_, n_)).sum())

    def negative(log_params: Array) -> float:
        value = total(np.exp(log_params))
        return -value if np.isfinite(value) else 1e300

    began = time.perf_counter()
    res = optimize.minimize(negative, np.zeros(4), method="L-BFGS-B",
                            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4)
    seconds = time.perf_counter() - began
    estimate = np.exp(res.x)
    at_edge = bool(np.any(np.abs(res.x) > _LOG_BOUND - 0.5))
    se = hessian_standard_errors(total, estimate)
    low, high = log_scale_intervals(total, estimate)
    result = FitResult(PARAM_NAMES, estimate, se, -float(res.fun), int(c_.sum()),
                       bool(res.success) and not at_edge, int(res.nfev), seconds)
    return BGBBFit(result, low, high, x_, tx_, n_, c_)
