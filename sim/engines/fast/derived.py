"""Derived numbers the agent engine works out inline from the compiled form, worked out here, in
one place, for the fast engine (a client's price, margin, rate and interval are `Params` methods).

Each is the agent engine's arithmetic on the compiled `Params`, with the conventions of
`models.compiled.units`; nothing here interprets a scenario parameter anew.
"""

from __future__ import annotations

from models.compiled.form import Params, client_revenue_within
from models.compiled.units import DAYS_PER_MONTH, days_to_months, discount_per_day

LIFETIME_CAP_MONTHS = 120  # as `sim.engines.agent.LIFETIME_CAP_MONTHS`: the tail's horizon


def purchase_interval_days(p: Params, tier: int, segment: int) -> float:
    """Days between a subscriber's payments (`Params.payment_interval_days`)."""
    return p.payment_interval_days(tier, segment)


def poisson_purchases_per_month(p: Params, tier: int, segment: int) -> float:
    """Repeat purchases a month of a client of a non-subscription tier (0 for a subscription;
    agent: `_ClientTerms.buy`)."""
    return 0.0 if p.tiers[tier].regular else p.purchase_rate(tier, segment)


def lost_client_value(p: Params, tier: int, onboarded: bool, segment: int, months_left: int
                      ) -> float:
    """Revenue a client who churns for good takes away before the horizon (agent: `_churn`)."""
    return client_revenue_within(p, tier, onboarded, segment, months_left, first_purchase=False)


def client_margin_per_month(p: Params, tier: int, segment: int) -> float:
    """A client's expected gross margin a month (agent: `value_at_horizon`'s `margin`)."""
    return p.purchase_rate(tier, segment) * p.margin(tier, segment)


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
