"""Numeric scenario parameters: a number or a distribution, with its allowed range checked at load."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, TypeAdapter, ValidationError, WithJsonSchema

from models.distributions import DIST_KINDS, Distribution, _Dist

_DIST_ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution)

_DIST_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number"},
        {
            "type": "object",
            "description": "an uncertain value: triangular/pert (low, mode, high), "
            "beta (mean, sd), lognormal (mean, sd) or uniform (low, high)",
            "properties": {"dist": {"enum": list(DIST_KINDS)}},
            "required": ["dist"],
        },
    ]
}


def _parse(value: Any) -> float | _Dist:
    if isinstance(value, _Dist):
        return value
    if isinstance(value, dict):
        if "dist" not in value:
            raise ValueError(
                "a distribution needs 'dist:' set to one of " + ", ".join(DIST_KINDS)
            )
        try:
            return _DIST_ADAPTER.validate_python(value)  # type: ignore[no-any-return]
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"][1:])
            msg = first["msg"].removeprefix("Value error, ")
            raise ValueError(f"bad {value.get('dist')} distribution: {where + ': ' if where else ''}{msg}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number or a distribution, got {value!r}")
    number = float(value)
    if math.isnan(number):
        raise ValueError("expected a number, got NaN")
    return number


def _ranged(low: float, high: float, *, low_open: bool = False, high_open: bool = False,
            integer: bool = False) -> PlainValidator:
    lo_sym = "(" if low_open else "["
    hi_sym = ")" if high_open else "]"
    allowed = f"{lo_sym}{low:g}, {high:g}{hi_sym}"

    def inside(x: float) -> bool:
        above = x > low if low_open else x >= low
        below = x < high if high_open else x <= high
        return above and below

    def validate(value: Any) -> float | _Dist:
        parsed = _parse(value)
        if isinstance(parsed, _Dist):
            a, b = parsed.support()
            if not (inside(a) and inside(b)):
                raise ValueError(
                    f"this distribution ranges over [{a:.4g}, {b:.4g}] but the value must lie in "
                    f"{allowed}; narrow it (e.g. use beta for a probability)"
                )
            return parsed
        if not inside(parsed):
            raise ValueError(f"must lie in {allowed}, got {parsed:g}")
        if integer and parsed != int(parsed):
            raise ValueError(f"must be a whole number, got {parsed:g}")
        return parsed

    return PlainValidator(validate)


def _serialize(value: float | _Dist) -> float | dict[str, Any]:
    """A number as itself, a distribution as the mapping it was written as (dist:, mean:, ...).

    Without this, pydantic serialises a distribution by the union's declared type `_Dist`, which
    has no fields, and every distribution would dump as {} (breaking `scenario_hash`)."""
    if isinstance(value, _Dist):
        return value.model_dump(by_alias=True)
    return value


def _param(low: float, high: float, description: str, **kw: Any) -> Any:
    schema = dict(_DIST_SCHEMA)
    schema["description"] = description
    return Annotated[float | _Dist, _ranged(low, high, **kw), PlainSerializer(_serialize),
                     WithJsonSchema(schema)]


INF = math.inf
Probability = _param(0, 1, "a probability in [0, 1], or a distribution over it")
NonNegative = _param(0, INF, "a number >= 0, or a distribution")
Positive = _param(0, INF, "a number > 0, or a distribution", low_open=True)
Multiplier = _param(0, INF, "a multiplier >= 0 (1 = unchanged), or a distribution")
Count = _param(0, INF, "a whole number >= 0, or a distribution (rounded)", integer=True)
MAX_TOUCHES = 15  # follow-up touches an agent's row of random numbers has room for
TouchCount = _param(0, MAX_TOUCHES, f"follow-up touches, a whole number in [0, {MAX_TOUCHES}]",
                    integer=True)
