"""The shifted-beta-geometric (sBG) model of contract duration (Fader & Hardie 2007, "How to
project customer retention", Journal of Interactive Marketing 21(1)), fitted by maximum
likelihood from a cohort's survivors.

Each client renews at the end of every period with their own probability 1 - theta, and leaves
with probability theta, until they leave for good: their lifetime T (in periods) is geometric,
P(T = t | theta) = theta (1 - theta)^(t - 1). Across clients theta ~ Beta(alpha, beta). Then

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)        (paper, eq. 4)
    S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)          (eq. 5)
    r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)   (eq. 8)

so the retention rate of a cohort rises with tenure: the likely leavers leave first. The data
are a cohort's survivors at the end of periods 0, 1, ..., K (period 0 is the cohort's size);
the n_t = s_(t-1) - s_t clients lost in period t contribute ln P(T = t) each and the s_K still
there ln S(K) each (the paper's eq. 6, with the right-censored survivors).
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
PARAM_NAMES = ("alpha", "beta")
REFERENCE = ("Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. "
             "Journal of Interactive Marketing, 21(1), 76-90.")
_LOG_BOUND = 12.0  # the optimiser's box in log parameters: exp(+-12), far beyond real values


def _check_positive(alpha: float, beta: float) -> None:
    from models.spec.messages import msg

    for name, value in (("alpha", alpha), ("beta", beta)):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(msg("sbg_not_positive", name=name, got=value))


def survival(alpha: float, beta: float, t: ArrayLike) -> Array:
    """S(t): the share of a cohort still there after t periods (eq. 5); S(0) = 1.

    Raises `ValueError` for alpha or beta not above zero."""
    _check_positive(alpha, beta)
    t_ = np.asarray(t, dtype=float)
    return np.asarray(np.exp(special.betaln(alpha, beta + t_) - special.betaln(alpha, beta)),
                      dtype=float)


def churn_probability(alpha: float, beta: float, t: ArrayLike) -> Array:
    """P(T = t): the share of a cohort that leaves in period t = 1, 2, ... (eq. 4)."""
    _check_positive(alpha, beta)
    t_ = np.asarray(t, dtype=float)
    return np.asarray(np.exp(special.betaln(alpha + 1, beta + t_ - 1)
                             - special.betaln(alpha, beta)), dtype=float)


def retention_rate(alpha: float, beta: float, t: ArrayLike) -> Array:
    """r_t = S(t) / S(t - 1): the share of period t - 1's survivors still there after period t
    (eq. 8); it rises with t towards 1."""
    _check_positive(alpha, beta)
    t_ = np.asarray(t, dtype=float)
    return np.asarray((beta + t_ - 1) / (alpha + beta + t_ - 1), dtype=float)


def expected_lifetime(alpha: float, beta: float) -> float:
    """E[T] in periods, counting the period a client leaves in: E[1 / theta] =
    (alpha + beta - 1) / (alpha - 1) for alpha > 1, infinite otherwise (clients with theta near
    zero stay so long that the mean does not exist)."""
    _check_positive(alpha, beta)
    return (alpha + beta - 1) / (alpha - 1) if alpha > 1 else float("inf")


def log_likelihood(alpha: float, beta: float, survivors: ArrayLike) -> float:
    """The log-likelihood of a cohort's survivors s_0, s_1, ..., s_K (eq. 6 with the
    right-censored s_K): sum over t of (s_(t-1) - s_t) ln P(T = t), plus s_K ln S(K)."""
    s = np.asarray(survivors, dtype=float)
    t = np.arange(1, len(s))
    lost = s[:-1] - s[1:]
    lb = special.betaln(alpha, beta)
    log_p = special.betaln(alpha + 1, beta + t - 1) - lb
    log_s = special.betaln(alpha, beta + t[-1]) - lb
    # 0 * log(0) is 0: a period nobody left in adds nothing, whatever P(T = t).
    terms = np.where(lost > 0, lost * log_p, 0.0)
    return float(terms.sum() + (s[-1] * log_s if s[-1] > 0 else 0.0))


@dataclass(frozen=True)
class SBGFit:
    """A fitted sBG: the estimates, their 95% intervals, and the data they came from."""

    fit: FitResult
    low: Array  # 95% interval, symmetric in the log parameters
    high: Array
    survivors: Array  # the whole table, periods 0..len-1
    fit_periods: int  # periods 1..fit_periods were fitted; the rest is a holdout

    @property
    def alpha(self) -> float:
        return float(self.fit.estimate[0])

    @property
    def beta(self) -> float:
        return float(self.fit.estimate[1])

    def survival(self, t: ArrayLike) -> Array:
        return survival(self.alpha, self.beta, t)

    def projection(self) -> Array:
        """Expected survivors of every period of the table: s_0 S(t)."""
        return self.survivors[0] * self.survival(np.arange(len(self.survivors)))

    def report(self) -> dict[str, Any]:
        """For retention.json: each parameter with its 95% interval under the paper's name, the
        log-likelihood and the projection of every period of the table."""
        params = {name: {"estimate": float(est), "low": float(lo), "high": float(hi)}
                  for name, est, lo, hi in zip(PARAM_NAMES, self.fit.estimate, self.low,
                                               self.high, strict=True)}
        expected = self.projection()
        return {
            "model": "sbg",
            "reference": REFERENCE,
            **params,
            "interval": "95%, symmetric in the log parameters (Hessian of the log-likelihood)",
            "log_likelihood": self.fit.log_likelihood,
            "cohort_size": float(self.survivors[0]),
            "fit_periods": self.fit_periods,
            "mean_churn": self.alpha / (self.alpha + self.beta),
            "expected_lifetime_periods": expected_lifetime(self.alpha, self.beta),
            "projection": [
                {"period": t, "survivors": float(s), "expected": float(e),
                 "fitted": bool(1 <= t <= self.fit_periods),
                 "retention_rate": None if t == 0 else float(retention_rate(
                     self.alpha, self.beta, t))}
                for t, (s, e) in enumerate(zip(self.survivors, expected, strict=True))],
        }


def fit(survivors: ArrayLike, fit_periods: int | None = None) -> SBGFit:
    """Maximum-likelihood sBG fit to a cohort's survivors at the end of periods 0, 1, ..., K.

    Parameters
    ----------
    survivors
        Clients still there at the end of each period; the first is the cohort's size. Counts,
        not shares: the intervals depend on how many clients the table is about.
    fit_periods
        Fit on periods 1..fit_periods only (default: all); the later ones are projected.

    Returns
    -------
    SBGFit
        Estimates, 95% intervals in the log parameters, log-likelihood; `converged` is False
        when the optimiser failed or an estimate ran into the edge of its range (no client
        left, or all left in the first period: then the data do not identify alpha and beta).
    """
    s = np.asarray(survivors, dtype=float)
    k = len(s) - 1 if fit_periods is None else int(fit_periods)
    if not 2 <= k <= len(s) - 1:
        raise ValueError(f"fit_periods must be between 2 and {len(s) - 1}, got {k}")
    used = s[:k + 1]

    def negative(log_params: Array) -> float:
        a, b = np.exp(log_params)
        value = log_likelihood(a, b, used)
        return -value if np.isfinite(value) else 1e300

    began = time.perf_counter()
    res = optimize.minimize(negative, np.zeros(2), method="L-BFGS-B",
                            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 2)
    seconds = time.perf_counter() - began
    estimate = np.exp(res.x)
    at_edge = bool(np.any(np.abs(res.x) > _LOG_BOUND - 0.5))

    def ll(p: Array) -> float:
        return log_likelihood(float(p[0]), float(p[1]), used)

    se = hessian_standard_errors(ll, estimate)
    low, high = log_scale_intervals(ll, estimate)
    result = FitResult(PARAM_NAMES, estimate, se, -float(res.fun), int(used[0]),
                       bool(res.success) and not at_edge, int(res.nfev), seconds)
    return SBGFit(result, low, high, s, k)
