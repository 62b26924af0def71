"""Russian text of a scenario problem: the loader's messages, phrase by phrase.

The phrases are the `[phrase]` area of the catalogue (`models/words/en.toml`, `ru.toml`).

The loader builds its messages in English from a few fixed phrases (pydantic's error types
explained in `models.load._explain`, the parameter checks of `models.spec.params`, the
model checks of `models.spec.scenario`) with names and numbers between them. Translating the
phrases, not whole messages, keeps the loader's code as it is: `bilingual(text)` is the
`Message` with both texts. A phrase not in the table stays English, and the app's Russian-mode
test (`tests/test_app.py`) finds it on the page.
"""

from __future__ import annotations

import re

from models.spec.errors import Message
from models.words import area, t

# English phrase -> Russian: the `[phrase]` area of the catalogue. Longest first, so that a
# phrase inside a longer one never wins over it. Names (paths, parameters such as
# low/mode/high, YAML keywords) and numbers pass through untouched.
_RU = {t(f"phrase.{name}", "en"): text for name, text in area("phrase", "ru").items()}
_PATTERN = re.compile("|".join(re.escape(en) for en in sorted(_RU, key=len, reverse=True)))


# What stays Latin in a Russian message is a name from the file or a YAML keyword: shown as
# code (`horizon_months`), so it reads as "type this" rather than as untranslated English.
_KEYWORDS = frozenset({"low", "mode", "high", "mean", "sd", "dist", "set", "scale", "add",
                       "append", "path", "true", "false", "name", "channels", "tiers", "journey",
                       "beta", "pert", "triangular", "lognormal", "uniform", "x", "T", "none",
                       "or", "and", "buying", "sqrt"})
_NAME = re.compile(r"'[^'\n]*'|\[[^\]\n]*'[^\]\n]*\]|[A-Za-z_][A-Za-z0-9_*]*(?:\.[A-Za-z0-9_*]+)*"
                   r"(?:\([^)\n]*\))?")


def _as_code(segment: str) -> str:
    def wrap(m: re.Match[str]) -> str:
        token = m.group(0)
        bare = token.split("(")[0]
        if (token.startswith(("'", "[")) or "_" in bare or "." in bare or bare in _KEYWORDS
                or ("(" in token and bare.isascii() and bare.isalpha())):
            return f"`{token}`"
        return token
    return _NAME.sub(wrap, segment)


def russian(text: str) -> str:
    """`text`, a loader message, with each known phrase in Russian (one pass, left to right,
    so a translated phrase is never translated again), names from the file as code."""
    ru = _PATTERN.sub(lambda m: _RU[m.group(0)], text)
    parts = ru.split("`")  # odd parts are code already
    return "`".join(p if i % 2 else _as_code(p) for i, p in enumerate(parts))


def bilingual(text: str) -> Message:
    """The loader's English message as a `Message` that also carries its Russian text."""
    if isinstance(text, Message):
        return text
    return Message(text, russian(text))


def bilingual_problems(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(where, bilingual(what)) for where, what in problems]
