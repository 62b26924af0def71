"""`growthsim optimise`: how to split the money (channels' budgets, managers, the bets) to reach
the goal soonest, most surely, or with the most NPV (`sim.experiments.optimise`).

The option strings `--vary PATH=LOW:HIGH[:STEP]` and `--bet NAME[=LOW:HIGH[:STEP]]` are read
here (`parse_vary`, `parse_bet`), not in the experiment.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.panel import Panel

from models.words import t
from sim.cli import common
from sim.cli.common import SeedOpt, WorkersOpt, console
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of

if TYPE_CHECKING:  # the experiment (numpy, pandas, optuna) is imported when the command runs
    from sim.experiments.optimise import BetChoice, Variable


class ObjectiveName(StrEnum):
    """`sim.experiments.optimise.OBJECTIVES`."""

    p_goal = "p_goal"
    months_to_goal = "months_to_goal"
    npv = "npv"
    npv_quantile = "npv_quantile"
    cvar = "cvar"


def parse_vary(text: str) -> Variable:
    """`PATH=LOW:HIGH[:STEP]` (the `--vary` option) as a Variable."""
    from sim.experiments.optimise import Variable

    path, sep, span = text.partition("=")
    parts = span.split(":")
    try:
        if not (sep and path.strip()) or len(parts) not in (2, 3):
            raise ValueError
        low, high = float(parts[0]), float(parts[1])
        step = float(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise ValueError(f"--vary {text!r}: write PATH=LOW:HIGH or PATH=LOW:HIGH:STEP, e.g. "
                         "--vary channels.yandex_direct.budget_monthly=0:1000000:50000") from None
    if not high > low:
        raise ValueError(f"--vary {text!r}: the high end must be above the low end")
    if step is not None and not 0 < step <= high - low:
        raise ValueError(f"--vary {text!r}: the step must be positive and at most high - low")
    return Variable(path.strip(), low, high, step)


def parse_bet(text: str) -> BetChoice:
    """`NAME` or `NAME=LOW:HIGH[:STEP]` (the `--bet` option) as a BetChoice."""
    from sim.experiments.optimise import BetChoice

    name, sep, span = text.partition("=")
    if not sep:
        return BetChoice(name.strip())
    try:
        var = parse_vary(f"{name}={span}")
    except ValueError:
        raise ValueError(f"--bet {text!r}: write NAME (on or off) or NAME=LOW:HIGH[:STEP] (on "
                         "or off, and the size of its first change)") from None
    return BetChoice(var.path, var.low, var.high, var.step)


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
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a parameter first: path=value (repeatable)")] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for optimise.json, "
                                      "optimise_figures.parquet and optimise_trials.parquet")
                   ] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    lang: LangOpt = LangName.en,
) -> None:
    """Optimise the allocation under uncertainty: where should the next money go?"""
    lang_of(lang)  # from here on, refusals (a bad scenario too) speak --lang
    from sim.experiments import optimise as opt
    from sim.report import optimise as report
    from sim.report.terminal import escape, say

    common.check_finite(("--budget", budget), ("--budget-total", budget_total),
                        ("--cash-floor", cash_floor))
    common.check_finite_parts("--vary", vary)
    common.check_finite_parts("--bet", bet)
    spec = common.load(scenario, set_)
    engine_name = common.check_engine(engine)
    try:
        variables = [parse_vary(v) for v in vary] if vary else None
        choices = [parse_bet(b) for b in bet or []]
        if variables is None and choices:  # bets named alone: decide only them
            variables = []
        if bet is None and not no_bets:  # the options compare compares, as compare does
            choices = opt.default_choices(
                spec, opt.default_variables(spec) if variables is None else variables)
        constraints = opt.Constraints(budget, budget_total, cash_floor, floor_risk)
    except ValueError as err:
        raise common.fail(str(err)) from None
    common.check_out(out)
    doing = t("cli.doing_optimise", lang_of(lang), name=spec.name)
    with common.interruptible(doing, out), common.progress_bar() as bar:
        task = bar.add_task(escape(doing), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = opt.optimise(spec, variables, choices, objective.value, constraints,
                                  trials=trials, replications=reps, finalists=finalists,
                                  final_replications=final_reps, level=level, seed=seed,
                                  workers=workers, progress=progress, engine=engine_name)
        except ValueError as err:
            raise common.fail(str(err).split("\n    For further information")[0]) from None
    files = common.written(lambda: report.write_optimisation(result, out), out)
    language = lang_of(lang)
    lines = report.summary_lines(result, language)
    console.print(Panel("\n".join(escape(line) for line in lines), expand=False))
    common.print_table(report.allocation_view(result, language).iloc[:, :4],
           t("optimise.fig_allocation", language))
    figures = report.figures_view(result, language)
    common.print_table(figures.iloc[:, [0, 1, 2, 3, 8]], report.objective_name(result, language))
    marginal = report.marginal_view(result, language)
    if not marginal.empty:
        common.print_table(marginal.iloc[:, [0, 1, 3, 4]], t("optimise.fig_marginal", language))
    say(console, t("terminal.written", language, files=", ".join(str(f) for f in files)))
