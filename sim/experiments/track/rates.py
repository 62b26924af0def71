"""Which rate of the journey is off: a conjugate Bayesian update of each rate the actuals inform,
whose prior is the plan (see `sim.experiments.track`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from models.calibration.actuals import STAGES, Actuals
from models.spec.scenario import Scenario
from sim.experiments.track.fan import (
    Fan,
)

PRIOR_MONTHS = 3.0  # the plan is believed at most as much as this many months of actuals


INTERVAL = 0.90  # of the posterior intervals


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
