"""A sweep: many variants of one or more scenarios, each run with its bets on common random numbers.

A sweep file (YAML, read safely by the scenario loader's reader) names:

- `scenarios`: base scenario files (paths relative to the sweep file), each optionally with its
  own `bets` (names of the scenario's bets, or `all`); `bets` at the top is the default;
- `set`: overrides applied to every variant (`path=value`, as `growthsim run --set`);
- `grid`: parameter path -> list of values; every combination is a variant;
- `lhs`: a Latin hypercube (scipy.stats.qmc) of `samples` points over `ranges` (path -> low/high,
  `integer: true` for whole numbers), crossed with the grid when both are given;
- `budget` and `max_bets` (at the top or per scenario): portfolios, as `growthsim compare
  --budget --max-bets` builds them: every combination of up to `max_bets` bets whose nominal cost
  fits the budget, their bets acting together in the simulation;
- `monthly`: which monthly series the store keeps besides the scalars (`all`, `none` or a list of
  metric names; default `all`);
- `replications`, `chunk` (replications per task) and `seed`.

`plan_sweep` expands the file into variants (each a validated `Scenario`) and their alternatives
(the baseline and each bet). A variant's replication i uses the same draws as replication i of
`growthsim compare VARIANT --reps replications --seed seed`, so a batch is the comparison of each
variant, split into tasks.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scipy.stats import qmc

from models.accounting.metrics import MONTHLY_METRICS
from models.load import apply_overrides, load_scenario, read_yaml, scenario_hash, validate
from models.spec.errors import ScenarioError
from models.spec.messages import msg
from models.spec.paths import PathError, set_path
from models.spec.scenario import Bet, Scenario
from sim.experiments.compare import Alternative, alternatives, select_bets

Value = bool | int | float | str
_MAX_VARIANTS = 100_000


class Range(BaseModel):
    """One dimension of the Latin hypercube: uniform strata over [low, high]."""

    model_config = ConfigDict(extra="forbid")
    low: float
    high: float
    integer: bool = Field(False, description="whole numbers low..high (both included)")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high:g}) must be above low ({self.low:g}); swap them")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("with integer: true, low and high must be whole numbers")
        return self


class LatinHypercube(BaseModel):
    model_config = ConfigDict(extra="forbid")
    samples: int = Field(ge=1, le=_MAX_VARIANTS, description="variants drawn")
    seed: int | None = Field(None, ge=0, description="seed of the design (default: the sweep's)")
    ranges: dict[str, Range] = Field(min_length=1, description="parameter path -> low/high")

    @field_validator("ranges", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        # `path: [low, high]` is the short form of `path: {low: ..., high: ...}`
        if isinstance(value, dict):
            return {k: ({"low": v[0], "high": v[1]} if isinstance(v, list) and len(v) == 2
                        else v) for k, v in value.items()}
        return value


class ScenarioRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="scenario file, relative to the sweep file")
    bets: list[str] | Literal["all"] | None = Field(
        None, description="bets compared with the baseline (default: the sweep's bets)")
    budget: float | None = Field(None, gt=0, description="portfolios' nominal cost at most "
                                 "this (default: the sweep's)")
    max_bets: int | None = Field(None, ge=1, le=3, description="bets per portfolio (default: "
                                 "the sweep's)")


class SweepSpec(BaseModel):
    """The sweep file, validated like a scenario: every error names its field."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    description: str = ""
    scenarios: list[ScenarioRef] = Field(min_length=1)
    bets: list[str] | Literal["all"] = Field(
        default_factory=list, description="bets of every scenario (default: none, the baseline)")
    budget: float | None = Field(None, gt=0, description="portfolios' nominal cost at most "
                                 "this, as compare --budget (default: no limit)")
    max_bets: int = Field(1, ge=1, le=3, description="bets per portfolio, as compare "
                          "--max-bets (1: each bet alone)")
    monthly: list[str] | Literal["all", "none"] = Field(
        "all", description="monthly series kept in the store: all, none or metric names")
    set_: list[str] = Field(default_factory=list, alias="set",
                            description="path=value overrides applied to every variant")
    grid: dict[str, list[Value]] = Field(default_factory=dict)
    lhs: LatinHypercube | None = None
    replications: int = Field(ge=2, le=1_000_000)
    chunk: int = Field(50, ge=1, description="replications per task")
    seed: int = Field(1, ge=0)

    @field_validator("scenarios", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, list):  # `- reference.yaml` is the short form of `- path: ...`
            return [{"path": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("grid")
    @classmethod
    def _values(cls, grid: dict[str, list[Value]]) -> dict[str, list[Value]]:
        for path, values in grid.items():
            if not values:
                raise ValueError(f"grid.{path}: needs at least one value; add values or remove it")
            if len({json.dumps(v) for v in values}) != len(values):
                raise ValueError(f"grid.{path}: a value is repeated; remove the repeat")
        return grid

    @field_validator("monthly")
    @classmethod
    def _monthly(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list):
            unknown = [m for m in value if m not in MONTHLY_METRICS]
            if unknown:
                raise ValueError(f"{', '.join(unknown)}: not a monthly metric; use all, none or "
                                 f"some of {', '.join(MONTHLY_METRICS)}")
            if len(set(value)) != len(value):
                raise ValueError("a metric is repeated; remove the repeat")
        return value

    @property
    def monthly_metrics(self) -> tuple[str, ...]:
        """The monthly series the store keeps, in the library's order."""
        if self.monthly == "all":
            return tuple(MONTHLY_METRICS)
        if self.monthly == "none":
            return ()
        return tuple(m for m in MONTHLY_METRICS if m in self.monthly)

    @model_validator(mode="after")
    def _dimensions(self) -> SweepSpec:
        overlap = set(self.grid) & set(self.lhs.ranges if self.lhs else {})
        if overlap:
            raise ValueError(f"{', '.join(sorted(overlap))}: both in grid and lhs.ranges; keep "
                             "one")
        size = variant_count(self)
        if size > _MAX_VARIANTS:
            raise ValueError(f"{size:,} variants is more than "
                             f"{_MAX_VARIANTS:,}; make the grid or lhs.samples smaller")
        return self


class SweepError(ValueError):
    """A sweep that cannot run, as (where, what) problems like a scenario's."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source, self.problems = source, problems
        super().__init__(str(ScenarioError(source, problems)))


@dataclass(frozen=True)
class Variant:
    index: int
    scenario: str  # the base scenario's file, as written in the sweep
    base_hash: str  # content hash of the base scenario (before the variant's values)
    params: dict[str, Value]  # swept parameter path -> value
    spec: Scenario
    alternatives: tuple[str, ...]  # BASELINE, then each bet or portfolio ("a + b")
    bets: tuple[tuple[Bet, ...], ...] = ()  # the bets acting in each alternative, in its order
    skipped: tuple[tuple[str, str], ...] = ()  # portfolios whose bets cannot act together

    @property
    def spec_hash(self) -> str:
        return scenario_hash(self.spec)


@dataclass(frozen=True)
class Sweep:
    spec: SweepSpec
    source: str
    content_hash: str
    variants: list[Variant]
    columns: dict[str, str]  # swept path -> "bool" | "int" | "float" | "str"


def _problems(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for error in err.errors():
        loc = [str(p) for p in error["loc"] if not (isinstance(p, str) and p[:1].isupper())]
        msg = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            msg = "unknown field; fix or remove it (see scenarios/sweeps/ for examples)"
        elif error["type"] == "missing":
            msg = "required but missing; add it"
        elif "input" in error and error["type"] not in ("value_error", "assertion_error"):
            got = repr(error["input"])
            msg = f"{msg} (got {got if len(got) <= 60 else got[:57] + '...'})"
        out.append((".".join(loc), msg))
    return out


def read_sweep(path: Path) -> tuple[SweepSpec, str]:
    """The validated sweep file and its content hash."""
    label = str(path)
    if not path.is_file():
        raise SweepError(label, [("", "file not found; check the path")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # as the scenario loader says it (models.load)
        raise SweepError(label, [("", msg("not_utf8"))]) from None
    except OSError as err:
        raise SweepError(label, [("", msg("csv_unreadable", why=err.strerror or err))]) from None
    try:
        raw = read_yaml(text, label)
    except ScenarioError as err:
        raise SweepError(label, err.problems) from None
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as err:
        raise SweepError(label, _problems(err)) from None
    return spec, hashlib.sha256(json.dumps(spec.model_dump(mode="json", by_alias=True),
                                           sort_keys=True).encode()).hexdigest()[:16]


def _lhs_points(spec: SweepSpec) -> list[dict[str, Value]]:
    if spec.lhs is None:
        return [{}]
    lhs = spec.lhs
    seed = spec.seed if lhs.seed is None else lhs.seed
    u = qmc.LatinHypercube(d=len(lhs.ranges), seed=np.random.default_rng(seed)).random(
        lhs.samples)
    points = []
    for row in u:
        point: dict[str, Value] = {}
        for x, (path, r) in zip(row, lhs.ranges.items(), strict=True):
            if r.integer:  # equal strata over the whole numbers low..high
                point[path] = int(min(r.high, math.floor(r.low + x * (r.high - r.low + 1))))
            else:
                point[path] = float(r.low + x * (r.high - r.low))
        points.append(point)
    return points


def _kind(values: list[Value]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "str"


def variant_count(spec: SweepSpec) -> int:
    """How many variants the sweep expands to (before checking any)."""
    size = math.prod(len(v) for v in spec.grid.values())
    return size * (spec.lhs.samples if spec.lhs else 1) * len(spec.scenarios)


def plan_sweep(path: Path, progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Read and expand a sweep file; every variant is validated before anything runs.
    `progress(checked, total)` is called as the variants are checked (a large sweep takes
    minutes)."""
    spec, content = read_sweep(path)
    label = str(path)
    grid_points = [dict(zip(spec.grid, combo, strict=True))
                   for combo in itertools.product(*spec.grid.values())]
    points = [{**g, **h} for g in grid_points for h in _lhs_points(spec)]
    total = variant_count(spec)
    variants: list[Variant] = []
    for s, ref in enumerate(spec.scenarios):
        file = (path.parent / ref.path) if not Path(ref.path).is_absolute() else Path(ref.path)
        try:
            base = load_scenario(file, spec.set_)
            raw = apply_overrides(read_yaml(file.read_text(encoding="utf-8"), str(file)),
                                  spec.set_)
        except ScenarioError as err:
            raise SweepError(label, [(f"scenarios.{s}.path ({ref.path})", f"{w}: {m}" if w else m)
                                     for w, m in err.problems]) from None
        except PathError as err:
            raise SweepError(label, [(f"set ({err.path})", err.message)]) from None
        names = ref.bets if ref.bets is not None else spec.bets
        try:
            chosen = select_bets(base, None if names == "all" else names)
        except ValueError as err:
            raise SweepError(label, [(f"scenarios.{s}.bets", str(err))]) from None
        budget = ref.budget if ref.budget is not None else spec.budget
        max_bets = ref.max_bets if ref.max_bets is not None else spec.max_bets
        for point in points:
            variant_raw = {k: v for k, v in raw.items()}
            try:
                for key, value in point.items():
                    variant_raw = _set(variant_raw, key, value)
                variant = validate(variant_raw, str(file))
            except PathError as err:
                raise SweepError(label, [(_section(spec, err.path), err.message)]) from None
            except ScenarioError as err:
                shown = ", ".join(f"{k}={v}" for k, v in point.items())
                raise SweepError(label, [(_section(spec, w) if w in point else w or ref.path,
                                          f"{m} (in the variant {shown} of {ref.path})")
                                         for w, m in err.problems]) from None
            alts, skipped = _alternatives(
                variant, chosen, budget, max_bets, label, point, ref.path, f"scenarios.{s}.bets",
                f"scenarios.{s}.budget" if ref.budget is not None else "budget")
            variants.append(Variant(len(variants), ref.path, scenario_hash(base), point, variant,
                                    tuple(a.name for a in alts), tuple(a.bets for a in alts),
                                    tuple(skipped)))
            if progress is not None:
                progress(len(variants), total)
    columns = {key: _kind([v.params[key] for v in variants]) for key in points[0]}
    return Sweep(spec, label, content, variants, columns)


def _alternatives(variant: Scenario, chosen: list[Bet], budget: float | None, max_bets: int,
                  label: str, point: dict[str, Value], file: str, bets_at: str, budget_at: str,
                  ) -> tuple[list[Alternative], list[tuple[str, str]]]:
    """The variant's alternatives as `compare` builds them: the baseline, each bet and each
    portfolio of up to `max_bets` bets within `budget`, priced on the variant's own scenario (a
    swept budget changes what a bet costs)."""
    shown = ", ".join(f"{k}={v}" for k, v in point.items()) or "the scenario"
    chosen = [next(b for b in variant.bets if b.name == c.name) for c in chosen]
    skipped: list[tuple[str, str]] = []
    try:
        alts = alternatives(variant, chosen, budget, max_bets, skipped)
    except ValueError as err:
        raise SweepError(label, [(bets_at, f"{err} (in the variant {shown} of {file})")]
                         ) from None
    if chosen and len(alts) == 1:
        raise SweepError(label, [(budget_at,
                                  f"no bet fits the budget of {budget:,.0f} in the variant "
                                  f"{shown} of {file}; raise the budget")])
    return alts, skipped


def _section(spec: SweepSpec, path: str) -> str:
    """Where a swept path is written in the sweep file."""
    return f"lhs.ranges.{path}" if spec.lhs and path in spec.lhs.ranges else f"grid.{path}"


def _set(raw: dict[str, Any], path: str, value: Value) -> dict[str, Any]:
    out = apply_overrides(raw, None)  # a deep copy: variants never share nested dicts
    set_path(out, path, value, Scenario)
    return out
