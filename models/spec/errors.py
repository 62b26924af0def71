"""What can be wrong with a scenario, said in words a person can act on, in English and Russian.

A problem is `(where, what)`: `where` a parameter path or a line of the file, `what` a `Message`.
A `Message` is a `str` (its English text, so logs, the CLI and tests read it as before) that also
carries its Russian text; the app shows `message.text("ru")`. A plain `str` problem has no Russian
text yet: the app's Russian-mode test finds it.
"""

from __future__ import annotations

from typing import Literal


class Message(str):
    """A user-facing text in both languages; its `str` value is the English text."""

    ru: str

    def __new__(cls, en: str, ru: str) -> Message:
        message = super().__new__(cls, en)
        message.ru = ru
        return message

    def text(self, lang: Literal["en", "ru"]) -> str:
        return self.ru if lang == "ru" else str(self)


def localized(text: str, lang: Literal["en", "ru"]) -> str:
    """`text` in `lang` when it carries a translation (a `Message`), else as it is."""
    return text.text(lang) if isinstance(text, Message) else text


def error_text(err: BaseException, lang: Literal["en", "ru"]) -> str:
    """An error's message in `lang`: raised with a `Message`, it carries both languages (its
    `str` is the English one)."""
    first = err.args[0] if err.args else None
    return first.text(lang) if isinstance(first, Message) else str(err)


class ScenarioError(ValueError):
    """A scenario that cannot be used, with one line per problem: where, what, how to fix."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"]
        lines += [f"  - {where}: {what}" if where else f"  - {what}" for where, what in problems]
        super().__init__("\n".join(lines))
