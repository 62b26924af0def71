"""The fast engine's numba kernel: one replication over plain arrays (see `sim.engines.fast`).

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

Random numbers: counter-based SplitMix64 streams (a 64-bit key and a counter), keys derived
with numpy's SeedSequence from the run seed and the agent engine's stream keys. A lead's row of
uniforms is a pure function of its channel's key and its number in the channel (slot k of lead
i: mix(seed_i + k * golden)), so lead i of a channel makes the same choices in every run of the
same seed (common random numbers across bets), and a client's stream is keyed by its lead's.
Exponential waits are drawn by a ziggurat (`exponential`: no logarithm 98.9% of the time; in a
lead's row on the slot's own stream, `row_exponential`), and a client's wait to its next Poisson
event is carried from month to month (memoryless), not drawn again at each anniversary.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numba import njit

from models.compiled.units import DAYS_PER_MONTH
from models.compiled.value import value_at_horizon
from models.compiled.worth import chance_to_pay
from sim.engines.fast.layout import (
    ACTIVE,
    C_COGS,
    C_COMMISSION,
    C_DEVELOPMENT,
    C_ONBOARDING,
    C_RETENTION,
    C_WIN_BACK,
    CAP_HEAP,
    CAP_LEADS,
    CAP_PREC,
    CAP_QUEUE,
    CAP_REC,
    CHURNED,
    CT_BUY,
    CT_CHURN0,
    CT_INTERVAL,
    CT_PER_DAY,
    CT_RATE,
    CT_THETA_SCALE,
    DECIDING,
    EV_REFERRAL,
    EV_RELEASE,
    EV_TOUCH_DUE,
    FOLLOW_UP,
    G_DPD,
    G_END,
    G_HORIZON,
    G_MARKET,
    G_MONTHLY_D,
    G_N_CHANNELS,
    G_RECORD,
    HV_BASE,
    HV_MARGIN,
    IN_CONTACT,
    INVOICED,
    L_CLIENT,
    L_FIRST,
    L_FOLLOW_UP,
    L_LATE,
    L_UNPAID,
    L_UNPROCESSED,
    NEW,
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
    O_NEW_CLIENTS,
    O_PURCHASES,
    O_RECURRING,
    O_REQUESTS,
    O_REV_CH,
    O_REVENUE,
    O_SEG_AD,
    O_SEG_GP,
    O_SEG_LEADS,
    O_SEG_LOST,
    O_SEG_NEW,
    O_SEG_REVENUE,
    O_UPSELLS,
    O_WAIT_DAYS,
    O_WAITED,
    O_WIN_BACKS,
    PC_CONV,
    PC_CPL,
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
    PM_PAID,
    PM_REFERRAL_CONV,
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
    PS_PRICE,
    PT_BUYING,
    PT_COGS,
    PT_DROP_A,
    PT_DROP_B,
    PT_ENTRY_CUM,
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
    R_CREATED,
    R_FIRST_RESPONSE,
    R_INVOICED,
    R_LOST_FIRST_CONTACT,
    R_LOST_FOLLOW_UP,
    R_LOST_LATE,
    R_LOST_UNPAID,
    R_LOST_UNPROCESSED,
    R_PAID,
    R_TOUCH,
    S_CLIENT,
    S_FIRST,
    S_FOLLOW_UP_LOST,
    S_LATE,
    S_UNPAID,
    S_UNPROCESSED,
    ST_CAPACITY,
    ST_CHANGE,
    ST_EVENTS,
    ST_FREE,
    ST_HEAP,
    ST_HEAP2,
    ST_LEADS_MAX,
    ST_OVERFLOW,
    ST_PREC,
    ST_Q_HEAD,
    ST_Q_SIZE,
    ST_REC,
    ST_SEQ,
    ST_TQ_HEAD,
    ST_TQ_SIZE,
    ST_UID,
    WAITING,
    N,
)
from sim.engines.randomness import (
    SLOT_CLOSE,
    SLOT_COMMITTEE,
    SLOT_DROP,
    SLOT_INTEREST,
    SLOT_LOST,
    SLOT_ONBOARD,
    SLOT_PAID,
    SLOT_PAY_DELAY,
    SLOT_SEGMENT,
    SLOT_TIER,
    SLOT_TOUCH,
)

_F = TypeVar("_F", bound=Callable[..., Any])
# The parameters as one argument (PM, PS, PT, CT, LV, LC, HV, G)
Params = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
               np.ndarray]


def helper(inline: bool = False) -> Callable[[_F], _F]:
    """numba's decorator of the kernel's functions that allocate nothing: compiled without the
    runtime's reference counting (`_nrt=False`), so passing arrays costs no atomic increments
    and decrements (they were nearly half of a replication's time); `inline`: inlined into the
    caller by numba. Cached on disk, like every kernel function."""
    if inline:
        return njit(cache=True, inline="always", _nrt=False)  # type: ignore[call-overload,no-any-return]
    return njit(cache=True, _nrt=False)  # type: ignore[call-overload,no-any-return]


D = DAYS_PER_MONTH
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_CLIENT_SALT = np.uint64(0xC11E47C11E47C11E)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_LN2 = math.log(2.0)
_INV_D = 1.0 / D

# lead slot columns (LI: ints, LF: floats)
LI_SEG, LI_CHANNEL, LI_TOUCH, LI_UID = 0, 1, 2, 3
LF_AD, LF_QUALITY, LF_HANDLING, LF_WAIT = 0, 1, 2, 3  # LF_AD: what its advertising cost


# -- random numbers --------------------------------------------------------------------------
@helper(inline=True)
def mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words that scrambles every bit."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@helper(inline=True)
def unif(key: np.uint64, counter: int) -> float:
    """Uniform [0, 1) number `counter` of the stream `key`. (The top 53 bits go through int64:
    a signed conversion to float is one instruction, an unsigned one a branch and several.)"""
    return float(np.int64(mix(key + GOLDEN * np.uint64(counter)) >> _S11)) * _TO_UNIT


@helper(inline=True)
def sub_key(key: np.uint64, index: int) -> np.uint64:
    """The key of the `index`-th member of a stream family (lead i's row, client j's stream)."""
    return mix(key + GOLDEN * np.uint64(index + 1)) ^ GOLDEN


def _exponential_ziggurat() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marsaglia and Tsang's 256-layer ziggurat for Exp(1) (J. Stat. Softw. 5(8), 2000), with
    53-bit layer coordinates: KE the acceptance bounds, WE the scales, FE the densities at the
    layers' edges. Layer 0 is the base strip with the tail beyond R."""
    m = 2.0 ** 53
    de = _ZIG_R
    te = de
    ve = 3.949659822581572e-3  # each layer's area
    q = ve / math.exp(-de)
    ke, we, fe = np.zeros(256), np.zeros(256), np.zeros(256)
    ke[0], ke[1] = de / q * m, 0.0
    we[0], we[255] = q / m, de / m
    fe[0], fe[255] = 1.0, math.exp(-de)
    for i in range(254, 0, -1):
        de = -math.log(ve / de + math.exp(-de))
        ke[i + 1] = de / te * m
        te = de
        fe[i] = math.exp(-de)
        we[i] = de / m
    return ke, we, fe


_ZIG_R = 7.697117470131487  # where the tail starts
_ZIG_KE, _ZIG_WE, _ZIG_FE = _exponential_ziggurat()
_MASK8 = np.uint64(0xFF)


@helper(inline=True)
def exponential(key: np.uint64, ctr: int) -> tuple[float, int]:
    """Exp(1) from the stream `key` at counter `ctr` by the ziggurat (`_exponential_ziggurat`):
    one 64-bit word (8 bits pick the layer, 53 place the point) and no logarithm 98.9% of the
    time, exact in distribution; returns the draw and the stream's next counter. For streams
    read in sequence (a lead's row has fixed slots: there `row_exponential`)."""
    while True:
        r = mix(key + GOLDEN * np.uint64(ctr))
        ctr += 1
        i = int(r & _MASK8)
        ri = float(np.int64(r >> _S11))
        x = ri * _ZIG_WE[i]
        if ri < _ZIG_KE[i]:
            return x, ctr
        if i == 0:  # the tail beyond R: R plus an Exp(1)
            u = unif(key, ctr)
            return _ZIG_R - math.log(1.0 - u), ctr + 1
        u = unif(key, ctr)
        ctr += 1
        if _ZIG_FE[i] + u * (_ZIG_FE[i - 1] - _ZIG_FE[i]) < math.exp(-x):
            return x, ctr


@helper(inline=True)
def row_exponential(seed: np.uint64, slot: int) -> float:
    """Exp(1) for slot `slot` of a lead's row: the ziggurat (`exponential`) on the slot's own
    stream, since a row's slots are fixed and the ziggurat now and then reads a second word."""
    x, _ = exponential(sub_key(seed, slot), 0)
    return x


@helper()
def gamma(shape: float, key: np.uint64, ctr: int) -> tuple[float, int]:
    """Gamma(shape, 1) (Marsaglia-Tsang; shape < 1 boosted by U^(1/shape)); returns the draw and
    the stream's next counter."""
    boost = 1.0
    a = shape
    if a < 1.0:
        boost = unif(key, ctr) ** (1.0 / a)
        ctr += 1
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        u1, u2 = unif(key, ctr), unif(key, ctr + 1)
        ctr += 2
        x = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = 1.0 - unif(key, ctr)  # (0, 1]
        ctr += 1
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost, ctr


@helper()
def beta(a: float, b: float, key: np.uint64, ctr: int) -> tuple[float, int]:
    x, ctr = gamma(a, key, ctr)
    y, ctr = gamma(b, key, ctr)
    return x / (x + y), ctr


# -- booking -----------------------------------------------------------------------------------
@helper(inline=True)
def month_of(t: float, horizon: int) -> int:
    """The month (0 … horizon - 1) of day t: the m with m * D <= t < (m + 1) * D, exactly.
    (A multiplication by 1 / D, then corrected by one where its rounding crossed a month's
    edge: a division costs several times a multiplication, and a contact asks for three
    months; numba's float floor division `t // D` would call fmod.)"""
    m = int(t * _INV_D)
    if m * D > t:
        m -= 1
    elif (m + 1) * D <= t:
        m += 1
    return m if m < horizon else horizon - 1


@helper(inline=True)
def change(OCC: np.ndarray, s: int, d: float, t: float, m: int) -> None:
    """State s's count changes by d at day t of month m (net change; agent-days to month end)."""
    OCC[m, 0, s] += d
    OCC[m, 1, s] += d * ((m + 1) * D - t)


@helper(inline=True)
def enter(FL: np.ndarray, OCC: np.ndarray, s: int, t: float, m: int) -> None:
    FL[m, s * N + s] += 1.0
    change(OCC, s, 1.0, t, m)


@helper(inline=True)
def move(FL: np.ndarray, OCC: np.ndarray, a: int, b: int, t: float, m: int) -> None:
    FL[m, a * N + b] += 1.0
    change(OCC, a, -1.0, t, m)
    change(OCC, b, 1.0, t, m)


@helper(inline=True)
def lose(FL: np.ndarray, OCC: np.ndarray, F: np.ndarray, OF: np.ndarray, a: int, leak_state: int,
         leak: int, value: float, t: float, m: int, seg: int) -> None:
    move(FL, OCC, a, leak_state, t, m)
    F[m, OF[O_LOST] + leak] += value
    F[m, OF[O_SEG_LOST] + seg] += value


@helper(inline=True)
def lose_lead(FL: np.ndarray, OCC: np.ndarray, F: np.ndarray, OF: np.ndarray, a: int,
              leak_state: int, leak: int, value: float, ad: float, t: float, m: int, seg: int
              ) -> None:
    """A lead of segment `seg` lost at `leak`, worth `value`, whose advertising cost `ad`."""
    lose(FL, OCC, F, OF, a, leak_state, leak, value, t, m, seg)
    F[m, OF[O_LOST_AD] + leak] += ad


# What a lost lead is worth: the one rule of `models.compiled.worth` (a lead lost at follow-up
# valued at one more round of the sources' cadence, `CADENCE_CONTACTS` touches), compiled.
# Numba's cache does not see a change to that module: edit this comment when the rule changes,
# so that the kernel compiles again.
_chance_to_pay = njit(cache=True)(chance_to_pay)
# A client's tail value at the horizon: the one rule of `models.compiled.value`, compiled.
_value_at_horizon = njit(cache=True, inline="always")(value_at_horizon)


@helper(inline=True)
def worth(PM: np.ndarray, LV: np.ndarray, WM: np.ndarray, m: int, horizon: int, leak: int,
          quality: float, seg: int) -> float:
    """A lead lost at `leak` (its LEAKS index: the lead stages come first, in the order of
    `models.compiled.worth.LEAD_STAGES`) in month m: `Params.loss_worth`. WM[m, leak, seg]
    keeps the last quality asked and its answer (NaN at first): most losses repeat the month's
    few qualities, and the rule costs several powers."""
    if WM[m, leak, seg, 0] == quality:
        return WM[m, leak, seg, 1]
    chance = _chance_to_pay(leak, quality, PM[m, PM_BASE_RESPONSE], PM[m, PM_HALF_LIFE],
                            PM[m, PM_FCC], PM[m, PM_FCD], PM[m, PM_MAX_TOUCHES], PM[m, PM_CPT],
                            PM[m, PM_PAID], PM[m, PM_REMINDERS], PM[m, PM_REMINDER_SUCCESS])
    value = chance * LV[m, seg, horizon - m]
    WM[m, leak, seg, 0], WM[m, leak, seg, 1] = quality, value
    return value


@helper(inline=True)
def gone(u: float, x: float) -> bool:
    """u >= 0.5 ** x (x >= 0: a lead's interest after x half-lives), the power computed only
    when u falls between its bounds 1 - y <= 0.5 ** x <= 1 - y + y * y / 2 (y = x ln 2), widened
    far beyond rounding: for the usual short delays almost never, and the answer is the same."""
    y = x * _LN2
    low = 1.0 - y
    if u < low - 1e-12:
        return False
    if u >= low + 0.5 * y * y + 1e-12:
        return True
    return u >= 0.5 ** x


@helper(inline=True)
def bisect_right(cum: np.ndarray, u: float) -> int:
    """`bisect.bisect_right` on a short cumulative table."""
    i = 0
    n = cum.shape[0]
    while i < n and cum[i] <= u:
        i += 1
    return i


@helper(inline=True)
def record(REC: np.ndarray, ST: np.ndarray, uid: int, code: int, t: float, value: float) -> None:
    i = ST[ST_REC]
    if i >= REC.shape[0]:
        ST[ST_OVERFLOW] |= 1 << CAP_REC
        return
    REC[i, 0], REC[i, 1], REC[i, 2], REC[i, 3] = uid, code, t, value
    ST[ST_REC] = i + 1


@helper(inline=True)
def wrap(i: int, n: int) -> int:
    """i % n for 0 <= i < 2n, the position in a ring buffer of n: without the integer division
    `%` costs (several per contact)."""
    return i - n if i >= n else i


# -- the heap ----------------------------------------------------------------------------------
@helper(inline=True)
def push(HT: np.ndarray, HI: np.ndarray, ST: np.ndarray, at: int, t: float, kind: int,
         ident: int) -> None:
    """Schedule (t, kind, ident) on the heap whose size is ST[at]; simultaneous events come
    out in the order scheduled."""
    n = ST[at]
    if n >= HT.shape[0]:
        ST[ST_OVERFLOW] |= 1 << CAP_HEAP
        return
    seq = ST[ST_SEQ]
    ST[ST_SEQ] = seq + 1
    ST[at] = n + 1
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        pt = HT[parent]
        if pt < t or (pt == t and HI[parent, 0] < seq):
            break
        HT[i] = pt
        HI[i, 0], HI[i, 1], HI[i, 2] = HI[parent, 0], HI[parent, 1], HI[parent, 2]
        i = parent
    HT[i] = t
    HI[i, 0], HI[i, 1], HI[i, 2] = seq, kind, ident


@helper(inline=True)
def pop(HT: np.ndarray, HI: np.ndarray, ST: np.ndarray, at: int) -> tuple[float, int, int]:
    t0, kind, ident = HT[0], HI[0, 1], HI[0, 2]
    n = ST[at] - 1
    ST[at] = n
    if n > 0:
        t, s, k, d = HT[n], HI[n, 0], HI[n, 1], HI[n, 2]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and (HT[c + 1] < HT[c] or (HT[c + 1] == HT[c]
                                                     and HI[c + 1, 0] < HI[c, 0])):
                c += 1
            if HT[c] > t or (HT[c] == t and HI[c, 0] > s):
                break
            HT[i] = HT[c]
            HI[i, 0], HI[i, 1], HI[i, 2] = HI[c, 0], HI[c, 1], HI[c, 2]
            i = c
        HT[i] = t
        HI[i, 0], HI[i, 1], HI[i, 2] = s, k, d
    return t0, kind, ident


@njit(cache=True)
def plain_heap_loop(events: int, size: int, seed: int) -> float:
    """The benchmark's reference: `events` pops and pushes on a heap of `size` entries with the
    kernel's own push and pop (each popped event schedules one a random delay later)."""
    HT = np.empty(size + 1)
    HI = np.zeros((size + 1, 3), dtype=np.int64)
    ST = np.zeros(16, dtype=np.int64)
    return _plain_heap_core(events, size, seed, HT, HI, ST)


@helper()
def _plain_heap_core(events: int, size: int, seed: int, HT: np.ndarray, HI: np.ndarray,
                     ST: np.ndarray) -> float:
    key = np.uint64(seed) * GOLDEN
    for i in range(size):
        push(HT, HI, ST, ST_HEAP, unif(key, i), 0, i)
    total = 0.0
    for i in range(events):
        t, _, ident = pop(HT, HI, ST, ST_HEAP)
        total += t
        push(HT, HI, ST, ST_HEAP, t - math.log(1.0 - unif(key, size + i)), 0, ident)
    return total


# -- clients -----------------------------------------------------------------------------------
@helper(inline=True)
def purchase(F: np.ndarray, OF: np.ndarray, PM: np.ndarray, PS: np.ndarray, PT: np.ndarray,
             G: np.ndarray, key: np.uint64, ctr: int, tier: int, seg: int, cohort: int,
             first_month: int, disc: float, channel: int, t: float, m: int, repeat: bool
             ) -> tuple[int, int]:
    """A purchase (agent: `_Run.purchase`) at t, where a cohort's money is discounted by
    `disc` (`discount`): returns the client's tier (an upsell moves it up) and the stream's next
    counter."""
    n_tiers = PT.shape[1]
    if repeat and tier + 1 < n_tiers:
        cost = PT[m, tier, PT_UPSELL_COST]
        if cost > 0:
            F[m, OF[O_COSTS] + C_DEVELOPMENT] += cost
            if cohort >= 0:
                F[cohort, OF[O_COHORT_VALUE]] -= cost * disc
        p_up = PT[m, tier, PT_UPSELL_P]
        if p_up > 0:
            u = unif(key, ctr)
            ctr += 1
            if u < p_up:
                tier += 1
                F[m, OF[O_UPSELLS]] += 1.0
    price = PT[m, tier, PT_PRICE] * PS[m, seg, PS_PRICE]
    F[m, OF[O_REVENUE] + 2 * tier + (1 if repeat else 0)] += price
    if first_month < m:
        F[m, OF[O_RECURRING]] += price
    cogs = PT[m, tier, PT_COGS]
    F[m, OF[O_COSTS] + C_COGS] += cogs
    margin = price - cogs
    F[m, OF[O_GP] + channel] += margin
    F[m, OF[O_REV_CH] + channel] += price
    F[m, OF[O_SEG_REVENUE] + seg] += price
    F[m, OF[O_SEG_GP] + seg] += margin
    if not repeat:
        commission = PM[m, PM_COMMISSION] * price
        F[m, OF[O_COSTS] + C_COMMISSION] += commission
        margin -= commission
    F[m, OF[O_PURCHASES]] += 1.0
    if cohort >= 0:
        F[cohort, OF[O_COHORT_VALUE]] += margin * disc
    else:
        F[m, OF[O_BASE_P]] += 1.0
        F[m, OF[O_BASE_R]] += price
    return tier, ctr


@helper(inline=True)
def discount(G: np.ndarray, acquired: float, t: float) -> float:
    """What money at t is worth at the acquisition of a client acquired at `acquired` (its
    cohort's customer equity is valued there)."""
    return math.exp(-G[G_DPD] * (t - acquired))


@helper(inline=True)
def charge_client(F: np.ndarray, OF: np.ndarray, cohort: int, disc: float, cost: float) -> None:
    if cohort >= 0:
        F[cohort, OF[O_COHORT_VALUE]] -= cost * disc


@helper(inline=True)
def charge_retention(F: np.ndarray, OF: np.ndarray, PM: np.ndarray, cohort: int, disc: float,
                     m: int) -> None:
    fee = PM[m, PM_RETENTION_FEE]
    if PM[m, PM_RETENTION_ON] > 0 and fee > 0:
        F[m, OF[O_COSTS] + C_RETENTION] += fee
        charge_client(F, OF, cohort, disc, fee)


@helper(inline=True)
def tail(F: np.ndarray, OF: np.ndarray, PT: np.ndarray, HV: np.ndarray, G: np.ndarray,
         SC: np.ndarray, tier: int, onboarded: int, seg: int, cohort: int, acquired: float,
         anniversary: float) -> None:
    """An active client at the horizon (agent: `value_at_horizon` and `finish`)."""
    end = G[G_END]
    months = max(anniversary - end, 0.0) / D
    value = _value_at_horizon(HV[tier, onboarded, seg, HV_BASE],
                              HV[tier, onboarded, seg, HV_MARGIN],
                              PT[PT.shape[0] - 1, tier, PT_REGULAR] != 0, months, G[G_MONTHLY_D])
    SC[0] += value
    if cohort >= 0:
        F[cohort, OF[O_COHORT_TAIL]] += value * math.exp(-G[G_DPD] * (end - acquired))


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
    end = G[G_END]
    horizon = int(G[G_HORIZON])
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
    step = math.exp(-G[G_DPD] * D)
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
        buy, rate, per_day = CT[m, tier, seg, CT_BUY], CT[m, tier, seg, CT_RATE], CT[
            m, tier, seg, CT_PER_DAY]
        regular = PT[m, tier, PT_REGULAR] > 0
        interval = CT[m, tier, seg, CT_INTERVAL]
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
                ST[ST_EVENTS] += events
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
                next_due = t + CT[tm, tier, seg, CT_INTERVAL] if PT[
                    tm, tier, PT_REGULAR] > 0 else math.inf
                if tier != old:  # an upsell: the rest of the month drawn again for the new tier
                    now = t
                    restart = True
                    break
            else:
                push(HT, HI, ST, ST_HEAP2, t, EV_REFERRAL, 0)
        if rate > 0:  # what is left of the exponential wait, carried over (see `left`)
            left = (when - now if restart else when - A) * per_day
        if restart:
            continue
        # -- the anniversary -----------------------------------------------------------------
        if end <= A:
            tail(F, OF, PT, HV, G, SC, tier, onboarded, seg, cohort, acquired, A)
            ST[ST_EVENTS] += events
            return
        events += 1
        m = month_of(A, horizon)
        if PT[m, tier, PT_SBG] > 0:
            if theta_tier != tier:
                theta, ctr = beta(PT[m, tier, PT_SBG_A], PT[m, tier, PT_SBG_B] + months, key,
                                  ctr)
                theta_tier = tier
            churn = min(theta * CT[m, tier, seg, CT_THETA_SCALE], 1.0)
        else:
            churn = CT[m, tier, seg, CT_CHURN0 + onboarded]
        months += 1.0
        u = unif(key, ctr)
        ctr += 1
        if u < churn:
            move(FL, OCC, ACTIVE, CHURNED, A, m)
            won_back = False
            W = A
            if PM[m, PM_WB_ON] > 0:
                cost = PM[m, PM_WB_COST]
                F[m, OF[O_COSTS] + C_WIN_BACK] += cost
                charge_client(F, OF, cohort, dA, cost)
                u = unif(key, ctr)
                ctr += 1
                if u < PM[m, PM_WB_PROB]:
                    delay = PM[m, PM_WB_DELAY]
                    if delay > 0:
                        e, ctr = exponential(key, ctr)
                        W = A + delay * e
                    if end <= W:  # still churned at the horizon, neither back nor lost
                        ST[ST_EVENTS] += events
                        return
                    won_back = True
            if not won_back:
                lost = LC[m, tier, onboarded, seg]
                lose(FL, OCC, F, OF, CHURNED, S_CLIENT, L_CLIENT, lost, A, m, seg)
                ST[ST_EVENTS] += events
                return
            events += 1
            m = month_of(W, horizon)
            move(FL, OCC, CHURNED, ACTIVE, W, m)
            F[m, OF[O_WIN_BACKS]] += 1.0
            A = W
            dA = discount(G, acquired, A) if cohort_client else 0.0
            tier, ctr = purchase(F, OF, PM, PS, PT, G, key, ctr, tier, seg, cohort, first_month,
                                 dA, channel, W, m, True)
            next_due = W + CT[m, tier, seg, CT_INTERVAL] if PT[
                m, tier, PT_REGULAR] > 0 else math.inf
        else:
            if next_due <= A + 1e-9 and PT[m, tier, PT_REGULAR] > 0:
                tier, ctr = purchase(F, OF, PM, PS, PT, G, key, ctr, tier, seg, cohort,
                                     first_month, dA, channel, A, m, True)
                next_due = A + CT[m, tier, seg, CT_INTERVAL] if PT[
                    m, tier, PT_REGULAR] > 0 else math.inf
        # next month (agent: `_next_month`)
        now = A
        A = now + D
        if PM[m, PM_RETENTION_ON] > 0:
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
    end = G[G_END]
    horizon = int(G[G_HORIZON])
    now = t_start
    while rate > 0:
        e, ctr = exponential(key, ctr)
        when = now + e / rate
        if when >= end:
            break
        ST[ST_EVENTS] += 1
        now = when
        m = month_of(now, horizon)
        shape = PT[m, tier, PT_SPEND_SHAPE] if PT[m, tier, PT_BUYING] > 0 else 0.0
        if shape > 0:
            g, ctr = gamma(shape, key, ctr)
            amount = g / nu
        else:
            amount = PT[m, tier, PT_PRICE]
        cogs = PT[m, tier, PT_COGS]
        F[m, OF[O_REVENUE] + 2 * tier + 1] += amount
        if cohort < m:
            F[m, OF[O_RECURRING]] += amount
        F[m, OF[O_COSTS] + C_COGS] += cogs
        F[m, OF[O_GP] + channel] += amount - cogs
        F[m, OF[O_REV_CH] + channel] += amount
        F[m, OF[O_SEG_REVENUE] + seg] += amount
        F[m, OF[O_SEG_GP] + seg] += amount - cogs
        F[m, OF[O_PURCHASES]] += 1.0
        if cohort >= 0:
            F[cohort, OF[O_COHORT_VALUE]] += (amount - cogs) * math.exp(
                -G[G_DPD] * (now - acquired))
        else:
            F[m, OF[O_BASE_P]] += 1.0
            F[m, OF[O_BASE_R]] += amount
        if G[G_RECORD] > 0:
            i = ST[ST_PREC]
            if i < PREC.shape[0]:
                PREC[i, 0], PREC[i, 1], PREC[i, 2] = now, amount, customer
                ST[ST_PREC] = i + 1
            else:
                ST[ST_OVERFLOW] |= 1 << CAP_PREC
        u = unif(key, ctr)
        ctr += 1
        if u < drop:
            move(FL, OCC, ACTIVE, CHURNED, now, m)
            mean = shape / nu if shape > 0 else PT[m, tier, PT_PRICE]
            lose(FL, OCC, F, OF, CHURNED, S_CLIENT, L_CLIENT, rate * (end - now) * mean, now, m,
                 seg)
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
    m = month_of(t_start, int(G[G_HORIZON]))
    ctr = 0
    g, ctr = gamma(PT[m, tier, PT_RATE_SHAPE], key, ctr)
    rate = g / PT[m, tier, PT_RATE_RATE]
    drop, ctr = beta(PT[m, tier, PT_DROP_A], PT[m, tier, PT_DROP_B], key, ctr)
    g, ctr = gamma(PT[m, tier, PT_NU_SHAPE], key, ctr)
    nu = g / PT[m, tier, PT_NU_RATE]
    buyer_life(key, ctr, tier, seg, onboarded, cohort, acquired, channel, t_start, rate, drop,
               nu, -1, PT, HV, G, F, OF, FL, OCC, SC, ST, PREC)


# -- deals -------------------------------------------------------------------------------------
@helper()
def deal(seed: np.uint64, state: int, seg: int, channel: int, tier: int, uid: int, t0: float,
         ad: float, PM: np.ndarray, PS: np.ndarray, PT: np.ndarray, CT: np.ndarray, LV: np.ndarray,
         LC: np.ndarray, HV: np.ndarray, G: np.ndarray, F: np.ndarray, OF: np.ndarray,
         FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray, HT: np.ndarray,
         HI: np.ndarray, REC: np.ndarray, PREC: np.ndarray, WM: np.ndarray) -> None:
    """From 'yes' to a paid invoice (a new client, whose life is drawn at once) or an unpaid one
    (a leak), all drawn now (agent: `_Run.deal`). `ad`: what the lead's advertising cost."""
    end = G[G_END]
    horizon = int(G[G_HORIZON])
    rec = G[G_RECORD] > 0
    t = t0
    m = month_of(t, horizon)
    committee = PS[m, seg, PS_COMMITTEE]
    if committee > 0:
        move(FL, OCC, state, DECIDING, t, m)
        state = DECIDING
        t = t + committee * row_exponential(seed, SLOT_COMMITTEE + 1)
        if t >= end:
            return
        ST[ST_EVENTS] += 1
        m = month_of(t, horizon)
    if tier < 0:
        tier = bisect_right(PT[m, :, PT_ENTRY_CUM], unif(seed, SLOT_TIER + 1))
    if state != INVOICED:
        move(FL, OCC, state, INVOICED, t, m)
        if rec and uid >= 0:
            record(REC, ST, uid, R_INVOICED, t, 0.0)
    delay = PM[m, PM_INVOICE_DELAY] * row_exponential(seed, SLOT_PAY_DELAY + 1)
    u, q = unif(seed, SLOT_PAID + 1), PM[m, PM_PAID]
    paid = u < q
    reminders = int(PM[m, PM_REMINDERS])
    r = PM[m, PM_REMINDER_SUCCESS]
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
            delay += (failures + 1) * PM[m, PM_REMINDER_INTERVAL]
    if not paid:
        delay += reminders * PM[m, PM_REMINDER_INTERVAL]
    if delay > 0:
        t = t + delay
        if t >= end:
            return
        ST[ST_EVENTS] += 1
    m = month_of(t, horizon)
    if not paid:
        # worth a client with the terms of the month it is lost in (not the invoice's)
        lose_lead(FL, OCC, F, OF, INVOICED, S_UNPAID, L_UNPAID,
                  worth(PM, LV, WM, m, horizon, L_UNPAID, 1.0, seg), ad, t, m, seg)
        if rec and uid >= 0:
            record(REC, ST, uid, R_LOST_UNPAID, t, 0.0)
        if G[G_MARKET] < math.inf:
            push(HT, HI, ST, ST_HEAP2, t, EV_RELEASE, 0)  # the market counts them until then
        return
    onboarded = 1 if unif(seed, SLOT_ONBOARD + 1) < PT[m, tier, PT_ONB_P] else 0
    move(FL, OCC, INVOICED, ACTIVE, t, m)
    if rec and uid >= 0:
        record(REC, ST, uid, R_PAID, t, 0.0)
    F[m, OF[O_NEW_CLIENTS] + channel] += 1.0
    F[m, OF[O_SEG_NEW] + seg] += 1.0
    F[m, OF[O_COHORT_CLIENTS]] += 1.0
    cost = PT[m, tier, PT_ONB_COST]
    F[m, OF[O_COSTS] + C_ONBOARDING] += cost
    F[m, OF[O_COHORT_VALUE]] -= cost
    key = mix(seed ^ _CLIENT_SALT)
    tier, _ = purchase(F, OF, PM, PS, PT, G, key, 0, tier, seg, m, m, 1.0, channel, t, m, False)
    next_due = math.inf
    if PT[m, tier, PT_REGULAR] > 0:
        next_due = t + CT[m, tier, seg, CT_INTERVAL]
    if PT[m, tier, PT_BUYING] > 0:
        new_buyer(key, tier, seg, onboarded, m, t, channel, t, PT, HV, G, F, OF, FL, OCC, SC, ST,
                  PREC)
    else:
        client_life(key, tier, seg, onboarded, m, t, channel, next_due, t, t + D, PM, PS, PT,
                    CT, LC, HV, G, F, OF, FL, OCC, SC, ST, HT, HI)


# -- the sales team ----------------------------------------------------------------------------
@helper(inline=True)
def schedule_touch(TQT: np.ndarray, TQS: np.ndarray, HT: np.ndarray, HI: np.ndarray,
                   ST: np.ndarray, due: float, slot: int) -> None:
    """A follow-up touch of lead `slot` comes due at `due`: into the ring of touches in order
    of time (inserted from its end: touches are scheduled at their contacts' ends, nearly in
    order), or, further than 32 places from the end, on the heap."""
    n = ST[ST_TQ_SIZE]
    L = TQT.shape[0]
    tail_ = wrap(ST[ST_TQ_HEAD] + n, L)
    k = 0
    p = tail_
    while k < n:
        q = p - 1 if p > 0 else L - 1
        if TQT[q] <= due:  # (a touch due at the same time as one in the ring goes after it)
            break
        k += 1
        p = q
        if k > 32:
            push(HT, HI, ST, ST_HEAP, due, EV_TOUCH_DUE, slot)
            return
    j = tail_
    for _ in range(k):
        q = j - 1 if j > 0 else L - 1
        TQT[j], TQS[j] = TQT[q], TQS[q]
        j = q
    TQT[j], TQS[j] = due, slot
    ST[ST_TQ_SIZE] = n + 1


@helper(inline=True)
def contact(slot: int, state: int, t_req: float, start: float, h: float, P: Params,
            F: np.ndarray, OF: np.ndarray, FL: np.ndarray,
            OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray, HT: np.ndarray, HI: np.ndarray,
            RT: np.ndarray, RI: np.ndarray, REC: np.ndarray, PREC: np.ndarray, WM: np.ndarray,
            LI: np.ndarray, LF: np.ndarray, LSEED: np.ndarray, FREE: np.ndarray,
            TQT: np.ndarray, TQS: np.ndarray) -> None:
    """Lead `slot`, which asked for a manager at `t_req` from `state` (WAITING: it has been
    waiting in the queue, booked), is taken at `start` for `h` days: the contact and its
    outcome at its end (agent: `_Team.request`, `first_contact_over`, `touch_over`,
    `_follow_up`), booked now, order-free. Nothing else can change it: its manager is
    committed until its end, its decisions are its own row's, the month's parameters are
    known. What others would see at its end, in a finite market, is the person released
    (EV_RELEASE); a follow-up touch is scheduled at its time. P: the parameters (PM, PS, PT,
    CT, LV, LC, HV, G; a tuple: numba inlines no function of more than 30 arguments)."""
    PM, PS, PT, CT, LV, LC, HV, G = P
    end = G[G_END]
    horizon = int(G[G_HORIZON])
    rec = G[G_RECORD] > 0
    m0 = month_of(t_req, horizon)
    ms = month_of(start, horizon)
    F[ms, OF[O_REQUESTS]] += 1.0
    wait = start - t_req
    if state == WAITING:
        move(FL, OCC, WAITING, IN_CONTACT, start, ms)
    elif wait > 0:
        move(FL, OCC, state, WAITING, t_req, m0)
        move(FL, OCC, WAITING, IN_CONTACT, start, ms)
    else:
        FL[m0, state * N + WAITING] += 1.0
        FL[m0, WAITING * N + IN_CONTACT] += 1.0
        change(OCC, state, -1.0, t_req, m0)
        change(OCC, IN_CONTACT, 1.0, t_req, m0)
    if wait > 0:
        F[ms, OF[O_WAITED]] += 1.0
        F[ms, OF[O_WAIT_DAYS]] += wait
    LF[slot, LF_WAIT] = wait
    now = start + h
    if now >= end:  # still in contact at the horizon
        return
    ST[ST_EVENTS] += 1
    m = month_of(now, horizon)
    lseed = LSEED[slot]
    touch = LI[slot, LI_TOUCH]
    uid = LI[slot, LI_UID]
    seg = LI[slot, LI_SEG]
    ad = LF[slot, LF_AD]
    quality = LF[slot, LF_QUALITY]
    follow = False
    done = False
    leak = -1
    if touch == 0:  # the first contact (agent: `first_contact_over`)
        delay = PM[m, PM_BASE_RESPONSE] + wait
        if rec and uid >= 0:
            record(REC, ST, uid, R_FIRST_RESPONSE, now, delay)
        hl = PM[m, PM_HALF_LIFE]
        if hl < math.inf and gone(unif(lseed, SLOT_INTEREST + 1), delay / hl):
            leak = L_LATE
        elif unif(lseed, SLOT_CLOSE + 1) < PM[m, PM_FCC] * quality:
            done = True
        elif unif(lseed, SLOT_DROP + 1) < PM[m, PM_FCD]:
            leak = L_FIRST
        else:
            follow = True
    else:  # a follow-up touch (agent: `touch_over`)
        if rec and uid >= 0:
            record(REC, ST, uid, R_TOUCH, now, float(touch))
        if unif(lseed, SLOT_TOUCH + 2 * touch + 2) < PM[m, PM_CPT] * quality:
            done = True
        else:
            follow = True
    if leak == L_LATE:
        lose_lead(FL, OCC, F, OF, IN_CONTACT, S_LATE, L_LATE,
                  worth(PM, LV, WM, m, horizon, L_LATE, quality, seg), ad, now, m, seg)
        if rec and uid >= 0:
            record(REC, ST, uid, R_LOST_LATE, now, 0.0)
    elif leak == L_FIRST:
        lose_lead(FL, OCC, F, OF, IN_CONTACT, S_FIRST, L_FIRST,
                  worth(PM, LV, WM, m, horizon, L_FIRST, quality, seg), ad, now, m, seg)
        if rec and uid >= 0:
            record(REC, ST, uid, R_LOST_FIRST_CONTACT, now, 0.0)
    elif follow:  # agent: `_follow_up`
        if touch >= PM[m, PM_MAX_TOUCHES]:
            lose_lead(FL, OCC, F, OF, IN_CONTACT, S_FOLLOW_UP_LOST, L_FOLLOW_UP,
                      worth(PM, LV, WM, m, horizon, L_FOLLOW_UP, quality, seg), ad, now, m,
                      seg)
            if rec and uid >= 0:
                record(REC, ST, uid, R_LOST_FOLLOW_UP, now, 0.0)
            leak = L_FOLLOW_UP
        else:
            move(FL, OCC, IN_CONTACT, FOLLOW_UP, now, m)
            touch += 1
            LI[slot, LI_TOUCH] = touch
            hn = PM[m, PM_HANDLING]
            if PM[m, PM_HANDLING_EXP] > 0:
                hn = hn * row_exponential(lseed, SLOT_TOUCH + 2 * touch + 1)
            LF[slot, LF_HANDLING] = hn
            schedule_touch(TQT, TQS, HT, HI, ST, now + PM[m, PM_TOUCH_INTERVAL], slot)
    if done:
        deal(lseed, IN_CONTACT, seg, LI[slot, LI_CHANNEL], -1, uid, now, ad, PM, PS, PT, CT, LV,
             LC, HV, G, F, OF, FL, OCC, SC, ST, RT, RI, REC, PREC, WM)
    if leak >= 0 and G[G_MARKET] < math.inf:
        push(RT, RI, ST, ST_HEAP2, now, EV_RELEASE, 0)  # the market counts it until then
    if leak >= 0 or done:  # (its row is read no more: the slot is free at once)
        FREE[ST[ST_FREE]] = slot
        ST[ST_FREE] += 1


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
            QT: np.ndarray, QH: np.ndarray, P: Params, F: np.ndarray, OF: np.ndarray,
            FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray,
            ST: np.ndarray, HT: np.ndarray, HI: np.ndarray, RT: np.ndarray, RI: np.ndarray,
            REC: np.ndarray, PREC: np.ndarray, WM: np.ndarray, LI: np.ndarray, LF: np.ndarray,
            LSEED: np.ndarray, FREE: np.ndarray, TQT: np.ndarray, TQS: np.ndarray) -> None:
    """Lead `slot` asks for a manager at t for a contact of h days (agent: `_Team.request`):
    the FIFO queue of a team of ST[ST_CAPACITY] managers, V their times free. Requests come
    in time order, so the queue is the recursion start = max(t, earliest V), that manager
    then free at start + h: exact while the team stays as it is, so up to the month it
    changes (ST[ST_CHANGE]); a request that would start then or later waits in QL, QT, QH
    for that month's start (`change_team`)."""
    G = P[7]
    if ST[ST_Q_SIZE] == 0:
        n = ST[ST_CAPACITY]
        start = math.inf
        j = 0
        if n > 0:
            j = earliest(V, n)
            start = t if V[j] <= t else V[j]
        if start < ST[ST_CHANGE] * D:
            V[j] = start + h
            contact(slot, state, t, start, h, P, F, OF, FL, OCC, SC,
                    ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE, TQT, TQS)
            return
    move(FL, OCC, state, WAITING, t, month_of(t, int(G[G_HORIZON])))
    q = ST[ST_Q_SIZE]
    if q >= QL.shape[0]:
        ST[ST_OVERFLOW] |= 1 << CAP_QUEUE
        return
    i = wrap(ST[ST_Q_HEAD] + q, QL.shape[0])
    QL[i], QT[i], QH[i] = slot, t, h
    ST[ST_Q_SIZE] = q + 1


@helper()
def change_team(month: int, V: np.ndarray, QL: np.ndarray, QT: np.ndarray, QH: np.ndarray,
                P: Params, F: np.ndarray, OF: np.ndarray,
                FL: np.ndarray, OCC: np.ndarray, SC: np.ndarray, ST: np.ndarray, HT: np.ndarray,
                HI: np.ndarray, RT: np.ndarray, RI: np.ndarray, REC: np.ndarray,
                PREC: np.ndarray, WM: np.ndarray, LI: np.ndarray, LF: np.ndarray,
                LSEED: np.ndarray, FREE: np.ndarray, TQT: np.ndarray, TQS: np.ndarray) -> None:
    """The team becomes PM[month, PM_MANAGERS] managers at the month's start T (agent: new
    managers take waiting leads at once; when there are fewer, a manager who ends a contact
    while more are busy than the team has leaves): those busy at T stay, the ones ending
    last, up to the new number, and the rest of the places are free at T. Then the waiting
    leads are taken in order, as `request` would, up to the next change."""
    PM, G = P[0], P[7]
    horizon = int(G[G_HORIZON])
    T = month * D
    n = ST[ST_CAPACITY]
    new = int(PM[month, PM_MANAGERS])
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
    ST[ST_CAPACITY] = new
    nxt = month + 1
    while nxt < horizon and int(PM[nxt, PM_MANAGERS]) == new:
        nxt += 1
    ST[ST_CHANGE] = nxt
    limit = nxt * D
    while ST[ST_Q_SIZE] > 0 and new > 0:
        i = ST[ST_Q_HEAD]
        j = earliest(V, new)
        start = QT[i] if V[j] <= QT[i] else V[j]
        if start >= limit:
            break
        slot, t, h = QL[i], QT[i], QH[i]
        ST[ST_Q_HEAD] = wrap(i + 1, QL.shape[0])
        ST[ST_Q_SIZE] -= 1
        V[j] = start + h
        contact(slot, WAITING, t, start, h, P, F, OF, FL, OCC, SC,
                ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE, TQT, TQS)


# -- the run -----------------------------------------------------------------------------------
@njit(cache=True)
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
    L = CAP[CAP_LEADS]
    n_ch = int(G[G_N_CHANNELS])
    # The working arrays are made here: the run itself (`_run`) and every other function is a
    # `helper`, compiled without reference counting, so it can allocate nothing.
    LI = np.zeros((L, 4), dtype=np.int64)
    LF = np.zeros((L, 4))
    LSEED = np.zeros(L, dtype=np.uint64)
    FREE = np.arange(L - 1, -1, -1).astype(np.int64)  # a stack of free lead slots
    QL = np.zeros(CAP[CAP_QUEUE], dtype=np.int64)
    QT = np.zeros(CAP[CAP_QUEUE])
    QH = np.zeros(CAP[CAP_QUEUE])
    HT = np.zeros(CAP[CAP_HEAP])
    HI = np.zeros((CAP[CAP_HEAP], 3), dtype=np.int64)
    RT = np.zeros(CAP[CAP_HEAP])
    RI = np.zeros((CAP[CAP_HEAP], 3), dtype=np.int64)
    TQT = np.zeros(L)
    TQS = np.zeros(L, dtype=np.int64)
    arr_ctr = np.zeros(n_ch, dtype=np.int64)
    row_ctr = np.zeros(n_ch, dtype=np.int64)
    next_arr = np.full(n_ch, math.inf)
    redraw = np.zeros(n_ch, dtype=np.bool_)
    WM = np.full((int(G[G_HORIZON]), L_UNPAID + 1, PS.shape[1], 2), math.nan)
    V = np.zeros(max(1, int(PM[:, PM_MANAGERS].max())))
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
    horizon = int(G[G_HORIZON])
    end = G[G_END]
    market = G[G_MARKET]
    n_ch = int(G[G_N_CHANNELS])
    referral_ch = n_ch
    existing_ch = n_ch + 1
    rec = G[G_RECORD] > 0
    L = CAP[CAP_LEADS]
    ST[ST_FREE] = L
    P = (PM, PS, PT, CT, LV, LC, HV, G)
    # The events in time order: the channels' next arrivals, follow-up touches coming due (a
    # ring in time order, `schedule_touch`; a few on the heap HT), referral arrivals and
    # market releases (the heap RT: clients' lives schedule them months ahead), month ends.
    # A contact is not an event: it is settled when it is asked for (`request`).
    ref_arr_key, ref_row_key = KEYS[2 * n_ch], KEYS[2 * n_ch + 1]
    ref_arr_ctr, ref_row_ctr = 0, 0
    managers = int(PM[0, PM_MANAGERS])
    ST[ST_CAPACITY] = managers
    nxt = 1
    while nxt < horizon and int(PM[nxt, PM_MANAGERS]) == managers:
        nxt += 1
    ST[ST_CHANGE] = nxt
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
            seg = fixed_seg if fixed_seg >= 0 else bisect_right(PS[0, :, PS_CUM], unif(key, 1000))
            onboarded = 1 if unif(key, 1001) < share else 0
            enter(FL, OCC, ACTIVE, 0.0, 0)
            used += 1
            anniversary = unif(key, 1002) * D
            next_due = math.inf
            if PT[0, tier, PT_REGULAR] > 0:
                interval = CT[0, tier, seg, CT_INTERVAL]
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
            if ST[ST_FREE] == 0:
                ST[ST_OVERFLOW] |= 1 << CAP_LEADS
                return
            ST[ST_FREE] -= 1
            slot = FREE[ST[ST_FREE]]
            LSEED[slot] = seed
            seg = bisect_right(PS[0, :, PS_CUM], unif(seed, SLOT_SEGMENT + 1))
            LI[slot, LI_SEG], LI[slot, LI_CHANNEL], LI[slot, LI_TOUCH] = seg, existing_ch, touches
            LI[slot, LI_UID] = -1  # leads of the starting state send no records
            LF[slot, LF_AD] = 0.0  # spent before the horizon
            LF[slot, LF_QUALITY] = PC[0, c, PC_CONV] * PS[0, seg, PS_CONV]
            LF[slot, LF_WAIT] = 0.0
            if touches == 0:
                enter(FL, OCC, NEW, 0.0, 0)
                h = PM[0, PM_HANDLING]
                if PM[0, PM_HANDLING_EXP] > 0:
                    h = h * row_exponential(seed, SLOT_TOUCH + 1)
                request(slot, NEW, 0.0, h, V, QL, QT, QH, P, F, OF,
                        FL, OCC, SC, ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE,
                        TQT, TQS)
            else:
                enter(FL, OCC, FOLLOW_UP, 0.0, 0)
                if touches >= PM[0, PM_MAX_TOUCHES]:
                    lose(FL, OCC, F, OF, FOLLOW_UP, S_FOLLOW_UP_LOST, L_FOLLOW_UP,
                         worth(PM, LV, WM, 0, horizon, L_FOLLOW_UP, LF[slot, LF_QUALITY], seg),
                         0.0, 0, seg)
                    used -= 1
                    FREE[ST[ST_FREE]] = slot
                    ST[ST_FREE] += 1
                else:
                    touch = touches + 1
                    LI[slot, LI_TOUCH] = touch
                    h = PM[0, PM_HANDLING]
                    if PM[0, PM_HANDLING_EXP] > 0:
                        h = h * row_exponential(seed, SLOT_TOUCH + 2 * touch + 1)
                    LF[slot, LF_HANDLING] = h
                    schedule_touch(TQT, TQS, HT, HI, ST, PM[0, PM_TOUCH_INTERVAL], slot)
    kb += IL.shape[0]
    for g in range(II.shape[0]):
        tier, count = int(II[g, 0]), int(II[g, 1])
        for j in range(count):
            seed = sub_key(KEYS[kb + g], j)
            seg = bisect_right(PS[0, :, PS_CUM], unif(seed, SLOT_SEGMENT + 1))
            enter(FL, OCC, INVOICED, 0.0, 0)
            used += 1
            deal(seed, INVOICED, seg, existing_ch, tier, -1, 0.0, 0.0, PM, PS, PT, CT, LV, LC, HV,
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
            enter(FL, OCC, ACTIVE, 0.0, 0)
            used += 1
            buyer_life(key, ctr, cb_tier, 0, 1, -1, 0.0, existing_ch, 0.0, g1 / CB[i, 2], drop,
                       g2 / CB[i, 6], i, PT, HV, G, F, OF, FL, OCC, SC, ST, PREC)

    # ---- arrivals: each channel's next one, drawn ahead (agent: `_Arrivals._next`) ---------
    for c in range(n_ch):
        rate = PC[0, c, PC_RATE]
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
        if ST[ST_OVERFLOW] != 0:
            return
        c_next = -1
        t_arr = math.inf
        for c in range(n_ch):
            if next_arr[c] < t_arr:
                t_arr, c_next = next_arr[c], c
        t_heap = HT[0] if ST[ST_HEAP] > 0 else math.inf
        t_fifo = TQT[ST[ST_TQ_HEAD]] if ST[ST_TQ_SIZE] > 0 else math.inf
        t_ref = RT[0] if ST[ST_HEAP2] > 0 else math.inf
        t_other = min(t_heap, t_fifo, t_ref)
        t_next = t_arr if t_arr < t_other else t_other
        if t_next >= month_end:  # the month closes first (agent: an urgent event)
            if month == horizon - 1:
                break
            month += 1
            month_end += D
            events += 1
            if month == ST[ST_CHANGE]:  # a new team: new managers take waiting leads at once
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
            rate = PC[m, c, PC_RATE]
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
                _, kind, slot = pop(HT, HI, ST, ST_HEAP)
            elif t_fifo <= t_ref:
                kind = EV_TOUCH_DUE
                i = ST[ST_TQ_HEAD]
                slot = TQS[i]
                ST[ST_TQ_HEAD] = wrap(i + 1, L)
                ST[ST_TQ_SIZE] -= 1
            else:
                _, kind, slot = pop(RT, RI, ST, ST_HEAP2)
            if kind == EV_REFERRAL:
                u = unif(ref_arr_key, ref_arr_ctr)
                ref_arr_ctr += 1
                if market == math.inf or u * market < market - used:
                    seed = sub_key(ref_row_key, ref_row_ctr)
                    ref_row_ctr += 1
                    new_channel = referral_ch
            elif kind == EV_RELEASE:
                used -= 1
            else:  # a follow-up touch comes due: the lead asks for a manager
                state = FOLLOW_UP
                h = LF[slot, LF_HANDLING]
        if new_channel >= 0:
            # ---- a new lead arrives (agent: `new_lead`, `_Lead.__init__`) --------------------
            c = new_channel
            enter(FL, OCC, NEW, now, m)
            F[m, OF[O_LEADS] + c] += 1.0
            used += 1
            uid = ST[ST_UID]
            ST[ST_UID] = uid + 1
            if rec:
                record(REC, ST, uid, R_CREATED, now, float(c))
            seg = bisect_right(PS[m, :, PS_CUM], unif(seed, SLOT_SEGMENT + 1))
            F[m, OF[O_SEG_LEADS] + seg] += 1.0
            F[m, OF[O_SEG_AD] + seg] += PC[m, c, PC_CPL] if c < n_ch else 0.0
            quality = PM[m, PM_REFERRAL_CONV] if c == referral_ch else PC[m, c, PC_CONV]
            if unif(seed, SLOT_LOST + 1) < PM[m, PM_LOST_UNPROC]:
                if rec:
                    record(REC, ST, uid, R_LOST_UNPROCESSED, now, 0.0)
                lose_lead(FL, OCC, F, OF, NEW, S_UNPROCESSED, L_UNPROCESSED,
                          worth(PM, LV, WM, m, horizon, L_UNPROCESSED,
                                quality * PS[m, seg, PS_CONV], seg),
                          PC[m, c, PC_CPL] if c < n_ch else 0.0, now, m, seg)
                used -= 1
                continue
            if ST[ST_FREE] == 0:
                ST[ST_OVERFLOW] |= 1 << CAP_LEADS
                return
            ST[ST_FREE] -= 1
            slot = FREE[ST[ST_FREE]]
            if L - ST[ST_FREE] > ST[ST_LEADS_MAX]:
                ST[ST_LEADS_MAX] = L - ST[ST_FREE]
            LSEED[slot] = seed
            LI[slot, LI_SEG], LI[slot, LI_CHANNEL], LI[slot, LI_TOUCH], LI[slot, LI_UID] = (
                seg, c, 0, uid)
            LF[slot, LF_AD] = PC[m, c, PC_CPL] if c < n_ch else 0.0
            LF[slot, LF_QUALITY] = quality * PS[m, seg, PS_CONV]
            h = PM[m, PM_HANDLING]
            if PM[m, PM_HANDLING_EXP] > 0:
                h = h * row_exponential(seed, SLOT_TOUCH + 1)
            state = NEW
        if state >= 0:
            request(slot, state, now, h, V, QL, QT, QH, P, F, OF, FL,
                    OCC, SC, ST, HT, HI, RT, RI, REC, PREC, WM, LI, LF, LSEED, FREE, TQT, TQS)
    ST[ST_EVENTS] += events
