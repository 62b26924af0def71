"""`growthsim optimise`: how to split the money (channels' budgets, managers, the bets) to reach
the goal soonest, most surely, or with the most NPV (`sim.experiments.optimise`).

Registered in `sim.cli.main` with one line. The helpers of `sim.cli.main` (loading a scenario
with a clear message and exit code 2, the engine check, writable output, Ctrl-C) are imported
when the command runs, so this module and `main` can import each other in either order.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from models.words import t
from sim.cli import common
from sim.cli.investor import console, errors
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of


class ObjectiveName(StrEnum):
    """`sim.experiments.optimise.OBJECTIVES`."""

    p_goal = "p_goal"
    months_to_goal = "months_to_goal"
    npv = "npv"
    npv_quantile = "npv_quantile"
    cvar = "cvar"


def _print(frame: object, title: str) -> None:
    """A report table in the terminal (`sim.report.terminal.print_frame`)."""
    import pandas as pd

    from sim.report.terminal import print_frame

    assert isinstance(frame, pd.DataFrame)
    print_frame(console, frame, title)


def optimise(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file, e.g. "
                                             "scenarios/b2b_services.yaml")],
    budget: Annotated[float | None, typer.Option(
        "--budget", help="a MONTH's budget: money decided (advertising + salaries + the bets' "
        "own costs) at most this in every month (compare's --budget is a total over the "
        "horizon)")] = None,
    budget_total: Annotated[float | None, typer.Option(
        "--budget-total", help="the same over the whole horizon at most this")] = None,
    cash_floor: Annotated[float | None, typer.Option(
        "--cash-floor", help="cumulative profit never below this (in at least 1 - "
        "--floor-risk of the simulated futures)")] = None,
    floor_risk: Annotated[float, typer.Option(
        "--floor-risk", min=0, max=0.99, help="share of futures allowed to break the floor")
    ] = 0.1,
    objective: Annotated[ObjectiveName, typer.Option(
        "--objective", help="p_goal: max chance of the goal by its deadline; months_to_goal: "
        "min median months to it; npv: max expected NPV; npv_quantile: max the --level quantile "
        "of NPV; cvar: max the mean NPV of the worst --level share")] = ObjectiveName.npv,
    level: Annotated[float, typer.Option("--level", min=0.01, max=0.5, help="the quantile "
                                         "(npv_quantile) or tail share (cvar)")] = 0.1,
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", help="a parameter to decide: PATH=LOW:HIGH[:STEP] (repeatable), e.g. --vary "
        "sales.managers=2:8 (default: each paid channel's budget from 0 to twice today's, and "
        "the managers)")] = None,
    bet: Annotated[list[str] | None, typer.Option(
        "--bet", help="a bet of the scenario to switch on or off: NAME, or NAME=LOW:HIGH[:STEP] "
        "to size its first change too (repeatable; default: every bet of the scenario, as "
        "compare compares them, except those that set a parameter --vary decides)")] = None,
    no_bets: Annotated[bool, typer.Option(
        "--no-bets", help="switch no bet on or off: decide only the --vary parameters")
    ] = False,
    trials: Annotated[int, typer.Option("--trials", min=1, help="allocations to try")] = 40,
    reps: Annotated[int, typer.Option("--reps", min=2, help="replications per trial")] = 20,
    finalists: Annotated[int, typer.Option(
        "--finalists", min=1, help="best allocations checked again with --final-reps")] = 4,
    final_reps: Annotated[int, typer.Option(
        "--final-reps", min=2, help="replications of the check (fresh ones)")] = 80,
    seed: Annotated[int, typer.Option("--seed", min=0, help="root random seed")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a parameter first: path=value (repeatable)")] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for optimise.json, "
                                      "optimise_figures.parquet and optimise_trials.parquet")
                   ] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    lang: LangOpt = LangName.en,
) -> None:
    """Optimise the allocation under uncertainty: where should the next money go?"""
    from sim.cli.main import Engine, _check_engine, _fail, _interruptible, _load, _writable
    from sim.cli.main import _written as written
    from sim.experiments import optimise as opt
    from sim.report import optimise as report
    from sim.report.terminal import escape, say

    common.check_finite(("--budget", budget), ("--budget-total", budget_total),
                        ("--cash-floor", cash_floor))
    common.check_finite_parts("--vary", vary)
    common.check_finite_parts("--bet", bet)
    spec = _load(scenario, set_)
    engine_name = _check_engine(Engine(engine.value))
    try:
        variables = [opt.parse_vary(v) for v in vary] if vary else None
        choices = [opt.parse_bet(b) for b in bet or []]
        if variables is None and choices:  # bets named alone: decide only them
            variables = []
        if bet is None and not no_bets:  # the options compare compares, as compare does
            choices = opt.default_choices(
                spec, opt.default_variables(spec) if variables is None else variables)
        constraints = opt.Constraints(budget, budget_total, cash_floor, floor_risk)
    except ValueError as err:
        raise _fail(str(err)) from None
    _writable(out)
    with _interruptible(f"optimising {spec.name}", out), Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=errors, transient=True) as bar:
        task = bar.add_task(f"optimising {escape(spec.name)}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = opt.optimise(spec, variables, choices, objective.value, constraints,
                                  trials=trials, replications=reps, finalists=finalists,
                                  final_replications=final_reps, level=level, seed=seed,
                                  workers=workers, progress=progress, engine=engine_name)
        except ValueError as err:
            raise _fail(str(err).split("\n    For further information")[0]) from None
    files = written(lambda: report.write_optimisation(result, out), out)
    language = lang_of(lang)
    lines = report.summary_lines(result, language)
    console.print(Panel("\n".join(escape(line) for line in lines), expand=False))
    _print(report.allocation_view(result, language).iloc[:, :4],
           t("optimise.fig_allocation", language))
    figures = report.figures_view(result, language)
    _print(figures.iloc[:, [0, 1, 2, 3, 8]], report.objective_name(result, language))
    marginal = report.marginal_view(result, language)
    if not marginal.empty:
        _print(marginal.iloc[:, [0, 1, 3, 4]], t("optimise.fig_marginal", language))
    say(console, t("terminal.written", language, files=", ".join(str(f) for f in files)))
