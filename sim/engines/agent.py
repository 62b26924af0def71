"""The agent engine: every lead and client is an agent driven by SimPy events; the sales team is a
FIFO queue served by a finite number of managers.

`simulate(compiled, seed)` is the whole public surface: a pure function of the compiled scenario
and a seed, returning the run's closed `Ledger`.

Speed. A replication processes a few hundred thousand events, so the cost of each counts:
- a contact is one event (its end), not a `simpy.Resource` request, timeout and release (`_Team`);
- agents run without `simpy.Process`'s start and end events (`_Agent`); leads, clients and the
  arrivals, the hot paths, are driven by their events' callbacks instead of generators, and each
  is itself the event it waits on (`_Scheduled`: no Timeout object per step);
- clients' anniversaries and leads' follow-up touches, which come due in the order they are
  scheduled, wait in FIFO queues beside SimPy's (`_Fifo`), so its heap stays small (~110
  entries instead of ~2,300) and every push and pop of it is cheaper;
- what a client's month needs from the month's parameters is worked out once a run
  (`_ClientTerms`);
- a lead lost in the CRM is booked at arrival, and the routing delay costs no event;
- the current month is kept by the month process, not computed from the clock at every step.
None of this changes what happens or when: the same seed gives the same choices at the same times.

Randomness and common random numbers. Each lead owns a fixed row of uniform numbers, one slot per
decision (`_SLOT_*`), taken from its channel's stream in arrival order; a client owns a
`random.Random` seeded from its lead's row. So lead number i of a channel makes the same choices
in every alternative run that does not change what it meets, which is what makes comparisons of
bets paired (common random numbers). Python's `random.Random` is used for the agents because a
scalar draw costs a fraction of a numpy scalar draw, and the engine makes millions of them.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Generator
from heapq import heappush as _heappush
from math import log as _log
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT, Event, Timeout

from models.accounting.ledger import LEAKS, OPEN_LEAD_STATES, C, Ledger, S
from models.compiled.form import (
    MAX_TOUCHES,
    BuyingParams,
    CompiledScenario,
    CustomerBaseParams,
    Params,
    TierParams,
    client_revenue_within,
)
from models.compiled.units import DAYS_PER_MONTH, discount_per_day
from models.compiled.worth import FIRST_CONTACT, LATE, UNPAID, UNPROCESSED
from models.compiled.worth import FOLLOW_UP as W_FOLLOW_UP
from sim.engines.recorder import Recorder

# Slots of a lead's row of uniforms.
_SLOT_SEGMENT, _SLOT_LOST, _SLOT_INTEREST, _SLOT_CLOSE, _SLOT_DROP = 0, 1, 2, 3, 4
_SLOT_COMMITTEE, _SLOT_TIER, _SLOT_PAID, _SLOT_PAY_DELAY, _SLOT_ONBOARD = 5, 6, 7, 8, 9
_SLOT_CLIENT_SEED = 10
_SLOT_TOUCH = 12  # contact k uses 12 + 2k (handling time) and 13 + 2k (close)
_ROW = _SLOT_TOUCH + 2 * (MAX_TOUCHES + 1)
_CHUNK = 512

# Stream kinds, mixed into agent seeds.
_LEADS, _ARRIVALS, _INITIAL, _CUSTOMER_BASE = 1, 2, 3, 4
# Stream group of referral leads: a constant, not the channel count, so that a bet adding a
# channel leaves the referral leads' random numbers (and so the comparison's pairing) intact.
_REFERRAL_STREAM = 0xFFFF

NEW, WAITING, IN_CONTACT, FOLLOW_UP = S["new"], S["waiting"], S["in_contact"], S["follow_up"]
DECIDING, INVOICED, ACTIVE, CHURNED = S["deciding"], S["invoiced"], S["active"], S["churned"]
_COGS, _COMMISSION, _DEVELOPMENT = C["cost_of_goods"], C["commission"], C["development"]
LIFETIME_CAP_MONTHS = 120  # horizon of the tail value when churn is zero
# `heapq.heappush` onto SimPy's queue, typed loosely: the queue holds agents as events too.
_push: Callable[[Any, Any], None] = _heappush


class _UrgentTimeout(Event):
    """A timeout processed before ordinary events at the same moment (month closing)."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT, delay)


class _Agent:
    """Drives one agent's generator on SimPy events, as `simpy.Process` does, minus two events
    per agent: its start (the generator's first step runs at once, at the moment the agent is
    created, where a Process would schedule an `Initialize` event for the same moment) and its
    end (a Process is itself an event, triggered when the generator returns; nobody waits for an
    agent to finish). The agent's events never fail, so there is no exception to route: an error
    in the generator propagates out of `env.run` as it would from a Process."""

    __slots__ = ("generator",)

    def __init__(self, generator: Generator[Event, Any, Any]) -> None:
        self.generator = generator
        try:
            target = generator.send(None)
        except StopIteration:
            return
        target.callbacks.append(self.resume)  # type: ignore[union-attr]

    def resume(self, event: Event) -> None:
        try:
            target = self.generator.send(event._value)
        except StopIteration:
            return
        target.callbacks.append(self.resume)  # type: ignore[union-attr]


class _Scheduled:
    """An agent that is its own SimPy event, for agents on the hot paths.

    SimPy's loop (`Environment.step`) pops (time, priority, id, event) off its queue, takes the
    event's `callbacks` (setting them to None), calls each with the event, then checks
    `event._ok`. An object with those two attributes that puts itself on the queue with the
    callback of its next step is, to the loop, an event like a `Timeout`, minus the Event object
    (its creation and its callback list to append to) that a Timeout costs at every step. The
    event id comes from the environment's counter at the moment the step is scheduled, as a
    Timeout's would, so simultaneous events run in the same order and the count of events is
    the same. An agent is on the queue at most once at a time."""

    __slots__ = ("callbacks",)
    _ok = True  # the agent's events never fail
    callbacks: list[Callable[[Any], None]] | None

    def _after(self, env: simpy.Environment, delay: float,
               callback: Callable[[Any], None]) -> None:
        """Run `callback` in `delay` days (what a `Timeout(env, delay)` with it would do)."""
        self.callbacks = [callback]
        _push(env._queue, (env._now + delay, NORMAL, next(env._eid), self))


class _Fifo(_Scheduled):
    """Agents' coming steps that nearly always come due in the order they are scheduled (a
    client's anniversary, a month on; a lead's next touch, the follow-up interval on), kept in
    a FIFO queue beside SimPy's.

    Why: the ~3,000 active clients each wait a month for their next anniversary, so they were
    most of SimPy's queue, a binary heap, and every push and pop of it pays about log2(length)
    tuple comparisons, for every event of the run. Steps scheduled a constant delay ahead come
    due in the order they were scheduled, so a FIFO keeps them in order with no comparisons.
    Only the earliest is on SimPy's queue, under its own time and event id (taken when it was
    scheduled, as its Timeout's would be), so SimPy runs the events in exactly the order, and
    counts exactly the events, it would with every step on its queue. A step due earlier than
    the FIFO's last (an anniversary after a mid-month purchase; a changed interval) goes on
    SimPy's queue directly.

    Invariant: this object is on SimPy's queue iff the FIFO is not empty, keyed as its head."""

    __slots__ = ("due", "env", "fifo")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.fifo: deque[tuple[float, int, Callable[[Any], None]]] = deque()
        # Its callbacks, made once: SimPy only reads an event's list (and then drops it).
        self.due: list[Callable[[Any], None]] = [self._due]

    def add(self, agent: _Scheduled, callback: Callable[[Any], None], at: float) -> None:
        """Run `agent`'s `callback` at `at` (days, absolute), as its own SimPy event."""
        env, fifo = self.env, self.fifo
        eid = next(env._eid)
        if not fifo:
            fifo.append((at, eid, callback))
            self.callbacks = self.due
            _push(env._queue, (at, NORMAL, eid, self))
        elif at >= fifo[-1][0]:  # (at a tie, the later id comes later in SimPy's order too)
            fifo.append((at, eid, callback))
        else:
            agent.callbacks = [callback]
            _push(env._queue, (at, NORMAL, eid, agent))

    def _due(self, event: Any) -> None:
        fifo = self.fifo
        callback = fifo.popleft()[2]
        if fifo:
            at, eid, _ = fifo[0]
            self.callbacks = self.due
            _push(self.env._queue, (at, NORMAL, eid, self))
        callback(event)


class _Team:
    """The sales team: `capacity` managers serving one FIFO queue of contact requests.

    A thin stand-in for `simpy.Resource`, driven by the same SimPy environment. With a Resource a
    contact costs three events (the request, the handling timeout, the release) plus a Request
    and a Release object with their callbacks. Here it costs one: the end of the contact, which
    is scheduled either at once (a manager is free) or when a manager who finishes a contact
    takes the next lead off the queue (`release`). The queue is real and FIFO, so response time
    grows with load exactly as with the Resource: a contact starts at the same simulated moment.
    The end of the contact is the lead itself, put on SimPy's queue (see `_Scheduled`).

    The lead's ledger moves that happen when a manager picks it up (waiting -> in_contact) and
    the queue statistics (booked when the wait ends) are written here, at that moment.
    """

    __slots__ = ("busy", "capacity", "env", "ledger", "queue", "run")

    def __init__(self, run: _Run, capacity: int) -> None:
        self.run = run
        self.env = run.env
        self.ledger = run.ledger
        self.capacity = capacity
        self.busy = 0  # managers in a contact; more than `capacity` while leavers finish theirs
        # Waiting leads: (lead, time they joined, handling days). Invariant: someone waits only
        # while every manager is busy (busy >= capacity).
        self.queue: deque[tuple[_Lead, float, float]] = deque()

    def request(self, lead: _Lead, state: int, handling: float) -> None:
        """`lead`, in `state`, asks for a manager now and will occupy one for `handling` days.
        The lead is scheduled (with the callbacks it has set) at the end of its contact, its
        `_value` the wait in days; it calls `release` then."""
        env, ledger = self.env, self.ledger
        now = env._now
        m = self.run.month
        if self.busy < self.capacity:  # then nobody waits: straight to a manager
            self.busy += 1
            ledger.requests[m] += 1
            ledger.move_via(state, WAITING, IN_CONTACT, now, m)
            lead._value = 0.0
            _push(env._queue, (now + handling, NORMAL, next(env._eid), lead))
            return
        ledger.move(state, WAITING, now, m)
        self.queue.append((lead, now, handling))

    def release(self) -> None:
        """A manager finishes a contact: takes the next waiting lead, or becomes free. A manager
        beyond the (reduced) capacity leaves instead."""
        if self.queue and self.busy <= self.capacity:
            lead, since, handling = self.queue.popleft()
            self._start(lead, since, self.env._now, handling)
        else:
            self.busy -= 1

    def resize(self, capacity: int) -> None:
        """New managers take waiting leads at once; leavers finish the contact in hand."""
        self.capacity = capacity
        queue, now = self.queue, self.env._now
        while queue and self.busy < capacity:
            self.busy += 1
            lead, since, handling = queue.popleft()
            self._start(lead, since, now, handling)

    def _start(self, lead: _Lead, since: float, now: float, handling: float) -> None:
        """A manager picks up a lead that asked at `since`: book the wait (in the month it ends,
        so an overloaded month shows) and schedule the end of the contact."""
        ledger, m = self.ledger, self.run.month
        ledger.requests[m] += 1
        wait = now - since
        if wait > 0:
            ledger.waited[m] += 1
            ledger.wait_days[m] += wait
        ledger.move(WAITING, IN_CONTACT, now, m)
        lead._value = wait
        env = self.env
        _push(env._queue, (now + handling, NORMAL, next(env._eid), lead))


class _Rows:
    """A stream of agents' rows of uniforms, one row (`_ROW` slots) per agent in order, drawn
    from numpy in chunks (a chunk costs about as much as a few scalar draws)."""

    __slots__ = ("chunk", "generator", "i")

    def __init__(self, generator: np.random.Generator) -> None:
        self.generator = generator
        self.chunk = np.empty((0, _ROW))
        self.i = _CHUNK

    def next(self) -> list[float]:
        i = self.i
        if i >= _CHUNK:
            self.chunk, i = self.generator.random((_CHUNK, _ROW)), 0
        self.i = i + 1
        return self.chunk[i].tolist()  # one conversion: Python floats are faster to read


class _Lead(_Scheduled):
    """One lead's journey from arrival to a deal or a leak: arrival, first contact, follow-up
    touches. The engine's hot path, so a lead is driven by SimPy events directly rather than by a
    generator: each step below is the callback of the event that ends the previous one (a contact
    is one event, see `_Team`; a touch is the interval's timeout, then its contact). The lead is
    itself the event (`_Scheduled`). The choices and their timing are those of a process that
    waits on the same events. A lead that says yes hands over to the `deal` process.
    """

    __slots__ = ("_value", "ad_cost", "channel", "handling", "quality", "row", "run", "seg",
                 "touch")
    _value: float  # days the lead waited for its contact (set by `_Team`)

    def __init__(self, run: _Run, c: int, row: list[float], touches_done: int = 0,
                 existing: bool = False) -> None:
        """A lead of channel `c` arrives now. A lead of the starting state (`existing`) is not
        counted as a new lead and, if `touches_done` > 0, goes on with its follow-ups."""
        self.run, self.row = run, row
        now, m = run.env._now, run.month
        p = run.timeline[m]
        self.seg = seg = bisect_right(p.segment_cumulative, row[_SLOT_SEGMENT])
        # what its advertising cost (booked with it if it leaks; a starting lead's was spent
        # before the horizon)
        self.ad_cost = 0.0 if existing else run.cost_per_lead(p, c)
        quality = (p.referral_conversion_multiplier if c == run.referral_channel
                   else p.channels[c].conversion_multiplier)
        self.quality = quality * p.segments[seg].conversion_multiplier
        self.channel = run.existing_channel if existing else c  # credited with a new client
        self.touch = touches_done
        if touches_done == 0:
            if existing:
                run.ledger.enter(NEW, now, m)
            # The routing delay (base_response_hours) counts towards the lead's wait, but the
            # lead joins the queue at once: shifting every arrival by the same constant would
            # not change the queue, and it saves an event per lead.
            self.callbacks = [self.first_contact_over]
            run.managers.request(self, NEW, self._handling(p, _SLOT_TOUCH))
        else:
            run.ledger.enter(FOLLOW_UP, now, m)
            self._follow_up(p, FOLLOW_UP)

    def _handling(self, p: Params, slot: int) -> float:
        """Calendar days this contact occupies a manager."""
        if p.handling_exponential:
            return -p.handling_days * math.log(1.0 - self.row[slot])
        return p.handling_days

    def first_contact_over(self, event: Event) -> None:
        run = self.run
        run.managers.release()
        ledger, row, now, m = run.ledger, self.row, run.env._now, run.month
        p = run.timeline[m]
        delay = p.base_response_days + self._value  # routing delay + time in the queue
        if run.recorder is not None:  # (tested here, not in `_record`: a call per event saved)
            run._record(row, "first_response", delay)
        if p.response_half_life_days < math.inf and (
            row[_SLOT_INTEREST] >= 0.5 ** (delay / p.response_half_life_days)
        ):
            ledger.lose(IN_CONTACT, "lost_late",
                        p.loss_worth(LATE, self.quality, self.seg, run.horizon - m), now, m,
                        self.ad_cost)
            run._record(row, "lost_late")
        elif row[_SLOT_CLOSE] < p.first_contact_conversion * self.quality:
            _Agent(run.deal(row, IN_CONTACT, self.seg, self.channel, ad_cost=self.ad_cost))
        elif row[_SLOT_DROP] < p.first_contact_drop:
            ledger.lose(IN_CONTACT, "lost_first_contact",
                        p.loss_worth(FIRST_CONTACT, self.quality, self.seg, run.horizon - m),
                        now, m, self.ad_cost)
            run._record(row, "lost_first_contact")
        else:
            self._follow_up(p, IN_CONTACT)

    def _follow_up(self, p: Params, state: int) -> None:
        """The next follow-up touch after the interval, or lost when they have run out."""
        run = self.run
        if self.touch >= p.max_touches:
            m = run.month
            run.ledger.lose(state, "lost_follow_up", run.timeline[m].loss_worth(
                W_FOLLOW_UP, self.quality, self.seg, run.horizon - m), run.env._now, m,
                self.ad_cost)
            run._record(self.row, "lost_follow_up")
            return
        if state != FOLLOW_UP:
            run.ledger.move(state, FOLLOW_UP, run.env._now, run.month)
        self.touch += 1
        # Slot _SLOT_TOUCH + 2k holds touch k's handling time, the next one its close. The
        # handling time comes from the month the interval begins in (as the first contact's
        # comes from the month of arrival).
        self.handling = self._handling(p, _SLOT_TOUCH + 2 * self.touch)
        run.touches.add(self, self.touch_due, run.env._now + p.touch_interval_days)

    def touch_due(self, event: Event) -> None:
        self.callbacks = [self.touch_over]
        self.run.managers.request(self, FOLLOW_UP, self.handling)

    def touch_over(self, event: Event) -> None:
        run = self.run
        run.managers.release()
        if run.recorder is not None:
            run._record(self.row, "touch", self.touch)
        p = run.timeline[run.month]
        if self.row[_SLOT_TOUCH + 2 * self.touch + 1] < p.conversion_per_touch * self.quality:
            _Agent(run.deal(self.row, IN_CONTACT, self.seg, self.channel,
                            ad_cost=self.ad_cost))
        else:
            self._follow_up(p, IN_CONTACT)


class _Arrivals(_Scheduled):
    """Poisson lead arrivals of one channel, at the rate its month's parameters give. Driven by
    its events' callbacks, like a lead (`_Scheduled`): an arrival is one event."""

    __slots__ = ("arrive", "c", "end", "env", "new_lead", "open_market", "rates", "rnd", "rows",
                 "run")

    def __init__(self, run: _Run, c: int) -> None:
        self.run, self.c, self.env, self.end = run, c, run.env, run.end
        self.rnd = run._random(_ARRIVALS, c, 0)
        self.rows = run._stream(_LEADS, c)
        self.open_market = run.cs.market_size == math.inf
        self.rates = [(p.channels[c].paid_leads + p.channels[c].organic_leads) / DAYS_PER_MONTH
                      for p in run.timeline]  # leads per day, month by month
        self.new_lead = run.new_lead
        self.arrive: list[Callable[[Any], None]] = [self._arrive]  # made once (see `_Fifo`)
        self._next(None)

    def _next(self, event: Any) -> None:
        """Wait for the next arrival; past the month's end, the rate may change: wait for the
        month's end and draw again from there."""
        now = self.env._now
        m = self.run.month
        rate = self.rates[m]
        month_end = (m + 1) * DAYS_PER_MONTH
        # (-log(1 - u) / rate is how `rnd.expovariate(rate)` draws it, without the call.)
        arrival = now - _log(1.0 - self.rnd.random()) / rate if rate > 0 else math.inf
        if arrival >= month_end:
            if month_end < self.end:
                self._after(self.env, month_end - now, self._next)
            return
        env = self.env  # (`_after`, inlined on this hot path)
        self.callbacks = self.arrive
        _push(env._queue, (now + (arrival - now), NORMAL, next(env._eid), self))

    def _arrive(self, event: Any) -> None:
        u = self.rnd.random()  # drawn even in an open market, so the stream stays the same
        if self.open_market or self.run._market_allows(u):
            self.new_lead(self.c, self.rows.next())
        self._next(None)


class _ClientTerms:
    """What a client's month needs from one month's parameters for one tier and segment,
    worked out once a run (the same arithmetic as at each use, so the same numbers)."""

    __slots__ = ("buy", "churn", "interval", "margin", "per_day", "price", "rate", "regular")

    def __init__(self, p: Params, tier: int, segment: int) -> None:
        t = p.tiers[tier]
        self.churn = (p.churn(tier, False, segment), p.churn(tier, True, segment))  # onboarded?
        # Purchases (if not a subscription) a month; with referrals, a month and a day.
        self.buy = 0.0 if t.regular else p.purchase_rate(tier, segment)
        self.rate = self.buy + p.referral_rate
        self.per_day = self.rate / DAYS_PER_MONTH
        self.regular = t.regular
        self.interval = p.payment_interval_days(tier, segment)
        self.price, self.margin = p.price(tier, segment), p.margin(tier, segment)


class _Client(_Scheduled):
    """A client. One of a tier without `buying` lives month by month through `live` and the
    callbacks below; a calibrated buyer through `_Run.buyer_life`.

    Clients are most of a replication's agents late in the run, each with an event a month, so
    like a lead a client is driven by its events' callbacks and is itself the event
    (`_Scheduled`): no generator to resume, no Timeout to create. The choices, their random
    numbers and their timing are those of a process that waits on the same events."""

    __slots__ = ("acquired", "anniversary", "channel", "cohort", "events", "first_month",
                 "next_due", "onboarded", "rnd", "run", "segment", "tier")

    def __init__(self, tier: int, segment: int, onboarded: bool, cohort: int, acquired: float,
                 channel: int, rnd: random.Random) -> None:
        self.tier = tier
        self.segment = segment
        self.onboarded = onboarded
        self.cohort = cohort  # month of first payment; -1 for clients of the starting state
        self.first_month = cohort
        self.acquired = acquired  # day of first payment (negative for the starting state)
        self.channel = channel
        self.rnd = rnd
        self.next_due = math.inf  # day of the next regular (subscription) purchase
        self.anniversary = 0.0  # day of the next monthly anniversary (churn draw)
        # The pass's purchases and referrals still to come, latest first: (day, is a purchase).
        self.events: list[tuple[float, bool]] = []

    def live(self, run: _Run, anniversary: float) -> None:
        """An active client month by month from now: repeat purchases, referrals, churn,
        win-back; the first churn draw at `anniversary`."""
        self.run = run
        run._charge_retention(self, run.env._now)
        self.anniversary = anniversary
        self._pass()

    def _pass(self) -> None:
        """Draws the purchases and referrals from now to the next anniversary for the client's
        current tier, then waits for the first. An upsell mid-month ends the pass so the rest
        of the month is drawn again for the new tier."""
        run, rnd = self.run, self.rnd
        start = run.env._now
        anniversary = self.anniversary
        m = run.month
        terms = run.client_terms[m][self.tier][self.segment]
        buy, rate, total = terms.buy, terms.rate, terms.per_day
        events: list[tuple[float, bool]] = []
        if rate > 0:
            # Exponential gaps, as `rnd.expovariate(total)` draws them (-log(1 - u) / total),
            # without the call: this runs at every client's every month.
            when = start - _log(1.0 - rnd.random()) / total
            while when < anniversary:
                events.append((when, rnd.random() * rate < buy))
                when -= _log(1.0 - rnd.random()) / total
        if terms.regular and self.next_due < anniversary - 1e-9:
            due, interval = self.next_due, terms.interval
            while due < anniversary - 1e-9:
                events.append((due, True))
                due += interval
            events.sort()
        if events:  # usually none: a subscriber pays on its anniversaries
            events.reverse()
            self.events = events
            self._next_event()
        else:
            self._wait_anniversary()

    def _next_event(self) -> None:
        """Wait for the pass's next purchase or referral; none left (or past the horizon): for
        the anniversary."""
        events, env = self.events, self.run.env
        if events and events[-1][0] < self.run.end:
            self._after(env, events[-1][0] - env._now, self._event_due)
        else:
            self._wait_anniversary()

    def _event_due(self, event: Any) -> None:
        run = self.run
        is_purchase = self.events.pop()[1]
        if is_purchase:
            if run._repeat_purchase(self, run.env._now, run.month):  # an upsell: a new pass
                self._pass()
                return
        else:
            run.referral()
        self._next_event()

    def _wait_anniversary(self) -> None:
        run = self.run
        if self.anniversary < run.end:
            now = run.env._now
            run.anniversaries.add(self, self._anniversary_due, now + (self.anniversary - now))

    def _anniversary_due(self, event: Any) -> None:
        """The monthly anniversary: churn (and maybe win-back), else the subscription renews."""
        run = self.run
        now, m = run.env._now, run.month
        p = run.timeline[m]
        if self.rnd.random() < run.client_terms[m][self.tier][self.segment].churn[
                self.onboarded]:
            self._churn(p, now, m)
            return
        if self.next_due <= now + 1e-9 and p.tiers[self.tier].regular:
            run._repeat_purchase(self, now, m)
        self._next_month(now, p)

    def _next_month(self, now: float, p: Params) -> None:
        self.anniversary = now + DAYS_PER_MONTH
        if p.retention_enabled:
            self.run._charge_retention(self, now)
        self._pass()

    def _churn(self, p: Params, now: float, m: int) -> None:
        run = self.run
        ledger = run.ledger
        ledger.move(ACTIVE, CHURNED, now, m)
        del run.active[id(self)]
        if p.win_back_enabled:
            ledger.costs[m][C["win_back"]] += p.win_back_cost
            run._charge_client(self, p.win_back_cost, now)
            if self.rnd.random() < p.win_back_probability:
                if p.win_back_delay_days > 0:
                    self._after(run.env, self.rnd.expovariate(1.0 / p.win_back_delay_days),
                                self._won_back)
                else:
                    self._won_back(None)
                return
        # What the client would have bought before the horizon, had they stayed.
        lost = client_revenue_within(p, self.tier, self.onboarded, self.segment,
                                     run.horizon - m, first_purchase=False)
        ledger.lose(CHURNED, "lost_client", lost, now, m)

    def _won_back(self, event: Any) -> None:
        run = self.run
        ledger = run.ledger
        now, m = run.env._now, run.month
        ledger.move(CHURNED, ACTIVE, now, m)
        run.active[id(self)] = self
        ledger.win_backs[m] += 1
        run._repeat_purchase(self, now, m)
        self._next_month(now, run.timeline[run.month])


class _Run:
    """One replication. Holds the environment, the ledger and the random streams."""

    def __init__(self, cs: CompiledScenario, seed: int | np.random.SeedSequence,
                 recorder: Recorder | None = None) -> None:
        self.cs = cs
        self.recorder = recorder
        self.timeline = cs.timeline
        self.horizon = cs.horizon_months
        self.end = self.horizon * DAYS_PER_MONTH
        self.env = simpy.Environment()
        n_channels = len(cs.channel_names)
        self.referral_channel = n_channels
        self.existing_channel = n_channels + 1  # the starting state's clients, leads, invoices
        self.ledger = Ledger(self.horizon, n_channels, len(cs.tier_names))
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.entropy = [int(x) for x in ss.generate_state(2, np.uint32)]
        self.discount_per_day = discount_per_day(cs.monthly_discount_rate)
        self.clients_ever = 0
        self.active: dict[int, _Client] = {}
        self._rows: dict[tuple[int, int], _Rows] = {}
        # The current month, kept by `months` (its month-closing event comes before anything
        # else at a month's first moment), so that hot paths need not divide the clock.
        self.month = 0
        # The team may change size month by month (a bet hiring, a shock losing a manager):
        # `months` sets the capacity at each month's start; with 0 managers leads wait.
        self.managers = _Team(self, self.timeline[0].managers)
        self.anniversaries = _Fifo(self.env)  # clients' (see `_Fifo`)
        self.touches = _Fifo(self.env)  # leads' next follow-up touches
        self._referral_rnd = self._random(_ARRIVALS, _REFERRAL_STREAM, 0)
        # What a client's month needs from the month's parameters, by month, tier and segment.
        self.client_terms = [[[_ClientTerms(p, t, s) for s in range(len(p.segments))]
                              for t in range(len(p.tiers))] for p in self.timeline]

    # -- random streams ---------------------------------------------------------------------
    def _random(self, kind: int, group: int, index: int) -> random.Random:
        return random.Random((self.entropy[0] << 96) | (self.entropy[1] << 64)
                             | (kind << 56) | (group << 32) | index)

    def _next_row(self, kind: int, group: int) -> list[float]:
        """The next agent's row of uniforms from stream (kind, group)."""
        return self._stream(kind, group).next()

    def _stream(self, kind: int, group: int) -> _Rows:
        key = (kind, group)
        if key not in self._rows:
            self._rows[key] = _Rows(
                np.random.default_rng(np.random.SeedSequence([*self.entropy, kind, group])))
        return self._rows[key]

    # -- helpers ----------------------------------------------------------------------------
    def _month(self, now: float) -> int:
        """The month of day `now` (of any day: at the current moment, `self.month` is cheaper)."""
        m = int(now / DAYS_PER_MONTH)
        return m if m < self.horizon else self.horizon - 1

    def _discount(self, since: float, now: float) -> float:
        return math.exp(-self.discount_per_day * (now - since))

    def _market_allows(self, u: float) -> bool:
        n = self.cs.market_size
        if n == math.inf:
            return True
        count = self.ledger.count
        used = self.clients_ever + sum(count[s] for s in OPEN_LEAD_STATES)
        return u * n < n - used

    # -- processes ---------------------------------------------------------------------------
    def _record(self, row: list[float], event: str, value: float = 0.0) -> None:
        """Tell the recorder (if any) what happened to the lead owning `row` (its identity)."""
        if self.recorder is not None:
            self.recorder.lead_event(id(row), event, self.env.now, value)

    def months(self) -> Generator[Event, Any, None]:
        """Charges each month's fixed costs at its start and closes the books at its end."""
        env, ledger = self.env, self.ledger
        for m in range(self.horizon):
            self.month = m
            p = self.timeline[m]
            costs = ledger.costs[m]
            for c, ch in enumerate(p.channels):
                ledger.marketing_by_channel[m][c] += ch.budget
            for bucket, amount in p.decided_spend().items():
                costs[C[bucket]] += amount
            if self.managers.capacity != p.managers:
                self._set_team(self.managers, p.managers)
            costs[C["overhead"]] += p.overhead_monthly
            if m < self.horizon - 1:
                yield _UrgentTimeout(env, DAYS_PER_MONTH)
                ledger.close_month(m, env.now)

    @staticmethod
    def _set_team(team: _Team, managers: int) -> None:
        """Resize the team. A manager who leaves finishes the contact in hand; new managers
        take waiting leads at once."""
        team.resize(managers)

    def referral(self) -> None:
        if self._market_allows(self._referral_rnd.random()):
            self.new_lead(self.referral_channel, self._next_row(_LEADS, _REFERRAL_STREAM))

    def new_lead(self, c: int, row: list[float]) -> None:
        """A lead arrives. One lost in the CRM is booked at once, with no process of its own."""
        now = self.env._now
        m = self.month
        p = self.timeline[m]
        ledger = self.ledger
        ledger.enter(NEW, now, m)
        ledger.leads[m][c] += 1
        if self.recorder is not None:
            self._record(row, "created", c)
        if row[_SLOT_LOST] < p.lost_unprocessed:
            seg = bisect_right(p.segment_cumulative, row[_SLOT_SEGMENT])
            self._record(row, "lost_unprocessed")
            quality = (p.referral_conversion_multiplier if c == self.referral_channel
                       else p.channels[c].conversion_multiplier)
            ledger.lose(NEW, "lost_unprocessed", p.loss_worth(
                UNPROCESSED, quality * p.segments[seg].conversion_multiplier, seg,
                self.horizon - m), now, m, self.cost_per_lead(p, c))
        else:
            _Lead(self, c, row)

    def cost_per_lead(self, p: Params, c: int) -> float:
        """The advertising money behind one lead of channel `c` this month (referrals: none)."""
        return 0.0 if c == self.referral_channel else p.channels[c].cost_per_lead

    def deal(self, row: list[float], state: int, seg: int, c: int,
             tier: int = -1, ad_cost: float = 0.0) -> Generator[Event, Any, None]:
        """From 'yes' to a paid invoice (a new client) or an unpaid one (a leak). `ad_cost`: what
        the lead's advertising cost."""
        env, ledger = self.env, self.ledger
        p = self.timeline[self.month]
        committee = p.segments[seg].committee_delay_days
        if committee > 0:
            ledger.move(state, DECIDING, env.now, self.month)
            state = DECIDING
            yield Timeout(env, -committee * math.log(1.0 - row[_SLOT_COMMITTEE]))
            p = self.timeline[self.month]
        if tier < 0:
            tier = bisect_right(p.entry_cumulative, row[_SLOT_TIER])
        if state != INVOICED:
            ledger.move(state, INVOICED, env.now, self.month)
            self._record(row, "invoiced")
        delay = -p.invoice_delay_days * math.log(1.0 - row[_SLOT_PAY_DELAY])
        u, q = row[_SLOT_PAID], p.invoice_paid_probability
        paid = u < q
        if not paid and p.reminders > 0 and p.reminder_success > 0:
            # Reuse u's remaining randomness v (uniform): some reminder works with probability
            # 1 - (1 - r)^reminders, and the failures before the first that works are geometric.
            v = (u - q) / (1.0 - q)
            r = p.reminder_success
            if r >= 1.0:
                paid, failures = True, 0
            else:
                paid = v < -math.expm1(p.reminders * math.log1p(-r))
                failures = min(math.floor(math.log1p(-v) / math.log1p(-r)),
                               p.reminders - 1) if paid else 0
            if paid:
                delay += (failures + 1) * p.reminder_interval_days
        if not paid:
            delay += p.reminders * p.reminder_interval_days
        if delay > 0:
            yield Timeout(env, delay)
        now = env.now
        m = self.month
        if not paid:
            # worth a client with the terms of the month it is lost in (not the invoice's)
            ledger.lose(INVOICED, "lost_unpaid", self.timeline[m].loss_worth(
                UNPAID, 1.0, seg, self.horizon - m), now, m, ad_cost)
            self._record(row, "lost_unpaid")
            return
        p = self.timeline[m]
        t = p.tiers[tier]
        onboarded = row[_SLOT_ONBOARD] < t.onboarding_probability
        rnd = random.Random(int(row[_SLOT_CLIENT_SEED] * 2**53) ^ (self.entropy[0] << 53))
        client = _Client(tier, seg, onboarded, m, now, c, rnd)
        ledger.move(INVOICED, ACTIVE, now, m)
        self._record(row, "paid")
        self.clients_ever += 1
        self.active[id(client)] = client
        ledger.new_clients[m][c] += 1
        ledger.cohort_clients[m] += 1
        ledger.costs[m][C["onboarding"]] += t.onboarding_cost
        ledger.cohort_value[m] -= t.onboarding_cost
        self.purchase(client, now, m, repeat=False)
        if t.regular:
            client.next_due = now + self._interval(client, p)
        # The client lives on as an agent of its own (its events no longer pass through the
        # lead's and the deal's generators).
        if t.buying is not None:  # calibrated: own rate, dropout and spend (BG/NBD, Gamma-Gamma)
            _Agent(self.buyer_life(client, *self._draw_buyer(t.buying, rnd)))
        else:
            client.live(self, now + DAYS_PER_MONTH)

    def purchase(self, cl: _Client, now: float, m: int, repeat: bool) -> None:
        ledger = self.ledger
        p = self.timeline[m]
        tiers = p.tiers
        tier = cl.tier
        if repeat and tier + 1 < len(tiers):
            offer = tiers[tier]
            if offer.upsell_offer_cost > 0:
                ledger.costs[m][_DEVELOPMENT] += offer.upsell_offer_cost
                self._charge_client(cl, offer.upsell_offer_cost, now)
            if offer.upsell_probability > 0 and cl.rnd.random() < offer.upsell_probability:
                tier = cl.tier = tier + 1
                ledger.upsells[m] += 1
        t = tiers[tier]
        terms = self.client_terms[m][tier][cl.segment]
        price = terms.price
        ledger.revenue[m][2 * tier + repeat] += price
        if cl.first_month < m:
            ledger.recurring_revenue[m] += price
        costs = ledger.costs[m]
        costs[_COGS] += t.cost_of_goods
        margin = terms.margin
        ledger.gross_profit_by_channel[m][cl.channel] += margin
        if not repeat:
            commission = p.commission_rate * price
            costs[_COMMISSION] += commission
            margin -= commission
        ledger.purchases[m] += 1
        if cl.cohort >= 0:
            ledger.cohort_value[cl.cohort] += margin * math.exp(
                -self.discount_per_day * (now - cl.acquired))
        else:
            ledger.base_purchases[m] += 1
            ledger.base_revenue[m] += price

    def _charge_client(self, cl: _Client, cost: float, now: float) -> None:
        if cl.cohort >= 0:
            self.ledger.cohort_value[cl.cohort] -= cost * self._discount(cl.acquired, now)

    def _repeat_purchase(self, cl: _Client, now: float, m: int) -> bool:
        """A repeat purchase; schedules the next subscription payment. True if it was an upsell."""
        tier = cl.tier
        self.purchase(cl, now, m, repeat=True)
        terms = self.client_terms[m][cl.tier][cl.segment]
        cl.next_due = now + terms.interval if terms.regular else math.inf
        return cl.tier != tier

    @staticmethod
    def _interval(cl: _Client, p: Params) -> float:
        """Days between a subscriber's payments (`Params.payment_interval_days`)."""
        return p.payment_interval_days(cl.tier, cl.segment)

    def _charge_retention(self, cl: _Client, now: float) -> None:
        """The retention programme costs its monthly fee for each client-month started."""
        m = self.month
        p = self.timeline[m]
        if p.retention_enabled and p.retention_cost_per_client_month > 0:
            self.ledger.costs[m][C["retention"]] += p.retention_cost_per_client_month
            self._charge_client(cl, p.retention_cost_per_client_month, now)

    # -- the starting state --------------------------------------------------------------------
    def start(self) -> None:
        ledger, cs = self.ledger, self.cs
        p = self.timeline[0]
        for g, group in enumerate(cs.initial_clients):
            for j in range(group.count):
                rnd = self._random(_INITIAL, g, j)
                seg = group.segment if group.segment >= 0 else bisect_right(
                    p.segment_cumulative, rnd.random())
                onboarded = rnd.random() < group.onboarded_share
                cl = _Client(group.tier, seg, onboarded, -1,
                             -group.tenure_months * DAYS_PER_MONTH, self.existing_channel, rnd)
                ledger.enter(ACTIVE, 0.0, 0)
                self.clients_ever += 1
                self.active[id(cl)] = cl
                t = p.tiers[group.tier]
                # They paid for the current period before day 0: the next anniversary is
                # uniform over the coming month, and a subscription renews on an anniversary
                # (a quarterly one on one of the next three, at random).
                anniversary = rnd.random() * DAYS_PER_MONTH
                if t.regular:
                    interval = self._interval(cl, p)
                    periods = interval / DAYS_PER_MONTH
                    cl.next_due = (anniversary + (rnd.random() * periods // 1) * DAYS_PER_MONTH
                                   if periods >= 1 else rnd.random() * interval)
                cl.live(self, anniversary)
        group_base = len(cs.initial_clients)
        for g, (c, count, touches) in enumerate(cs.initial_leads):
            for _ in range(count):
                row = self._next_row(_INITIAL, group_base + g)
                _Lead(self, c, row, touches_done=touches, existing=True)
        group_base += len(cs.initial_leads)
        for g, (tier, count) in enumerate(cs.initial_invoices):
            for _ in range(count):
                row = self._next_row(_INITIAL, group_base + g)
                seg = bisect_right(p.segment_cumulative, row[_SLOT_SEGMENT])
                ledger.enter(INVOICED, 0.0, 0)
                _Agent(self.deal(row, INVOICED, seg, self.existing_channel, tier))
        if cs.customer_base is not None:
            self.start_customer_base(cs.customer_base)

    # -- calibrated buyers (a tier with `buying`) ----------------------------------------------
    @staticmethod
    def _draw_buyer(b: BuyingParams, rnd: random.Random) -> tuple[float, float, float]:
        """A new client's own purchase rate per day, dropout probability and spend rate nu,
        drawn from the fitted mixing distributions."""
        return (rnd.gammavariate(b.rate_shape, 1.0 / b.rate_rate),
                rnd.betavariate(b.drop_a, b.drop_b), rnd.gammavariate(b.nu_shape, 1.0 / b.nu_rate))

    def start_customer_base(self, base: CustomerBaseParams) -> None:
        """The business's own customers: each is alive with its posterior probability, then
        draws its rate, dropout and spend from its posterior (see
        `models.calibration.bgnbd.Posterior`). A
        customer who dropped out before the start is no agent of this run."""
        for i, alive in enumerate(base.alive):
            rnd = self._random(_CUSTOMER_BASE, 0, i)
            if rnd.random() >= alive:
                continue
            rate = rnd.gammavariate(base.rate_shape[i], 1.0 / base.rate_rate[i])
            drop = rnd.betavariate(base.drop_a[i], base.drop_b[i])
            nu = rnd.gammavariate(base.nu_shape[i], 1.0 / base.nu_rate[i])
            cl = _Client(base.tier, 0, True, -1, 0.0, self.existing_channel, rnd)
            self.ledger.enter(ACTIVE, 0.0, 0)
            self.clients_ever += 1
            self.active[id(cl)] = cl
            _Agent(self.buyer_life(cl, rate, drop, nu, i))

    def buyer_life(self, cl: _Client, rate: float, drop: float, nu: float,
                   customer: int = -1) -> Generator[Event, Any, None]:
        """A calibrated client: Poisson repeat purchases at `rate` per day, each worth
        Gamma(spend_shape, nu) (or the tier price), dropping out after each with `drop`."""
        env, rnd, ledger = self.env, cl.rnd, self.ledger
        while rate > 0:
            when = env.now + rnd.expovariate(rate)
            if when >= self.end:
                return
            yield env.timeout(when - env.now)
            now = env.now
            m = self._month(now)
            t = self.timeline[m].tiers[cl.tier]
            shape = t.buying.spend_shape if t.buying is not None else 0.0
            amount = rnd.gammavariate(shape, 1.0 / nu) if shape > 0 else t.price
            self._book_buyer_purchase(cl, t, amount, now, m)
            if self.recorder is not None:
                self.recorder.purchase(now, amount, customer)
            if rnd.random() < drop:
                ledger.move(ACTIVE, CHURNED, now, m)
                del self.active[id(cl)]
                mean = shape / nu if shape > 0 else t.price
                ledger.lose(CHURNED, "lost_client", rate * (self.end - now) * mean, now, m)
                return

    def _book_buyer_purchase(self, cl: _Client, t: TierParams, amount: float, now: float,
                             m: int) -> None:
        ledger = self.ledger
        ledger.revenue[m][2 * cl.tier + 1] += amount
        if cl.first_month < m:
            ledger.recurring_revenue[m] += amount
        ledger.costs[m][C["cost_of_goods"]] += t.cost_of_goods
        ledger.gross_profit_by_channel[m][cl.channel] += amount - t.cost_of_goods
        ledger.purchases[m] += 1
        if cl.cohort >= 0:
            ledger.cohort_value[cl.cohort] += (amount - t.cost_of_goods) * self._discount(
                cl.acquired, now)
        else:
            ledger.base_purchases[m] += 1
            ledger.base_revenue[m] += amount

    # -- the horizon ---------------------------------------------------------------------------
    def value_at_horizon(self, cl: _Client) -> float:
        """Expected discounted net margin an active client still brings after the horizon.

        Churn is drawn at each anniversary, before that period's purchases, so the periods after
        the next anniversary A each need one more survival: with monthly margin M (net of the
        retention fee), keep = (1 - churn) / (1 + d) and n = LIFETIME_CAP_MONTHS, they are worth
        (1 - churn) * M * sum_{j<n} keep^j, discounted from A. A Poisson buyer also buys for the
        rest of the current period, (A - horizon) months at the purchase rate; a subscriber has
        already paid for it. Upsell and win-back are left out."""
        p = self.timeline[-1]
        t = p.tiers[cl.tier]
        margin = p.purchase_rate(cl.tier, cl.segment) * p.margin(cl.tier, cl.segment)
        fee = p.retention_cost_per_client_month if p.retention_enabled else 0.0
        churn = p.churn(cl.tier, cl.onboarded, cl.segment)
        d = self.cs.monthly_discount_rate
        keep = (1.0 - churn) / (1.0 + d)
        n = LIFETIME_CAP_MONTHS
        periods = n if keep >= 1.0 else (1.0 - keep**n) / (1.0 - keep)
        months_to_anniversary = max(cl.anniversary - self.end, 0.0) / DAYS_PER_MONTH
        value = (1.0 - churn) * (margin - fee) * periods * (1.0 + d) ** -months_to_anniversary
        if not t.regular:
            value += margin * months_to_anniversary
        return value

    def finish(self) -> Ledger:
        ledger = self.ledger
        ledger.close_month(self.horizon - 1, self.end)
        for cl in self.active.values():
            value = self.value_at_horizon(cl)
            ledger.customer_equity += value
            if cl.cohort >= 0:
                ledger.cohort_tail[cl.cohort] += value * self._discount(cl.acquired, self.end)
        ledger.events = next(self.env._eid)  # events scheduled in the run (SimPy's own counter)
        return ledger

    def run(self) -> Ledger:
        env = self.env
        env.process(self.months())
        for c in range(len(self.cs.channel_names)):
            _Arrivals(self, c)
        self.start()
        env.run(until=self.end)
        return self.finish()


def simulate(compiled: CompiledScenario, seed: int | np.random.SeedSequence,
             recorder: Recorder | None = None) -> Ledger:
    """Run the agent engine once: a pure function of the compiled scenario and the seed.
    `recorder` (optional) receives per-event records (`sim.engines.recorder`)."""
    return _Run(compiled, seed, recorder).run()


__all__ = ["LEAKS", "simulate"]
