"""Plan vs actual: where each month's actuals fall in the plan's fan, which rate of the journey is
off, and the re-forecast from where the business is now.

1. **The plan's fan** (`plan_fan`): the plan's Monte Carlo (its own parameter draws and streams,
   `models.compiled.streams`, so it is the forecast `growthsim run` makes) keeping the monthly
   series an owner can count: leads by channel, new clients, revenue, churned and active
   clients, marketing, leads lost at each stage.
2. **Position** (`positions`): each actual's percentile in the fan of its month (mid-rank: ties
   count half), flagged when outside P10-P90. If the plan is right, a month is flagged about one
   time in five per figure.
3. **Rates** (`journey_rates`): the deviation attributed to the journey. Each rate the actuals
   inform gets a conjugate Bayesian update whose prior is the plan: lead volumes by channel
   (gamma-Poisson on the multiplier of the plan's expected leads), the conversion of leads into
   clients, the share of invoices paid and of leads lost unprocessed, and monthly churn
   (beta-binomial). The prior's mean is the plan's rate over the same months; its spread is the
   plan's parameter uncertainty (the spread of the rate over the replications less the counting
   noise), but never tighter than `PRIOR_MONTHS` months of the business's own figures: a number
   an owner wrote in the YAML is an assumption too, and the actuals should be able to move it.
   A rate is "off" when the plan's value is outside the posterior's 90% interval.
4. **Re-forecast** (`reforecast_scenario`, `track`): the scenario from the month after the last
   actual month: its horizon and goal deadline shortened by the months gone, bets shifted, every
   rate the actuals inform replaced by a distribution with the posterior's mean and spread
   (scaling each parameter the rate stands for), and the starting state the actual one: active
   clients (split over tiers as the plan's revenue is), the plan's open leads and unpaid
   invoices at that month (scaled by the actual lead volume). Then its fan, P(goal by the
   deadline) and, where the scenario has bets, `compare_bets` on the re-forecast.

Everything runs through `sim.experiments.parallel.map_tasks`: results depend only on the seed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter
from scipy import stats

from models.accounting.ledger import OPEN_LEAD_STATES, S
from models.accounting.metrics import monthly_metrics, run_metrics
from models.calibration.actuals import MONEY_COLUMNS, STAGES, Actuals, count_columns
from models.compiled.form import compile_scenario
from models.compiled.streams import replication_stream
from models.load import load_scenario
from models.spec.distributions import Distribution, _Dist
from models.spec.paths import expand_path, get_value, set_path
from models.spec.scenario import SbgChurn, Scenario
from sim.engines import get_engine
from sim.experiments.parallel import map_tasks, resolve_workers
from sim.experiments.replications import in_rounds

PRIOR_MONTHS = 3.0  # the plan is believed at most as much as this many months of actuals
FLAG_LOW, FLAG_HIGH = 10.0, 90.0  # percentiles outside which a month is flagged
INTERVAL = 0.90  # of the posterior intervals
_DIST = TypeAdapter(Distribution)
# Parameters that are probabilities: their re-forecast distribution is a beta, others log-normal.
_PROBABILITIES = ("monthly_churn", "monthly_churn_no_result", "first_contact_conversion",
                  "conversion_per_touch", "paid_probability", "lost_unprocessed")


# -- the fan -------------------------------------------------------------------------------------

def track_series(ledger: Any, channels: list[str]) -> dict[str, np.ndarray]:
    """The monthly figures of one run an owner can count, named as the actuals' columns, plus
    what the re-forecast's starting state needs (open leads, unpaid invoices, revenue by tier)."""
    a = ledger.arrays()
    m = monthly_metrics(ledger)
    n = len(channels)
    out = {
        "leads": a["leads"][:, : n + 1].sum(axis=1),  # new leads: channels and referrals
        "leads_referral": a["leads"][:, n],
        "new_clients": m["new_clients"],
        "revenue": m["revenue"],
        "churned": m["churned"],
        "active_clients": m["active_clients"],
        "marketing": m["marketing"],
        "cumulative_profit": m["cumulative_profit"],
        "open_leads": a["state_end"][:, [s for s in OPEN_LEAD_STATES if s != S["invoiced"]]
                                     ].sum(axis=1),
        "invoiced": a["state_end"][:, S["invoiced"]],
    }
    for j, name in enumerate(channels):
        out[f"leads_{name}"] = a["leads"][:, j]
    for stage in STAGES:
        out[stage] = a["flows"][:, :, S[stage]].sum(axis=1)
    for k in range(a["revenue"].shape[1]):
        out[f"revenue_tier_{k}"] = a["revenue"][:, k, :].sum(axis=1)
        out[f"repeat_revenue_tier_{k}"] = a["revenue"][:, k, 1]
    return out


@dataclass(frozen=True)
class _Run:
    index: int
    series: dict[str, np.ndarray]
    goal_by_deadline: float


def _run_one(args: tuple[Scenario, int, dict[str, float] | None, int, str]) -> _Run:
    spec, index, values, seed, engine = args
    compiled = compile_scenario(spec, values)
    ledger = get_engine(engine)(compiled, replication_stream(seed, index))
    scalars = run_metrics(ledger, compiled)
    return _Run(index, track_series(ledger, [c.name for c in spec.channels]),
                scalars["goal_by_deadline"])


@dataclass
class Fan:
    """A Monte Carlo forecast as monthly series: metric -> (replications, months); `first_month`
    is the plan's month of column 0 (1 for the plan, last actual month + 1 for a re-forecast)."""

    series: dict[str, np.ndarray]
    goal_by_deadline: np.ndarray  # (replications,), NaN without a goal
    first_month: int = 1

    @property
    def replications(self) -> int:
        return len(self.goal_by_deadline)

    @property
    def months(self) -> np.ndarray:
        n = next(iter(self.series.values())).shape[1]
        return np.arange(self.first_month, self.first_month + n)

    def p_goal(self) -> tuple[float | None, float | None]:
        """P(goal by the deadline) and its Monte Carlo standard error (None without a goal)."""
        g = self.goal_by_deadline
        if g.size == 0 or np.isnan(g).all():
            return None, None
        p = float(np.mean(g))
        return p, math.sqrt(max(p * (1 - p), 1e-12) / g.size)

    def quantiles(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """Tidy: metric, month (the plan's), mean, p10, p50, p90."""
        rows = []
        for name in metrics or list(self.series):
            s = self.series[name]
            q = np.percentile(s, [10, 50, 90], axis=0)
            for j, month in enumerate(self.months):
                rows.append({"metric": name, "month": int(month), "mean": float(s[:, j].mean()),
                             "p10": float(q[0, j]), "p50": float(q[1, j]),
                             "p90": float(q[2, j])})
        return pd.DataFrame(rows)


def plan_fan(spec: Scenario, replications: int = 200, seed: int = 1, workers: int | None = None,
             executor: Executor | None = None, engine: str = "fast", first_month: int = 1,
             progress: Callable[[int, int], None] | None = None) -> Fan:
    """The Monte Carlo fan of `spec` (same parameter draws and streams as `run_monte_carlo`)."""
    if replications < 2:
        raise ValueError("replications must be at least 2")
    n_workers = resolve_workers(workers)
    runs: list[_Run] = []

    def run_round(first: int, draws: list[dict[str, float]]) -> None:
        tasks = [(spec, first + i, draws[i], seed, engine) for i in range(len(draws))]
        for run in map_tasks(_run_one, tasks, n_workers, executor):
            runs.append(run)
            if progress is not None:
                progress(len(runs), replications)

    in_rounds(spec, seed, replications, replications, run_round)
    runs.sort(key=lambda r: r.index)
    series = {k: np.stack([r.series[k] for r in runs]) for k in runs[0].series}
    goal = np.array([r.goal_by_deadline for r in runs], dtype=float)
    return Fan(series, goal, first_month)


# -- where each actual falls ---------------------------------------------------------------------

def tracked_columns(spec: Scenario, actuals: Actuals) -> list[str]:
    """The actuals' figures the fan has, in the file's order."""
    known = (*count_columns(spec), *MONEY_COLUMNS)
    return [c for c in actuals.frame.columns if c in known and actuals.has(c)]


def percentile_in(values: np.ndarray, x: float) -> float:
    """Mid-rank percentile of x among `values` (ties count half), 0-100."""
    below = float(np.sum(values < x))
    ties = float(np.sum(values == x))
    return 100.0 * (below + 0.5 * ties) / values.size


def positions(fan: Fan, actuals: Actuals, columns: list[str]) -> pd.DataFrame:
    """metric, month, actual, p10, p50, p90, percentile, flag ('below', 'above' or '')."""
    rows = []
    for name in columns:
        series = fan.series[name]
        for month, actual in zip(actuals.frame.index, actuals.column(name), strict=True):
            if np.isnan(actual):
                continue
            sims = series[:, month - fan.first_month]
            pct = percentile_in(sims, actual)
            q = np.percentile(sims, [10, 50, 90])
            flag = "below" if pct < FLAG_LOW else "above" if pct > FLAG_HIGH else ""
            rows.append({"metric": name, "month": int(month), "actual": float(actual),
                         "p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2]),
                         "percentile": pct, "flag": flag})
    return pd.DataFrame(rows, columns=["metric", "month", "actual", "p10", "p50", "p90",
                                       "percentile", "flag"])


# -- which rate of the journey is off ------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    """One rate of the journey: the plan's value, the actuals' own, the posterior and its
    interval; `paths` are the scenario's parameters it scales in the re-forecast."""

    name: str  # e.g. "leads_yandex_direct", "conversion", "churn"
    kind: str  # volume, conversion, payment, stage, churn
    plan: float
    observed: float
    posterior: float
    low: float
    high: float
    evidence: float  # the actuals' count behind it (leads, clients, ...)
    paths: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        return self.posterior / self.plan if self.plan > 0 else math.nan

    @property
    def ratio_sd(self) -> float:
        """Posterior sd of the ratio (from the interval: a normal's 90% is +-1.645 sd)."""
        z = stats.norm.ppf(0.5 + INTERVAL / 2)
        return (self.high - self.low) / (2 * z) / self.plan if self.plan > 0 else math.nan

    @property
    def off(self) -> bool:
        return not self.low <= self.plan <= self.high

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "plan": self.plan,
                "observed": self.observed, "posterior": self.posterior, "low": self.low,
                "high": self.high, "ratio": self.ratio, "off": self.off,
                "evidence": self.evidence, "paths": list(self.paths)}


def _beta_rate(name: str, kind: str, k: float, n: float, plan_k: np.ndarray,
               plan_n: np.ndarray, months: int, paths: tuple[str, ...]) -> Rate | None:
    """Beta-binomial: k successes in n trials; the prior from the plan's k/n per replication."""
    ok = plan_n > 0
    if n <= 0 or not ok.any():
        return None
    rates = plan_k[ok] / plan_n[ok]
    m = float(np.clip(rates.mean(), 1e-6, 1 - 1e-6))
    noise = float(np.mean(rates * (1 - rates) / plan_n[ok]))  # counting noise of k/n
    spread = float(rates.var(ddof=1)) - noise if rates.size > 1 else 0.0
    cap = PRIOR_MONTHS * float(plan_n[ok].mean()) / months
    kappa = min(m * (1 - m) / spread - 1, cap) if spread > 0 else cap
    kappa = max(kappa, 1e-3)
    post = stats.beta(m * kappa + k, (1 - m) * kappa + n - k)
    lo, hi = post.ppf([(1 - INTERVAL) / 2, (1 + INTERVAL) / 2])
    return Rate(name, kind, m, k / n, float(post.mean()), float(lo), float(hi), n, paths)


def _gamma_volume(name: str, actual: float, plan_total: np.ndarray, months: int,
                  paths: tuple[str, ...]) -> Rate | None:
    """Gamma-Poisson on the multiplier of the plan's expected leads over the months given."""
    expected = float(plan_total.mean())
    if expected <= 0:
        return None
    spread = float(plan_total.var(ddof=1)) - expected  # less the Poisson counting noise
    cap = PRIOR_MONTHS * expected / months
    alpha = min(expected**2 / spread, cap) if spread > 0 else cap
    post = stats.gamma(alpha + actual, scale=1 / (alpha + expected))
    lo, hi = post.ppf([(1 - INTERVAL) / 2, (1 + INTERVAL) / 2])
    per_month = expected / months
    return Rate(name, "volume", per_month, actual / months, float(post.mean()) * per_month,
                float(lo) * per_month, float(hi) * per_month, actual, paths)


def _known(*columns: np.ndarray) -> np.ndarray:
    mask = np.ones(columns[0].shape, dtype=bool)
    for c in columns:
        mask &= ~np.isnan(c)
    return mask


def journey_rates(spec: Scenario, fan: Fan, actuals: Actuals) -> list[Rate]:
    """Each rate of the journey the actuals inform, updated (see the module docstring)."""
    T = actuals.months
    idx = np.arange(T)
    plan = {k: v[:, :T] for k, v in fan.series.items()}
    rates: list[Rate | None] = []
    # volumes: each channel, referrals, or (without them) all leads
    channels = [c.name for c in spec.channels]
    by_channel = [c for c in channels if actuals.has(f"leads_{c}")]
    for c in by_channel:
        channel = next(ch for ch in spec.channels if ch.name == c)
        paths = tuple(f"channels.{c}.{f}" for f in ("max_leads", "organic_leads")
                      if getattr(channel, f) != 0)
        a = actuals.column(f"leads_{c}")
        k = _known(a)
        rates.append(_gamma_volume(f"leads_{c}", float(a[k].sum()),
                                   plan[f"leads_{c}"][:, idx[k]].sum(axis=1), int(k.sum()),
                                   paths))
    if actuals.has("leads_referral"):
        a = actuals.column("leads_referral")
        k = _known(a)
        rates.append(_gamma_volume("leads_referral", float(a[k].sum()),
                                   plan["leads_referral"][:, idx[k]].sum(axis=1),
                                   int(k.sum()), ("referrals.leads_per_client_month",)))
    if not by_channel and actuals.has("leads"):
        a = actuals.column("leads")
        k = _known(a)
        paths = tuple(f"channels.{c.name}.{f}" for c in spec.channels
                      for f in ("max_leads", "organic_leads") if getattr(c, f) != 0)
        rates.append(_gamma_volume("leads", float(a[k].sum()),
                                   plan["leads"][:, idx[k]].sum(axis=1), int(k.sum()),
                                   (*paths, "referrals.leads_per_client_month")))
    # new leads of the month, as the file gives them
    leads = actuals.column("leads")
    plan_leads = plan["leads"]
    if not actuals.has("leads") and by_channel and len(by_channel) == len(channels):
        cols = [f"leads_{c}" for c in channels]
        if actuals.has("leads_referral"):
            cols.append("leads_referral")
        leads = np.sum([actuals.column(c) for c in cols], axis=0)
        plan_leads = np.sum([plan[c] for c in cols], axis=0)
    new = actuals.column("new_clients")
    unpaid = actuals.column("lost_unpaid")
    conversion_paths = ("journey.first_contact_conversion",
                        "journey.follow_up.conversion_per_touch")
    k = _known(leads, new)
    if k.any():
        deals = new + (np.nan_to_num(unpaid) if actuals.has("lost_unpaid") else 0.0)
        plan_deals = plan["new_clients"] + (plan["lost_unpaid"] if actuals.has("lost_unpaid")
                                            else 0.0)
        ku = _known(leads, new, unpaid) if actuals.has("lost_unpaid") else k
        rates.append(_beta_rate("conversion", "conversion", float(deals[ku].sum()),
                                float(leads[ku].sum()), plan_deals[:, idx[ku]].sum(axis=1),
                                plan_leads[:, idx[ku]].sum(axis=1), int(ku.sum()),
                                conversion_paths))
    if actuals.has("lost_unpaid"):
        kp = _known(new, unpaid)
        if kp.any():
            rates.append(_beta_rate(
                "payment", "payment", float(new[kp].sum()), float((new + unpaid)[kp].sum()),
                plan["new_clients"][:, idx[kp]].sum(axis=1),
                (plan["new_clients"] + plan["lost_unpaid"])[:, idx[kp]].sum(axis=1),
                int(kp.sum()), ("journey.invoice.paid_probability",)))
    for stage in STAGES:
        if stage == "lost_unpaid" or not actuals.has(stage):
            continue
        lost = actuals.column(stage)
        ks = _known(leads, lost)
        if ks.any():
            rates.append(_beta_rate(
                stage, "stage", float(lost[ks].sum()), float(leads[ks].sum()),
                plan[stage][:, idx[ks]].sum(axis=1), plan_leads[:, idx[ks]].sum(axis=1),
                int(ks.sum()),
                ("journey.lost_unprocessed",) if stage == "lost_unprocessed" else ()))
    # churn: clients who left in a month of those active at its start
    if actuals.has("churned"):
        start = sum(c.count for c in spec.initial_state.clients)
        active = actuals.column("active_clients")
        before = np.concatenate([[start], active[:-1]])
        churned = actuals.column("churned")
        kc = _known(churned, before)
        plan_before = np.concatenate([np.full((fan.replications, 1), float(start)),
                                      plan["active_clients"][:, :-1]], axis=1)
        if kc.any():
            rates.append(_beta_rate(
                "churn", "churn", float(churned[kc].sum()), float(before[kc].sum()),
                plan["churned"][:, idx[kc]].sum(axis=1), plan_before[:, idx[kc]].sum(axis=1),
                int(kc.sum()),
                ("tiers.*.monthly_churn", "tiers.*.monthly_churn_no_result")))
    return [r for r in rates if r is not None]


def rates_table(rates: list[Rate]) -> pd.DataFrame:
    return pd.DataFrame([r.to_dict() for r in rates],
                        columns=["name", "kind", "plan", "observed", "posterior", "low", "high",
                                 "ratio", "off", "evidence", "paths"])


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


# -- all of it -----------------------------------------------------------------------------------

@dataclass
class TrackResult:
    """Plan vs actual and the re-forecast: the plan's fan, where each actual falls in it
    (`positions`, `flagged()`), the journey's rates with their posterior intervals, the
    re-forecast's scenario and fan, and (with `bet_replications`) the bets on both."""

    spec: Scenario
    actuals: Actuals
    plan: Fan
    positions: pd.DataFrame
    rates: list[Rate]
    reforecast_spec: Scenario
    reforecast: Fan
    seed: int
    engine: str
    seconds: float
    bets_plan: Any = None  # Comparison of the plan's bets, or None
    bets_now: Any = None  # Comparison of the bets on the re-forecast, or None
    notes: list[str] = field(default_factory=list)

    @property
    def months(self) -> int:
        return self.actuals.months

    def flagged(self) -> pd.DataFrame:
        return self.positions[self.positions["flag"] != ""]

    def to_dict(self) -> dict[str, Any]:
        from models.load import scenario_hash

        p_plan, se_plan = self.plan.p_goal()
        p_now, se_now = self.reforecast.p_goal()
        goal = self.spec.goal
        doc: dict[str, Any] = {
            "provenance": {"scenario": self.spec.name, "scenario_hash": scenario_hash(self.spec),
                           "actuals": self.actuals.source, "actual_months": self.months,
                           "seed": self.seed, "replications": self.plan.replications,
                           "engine": self.engine, "seconds": self.seconds},
            "goal": None if goal is None else {
                "metric": goal.metric, "target": goal.target, "deadline_month": goal.deadline_month,
                "p_plan": p_plan, "p_plan_se": se_plan, "p_now": p_now, "p_now_se": se_now},
            "flagged": self.flagged().to_dict(orient="records"),
            "positions": self.positions.to_dict(orient="records"),
            "rates": [r.to_dict() for r in self.rates],
            "reforecast_scenario": self.reforecast_spec.model_dump(mode="json", by_alias=True,
                                                                   exclude_none=True),
            "notes": self.notes,
        }
        for key, cmp in (("bets_plan", self.bets_plan), ("bets_now", self.bets_now)):
            if cmp is not None:
                doc[key] = cmp.to_dict()
        return doc

    def fans(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """Plan and re-forecast quantiles in one tidy table (column `forecast`)."""
        plan = self.plan.quantiles(metrics).assign(forecast="plan")
        now = self.reforecast.quantiles(
            [m for m in (metrics or list(self.reforecast.series))
             if m in self.reforecast.series]).assign(forecast="reforecast")
        return pd.concat([plan, now], ignore_index=True)


def track(spec: Scenario, actuals: Actuals, replications: int = 200, seed: int = 1,
          workers: int | None = None, executor: Executor | None = None, engine: str = "fast",
          bet_replications: int = 0, progress: Callable[[int, int], None] | None = None,
          plan: Fan | None = None) -> TrackResult:
    """Plan vs actual and the re-forecast (see the module docstring). `bet_replications` > 0
    also compares the scenario's bets on the plan and on the re-forecast. `plan`: the plan's
    fan if already made (`plan_fan(spec, replications, seed, ...)`), so that several actuals
    files are tracked against one plan without running it again."""
    start = time.perf_counter()
    steps = 2 * replications
    done = [0]

    def step(offset: int) -> Callable[[int, int], None]:
        def report(k: int, _total: int) -> None:
            done[0] = offset + k
            if progress is not None:
                progress(done[0], steps)
        return report

    if plan is None:
        plan = plan_fan(spec, replications, seed, workers, executor, engine, 1, step(0))
    columns = tracked_columns(spec, actuals)
    pos = positions(plan, actuals, columns)
    rates = journey_rates(spec, plan, actuals)
    new_spec = reforecast_scenario(spec, plan, actuals, rates)
    now = plan_fan(new_spec, plan.replications, seed, workers, executor, engine,
                   actuals.months + 1, step(replications))
    result = TrackResult(spec, actuals, plan, pos, rates, new_spec, now, seed, engine, 0.0)
    if spec.goal is not None and spec.goal.deadline_month <= actuals.months:
        result.notes.append("deadline_passed")
    if bet_replications >= 2 and new_spec.bets:
        from sim.experiments.compare import compare_bets

        result.bets_plan = compare_bets(spec, None, bet_replications, seed, workers,
                                        executor=executor, engine=engine)
        result.bets_now = compare_bets(new_spec, None, bet_replications, seed, workers,
                                       executor=executor, engine=engine)
    result.seconds = time.perf_counter() - start
    return result


def simulated_actuals(spec: Scenario, months: int, seed: int, engine: str = "fast",
                      columns: list[str] | None = None, values: dict[str, float] | None = None,
                      index: int = 0) -> pd.DataFrame:
    """Actuals as the engine makes them: one run of `spec` (uncertain parameters at their means
    unless `values` gives them) on stream `index` of `seed`, its first `months` months, as the
    table of an actuals file (for tests, and how the example's file was made)."""
    run = _run_one((spec, index, values, seed, engine))
    names = columns or [c for c in (*count_columns(spec), *MONEY_COLUMNS) if c != "leads"]
    frame = pd.DataFrame({name: run.series[name][:months] for name in names})
    frame.insert(0, "month", np.arange(1, months + 1))
    money = [c for c in names if c in MONEY_COLUMNS]
    frame[money] = frame[money].round(0)
    return frame
