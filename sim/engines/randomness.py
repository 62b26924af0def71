"""How a run's random numbers are laid out, declared once for both engines.

Each engine derives its streams from the run's seed and a (kind, group) pair: the kinds below,
and for a channel's leads and arrivals the channel's number (referrals: `REFERRAL_STREAM`).
Every lead owns a row of `ROW` uniforms taken from its stream in arrival order, one slot per
decision, so lead i of a channel makes the same choices in every alternative run (common random
numbers). The agent engine (`sim.engines.agent`) reads the slots by these names; the fast
engine's kernel (`sim.engines.fast`) reads them as compile-time constants through its `layout`.
"""

from __future__ import annotations

from models.spec.limits import MAX_TOUCHES

# Stream kinds, mixed into the stream keys.
K_LEADS, K_ARRIVALS, K_INITIAL, K_CUSTOMER_BASE = 1, 2, 3, 4
# Stream group of referral leads: a constant, not the channel count, so that a bet adding a
# channel leaves the referral leads' random numbers (and so the comparison's pairing) intact.
REFERRAL_STREAM = 0xFFFF

# Slots of a lead's row of uniforms.
SLOT_SEGMENT, SLOT_LOST, SLOT_INTEREST, SLOT_CLOSE, SLOT_DROP = 0, 1, 2, 3, 4
SLOT_COMMITTEE, SLOT_TIER, SLOT_PAID, SLOT_PAY_DELAY, SLOT_ONBOARD = 5, 6, 7, 8, 9
SLOT_CLIENT_SEED = 10  # the agent engine seeds a client's generator with it
SLOT_TOUCH = 12  # contact k uses 12 + 2k (handling time) and 13 + 2k (close)
ROW = SLOT_TOUCH + 2 * (MAX_TOUCHES + 1)  # slots in a row: the first contact and every touch
