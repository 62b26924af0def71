"""The random streams of an experiment, each keyed here once.

Every random number of a run comes from a `numpy.random.SeedSequence` spawned from the root seed
with one of these keys, so a stream depends only on (seed, what it is for, which one), never on
the number of workers, the executor or the order tasks finish in:

- `parameter_draws(seed, round)`: round r of the scenario's uncertain parameters (Monte Carlo,
  comparison and goal seek all draw the baseline's parameters from it, so replication i sees the
  same draw in every command; rounds are the batches added by `--precision`/`--until-settled`);
- `replication_stream(seed, i)`: the engine's stream of replication i (the same lead makes the
  same choices in every alternative: common random numbers);
- `bet_draws(seed, i, bet)`: a bet's own uncertain values in replication i, keyed by the bet's
  name so a bet draws the same alone and in any portfolio.
"""

from __future__ import annotations

import hashlib

import numpy as np

PARAMETERS, REPLICATIONS, BETS = 0, 1, 2


def parameter_draws(seed: int, round_: int = 0) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(PARAMETERS, round_))


def replication_stream(seed: int, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(REPLICATIONS, index))


def name_key(name: str) -> int:
    """A stable 32-bit key of a name (Python's `hash` of a str changes between processes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def bet_draws(seed: int, replication: int, bet_name: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(BETS, replication, name_key(bet_name)))
