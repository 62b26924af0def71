"""The engines: functions of (compiled scenario, seed) that return a run's closed ledger.

- `agent`: the SimPy agent model, the readable reference of the model (`sim.engines.agent`);
- `fast`: the same model compiled with numba, for interactive answers and big batches
  (`sim.engines.fast`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

ENGINE_NAMES = ("agent", "fast")

Engine = Callable[..., Any]  # (CompiledScenario, seed, **options) -> Ledger


def get_engine(name: str) -> Engine:
    """The `simulate` function of the engine called `name` (one of `ENGINE_NAMES`)."""
    if name not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {name!r}: use one of {', '.join(ENGINE_NAMES)}")
    try:
        module = importlib.import_module(f"sim.engines.{name}")
    except ImportError as err:
        raise ValueError(f"the {name} engine cannot be loaded here ({err}); use the agent "
                         "engine (--engine agent)") from None
    return module.simulate  # type: ignore[no-any-return]
