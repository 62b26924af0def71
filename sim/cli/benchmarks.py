"""The figures of `growthsim bench` (`sim.cli.bench`): speed and memory, measured in one run against
a raw SimPy reference loop.

Machines are noisy, so every figure that matters is a ratio of two measurements taken in the
same process minutes apart: the engine against a raw SimPy loop (2,000 processes x 500 timeouts
= 1M timeouts), 2 workers against 1, memory at 200 replications against 100. The fast engine
(`fast_engine_figures`): its replications per second against the agent engine's, its events per
second against a plain numba heap loop of as many pushes and pops, the peak memory of 10,000
Monte Carlo replications on it, and its first call in a new process (numba's cache) against a
later one. The compare benchmark (`compare_speed`): `compare` of `b2b_services.yaml`'s baseline
and bets on the fast engine, 2 workers, at 200 and 1,000 replications, against one agent
replication of the benchmark scenario.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
import simpy
from rich.console import Console
from rich.table import Table

from models.compiled.form import compile_scenario
from models.spec.scenario import Scenario
from models.words import Lang, t
from models.words.formats import number
from sim.engines import get_engine
from sim.experiments.montecarlo import run_monte_carlo


def raw_simpy_loop(processes: int = 2000, timeouts: int = 500) -> tuple[int, float]:
    """The reference: `processes` processes each yielding `timeouts` timeouts. Returns (events,
    seconds)."""
    env = simpy.Environment()

    def proc(env: simpy.Environment) -> Any:
        for _ in range(timeouts):
            yield env.timeout(1)

    for _ in range(processes):
        env.process(proc(env))
    # Driven and counted as the agent engine drives its run (`env.step()` while `env.peek()` has
    # an event), SimPy's public API only, so events per second compare like with like.
    events = 0
    start = time.perf_counter()
    while env.peek() < math.inf:
        env.step()
        events += 1
    seconds = time.perf_counter() - start
    return events, seconds


def _best_of(engine: str, spec: Scenario, runs: int) -> tuple[int, float]:
    """Events and seconds of the fastest of `runs` replications of `engine` on `spec`."""
    run = get_engine(engine)
    compiled = compile_scenario(spec)
    best: tuple[int, float] | None = None
    for seed in range(runs):
        start = time.perf_counter()
        ledger = run(compiled, seed)
        seconds = time.perf_counter() - start
        if best is None or seconds < best[1]:
            best = (ledger.events, seconds)
    assert best is not None
    return best


def engine_speed(spec: Scenario, runs: int = 2) -> tuple[int, float]:
    """Events and seconds of the agent engine on `spec`, best of `runs` replications."""
    return _best_of("agent", spec, runs)


def fast_engine_speed(spec: Scenario, runs: int = 20) -> tuple[int, float]:
    """Events and seconds of the fast engine on `spec`, best of `runs` replications (after one
    untimed call that loads or compiles the kernel)."""
    get_engine("fast")(compile_scenario(spec), 0)
    return _best_of("fast", spec, runs)


def plain_heap_speed(events: int, size: int = 1000) -> float:
    """Seconds of a plain numba loop of `events` heap pops and pushes on a heap of `size`."""
    from sim.engines.fast.queues import plain_heap_loop

    plain_heap_loop(100, size, 1)  # (compile or load first)
    start = time.perf_counter()
    plain_heap_loop(events, size, 1)
    return time.perf_counter() - start


_FIRST_CALL_PROBE = """
import json, sys, time
start = time.perf_counter()
from models.compiled.form import compile_scenario
from models.load import load_scenario
from sim.engines.fast import simulate
cs = compile_scenario(load_scenario(sys.argv[1]))
t0 = time.perf_counter(); simulate(cs, 1); first = time.perf_counter() - t0
t0 = time.perf_counter(); simulate(cs, 2); second = time.perf_counter() - t0
print(json.dumps({"first": first, "second": second}))
"""


def first_call(scenario_path: str, cache_dir: str | None = None) -> dict[str, float]:
    """Seconds of the fast engine's first and second call in a new process; with `cache_dir`,
    numba's cache goes there (an empty one: the first call compiles)."""
    import os

    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", _FIRST_CALL_PROBE, scenario_path], check=True,
                         capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


_FAST_MEMORY_PROBE = """
import json, resource, sys
from models.load import load_scenario
from sim.experiments.montecarlo import run_monte_carlo
spec = load_scenario(sys.argv[1])
result = run_monte_carlo(spec, replications=int(sys.argv[2]), seed=1, workers=int(sys.argv[3]),
                         engine="fast")
assert result.provenance()["engine"] == "fast"
result.summary(); result.monthly_quantiles()
print(json.dumps({
    "parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "seconds": result.seconds,
}))
"""


def fast_peak_memory(scenario_path: str, reps: int, workers: int = 2) -> dict[str, float]:
    """Peak resident memory (MiB) of a Monte Carlo of `reps` replications on the fast engine."""
    out = subprocess.run([sys.executable, "-c", _FAST_MEMORY_PROBE, scenario_path, str(reps),
                          str(workers)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fast_worker_scaling(spec: Scenario, reps: int) -> dict[str, float]:
    """Seconds of a fast-engine Monte Carlo of `reps` replications on 1 worker and on 2 (the
    pool's start included, as a user waits for it); both give the same results."""
    from sim.engines.fast import simulate as fast_simulate

    fast_simulate(compile_scenario(spec), 0)  # (load the kernel before timing either)
    seconds = []
    results = []
    for workers in (1, 2):
        start = time.perf_counter()
        results.append(run_monte_carlo(spec, replications=reps, seed=1, workers=workers,
                                       engine="fast"))
        seconds.append(time.perf_counter() - start)
    assert np.array_equal(results[0].scalars["total_revenue"], results[1].scalars["total_revenue"])
    return {"reps": float(reps), "one": seconds[0], "two": seconds[1]}


def fast_engine_figures(spec: Scenario, scenario_path: str, agent_seconds: float,
                        quick: bool = False, lang: Lang = "en",
                        ) -> tuple[dict[str, float], list[tuple[str, str, str]]]:
    """The fast engine's figures and their table rows in `lang` (see the module docstring)."""
    import tempfile

    events, seconds = fast_engine_speed(spec)
    heap_seconds = plain_heap_speed(events)
    fast_rate, heap_rate = events / seconds, events / heap_seconds
    reps = 200 if quick else 10_000
    memory = fast_peak_memory(scenario_path, reps)
    scaling = fast_worker_scaling(spec, 200 if quick else 1000)
    cached = first_call(scenario_path)
    figures = {
        "fast_seconds_per_replication": seconds,
        "fast_events_per_replication": float(events),
        "fast_over_agent_replications_per_s": agent_seconds / seconds,
        "fast_events_per_s": fast_rate,
        "plain_heap_events_per_s": heap_rate,
        "fast_over_plain_heap_events": fast_rate / heap_rate,
        f"fast_peak_parent_mib_{reps}": memory["parent_mib"],
        f"fast_peak_worker_mib_{reps}": memory["worker_mib"],
        f"fast_monte_carlo_seconds_{reps}": memory["seconds"],
        "fast_seconds_1_worker": scaling["one"],
        "fast_seconds_2_workers": scaling["two"],
        "fast_speedup_2_workers": scaling["one"] / scaling["two"],
        "fast_first_call_cached_s": cached["first"],
        "fast_later_call_s": cached["second"],
    }
    def n(x: float, decimals: int = 0) -> str:
        return number(x, lang, decimals)

    rows = [
        (t("bench.fast_seconds", lang), n(seconds, 4), ""),
        (t("bench.fast_over_agent", lang), n(agent_seconds / seconds), ">= 200"),
        (t("bench.fast_rate", lang), n(fast_rate), ""),
        (t("bench.heap_rate", lang, events=n(events)), n(heap_rate), ""),
        (t("bench.fast_over_heap", lang), n(fast_rate / heap_rate, 2), ">= 0.3"),
        (t("bench.fast_memory", lang, reps=n(reps)),
         f"{n(memory['parent_mib'])} / {n(memory['worker_mib'])}", "<= 1024"),
        (t("bench.fast_mc_seconds", lang, reps=n(reps)), n(memory["seconds"]), ""),
        (t("bench.fast_workers_seconds", lang, reps=n(scaling["reps"])),
         f"{n(scaling['one'], 1)} / {n(scaling['two'], 1)}", ""),
        (t("bench.speedup_fast", lang), n(scaling["one"] / scaling["two"], 2), ">= 1.7"),
        (t("bench.first_call", lang), f"{n(cached['first'], 3)} / {n(cached['second'], 3)}", ""),
    ]
    if not quick:
        with tempfile.TemporaryDirectory() as empty:
            cold = first_call(scenario_path, empty)
        figures["fast_first_call_compiling_s"] = cold["first"]
        rows.append((t("bench.first_call_cold", lang), n(cold["first"], 1), ""))
    return figures, rows


COMPARE_SCENARIO = "scenarios/b2b_services.yaml"


def compare_speed(agent_seconds: float, scenario_path: str = COMPARE_SCENARIO,
                  reps: int = 1000, first: int = 200, workers: int = 2, lang: Lang = "en",
                  ) -> tuple[dict[str, float], list[tuple[str, str, str]]]:
    """The compare benchmark of issues 10 and 11: `compare` of the scenario's baseline and every
    bet on the fast engine with `workers` workers, at `first` replications (the first answer)
    and at `reps` (the complete one), each timed from the call (its workers' start included, as
    a user waits for them) and divided by one agent replication of `reference.yaml` measured in
    the same run (`agent_seconds`)."""
    from models.load import load_scenario
    from sim.experiments.compare import compare_bets

    spec = load_scenario(scenario_path)
    alternatives = 1 + len(spec.bets)
    seconds = {}
    for n in (first, reps):
        start = time.perf_counter()
        cmp = compare_bets(spec, replications=n, seed=1, workers=workers, engine="fast")
        seconds[n] = time.perf_counter() - start
        assert cmp.replications == n and cmp.engine == "fast"
    figures = {"compare_alternatives": float(alternatives),
               f"compare_fast_seconds_{first}": seconds[first],
               f"compare_fast_seconds_{reps}": seconds[reps],
               f"compare_first_over_agent_replication_{first}": seconds[first] / agent_seconds,
               f"compare_over_agent_replication_{reps}": seconds[reps] / agent_seconds}
    name = spec.name
    rows = [
        (t("bench.compare_seconds", lang, name=name, alternatives=alternatives,
           reps=number(first, lang), workers=workers), number(seconds[first], lang, 1), ""),
        (t("bench.compare_first", lang, reps=number(first, lang)),
         number(seconds[first] / agent_seconds, lang, 2), "<= 1"),
        (t("bench.compare_seconds", lang, name=name, alternatives=alternatives,
           reps=number(reps, lang), workers=workers), number(seconds[reps], lang, 1), ""),
        (t("bench.compare_complete", lang, reps=number(reps, lang)),
         number(seconds[reps] / agent_seconds, lang, 2), "<= 10"),
    ]
    return figures, rows


def fitting_speed(customers: int = 25_000, seed: int = 1) -> dict[str, float]:
    """BG/NBD fitting on `customers` histories drawn from known parameters (CDNOW's): seconds per
    vectorised log-likelihood evaluation (best of 20) and per fit, and the recovered values."""
    from models.calibration import bgnbd

    true = bgnbd.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    rng = np.random.default_rng(seed)
    T = rng.uniform(26.0, 39.0, customers)  # first purchases over a quarter, as in CDNOW
    x, t_x = bgnbd.sample_histories(true, T, rng)
    evals = []
    for _ in range(20):
        start = time.perf_counter()
        bgnbd.log_likelihood(true, x, t_x, T).sum()
        evals.append(time.perf_counter() - start)
    start = time.perf_counter()
    fit = bgnbd.fit(x, t_x, T)
    seconds = time.perf_counter() - start
    out = {"fit_customers": float(customers), "fit_seconds_per_likelihood": min(evals),
           "fit_seconds": seconds, "fit_likelihood_evaluations": float(fit.evaluations)}
    for name, est, se, value in zip(fit.names, fit.estimate, fit.standard_error,
                                    true.as_array(), strict=True):
        out[f"fit_{name}"], out[f"fit_{name}_se"], out[f"fit_{name}_true"] = est, se, value
    return out


_MEMORY_PROBE = """
import json, resource, sys
from models.load import load_scenario
from sim.experiments.montecarlo import run_monte_carlo
spec = load_scenario(sys.argv[1])
result = run_monte_carlo(spec, replications=int(sys.argv[2]), seed=1, workers=2, engine="agent")
result.summary(); result.monthly_quantiles()
print(json.dumps({
    "parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def peak_memory(scenario_path: str, reps: int) -> dict[str, float]:
    """Peak resident memory (MiB) of a fresh `run_monte_carlo` process and of its largest worker."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, scenario_path, str(reps)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_benchmarks(
    spec: Scenario,
    reps: int = 8,
    quick: bool = False,
    console: Console | None = None,
    scenario_path: str | None = None,
    lang: Lang = "en",
) -> dict[str, float]:
    """Every benchmark's figures, and their table printed on `console` in `lang`."""
    console = console or Console()
    raw_events, raw_seconds = raw_simpy_loop()
    eng_events, eng_seconds = engine_speed(spec)
    raw_rate, eng_rate = raw_events / raw_seconds, eng_events / eng_seconds
    figures: dict[str, float] = {
        "raw_events_per_s": raw_rate,
        "engine_events_per_s": eng_rate,
        "events_ratio": eng_rate / raw_rate,
        "engine_events_per_replication": eng_events,
        "seconds_per_replication": eng_seconds,
        "raw_seconds_1M_timeouts": raw_seconds,
        "replication_over_raw": eng_seconds / raw_seconds,
    }
    start = time.perf_counter()
    one = run_monte_carlo(spec, replications=reps, seed=1, workers=1, engine="agent")
    t1 = time.perf_counter() - start
    start = time.perf_counter()
    two = run_monte_carlo(spec, replications=reps, seed=1, workers=2, engine="agent")
    t2 = time.perf_counter() - start
    assert np.array_equal(one.scalars["total_revenue"], two.scalars["total_revenue"])
    figures["seconds_1_worker"], figures["seconds_2_workers"] = t1, t2
    figures["speedup_2_workers"] = t1 / t2
    path = scenario_path or "scenarios/reference.yaml"
    small, large = (10, 20) if quick else (100, 200)
    m_small, m_large = peak_memory(path, small), peak_memory(path, large)
    figures[f"peak_parent_mib_{small}"] = m_small["parent_mib"]
    figures[f"peak_parent_mib_{large}"] = m_large["parent_mib"]
    figures[f"peak_worker_mib_{large}"] = m_large["worker_mib"]
    figures["memory_growth"] = m_large["parent_mib"] / m_small["parent_mib"]
    figures.update(fitting_speed())
    fast_figures, fast_rows = fast_engine_figures(spec, path, eng_seconds, quick, lang)
    figures.update(fast_figures)
    compare_figures, compare_rows = compare_speed(eng_seconds, lang=lang)
    figures.update(compare_figures)

    def n(x: float, decimals: int = 0) -> str:
        return number(x, lang, decimals)

    table = Table(title=t("bench.title", lang, name=spec.name))
    table.add_column(t("bench.col_figure", lang))
    table.add_column(t("bench.col_value", lang), justify="right")
    table.add_column(t("bench.col_target", lang), justify="right")
    retired = t("bench.retired", lang)
    rows = [
        (t("bench.raw_rate", lang, procs=n(2000), timeouts=n(500)), n(raw_rate), ""),
        (t("bench.agent_rate", lang), n(eng_rate), ""),
        # (the agent engine's events-per-second targets are retired: it is the
        # readable reference on SimPy's public API; speed is the fast engine's job)
        (t("bench.engine_over_raw", lang), n(eng_rate / raw_rate, 2), retired),
        (t("bench.engine_events", lang), n(eng_events), ""),
        (t("bench.seconds_per_replication", lang), n(eng_seconds, 2), ""),
        (t("bench.replication_over_raw", lang), n(eng_seconds / raw_seconds, 2), retired),
        (t("bench.workers_seconds", lang, reps=reps), f"{n(t1, 1)} / {n(t2, 1)}", ""),
        (t("bench.speedup_agent", lang), n(t1 / t2, 2), ">= 1.7"),
        (t("bench.peak_parent", lang, reps=small), n(m_small["parent_mib"]), ""),
        (t("bench.peak_parent", lang, reps=large), n(m_large["parent_mib"]), "<= 1024"),
        (t("bench.peak_worker", lang, reps=large), n(m_large["worker_mib"]), "<= 1024"),
        (t("bench.memory_growth", lang, large=large, small=small),
         n(figures["memory_growth"], 2), "~1.0"),
        (t("bench.likelihood_ms", lang, customers=n(25_000)),
         n(figures["fit_seconds_per_likelihood"] * 1e3, 2), ""),
        (t("bench.fit_seconds", lang, customers=n(25_000),
           evals=n(figures["fit_likelihood_evaluations"])), n(figures["fit_seconds"], 2), ""),
        *[(t("bench.recovered", lang, name=name, true=f"{figures[f'fit_{name}_true']:g}"),
           f"{n(figures[f'fit_{name}'], 3)} ± {n(figures[f'fit_{name}_se'], 3)}",
           t("bench.within_se", lang, n=4))
          for name in ("r", "alpha", "a", "b")],
        *fast_rows,
        *compare_rows,
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    figures["maxrss_self_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures
