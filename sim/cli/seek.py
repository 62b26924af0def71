"""`growthsim seek`: the smallest size of a bet that reaches the goal's target probability
(`sim.experiments.goalseek`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from models.words import t
from sim.cli import common
from sim.cli.common import ScenarioArg, SchedulerOpt, SeedOpt, SetOpt, WorkersOpt, console, errors
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of
from sim.report import terminal


def seek(
    scenario: ScenarioArg,
    bet: Annotated[str, typer.Option("--bet", help="the bet whose size to find")],
    high: Annotated[float, typer.Option("--high", help="largest size to try")],
    low: Annotated[float | None, typer.Option(
        "--low", help="smallest size (default: the change doing nothing)")] = None,
    change: Annotated[int, typer.Option("--change", min=0,
                                        help="which of the bet's changes is the size")] = 0,
    target: Annotated[float, typer.Option("--target", min=0.01, max=0.99,
                                          help="P(goal by deadline) to reach")] = 0.8,
    reps: Annotated[int, typer.Option("--reps", min=2, help="replications per size")] = 40,
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option("--out", help="folder for seek.json")] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    scheduler: SchedulerOpt = None,
    lang: LangOpt = LangName.en,
) -> None:
    """Goal seek: the smallest size of a bet that reaches P(goal by deadline) >= --target."""
    lang_of(lang)  # from here on, refusals (a bad scenario too) speak --lang
    from sim.experiments.goalseek import seek_size
    from sim.report.output import write_seek

    common.check_finite(("--high", high), ("--low", low))
    spec = common.load(scenario, set_)
    common.check_out(out)

    def progress(step: int, size: float, p: float) -> None:
        terminal.say(errors, "  " + t(
            "terminal.seek_step", lang_of(lang), step=step, size=terminal.size_text(size,
                                                                                    lang_of(lang)),
            p=terminal.percent(p, lang_of(lang))))

    try:
        with common.interruptible(t("cli.doing_seek", lang_of(lang), bet=bet), out), \
                common.cluster(scheduler) as executor:
            result = seek_size(spec, bet, high, low, change, target, replications=reps, seed=seed,
                               workers=workers, progress=progress, executor=executor,
                               engine=common.check_engine(engine))
    except ValueError as err:  # also pydantic's ValidationError: a size out of the field's range
        raise common.fail(str(err).split("\n    For further information")[0]) from None
    [path] = common.written(lambda: write_seek(result.to_dict(), out), out)
    terminal.seek(result, console, lang_of(lang))
    common.say_written([path], lang)
