"""How much a scenario asks of the engine, estimated before anything runs.

The agent engine keeps every lead and client of a replication in memory as an object (measured
on the reference scenario: about 0.8 KB each, ~25k agents a second on one core), so a scenario
with 1e8 leads a month ends in a `MemoryError` after minutes. `estimate(spec)` counts the agents
one replication creates (leads from channels and referrals over the horizon, plus the starting
clients, leads, invoices and customer base) from the spec alone, with uncertain values at their
99th percentile, and `problems(spec)` refuses a scenario above `MAX_AGENTS`, saying the estimate
and what to do instead. It is called from the loader's validation
(`models.load.validate`), so the CLI, `--set` and the app's editor all get it.

Each bet is estimated too, applied at full strength over the whole horizon to the baseline at
its point values (a bet that multiplies the leads a thousandfold is refused at load, named).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.compiled.saturation import saturation_leads
from models.spec.distributions import _Dist
from models.spec.messages import msg
from models.spec.scenario import Bet, Scenario

# Agents (leads and clients) one replication may create. 2 million is ~1.6 GB of memory a
# replication (each worker holds one) and ~80 s of CPU: 25 times the reference scenario.
MAX_AGENTS = 2_000_000
BYTES_PER_AGENT = 800  # measured: reference scenario, 10x its leads, peak RSS over agents
_HIGH = 0.99  # an uncertain value counts at its 99th percentile


@dataclass(frozen=True)
class Workload:
    agents: float  # leads and clients created in one replication
    months: int
    sources: dict[str, float]  # where the agents come from, largest first

    @property
    def agent_months(self) -> float:
        """Upper bound of the agents' months alive: every agent from its arrival (on average
        half the horizon for arrivals spread over it) to the horizon."""
        return self.agents * self.months

    @property
    def memory_bytes(self) -> float:
        return self.agents * BYTES_PER_AGENT


def _high(value: float | _Dist | None, default: float = 0.0) -> float:
    if value is None:
        return default
    if isinstance(value, _Dist):
        return float(value.ppf(np.array([_HIGH]))[0])
    return float(value)


def _low(value: float | _Dist | None, default: float = 0.0) -> float:
    if value is None:
        return default
    if isinstance(value, _Dist):
        return float(value.ppf(np.array([1 - _HIGH]))[0])
    return float(value)


def estimate(spec: Scenario) -> Workload:
    """Agents one replication creates, from the spec (see the module docstring)."""
    months = spec.horizon_months
    sources: dict[str, float] = {}
    per_month = 0.0
    for ch in spec.channels:
        budget, top = _high(ch.budget_monthly), _high(ch.max_leads)
        half = max(_low(ch.half_saturation_budget, 1.0), 1e-300)
        paid = saturation_leads(budget, top, half)
        leads = paid + _high(ch.organic_leads)
        sources[f"channels.{ch.name}"] = leads * months
        per_month += leads
    state = spec.initial_state
    start = float(sum(g.count for g in state.clients))
    start += float(len(state.customer_base.x)) if state.customer_base is not None else 0.0
    if start:
        sources["initial_state (clients)"] = start
    other = float(sum(g.count for g in state.open_leads) + sum(g.count for g in
                                                                state.unpaid_invoices))
    if other:
        sources["initial_state (leads, invoices)"] = other
    # Referrals: each client brings leads_per_client_month; at most every agent is a client,
    # arriving on average half-way through the horizon (no compounding: a rough bound).
    rate = _high(spec.referrals.leads_per_client_month) if spec.referrals is not None else 0.0
    if rate:
        sources["referrals.leads_per_client_month"] = rate * (
            start * months + per_month * months * months / 2)
    total = sum(sources.values())
    ranked = dict(sorted(sources.items(), key=lambda kv: -kv[1]))
    return Workload(total, months, ranked)


def _count(x: float) -> str:
    return f"{x:,.0f}" if x < 1e9 else f"{x:.3g}"


def _with_bet(spec: Scenario, bet: Bet) -> Scenario | None:
    """The baseline (point values) with `bet` at full strength, or None if it cannot be built
    (then `bet_problems` has said why)."""
    from models.compiled.bets import _appended, _apply, _base_raw, bet_means, realise_bet
    from models.compiled.form import point_values, realise

    try:
        raw = _base_raw(realise(spec, point_values(spec)))
        concrete = realise_bet(bet, bet_means(bet))
        _appended(raw, [concrete])
        for change in concrete.changes:
            if change.append is None:
                _apply(raw, change, 1.0)
        return Scenario.model_validate(raw)
    except (ValueError, TypeError, KeyError):
        return None


def problems(spec: Scenario) -> list[tuple[str, str]]:
    """`[(path, message)]` when one replication would create more than `MAX_AGENTS` agents, in
    the baseline or with one of the bets."""
    found = _problem(estimate(spec), "")
    if found:
        return found
    for bet in spec.bets:
        with_bet = _with_bet(spec, bet)
        if with_bet is not None:
            found = _problem(estimate(with_bet), f"bets.{bet.name}")
            if found:
                return found
    return []


def _problem(work: Workload, where_bet: str) -> list[tuple[str, str]]:
    if not math.isfinite(work.agents) or work.agents > MAX_AGENTS:
        top = list(work.sources.items())[:3]
        where = where_bet or (top[0][0] if top else "")
        factor = max(2, math.ceil(work.agents / MAX_AGENTS)) if math.isfinite(work.agents) else 0
        memory = work.memory_bytes
        return [(where, msg(
            "too_much_work", agents=_count(work.agents), months=work.months,
            agent_months=_count(work.agent_months), limit=f"{MAX_AGENTS:,}",
            memory=f"{memory / 1e9:,.1f} GB" if memory < 1e12 else f"{memory / 1e12:.3g} TB",
            sources=", ".join(f"{k} ~{_count(v)}" for k, v in top), factor=f"{factor:,}"))]
    return []
