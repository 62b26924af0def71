"""The engines: functions of (compiled scenario, seed) that return a run's closed ledger.

The registry (`ENGINES`) names each engine and the module that implements it; every caller
gets an engine, the list of names and the default from here:

- `agent`: the SimPy agent model, the readable reference of the model (`sim.engines.agent`);
- `fast`: the same model compiled with numba, for interactive answers and big batches
  (`sim.engines.fast`), the default (`DEFAULT_ENGINE`).

An engine is a module with a `simulate(compiled, seed, recorder=None) -> Ledger` (the `Engine`
protocol); it is imported on first use, so listing the engines or parsing `--engine` does not
load numba.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    import numpy as np

    from models.accounting.ledger import Ledger
    from models.compiled.form import CompiledScenario
    from sim.engines.recorder import Recorder

# name -> the module that implements it (imported when the engine is first asked for)
ENGINES: dict[str, str] = {"agent": "sim.engines.agent", "fast": "sim.engines.fast"}
ENGINE_NAMES = tuple(ENGINES)
# The engine every experiment, command and page runs unless told otherwise: the numba engine
# (the agent engine, the same model, is the slower reference).
DEFAULT_ENGINE = "fast"


class Engine(Protocol):
    """What an engine module offers: one replication as a pure function of its inputs."""

    def simulate(self, compiled: CompiledScenario, seed: int | np.random.SeedSequence,
                 recorder: Recorder | None = None) -> Ledger:
        """Run the model once on `compiled` with the random streams of `seed`.

        Parameters
        ----------
        compiled
            The compiled scenario (`models.compiled.form.compile_scenario`).
        seed
            The run's seed, or the `SeedSequence` of its stream.
        recorder
            Optional: receives the run's per-event records (`sim.engines.recorder`).

        Returns
        -------
        Ledger
            The run's closed ledger.
        """
        ...


def load_engine(name: str) -> Engine:
    """The engine registered as `name`.

    Parameters
    ----------
    name
        One of `ENGINE_NAMES`.

    Returns
    -------
    Engine
        The engine's module.

    Raises
    ------
    ValueError
        For a name that is not registered, or an engine that cannot be loaded here (the message
        says which engine to use instead).
    """
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}: use one of {', '.join(ENGINE_NAMES)}")
    try:
        module = importlib.import_module(ENGINES[name])
    except ImportError as err:
        raise ValueError(f"the {name} engine cannot be loaded here ({err}); use the agent "
                         "engine (--engine agent)") from None
    return cast(Engine, module)


def get_engine(name: str = DEFAULT_ENGINE) -> Callable[..., Ledger]:
    """The `simulate` function of the engine called `name` (see `load_engine`)."""
    return load_engine(name).simulate


if TYPE_CHECKING:  # each registered module implements the protocol (checked by mypy)
    from sim.engines import agent as _agent
    from sim.engines import fast as _fast

    _checked: tuple[Engine, ...] = (_agent, _fast)
