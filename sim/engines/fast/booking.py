"""The fast engine's booking: moves between the ledger's states, leaks and what they are
worth, a client's purchases, charges and tail value at the horizon, all booked order-free (a
move at day t of month m adds to month m's flows, net change and agent-days to the month's end;
`sim.engines.fast.fill` makes the month-end counts by cumulative sums)."""

from __future__ import annotations

import math

import numpy as np

from models.compiled.units import DAYS_PER_MONTH as D
from models.compiled.value import value_at_horizon
from models.compiled.worth import chance_to_pay
from sim.engines.fast import layout as L
from sim.engines.fast.jit import helper
from sim.engines.fast.random import unif

_LN2 = math.log(2.0)
_INV_D = 1.0 / D


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
    FL[m, s * L.N + s] += 1.0
    change(OCC, s, 1.0, t, m)


@helper(inline=True)
def move(FL: np.ndarray, OCC: np.ndarray, a: int, b: int, t: float, m: int) -> None:
    FL[m, a * L.N + b] += 1.0
    change(OCC, a, -1.0, t, m)
    change(OCC, b, 1.0, t, m)


@helper(inline=True)
def lose(FL: np.ndarray, OCC: np.ndarray, F: np.ndarray, OF: np.ndarray, a: int, leak_state: int,
         leak: int, value: float, t: float, m: int, seg: int) -> None:
    move(FL, OCC, a, leak_state, t, m)
    F[m, OF[L.O_LOST] + leak] += value
    F[m, OF[L.O_SEG_LOST] + seg] += value


@helper(inline=True)
def lose_lead(FL: np.ndarray, OCC: np.ndarray, F: np.ndarray, OF: np.ndarray, a: int,
              leak_state: int, leak: int, value: float, ad: float, t: float, m: int, seg: int
              ) -> None:
    """A lead of segment `seg` lost at `leak`, worth `value`, whose advertising cost `ad`."""
    lose(FL, OCC, F, OF, a, leak_state, leak, value, t, m, seg)
    F[m, OF[L.O_LOST_AD] + leak] += ad


# What a lost lead is worth: the one rule of `models.compiled.worth` (a lead lost at follow-up
# valued at one more round of the sources' cadence, `CADENCE_CONTACTS` touches), compiled (a
# change to that module compiles the kernel again: `jit.CACHE_DIR`).
_chance_to_pay = helper(refcount=True)(chance_to_pay)
# A client's tail value at the horizon: the one rule of `models.compiled.value`, compiled.
_value_at_horizon = helper(inline=True, refcount=True)(value_at_horizon)


@helper(inline=True)
def worth(PM: np.ndarray, LV: np.ndarray, WM: np.ndarray, m: int, horizon: int, leak: int,
          quality: float, seg: int) -> float:
    """A lead lost at `leak` (its LEAKS index: the lead stages come first, in the order of
    `models.compiled.worth.LEAD_STAGES`) in month m: `L.Params.loss_worth`. WM[m, leak, seg]
    keeps the last quality asked and its answer (NaN at first): most losses repeat the month's
    few qualities, and the rule costs several powers."""
    if WM[m, leak, seg, 0] == quality:
        return WM[m, leak, seg, 1]
    chance = _chance_to_pay(leak, quality, PM[m, L.PM_BASE_RESPONSE], PM[m, L.PM_HALF_LIFE],
                            PM[m, L.PM_FCC], PM[m, L.PM_FCD], PM[m, L.PM_MAX_TOUCHES],
                            PM[m, L.PM_CPT], PM[m, L.PM_PAID], PM[m, L.PM_REMINDERS],
                            PM[m, L.PM_REMINDER_SUCCESS])
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
    i = ST[L.ST_REC]
    if i >= REC.shape[0]:
        ST[L.ST_OVERFLOW] |= 1 << L.CAP_REC
        return
    REC[i, 0], REC[i, 1], REC[i, 2], REC[i, 3] = uid, code, t, value
    ST[L.ST_REC] = i + 1


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
        cost = PT[m, tier, L.PT_UPSELL_COST]
        if cost > 0:
            F[m, OF[L.O_COSTS] + L.C_DEVELOPMENT] += cost
            if cohort >= 0:
                F[cohort, OF[L.O_COHORT_VALUE]] -= cost * disc
        p_up = PT[m, tier, L.PT_UPSELL_P]
        if p_up > 0:
            u = unif(key, ctr)
            ctr += 1
            if u < p_up:
                tier += 1
                F[m, OF[L.O_UPSELLS]] += 1.0
    price = PT[m, tier, L.PT_PRICE] * PS[m, seg, L.PS_PRICE]
    F[m, OF[L.O_REVENUE] + 2 * tier + (1 if repeat else 0)] += price
    if first_month < m:
        F[m, OF[L.O_RECURRING]] += price
    cogs = PT[m, tier, L.PT_COGS]
    F[m, OF[L.O_COSTS] + L.C_COGS] += cogs
    margin = price - cogs
    F[m, OF[L.O_GP] + channel] += margin
    F[m, OF[L.O_REV_CH] + channel] += price
    F[m, OF[L.O_SEG_REVENUE] + seg] += price
    F[m, OF[L.O_SEG_GP] + seg] += margin
    if not repeat:
        commission = PM[m, L.PM_COMMISSION] * price
        F[m, OF[L.O_COSTS] + L.C_COMMISSION] += commission
        margin -= commission
    F[m, OF[L.O_PURCHASES]] += 1.0
    if cohort >= 0:
        F[cohort, OF[L.O_COHORT_VALUE]] += margin * disc
    else:
        F[m, OF[L.O_BASE_P]] += 1.0
        F[m, OF[L.O_BASE_R]] += price
    return tier, ctr


@helper(inline=True)
def discount(G: np.ndarray, acquired: float, t: float) -> float:
    """What money at t is worth at the acquisition of a client acquired at `acquired` (its
    cohort's customer equity is valued there)."""
    return math.exp(-G[L.G_DPD] * (t - acquired))


@helper(inline=True)
def charge_client(F: np.ndarray, OF: np.ndarray, cohort: int, disc: float, cost: float) -> None:
    if cohort >= 0:
        F[cohort, OF[L.O_COHORT_VALUE]] -= cost * disc


@helper(inline=True)
def charge_retention(F: np.ndarray, OF: np.ndarray, PM: np.ndarray, cohort: int, disc: float,
                     m: int) -> None:
    fee = PM[m, L.PM_RETENTION_FEE]
    if PM[m, L.PM_RETENTION_ON] > 0 and fee > 0:
        F[m, OF[L.O_COSTS] + L.C_RETENTION] += fee
        charge_client(F, OF, cohort, disc, fee)


@helper(inline=True)
def tail(F: np.ndarray, OF: np.ndarray, PT: np.ndarray, HV: np.ndarray, G: np.ndarray,
         SC: np.ndarray, tier: int, onboarded: int, seg: int, cohort: int, acquired: float,
         anniversary: float) -> None:
    """An active client at the horizon (agent: `value_at_horizon` and `finish`)."""
    end = G[L.G_END]
    months = max(anniversary - end, 0.0) / D
    value = _value_at_horizon(HV[tier, onboarded, seg, L.HV_BASE],
                              HV[tier, onboarded, seg, L.HV_MARGIN],
                              PT[PT.shape[0] - 1, tier, L.PT_REGULAR] != 0, months,
                              G[L.G_MONTHLY_D])
    SC[0] += value
    if cohort >= 0:
        F[cohort, OF[L.O_COHORT_TAIL]] += value * math.exp(-G[L.G_DPD] * (end - acquired))
