"""The calibrated agent simulation forecasts the CDNOW holdout as the BG/NBD does analytically."""

from __future__ import annotations

import numpy as np
import pytest

from models.accounting.ledger import S
from models.calibration.calibrate import (
    TransactionsCalibration,
    calibrate_transactions,
    forecast_scenario,
)
from models.calibration.cdnow import CALIBRATION_END, OBSERVATION_END, read_cdnow
from models.compiled.form import compile_scenario
from models.spec.scenario import Scenario
from sim.engines.agent import simulate
from sim.engines.recorder import PurchaseLog

HOLDOUT_DAYS = 39 * 7


@pytest.fixture(scope="module")
def calibration() -> TransactionsCalibration:
    return calibrate_transactions(read_cdnow(), "week", CALIBRATION_END, OBSERVATION_END)


def test_simulated_holdout_matches_conditional_expectation(
        calibration: TransactionsCalibration) -> None:
    """60 seeded replications of the 2,357 customers over the 39-week holdout: the mean number
    of repeat transactions is the sum of the customers' conditional expectations within 4 SE."""
    spec = Scenario.model_validate(forecast_scenario(calibration.scenario_fragment(), 10))
    compiled = compile_scenario(spec)
    totals = []
    for seed in range(60):
        log = PurchaseLog()
        simulate(compiled, seed, log)
        totals.append(sum(day < HOLDOUT_DAYS for day in log.days))
    theory = calibration.report()["diagnostics"]["holdout"]["expected_total"]
    se = np.std(totals, ddof=1) / np.sqrt(len(totals))
    assert abs(np.mean(totals) - theory) < 4 * se, (np.mean(totals), theory, se)
    assert se < 0.01 * theory  # the check has teeth: 4 SE is under 4% of the total


def test_simulated_spend_matches_gamma_gamma(calibration: TransactionsCalibration) -> None:
    """Spend per purchase: the mean over simulated purchases is the purchase-weighted mean of
    the customers' posterior mean spend; checked loosely (within 5%) against the Gamma-Gamma
    conditional expectation weighted by each customer's expected holdout purchases."""
    from models.calibration import gamma_gamma
    from models.calibration.calibrate import holdout_diagnostics

    spec = Scenario.model_validate(forecast_scenario(calibration.scenario_fragment(), 10))
    compiled = compile_scenario(spec)
    amounts: list[float] = []
    for seed in range(8):
        log = PurchaseLog()
        simulate(compiled, seed, log)
        amounts += [a for a, d in zip(log.amounts, log.days, strict=True) if d < HOLDOUT_DAYS]
    f = calibration.summary.frame
    gg = calibration.gamma_gamma_params
    assert gg is not None
    spend = gamma_gamma.conditional_expected_average_profit(gg, f["x"], f["monetary_value"])
    weights = holdout_diagnostics(calibration.bgnbd_params, calibration.summary)["per_customer"][
        "expected"].to_numpy()
    expected = float((spend * weights).sum() / weights.sum())
    assert np.mean(amounts) == pytest.approx(expected, rel=0.05)


def test_new_clients_of_a_calibrated_tier_buy_and_drop_out() -> None:
    """Clients won through the funnel onto a tier with `buying` draw their own habits from the
    mixing distributions: repeat purchases happen, some drop out, and the books balance."""
    spec = Scenario.model_validate({
        "name": "funnel into calibrated tier", "horizon_months": 12,
        "channels": [{"name": "web", "organic_leads": 300}],
        "sales": {"managers": 50},
        "journey": {"first_contact_conversion": 0.5},
        "tiers": [{"name": "shop", "price": 40, "monthly_churn": 0.05,
                   "buying": {"period_days": 7, "r": 2.0, "alpha": 4.0, "a": 1.0, "b": 4.0,
                              "spend_p": 6.0, "spend_q": 4.0, "spend_gamma": 15.0}}],
    })
    ledger = simulate(compile_scenario(spec), 3)
    arrays = ledger.arrays()
    assert sum(ledger.purchases) > 2 * sum(map(sum, ledger.new_clients))  # repeat buying
    assert ledger.count[S["lost_client"]] > 0  # dropouts
    assert arrays["revenue"][:, 0, 1].sum() > 0  # repeat revenue booked
