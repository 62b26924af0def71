"""MkDocs hooks: the reference pages that are generated from the code, never typed by hand.

`mkdocs.yml` names this file under `hooks:`. A page asks for generated text with a marker on a
line of its own:

    <!-- generated: cli -->               every `growthsim` command, from the Typer app
    <!-- generated: scenario -->          every scenario field, from models/spec/scenario.py
    <!-- generated: modules -->           every module of models/ and sim/, from its docstring
    <!-- generated: api -->               mkdocstrings blocks for every name `sim` exports
    <!-- generated: include PATH -->      a generated data file (e.g. docs/data/bench-quick.txt)

The same functions serve `tests/test_docs.py`, so what the site shows is what the code declares.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- generated: (?P<what>[\w-]+)(?: (?P<arg>\S+))? -->$", re.M)


# --- the CLI --------------------------------------------------------------------------------

def _cell(text: str) -> str:
    """Text made safe for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def cli_reference() -> str:
    """Every `growthsim` command with its arguments and options, walked from the Typer app."""
    import typer.main
    from typer._click import Context  # the click Typer ships (typer >= 0.16 vendors it)

    from sim.cli.main import app

    root = typer.main.get_command(app)
    lines: list[str] = []

    def walk(command: Any, path: list[str]) -> None:
        name = " ".join(path)
        ctx = Context(command, info_name=name)
        subcommands = getattr(command, "commands", None)
        if path[1:]:
            lines.append(f"## `{name}`\n")
        help_text = (command.help or "").strip()
        if help_text:
            lines.append(help_text.split("\n\n")[0].replace("\n", " ") + "\n")
        if subcommands:
            if path[1:]:
                lines.append("Subcommands: " + ", ".join(f"`{name} {sub}`" for sub in subcommands)
                             + ".\n")
            for sub, cmd in subcommands.items():
                walk(cmd, [*path, sub])
            return
        pieces = " ".join(p for param in command.params for p in param.get_usage_pieces(ctx))
        lines.append(f"```text\n{name} [OPTIONS] {pieces}\n```\n".replace(" \n", "\n"))
        shown = [p for p in command.params if not p.hidden and p.name != "help"]
        if shown:
            lines.append("| argument or option | meaning |\n|---|---|")
        for param in shown:
            record = param.get_help_record(ctx)
            if record is None:
                continue
            opts, help_ = record
            lines.append(f"| `{_cell(opts)}` | {_cell(help_.replace('%%', '%'))} |")
        lines.append("")

    walk(root, ["growthsim"])
    return "\n".join(lines)


# --- the scenario file ----------------------------------------------------------------------

def _schema_description(metadata: list[Any]) -> str | None:
    for item in metadata:
        schema = getattr(item, "json_schema", None)
        if isinstance(schema, dict) and "description" in schema:
            return str(schema["description"])
    return None


def _bounds(metadata: list[Any]) -> str:
    parts = []
    for item in metadata:
        kind = type(item).__name__
        if kind in ("Ge", "Gt", "Le", "Lt"):
            sign = {"Ge": ">=", "Gt": ">", "Le": "<=", "Lt": "<"}[kind]
            parts.append(f"{sign} {getattr(item, kind.lower())}")
        elif kind in ("MinLen", "MaxLen"):
            parts.append(f"{'at least' if kind == 'MinLen' else 'at most'} "
                         f"{getattr(item, kind.lower().replace('len', '_length'))} long")
    return ", ".join(parts)


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(the annotation inside Optional/Annotated, the Annotated metadata, optional?)"""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata.extend(extra)
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) < len(typing.get_args(annotation)):
                optional = True
                annotation = args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
                continue
        return annotation, metadata, optional


def _model_of(annotation: Any) -> tuple[type | None, bool]:
    """The pydantic model a field holds (and whether in a list), or None."""
    from pydantic import BaseModel

    inner, _, _ = _unwrap(annotation)
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        item, _, _ = _unwrap(item)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner, False
    return None, False


def _type_label(annotation: Any, metadata: list[Any]) -> str:
    inner, more, optional = _unwrap(annotation)
    metadata = [*metadata, *more]
    number = _schema_description(metadata)
    if number is not None:
        label = number
    elif typing.get_origin(inner) is typing.Literal:
        label = "one of " + ", ".join(f"`{v}`" for v in typing.get_args(inner))
    elif typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        label = f"list of {_type_label(item, [])}"
    elif typing.get_origin(inner) is dict:
        label = "mapping"
    elif isinstance(inner, type):
        label = {"str": "text", "int": "whole number", "float": "number", "bool": "true/false"}.get(
            inner.__name__, inner.__name__)
    elif "LocalText" in str(inner):
        label = "text, or `{en: ..., ru: ...}`"
    else:
        label = "value"
    bounds = _bounds(metadata)
    if bounds:
        label += f" ({bounds})"
    return label + (", optional" if optional else "")


def _default(field: Any) -> str:
    from pydantic import BaseModel
    from pydantic_core import PydanticUndefined

    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "none"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return "one item: " + ", ".join(f"{k}: {v}" for k, v in value[0].model_dump().items()
                                        if v is not None)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`" if value != "" else "empty"


def scenario_reference() -> str:
    """Every field of a scenario file: its path, type and range, default, and for a parameter
    its kind (unit), the journey stage and lever it acts through and its label in English and
    Russian (`models.spec.fields`), then its meaning, from the pydantic spec."""
    from models.spec.fields import meta_or_none
    from models.spec.scenario import Scenario

    sections: list[str] = []

    def table(model: type, prefix: str, title: str) -> None:
        doc = " ".join((model.__doc__ or "").split())
        rows = [f"### `{title}`\n", doc + "\n" if doc else "",
                "| field | type and range | default | kind | stage / lever | label (en / ru) | "
                "meaning |",
                "|---|---|---|---|---|---|---|"]
        children: list[tuple[type, str, str]] = []
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            key = field.alias or name
            path = f"{prefix}{key}"
            sub, in_list = _model_of(field.annotation)
            if sub is not None:
                child = f"{path}.*." if in_list else f"{path}."
                children.append((sub, child, f"{path}.*" if in_list else path))
                kind = f"list of [{sub.__name__}](#{_anchor(path, in_list)})" if in_list else \
                    f"[{sub.__name__}](#{_anchor(path, in_list)})"
                rows.append(f"| `{key}` | {kind} | {_default(field)} | | | | "
                            f"{_cell(field.description or '')} |")
                continue
            label = _type_label(field.annotation, list(field.metadata))
            meta = meta_or_none(path)
            kind = where = words = ""
            if meta is not None:
                kind = meta.kind.replace("_", " ")
                where = f"{meta.stage.replace('_', ' ')} / {meta.lever.replace('_', ' ')}"
                words = f"{meta.en} / {meta.ru}"
            rows.append(f"| `{key}` | {_cell(label)} | {_cell(_default(field))} | {kind} | "
                        f"{where} | {_cell(words)} | {_cell(field.description or '')} |")
        sections.append("\n".join(rows) + "\n")
        for sub, child, sub_title in children:
            table(sub, child, sub_title)

    table(Scenario, "", "scenario")
    return "\n".join(sections)


def _anchor(path: str, in_list: bool) -> str:
    """The id MkDocs gives the heading `path` (or `path.*`)."""
    text = f"{path}.*" if in_list else path
    return re.sub(r"[^\w-]", "", text.replace(" ", "-")).lower()


# --- the modules ----------------------------------------------------------------------------

def _first_sentence(path: Path) -> str:
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    return first


def modules_table() -> str:
    """Every module of `models/` and `sim/` with the first paragraph of its docstring."""
    rows = ["| module | what it is |", "|---|---|"]
    for package in ("models", "sim"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(ROOT).as_posix()
            rows.append(f"| `{rel}` | {_cell(_first_sentence(path))} |")
    rows.append(f"| `app.py` | {_cell(_first_sentence(ROOT / 'app.py'))} |")
    return "\n".join(rows)


# --- the Python API -------------------------------------------------------------------------

def api_reference() -> str:
    """A mkdocstrings block for every name `sim` exports, grouped by the module that defines it
    (read from `sim._WHERE` and `sim._MODULES`, so a new export appears here by itself)."""
    import sim

    where: dict[str, str] = dict(sim._WHERE)
    by_module: dict[str, list[str]] = {}
    for name, module in where.items():
        by_module.setdefault(module, []).append(name)
    lines: list[str] = []
    for module in sorted(by_module):
        lines.append(f"## `{module}`\n")
        for name in sorted(by_module[module]):
            lines.append(f"::: {module}.{name}\n")
    lines.append("## `sim`\n")
    for name in sorted(sim.__all__):  # defined in sim/__init__.py itself
        if name not in where and name not in sim._MODULES:
            lines.append(f"::: sim.{name}\n")
    names = [f"`sim.{name}`" for name in sorted(sim._MODULES)]
    lines.append(f"## Modules {', '.join(names[:-1])} and {names[-1]}\n")
    for module in sorted(sim._MODULES.values()):
        lines.append(f"::: {module}\n    options:\n      show_root_heading: true\n"
                     f"      heading_level: 3\n      members: false\n")
    return "\n".join(lines)


# --- the hook -------------------------------------------------------------------------------

def include(arg: str | None) -> str:
    """A generated file of the repository, as it is."""
    if not arg:
        raise ValueError("<!-- generated: include PATH --> needs a path")
    return (ROOT / arg).read_text(encoding="utf-8").rstrip("\n")


GENERATORS = {"cli": lambda _: cli_reference(), "scenario": lambda _: scenario_reference(),
              "modules": lambda _: modules_table(), "api": lambda _: api_reference(),
              "include": include}


def expand(markdown: str) -> str:
    """`markdown` with every generated-text marker replaced by its text."""
    return MARKER.sub(lambda m: GENERATORS[m["what"]](m["arg"]), markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs hook: expand the markers of a page before it is rendered."""
    return expand(markdown)
