"""The app's state: the base scenario (an example or an upload) and the user's edits."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from models.accounting.goal import GOAL_SERIES
from models.load import ScenarioError, read_yaml, validate
from models.spec.messages import msg
from models.spec.paths import PathError, set_path
from models.spec.scenario import Scenario, text_in
from models.words import LANGS, Lang
from models.words.formats import parse_number
from sim.engines import DEFAULT_ENGINE as DEFAULT_ENGINE  # the pages' default

HERE = Path(__file__).resolve().parents[2]  # the project folder
EXAMPLES = {p.stem: p for p in sorted((HERE / "scenarios").glob("*.yaml"))}
DEFAULT_EXAMPLE = "b2b_services"
PAGES = ("scenario", "dashboard", "compare", "stress", "sensitivity", "track", "optimise")
# The quick first answer, by engine: few enough to come in seconds, enough for Iman-Conover
# correlations (which need more draws than uncertain parameters) and a P10-P90 that does not
# mislead; the fast engine (the app's default) affords 200 in about the time the agent model
# takes for 20 (at 20 a bet's NPV interval flipped sign from one run to the next).
QUICK_REPS = {"fast": 200, "agent": 20}
GOAL_METRICS = list(GOAL_SERIES)
MIN_REPS = 10

# --- state: the base scenario (an example or an upload) and the user's edits --------------------
#
# A widget's value is never a label in some language: choices hold identifiers (page names,
# metric names, bet names) and show them through `format_func`; widgets whose label or shown
# text depend on the language are keyed per language (`synced`), and their value is copied to
# a language-free key, so switching the language mid-edit renews the widgets instead of feeding
# one language's text back as the other's value.

def state() -> Any:
    return st.session_state


def set_base(text: str, label: str) -> None:
    """Make `text` the scenario being edited, forgetting the edits made to the previous one."""
    state()["base_text"] = text
    state()["base_label"] = label
    state()["upload_problems"] = None
    # The example box shows the new base: an example's title, or nothing after an upload (so
    # that choosing an example again is a change the box acts on).
    for lang in LANGS:
        state().pop(f"example@{lang}", None)
    reset_edits()


def reset_edits() -> None:
    """Forget the edits, and renew the editing widgets' keys so they show the base values again
    (a widget keeps the value a user gave it for as long as its key lives)."""
    state()["overrides"] = {}
    state()["edit_generation"] = state().get("edit_generation", 0) + 1


def init_state() -> None:
    if "base_text" not in state():
        set_base(EXAMPLES[DEFAULT_EXAMPLE].read_text(encoding="utf-8"), DEFAULT_EXAMPLE)
    state().setdefault("page", PAGES[0])


def synced(make: Callable[..., Any], key: str, lang: Lang, **kwargs: Any) -> Any:
    """`make(...)` (a widget) keyed per language, its value kept under `key` for every language.
    """
    wkey = f"{key}@{lang}"

    def copy_value() -> None:
        state()[key] = state()[wkey]

    return make(key=wkey, on_change=copy_value, **kwargs)


def current_scenario() -> tuple[Scenario | None, list[tuple[str, str]], dict[str, Any]]:
    """The base scenario with the edits applied: (spec or None, problems, raw dict)."""
    raw = read_yaml(state()["base_text"], state()["base_label"])
    problems: list[tuple[str, str]] = []
    for path, value in state()["overrides"].items():
        try:
            set_path(raw, path, copy.deepcopy(value), Scenario)
        except PathError as err:
            problems.append((err.path, err.message))
    if problems:
        return None, problems, raw
    try:
        return validate(raw, state()["base_label"]), [], raw
    except ScenarioError as err:
        return None, err.problems, raw


def on_example(key: str) -> None:
    name = state()[key]
    if name is not None:
        set_base(EXAMPLES[name].read_text(encoding="utf-8"), name)


def on_upload() -> None:
    """Read the upload in memory; a bad file is reported and the current scenario kept."""
    upload = state().get("upload")
    if upload is None:
        return
    try:
        text = upload.getvalue().decode("utf-8")
        validate(read_yaml(text, upload.name), upload.name)
    except UnicodeDecodeError:
        state()["upload_problems"] = (upload.name, [("", msg("not_utf8"))])
        return
    except ScenarioError as err:
        state()["upload_problems"] = (upload.name, err.problems)
        return
    set_base(text, upload.name)


def on_edit(path: str, key: str, kind: str, lang: Lang) -> None:
    """Store a widget's edit as the override `path`: percentages as shares, typed numbers as the
    language writes them, distributions as in YAML; unreadable text is kept as it is, so
    validation names the field and what it expects."""
    value = state()[key]
    if kind == "percent" and isinstance(value, int | float):
        value = round(float(value) / 100, 10)
    elif kind == "percent_text" and isinstance(value, str):
        typed = parse_number(value, lang)  # unreadable: kept, validation names the field
        value = round(typed / 100, 10) if typed is not None else value
    elif kind == "text" and isinstance(value, str):
        typed = parse_number(value, lang)
        if typed is not None:
            value = int(typed) if typed.is_integer() else typed
        else:
            with contextlib.suppress(yaml.YAMLError):
                value = yaml.safe_load(value)
    state()["overrides"][path] = value


def example_title(stem: str, lang: Lang) -> str:
    return raw_text(EXAMPLE_TITLES.get(stem), lang, stem)


def raw_text(value: Any, lang: Lang, fallback: str) -> str:
    """A title as written in YAML (text, or {en:, ru:}) in `lang`."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or fallback)
    return str(value) if value else fallback


def read_titles() -> dict[str, Any]:
    titles: dict[str, Any] = {}
    for stem, path in EXAMPLES.items():
        with contextlib.suppress(ScenarioError, OSError):
            titles[stem] = read_yaml(path.read_text(encoding="utf-8"), stem).get("title")
    return titles


EXAMPLE_TITLES = read_titles()


def scenario_title(spec: Scenario, lang: Lang) -> str:
    return text_in(spec.title, lang, spec.name)

