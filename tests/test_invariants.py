"""Accounting invariants of the agent engine, over random valid scenarios (hypothesis).

Whatever the scenario, a run's ledger must balance: every agent is in exactly one state at every
month's end, each month's change of a state's count is its arrivals plus inflows minus outflows,
nothing is negative, money adds up, cumulative series are the sums of the monthly ones, and every
lost agent is booked at the stage where it was lost.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from models.accounting.ledger import COSTS, LEAKS, N_STATES, OPEN_LEAD_STATES, STATES, C, Ledger, S
from models.accounting.metrics import monthly_metrics, run_metrics
from models.compiled.form import DAYS_PER_MONTH, CompiledScenario, compile_scenario
from models.load import load_scenario
from sim.engines.agent import simulate

MAX_LEADS_PER_MONTH = 150  # paid + organic over all channels, referrals aside
TOL = 1e-6

# -- the strategy: small, valid scenario dicts --------------------------------------------------


def _unit(lo: float = 0.0, hi: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _shares(draw: st.DrawFn, n: int) -> list[float]:
    """n shares that add up to 1 (the last one takes the remainder)."""
    weights = [draw(_unit(0.05, 1.0)) for _ in range(n)]
    total = sum(weights)
    shares = [w / total for w in weights[:-1]]
    shares.append(max(0.0, 1.0 - sum(shares)))
    return shares


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n_channels = draw(st.integers(1, 3))
    per_channel = MAX_LEADS_PER_MONTH / n_channels
    channels = []
    for i in range(n_channels):
        paid = draw(st.booleans())
        channels.append({
            "name": f"ch{i}",
            "budget_monthly": draw(_unit(0, 5000)) if paid else 0.0,
            "max_leads": draw(_unit(0, per_channel * 0.7)),
            "half_saturation_budget": draw(_unit(50, 5000)),
            "organic_leads": draw(_unit(0, per_channel * 0.3)),
            "conversion_multiplier": draw(_unit(0.2, 2.0)),
        })

    n_segments = draw(st.integers(1, 2))
    segments = [
        {
            "name": f"seg{i}",
            "share": share,
            "conversion_multiplier": draw(_unit(0.3, 1.5)),
            "price_multiplier": draw(_unit(0.5, 3.0)),
            "churn_multiplier": draw(_unit(0.5, 2.0)),
            "frequency_multiplier": draw(_unit(0.5, 2.0)),
            "committee_delay_days": draw(st.sampled_from([0.0, 0.0, 5.0, 25.0])),
        }
        for i, share in enumerate(_shares(draw, n_segments))
    ]

    n_tiers = draw(st.integers(1, 3))
    entry = _shares(draw, n_tiers)
    if n_tiers > 1 and draw(st.booleans()):  # the top of the pyramid only reachable by upsell
        entry[-2] += entry[-1]
        entry[-1] = 0.0
    tiers = []
    for i in range(n_tiers):
        price = draw(_unit(0, 500))
        tier: dict[str, Any] = {
            "name": f"tier{i}",
            "price": price,
            "cost_of_goods": draw(_unit(0, 1.2)) * price,
            "purchase_interval_months": draw(st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0])),
            "regular": draw(st.booleans()),
            "entry_share": entry[i],
            "upsell_probability": draw(_unit(0, 0.5)),
            "upsell_offer_cost": draw(st.sampled_from([0.0, 5.0])),
            "onboarding_probability": draw(_unit()),
            "onboarding_cost": draw(_unit(0, 50)),
            "monthly_churn": draw(_unit(0, 0.5)),
        }
        if draw(st.booleans()):
            tier["monthly_churn_no_result"] = draw(_unit(0, 0.8))
        tiers.append(tier)

    max_touches = draw(st.integers(0, 4))
    journey = {
        "base_response_hours": draw(_unit(0, 48)),
        "response_half_life_hours": draw(st.none() | _unit(1, 200)),
        "lost_unprocessed": draw(_unit(0, 0.5)),
        "first_contact_conversion": draw(_unit(0, 0.6)),
        "first_contact_drop": draw(_unit()),
        "follow_up": {
            "max_touches": max_touches,
            "interval_days": draw(_unit(0, 10)),
            "conversion_per_touch": draw(_unit(0, 0.4)),
        },
        "invoice": {
            "paid_probability": draw(_unit()),
            "delay_days": draw(_unit(0, 30)),
            "reminders": draw(st.integers(0, 3)),
            "reminder_interval_days": draw(_unit(0, 14)),
            "reminder_success": draw(_unit()),
        },
    }
    horizon = draw(st.integers(3, 12))
    raw: dict[str, Any] = {
        "name": "hypothesis",
        "horizon_months": horizon,
        "discount_rate_annual": draw(_unit(0, 0.5)),
        "overhead_monthly": draw(_unit(0, 1000)),
        "segments": segments,
        "channels": channels,
        "referrals": {
            "leads_per_client_month": draw(st.sampled_from([0.0, 0.05, 0.3])),
            "conversion_multiplier": draw(_unit(0.5, 2.0)),
        },
        "sales": {
            "managers": draw(st.sampled_from([0, 1, 1, 2, 3])),
            "handling_minutes": draw(_unit(1, 90)),
            "handling_distribution": draw(st.sampled_from(["exponential", "fixed"])),
            "salary_monthly": draw(_unit(0, 3000)),
            "commission_rate": draw(_unit(0, 0.2)),
        },
        "journey": journey,
        "tiers": tiers,
        "retention": {
            "enabled": draw(st.booleans()),
            "cost_per_client_month": draw(_unit(0, 10)),
            "churn_reduction": draw(_unit()),
        },
        "win_back": {
            "enabled": draw(st.booleans()),
            "probability": draw(_unit()),
            "delay_days": draw(_unit(0, 90)),
            "cost_per_attempt": draw(_unit(0, 20)),
        },
    }
    if draw(st.booleans()):
        raw["market"] = {"potential_buyers": draw(_unit(20, 1500))}
    if draw(st.booleans()):
        tier_names = [t["name"] for t in tiers]
        raw["initial_state"] = {
            "clients": [
                {
                    "tier": draw(st.sampled_from(tier_names)),
                    "count": draw(st.integers(0, 15)),
                    "tenure_months": draw(_unit(0, 24)),
                    "onboarded_share": draw(_unit()),
                    "segment": draw(st.none() | st.sampled_from([s["name"] for s in segments])),
                }
                for _ in range(draw(st.integers(0, 2)))
            ],
            "open_leads": [
                {
                    "channel": draw(st.sampled_from([c["name"] for c in channels])),
                    "count": draw(st.integers(0, 10)),
                    "touches_done": draw(st.integers(0, max_touches + 1)),
                }
                for _ in range(draw(st.integers(0, 2)))
            ],
            "unpaid_invoices": [
                {"tier": draw(st.sampled_from(tier_names)), "count": draw(st.integers(0, 8))}
                for _ in range(draw(st.integers(0, 2)))
            ],
        }
    if draw(st.booleans()):
        raw["goal"] = {
            "metric": draw(st.sampled_from(["monthly_revenue", "monthly_profit", "active_clients",
                                            "recurring_revenue", "cumulative_profit"])),
            "target": draw(_unit(0, 5000)),
            "deadline_month": draw(st.integers(1, horizon)),
        }
    return raw


# -- running one example ----------------------------------------------------------------------


def _run(raw: dict[str, Any], seed: int) -> tuple[CompiledScenario, Ledger]:
    spec = load_scenario(raw)
    compiled = compile_scenario(spec)
    return compiled, simulate(compiled, seed)


def _starting(raw: dict[str, Any]) -> tuple[int, int, int]:
    """(clients, open leads, unpaid invoices) of the starting state."""
    init = raw.get("initial_state", {})
    return tuple(  # type: ignore[return-value]
        sum(g["count"] for g in init.get(key, []))
        for key in ("clients", "open_leads", "unpaid_invoices")
    )


def _outside_profit(a: dict[str, np.ndarray]) -> np.ndarray:
    """Monthly profit computed apart from `monthly_metrics`: the gross profit the engine booked by
    acquisition channel, less every cost bucket but the cost of goods (netted in it already)."""
    other = [C[k] for k in COSTS if k != "cost_of_goods"]
    return np.asarray(a["gross_profit_by_channel"].sum(axis=1) - a["costs"][:, other].sum(axis=1))


def _close(a: np.ndarray | float, b: np.ndarray | float, scale: np.ndarray | float = 1.0) -> bool:
    return bool(np.all(np.abs(np.asarray(a) - np.asarray(b)) <= TOL * (1 + np.abs(scale))))


EXAMPLES = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEEDS = st.integers(0, 2**32 - 1)


# -- agents ------------------------------------------------------------------------------------


@EXAMPLES
@given(raw=scenarios(), seed=SEEDS)
def test_agents_are_conserved_and_flows_explain_every_count(raw: dict[str, Any], seed: int) -> None:
    _, ledger = _run(raw, seed)
    a = ledger.arrays()
    state_end, flows = a["state_end"], a["flows"]
    horizon = state_end.shape[0]

    # everyone ever created (the diagonal of the flows counts arrivals) is somewhere
    created = np.cumsum(np.einsum("mss->m", flows))
    np.testing.assert_array_equal(state_end.sum(axis=1), created)

    # each state's month-on-month change = arrivals + inflows - outflows of that month
    off = flows.copy()
    idx = np.arange(N_STATES)
    off[:, idx, idx] = 0.0
    arrivals = np.einsum("mss->ms", flows)
    change = arrivals + off.sum(axis=1) - off.sum(axis=2)
    previous = np.vstack([np.zeros(N_STATES), state_end[:-1]])
    for m in range(horizon):
        np.testing.assert_array_equal(
            state_end[m] - previous[m], change[m],
            err_msg=f"month {m}: state counts do not follow the flows ({STATES})",
        )
    # the running count at the horizon is the last month-end count
    np.testing.assert_array_equal(np.asarray(ledger.count, dtype=float), state_end[-1])

    # arrivals happen only where agents are born: new leads, starting clients, starting
    # follow-ups and starting invoices
    born = {S["new"], S["active"], S["follow_up"], S["invoiced"]}
    for s in set(range(N_STATES)) - born:
        assert arrivals[:, s].sum() == 0, f"agents appeared from nowhere in {STATES[s]}"


@EXAMPLES
@given(raw=scenarios(), seed=SEEDS)
def test_nothing_is_negative(raw: dict[str, Any], seed: int) -> None:
    _, ledger = _run(raw, seed)
    a = ledger.arrays()
    for name in ("state_end", "occupancy", "flows", "leads", "new_clients", "lost_value",
                 "revenue", "recurring_revenue", "costs", "marketing_by_channel", "purchases",
                 "upsells", "win_backs", "requests", "waited", "wait_days", "cohort_clients"):
        values = a[name]
        assert np.all(np.isfinite(values)), f"{name} has a non-finite value"
        assert values.min(initial=0.0) >= -TOL, f"{name} goes negative: {values.min()}"
    monthly = monthly_metrics(ledger)
    for name in ("leads", "new_clients", "active_clients", "revenue", "first_purchase_revenue",
                 "repeat_revenue", "recurring_revenue", "marketing", "total_costs",
                 "cumulative_revenue", "lost_revenue", "churned", "mean_wait_hours"):
        assert monthly[name].min() >= -TOL, f"monthly {name} goes negative"

    # occupancy: agent-days in a month lie between the agents present at its start and at its end
    occupancy = a["occupancy"].sum(axis=1)
    present = a["state_end"].sum(axis=1)
    before = np.concatenate([[0.0], present[:-1]])
    assert np.all(occupancy <= DAYS_PER_MONTH * present + 1e-6 * (1 + occupancy))
    assert np.all(occupancy >= DAYS_PER_MONTH * before - 1e-6 * (1 + occupancy))

    # the sales queue: nobody waited who never got a manager
    assert np.all(a["waited"] <= a["requests"])
    assert np.all((a["wait_days"] > 0) <= (a["waited"] > 0))


# -- money -------------------------------------------------------------------------------------


@EXAMPLES
@given(raw=scenarios(), seed=SEEDS)
def test_money_adds_up(raw: dict[str, Any], seed: int) -> None:
    """Each sum is checked against a record the engine books separately, or against the
    scenario's own prices and rates, never against the metrics' own arithmetic."""
    compiled, ledger = _run(raw, seed)
    a = ledger.arrays()
    m = monthly_metrics(ledger)
    p = compiled.timeline[0]  # no bets: every month has the same parameters
    costs = a["costs"]
    revenue = m["revenue"]
    money = 1.0 + revenue.sum() + costs.sum()  # the scale of rounding residue
    atol = TOL * money

    # every purchase is booked twice, apart: its price in the revenue by tier, its margin
    # (price - cost of goods) in the gross profit of the client's acquisition channel
    np.testing.assert_allclose(a["gross_profit_by_channel"].sum(axis=1)
                               + costs[:, C["cost_of_goods"]], revenue, rtol=0, atol=atol)
    np.testing.assert_allclose(m["gross_profit"], a["gross_profit_by_channel"].sum(axis=1),
                               rtol=0, atol=atol)
    # each purchase pays one tier's price times the buyer's segment multiplier (one tier and one
    # segment: exactly purchases x price); every new client makes exactly one first purchase,
    # every other purchase (repeats, upsells, win-backs) is a repeat
    prices = [t.price * s.price_multiplier for t in p.tiers for s in p.segments]
    new_clients = a["flows"][:, S["invoiced"], S["active"]]
    for name, purchases in (("revenue", a["purchases"]),
                            ("first_purchase_revenue", new_clients),
                            ("repeat_revenue", a["purchases"] - new_clients)):
        assert np.all(m[name] >= purchases * min(prices) - atol), name
        assert np.all(m[name] <= purchases * max(prices) + atol), name
    # the commission is paid on first purchases only, at the scenario's rate
    np.testing.assert_allclose(costs[:, C["commission"]],
                               p.commission_rate * m["first_purchase_revenue"], rtol=0, atol=atol)
    onboarding = [t.onboarding_cost for t in p.tiers]
    assert np.all(costs[:, C["onboarding"]] >= new_clients * min(onboarding) - atol)
    assert np.all(costs[:, C["onboarding"]] <= new_clients * max(onboarding) + atol)

    # RR comes from clients who paid before the month: never from a first purchase, always from
    # the starting state's clients (they paid before day 0), and only from them in month 1
    assert np.all(m["recurring_revenue"] <= m["repeat_revenue"] + atol)
    assert np.all(m["recurring_revenue"] >= a["base_revenue"] - atol)
    assert m["recurring_revenue"][0] == pytest.approx(a["base_revenue"][0], abs=atol)

    # the fixed costs are what the scenario sets, every month; bets do not exist yet
    budgets = np.array([c.budget for c in p.channels])
    np.testing.assert_allclose(a["marketing_by_channel"], np.tile(budgets, (len(revenue), 1)))
    np.testing.assert_allclose(m["marketing"], budgets.sum())
    np.testing.assert_allclose(m["salaries"], p.managers * p.salary_monthly)
    np.testing.assert_allclose(costs[:, C["overhead"]], p.overhead_monthly)
    assert np.all(m["bet_costs"] == 0)
    np.testing.assert_allclose(m["decided_spend"],
                               budgets.sum() + p.managers * p.salary_monthly)

    # profit from outside: the channels' gross profit less every other cost bucket, by name
    profit = _outside_profit(a)
    np.testing.assert_allclose(m["profit"], profit, rtol=0, atol=atol)
    np.testing.assert_allclose(m["total_costs"], revenue - profit, rtol=0, atol=atol)

    # the scalars, each from a record other than the series it sums
    r = run_metrics(ledger, compiled, m)
    clients0, _, _ = _starting(raw)
    assert r["total_revenue"] == pytest.approx(
        (a["gross_profit_by_channel"].sum() + costs[:, C["cost_of_goods"]].sum()), abs=atol)
    assert r["total_profit"] == pytest.approx(profit.sum(), abs=atol)
    assert r["total_leads"] == a["flows"][:, S["new"], S["new"]].sum() - sum(
        g["count"] for g in raw.get("initial_state", {}).get("open_leads", [])
        if g["touches_done"] == 0)
    assert r["total_new_clients"] == new_clients.sum()
    assert r["active_clients_end"] == (clients0 + new_clients.sum() + a["win_backs"].sum()
                                       - a["flows"][:, S["active"], S["churned"]].sum())

    # NPV: undiscounted it is the total profit; discounted by d > 0 each month's profit counts
    # between 1/(1 + d)^horizon and 1/(1 + d) of itself
    at_zero = run_metrics(ledger, dataclasses.replace(compiled, monthly_discount_rate=0.0), m)
    assert at_zero["npv_profit"] == pytest.approx(profit.sum(), abs=atol)
    d, horizon = compiled.monthly_discount_rate, compiled.horizon_months
    gains, losses = profit.clip(min=0).sum(), profit.clip(max=0).sum()
    near, far = 1 / (1 + d), (1 + d) ** -horizon
    assert gains * far + losses * near - atol <= r["npv_profit"]
    assert r["npv_profit"] <= gains * near + losses * far + atol
    if d > 0 and np.all(profit > atol):
        assert r["npv_profit"] < r["total_profit"]


@EXAMPLES
@given(raw=scenarios(), seed=SEEDS)
def test_cumulative_series_are_consistent(raw: dict[str, Any], seed: int) -> None:
    compiled, ledger = _run(raw, seed)
    a = ledger.arrays()
    m = monthly_metrics(ledger)
    atol = TOL * (1.0 + a["revenue"].sum() + a["costs"].sum())

    # the running totals of what the engine booked apart from the revenue by tier: the
    # channels' gross profit (plus the cost of goods netted in it) and the cost buckets
    revenue = a["gross_profit_by_channel"].sum(axis=1) + a["costs"][:, C["cost_of_goods"]]
    np.testing.assert_allclose(m["cumulative_revenue"], np.cumsum(revenue), rtol=0, atol=atol)
    np.testing.assert_allclose(m["cumulative_profit"], np.cumsum(_outside_profit(a)), rtol=0,
                               atol=atol)
    assert np.all(np.diff(m["cumulative_revenue"]) >= -atol)
    # the last running total is the horizon's total
    r = run_metrics(ledger, compiled, m)
    assert m["cumulative_profit"][-1] == pytest.approx(r["total_profit"], abs=atol)
    assert m["cumulative_revenue"][-1] == pytest.approx(r["total_revenue"], abs=atol)

    # counts that only grow: everyone ever created, and everyone in an absorbing leak state
    created = np.cumsum(np.einsum("mss->m", a["flows"]))
    assert np.all(np.diff(created) >= 0)
    for leak in LEAKS:
        assert np.all(np.diff(a["state_end"][:, S[leak]]) >= 0), f"{leak} count shrank"
    # a leak is a sink: nobody ever leaves it
    for leak in LEAKS:
        outflow = a["flows"][:, S[leak], :].copy()
        outflow[:, S[leak]] = 0.0
        assert outflow.sum() == 0, f"agents left the leak {leak}"


# -- leads, clients, leaks ---------------------------------------------------------------------


@EXAMPLES
@given(raw=scenarios(), seed=SEEDS)
def test_clients_come_only_from_leads_and_starting_state(raw: dict[str, Any],
                                                         seed: int) -> None:
    compiled, ledger = _run(raw, seed)
    a = ledger.arrays()
    m = monthly_metrics(ledger)
    clients0, leads0, invoices0 = _starting(raw)
    n_channels = len(compiled.channel_names)
    existing = n_channels + 1

    # cumulated to every month end, not only at the horizon
    cum_clients = np.cumsum(m["new_clients"])
    cum_leads = np.cumsum(m["leads"])
    assert np.all(cum_clients <= cum_leads + leads0 + invoices0)
    # per channel: a channel's clients are its own leads (the starting state's go to "existing")
    cum_by_channel = np.cumsum(a["new_clients"], axis=0)
    cum_leads_by_channel = np.cumsum(a["leads"], axis=0)
    assert np.all(cum_by_channel[:, :existing] <= cum_leads_by_channel[:, :existing])
    assert np.all(cum_by_channel[:, existing] <= leads0 + invoices0)
    assert a["leads"][:, existing].sum() == 0, "the starting state is not new leads"

    # a new client is a paid invoice: the flow invoiced -> active (win-backs go churned -> active)
    np.testing.assert_array_equal(m["new_clients"], a["flows"][:, S["invoiced"], S["active"]])
    np.testing.assert_array_equal(a["cohort_clients"], m["new_clients"])
    np.testing.assert_array_equal(a["win_backs"], a["flows"][:, S["churned"], S["active"]])
    # new leads enter at "new"; the starting state's untouched leads enter there too
    new_entries = a["flows"][:, S["new"], S["new"]]
    assert np.all(m["leads"] <= new_entries)
    assert new_entries.sum() - m["leads"].sum() == sum(
        g["count"] for g in raw.get("initial_state", {}).get("open_leads", [])
        if g["touches_done"] == 0
    )
    # every new client buys at once; win-backs buy on return
    assert np.all(a["purchases"] >= m["new_clients"] + a["win_backs"])
    assert np.all(a["upsells"] <= a["purchases"])
    assert a["state_end"][-1, S["active"]] + a["state_end"][-1, S["churned"]] + a["state_end"][
        -1, S["lost_client"]] == clients0 + m["new_clients"].sum()

    # the starting clients are on the books from the first day
    assert a["flows"][0, S["active"], S["active"]] == clients0
    assert a["flows"][1:, S["active"], S["active"]].sum() == 0


@EXAMPLES
@given(raw=scenarios(), seed=SEEDS)
def test_lost_counts_are_the_flows_into_the_leaks(raw: dict[str, Any], seed: int) -> None:
    compiled, ledger = _run(raw, seed)
    a = ledger.arrays()
    r = run_metrics(ledger, compiled)
    flows = a["flows"]
    for i, leak in enumerate(LEAKS):
        into = flows[:, :, S[leak]].sum(axis=1)  # (month,) every inflow, from any state
        assert r[f"{leak}_count"] == into.sum()
        assert a["state_end"][-1, S[leak]] == into.sum()
        # value is lost only in months when someone was lost there
        assert np.all(a["lost_value"][into == 0, i] == 0), f"{leak}: value lost by nobody"
        assert _close(r[f"{leak}_revenue"], a["lost_value"][:, i].sum(),
                      a["lost_value"][:, i].sum())
    # each leak is fed only from the stage it names
    sources = {
        "lost_unprocessed": {"new"},
        "lost_late": {"in_contact"},
        "lost_first_contact": {"in_contact"},
        "lost_follow_up": {"in_contact", "follow_up"},
        "lost_unpaid": {"invoiced"},
        "lost_client": {"churned"},
    }
    for leak, allowed in sources.items():
        feeders = {STATES[s] for s in np.flatnonzero(flows[:, :, S[leak]].sum(axis=0))}
        assert feeders <= allowed | {leak}, f"{leak} fed from {feeders - allowed}"
    np.testing.assert_array_equal(monthly_metrics(ledger)["churned"],
                                  flows[:, S["active"], S["churned"]])


@EXAMPLES
@given(raw=scenarios(), seed=SEEDS)
def test_finite_market_caps_leads(raw: dict[str, Any], seed: int) -> None:
    assume("market" in raw)  # the scenario sets a finite market (else nothing to check)
    compiled, ledger = _run(raw, seed)
    assert math.isfinite(compiled.market_size)
    a = ledger.arrays()
    state_end = a["state_end"]
    # the market is used by everyone who ever became a client and every open lead
    used = state_end[:, [S["active"], S["churned"], S["lost_client"]]].sum(axis=1) + state_end[
        :, list(OPEN_LEAD_STATES)].sum(axis=1)
    clients0, leads0, invoices0 = _starting(raw)
    start = clients0 + leads0 + invoices0
    # a lead arrives only while fewer than the market size are used: at most one over it
    assert np.all((used < compiled.market_size + 1) | (used <= start)), (
        f"market {compiled.market_size:.1f} overrun: {used}"
    )


# -- regressions found by the properties above ---------------------------------------------------


def _small(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "regression",
        "horizon_months": 6,
        "channels": [{"name": "ads"}],
        "journey": {"first_contact_conversion": 0.2},
        "tiers": [{"name": "start", "price": 10, "entry_share": 1.0, "monthly_churn": 0.0}],
    }
    raw.update(changes)
    return raw


def test_tiny_reminder_success_is_a_valid_probability() -> None:
    """Any probability in [0, 1] is valid; one below double precision's epsilon must not crash.
    """
    raw = _small(
        journey={"first_contact_conversion": 0.2,
                 "invoice": {"paid_probability": 0.0, "reminders": 2,
                             "reminder_success": 1e-300}},
        initial_state={"unpaid_invoices": [{"tier": "start", "count": 5}]},
    )
    _, ledger = _run(raw, 0)
    a = ledger.arrays()
    assert a["flows"][:, S["invoiced"], S["lost_unpaid"]].sum() == 5


SUBSCRIBERS = 20
SUBSCRIPTION_PRICE = 100.0


def _upsell_onto_subscription(entry_regular: bool) -> np.ndarray:
    """20 starting clients on a cheap tier bought about 10 times a month, each repeat purchase
    upsells them (probability 1) onto a monthly subscription; no churn. Returns the
    subscription tier's revenue per month."""
    raw = _small(tiers=[
        {"name": "basic", "price": 1, "entry_share": 1.0, "monthly_churn": 0.0,
         "regular": entry_regular, "purchase_interval_months": 0.1, "upsell_probability": 1.0},
        {"name": "subscription", "price": SUBSCRIPTION_PRICE, "monthly_churn": 0.0,
         "regular": True, "purchase_interval_months": 1},
    ], initial_state={"clients": [{"tier": "basic", "count": SUBSCRIBERS}]})
    _, ledger = _run(raw, 3)
    return ledger.arrays()["revenue"][:, 1, :].sum(axis=1)


def test_upsell_onto_subscription_keeps_paying() -> None:
    revenue = _upsell_onto_subscription(entry_regular=False)
    # all 20 have upsold within the first month (P(not) ~ e^-10 each); from then on each pays
    # the subscription once every 30 days, so once in every later month
    np.testing.assert_array_equal(revenue[2:], SUBSCRIBERS * SUBSCRIPTION_PRICE)


@pytest.mark.parametrize("entry_regular", [False, True])
def test_subscriber_pays_at_most_once_a_month(entry_regular: bool) -> None:
    revenue = _upsell_onto_subscription(entry_regular)
    # a purchase at day t and the next at t + 30 never fall in the same 30-day month
    assert np.all(revenue <= SUBSCRIBERS * SUBSCRIPTION_PRICE), revenue


# -- hand-worked scenarios: every number known in closed form --------------------------------------

# 20 starting subscribers and 10 invoices paid on day 0 (10 new clients), all on one monthly plan
# at 200 with cost of goods 40, 10% commission on first purchases, onboarding 5 a new client;
# nobody churns and no lead ever arrives (a budget but no max_leads). Each of the 30 clients
# pays once in every month. The annual discount rate makes the monthly one exactly 1%.
CLOSED_FORM: dict[str, Any] = {
    "name": "closed_form",
    "horizon_months": 12,
    "discount_rate_annual": 1.01**12 - 1,
    "overhead_monthly": 500,
    "channels": [{"name": "ads", "budget_monthly": 1000}],
    "sales": {"managers": 2, "salary_monthly": 300, "commission_rate": 0.1},
    "journey": {"first_contact_conversion": 0.2,
                "invoice": {"paid_probability": 1.0, "delay_days": 0}},
    "tiers": [{"name": "plan", "price": 200, "cost_of_goods": 40, "entry_share": 1.0,
               "monthly_churn": 0.0, "regular": True, "purchase_interval_months": 1,
               "onboarding_cost": 5}],
    "initial_state": {"clients": [{"tier": "plan", "count": 20}],
                      "unpaid_invoices": [{"tier": "plan", "count": 10}]},
}
# month 1: revenue 30 x 200 = 6000, less cost of goods 30 x 40, commission 0.1 x 10 x 200,
# onboarding 10 x 5, marketing 1000, salaries 2 x 300, overhead 500; later months: no
# commission and no onboarding
FIRST_MONTH_PROFIT = 6000 - 1200 - 200 - 50 - 1000 - 600 - 500  # 2450
LATER_PROFIT = 6000 - 1200 - 1000 - 600 - 500  # 2700


def _then(first: float, later: float) -> np.ndarray:
    """A monthly series of the hand-worked scenario: month 1's value, then 11 months of `later`."""
    return np.array([first] + [later] * 11, dtype=float)


@pytest.mark.parametrize("seed", [0, 7])
def test_hand_worked_scenario_books_every_amount_once(seed: int) -> None:
    compiled, ledger = _run(CLOSED_FORM, seed)
    m = monthly_metrics(ledger)
    r = run_metrics(ledger, compiled, m)

    np.testing.assert_array_equal(m["new_clients"], _then(10, 0))
    np.testing.assert_array_equal(m["active_clients"], 30)
    np.testing.assert_allclose(m["revenue"], 6000)
    np.testing.assert_allclose(m["first_purchase_revenue"], _then(2000, 0))
    np.testing.assert_allclose(m["repeat_revenue"], _then(4000, 6000))
    # RR: the starting 20 in month 1, all 30 once the new ones have paid before
    np.testing.assert_allclose(m["recurring_revenue"], _then(4000, 6000))
    np.testing.assert_allclose(m["gross_profit"], 30 * (200 - 40))
    np.testing.assert_allclose(m["marketing"], 1000)
    np.testing.assert_allclose(m["salaries"], 600)
    np.testing.assert_allclose(m["decided_spend"], 1600)
    np.testing.assert_allclose(m["total_costs"], _then(3550, 3300))
    np.testing.assert_allclose(m["profit"], _then(FIRST_MONTH_PROFIT, LATER_PROFIT))
    np.testing.assert_allclose(m["cumulative_profit"],
                               FIRST_MONTH_PROFIT + LATER_PROFIT * np.arange(12))
    np.testing.assert_allclose(m["cumulative_revenue"], 6000 * np.arange(1, 13))

    total = FIRST_MONTH_PROFIT + 11 * LATER_PROFIT  # 32150
    assert r["total_revenue"] == pytest.approx(72000)
    assert r["total_profit"] == pytest.approx(total)
    # an annuity of 2700 a month at 1%, paid at each month's end, less month 1's shortfall of 250
    npv = LATER_PROFIT * (1 - 1.01**-12) / 0.01 - (LATER_PROFIT - FIRST_MONTH_PROFIT) / 1.01
    assert r["npv_profit"] == pytest.approx(npv, rel=1e-9)  # 30141.18...
    assert r["npv_profit"] < r["total_profit"]
    at_zero = run_metrics(ledger, dataclasses.replace(compiled, monthly_discount_rate=0.0), m)
    assert at_zero["npv_profit"] == pytest.approx(total, rel=1e-12)
    # the owner's ratios: CAC = (marketing 12000 + salaries 7200 + commission 200) / 10 clients;
    # nobody came from the paid channel, so its marketing returned nothing (ROMI -1)
    assert r["total_new_clients"] == 10 and r["total_leads"] == 0
    assert r["cac"] == pytest.approx(1940)
    assert r["romi"] == pytest.approx(-1)
    assert r["nmc"] == pytest.approx(12 * 4800 - 12000)
    assert r["ros"] == pytest.approx((12 * 4800 - 7400) / 7400)
    assert r["average_check"] == pytest.approx(200)
    assert r["starting_clients_revenue"] == pytest.approx(20 * 200 * 12)


def test_budget_a_bet_sets_mid_horizon_is_what_marketing_spends() -> None:
    """A bet from month 5 ramps the budget from 1000 to 3000 over two months (2000 in month 5)
    and costs 700 once and 50 a month while in force. No lead comes of it (no max_leads), so
    profit falls by exactly the extra spend and revenue does not move."""
    from models.compiled.bets import compile_alternative

    raw = {**CLOSED_FORM, "bets": [{
        "name": "more_ads", "start_month": 5, "ramp_months": 2, "one_off_cost": 700,
        "monthly_cost": 50,
        "changes": [{"path": "channels.ads.budget_monthly", "set": 3000}]}]}
    spec = load_scenario(raw)
    base = monthly_metrics(simulate(compile_scenario(spec), 3))
    ledger = simulate(compile_alternative(spec, spec.bets), 3)
    a, m = ledger.arrays(), monthly_metrics(ledger)

    budget = np.array([1000] * 4 + [2000] + [3000] * 7, dtype=float)
    bet_costs = np.array([0] * 4 + [750] + [50] * 7, dtype=float)
    np.testing.assert_allclose(a["marketing_by_channel"][:, 0], budget)
    np.testing.assert_allclose(m["marketing"], budget)
    np.testing.assert_allclose(m["bet_costs"], bet_costs)
    np.testing.assert_allclose(m["decided_spend"], budget + 600 + bet_costs)
    np.testing.assert_allclose(m["revenue"], base["revenue"])
    np.testing.assert_allclose(base["profit"] - m["profit"], budget - 1000 + bet_costs)


# -- by segment and by channel (the dashboard's tables), on both engines -----------------------


@pytest.mark.parametrize("engine", ["agent", "fast"])
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=scenarios(), seed=SEEDS)
def test_segments_and_channels_split_the_totals(engine: str, raw: dict[str, Any],
                                                seed: int) -> None:
    from sim.engines import get_engine

    compiled = compile_scenario(load_scenario(raw))
    a = get_engine(engine)(compiled, seed).arrays()
    n_segments = len(compiled.timeline[0].segments)
    assert a["segment_leads"].shape == (compiled.horizon_months, n_segments)
    scale = 1 + np.abs(a["revenue"]).sum()
    # every lead, client, purchase and loss is booked to exactly one segment, each month
    np.testing.assert_array_equal(a["segment_leads"].sum(axis=1), a["leads"].sum(axis=1))
    np.testing.assert_array_equal(a["segment_new_clients"].sum(axis=1),
                                  a["new_clients"].sum(axis=1))
    revenue = a["revenue"].sum(axis=(1, 2))
    assert _close(a["segment_revenue"].sum(axis=1), revenue, scale)
    assert _close(a["revenue_by_channel"].sum(axis=1), revenue, scale)
    assert _close(a["segment_gross_profit"].sum(axis=1),
                  a["gross_profit_by_channel"].sum(axis=1), scale)
    assert _close(a["segment_lost_value"].sum(axis=1), a["lost_value"].sum(axis=1),
                  1 + np.abs(a["lost_value"]).sum())
    # the advertising behind the leads: each paid channel's leads at its month's cost per lead
    ads = np.array([sum(a["leads"][m, c] * ch.cost_per_lead for c, ch in enumerate(p.channels))
                    for m, p in enumerate(compiled.timeline)])
    assert _close(a["segment_ad_spend"].sum(axis=1), ads, 1 + ads.sum())
    # a segment's clients came from its leads (or the starting state), never more than arrived
    _, leads0, invoices0 = _starting(raw)
    assert np.all(np.cumsum(a["segment_new_clients"], axis=0)
                  <= np.cumsum(a["segment_leads"], axis=0) + leads0 + invoices0)
