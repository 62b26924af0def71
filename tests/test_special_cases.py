"""Both engines against the exact answers in docs/explanation/model.md ("Special cases with
exact answers").

Every test runs once per engine (`agent`, `fast`): the module-scoped `engine` fixture sets the
engine `replicate` uses, and the module's data fixtures depend on it.

Every check is statistical and honest about it: a case runs R seeded replications of a scenario
built for it, reduces each replication to one number whose expectation theory gives exactly, and
asserts |mean - theory| < Z * SE, SE the standard error of the mean over the replications. No
tolerance is a pinned number or a fixed count of decimals. Replication streams are spawned from
one root `SeedSequence` per case, so the suite is deterministic.

Conventions used below (see `models.compiled.form`): time in days, a month is 30 days, month m
covers
days [30m, 30m + 30); a contact occupies a manager for
handling_minutes / 60 / (hours_per_day * working_days_per_month / 30) calendar days; monthly churn
is the chance of leaving at each monthly anniversary of the first purchase, and a regular monthly
tier bills at the first purchase and then at each anniversary survived.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from scipy.sparse import diags
from scipy.sparse.linalg import expm_multiply

from models.accounting.ledger import Ledger, S
from models.accounting.metrics import run_metrics
from models.compiled.form import DAYS_PER_MONTH, CompiledScenario, compile_scenario
from models.load import load_scenario
from sim.engines import ENGINE_NAMES, Engine, get_engine

Z = 4.0  # two-sided; with R >= 12 replications (Student t) a false alarm is < 1 in 400 a check


# -- helpers ----------------------------------------------------------------------------------


def compiled(raw: dict[str, Any]) -> CompiledScenario:
    return compile_scenario(load_scenario(raw))


_simulate: list[Engine] = [get_engine("agent")]  # the engine of the tests running now


@pytest.fixture(scope="module", params=ENGINE_NAMES, autouse=True)
def engine(request: pytest.FixtureRequest) -> str:
    """Run every test of the module on each engine in turn."""
    _simulate[0] = get_engine(request.param)
    return str(request.param)


def replicate(cs: CompiledScenario, root: int, r: int) -> list[Ledger]:
    """R replications on streams spawned from one root seed (STYLE 3)."""
    simulate = _simulate[0]
    return [simulate(cs, ss) for ss in np.random.SeedSequence(root).spawn(r)]


def assert_matches(
    samples: Sequence[float] | np.ndarray, theory: float, what: str, z: float = Z
) -> None:
    """|mean - theory| < z * SE, SE = sd / sqrt(R) over the replications."""
    x = np.asarray(samples, dtype=float)
    assert x.size >= 2 and np.all(np.isfinite(x)), f"{what}: need finite replications, got {x}"
    mean, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))
    assert se > 0, f"{what}: replications do not vary (mean {mean}); the check would be vacuous"
    dev = (mean - theory) / se
    assert abs(dev) < z, (
        f"{what}: simulated {mean:.6g} +/- {se:.3g} (SE, R={x.size}), theory {theory:.6g}: "
        f"off by {dev:+.1f} SE (allowed {z:g})"
    )


def scenario(**sections: Any) -> dict[str, Any]:
    """A minimal scenario dict: one segment, one channel, one tier; `sections` override."""
    raw: dict[str, Any] = {
        "name": "special case",
        "horizon_months": 12,
        "channels": [{"name": "organic", "organic_leads": 100.0}],
        "sales": {"managers": 5, "handling_minutes": 0.01},  # ample capacity
        "journey": {"first_contact_conversion": 1.0},
        "tiers": [{"name": "only", "price": 1000.0, "entry_share": 1.0, "monthly_churn": 0.0}],
    }
    raw.update(sections)
    return raw


def handling_days(sales: dict[str, Any]) -> float:
    """Calendar days a contact occupies a manager on average (the compile_params convention)."""
    work_hours_per_calendar_day = sales["hours_per_day"] * sales["working_days_per_month"] / 30
    return sales["handling_minutes"] / 60 / work_hours_per_calendar_day


# -- 1, 2. the lead queue is M/M/c: Erlang C and Little's law ----------------------------------


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda / mu < c."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


QUEUE_HORIZON = 26
# The queue starts empty. One month is ~170 mean handling times and > 4 relaxation times of
# the slowest case (M/M/1 at rho 0.7: 1 / (mu (1 - sqrt(rho))^2) < 7 days), so it is forgotten.
QUEUE_WARMUP_MONTHS = 1
# The last month is left out too: a request is recorded (in the month it joined the queue) only
# once a manager takes it, so requests still waiting at the horizon would be missing from it.
QUEUE_WINDOW = slice(QUEUE_WARMUP_MONTHS, QUEUE_HORIZON - 1)
QUEUE_DAYS = (QUEUE_HORIZON - 1 - QUEUE_WARMUP_MONTHS) * DAYS_PER_MONTH


@dataclasses.dataclass(frozen=True)
class Queue:
    c: int
    rho: float
    lam: float  # arrivals per day
    mu: float  # services per day per manager
    runs: list[Ledger]


def _queue(c: int, rho: float, root: int, r: int) -> Queue:
    sales = {
        "managers": c,
        "hours_per_day": 8.0,
        "working_days_per_month": 21.0,
        "handling_minutes": 60.0,
        "handling_distribution": "exponential",
    }
    mu = 1.0 / handling_days(sales)
    lam = rho * c * mu
    raw = scenario(
        horizon_months=QUEUE_HORIZON,
        channels=[{"name": "organic", "organic_leads": lam * DAYS_PER_MONTH}],  # Poisson
        sales=sales,
        # Nobody converts and nobody is followed up: managers do first contacts and nothing
        # else, and every lead joins the queue at once and stays however long it waits.
        journey={
            "first_contact_conversion": 0.0,
            "lost_unprocessed": 0.0,
            "base_response_hours": 0.0,
            "follow_up": {"max_touches": 0},
        },
    )
    return Queue(c, rho, lam, mu, replicate(compiled(raw), root, r))


@pytest.fixture(scope="module", params=[(1, 0.7), (3, 0.75)], ids=["MM1", "MM3"])
def queue(request: pytest.FixtureRequest, engine: str) -> Queue:
    c, rho = request.param
    return _queue(c, rho, root=1000 + c, r=20)


def _window(ledger: Ledger, name: str) -> float:
    return float(np.asarray(getattr(ledger, name))[QUEUE_WINDOW].sum())


def _occupancy(ledger: Ledger, state: str) -> float:
    """Time-average number of agents in `state` over the measured window."""
    occupancy = np.asarray(ledger.occupancy)[QUEUE_WINDOW, S[state]]
    return float(occupancy.sum() / QUEUE_DAYS)


def test_share_of_leads_that_wait_is_erlang_c(queue: Queue) -> None:
    share = [_window(led, "waited") / _window(led, "requests") for led in queue.runs]
    assert_matches(share, erlang_c(queue.c, queue.lam / queue.mu), "P(wait)")


def test_mean_wait_is_erlang_c(queue: Queue) -> None:
    wq = erlang_c(queue.c, queue.lam / queue.mu) / (queue.c * queue.mu - queue.lam)
    waits = [_window(led, "wait_days") / _window(led, "requests") for led in queue.runs]
    assert_matches(waits, wq, "mean wait W_q, days")


def test_arrival_rate_is_the_channel_rate(queue: Queue) -> None:
    rates = [_window(led, "requests") / QUEUE_DAYS for led in queue.runs]
    assert_matches(rates, queue.lam, "requests per day")


def test_littles_law_for_the_queue_on_every_path(queue: Queue) -> None:
    """L_q = lambda * W_q replication by replication: the time-average number waiting against
    the window's arrival rate times its mean wait. The two differ only by waits that straddle
    the window's edges, whose expectations cancel in steady state."""
    gaps = [
        _occupancy(led, "waiting")
        - _window(led, "requests")
        / QUEUE_DAYS
        * _window(led, "wait_days")
        / _window(led, "requests")
        for led in queue.runs
    ]
    assert_matches(gaps, 0.0, "L_q - lambda_hat * W_hat")


def test_mean_number_waiting_is_erlang_c_lq(queue: Queue) -> None:
    a = queue.lam / queue.mu
    lq = erlang_c(queue.c, a) * queue.rho / (1 - queue.rho)
    assert_matches([_occupancy(led, "waiting") for led in queue.runs], lq, "L_q")


def test_littles_law_for_managers_in_contact(queue: Queue) -> None:
    """Leads in contact = busy managers = lambda * mean handling time (the offered load)."""
    assert_matches(
        [_occupancy(led, "in_contact") for led in queue.runs], queue.lam / queue.mu, "busy managers"
    )


# -- 3. ample capacity: buyers = leads x the product of the stage conversions ------------------

FUNNEL = {
    "lost_unprocessed": 0.10,
    "first_contact_conversion": 0.20,
    "first_contact_drop": 0.30,
    "follow_up": {"max_touches": 4, "interval_days": 3.0, "conversion_per_touch": 0.15},
    "invoice": {
        "paid_probability": 0.60,
        "delay_days": 5.0,
        "reminders": 3,
        "reminder_interval_days": 7.0,
        "reminder_success": 0.35,
    },
}
FUNNEL_LEADS_PER_MONTH = 300.0


def _sales_stages(j: dict[str, Any]) -> tuple[float, float, float, int]:
    """First-contact conversion, first-contact drop, conversion per touch, max touches."""
    f = j["follow_up"]
    return (j["first_contact_conversion"], j["first_contact_drop"], f["conversion_per_touch"],
            f["max_touches"])


def funnel_product(j: dict[str, Any]) -> float:
    """P(a lead becomes a paying client) = (1 - lost) x P(deal) x P(invoice paid)."""
    p1, drop, pt, n = _sales_stages(j)
    inv = j["invoice"]
    q, r, k = inv["paid_probability"], inv["reminder_success"], inv["reminders"]
    deal = p1 + (1 - p1) * (1 - drop) * (1 - (1 - pt) ** n)
    paid = q + (1 - q) * (1 - (1 - r) ** k)
    return (1 - j["lost_unprocessed"]) * deal * paid


def test_funnel_product_when_every_lead_finishes() -> None:
    """Leads arrive in the first ARRIVAL_MONTHS months only; the DRAIN_MONTHS after them have no
    arrivals, so every lead has finished its journey by the horizon (the longest path is 4 x 3
    days of touches + 3 x 7 days of reminders + an exponential payment delay of mean 5 days;
    it outlasts the 90-day drain with probability < e^-11). Then, given the number of leads n,
    new clients are Binomial(n, P) with P the product of the stage conversions, exactly.
    The silent months are spliced into the compiled timeline (one parameter set per month)."""
    arrival_months, drain_months = 9, 3
    busy = compiled(
        scenario(
            horizon_months=arrival_months + drain_months,
            channels=[{"name": "organic", "organic_leads": FUNNEL_LEADS_PER_MONTH}],
            journey=FUNNEL,
        )
    )
    silent_channels = tuple(
        dataclasses.replace(ch, organic_leads=0.0, paid_leads=0.0)
        for ch in busy.timeline[0].channels
    )
    silent = dataclasses.replace(busy.timeline[0], channels=silent_channels)
    cs = dataclasses.replace(
        busy, timeline=busy.timeline[:arrival_months] + (silent,) * drain_months
    )
    p = funnel_product(FUNNEL)
    gaps = []
    for led in replicate(cs, root=3001, r=20):
        leads = np.asarray(led.leads).sum()
        assert np.asarray(led.leads)[arrival_months:].sum() == 0
        still_open = sum(
            np.asarray(led.state_end)[-1, S[s]]
            for s in ("new", "waiting", "in_contact", "follow_up", "deciding", "invoiced")
        )
        assert still_open == 0, "a lead is still in the funnel after the drain"
        gaps.append(run_metrics(led, cs)["total_new_clients"] - leads * p)
    assert_matches(gaps, 0.0, f"new clients - leads x {p:.4f}")


def _expected_clients_by_horizon(
    j: dict[str, Any], leads_per_month: float, horizon_days: float
) -> float:
    """E[clients who have paid by the horizon T] for Poisson arrivals over [0, T).

    A lead that will close at contact k (k = 0 the first contact, then touch k after k intervals)
    and pay at reminder i (i = 0: paid straight away) pays at arrival + k * interval
    + i * reminder_interval + Exp(mean delay); handling (0.01 min, ~3e-5 days) is left out.
    For a fixed shift s, integral over arrivals t in [0, T) of P(t + s + Exp(D) <= T)
    = (T - s) - D (1 - exp(-(T - s) / D)) for s < T."""
    f, inv = j["follow_up"], j["invoice"]
    p1, drop, pt, n = _sales_stages(j)
    q, r, reminders = inv["paid_probability"], inv["reminder_success"], inv["reminders"]
    d, t = inv["delay_days"], horizon_days

    def paid_by_horizon(shift: float) -> float:
        if shift >= t:
            return 0.0
        return (t - shift) - d * -math.expm1(-(t - shift) / d)

    total = 0.0
    for k in range(n + 1):
        close = p1 if k == 0 else (1 - p1) * (1 - drop) * (1 - pt) ** (k - 1) * pt
        base = k * f["interval_days"]
        total += close * q * paid_by_horizon(base)
        for i in range(1, reminders + 1):  # i - 1 reminders failed, reminder i worked
            total += (
                close
                * (1 - q)
                * (1 - r) ** (i - 1)
                * r
                * paid_by_horizon(base + i * inv["reminder_interval_days"])
            )
    return leads_per_month / DAYS_PER_MONTH * (1 - j["lost_unprocessed"]) * total


FUNNEL_HORIZON = 12


@pytest.fixture(scope="module")
def funnel(engine: str) -> tuple[CompiledScenario, list[Ledger]]:
    """Leads arrive at a constant rate until the horizon."""
    cs = compiled(
        scenario(
            horizon_months=FUNNEL_HORIZON,
            channels=[{"name": "organic", "organic_leads": FUNNEL_LEADS_PER_MONTH}],
            journey=FUNNEL,
        )
    )
    return cs, replicate(cs, root=3002, r=20)


def test_funnel_product_with_leads_in_flight_at_the_horizon(
    funnel: tuple[CompiledScenario, list[Ledger]],
) -> None:
    """Leads still in the funnel at the horizon are not clients yet. The expected count allows
    for them exactly (a few percent of leads x P: far more than the Monte Carlo error, so the
    plain product would fail here)."""
    cs, runs = funnel
    expected = _expected_clients_by_horizon(
        FUNNEL, FUNNEL_LEADS_PER_MONTH, FUNNEL_HORIZON * DAYS_PER_MONTH
    )
    assert expected < FUNNEL_LEADS_PER_MONTH * FUNNEL_HORIZON * funnel_product(FUNNEL)
    clients = [run_metrics(led, cs)["total_new_clients"] for led in runs]
    assert_matches(clients, expected, "new clients by the horizon")


FUNNEL_WARMUP_MONTHS = 2  # longest fixed path 33 days; the exponential delay's tail is e^-5


@pytest.mark.parametrize("stage", ["follow_up", "invoiced"])
def test_littles_law_for_the_follow_up_and_invoice_stages(
    funnel: tuple[CompiledScenario, list[Ledger]], stage: str
) -> None:
    """Mean number in a stage = rate of entering it x mean time spent in it (no capacity limits
    here, so each stage is an infinite-server queue, in steady state after the warm-up).

    follow_up: entered by leads neither closed nor dropped at first contact; they sit out one
    interval before each touch until one closes or the touches run out,
    E[time] = interval * sum_{k<N} (1 - pt)^k.
    invoiced: entered by every deal; time = Exp(delay) + i reminder intervals when reminder i
    gets it paid, + all R of them when it is never paid."""
    _, runs = funnel
    j, f, inv = FUNNEL, FUNNEL["follow_up"], FUNNEL["invoice"]
    lam = FUNNEL_LEADS_PER_MONTH / DAYS_PER_MONTH * (1 - j["lost_unprocessed"])
    p1, drop, pt, n = (
        j["first_contact_conversion"],
        j["first_contact_drop"],
        f["conversion_per_touch"],
        f["max_touches"],
    )
    q, r, reminders = inv["paid_probability"], inv["reminder_success"], inv["reminders"]
    deal = p1 + (1 - p1) * (1 - drop) * (1 - (1 - pt) ** n)
    if stage == "follow_up":
        rate = lam * (1 - p1) * (1 - drop)
        sojourn = f["interval_days"] * (1 - (1 - pt) ** n) / pt
    else:
        rate = lam * deal
        reminder_wait = sum((1 - q) * (1 - r) ** (i - 1) * r * i for i in range(1, reminders + 1))
        reminder_wait += (1 - q) * (1 - r) ** reminders * reminders
        sojourn = inv["delay_days"] + inv["reminder_interval_days"] * reminder_wait
    window_days = (FUNNEL_HORIZON - FUNNEL_WARMUP_MONTHS) * DAYS_PER_MONTH
    mean_in_stage = [
        np.asarray(led.occupancy)[FUNNEL_WARMUP_MONTHS:, S[stage]].sum() / window_days
        for led in runs
    ]
    assert_matches(mean_in_stage, rate * sojourn, f"mean number in {stage}")


# -- 4. constant churn: geometric CLTV and the steady-state base -------------------------------

CHURN = 0.2
PRICE, COST_OF_GOODS = 1000.0, 400.0
MARGIN = PRICE - COST_OF_GOODS
CLTV_HORIZON = 18


def _subscription(horizon: int, leads_per_month: float) -> dict[str, Any]:
    """Every lead becomes a client at once; one regular monthly tier; churn CHURN; no discount,
    commission, onboarding cost, win-back, upsell or retention."""
    return scenario(
        horizon_months=horizon,
        discount_rate_annual=0.0,
        channels=[{"name": "organic", "organic_leads": leads_per_month}],
        journey={"first_contact_conversion": 1.0},
        tiers=[
            {
                "name": "subscription",
                "price": PRICE,
                "cost_of_goods": COST_OF_GOODS,
                "regular": True,
                "purchase_interval_months": 1.0,
                "entry_share": 1.0,
                "onboarding_probability": 1.0,
                "onboarding_cost": 0.0,
                "monthly_churn": CHURN,
            }
        ],
    )


@pytest.fixture(scope="module")
def cohorts(engine: str) -> tuple[CompiledScenario, list[Ledger]]:
    cs = compiled(_subscription(CLTV_HORIZON, 100.0))
    return cs, replicate(cs, root=4001, r=20)


def truncated_payments(k: int | np.ndarray, churn: float = CHURN) -> Any:
    """Expected payments before the horizon of a client with k billing dates left: the first
    purchase and each anniversary survived, sum_{j<k} (1 - p)^j = (1 - (1 - p)^k) / p."""
    return (1 - (1 - churn) ** k) / churn


def test_cohort_value_is_the_truncated_geometric_series(
    cohorts: tuple[CompiledScenario, list[Ledger]],
) -> None:
    """A client who first pays in month m (0-based) has k = H - m billing dates before the
    horizon T = 30H (the payment day and the anniversaries before T), so the cohort's truncated
    value is n_m * margin * (1 - (1 - p)^k) / p in expectation, given its size n_m."""
    _, runs = cohorts
    k = CLTV_HORIZON - np.arange(CLTV_HORIZON)
    gaps, first = [], []
    for led in runs:
        n, value = np.asarray(led.cohort_clients), np.asarray(led.cohort_value)
        gaps.append(float((value - MARGIN * n * truncated_payments(k)).sum()))
        first.append(value[0] / n[0])
        # The last cohort has one billing date (k = 1) before the horizon: exactly one margin.
        assert value[-1] == pytest.approx(MARGIN * n[-1], rel=1e-12)
    assert_matches(gaps, 0.0, "sum over cohorts of value - expected truncated value")
    assert_matches(first, MARGIN * truncated_payments(CLTV_HORIZON), "cohort 0 value per client")


def test_cltv_with_tail_is_margin_over_churn(
    cohorts: tuple[CompiledScenario, list[Ledger]],
) -> None:
    """Payments per client are geometric with mean 1/p, so truncated value plus the expected
    value after the horizon is margin / p per client (the tail's 120-month cap changes that by
    (1 - p)^120 ~ 1e-12 of it)."""
    cs, runs = cohorts
    cltv = [run_metrics(led, cs)["cltv_with_tail"] for led in runs]
    assert_matches(cltv, MARGIN / CHURN, "cltv_with_tail")


def test_tail_of_an_active_client_is_its_expected_remaining_margin(
    cohorts: tuple[CompiledScenario, list[Ledger]],
) -> None:
    """A client active at the horizon pays next at its next anniversary only if it survives
    it: expected remaining margin = margin * sum_{j>=1} (1 - p)^j = margin * (1 - p) / p, summed
    here over the 120 months the tail is capped at. Deterministic per client: an identity."""
    cs, runs = cohorts
    cap = 120
    remaining = MARGIN * (1 - CHURN) * (1 - (1 - CHURN) ** cap) / CHURN
    for led in runs[:3]:
        active = run_metrics(led, cs)["active_clients_end"]
        assert active > 0
        assert led.customer_equity / active == pytest.approx(remaining, rel=1e-9)


def test_steady_state_base_is_inflow_over_churn() -> None:
    """Little's law for the active base: clients arrive at L a month and stay a Geometric(p)
    number of months (mean 1/p), so the time-average base is L / p in steady state. The
    warm-up leaves a deficit of at most (L / p)(1 - p)^36 ~ 0.02 clients: nothing against the
    Monte Carlo error."""
    horizon, warmup_months, leads = 72, 36, 40.0
    cs = compiled(_subscription(horizon, leads))
    runs = replicate(cs, root=4002, r=12)
    base = [
        np.asarray(led.occupancy)[warmup_months:, S["active"]].sum()
        / ((horizon - warmup_months) * DAYS_PER_MONTH)
        for led in runs
    ]
    inflow = [
        np.asarray(led.new_clients)[warmup_months:].sum() / (horizon - warmup_months)
        for led in runs
    ]
    assert_matches(inflow, leads, "new clients per month")
    assert_matches(base, leads / CHURN, "active base")


# -- 5. finite market, advertising and word of mouth: Bass diffusion ---------------------------


def bass_share(t: float | np.ndarray, p: float, q: float) -> Any:
    """Bass (1969) cumulative adoption share F(t), t in months."""
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + q / p * e)


def birth_chain_moments(
    n: int, p: float, q: float, months: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of adopters in the finite-N process the engine runs: a pure birth chain
    on 0..N with rate (pN + q A)(1 - A/N) a month (Kolmogorov forward equations). The Bass
    curve is its fluid limit as N grows."""
    adopters = np.arange(n + 1, dtype=float)
    rate = (p * n + q * adopters) * (n - adopters) / n
    generator = diags([-rate, rate[:-1]], [0, -1], format="csc")
    start = np.zeros(n + 1)
    start[0] = 1.0
    probs = np.vstack([expm_multiply(generator * float(t), start) for t in months])
    mean = probs @ adopters
    return mean, probs @ adopters**2 - mean**2


def test_adoption_follows_the_bass_curve() -> None:
    market, p, q, horizon, r = 1000, 0.05, 0.3, 12, 20
    raw = scenario(
        horizon_months=horizon,
        market={"potential_buyers": float(market)},
        channels=[{"name": "ads", "organic_leads": p * market}],  # L = pN leads a month
        referrals={"leads_per_client_month": q},
        sales={"managers": 20, "handling_minutes": 0.01},
        journey={
            "first_contact_conversion": 1.0,
            "invoice": {"paid_probability": 1.0, "delay_days": 0.0},
        },
        tiers=[
            {
                "name": "only",
                "price": 1.0,
                "entry_share": 1.0,
                "regular": True,
                "purchase_interval_months": 1.0,
                "monthly_churn": 0.0,
            }
        ],
    )
    cs = compiled(raw)
    months = np.array([3, 6, 9, 12])
    cumulative = np.array(
        [
            np.cumsum(np.asarray(led.new_clients).sum(axis=1))[months - 1]
            for led in replicate(cs, root=5001, r=r)
        ]
    )
    theory = market * bass_share(months, p, q)
    # Bass is the large-N limit: the finite-N mean lies below it by O(1) adopters. Make sure
    # that gap is small beside the Monte Carlo error, so comparing with N F(t) is fair.
    chain_mean, chain_var = birth_chain_moments(market, p, q, months)
    assert np.all(np.abs(chain_mean - theory) < 0.5 * np.sqrt(chain_var / r))
    for i, month in enumerate(months):
        assert_matches(cumulative[:, i], float(theory[i]), f"adopters by month {month}")


# -- the helpers are themselves right ----------------------------------------------------------


@pytest.mark.parametrize(("c", "a", "expected"), [(1, 0.7, 0.7), (2, 1.0, 1 / 3)])
def test_erlang_c_closed_form(c: int, a: float, expected: float) -> None:
    """M/M/1: P(wait) = rho. M/M/2 at a = 1: C = (1/2 * 2) / (1 + 1 + 1) = 1/3."""
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-12)


def test_in_flight_formula_tends_to_the_product() -> None:
    """With a long horizon the in-flight share vanishes: expected clients / (leads x P) -> 1."""
    long = 1e7
    ratio = _expected_clients_by_horizon(FUNNEL, 30.0, long) / (long * funnel_product(FUNNEL))
    assert ratio == pytest.approx(1.0, rel=1e-5)
