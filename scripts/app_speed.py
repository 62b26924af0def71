"""The compare page's speed (its benchmark), as ratios measured in one process.

The app's library call on b2b_services (the plan + its 6 options) with the fast engine, on the
app's own process pool: the first answer (QUICK_REPS["fast"] = 200 replications) and the
complete one (1,000), each divided by one agent replication of reference.yaml timed in the same
run. Targets: first <= 1, complete <= 10.

    .venv/bin/python scripts/app_speed.py [complete_replications]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from models.compiled.form import compile_scenario
from models.load import load_scenario
from sim.app.state import QUICK_REPS
from sim.experiments.compare import compare_bets
from sim.experiments.runner.parallel import default_workers, process_pool
from sim.experiments.runner.replications import run_compiled

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    complete = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    reference = compile_scenario(load_scenario(ROOT / "scenarios" / "reference.yaml"))
    run_compiled(reference, 0, 1, "agent")  # imports and warm caches out of the timing
    start = time.perf_counter()
    runs = 3
    for i in range(runs):
        run_compiled(reference, i, 1, "agent")
    agent = (time.perf_counter() - start) / runs
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    pool = process_pool(default_workers())
    try:
        # workers start
        compare_bets(spec, None, replications=4, seed=1, executor=pool, engine="fast")
        times = {}
        for reps in (QUICK_REPS["fast"], complete):
            start = time.perf_counter()
            compare_bets(spec, None, replications=reps, seed=1, executor=pool, engine="fast")
            times[reps] = time.perf_counter() - start
    finally:
        pool.shutdown()
    print(f"one agent replication of reference.yaml: {agent:.2f} s")
    for reps, seconds in times.items():
        print(f"compare page, b2b_services, {reps} replications x 7 alternatives, fast engine, "
              f"{default_workers()} workers: {seconds:.1f} s = {seconds / agent:.1f} x agent")


if __name__ == "__main__":
    main()
