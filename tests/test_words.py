"""The catalogue of words (models/words/en.toml, ru.toml) and its one lookup.

Each test says which bug it catches. Together they replace the per-module checks that each
table of words used to carry."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

import pytest

from models.words import LANGS, area, catalogue, has, t, word

ROOT = Path(__file__).resolve().parents[1]

# Keys looked up with a name that is only known when the code runs, by family: the key's
# prefix and where the names come from. A key in no family must appear in the code as written.
FAMILIES = {
    "metric.": "the library's metric and leak names (models.accounting), sim.report.i18n",
    "tooltip.": "the same metric names, sim.report.i18n.tooltip",
    "goal.": "a goal's metric (models.spec.scenario.GOAL_METRICS)",
    "shock.": "a stress shock's name (models.compiled.bets.SHOCKS)",
    "phrase.": "every phrase is read at once by models.spec.messages_ru",
    "currency.": "a scenario's currency code, models.words.formats.currency_name",
    "season_profile.": "a seasonality profile's name, sim.report.sensitivity.param_label",
    "app.page_": "the app's pages, sim.app.main",
    "app.dist_": "an uncertain value's distribution, sim.app.pages.scenario",
    "owner.engine_": "the engine's name, in the provenance line",
    "owner.per_": "the per-channel and per-segment captions, sim.app.pages.dashboard",
    "track.rate_": "a rate's kind, sim.report.track",
    "voi.by_": "a grouping of the value of information, sim.report.voi",
    "sensitivity.by_": "a grouping of the indices, sim.report.sensitivity",
    "sensitivity.section_": "the investor page's sections, sim.app.pages.sensitivity",
    "sensitivity.method_": "Sobol or Morris, sim.app.pages.sensitivity",
    "sensitivity.criterion_": "the reverse stress's criterion, sim.app.pages.sensitivity",
    "sensitivity.unit_": "a reverse-stress size's unit, sim.report.sensitivity",
    "calibrate.col_": "a fitted table's columns, sim.cli.calibrate",
    "transactions.": "a bad row's reason, models.calibration.transactions",
}
# Areas whose names are data: a table's column names, a lever's or stage's name, a parameter
# path's part. Such a name counts as used where the code spells it (as a string, a field).
DATA_AREAS = {"owner", "track", "optimise", "sensitivity", "decision", "terminal", "app",
              "voi", "leaks",
              "spec", "actuals"}  # by their modules' msg("key") and _m("key")


def _sources() -> str:
    files = [*(ROOT / "sim").rglob("*.py"), *(ROOT / "models").rglob("*.py"), ROOT / "app.py"]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_is_in_both_languages() -> None:
    """Catches a text added to one catalogue only: the Russian page would show English (or,
    under the tests' strict rule, fail) and the English one a key."""
    en, ru = set(catalogue("en")), set(catalogue("ru"))
    assert not en - ru, sorted(en - ru)
    assert not ru - en, sorted(ru - en)


def test_both_catalogues_are_the_same_shape_as_files() -> None:
    """Catches a key written twice in one area, or an area missing from one file (TOML itself
    refuses a duplicate key; a second [area] header is also refused)."""
    tables = {lang: tomllib.loads((ROOT / "models" / "words" / f"{lang}.toml").read_text("utf-8"))
              for lang in LANGS}
    assert list(tables["en"]) == list(tables["ru"])
    for name in tables["en"]:
        assert list(tables["en"][name]) == list(tables["ru"][name]), name


def test_the_placeholders_are_the_same_in_both_languages() -> None:
    """Catches a translation that drops, renames or adds a `{placeholder}`: the text would show
    `{name}` or raise when filled."""
    differ = [key for key, text in catalogue("en").items()
              if _placeholders(text) != _placeholders(catalogue("ru")[key])]
    assert not differ, differ


def test_no_text_is_empty_and_the_russian_is_russian() -> None:
    """Catches an empty text and an English sentence pasted into ru.toml: a Russian text equal
    to the English one may only hold names and abbreviations (ROI, CAC, P10), no English
    words."""
    for key, en in catalogue("en").items():
        ru = catalogue("ru")[key]
        if key.startswith("phrase."):  # phrases may translate to nothing ("the ")
            continue
        assert en.strip() and ru.strip(), key
        if ru == en:
            plain = re.sub(r"\{[^}]*\}|`[^`]*`", "", en)
            assert not re.findall(r"\b[a-z]{4,}\b", plain), key


def test_every_text_is_used_somewhere() -> None:
    """Catches a text no code shows any more (a translation left behind) and a key mistyped in
    the catalogue: every key is in the code as written, or in a declared family (FAMILIES), or,
    in an area whose names are data, its name is spelled in the code."""
    sources = _sources()
    strings = set(re.findall(r"""["']([\w.]+)["']""", sources))
    names = {part for s in strings for part in s.split(".")}
    names |= set(re.findall(r"^\s+(\w+):", sources, re.M))  # fields of the spec, columns
    unused = []
    for key in catalogue("en"):
        area_name, _, name = key.partition(".")
        if f'"{key}"' in sources or f"'{key}'" in sources or key.startswith(tuple(FAMILIES)):
            continue
        if area_name in DATA_AREAS and (name in names or name in strings):
            continue
        unused.append(key)
    assert not unused, unused


def test_every_key_the_code_asks_for_exists() -> None:
    """Catches a typo in a key in the code (`t("terminal.decison")`), which would raise in
    front of a user."""
    keys = set(re.findall(r"""(?<![\w.])t\(["']([a-z_]+\.[\w.]+)["']""", _sources()))
    keys |= {f"{a}.{b}" for a, b in re.findall(
        r"""t\(["']([a-z_]+)\.(\w+)["'] if .*? else""", _sources())}
    assert keys and not [k for k in keys if not has(k)], sorted(k for k in keys if not has(k))


def test_no_module_keeps_its_own_table_of_words() -> None:
    """Catches a new per-module table of (English, Russian) pairs with its own lookup: a word
    belongs in the catalogue. A field's label and help are its declaration's
    (models.spec.fields)."""
    tables = []
    for path in [*(ROOT / "sim").rglob("*.py"), *(ROOT / "models").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"^(\w+): dict\[str, tuple\[str, str\]\] = ", text, re.M):
            tables.append(f"{path.relative_to(ROOT)}:{name}")
        if re.search(r"^def (w|words)\(", text, re.M):
            tables.append(f"{path.relative_to(ROOT)}: its own lookup")
    assert tables == [], tables


def test_the_one_fallback_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a lookup that reads any language but English as Russian, one that returns the
    key for an unknown text, and a missing translation that crashes in production (it shows
    the English text there, and raises under the tests)."""
    with pytest.raises(ValueError, match="language"):
        t("app.run", "de")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        t("app.no_such_text", "en")
    assert t("app.seconds", "ru", n=5) == "5 с"
    assert t("terminal.run_title", "en", name="x") == (
        "x: {months} months, {reps} replications, seed {seed}")  # an unfilled one stays
    assert word("owner", "my_own_channel", "ru") == "my_own_channel"
    assert word("owner", "channel", "ru") == "Канал"
    ru = catalogue("ru")
    monkeypatch.delitem(ru, "app.run")
    with pytest.raises(KeyError, match="ru"):
        t("app.run", "ru")  # under pytest: strict
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.delenv("GROWTHSIM_WORDS_STRICT", raising=False)
    assert t("app.run", "ru") == "Run"  # in production: the English text


def test_an_area_reads_in_the_language() -> None:
    """Catches `area` returning the English text for Russian (the loader's phrases would stay
    English)."""
    assert area("shock", "ru")["baseline"] == "План (без изменений)"
    assert area("shock", "en")["baseline"] == "The plan (no change)"
