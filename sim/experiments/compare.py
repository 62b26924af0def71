"""Bets compared against the baseline on common random numbers.

Replication i of every alternative (the baseline, each bet, each portfolio of bets) uses the same
draw of the baseline's uncertain parameters, the same engine seed (so the same lead makes the
same choices wherever nothing differs for it) and, for each bet, the same draw of the bet's own
uncertainty. Differences are therefore taken replication by replication (paired), which removes
most of the noise two independent runs would show; `Comparison.variance_reduction` says how much.

Definitions (also in docs/reference/metrics.md):
- incremental X = X(alternative) - X(baseline), per replication;
- cost = what the owner decides to spend on the bet: its one-off and running costs plus the change
  in advertising and in salaries (`models.compiled.form.Params.decided_spend`). The table's
  `cost` (what a budget must cover) is that over the horizon, undiscounted, at the parameters'
  means, known before any simulation; `investment` is its present value in each replication.
  Costs that follow from the bet's results (cost of goods, onboarding, retention of the extra
  clients) are not its cost: they are in the incremental profit;
- ROI = mean incremental NPV of profit / mean investment (undefined when the investment is not
  positive); its interval is a bootstrap over replications (resamples with no positive
  investment left out);
- payback month = first month from which the cumulative incremental profit stays >= 0 to the
  horizon (None: not paid back within the horizon);
- time to goal: in a paired difference, a run that never reaches the goal counts as month
  horizon + 1 (so a bet that makes the goal reachable is credited, not dropped);
- P(best) = share of replications in which the alternative has the highest NPV (or the earliest
  time to goal, over the replications in which some alternative reaches it), ties shared; the
  baseline ("do nothing") competes too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from models.accounting.goal import month_or_never, never_reached
from models.accounting.metrics import LEVERS, lever_factors, lever_split
from models.compiled.bets import (
    bet_distributions,
    compile_alternative,
    draw_bet_values,
)
from models.compiled.form import CompiledScenario, compile_scenario
from models.compiled.units import month_discount_factors, monthly_discount_rate
from models.load import scenario_hash
from models.spec.messages import amount, msg
from models.spec.messages import names as names_of
from models.spec.messages_ru import bilingual
from models.spec.scenario import Bet, Scenario
from sim.experiments.runner.alternatives import run_replications
from sim.experiments.runner.parallel import resolve_workers
from sim.experiments.runner.replications import DEFAULT_ENGINE, Replication, in_rounds, stack
from sim.experiments.runner.statistics import (
    QUANTILES,
    describe,
    describe_time_to_goal,
    lhs_factor,
    lhs_standard_error,
    t_critical,
)

BASELINE = "baseline"
# What a bet changes, as the reports show it (the terminal's and the exports' tables): the
# methodology's three first (what a bet does to CLTV, CAC and capitalisation), then revenue and
# profit.
CHANGED = ("cltv_with_tail", "cac", "customer_equity", "total_revenue", "total_profit")
_BOOTSTRAP = 2000


@dataclass(frozen=True)
class Alternative:
    """What is run: the baseline (no bets), one bet, or a portfolio of bets acting together."""

    name: str
    bets: tuple[Bet, ...]


def select_bets(spec: Scenario, bets: Sequence[str | Bet] | None) -> list[Bet]:
    """The scenario's bets by name (None: all of them); Bet objects (e.g. shocks) pass as they
    are. An unknown name is an error that lists the known ones."""
    if bets is None:
        return list(spec.bets)
    known = {b.name: b for b in spec.bets}
    out = []
    for item in bets:
        if isinstance(item, Bet):
            out.append(item)
        elif item in known:
            out.append(known[item])
        else:
            raise ValueError(msg("bet_unknown", name=item, scenario=spec.name,
                                 known=names_of(list(known)) if known
                                 else msg("bets_none_in_scenario")))
    names = [b.name for b in out]
    if BASELINE in names or len(set(names)) != len(names):
        raise ValueError(f"bet names must be unique and not {BASELINE!r}: {', '.join(names)}")
    return out


def _spend(cs: CompiledScenario) -> float:
    return sum(sum(p.decided_spend().values()) for p in cs.timeline)


def nominal_cost(spec: Scenario, bets: Sequence[Bet]) -> float:
    """What the bets cost over the horizon, undiscounted, at the parameters' means: their own
    costs plus the extra advertising and salaries they decide. Used to fit a budget."""
    return _spend(compile_alternative(spec, bets)) - _spend(compile_scenario(spec))


def alternatives(spec: Scenario, bets: Sequence[Bet], budget: float | None = None,
                 max_bets: int = 1,
                 skipped: list[tuple[str, str]] | None = None,
                 over_budget: list[tuple[str, float]] | None = None) -> list[Alternative]:
    """The baseline, then every combination of up to `max_bets` bets whose nominal cost fits
    the budget (no budget: every combination). A combination whose bets cannot act together is
    left out, with the reason appended to `skipped`; one that costs more than the budget, with
    its cost appended to `over_budget` (so that what a budget left out can be said)."""
    if not 1 <= max_bets <= 3:
        raise ValueError(f"max_bets must be 1, 2 or 3 (got {max_bets})")
    out = [Alternative(BASELINE, ())]
    for k in range(1, max_bets + 1):
        for combo in combinations(bets, k):
            name = " + ".join(b.name for b in combo)
            try:
                cost = nominal_cost(spec, combo)
            except ValueError as err:
                if k == 1:  # a single bet that cannot run is the user's to fix
                    raise ValueError(msg("bet_cannot_run", bet=name,
                                         why=bilingual(err.args[0] if err.args else str(err)))
                                     ) from None
                if skipped is not None:
                    skipped.append((name, err.args[0] if err.args else str(err)))
                continue
            if budget is None or cost <= budget:
                out.append(Alternative(name, combo))
            elif over_budget is not None:
                over_budget.append((name, cost))
    return out


@dataclass
class Comparison:
    """Results of every alternative, replication by replication, and their paired differences."""

    spec: Scenario
    seed: int
    alternatives: list[Alternative]
    monthly: dict[str, dict[str, np.ndarray]]  # alternative -> metric -> (replications, months)
    scalars: dict[str, dict[str, np.ndarray]]  # alternative -> metric -> (replications,)
    costs: dict[str, float]  # nominal cost (see `nominal_cost`)
    seconds: float = 0.0
    rounds: list[int] = field(default_factory=list)
    settled: bool | None = None  # None: not asked (`until_settled` off)
    could_be_best: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # portfolios that cannot run
    # (alternative, its nominal cost) left out because it costs more than `budget`
    over_budget: list[tuple[str, float]] = field(default_factory=list)
    budget: float | None = None  # the total over the horizon the alternatives had to fit
    engine: str = DEFAULT_ENGINE
    # the baseline's draw of its uncertain parameters in each replication, in order (what
    # `run_alternatives` received; empty for a comparison assembled elsewhere)
    draws: list[dict[str, float]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The alternatives' names, the baseline first."""
        return [a.name for a in self.alternatives]

    @property
    def replications(self) -> int:
        """Replications of each alternative (every round's)."""
        return len(self.scalars[BASELINE]["total_revenue"])

    # -- paired differences -------------------------------------------------------------------
    def _values(self, name: str, metric: str) -> np.ndarray:
        values = self.scalars[name][metric]
        if metric == "time_to_goal":  # never reached: later than any month of the horizon
            return month_or_never(values, never_reached(self.spec.horizon_months))
        return values

    def delta(self, name: str, metric: str) -> np.ndarray:
        """metric(name) - metric(baseline), replication by replication."""
        return self._values(name, metric) - self._values(BASELINE, metric)

    def paired(self, name: str, metric: str) -> dict[str, float | None]:
        """Mean paired difference with its 95% interval, and the standard error two independent
        runs of the same size would have had."""
        d = self.delta(name, metric)
        ok = ~np.isnan(d)
        n = int(ok.sum())
        if n == 0:
            return {"mean": None, "se": None, "ci_low": None, "ci_high": None,
                    "se_independent": None}
        # Intervals valid under Latin hypercube sampling, with Student's t (statistics module)
        factor = lhs_factor(n, self.rounds)
        se = float(d[ok].std(ddof=1) * math.sqrt(factor)) if n > 1 else 0.0
        a, b = self._values(name, metric)[ok], self._values(BASELINE, metric)[ok]
        se_ind = (float(math.sqrt((a.var(ddof=1) + b.var(ddof=1)) * factor)) if n > 1 else 0.0)
        mean = float(d[ok].mean())
        if se <= 1e-9 * max(1.0, abs(mean), se_ind):  # rounding residue of an exact difference
            se = 0.0
        t = t_critical(n)
        return {"mean": mean, "se": se, "ci_low": mean - t * se, "ci_high": mean + t * se,
                "se_independent": se_ind}

    def variance_reduction(self, metric: str = "npv_profit") -> dict[str, float]:
        """Per alternative: independent SE / paired SE of the difference from the baseline (how
        many times narrower common random numbers made the interval); inf where the paired
        difference is exact (the same in every replication, e.g. a bet that only costs)."""
        out = {}
        for name in self.names[1:]:
            p = self.paired(name, metric)
            se, ind = p["se"], p["se_independent"]
            out[name] = math.inf if se == 0 and ind else (ind / se if se and ind else math.nan)
        return out

    def parameter_values(self) -> pd.DataFrame:
        """The realised value of every uncertain parameter, one row per replication: the
        baseline's (columns named by their paths, shared by every alternative) and each bet's
        own (`bets.NAME.KEY`, e.g. `bets.crm.changes.0.scale`, the same alone and in any
        portfolio). Recorded or re-drawn from the same streams, so nothing is simulated again
        and no result changes."""
        if len(self.draws) != self.replications:
            raise ValueError("this comparison did not record its parameter draws "
                             "(run it with compare_bets)")
        frame = pd.DataFrame(self.draws, index=range(self.replications))
        seen: set[str] = set()
        for bet in (b for a in self.alternatives for b in a.bets):
            if bet.name in seen or not bet_distributions(bet):
                continue
            seen.add(bet.name)
            own = pd.DataFrame([draw_bet_values(bet, self.seed, i)
                                for i in range(self.replications)])
            frame = pd.concat([frame, own.add_prefix(f"bets.{bet.name}.")], axis=1)
        return frame

    def _discount(self) -> np.ndarray:
        return month_discount_factors(monthly_discount_rate(self.spec.discount_rate_annual),
                                      self.spec.horizon_months)

    def investment(self, name: str) -> np.ndarray:
        """Present value of the alternative's cost (see the module's definitions), per
        replication."""
        extra = self.monthly[name]["decided_spend"] - self.monthly[BASELINE]["decided_spend"]
        return np.asarray(extra @ self._discount())

    def payback(self, name: str) -> np.ndarray:
        """Payback month per replication (NaN: not within the horizon)."""
        cum = np.cumsum(self.monthly[name]["profit"] - self.monthly[BASELINE]["profit"], axis=1)
        start = min((b.start_month for b in self._bets(name)), default=1)
        out = np.full(cum.shape[0], math.nan)
        for i, row in enumerate(cum):
            if row[-1] < 0:
                continue
            negative = np.flatnonzero(row < 0)
            out[i] = max(start, negative[-1] + 2) if negative.size else start
        return out

    def _bets(self, name: str) -> tuple[Bet, ...]:
        return next(a.bets for a in self.alternatives if a.name == name)

    def roi(self, name: str) -> dict[str, float]:
        """ROI = mean incremental NPV / mean investment, with a bootstrap 95% interval."""
        gain, cost = self.delta(name, "npv_profit"), self.investment(name)
        if cost.mean() <= 0:
            return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan}
        rng = np.random.default_rng(0)  # fixed: the interval is part of a reproducible report
        idx = rng.integers(0, len(gain), size=(_BOOTSTRAP, len(gain)))
        costs = cost[idx].mean(axis=1)
        positive = costs > 0
        boot = gain[idx].mean(axis=1)[positive] / costs[positive]
        lo, hi = np.percentile(boot, [2.5, 97.5])
        return {"mean": float(gain.mean() / cost.mean()), "ci_low": float(lo),
                "ci_high": float(hi)}

    def p_best(self, metric: str = "npv_profit") -> dict[str, float]:
        """Share of replications in which each alternative is best (highest NPV, or earliest
        time to goal; a goal never reached counts as later than any month). Ties are shared."""
        values = np.stack([self.scalars[n][metric] for n in self.names], axis=1)
        if metric == "time_to_goal":
            values = -month_or_never(values, math.inf)
            values = values[np.isfinite(values).any(axis=1)]  # someone reaches the goal
            if values.shape[0] == 0:
                return dict.fromkeys(self.names, math.nan)
        best = values == values.max(axis=1, keepdims=True)
        share = best / best.sum(axis=1, keepdims=True)
        return dict(zip(self.names, share.mean(axis=0).tolist(), strict=True))

    # -- tables -------------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """The ranked table: one row per alternative, best incremental NPV first, the baseline
        where its NPV (zero increment) puts it."""
        best_npv, best_time = self.p_best("npv_profit"), self.p_best("time_to_goal")
        has_goal = self.spec.goal is not None
        rows = []
        for name in self.names:
            npv = self.paired(name, "npv_profit") if name != BASELINE else {}
            roi = self.roi(name) if name != BASELINE else {}
            ttg = describe_time_to_goal(self.scalars[name]["time_to_goal"])
            payback = describe_time_to_goal(self.payback(name)) if name != BASELINE else {}
            rows.append({
                "bet": name,
                "cost": self.costs[name],
                "investment": float(self.investment(name).mean()) if name != BASELINE else 0.0,
                "npv": npv.get("mean", 0.0),
                "npv_lo": npv.get("ci_low", 0.0),
                "npv_hi": npv.get("ci_high", 0.0),
                "roi": roi.get("mean", math.nan),
                "roi_lo": roi.get("ci_low", math.nan),
                "roi_hi": roi.get("ci_high", math.nan),
                "payback_month": payback.get("p50"),
                "months_to_goal_p10": ttg["p10"],
                "months_to_goal_p50": ttg["p50"],
                "months_to_goal_p90": ttg["p90"],
                "p_goal": (float(np.nanmean(self.scalars[name]["goal_by_deadline"]))
                           if has_goal else math.nan),
                "p_best_npv": best_npv[name],
                "p_best_time": best_time[name] if has_goal else math.nan,
            })
        table = pd.DataFrame(rows)
        return table.sort_values("npv", ascending=False, kind="stable").reset_index(drop=True)

    def levers(self) -> pd.DataFrame:
        """Each alternative's mean incremental revenue split exactly into the four levers of
        the clients won during the horizon (leads, conversion, average check, frequency) and
        the change in the starting state's clients' revenue; the parts sum to `total`.
        Replications with no leads or no new clients (a lever undefined) are left out."""
        before = lever_factors(self.scalars[BASELINE])
        rows = []
        for name in self.names[1:]:
            split = lever_split(before, lever_factors(self.scalars[name]))
            base = self.delta(name, "starting_clients_revenue")
            total = self.delta(name, "total_revenue")
            ok = ~np.isnan(split).any(axis=1)
            row: dict[str, Any] = {"bet": name}
            row.update({lever: float(split[ok, i].mean()) if ok.any() else math.nan
                        for i, lever in enumerate(LEVERS)})
            row["starting_clients"] = float(base[ok].mean()) if ok.any() else math.nan
            row["total"] = float(total[ok].mean()) if ok.any() else math.nan
            rows.append(row)
        return pd.DataFrame(rows, columns=["bet", *LEVERS, "starting_clients", "total"])

    def monthly_quantiles(self) -> pd.DataFrame:
        """Tidy table: bet, metric, month (1-based), mean, p10, p50, p90."""
        frames = []
        for name in self.names:
            for metric, series in self.monthly[name].items():
                q = np.percentile(series, (10, 50, 90), axis=0)
                frames.append(pd.DataFrame({
                    "bet": name, "metric": metric, "month": np.arange(1, series.shape[1] + 1),
                    "mean": series.mean(axis=0), "p10": q[0], "p50": q[1], "p90": q[2],
                }))
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """What compare.json holds: per alternative and metric mean, sd, p10, p50, p90 and, for
        bets, the paired difference from the baseline with its 95% interval."""
        out: dict[str, Any] = {"provenance": self.provenance(), "alternatives": {}}
        keep = ("mean", "sd", "p10", "p50", "p90")
        for name in self.names:
            metrics: dict[str, Any] = {}
            for metric, values in self.scalars[name].items():
                desc = (describe_time_to_goal(values) if metric == "time_to_goal"
                        else describe(values))
                entry: dict[str, Any] = {k: desc[k] for k in keep}
                if name != BASELINE:
                    entry["diff"] = self.paired(name, metric)
                metrics[metric] = entry
            if name != BASELINE:
                for metric, values in (("investment", self.investment(name)),
                                       ("payback_month", self.payback(name))):
                    desc = (describe_time_to_goal(values) if metric == "payback_month"
                            else describe(values))
                    metrics[metric] = {k: desc[k] for k in keep}
                metrics["roi"] = self.roi(name)
            out["alternatives"][name] = {
                "bets": [b.model_dump(by_alias=True, exclude_none=True) for b in self._bets(name)],
                "cost": self.costs[name],
                "metrics": metrics,
            }
        out["ranking"] = _records(self.table())
        out["levers"] = _records(self.levers())
        out["variance_reduction_npv"] = self.variance_reduction()
        out["settled"] = self.settled
        out["could_be_best"] = self.could_be_best
        out["skipped_portfolios"] = [{"portfolio": n, "why": why} for n, why in self.skipped]
        out["budget"] = self.budget
        out["over_budget"] = [{"alternative": n, "cost": c} for n, c in self.over_budget]
        return out

    def provenance(self) -> dict[str, Any]:
        """What was run: the scenario and its hash, the seed, the engine, the replications."""
        return {"scenario": self.spec.name, "scenario_hash": scenario_hash(self.spec),
                "seed": self.seed, "replications": self.replications, "rounds": self.rounds,
                "engine": self.engine, "quantiles": list(QUANTILES)}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN and None both become null."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in row.items()} for row in rows]


def separation(cmp: Comparison, confidence: float = 0.95) -> tuple[bool, list[str]]:
    """Is the alternative with the best mean NPV separated from every other one? Paired
    intervals of (best - other), Bonferroni-corrected over the comparisons. Returns (settled,
    the alternatives that could still be best)."""
    names = cmp.names
    npv = {n: cmp.scalars[n]["npv_profit"] for n in names}
    best = max(names, key=lambda n: float(npv[n].mean()))
    others = [n for n in names if n != best]
    if not others:
        return True, [best]
    t = t_critical(cmp.replications, confidence, len(others))
    still, tied = [best], []
    for n in others:
        d = npv[best] - npv[n]
        if np.all(d == 0):  # the same in every replication: no number of runs tells them apart
            tied.append(n)
            continue
        se = lhs_standard_error(d, cmp.rounds)
        if not float(d.mean()) - t * se > 0:
            still.append(n)
    return len(still) == 1, still + tied


def compare_bets(
    spec: Scenario,
    bets: Sequence[str | Bet] | None = None,
    *,
    replications: int = 40,
    seed: int = 1,
    workers: int | None = None,
    budget: float | None = None,
    max_bets: int = 1,
    until_settled: bool = False,
    max_replications: int = 640,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    engine: str = DEFAULT_ENGINE,
) -> Comparison:
    """Run the baseline and every alternative on common random numbers and compare them.

    Replication i of every alternative uses the same draw of the uncertain parameters and the same
    engine stream, so differences are taken replication by replication (paired).

    Parameters
    ----------
    spec : Scenario
        The scenario (`sim.load_scenario`).
    bets : sequence of str or Bet, optional
        Names of the scenario's bets (None: all of them) or Bet objects (e.g. stress shocks).
    replications : int
        Replications of each alternative.
    seed : int
        Root random seed: the same seed gives the same result, whatever the workers or executor.
    workers : int, optional
        Local processes (None: every core).
    executor : concurrent.futures.Executor, optional
        Where the replications run instead of a local pool (e.g. a Dask cluster's).
    engine : str
        "fast" (the model compiled with numba) or "agent" (the SimPy agent model).
    budget : float, optional
        With `max_bets` (2 or 3), evaluate the portfolios whose nominal cost over the horizon fits
        it; their bets interact in the simulation, nothing is added up.
    max_bets : int
        Bets per portfolio (1: each bet alone).
    until_settled : bool
        Double the replications in rounds, up to `max_replications`, until the best alternative
        is separated from the rest (see `separation`).
    max_replications : int
        Cap for `until_settled`.
    progress : callable, optional
        ``progress(done, total)``, called as replications finish.

    Returns
    -------
    Comparison
        Every alternative's replications and their paired differences (`table()`, `paired()`,
        `levers()`, `roi()`, `payback()`).

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> cmp = sim.compare_bets(spec, ["more_ads"], replications=20, seed=1)  # doctest: +SKIP
    >>> cmp.table()  # doctest: +SKIP
    """
    if replications < 2:
        raise ValueError("replications must be at least 2 (paired intervals need two)")
    chosen = select_bets(spec, bets)
    skipped: list[tuple[str, str]] = []
    over: list[tuple[str, float]] = []
    alts = alternatives(spec, chosen, budget, max_bets, skipped, over)
    if chosen and len(alts) == 1:
        cheapest = min(nominal_cost(spec, [b]) for b in chosen)
        raise ValueError(msg("no_bet_fits_budget", budget=amount(budget),
                             cheapest=amount(cheapest)))
    costs = {a.name: (nominal_cost(spec, a.bets) if a.bets else 0.0) for a in alts}
    n_workers = resolve_workers(workers)
    start = time.perf_counter()
    runs: dict[str, list[Replication]] = {a.name: [] for a in alts}
    drawn: list[dict[str, float]] = []  # the baseline's draw of each replication, in order

    def comparison(rounds: list[int]) -> Comparison:
        cmp = _assemble(spec, seed, alts, runs, costs, rounds, time.perf_counter() - start)
        cmp.skipped, cmp.engine, cmp.draws = skipped, engine, list(drawn)
        cmp.over_budget, cmp.budget = over, budget
        return cmp

    sizes: list[int] = []  # replications in each round so far

    def run_round(first: int, draws: list[dict[str, float]]) -> None:
        sizes.append(len(draws))
        drawn.extend(draws)
        total = (first + len(draws)) * len(alts)
        done = first * len(alts)
        for reps in run_replications(spec, tuple(a.bets for a in alts), first, draws, seed,
                                     engine, n_workers, executor):
            for a, rep in zip(alts, reps, strict=True):
                runs[a.name].append(rep)
            done += len(reps)
            if progress is not None:
                progress(done, total)

    def settled() -> bool:
        return separation(comparison(list(sizes)))[0]

    rounds = in_rounds(spec, seed, replications, max(max_replications, replications), run_round,
                       settled if until_settled else None)
    cmp = comparison(rounds)
    if until_settled:
        cmp.settled, cmp.could_be_best = separation(cmp)
    return cmp


def _assemble(spec: Scenario, seed: int, alts: list[Alternative],
              runs: dict[str, list[Replication]], costs: dict[str, float], rounds: list[int],
              seconds: float) -> Comparison:
    monthly, scalars = {}, {}
    for a in alts:
        stacked = stack(runs[a.name])
        monthly[a.name], scalars[a.name] = stacked.monthly, stacked.scalars
    return Comparison(spec, seed, alts, monthly, scalars, costs, seconds, list(rounds))
