"""The shifted-beta-geometric (sBG) model of contract duration (Fader & Hardie 2007, "How to
project customer retention", Journal of Interactive Marketing 21(1)), fitted by maximum
likelihood from a cohort's survivors.

Each client renews at the end of every period with their own probability 1 - theta, and leaves
with probability theta, until they leave for good: their lifetime T (in periods) is geometric,
P(T = t | theta) = theta (1 - theta)^(t - 1). Across clients theta ~ Beta(alpha, beta). Then

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)
    r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

so the retention rate of a cohort rises with tenure: the likely leavers leave first. The data
are a cohort's survivors at the end of periods 0, 1, ..., K (period 0 is the cohort's size);
the n_t = s_(t-1) - s_t clients lost in period t contribute ln P(T = t) each and the s_K still
there ln S(K) each (the paper's likelihood, with the right-censored survivors).

The beta-discrete-Weibull (BdW) extension (Fader, Hardie, Liu, Davin & Steenburgh 2018, "'How to
project customer retention' revisited: the role of duration dependence", Journal of Interactive
Marketing 43) lets each client's own churn change with tenure: P(T > t | theta) =
(1 - theta)^(t^c), so S(t) = B(alpha, beta + t^c) / B(alpha, beta). c = 1 is the sBG; c < 1 a
client grows more loyal with tenure, c > 1 less. `fit(..., model="bdw")` estimates c too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from models.calibration.mle import FitResult, hessian_standard_errors, log_scale_intervals

Array = NDArray[np.float64]
PARAM_NAMES = ("alpha", "beta")
BDW_PARAM_NAMES = ("alpha", "beta", "c")
REFERENCE = ("Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. "
             "Journal of Interactive Marketing, 21(1), 76-90.")
BDW_REFERENCE = ("Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T. (2018). "
                 "\"How to project customer retention\" revisited: the role of duration "
                 "dependence. Journal of Interactive Marketing, 43, 1-16.")
_LOG_BOUND = 12.0  # the optimiser's box in log parameters: exp(+-12), far beyond real values


def _check_positive(alpha: float, beta: float) -> None:
    from models.spec.messages import msg

    for name, value in (("alpha", alpha), ("beta", beta)):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(msg("sbg_not_positive", name=name, got=value))


def survival(alpha: float, beta: float, t: ArrayLike) -> Array:
    """S(t): the share of a cohort still there after t periods; S(0) = 1.

    Raises `ValueError` for alpha or beta not above zero."""
    _check_positive(alpha, beta)
    t_ = np.asarray(t, dtype=float)
    return np.asarray(np.exp(special.betaln(alpha, beta + t_) - special.betaln(alpha, beta)),
                      dtype=float)


def churn_probability(alpha: float, beta: float, t: ArrayLike) -> Array:
    """P(T = t): the share of a cohort that leaves in period t (t = 1, 2, ...)."""
    _check_positive(alpha, beta)
    t_ = np.asarray(t, dtype=float)
    return np.asarray(np.exp(special.betaln(alpha + 1, beta + t_ - 1)
                             - special.betaln(alpha, beta)), dtype=float)


def retention_rate(alpha: float, beta: float, t: ArrayLike) -> Array:
    """r_t = S(t) / S(t - 1): the share of period t - 1's survivors still there after period t;
    it rises with t towards 1."""
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
    """The log-likelihood of a cohort's survivors s_0, s_1, ..., s_K (with the
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


def bdw_survival(alpha: float, beta: float, c: float, t: ArrayLike) -> Array:
    """S(t) of the beta-discrete-Weibull: B(alpha, beta + t^c) / B(alpha, beta); with c = 1 the
    sBG's S(t)."""
    _check_positive(alpha, beta)
    if not np.isfinite(c) or c <= 0:
        from models.spec.messages import msg

        raise ValueError(msg("bdw_c_not_positive", got=c))
    t_ = np.asarray(t, dtype=float)
    return np.asarray(np.exp(special.betaln(alpha, beta + t_ ** c)
                             - special.betaln(alpha, beta)), dtype=float)


def bdw_log_likelihood(alpha: float, beta: float, c: float, survivors: ArrayLike) -> float:
    """The BdW log-likelihood of survivors s_0..s_K: the lost of period t contribute
    ln(S(t - 1) - S(t)) each, the s_K still there ln S(K)."""
    s = np.asarray(survivors, dtype=float)
    t = np.arange(len(s), dtype=float)
    lb = special.betaln(alpha, beta)
    log_s = special.betaln(alpha, beta + t ** c) - lb
    # ln(S(t-1) - S(t)) = ln S(t-1) + ln(1 - S(t)/S(t-1)), exact where S is tiny.
    # (Rounding can make S(t) a hair above S(t-1) where both are flat: a zero probability.)
    with np.errstate(divide="ignore"):
        log_p = log_s[:-1] + np.log(np.maximum(-np.expm1(log_s[1:] - log_s[:-1]), 0.0))
    lost = s[:-1] - s[1:]
    terms = np.where(lost > 0, lost * log_p, 0.0)
    return float(terms.sum() + (s[-1] * log_s[-1] if s[-1] > 0 else 0.0))


@dataclass(frozen=True)
class SBGFit:
    """A fitted sBG (or BdW, with its c): the estimates, their 95% intervals, and the cohorts
    they came from (one, or several sharing alpha and beta)."""

    fit: FitResult
    low: Array  # 95% interval, symmetric in the log parameters
    high: Array
    cohorts: tuple[Array, ...]  # each cohort's whole table, periods 0..len-1
    fit_periods: int  # periods 1..fit_periods were fitted; the rest is a holdout
    labels: tuple[str, ...] = ()  # the cohorts' names; none for a single unnamed cohort

    @property
    def survivors(self) -> Array:
        """The first (or only) cohort's table."""
        return self.cohorts[0]

    @property
    def alpha(self) -> float:
        return float(self.fit.estimate[0])

    @property
    def beta(self) -> float:
        return float(self.fit.estimate[1])

    @property
    def c(self) -> float:
        """The BdW's duration dependence; 1 for the sBG."""
        return float(self.fit.estimate[2]) if len(self.fit.estimate) > 2 else 1.0

    @property
    def model(self) -> str:
        return "bdw" if len(self.fit.estimate) > 2 else "sbg"

    def survival(self, t: ArrayLike) -> Array:
        return bdw_survival(self.alpha, self.beta, self.c, t)

    def projection(self, cohort: int = 0) -> Array:
        """Expected survivors of every period of a cohort's table: s_0 S(t)."""
        table = self.cohorts[cohort]
        survivors: Array = table[0] * self.survival(np.arange(len(table)))
        return survivors

    def report(self) -> dict[str, Any]:
        """For retention.json: each parameter with its 95% interval under the paper's name, the
        log-likelihood and the projection of every period of the table."""
        params = {name: {"estimate": float(est), "low": float(lo), "high": float(hi)}
                  for name, est, lo, hi in zip(self.fit.names, self.fit.estimate, self.low,
                                               self.high, strict=True)}
        longest = max(len(c) for c in self.cohorts)
        s = self.survival(np.arange(longest))
        sbg = self.model == "sbg"

        def rows(i: int) -> list[dict[str, Any]]:
            named = {"cohort": self.labels[i]} if self.labels else {}
            return [{**named, "period": t, "survivors": float(n), "expected": float(e),
                     "fitted": bool(1 <= t <= self.fit_periods),
                     "retention_rate": None if t == 0 else float(s[t] / s[t - 1])}
                    for t, (n, e) in enumerate(zip(self.cohorts[i], self.projection(i),
                                                   strict=True))]

        return {
            "model": self.model,
            "reference": REFERENCE if sbg else BDW_REFERENCE,
            **params,
            "interval": "95%, symmetric in the log parameters (Hessian of the log-likelihood)",
            "log_likelihood": self.fit.log_likelihood,
            "cohort_size": float(sum(c[0] for c in self.cohorts)),
            "cohorts": len(self.cohorts),
            "fit_periods": self.fit_periods,
            "mean_churn": self.alpha / (self.alpha + self.beta),
            "expected_lifetime_periods": (expected_lifetime(self.alpha, self.beta) if sbg
                                          else None),
            "projection": [row for i in range(len(self.cohorts)) for row in rows(i)],
        }


def fit(survivors: ArrayLike, fit_periods: int | None = None, model: str = "sbg") -> SBGFit:
    """Maximum-likelihood sBG (or BdW) fit to a cohort's survivors at the end of periods 0, 1,
    ..., K (`fit_cohorts` for several cohorts).

    Parameters
    ----------
    survivors
        Clients still there at the end of each period; the first is the cohort's size. Counts,
        not shares: the intervals depend on how many clients the table is about.
    fit_periods
        Fit on periods 1..fit_periods only (default: all); the later ones are projected.
    model
        "sbg" (alpha, beta) or "bdw" (alpha, beta, c).

    Returns
    -------
    SBGFit
        Estimates, 95% intervals in the log parameters, log-likelihood; `converged` is False
        when the optimiser failed or an estimate ran into the edge of its range (no client
        left, or all left in the first period: then the data do not identify alpha and beta).
    """
    return fit_cohorts([survivors], fit_periods, model)


def fit_cohorts(cohorts: Sequence[ArrayLike], fit_periods: int | None = None,
                model: str = "sbg", labels: Sequence[str] = ()) -> SBGFit:
    """Maximum-likelihood sBG (or BdW) fit to several cohorts sharing alpha and beta (and c):
    the log-likelihood is the sum of the cohorts', each over its own periods (a triangle: later
    cohorts have fewer periods).

    Parameters
    ----------
    cohorts
        Each cohort's survivors at the end of periods 0, 1, ..., K_i (K_i >= 0).
    fit_periods
        Fit on periods 1..fit_periods of each cohort (default: all); between 2 and the longest
        cohort's last period.
    model
        "sbg" (alpha, beta) or "bdw" (alpha, beta, c).
    labels
        The cohorts' names, for the report (none: one unnamed cohort).
    """
    tables = tuple(np.asarray(c, dtype=float) for c in cohorts)
    last = max(len(c) for c in tables) - 1
    k = last if fit_periods is None else int(fit_periods)
    if not 2 <= k <= last:
        raise ValueError(f"fit_periods must be between 2 and {last}, got {k}")
    parts = [c[:k + 1] for c in tables if len(c) > 1]  # a lone period 0 tells nothing
    if model not in ("sbg", "bdw"):
        raise ValueError(f"model must be 'sbg' or 'bdw', got {model!r}")
    names = PARAM_NAMES if model == "sbg" else BDW_PARAM_NAMES

    def ll(p: Array) -> float:
        if model == "sbg":
            return sum(log_likelihood(float(p[0]), float(p[1]), c) for c in parts)
        return sum(bdw_log_likelihood(float(p[0]), float(p[1]), float(p[2]), c) for c in parts)

    def negative(log_params: Array) -> float:
        with np.errstate(all="ignore"):
            value = ll(np.exp(log_params))
        return -value if np.isfinite(value) else 1e300

    began = time.perf_counter()
    if model == "sbg":
        res = optimize.minimize(negative, np.zeros(2), method="L-BFGS-B",
                                bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 2)
    else:
        # From the sBG's estimates with c = 1 (the BdW nests the sBG), by the simplex: the BdW
        # surface is flat along c where few periods are fitted, and gradient steps overshoot.
        start = np.append(np.log(fit_cohorts(tables, k).fit.estimate), 0.0)
        res = optimize.minimize(negative, start, method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 20_000,
                                         "maxfev": 20_000})
    seconds = time.perf_counter() - began
    estimate = np.exp(res.x)
    at_edge = bool(np.any(np.abs(res.x) > _LOG_BOUND - 0.5))
    se = hessian_standard_errors(ll, estimate)
    low, high = log_scale_intervals(ll, estimate)
    result = FitResult(names, estimate, se, -float(res.fun), int(sum(c[0] for c in parts)),
                       bool(res.success) and not at_edge, int(res.nfev), seconds)
    return SBGFit(result, low, high, tables, k, tuple(labels))
