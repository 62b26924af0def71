"""`growthsim run`: the Monte Carlo forecast of a scenario (`sim.experiments.montecarlo`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from models.words import t
from sim.cli import common
from sim.cli.common import ScenarioArg, SchedulerOpt, SeedOpt, SetOpt, WorkersOpt, console
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of
from sim.report import terminal
from sim.report.terminal import escape


def run(
    scenario: ScenarioArg,
    reps: Annotated[int, typer.Option("--reps", min=1, help="replications")] = 100,
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    set_: SetOpt = None,
    precision: Annotated[float | None, typer.Option(
        "--precision", min=0.01, help="add replications until the 95% CI half-width of the goal "
        "metric is below this percent of its mean")] = None,
    max_reps: Annotated[int, typer.Option("--max-reps", min=1,
                                          help="cap for --precision")] = 2000,
    out: Annotated[Path, typer.Option("--out", help="folder for summary.json and "
                                      "monthly.parquet")] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    scheduler: SchedulerOpt = None,
    lang: LangOpt = LangName.en,
) -> None:
    """Run the Monte Carlo forecast of a scenario and write its results."""
    lang_of(lang)  # from here on, refusals (a bad scenario too) speak --lang
    from sim.experiments.montecarlo import run_monte_carlo
    from sim.report.output import write_results

    common.check_finite(("--precision", precision))
    spec = common.load(scenario, set_)
    common.check_out(out)
    doing = t("cli.doing_run", lang_of(lang), name=spec.name)
    with common.interruptible(doing, out), common.progress_bar() as bar, \
            common.cluster(scheduler) as executor:
        task = bar.add_task(escape(doing), total=reps)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_monte_carlo(spec, replications=reps, seed=seed, workers=workers,
                                 precision=precision, max_replications=max(max_reps, reps),
                                 progress=progress, executor=executor,
                                 engine=common.check_engine(engine))
    files = common.written(lambda: write_results(result, out), out)
    terminal.owner_view(result, console, lang_of(lang))
    if precision is not None:
        terminal.say(console, terminal.precision_line(result, precision, lang_of(lang)))
    common.say_written(files, lang)
