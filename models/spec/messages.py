"""Messages about bad input and faults, by key, in English and Russian.

The texts are the `[spec]` area of the catalogue (`models/words/en.toml`, `ru.toml`).
`msg(key, **values)` builds a `Message` (models.spec.errors): its `str` is the English text, the
app and the CLI show `.text(lang)` (`localized`). Values are formatted into both texts the same
way (a value that is a `Message` goes in in each language); numbers are formatted by the caller,
`count`/`amount` here, so each language writes them its own way.
"""

from __future__ import annotations

from typing import Any

from models.spec.errors import Message
from models.words import t
from models.words.formats import number


def amount(value: float | None) -> Message:
    """A sum of money in a message: 1,234,567 in English, 1 234 567 in Russian; None: a dash."""
    if value is None or value == 0:
        return Message("-", "—")
    return Message(number(value, "en"), number(value, "ru"))


def count(value: int) -> Message:
    """A count in a message, written in each language ("1,234" / "1 234")."""
    return Message(number(value, "en"), number(value, "ru"))


def names(items: list[str]) -> Message:
    """Names from a scenario, listed: plain in English, as code in Russian (they are typed as
    they are, not translated)."""
    return Message(", ".join(items) or "—", ", ".join(f"`{x}`" for x in items) or "—")


def msg(message_key: str, /, **values: Any) -> Message:
    """The message `message_key` in both languages, with `values` formatted in (a value that is
    itself a `Message` goes in in each language)."""
    key = f"spec.{message_key}"
    ru_values = {k: v.ru if isinstance(v, Message) else v for k, v in values.items()}
    return Message(t(key, "en", **values), t(key, "ru", **ru_values))
