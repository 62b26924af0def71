"""Units and conventions, each worked out here once: days per month, discounting, whole numbers.

Every other module (compiling, engines, metrics, experiments, calibration, reports) calls these
functions instead of writing its own 30, its own `(1 + r) ** (1 / 12)` or its own `round`, so two
places can never disagree about what a month is or how money is discounted.

- Time in the engines is in days; a month is `DAYS_PER_MONTH` = 30 days, and month m (0-based)
  covers days [30m, 30m + 30).
- The annual discount rate r becomes the monthly rate (1 + r)^(1/12) - 1; month m's cash flow is
  discounted to the start of the horizon by its end, (1 + monthly)^-(m + 1); a client's own cash
  flows are discounted continuously, exp(-ln(1 + monthly) / 30 * days).
- Whole-number fields (managers, touches, reminders: `WHOLE_NUMBER_FIELDS` of the spec) take the
  nearest whole number, halves rounded up (2.5 managers are 3), wherever a value is put into one:
  a drawn value, a bet's change at part strength, a goal-seek step.
"""

from __future__ import annotations

import math

import numpy as np

from models.spec.limits import WHOLE_NUMBER_FIELDS

DAYS_PER_MONTH = 30.0


def days_to_months(days: float) -> float:
    return days / DAYS_PER_MONTH


def monthly_discount_rate(annual_rate: float) -> float:
    """The monthly rate equivalent to an annual discount rate (compound, not divided by 12)."""
    return float((1.0 + annual_rate) ** (1.0 / 12.0) - 1.0)


def month_discount_factors(monthly_rate: float, horizon_months: int) -> np.ndarray:
    """The factor of each month's cash flow: month m is discounted by its end, (1 + d)^-(m + 1)."""
    return np.asarray((1.0 + monthly_rate) ** -np.arange(1, horizon_months + 1), dtype=float)


def discount_per_day(monthly_rate: float) -> float:
    """The continuous discount rate per day that compounds to `monthly_rate` over a month."""
    return math.log1p(monthly_rate) / DAYS_PER_MONTH


def is_whole_number(path: str) -> bool:
    """Does this parameter path name a whole-number field (e.g. `sales.managers`)?"""
    return path.rsplit(".", 1)[-1] in WHOLE_NUMBER_FIELDS


def whole_number(value: float) -> float:
    """The value a whole-number field takes: the nearest whole number, halves up."""
    return float(math.floor(value + 0.5))
