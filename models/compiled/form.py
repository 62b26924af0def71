"""The compiled scenario: plain numbers, one parameter set per month, ready for an engine.

Engines read only this form, never the YAML or the spec: every parameter is interpreted here,
once (units converted, shares normalised, curves evaluated), so the agent engine and any later
fast engine cannot disagree about what a parameter means.

Conventions (days, discounting, whole numbers) are worked out in `models.compiled.units`. Monthly
churn is the probability that an active client leaves at each monthly anniversary of their first
purchase. A client's price, margin, purchase rate and payment interval are `Params` methods, the
one definition both engines and the lost-value arithmetic use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from models.calibration.bgnbd import BGNBDParams, posterior
from models.calibration.gamma_gamma import GammaGammaParams, posterior_nu
from models.compiled.calendar import (
    MonthFactors,
    has_calendar,
    month_factors,
    plan_key,
    plan_raw,
)
from models.compiled.saturation import saturation_leads
from models.compiled.units import (
    DAYS_PER_MONTH,
    is_whole_number,
    monthly_discount_rate,
    whole_number,
)
from models.compiled.value import client_values, lead_values
from models.compiled.worth import chance_to_pay

__all__ = ["MAX_TOUCHES"]  # the most follow-up touches a lead can have: engines size rows by it
from models.spec.distributions import _Dist
from models.spec.limits import MAX_TOUCHES
from models.spec.paths import iter_distributions
from models.spec.scenario import Buying, SbgChurn, Scenario, mean_churn


@dataclass(frozen=True, slots=True)
class ChannelParams:
    name: str
    budget: float
    paid_leads: float  # per month, from the saturation curve
    organic_leads: float  # per month
    conversion_multiplier: float

    @property
    def cost_per_lead(self) -> float:
        """The advertising money behind one of the channel's leads: its month's budget over the
        leads it brings (paid and organic); 0 when it brings none."""
        leads = self.paid_leads + self.organic_leads
        return self.budget / leads if leads > 0 else 0.0


@dataclass(frozen=True, slots=True)
class SegmentParams:
    name: str
    share: float
    conversion_multiplier: float
    price_multiplier: float
    churn_multiplier: float
    frequency_multiplier: float
    committee_delay_days: float


@dataclass(frozen=True, slots=True)
class BuyingParams:
    """A tier's calibrated buying (spec `Buying`) in engine units: a client's purchase rate per
    day is Gamma(rate_shape, rate_rate), their dropout after each repeat purchase
    Beta(drop_a, drop_b), each purchase worth Gamma(spend_shape, nu), nu ~ Gamma(nu_shape,
    nu_rate) (spend_shape 0: the tier price)."""

    rate_shape: float
    rate_rate: float  # per day: alpha (per period) times the period's days
    drop_a: float
    drop_b: float
    spend_shape: float
    nu_shape: float
    nu_rate: float


@dataclass(frozen=True, slots=True)
class CustomerBaseParams:
    """The starting customer base, customer by customer (spec `CustomerBase`): the posterior of
    each customer's (lambda, p, nu) given their history (`models.calibration.bgnbd.posterior`,
    `models.calibration.gamma_gamma.posterior_nu`): alive with probability `alive`, then lambda
    per day
    ~ Gamma(rate_shape, rate_rate), p ~ Beta(drop_a, drop_b), nu ~ Gamma(nu_shape, nu_rate)."""

    tier: int
    alive: tuple[float, ...]
    rate_shape: tuple[float, ...]
    rate_rate: tuple[float, ...]
    drop_a: tuple[float, ...]
    drop_b: tuple[float, ...]
    nu_shape: tuple[float, ...]
    nu_rate: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class TierParams:
    name: str
    price: float
    cost_of_goods: float
    purchases_per_month: float
    regular: bool
    interval_days: float
    entry_share: float
    upsell_probability: float
    upsell_offer_cost: float
    onboarding_probability: float
    onboarding_cost: float
    churn: float  # monthly, brought to result
    churn_no_result: float  # monthly, not brought to result
    buying: BuyingParams | None = None  # calibrated heterogeneous buying replaces the above
    # sBG churn (spec `SbgChurn`): each client's own monthly churn theta is drawn once, at their
    # first anniversary in the tier, from Beta(sbg_alpha, sbg_beta + months as a client so far)
    # (the Beta given survival so far), then acts as `churn` does for a plain tier: times
    # sbg_scale, the segment's churn multiplier and the retention programme's 1 - reduction, at
    # most 1 (`Params.churn_of`). `churn` and `churn_no_result` then hold the mean, sbg_scale x
    # alpha / (alpha + beta), for what needs one number (tail value, lost-client value).
    sbg: bool = False
    sbg_alpha: float = 0.0
    sbg_beta: float = 0.0
    sbg_scale: float = 1.0


@dataclass(frozen=True, slots=True)
class Params:
    """Everything an engine needs for one month."""

    channels: tuple[ChannelParams, ...]
    referral_rate: float  # referral leads per active client per month
    referral_conversion_multiplier: float
    segments: tuple[SegmentParams, ...]
    segment_cumulative: tuple[float, ...]
    managers: int
    handling_days: float  # calendar days one contact occupies a manager (see `compile_params`)
    handling_exponential: bool
    salary_monthly: float  # per manager
    commission_rate: float
    base_response_days: float
    response_half_life_days: float  # math.inf: no decay
    lost_unprocessed: float
    first_contact_conversion: float
    first_contact_drop: float
    max_touches: int
    touch_interval_days: float
    conversion_per_touch: float
    invoice_paid_probability: float
    invoice_delay_days: float
    reminders: int
    reminder_interval_days: float
    reminder_success: float
    tiers: tuple[TierParams, ...]
    entry_cumulative: tuple[float, ...]
    retention_enabled: bool
    retention_cost_per_client_month: float
    churn_reduction: float
    win_back_enabled: bool
    win_back_probability: float
    win_back_delay_days: float
    win_back_cost: float
    overhead_monthly: float
    # revenue a new client of the segment brings before the horizon, [segment][months left]:
    # the value of a client in what a lost lead is worth (`loss_worth`)
    lead_value: tuple[tuple[float, ...], ...]
    bet_costs: float = 0.0  # one-off and running costs of the bets active this month
    # revenue an active client brings before the horizon, upsell included, by
    # [(segment * 2 + onboarded) * tiers + tier][months left] (`client_revenue_within`)
    client_value: tuple[tuple[float, ...], ...] = ()

    def price(self, tier: int, segment: int) -> float:
        """What a client of this segment pays for one purchase of the tier."""
        return self.tiers[tier].price * self.segments[segment].price_multiplier

    def margin(self, tier: int, segment: int) -> float:
        """A purchase's gross margin: its price less the tier's cost of goods."""
        return self.price(tier, segment) - self.tiers[tier].cost_of_goods

    def purchase_rate(self, tier: int, segment: int) -> float:
        """A client's purchases a month at the tier's frequency and the segment's multiplier."""
        return self.tiers[tier].purchases_per_month * self.segments[segment].frequency_multiplier

    def repeat_purchases_per_month(self, tier: int, segment: int) -> float:
        """A client's Poisson repeat purchases a month: the purchase rate for a tier bought
        again and again, 0 for a subscription (it pays every `payment_interval_days`)."""
        return 0.0 if self.tiers[tier].regular else self.purchase_rate(tier, segment)

    def margin_per_month(self, tier: int, segment: int) -> float:
        """A client's expected gross margin a month: purchases a month times a purchase's
        margin."""
        return self.purchase_rate(tier, segment) * self.margin(tier, segment)

    def payment_interval_days(self, tier: int, segment: int) -> float:
        """Days between a subscriber's payments: the tier's interval over the segment's frequency
        multiplier (never, if that is 0)."""
        rate = self.segments[segment].frequency_multiplier
        return self.tiers[tier].interval_days / rate if rate > 0 else math.inf

    def decided_spend(self) -> dict[str, float]:
        """What the owner decides to spend this month, by cost bucket (`DECIDED_SPEND` of
        `models.accounting.ledger`): advertising, salaries and the bets' own costs. The engines
        book these at the month's start; a bet's cost is the change in them."""
        return {"marketing": sum(ch.budget for ch in self.channels),
                "salaries": self.managers * self.salary_monthly,
                "bets": self.bet_costs}

    def loss_worth(self, stage: int, quality: float, segment: int, months_left: int) -> float:
        """What a lead lost at `stage` (an index of `models.compiled.worth.LEAD_STAGES`) this
        month is worth: the chance it would have paid had it not been lost there, times a
        client's value in the months left (`models.compiled.worth`)."""
        chance = chance_to_pay(stage, quality, self.base_response_days,
                               self.response_half_life_days, self.first_contact_conversion,
                               self.first_contact_drop, self.max_touches,
                               self.conversion_per_touch, self.invoice_paid_probability,
                               self.reminders, self.reminder_success)
        return chance * self.lead_value[segment][months_left]

    def theta_scale(self, tier: int, segment: int) -> float:
        """What multiplies an sBG client's own churn probability theta: the tier's scale, the
        segment's churn multiplier and, when the retention programme runs, 1 - its reduction
        (`churn_of`)."""
        k = self.tiers[tier].sbg_scale * self.segments[segment].churn_multiplier
        if self.retention_enabled:
            k *= 1.0 - self.churn_reduction
        return k

    def churn_of(self, theta: float, scale: float) -> float:
        """An sBG client's churn probability this month: their own theta times `theta_scale`,
        at most 1 (as `churn` treats a tier's single probability)."""
        return min(theta * scale, 1.0)

    def churn(self, tier: int, onboarded: bool, segment: int) -> float:
        t = self.tiers[tier]
        base = t.churn if onboarded else t.churn_no_result
        p = base * self.segments[segment].churn_multiplier
        if self.retention_enabled:
            p *= 1.0 - self.churn_reduction
        return min(p, 1.0)


@dataclass(frozen=True, slots=True)
class InitialClientGroup:
    tier: int
    count: int
    tenure_months: float
    onboarded_share: float
    segment: int  # -1: drawn by share


@dataclass(frozen=True, slots=True)
class Goal:
    metric: str
    target: float
    deadline_month: int  # 1-based


@dataclass(frozen=True, slots=True)
class CompiledScenario:
    name: str
    currency: str
    horizon_months: int
    monthly_discount_rate: float
    market_size: float  # math.inf: unlimited
    timeline: tuple[Params, ...]  # one entry per month; equal months share one object
    initial_clients: tuple[InitialClientGroup, ...]
    initial_leads: tuple[tuple[int, int, int], ...]  # (channel, count, touches_done)
    initial_invoices: tuple[tuple[int, int], ...]  # (tier, count)
    goal: Goal | None
    channel_names: tuple[str, ...]
    tier_names: tuple[str, ...]
    customer_base: CustomerBaseParams | None = None


def point_values(spec: Scenario) -> dict[str, float]:
    """The mean of every uncertain parameter: the scenario's single best guess."""
    return {path: dist.mean() for path, dist in iter_distributions(spec)}


def realise(spec: Scenario, values: dict[str, float]) -> Scenario:
    """The spec with each uncertain parameter replaced by its drawn value.

    `values` is keyed by the paths `iter_distributions` gives (list items by name), as the draws
    of `models.compiled.sampling` are. Only the groups on each path are copied, and nothing is
    validated again: the spec was validated at load, and every distribution's range was checked
    against its field's, so a draw is always a valid value (a whole-number field is rounded)."""
    realised: BaseModel = spec
    for path, value in values.items():
        number = whole_number(value) if is_whole_number(path) else float(value)
        realised = _with_value(realised, path.split("."), number)
    assert isinstance(realised, Scenario)
    return realised


def _with_value(node: BaseModel, parts: list[str], value: float) -> BaseModel:
    """A copy of `node` with the parameter at `parts` set to `value`."""
    name, rest = parts[0], parts[1:]
    if not rest:
        return node.model_copy(update={name: value})
    child = getattr(node, name)
    if isinstance(child, dict):  # groups by name (seasonality.channels): the next part is one
        key, rest = rest[0], rest[1:]
        return node.model_copy(update={name: {**child, key: _with_value(child[key], rest, value)}})
    if isinstance(child, list):  # a named list: the next part is the item's name (or index)
        key, rest = rest[0], rest[1:]
        index = next((i for i, item in enumerate(child) if getattr(item, "name", None) == key),
                     None)
        items = list(child)
        i = int(key) if index is None else index
        items[i] = _with_value(items[i], rest, value)
        return node.model_copy(update={name: items})
    return node.model_copy(update={name: _with_value(child, rest, value)})


def _f(x: float | _Dist | None, default: float = 0.0) -> float:
    if x is None:
        return default
    if isinstance(x, _Dist):
        raise TypeError("realise() the scenario before compiling: a parameter is still uncertain")
    return float(x)


def compile_params(spec: Scenario) -> Params:
    """One month's parameters from a spec whose parameters are all numbers."""
    sales, journey = spec.sales, spec.journey
    # Managers work hours_per_day over working_days_per_month in a 30-day month; a contact of
    # handling_minutes therefore occupies a manager for this many calendar days on average.
    work_hours_per_calendar_day = (_f(sales.hours_per_day) * _f(sales.working_days_per_month)
                                   / DAYS_PER_MONTH)
    handling_days = _f(sales.handling_minutes) / 60.0 / work_hours_per_calendar_day

    seg_total = sum(_f(s.share) for s in spec.segments) or 1.0
    segments = tuple(
        SegmentParams(
            s.name, _f(s.share) / seg_total, _f(s.conversion_multiplier), _f(s.price_multiplier),
            _f(s.churn_multiplier), _f(s.frequency_multiplier), _f(s.committee_delay_days),
        )
        for s in spec.segments
    )
    entries = entry_shares([_f(t.entry_share) for t in spec.tiers])
    tiers = []
    for t, entry in zip(spec.tiers, entries, strict=True):
        sbg = t.monthly_churn if isinstance(t.monthly_churn, SbgChurn) else None
        alpha, beta, scale = ((_f(sbg.sbg.alpha), _f(sbg.sbg.beta), _f(sbg.scale))
                              if sbg is not None else (0.0, 0.0, 1.0))
        churn = _f(mean_churn(t.monthly_churn))
        tiers.append(
            TierParams(
                t.name, _f(t.price), _f(t.cost_of_goods), 1.0 / _f(t.purchase_interval_months),
                t.regular, _f(t.purchase_interval_months) * DAYS_PER_MONTH, entry,
                _f(t.upsell_probability), _f(t.upsell_offer_cost),
                _f(t.onboarding_probability), _f(t.onboarding_cost),
                churn, _f(t.monthly_churn_no_result, churn), _buying(t.buying),
                sbg is not None, alpha, beta, scale,
            )
        )
    channels = tuple(
        ChannelParams(
            c.name, _f(c.budget_monthly),
            saturation_leads(_f(c.budget_monthly), _f(c.max_leads), _f(c.half_saturation_budget)),
            _f(c.organic_leads), _f(c.conversion_multiplier),
        )
        for c in spec.channels
    )
    half_life = journey.response_half_life_hours
    params = Params(
        channels=channels,
        referral_rate=_f(spec.referrals.leads_per_client_month),
        referral_conversion_multiplier=_f(spec.referrals.conversion_multiplier),
        segments=segments,
        segment_cumulative=_cumulative([s.share for s in segments]),
        managers=int(whole_number(_f(sales.managers))),
        handling_days=handling_days,
        handling_exponential=sales.handling_distribution == "exponential",
        salary_monthly=_f(sales.salary_monthly),
        commission_rate=_f(sales.commission_rate),
        base_response_days=_f(journey.base_response_hours) / 24.0,
        response_half_life_days=math.inf if half_life is None else _f(half_life) / 24.0,
        lost_unprocessed=_f(journey.lost_unprocessed),
        first_contact_conversion=_f(journey.first_contact_conversion),
        first_contact_drop=_f(journey.first_contact_drop),
        max_touches=int(whole_number(_f(journey.follow_up.max_touches))),
        touch_interval_days=_f(journey.follow_up.interval_days),
        conversion_per_touch=_f(journey.follow_up.conversion_per_touch),
        invoice_paid_probability=_f(journey.invoice.paid_probability),
        invoice_delay_days=_f(journey.invoice.delay_days),
        reminders=int(whole_number(_f(journey.invoice.reminders))),
        reminder_interval_days=_f(journey.invoice.reminder_interval_days),
        reminder_success=_f(journey.invoice.reminder_success),
        tiers=tuple(tiers),
        entry_cumulative=_cumulative([t.entry_share for t in tiers]),
        retention_enabled=spec.retention.enabled,
        retention_cost_per_client_month=_f(spec.retention.cost_per_client_month),
        churn_reduction=_f(spec.retention.churn_reduction),
        win_back_enabled=spec.win_back.enabled,
        win_back_probability=_f(spec.win_back.probability),
        win_back_delay_days=_f(spec.win_back.delay_days),
        win_back_cost=_f(spec.win_back.cost_per_attempt),
        overhead_monthly=_f(spec.overhead_monthly),
        lead_value=(),
    )
    horizon = spec.horizon_months
    params = replace_params(params, client_value=tuple(
        by_tier for s in range(len(segments)) for onboarded in (False, True)
        for by_tier in client_values(params, s, onboarded, horizon)))
    values = tuple(lead_values(params, s, horizon) for s in range(len(segments)))
    return replace_params(params, lead_value=values)


def _buying(spec: Buying | None) -> BuyingParams | None:
    if spec is None:
        return None
    days = _f(spec.period_days)
    spend = spec.spend_p is not None
    return BuyingParams(_f(spec.r), _f(spec.alpha) * days, _f(spec.a), _f(spec.b),
                        _f(spec.spend_p) if spend else 0.0, _f(spec.spend_q, 1.0),
                        _f(spec.spend_gamma, 1.0))


def _customer_base(spec: Scenario) -> CustomerBaseParams | None:
    """Each starting customer's posterior, from their history and the tier's fitted models."""
    base = spec.initial_state.customer_base
    if base is None:
        return None
    tier = [t.name for t in spec.tiers].index(base.tier)
    buying = spec.tiers[tier].buying
    assert buying is not None  # the spec checks it
    fitted = BGNBDParams(_f(buying.r), _f(buying.alpha), _f(buying.a), _f(buying.b))
    post = posterior(fitted, base.x, base.t_x, base.T)
    if buying.spend_p is not None and base.monetary_value is not None:
        spend = GammaGammaParams(_f(buying.spend_p), _f(buying.spend_q), _f(buying.spend_gamma))
        m = [math.nan if v is None else v for v in base.monetary_value]
        nu_shape, nu_rate = posterior_nu(spend, base.x, m)
    else:  # no spend history: the prior (or the tier price, when the tier has no spend model)
        n = len(base.x)
        nu_shape = np.full(n, _f(buying.spend_q, 1.0))
        nu_rate = np.full(n, _f(buying.spend_gamma, 1.0))
    days = _f(buying.period_days)

    def numbers(a: Any) -> tuple[float, ...]:
        return tuple(float(v) for v in np.asarray(a, dtype=float))

    return CustomerBaseParams(tier, numbers(post.alive), numbers(post.rate_shape),
                              numbers(post.rate_rate * days), numbers(post.drop_a),
                              numbers(post.drop_b), numbers(nu_shape), numbers(nu_rate))


def replace_params(params: Params, **changes: Any) -> Params:
    fields = {name: getattr(params, name) for name in Params.__slots__}
    fields.update(changes)
    return Params(**fields)


def entry_shares(shares: list[float]) -> list[float]:
    """The share of new clients starting on each tier: the given shares normalised; all zero
    (the default) means every new client starts on the first tier."""
    total = sum(shares)
    if total > 0:
        return [s / total for s in shares]
    return [float(i == 0) for i in range(len(shares))]


def _cumulative(shares: list[float]) -> tuple[float, ...]:
    total, out = 0.0, []
    for s in shares:
        total += s
        out.append(total)
    out[-1] = 1.0 + 1e-12  # guard against rounding: the last bin catches u -> 1
    return tuple(out)


def compile_scenario(spec: Scenario, values: dict[str, float] | None = None) -> CompiledScenario:
    """Compile a spec for an engine. `values` gives drawn values for uncertain parameters; without
    it each uncertain parameter takes its mean. Bets are not applied here: see
    `models.compiled.bets`."""
    concrete = realise(spec, point_values(spec) if values is None else values)
    if not has_calendar(concrete):
        return assemble(concrete, (compile_params(concrete),) * spec.horizon_months)
    plans = plan_months(concrete)
    return assemble(concrete, calendar_timeline(
        concrete, [(p, s.sales.working_days_per_month) for p, s in plans]))


def plan_months(concrete: Scenario) -> list[tuple[Params, Scenario]]:
    """Each month's plan (the scenario with the schedule's values in force that month, see
    `models.compiled.calendar`), compiled, before the calendar's multipliers: months of the same
    plan share one object."""
    plans: dict[tuple[float | None, ...], tuple[Params, Scenario]] = {}
    raw: dict[str, Any] | None = None
    out = []
    for m in range(concrete.horizon_months):
        key = plan_key(concrete, m)
        if key not in plans:
            if not any(v is not None for v in key):
                month_spec = concrete
            else:
                raw = raw or concrete.model_dump(by_alias=True)
                month_spec = Scenario.model_validate(plan_raw(raw, concrete, key))
            plans[key] = (compile_params(month_spec), month_spec)
        out.append(plans[key])
    return out


def calendar_timeline(concrete: Scenario, months: list[tuple[Params, Any]]) -> tuple[Params, ...]:
    """The timeline of a scenario with a calendar: each month's parameters (`months`: the
    month's compiled plan, bets in force, and its `sales.working_days_per_month`) under the
    calendar's multipliers for that month (`seasoned`). Equal months share one object."""
    done: dict[tuple[int, MonthFactors], Params] = {}
    timeline = []
    for m, (params, plan_days) in enumerate(months):
        factors = month_factors(concrete, m)
        key = (id(params), factors)
        if key not in done:
            done[key] = seasoned(params, factors, _f(plan_days))
        timeline.append(done[key])
    return tuple(timeline)


def seasoned(p: Params, f: MonthFactors, plan_working_days: float) -> Params:
    """A month's parameters under the calendar: leads of each channel and referrals, first-
    contact conversion (at most 1), purchase frequency and churn times the month's multipliers;
    a manager's contact takes longer in calendar days when the month has fewer working days than
    the plan's `working_days_per_month` (`compile_params`: handling time is spread over the
    month's working hours). What a client or a lost lead is worth (`client_value`,
    `lead_value`) stays the plan's: the profiles average 1 over a year, so the plan's value is
    the seasons' average."""
    flat = (all(x == 1.0 for x in f.channel_leads) and f.referrals == 1.0 and f.conversion == 1.0
            and f.purchases == 1.0 and f.churn == 1.0
            and (f.working_days is None or f.working_days == plan_working_days))
    if flat:
        return p
    channels = tuple(
        ChannelParams(ch.name, ch.budget, ch.paid_leads * k, ch.organic_leads * k,
                      ch.conversion_multiplier)
        for ch, k in zip(p.channels, f.channel_leads, strict=True))
    segments = tuple(
        SegmentParams(s.name, s.share, s.conversion_multiplier, s.price_multiplier,
                      s.churn_multiplier * f.churn, s.frequency_multiplier * f.purchases,
                      s.committee_delay_days)
        for s in p.segments)
    handling = p.handling_days
    if f.working_days is not None and f.working_days != plan_working_days:
        handling = p.handling_days * plan_working_days / f.working_days
    return replace_params(p, channels=channels, segments=segments,
                          referral_rate=p.referral_rate * f.referrals,
                          first_contact_conversion=min(1.0, p.first_contact_conversion
                                                       * f.conversion),
                          handling_days=handling)


def assemble(concrete: Scenario, timeline: tuple[Params, ...]) -> CompiledScenario:
    """The compiled scenario of a concrete spec (no uncertain parameters left) and its months'
    parameters. The spec gives the structure: names, starting state, goal."""
    tiers = [t.name for t in concrete.tiers]
    segments = [s.name for s in concrete.segments]
    channels = [c.name for c in concrete.channels]
    market = concrete.market.potential_buyers
    goal = concrete.goal
    return CompiledScenario(
        name=concrete.name,
        currency=concrete.currency,
        horizon_months=concrete.horizon_months,
        monthly_discount_rate=monthly_discount_rate(concrete.discount_rate_annual),
        market_size=math.inf if market is None else _f(market),
        timeline=timeline,
        initial_clients=tuple(
            InitialClientGroup(
                tiers.index(c.tier), c.count, c.tenure_months, _f(c.onboarded_share),
                -1 if c.segment is None else segments.index(c.segment),
            )
            for c in concrete.initial_state.clients
        ),
        initial_leads=tuple(
            (channels.index(g.channel), g.count, g.touches_done)
            for g in concrete.initial_state.open_leads
        ),
        initial_invoices=tuple(
            (tiers.index(g.tier), g.count) for g in concrete.initial_state.unpaid_invoices
        ),
        goal=None if goal is None else Goal(goal.metric, goal.target, goal.deadline_month),
        channel_names=tuple(channels),
        tier_names=tuple(tiers),
        customer_base=_customer_base(concrete),
    )
