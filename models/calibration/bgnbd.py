"""The BG/NBD model of repeat purchasing and dropout (Fader, Hardie & Lee 2005, "Counting your
customers the easy way", Marketing Science 24(2)), fitted by maximum likelihood.

While alive, a customer buys at Poisson rate lambda; after each purchase they drop out for good
with probability p. Across customers lambda ~ Gamma(r, alpha) (shape r, rate alpha, per period)
and p ~ Beta(a, b). A customer's data are x repeat transactions, the last at t_x, observed for T
periods since the first purchase (see `models.calibration.transactions.rfm_summary`).

Equation numbers refer to the paper. Every function is vectorised over customers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from models.calibration.mle import FitResult, hessian_standard_errors

Array = NDArray[np.float64]
PARAM_NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float  # rate of the Gamma mixing distribution of lambda, per period
    a: float
    b: float

    def as_array(self) -> Array:
        return np.array([self.r, self.alpha, self.a, self.b])


def _arrays(*xs: ArrayLike) -> list[Array]:
    return [np.asarray(x, dtype=float) for x in xs]


def log_likelihood(params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
    """Each customer's log-likelihood (eq. 6, in logs: the two terms are added with logaddexp so
    large x and T do not overflow)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x_, tx_, T_ = _arrays(x, t_x, T)
    gl = special.gammaln
    a1 = gl(r + x_) - gl(r) + r * np.log(alpha)
    a2 = gl(a + b) + gl(b + x_) - gl(b) - gl(a + b + x_)
    a3 = -(r + x_) * np.log(alpha + T_)
    repeat = x_ > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(repeat, np.log(a) - np.log(np.maximum(b + x_ - 1, 1e-300))
                      - (r + x_) * np.log(alpha + tx_), -np.inf)
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=float)


def fit(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, initial: BGNBDParams | None = None
        ) -> FitResult:
    """Maximum-likelihood estimates with standard errors from the Hessian of the log-likelihood.

    The optimiser works on log parameters (all four are positive); the standard errors are for
    the parameters themselves (the inverse of the observed information)."""
    x_, tx_, T_ = _arrays(x, t_x, T)
    start = np.log(initial.as_array()) if initial is not None else np.zeros(4)

    def negative(log_params: Array) -> float:
        total = log_likelihood(BGNBDParams(*np.exp(log_params)), x_, tx_, T_).sum()
        return float(-total) if np.isfinite(total) else 1e300

    began = time.perf_counter()
    res = optimize.minimize(negative, start, method="L-BFGS-B",
                            bounds=[(-12.0, 12.0)] * 4)  # exp(+-12): far beyond real values
    seconds = time.perf_counter() - began
    estimate = np.exp(res.x)
    se = hessian_standard_errors(
        lambda p: float(log_likelihood(BGNBDParams(*p), x_, tx_, T_).sum()), estimate)
    return FitResult(PARAM_NAMES, estimate, se, -float(res.fun), len(x_), bool(res.success),
                     int(res.nfev), seconds)


class BGNBDModel:
    """The BG/NBD model, scikit-learn style: `BGNBDModel().fit(x, t_x, T)` sets `params_`,
    `standard_errors_`, `log_likelihood_`, `fit_`."""

    params_: BGNBDParams
    standard_errors_: dict[str, float]
    log_likelihood_: float
    fit_: FitResult

    def __init__(self, params: BGNBDParams | None = None) -> None:
        if params is not None:
            self.params_ = params

    def fit(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BGNBDModel:
        self.fit_ = fit(x, t_x, T)
        self.params_ = BGNBDParams(*self.fit_.estimate)
        self.standard_errors_ = self.fit_.standard_errors()
        self.log_likelihood_ = self.fit_.log_likelihood
        return self

    def expected_number_of_purchases_up_to_time(self, t: ArrayLike) -> Array:
        return expected_number_of_purchases_up_to_time(self.params_, t)

    def conditional_expected_number_of_purchases_up_to_time(
            self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
        return conditional_expected_number_of_purchases_up_to_time(self.params_, t, x, t_x, T)

    def conditional_probability_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
        return conditional_probability_alive(self.params_, x, t_x, T)

    def probability_of_n_purchases_up_to_time(self, t: ArrayLike, n: ArrayLike) -> Array:
        return probability_of_n_purchases_up_to_time(self.params_, t, n)


def expected_number_of_purchases_up_to_time(params: BGNBDParams, t: ArrayLike) -> Array:
    """E[X(t)] for a new customer (eq. 9)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    (t_,) = _arrays(t)
    hyp = special.hyp2f1(r, b, a + b - 1, t_ / (alpha + t_))
    return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t_)) ** r * hyp),
                      dtype=float)


def conditional_expected_number_of_purchases_up_to_time(
        params: BGNBDParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
    """E[Y(t) | x, t_x, T]: expected transactions in the next t periods of a customer with this
    history (eq. 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    t_, x_, tx_, T_ = _arrays(t, x, t_x, T)
    hyp = special.hyp2f1(r + x_, b + x_, a + b + x_ - 1, t_ / (alpha + T_ + t_))
    head = (a + b + x_ - 1) / (a - 1) * (1 - ((alpha + T_) / (alpha + T_ + t_)) ** (r + x_) * hyp)
    return np.asarray(head * conditional_probability_alive(params, x_, tx_, T_), dtype=float)


def conditional_probability_alive(params: BGNBDParams, x: ArrayLike, t_x: ArrayLike,
                                  T: ArrayLike) -> Array:
    """P(alive at T | x, t_x, T) (eq. 11 of the paper's technical appendix): 1 for x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x_, tx_, T_ = _arrays(x, t_x, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (np.log(a) - np.log(b + x_ - 1)
                    + (r + x_) * (np.log(alpha + T_) - np.log(alpha + tx_)))
    return np.asarray(np.where(x_ > 0, special.expit(-log_odds), 1.0), dtype=float)


def probability_of_n_purchases_up_to_time(params: BGNBDParams, t: ArrayLike, n: ArrayLike
                                          ) -> Array:
    """P(X(t) = n) for a new customer observed for t periods (eq. 8)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    t_, n_ = np.broadcast_arrays(*_arrays(t, n))
    gl, lb = special.gammaln, special.betaln
    share = np.log(alpha / (alpha + t_))
    frac = np.log(t_ / (alpha + t_))
    first = np.exp(lb(a, b + n_) - lb(a, b) + gl(r + n_) - gl(r) - gl(n_ + 1)
                   + r * share + n_ * frac)
    # sum_{j<n} Gamma(r+j)/(Gamma(r) j!) (t/(alpha+t))^j, for each n: a running sum over j.
    n_max = int(np.max(n_)) if n_.size else 0
    j = np.arange(max(n_max, 1))
    terms = np.exp(gl(r + j) - gl(r) - gl(j + 1) + np.multiply.outer(frac, j)
                   + r * share[..., None])
    cum = np.concatenate([np.zeros((*terms.shape[:-1], 1)), np.cumsum(terms, axis=-1)], axis=-1)
    below = np.take_along_axis(cum, n_.astype(int)[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        second = np.where(n_ > 0, np.exp(lb(a + 1, b + n_ - 1) - lb(a, b)) * (1 - below), 0.0)
    return np.asarray(first + second, dtype=float)


@dataclass(frozen=True)
class Posterior:
    """Each customer's posterior over (lambda, p) given their history: a mixture of 'alive at T'
    (weight `alive`): lambda ~ Gamma(rate_shape, rate_rate), p ~ Beta(drop_a, drop_b); and 'dropped
    out at the last purchase' (no more purchases, so its (lambda, p) never matter).

    Why: the likelihood of a history is (1-p)^x lambda^x e^(-lambda T) (alive) plus, for x > 0,
    p (1-p)^(x-1) lambda^x e^(-lambda t_x) (dropped out right after the x-th purchase). Times the
    Gamma(r, alpha) Beta(a, b) prior, the first term is Gamma(r+x, alpha+T) Beta(a, b+x) with
    weight Gamma(r+x)/(alpha+T)^(r+x) B(a, b+x), the second Gamma(r+x, alpha+t_x)
    Beta(a+1, b+x-1) with weight Gamma(r+x)/(alpha+t_x)^(r+x) B(a+1, b+x-1); their ratio is the
    odds in `conditional_probability_alive`. A customer drawn from this mixture and simulated
    forward buys, on average, exactly `conditional_expected_number_of_purchases_up_to_time`."""

    alive: Array
    rate_shape: Array
    rate_rate: Array  # per period
    drop_a: Array
    drop_b: Array


def posterior(params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Posterior:
    x_, tx_, T_ = _arrays(x, t_x, T)
    alive = conditional_probability_alive(params, x_, tx_, T_)
    return Posterior(alive, params.r + x_, params.alpha + T_, np.full_like(x_, params.a),
                     params.b + x_)


def sample_histories(params: BGNBDParams, T: ArrayLike, rng: np.random.Generator
                     ) -> tuple[Array, Array]:
    """(x, t_x) of customers observed for T periods each, drawn from the model: for the
    round-trip tests and the benchmark.

    A customer makes N ~ Poisson(lambda T) purchases if alive throughout and drops out after
    purchase K ~ Geometric(p), so x = min(N, K); given N, the purchase times are N uniform
    points on (0, T], so the x-th is T times a Beta(x, N - x + 1)."""
    (T_,) = _arrays(T)
    n = T_.shape[0]
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    count = rng.poisson(lam * T_)
    x = np.minimum(count, rng.geometric(p)).astype(float)
    t_x = np.where(x > 0, T_ * rng.beta(np.maximum(x, 1), count - x + 1), 0.0)
    return x, t_x
