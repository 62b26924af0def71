"""Reading a scenario: safe YAML, `--set` overrides, validation, and errors a person can act on."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.paths import PathError, set_path
from models.scenario import Scenario

_MAX_BYTES = 5_000_000


class ScenarioError(ValueError):
    """A scenario that cannot be used, with one line per problem: where, what, how to fix."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"]
        lines += [f"  - {where}: {what}" if where else f"  - {what}" for where, what in problems]
        super().__init__("\n".join(lines))


def read_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse YAML safely (no object tags) into the raw scenario dict."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(
            source, [(where, f"not valid YAML ({problem}); check indentation and colons there")]
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            source,
            [("", "a scenario must be a YAML mapping (name:, channels:, journey:, tiers: ...), "
                  f"got {type(data).__name__}")],
        )
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """`path=value` -> (path, value), the value read as a YAML scalar or flow mapping."""
    if "=" not in text:
        raise PathError(text, "an override is written path=value, e.g. sales.managers=6")
    path, _, raw_value = text.partition("=")
    try:
        value = yaml.safe_load(raw_value)
    except yaml.YAMLError:
        raise PathError(path.strip(), f"cannot read the value {raw_value!r}") from None
    return path.strip(), value


def apply_overrides(raw: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """A copy of the raw scenario with each `path=value` override applied."""
    result = copy.deepcopy(raw)
    for text in overrides or []:
        path, value = parse_override(text)
        set_path(result, path, value, Scenario)
    return result


def _where(loc: tuple[Any, ...], raw: Any) -> str:
    """Turn pydantic's location into our path syntax, naming list items where they have names."""
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            name = item.get("name") if isinstance(item, dict) else None
            parts.append(str(name) if isinstance(name, str) else str(part))
            node = item
        elif isinstance(part, str) and part[0].isupper():
            continue  # a union branch (e.g. 'Triangular'), not a field
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def _explain(error: Any) -> str:
    kind, msg = error["type"], error["msg"].removeprefix("Value error, ")
    if kind == "missing":
        return "required but missing; add it"
    if kind == "extra_forbidden":
        return "unknown parameter (misspelt?); remove it or see `growthsim schema` for the names"
    if "input" in error and kind not in ("value_error", "assertion_error"):
        return f"{msg} (got {error['input']!r})"
    return str(msg)


def validate(raw: dict[str, Any], source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            where = _where(error["loc"], raw)
            msg = _explain(error)
            if not where and ": " in msg and " " not in msg.split(": ", 1)[0]:
                where, msg = msg.split(": ", 1)  # our own model-level messages name their field
            problems.append((where, msg))
        raise ScenarioError(source, problems) from None


def load_scenario(source: str | Path | dict[str, Any], overrides: list[str] | None = None) -> Scenario:
    """Load a scenario from a YAML file, YAML text or a dict, apply overrides and validate it."""
    if isinstance(source, dict):
        raw, label = source, "scenario"
    else:
        path = Path(source)
        label = str(source)
        if "\n" not in str(source) and path.suffix in (".yaml", ".yml", ".json"):
            if not path.is_file():
                raise ScenarioError(label, [("", "file not found; check the path")])
            if path.stat().st_size > _MAX_BYTES:
                raise ScenarioError(label, [("", "file larger than 5 MB; is it a scenario?")])
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ScenarioError(label, [("", "not UTF-8 text; save it as UTF-8")]) from None
        else:
            text, label = str(source), "scenario"
        raw = read_yaml(text, label)
    try:
        raw = apply_overrides(raw, overrides)
    except PathError as err:
        raise ScenarioError(label, [(err.path, err.message)]) from None
    return validate(raw, label)


def scenario_hash(spec: Scenario) -> str:
    """Content hash of a validated scenario: equal scenarios hash equal, whatever the YAML layout."""
    text = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
