"""`growthsim track SCENARIO ACTUALS.csv --out DIR`: plan vs actual and the re-forecast.

A thin layer: read the actuals
(`models.calibration.actuals`), run `sim.experiments.track.track`, write `track.json`,
`track_positions.parquet` and `track_fans.parquet` as one unit (`sim.report.output.write_unit`)
and print the owner's tables (`sim.report.track`). Exit 2 on bad input, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from models.words import t
from sim.cli import common
from sim.cli.common import SeedOpt, WorkersOpt, console
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of


def track(
    scenario: Annotated[Path, typer.Argument(help="the plan: a scenario YAML file")],
    actuals: Annotated[Path, typer.Argument(help="monthly actuals CSV (month, then any of "
                                            "leads, leads_<channel>, new_clients, revenue, "
                                            "churned, active_clients, marketing, lost_<stage>)")],
    reps: Annotated[int, typer.Option("--reps", min=2, help="replications of the plan and of "
                                      "the re-forecast")] = 200,
    bet_reps: Annotated[int, typer.Option("--bet-reps", min=0, help="replications per bet to "
                                          "rank the bets on the plan and now (0: skip)")] = 20,
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a parameter of the plan: path=value (repeatable)")] = None,
    delimiter: Annotated[str | None, typer.Option(
        "--delimiter", help="the character between columns (default: detected)")] = None,
    start: Annotated[str | None, typer.Option(
        "--start", help="with a CRM export of leads (as `calibrate funnel` reads) or a purchase "
        "export (as `calibrate transactions` reads) instead of monthly actuals: the first day "
        "of the plan's month 1, YYYY-MM-DD")
    ] = None,
    decimal: Annotated[str | None, typer.Option(
        "--decimal", help="the decimal mark: '.' or ',' (default: detected)")] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for track.json and the parquet "
                                      "tables")] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    lang: LangOpt = LangName.en,
) -> None:
    """Plan vs actual: each month's actuals in the plan's fan, the rates of the journey that are
    off, and the re-forecast from where the business is now (P(goal), the best bets)."""
    lang_of(lang)  # from here on, refusals (a bad scenario too) speak --lang
    from models.calibration.actuals import ActualsError, read_any_actuals
    from sim.experiments.track import track as run_track
    from sim.report import track as report
    from sim.report.terminal import print_frame, say

    if decimal not in (None, ".", ","):
        raise common.fail(f"--decimal {decimal!r}: use '.' or ','")
    if delimiter is not None and delimiter not in (",", ";", "\t", "|", "tab", "\\t"):
        raise common.fail(f"--delimiter {delimiter!r}: use one of , ; tab |")
    spec = common.load(scenario, set_)
    try:
        facts = read_any_actuals(actuals, spec, start, delimiter, decimal)
    except ActualsError as err:
        raise common.fail(str(err)) from None
    engine_name = common.check_engine(engine)
    common.check_out(out)
    doing = t("cli.doing_track", lang_of(lang), name=spec.name)
    with common.interruptible(doing, out), common.progress_bar() as bar:
        task = bar.add_task(t("cli.track_bar", lang_of(lang)), total=2 * reps)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run_track(spec, facts, replications=reps, seed=seed, workers=workers,
                               engine=engine_name,
                               bet_replications=bet_reps, progress=progress)
        except ValueError as err:  # e.g. actuals covering the whole horizon
            raise common.fail(str(err)) from None
    files = common.written(lambda: report.write_track(result, out), out)
    language = lang_of(lang)

    def col(key: str) -> str:
        return t(f"track.{key}", language)

    for line in report.summary_lines(result, language):
        say(console, line)
    # The columns that fit 80 columns; track.json and the app have them all.
    rates = report.rates_table(result, language)
    now = f"{col('col_now')} ({col('col_interval')})"
    rates[now] = rates[col("col_now")] + " (" + rates[col("col_interval")] + ")"
    print_frame(console, rates[[col("col_rate"), col("col_plan"), col("col_observed"), now,
                                col("col_change")]], col("rates_title"))
    flagged = report.positions_table(result, language, only_flagged=True)
    if len(flagged):
        band = f"{col('col_p10')}–{col('col_p90')}"
        flagged[band] = flagged[col("col_p10")] + " – " + flagged[col("col_p90")]
        print_frame(console, flagged[[col("col_month"), col("col_figure"), col("col_actual"),
                                      band, col("col_percentile")]],
                    col("flagged_title"), names=2)
    bets = report.bets_table(result, language)
    if bets is not None:
        print_frame(console, bets[[col("col_bet"), col("col_rank_now"), col("col_rank_plan"),
                                   col("col_npv_now"), col("col_goal_now")]], col("bets_title"))
    say(console, t("terminal.written", language, files=", ".join(str(f) for f in files)))
