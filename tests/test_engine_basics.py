"""Focused checks of single mechanisms: each would break if that mechanism were wired wrong."""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from models.accounting.ledger import C, S
from models.accounting.metrics import monthly_metrics, run_metrics
from models.compiled.form import compile_scenario
from models.compiled.saturation import saturation_leads
from models.compiled.value import expected_months_within
from models.load import load_scenario
from sim.engines.agent import simulate

BASE: dict[str, Any] = {
    "name": "basics",
    "horizon_months": 6,
    "channels": [{"name": "ads", "budget_monthly": 1000, "max_leads": 200,
                  "half_saturation_budget": 1000}],
    "sales": {"managers": 5, "handling_minutes": 5, "salary_monthly": 100,
              "commission_rate": 0.1},
    "journey": {"first_contact_conversion": 0.2},
    "tiers": [{"name": "basic", "price": 100, "cost_of_goods": 40, "monthly_churn": 0.1,
               "regular": True, "entry_share": 1}],
}


def scenario(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return data


def run(data: dict[str, Any], seed: int = 1):  # type: ignore[no-untyped-def]
    compiled = compile_scenario(load_scenario(data))
    ledger = simulate(compiled, seed)
    return compiled, ledger, monthly_metrics(ledger), run_metrics(ledger, compiled)


def test_saturation_curve_has_diminishing_returns() -> None:
    assert saturation_leads(0, 100, 50) == 0
    assert saturation_leads(50, 100, 50) == pytest.approx(50)
    gains = np.diff([saturation_leads(b, 100, 50) for b in (0, 50, 100, 150, 200)])
    assert np.all(np.diff(gains) < 0)


def test_expected_months_within_is_truncated_geometric() -> None:
    p, k = 0.1, 12
    brute = sum((1 - p) ** j for j in range(k))
    assert expected_months_within(p, k) == pytest.approx(brute)
    assert expected_months_within(0.0, 7) == 7


def test_fixed_costs_are_booked_every_month() -> None:
    _, ledger, monthly, _ = run(scenario(overhead_monthly=500))
    costs = np.asarray(ledger.costs)
    assert np.all(costs[:, C["salaries"]] == 5 * 100)
    assert np.all(costs[:, C["overhead"]] == 500)
    assert np.all(costs[:, C["marketing"]] == 1000)
    assert np.allclose(monthly["profit"], monthly["revenue"] - costs.sum(axis=1))


def test_commission_is_charged_on_first_purchases_only() -> None:
    _, ledger, monthly, _ = run(scenario())
    costs = np.asarray(ledger.costs)
    assert np.allclose(costs[:, C["commission"]], 0.1 * monthly["first_purchase_revenue"])


def test_starting_clients_pay_recurring_revenue_from_month_one() -> None:
    data = scenario(initial_state={"clients": [{"tier": "basic", "count": 200,
                                                "tenure_months": 6}]})
    data["channels"][0]["budget_monthly"] = 0
    _, _ledger, monthly, metrics = run(data)
    assert monthly["leads"].sum() == 0
    # a starting subscriber renews at an anniversary in month 1 unless they churn there (0.1)
    paid = monthly["revenue"][0] / 100
    assert monthly["recurring_revenue"][0] == monthly["revenue"][0]
    assert abs(paid - 200 * 0.9) < 4 * math.sqrt(200 * 0.9 * 0.1)
    assert metrics["total_new_clients"] == 0
    assert math.isnan(metrics["cltv"])  # no new clients: CLTV is not defined, not zero


def test_open_leads_and_unpaid_invoices_of_the_starting_state_are_worked() -> None:
    data = scenario(initial_state={
        "open_leads": [{"channel": "ads", "count": 300, "touches_done": 1}],
        "unpaid_invoices": [{"tier": "basic", "count": 50}],
    })
    data["channels"][0]["budget_monthly"] = 0
    data["journey"]["follow_up"] = {"max_touches": 2, "interval_days": 2,
                                    "conversion_per_touch": 0.5}
    _, ledger, monthly, _ = run(data)
    assert monthly["leads"].sum() == 0  # the pipeline is not counted as new leads
    new = monthly["new_clients"].sum()
    # 50 invoices paid (paid_probability 1) + each lead's one remaining touch closes with 0.5
    assert 50 + 150 - 4 * math.sqrt(300 * 0.25) < new < 50 + 150 + 4 * math.sqrt(300 * 0.25)
    flows = np.asarray(ledger.flows).sum(axis=0).reshape(len(S), len(S))
    assert flows[S["follow_up"], S["follow_up"]] == 300  # entered directly into follow-up


def test_committee_delay_keeps_deals_deciding() -> None:
    data = scenario(segments=[{"name": "enterprise", "share": 1,
                               "committee_delay_days": 20}])
    _, ledger, _, _ = run(data)
    occupancy = np.asarray(ledger.occupancy)[:, S["deciding"]].sum()
    deals = np.asarray(ledger.flows).sum(axis=0).reshape(len(S), len(S))[:, S["deciding"]].sum()
    # Little's law over the run: agent-days in 'deciding' ~ deals x mean delay (20 days)
    assert deals > 100
    assert occupancy / deals == pytest.approx(20, rel=0.2)


def test_unpaid_invoices_leak_and_reminders_recover_some() -> None:
    base = scenario(journey={"first_contact_conversion": 0.5,
                             "invoice": {"paid_probability": 0.5, "delay_days": 1}})
    _, _, _, without = run(base)
    base["journey"]["invoice"].update({"reminders": 3, "reminder_success": 0.5,
                                       "reminder_interval_days": 1})
    _, _, _, with_reminders = run(base)
    assert without["lost_unpaid_count"] > 0
    # same leads (common random numbers): reminders only ever turn unpaid invoices into paid ones
    assert with_reminders["lost_unpaid_count"] < without["lost_unpaid_count"]
    assert with_reminders["total_new_clients"] > without["total_new_clients"]


def test_retention_programme_costs_and_cuts_churn() -> None:
    data = scenario(horizon_months=12)
    _, _, plain_monthly, _plain = run(data)
    data["retention"] = {"enabled": True, "cost_per_client_month": 5, "churn_reduction": 0.5}
    _, ledger, monthly, kept = run(data)
    assert monthly["churned"].sum() < plain_monthly["churned"].sum()
    assert np.asarray(ledger.costs)[:, C["retention"]].sum() > 0
    assert kept["retention_cost_per_client_month"] == pytest.approx(5, rel=0.15)


def test_win_back_returns_clients_and_costs_per_attempt() -> None:
    data = scenario(horizon_months=12,
                    win_back={"enabled": True, "probability": 0.5, "delay_days": 10,
                              "cost_per_attempt": 7})
    _, ledger, monthly, metrics = run(data)
    churned = monthly["churned"].sum()
    won = np.asarray(ledger.win_backs).sum()
    assert np.asarray(ledger.costs)[:, C["win_back"]].sum() == pytest.approx(7 * churned)
    assert 0.5 * churned - 4 * math.sqrt(churned * 0.25) < won + metrics[
        "lost_client_count"] * 0 < 0.5 * churned + 4 * math.sqrt(churned * 0.25)


def test_upsell_moves_clients_up_the_pyramid() -> None:
    data = scenario(horizon_months=12)
    data["tiers"][0]["upsell_probability"] = 0.3
    data["tiers"].append({"name": "premium", "price": 300, "monthly_churn": 0.05,
                          "regular": True})
    _, ledger, _, _ = run(data)
    revenue = np.asarray(ledger.revenue).reshape(12, 2, 2)
    assert revenue[:, 1, 0].sum() == 0  # nobody starts in premium (entry_share 0)
    assert revenue[:, 1, 1].sum() > 0  # but upsold clients buy it


def test_late_response_loses_leads_when_the_team_is_overloaded() -> None:
    data = scenario()
    data["journey"]["response_half_life_hours"] = 24
    _, _, _, ample = run(data)
    data["sales"]["managers"] = 1
    data["sales"]["handling_minutes"] = 150  # 67 contacts a month for 100 leads
    _, _, monthly, overloaded = run(data)
    assert overloaded["lost_late_count"] > 5 * max(ample["lost_late_count"], 1)
    assert monthly["mean_wait_hours"][-1] > 24


def test_frequency_multiplier_speeds_up_subscriptions_too() -> None:
    data = scenario(horizon_months=6)
    data["tiers"][0]["monthly_churn"] = 0.0
    data["initial_state"] = {"clients": [{"tier": "basic", "count": 100}]}
    data["channels"][0]["budget_monthly"] = 0
    _, _, once, _ = run(data)
    data["segments"] = [{"name": "all", "share": 1, "frequency_multiplier": 2}]
    _, _, twice, _ = run(data)
    # no churn, no new clients: 100 subscribers pay once a month, or twice at double frequency
    assert once["revenue"][1:].sum() == 100 * 100 * 5
    assert twice["revenue"][1:].sum() == pytest.approx(2 * 100 * 100 * 5, abs=100 * 100)


# -- a team whose size changes month by month --------------------------------------------------


def _with_team(data: dict[str, Any], managers_by_month: list[int]):  # type: ignore[no-untyped-def]
    """The compiled scenario with `managers_by_month[m]` managers in month m (as a bet that hires,
    or a shock that loses people, would give)."""
    compiled = compile_scenario(load_scenario(data))
    assert len(managers_by_month) == compiled.horizon_months
    timeline = tuple(dataclasses.replace(p, managers=k)
                     for p, k in zip(compiled.timeline, managers_by_month, strict=True))
    return dataclasses.replace(compiled, timeline=timeline)


def test_nobody_is_served_while_the_team_is_empty() -> None:
    ledger = simulate(_with_team(scenario(), [0, 3, 3, 3, 3, 3]), 1)
    requests, state_end = np.asarray(ledger.requests), np.asarray(ledger.state_end)
    assert requests[0] == 0  # month 1: no manager, nobody served, nobody paid a salary
    assert np.asarray(ledger.costs)[0, C["salaries"]] == 0
    waiting = state_end[0, S["waiting"]]
    assert waiting > 50 and state_end[0, S["in_contact"]] == 0
    # the three managers take the queue at the start of month 2, and those leads waited long
    assert requests[1] >= waiting
    assert monthly_metrics(ledger)["mean_wait_hours"][1] > 24


def test_a_leaving_manager_finishes_the_contact_in_hand() -> None:
    data = scenario()
    data["sales"]["handling_minutes"] = 600  # ~1.8 days a contact: both managers always busy
    ledger = simulate(_with_team(data, [2, 0, 0, 0, 0, 0]), 1)
    requests, state_end = np.asarray(ledger.requests), np.asarray(ledger.state_end)
    flows = np.asarray(ledger.flows).reshape(6, len(S), len(S))
    assert state_end[0, S["in_contact"]] == 2  # two contacts in hand when the team leaves
    assert flows[1, S["in_contact"]].sum() == 2  # they end in month 2
    assert state_end[1, S["in_contact"]] == 0
    assert requests[1:].sum() == 0  # and nobody is served after that


def test_a_larger_team_in_later_months_cuts_the_wait() -> None:
    data = scenario()
    data["sales"]["managers"] = 1
    data["sales"]["handling_minutes"] = 150  # one manager: 67 contacts a month for 100 leads
    _, _, alone, _ = run(data)
    hired = monthly_metrics(simulate(_with_team(data, [1, 1, 1, 6, 6, 6]), 1))
    waits, base = hired["mean_wait_hours"], alone["mean_wait_hours"]
    np.testing.assert_array_equal(waits[:3], base[:3])  # the same run until the hires come
    assert waits[4:].max() * 10 < waits[1:3].min()  # then the backlog goes and waits are short
    assert waits[4:].max() * 10 < base[4:].min()
