"""Limits of a scenario that the engines are built around (no imports: the fast engine's compiled
cache is keyed by the source of every module it reads, so a limit lives apart from the words and
the validation that use it)."""

MAX_TOUCHES = 15  # follow-up touches an agent's row of random numbers has room for
# Whole-number parameters: drawn values and a bet's changes are rounded (half up) to whole steps.
WHOLE_NUMBER_FIELDS = ("managers", "max_touches", "reminders")
