"""Uncertain parameters: any numeric parameter of a scenario may be one of these, not a number.

Each distribution maps a uniform number u in (0, 1) to a value through its inverse CDF (`ppf`), so
that Latin hypercube designs and rank correlations (Iman-Conover) work on every kind alike.
"""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(_scipy_of(self).ppf(u), dtype=float)

    def _scipy(self) -> Any:  # pragma: no cover - abstract
        """The distribution as a frozen scipy one."""
        raise NotImplementedError

    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take (for range checks at load)."""
        values = self.ppf(np.array([1e-12, 1 - 1e-12]))
        return float(values[0]), float(values[1])


class Triangular(_Dist):
    """Triangular from low, mode (most likely) and high: the three-point estimate of an owner."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(
                f"needs low <= mode <= high and low < high (got low={self.low}, "
                f"mode={self.mode}, high={self.high})"
            )
        return self

    def _scipy(self) -> Any:
        width = self.high - self.low
        return stats.triang((self.mode - self.low) / width, loc=self.low, scale=width)

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0


class Pert(Triangular):
    """PERT (a scaled beta) from low, mode and high: like triangular, with thinner tails."""

    dist: Literal["pert"]  # type: ignore[assignment]

    def _shape(self) -> tuple[float, float]:
        width = self.high - self.low
        alpha = 1 + 4 * (self.mode - self.low) / width
        beta = 1 + 4 * (self.high - self.mode) / width
        return alpha, beta

    def _scipy(self) -> Any:
        a, b = self._shape()
        return stats.beta(a, b, loc=self.low, scale=self.high - self.low)

    def mean(self) -> float:
        return (self.low + 4 * self.mode + self.high) / 6.0


class Beta(_Dist):
    """Beta on (0, 1) from its mean and standard deviation: the natural choice for a probability."""

    dist: Literal["beta"]
    mean_: float = Field(alias="mean", gt=0, lt=1)
    sd: float = Field(gt=0)

    @model_validator(mode="after")
    def _feasible(self) -> Beta:
        limit = math.sqrt(self.mean_ * (1 - self.mean_))
        if self.sd >= limit:
            raise ValueError(
                f"sd must be below sqrt(mean*(1-mean)) = {limit:.4g} for a beta with "
                f"mean {self.mean_} (got sd={self.sd})"
            )
        return self

    def _shape(self) -> tuple[float, float]:
        m, v = self.mean_, self.sd**2
        common = m * (1 - m) / v - 1
        return m * common, (1 - m) * common

    def _scipy(self) -> Any:
        a, b = self._shape()
        return stats.beta(a, b)

    def mean(self) -> float:
        return self.mean_


class LogNormal(_Dist):
    """Log-normal from its mean and standard deviation (of the value, not of its log)."""

    dist: Literal["lognormal"]
    mean_: float = Field(alias="mean", gt=0)
    sd: float = Field(gt=0)

    def _shape(self) -> tuple[float, float]:
        sigma2 = math.log(1 + (self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)

    def _scipy(self) -> Any:
        mu, sigma = self._shape()
        return stats.lognorm(s=sigma, scale=math.exp(mu))

    def mean(self) -> float:
        return self.mean_


class Uniform(_Dist):
    """Uniform between low and high."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"needs low < high (got low={self.low}, high={self.high})")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    def mean(self) -> float:
        return (self.low + self.high) / 2


@functools.lru_cache(maxsize=1024)
def _scipy_of(dist: _Dist) -> Any:
    """The frozen scipy distribution of `dist`, made once: freezing costs ~0.5 ms, and a bet's
    uncertain values are drawn in every replication of a comparison (distributions are frozen
    pydantic models, so equal ones share an entry)."""
    return dist._scipy()


Distribution = Annotated[
    Triangular | Pert | Beta | LogNormal | Uniform, Field(discriminator="dist")
]
DIST_KINDS = ("triangular", "pert", "beta", "lognormal", "uniform")
