"""Parameter paths such as `channels.yandex.budget_monthly` or `tiers.0.price`.

One path syntax serves `--set` overrides, correlations between uncertain parameters and (later)
bets. Items of the named lists (segments, channels, tiers) are addressed by name or by index.
Paths are checked against the spec's fields, so a path to a parameter the YAML left at its
default is valid, and a misspelt one is an error that names it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Tag

from models.spec.distributions import _Dist
from models.spec.messages import msg
from models.spec.messages import names as listed


class PathError(ValueError):
    """A parameter path that does not name a parameter of the scenario."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _unwrap(annotation: Any) -> tuple[str, Any]:
    """Classify a field annotation: ('model', cls), ('list', item_cls) or ('leaf', None)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        first, *meta = typing.get_args(annotation)
        if any(isinstance(m, Tag) for m in meta):
            return _unwrap(first)  # a branch of a tagged choice of forms
        return ("leaf", None)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(inner) == 1:
            return _unwrap(inner[0])
        # a tagged choice of forms (a tier's churn: a number or {sbg: ...}): its one group of
        # parameters is where a path may go on
        models = [cls for a in inner
                  if typing.get_origin(a) is typing.Annotated and any(
                      isinstance(m, Tag) for m in typing.get_args(a)[1:])
                  for kind, cls in [_unwrap(a)] if kind == "model"]
        if len(models) == 1:
            return ("model", models[0])
        return ("leaf", None)
    if origin is list:
        (item,) = typing.get_args(annotation)
        kind, cls = _unwrap(item)
        return ("list", cls) if kind == "model" else ("leaf", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("model", annotation)
    return ("leaf", None)


def _field_names(cls: type[BaseModel]) -> dict[str, str]:
    """Accepted key -> key as written in YAML (alias if any)."""
    names: dict[str, str] = {}
    for name, field in cls.model_fields.items():
        key = field.alias or name
        names[name] = key
        names[key] = key
    return names


def _list_index(items: list[Any], part: str, path: str) -> int:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    if part.isdigit() and int(part) < len(items):
        return int(part)
    known = [str(item.get("name")) for item in items if isinstance(item, dict)]
    raise PathError(path, msg("path_no_item", name=part, known=listed(known)))


def set_path(raw: dict[str, Any], path: str, value: Any, model: type[BaseModel]) -> None:
    """Set `value` at `path` in the raw (unvalidated) scenario dict, checking the path."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise PathError(path, msg("path_empty"))
    node: Any = raw
    cls: type[BaseModel] | None = model
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part, here)
            if last:
                node[index] = value
                return
            node = node[index]
            continue
        if cls is None:
            raise PathError(here, msg("path_single_value", path=".".join(parts[:depth])))
        names = _field_names(cls)
        if part not in names:
            known = sorted({v for v in names.values()})
            raise PathError(here, msg("path_unknown", name=part, known=listed(known)))
        key = names[part]
        if not isinstance(node, dict):
            raise PathError(here, msg("path_no_group"))
        if last:
            node[key] = value
            return
        field = cls.model_fields.get(part) or next(
            f for f in cls.model_fields.values() if f.alias == part
        )
        kind, inner = _unwrap(field.annotation)
        if kind == "leaf":
            raise PathError(".".join(parts[: depth + 2]), msg("path_single_value", path=here))
        if node.get(key) is None:
            if kind == "list":
                raise PathError(here, msg("path_list_empty", path=here))
            default = field.get_default(call_default_factory=True)
            node[key] = default.model_dump(by_alias=True) if isinstance(default, BaseModel) else {}
        node = node[key]
        cls = inner


def expand_path(raw: dict[str, Any], path: str) -> list[str]:
    """The concrete paths a path with `*` (every item of a list) stands for, items by name."""
    parts = path.split(".")
    if "*" not in parts:
        return [path]
    out: list[str] = []

    def walk(node: Any, done: list[str], rest: list[str]) -> None:
        if not rest:
            out.append(".".join(done))
            return
        part, tail = rest[0], rest[1:]
        if part == "*":
            if not isinstance(node, list):
                raise PathError(".".join([*done, part]),
                                msg("path_not_list", where=".".join(done) or "scenario"))
            for i, item in enumerate(node):
                key = str(item.get("name", i)) if isinstance(item, dict) else str(i)
                walk(item, [*done, key], tail)
            return
        if isinstance(node, list):
            walk(node[_list_index(node, part, ".".join([*done, part]))], [*done, part], tail)
        elif isinstance(node, dict) and part in node:
            walk(node[part], [*done, part], tail)
        else:  # let set_path name what is wrong
            out.append(".".join([*done, *rest]))

    walk(raw, [], parts)
    return out


def get_value(raw: dict[str, Any], path: str) -> Any:
    """The value at a concrete path of a complete raw scenario (one dumped from a spec)."""
    node: Any = raw
    for part in path.split("."):
        if isinstance(node, list):
            node = node[_list_index(node, part, path)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise PathError(path, msg("path_no_value", name=part))
    return node


def iter_distributions(spec: BaseModel, prefix: str = "") -> Iterator[tuple[str, _Dist]]:
    """Every uncertain parameter of a validated spec, with its path (list items by name).

    A scenario's bets are left out: their uncertainty is drawn on streams of their own, so
    listing a bet never changes the baseline's draws (see `models.compiled.bets`)."""
    for name, _ in type(spec).model_fields.items():
        if name == "bets" and not prefix:
            continue
        value = getattr(spec, name)
        path = f"{prefix}{name}"
        if isinstance(value, _Dist):
            yield path, value
        elif isinstance(value, BaseModel):
            yield from iter_distributions(value, path + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    key = getattr(item, "name", None) or str(i)
                    yield from iter_distributions(item, f"{path}.{key}.")
        elif isinstance(value, dict):  # groups by name, e.g. seasonality.channels
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from iter_distributions(item, f"{path}.{key}.")
