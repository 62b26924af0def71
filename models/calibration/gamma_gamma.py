"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV:
using iso-value curves for customer base analysis", and Fader & Hardie's note "The Gamma-Gamma
model of monetary value", 2013), fitted by maximum likelihood.

Each transaction of a customer is worth z ~ Gamma(p, nu) (shape p, rate nu), so the customer's
mean spend is p/nu; across customers nu ~ Gamma(q, gamma). The data of a customer are x repeat
transactions with mean value m (customers with x = 0 carry no information and are left out).
Spend is assumed independent of the purchase process (check: the correlation of x and m).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from models.calibration.mle import FitResult, hessian_standard_errors

Array = NDArray[np.float64]
PARAM_NAMES = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def as_array(self) -> Array:
        return np.array([self.p, self.q, self.gamma])

    def mean_spend(self) -> float:
        """E[Z] over customers: p gamma / (q - 1) (infinite for q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def log_likelihood(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """Each customer's log-likelihood of the mean m of x transactions (x > 0): the mean of x
    Gamma(p, nu) values is Gamma(px, nu x); integrating nu over Gamma(q, gamma) gives this."""
    p, q, g = params.p, params.q, params.gamma
    x_, m_ = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x_
    gl = special.gammaln
    return np.asarray(gl(px + q) - gl(px) - gl(q) + q * np.log(g) + (px - 1) * np.log(m_)
                      + px * np.log(x_) - (px + q) * np.log(g + m_ * x_), dtype=float)


def fit(x: ArrayLike, m: ArrayLike) -> FitResult:
    """Maximum-likelihood estimates over customers with x > 0 and m > 0, with standard errors
    from the Hessian."""
    x_, m_ = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x_ > 0) & np.isfinite(m_) & (m_ > 0)
    x_, m_ = x_[keep], m_[keep]

    def negative(log_params: Array) -> float:
        total = log_likelihood(GammaGammaParams(*np.exp(log_params)), x_, m_).sum()
        return float(-total) if np.isfinite(total) else 1e300

    began = time.perf_counter()
    res = optimize.minimize(negative, np.zeros(3), method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 3)
    seconds = time.perf_counter() - began
    estimate = np.exp(res.x)
    se = hessian_standard_errors(
        lambda v: float(log_likelihood(GammaGammaParams(*v), x_, m_).sum()), estimate)
    return FitResult(PARAM_NAMES, estimate, se, -float(res.fun), len(x_), bool(res.success),
                     int(res.nfev), seconds)


def conditional_expected_average_profit(params: GammaGammaParams, x: ArrayLike, m: ArrayLike
                                        ) -> Array:
    """E[Z | x, m]: a customer's expected spend per transaction given x transactions of mean m
    (the population mean for x = 0): a weighted mean of the population mean and m."""
    p, q, g = params.p, params.q, params.gamma
    x_, m_ = np.asarray(x, dtype=float), np.nan_to_num(np.asarray(m, dtype=float))
    return np.asarray((g + m_ * x_) * p / (p * x_ + q - 1), dtype=float)


def posterior_nu(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> tuple[Array, Array]:
    """(shape, rate) of nu given x transactions of mean m: Gamma(q + p x, gamma + m x)."""
    x_, m_ = np.asarray(x, dtype=float), np.nan_to_num(np.asarray(m, dtype=float))
    return params.q + params.p * x_, params.gamma + m_ * x_


class GammaGammaModel:
    """`GammaGammaModel().fit(x, m)` sets `params_`, `standard_errors_`, `log_likelihood_`."""

    params_: GammaGammaParams
    standard_errors_: dict[str, float]
    log_likelihood_: float
    fit_: FitResult

    def fit(self, x: ArrayLike, m: ArrayLike) -> GammaGammaModel:
        self.fit_ = fit(x, m)
        self.params_ = GammaGammaParams(*self.fit_.estimate)
        self.standard_errors_ = self.fit_.standard_errors()
        self.log_likelihood_ = self.fit_.log_likelihood
        return self

    def conditional_expected_average_profit(self, x: ArrayLike, m: ArrayLike) -> Array:
        return conditional_expected_average_profit(self.params_, x, m)


def sample_mean_spend(params: GammaGammaParams, x: ArrayLike, rng: np.random.Generator) -> Array:
    """Mean spend of x transactions per customer (x > 0), drawn from the model."""
    x_ = np.asarray(x, dtype=float)
    nu = rng.gamma(params.q, 1.0 / params.gamma, x_.shape)
    return np.asarray(rng.gamma(params.p * x_, 1.0 / (nu * x_)), dtype=float)
