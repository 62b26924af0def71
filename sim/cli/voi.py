"""`growthsim value-of-information`: what it is worth to learn each assumption before choosing
among the scenario's bets (`sim.experiments.voi`), written to voi.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from models.words import t
from sim.cli import common
from sim.cli.common import SeedOpt, WorkersOpt, console
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of


def value_of_information(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file, e.g. "
                                             "scenarios/b2b_services.yaml")],
    bets: Annotated[str | None, typer.Option(
        "--bets", help="comma-separated bet names to choose among (default: all bets of the "
        "scenario); the baseline always competes")] = None,
    reps: Annotated[int, typer.Option(
        "--reps", min=20, help="replications of each option (the regressions need 20 or more; "
        "a few hundred give useful precision)")] = 200,
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a parameter first: path=value (repeatable)")] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for voi.json")] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    lang: LangOpt = LangName.en,
) -> None:
    """What it is worth to know each assumption before choosing a bet (EVPI, EVPPI)."""
    from models.spec.errors import error_text
    from sim.experiments.voi import value_of_information as analyse
    from sim.report import voi as report
    from sim.report.terminal import escape

    language = lang_of(lang)
    spec = common.load(scenario, set_)
    # no bet, no decision: nothing to value, nothing to run
    chosen = common.chosen_bets(spec, bets, language,
                                f"{scenario}: {t('voi.no_decision', language)}")
    engine_name = common.check_engine(engine)
    common.check_out(out)
    with common.interruptible(t("cli.doing_voi", language, name=spec.name), out), \
            common.progress_bar() as bar:
        task = bar.add_task(escape(f"{t('voi.running', language)}: {spec.name}"),
                            total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = analyse(spec, chosen, replications=reps, seed=seed, workers=workers,
                             engine=engine_name,
                             progress=progress)
        except ValueError as err:  # bets that push a drawn value out of its range
            raise common.fail(error_text(err, language)) from None
    files = common.written(lambda: report.write_voi(result, out, spec), out)
    report.show(result, console, language, spec)
    console.print(escape(t("app.written", language, files=", ".join(str(f) for f in files))))
