"""Where a comparison's time goes, per alternative-replication, on one core.

    .venv/bin/python scripts/compare_phases.py [scenarios/b2b_services.yaml] [--reps 60]

Runs what `compare_bets` runs for each replication (the bets' own draws, `compile_alternatives`,
the fast engine, the metrics) serially and prints CPU milliseconds per alternative-replication
of each phase, and of the fast engine's parts (arrays, kernel, ledger). The kernel is what numba
runs; the rest is Python, the part a faster kernel does not remove.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from models.accounting.metrics import monthly_metrics, run_metrics
from models.compiled.bets import compile_alternatives, draw_bet_values
from models.compiled.sampling import draw_parameters
from models.compiled.streams import parameter_draws, replication_stream
from models.load import load_scenario
from sim.engines import fast
from sim.engines.fast import kernel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/b2b_services.yaml")
    parser.add_argument("--reps", type=int, default=60)
    args = parser.parse_args()
    spec = load_scenario(args.scenario)
    alternatives = ((), *((b,) for b in spec.bets))
    draws = draw_parameters(spec, args.reps, parameter_draws(1, 0))
    parts = {"arrays": 0.0, "kernel": 0.0, "ledger": 0.0}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*a: Any, **k: Any) -> Any:
            start = time.process_time()
            out = fn(*a, **k)
            parts[name] += time.process_time() - start
            return out
        return run

    fast._arrays.build = timed("arrays", fast._arrays.build)  # type: ignore[method-assign]
    fast._fill.ledger = timed("ledger", fast._fill.ledger)  # type: ignore[method-assign]
    kernel.run = timed("kernel", kernel.run)  # type: ignore[assignment]
    fast.simulate(compile_alternatives(spec, alternatives[:1])[0], 0)  # (load the kernel)
    for name in parts:
        parts[name] = 0.0
    phases = {"bet draws": 0.0, "compile": 0.0, "fast engine": 0.0, "metrics": 0.0}
    for i, values in enumerate(draws):
        t0 = time.process_time()
        own = [[draw_bet_values(b, 1, i) for b in bets] for bets in alternatives]
        t1 = time.process_time()
        compiled = compile_alternatives(spec, alternatives, values, own)
        t2 = time.process_time()
        ledgers = [fast.simulate(cs, replication_stream(1, i)) for cs in compiled]
        t3 = time.process_time()
        for cs, led in zip(compiled, ledgers, strict=True):
            run_metrics(led, cs, monthly_metrics(led))
        t4 = time.process_time()
        for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            phases[name] += seconds
    n = len(draws) * len(alternatives)
    print(f"{spec.name}: {len(alternatives)} alternatives x {len(draws)} replications, "
          "CPU ms per alternative-replication")
    for name, seconds in phases.items():
        print(f"  {name:12s} {seconds / n * 1e3:6.3f}")
    print(f"  {'total':12s} {sum(phases.values()) / n * 1e3:6.3f}")
    for name, seconds in parts.items():
        print(f"    fast engine: {name:8s} {seconds / n * 1e3:6.3f}")


if __name__ == "__main__":
    main()
