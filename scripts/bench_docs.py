"""Regenerate the benchmark table of the documentation (docs/explanation/performance.md).

    .venv/bin/python scripts/bench_docs.py            # `growthsim bench --quick`, ~10 minutes
    .venv/bin/python scripts/bench_docs.py --full     # `growthsim bench`, ~20 minutes

Runs the benchmark in this process, as `growthsim bench` does, and writes what it printed, with
the command and the machine it ran on, to docs/data/bench-quick.txt (or bench-full.txt), and its
figures to the .json beside it. The page includes the text file as it is, so the figures it shows
are always the output of one run. Run it on an idle machine: the ratios are measured within the
run, but a busy machine still moves them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    """The CPU, its cores, the operating system and Python: what the figures depend on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def main(full: bool = False) -> None:
    from models.load import load_scenario
    from sim.cli.benchmarks import run_benchmarks

    scenario = "scenarios/reference.yaml"
    console = Console(record=True, width=100, force_terminal=False)
    figures = run_benchmarks(load_scenario(ROOT / scenario), quick=not full, console=console,
                             scenario_path=str(ROOT / scenario))
    name = "bench-full" if full else "bench-quick"
    command = "growthsim bench" + ("" if full else " --quick")
    header = (f"command: {command}  (regenerate: python scripts/bench_docs.py"
              f"{' --full' if full else ''})\nmachine: {machine()}\n\n")
    out = ROOT / "docs" / "data"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.txt").write_text(header + console.export_text(), encoding="utf-8")
    (out / f"{name}.json").write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n",
                                      encoding="utf-8")
    print(f"wrote docs/data/{name}.txt and .json")


if __name__ == "__main__":
    main(full="--full" in sys.argv[1:])
