"""The engine registry: one list of engines, one default, one protocol every engine meets."""

from __future__ import annotations

import inspect

import pytest

import sim
from sim.cli.options import DEFAULT_ENGINE as CLI_DEFAULT
from sim.cli.options import EngineName
from sim.engines import DEFAULT_ENGINE, ENGINE_NAMES, ENGINES, Engine, get_engine, load_engine


def test_the_cli_offers_the_registry_and_its_default() -> None:
    """Catches a CLI whose `--engine` choices or default were written by hand and drifted from
    the registry (an engine added to `ENGINES` but not offered, or a second default)."""
    assert tuple(e.value for e in EngineName) == ENGINE_NAMES
    assert CLI_DEFAULT.value == DEFAULT_ENGINE
    assert DEFAULT_ENGINE in ENGINES


def test_the_public_api_runs_the_registry_default() -> None:
    """Catches `sim.simulate` (or an experiment) keeping its own default engine."""
    default = inspect.signature(sim.simulate).parameters["engine"].default
    assert default == DEFAULT_ENGINE
    from sim.experiments.runner.replications import run_compiled

    assert inspect.signature(run_compiled).parameters["engine"].default == DEFAULT_ENGINE


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_every_engine_has_the_protocols_signature(name: str) -> None:
    """Catches an engine whose `simulate` takes other arguments than the protocol's, which
    every experiment calls the same way (`get_engine(name)(compiled, seed)`)."""
    expected = list(inspect.signature(Engine.simulate).parameters)[1:]  # without self
    engine = load_engine(name)
    assert list(inspect.signature(engine.simulate).parameters) == expected
    assert get_engine(name) is engine.simulate


def test_an_unknown_engine_is_refused_by_name() -> None:
    """Catches a registry that falls back silently to some engine on a typo."""
    with pytest.raises(ValueError, match=r"unknown engine 'fats'.*agent, fast"):
        load_engine("fats")
