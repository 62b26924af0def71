"""The agent engine: the readable specification of the model, on SimPy's public API.

Every lead and client is an agent, a SimPy process (`env.process`) that waits on timeouts
(`env.timeout`) and on the sales team; the sales team (`_Team`) is a first-in first-out queue
served by the month's number of managers, so response time grows with load.
`simulate(compiled, seed)` is the whole public surface: a pure function of the compiled scenario
and a seed, returning the run's closed `Ledger`.

The processes, each a generator method of `_Run`:
- `months`: the calendar. Charges each month's fixed costs at its start, resizes the team, and
  closes the books at the month's end (`month_ends`, scheduled before anything else, so that at
  a month's first moment its closing comes first).
- `arrivals`: one per channel, Poisson arrivals at the rate of the month's parameters.
- `lead`: one per lead (arrivals, referrals, the starting state): the first contact
  (`contact`: ask the team, wait for a manager, hold them for the handling time), follow-up
  touches, then `deal` (committee, invoice, reminders);
- `client_life`: one per client, month by month: purchases and referrals, then at the
  anniversary churn (and maybe win-back) or a renewal; `buyer_life` for a calibrated buyer.

Randomness and common random numbers. Each lead owns a fixed row of uniform numbers, one slot per
decision (`SLOT_*`), taken from its channel's stream in arrival order; a client owns a
`random.Random` seeded from its lead's row. So lead number i of a channel makes the same choices
in every alternative run that does not change what it meets, which is what makes comparisons of
bets paired (common random numbers). Python's `random.Random` is used for the agents because a
scalar draw costs a fraction of a numpy scalar draw, and the engine makes millions of them.

Speed is the fast engine's job (`sim.engines.fast`); this one stays plain. Two economies remain,
neither visible in the results: a lead lost in the CRM is booked at arrival with no process, and
the routing delay (base_response_hours) is added to the lead's wait rather than waited out.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from models.accounting.ledger import LEAKS, OPEN_LEAD_STATES, C, Ledger, S
from models.compiled.form import (
    BuyingParams,
    CompiledScenario,
    CustomerBaseParams,
    Params,
    TierParams,
)
from models.compiled.units import DAYS_PER_MONTH, discount_per_day
from models.compiled.value import (
    client_revenue_within,
    tail_value_at_anniversary,
    value_at_horizon,
)
from models.compiled.worth import FIRST_CONTACT, LATE, UNPAID, UNPROCESSED
from models.compiled.worth import FOLLOW_UP as W_FOLLOW_UP
from sim.engines.randomness import (
    K_ARRIVALS,
    K_CUSTOMER_BASE,
    K_INITIAL,
    K_LEADS,
    REFERRAL_STREAM,
    ROW,
    SLOT_CLIENT_SEED,
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
from sim.engines.recorder import Recorder

_CHUNK = 512

NEW, WAITING, IN_CONTACT, FOLLOW_UP = S["new"], S["waiting"], S["in_contact"], S["follow_up"]
DECIDING, INVOICED, ACTIVE, CHURNED = S["deciding"], S["invoiced"], S["active"], S["churned"]
_COGS, _COMMISSION, _DEVELOPMENT = C["cost_of_goods"], C["commission"], C["development"]

Process = Generator[simpy.Event, Any, Any]  # an agent's life, run by `env.process`


class _Team:
    """The sales team: `size` managers serving one first-in first-out queue of contact requests,
    as a `simpy.Resource` does, with a size that may change at a month's start (`resize`).

    A lead asks with `request()`. If a manager is free it gets one at once (None: nothing to
    wait for); otherwise it waits on the event returned (`env.event()`), which succeeds when a
    manager who finishes a contact takes it (`release`) or a new manager joins. So a contact
    costs its handling timeout, plus one event only if the lead had to wait (a `simpy.Store` of
    managers, tried first, adds a get and a put event to every contact: ~300,000 events a
    replication of reference.yaml, more than half again the engine's time). New managers take
    waiting leads at once; one who leaves finishes the contact in hand."""

    def __init__(self, env: simpy.Environment, managers: int) -> None:
        self.env = env
        self.size = managers
        self.busy = 0  # managers in a contact; more than `size` while leavers finish theirs
        # Invariant: a lead waits only while every manager is busy (busy >= size).
        self.queue: deque[simpy.Event] = deque()

    def request(self) -> simpy.Event | None:
        """A lead asks for a manager now: None if it gets one at once, else the event of its
        turn (triggered at the moment a manager takes it)."""
        if self.busy < self.size:
            self.busy += 1
            return None
        turn = self.env.event()
        self.queue.append(turn)
        return turn

    def release(self) -> None:
        """A manager finishes a contact: takes the next waiting lead, or becomes free. A manager
        beyond the (reduced) size leaves instead."""
        if self.queue and self.busy <= self.size:
            self.queue.popleft().succeed()
        else:
            self.busy -= 1

    def resize(self, managers: int) -> None:
        self.size = managers
        while self.queue and self.busy < managers:
            self.busy += 1
            self.queue.popleft().succeed()


class _Rows:
    """A stream of agents' rows of uniforms, one row (`ROW` slots) per agent in order, drawn
    from numpy in chunks (a chunk costs about as much as a few scalar draws)."""

    __slots__ = ("chunk", "generator", "i")

    def __init__(self, generator: np.random.Generator) -> None:
        self.generator = generator
        self.chunk = np.empty((0, ROW))
        self.i = _CHUNK

    def next(self) -> list[float]:
        i = self.i
        if i >= _CHUNK:
            self.chunk, i = self.generator.random((_CHUNK, ROW)), 0
        self.i = i + 1
        return self.chunk[i].tolist()  # one conversion: Python floats are faster to read


class _ClientTerms:
    """What a client's month needs from one month's parameters for one tier and segment,
    worked out once a run (the same arithmetic as at each use, so the same numbers)."""

    __slots__ = ("buy", "churn", "interval", "margin", "per_day", "price", "rate", "regular",
                 "theta_scale")

    def __init__(self, p: Params, tier: int, segment: int) -> None:
        t = p.tiers[tier]
        self.churn = (p.churn(tier, False, segment), p.churn(tier, True, segment))  # onboarded?
        self.theta_scale = p.theta_scale(tier, segment)  # an sBG tier: what multiplies theta
        # Purchases (if not a subscription) a month; with referrals, a month and a day.
        self.buy = 0.0 if t.regular else p.purchase_rate(tier, segment)
        self.rate = self.buy + p.referral_rate
        self.per_day = self.rate / DAYS_PER_MONTH
        self.regular = t.regular
        self.interval = p.payment_interval_days(tier, segment)
        self.price, self.margin = p.price(tier, segment), p.margin(tier, segment)


class _Client:
    """What the engine knows of one client (its life is `_Run.client_life` or `buyer_life`)."""

    __slots__ = ("acquired", "anniversary", "channel", "cohort", "first_month", "months",
                 "next_due", "onboarded", "rnd", "segment", "theta", "theta_tier", "tier")

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
        self.months = 0.0  # anniversaries passed (the starting state: its tenure)
        self.theta = 0.0  # own monthly churn probability, for an sBG tier (`TierParams.sbg`)
        self.theta_tier = -1  # the tier theta was drawn for (-1: none yet)


class _Run:
    """One replication. Holds the environment, the ledger and the random streams."""

    def __init__(self, cs: CompiledScenario, seed: int | np.random.SeedSequence,
                 recorder: Recorder | None = None) -> None:
        self.cs = cs
        self.recorder = recorder
        self.timeline = cs.timeline
        self.horizon = cs.horizon_months
        self.end = self.horizon * DAYS_PER_MONTH
        self.env = env = simpy.Environment()
        # Every month's end, scheduled before any other event: at a month's first moment its
        # closing (`months`) comes before anything else that happens then.
        self.month_ends = [env.timeout((m + 1) * DAYS_PER_MONTH) for m in range(self.horizon - 1)]
        n_channels = len(cs.channel_names)
        self.referral_channel = n_channels
        self.existing_channel = n_channels + 1  # the starting state's clients, leads, invoices
        self.ledger = Ledger(self.horizon, n_channels, len(cs.tier_names),
                             len(cs.timeline[0].segments))
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.entropy = [int(x) for x in ss.generate_state(2, np.uint32)]
        self.discount_per_day = discount_per_day(cs.monthly_discount_rate)
        self.clients_ever = 0
        self.active: dict[int, _Client] = {}
        self._rows: dict[tuple[int, int], _Rows] = {}
        # The current month, kept by `months`, so that agents need not divide the clock.
        self.month = 0
        # The team may change size month by month (a bet hiring, a shock losing a manager):
        # `months` resizes it at each month's start; with 0 managers leads wait.
        self.team = _Team(env, self.timeline[0].managers)
        self._referral_rnd = self._random(K_ARRIVALS, REFERRAL_STREAM, 0)
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

    def _record(self, row: list[float], event: str, value: float = 0.0) -> None:
        """Tell the recorder (if any) what happened to the lead owning `row` (its identity)."""
        if self.recorder is not None:
            self.recorder.lead_event(id(row), event, self.env.now, value)

    # -- the calendar -------------------------------------------------------------------------
    def months(self) -> Process:
        """Charges each month's fixed costs at its start and closes the books at its end."""
        ledger = self.ledger
        for m in range(self.horizon):
            self.month = m
            p = self.timeline[m]
            costs = ledger.costs[m]
            for c, ch in enumerate(p.channels):
                ledger.marketing_by_channel[m][c] += ch.budget
            for bucket, amount in p.decided_spend().items():
                costs[C[bucket]] += amount
            # A manager who leaves finishes the contact in hand; new ones take waiting leads.
            self.team.resize(p.managers)
            costs[C["overhead"]] += p.overhead_monthly
            if m < self.horizon - 1:
                yield self.month_ends[m]
                ledger.close_month(m, self.env.now)

    # -- leads --------------------------------------------------------------------------------
    def arrivals(self, c: int) -> Process:
        """Poisson lead arrivals of channel `c`, at the rate its month's parameters give. Past
        the month's end the rate may change: wait for the month's end and draw again from
        there."""
        env = self.env
        timeout = env.timeout
        rnd = self._random(K_ARRIVALS, c, 0)
        rows = self._stream(K_LEADS, c)
        open_market = self.cs.market_size == math.inf
        rates = [(p.channels[c].paid_leads + p.channels[c].organic_leads) / DAYS_PER_MONTH
                 for p in self.timeline]  # leads per day, month by month
        while True:
            m, now = self.month, env.now
            rate = rates[m]
            arrival = now + rnd.expovariate(rate) if rate > 0 else math.inf
            if arrival >= (m + 1) * DAYS_PER_MONTH:
                if m + 1 >= self.horizon:
                    return
                yield self.month_ends[m]
                continue
            yield timeout(arrival - now)
            u = rnd.random()  # drawn even in an open market, so the stream stays the same
            if open_market or self._market_allows(u):
                self.new_lead(c, rows.next())

    def referral(self) -> None:
        if self._market_allows(self._referral_rnd.random()):
            self.new_lead(self.referral_channel, self._next_row(K_LEADS, REFERRAL_STREAM))

    def new_lead(self, c: int, row: list[float]) -> None:
        """A lead arrives. One lost in the CRM is booked at once, with no process of its own."""
        now = self.env.now
        m = self.month
        p = self.timeline[m]
        ledger = self.ledger
        ledger.enter(NEW, now, m)
        ledger.leads[m][c] += 1
        seg = bisect_right(p.segment_cumulative, row[SLOT_SEGMENT])
        ad_cost = self.cost_per_lead(p, c)
        ledger.segment_leads[m][seg] += 1
        ledger.segment_ad_spend[m][seg] += ad_cost
        if self.recorder is not None:
            self._record(row, "created", c)
        if row[SLOT_LOST] < p.lost_unprocessed:
            self._record(row, "lost_unprocessed")
            quality = (p.referral_conversion_multiplier if c == self.referral_channel
                       else p.channels[c].conversion_multiplier)
            ledger.lose(NEW, "lost_unprocessed", p.loss_worth(
                UNPROCESSED, quality * p.segments[seg].conversion_multiplier, seg,
                self.horizon - m), now, m, seg, ad_cost)
        else:
            self.env.process(self.lead(c, row, seg=seg))

    def cost_per_lead(self, p: Params, c: int) -> float:
        """The advertising money behind one lead of channel `c` this month (referrals: none)."""
        return 0.0 if c == self.referral_channel else p.channels[c].cost_per_lead

    @staticmethod
    def _handling(p: Params, row: list[float], slot: int) -> float:
        """Calendar days this contact occupies a manager."""
        if p.handling_exponential:
            return -p.handling_days * math.log(1.0 - row[slot])
        return p.handling_days

    def contact(self, state: int, handling: float) -> Generator[simpy.Event, Any, float]:
        """A lead in `state` asks for a manager, waits for one (first-in first-out), keeps them
        for `handling` days and lets them go. Returns the days it waited. The wait is booked
        in the month it ends, so an overloaded month shows."""
        env, ledger = self.env, self.ledger
        asked, m = env.now, self.month
        turn = self.team.request()
        if turn is None:  # a manager is free: the lead passes through the queue at once
            ledger.requests[m] += 1
            ledger.move_via(state, WAITING, IN_CONTACT, asked, m)
            wait = 0.0
        else:
            ledger.move(state, WAITING, asked, m)
            yield turn
            now, m = env.now, self.month
            ledger.requests[m] += 1
            wait = now - asked
            if wait > 0:
                ledger.waited[m] += 1
                ledger.wait_days[m] += wait
            ledger.move(WAITING, IN_CONTACT, now, m)
        yield env.timeout(handling)
        self.team.release()
        return wait

    def lead(self, c: int, row: list[float], touches_done: int = 0,
             existing: bool = False, seg: int | None = None) -> Process:
        """One lead's journey from arrival to a deal or a leak: the first contact, then
        follow-up touches. A lead of channel `c` arrives now; one of the starting state
        (`existing`) is not counted as a new lead and, if `touches_done` > 0, goes on with its
        follow-ups. A lead that says yes goes on to `deal`."""
        env, ledger = self.env, self.ledger
        now, m = env.now, self.month
        p = self.timeline[m]
        if seg is None:  # (a new lead's segment was drawn on arrival, and booked)
            seg = bisect_right(p.segment_cumulative, row[SLOT_SEGMENT])
        # what its advertising cost (booked with it if it leaks; a starting lead's was spent
        # before the horizon)
        ad_cost = 0.0 if existing else self.cost_per_lead(p, c)
        quality = (p.referral_conversion_multiplier if c == self.referral_channel
                   else p.channels[c].conversion_multiplier) * p.segments[seg].conversion_multiplier
        channel = self.existing_channel if existing else c  # credited with a new client
        touch = touches_done
        if touches_done == 0:
            if existing:
                ledger.enter(NEW, now, m)
            # The routing delay (base_response_hours) counts towards the lead's wait, but the
            # lead joins the queue at once: shifting every arrival by the same constant would
            # not change the queue, and it saves an event per lead.
            waited = yield from self.contact(NEW, self._handling(p, row, SLOT_TOUCH))
            now, m = env.now, self.month
            p = self.timeline[m]
            delay = p.base_response_days + waited
            if self.recorder is not None:  # (tested here: a call per lead saved)
                self._record(row, "first_response", delay)
            if p.response_half_life_days < math.inf and (
                row[SLOT_INTEREST] >= 0.5 ** (delay / p.response_half_life_days)
            ):
                ledger.lose(IN_CONTACT, "lost_late",
                            p.loss_worth(LATE, quality, seg, self.horizon - m), now, m, seg,
                            ad_cost)
                self._record(row, "lost_late")
                return
            if row[SLOT_CLOSE] < p.first_contact_conversion * quality:
                yield from self.deal(row, IN_CONTACT, seg, channel, ad_cost=ad_cost)
                return
            if row[SLOT_DROP] < p.first_contact_drop:
                ledger.lose(IN_CONTACT, "lost_first_contact",
                            p.loss_worth(FIRST_CONTACT, quality, seg, self.horizon - m), now, m,
                            seg, ad_cost)
                self._record(row, "lost_first_contact")
                return
            state = IN_CONTACT
        else:
            ledger.enter(FOLLOW_UP, now, m)
            state = FOLLOW_UP
        while True:  # follow-up touches, each after the interval, until a yes or none is left
            if touch >= p.max_touches:
                m = self.month
                ledger.lose(state, "lost_follow_up", self.timeline[m].loss_worth(
                    W_FOLLOW_UP, quality, seg, self.horizon - m), env.now, m, seg, ad_cost)
                self._record(row, "lost_follow_up")
                return
            if state != FOLLOW_UP:
                ledger.move(state, FOLLOW_UP, env.now, self.month)
            touch += 1
            # Slot SLOT_TOUCH + 2k holds touch k's handling time, the next one its close. The
            # handling time comes from the month the interval begins in (as the first
            # contact's comes from the month of arrival).
            handling = self._handling(p, row, SLOT_TOUCH + 2 * touch)
            yield env.timeout(p.touch_interval_days)
            yield from self.contact(FOLLOW_UP, handling)
            if self.recorder is not None:
                self._record(row, "touch", touch)
            p = self.timeline[self.month]
            if row[SLOT_TOUCH + 2 * touch + 1] < p.conversion_per_touch * quality:
                yield from self.deal(row, IN_CONTACT, seg, channel, ad_cost=ad_cost)
                return
            state = IN_CONTACT

    def deal(self, row: list[float], state: int, seg: int, c: int,
             tier: int = -1, ad_cost: float = 0.0) -> Process:
        """From 'yes' to a paid invoice (a new client) or an unpaid one (a leak). `ad_cost`: what
        the lead's advertising cost."""
        env, ledger = self.env, self.ledger
        p = self.timeline[self.month]
        committee = p.segments[seg].committee_delay_days
        if committee > 0:
            ledger.move(state, DECIDING, env.now, self.month)
            state = DECIDING
            yield env.timeout(-committee * math.log(1.0 - row[SLOT_COMMITTEE]))
            p = self.timeline[self.month]
        if tier < 0:
            tier = bisect_right(p.entry_cumulative, row[SLOT_TIER])
        if state != INVOICED:
            ledger.move(state, INVOICED, env.now, self.month)
            self._record(row, "invoiced")
        delay = -p.invoice_delay_days * math.log(1.0 - row[SLOT_PAY_DELAY])
        u, q = row[SLOT_PAID], p.invoice_paid_probability
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
            yield env.timeout(delay)
        now = env.now
        m = self.month
        if not paid:
            # worth a client with the terms of the month it is lost in (not the invoice's)
            ledger.lose(INVOICED, "lost_unpaid", self.timeline[m].loss_worth(
                UNPAID, 1.0, seg, self.horizon - m), now, m, seg, ad_cost)
            self._record(row, "lost_unpaid")
            return
        p = self.timeline[m]
        t = p.tiers[tier]
        onboarded = row[SLOT_ONBOARD] < t.onboarding_probability
        rnd = random.Random(int(row[SLOT_CLIENT_SEED] * 2**53) ^ (self.entropy[0] << 53))
        client = _Client(tier, seg, onboarded, m, now, c, rnd)
        ledger.move(INVOICED, ACTIVE, now, m)
        self._record(row, "paid")
        self.clients_ever += 1
        self.active[id(client)] = client
        ledger.new_clients[m][c] += 1
        ledger.segment_new_clients[m][seg] += 1
        ledger.cohort_clients[m] += 1
        ledger.costs[m][C["onboarding"]] += t.onboarding_cost
        ledger.cohort_value[m] -= t.onboarding_cost
        self.purchase(client, now, m, repeat=False)
        if t.regular:
            client.next_due = now + p.payment_interval_days(tier, seg)
        # The client lives on as an agent of its own (its events no longer pass through the
        # lead's and the deal's generators).
        if t.buying is not None:  # calibrated: own rate, dropout and spend (BG/NBD, Gamma-Gamma)
            env.process(self.buyer_life(client, *self._draw_buyer(t.buying, rnd)))
        else:
            env.process(self.client_life(client, now + DAYS_PER_MONTH))

    # -- clients ------------------------------------------------------------------------------
    def client_life(self, cl: _Client, anniversary: float) -> Process:
        """An active client month by month from now: repeat purchases and referrals through the
        month, then at its anniversary churn (and maybe win-back), else a subscription renews;
        the first churn draw at `anniversary`."""
        env, rnd, ledger, end = self.env, cl.rnd, self.ledger, self.end
        timeout = env.timeout
        self._charge_retention(cl, env.now)
        cl.anniversary = anniversary
        while True:
            events = self._month_events(cl)
            while events:
                when, is_purchase = events.pop()
                if when >= end:
                    return
                yield timeout(when - env.now)
                if not is_purchase:
                    self.referral()
                elif self._repeat_purchase(cl, env.now, self.month):
                    events = self._month_events(cl)  # an upsell: the rest of the month anew
            if cl.anniversary >= end:
                return
            yield timeout(cl.anniversary - env.now)
            now, m = env.now, self.month
            p = self.timeline[m]
            terms = self.client_terms[m][cl.tier][cl.segment]
            t = p.tiers[cl.tier]
            if t.sbg:  # own churn, drawn at the first anniversary in the tier given survival
                if cl.theta_tier != cl.tier:
                    cl.theta = rnd.betavariate(t.sbg_alpha, t.sbg_beta + cl.months)
                    cl.theta_tier = cl.tier
                churn = p.churn_of(cl.theta, terms.theta_scale)
            else:
                churn = terms.churn[cl.onboarded]
            cl.months += 1.0
            if rnd.random() < churn:
                ledger.move(ACTIVE, CHURNED, now, m)
                del self.active[id(cl)]
                if not p.win_back_enabled:
                    self._lose_client(cl, p, now, m)
                    return
                ledger.costs[m][C["win_back"]] += p.win_back_cost
                self._charge_client(cl, p.win_back_cost, now)
                if rnd.random() >= p.win_back_probability:
                    self._lose_client(cl, p, now, m)
                    return
                if p.win_back_delay_days > 0:
                    yield timeout(rnd.expovariate(1.0 / p.win_back_delay_days))
                now, m = env.now, self.month  # won back
                ledger.move(CHURNED, ACTIVE, now, m)
                self.active[id(cl)] = cl
                ledger.win_backs[m] += 1
                self._repeat_purchase(cl, now, m)
                p = self.timeline[m]
            elif cl.next_due <= now + 1e-9 and p.tiers[cl.tier].regular:
                self._repeat_purchase(cl, now, m)
            cl.anniversary = now + DAYS_PER_MONTH
            if p.retention_enabled:
                self._charge_retention(cl, now)

    def _month_events(self, cl: _Client) -> list[tuple[float, bool]]:
        """The client's purchases and referrals from now to its next anniversary, drawn at once
        for its current tier: (day, is a purchase (else a referral)), latest first."""
        rnd = cl.rnd
        start, anniversary = self.env.now, cl.anniversary
        terms = self.client_terms[self.month][cl.tier][cl.segment]
        buy, rate, total = terms.buy, terms.rate, terms.per_day
        events: list[tuple[float, bool]] = []
        if rate > 0:
            when = start + rnd.expovariate(total)
            while when < anniversary:
                events.append((when, rnd.random() * rate < buy))
                when += rnd.expovariate(total)
        if terms.regular and cl.next_due < anniversary - 1e-9:
            due, interval = cl.next_due, terms.interval
            while due < anniversary - 1e-9:
                events.append((due, True))
                due += interval
            events.sort()
        events.reverse()
        return events

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
        ledger.revenue_by_channel[m][cl.channel] += price
        ledger.segment_revenue[m][cl.segment] += price
        ledger.segment_gross_profit[m][cl.segment] += margin
        if not repeat:
            commission = p.commission_rate * price
            costs[_COMMISSION] += commission
            margin -= commission
        ledger.purchases[m] += 1
        if cl.cohort >= 0:
            ledger.cohort_value[cl.cohort] += margin * self._discount(cl.acquired, now)
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

    def _charge_retention(self, cl: _Client, now: float) -> None:
        """The retention programme costs its monthly fee for each client-month started."""
        m = self.month
        p = self.timeline[m]
        if p.retention_enabled and p.retention_cost_per_client_month > 0:
            self.ledger.costs[m][C["retention"]] += p.retention_cost_per_client_month
            self._charge_client(cl, p.retention_cost_per_client_month, now)

    def _lose_client(self, cl: _Client, p: Params, now: float, m: int) -> None:
        """A churned client gone for good: what they would have bought before the horizon, had
        they stayed, is the leak."""
        lost = client_revenue_within(p, cl.tier, cl.onboarded, cl.segment, self.horizon - m,
                                     first_purchase=False)
        self.ledger.lose(CHURNED, "lost_client", lost, now, m, cl.segment)

    # -- the starting state --------------------------------------------------------------------
    def start(self) -> None:
        env, ledger, cs = self.env, self.ledger, self.cs
        p = self.timeline[0]
        for g, group in enumerate(cs.initial_clients):
            for j in range(group.count):
                rnd = self._random(K_INITIAL, g, j)
                seg = group.segment if group.segment >= 0 else bisect_right(
                    p.segment_cumulative, rnd.random())
                onboarded = rnd.random() < group.onboarded_share
                cl = _Client(group.tier, seg, onboarded, -1,
                             -group.tenure_months * DAYS_PER_MONTH, self.existing_channel, rnd)
                cl.months = group.tenure_months
                ledger.enter(ACTIVE, 0.0, 0)
                self.clients_ever += 1
                self.active[id(cl)] = cl
                t = p.tiers[group.tier]
                # They paid for the current period before day 0: the next anniversary is
                # uniform over the coming month, and a subscription renews on an anniversary
                # (a quarterly one on one of the next three, at random).
                anniversary = rnd.random() * DAYS_PER_MONTH
                if t.regular:
                    interval = p.payment_interval_days(cl.tier, cl.segment)
                    periods = interval / DAYS_PER_MONTH
                    cl.next_due = (anniversary + (rnd.random() * periods // 1) * DAYS_PER_MONTH
                                   if periods >= 1 else rnd.random() * interval)
                env.process(self.client_life(cl, anniversary))
        group_base = len(cs.initial_clients)
        for g, (c, count, touches) in enumerate(cs.initial_leads):
            for _ in range(count):
                row = self._next_row(K_INITIAL, group_base + g)
                env.process(self.lead(c, row, touches_done=touches, existing=True))
        group_base += len(cs.initial_leads)
        for g, (tier, count) in enumerate(cs.initial_invoices):
            for _ in range(count):
                row = self._next_row(K_INITIAL, group_base + g)
                seg = bisect_right(p.segment_cumulative, row[SLOT_SEGMENT])
                ledger.enter(INVOICED, 0.0, 0)
                env.process(self.deal(row, INVOICED, seg, self.existing_channel, tier))
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
            rnd = self._random(K_CUSTOMER_BASE, 0, i)
            if rnd.random() >= alive:
                continue
            rate = rnd.gammavariate(base.rate_shape[i], 1.0 / base.rate_rate[i])
            drop = rnd.betavariate(base.drop_a[i], base.drop_b[i])
            nu = rnd.gammavariate(base.nu_shape[i], 1.0 / base.nu_rate[i])
            cl = _Client(base.tier, 0, True, -1, 0.0, self.existing_channel, rnd)
            self.ledger.enter(ACTIVE, 0.0, 0)
            self.clients_ever += 1
            self.active[id(cl)] = cl
            self.env.process(self.buyer_life(cl, rate, drop, nu, i))

    def buyer_life(self, cl: _Client, rate: float, drop: float, nu: float,
                   customer: int = -1) -> Process:
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
                ledger.lose(CHURNED, "lost_client", rate * (self.end - now) * mean, now, m,
                            cl.segment)
                return

    def _book_buyer_purchase(self, cl: _Client, t: TierParams, amount: float, now: float,
                             m: int) -> None:
        ledger = self.ledger
        ledger.revenue[m][2 * cl.tier + 1] += amount
        if cl.first_month < m:
            ledger.recurring_revenue[m] += amount
        ledger.costs[m][C["cost_of_goods"]] += t.cost_of_goods
        ledger.gross_profit_by_channel[m][cl.channel] += amount - t.cost_of_goods
        ledger.revenue_by_channel[m][cl.channel] += amount
        ledger.segment_revenue[m][cl.segment] += amount
        ledger.segment_gross_profit[m][cl.segment] += amount - t.cost_of_goods
        ledger.purchases[m] += 1
        if cl.cohort >= 0:
            ledger.cohort_value[cl.cohort] += (amount - t.cost_of_goods) * self._discount(
                cl.acquired, now)
        else:
            ledger.base_purchases[m] += 1
            ledger.base_revenue[m] += amount

    # -- the horizon ---------------------------------------------------------------------------
    def value_at_horizon(self, cl: _Client) -> float:
        """Expected discounted net margin an active client still brings after the horizon, at
        the last month's parameters (`models.compiled.value.value_at_horizon`)."""
        p = self.timeline[-1]
        d = self.cs.monthly_discount_rate
        at_anniversary = tail_value_at_anniversary(p, cl.tier, cl.onboarded, cl.segment, d)
        months_to_anniversary = max(cl.anniversary - self.end, 0.0) / DAYS_PER_MONTH
        return value_at_horizon(at_anniversary, p.margin_per_month(cl.tier, cl.segment),
                                p.tiers[cl.tier].regular, months_to_anniversary, d)

    def finish(self) -> Ledger:
        ledger = self.ledger
        ledger.close_month(self.horizon - 1, self.end)
        for cl in self.active.values():
            value = self.value_at_horizon(cl)
            ledger.customer_equity += value
            if cl.cohort >= 0:
                ledger.cohort_tail[cl.cohort] += value * self._discount(cl.acquired, self.end)
        return ledger

    def run(self) -> Ledger:
        env = self.env
        env.process(self.months())
        for c in range(len(self.cs.channel_names)):
            env.process(self.arrivals(c))
        self.start()
        # `env.run(until=self.end)`, counting the events processed (`growthsim bench` divides
        # them by the run's seconds): SimPy keeps no count of its own in its public API.
        step, peek, end = env.step, env.peek, self.end
        events = 0
        while peek() < end:
            step()
            events += 1
        self.ledger.events = events
        return self.finish()


def simulate(compiled: CompiledScenario, seed: int | np.random.SeedSequence,
             recorder: Recorder | None = None) -> Ledger:
    """Run the agent engine once: a pure function of the compiled scenario and the seed.
    `recorder` (optional) receives per-event records (`sim.engines.recorder`)."""
    return _Run(compiled, seed, recorder).run()


__all__ = ["LEAKS", "simulate"]
