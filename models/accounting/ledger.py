"""The accounting record of one simulated run: states, flows, leaks and money, month by month.

An engine writes into a `Ledger` while it runs (plain Python lists: cheap to bump one cell) and
calls `close()` at the horizon; `models.accounting.metrics` turns the closed ledger into metrics.
Every
lead and client is in exactly one of `STATES` at every moment, so at any month's end the counts
add up to everyone ever created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.compiled.units import DAYS_PER_MONTH
from models.compiled.worth import LEAD_STAGES
from models.spec.fields import LEAK_NAMES

STATES = (
    "new",  # arrived, not yet in the sales queue (routing / off-hours delay)
    "waiting",  # in the queue for a manager
    "in_contact",  # a manager is talking to them
    "follow_up",  # contacted, between follow-up touches
    "deciding",  # said yes; a buying committee decides before the invoice
    "invoiced",  # invoice issued, not paid yet
    "active",  # a paying client
    "churned",  # left; a win-back campaign may still bring them back
    "lost_unprocessed",  # leak: never processed (lost in the CRM)
    "lost_late",  # leak: no longer interested when finally called
    "lost_first_contact",  # leak: first communication failed (objections, no script)
    "lost_follow_up",  # leak: follow-ups ran out without a deal
    "lost_unpaid",  # leak: invoice never paid
    "lost_client",  # leak: churned for good after buying
)
S = {name: i for i, name in enumerate(STATES)}
N_STATES = len(STATES)
OPEN_LEAD_STATES = tuple(S[n] for n in ("new", "waiting", "in_contact", "follow_up", "deciding",
                                          "invoiced"))
LEAKS = (*LEAD_STAGES, "lost_client")  # the lead stages in the journey's order, then clients
# Which parameters each leak turns on (which bets target a stage) is declared with each field,
# in the spec (`models.spec.fields.leak_patterns`), which names the leaks as strings: these.
if LEAK_NAMES != LEAKS:
    raise ImportError(f"models.spec.fields.LEAK_NAMES {LEAK_NAMES} != LEAKS {LEAKS}")
COSTS = ("marketing", "salaries", "commission", "cost_of_goods", "onboarding", "retention",
         "development", "win_back", "overhead", "bets")
C = {name: i for i, name in enumerate(COSTS)}
# What an owner decides to spend (`decided_spend`): a bet's cost is the change in these buckets
# (see `models.compiled.form.Params.decided_spend`).
DECIDED_SPEND = ("marketing", "salaries", "bets")
_LEAK_STATE_INDEX = {leak: (S[leak], i) for i, leak in enumerate(LEAKS)}  # leak: (state, index)


# The records by (month, segment), in the order the fast engine's output keeps them.
SEGMENT_RECORDS = ("segment_leads", "segment_new_clients", "segment_revenue",
                   "segment_gross_profit", "segment_ad_spend", "segment_lost_value")


def _zeros(rows: int, cols: int) -> list[list[float]]:
    return [[0.0] * cols for _ in range(rows)]


@dataclass
class Ledger:
    horizon: int
    n_channels: int  # the scenario's channels; then "referral", then "existing" (starting state)
    n_tiers: int
    n_segments: int = 1
    # counts and time in state
    count: list[int] = field(init=False)
    state_end: list[list[float]] = field(init=False)  # (month, state) at month end
    occupancy: list[list[float]] = field(init=False)  # (month, state) agent-days
    flows: list[list[float]] = field(init=False)  # (month, from * N_STATES + to)
    # leads and clients
    leads: list[list[float]] = field(init=False)  # (month, channel, referral, existing)
    new_clients: list[list[float]] = field(init=False)  # (month, channel incl. referral)
    # (month, leak): what the losses are worth (`models.compiled.worth`; a client: what they
    # would have bought had they stayed)
    lost_value: list[list[float]] = field(init=False)
    # (month, leak): the advertising money spent on the leads lost (their channel's cost per
    # lead in the month they arrived; referrals and the starting state's leads cost none)
    lost_ad: list[list[float]] = field(init=False)
    # money
    revenue: list[list[float]] = field(init=False)  # (month, tier * 2 + repeat)
    recurring_revenue: list[float] = field(init=False)  # paid by clients who paid before
    costs: list[list[float]] = field(init=False)  # (month, cost bucket)
    marketing_by_channel: list[list[float]] = field(init=False)
    gross_profit_by_channel: list[list[float]] = field(init=False)  # by acquisition channel
    revenue_by_channel: list[list[float]] = field(init=False)  # by acquisition channel
    # events
    purchases: list[float] = field(init=False)
    # of which by clients of the starting state (their revenue is not the leads' doing)
    base_purchases: list[float] = field(init=False)
    base_revenue: list[float] = field(init=False)
    upsells: list[float] = field(init=False)
    win_backs: list[float] = field(init=False)
    # the sales queue: contacts started in the month, how many waited, their total wait
    requests: list[float] = field(init=False)
    waited: list[float] = field(init=False)
    wait_days: list[float] = field(init=False)
    # acquisition cohorts (month of first payment): clients and discounted net value
    cohort_clients: list[float] = field(init=False)
    cohort_value: list[float] = field(init=False)
    cohort_tail: list[float] = field(init=False)
    # by (month, segment): a lead's segment, a client's (starting clients' too)
    segment_leads: list[list[float]] = field(init=False)  # leads that arrived
    segment_new_clients: list[list[float]] = field(init=False)
    segment_revenue: list[list[float]] = field(init=False)
    segment_gross_profit: list[list[float]] = field(init=False)  # revenue less cost of goods
    segment_ad_spend: list[list[float]] = field(init=False)  # the advertising behind its leads
    segment_lost_value: list[list[float]] = field(init=False)  # its leads' and clients' losses
    customer_equity: float = 0.0
    events: int = 0
    _integral: list[float] = field(init=False)
    _last: list[float] = field(init=False)
    _closed_integral: list[float] = field(init=False)

    def __post_init__(self) -> None:
        h, ch = self.horizon, self.n_channels + 2
        self.count = [0] * N_STATES
        self.state_end = _zeros(h, N_STATES)
        self.occupancy = _zeros(h, N_STATES)
        self.flows = _zeros(h, N_STATES * N_STATES)
        self.leads = _zeros(h, ch)
        self.new_clients = _zeros(h, ch)
        self.lost_value = _zeros(h, len(LEAKS))
        self.lost_ad = _zeros(h, len(LEAKS))
        self.revenue = _zeros(h, self.n_tiers * 2)
        self.recurring_revenue = [0.0] * h
        self.costs = _zeros(h, len(COSTS))
        self.marketing_by_channel = _zeros(h, self.n_channels)
        self.gross_profit_by_channel = _zeros(h, ch)
        self.revenue_by_channel = _zeros(h, ch)
        for name in ("purchases", "base_purchases", "base_revenue", "upsells", "win_backs",
                     "requests", "waited", "wait_days", "cohort_clients", "cohort_value",
                     "cohort_tail"):
            setattr(self, name, [0.0] * h)
        for name in SEGMENT_RECORDS:
            setattr(self, name, _zeros(h, self.n_segments))
        self._integral = [0.0] * N_STATES
        self._last = [0.0] * N_STATES
        self._closed_integral = [0.0] * N_STATES

    # -- state accounting -------------------------------------------------------------------
    def enter(self, state: int, now: float, month: int) -> None:
        """A new agent appears in `state` (a lead arrives, or a starting client)."""
        count = self.count
        self._integral[state] += count[state] * (now - self._last[state])
        self._last[state] = now
        count[state] += 1
        self.flows[month][state * N_STATES + state] += 1  # the diagonal counts arrivals

    def move(self, a: int, b: int, now: float, month: int) -> None:
        """One agent moves from state a to state b."""
        integral, last, count = self._integral, self._last, self.count
        integral[a] += count[a] * (now - last[a])
        last[a] = now
        integral[b] += count[b] * (now - last[b])
        last[b] = now
        count[a] -= 1
        count[b] += 1
        self.flows[month][a * N_STATES + b] += 1

    def move_via(self, a: int, via: int, b: int, now: float, month: int) -> None:
        """One agent moves from a to b through `via` at the same moment (a lead that finds a
        manager free passes through the queue without waiting): both flows are recorded, and no
        time is spent in `via`. The same as `move(a, via)` then `move(via, b)`, for less work."""
        integral, last, count = self._integral, self._last, self.count
        integral[a] += count[a] * (now - last[a])
        last[a] = now
        integral[b] += count[b] * (now - last[b])
        last[b] = now
        count[a] -= 1
        count[b] += 1
        flows = self.flows[month]
        flows[a * N_STATES + via] += 1
        flows[via * N_STATES + b] += 1

    def _settle(self, s: int, now: float) -> None:
        self._integral[s] += self.count[s] * (now - self._last[s])
        self._last[s] = now

    def close_month(self, month: int, now: float) -> None:
        """Record month-end counts and the month's agent-days in every state."""
        for s in range(N_STATES):
            self._settle(s, now)
            self.occupancy[month][s] = self._integral[s] - self._closed_integral[s]
            self._closed_integral[s] = self._integral[s]
            self.state_end[month][s] = self.count[s]

    def lose(self, state_from: int, leak: str, value: float, now: float, month: int,
             segment: int, ad_cost: float = 0.0) -> None:
        """One agent of `segment` lost at `leak`, worth `value`, whose lead cost `ad_cost` in
        advertising."""
        state, index = _LEAK_STATE_INDEX[leak]
        self.move(state_from, state, now, month)
        self.lost_value[month][index] += value
        self.lost_ad[month][index] += ad_cost
        self.segment_lost_value[month][segment] += value

    # -- output -------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Every record as a numpy array whose first axis is the month (cohorts: cohort month)."""
        out = {name: np.asarray(getattr(self, name), dtype=float) for name in RECORDS}
        out["flows"] = out["flows"].reshape(self.horizon, N_STATES, N_STATES)
        out["revenue"] = out["revenue"].reshape(self.horizon, self.n_tiers, 2)
        return out


# Every record of a ledger (its lists by month), in the order `arrays()` gives them.
RECORDS = ("state_end", "occupancy", "flows", "leads", "new_clients", "lost_value", "lost_ad",
           "revenue", "recurring_revenue", "costs", "marketing_by_channel",
           "gross_profit_by_channel", "purchases", "base_purchases", "base_revenue", "upsells",
           "win_backs", "requests", "waited", "wait_days", "cohort_clients", "cohort_value",
           "cohort_tail", "revenue_by_channel", *SEGMENT_RECORDS)


class BookedLedger(Ledger):
    """A closed ledger booked at once (the fast engine's, `sim.engines.fast.fill`): its records
    are read-only arrays, as `arrays()` gives them, and a record read as a list (`led.leads`) is
    made from its array when first read. Making every list of every replication was most of
    the engine's Python time in a comparison (and its many small lists woke the garbage
    collector); metrics read the arrays."""

    def __init__(self, horizon: int, n_channels: int, n_tiers: int, n_segments: int,
                 records: dict[str, np.ndarray], count: list[int], customer_equity: float,
                 events: int) -> None:
        missing = [name for name in RECORDS if name not in records]
        if missing:
            raise ValueError(f"a booked ledger needs every record; missing: {missing}")
        self.horizon, self.n_channels, self.n_tiers = horizon, n_channels, n_tiers
        self.n_segments = n_segments
        self.count, self.customer_equity, self.events = count, customer_equity, events
        self._records = {name: records[name] for name in RECORDS}  # by month, as the lists
        self._lists: dict[str, list[Any]] = {}
        arrays = dict(self._records)
        arrays["flows"] = arrays["flows"].reshape(horizon, N_STATES, N_STATES)
        arrays["revenue"] = arrays["revenue"].reshape(horizon, n_tiers, 2)
        for value in arrays.values():
            value.flags.writeable = False  # shared by every reader: none may change it
        self._arrays = arrays
        # the running integrals, as `close_month` leaves them at the horizon
        total = arrays["occupancy"].sum(axis=0).tolist()
        self._integral, self._closed_integral = list(total), list(total)
        self._last = [horizon * DAYS_PER_MONTH] * N_STATES

    def arrays(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)

    def _list(self, name: str) -> list[Any]:
        value = self._lists.get(name)
        if value is None:
            value = self._lists[name] = self._records[name].tolist()
        return value


def _record_list(name: str) -> property:
    return property(lambda self: self._list(name), doc=f"the ledger's {name}, as lists")


for _name in RECORDS:
    setattr(BookedLedger, _name, _record_list(_name))
