"""The compiled scenario as the fast engine's plain arrays (column numbers: `layout`).

Everything is read from `CompiledScenario` and its `Params`: a client's repeat purchases,
payment interval and margin a month are `Params` methods, a churned client's lost revenue and
the tail at the horizon functions of `models.compiled.form` (the one definition both engines
read); only the conventions of `models.compiled.units` are applied here. Months that share one
`Params` object (the timeline repeats them) are converted once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.compiled.form import (
    CompiledScenario,
    Params,
)
from models.compiled.units import DAYS_PER_MONTH, discount_per_day
from models.compiled.value import client_revenue_table, tail_value_at_anniversary
from sim.engines.fast import layout as L


@dataclass(frozen=True)
class Arrays:
    """A compiled scenario's arrays for the kernel (see `kernel.run` for IC, IL, II, CB)."""

    PM: np.ndarray
    PC: np.ndarray
    PS: np.ndarray
    PT: np.ndarray
    CT: np.ndarray
    LV: np.ndarray
    LC: np.ndarray
    HV: np.ndarray
    G: np.ndarray
    OF: np.ndarray
    IC: np.ndarray
    IL: np.ndarray
    II: np.ndarray
    CB: np.ndarray
    cb_tier: int
    # fixed monthly costs, booked by `fill` (agent: `_Run.months`)
    marketing_by_channel: np.ndarray  # (month, channel)
    fixed_costs: np.ndarray  # (month, 3): salaries, overhead, bets


def _month(p: Params, horizon: int, n_tiers: int, n_seg: int, n_ch: int
           ) -> tuple[np.ndarray, ...]:
    pm = np.zeros(L.PM_N)
    pm[L.PM_MANAGERS] = p.managers
    pm[L.PM_HANDLING] = p.handling_days
    pm[L.PM_HANDLING_EXP] = float(p.handling_exponential)
    pm[L.PM_BASE_RESPONSE] = p.base_response_days
    pm[L.PM_HALF_LIFE] = p.response_half_life_days
    pm[L.PM_LOST_UNPROC] = p.lost_unprocessed
    pm[L.PM_FCC] = p.first_contact_conversion
    pm[L.PM_FCD] = p.first_contact_drop
    pm[L.PM_MAX_TOUCHES] = p.max_touches
    pm[L.PM_TOUCH_INTERVAL] = p.touch_interval_days
    pm[L.PM_CPT] = p.conversion_per_touch
    pm[L.PM_PAID] = p.invoice_paid_probability
    pm[L.PM_INVOICE_DELAY] = p.invoice_delay_days
    pm[L.PM_REMINDERS] = p.reminders
    pm[L.PM_REMINDER_INTERVAL] = p.reminder_interval_days
    pm[L.PM_REMINDER_SUCCESS] = p.reminder_success
    pm[L.PM_RETENTION_ON] = float(p.retention_enabled)
    pm[L.PM_RETENTION_FEE] = p.retention_cost_per_client_month
    pm[L.PM_WB_ON] = float(p.win_back_enabled)
    pm[L.PM_WB_PROB] = p.win_back_probability
    pm[L.PM_WB_DELAY] = p.win_back_delay_days
    pm[L.PM_WB_COST] = p.win_back_cost
    pm[L.PM_REFERRAL_RATE] = p.referral_rate
    pm[L.PM_REFERRAL_CONV] = p.referral_conversion_multiplier
    pm[L.PM_COMMISSION] = p.commission_rate
    pc = np.zeros((n_ch, L.PC_N))
    for c, ch in enumerate(p.channels):
        pc[c, L.PC_RATE] = (ch.paid_leads + ch.organic_leads) / DAYS_PER_MONTH  # leads per day
        pc[c, L.PC_CONV] = ch.conversion_multiplier
        pc[c, L.PC_CPL] = ch.cost_per_lead
    ps = np.zeros((n_seg, L.PS_N))
    for s, seg in enumerate(p.segments):
        ps[s, L.PS_CUM] = p.segment_cumulative[s]
        ps[s, L.PS_CONV] = seg.conversion_multiplier
        ps[s, L.PS_PRICE] = seg.price_multiplier
        ps[s, L.PS_COMMITTEE] = seg.committee_delay_days
    pt = np.zeros((n_tiers, L.PT_N))
    ct = np.zeros((n_tiers, n_seg, L.CT_N))
    for i, t in enumerate(p.tiers):
        row = pt[i]
        row[L.PT_PRICE], row[L.PT_COGS] = t.price, t.cost_of_goods
        row[L.PT_REGULAR] = float(t.regular)
        row[L.PT_ENTRY_CUM] = p.entry_cumulative[i]
        row[L.PT_UPSELL_P], row[L.PT_UPSELL_COST] = t.upsell_probability, t.upsell_offer_cost
        row[L.PT_ONB_P], row[L.PT_ONB_COST] = t.onboarding_probability, t.onboarding_cost
        if t.buying is not None:
            b = t.buying
            row[L.PT_BUYING] = 1.0
            row[L.PT_SPEND_SHAPE], row[L.PT_RATE_SHAPE], row[L.PT_RATE_RATE] = (
                b.spend_shape, b.rate_shape, b.rate_rate)
            row[L.PT_DROP_A], row[L.PT_DROP_B] = b.drop_a, b.drop_b
            row[L.PT_NU_SHAPE], row[L.PT_NU_RATE] = b.nu_shape, b.nu_rate
        if t.sbg:
            row[L.PT_SBG], row[L.PT_SBG_A], row[L.PT_SBG_B] = 1.0, t.sbg_alpha, t.sbg_beta
        for s in range(n_seg):
            buy = p.repeat_purchases_per_month(i, s)
            ct[i, s, L.CT_CHURN0] = p.churn(i, False, s)
            ct[i, s, L.CT_CHURN0 + 1] = p.churn(i, True, s)
            ct[i, s, L.CT_BUY] = buy
            ct[i, s, L.CT_RATE] = buy + p.referral_rate
            ct[i, s, L.CT_PER_DAY] = (buy + p.referral_rate) / DAYS_PER_MONTH
            ct[i, s, L.CT_INTERVAL] = p.payment_interval_days(i, s)
            ct[i, s, L.CT_THETA_SCALE] = p.theta_scale(i, s)
    # (a timeline cut short keeps longer rows: only the first horizon + 1 are reachable)
    lv = np.asarray(p.lead_value, dtype=float).reshape(n_seg, -1)[:, :horizon + 1]
    return pm, pc, ps, pt, ct, lv


def build(cs: CompiledScenario) -> Arrays:
    horizon = cs.horizon_months
    n_ch, n_tiers = len(cs.channel_names), len(cs.tier_names)
    n_seg = len(cs.timeline[0].segments)
    # Months sharing one parameter set (`CompiledScenario.timeline`: equal months share one
    # object) are converted once and copied by index.
    distinct: dict[int, int] = {}
    months: list[list[int]] = []
    for m, p in enumerate(cs.timeline):
        k = distinct.setdefault(id(p), len(months))
        if k == len(months):
            months.append([])
        months[k].append(m)
    firsts = [cs.timeline[ms[0]] for ms in months]
    which = np.empty(horizon, dtype=np.int64)
    for k, ms in enumerate(months):
        which[ms] = k
    parts = [_month(p, horizon, n_tiers, n_seg, n_ch) for p in firsts]
    PM, PC, PS, PT, CT, LV = (np.stack([part[j] for part in parts])[which] for j in range(6))
    marketing = np.array([[ch.budget for ch in p.channels] for p in firsts],
                         dtype=float).reshape(len(firsts), n_ch)[which]
    fixed = np.array([(p.managers * p.salary_monthly, p.overhead_monthly, p.bet_costs)
                      for p in firsts], dtype=float)[which]
    # A churned client's lost revenue depends on the months left, so on m itself.
    LC = np.zeros((horizon, n_tiers, 2, n_seg))
    for p, ms in zip(firsts, months, strict=True):
        LC[ms] = client_revenue_table(p, horizon - np.asarray(ms))
    last = cs.timeline[-1]
    HV = np.zeros((n_tiers, 2, n_seg, 2))
    for i in range(n_tiers):
        for s in range(n_seg):
            HV[i, :, s, L.HV_MARGIN] = last.margin_per_month(i, s)
            for onb in (0, 1):
                HV[i, onb, s, L.HV_BASE] = tail_value_at_anniversary(
                    last, i, bool(onb), s, cs.monthly_discount_rate)
    G = np.zeros(L.G_N)
    G[L.G_END] = horizon * DAYS_PER_MONTH
    G[L.G_DPD] = discount_per_day(cs.monthly_discount_rate)
    G[L.G_MONTHLY_D] = cs.monthly_discount_rate
    G[L.G_MARKET] = cs.market_size
    G[L.G_HORIZON], G[L.G_N_CHANNELS] = horizon, n_ch
    G[L.G_N_TIERS], G[L.G_N_SEGMENTS] = n_tiers, n_seg
    widths = {L.O_REVENUE: 2 * n_tiers, L.O_RECURRING: 1, L.O_COSTS: 10, L.O_GP: n_ch + 2,
              L.O_PURCHASES: 1, L.O_BASE_P: 1, L.O_BASE_R: 1, L.O_UPSELLS: 1, L.O_WIN_BACKS: 1,
              L.O_REQUESTS: 1, L.O_WAITED: 1, L.O_WAIT_DAYS: 1, L.O_COHORT_CLIENTS: 1,
              L.O_COHORT_VALUE: 1, L.O_COHORT_TAIL: 1, L.O_LEADS: n_ch + 2,
              L.O_NEW_CLIENTS: n_ch + 2, L.O_LOST: 6, L.O_LOST_AD: 6,
              **{o: n_seg for o in L.O_SEGMENT}, L.O_REV_CH: n_ch + 2}
    OF = np.zeros(L.O_N, dtype=np.int64)
    at = 0
    for k in range(L.O_WIDTH):
        OF[k] = at
        at += widths[k]
    OF[L.O_WIDTH] = at
    IC = np.array([[g.tier, g.count, g.tenure_months * DAYS_PER_MONTH, g.onboarded_share,
                    g.segment] for g in cs.initial_clients], dtype=float).reshape(-1, 5)
    IL = np.array(cs.initial_leads, dtype=np.int64).reshape(-1, 3)
    II = np.array(cs.initial_invoices, dtype=np.int64).reshape(-1, 2)
    base = cs.customer_base
    if base is None:
        CB, cb_tier = np.zeros((0, 7)), -1
    else:
        CB = np.column_stack([base.alive, base.rate_shape, base.rate_rate, base.drop_a,
                              base.drop_b, base.nu_shape, base.nu_rate]).astype(float)
        cb_tier = base.tier
    if not math.isinf(cs.market_size) and cs.market_size < 0:
        raise ValueError("market_size must be positive")
    return Arrays(PM, PC, PS, PT, CT, LV, LC, HV, G, OF, IC, IL, II, CB, cb_tier, marketing, fixed)
