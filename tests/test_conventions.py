"""Each convention the engines share is worked out by one function, and both engines agree with
it on a case whose answer has a closed form (tests/test_architecture.py finds second copies by
name; these catch a copy that has drifted in what it computes)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from models.accounting.metrics import monthly_metrics
from models.compiled.form import compile_scenario
from models.compiled.value import LIFETIME_CAP_MONTHS
from models.compiled.workload import estimate
from models.load import load_scenario
from sim.engines import ENGINE_NAMES, get_engine

CHURN, PRICE, COGS, CLIENTS = 0.1, 100.0, 40.0, 60
# Starting clients of one monthly subscription and nothing else: no leads, no discounting.
BASE: dict[str, Any] = {
    "name": "tail",
    "horizon_months": 4,
    "discount_rate_annual": 0.0,
    "channels": [{"name": "ads", "budget_monthly": 0, "max_leads": 10,
                  "half_saturation_budget": 1000}],
    "sales": {"managers": 1},
    "journey": {"first_contact_conversion": 0.2},
    "tiers": [{"name": "basic", "price": PRICE, "cost_of_goods": COGS, "monthly_churn": CHURN,
               "regular": True, "entry_share": 1}],
    "initial_state": {"clients": [{"tier": "basic", "count": CLIENTS, "tenure_months": 3,
                                   "onboarded_share": 1.0}]},
}


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_both_engines_value_the_tail_by_the_one_rule(engine: str) -> None:
    """Catches an engine that values a client after the horizon by its own copy of the rule (a
    different lifetime cap, churn applied once too few, the rest of a paid period counted for a
    subscriber). Without discounting a subscriber active at the horizon is worth, whatever its
    anniversary, (1 - churn) x margin x (1 - (1 - churn)^n) / churn, n = LIFETIME_CAP_MONTHS."""
    compiled = compile_scenario(load_scenario(copy.deepcopy(BASE)))
    ledger = get_engine(engine)(compiled, 3)
    active = monthly_metrics(ledger)["active_clients"][-1]
    assert 0 < active < CLIENTS, "the check needs some clients churned and some active"
    periods = (1 - (1 - CHURN) ** LIFETIME_CAP_MONTHS) / CHURN
    each = (1 - CHURN) * (PRICE - COGS) * periods
    assert ledger.customer_equity == pytest.approx(active * each, rel=1e-9)


def test_the_workload_estimate_and_the_compiled_form_share_the_saturation_curve() -> None:
    """Catches the workload estimate (which refuses too big a scenario) or the compiled form
    using its own saturation curve: at the half-saturation budget a channel buys half its
    ceiling of leads, 150 of 300 a month, in both."""
    data = copy.deepcopy(BASE)
    data["channels"] = [{"name": "ads", "budget_monthly": 1000, "max_leads": 300,
                         "half_saturation_budget": 1000}]
    spec = load_scenario(data)
    assert compile_scenario(spec).timeline[0].channels[0].paid_leads == pytest.approx(150.0)
    assert estimate(spec).sources["channels.ads"] == pytest.approx(150.0 * 4)
