"""What a maximum-likelihood fit returns, and standard errors from the Hessian.

Shared by `models.calibration.bgnbd`, `gamma_gamma`, `sbg` and `bgbb`: each maximises a sum
of per-customer log-likelihoods over positive parameters with scipy and reports the same things."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Z95 = 1.959963984540054


@dataclass(frozen=True)
class FitResult:
    names: tuple[str, ...]
    estimate: NDArray[np.float64]
    standard_error: NDArray[np.float64]  # NaN where the Hessian is not invertible
    log_likelihood: float
    n: int  # customers the fit used
    converged: bool
    evaluations: int  # log-likelihood evaluations the optimiser made
    seconds: float  # optimiser time, without the Hessian

    def params(self) -> dict[str, float]:
        return dict(zip(self.names, self.estimate.tolist(), strict=True))

    def standard_errors(self) -> dict[str, float]:
        return dict(zip(self.names, self.standard_error.tolist(), strict=True))

    def report(self) -> dict[str, object]:
        """Estimates with standard errors and 95% Wald intervals, for the JSON output."""
        return {
            "params": {
                name: {"estimate": est, "se": se, "ci95": [est - Z95 * se, est + Z95 * se]}
                for name, est, se in zip(self.names, self.estimate.tolist(),
                                         self.standard_error.tolist(), strict=True)
            },
            "log_likelihood": self.log_likelihood,
            "customers": self.n,
            "converged": self.converged,
            "likelihood_evaluations": self.evaluations,
            "seconds": self.seconds,
        }


def hessian(f: Callable[[NDArray[np.float64]], float], at: NDArray[np.float64],
            relative_step: float = 1e-4) -> NDArray[np.float64]:
    """Central finite-difference Hessian of a scalar function, with steps relative to each
    coordinate (the parameters differ in scale by orders of magnitude)."""
    k = len(at)
    h = relative_step * np.maximum(np.abs(at), 1e-3)
    out = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            def shifted(si: float, sj: float, i: int = i, j: int = j) -> float:
                p = at.astype(float).copy()
                p[i] += si * h[i]
                p[j] += sj * h[j]
                return f(p)

            value = (shifted(1, 1) - shifted(1, -1) - shifted(-1, 1) + shifted(-1, -1)) / (
                4 * h[i] * h[j])
            out[i, j] = out[j, i] = value
    return out


def hessian_standard_errors(log_likelihood: Callable[[NDArray[np.float64]], float],
                            estimate: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard errors: square roots of the diagonal of the inverse observed information (minus
    the Hessian of the log-likelihood at the estimate)."""
    info = -hessian(log_likelihood, estimate)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full(len(estimate), np.nan)
    diag = np.diag(cov)
    return np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)


def log_scale_intervals(log_likelihood: Callable[[NDArray[np.float64]], float],
                        estimate: NDArray[np.float64], z: float = Z95
                        ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(low, high): intervals of positive parameters, symmetric in their logarithms.

    The standard errors of the log parameters come from the Hessian of the log-likelihood as a
    function of the log parameters, and the interval is `estimate * exp(+-z se)`. Why the log
    scale: shape parameters of mixing distributions are skewed, a Wald interval in the
    parameters themselves can reach below zero, and one in the logs cannot. NaN where the
    Hessian is not invertible."""
    log_estimate = np.log(estimate)
    se = hessian_standard_errors(lambda v: log_likelihood(np.exp(v)), log_estimate)
    with np.errstate(over="ignore"):  # an interval as wide as infinity is reported as such
        return estimate * np.exp(-z * se), estimate * np.exp(z * se)
