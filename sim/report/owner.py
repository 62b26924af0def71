"""The owner's control panel (seed 001) as tidy tables, from a `MonteCarloResult`.

The app and a notebook read the same numbers the CLI prints: everything here is a reshaping of
`MonteCarloResult.summary()` and `.monthly_quantiles()`, never a model of its own.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import numpy as np
import pandas as pd

from models.accounting.ledger import LEAK_LEVERS, LEAKS
from models.compiled.worth import LEAD_STAGES
from models.spec.scenario import Scenario
from sim.experiments.montecarlo import MonteCarloResult

# The month-by-month view of seed 001: how many came, how many bought, for how much, what
# acquisition cost, what was earned.
MONTHLY_VIEW = ("leads", "new_clients", "active_clients", "revenue", "recurring_revenue",
                "marketing", "total_costs", "profit", "cumulative_profit")

# The headline figures over the horizon, in the CLI's order; money ones are formatted as money.
HEADLINE = ("total_leads", "total_new_clients", "active_clients_end", "total_revenue",
            "total_profit", "npv_profit", "cac", "cltv", "cltv_with_tail",
            "recurring_revenue_last_month", "romi", "ros", "nmc", "customer_equity")
MONEY = frozenset({"total_revenue", "total_profit", "npv_profit", "cac", "cltv",
                   "cltv_with_tail", "recurring_revenue_last_month", "nmc", "customer_equity",
                   "revenue", "recurring_revenue", "marketing", "total_costs", "profit",
                   "cumulative_profit", "marketing_per_new_client", "average_check",
                   "lost_revenue", "cumulative_revenue", "ad_spend"})
RATIOS = frozenset({"romi", "ros", "conversion", "recurring_revenue_share", "goal_by_deadline"})

# Revenue = leads x conversion x average check x purchases per client (seed 002).
LEVERS = ("total_leads", "conversion", "average_check", "purchases_per_client")


def monthly_view(result: MonteCarloResult) -> pd.DataFrame:
    """One row per month: the mean of each series of MONTHLY_VIEW, and marketing per new client
    (ratio of the means: the month's advertising over the clients it brought)."""
    q = result.monthly_quantiles()
    wide = q[q["metric"].isin(MONTHLY_VIEW)].pivot(index="month", columns="metric", values="mean")
    wide = wide[list(MONTHLY_VIEW)]
    clients = wide["new_clients"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        per_client = np.where(clients > 0, wide["marketing"].to_numpy() / clients, np.nan)
    wide.insert(list(MONTHLY_VIEW).index("marketing") + 1, "marketing_per_new_client", per_client)
    wide.columns.name = None
    return wide.reset_index()


def headline(result: MonteCarloResult) -> pd.DataFrame:
    """metric, mean, p10, p90 of the headline figures over the horizon."""
    s = result.summary()
    rows = [{"metric": m, "mean": s[m]["mean"], "p10": s[m]["p10"], "p90": s[m]["p90"]}
            for m in HEADLINE]
    return pd.DataFrame(rows)


def leaks(result: MonteCarloResult) -> pd.DataFrame:
    """Where money leaks, stage by stage (means over the replications):

    - `count`: leads or clients lost there;
    - `revenue`: what they are worth: the revenue they would have brought had they not been
      lost there (a lead: its chance to have paid through the stages after it × a client's value,
      `models.compiled.worth`; a client: what they would have bought had they stayed). The sum
      over stages is what plugging each leak alone would bring, not a promise that every lead
      could be won;
    - `share`: that worth's share of the potential revenue (earned + every stage's worth);
    - `ad_spend`: the advertising money spent on the leads lost there (their channel's cost per
      lead; NaN for clients, whose loss is not a lead's);
    - `bets`: the names of the scenario's bets that target the stage (`stage_bets`).
    """
    s = result.summary()

    def mean(name: str) -> float:
        value = s[name]["mean"]
        return float("nan") if value is None else float(value)

    targeted = stage_bets(result.spec)
    rows = [{"stage": leak, "count": mean(f"{leak}_count"), "revenue": mean(f"{leak}_revenue"),
             "ad_spend": mean(f"{leak}_ad_spend") if leak in LEAD_STAGES else float("nan"),
             "bets": tuple(targeted[leak])}
            for leak in LEAKS]
    table = pd.DataFrame(rows, columns=["stage", "count", "revenue", "ad_spend", "bets"])
    potential = potential_revenue(result)
    table.insert(3, "share", table["revenue"] / potential if potential else np.nan)
    return table


def potential_revenue(result: MonteCarloResult) -> float:
    """Revenue earned plus what every stage's losses are worth (means): the top of the
    waterfall, what the business would earn if each leak were plugged alone and the gains added.
    """
    s = result.summary()
    lost = sum(s[f"{leak}_revenue"]["mean"] or 0.0 for leak in LEAKS)
    return float((s["total_revenue"]["mean"] or 0.0) + lost)


def stage_bets(spec: Scenario) -> dict[str, list[str]]:
    """Each leak stage and the names of the scenario's bets that target it: those with a change
    to a parameter the stage turns on (`models.accounting.ledger.LEAK_LEVERS`), in the scenario's
    order. A bet may target several stages."""
    out: dict[str, list[str]] = {leak: [] for leak in LEAKS}
    for bet in spec.bets:
        for leak in LEAKS:
            if any(fnmatchcase(change.path, pattern) for change in bet.changes
                   for pattern in LEAK_LEVERS[leak]):
                out[leak].append(bet.name)
    return out


def levers(result: MonteCarloResult) -> pd.DataFrame:
    """The four levers of revenue over the horizon: metric, mean, p10, p90."""
    s = result.summary()
    return pd.DataFrame([{"metric": m, "mean": s[m]["mean"], "p10": s[m]["p10"],
                          "p90": s[m]["p90"]} for m in LEVERS])


def goal_status(result: MonteCarloResult) -> dict[str, float | None] | None:
    """P(goal by the deadline) and the month it is reached (P10/P50/P90), or None without a goal.
    """
    if result.spec.goal is None:
        return None
    s = result.summary()
    ttg = s["time_to_goal"]
    return {"p_goal": s["goal_by_deadline"]["mean"], "p10": ttg["p10"], "p50": ttg["p50"],
            "p90": ttg["p90"]}
