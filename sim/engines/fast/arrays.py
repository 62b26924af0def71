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
from sim.engines.fast.layout import (
    CT_BUY,
    CT_CHURN0,
    CT_INTERVAL,
    CT_N,
    CT_PER_DAY,
    CT_RATE,
    CT_THETA_SCALE,
    G_DPD,
    G_END,
    G_HORIZON,
    G_MARKET,
    G_MONTHLY_D,
    G_N,
    G_N_CHANNELS,
    G_N_SEGMENTS,
    G_N_TIERS,
    HV_BASE,
    HV_MARGIN,
    O_BASE_P,
    O_BASE_R,
    O_COHORT_CLIENTS,
    O_COHORT_TAIL,
    O_COHORT_VALUE,
    O_COSTS,
    O_GP,
    O_LEADS,
    O_LOST,
    O_LOST_AD,
    O_N,
    O_NEW_CLIENTS,
    O_PURCHASES,
    O_RECURRING,
    O_REQUESTS,
    O_REV_CH,
    O_REVENUE,
    O_SEGMENT,
    O_UPSELLS,
    O_WAIT_DAYS,
    O_WAITED,
    O_WIDTH,
    O_WIN_BACKS,
    PC_CONV,
    PC_CPL,
    PC_N,
    PC_RATE,
    PM_BASE_RESPONSE,
    PM_COMMISSION,
    PM_CPT,
    PM_FCC,
    PM_FCD,
    PM_HALF_LIFE,
    PM_HANDLING,
    PM_HANDLING_EXP,
    PM_INVOICE_DELAY,
    PM_LOST_UNPROC,
    PM_MANAGERS,
    PM_MAX_TOUCHES,
    PM_N,
    PM_PAID,
    PM_REFERRAL_CONV,
    PM_REFERRAL_RATE,
    PM_REMINDER_INTERVAL,
    PM_REMINDER_SUCCESS,
    PM_REMINDERS,
    PM_RETENTION_FEE,
    PM_RETENTION_ON,
    PM_TOUCH_INTERVAL,
    PM_WB_COST,
    PM_WB_DELAY,
    PM_WB_ON,
    PM_WB_PROB,
    PS_COMMITTEE,
    PS_CONV,
    PS_CUM,
    PS_N,
    PS_PRICE,
    PT_BUYING,
    PT_COGS,
    PT_DROP_A,
    PT_DROP_B,
    PT_ENTRY_CUM,
    PT_N,
    PT_NU_RATE,
    PT_NU_SHAPE,
    PT_ONB_COST,
    PT_ONB_P,
    PT_PRICE,
    PT_RATE_RATE,
    PT_RATE_SHAPE,
    PT_REGULAR,
    PT_SBG,
    PT_SBG_A,
    PT_SBG_B,
    PT_SPEND_SHAPE,
    PT_UPSELL_COST,
    PT_UPSELL_P,
)


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
    pm = np.zeros(PM_N)
    pm[PM_MANAGERS] = p.managers
    pm[PM_HANDLING] = p.handling_days
    pm[PM_HANDLING_EXP] = float(p.handling_exponential)
    pm[PM_BASE_RESPONSE] = p.base_response_days
    pm[PM_HALF_LIFE] = p.response_half_life_days
    pm[PM_LOST_UNPROC] = p.lost_unprocessed
    pm[PM_FCC] = p.first_contact_conversion
    pm[PM_FCD] = p.first_contact_drop
    pm[PM_MAX_TOUCHES] = p.max_touches
    pm[PM_TOUCH_INTERVAL] = p.touch_interval_days
    pm[PM_CPT] = p.conversion_per_touch
    pm[PM_PAID] = p.invoice_paid_probability
    pm[PM_INVOICE_DELAY] = p.invoice_delay_days
    pm[PM_REMINDERS] = p.reminders
    pm[PM_REMINDER_INTERVAL] = p.reminder_interval_days
    pm[PM_REMINDER_SUCCESS] = p.reminder_success
    pm[PM_RETENTION_ON] = float(p.retention_enabled)
    pm[PM_RETENTION_FEE] = p.retention_cost_per_client_month
    pm[PM_WB_ON] = float(p.win_back_enabled)
    pm[PM_WB_PROB] = p.win_back_probability
    pm[PM_WB_DELAY] = p.win_back_delay_days
    pm[PM_WB_COST] = p.win_back_cost
    pm[PM_REFERRAL_RATE] = p.referral_rate
    pm[PM_REFERRAL_CONV] = p.referral_conversion_multiplier
    pm[PM_COMMISSION] = p.commission_rate
    pc = np.zeros((n_ch, PC_N))
    for c, ch in enumerate(p.channels):
        pc[c, PC_RATE] = (ch.paid_leads + ch.organic_leads) / DAYS_PER_MONTH  # leads per day
        pc[c, PC_CONV] = ch.conversion_multiplier
        pc[c, PC_CPL] = ch.cost_per_lead
    ps = np.zeros((n_seg, PS_N))
    for s, seg in enumerate(p.segments):
        ps[s, PS_CUM] = p.segment_cumulative[s]
        ps[s, PS_CONV] = seg.conversion_multiplier
        ps[s, PS_PRICE] = seg.price_multiplier
        ps[s, PS_COMMITTEE] = seg.committee_delay_days
    pt = np.zeros((n_tiers, PT_N))
    ct = np.zeros((n_tiers, n_seg, CT_N))
    for i, t in enumerate(p.tiers):
        row = pt[i]
        row[PT_PRICE], row[PT_COGS], row[PT_REGULAR] = t.price, t.cost_of_goods, float(t.regular)
        row[PT_ENTRY_CUM] = p.entry_cumulative[i]
        row[PT_UPSELL_P], row[PT_UPSELL_COST] = t.upsell_probability, t.upsell_offer_cost
        row[PT_ONB_P], row[PT_ONB_COST] = t.onboarding_probability, t.onboarding_cost
        if t.buying is not None:
            b = t.buying
            row[PT_BUYING] = 1.0
            row[PT_SPEND_SHAPE], row[PT_RATE_SHAPE], row[PT_RATE_RATE] = (
                b.spend_shape, b.rate_shape, b.rate_rate)
            row[PT_DROP_A], row[PT_DROP_B] = b.drop_a, b.drop_b
            row[PT_NU_SHAPE], row[PT_NU_RATE] = b.nu_shape, b.nu_rate
        if t.sbg:
            row[PT_SBG], row[PT_SBG_A], row[PT_SBG_B] = 1.0, t.sbg_alpha, t.sbg_beta
        for s in range(n_seg):
            buy = p.repeat_purchases_per_month(i, s)
            ct[i, s, CT_CHURN0] = p.churn(i, False, s)
            ct[i, s, CT_CHURN0 + 1] = p.churn(i, True, s)
            ct[i, s, CT_BUY] = buy
            ct[i, s, CT_RATE] = buy + p.referral_rate
            ct[i, s, CT_PER_DAY] = (buy + p.referral_rate) / DAYS_PER_MONTH
            ct[i, s, CT_INTERVAL] = p.payment_interval_days(i, s)
            ct[i, s, CT_THETA_SCALE] = p.theta_scale(i, s)
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
            HV[i, :, s, HV_MARGIN] = last.margin_per_month(i, s)
            for onb in (0, 1):
                HV[i, onb, s, HV_BASE] = tail_value_at_anniversary(
                    last, i, bool(onb), s, cs.monthly_discount_rate)
    G = np.zeros(G_N)
    G[G_END] = horizon * DAYS_PER_MONTH
    G[G_DPD] = discount_per_day(cs.monthly_discount_rate)
    G[G_MONTHLY_D] = cs.monthly_discount_rate
    G[G_MARKET] = cs.market_size
    G[G_HORIZON], G[G_N_CHANNELS], G[G_N_TIERS], G[G_N_SEGMENTS] = horizon, n_ch, n_tiers, n_seg
    widths = {O_REVENUE: 2 * n_tiers, O_RECURRING: 1, O_COSTS: 10, O_GP: n_ch + 2,
              O_PURCHASES: 1, O_BASE_P: 1, O_BASE_R: 1, O_UPSELLS: 1, O_WIN_BACKS: 1,
              O_REQUESTS: 1, O_WAITED: 1, O_WAIT_DAYS: 1, O_COHORT_CLIENTS: 1,
              O_COHORT_VALUE: 1, O_COHORT_TAIL: 1, O_LEADS: n_ch + 2, O_NEW_CLIENTS: n_ch + 2,
              O_LOST: 6, O_LOST_AD: 6, **{o: n_seg for o in O_SEGMENT}, O_REV_CH: n_ch + 2}
    OF = np.zeros(O_N, dtype=np.int64)
    at = 0
    for k in range(O_WIDTH):
        OF[k] = at
        at += widths[k]
    OF[O_WIDTH] = at
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
