"""How `growthsim ... --help` reads: the Typer app and command classes every command uses.

Typer's help, as installed, shows `<bool>` after every flag (a flag takes no value), wraps a
required argument in braces in the usage line (`{scenario}`: a reader types the braces), and
keeps the line breaks of a docstring, so a command's summary breaks mid-sentence in the list
of commands. These classes show a flag without a type, an argument as `SCENARIO`, and every
help paragraph as one line that the terminal wraps. Nothing here changes what a command parses.

This module is imported before any command runs: it imports Typer only.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

_BRACED = re.compile(r"^\{(?P<name>[^{}]+)\}(?P<more>(\.\.\.)?)$")


def one_line_paragraphs(text: str | None) -> str | None:
    """`text` with each paragraph on one line (paragraphs are separated by a blank line; a
    paragraph that starts with `\\b` keeps its lines, as Click's convention says)."""
    if text is None:
        return None
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(p if p.lstrip().startswith("\b") else " ".join(p.split())
                       for p in paragraphs)


_CHOICES_WIDTH = 20  # a longer list of choices would be cut mid-word in the type column


def _tidy(params: list[Any], ctx: Any) -> list[Any]:
    for param in params:
        shown = getattr(param, "display_type_rich", None)
        kind = shown(ctx) if callable(shown) and param.metavar is None else None
        if isinstance(kind, str) and "|" in kind and len(kind) > _CHOICES_WIDTH:
            param.metavar = kind.replace("|", " | ")  # wraps between choices, not inside one
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # a flag takes no value: no `<bool>` beside it
        if param.param_type_name == "argument" and param.metavar is None and param.name:
            param.metavar = param.name.upper()
    return params


def _usage(pieces: list[str]) -> list[str]:
    return [_BRACED.sub(r"\g<name>\g<more>", piece) for piece in pieces]


class _Tidy:
    """What `Command` and `Group` share: help paragraphs on one line, flags without a type,
    arguments without braces."""

    help: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = one_line_paragraphs(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx), ctx)  # type: ignore[misc]  # a mixin of Click's

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(super().collect_usage_pieces(ctx))  # type: ignore[misc]


class Command(_Tidy, TyperCommand):
    """A command whose help shows flags without a type and arguments without braces."""


class Group(_Tidy, TyperGroup):
    """A group of commands whose help reads as `Command`'s does."""


class Typer(typer.Typer):
    """`typer.Typer` whose commands and groups are `Command` and `Group`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)
