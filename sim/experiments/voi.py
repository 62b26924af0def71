"""Value of information: what it is worth to learn an uncertain parameter before choosing a bet.

The decision is the comparison of bets (`sim.experiments.compare.compare_bets`): the baseline
("do nothing") and each bet, on common random numbers, so replication i of every alternative
shares one draw of the baseline's uncertain parameters (and each bet's own draw). With NPV_a the
NPV of profit of alternative a in a replication:

- EVPI (expected value of perfect information) = E[max_a NPV_a] - max_a E[NPV_a]: how much more
  the owner would expect to earn choosing after learning everything (each replication's best
  alternative) than choosing now (the best on average). It is estimated from the paired
  per-replication NPVs, so "everything" includes the simulation's own chance (which lead buys,
  which client leaves) that no test can learn: EVPI is the ceiling of what any information is
  worth.
- EVPPI of a parameter (or a group of them) theta = E[max_a E[NPV_a | theta]] - max_a E[NPV_a]:
  the same, learning only theta. E[NPV_a | theta] is estimated by regression on the same sample
  (Strong & Oakley's nonparametric regression method, Strong, Oakley & Brennan 2014): each
  alternative's NPV less the NPV of the alternative chosen now is regressed on theta, and
  EVPPI = mean over replications of max(0, max_a g_a(theta)) - max(0, max_a mean g_a).
  One parameter: a penalised cubic regression spline (a P-spline, Eilers & Marx 1996) with its
  smoothness chosen by generalised cross-validation, or the mean alone when that validates
  better (so a parameter nothing depends on gets 0). A group: a quadratic in the group's
  parameters with their pairwise products, ridge-penalised the same way, or one member's
  spline, whichever validates best.

Monte Carlo standard errors come from the Bayesian bootstrap over replications (the whole
estimate, smoothing choice included, recomputed with the replications weighted by Exp(1) draws,
from a fixed stream: the report is reproducible), as half the 16th-84th percentile range of the
resampled estimates (a standard deviation that a few wild resamples do not inflate). A
regression estimate of EVPPI is biased upwards by the regression's own noise, by about its
standard error; EVPPI <= EVPI holds up to that error.

Every figure is in the scenario's money, on NPV of profit, per decision (not per month).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline

from models.load import scenario_hash
from models.spec.scenario import Bet, Scenario
from sim.experiments.compare import BASELINE, Comparison, compare_bets, select_bets
from sim.experiments.runner.replications import DEFAULT_ENGINE
from sim.experiments.sensitivity import lever_of, stage_of

METRIC = "npv_profit"
RESAMPLES = 200  # bootstrap resamples of the standard errors
MIN_REPLICATIONS = 20  # fewer leave a regression on one parameter little to go on
SEGMENTS = 8  # the spline's knot intervals (the penalty, not their number, sets smoothness)
# penalties tried, relative to the design's scale: from almost none to a straight line (spline)
# or the mean (group); GCV chooses
_LAMBDAS = np.logspace(-6, 5, 23)
_BOOTSTRAP_STREAM = 0  # fixed: the standard errors are part of a reproducible report
GROUPINGS = ("lever", "stage")


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate and its standard error."""

    estimate: float
    se: float

    def to_dict(self) -> dict[str, float]:
        """The estimate and its standard error."""
        return {"estimate": self.estimate, "se": self.se}


# -- the estimators, on arrays ---------------------------------------------------------------
def _as_matrix(npv: np.ndarray) -> np.ndarray:
    values = np.asarray(npv, dtype=float)
    if values.ndim != 2:
        raise ValueError("npv must be (replications, alternatives)")
    if not np.isfinite(values).all():
        raise ValueError("npv holds missing or infinite values")
    return values


def _relative(values: np.ndarray) -> np.ndarray:
    """Each alternative's value less the value of the alternative best on average (chosen
    now): what a switch away from today's choice gains, replication by replication."""
    return values - values[:, [int(np.argmax(values.mean(axis=0)))]]


def _value(gains: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean max(0, max_a gain_a) - max(0, max_a mean gain_a): the expected gain of choosing
    per row over choosing once on the means (rows: replications, columns: alternatives; means
    weighted by `weights` when given)."""
    if gains.shape[1] == 0:
        return 0.0
    per_row = np.average(np.maximum(gains.max(axis=1), 0.0), weights=weights)
    now = max(0.0, float(np.average(gains, axis=0, weights=weights).max()))
    return max(0.0, float(per_row) - now)


def _resamples(n: int, resamples: int) -> np.ndarray:
    """Weights of the Bayesian bootstrap (Rubin 1981): each resample weighs the replications
    by independent Exp(1) draws. Unlike resampling rows it makes no tied copies, which would
    lead cross-validation to follow the noise of the duplicated rows."""
    rng = np.random.default_rng(_BOOTSTRAP_STREAM)
    return rng.exponential(1.0, size=(resamples, n))


def _spread(boot: Sequence[float]) -> float:
    """The standard error from bootstrap estimates: half their 16th-84th percentile range (the
    standard deviation of a normal spread, but not blown up by the few resamples in which a
    regression on few replications follows their noise)."""
    if len(boot) < 2:
        return math.nan
    low, high = np.percentile(boot, [15.865, 84.135])
    return float(high - low) / 2


def evpi(npv: np.ndarray, resamples: int = RESAMPLES) -> Estimate:
    """EVPI of choosing among alternatives, from paired per-replication values.

    Parameters
    ----------
    npv : array (replications, alternatives)
        Each alternative's NPV in each replication, on common random numbers.
    resamples : int
        Bootstrap resamples of the standard error.

    Returns
    -------
    Estimate
        E[max_a NPV_a] - max_a E[NPV_a] and its bootstrap standard error; 0 (exactly) with one
        alternative, or when one alternative is best in every replication.
    """
    values = _as_matrix(npv)
    if values.shape[1] < 2:
        return Estimate(0.0, 0.0)
    gains = _relative(values)
    estimate = _value(gains)
    boot = [_value(gains, weights) for weights in _resamples(len(gains), resamples)]
    return Estimate(estimate, _spread(boot))


def spline_design(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """A cubic B-spline basis on equally spaced knots over the range of `x` and its
    second-difference penalty (a P-spline); None when `x` does not vary. A parameter with few
    distinct values (a whole number) gets fewer knots and a lower degree."""
    x = np.asarray(x, dtype=float)
    lo, hi = float(x.min()), float(x.max())
    if not hi > lo:
        return None
    z = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    distinct = np.unique(z).size
    degree = min(3, distinct - 1)
    segments = max(1, min(SEGMENTS, distinct - 1))
    knots = np.arange(-degree, segments + degree + 1) / segments
    basis = BSpline.design_matrix(z, knots, degree).toarray()
    m = basis.shape[1]
    order = min(2, m - 1)
    diff = np.diff(np.eye(m), n=order, axis=0)
    return basis, diff.T @ diff


def group_design(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """A quadratic in the standardised parameters with their pairwise products (left out when
    they would outnumber a third of the replications) and a ridge penalty on all but the
    intercept; None when no parameter varies."""
    theta = np.asarray(theta, dtype=float)
    if theta.ndim == 1:
        theta = theta[:, None]
    sd = theta.std(axis=0)
    keep = sd > 0
    if not keep.any():
        return None
    z = (theta[:, keep] - theta[:, keep].mean(axis=0)) / sd[keep]
    columns = [np.ones(len(z)), *z.T, *(z ** 2).T]
    p = z.shape[1]
    if p > 1 and 1 + 2 * p + p * (p - 1) // 2 <= len(z) / 3:
        columns += [z[:, i] * z[:, j] for i in range(p) for j in range(i + 1, p)]
    design = np.column_stack(columns)
    penalty = np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    return design, penalty


Design = tuple[np.ndarray, np.ndarray]  # (basis, penalty)


def group_designs(theta: np.ndarray) -> list[Design]:
    """The regressions tried for a group: the quadratic (`group_design`) and each member's
    spline alone (`spline_design`), so that a group is never worth less than the member that
    explains the choice best merely because the quadratic is too stiff or too many-sided for
    the sample; cross-validation chooses."""
    theta = np.asarray(theta, dtype=float)
    if theta.ndim == 1:
        theta = theta[:, None]
    found = [group_design(theta)] if theta.shape[1] > 1 else []
    found += [spline_design(theta[:, j]) for j in range(theta.shape[1])]
    return [d for d in found if d is not None]


def _fit(design: np.ndarray, penalty: np.ndarray, yc: np.ndarray,
         wts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Penalised weighted least squares of each column of `yc` (centred, standardised) on
    `design`, the penalty chosen by generalised cross-validation among `_LAMBDAS`: the fitted
    values and each column's GCV score."""
    n, m = design.shape
    xw = design * wts[:, None]
    xtx = xw.T @ design
    xty = xw.T @ yc
    yty = (wts[:, None] * yc ** 2).sum(axis=0)
    size = np.trace(xtx) / max(float(np.trace(penalty)), 1e-300)
    lambdas = size * _LAMBDAS
    # a whisper of ridge keeps a basis column with no data under it solvable
    systems = xtx[None] + lambdas[:, None, None] * penalty[None] + 1e-10 * size * np.eye(m)
    beta = np.linalg.solve(systems, np.broadcast_to(xty, (len(lambdas), m, yc.shape[1])))
    rss = (yty - 2 * np.einsum("lmk,mk->lk", beta, xty)
           + np.einsum("lmk,mj,ljk->lk", beta, xtx, beta))
    edf = np.trace(np.linalg.solve(systems, np.broadcast_to(xtx, systems.shape)), axis1=1,
                   axis2=2)
    left = n - edf
    with np.errstate(divide="ignore", invalid="ignore"):
        gcv = np.where(left[:, None] > 0.5, n * np.maximum(rss, 0) / left[:, None] ** 2, np.inf)
    best = gcv.argmin(axis=0)
    columns = np.arange(yc.shape[1])
    fitted = design @ beta[best, :, columns].T
    return fitted, gcv[best, columns]


def _smoothed(designs: Sequence[Design], y: np.ndarray,
              weights: np.ndarray | None = None) -> np.ndarray:
    """The fitted values of each column of `y`: of the regressions on `designs` (each with its
    penalty chosen by GCV) and the column's mean, the one with the lowest GCV score."""
    n = len(y)
    wts = np.ones(n) if weights is None else np.asarray(weights, dtype=float) * n / np.sum(
        weights)
    mean = np.average(y, axis=0, weights=wts)
    scale = y.std(axis=0)
    scale[scale == 0] = 1.0
    yc = (y - mean) / scale  # standardised: the residual sums keep their precision
    best_gcv = n * (wts[:, None] * yc ** 2).sum(axis=0) / (n - 1) ** 2  # the mean's
    fitted = np.zeros_like(yc)
    for design, penalty in designs:
        fit, gcv = _fit(design, penalty, yc, wts)
        better = gcv < best_gcv
        fitted[:, better] = fit[:, better]
        best_gcv = np.where(better, gcv, best_gcv)
    return fitted * scale + mean


def _evppi_on(gains: np.ndarray, designs: Sequence[Design], resamples: int) -> Estimate:
    if not designs or gains.shape[1] == 0:
        return Estimate(0.0, 0.0)
    estimate = _value(_smoothed(designs, gains))
    boot = [_value(_smoothed(designs, gains, weights), weights)
            for weights in _resamples(len(gains), resamples)]
    return Estimate(estimate, _spread(boot))


def _gains(npv: np.ndarray) -> np.ndarray:
    """The alternatives' NPV less the chosen one's, the chosen one (all zeros) left out."""
    values = _as_matrix(npv)
    if values.shape[1] < 2:
        return np.empty((len(values), 0))
    gains = _relative(values)
    return gains[:, np.any(gains != 0, axis=0)]


def evppi(npv: np.ndarray, theta: np.ndarray, resamples: int = RESAMPLES) -> Estimate:
    """EVPPI of one parameter (`theta` a vector) or of a group of them (`theta` a matrix).

    Parameters
    ----------
    npv : array (replications, alternatives)
        Each alternative's NPV in each replication, on common random numbers.
    theta : array (replications,) or (replications, parameters)
        The parameter's (or the group's) realised value in each replication.
    resamples : int
        Bootstrap resamples of the standard error.

    Returns
    -------
    Estimate
        E[max_a E[NPV_a | theta]] - max_a E[NPV_a] by nonparametric regression (see the
        module's notes), with its bootstrap standard error.
    """
    gains = _gains(npv)
    values = np.asarray(theta, dtype=float)
    if len(values) != len(gains):
        raise ValueError(f"theta has {len(values)} rows, npv {len(gains)}")
    return _evppi_on(gains, group_designs(values), resamples)


# -- the decision of a comparison of bets ------------------------------------------------------
@dataclass
class ValueOfInformation:
    """What learning each uncertain parameter (or all of them) before choosing a bet is worth,
    in the scenario's money, on NPV of profit."""

    evpi: Estimate
    evppi: dict[str, Estimate]  # parameter path -> estimate
    groups: dict[str, dict[str, Estimate]]  # "lever" / "stage" -> group -> estimate
    all_parameters: Estimate  # every uncertain parameter learnt together (a quadratic fit)
    parameters: dict[str, dict[str, str]]  # path -> {"lever", "stage", "acts_on"}
    alternatives: list[str]
    chosen: str  # the alternative best on average: what is chosen now
    expected_npv: dict[str, float]  # alternative -> mean NPV
    currency: str
    replications: int
    seed: int
    resamples: int
    notes: list[str] = field(default_factory=list)  # "no_decision", "no_uncertainty"
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def decision(self) -> bool:
        """Whether there is a choice to make (two alternatives or more)."""
        return len(self.alternatives) > 1

    def top(self) -> str | None:
        """The parameter whose knowledge is worth most (None: none is worth anything)."""
        ranked = sorted(self.evppi.items(), key=lambda kv: -kv[1].estimate)
        return ranked[0][0] if ranked and ranked[0][1].estimate > 0 else None

    def table(self) -> pd.DataFrame:
        """One row per parameter, most valuable first: path, lever, stage, EVPPI and its SE,
        and EVPPI as a share of EVPI."""
        rows = [{"parameter": path, "lever": self.parameters[path]["lever"],
                 "stage": self.parameters[path]["stage"], "evppi": e.estimate, "se": e.se,
                 "share_of_evpi": (e.estimate / self.evpi.estimate if self.evpi.estimate > 0
                                   else math.nan)}
                for path, e in self.evppi.items()]
        frame = pd.DataFrame(rows, columns=["parameter", "lever", "stage", "evppi", "se",
                                            "share_of_evpi"])
        return frame.sort_values("evppi", ascending=False, kind="stable", ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """What voi.json holds."""
        return {
            "provenance": {**self.provenance, "metric": METRIC, "replications": self.replications,
                           "seed": self.seed, "bootstrap_resamples": self.resamples,
                           "method": "Strong & Oakley regression: P-spline (one parameter), "
                                     "ridge quadratic (groups); GCV"},
            "currency": self.currency,
            "alternatives": self.alternatives,
            "chosen_now": self.chosen,
            "expected_npv": self.expected_npv,
            "evpi": self.evpi.to_dict(),
            "evppi": {path: e.to_dict() for path, e in self.evppi.items()},
            "groups": {by: {name: e.to_dict() for name, e in per.items()}
                       for by, per in self.groups.items()},
            "all_parameters": self.all_parameters.to_dict(),
            "parameters": self.parameters,
            "notes": self.notes,
        }


def acts_on(column: str, bets: Sequence[Bet]) -> str:
    """The scenario path an uncertain parameter acts on: its own path for the baseline's, and
    for a bet's own value (`bets.NAME.changes.I.scale`) the path its change moves (an appended
    channel's or tier's field: `channels.NAME.FIELD`); a bet's uncertain cost is a cost."""
    if not column.startswith("bets."):
        return column
    rest = column[len("bets."):]
    bet = next((b for b in bets if rest.startswith(b.name + ".")), None)
    if bet is None:
        return column
    key = rest[len(bet.name) + 1:].split(".")
    if key[0] != "changes" or len(key) < 3:
        return key[0]  # one_off_cost, monthly_cost: costs and other
    change = bet.changes[int(key[1])]
    if key[2] == "append" and change.append is not None:
        return ".".join([change.path, str(change.append.get("name", "new")), *key[3:]])
    return change.path


def from_comparison(cmp: Comparison, resamples: int = RESAMPLES) -> ValueOfInformation:
    """EVPI of a comparison's decision, and EVPPI of each of its uncertain parameters (the
    baseline's and the bets' own) and of each lever's and journey stage's, from its sample.

    Parameters
    ----------
    cmp : Comparison
        A comparison of bets run by `compare_bets` (its parameter draws recorded).
    resamples : int
        Bootstrap resamples of the standard errors.

    Returns
    -------
    ValueOfInformation
        With one alternative there is no decision: EVPI 0 and the note "no_decision".
    """
    names = cmp.names
    npv = np.column_stack([cmp.scalars[n][METRIC] for n in names])
    means = npv.mean(axis=0)
    chosen = names[int(np.argmax(means))]
    frame = cmp.parameter_values()
    bets = [b for a in cmp.alternatives for b in a.bets]
    paths = list(frame.columns)
    where = {p: acts_on(p, bets) for p in paths}
    parameters = {p: {"lever": lever_of(where[p]), "stage": stage_of(where[p]),
                      "acts_on": where[p]} for p in paths}
    notes = []
    if len(names) < 2:
        notes.append("no_decision")
    if not paths:
        notes.append("no_uncertainty")
    gains = _gains(npv)
    theta = frame.to_numpy(dtype=float)
    single = {p: _evppi_on(gains, group_designs(theta[:, j]), resamples)
              for j, p in enumerate(paths)}
    groups: dict[str, dict[str, Estimate]] = {}
    for by in GROUPINGS:
        per: dict[str, Estimate] = {}
        for name in dict.fromkeys(parameters[p][by] for p in paths):
            members = [j for j, p in enumerate(paths) if parameters[p][by] == name]
            per[name] = (single[paths[members[0]]] if len(members) == 1 else
                         _evppi_on(gains, group_designs(theta[:, members]), resamples))
        groups[by] = per
    together = (_evppi_on(gains, group_designs(theta), resamples) if len(paths) > 1 else
                single[paths[0]] if paths else Estimate(0.0, 0.0))
    return ValueOfInformation(
        evpi=evpi(npv, resamples), evppi=single, groups=groups, all_parameters=together,
        parameters=parameters, alternatives=names, chosen=chosen,
        expected_npv={n: float(m) for n, m in zip(names, means, strict=True)},
        currency=cmp.spec.currency, replications=cmp.replications, seed=cmp.seed,
        resamples=resamples, notes=notes,
        provenance={k: v for k, v in cmp.provenance().items() if k != "quantiles"})


def value_of_information(
    spec: Scenario,
    bets: Sequence[str | Bet] | None = None,
    *,
    replications: int = 200,
    seed: int = 1,
    workers: int | None = None,
    executor: Executor | None = None,
    engine: str = DEFAULT_ENGINE,
    progress: Callable[[int, int], None] | None = None,
    resamples: int = RESAMPLES,
) -> ValueOfInformation:
    """What it is worth to know more before choosing among the scenario's bets.

    Parameters
    ----------
    spec : Scenario
        The scenario; its bets (or those named) and its baseline are the alternatives.
    bets : sequence of names or Bet objects, optional
        The bets to choose among (None: all of the scenario's).
    replications : int
        Replications of each alternative, on common random numbers (at least
        `MIN_REPLICATIONS`; a few hundred give EVPPI to a useful precision).
    seed, workers, executor, engine, progress
        As `compare_bets`.
    resamples : int
        Bootstrap resamples of the standard errors.

    Returns
    -------
    ValueOfInformation
        EVPI, EVPPI per uncertain parameter and per lever and journey stage, with Monte Carlo
        standard errors. With no bet to choose there is no decision: nothing is simulated, EVPI
        is 0 and `notes` holds "no_decision".

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> voi = sim.value_of_information(spec, ["more_ads"], replications=40)  # doctest: +SKIP
    >>> voi.evpi  # doctest: +SKIP
    """
    if replications < MIN_REPLICATIONS:
        raise ValueError(f"replications must be at least {MIN_REPLICATIONS} for the "
                         f"regression of each parameter (got {replications}); 200 or more "
                         "give useful precision")
    if not select_bets(spec, bets):
        return _no_decision(spec, seed, engine)
    cmp = compare_bets(spec, bets, replications=replications, seed=seed, workers=workers,
                       progress=progress,
                       executor=executor, engine=engine)
    return from_comparison(cmp, resamples)


def _no_decision(spec: Scenario, seed: int, engine: str) -> ValueOfInformation:
    """The baseline alone, nothing to choose and nothing run: EVPI 0, every EVPPI 0."""
    from models.compiled.sampling import uncertain_parameters

    paths = [p for p, _ in uncertain_parameters(spec)]
    zero = Estimate(0.0, 0.0)
    parameters = {p: {"lever": lever_of(p), "stage": stage_of(p), "acts_on": p} for p in paths}
    return ValueOfInformation(
        evpi=zero, evppi=dict.fromkeys(paths, zero),
        groups={by: dict.fromkeys((parameters[p][by] for p in paths), zero)
                for by in GROUPINGS},
        all_parameters=zero, parameters=parameters, alternatives=[BASELINE], chosen=BASELINE,
        expected_npv={}, currency=spec.currency, replications=0, seed=seed, resamples=0,
        notes=["no_decision"] + ([] if paths else ["no_uncertainty"]),
        provenance={"scenario": spec.name, "scenario_hash": scenario_hash(spec),
                    "engine": engine})
