"""`growthsim bench`: the engine against a raw SimPy loop, the worker speed-up and peak memory
(the figures: `sim.cli.benchmarks`, imported when the command runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli import common
from sim.cli.common import console
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of


def bench(
    scenario: Annotated[Path, typer.Option(help="scenario to time")] = Path(
        "scenarios/reference.yaml"),
    reps: Annotated[int, typer.Option(help="replications for the worker speed-up")] = 8,
    quick: Annotated[bool, typer.Option(help="smaller memory runs (10 and 20 reps)")] = False,
    batch: Annotated[bool, typer.Option("--batch", help="only the batch figures: 2 local "
                                        "workers / 1 and Dask's per-task overhead")] = False,
    engine: EngineOpt = DEFAULT_ENGINE,
    chunk: Annotated[int | None, typer.Option("--chunk", min=1, help="--batch: replications "
                                              "per task (default: a sweep's default)")] = None,
    lang: LangOpt = LangName.en,
) -> None:
    """Measure the engine against a raw SimPy loop, the worker speed-up and peak memory."""
    language = lang_of(lang)
    from sim.cli.batch import batch_benchmarks
    from sim.cli.benchmarks import run_benchmarks

    if batch:
        common.load(scenario, None)  # a bad scenario is said before anything runs
        batch_benchmarks(scenario, common.check_engine(engine), chunk=chunk, out=console,
                         lang=language)
        return

    run_benchmarks(common.load(scenario, None), reps=reps, quick=quick, console=console,
                   scenario_path=str(scenario), lang=language)
