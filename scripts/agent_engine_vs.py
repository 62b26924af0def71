"""Time this checkout's agent engine against another version of it, in one process.

    git show e354702:sim/engines/agent.py > /tmp/agent_before.py
    .venv/bin/python scripts/agent_engine_vs.py /tmp/agent_before.py --rounds 5

Both engines run `scenarios/reference.yaml` alternately, seed by seed, so the machine's load
falls on both alike; the figure is CPU seconds of this process per replication (steadier than
the wall clock on a shared machine), and the ratio is of medians and of bests. Each line also
shows a few ledger totals, which for the same seed should agree.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from models.compiled.form import compile_scenario
from models.load import load_scenario
from sim.engines import agent


def _module(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", help="another version of sim/engines/agent.py")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", default="scenarios/reference.yaml")
    args = parser.parse_args()
    compiled = compile_scenario(load_scenario(args.scenario))
    engines = {"other": _module(args.other), "this": agent}
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    for seed in range(args.rounds):
        for name, module in engines.items():
            start = time.process_time()
            ledger = module.simulate(compiled, seed)
            seconds[name].append(time.process_time() - start)
            a = ledger.arrays()
            print(f"seed {seed} {name:5}: {seconds[name][-1]:.3f} s CPU, events "
                  f"{ledger.events:,}, new clients {a['new_clients'].sum():,.0f}, revenue "
                  f"{a['revenue'].sum():,.0f}, waited {a['waited'].sum():,.0f}", flush=True)
    median = {name: float(np.median(s)) for name, s in seconds.items()}
    for name, s in seconds.items():
        print(f"{name}: best {min(s):.3f} s, median {median[name]:.3f} s")
    print(f"this / other: best {min(seconds['this']) / min(seconds['other']):.2f}, "
          f"median {median['this'] / median['other']:.2f}")


if __name__ == "__main__":
    main()
