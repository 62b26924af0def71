"""The words of a metric and of a parameter the app edits: names, tooltips and help.

Every text is in the catalogue (`models.words`, `en.toml` / `ru.toml`); numbers and money are
written by `models.words.formats`. What is left here is what a metric's or a parameter's name
means to an owner: the metric's name and tooltip by the library's metric name, a scenario's
month in the calendar, and the label and help of each field (read from the spec's declaration).
"""

from __future__ import annotations

from models.spec import fields
from models.spec.fields import FIELDS
from models.words import LANGS, LANGUAGE_NAMES, Lang, has, t
from models.words.formats import month_name

__all__ = ["LANGS", "LANGUAGE_NAMES", "SHARE_FIELDS", "Lang", "calendar_month", "field_help",
           "field_keys", "field_label", "metric_label", "tooltip"]

# Parameters that are shares (by the last part of their path): shown and typed as percentages.
# Read from the spec's declaration of each field (`models.spec.fields`).
SHARE_FIELDS = frozenset(p.rsplit(".", 1)[-1] for p, m in FIELDS.items() if m.kind == "share")


def calendar_month(start: object, month: int, lang: Lang) -> str | None:
    """Month `month` (1-based) of a scenario whose `start` is given, as the owner's calendar
    says it ("Jan 2027" / "янв. 2027"); None without a start (months are then only numbers)."""
    from models.compiled.calendar import month_of, parse_start

    first = parse_start(start)
    if first is None or month < 1:
        return None
    return month_name(*month_of(first, month - 1), lang)


def metric_label(name: str, lang: Lang) -> str:
    """The owner's name of a library metric (`metric.<name>` in the catalogue); a metric with
    no name there reads as its own name, underscores as spaces."""
    key = f"metric.{name}"
    return t(key, lang) if has(key) else name.replace("_", " ")


def tooltip(name: str, lang: Lang) -> str | None:
    """The methodology's explanation of a metric (`tooltip.<name>`), or None if it needs none."""
    key = f"tooltip.{name}"
    return t(key, lang) if has(key) else None


def field_help(path: str, lang: Lang) -> str | None:
    """What the parameter at `path` means, with its unit: the spec's help of the field
    (`models.spec.fields`); None for a path that names no parameter."""
    return fields.field_help(path, lang)


def field_label(path: str, lang: Lang) -> str | None:
    """The parameter at `path` in words (the spec's label of the field); None for a path that
    names no parameter."""
    return fields.field_label(path, lang)


def field_keys() -> list[str]:
    """Every parameter's path pattern (each has a label and help in both languages)."""
    return list(FIELDS)
