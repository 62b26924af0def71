"""Column numbers of the plain arrays the fast engine's kernel reads and writes (shared by
`arrays`, `kernel` and `fill`; numba reads these module constants as compile-time constants)."""

from __future__ import annotations

import numpy as np

from models.accounting.ledger import LEAKS, N_STATES, S

# (The lead row's slots and the stream kinds are both engines': `sim.engines.randomness`.)

# The parameters as one argument of the kernel's functions (PM, PS, PT, CT, LV, LC, HV, G)
Params = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
               np.ndarray]

# PM[m, :]: a month's scalars.
(PM_MANAGERS, PM_HANDLING, PM_HANDLING_EXP, PM_BASE_RESPONSE, PM_HALF_LIFE, PM_LOST_UNPROC,
 PM_FCC, PM_FCD, PM_MAX_TOUCHES, PM_TOUCH_INTERVAL, PM_CPT, PM_PAID, PM_INVOICE_DELAY,
 PM_REMINDERS, PM_REMINDER_INTERVAL, PM_REMINDER_SUCCESS, PM_RETENTION_ON, PM_RETENTION_FEE,
 PM_WB_ON, PM_WB_PROB, PM_WB_DELAY, PM_WB_COST, PM_REFERRAL_RATE, PM_REFERRAL_CONV,
 PM_COMMISSION) = range(25)
PM_N = 25
# PC[m, channel, :]
PC_RATE, PC_CONV, PC_CPL = 0, 1, 2  # leads per day, conversion multiplier, cost per lead
PC_N = 3
# PS[m, segment, :]
PS_CUM, PS_CONV, PS_PRICE, PS_COMMITTEE = 0, 1, 2, 3
PS_N = 4
# PT[m, tier, :]
(PT_PRICE, PT_COGS, PT_REGULAR, PT_ENTRY_CUM, PT_UPSELL_P, PT_UPSELL_COST, PT_ONB_P, PT_ONB_COST,
 PT_BUYING, PT_SPEND_SHAPE, PT_RATE_SHAPE, PT_RATE_RATE, PT_DROP_A, PT_DROP_B, PT_NU_SHAPE,
 PT_NU_RATE, PT_SBG, PT_SBG_A, PT_SBG_B) = range(19)
PT_N = 19
# CT[m, tier, segment, :]: a client's month terms (agent: `_ClientTerms`); CT_THETA_SCALE: what
# multiplies an sBG client's own churn (`Params.theta_scale`)
CT_CHURN0, CT_CHURN1, CT_BUY, CT_RATE, CT_PER_DAY, CT_INTERVAL, CT_THETA_SCALE = range(7)
CT_N = 7
# HV[tier, onboarded, segment, :]: the tail at the horizon (last month's parameters)
HV_BASE, HV_MARGIN = 0, 1

# G: run constants (floats)
G_END, G_DPD, G_MONTHLY_D, G_MARKET, G_HORIZON, G_N_CHANNELS, G_N_TIERS, G_N_SEGMENTS = range(8)
G_RECORD = 8
G_N = 9

# O: column offsets in the monthly output F[m, :]
(O_REVENUE, O_RECURRING, O_COSTS, O_GP, O_PURCHASES, O_BASE_P, O_BASE_R, O_UPSELLS, O_WIN_BACKS,
 O_REQUESTS, O_WAITED, O_WAIT_DAYS, O_COHORT_CLIENTS, O_COHORT_VALUE, O_COHORT_TAIL, O_LEADS,
 O_NEW_CLIENTS, O_LOST, O_LOST_AD, O_SEG_LEADS, O_SEG_NEW, O_SEG_REVENUE, O_SEG_GP, O_SEG_AD,
 O_SEG_LOST, O_REV_CH, O_WIDTH) = range(27)
O_N = 27
# the by-segment records (each a column per segment), in the ledger's order (SEGMENT_RECORDS)
O_SEGMENT = (O_SEG_LEADS, O_SEG_NEW, O_SEG_REVENUE, O_SEG_GP, O_SEG_AD, O_SEG_LOST)

# ST: the run's integer state
(ST_HEAP, ST_SEQ, ST_OVERFLOW, ST_EVENTS, ST_USED, ST_UID, ST_REC, ST_PREC, ST_FREE,
 ST_Q_HEAD, ST_Q_SIZE, ST_BUSY, ST_CAPACITY, ST_LEADS_MAX, ST_HEAP2, ST_TQ_HEAD, ST_TQ_SIZE,
 ST_CHANGE) = range(18)
ST_N = 18
# CAP: capacities of the kernel's buffers (a run that outgrows one is run again, larger)
CAP_LEADS, CAP_QUEUE, CAP_HEAP, CAP_REC, CAP_PREC = range(5)
CAP_N = 5

# LI[slot, :] and LF[slot, :]: a lead's integer and float columns (LF_AD: what its advertising
# cost)
LI_SEG, LI_CHANNEL, LI_TOUCH, LI_UID = 0, 1, 2, 3
LF_AD, LF_QUALITY, LF_HANDLING, LF_WAIT = 0, 1, 2, 3

# heap event kinds
EV_CONTACT_END, EV_TOUCH_DUE, EV_REFERRAL, EV_RELEASE = 0, 1, 2, 3

# recorder codes
REC_EVENTS = ("created", "first_response", "touch", "invoiced", "paid", "lost_unprocessed",
              "lost_late", "lost_first_contact", "lost_follow_up", "lost_unpaid")
(R_CREATED, R_FIRST_RESPONSE, R_TOUCH, R_INVOICED, R_PAID, R_LOST_UNPROCESSED, R_LOST_LATE,
 R_LOST_FIRST_CONTACT, R_LOST_FOLLOW_UP, R_LOST_UNPAID) = range(10)

N = N_STATES
NEW, WAITING, IN_CONTACT, FOLLOW_UP = S["new"], S["waiting"], S["in_contact"], S["follow_up"]
DECIDING, INVOICED, ACTIVE, CHURNED = S["deciding"], S["invoiced"], S["active"], S["churned"]
L_UNPROCESSED, L_LATE, L_FIRST, L_FOLLOW_UP, L_UNPAID, L_CLIENT = (
    LEAKS.index(n) for n in ("lost_unprocessed", "lost_late", "lost_first_contact",
                             "lost_follow_up", "lost_unpaid", "lost_client"))
S_UNPROCESSED, S_LATE, S_FIRST, S_FOLLOW_UP_LOST, S_UNPAID, S_CLIENT = (
    S[n] for n in ("lost_unprocessed", "lost_late", "lost_first_contact", "lost_follow_up",
                   "lost_unpaid", "lost_client"))

# cost buckets (models.accounting.ledger.COSTS)
from models.accounting.ledger import C  # noqa: E402

C_COGS, C_COMMISSION, C_ONBOARDING = C["cost_of_goods"], C["commission"], C["onboarding"]
C_RETENTION, C_DEVELOPMENT, C_WIN_BACK = C["retention"], C["development"], C["win_back"]
