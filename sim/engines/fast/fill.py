"""The kernel's output arrays as the `Ledger` the agent engine returns (same fields, same
meaning), and the recorder's events replayed in time order."""

from __future__ import annotations

import numpy as np

from models.accounting.ledger import COSTS, SEGMENT_RECORDS, BookedLedger, Ledger
from models.compiled.units import DAYS_PER_MONTH
from sim.engines.fast import layout as L
from sim.engines.fast.arrays import Arrays
from sim.engines.recorder import Recorder

_MARKETING, _SALARIES, _OVERHEAD, _BETS = (COSTS.index(n) for n in
                                          ("marketing", "salaries", "overhead", "bets"))
_SCALARS = {"recurring_revenue": L.O_RECURRING, "purchases": L.O_PURCHASES,
            "base_purchases": L.O_BASE_P, "base_revenue": L.O_BASE_R, "upsells": L.O_UPSELLS,
            "win_backs": L.O_WIN_BACKS, "requests": L.O_REQUESTS, "waited": L.O_WAITED,
            "wait_days": L.O_WAIT_DAYS, "cohort_clients": L.O_COHORT_CLIENTS,
            "cohort_value": L.O_COHORT_VALUE, "cohort_tail": L.O_COHORT_TAIL}


def ledger(a: Arrays, n_channels: int, n_tiers: int, n_segments: int, F: np.ndarray,
           FL: np.ndarray, OCC: np.ndarray, customer_equity: float, events: int) -> Ledger:
    """Month-end counts and occupancy from the booked changes: the count at a month's start is
    the sum of the earlier months' net changes; a month's agent-days are the count at its start
    times its length plus the booked agent-days to its end of the changes within it."""
    horizon = F.shape[0]
    net, part = OCC[:, 0, :], OCC[:, 1, :]
    end_counts = np.cumsum(net, axis=0)
    start_counts = end_counts - net
    o = a.OF
    ch = n_channels + 2
    costs = F[:, o[L.O_COSTS]:o[L.O_COSTS] + len(COSTS)].copy()
    costs[:, _MARKETING] += a.marketing_by_channel.sum(axis=1)
    costs[:, _SALARIES] += a.fixed_costs[:, 0]
    costs[:, _OVERHEAD] += a.fixed_costs[:, 1]
    costs[:, _BETS] += a.fixed_costs[:, 2]
    records = {  # each record by month, shaped as the agent engine's lists
        "state_end": end_counts,
        "occupancy": start_counts * DAYS_PER_MONTH + part,
        "flows": FL,
        "leads": F[:, o[L.O_LEADS]:o[L.O_LEADS] + ch],
        "new_clients": F[:, o[L.O_NEW_CLIENTS]:o[L.O_NEW_CLIENTS] + ch],
        "lost_value": F[:, o[L.O_LOST]:o[L.O_LOST] + 6],
        "lost_ad": F[:, o[L.O_LOST_AD]:o[L.O_LOST_AD] + 6],
        "revenue": F[:, o[L.O_REVENUE]:o[L.O_REVENUE] + 2 * n_tiers],
        "costs": costs,
        "marketing_by_channel": a.marketing_by_channel.copy(),
        "gross_profit_by_channel": F[:, o[L.O_GP]:o[L.O_GP] + ch],
        "revenue_by_channel": F[:, o[L.O_REV_CH]:o[L.O_REV_CH] + ch],
        **{name: F[:, o[col]] for name, col in _SCALARS.items()},
        **{name: F[:, o[col]:o[col] + n_segments]
           for name, col in zip(SEGMENT_RECORDS, L.O_SEGMENT, strict=True)},
    }
    # (F, FL and OCC are this run's own: the records are views of them)
    return BookedLedger(horizon, n_channels, n_tiers, n_segments, records,
                        [round(x) for x in end_counts[-1]], float(customer_equity), int(events))


def replay(recorder: Recorder, rec: np.ndarray, prec: np.ndarray) -> None:
    """Send the kernel's records to `recorder` in time order (a lead's records, booked ahead
    when its deal is drawn at once, keep their own order at equal times)."""
    for i in np.argsort(rec[:, 2], kind="stable"):
        uid, code, day, value = rec[i]
        recorder.lead_event(int(uid), L.REC_EVENTS[int(code)], float(day), float(value))
    for i in np.argsort(prec[:, 0], kind="stable"):
        day, amount, customer = prec[i]
        recorder.purchase(float(day), float(amount), int(customer))
