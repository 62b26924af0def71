"""Words and numbers of the app: every text in both languages, money written as each reads it."""

from __future__ import annotations

import math
import re

import pytest

from models.accounting.ledger import LEAKS
from models.accounting.metrics import MONTHLY_METRICS, SCALAR_METRICS
from sim.report import i18n
from sim.report.i18n import metric_label, money, number, percent, t, tooltip


def test_every_text_has_both_languages() -> None:
    texts, metrics, tips = i18n.all_keys()
    for key in texts:
        assert t(key, "en") and t(key, "ru"), key
    for key in metrics:
        assert metric_label(key, "en") and metric_label(key, "ru"), key
    for key in tips:
        assert tooltip(key, "en") and tooltip(key, "ru"), key


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
    nb = "\u00a0"
    assert money(1234567, "RUB", "ru") == f"1{nb}234{nb}567{nb}₽"
    assert money(1234567, "RUB", "en") == "RUB 1,234,567"
    assert money(1234.5, "USD", "en", 2) == "$1,234.50"
    assert money(1234.5, "USD", "ru", 2) == f"1{nb}234,50{nb}$"
    assert money(-1500, "EUR", "en") == "−€1,500"
    assert money(None, "RUB", "en") == "—"
    assert money(796_065_500, "RUB", "en", compact=True) == "RUB 796.1M"
    assert money(2_500_000_000, "RUB", "ru", compact=True) == f"2,5{nb}млрд{nb}₽"
    assert money(-1_234_567, "USD", "en", compact=True) == "−$1.2M"
    assert money(176_061, "RUB", "en", compact=True) == "RUB 176,061"
    assert money(math.nan, "RUB", "ru") == "—"


def test_numbers_and_percent() -> None:
    assert number(1234.5, "ru", 1) == "1\u00a0234,5"
    assert number(1234.5, "en", 1) == "1,234.5"
    assert percent(0.125, "en", 1) == "12.5%"
    assert percent(0.125, "ru", 1) == "12,5\u00a0%"
    assert percent(None, "en") == "—"
    assert percent(-0.91, "en") == "−91%"
    assert number(-0.001, "en") == "0"


def test_placeholders_are_filled() -> None:
    assert t("progress", "en", what="Forecast", done=3, total=20, left="1 min") == (
        "Forecast: 3 of 20 runs, about 1 min left")
    assert "3" in t("progress", "ru", what="Прогноз", done=3, total=20, left="1 мин")


def test_money_axis_ticks_in_the_language() -> None:
    nb = "\u00a0"
    values, labels = i18n.money_ticks(-3e6, 41e6, "RUB", "ru")
    assert values[0] <= -3e6 and values[-1] >= 40e6
    assert labels[values.index(0.0)] == "0"
    assert f"40{nb}млн{nb}₽" in labels and f"−10{nb}млн{nb}₽" in labels
    assert i18n.money_ticks(0, 6.2e9, "RUB", "en")[1][1:] == ["RUB 2bn", "RUB 4bn", "RUB 6bn"]
    assert i18n.money_ticks(0, 2.5e6, "USD", "en")[1][1] == "$0.5M"  # decimals when needed
    assert i18n.money_ticks(0, 2e5, "USD", "en")[1][-1] == "$200,000"


def test_numbers_typed_as_each_language_writes_them() -> None:
    assert i18n.parse_number("27 000 000", "ru") == 27_000_000
    assert i18n.parse_number("27\u00a0000\u00a0000", "ru") == 27_000_000
    assert i18n.parse_number("2,5", "ru") == 2.5
    assert i18n.parse_number("27,000,000", "ru") == 27_000_000  # commas between thousands
    assert i18n.parse_number("27,000,000", "en") == 27_000_000
    assert i18n.parse_number("1.5", "en") == 1.5
    assert i18n.parse_number("lots", "en") is None
    assert i18n.parse_number("{dist: beta, mean: 0.1, sd: 0.02}", "ru") is None


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


def test_every_text_is_used_somewhere() -> None:
    """A text no page or report shows is a translation left behind (or a typo in a key)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("sim", "models")
                        for p in (root / folder).rglob("*.py") if p.name != "i18n.py")
    sources += (root / "sim" / "report" / "i18n.py").read_text(encoding="utf-8").split(
        "\ndef ", 1)[1]  # i18n's own functions (after its tables) count as users
    dynamic = ("page_", "dist_")  # t(f"page_{page}"), t(f"dist_{kind}")
    texts, _, _ = i18n.all_keys()
    unused = [key for key in texts if f'"{key}"' not in sources
              and f"'{key}'" not in sources and not key.startswith(dynamic)]
    assert not unused, unused
