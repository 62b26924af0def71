"""What a loss is worth (docs/explanation/leak-worth.md), on both engines, against cases whose
answer is known exactly.

The case: one paid channel (a budget buying 300 leads a month: 1,000 a lead), ample sales
capacity, every lead finishing its journey before the horizon (leads arrive in the first months
only; the months after are silent), and a product bought once within the horizon, so a client is
worth exactly its price. Then a lead lost at a stage is worth exactly its chance to have paid
from there, worked by hand from the case's rates below, times the price; the advertising spent
on it is exactly its channel's cost per lead in the month it arrived; and plugging one leak alone
(on the same random numbers) brings, on average, exactly what that stage's losses were worth.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.accounting.ledger import LEAKS, Ledger, S
from models.accounting.metrics import run_metrics
from models.compiled.form import CompiledScenario, compile_scenario
from models.load import load_scenario
from models.words import t
from sim.engines import ENGINE_NAMES, get_engine

ROOT = Path(__file__).resolve().parents[1]
Z = 4.0  # |mean - theory| < Z SE: with R = 16 (Student t) a false alarm < 1 in 300 per check
R = 16
PRICE = 1000.0
BUDGET, MAX_LEADS, HALF = 300_000.0, 600.0, 300_000.0  # 300 paid leads a month, 1,000 a lead
COST_PER_LEAD = 1000.0
ARRIVAL_MONTHS, DRAIN_MONTHS = 6, 4  # 4 silent months: the longest journey (9 touches) ends
JOURNEY: dict[str, Any] = {
    "lost_unprocessed": 0.10,
    "base_response_hours": 24.0,
    "response_half_life_hours": 48.0,  # called after a day: still interested with 0.5 ** 0.5
    "first_contact_conversion": 0.20,
    "first_contact_drop": 0.30,
    "follow_up": {"max_touches": 4, "interval_days": 3.0, "conversion_per_touch": 0.15},
    "invoice": {"paid_probability": 0.60, "delay_days": 5.0, "reminders": 3,
                "reminder_interval_days": 7.0, "reminder_success": 0.35},
}


# Worked by hand from JOURNEY (not from the code's formula): the chance a lead lost at each
# stage would have paid had it passed the stage.
#   paid (after the reminders)  = 0.60 + 0.40 x (1 - 0.65^3) = 0.60 + 0.40 x 0.725375 = 0.89015
#   closed by the 4 follow-ups  = 1 - 0.85^4 = 1 - 0.52200625 = 0.47799375
#   closed from first contact   = 0.20 + 0.80 x 0.70 x 0.47799375 = 0.4676765
#   still interested after 24 h = 0.5^(24/48) = sqrt(0.5)
#   5 more touches (lost at follow-up: one more round of the cadence) = 1 - 0.85^5 = 0.5562946875
CHANCES = {
    "lost_unprocessed": math.sqrt(0.5) * 0.4676765 * 0.89015,  # 0.2943701...
    "lost_late": 0.4676765 * 0.89015,                           # 0.4163022...
    "lost_first_contact": 0.47799375 * 0.89015,                 # 0.4254861...
    "lost_follow_up": 0.5562946875 * 0.89015,                   # 0.4951857...
    "lost_unpaid": 1.0,
}


def case(journey: dict[str, Any], price_after: float | None = None) -> CompiledScenario:
    """The case's compiled scenario, its silent months spliced in (no leads, no budget). With
    `price_after`, the months from ARRIVAL_MONTHS - 1 on sell at that price instead."""
    def compiled(price: float) -> CompiledScenario:
        return compile_scenario(load_scenario({
            "name": "leaks",
            "horizon_months": ARRIVAL_MONTHS + DRAIN_MONTHS,
            "channels": [{"name": "ads", "budget_monthly": BUDGET, "max_leads": MAX_LEADS,
                          "half_saturation_budget": HALF}],
            "sales": {"managers": 10, "handling_minutes": 0.01},  # ample capacity
            "journey": journey,
            # bought once within the horizon: the next purchase is 100 months away
            "tiers": [{"name": "only", "price": price, "entry_share": 1.0, "monthly_churn": 0.0,
                       "regular": True, "purchase_interval_months": 100}],
        }))

    busy = compiled(PRICE)
    timeline = busy.timeline
    if price_after is not None:
        cut = ARRIVAL_MONTHS - 1
        timeline = timeline[:cut] + compiled(price_after).timeline[cut:]
    silent = tuple(
        dataclasses.replace(p, channels=tuple(
            dataclasses.replace(ch, budget=0.0, paid_leads=0.0, organic_leads=0.0)
            for ch in p.channels))
        for p in timeline[ARRIVAL_MONTHS:])
    return dataclasses.replace(busy, timeline=timeline[:ARRIVAL_MONTHS] + silent)


def replicate(engine: str, cs: CompiledScenario, root: int) -> list[Ledger]:
    simulate = get_engine(engine)
    return [simulate(cs, ss) for ss in np.random.SeedSequence(root).spawn(R)]


def assert_matches(samples: list[float], theory: float, what: str) -> None:
    x = np.asarray(samples, dtype=float)
    mean, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))
    assert se > 0, f"{what}: replications do not vary; the check would be vacuous"
    assert abs(mean - theory) < Z * se, (
        f"{what}: simulated {mean:.6g} +/- {se:.3g} (SE, R={x.size}), theory {theory:.6g}")


@pytest.fixture(scope="module", params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def baseline(engine: str) -> list[dict[str, float]]:
    cs = case(JOURNEY)
    runs = []
    for led in replicate(engine, cs, root=1101):
        state_end = np.asarray(led.state_end)[-1]
        assert all(state_end[S[s]] == 0 for s in ("new", "waiting", "in_contact", "follow_up",
                                                  "deciding", "invoiced")), "still open"
        runs.append(run_metrics(led, cs))
    return runs


def test_each_lost_lead_is_worth_its_chance_to_have_paid_times_a_client(
        baseline: list[dict[str, float]]) -> None:
    """Exactly, loss by loss: a lead lost at a stage is not a certain client. Catches a stage
    valued as a certain client, the reminders or the response decay left out, the follow-up
    stage valued to the 15th touch instead of one more round of five, or the wrong stage's
    chance (each stage's number differs)."""
    for r in baseline:
        for leak, chance in CHANCES.items():
            assert r[f"{leak}_count"] > 0, f"nobody lost at {leak}: the case tests nothing"
            assert r[f"{leak}_revenue"] == pytest.approx(
                r[f"{leak}_count"] * chance * PRICE, rel=1e-9), leak
        assert r["lost_client_count"] == 0  # nobody churns


def test_advertising_on_the_lost_leads_is_their_channels_cost_per_lead(
        baseline: list[dict[str, float]]) -> None:
    """Exactly: 1,000 a lead, the cost of the month it arrived even when it is lost in a silent
    month (whose cost per lead is 0)."""
    for r in baseline:
        for leak in LEAKS[:5]:
            assert r[f"{leak}_ad_spend"] == pytest.approx(
                r[f"{leak}_count"] * COST_PER_LEAD, rel=1e-9), leak
        # every lead ends lost or a client: the advertising of the leads not won is all lost
        total = sum(r[f"{leak}_ad_spend"] for leak in LEAKS)
        assert total == pytest.approx((r["total_leads"] - r["total_new_clients"])
                                      * COST_PER_LEAD, rel=1e-9)


# Plugging one leak alone: the parameter change that lets every lead lost there pass the stage
# (the follow-ups: one more round of the sources' cadence, 5 more touches).
PLUGS: dict[str, dict[str, Any]] = {
    "lost_unprocessed": {"lost_unprocessed": 0.0},
    "lost_late": {"response_half_life_hours": None},
    "lost_first_contact": {"first_contact_drop": 0.0},
    "lost_follow_up": {"follow_up": {**JOURNEY["follow_up"], "max_touches": 9}},
    "lost_unpaid": {"invoice": {**JOURNEY["invoice"], "paid_probability": 1.0}},
}


@pytest.mark.parametrize("leak", sorted(PLUGS))
def test_plugging_a_leak_alone_brings_what_its_losses_were_worth(
        engine: str, baseline: list[dict[str, float]], leak: str) -> None:
    """On common random numbers, the extra revenue of plugging one stage's leak is, on average,
    the worth its losses were booked at (so the sum over stages is what plugging each leak alone
    would bring)."""
    cs = case({**JOURNEY, **PLUGS[leak]})
    plugged = [run_metrics(led, cs) for led in replicate(engine, cs, root=1101)]
    gaps = [p["total_revenue"] - b["total_revenue"] - b[f"{leak}_revenue"]
            for p, b in zip(plugged, baseline, strict=True)]
    if leak == "lost_unpaid":  # the last stage: each lead lost there is exactly one client
        assert gaps == pytest.approx([0.0] * R, abs=1e-6 * PRICE)
    else:
        assert_matches(gaps, 0.0, f"extra revenue of plugging {leak} - its worth")
    # nothing left to plug; but a lead lost after the longer follow-ups is again valued at one
    # more round of the cadence (the rule), so that stage still has a worth
    if leak != "lost_follow_up":
        assert all(p[f"{leak}_revenue"] == 0 for p in plugged)


def test_a_lost_invoice_is_worth_a_client_on_the_terms_of_the_month_it_is_lost_in(
        engine: str) -> None:
    """The price doubles from month ARRIVAL_MONTHS - 1: an invoice issued before, lost after,
    is worth the new price (the month it is lost in), every month exactly."""
    cs = case(JOURNEY, price_after=2 * PRICE)
    cut = ARRIVAL_MONTHS - 1
    crossed = 0
    for led in replicate(engine, cs, root=1102):
        flows = np.asarray(led.flows).reshape(cs.horizon_months, len(S), len(S))
        lost = flows[:, :, S["lost_unpaid"]].sum(axis=1)
        price = np.where(np.arange(cs.horizon_months) < cut, PRICE, 2 * PRICE)
        value = np.asarray(led.lost_value)[:, LEAKS.index("lost_unpaid")]
        np.testing.assert_allclose(value, lost * price, rtol=1e-9)
        crossed += int(lost[cut])
    assert crossed > 0, "no invoice lost in the month the price changed: the case tests nothing"


def test_each_stage_lists_the_bets_that_target_it() -> None:
    """b2b_services' options, by what each changes (ads and referrals bring leads: no stage)."""
    from sim.report.owner import stage_bets

    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    assert stage_bets(spec) == {
        "lost_unprocessed": ["two_more_managers", "follow_up_and_crm"],
        "lost_late": ["two_more_managers"],
        "lost_first_contact": [],
        "lost_follow_up": ["follow_up_and_crm"],
        "lost_unpaid": ["invoice_collection"],
        "lost_client": ["onboarding_to_result"],
    }


def test_the_leak_table_is_worded_in_both_languages() -> None:
    """Every word of the leak table in English and Russian; the Russian table has no English
    (bets' titles in Russian, money in ₽); the CLI's table fits 80 columns."""
    from rich.console import Console

    from sim.experiments.montecarlo import run_monte_carlo
    from sim.report import leaks as report
    from sim.report.terminal import leak_options, leak_table

    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    result = run_monte_carlo(spec, replications=2, seed=1, engine="fast", workers=1)
    ru = report.leak_rows(result, "ru")
    assert list(ru.columns) == [t(f"leaks.{k}", "ru") for k in
                                ("stage", "lost", "worth", "share", "ad_spend", "bets")]
    cells = [str(c) for c in ru.columns] + [str(v) for col in ru for v in ru[col]]
    assert not [c for c in cells if re.search(r"[A-Za-z]", c.replace("CRM", ""))], cells
    assert ru.iloc[1, 5] == "Ещё два менеджера по продажам"  # called too late: more managers
    console = Console(width=80, record=True)
    for lang in ("en", "ru"):
        console.print(leak_table(result, lang))
        for line in leak_options(result, lang):
            console.print(line)
    assert max(len(line) for line in console.export_text().splitlines()) <= 80


def test_both_engines_value_the_leaks_alike() -> None:
    """A scenario with every lead stage leaking, two channels (one paid, one free) of different
    quality, two segments, referrals, a busy sales team and churn: each stage's worth and
    advertising agree between the engines within Z standard errors of their difference."""
    cs = compile_scenario(load_scenario({
        "name": "leaks, both engines",
        "horizon_months": 6,
        "channels": [{"name": "ads", "budget_monthly": BUDGET, "max_leads": 300.0,
                      "half_saturation_budget": HALF, "conversion_multiplier": 1.3},
                     {"name": "organic", "organic_leads": 60.0, "conversion_multiplier": 0.7}],
        "segments": [{"name": "small", "share": 0.7},
                     {"name": "large", "share": 0.3, "conversion_multiplier": 0.5,
                      "price_multiplier": 3.0}],
        "referrals": {"leads_per_client_month": 0.2},
        "sales": {"managers": 2, "handling_minutes": 40.0},
        "journey": JOURNEY,
        "tiers": [{"name": "monthly", "price": PRICE, "entry_share": 1.0, "monthly_churn": 0.1,
                   "regular": True, "purchase_interval_months": 1}],
    }))
    runs = {e: [run_metrics(led, cs) for led in replicate(e, cs, root=1103)]
            for e in ENGINE_NAMES}
    for leak in LEAKS:
        for what in ("revenue", "ad_spend"):
            a, b = (np.array([r[f"{leak}_{what}"] for r in runs[e]]) for e in ENGINE_NAMES)
            if leak == "lost_client" and what == "ad_spend":
                assert a.sum() == b.sum() == 0  # a client's loss carries no lead's advertising
                continue
            se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
            assert se > 0 and a.mean() > 0, f"{leak} {what}: the case tests nothing"
            assert abs(a.mean() - b.mean()) < Z * se, (
                f"{leak} {what}: {ENGINE_NAMES[0]} {a.mean():.6g}, {ENGINE_NAMES[1]} "
                f"{b.mean():.6g}, SE of the difference {se:.3g}")


def test_a_lost_invoice_is_worth_a_client_climbing_the_pyramid() -> None:
    """A client's value includes moving up the pyramid. Two monthly subscriptions (1,000, then
    2,500 with a 30% upsell at each renewal), churn at each anniversary, leads all through the
    horizon; invoices paid or lost at once (no delay, no reminders), so a lost invoice would have
    been paid at the very moment it was lost. Plugging that leak (every invoice paid), on common
    random numbers, brings on average exactly what the lost invoices were booked at."""
    journey = {**JOURNEY, "invoice": {"paid_probability": 0.5, "delay_days": 0.0}}
    tiers = [{"name": "basic", "price": PRICE, "entry_share": 1.0, "monthly_churn": 0.08,
              "regular": True, "purchase_interval_months": 1, "upsell_probability": 0.3},
             {"name": "pro", "price": 2.5 * PRICE, "monthly_churn": 0.04, "regular": True,
              "purchase_interval_months": 1}]

    def compiled(paid: float) -> CompiledScenario:
        return compile_scenario(load_scenario({
            "name": "pyramid", "horizon_months": 8,
            "channels": [{"name": "organic", "organic_leads": 150.0}],
            "sales": {"managers": 10, "handling_minutes": 0.01},
            "journey": {**journey, "invoice": {"paid_probability": paid, "delay_days": 0.0}},
            "tiers": tiers}))

    for engine in ENGINE_NAMES:
        base_cs, plugged_cs = compiled(0.5), compiled(1.0)
        base = [run_metrics(led, base_cs) for led in replicate(engine, base_cs, root=1104)]
        plugged = [run_metrics(led, plugged_cs) for led in replicate(engine, plugged_cs,
                                                                      root=1104)]
        assert all(b["lost_unpaid_count"] > 0 for b in base)
        gaps = [p["total_revenue"] - b["total_revenue"] - b["lost_unpaid_revenue"]
                for p, b in zip(plugged, base, strict=True)]
        assert_matches(gaps, 0.0, f"{engine}: extra revenue of paying every invoice - its worth")
