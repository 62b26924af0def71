"""The factors of a sensitivity analysis: the scenario's uncertain parameters (their distributions)
and any parameter given a range (uniform between its ends), each sampled on the unit interval
and mapped through its distribution's quantile function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from pydantic import ValidationError

from models.compiled.form import point_values, realise
from models.compiled.sampling import uncertain_parameters
from models.spec.messages import msg
from models.spec.paths import PathError, get_value, set_path
from models.spec.scenario import Scenario
from sim.experiments.sensitivity.groups import lever_of, stage_of

_EDGE = 1e-6  # quantiles are taken inside (0, 1): an unbounded distribution has no 0 or 1


class Distribution(Protocol):
    def ppf(self, u: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class UniformRange:
    """A parameter given a range on the command line: uniform between its ends."""

    low: float
    high: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)


@dataclass(frozen=True)
class Factor:
    path: str
    dist: Distribution
    lever: str
    stage: str

    def value(self, u: float) -> float:
        return float(self.dist.ppf(np.array([min(max(u, _EDGE), 1 - _EDGE)]))[0])


# what a seasonal profile (models.spec.scenario.Seasonality) multiplies: its lever and stage


def _check_range(spec: Scenario, path: str, low: float, high: float) -> None:
    """A range's path must name a parameter and both ends must be valid values of it."""
    raw = realise(spec, point_values(spec)).model_dump(by_alias=True)
    try:
        get_value(raw, path)
    except PathError:
        set_path(raw, path, low, Scenario)  # raises the error naming the unknown part
        raise ValueError(f"{path}: not a parameter of this scenario") from None
    for end in (low, high):
        trial = realise(spec, point_values(spec)).model_dump(by_alias=True)
        set_path(trial, path, end, Scenario)
        try:
            Scenario.model_validate(trial)
        except ValidationError as err:
            msg = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            raise ValueError(f"--range {path}: {end:g} is not a valid value ({msg}); narrow "
                             "the range") from None


def factors(spec: Scenario, ranges: Sequence[tuple[str, float, float]] = (),
            only: Sequence[str] | None = None) -> list[Factor]:
    """Every uncertain parameter of the scenario, then each ranged one (a range given for an
    uncertain parameter replaces its distribution). `only`: keep these paths."""
    ranged = {path: UniformRange(low, high) for path, low, high in ranges}
    for path, low, high in ranges:
        _check_range(spec, path, low, high)
    out: list[Factor] = []
    for path, dist in uncertain_parameters(spec):
        chosen: Distribution = ranged.pop(path, dist)
        out.append(Factor(path, chosen, lever_of(path), stage_of(path)))
    out += [Factor(path, d, lever_of(path), stage_of(path)) for path, d in ranged.items()]
    if only is not None:
        known = {f.path for f in out}
        missing = [p for p in only if p not in known]
        if missing:
            raise ValueError(f"not an uncertain or ranged parameter: {', '.join(missing)}; "
                             f"these are: {', '.join(sorted(known)) or '(none)'}")
        out = [f for f in out if f.path in only]
    return out


def require_factors(fs: Sequence[Factor]) -> None:
    """Fail, saying how to fix it, when there is nothing to analyse."""
    if not fs:
        raise ValueError(msg("no_uncertain_parameters"))
