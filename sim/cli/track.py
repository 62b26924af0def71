"""`growthsim track SCENARIO ACTUALS.csv --out DIR`: plan vs actual and the re-forecast.

Registered in `sim.cli.main` with one line. A thin layer: read the actuals
(`models.calibration.actuals`), run `sim.experiments.track.track`, write `track.json`,
`track_positions.parquet` and `track_fans.parquet` as one unit (`sim.report.output.write_unit`)
and print the owner's tables (`sim.report.track`). Exit 2 on bad input, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from models.words import t
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of

console = Console()
errors = Console(stderr=True)


def track(
    scenario: Annotated[Path, typer.Argument(help="the plan: a scenario YAML file")],
    actuals: Annotated[Path, typer.Argument(help="monthly actuals CSV (month, then any of "
                                            "leads, leads_<channel>, new_clients, revenue, "
                                            "churned, active_clients, marketing, lost_<stage>)")],
    reps: Annotated[int, typer.Option("--reps", min=2, help="replications of the plan and of "
                                      "the re-forecast")] = 200,
    bet_reps: Annotated[int, typer.Option("--bet-reps", min=0, help="replications per bet to "
                                          "rank the bets on the plan and now (0: skip)")] = 20,
    seed: Annotated[int, typer.Option("--seed", min=0, help="root random seed")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")] = None,
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
    from models.calibration.actuals import ActualsError, read_any_actuals
    from sim.cli.main import (
        Engine,
        _check_engine,
        _fail,
        _interruptible,
        _load,
        _writable,
        _written,
    )
    from sim.experiments.track import track as run_track
    from sim.report import track as report
    from sim.report.terminal import print_frame, say

    if decimal not in (None, ".", ","):
        raise _fail(f"--decimal {decimal!r}: use '.' or ','")
    if delimiter is not None and delimiter not in (",", ";", "\t", "|", "tab", "\\t"):
        raise _fail(f"--delimiter {delimiter!r}: use one of , ; tab |")
    spec = _load(scenario, set_)
    try:
        facts = read_any_actuals(actuals, spec, start, delimiter, decimal)
    except ActualsError as err:
        raise _fail(str(err)) from None
    engine_name = _check_engine(Engine(engine.value))
    _writable(out)
    with _interruptible(f"tracking {spec.name}", out), Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=errors, transient=True) as bar:
        task = bar.add_task("plan and re-forecast", total=2 * reps)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run_track(spec, facts, reps, seed, workers, engine=engine_name,
                               bet_replications=bet_reps, progress=progress)
        except ValueError as err:  # e.g. actuals covering the whole horizon
            raise _fail(str(err)) from None
    files = _written(lambda: report.write_track(result, out), out)
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
