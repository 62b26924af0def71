"""A client's whole life in the fast engine, run at the moment it is won: anniversaries,
churn, win-back, purchases, upsells, retention fees and the tail at the horizon (a subscriber or
a Poisson buyer: `client_life`; a calibrated buyer: `buyer_life`). Its referrals go on the
heap at their times (agent: `_Run.client_life`, `buyer_life`)."""

from __future__ import annotations

import math

import numpy as np

from models.compiled.units import DAYS_PER_MONTH as D
from sim.engines.fast import layout as L
from sim.engines.fast.booking import (
    charge_client,
    charge_retention,
    discount,
    lose,
    month_of,
    move,
    purchase,
    tail,
)
from sim.engines.fast.jit import helper
from sim.engines.fast.queues import push
from sim.engines.fast.random import beta, exponential, gamma, unif


@helper()
def client_life(key: np.uint64, tier: int, seg: int, onboarded: int, cohort: int,
                acquired: float, channel: int, next_due: float, t_start: float,
                anniversary: float, PM: np.ndarray, PS: np.ndarray, PT: np.ndarray,
                CT: np.ndarray, LC: np.ndarray, HV: np.ndarray, G: np.ndarray, F: np.ndarray,
                OF: np.ndarray, FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray,
                HT: np.ndarray, HI: np.ndarray) -> None:
    """A client's whole life from `t_start` (agent: `_Client`), drawn at once: purchases and
    referrals between anniversaries, churn and win-back at anniversaries, retention fees, the
    tail at the horizon. Referrals go on the heap (they are new leads)."""
    end = G[L.G_END]
    horizon = int(G[L.G_HORIZON])
    first_month = cohort
    ctr = 0
    events = 0
    m = month_of(t_start, horizon)
    cohort_client = cohort >= 0
    charge_retention(F, OF, PM, cohort, discount(G, acquired, t_start) if cohort_client else 0.0,
                     m)
    now = t_start
    A = anniversary
    # the discount of a cohort client's money at A (`discount`), stepped a month at a time
    step = math.exp(-G[L.G_DPD] * D)
    dA = discount(G, acquired, A) if cohort_client else 0.0
    # The wait to the next Poisson event (a purchase or a referral) in units of 1 / per_day: an
    # Exp(1) draw carried from pass to pass, rescaled when the rate changes; exact, since what is
    # left of an exponential wait is exponential (memoryless), and it spares a logarithm a month.
    # Negative: not drawn yet.
    left = -1.0
    # An sBG tier's client churns with their own theta, drawn at their first anniversary in the
    # tier from Beta(alpha, beta + months as a client so far) (agent: `_Client.theta`).
    months = -acquired / D if cohort < 0 else 0.0
    theta = 0.0
    theta_tier = -1
    while True:
        # -- a pass: purchases and referrals from `now` to the anniversary A ----------------
        restart = False
        m = month_of(now, horizon)
        buy, rate, per_day = CT[m, tier, seg, L.CT_BUY], CT[m, tier, seg, L.CT_RATE], CT[
            m, tier, seg, L.CT_PER_DAY]
        regular = PT[m, tier, L.PT_REGULAR] > 0
        interval = CT[m, tier, seg, L.CT_INTERVAL]
        when = math.inf
        if rate > 0:
            if left < 0.0:
                left, ctr = exponential(key, ctr)
            when = now + left / per_day
        due = next_due if (regular and next_due < A - 1e-9) else math.inf
        while True:
            poisson = when < A and when <= due
            if not poisson and not due < A - 1e-9:
                break
            t = when if poisson else due
            if t >= end:
                tail(F, OF, PT, HV, G, SC, tier, onboarded, seg, cohort, acquired, A)
                ST[L.ST_EVENTS] += events
                return
            events += 1
            tm = month_of(t, horizon)
            if poisson:
                is_purchase = unif(key, ctr) * rate < buy
                ctr += 1
                e, ctr = exponential(key, ctr)
                when = t + e / per_day
            else:
                is_purchase = True
                due += interval
            if is_purchase:
                old = tier
                tier, ctr = purchase(F, OF, PM, PS, PT, G, key, ctr, tier, seg, cohort,
                                     first_month,
                                     discount(G, acquired, t) if cohort_client else 0.0,
                                     channel, t, tm, True)
                next_due = t + CT[tm, tier, seg, L.CT_INTERVAL] if PT[
                    tm, tier, L.PT_REGULAR] > 0 else math.inf
                if tier != old:  # an upsell: the rest of the month drawn again for the new tier
                    now = t
                    restart = True
                    break
            else:
                push(HT, HI, ST, L.ST_HEAP2, t, L.EV_REFERRAL, 0)
        if rate > 0:  # what is left of the exponential wait, carried over (see `left`)
            left = (when - now if restart else when - A) * per_day
        if restart:
            continue
        # -- the anniversary -----------------------------------------------------------------
        if end <= A:
            tail(F, OF, PT, HV, G, SC, tier, onboarded, seg, cohort, acquired, A)
            ST[L.ST_EVENTS] += events
            return
        events += 1
        m = month_of(A, horizon)
        if PT[m, tier, L.PT_SBG] > 0:
            if theta_tier != tier:
                theta, ctr = beta(PT[m, tier, L.PT_SBG_A], PT[m, tier, L.PT_SBG_B] + months, key,
                                  ctr)
                theta_tier = tier
            churn = min(theta * CT[m, tier, seg, L.CT_THETA_SCALE], 1.0)
        else:
            churn = CT[m, tier, seg, L.CT_CHURN0 + onboarded]
        months += 1.0
        u = unif(key, ctr)
        ctr += 1
        if u < churn:
            move(FL, OCC, L.ACTIVE, L.CHURNED, A, m)
            won_back = False
            W = A
            if PM[m, L.PM_WB_ON] > 0:
                cost = PM[m, L.PM_WB_COST]
                F[m, OF[L.O_COSTS] + L.C_WIN_BACK] += cost
                charge_client(F, OF, cohort, dA, cost)
                u = unif(key, ctr)
                ctr += 1
                if u < PM[m, L.PM_WB_PROB]:
                    delay = PM[m, L.PM_WB_DELAY]
                    if delay > 0:
                        e, ctr = exponential(key, ctr)
                        W = A + delay * e
                    if end <= W:  # still churned at the horizon, neither back nor lost
                        ST[L.ST_EVENTS] += events
                        return
                    won_back = True
            if not won_back:
                lost = LC[m, tier, onboarded, seg]
                lose(FL, OCC, F, OF, L.CHURNED, L.S_CLIENT, L.L_CLIENT, lost, A, m, seg)
                ST[L.ST_EVENTS] += events
                return
            events += 1
            m = month_of(W, horizon)
            move(FL, OCC, L.CHURNED, L.ACTIVE, W, m)
            F[m, OF[L.O_WIN_BACKS]] += 1.0
            A = W
            dA = discount(G, acquired, A) if cohort_client else 0.0
            tier, ctr = purchase(F, OF, PM, PS, PT, G, key, ctr, tier, seg, cohort, first_month,
                                 dA, channel, W, m, True)
            next_due = W + CT[m, tier, seg, L.CT_INTERVAL] if PT[
                m, tier, L.PT_REGULAR] > 0 else math.inf
        else:
            if next_due <= A + 1e-9 and PT[m, tier, L.PT_REGULAR] > 0:
                tier, ctr = purchase(F, OF, PM, PS, PT, G, key, ctr, tier, seg, cohort,
                                     first_month, dA, channel, A, m, True)
                next_due = A + CT[m, tier, seg, L.CT_INTERVAL] if PT[
                    m, tier, L.PT_REGULAR] > 0 else math.inf
        # next month (agent: `_next_month`)
        now = A
        A = now + D
        if PM[m, L.PM_RETENTION_ON] > 0:
            charge_retention(F, OF, PM, cohort, dA, m)
        dA *= step


@helper()
def buyer_life(key: np.uint64, ctr: int, tier: int, seg: int, onboarded: int, cohort: int,
               acquired: float, channel: int, t_start: float, rate: float, drop: float, nu: float,
               customer: int,
               PT: np.ndarray, HV: np.ndarray, G: np.ndarray, F: np.ndarray, OF: np.ndarray,
               FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray,
               PREC: np.ndarray) -> None:
    """A calibrated buyer (agent: `buyer_life`): Poisson repeat purchases at `rate` a day, each
    Gamma(spend_shape, nu) (or the tier price), dropping out after each with `drop`."""
    end = G[L.G_END]
    horizon = int(G[L.G_HORIZON])
    now = t_start
    while rate > 0:
        e, ctr = exponential(key, ctr)
        when = now + e / rate
        if when >= end:
            break
        ST[L.ST_EVENTS] += 1
        now = when
        m = month_of(now, horizon)
        shape = PT[m, tier, L.PT_SPEND_SHAPE] if PT[m, tier, L.PT_BUYING] > 0 else 0.0
        if shape > 0:
            g, ctr = gamma(shape, key, ctr)
            amount = g / nu
        else:
            amount = PT[m, tier, L.PT_PRICE]
        cogs = PT[m, tier, L.PT_COGS]
        F[m, OF[L.O_REVENUE] + 2 * tier + 1] += amount
        if cohort < m:
            F[m, OF[L.O_RECURRING]] += amount
        F[m, OF[L.O_COSTS] + L.C_COGS] += cogs
        F[m, OF[L.O_GP] + channel] += amount - cogs
        F[m, OF[L.O_REV_CH] + channel] += amount
        F[m, OF[L.O_SEG_REVENUE] + seg] += amount
        F[m, OF[L.O_SEG_GP] + seg] += amount - cogs
        F[m, OF[L.O_PURCHASES]] += 1.0
        if cohort >= 0:
            F[cohort, OF[L.O_COHORT_VALUE]] += (amount - cogs) * math.exp(
                -G[L.G_DPD] * (now - acquired))
        else:
            F[m, OF[L.O_BASE_P]] += 1.0
            F[m, OF[L.O_BASE_R]] += amount
        if G[L.G_RECORD] > 0:
            i = ST[L.ST_PREC]
            if i < PREC.shape[0]:
                PREC[i, 0], PREC[i, 1], PREC[i, 2] = now, amount, customer
                ST[L.ST_PREC] = i + 1
            else:
                ST[L.ST_OVERFLOW] |= 1 << L.CAP_PREC
        u = unif(key, ctr)
        ctr += 1
        if u < drop:
            move(FL, OCC, L.ACTIVE, L.CHURNED, now, m)
            mean = shape / nu if shape > 0 else PT[m, tier, L.PT_PRICE]
            lose(FL, OCC, F, OF, L.CHURNED, L.S_CLIENT, L.L_CLIENT, rate * (end - now) * mean,
                 now, m, seg)
            return
    # active at the horizon; a buyer's anniversary stays at day 0 (the agent's default)
    tail(F, OF, PT, HV, G, SC, tier, onboarded, seg, cohort, acquired, 0.0)


@helper()
def new_buyer(key: np.uint64, tier: int, seg: int, onboarded: int, cohort: int,
              acquired: float, channel: int,
              t_start: float, PT: np.ndarray, HV: np.ndarray, G: np.ndarray, F: np.ndarray,
              OF: np.ndarray, FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray,
              PREC: np.ndarray) -> None:
    """A new client of a calibrated tier draws its own rate, dropout and spend rate."""
    m = month_of(t_start, int(G[L.G_HORIZON]))
    ctr = 0
    g, ctr = gamma(PT[m, tier, L.PT_RATE_SHAPE], key, ctr)
    rate = g / PT[m, tier, L.PT_RATE_RATE]
    drop, ctr = beta(PT[m, tier, L.PT_DROP_A], PT[m, tier, L.PT_DROP_B], key, ctr)
    g, ctr = gamma(PT[m, tier, L.PT_NU_SHAPE], key, ctr)
    nu = g / PT[m, tier, L.PT_NU_RATE]
    buyer_life(key, ctr, tier, seg, onboarded, cohort, acquired, channel, t_start, rate, drop,
               nu, -1, PT, HV, G, F, OF, FL, OCC, SC, ST, PREC)
