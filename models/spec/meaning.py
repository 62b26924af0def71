"""What a scenario field can be: the kinds of value, the four levers of revenue, the stages of
the customer journey and the leaks at each, and `FieldMeta`, one field's meaning.

The declarations of the scenario's fields themselves are in `models.spec.fields`.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Final, Literal

Lang = Literal["en", "ru"]

# What a value measures: how it is shown, typed and stepped.
Kind = Literal[
    "money",       # in the scenario's currency
    "share",       # a fraction in [0, 1], shown as a percentage
    "count",       # a whole number of people, touches, reminders
    "month",       # a 1-based month of the horizon (a whole number)
    "months",      # a duration in months
    "days",        # a duration in days
    "hours",       # a duration in hours
    "minutes",     # a duration in minutes
    "per_month",   # things a month (leads a month)
    "multiplier",  # 1 = unchanged
    "growth",      # a yearly growth rate (0.1 = +10% a year)
    "rate",        # a yearly rate (the discount rate)
    "shape",       # a fitted model's parameter, no unit
    "switch",      # on or off
    "choice",      # one of a few named options
]
KINDS: tuple[str, ...] = typing.get_args(Kind)
WHOLE_KINDS = frozenset({"count", "month"})  # typed and drawn as whole numbers

# Revenue = leads x conversion x average check x purchase frequency: the four levers of revenue
# (systemic marketing). A parameter acts through one of them, or through none (`NO_LEVER`: a
# cost, or a setting of the scenario).
LEVERS = ("leads", "conversion", "average_check", "frequency")
NO_LEVER: Final = "costs_and_other"
Lever = Literal["leads", "conversion", "average_check", "frequency", "costs_and_other"]

# The customer journey's stages, in its order (the owner's control panel's funnel, then the
# client's life), and what is no stage of it.
STAGES = ("acquisition", "processing", "first_contact", "follow_up", "invoice", "onboarding",
          "repeat_purchase", "development", "retention", "return", NO_LEVER)
Stage = Literal["acquisition", "processing", "first_contact", "follow_up", "invoice",
                "onboarding", "repeat_purchase", "development", "retention", "return",
                "costs_and_other"]

# The leaks of `models.accounting.ledger.LEAKS` and the stage each happens at: a parameter of
# that stage acting through a lever turns it (its bets target the leak). The sales team's
# capacity is both leaks of processing (called late or never).
STAGE_LEAKS: dict[str, tuple[str, ...]] = {
    "processing": ("lost_unprocessed", "lost_late"),
    "first_contact": ("lost_first_contact",),
    "follow_up": ("lost_follow_up",),
    "invoice": ("lost_unpaid",),
    "onboarding": ("lost_client",),
    "retention": ("lost_client",),
    "return": ("lost_client",),
}
LEAK_NAMES = ("lost_unprocessed", "lost_late", "lost_first_contact", "lost_follow_up",
              "lost_unpaid", "lost_client")


@dataclass(frozen=True)
class FieldMeta:
    """What one parameter is: see the module's docstring."""

    kind: Kind
    stage: Stage
    lever: Lever
    en: str
    ru: str
    help_en: str = ""
    help_ru: str = ""
    # The leaks it turns, when not every leak of its stage (None: those of the stage, or none
    # for a parameter acting through no lever)
    only_leaks: tuple[str, ...] | None = None

    @property
    def whole(self) -> bool:
        """Typed, drawn and stepped as a whole number."""
        return self.kind in WHOLE_KINDS

    @property
    def leaks(self) -> tuple[str, ...]:
        """The leaks a change of this parameter targets."""
        if self.only_leaks is not None:
            return self.only_leaks
        return STAGE_LEAKS.get(self.stage, ()) if self.lever != NO_LEVER else ()

    def label(self, lang: Lang) -> str:
        return self.ru if lang == "ru" else self.en

    def help(self, lang: Lang) -> str:
        return self.help_ru if lang == "ru" else self.help_en


def _f(kind: Kind, stage: Stage, lever: Lever, label: tuple[str, str],
       help_: tuple[str, str] = ("", ""), only_leaks: tuple[str, ...] | None = None
       ) -> FieldMeta:
    return FieldMeta(kind, stage, lever, label[0], label[1], help_[0], help_[1], only_leaks)
