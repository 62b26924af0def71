"""What a client is worth, from a month's parameters: the revenue they bring within the months
left in the horizon (what a churned client or a lost lead takes away) and their tail value
after it (customer equity). The one place both engines and the lost-value arithmetic
(`models.compiled.worth`) take these from.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from models.compiled.form import Params


def expected_months_within(churn: float, months: int) -> float:
    """Expected active months, out of the next `months`, of a client who churns with monthly
    probability `churn` at each anniversary: E[min(L, months)] for geometric L."""
    if months <= 0:
        return 0.0
    if churn <= 0:
        return float(months)
    return (1.0 - (1.0 - churn) ** months) / churn


def client_revenue_within(p: Params, tier: int, onboarded: bool, segment: int, months: int,
                          first_purchase: bool) -> float:
    """Expected revenue, within the next `months`, of a client of this tier (win-back left out):
    the first purchase if `first_purchase`, then purchases at the tier's frequency while active,
    moving up the pyramid (`client_values`). A subscription's first payment covers its first
    period: it adds to the value only what the purchases at the tier's frequency would not."""
    if months <= 0:
        return 0.0
    by_month = p.client_value[(segment * 2 + int(onboarded)) * len(p.tiers) + tier]
    value = by_month[min(months, len(by_month) - 1)]
    if not first_purchase:
        return value
    price = p.price(tier, segment)
    return max(value, price) if p.tiers[tier].regular else price + value


def client_revenue_table(p: Params, months: np.ndarray) -> np.ndarray:
    """`client_revenue_within(p, tier, onboarded, segment, k, first_purchase=False)` (the revenue
    a client who churns for good takes away) for each k of `months` and every tier, onboarding
    and segment at once: shape (len(months), tiers, 2, segments). The fast engine reads it."""
    n_tiers, n_seg = len(p.tiers), len(p.segments)
    rows = np.asarray(p.client_value, dtype=float).reshape(n_seg, 2, n_tiers, -1)
    k = np.asarray(months)
    table = rows[:, :, :, np.minimum(k, rows.shape[3] - 1)].transpose(3, 2, 1, 0)
    return np.where((k > 0)[:, None, None, None], table, 0.0)


def client_values(p: Params, segment: int, onboarded: bool, horizon: int
                   ) -> tuple[tuple[float, ...], ...]:
    """[tier][months]: the expected revenue, within the next `months`, of a client active on the
    tier at an anniversary: month by month, the month's purchases at the tier's frequency and
    price, then churn at the anniversary, then a move up to the next tier with the chance that
    one of the next month's purchases is an upsell (a subscription's: purchases a month ×
    upsell_probability, exactly that for a monthly one; Poisson purchases':
    1 - exp(-purchases a month × upsell_probability)). Without upsell this is purchases a month
    × price × `expected_months_within`."""
    n = len(p.tiers)
    revenue = tuple(p.purchase_rate(i, segment) * p.price(i, segment) for i in range(n))

    def move_up(i: int) -> float:
        if i + 1 >= n:
            return 0.0
        upsells = p.purchase_rate(i, segment) * p.tiers[i].upsell_probability
        return min(upsells, 1.0) if p.tiers[i].regular else -math.expm1(-upsells)

    up = tuple(move_up(i) for i in range(n))
    keep = tuple(1.0 - p.churn(i, onboarded, segment) for i in range(n))
    return _value_rows(revenue, up, keep, horizon)


@functools.lru_cache(maxsize=1024)
def _value_rows(revenue: tuple[float, ...], up: tuple[float, ...], keep: tuple[float, ...],
                horizon: int) -> tuple[tuple[float, ...], ...]:
    """`client_values` from its numbers: a tier's revenue a month, chance to move up and chance
    to stay at an anniversary. Remembered: the month variants of a comparison's replication
    mostly leave them as they are (a bet on advertising changes none)."""
    n = len(revenue)
    values: list[tuple[float, ...]] = [()] * n
    above = (0.0,) * (horizon + 1)  # (above the top tier: nothing)
    for i in reversed(range(n)):  # a tier's values need only the next tier up's
        r, kp, u = revenue[i], keep[i], up[i]
        row, value = [0.0], 0.0
        for k in range(1, horizon + 1):
            value = r + kp * ((1.0 - u) * value + u * above[k - 1])
            row.append(value)
        values[i] = above = tuple(row)
    return tuple(values)


# How long a client's tail value (after the horizon) runs when nothing ends it (churn 0).
LIFETIME_CAP_MONTHS = 120


def tail_value_at_anniversary(p: Params, tier: int, onboarded: bool, segment: int,
                              monthly_discount: float) -> float:
    """What a client active at the horizon still brings after it, valued at their next
    anniversary A (`value_at_horizon` discounts it to the horizon): churn is drawn at each
    anniversary, before that period's purchases, so with M = margin a month - retention fee and
    keep = (1 - churn) / (1 + d) the periods after A are worth
    (1 - churn) * M * sum_{j<n} keep^j, n = LIFETIME_CAP_MONTHS. Upsell and win-back are left
    out."""
    fee = p.retention_cost_per_client_month if p.retention_enabled else 0.0
    churn = p.churn(tier, onboarded, segment)
    keep = (1.0 - churn) / (1.0 + monthly_discount)
    n = LIFETIME_CAP_MONTHS
    periods = n if keep >= 1.0 else (1.0 - keep**n) / (1.0 - keep)
    return (1.0 - churn) * (p.margin_per_month(tier, segment) - fee) * periods


def value_at_horizon(at_anniversary: float, margin_per_month: float, regular: bool,
                     months_to_anniversary: float, monthly_discount: float) -> float:
    """Expected discounted net margin an active client still brings after the horizon: the
    value at their next anniversary (`tail_value_at_anniversary`) discounted over the
    `months_to_anniversary` from the horizon to it, plus, for a Poisson buyer (not `regular`),
    the purchases of the rest of the current period at `margin_per_month` (a subscriber has
    already paid for it). Plain numbers, so that the fast engine compiles this same function
    with numba (the agent engine calls it as it is)."""
    value: float = at_anniversary * (1.0 + monthly_discount) ** -months_to_anniversary
    if not regular:
        value += margin_per_month * months_to_anniversary
    return value


def lead_values(p: Params, segment: int, horizon: int) -> tuple[float, ...]:
    """A client's value for what a lost lead is worth, indexed by the months left in the horizon:
    the revenue a new client of this segment brings before the horizon (entry tiers and onboarding
    at their shares). A lost lead is worth this times its chance to have paid (`loss_worth`).
    (`client_revenue_within` of a first purchase, unrolled: this runs for every month variant of
    every replication of a comparison.)"""
    n = len(p.tiers)
    tiers = tuple(
        (t.entry_share, t.onboarding_probability, t.regular, p.price(i, segment),
         p.client_value[(segment * 2 + 1) * n + i], p.client_value[segment * 2 * n + i])
        for i, t in enumerate(p.tiers) if t.entry_share > 0)
    return _entry_values(tiers, horizon)


@functools.lru_cache(maxsize=1024)
def _entry_values(tiers: tuple[tuple[float, float, bool, float, tuple[float, ...],
                                     tuple[float, ...]], ...],
                  horizon: int) -> tuple[float, ...]:
    """`lead_values` from its numbers: per entry tier its share, onboarding chance, whether it
    is a subscription, its price and the value rows of an onboarded client and of one not.
    Remembered, like `_value_rows`."""
    value = np.zeros(horizon + 1)
    for share, onboarding, regular, price, onboarded, not_onboarded in tiers:
        months = np.minimum(np.arange(horizon + 1), len(onboarded) - 1)
        a, b = np.asarray(onboarded)[months], np.asarray(not_onboarded)[months]
        if regular:  # a subscription's first payment covers its first period
            a, b = np.maximum(a, price), np.maximum(b, price)
        else:
            a, b = price + a, price + b
        value += share * (onboarding * a + (1 - onboarding) * b)
    value[0] = 0.0  # no month left: nothing
    return tuple(value.tolist())
