"""Every word GrowthSim shows a person, in English and Russian: one catalogue per language.

The words live in `en.toml` and `ru.toml` beside this module, one key per text, grouped by area
(`[terminal]`, `[spec]`, ...): the key `terminal.decision` is the `decision` text of the
`[terminal]` table. A translator edits only those files. `t(key, lang, **values)` is the one
lookup, for the scenario's messages (`models.spec`), the report, the CLI and the app alike;
numbers and money are written by `models.words.formats`.

The fallback rule, the same for every text:

- a key that is in neither catalogue is a bug in the code: `KeyError`, always;
- a key missing from the Russian catalogue shows the English text, so an owner sees a word
  rather than a crash; under pytest, or with `GROWTHSIM_WORDS_STRICT=1`, it raises instead,
  and `tests/test_words.py` fails on any key missing in either file.

`lang` is "en" or "ru"; anything else is refused (`ValueError`), never read as one of them.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

Lang = Literal["en", "ru"]
LANGS: tuple[Lang, ...] = ("en", "ru")
LANGUAGE_NAMES: dict[Lang, str] = {"en": "English", "ru": "Русский"}

_HERE = Path(__file__).parent


@cache
def catalogue(lang: Lang) -> dict[str, str]:
    """Every text of `lang`, by its dotted key (`area.name`), as the catalogue file has it."""
    with open(_HERE / f"{lang}.toml", "rb") as f:
        tables = tomllib.load(f)
    return {f"{area}.{name}": text for area, table in tables.items()
            for name, text in table.items()}


def _strict() -> bool:
    """Whether a missing translation raises: under pytest (it sets PYTEST_CURRENT_TEST while a
    test runs) or with GROWTHSIM_WORDS_STRICT=1; otherwise the English text is shown."""
    return ("PYTEST_CURRENT_TEST" in os.environ
            or os.environ.get("GROWTHSIM_WORDS_STRICT") == "1")


def _checked(lang: str) -> Lang:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def has(key: str) -> bool:
    """Whether `key` (`area.name`) is a text of the catalogue."""
    return key in catalogue("en")


def t(key: str, lang: Lang, /, **values: object) -> str:
    """The text `key` (`area.name`) in `lang`, its `{placeholders}` filled from `values`.

    Parameters
    ----------
    key : str
        The text's dotted key, e.g. "terminal.decision".
    lang : {"en", "ru"}
        The language.
    **values
        The placeholders' values. Without any, the text is returned exactly as written (a
        text may show braces, `{dist: beta}`); with some, one not given stays `{name}`.

    Returns
    -------
    str
        The text; the English one where the Russian is missing (see the module's fallback rule).

    Examples
    --------
    >>> t("app.seconds", "ru", n=40)
    '40 с'
    """
    text = catalogue(_checked(lang)).get(key)
    if text is None:
        english = catalogue("en")[key]  # KeyError: the code asks for a text nobody wrote
        if _strict():
            raise KeyError(f"{key}: no {lang} text in models/words/{lang}.toml")
        text = english
    return text.format_map(_Kept(values)) if values else text


class _Kept(dict[str, object]):
    """Placeholder values; one not given stays `{name}` in the text (a caller that fills it
    later, or a heading that shows the placeholder), never a `KeyError` in front of a user."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def word(area: str, name: str, lang: Lang, /, **values: object) -> str:
    """The word for `name` in `area` (`t(f"{area}.{name}")`), or `name` itself when the area has
    no word for it: for names that come from a scenario (a channel's, a parameter path, a
    shock's own name), which are shown as they are written."""
    key = f"{area}.{name}"
    return t(key, lang, **values) if has(key) else name


def area(name: str, lang: Lang) -> dict[str, str]:
    """The texts of one area (`[name]` in the catalogue), by their short names."""
    prefix = f"{name}."
    english = {k[len(prefix):]: v for k, v in catalogue("en").items() if k.startswith(prefix)}
    return {k: t(f"{prefix}{k}", lang) for k in english}
