"""The scenario spec: what a YAML scenario file may say, validated once at load.

Every numeric leaf is a `Probability`, `NonNegative`, `Positive`, `Multiplier` or `Count` (see
`models.spec.params`): a number or a distribution. Units are in the field descriptions, which the
scenario reference (docs/reference/scenario.md) is generated from; time is in months unless a
name says days or hours. Defaults live here and nowhere else.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from models.spec.distributions import _Dist
from models.spec.params import (
    MAX_AMOUNT,
    Count,
    Growth,
    Multiplier,
    NonNegative,
    Positive,
    Probability,
    Signed,
    TouchCount,
    parse_value,
)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LocalText(_Spec):
    """A text written for the owner in both languages of the app (`title: {en: ..., ru: ...}`)."""

    en: str
    ru: str


# A title or description: plain text (one language for all) or {en: ..., ru: ...}. Shown by the
# app and reports only; `name` stays the identifier CLI options and comparisons key on.
Text = str | LocalText


def text_in(value: Text | None, lang: Literal["en", "ru"], fallback: str = "") -> str:
    """`value` in `lang`: the language's text of a `LocalText`, a plain string as it is."""
    if value is None:
        return fallback
    if isinstance(value, LocalText):
        return value.ru if lang == "ru" else value.en
    return value or fallback


class Segment(_Spec):
    """A customer segment (e.g. SMB or enterprise): its share of leads and how it differs."""

    name: str
    title: Text | None = Field(None, description="the segment's name for people (default: name)")
    share: Probability = Field(description="share of incoming leads in this segment")
    conversion_multiplier: Multiplier = Field(1.0, description="scales every conversion")
    price_multiplier: Multiplier = Field(1.0, description="scales every price (average check)")
    churn_multiplier: Multiplier = Field(1.0, description="scales monthly churn")
    frequency_multiplier: Multiplier = Field(1.0, description="scales purchase frequency")
    committee_delay_days: NonNegative = Field(
        0.0, description="mean days a buying committee takes between 'yes' and the invoice (B2B)"
    )


class Channel(_Spec):
    """A lead source: paid leads a month = max_leads * budget / (budget + half_saturation_budget)
    (diminishing returns), plus organic leads."""

    name: str
    title: Text | None = Field(None, description="the channel's name for people (default: name)")
    budget_monthly: NonNegative = Field(0.0, description="advertising spend per month")
    max_leads: NonNegative = Field(
        0.0, description="paid leads per month the channel approaches as budget grows without limit"
    )
    half_saturation_budget: Positive = Field(
        1.0, description="monthly budget that buys half of max_leads (diminishing returns)"
    )
    organic_leads: NonNegative = Field(0.0, description="leads per month that cost no budget")
    conversion_multiplier: Multiplier = Field(1.0, description="lead quality of this channel")


class Referrals(_Spec):
    leads_per_client_month: NonNegative = Field(
        0.0, description="referral leads each active client brings per month"
    )
    conversion_multiplier: Multiplier = Field(1.0, description="referral lead quality")


class Market(_Spec):
    potential_buyers: Positive | None = Field(
        None, description="finite market size; leads thin out as it is used up (None = unlimited)"
    )


class Sales(_Spec):
    managers: Count = Field(1.0, description="sales managers handling leads")
    hours_per_day: Positive = Field(8.0, description="working hours per working day")
    working_days_per_month: Positive = Field(21.0, description="working days per month")
    handling_minutes: Positive = Field(15.0, description="mean manager minutes per contact")
    handling_distribution: Literal["exponential", "fixed"] = "exponential"
    salary_monthly: NonNegative = Field(0.0, description="salary per manager per month")
    commission_rate: Probability = Field(0.0, description="share of first-purchase revenue")


class FollowUp(_Spec):
    max_touches: TouchCount = Field(0.0, description="follow-up contacts after the first one")
    interval_days: NonNegative = Field(2.0, description="days between touches")
    conversion_per_touch: Probability = Field(0.0, description="chance each touch closes")


class Invoice(_Spec):
    paid_probability: Probability = Field(1.0, description="chance an invoice is paid on time")
    delay_days: NonNegative = Field(0.0, description="mean days from invoice to payment")
    reminders: Count = Field(0.0, description="reminders sent for an unpaid invoice")
    reminder_interval_days: NonNegative = Field(7.0, description="days between reminders")
    reminder_success: Probability = Field(0.0, description="chance each reminder gets it paid")


class Journey(_Spec):
    base_response_hours: NonNegative = Field(
        0.0, description="hours before a lead reaches the sales queue (routing, off-hours)"
    )
    response_half_life_hours: Positive | None = Field(
        None, description="hours of waiting after which half the leads are no longer interested "
        "(None = no decay)"
    )
    lost_unprocessed: Probability = Field(0.0, description="share of leads never processed")
    first_contact_conversion: Probability = Field(description="chance the first contact closes")
    first_contact_drop: Probability = Field(
        0.0, description="share of reached, unconverted leads lost at first contact (objections)"
    )
    follow_up: FollowUp = FollowUp()
    invoice: Invoice = Invoice()


class Buying(_Spec):
    """Heterogeneous buying, fitted by `growthsim calibrate transactions`: each client of the tier
    buys at their own Poisson rate lambda ~ Gamma(r, alpha) and drops out after each repeat
    purchase with their own probability p ~ Beta(a, b) (BG/NBD); each purchase is worth
    Gamma(spend_p, nu) with nu ~ Gamma(spend_q, spend_gamma) per client (Gamma-Gamma). Replaces
    the tier's purchase_interval_months, regular, monthly_churn and upsell for its clients."""

    period_days: Positive = Field(7.0, description="days in the period r, alpha were fitted in")
    r: Positive = Field(description="shape of the purchase-rate distribution")
    alpha: Positive = Field(description="rate of the purchase-rate distribution, per period")
    a: Positive = Field(description="dropout probability ~ Beta(a, b)")
    b: Positive
    spend_p: Positive | None = Field(None, description="Gamma-Gamma p (None: the tier price)")
    spend_q: Positive | None = Field(None, description="Gamma-Gamma q")
    spend_gamma: Positive | None = Field(None, description="Gamma-Gamma gamma")

    @model_validator(mode="after")
    def _spend_complete(self) -> Buying:
        given = [v is not None for v in (self.spend_p, self.spend_q, self.spend_gamma)]
        if any(given) and not all(given):
            raise ValueError("spend_p, spend_q and spend_gamma go together: give all or none")
        return self


class SbgParams(_Spec):
    """The shifted-beta-geometric (sBG) model's parameters: each client's own monthly churn
    probability is drawn from Beta(alpha, beta) (Fader & Hardie 2007)."""

    alpha: Positive = Field(description="first shape of the Beta the clients' churn is drawn from")
    beta: Positive = Field(description="second shape of the Beta the clients' churn is drawn from")


class SbgChurn(_Spec):
    """Heterogeneous churn (`monthly_churn: {sbg: {alpha, beta}}`, as `growthsim calibrate
    retention` writes it): each client of the tier draws their own monthly churn probability
    once, from Beta(alpha, beta), so the likely leavers leave early and a cohort's retention
    rises with tenure. The mean churn is alpha / (alpha + beta)."""

    sbg: SbgParams
    scale: Multiplier = Field(
        1.0, description="multiplies each client's drawn churn probability (at most 1 after); "
        "what a bet or stress test scaling the churn changes")


_DIST_KEYS = frozenset({"dist", "low", "mode", "high", "mean", "sd"})


def _churn_form(value: Any) -> str:
    """Which form of `monthly_churn` a raw value is written in: `SbgChurn` for a mapping that is
    not a distribution (so a misspelt `sbg` is named as such), else `Probability` (a number or a
    distribution). Capitalised: the loader leaves union branches out of a problem's path."""
    if isinstance(value, SbgChurn) or (isinstance(value, dict) and (
            "sbg" in value or not _DIST_KEYS & value.keys())):
        return "SbgChurn"
    return "Probability"


# A tier's churn: a probability (one for every client) or the sBG model (one per client).
Churn = Annotated[Annotated[Probability, Tag("Probability")]
                  | Annotated[SbgChurn, Tag("SbgChurn")], Discriminator(_churn_form)]


def mean_churn(value: float | _Dist | SbgChurn) -> float | _Dist | None:
    """A churn's mean as a number when it is an sBG with numeric alpha, beta and scale (scale x
    alpha / (alpha + beta), at most 1); a probability as it is; None for an sBG still
    uncertain."""
    if not isinstance(value, SbgChurn):
        return value
    a, b, k = value.sbg.alpha, value.sbg.beta, value.scale
    if isinstance(a, _Dist) or isinstance(b, _Dist) or isinstance(k, _Dist):
        return None
    return min(float(k) * float(a) / (float(a) + float(b)), 1.0)


class Tier(_Spec):
    """A product step of the value pyramid."""

    name: str
    title: Text | None = Field(None, description="the product's name for people (default: name)")
    price: NonNegative = Field(description="price of one purchase")
    cost_of_goods: NonNegative = Field(0.0, description="cost of goods per purchase")
    purchase_interval_months: Positive = Field(
        1.0, description="mean months between purchases of an active client"
    )
    regular: bool = Field(
        False, description="true: purchases every interval (subscription); false: at random "
        "(Poisson) with that mean interval"
    )
    entry_share: Probability = Field(
        0.0, description="share of new clients whose first deal is this tier (all zero: every "
        "new client starts on the first tier)"
    )
    upsell_probability: Probability = Field(
        0.0, description="chance a repeat purchase moves up to the next tier"
    )
    upsell_offer_cost: NonNegative = Field(0.0, description="development cost per upsell offer")
    onboarding_probability: Probability = Field(
        1.0, description="chance a new client is brought to result"
    )
    onboarding_cost: NonNegative = Field(0.0, description="onboarding cost per new client")
    monthly_churn: Churn = Field(
        description="monthly churn of a client brought to result: a probability, or "
        "{sbg: {alpha, beta}} (each client's own probability drawn from Beta(alpha, beta))")
    monthly_churn_no_result: Probability | None = Field(
        None, description="monthly churn of a client not brought to result (None = monthly_churn)"
    )
    buying: Buying | None = Field(None, description="calibrated heterogeneous buying (BG/NBD)")

    @model_validator(mode="after")
    def _sbg_alone(self) -> Tier:
        if isinstance(self.monthly_churn, SbgChurn) and self.monthly_churn_no_result is not None:
            raise ValueError(
                "monthly_churn_no_result cannot be combined with sbg churn (each client draws "
                "one churn probability, brought to result or not): remove it")
        return self


class Retention(_Spec):
    enabled: bool = False
    cost_per_client_month: NonNegative = Field(0.0, description="programme cost per active client")
    churn_reduction: Probability = Field(0.0, description="share of churn the programme prevents")


class WinBack(_Spec):
    enabled: bool = False
    probability: Probability = Field(0.0, description="chance a churned client is won back")
    delay_days: NonNegative = Field(60.0, description="mean days from churn to return")
    cost_per_attempt: NonNegative = Field(0.0, description="campaign cost per churned client")


class Correlation(_Spec):
    a: str = Field(description="parameter path, e.g. journey.first_contact_conversion")
    b: str
    rho: float = Field(ge=-0.99, le=0.99, description="Spearman rank correlation")


class Uncertainty(_Spec):
    sampling: Literal["lhs", "mc"] = Field(
        "lhs", description="Latin hypercube (default) or plain Monte Carlo draws"
    )
    correlations: list[Correlation] = []


GoalMetric = Literal[
    "monthly_revenue", "monthly_profit", "active_clients", "recurring_revenue", "cumulative_profit"
]


class Goal(_Spec):
    metric: GoalMetric
    target: float = Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False,
                          description="the goal metric's value to reach (|target| <= 1e12)")
    deadline_month: int = Field(ge=1, description="1-based month by whose end the goal is due")


class InitialClients(_Spec):
    tier: str
    count: int = Field(ge=0)
    tenure_months: float = Field(0.0, ge=0, description="how long they have been clients")
    onboarded_share: Probability = Field(1.0)
    segment: str | None = Field(None, description="segment name (None = drawn by share)")


class InitialLeads(_Spec):
    channel: str
    count: int = Field(ge=0)
    touches_done: int = Field(0, ge=0, description="0 = not yet contacted")


class InitialInvoices(_Spec):
    tier: str
    count: int = Field(ge=0)


class CustomerBase(_Spec):
    """The business's own customers at the start, each with their history (written by `growthsim
    calibrate transactions`): repeat purchases x, the last at t_x, first purchase T periods ago
    (the tier's `buying.period_days`), mean repeat spend. Each starts alive or not, with a
    purchase rate, dropout and spend drawn from the posterior given their history."""

    tier: str = Field(description="a tier with `buying`")
    x: list[float] = Field(description="repeat purchases of each customer")
    t_x: list[float] = Field(description="periods from first to last purchase")
    T: list[float] = Field(description="periods from first purchase to the start")
    monetary_value: list[float | None] | None = Field(
        None, description="mean spend of each customer's repeat purchases (null: none)")

    @model_validator(mode="after")
    def _histories(self) -> CustomerBase:
        n = len(self.x)
        if len(self.t_x) != n or len(self.T) != n or (
                self.monetary_value is not None and len(self.monetary_value) != n):
            raise ValueError("x, t_x, T and monetary_value need one entry per customer")
        for i, (x, t_x, T) in enumerate(zip(self.x, self.t_x, self.T, strict=True)):
            if not (x >= 0 and x == int(x) and 0 <= t_x <= T and (x > 0 or t_x == 0)):
                raise ValueError(f"customer {i}: need whole x >= 0 and 0 <= t_x <= T (t_x = 0 "
                                 f"when x = 0), got x={x}, t_x={t_x}, T={T}")
        return self


class InitialState(_Spec):
    clients: list[InitialClients] = []
    open_leads: list[InitialLeads] = []
    unpaid_invoices: list[InitialInvoices] = []
    customer_base: CustomerBase | None = None


MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class Calendar(_Spec):
    """Where each month's working days come from: a country's calendar (the `holidays` package,
    official transfers of days off included), overridden month by month."""

    country: str | None = Field(
        None, description="ISO 3166 country code (RU, US, DE, ...): working days per month from "
        "its public holidays; needs `start`")
    working_days: dict[int, float] = Field(
        {}, description="working days of given months, by month number of the horizon "
        "({1: 15}); the rest from the country or sales.working_days_per_month")


class Profile(_Spec):
    """A seasonal profile: a multiplier for each calendar month (twelve, January to December,
    mean 1) or for named months only (`{jan: 0.6, may: 0.9}`, the rest 1), scaled by an
    amplitude (1: as written, 0: no seasons; may be uncertain)."""

    months: list[float] | dict[str, float] = Field(
        description="twelve multipliers Jan..Dec with mean 1, or {month name: multiplier}")
    amplitude: Multiplier = Field(
        1.0, description="how strongly the seasons act: each multiplier m becomes "
        "1 + amplitude (m - 1); a distribution makes the seasons uncertain")

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, value: Any) -> Any:
        # `leads: [..]` and `leads: {jan: ..}` are the short forms of `leads: {months: [..]}`
        if isinstance(value, list) or (isinstance(value, dict)
                                       and not {"months", "amplitude"} & set(value)):
            return {"months": value}
        return value

    def multipliers(self, amplitude: float | None = None) -> tuple[float, ...]:
        """The twelve multipliers, January first, at `amplitude` (None: the profile's own,
        which must be a number by then)."""
        a = float(self.amplitude) if amplitude is None else amplitude
        if isinstance(self.months, dict):
            written = {MONTH_NAMES.index(k.lower()[:3]): v for k, v in self.months.items()}
            base = [written.get(i, 1.0) for i in range(12)]
        else:
            base = list(self.months)
        return tuple(1.0 + a * (m - 1.0) for m in base)


class Seasonality(_Spec):
    """Calendar-month multipliers (they need `start`): on lead volume (every channel and
    referrals; a channel's or the referrals' own profile replaces it), first-contact
    conversion, purchase frequency and churn."""

    leads: Profile | None = Field(None, description="lead volume of every channel and referrals")
    channels: dict[str, Profile] = Field({}, description="a channel's own lead profile, by name")
    referrals: Profile | None = Field(None, description="referral leads' own profile")
    conversion: Profile | None = Field(None, description="first-contact conversion")
    purchases: Profile | None = Field(None, description="purchase frequency of clients")
    churn: Profile | None = Field(None, description="monthly churn of clients")


class Trend(_Spec):
    leads_yearly: Growth = Field(
        0.0, description="yearly growth of every channel's lead volume (paid and organic): "
        "month m brings (1 + leads_yearly)^((m - 1) / 12) times the leads")


APPENDABLE = ("channels", "tiers")  # lists a bet may add an item to


class Change(_Spec):
    """One change a bet makes: exactly one of set / scale / add on a parameter path, or append a
    new item to `channels` or `tiers`. `*` in a path means every item of a list
    (`tiers.*.monthly_churn`). A value may be uncertain (a distribution)."""

    path: str = Field(description="parameter path, e.g. channels.yandex.budget_monthly")
    set: Any = Field(None, description="new value (a number, a distribution, true/false or text)")
    scale: Signed | None = Field(None, description="multiply the current value by this")
    add: Signed | None = Field(None, description="add this to the current value")
    append: dict[str, Any] | None = Field(
        None, description="a new channel or tier, written as in the scenario (path: channels "
        "or tiers)"
    )
    at_most: float | None = Field(
        None, description="a cap: the changed value never goes above this in any draw (e.g. a "
        "churn shock that scales churn but keeps it at most 0.95)")

    @model_validator(mode="after")
    def _one_operation(self) -> Change:
        given = [op for op in ("set", "scale", "add", "append") if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a change needs exactly one of set, scale, add or append; got "
                f"{', '.join(given) or 'none'}"
            )
        if self.append is not None and self.path not in APPENDABLE:
            raise ValueError(f"append adds an item to {' or '.join(APPENDABLE)}, not to "
                             f"{self.path!r}; write path: channels or path: tiers")
        return self

    @field_validator("set", mode="before")
    @classmethod
    def _parse_set(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, bool | str) else parse_value(value)

    @property
    def operation(self) -> str:
        return next(op for op in ("set", "scale", "add", "append") if getattr(self, op) is not None)

    @property
    def value(self) -> Any:
        return getattr(self, self.operation)


class Bet(_Spec):
    """An investment option (or, in a stress test, a shock): changes to the scenario from a start
    month, phased in over a ramp, optionally temporary, with a one-off and a running cost."""

    name: str
    title: Text | None = Field(None, description="the bet's name for people (default: name)")
    description: Text = Field("", description="what the bet does, for people")
    changes: list[Change] = []
    start_month: int = Field(1, ge=1, description="1-based month the change starts")
    end_month: int | None = Field(
        None, ge=1, description="last month (1-based, inclusive) of a temporary change; "
        "None = to the horizon"
    )
    ramp_months: int = Field(
        0, ge=0, description="months over which the change phases in linearly (0 = at once)"
    )
    one_off_cost: NonNegative = Field(0.0, description="paid in the start month")
    monthly_cost: NonNegative = Field(0.0, description="paid every month the bet runs")

    @model_validator(mode="after")
    def _months(self) -> Bet:
        if self.end_month is not None and self.end_month < self.start_month:
            raise ValueError(f"end_month ({self.end_month}) is before start_month "
                             f"({self.start_month}); swap them or remove end_month")
        return self


class Scenario(_Spec):
    """A business to simulate: its channels, sales team, customer journey, value pyramid, churn,
    starting state, goal and the bets it considers (one YAML file)."""

    name: str
    title: Text | None = Field(None, description="the scenario's name for people (default: name)")
    description: Text = ""
    currency: str = Field("RUB", min_length=3, max_length=3, description="ISO 4217 code")
    horizon_months: int = Field(36, ge=1, le=240)
    discount_rate_annual: float = Field(0.0, ge=0, le=2, description="annual discount rate")
    overhead_monthly: NonNegative = Field(0.0, description="fixed costs per month")
    market: Market = Market()
    segments: list[Segment] = Field(default_factory=lambda: [Segment(name="all", share=1.0)])
    channels: list[Channel] = Field(min_length=1)
    referrals: Referrals = Referrals()
    sales: Sales = Sales()
    journey: Journey
    tiers: list[Tier] = Field(min_length=1)
    retention: Retention = Retention()
    win_back: WinBack = WinBack()
    uncertainty: Uncertainty = Uncertainty()
    goal: Goal | None = None
    initial_state: InitialState = InitialState()
    bets: list[Bet] = Field([], description="investment options compared against this baseline")
    start: str | datetime.date | None = Field(
        None, description="the calendar month of month 1, YYYY-MM (e.g. 2027-01)")
    calendar: Calendar = Calendar()
    seasonality: Seasonality = Seasonality()
    trend: Trend = Trend()
    schedule: dict[str, dict[int, float]] = Field(
        {}, description="the plan's changes by month: {parameter path: {from month: value}}")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        for field in ("segments", "channels", "tiers", "bets"):
            names = [item.name for item in getattr(self, field)]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{field}: names must be unique, repeated: {', '.join(dupes)}")
        _check_shares("segments", [s.share for s in self.segments], "share")
        entry = [t.entry_share for t in self.tiers]
        if any(isinstance(e, _Dist) or e > 0 for e in entry):  # all zero: the first tier
            _check_shares("tiers", entry, "entry_share")
        tiers = {t.name for t in self.tiers}
        segments = {s.name for s in self.segments}
        channels = {c.name for c in self.channels}
        for i, c in enumerate(self.initial_state.clients):
            _known(f"initial_state.clients.{i}.tier", c.tier, tiers)
            if c.segment is not None:
                _known(f"initial_state.clients.{i}.segment", c.segment, segments)
        for i, lead in enumerate(self.initial_state.open_leads):
            _known(f"initial_state.open_leads.{i}.channel", lead.channel, channels)
        for i, inv in enumerate(self.initial_state.unpaid_invoices):
            _known(f"initial_state.unpaid_invoices.{i}.tier", inv.tier, tiers)
        for bet in self.bets:
            if bet.start_month > self.horizon_months:
                raise ValueError(f"bets.{bet.name}.start_month ({bet.start_month}) is after the "
                                 f"horizon ({self.horizon_months} months): start it earlier")
        base = self.initial_state.customer_base
        if base is not None:
            _known("initial_state.customer_base.tier", base.tier, tiers)
            if next(t for t in self.tiers if t.name == base.tier).buying is None:
                raise ValueError(f"initial_state.customer_base.tier: tier {base.tier!r} has no "
                                 "`buying` block; add the one `calibrate transactions` wrote")
        if self.goal is not None and self.goal.deadline_month > self.horizon_months:
            raise ValueError(
                f"goal.deadline_month ({self.goal.deadline_month}) is after the horizon "
                f"({self.horizon_months} months): lower it or lengthen horizon_months"
            )
        return self


def _check_shares(field: str, shares: list[object], name: str) -> None:
    numbers = [s for s in shares if isinstance(s, float)]
    if len(numbers) == len(shares) and abs(sum(numbers) - 1.0) > 1e-6:
        raise ValueError(
            f"{field}: the {name} values must add up to 1 (they add up to {sum(numbers):.4g})"
        )


def _known(path: str, value: str, names: set[str]) -> None:
    if value not in names:
        raise ValueError(f"{path}: unknown name {value!r}; choose one of {sorted(names)}")
