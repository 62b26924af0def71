"""Every message about a parameter path, an override or a bet reads in Russian in Russian mode
(names from the file as code), and still names what is wrong in English."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models.load import ScenarioError, apply_overrides, load_scenario, parse_override, read_yaml
from models.spec.errors import Message
from models.spec.paths import PathError, expand_path, get_value, set_path
from models.spec.scenario import Scenario
from tests.test_app import latin_words

ROOT = Path(__file__).resolve().parents[1]
RAW = read_yaml((ROOT / "scenarios" / "b2b_services.yaml").read_text(encoding="utf-8"), "b2b")


def _raw() -> dict[str, Any]:
    return copy.deepcopy(RAW)


def _bet(**changes: Any) -> dict[str, Any]:
    raw = _raw()
    raw["bets"][0].update(changes)
    return raw


CASES: dict[str, tuple[Callable[[], object], str]] = {
    "empty path": (lambda: set_path(_raw(), "", 1, Scenario), "sales.managers"),
    "no such item": (lambda: set_path(_raw(), "channels.nope.budget_monthly", 1, Scenario),
                     "nope"),
    "a value, not a group": (lambda: set_path(_raw(), "sales.managers.x", 1, Scenario),
                             "sales.managers"),
    "unknown parameter": (lambda: set_path(_raw(), "sales.nonsense", 1, Scenario), "nonsense"),
    "override without =": (lambda: parse_override("sales.managers"), "sales.managers=6"),
    "unreadable value": (lambda: parse_override("sales.managers=[1"), "[1"),
    "* on a group": (lambda: expand_path(_raw(), "sales.*.x"), "'*'"),
    "no value": (lambda: get_value(_raw(), "sales.zzz"), "zzz"),
    "in an override": (lambda: apply_overrides(_raw(), ["sales.nonsense=3"]),
                       "sales.nonsense=3"),
    "bet after the horizon": (lambda: load_scenario(_bet(start_month=99)), "99"),
    "bet changes the frame": (lambda: load_scenario(
        _bet(changes=[{"path": "horizon_months", "set": 5}])), "horizon_months"),
    "bet makes a value invalid": (lambda: load_scenario(
        _bet(changes=[{"path": "sales.managers", "scale": -3}])), "sales.managers"),
    "bet's unknown path": (lambda: load_scenario(
        _bet(changes=[{"path": "sales.nope", "set": 3}])), "nope"),
}


def _messages(make: Callable[[], object]) -> list[str]:
    try:
        make()
    except PathError as err:
        return [err.message]
    except ScenarioError as err:
        return [what for _, what in err.problems]
    raise AssertionError("the input was accepted")


@pytest.mark.parametrize("case", list(CASES))
def test_message_in_both_languages(case: str) -> None:
    make, named = CASES[case]
    for text in _messages(make):
        assert isinstance(text, Message), f"{text!r} has no Russian text"
        assert named in str(text), f"the English message does not name {named!r}: {text}"
        assert not latin_words(text.ru), f"untranslated in Russian: {text.ru}"
        assert named.strip("'") in text.ru
