"""Reading a scenario: safe YAML, `--set` overrides, validation, and errors a person can act on.

The top of `models`: it validates against the spec (`models.spec`) and then runs the checks only
the compiled form can make (bets pushing values out of range, correlations that cannot hold
together), so every caller (CLI, app, notebook) finds every problem at load, before any run."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from models.compiled.bets import bet_problems
from models.compiled.calendar import calendar_problems
from models.compiled.sampling import correlation_problems
from models.compiled.workload import problems as workload_problems
from models.spec.errors import Message
from models.spec.errors import ScenarioError as ScenarioError  # what the loaders raise
from models.spec.messages import msg
from models.spec.messages_ru import bilingual, bilingual_problems
from models.spec.params import short_repr
from models.spec.paths import PathError, _unwrap, set_path
from models.spec.scenario import Scenario
from models.words import t

_MAX_BYTES = 5_000_000


# Values a document may gain through aliases (*name) beyond the ones written out: enough to
# reuse a distribution or a block a few hundred times, far below an "alias bomb" (ten aliases of
# ten aliases ... seven levels deep is 10^7 values from 600 bytes, and the repr of it for an
# error message alone is 700 MB).
MAX_ALIAS_EXPANSION = 10_000


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse, before anything is built from it, a document whose aliases expand past
    `MAX_ALIAS_EXPANSION` values or loop, and a mapping that repeats a key (YAML keeps the last
    silently, dropping the first block)."""
    sizes: dict[int, int] = {}
    written: set[int] = set()
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]  # an alias: the same node object again
        if key in active:
            raise ScenarioError(source, [("", msg("yaml_alias_cycle"))])
        active.add(key)
        written.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    line = k.start_mark.line + 1
                    if k.value in seen:
                        raise ScenarioError(source, [(f"line {line}", msg(
                            "yaml_duplicate_key", key=k.value, first=seen[k.value],
                            second=line))])
                    seen[k.value] = line
                total += size(k) + size(v)
        active.discard(key)
        sizes[key] = total
        if total - len(written) > MAX_ALIAS_EXPANSION:
            raise ScenarioError(source, [("", msg(
                "yaml_alias_bomb", limit=f"{MAX_ALIAS_EXPANSION:,}",
                got=f"at least {total:,} from {len(written):,} written"))])
        return total

    try:
        size(root)
    except RecursionError:
        raise ScenarioError(source, [("", msg("yaml_too_deep"))]) from None


def _safe_load(text: str, source: str) -> Any:
    """`yaml.safe_load`, with the node graph checked (`_check_nodes`) before it is built."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse YAML safely (no object tags) into the raw scenario dict."""
    try:
        data = _safe_load(text, source)
    except RecursionError:
        raise ScenarioError(source, [("", msg("yaml_too_deep"))]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        # PyYAML's own words are English: the Russian text leaves them out (the line and
        # column say where to look)
        said = Message(t("spec.yaml_invalid", "en", problem=problem),
                       t("spec.yaml_invalid_where", "ru"))
        raise ScenarioError(source, [(where, said)]) from None
    if data is None:
        raise ScenarioError(source, [("", bilingual(
            "the file is empty (or only comments); a scenario needs at least name:, channels:, "
            "journey:, tiers:"))])
    if not isinstance(data, dict):
        got = {"list": "a list (lines starting with '- ')", "str": "a single line of text"}.get(
            type(data).__name__, f"a single value ({short_repr(data)})")
        raise ScenarioError(
            source,
            [("", bilingual("a scenario must be a YAML mapping (name:, channels:, journey:, "
                            f"tiers: ... at the left margin), got {got}; see "
                            "scenarios/reference.yaml"))],
        )
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """`path=value` -> (path, value), the value read as a YAML scalar or flow mapping."""
    if "=" not in text:
        raise PathError(text, msg("override_form"))
    path, _, raw_value = text.partition("=")
    try:
        value = yaml.safe_load(raw_value)
    except yaml.YAMLError:
        raise PathError(path.strip(), msg("override_unreadable", value=raw_value)) from None
    return path.strip(), value


def apply_overrides(raw: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """A copy of the raw scenario with each `path=value` override applied."""
    result = copy.deepcopy(raw)
    for text in overrides or []:
        try:
            path, value = parse_override(text)
            set_path(result, path, value, Scenario)
        except PathError as err:
            raise PathError(err.path, msg("in_override", message=bilingual(err.message),
                                          override=text)) from None
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
    # A name or key can be megabytes of text: a path shows at most 60 characters of each part.
    return ".".join(p if len(p) <= 60 else p[:57] + "..." for p in parts)


def _known_names(loc: tuple[Any, ...]) -> list[str]:
    """The parameter names accepted where `loc` points (for 'did you mean' hints)."""
    cls: type[BaseModel] = Scenario
    for part in loc[:-1]:
        if isinstance(part, int) or (isinstance(part, str) and part[:1].isupper()):
            continue  # a list index, or a union branch
        field = cls.model_fields.get(part)
        if field is None:
            return []
        kind, inner = _unwrap(field.annotation)
        if kind == "leaf" or inner is None:
            return []
        cls = inner
    return [field.alias or name for name, field in cls.model_fields.items()]


def _got(error: Any) -> str:
    return short_repr(error.get("input"))


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return short_repr(value)


_CONSTRAINTS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "greater than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def _explain(error: Any) -> str:
    """One pydantic error as 'what is wrong; how to fix' in the user's terms."""
    kind, msg = error["type"], error["msg"].removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    loc = error["loc"]
    raised = ctx.get("error")
    if isinstance(raised, ValueError) and raised.args and isinstance(raised.args[0], Message):
        return raised.args[0]  # ours, in both languages (models.spec.messages)
    if kind == "missing":
        return "required but missing; add it"
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(name, _known_names(loc), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return (f"unknown parameter; {hint}fix or remove it (`growthsim schema` lists the "
                "names)")
    if kind in _CONSTRAINTS:
        key, words = _CONSTRAINTS[kind]
        return f"must be {words} {ctx.get(key)}, got {_got(error)}; change it"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {_got(error)}"
    if kind in ("string_too_long", "string_too_short") and loc and loc[-1] == "currency":
        return f"must be a 3-letter ISO 4217 code such as RUB, USD or EUR, got {_got(error)}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} item(s), got none; add one"
    if kind == "list_type":
        return (f"must be a YAML list (one '- name: ...' item per line), got "
                f"{_kind_of(error.get('input'))}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return ("must be a group of parameters (a YAML mapping, 'key: value' on indented "
                f"lines), got {_kind_of(error.get('input'))}")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number, got {_got(error)}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a finite number, got {_got(error)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false, got {_got(error)}"
    if kind == "string_type":
        return f"must be text, got {_got(error)}"
    if "input" in error and kind not in ("value_error", "assertion_error"):
        return f"{msg} (got {_got(error)})"
    return str(msg)


# Model-level messages (models.spec.scenario) that say what is wrong but not how to fix it.
_FIX_HINTS = (
    ("must add up to 1", "change them so they do"),
    ("names must be unique", "rename or merge the repeated items"),
)
_LEADING_PATH = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+)(?::\s+|\s+)(.*)$", re.S)


def _split_path(msg: str) -> tuple[str, str]:
    """A model-level message that starts with the path it is about -> (path, rest)."""
    if ": " in msg and " " not in msg.split(": ", 1)[0]:
        where, rest = msg.split(": ", 1)
        return where, rest
    match = _LEADING_PATH.match(msg)
    if match:  # e.g. "goal.deadline_month (40) is after the horizon (12 months): ..."
        rest = re.sub(r"^\((.*?)\) ", r"\1 ", match.group(2))
        return match.group(1), rest
    return "", msg


def _with_fix(msg: str) -> str:
    for fragment, fix in _FIX_HINTS:
        if fragment in msg and ";" not in msg:
            return f"{msg}; {fix}"
    return msg


def validate(raw: dict[str, Any], source: str = "scenario") -> Scenario:
    try:
        spec = Scenario.model_validate(raw)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            where = _where(error["loc"], raw)
            msg = _explain(error)
            if not where:
                where, msg = _split_path(msg)  # our own model-level messages name their field
            problems.append((where, _with_fix(msg)))
        raise ScenarioError(source, bilingual_problems(problems)) from None
    problems = calendar_problems(spec)
    if problems:  # bets and correlations act on the plan: a schedule must be sound first
        raise ScenarioError(source, problems)
    problems = bet_problems(spec) + correlation_problems(spec)
    if problems:
        raise ScenarioError(source, problems)
    problems = workload_problems(spec)  # a bound on volume before anything runs
    if problems:
        raise ScenarioError(source, bilingual_problems(problems))
    return spec


def load_scenario(source: str | Path | dict[str, Any],
                  overrides: list[str] | None = None) -> Scenario:
    """Load a scenario from a YAML file, YAML text or a dict, apply overrides and validate it."""
    if isinstance(source, dict):
        raw, label = source, "scenario"
    else:
        path = Path(source)
        label = str(source)
        # A Path is always a file; a string is a file name if it looks like one, else YAML text.
        if isinstance(source, Path) or (
            "\n" not in str(source) and path.suffix in (".yaml", ".yml", ".json")
        ):
            text = _read_file(path, label)
        else:
            text, label = str(source), "scenario"
        raw = read_yaml(text, label)
    try:
        raw = apply_overrides(raw, overrides)
    except PathError as err:
        raise ScenarioError(label, bilingual_problems([(err.path, err.message)])) from None
    try:
        return validate(raw, label)
    except ScenarioError as err:
        raise ScenarioError(
            label, bilingual_problems(_blame_overrides(err.problems, overrides))) from None


def _read_file(path: Path, label: str) -> str:
    try:
        return _read_text(path, label)
    except ScenarioError as err:
        raise ScenarioError(label, bilingual_problems(err.problems)) from None


def _read_text(path: Path, label: str) -> str:
    if path.is_dir():
        raise ScenarioError(label, [("", "is a folder, not a scenario file; give the path of a "
                                         ".yaml file, e.g. scenarios/reference.yaml")])
    if not path.is_file():
        raise ScenarioError(label, [("", "file not found; check the path")])
    if path.stat().st_size > _MAX_BYTES:
        raise ScenarioError(label, [("", "file larger than 5 MB; is it a scenario?")])
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(label, [("", msg("not_utf8"))]) from None
    except OSError as err:
        raise ScenarioError(label, [("", msg("csv_unreadable", why=err.strerror))]) from None


def _blame_overrides(problems: list[tuple[str, str]],
                     overrides: list[str] | None) -> list[tuple[str, str]]:
    """Say which problems an override caused: the value came from the command line, not the file."""
    if not overrides:
        return problems
    out = []
    for where, what in problems:
        for text in overrides:
            path = text.partition("=")[0].strip()
            if where and (where == path or where.startswith(path + ".")):
                what = msg("from_override", what=bilingual(what), text=text)
                break
        out.append((where, what))
    return out


_CALENDAR_FIELDS = ("start", "calendar", "seasonality", "trend", "schedule")
_CALENDAR_DEFAULTS = {name: Scenario.model_fields[name].get_default(call_default_factory=True)
                      for name in _CALENDAR_FIELDS}
_CALENDAR_DEFAULTS = {name: value.model_dump(mode="json") if isinstance(value, BaseModel)
                      else value for name, value in _CALENDAR_DEFAULTS.items()}


def scenario_hash(spec: Scenario) -> str:
    """Content hash of a validated scenario: equal scenarios hash equal, whatever the YAML
    layout. The calendar's blocks left at their defaults are left out, so a scenario without a
    calendar keeps the hash it had before calendars existed (batch stores and plan-vs-actual
    files made then still match it)."""
    data = spec.model_dump(mode="json", by_alias=True)
    for name in _CALENDAR_FIELDS:
        if data.get(name) == _CALENDAR_DEFAULTS[name]:
            del data[name]
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
