"""Derived numbers the agent engine works out inline from the compiled form, worked out here, in
one place, for the fast engine (the lead means to move them into `models.compiled.form`).

Each is the agent engine's arithmetic on the compiled `Params`, with the conventions of
`models.compiled.units`; nothing here interprets a scenario parameter anew.
"""

from __future__ import annotations

import math

from models.compiled.form import Params, client_revenue_within
from models.compiled.units import DAYS_PER_MONTH, days_to_months, discount_per_day

LIFETIME_CAP_MONTHS = 120  # as `sim.engines.agent.LIFETIME_CAP_MONTHS`: the tail's horizon


def purchase_interval_days(p: Params, tier: int, segment: int) -> float:
    """Days between a subscriber's payments: the tier's interval over the segment's frequency
    multiplier (agent: `_Run._interval_of`)."""
    rate = p.segments[segment].frequency_multiplier
    return p.tiers[tier].interval_days / rate if rate > 0 else math.inf


def poisson_purchases_per_month(p: Params, tier: int, segment: int) -> float:
    """Repeat purchases a month of a client of a non-subscription tier (0 for a subscription;
    agent: `_ClientTerms.buy`)."""
    t = p.tiers[tier]
    return 0.0 if t.regular else t.purchases_per_month * p.segments[segment].frequency_multiplier


def lost_client_value(p: Params, tier: int, onboarded: bool, segment: int, months_left: int
                      ) -> float:
    """Revenue a client who churns for good takes away before the horizon (agent: `_churn`)."""
    return client_revenue_within(p, tier, onboarded, segment, months_left, first_purchase=False)


def client_margin_per_month(p: Params, tier: int, segment: int) -> float:
    """A client's expected gross margin a month (agent: `value_at_horizon`'s `margin`)."""
    t, seg = p.tiers[tier], p.segments[segment]
    return t.purchases_per_month * seg.frequency_multiplier * (
        t.price * seg.price_multiplier - t.cost_of_goods)


def tail_value_at_anniversary(p: Params, tier: int, onboarded: bool, segment: int,
                              monthly_discount: float) -> float:
    """What an active client still brings after the horizon, valued at their next anniversary
    (agent: `value_at_horizon` without its discount to the anniversary and the Poisson buyer's
    rest of the period): (1 - churn) * (margin - fee) * sum_{j<n} keep^j."""
    fee = p.retention_cost_per_client_month if p.retention_enabled else 0.0
    churn = p.churn(tier, onboarded, segment)
    keep = (1.0 - churn) / (1.0 + monthly_discount)
    n = LIFETIME_CAP_MONTHS
    periods = n if keep >= 1.0 else (1.0 - keep**n) / (1.0 - keep)
    return (1.0 - churn) * (client_margin_per_month(p, tier, segment) - fee) * periods


def client_discount_per_day(monthly_discount: float) -> float:
    """The continuous discount rate of a client's own cash flows (units.discount_per_day)."""
    return discount_per_day(monthly_discount)


def months_of(days: float) -> float:
    return days_to_months(days)


__all__ = ["DAYS_PER_MONTH", "LIFETIME_CAP_MONTHS", "client_discount_per_day",
           "client_margin_per_month", "lost_client_value", "months_of",
           "poisson_purchases_per_month", "purchase_interval_days", "tail_value_at_anniversary"]
