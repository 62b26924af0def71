"""Time `growthsim optimise` on b2b_services over its channels' budgets and managers (fast
engine), beside a reference measured in the same process: a 100-replication Monte Carlo of the
same scenario on the same engine and workers. The machine may be shared, so the ratio is the
figure to compare; the seconds are this run's.

    .venv/bin/python scripts/time_optimise.py [--trials 60] [--reps 20] [--final-reps 80]
"""

from __future__ import annotations

import argparse
import time

from models.load import load_scenario
from sim.experiments.montecarlo import run_monte_carlo
from sim.experiments.optimise import Constraints, optimise


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="scenarios/b2b_services.yaml")
    parser.add_argument("--budget", type=float, default=1_800_000.0)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--final-reps", type=int, default=80)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    spec = load_scenario(args.scenario)
    run_monte_carlo(spec, replications=2, seed=1, workers=1, engine="fast")  # compile first
    start = time.perf_counter()
    run_monte_carlo(spec, replications=100, seed=1, workers=args.workers, engine="fast")
    reference = time.perf_counter() - start
    start = time.perf_counter()
    result = optimise(spec, None, objective="npv",
                      constraints=Constraints(budget_monthly=args.budget), trials=args.trials,
                      replications=args.reps, final_replications=args.final_reps, seed=1,
                      workers=args.workers, engine="fast")
    seconds = time.perf_counter() - start
    print(f"reference (Monte Carlo, 100 replications): {reference:.1f} s")
    print(f"optimise ({args.trials} trials x {args.reps} reps, finalists x {args.final_reps}): "
          f"{seconds:.1f} s, {result.evaluations} candidates simulated; "
          f"ratio {seconds / reference:.1f}")
    print("recommended:", result.winner.allocation, "separated:", result.separated,
          "converged:", result.converged)
    print("today's NPV", round(result.objective.value(result.today.score)),
          "recommended", round(result.objective.value(result.winner.score)))


if __name__ == "__main__":
    main()
