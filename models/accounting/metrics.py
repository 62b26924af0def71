"""Metrics of one run, from its ledger: the owner's monthly view and the methodology's ratios.

Conventions (also in docs/reference/metrics.md):
- money of month m is booked when it happens; NPV discounts month m's cash flow to the start of
  month 0 with end-of-month timing: cash_m / (1 + d)^(m + 1), d the monthly rate equivalent to the
  scenario's annual discount rate;
- CLTV discounts each client's cash flows continuously back to the day of their first payment;
- sales costs attributable to acquisition are the managers' salaries and the commission on first
  purchases (the team works the leads); CAC = (marketing + those) / new paying clients;
- a ratio whose denominator is zero is NaN ("not defined"), never a made-up number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from models.accounting.goal import goal_series, month_reached, reached_by_deadline
from models.accounting.ledger import DECIDED_SPEND, LEAKS, C, Ledger, S
from models.compiled.form import CompiledScenario
from models.compiled.units import days_to_months, month_discount_factors
from models.spec.fields import LEVERS as LEVERS

MONTHLY_METRICS: dict[str, str] = {
    "leads": "new leads in the month (all channels, referrals included)",
    "new_clients": "leads who paid their first invoice in the month",
    "active_clients": "paying clients at the month's end",
    "revenue": "all revenue of the month",
    "first_purchase_revenue": "revenue from first purchases",
    "repeat_revenue": "revenue from repeat purchases (incl. upsell and win-back)",
    "recurring_revenue": "RR: revenue from clients who had paid before this month",
    "gross_profit": "revenue - cost of goods",
    "marketing": "advertising spend",
    "salaries": "sales managers' salaries",
    "bet_costs": "one-off and running costs of the bets in force",
    "decided_spend": "what the owner decides to spend: advertising, salaries and bet costs",
    "total_costs": "every cost bucket, incl. marketing, salaries, overhead",
    "profit": "revenue - total costs",
    "cumulative_profit": "profit summed from month 1",
    "cumulative_revenue": "revenue summed from month 1",
    "lost_revenue": "what the month's losses are worth: the revenue they would have brought",
    "churned": "clients who left in the month",
    "mean_wait_hours": "mean wait of a lead for a manager, hours",
}

SCALAR_METRICS: dict[str, str] = {
    "total_leads": "leads over the horizon",
    "total_new_clients": "new paying clients over the horizon",
    "conversion": "new clients / leads",
    "total_revenue": "revenue over the horizon",
    "total_profit": "profit over the horizon",
    "npv_profit": "net present value of monthly profit",
    "total_purchases": "purchases over the horizon (first and repeat)",
    "buyers": "clients who bought: new clients plus the starting state's clients",
    "starting_clients_revenue": "revenue from the starting state's clients",
    "starting_clients_purchases": "purchases by the starting state's clients",
    "new_clients_revenue": "revenue from the clients won during the horizon",
    "average_check": "revenue / purchases, of the clients won during the horizon",
    "purchases_per_client": "purchases per client won during the horizon",
    "cltv": "CLTV truncated at the horizon: discounted net margin per new client",
    "cltv_with_tail": "CLTV plus the expected value after the horizon of clients still active",
    "cac": "acquisition cost (marketing + salaries + commission) per new client",
    "onboarding_cost_per_client": "onboarding spend per new client",
    "retention_cost_per_client_month": "retention spend per active client-month",
    "development_cost_per_upsell": "upsell-offer spend per upsell",
    "win_back_cost_per_client": "win-back spend per client won back",
    "recurring_revenue_share": "RR / revenue over the horizon",
    "romi": "ROMI: (gross profit of clients from paid channels - marketing) / marketing",
    "nmc": "NMC: revenue x gross margin % - marketing",
    "ros": "ROS: (gross profit - sales costs) / sales costs",
    "customer_equity": "expected future discounted margin of the clients active at the horizon",
    "active_clients_end": "active clients at the horizon",
    "time_to_goal": "first month (1-based) the goal is met; NaN when never",
    "goal_by_deadline": "1 if the goal is met by its deadline, else 0",
}
for _leak in LEAKS:
    SCALAR_METRICS[f"{_leak}_count"] = f"agents lost at stage {_leak}"
    SCALAR_METRICS[f"{_leak}_revenue"] = (f"what the losses at stage {_leak} are worth: the "
                                          "revenue they would have brought had they not been "
                                          "lost there")
    SCALAR_METRICS[f"{_leak}_ad_spend"] = f"advertising spent on the leads lost at stage {_leak}"

def _ratio(a: float, b: float) -> float:
    """a / b, or NaN where it is not defined: a zero denominator, or one so small (rounding
    residue) that the ratio is not a finite number."""
    a, b = float(a), float(b)
    if b == 0:
        return math.nan
    try:
        r = a / b
    except OverflowError:
        return math.nan
    return r if math.isfinite(r) else math.nan


def monthly_metrics(ledger: Ledger) -> dict[str, np.ndarray]:
    a = ledger.arrays()
    revenue_by = a["revenue"]  # (month, tier, first/repeat)
    revenue = revenue_by.sum(axis=(1, 2))
    costs = a["costs"]
    total_costs = costs.sum(axis=1)
    profit = revenue - total_costs
    requests = a["requests"]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(requests > 0, a["wait_days"] / np.maximum(requests, 1) * 24, 0.0)
    return {
        "leads": a["leads"].sum(axis=1),
        "new_clients": a["new_clients"].sum(axis=1),
        "active_clients": a["state_end"][:, S["active"]],
        "revenue": revenue,
        "first_purchase_revenue": revenue_by[:, :, 0].sum(axis=1),
        "repeat_revenue": revenue_by[:, :, 1].sum(axis=1),
        "recurring_revenue": a["recurring_revenue"],
        "gross_profit": revenue - costs[:, C["cost_of_goods"]],
        "marketing": costs[:, C["marketing"]],
        "salaries": costs[:, C["salaries"]],
        "bet_costs": costs[:, C["bets"]],
        "decided_spend": costs[:, [C[k] for k in DECIDED_SPEND]].sum(axis=1),
        "total_costs": total_costs,
        "profit": profit,
        "cumulative_profit": np.cumsum(profit),
        "cumulative_revenue": np.cumsum(revenue),
        "lost_revenue": a["lost_value"].sum(axis=1),
        "churned": a["flows"][:, S["active"], S["churned"]],
        "mean_wait_hours": mean_wait,
    }


def run_metrics(ledger: Ledger, compiled: CompiledScenario,
                monthly: Mapping[str, np.ndarray] | None = None) -> dict[str, float]:
    """The scalar metrics of one run (see SCALAR_METRICS)."""
    a = ledger.arrays()
    m = monthly if monthly is not None else monthly_metrics(ledger)
    costs = a["costs"].sum(axis=0)
    marketing = costs[C["marketing"]]
    sales_costs = costs[C["salaries"]] + costs[C["commission"]]
    revenue = float(m["revenue"].sum())
    gross_profit = revenue - costs[C["cost_of_goods"]]
    leads = float(m["leads"].sum())
    new_clients = float(a["cohort_clients"].sum())
    purchases = float(a["purchases"].sum())
    discount = month_discount_factors(compiled.monthly_discount_rate, compiled.horizon_months)
    paid = a["marketing_by_channel"].sum(axis=0) > 0
    gp_paid = float(a["gross_profit_by_channel"].sum(axis=0)[: len(paid)][paid].sum())
    cohort_value, cohort_tail = float(a["cohort_value"].sum()), float(a["cohort_tail"].sum())
    active_months = days_to_months(a["occupancy"][:, S["active"]].sum())
    out = {
        "total_leads": leads,
        "total_new_clients": new_clients,
        "conversion": _ratio(new_clients, leads),
        "total_revenue": revenue,
        "total_profit": float(m["profit"].sum()),
        "npv_profit": float((m["profit"] * discount).sum()),
        "total_purchases": purchases,
        "buyers": new_clients + _starting_clients(compiled),
        "starting_clients_revenue": float(a["base_revenue"].sum()),
        "starting_clients_purchases": float(a["base_purchases"].sum()),
        # The four levers (see `LEVER_METRICS`) are of the clients won during the horizon, so
        # that they multiply out to their revenue; the starting clients' revenue is its own part.
        "new_clients_revenue": revenue - float(a["base_revenue"].sum()),
        "average_check": _ratio(revenue - float(a["base_revenue"].sum()),
                                purchases - float(a["base_purchases"].sum())),
        "purchases_per_client": _ratio(purchases - float(a["base_purchases"].sum()),
                                       new_clients),
        "cltv": _ratio(cohort_value, new_clients),
        "cltv_with_tail": _ratio(cohort_value + cohort_tail, new_clients),
        "cac": _ratio(marketing + sales_costs, new_clients),
        "onboarding_cost_per_client": _ratio(costs[C["onboarding"]], new_clients),
        "retention_cost_per_client_month": _ratio(costs[C["retention"]], active_months),
        "development_cost_per_upsell": _ratio(costs[C["development"]], a["upsells"].sum()),
        "win_back_cost_per_client": _ratio(costs[C["win_back"]], a["win_backs"].sum()),
        "recurring_revenue_share": _ratio(float(a["recurring_revenue"].sum()), revenue),
        "romi": _ratio(gp_paid - marketing, marketing),
        "nmc": gross_profit - marketing,
        "ros": _ratio(gross_profit - sales_costs, sales_costs),
        "customer_equity": ledger.customer_equity,
        "active_clients_end": float(m["active_clients"][-1]),
        "time_to_goal": math.nan,
        "goal_by_deadline": math.nan,
    }
    goal = compiled.goal
    if goal is not None:
        reached = month_reached(goal_series(m, goal), goal.target)
        out["time_to_goal"] = reached
        out["goal_by_deadline"] = reached_by_deadline(reached, goal)
    flows = a["flows"].sum(axis=0)
    lost = a["lost_value"].sum(axis=0)
    lost_ad = a["lost_ad"].sum(axis=0)
    for i, leak in enumerate(LEAKS):
        out[f"{leak}_count"] = float(flows[:, S[leak]].sum())
        out[f"{leak}_revenue"] = float(lost[i])
        out[f"{leak}_ad_spend"] = float(lost_ad[i])
    out.update(channel_metrics(a, compiled))
    out.update(segment_metrics(a, compiled))
    return out


# Per acquisition channel (the scenario's, then referrals, then the starting state's clients),
# what both engines' ledgers record: leads, new paying clients, advertising, and the revenue and
# gross profit of the clients the channel brought. Named `channel:<name>:<what>`.
CHANNEL_METRICS = ("leads", "new_clients", "marketing", "gross_profit", "revenue")
CHANNEL_EXTRA = ("referral", "existing")
# Per segment (a lead's, a client's: starting clients too): leads that arrived, new paying
# clients, their revenue and gross profit, the advertising money behind the segment's leads, and
# what its lost leads and clients were worth (`models.compiled.worth`). `segment:<name>:<what>`.
SEGMENT_METRICS = ("leads", "new_clients", "revenue", "gross_profit", "ad_spend", "lost_value")


def channel_metric(channel: str, what: str) -> str:
    return f"channel:{channel}:{what}"


def channel_metrics(a: Mapping[str, np.ndarray], compiled: CompiledScenario) -> dict[str, float]:
    """Totals over the horizon per channel (see CHANNEL_METRICS), from `Ledger.arrays()`."""
    names = (*compiled.channel_names, *CHANNEL_EXTRA)
    leads, clients = a["leads"].sum(axis=0), a["new_clients"].sum(axis=0)
    marketing = a["marketing_by_channel"].sum(axis=0)
    gross = a["gross_profit_by_channel"].sum(axis=0)
    revenue = a["revenue_by_channel"].sum(axis=0)
    out: dict[str, float] = {}
    for i, name in enumerate(names):
        values = (leads[i], clients[i], marketing[i] if i < len(marketing) else 0.0, gross[i],
                  revenue[i])
        for what, value in zip(CHANNEL_METRICS, values, strict=True):
            out[channel_metric(name, what)] = float(value)
    return out


def segment_metric(segment: str, what: str) -> str:
    return f"segment:{segment}:{what}"


def segment_metrics(a: Mapping[str, np.ndarray], compiled: CompiledScenario) -> dict[str, float]:
    """Totals over the horizon per segment (see SEGMENT_METRICS), from `Ledger.arrays()`."""
    names = [s.name for s in compiled.timeline[0].segments]
    out: dict[str, float] = {}
    for what in SEGMENT_METRICS:
        totals = a[f"segment_{what}"].sum(axis=0)
        for i, name in enumerate(names):
            out[segment_metric(name, what)] = float(totals[i])
    return out


def _starting_clients(compiled: CompiledScenario) -> float:
    return float(sum(g.count for g in compiled.initial_clients))


# Revenue has four levers (systemic marketing): leads x conversion x average check x frequency
# (`LEVERS`, declared with the fields that act through them in `models.spec.fields`).
# The run metric of each lever: of the clients won during the horizon, so that their product is
# `new_clients_revenue` exactly; the starting state's clients' revenue is no lead's doing and is
# reported beside them (`starting_clients_revenue`).
LEVER_METRICS = ("total_leads", "conversion", "average_check", "purchases_per_client")
assert len(LEVER_METRICS) == len(LEVERS)  # one run metric per lever, in their order


def lever_factors(scalars: Mapping[str, np.ndarray]) -> np.ndarray:
    """The four levers per replication, shape (replications, 4), from the run metrics
    `LEVER_METRICS` (NaN where a lever is not defined: no leads, no clients, no purchases)."""
    return np.stack([np.asarray(scalars[name], dtype=float) for name in LEVER_METRICS], axis=1)


def lever_split(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Split the change of a product of factors exactly among them (the Shapley value: each
    factor's change is averaged over every order in which the factors could change).

    `before` and `after` have shape (n, k); the result (n, k) sums over k to
    prod(after) - prod(before) exactly (up to rounding). Rows with a NaN factor (no leads or no
    purchases) give NaN."""
    n, k = before.shape
    out = np.zeros((n, k))
    others = list(range(k))
    for i in range(k):
        rest = [j for j in others if j != i]
        for mask in range(1 << (k - 1)):
            changed = [rest[b] for b in range(k - 1) if mask >> b & 1]
            weight = (math.factorial(len(changed)) * math.factorial(k - len(changed) - 1)
                      / math.factorial(k))
            base = np.ones(n)
            for j in rest:
                base = base * (after[:, j] if j in changed else before[:, j])
            out[:, i] += weight * base * (after[:, i] - before[:, i])
    return out
