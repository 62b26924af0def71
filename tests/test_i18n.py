"""Words and numbers of the app: every text in both languages, money written as each reads it."""

from __future__ import annotations

import math

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
    assert t("simulating", "en", done=3, total=20) == "Simulating: 3 of 20 runs…"
    assert "3" in t("simulating", "ru", done=3, total=20)
