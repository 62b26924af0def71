"""Words and numbers of the app: every text in both languages, money written as each reads it."""

from __future__ import annotations

import math
import re

import pytest

from models.accounting.ledger import LEAKS
from models.accounting.metrics import MONTHLY_METRICS, SCALAR_METRICS
from models.words import t
from models.words.formats import (
    money,
    money_column,
    money_ticks,
    parse_number,
)
from sim.report import i18n
from sim.report.i18n import metric_label, tooltip


@pytest.mark.parametrize("term", ["cltv", "romi", "nmc", "ros", "recurring_revenue", "cac"])
def test_methodology_terms_are_explained(term: str) -> None:
    en, ru = tooltip(term, "en"), tooltip(term, "ru")
    assert en is not None and ru is not None
    assert term.split("_")[0].upper()[:3] in en.upper()
    assert en != ru


def test_leaks_and_shown_metrics_have_names() -> None:
    for name in (*LEAKS, "revenue", "profit", "leads", "new_clients", "cltv"):
        assert name in MONTHLY_METRICS or name in SCALAR_METRICS or name in LEAKS
        assert metric_label(name, "ru") != metric_label(name, "en")


def test_money_per_language() -> None:
    """Catches a currency on the wrong side, a lost thousands separator, the currency's two
    decimals where a whole amount is asked, or an ISO code glued to the digits."""
    nb = "\u00a0"
    assert money(1234567, "RUB", "ru") == f"1{nb}234{nb}567{nb}₽"
    assert money(1234567, "RUB", "en") == f"RUB{nb}1,234,567"
    assert money(1234.5, "USD", "en", 2) == "$1,234.50"
    assert money(1234.5, "USD", "ru", 2) == f"1{nb}234,50{nb}$"
    assert money(-1500, "EUR", "en") == "-€1,500"
    assert money(None, "RUB", "en") == "—"
    assert money(796_065_500, "RUB", "en", compact=True) == f"RUB{nb}796.1M"
    assert money(40_000_000, "RUB", "ru", compact=True) == f"40,0{nb}млн{nb}₽"
    assert money(2_500_000_000, "RUB", "ru", compact=True) == f"2,5{nb}млрд{nb}₽"
    assert money(-1_234_567, "USD", "en", compact=True) == "-$1.2M"
    assert money(176_061, "RUB", "en", compact=True) == f"RUB{nb}176,061"  # below a million
    assert money(-0.2, "RUB", "en") == f"RUB{nb}0"  # never "-0"
    assert money(math.nan, "RUB", "ru") == "—"


def test_a_money_column_keeps_one_scale() -> None:
    """Catches a column mixing "RUB 746,681" with "RUB 2.2M" (one scale per column)."""
    nb = "\u00a0"
    assert money_column([746_681, -2_200_000, None], "RUB", "en") == [
        f"RUB{nb}0.7M", f"-RUB{nb}2.2M", "—"]
    assert money_column([1.5e9, 2e9], "RUB", "ru") == [f"1,5{nb}млрд{nb}₽", f"2,0{nb}млрд{nb}₽"]
    assert money_column([1000, 2000], "USD", "en") == ["$1,000", "$2,000"]


def test_placeholders_are_filled() -> None:
    assert t("app.progress", "en", what="Forecast", done=3, total=20, left="1 min") == (
        "Forecast: 3 of 20 runs, about 1 min left")
    assert "3" in t("app.progress", "ru", what="Прогноз", done=3, total=20, left="1 мин")


def test_money_axis_ticks_in_the_language() -> None:
    nb = "\u00a0"
    values, labels = money_ticks(-3e6, 41e6, "RUB", "ru")
    assert values[0] <= -3e6 and values[-1] >= 40e6
    assert labels[values.index(0.0)] == "0"
    assert f"40{nb}млн{nb}₽" in labels and f"-10{nb}млн{nb}₽" in labels
    assert money_ticks(0, 6.2e9, "RUB", "en")[1][1:] == [f"RUB{nb}2B", f"RUB{nb}4B", f"RUB{nb}6B"]
    assert money_ticks(0, 2.5e6, "USD", "en")[1][1] == "$0.5M"  # decimals when needed
    assert money_ticks(0, 2e5, "USD", "en")[1][-1] == "$200,000"


def test_numbers_typed_as_each_language_writes_them() -> None:
    assert parse_number("27 000 000", "ru") == 27_000_000
    assert parse_number("27\u00a0000\u00a0000", "ru") == 27_000_000
    assert parse_number("2,5", "ru") == 2.5
    assert parse_number("27,000,000", "ru") == 27_000_000  # commas between thousands
    assert parse_number("27,000,000", "en") == 27_000_000
    assert parse_number("1.5", "en") == 1.5
    assert parse_number("lots", "en") is None
    assert parse_number("{dist: beta, mean: 0.1, sd: 0.02}", "ru") is None


def test_every_edited_field_is_explained_in_both_languages() -> None:
    for name in i18n.field_keys():
        en, ru = i18n.field_help(name, "en"), i18n.field_help(name, "ru")
        assert en and ru and en != ru, name


@pytest.mark.parametrize("stem", ["b2b_services", "ecommerce", "subscription", "reference"])
def test_examples_name_everything_in_both_languages(stem: str) -> None:
    from pathlib import Path

    from models.load import load_scenario
    from models.spec.scenario import LocalText

    spec = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / f"{stem}.yaml")
    named = [spec, *spec.channels, *spec.tiers, *spec.bets]
    for item in named:
        assert isinstance(item.title, LocalText), item.name
        assert item.title.en != item.title.ru
    for item in (spec, *spec.bets):
        assert isinstance(item.description, LocalText), item.name
        # Written for an owner: no internal notes naming the sources by number.
        assert "seed" not in item.description.en and "seed" not in item.description.ru


def test_scenario_problems_carry_russian_text() -> None:
    from pathlib import Path

    from models.load import ScenarioError, read_yaml, validate
    from models.spec.errors import Message

    text = (Path(__file__).resolve().parents[1] / "scenarios" / "b2b_services.yaml").read_text(
        encoding="utf-8")
    cases = {
        "paid_probability: 0.8": ("paid_probability: 1.7", "должно лежать в [0, 1]"),
        "horizon_months: 36": ("horizon_months: 6", "позже горизонта"),
        "metric: monthly_revenue": ("metric: monthly revenue", "должно быть одним из"),
        "managers: 3": ("managers: 3.5", "должно быть целым числом"),
        "max_leads: 60": ("max_leads: -3", "не бывают отрицательными"),
    }
    for old, (new, ru) in cases.items():
        with pytest.raises(ScenarioError) as err:
            validate(read_yaml(text.replace(old, new), "x"))
        (where, what), *_ = err.value.problems
        assert isinstance(what, Message) and ru in what.ru, (where, what.ru)
        # What stays Latin in Russian is a name from the file, shown as code.
        plain = re.sub(r"`[^`]*`", "", what.ru)
        assert not re.findall(r"[A-Za-z]{2,}", plain), what.ru
