"""`growthsim compare`: the scenario's bets against its baseline on common random numbers
(`sim.experiments.compare`).
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


def compare(
    scenario: ScenarioArg,
    bets: Annotated[str | None, typer.Option(
        "--bets", help="comma-separated bet names (default: all bets of the scenario)")] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=0, help="a TOTAL over the horizon: evaluate the bets and portfolios "
        "(combinations of up to --max-bets bets) whose cost over the horizon fits it; what it "
        "leaves out is listed (optimise's --budget is a month's)")] = None,
    max_bets: Annotated[int | None, typer.Option(
        "--max-bets", min=1, max=3, help="bets per portfolio (default: 3 with --budget, else 1)")
    ] = None,
    reps: Annotated[int, typer.Option("--reps", min=2, help="replications per bet")] = 40,
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    until_settled: Annotated[bool, typer.Option(
        "--until-settled", help="double the replications until the best bet is separated from "
        "the rest (paired 95% intervals, Bonferroni), up to --max-reps")] = False,
    max_reps: Annotated[int, typer.Option("--max-reps", min=2,
                                          help="cap for --until-settled")] = 640,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option("--out", help="folder for compare.json and "
                                      "compare_monthly.parquet")] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    wide: Annotated[bool, typer.Option("--wide", help="every column of the ranked table (wider "
                                       "than 80 columns)")] = False,
    scheduler: SchedulerOpt = None,
    lang: LangOpt = LangName.en,
) -> None:
    """Compare the scenario's bets against its baseline on common random numbers."""
    lang_of(lang)  # from here on, refusals (a bad scenario too) speak --lang
    from sim.experiments.compare import compare_bets
    from sim.report.output import write_comparison

    common.check_finite(("--budget", budget))
    spec = common.load(scenario, set_)
    chosen = common.chosen_bets(spec, bets, lang_of(lang),
                                f"{scenario}: {t('cli.no_bets', lang_of(lang))}")
    k = max_bets if max_bets is not None else (min(3, len(chosen)) if budget is not None else 1)
    common.check_out(out)
    with common.interruptible(t("cli.doing_compare", lang_of(lang), name=spec.name), out), \
            common.progress_bar() as bar, common.cluster(scheduler) as executor:
        task = bar.add_task(escape(t("cli.doing_compare", lang_of(lang), name=spec.name)),
                            total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            cmp = compare_bets(spec, chosen, replications=reps, seed=seed, workers=workers,
                               budget=budget, max_bets=k, until_settled=until_settled,
                               max_replications=max(max_reps, reps), progress=progress,
                               executor=executor, engine=common.check_engine(engine))
        except ValueError as err:  # a budget nothing fits, bets that push a value out of range
            raise common.fail(str(err)) from None
    files = common.written(lambda: write_comparison(cmp, out), out)
    terminal.comparison(cmp, console, lang_of(lang), wide=wide)
    common.say_written(files, lang)
