"""The re-forecast's scenario: from the month after the last actual month, every rate the actuals
inform replaced by its posterior, and the starting state the actual one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from models.calibration.actuals import Actuals
from models.load import load_scenario
from models.spec.distributions import Distribution, _Dist
from models.spec.paths import expand_path, get_value, set_path
from models.spec.scenario import SbgChurn, Scenario
from sim.experiments.track.fan import (
    Fan,
)
from sim.experiments.track.rates import Rate

_DIST = TypeAdapter(Distribution)
# Parameters that are probabilities: their re-forecast distribution is a beta, others log-normal.
_PROBABILITIES = ("monthly_churn", "monthly_churn_no_result", "first_contact_conversion",
                  "conversion_per_touch", "paid_probability", "lost_unprocessed")


# -- the re-forecast -----------------------------------------------------------------------------

def _mean(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, _Dist):
        return value.mean()
    if isinstance(value, SbgChurn) or (isinstance(value, dict) and "sbg" in value):
        # sBG churn: its mean, scale x alpha / (alpha + beta), at the means of the three
        churn = SbgChurn.model_validate(value) if isinstance(value, dict) else value
        a, b, k = (_mean(x) or 0.0 for x in (churn.sbg.alpha, churn.sbg.beta, churn.scale))
        return min(k * a / (a + b), 1.0)
    dist = _DIST.validate_python(value)
    assert isinstance(dist, _Dist)
    return dist.mean()


def _updated(path: str, mean: float, ratio: float, ratio_sd: float) -> Any:
    """The re-forecast's value of a parameter of plan mean `mean` scaled by the posterior (a
    distribution while the posterior has any spread, so correlations naming it still hold)."""
    centre, sd = mean * ratio, max(abs(mean * ratio_sd), abs(mean) * 1e-6)
    if path.rsplit(".", 1)[-1] in _PROBABILITIES:
        centre = float(np.clip(centre, 1e-4, 0.999))
        limit = math.sqrt(centre * (1 - centre))
        sd = min(sd, 0.9 * limit)
        return {"dist": "beta", "mean": centre, "sd": sd} if sd > 1e-9 else centre
    return {"dist": "lognormal", "mean": centre, "sd": sd} if sd > 1e-9 and centre > 0 \
        else centre


def rescale(raw: dict[str, Any], rates: list[Rate]) -> None:
    """Scale each rate's parameters in the raw scenario, in place, by its posterior over the
    plan (`_updated`). An sBG churn moves its `scale`: the posterior scales each client's own
    churn probability."""
    for rate in rates:
        if not rate.paths or not rate.plan > 0 or math.isnan(rate.ratio):
            continue
        for pattern in rate.paths:
            for path in expand_path(raw, pattern):
                try:
                    current = get_value(raw, path)
                except ValueError:  # a parameter left at its default (e.g. no_result churn)
                    continue
                if isinstance(current, dict) and "sbg" in current:
                    path = f"{path}.scale"
                    current = current.get("scale", 1.0)
                value = _mean(current)
                if value:
                    set_path(raw, path, _updated(path, value, rate.ratio, rate.ratio_sd),
                             Scenario)


def reforecast_scenario(spec: Scenario, fan: Fan, actuals: Actuals,
                        rates: list[Rate]) -> Scenario:
    """The scenario from the month after the last actual month (see the module docstring)."""
    T = actuals.months
    if spec.horizon_months <= T:
        raise ValueError(f"the actuals cover the whole horizon ({spec.horizon_months} months): "
                         "nothing is left to re-forecast; lengthen horizon_months")
    raw = spec.model_dump(by_alias=True, exclude_none=True)
    rescale(raw, rates)
    raw["horizon_months"] = spec.horizon_months - T
    goal = raw.get("goal")
    if goal is not None:
        if goal["deadline_month"] <= T:
            raw.pop("goal")
        else:
            goal["deadline_month"] -= T
            if goal["metric"] == "cumulative_profit":  # the profit made so far, as planned
                # the actuals have no profit: the plan's expected profit to date stands in
                goal["target"] -= float(fan.series["cumulative_profit"][:, T - 1].mean())
    bets = []
    for bet in raw.get("bets", []):
        end = bet.get("end_month")
        if end is not None and end <= T:
            continue
        bet["start_month"] = max(1, bet["start_month"] - T)
        if end is not None:
            bet["end_month"] = end - T
        bets.append(bet)
    raw["bets"] = bets
    raw["initial_state"] = _state_now(spec, fan, actuals)
    return load_scenario(raw)


def _state_now(spec: Scenario, fan: Fan, actuals: Actuals) -> dict[str, Any]:
    """The starting state at the end of the last actual month: active clients by tier, open
    leads by channel and unpaid invoices (the plan's, scaled to the actual volume)."""
    T = actuals.months
    col = T - fan.first_month
    active = actuals.column("active_clients")[-1]
    if np.isnan(active):
        active = float(fan.series["active_clients"][:, col].mean())
    # Clients by tier: the ledger counts active clients, not by tier (see `_tier_clients`).
    weight = np.array([_tier_clients(fan, k, col, t) for k, t in enumerate(spec.tiers)])
    if weight.sum() <= 0:
        weight = np.ones(len(spec.tiers))
    clients = _whole(active * weight / weight.sum())
    state: dict[str, Any] = {"clients": [
        {"tier": t.name, "count": int(n), "tenure_months": float(T),
         "onboarded_share": _onboarded_among_active(t)}
        for t, n in zip(spec.tiers, clients, strict=True) if n > 0]}
    leads_now = actuals.column("leads")[-1]
    plan_leads = float(fan.series["leads"][:, col].mean())
    scale = leads_now / plan_leads if not np.isnan(leads_now) and plan_leads > 0 else 1.0
    open_total = float(fan.series["open_leads"][:, col].mean()) * scale
    shares = np.array([fan.series[f"leads_{c.name}"][:, col].mean() for c in spec.channels])
    if spec.channels and shares.sum() > 0:
        state["open_leads"] = [{"channel": c.name, "count": int(n)} for c, n in zip(
            spec.channels, _whole(open_total * shares / shares.sum()), strict=True) if n > 0]
    invoices = float(fan.series["invoiced"][:, col].mean()) * scale
    entry = np.array([_mean(t.entry_share) or 0.0 for t in spec.tiers])
    entry = entry if entry.sum() > 0 else np.eye(len(spec.tiers))[0]
    state["unpaid_invoices"] = [{"tier": t.name, "count": int(n)} for t, n in zip(
        spec.tiers, _whole(invoices * entry / entry.sum()), strict=True) if n > 0]
    return state


def _onboarded_among_active(tier: Any) -> float:
    """The share brought to result among a tier's active clients. Those not brought to result
    leave faster, so fewer of them are still active than joined: in a steady state each kind's
    stock is its inflow over its exit rate (onboarding p / churn c, (1 - p) / churn c_nr)."""
    p = float(np.clip(_mean(tier.onboarding_probability) or 0.0, 0.0, 1.0))
    c = max(_mean(tier.monthly_churn) or 0.0, 1e-6)
    c_nr = max(_mean(tier.monthly_churn_no_result) or c, 1e-6)
    kept, lost = p / c, (1.0 - p) / c_nr
    return kept / (kept + lost) if kept + lost > 0 else p


def _tier_clients(fan: Fan, k: int, col: int, tier: Any) -> float:
    """The plan's clients of tier k at column `col`, from its purchases (revenue / price).

    A client buys once per purchase interval on average. On a schedule (`regular`), a young
    cohort buys in bursts, so the purchases of the last interval's months count the clients,
    each month's times the share still active since, (1 - churn)^j. At random (Poisson), the
    month's repeat purchases x the interval count those past their first purchase, and the
    month's first purchases the newest."""
    price = _mean(tier.price) or 0.0
    interval = _mean(tier.purchase_interval_months) or 1.0
    if price <= 0:
        return 0.0
    if not tier.regular:
        repeat = float(fan.series[f"repeat_revenue_tier_{k}"][:, col].mean())
        first = float(fan.series[f"revenue_tier_{k}"][:, col].mean()) - repeat
        return (repeat * interval + first) / price
    churn = _mean(tier.monthly_churn) or 0.0
    purchases = fan.series[f"revenue_tier_{k}"][:, : col + 1].mean(axis=0)[::-1] / price
    back = np.arange(purchases.size)
    weights = np.clip(interval - back, 0.0, 1.0)
    covered = float(weights.sum())
    kept = float(purchases * (1.0 - churn) ** back @ weights)
    return kept * (interval / covered if covered > 0 else 0.0)


def _whole(x: np.ndarray) -> np.ndarray:
    """Whole numbers summing to round(sum(x)) (largest remainders)."""
    total = round(float(x.sum()))
    base = np.floor(x).astype(int)
    rest = total - int(base.sum())
    if rest > 0:
        base[np.argsort(-(x - base))[:rest]] += 1
    return base
