"""The fast engine's model loop: one replication over plain arrays (see `sim.engines.fast`).

Exact agent semantics, a lead is a lead and the queue a queue, with three ideas for speed:
- Only what interacts runs in time order. Leads interact through the sales team (one FIFO queue
  of contact requests, a month-by-month number of managers) and, with a finite market, through
  the count of people already used: arrivals, follow-up touches coming due, referral arrivals
  and market releases are the events of one chronological loop (channel arrivals drawn one
  ahead per channel; touches in a ring kept in time order; the rest on small binary heaps).
  A contact is no event: requests come in time order, so the FIFO queue of c managers is the
  recursion start = max(request time, earliest time a manager is free), exact while the team
  stays the same; a contact's outcome at its end is settled and booked when it is asked for
  (`request`, `contact`), and requests that would start after the team changes wait for that
  month (`change_team`).
- What does not interact is drawn at once: a lead that says yes runs its whole deal (committee,
  invoice, reminders) and, once paid, its whole life as a client (anniversaries, churn,
  win-back, purchases, upsells, retention fees, the tail at the horizon) at that moment, without
  an event per month. Its referrals, which are new leads, go on the heap at their times.
- The ledger is booked order-free: a move at day t of month m adds to month m's flows, to its
  net change of each state's count and to its agent-days still to run to the month's end
  ((m + 1) * DAYS_PER_MONTH - t); the month-end counts and the occupancy follow by cumulative sums
  (`sim.engines.fast.fill`). So booking a client's future months now is the same as booking
  them as they happen.

The kernel's modules, beside this loop: `random` (counter-based streams and the draws made from
them, keys derived from the run seed and the stream kinds of `sim.engines.randomness`),
`queues` (the heap of timed events and the ring index), `booking` (the ledger's moves, leaks and
purchases, order-free), `clients` (a client's whole life, drawn at once: a client's wait to its
next Poisson event is carried from month to month, memoryless), `leads` (the deal and the sales
team's FIFO queue). Every function is compiled by numba (`jit.helper`) and reads the arrays'
columns as `L.NAME` (`sim.engines.fast.layout`), constants frozen at compile time.
"""

from __future__ import annotations

import math

import numpy as np

from models.compiled.units import DAYS_PER_MONTH as D
from sim.engines import randomness as R
from sim.engines.fast import layout as L
from sim.engines.fast.booking import bisect_right, enter, lose, lose_lead, record, worth
from sim.engines.fast.clients import buyer_life, client_life
from sim.engines.fast.jit import helper
from sim.engines.fast.leads import change_team, deal, request, schedule_touch
from sim.engines.fast.queues import pop, wrap
from sim.engines.fast.random import beta, exponential, gamma, row_exponential, sub_key, unif


@helper(refcount=True)
def run(PM: np.ndarray, PC: np.ndarray, PS: np.ndarray, PT: np.ndarray, CT: np.ndarray,
        LV: np.ndarray, LC: np.ndarray, HV: np.ndarray, G: np.ndarray, OF: np.ndarray,
        KEYS: np.ndarray, IC: np.ndarray, IL: np.ndarray, II: np.ndarray, CB: np.ndarray,
        cb_tier: int, CAP: np.ndarray, F: np.ndarray, FL: np.ndarray, OCC: np.ndarray,
        SC: np.ndarray, ST: np.ndarray, REC: np.ndarray, PREC: np.ndarray) -> None:
    """One replication. KEYS: per channel its arrivals' and rows' stream keys (2c, 2c + 1), then
    the referral leads' (2C, 2C + 1), then one per starting-state group (clients, open leads,
    invoices, in that order) and the customer base's last. IC: starting clients' groups (tier,
    count, tenure days, onboarded share, segment or -1); IL: open leads' (channel, count,
    touches done); II: unpaid invoices' (tier, count); CB: the customer base (alive, rate
    shape, rate rate, drop a, drop b, nu shape, nu rate) of tier `cb_tier`."""
    n_slots = CAP[L.CAP_LEADS]
    n_ch = int(G[L.G_N_CHANNELS])
    # The working arrays are made here: the run itself (`_run`) and every other function is a
    # `helper`, compiled without reference counting, so it can allocate nothing.
    LI = np.zeros((n_slots, 4), dtype=np.int64)
    LF = np.zeros((n_slots, 4))
    LSEED = np.zeros(n_slots, dtype=np.uint64)
    FREE = np.arange(n_slots - 1, -1, -1).astype(np.int64)  # a stack of free lead slots
    QL = np.zeros(CAP[L.CAP_QUEUE], dtype=np.int64)
    QT = np.zeros(CAP[L.CAP_QUEUE])
    QH = np.zeros(CAP[L.CAP_QUEUE])
    HT = np.zeros(CAP[L.CAP_HEAP])
    HI = np.zeros((CAP[L.CAP_HEAP], 3), dtype=np.int64)
    RT = np.zeros(CAP[L.CAP_HEAP])
    RI = np.zeros((CAP[L.CAP_HEAP], 3), dtype=np.int64)
    TQT = np.zeros(n_slots)
    TQS = np.zeros(n_slots, dtype=np.int64)
    arr_ctr = np.zeros(n_ch, dtype=np.int64)
    row_ctr = np.zeros(n_ch, dtype=np.int64)
    next_arr = np.full(n_ch, math.inf)
    redraw = np.zeros(n_ch, dtype=np.bool_)
    WM = np.full((int(G[L.G_HORIZON]), L.L_UNPAID + 1, PS.shape[1], 2), math.nan)
    V = np.zeros(max(1, int(PM[:, L.PM_MANAGERS].max())))
    _run(PM, PC, PS, PT, CT, LV, LC, HV, G, OF, KEYS, IC, IL, II, CB, cb_tier, CAP, F, FL, OCC,
         SC, ST, REC, PREC, LI, LF, LSEED, FREE, QL, QT, QH, HT, HI, RT, RI, TQT, TQS, arr_ctr,
         row_ctr, next_arr, redraw, WM, V)


@helper()
def _run(PM: np.ndarray, PC: np.ndarray, PS: np.ndarray, PT: np.ndarray, CT: np.ndarray,
         LV: np.ndarray, LC: np.ndarray, HV: np.ndarray, G: np.ndarray, OF: np.ndarray,
         KEYS: np.ndarray, IC: np.ndarray, IL: np.ndarray, II: np.ndarray, CB: np.ndarray,
         cb_tier: int, CAP: np.ndarray, F: np.ndarray, FL: np.ndarray, OCC: np.ndarray,
         SC: np.ndarray, ST: np.ndarray, REC: np.ndarray, PREC: np.ndarray, LI: np.ndarray,
         LF: np.ndarray, LSEED: np.ndarray, FREE: np.ndarray, QL: np.ndarray, QT: np.ndarray,
         QH: np.ndarray, HT: np.ndarray, HI: np.ndarray, RT: np.ndarray, RI: np.ndarray,
         TQT: np.ndarray, TQS: np.ndarray, arr_ctr: np.ndarray, row_ctr: np.ndarray,
         next_arr: np.ndarray, redraw: np.ndarray, WM: np.ndarray, V: np.ndarray) -> None:
    """The replication `run` describes, on the working arrays it made (all zero, FREE the
    stack of free lead slots, next_arr infinite, WM NaN: `worth`'s memo; V: the managers'
    times free)."""
    horizon = int(G[L.G_HORIZON])
    end = G[L.G_END]
    market = G[L.G_MARKET]
    n_ch = int(G[L.G_N_CHANNELS])
    referral_ch = n_ch
    existing_ch = n_ch + 1
    rec = G[L.G_RECORD] > 0
    n_slots = CAP[L.CAP_LEADS]
    ST[L.ST_FREE] = n_slots
    P = (PM, PS, PT, CT, LV, LC, HV, G)
    # The events in time order: the channels' next arrivals, follow-up touches coming due (a
    # ring in time order, `schedule_touch`; a few on the heap HT), referral arrivals and
    # market releases (the heap RT: clients' lives schedule them months ahead), month ends.
    # A contact is not an event: it is settled when it is asked for (`request`).
    ref_arr_key, ref_row_key = KEYS[2 * n_ch], KEYS[2 * n_ch + 1]
    ref_arr_ctr, ref_row_ctr = 0, 0
    managers = int(PM[0, L.PM_MANAGERS])
    ST[L.ST_CAPACITY] = managers
    nxt = 1
    while nxt < horizon and int(PM[nxt, L.PM_MANAGERS]) == managers:
        nxt += 1
    ST[L.ST_CHANGE] = nxt
    month = 0
    month_end = D
    events = 0
    used = 0  # people of the market used: open leads and clients ever

    # ---- the starting state (agent: `_Run.start`) ----------------------------------------
    kb = 2 * n_ch + 2
    for g in range(IC.shape[0]):
        tier, count, tenure = int(IC[g, 0]), int(IC[g, 1]), IC[g, 2]
        share, fixed_seg = IC[g, 3], int(IC[g, 4])
        for j in range(count):
            key = sub_key(KEYS[kb + g], j)
            seg = fixed_seg if fixed_seg >= 0 else bisect_right(PS[0, :, L.PS_CUM], unif(key, 1000))
            onboarded = 1 if unif(key, 1001) < share else 0
            enter(FL, OCC, L.ACTIVE, 0.0, 0)
            used += 1
            anniversary = unif(key, 1002) * D
            next_due = math.inf
            if PT[0, tier, L.PT_REGULAR] > 0:
                interval = CT[0, tier, seg, L.CT_INTERVAL]
                periods = interval / D
                next_due = (anniversary + ((unif(key, 1003) * periods) // 1) * D
                            if periods >= 1 else unif(key, 1003) * interval)
            client_life(key, tier, seg, onboarded, -1, -tenure, existing_ch, next_due, 0.0,
                        anniversary, PM, PS, PT, CT, LC, HV, G, F, OF, FL, OCC, SC, ST, RT, RI)
    kb += IC.shape[0]
    for g in range(IL.shape[0]):
        c, count, touches = int(IL[g, 0]), int(IL[g, 1]), int(IL[g, 2])
        for j in range(count):
            seed = sub_key(KEYS[kb + g], j)
            used += 1
            if ST[L.ST_FREE] == 0:
                ST[L.ST_OVERFLOW] |= 1 << L.CAP_LEADS
                return
            ST[L.ST_FREE] -= 1
            slot = FREE[ST[L.ST_FREE]]
            LSEED[slot] = seed
            seg = bisect_right(PS[0, :, L.PS_CUM], unif(seed, R.SLOT_SEGMENT + 1))
            LI[slot, L.LI_SEG], LI[slot, L.LI_CHANNEL] = seg, existing_ch
            LI[slot, L.LI_TOUCH] = touches
            LI[slot, L.LI_UID] = -1  # leads of the starting state send no records
            LF[slot, L.LF_AD] = 0.0  # spent before the horizon
            LF[slot, L.LF_QUALITY] = PC[0, c, L.PC_CONV] * PS[0, seg, L.PS_CONV]
            LF[slot, L.LF_WAIT] = 0.0
            if touches == 0:
                enter(FL, OCC, L.NEW, 0.0, 0)
                h = PM[0, L.PM_HANDLING]
                if PM[0, L.PM_HANDLING_EXP] > 0:
                    h = h * row_exponential(seed, R.SLOT_TOUCH + 1)
                request(slot, L.NEW, 0.0, h, V, QL, QT, QH, P, F, OF,
                        FL, OCC, SC, ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE,
                        TQT, TQS)
            else:
                enter(FL, OCC, L.FOLLOW_UP, 0.0, 0)
                if touches >= PM[0, L.PM_MAX_TOUCHES]:
                    lose(FL, OCC, F, OF, L.FOLLOW_UP, L.S_FOLLOW_UP_LOST, L.L_FOLLOW_UP,
                         worth(PM, LV, WM, 0, horizon, L.L_FOLLOW_UP, LF[slot, L.LF_QUALITY], seg),
                         0.0, 0, seg)
                    used -= 1
                    FREE[ST[L.ST_FREE]] = slot
                    ST[L.ST_FREE] += 1
                else:
                    touch = touches + 1
                    LI[slot, L.LI_TOUCH] = touch
                    h = PM[0, L.PM_HANDLING]
                    if PM[0, L.PM_HANDLING_EXP] > 0:
                        h = h * row_exponential(seed, R.SLOT_TOUCH + 2 * touch + 1)
                    LF[slot, L.LF_HANDLING] = h
                    schedule_touch(TQT, TQS, HT, HI, ST, PM[0, L.PM_TOUCH_INTERVAL], slot)
    kb += IL.shape[0]
    for g in range(II.shape[0]):
        tier, count = int(II[g, 0]), int(II[g, 1])
        for j in range(count):
            seed = sub_key(KEYS[kb + g], j)
            seg = bisect_right(PS[0, :, L.PS_CUM], unif(seed, R.SLOT_SEGMENT + 1))
            enter(FL, OCC, L.INVOICED, 0.0, 0)
            used += 1
            deal(seed, L.INVOICED, seg, existing_ch, tier, -1, 0.0, 0.0, PM, PS, PT, CT, LV, LC, HV,
                 G, F, OF, FL, OCC, SC, ST, RT, RI, REC, PREC, WM)
    kb += II.shape[0]
    if cb_tier >= 0:
        for i in range(CB.shape[0]):
            key = sub_key(KEYS[kb], i)
            if unif(key, 0) >= CB[i, 0]:
                continue
            ctr = 1
            g1, ctr = gamma(CB[i, 1], key, ctr)
            drop, ctr = beta(CB[i, 3], CB[i, 4], key, ctr)
            g2, ctr = gamma(CB[i, 5], key, ctr)
            enter(FL, OCC, L.ACTIVE, 0.0, 0)
            used += 1
            buyer_life(key, ctr, cb_tier, 0, 1, -1, 0.0, existing_ch, 0.0, g1 / CB[i, 2], drop,
                       g2 / CB[i, 6], i, PT, HV, G, F, OF, FL, OCC, SC, ST, PREC)

    # ---- arrivals: each channel's next one, drawn ahead (agent: `_Arrivals._next`) ---------
    for c in range(n_ch):
        rate = PC[0, c, L.PC_RATE]
        a = math.inf
        if rate > 0:
            e, arr_ctr[c] = exponential(KEYS[2 * c], arr_ctr[c])
            a = e / rate
        if a >= month_end:
            next_arr[c] = month_end if month_end < end else math.inf
            redraw[c] = True
        else:
            next_arr[c] = a

    # ---- the chronological loop -----------------------------------------------------------
    while True:
        if ST[L.ST_OVERFLOW] != 0:
            return
        c_next = -1
        t_arr = math.inf
        for c in range(n_ch):
            if next_arr[c] < t_arr:
                t_arr, c_next = next_arr[c], c
        t_heap = HT[0] if ST[L.ST_HEAP] > 0 else math.inf
        t_fifo = TQT[ST[L.ST_TQ_HEAD]] if ST[L.ST_TQ_SIZE] > 0 else math.inf
        t_ref = RT[0] if ST[L.ST_HEAP2] > 0 else math.inf
        t_other = min(t_heap, t_fifo, t_ref)
        t_next = t_arr if t_arr < t_other else t_other
        if t_next >= month_end:  # the month closes first (agent: an urgent event)
            if month == horizon - 1:
                break
            month += 1
            month_end += D
            events += 1
            if month == ST[L.ST_CHANGE]:  # a new team: new managers take waiting leads at once
                change_team(month, V, QL, QT, QH, P, F, OF, FL, OCC,
                            SC, ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE, TQT, TQS)
            continue
        events += 1
        m = month
        now = t_next
        new_channel = -1
        seed = np.uint64(0)
        state = -1
        slot = -1
        h = 0.0
        if t_arr < t_other:  # ---- a channel's arrival
            c = c_next
            if redraw[c]:
                redraw[c] = False
            else:
                u = unif(KEYS[2 * c], arr_ctr[c])  # drawn even in an open market
                arr_ctr[c] += 1
                if market == math.inf or u * market < market - used:
                    seed = sub_key(KEYS[2 * c + 1], row_ctr[c])
                    row_ctr[c] += 1
                    new_channel = c
            rate = PC[m, c, L.PC_RATE]
            a = math.inf
            if rate > 0:
                e, arr_ctr[c] = exponential(KEYS[2 * c], arr_ctr[c])
                a = now + e / rate
            if a >= month_end:
                next_arr[c] = month_end if month_end < end else math.inf
                redraw[c] = True
            else:
                next_arr[c] = a
        else:
            if t_heap <= t_fifo and t_heap <= t_ref:
                _, kind, slot = pop(HT, HI, ST, L.ST_HEAP)
            elif t_fifo <= t_ref:
                kind = L.EV_TOUCH_DUE
                i = ST[L.ST_TQ_HEAD]
                slot = TQS[i]
                ST[L.ST_TQ_HEAD] = wrap(i + 1, n_slots)
                ST[L.ST_TQ_SIZE] -= 1
            else:
                _, kind, slot = pop(RT, RI, ST, L.ST_HEAP2)
            if kind == L.EV_REFERRAL:
                u = unif(ref_arr_key, ref_arr_ctr)
                ref_arr_ctr += 1
                if market == math.inf or u * market < market - used:
                    seed = sub_key(ref_row_key, ref_row_ctr)
                    ref_row_ctr += 1
                    new_channel = referral_ch
            elif kind == L.EV_RELEASE:
                used -= 1
            else:  # a follow-up touch comes due: the lead asks for a manager
                state = L.FOLLOW_UP
                h = LF[slot, L.LF_HANDLING]
        if new_channel >= 0:
            # ---- a new lead arrives (agent: `new_lead`, `_Lead.__init__`) --------------------
            c = new_channel
            enter(FL, OCC, L.NEW, now, m)
            F[m, OF[L.O_LEADS] + c] += 1.0
            used += 1
            uid = ST[L.ST_UID]
            ST[L.ST_UID] = uid + 1
            if rec:
                record(REC, ST, uid, L.R_CREATED, now, float(c))
            seg = bisect_right(PS[m, :, L.PS_CUM], unif(seed, R.SLOT_SEGMENT + 1))
            F[m, OF[L.O_SEG_LEADS] + seg] += 1.0
            F[m, OF[L.O_SEG_AD] + seg] += PC[m, c, L.PC_CPL] if c < n_ch else 0.0
            quality = PM[m, L.PM_REFERRAL_CONV] if c == referral_ch else PC[m, c, L.PC_CONV]
            if unif(seed, R.SLOT_LOST + 1) < PM[m, L.PM_LOST_UNPROC]:
                if rec:
                    record(REC, ST, uid, L.R_LOST_UNPROCESSED, now, 0.0)
                lose_lead(FL, OCC, F, OF, L.NEW, L.S_UNPROCESSED, L.L_UNPROCESSED,
                          worth(PM, LV, WM, m, horizon, L.L_UNPROCESSED,
                                quality * PS[m, seg, L.PS_CONV], seg),
                          PC[m, c, L.PC_CPL] if c < n_ch else 0.0, now, m, seg)
                used -= 1
                continue
            if ST[L.ST_FREE] == 0:
                ST[L.ST_OVERFLOW] |= 1 << L.CAP_LEADS
                return
            ST[L.ST_FREE] -= 1
            slot = FREE[ST[L.ST_FREE]]
            if n_slots - ST[L.ST_FREE] > ST[L.ST_LEADS_MAX]:
                ST[L.ST_LEADS_MAX] = n_slots - ST[L.ST_FREE]
            LSEED[slot] = seed
            LI[slot, L.LI_SEG], LI[slot, L.LI_CHANNEL], LI[slot, L.LI_TOUCH], LI[slot, L.LI_UID] = (
                seg, c, 0, uid)
            LF[slot, L.LF_AD] = PC[m, c, L.PC_CPL] if c < n_ch else 0.0
            LF[slot, L.LF_QUALITY] = quality * PS[m, seg, L.PS_CONV]
            h = PM[m, L.PM_HANDLING]
            if PM[m, L.PM_HANDLING_EXP] > 0:
                h = h * row_exponential(seed, R.SLOT_TOUCH + 1)
            state = L.NEW
        if state >= 0:
            request(slot, state, now, h, V, QL, QT, QH, P, F, OF, FL,
                    OCC, SC, ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE, TQT, TQS)
    ST[L.ST_EVENTS] += events
