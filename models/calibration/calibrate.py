"""Calibration of the transactions model: fit BG/NBD and Gamma-Gamma to a business's purchase log,
check the fit, and turn it into a scenario fragment the engine runs.

`calibrate_transactions(log, ...)` is the library call behind `growthsim calibrate
transactions`; it returns a `TransactionsCalibration` whose `report()` is the JSON document and
whose `scenario_fragment()` is the YAML fragment (a tier whose clients buy by the fitted models,
and the customer base with each customer's history, so a simulation forecasts the holdout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.calibration import bgnbd, gamma_gamma
from models.calibration.mle import FitResult
from models.calibration.transactions import (
    PERIOD_DAYS,
    RFMSummary,
    TransactionLog,
    TransactionsError,
    repeat_transactions_per_period,
    rfm_summary,
)
from models.compiled.units import DAYS_PER_MONTH
from models.spec.messages import msg

HISTOGRAM_TOP = 7  # the histogram's last bin is "7 or more", as in the paper's figure 3


def period_histogram(params: bgnbd.BGNBDParams, summary: RFMSummary, top: int = HISTOGRAM_TOP
                     ) -> dict[str, list[float]]:
    """Customers by repeat transactions in the calibration period, data against model: the
    model's count for x is the sum over customers of P(X(T_i) = x) (eq. 8), each customer
    observed for their own T_i; the last bin is `top` or more."""
    f = summary.frame
    x = np.minimum(f["x"].to_numpy(), top).astype(int)
    actual = np.bincount(x, minlength=top + 1).astype(float)
    T = f["T"].to_numpy()
    probs = np.stack([bgnbd.probability_of_n_purchases_up_to_time(params, T, np.full_like(T, n))
                      for n in range(top)])
    model = probs.sum(axis=1).tolist()
    model.append(float(len(f) - sum(model)))
    return {"x": [float(i) for i in range(top + 1)], "actual": actual.tolist(), "model": model}


def holdout_diagnostics(params: bgnbd.BGNBDParams, summary: RFMSummary, top: int = HISTOGRAM_TOP
                        ) -> dict[str, Any]:
    """The holdout forecast against what happened: per customer, per calibration-frequency group
    (the paper's 'conditional expectations' figure), and in total."""
    f = summary.frame
    t = summary.holdout_periods
    expected = bgnbd.conditional_expected_number_of_purchases_up_to_time(
        params, t, f["x"], f["t_x"], f["T"])
    alive = bgnbd.conditional_probability_alive(params, f["x"], f["t_x"], f["T"])
    per_customer = pd.DataFrame({
        "customer": f.index.astype(str), "x": f["x"].to_numpy(), "t_x": f["t_x"].to_numpy(),
        "T": f["T"].to_numpy(), "probability_alive": alive, "expected": expected,
        "actual": f["x_holdout"].to_numpy(),
    })
    group = np.minimum(per_customer["x"], top).astype(int)
    groups = per_customer.groupby(group).agg(
        customers=("x", "size"), actual_mean=("actual", "mean"), expected_mean=("expected", "mean"))
    actual_total = float(per_customer["actual"].sum())
    expected_total = float(expected.sum())
    return {
        "holdout_periods": t,
        "expected_total": expected_total,
        "actual_total": actual_total,
        "error_share": expected_total / actual_total - 1 if actual_total > 0 else float("nan"),
        "mean_absolute_error_per_customer": float(np.abs(expected - per_customer["actual"]).mean()),
        "by_calibration_transactions": [
            {"x": f"{int(x)}+" if x == top else str(int(x)), **row}
            for x, row in groups.to_dict(orient="index").items()
        ],
        "per_customer": per_customer,
    }


@dataclass(frozen=True)
class TransactionsCalibration:
    log: TransactionLog
    summary: RFMSummary
    period: str
    bgnbd_fit: FitResult
    gamma_gamma_fit: FitResult | None  # None: no amounts, or too few repeat customers

    @property
    def bgnbd_params(self) -> bgnbd.BGNBDParams:
        return bgnbd.BGNBDParams(*self.bgnbd_fit.estimate)

    @property
    def gamma_gamma_params(self) -> gamma_gamma.GammaGammaParams | None:
        if self.gamma_gamma_fit is None:
            return None
        return gamma_gamma.GammaGammaParams(*self.gamma_gamma_fit.estimate)

    def report(self) -> dict[str, Any]:
        """The JSON document: data used, fits with standard errors, diagnostics."""
        s, f = self.summary, self.summary.frame
        doc: dict[str, Any] = {
            "data": {
                **self.log.report(),
                "customers": len(f),
                "customers_first_buying_after_calibration_end": s.late_customers,
                "period": self.period,
                "period_days": s.period_days,
                "first_date": s.start.date().isoformat(),
                "calibration_end": s.calibration_end.date().isoformat(),
                "observation_end": s.observation_end.date().isoformat(),
                "calibration_periods": ((s.calibration_end - s.start).days + 1) / s.period_days,
                "holdout_periods": s.holdout_periods,
                "repeat_transactions_calibration": float(f["x"].sum()),
                "same_day_purchases_merged": True,
            },
            "bgnbd": self.bgnbd_fit.report(),
            "gamma_gamma": None if self.gamma_gamma_fit is None else {
                **self.gamma_gamma_fit.report(),
                "correlation_x_monetary_value": _spend_correlation(f),
            },
            "diagnostics": {"calibration_histogram": period_histogram(self.bgnbd_params, s)},
        }
        if s.holdout_periods > 0:
            hold = holdout_diagnostics(self.bgnbd_params, s)
            per_customer = hold.pop("per_customer")
            hold["per_customer"] = per_customer.to_dict(orient="records")
            hold["tracking"] = self.tracking()
            doc["diagnostics"]["holdout"] = hold
        return doc

    def tracking(self) -> dict[str, Any]:
        """Cumulative repeat transactions per period since the first date: actual, and the
        model's expectation (each customer's E[X(t)] from their first purchase; the classic
        tracking plot)."""
        s = self.summary
        actual = repeat_transactions_per_period(self.log, s)
        periods = np.arange(1, len(actual) + 1, dtype=float)
        offset = ((s.frame["first_purchase"] - s.start).dt.days / s.period_days).to_numpy()
        # Customer i has been a customer for (k - offset_i) periods at the end of period k.
        ages = np.clip(periods[:, None] - offset[None, :], 0.0, None)
        expected = bgnbd.expected_number_of_purchases_up_to_time(self.bgnbd_params, ages)
        return {"period": periods.tolist(), "actual_cumulative": np.cumsum(actual).tolist(),
                "model_cumulative": expected.sum(axis=1).tolist(),
                "calibration_periods": ((s.calibration_end - s.start).days + 1) / s.period_days}

    def scenario_fragment(self, tier: str = "calibrated", price: float | None = None
                          ) -> dict[str, Any]:
        """A scenario fragment the engine runs: a tier whose clients buy by the fitted BG/NBD
        and spend by the fitted Gamma-Gamma (new clients draw from the mixing distributions),
        and the customer base at the calibration end (each customer drawn from the posterior
        given their history). Merge it into a scenario (its `tiers` and `initial_state`)."""
        p, s, f = self.bgnbd_params, self.summary, self.summary.frame
        buying: dict[str, Any] = {"period_days": s.period_days, "r": p.r, "alpha": p.alpha,
                                  "a": p.a, "b": p.b}
        g = self.gamma_gamma_params
        mean_spend = float(np.nanmean(f["monetary_value"])) if f["x"].sum() else 0.0
        if g is not None:
            buying.update(spend_p=g.p, spend_q=g.q, spend_gamma=g.gamma)
            mean_spend = g.mean_spend()
        # The tier's own frequency and churn are the fitted population means; they only enter
        # the value of a lost lead and the tail value at the horizon (see docs/how-to/calibrate.md).
        rate_per_month = p.r / p.alpha * DAYS_PER_MONTH / s.period_days
        tier_spec = {
            "name": tier,
            "price": float(price if price is not None else round(mean_spend, 2)),
            "purchase_interval_months": round(1 / rate_per_month, 4) if rate_per_month else 1.0,
            "monthly_churn": round(min(p.a / (p.a + p.b) * rate_per_month, 1.0), 4),
            "buying": buying,
        }
        base = {
            "tier": tier,
            "x": f["x"].astype(int).tolist(),
            "t_x": [round(v, 6) for v in f["t_x"].tolist()],
            "T": [round(v, 6) for v in f["T"].tolist()],
        }
        if g is not None:
            base["monetary_value"] = [None if pd.isna(v) else round(float(v), 4)
                                      for v in f["monetary_value"]]
        fragment = {"tiers": [tier_spec], "initial_state": {"customer_base": base}}
        # Plain Python numbers only (numpy scalars would not survive yaml.safe_dump).
        return json.loads(json.dumps(fragment, default=float))  # type: ignore[no-any-return]


def _spend_correlation(f: pd.DataFrame) -> float | None:
    rep = f[f["x"] > 0]
    if len(rep) < 3 or rep["x"].nunique() < 2 or rep["monetary_value"].nunique() < 2:
        return None  # no spread in one of them: the correlation is undefined
    return float(np.corrcoef(rep["x"], rep["monetary_value"])[0, 1])


def calibrate_transactions(
    log: TransactionLog,
    period: str = "week",
    calibration_end: str | None = None,
    observation_end: str | None = None,
) -> TransactionsCalibration:
    """Fit BG/NBD (all customers) and Gamma-Gamma (repeat customers with amounts) to a log."""
    summary = rfm_summary(log, PERIOD_DAYS[period], calibration_end, observation_end)
    f = summary.frame
    if not (f["x"] > 0).any():  # the likelihood then has no maximum: r -> 0, no SE
        raise TransactionsError("purchases", [msg("no_repeat_purchases",
                                                       customers=f"{len(f):,}")])
    bg = bgnbd.fit(f["x"], f["t_x"], f["T"])
    repeat = f[(f["x"] > 0) & (f["monetary_value"] > 0)]
    gg = gamma_gamma.fit(repeat["x"], repeat["monetary_value"]) if len(repeat) >= 3 else None
    return TransactionsCalibration(log, summary, period, bg, gg)


def forecast_scenario(fragment: dict[str, Any], horizon_months: int, name: str = "calibrated"
                      ) -> dict[str, Any]:
    """A runnable scenario around a fragment: the customer base alone (no channel brings
    leads), for `horizon_months` months: the agent forecast of the holdout."""
    return {
        "name": name,
        "description": "the calibrated customer base alone, written by growthsim calibrate",
        "currency": "USD",
        "horizon_months": horizon_months,
        "channels": [{"name": "none"}],
        "journey": {"first_contact_conversion": 0.0},
        **fragment,
    }
