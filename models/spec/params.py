"""Numeric scenario parameters: a number or a distribution, its allowed range checked at load."""

from __future__ import annotations

import math
import re
import reprlib
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, TypeAdapter, ValidationError, WithJsonSchema

from models.spec.distributions import DIST_KINDS, Distribution, _Dist
from models.spec.messages import msg

_DIST_ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution)

# The largest amount or count a parameter may hold (money per month, a price, leads a month, a
# multiplier). Sums over clients, months and replications of values this large stay far inside
# a float's range (1e308) and exact to the kopeck below ~1e15, so tables and summary.json never
# show inf or NaN; no business needs more (world GDP is ~1e14 USD a year). Volumes (leads,
# clients) are bounded separately: models/compiled/workload.py.
MAX_AMOUNT = 1e12

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxtuple, _REPR.maxset = 2, 6, 6, 6, 6
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 60, 60, 40


def short_repr(value: Any, limit: int = 80) -> str:
    """A repr of user input that is never longer than `limit`, and never built in full first:
    reprlib stops after a few items and levels, so a list of ten million aliases costs nothing."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

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


def _parse_dist(value: dict[str, Any]) -> _Dist:
    """A distribution written as a mapping ({dist: beta, mean: .., sd: ..}), checked."""
    if "dist" not in value:
        raise ValueError(
            "a distribution needs 'dist:' set to one of " + ", ".join(DIST_KINDS)
        )
    kind = value.get("dist")
    if kind not in _DIST_PARAMS:
        raise ValueError(
            f"unknown distribution {short_repr(kind)}; use one of {', '.join(DIST_KINDS)}"
        )
    takes = f"a {kind} takes {_DIST_PARAMS[kind]}"
    for key, number in value.items():
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"bad {kind} distribution: {key} is {number}; {takes} as "
                             "finite numbers")
    try:
        return _DIST_ADAPTER.validate_python(value)  # type: ignore[no-any-return]
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:])
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = f"unknown parameter {where!r}; {takes}"
        elif first["type"] == "missing":
            msg = f"{where!r} is missing; {takes}"
        elif where:
            msg = f"{where}: {msg} (got {short_repr(first.get('input'))})"
        raise ValueError(f"bad {kind} distribution: {msg}") from None


def _parse(value: Any) -> float | _Dist:
    if isinstance(value, _Dist):
        return value
    if isinstance(value, dict):
        return _parse_dist(value)
    if isinstance(value, str) and _SCIENTIFIC.match(value.strip()):
        value = float(value)  # YAML 1.1 reads 1e6 (no dot) as text; YAML 1.2 and people don't
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number or a distribution, got {short_repr(value)}"
                         f"{_hint(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"the number {str(value)[:12]}... is too large; is it a typo?") from None
    if math.isnan(number):
        raise ValueError("expected a number, got NaN; write a number")
    if math.isinf(number):
        raise ValueError(f"expected a finite number, got {number}; write a number")
    return number


parse_value = _parse  # a number or a distribution, from YAML


_DIST_PARAMS = {
    "triangular": "low, mode and high",
    "pert": "low, mode and high",
    "beta": "mean and sd (a value in (0, 1))",
    "lognormal": "mean and sd (a value > 0)",
    "uniform": "low and high",
}
_SCIENTIFIC = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _hint(value: Any) -> str:
    """How to fix a value that is not a number, where we can guess."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                return f"; write a share as a fraction: {float(text[:-1]) / 100:g} for {text}"
            except ValueError:
                return "; write a share as a fraction, e.g. 0.1 for 10%"
        if re.match(r"^[-+]?[\d\s.,_]+\s*\D+$", text):
            return "; write the number alone, without units or currency"
        if re.match(r"^[-+]?\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?$", text):
            return "; write it without thousands separators (1000000 or 1_000_000)"
        return "; write a number, or a distribution such as {dist: beta, mean: 0.1, sd: 0.02}"
    if value is None:
        return "; give it a value or remove the line"
    if isinstance(value, bool):
        return "; write a number (true/false is not one)"
    if isinstance(value, list):
        return "; for an uncertain value write {dist: triangular, low: ..., mode: ..., high: ...}"
    return ""


def _ranged(low: float, high: float, *, low_open: bool = False, high_open: bool = False,
            integer: bool = False) -> PlainValidator:
    lo_sym = "(" if low_open else "["
    hi_sym = ")" if high_open else "]"
    allowed = f"{lo_sym}{low:g}, {high:g}{hi_sym}"
    must = (f"must be {'>' if low_open else '>='} {low:g}" if math.isinf(high)
            else f"must lie in {allowed}")
    suggest = (" (e.g. use beta for a probability)" if (low, high) == (0, 1)
               else " (e.g. use lognormal for an amount above 0)" if math.isinf(high) else "")

    def inside(x: float) -> bool:
        above = x > low if low_open else x >= low
        below = x < high if high_open else x <= high
        return above and below

    def validate(value: Any) -> float | _Dist:
        # the common case, checked at once (bets validate every month variant of every
        # replication); a huge integer goes the long way, to its own message
        if type(value) is float or (type(value) is int and abs(value) <= MAX_AMOUNT):
            number = float(value)
            if (inside(number) and abs(number) <= MAX_AMOUNT
                    and (not integer or number == int(number))):
                return number
        parsed = _parse(value)
        if isinstance(parsed, _Dist):
            a, b = parsed.support()
            if not (math.isfinite(a) and math.isfinite(b)):
                raise ValueError(
                    "this distribution has no finite range; give it finite parameters"
                )
            if not (inside(a) and inside(b)):
                raise ValueError(
                    f"this distribution ranges over [{a:.4g}, {b:.4g}] but the value {must}; "
                    f"narrow it{suggest}"
                )
            if max(abs(a), abs(b)) > MAX_AMOUNT:
                raise ValueError(msg("dist_too_large", limit=f"{MAX_AMOUNT:g}",
                                     got=f"{max(abs(a), abs(b)):.4g}"))
            return parsed
        if not inside(parsed):
            raise ValueError(f"{must}, got {parsed:g}; {fix(parsed)}")
        if abs(parsed) > MAX_AMOUNT:
            raise ValueError(msg("amount_too_large", limit=f"{MAX_AMOUNT:g}", got=f"{parsed:g}"))
        if integer and parsed != int(parsed):
            raise ValueError(f"must be a whole number, got {parsed:g}; round it")
        return parsed

    def fix(x: float) -> str:
        if high == 1 and 1 < x <= 100:
            return f"a probability or share is a fraction ({x / 100:g} for {x:g}%)"
        if x < low or (low_open and x == low):
            return "money, counts and times cannot be negative" if low == 0 and x < 0 else \
                f"raise it above {low:g}" if low_open else f"raise it to {low:g} or more"
        return f"lower it to {high:g} or less"

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
# Whole-number parameters: drawn values and a bet's changes are rounded (half up) to whole steps.
WHOLE_NUMBER_FIELDS = ("managers", "max_touches", "reminders")
MAX_TOUCHES = 15  # follow-up touches an agent's row of random numbers has room for
Growth = _param(-1, INF, "a yearly growth rate > -1 (0.1 = +10% a year), or a distribution",
                low_open=True)
Signed = _param(-INF, INF, "any number (e.g. an amount to add), or a distribution")
TouchCount = _param(0, MAX_TOUCHES, f"follow-up touches, a whole number in [0, {MAX_TOUCHES}]",
                    integer=True)
