"""The fast engine's preparation, run as a child process when the app opens.

numba compiles the fast engine's kernel at its first use after an install (2 to 5 minutes) and
caches it; later processes load the cache in seconds. Run in a child process (not a thread of
the server, which it would hold for minutes), as soon as the app opens, so that the owner's
first run finds the engine ready, or waits for it with a message saying what happens.
"""

from __future__ import annotations

import subprocess
import sys
import time


class Preparation:
    """The preparation's child process: `ready()` once it has ended (done, or failed: then the
    run's own workers compile the engine, as without it)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "sim.app.prepare"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready(self) -> bool:
        return self._process.poll() is not None


def prepare() -> None:
    """Compile (or load from the cache) the fast engine by one replication of an example, in
    this process."""
    from models.load import load_scenario
    from sim.app.state import DEFAULT_EXAMPLE, EXAMPLES
    from sim.experiments.montecarlo import run_monte_carlo

    run_monte_carlo(load_scenario(EXAMPLES[DEFAULT_EXAMPLE]), replications=1, seed=1, workers=1,
                    engine="fast")


if __name__ == "__main__":
    prepare()
