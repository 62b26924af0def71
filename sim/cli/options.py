"""The choices several commands offer, declared once: the engine and the report's language.

Imported before any command runs (Typer reads the choices to parse and to show `--help`), so it
imports Typer and `sim.engines`' names only.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from models.words import LANGS, Lang
from sim.engines import DEFAULT_ENGINE as DEFAULT_ENGINE_NAME
from sim.engines import ENGINE_NAMES

# The engines `--engine` offers: the registry's (`sim.engines.ENGINES`), and its default.
EngineName = StrEnum("EngineName", {name: name for name in ENGINE_NAMES})  # type: ignore[misc]
DEFAULT_ENGINE = EngineName(DEFAULT_ENGINE_NAME)

EngineOpt = Annotated[EngineName, typer.Option(
    "--engine", help="fast: the model compiled with numba; agent: the SimPy agent model (the "
    "reference, slower)")]


class LangName(StrEnum):
    """The languages of a report (`sim.report.i18n.LANGS`)."""

    en = "en"
    ru = "ru"


assert tuple(LangName) == LANGS, "the CLI offers every language of the reports"

LANG_ENV = "GROWTHSIM_LANG"

LangOpt = Annotated[LangName, typer.Option(
    "--lang", envvar=LANG_ENV, show_envvar=False, show_default=False,
    help=f"language of the report: en or ru (default: ${LANG_ENV}, else en)")]


_chosen: list[Lang] = []  # the language the running command was asked for


def lang_of(lang: LangName | str) -> Lang:
    """The report layer's language code of a `--lang` choice; the command's messages (its
    refusals, `sim.cli.common.fail`) follow it from then on."""
    code: Lang = "ru" if str(lang) == "ru" else "en"
    _chosen[:] = [code]
    return code


def current_lang() -> Lang:
    """The language of the command's messages: its `--lang` once read, before that
    $GROWTHSIM_LANG, else English."""
    if _chosen:
        return _chosen[0]
    return "ru" if os.environ.get(LANG_ENV, "").strip().lower() == "ru" else "en"
