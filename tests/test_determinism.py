"""Determinism: the same scenario and seed give the same results, another seed other results, and
the Monte Carlo does not depend on how many processes run it."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.accounting.metrics import monthly_metrics, run_metrics
from models.compiled.form import compile_scenario
from models.load import load_scenario
from models.spec.scenario import Scenario
from sim.engines.agent import simulate
from sim.experiments.montecarlo import MonteCarloResult, run_monte_carlo
from sim.report.output import write_results

SMALL: dict[str, Any] = {
    "name": "determinism",
    "horizon_months": 6,
    "discount_rate_annual": 0.15,
    "overhead_monthly": 500,
    "segments": [
        {"name": "smb", "share": 0.7},
        {"name": "enterprise", "share": 0.3, "price_multiplier": 3, "committee_delay_days": 10},
    ],
    "channels": [
        {"name": "ads", "budget_monthly": {"dist": "triangular", "low": 800, "mode": 1000,
                                           "high": 1500},
         "max_leads": 120, "half_saturation_budget": 1000},
        {"name": "organic", "organic_leads": 20},
    ],
    "referrals": {"leads_per_client_month": 0.05},
    "sales": {"managers": 1, "handling_minutes": 20, "salary_monthly": 1000,
              "commission_rate": 0.05},
    "journey": {
        "base_response_hours": 2,
        "response_half_life_hours": 48,
        "lost_unprocessed": 0.1,
        "first_contact_conversion": {"dist": "beta", "mean": 0.15, "sd": 0.04},
        "first_contact_drop": 0.4,
        "follow_up": {"max_touches": 2, "interval_days": 3, "conversion_per_touch": 0.05},
        "invoice": {"paid_probability": 0.8, "delay_days": 5, "reminders": 2,
                    "reminder_success": 0.3},
    },
    "tiers": [
        {"name": "start", "price": 100, "cost_of_goods": 30, "entry_share": 0.8,
         "regular": True, "upsell_probability": 0.1, "monthly_churn": 0.08,
         "onboarding_probability": 0.7, "onboarding_cost": 10},
        {"name": "pro", "price": 300, "cost_of_goods": 90, "entry_share": 0.2,
         "monthly_churn": {"dist": "pert", "low": 0.02, "mode": 0.04, "high": 0.1}},
    ],
    "retention": {"enabled": True, "cost_per_client_month": 2, "churn_reduction": 0.2},
    "win_back": {"enabled": True, "probability": 0.2, "delay_days": 20, "cost_per_attempt": 5},
    "uncertainty": {"correlations": [
        {"a": "channels.ads.budget_monthly", "b": "journey.first_contact_conversion",
         "rho": 0.5},
    ]},
    "initial_state": {
        "clients": [{"tier": "start", "count": 10, "tenure_months": 3}],
        "open_leads": [{"channel": "ads", "count": 5, "touches_done": 1}],
        "unpaid_invoices": [{"tier": "pro", "count": 2}],
    },
    "goal": {"metric": "monthly_revenue", "target": 3000, "deadline_month": 6},
}


@pytest.fixture(scope="module")
def spec() -> Scenario:
    return load_scenario(SMALL)


def _same_scalars(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a
    )


def _ledger_arrays(spec: Scenario, seed: int) -> dict[str, np.ndarray]:
    ledger = simulate(compile_scenario(spec), seed)
    out = ledger.arrays()
    out["customer_equity"] = np.array(ledger.customer_equity)
    out["events"] = np.array(ledger.events)
    return out


# -- one run -----------------------------------------------------------------------------------


def test_same_seed_same_run(spec: Scenario) -> None:
    first, second = _ledger_arrays(spec, 42), _ledger_arrays(spec, 42)
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_same_seed_same_metrics_from_fresh_compiles(spec: Scenario) -> None:
    results = []
    for _ in range(2):
        compiled = compile_scenario(load_scenario(SMALL))  # nothing cached between runs
        ledger = simulate(compiled, 7)
        results.append((monthly_metrics(ledger), run_metrics(ledger, compiled)))
    (m1, r1), (m2, r2) = results
    for name in m1:
        np.testing.assert_array_equal(m1[name], m2[name], err_msg=name)
    assert _same_scalars(r1, r2)


def test_seed_sequence_and_int_seed_agree(spec: Scenario) -> None:
    """An int seed means SeedSequence(seed): the two spellings are the same stream."""
    compiled = compile_scenario(spec)
    a = simulate(compiled, 11).arrays()
    b = simulate(compiled, np.random.SeedSequence(11)).arrays()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_other_seed_other_run(spec: Scenario) -> None:
    first, second = _ledger_arrays(spec, 1), _ledger_arrays(spec, 2)
    assert not np.array_equal(first["flows"], second["flows"])
    assert not np.array_equal(first["revenue"], second["revenue"])
    # and no two of a handful of seeds collide
    leads = {tuple(_ledger_arrays(spec, s)["leads"].ravel()) for s in range(3, 8)}
    assert len(leads) == 5


def test_runs_do_not_leak_state_into_each_other(spec: Scenario) -> None:
    """A run's result does not depend on what ran before it in the same process."""
    compiled = compile_scenario(spec)
    alone = simulate(compiled, 5).arrays()
    simulate(compiled, 6)
    simulate(compile_scenario(load_scenario(SMALL, ["sales.managers=3"])), 5)
    again = simulate(compiled, 5).arrays()
    for name in alone:
        np.testing.assert_array_equal(alone[name], again[name], err_msg=name)


# -- Monte Carlo -------------------------------------------------------------------------------

REPS = 6


@pytest.fixture(scope="module")
def serial(spec: Scenario) -> MonteCarloResult:
    return run_monte_carlo(spec, replications=REPS, seed=3, workers=1)


def _files(result: MonteCarloResult, folder: Path) -> tuple[bytes, pd.DataFrame]:
    summary, monthly = write_results(result, folder)
    return summary.read_bytes(), pd.read_parquet(monthly)


def test_workers_do_not_change_the_results(spec: Scenario, serial: MonteCarloResult,
                                           tmp_path: Path) -> None:
    pooled = run_monte_carlo(spec, replications=REPS, seed=3, workers=2)
    bytes1, frame1 = _files(serial, tmp_path / "one")
    bytes2, frame2 = _files(pooled, tmp_path / "two")
    assert bytes1 == bytes2
    pd.testing.assert_frame_equal(frame1, frame2)
    for name in serial.monthly:
        np.testing.assert_array_equal(serial.monthly[name], pooled.monthly[name], err_msg=name)
    assert serial.events == pooled.events


def test_any_executor_gives_the_same_results(spec: Scenario, serial: MonteCarloResult,
                                             tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as executor:
        threaded = run_monte_carlo(spec, replications=REPS, seed=3, executor=executor)
    assert _files(serial, tmp_path / "one")[0] == _files(threaded, tmp_path / "two")[0]


def test_monte_carlo_seed_matters(spec: Scenario, serial: MonteCarloResult,
                                  tmp_path: Path) -> None:
    other = run_monte_carlo(spec, replications=REPS, seed=4, workers=1)
    assert not np.array_equal(serial.monthly["revenue"], other.monthly["revenue"])
    assert _files(serial, tmp_path / "one")[0] != _files(other, tmp_path / "two")[0]


def test_replications_differ_from_each_other(serial: MonteCarloResult) -> None:
    """Each replication has its own stream and its own parameter draw."""
    leads = serial.monthly["leads"]
    assert len({tuple(row) for row in leads}) == REPS
    assert len(set(serial.scalars["total_revenue"].tolist())) == REPS


def test_provenance_names_seed_and_scenario(spec: Scenario, serial: MonteCarloResult) -> None:
    prov = serial.provenance()
    assert prov["seed"] == 3
    assert prov["replications"] == REPS
    edited = load_scenario(SMALL, ["overhead_monthly=501"])
    assert prov["scenario_hash"] == run_monte_carlo(
        spec, replications=1, seed=3, workers=1).provenance()["scenario_hash"]
    assert prov["scenario_hash"] != run_monte_carlo(
        edited, replications=1, seed=3, workers=1).provenance()["scenario_hash"]
