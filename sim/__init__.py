"""GrowthSim's library API: what a notebook needs, the same calls the CLI and the app make.

    import sim

    spec = sim.load_scenario("scenarios/b2b_services.yaml", ["sales.managers=6"])
    result = sim.run_monte_carlo(spec, replications=200, seed=1)
    result.summary()["cltv_with_tail"]
    cmp = sim.compare_bets(spec, ["more_ads"], replications=40, seed=1)
    cmp.table(), cmp.levers()

    from sim.report import owner              # the owner's tables, as the app shows them
    owner.leaks(result), owner.monthly_view(result)

- `load_scenario(source, overrides)`: read and check a scenario (a YAML file, YAML text or a dict);
  a `ScenarioError` lists every problem with its path and fix.
- `run_monte_carlo(spec, replications, seed, ...)` -> `MonteCarloResult`: the forecast with
  parameter uncertainty (`summary()`, `monthly_quantiles()`, `provenance()`).
- `compare_bets(spec, bets, replications, seed, ...)` -> `Comparison`: bets against the baseline on
  common random numbers (`table()`, `paired()`, `levers()`, `roi()`, `payback()`).
- `seek_size(spec, bet, high, ...)` -> `SeekResult`: the smallest size of a bet that reaches the
  goal with the probability asked.
- `stress_shocks(spec, ...)`: the investor's standard shocks, as bets to compare.
- `optimise(spec, variables, bets, objective, constraints, ...)` -> `OptimisationResult`: how to
  split the money (channels' budgets, managers, bets) under uncertainty
  (docs/how-to/optimise.md; `Variable`, `BetChoice`, `Constraints` describe the question).
- `sensitivity.sobol(spec, n, ...)`, `sensitivity.morris(...)`, `sensitivity.tornado(...)`: which
  assumptions carry the plan; `stress.preset(spec, name, ...)`, `stress.custom_shock(...)`,
  `stress.stress_test(spec, shocks, ...)`, `stress.reverse_stress(spec, ...)`: what the plan
  survives and what breaks it (docs/how-to/sensitivity.md, docs/how-to/stress.md).
- `calibrate_transactions(log, ...)`, `read_transactions(path, ...)`, `read_leads(path)`,
  `calibrate_funnel(leads)`: fit a scenario to a business's own exports; `sbg.fit(survivors)`:
  the sBG (or Weibull-sBG) retention model fitted to a cohort's survivors.
- `read_actuals(path, spec)`, `track(spec, actuals, replications, seed, ...)` -> `TrackResult`:
  plan vs actual (each month in the plan's fan, the journey's rates that are off, with
  intervals) and the re-forecast from where the business is now (docs/how-to/track.md).
- `value_of_information(spec, bets, replications, seed, ...)` -> `ValueOfInformation`: what it is
  worth to learn each uncertain assumption (EVPPI, by lever and journey stage) or everything
  (EVPI) before choosing among the bets, in the scenario's money (docs/how-to/
  value-of-information.md).
- `simulate(compiled, seed, engine=...)`: one run of an engine on a compiled scenario
  (`compile_scenario(spec)`), returning its `Ledger`; `ENGINE_NAMES` lists the engines.

Every experiment takes `workers=` (a local process pool) or `executor=` (any
`concurrent.futures.Executor`, e.g. a Dask cluster's) and `engine=`; results never depend on
which.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The API is imported on first use (PEP 562): `sim` is the package of every command too, and
# importing the whole library (pandas, scipy, calibration, the experiments) would slow the start
# of each `growthsim` command and of every pool worker that needs only an engine.
_WHERE = {
    "Ledger": "models.accounting.ledger",
    "TransactionsCalibration": "models.calibration.calibrate",
    "ActualsError": "models.calibration.actuals",
    "read_actuals": "models.calibration.actuals",
    "calibrate_transactions": "models.calibration.calibrate",
    "calibrate_funnel": "models.calibration.funnel",
    "read_leads": "models.calibration.funnel",
    "read_transactions": "models.calibration.transactions",
    "stress_shocks": "models.compiled.bets",
    "CompiledScenario": "models.compiled.form",
    "compile_scenario": "models.compiled.form",
    "load_scenario": "models.load",
    "ScenarioError": "models.spec.errors",
    "Bet": "models.spec.scenario",
    "Scenario": "models.spec.scenario",
    "ENGINE_NAMES": "sim.engines",
    "Comparison": "sim.experiments.compare",
    "compare_bets": "sim.experiments.compare",
    "SeekResult": "sim.experiments.goalseek",
    "seek_size": "sim.experiments.goalseek",
    "MonteCarloResult": "sim.experiments.montecarlo",
    "run_monte_carlo": "sim.experiments.montecarlo",
    "TrackResult": "sim.experiments.track",
    "track": "sim.experiments.track",
    "OptimisationResult": "sim.experiments.optimise",
    "optimise": "sim.experiments.optimise",
    "ValueOfInformation": "sim.experiments.voi",
    "value_of_information": "sim.experiments.voi",
    "Variable": "sim.experiments.optimise",
    "BetChoice": "sim.experiments.optimise",
    "Constraints": "sim.experiments.optimise",
}
_MODULES = {"sensitivity": "sim.experiments.sensitivity", "stress": "sim.experiments.stress",
            "sbg": "models.calibration.sbg"}

if TYPE_CHECKING:
    import numpy as np

    from models.accounting.ledger import Ledger
    from models.calibration import sbg
    from models.calibration.actuals import ActualsError, read_actuals
    from models.calibration.calibrate import TransactionsCalibration, calibrate_transactions
    from models.calibration.funnel import calibrate_funnel, read_leads
    from models.calibration.transactions import read_transactions
    from models.compiled.bets import stress_shocks
    from models.compiled.form import CompiledScenario, compile_scenario
    from models.load import load_scenario
    from models.spec.errors import ScenarioError
    from models.spec.scenario import Bet, Scenario
    from sim.engines import ENGINE_NAMES
    from sim.experiments import sensitivity, stress
    from sim.experiments.compare import Comparison, compare_bets
    from sim.experiments.goalseek import SeekResult, seek_size
    from sim.experiments.montecarlo import MonteCarloResult, run_monte_carlo
    from sim.experiments.optimise import (
        BetChoice,
        Constraints,
        OptimisationResult,
        Variable,
        optimise,
    )
    from sim.experiments.track import TrackResult, track
    from sim.experiments.voi import ValueOfInformation, value_of_information


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    globals()[name] = value  # imported once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def simulate(compiled: CompiledScenario, seed: int | np.random.SeedSequence,
             engine: str = "agent", **options: Any) -> Ledger:
    """One run of an engine on a compiled scenario.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario compiled (`compile_scenario(spec)`).
    seed : int or numpy.random.SeedSequence
        The run's random stream.
    engine : str
        One of `ENGINE_NAMES`.
    **options
        The engine's own options.

    Returns
    -------
    Ledger
        The run's closed ledger (`models.accounting.metrics` makes the metrics from it).

    Examples
    --------
    >>> import sim
    >>> spec = sim.load_scenario("scenarios/b2b_services.yaml")
    >>> ledger = sim.simulate(sim.compile_scenario(spec), seed=1, engine="fast")  # doctest: +SKIP
    """
    from sim.engines import get_engine

    return get_engine(engine)(compiled, seed, **options)  # type: ignore[no-any-return]


__all__ = [
    "ENGINE_NAMES",
    "ActualsError",
    "Bet",
    "BetChoice",
    "Comparison",
    "CompiledScenario",
    "Constraints",
    "Ledger",
    "MonteCarloResult",
    "OptimisationResult",
    "Scenario",
    "ScenarioError",
    "SeekResult",
    "TrackResult",
    "TransactionsCalibration",
    "ValueOfInformation",
    "Variable",
    "calibrate_funnel",
    "calibrate_transactions",
    "compare_bets",
    "compile_scenario",
    "load_scenario",
    "optimise",
    "read_actuals",
    "read_leads",
    "read_transactions",
    "run_monte_carlo",
    "sbg",
    "seek_size",
    "sensitivity",
    "simulate",
    "stress",
    "stress_shocks",
    "track",
    "value_of_information",
]
