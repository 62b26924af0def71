"""What the whole suite shares: the fast engine compiled once, and the expensive results
several tests read.

In parallel (`pytest -n 2`; `--dist loadfile` from pyproject.toml):

- numba compiles the fast engine's kernel into its on-disk cache before the workers start, so
  the workers load it instead of both compiling it at once (minutes each on a fresh checkout);
- each test file runs whole on one worker, so its module-scoped fixtures (a Monte Carlo, a Dask
  cluster, a store) are made once, not once per worker. (`--dist loadgroup` with per-module
  groups would balance better, but pytest-xdist 3.8 cannot group tests on pytest 9.2: it
  renames `item._nodeid`, which pytest 9 no longer reads.)

Everything a test writes goes under its own `tmp_path`, servers take a free port (port 0), and
no test changes the working directory or the environment except through `monkeypatch`: the
tests run in any order, in any process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# One tiny run of the fast engine: enough for numba to compile (and cache) its kernel.
_WARM_UP = """
from models.compiled.form import compile_scenario
from models.load import load_scenario
from sim.engines import get_engine
from tests.test_engine_basics import BASE
get_engine("fast")(compile_scenario(load_scenario(BASE)), 1)
"""


def pytest_sessionstart(session: pytest.Session) -> None:
    """In the parallel controller only (before xdist starts its workers, which it does last):
    compile the fast engine once, in a child process, into numba's cache."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    subprocess.run([sys.executable, "-c", _WARM_UP], cwd=ROOT, check=True)


@pytest.fixture(scope="session")
def b2b_monte_carlo_fast() -> Any:
    """`scenarios/b2b_services.yaml`, 10 replications, seed 1, fast engine: the app's dashboard
    at its defaults, which several tests compare the app's numbers with."""
    from models.load import load_scenario
    from sim.experiments.montecarlo import run_monte_carlo

    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    return run_monte_carlo(spec, replications=10, seed=1, engine="fast")
