"""A lead's journey in the fast engine: the deal from 'yes' to a paid or unpaid invoice
(`deal`), and the sales team, a FIFO queue of contact requests served by a month's number of
managers (`request`, `contact`, `change_team`; follow-up touches in a ring kept in time order,
`schedule_touch`)."""

from __future__ import annotations

import math

import numpy as np

from models.compiled.units import DAYS_PER_MONTH as D
from sim.engines import randomness as R
from sim.engines.fast import layout as L
from sim.engines.fast.booking import (
    bisect_right,
    change,
    gone,
    lose_lead,
    month_of,
    move,
    purchase,
    record,
    worth,
)
from sim.engines.fast.clients import client_life, new_buyer
from sim.engines.fast.jit import helper
from sim.engines.fast.queues import push, wrap
from sim.engines.fast.random import CLIENT_SALT, mix, row_exponential, unif


@helper()
def deal(seed: np.uint64, state: int, seg: int, channel: int, tier: int, uid: int, t0: float,
         ad: float, PM: np.ndarray, PS: np.ndarray, PT: np.ndarray, CT: np.ndarray, LV: np.ndarray,
         LC: np.ndarray, HV: np.ndarray, G: np.ndarray, F: np.ndarray, OF: np.ndarray,
         FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray, HT: np.ndarray,
         HI: np.ndarray, REC: np.ndarray, PREC: np.ndarray, WM: np.ndarray) -> None:
    """From 'yes' to a paid invoice (a new client, whose life is drawn at once) or an unpaid one
    (a leak), all drawn now (agent: `_Run.deal`). `ad`: what the lead's advertising cost."""
    end = G[L.G_END]
    horizon = int(G[L.G_HORIZON])
    rec = G[L.G_RECORD] > 0
    t = t0
    m = month_of(t, horizon)
    committee = PS[m, seg, L.PS_COMMITTEE]
    if committee > 0:
        move(FL, OCC, state, L.DECIDING, t, m)
        state = L.DECIDING
        t = t + committee * row_exponential(seed, R.SLOT_COMMITTEE + 1)
        if t >= end:
            return
        ST[L.ST_EVENTS] += 1
        m = month_of(t, horizon)
    if tier < 0:
        tier = bisect_right(PT[m, :, L.PT_ENTRY_CUM], unif(seed, R.SLOT_TIER + 1))
    if state != L.INVOICED:
        move(FL, OCC, state, L.INVOICED, t, m)
        if rec and uid >= 0:
            record(REC, ST, uid, L.R_INVOICED, t, 0.0)
    delay = PM[m, L.PM_INVOICE_DELAY] * row_exponential(seed, R.SLOT_PAY_DELAY + 1)
    u, q = unif(seed, R.SLOT_PAID + 1), PM[m, L.PM_PAID]
    paid = u < q
    reminders = int(PM[m, L.PM_REMINDERS])
    r = PM[m, L.PM_REMINDER_SUCCESS]
    if not paid and reminders > 0 and r > 0:
        v = (u - q) / (1.0 - q)
        if r >= 1.0:
            paid, failures = True, 0
        else:
            paid = v < -math.expm1(reminders * math.log1p(-r))
            # (int(): one integer type for numba on both branches)
            failures = min(int(math.floor(math.log1p(-v) / math.log1p(-r))),  # noqa: RUF046
                           reminders - 1) if paid else 0
        if paid:
            delay += (failures + 1) * PM[m, L.PM_REMINDER_INTERVAL]
    if not paid:
        delay += reminders * PM[m, L.PM_REMINDER_INTERVAL]
    if delay > 0:
        t = t + delay
        if t >= end:
            return
        ST[L.ST_EVENTS] += 1
    m = month_of(t, horizon)
    if not paid:
        # worth a client with the terms of the month it is lost in (not the invoice's)
        lose_lead(FL, OCC, F, OF, L.INVOICED, L.S_UNPAID, L.L_UNPAID,
                  worth(PM, LV, WM, m, horizon, L.L_UNPAID, 1.0, seg), ad, t, m, seg)
        if rec and uid >= 0:
            record(REC, ST, uid, L.R_LOST_UNPAID, t, 0.0)
        if G[L.G_MARKET] < math.inf:
            push(HT, HI, ST, L.ST_HEAP2, t, L.EV_RELEASE, 0)  # the market counts them until then
        return
    onboarded = 1 if unif(seed, R.SLOT_ONBOARD + 1) < PT[m, tier, L.PT_ONB_P] else 0
    move(FL, OCC, L.INVOICED, L.ACTIVE, t, m)
    if rec and uid >= 0:
        record(REC, ST, uid, L.R_PAID, t, 0.0)
    F[m, OF[L.O_NEW_CLIENTS] + channel] += 1.0
    F[m, OF[L.O_SEG_NEW] + seg] += 1.0
    F[m, OF[L.O_COHORT_CLIENTS]] += 1.0
    cost = PT[m, tier, L.PT_ONB_COST]
    F[m, OF[L.O_COSTS] + L.C_ONBOARDING] += cost
    F[m, OF[L.O_COHORT_VALUE]] -= cost
    key = mix(seed ^ CLIENT_SALT)
    tier, _ = purchase(F, OF, PM, PS, PT, G, key, 0, tier, seg, m, m, 1.0, channel, t, m, False)
    next_due = math.inf
    if PT[m, tier, L.PT_REGULAR] > 0:
        next_due = t + CT[m, tier, seg, L.CT_INTERVAL]
    if PT[m, tier, L.PT_BUYING] > 0:
        new_buyer(key, tier, seg, onboarded, m, t, channel, t, PT, HV, G, F, OF, FL, OCC, SC, ST,
                  PREC)
    else:
        client_life(key, tier, seg, onboarded, m, t, channel, next_due, t, t + D, PM, PS, PT,
                    CT, LC, HV, G, F, OF, FL, OCC, SC, ST, HT, HI)


@helper(inline=True)
def schedule_touch(TQT: np.ndarray, TQS: np.ndarray, HT: np.ndarray, HI: np.ndarray,
                   ST: np.ndarray, due: float, slot: int) -> None:
    """A follow-up touch of lead `slot` comes due at `due`: into the ring of touches in order
    of time (inserted from its end: touches are scheduled at their contacts' ends, nearly in
    order), or, further than 32 places from the end, on the heap."""
    n = ST[L.ST_TQ_SIZE]
    n_slots = TQT.shape[0]
    tail_ = wrap(ST[L.ST_TQ_HEAD] + n, n_slots)
    k = 0
    p = tail_
    while k < n:
        q = p - 1 if p > 0 else n_slots - 1
        if TQT[q] <= due:  # (a touch due at the same time as one in the ring goes after it)
            break
        k += 1
        p = q
        if k > 32:
            push(HT, HI, ST, L.ST_HEAP, due, L.EV_TOUCH_DUE, slot)
            return
    j = tail_
    for _ in range(k):
        q = j - 1 if j > 0 else n_slots - 1
        TQT[j], TQS[j] = TQT[q], TQS[q]
        j = q
    TQT[j], TQS[j] = due, slot
    ST[L.ST_TQ_SIZE] = n + 1


@helper(inline=True)
def contact(slot: int, state: int, t_req: float, start: float, h: float, P: L.Params,
            F: np.ndarray, OF: np.ndarray, FL: np.ndarray,
            OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray, HT: np.ndarray, HI: np.ndarray,
            RT: np.ndarray, RI: np.ndarray, REC: np.ndarray, PREC: np.ndarray, WM: np.ndarray,
            LI: np.ndarray, LF: np.ndarray, LSEED: np.ndarray, FREE: np.ndarray,
            TQT: np.ndarray, TQS: np.ndarray) -> None:
    """Lead `slot`, which asked for a manager at `t_req` from `state` (L.WAITING: it has been
    waiting in the queue, booked), is taken at `start` for `h` days: the contact and its
    outcome at its end (agent: `_Team.request`, `first_contact_over`, `touch_over`,
    `_follow_up`), booked now, order-free. Nothing else can change it: its manager is
    committed until its end, its decisions are its own row's, the month's parameters are
    known. What others would see at its end, in a finite market, is the person released
    (L.EV_RELEASE); a follow-up touch is scheduled at its time. P: the parameters (PM, PS, PT,
    CT, LV, LC, HV, G; a tuple: numba inlines no function of more than 30 arguments)."""
    PM, PS, PT, CT, LV, LC, HV, G = P
    end = G[L.G_END]
    horizon = int(G[L.G_HORIZON])
    rec = G[L.G_RECORD] > 0
    m0 = month_of(t_req, horizon)
    ms = month_of(start, horizon)
    F[ms, OF[L.O_REQUESTS]] += 1.0
    wait = start - t_req
    if state == L.WAITING:
        move(FL, OCC, L.WAITING, L.IN_CONTACT, start, ms)
    elif wait > 0:
        move(FL, OCC, state, L.WAITING, t_req, m0)
        move(FL, OCC, L.WAITING, L.IN_CONTACT, start, ms)
    else:
        FL[m0, state * L.N + L.WAITING] += 1.0
        FL[m0, L.WAITING * L.N + L.IN_CONTACT] += 1.0
        change(OCC, state, -1.0, t_req, m0)
        change(OCC, L.IN_CONTACT, 1.0, t_req, m0)
    if wait > 0:
        F[ms, OF[L.O_WAITED]] += 1.0
        F[ms, OF[L.O_WAIT_DAYS]] += wait
    LF[slot, L.LF_WAIT] = wait
    now = start + h
    if now >= end:  # still in contact at the horizon
        return
    ST[L.ST_EVENTS] += 1
    m = month_of(now, horizon)
    lseed = LSEED[slot]
    touch = LI[slot, L.LI_TOUCH]
    uid = LI[slot, L.LI_UID]
    seg = LI[slot, L.LI_SEG]
    ad = LF[slot, L.LF_AD]
    quality = LF[slot, L.LF_QUALITY]
    follow = False
    done = False
    leak = -1
    if touch == 0:  # the first contact (agent: `first_contact_over`)
        delay = PM[m, L.PM_BASE_RESPONSE] + wait
        if rec and uid >= 0:
            record(REC, ST, uid, L.R_FIRST_RESPONSE, now, delay)
        hl = PM[m, L.PM_HALF_LIFE]
        if hl < math.inf and gone(unif(lseed, R.SLOT_INTEREST + 1), delay / hl):
            leak = L.L_LATE
        elif unif(lseed, R.SLOT_CLOSE + 1) < PM[m, L.PM_FCC] * quality:
            done = True
        elif unif(lseed, R.SLOT_DROP + 1) < PM[m, L.PM_FCD]:
            leak = L.L_FIRST
        else:
            follow = True
    else:  # a follow-up touch (agent: `touch_over`)
        if rec and uid >= 0:
            record(REC, ST, uid, L.R_TOUCH, now, float(touch))
        if unif(lseed, R.SLOT_TOUCH + 2 * touch + 2) < PM[m, L.PM_CPT] * quality:
            done = True
        else:
            follow = True
    if leak == L.L_LATE:
        lose_lead(FL, OCC, F, OF, L.IN_CONTACT, L.S_LATE, L.L_LATE,
                  worth(PM, LV, WM, m, horizon, L.L_LATE, quality, seg), ad, now, m, seg)
        if rec and uid >= 0:
            record(REC, ST, uid, L.R_LOST_LATE, now, 0.0)
    elif leak == L.L_FIRST:
        lose_lead(FL, OCC, F, OF, L.IN_CONTACT, L.S_FIRST, L.L_FIRST,
                  worth(PM, LV, WM, m, horizon, L.L_FIRST, quality, seg), ad, now, m, seg)
        if rec and uid >= 0:
            record(REC, ST, uid, L.R_LOST_FIRST_CONTACT, now, 0.0)
    elif follow:  # agent: `_follow_up`
        if touch >= PM[m, L.PM_MAX_TOUCHES]:
            lose_lead(FL, OCC, F, OF, L.IN_CONTACT, L.S_FOLLOW_UP_LOST, L.L_FOLLOW_UP,
                      worth(PM, LV, WM, m, horizon, L.L_FOLLOW_UP, quality, seg), ad, now, m,
                      seg)
            if rec and uid >= 0:
                record(REC, ST, uid, L.R_LOST_FOLLOW_UP, now, 0.0)
            leak = L.L_FOLLOW_UP
        else:
            move(FL, OCC, L.IN_CONTACT, L.FOLLOW_UP, now, m)
            touch += 1
            LI[slot, L.LI_TOUCH] = touch
            hn = PM[m, L.PM_HANDLING]
            if PM[m, L.PM_HANDLING_EXP] > 0:
                hn = hn * row_exponential(lseed, R.SLOT_TOUCH + 2 * touch + 1)
            LF[slot, L.LF_HANDLING] = hn
            schedule_touch(TQT, TQS, HT, HI, ST, now + PM[m, L.PM_TOUCH_INTERVAL], slot)
    if done:
        deal(lseed, L.IN_CONTACT, seg, LI[slot, L.LI_CHANNEL], -1, uid, now, ad, PM, PS, PT, CT, LV,
             LC, HV, G, F, OF, FL, OCC, SC, ST, RT, RI, REC, PREC, WM)
    if leak >= 0 and G[L.G_MARKET] < math.inf:
        push(RT, RI, ST, L.ST_HEAP2, now, L.EV_RELEASE, 0)  # the market counts it until then
    if leak >= 0 or done:  # (its row is read no more: the slot is free at once)
        FREE[ST[L.ST_FREE]] = slot
        ST[L.ST_FREE] += 1


@helper(inline=True)
def earliest(V: np.ndarray, n: int) -> int:
    """The manager (of the first n) free soonest, the first such. (The soonest time is carried
    in a variable, not read again as V[j]: the compiler then picks by conditional moves, not
    by a branch the processor guesses wrong about every other contact.)"""
    j = 0
    soonest = V[0]
    for i in range(1, n):
        v = V[i]
        if v < soonest:
            soonest = v
            j = i
    return j


@helper(inline=True)
def request(slot: int, state: int, t: float, h: float, V: np.ndarray, QL: np.ndarray,
            QT: np.ndarray, QH: np.ndarray, P: L.Params, F: np.ndarray, OF: np.ndarray,
            FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray,
            ST: np.ndarray, HT: np.ndarray, HI: np.ndarray, RT: np.ndarray, RI: np.ndarray,
            REC: np.ndarray, PREC: np.ndarray, WM: np.ndarray, LI: np.ndarray, LF: np.ndarray,
            LSEED: np.ndarray, FREE: np.ndarray, TQT: np.ndarray, TQS: np.ndarray) -> None:
    """Lead `slot` asks for a manager at t for a contact of h days (agent: `_Team.request`):
    the FIFO queue of a team of ST[L.ST_CAPACITY] managers, V their times free. Requests come
    in time order, so the queue is the recursion start = max(t, earliest V), that manager
    then free at start + h: exact while the team stays as it is, so up to the month it
    changes (ST[L.ST_CHANGE]); a request that would start then or later waits in QL, QT, QH
    for that month's start (`change_team`)."""
    G = P[7]
    if ST[L.ST_Q_SIZE] == 0:
        n = ST[L.ST_CAPACITY]
        start = math.inf
        j = 0
        if n > 0:
            j = earliest(V, n)
            start = t if V[j] <= t else V[j]
        if start < ST[L.ST_CHANGE] * D:
            V[j] = start + h
            contact(slot, state, t, start, h, P, F, OF, FL, OCC, SC,
                    ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE, TQT, TQS)
            return
    move(FL, OCC, state, L.WAITING, t, month_of(t, int(G[L.G_HORIZON])))
    q = ST[L.ST_Q_SIZE]
    if q >= QL.shape[0]:
        ST[L.ST_OVERFLOW] |= 1 << L.CAP_QUEUE
        return
    i = wrap(ST[L.ST_Q_HEAD] + q, QL.shape[0])
    QL[i], QT[i], QH[i] = slot, t, h
    ST[L.ST_Q_SIZE] = q + 1


@helper()
def change_team(month: int, V: np.ndarray, QL: np.ndarray, QT: np.ndarray, QH: np.ndarray,
                P: L.Params, F: np.ndarray, OF: np.ndarray,
                FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray, HT: np.ndarray,
                HI: np.ndarray, RT: np.ndarray, RI: np.ndarray, REC: np.ndarray,
                PREC: np.ndarray, WM: np.ndarray, LI: np.ndarray, LF: np.ndarray,
                LSEED: np.ndarray, FREE: np.ndarray, TQT: np.ndarray, TQS: np.ndarray) -> None:
    """The team becomes PM[month, L.PM_MANAGERS] managers at the month's start T (agent: new
    managers take waiting leads at once; when there are fewer, a manager who ends a contact
    while more are busy than the team has leaves): those busy at T stay, the ones ending
    last, up to the new number, and the rest of the places are free at T. Then the waiting
    leads are taken in order, as `request` would, up to the next change."""
    PM, G = P[0], P[7]
    horizon = int(G[L.G_HORIZON])
    T = month * D
    n = ST[L.ST_CAPACITY]
    new = int(PM[month, L.PM_MANAGERS])
    # busy managers first, those ending last first (insertion sort: a team is small)
    for i in range(1, n):
        v = V[i]
        k = i
        while k > 0 and V[k - 1] < v:
            V[k] = V[k - 1]
            k -= 1
        V[k] = v
    for i in range(new):
        if i >= n or V[i] <= T:
            V[i] = T
    ST[L.ST_CAPACITY] = new
    nxt = month + 1
    while nxt < horizon and int(PM[nxt, L.PM_MANAGERS]) == new:
        nxt += 1
    ST[L.ST_CHANGE] = nxt
    limit = nxt * D
    while ST[L.ST_Q_SIZE] > 0 and new > 0:
        i = ST[L.ST_Q_HEAD]
        j = earliest(V, new)
        start = QT[i] if V[j] <= QT[i] else V[j]
        if start >= limit:
            break
        slot, t, h = QL[i], QT[i], QH[i]
        ST[L.ST_Q_HEAD] = wrap(i + 1, QL.shape[0])
        ST[L.ST_Q_SIZE] -= 1
        V[j] = start + h
        contact(slot, L.WAITING, t, start, h, P, F, OF, FL, OCC, SC,
                ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE, TQT, TQS)
