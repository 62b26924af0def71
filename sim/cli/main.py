"""`growthsim`: the command line, a thin layer over `sim.experiments.montecarlo` and
`models.load`.

Exit codes: 0 success, 2 bad input (scenario, override, option), 1 anything else.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from models.spec.messages import msg
from models.words import t
from sim.cli import batch as batch_cli
from sim.cli import common, helptext, investor
from sim.cli import optimise as optimise_cli
from sim.cli import track as track_cli
from sim.cli import voi as voi_cli
from sim.cli.calibrate import app as calibrate_app
from sim.cli.options import DEFAULT_ENGINE, EngineName, EngineOpt, LangName, LangOpt, lang_of
from sim.engines import get_engine
from sim.report import terminal
from sim.report.terminal import escape

# The scenario model (pydantic, scipy) and the engines load when a command runs, not when the
# command line is parsed: `growthsim --help` and a bad option answer at once.
if TYPE_CHECKING:
    from models.spec.scenario import Scenario


Engine = EngineName  # the name the commands' modules import

app = helptext.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="GrowthSim: simulate a business's customer journey and forecast its growth.",
    pretty_exceptions_enable=False,
)
app.add_typer(calibrate_app, name="calibrate")
app.command("batch")(batch_cli.batch)
app.command("results")(batch_cli.results)
console = Console()
errors = Console(stderr=True)

ScenarioArg = Annotated[
    Path, typer.Argument(help="scenario YAML file, e.g. scenarios/reference.yaml")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a parameter: path=value (repeatable), "
                 "e.g. --set sales.managers=6"),
]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="run the replications on an existing Dask cluster: tcp://HOST:PORT")]


def _fail(message: str) -> typer.Exit:
    # one way of refusing for every command (sim.cli.common): the message escaped, exit 2
    return common.fail(message)


def _check_engine(engine: Engine) -> str:
    """The engine's name, once it is known to load (a missing compiler says so before any run)."""
    try:
        get_engine(engine.value)
    except ValueError as err:
        raise _fail(f"--engine {engine.value}: {err}") from None
    return engine.value


@contextlib.contextmanager
def _cluster(scheduler: str | None) -> Iterator[Executor | None]:
    """The executor of `--scheduler` (None without it: the local pool of `--workers`)."""
    from sim.experiments.executors import ExecutorError, open_executor

    if scheduler is None:
        yield None
        return
    try:
        with open_executor(scheduler=scheduler) as where:
            yield where.executor
    except ExecutorError as err:
        raise _fail(str(err)) from None


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    from models.load import ScenarioError, load_scenario
    from models.spec.paths import PathError

    try:
        return load_scenario(path, overrides)
    except ScenarioError as err:  # name the file, whatever label the loader used
        raise _fail(str(ScenarioError(str(path), err.problems))) from None
    except PathError as err:
        raise _fail(f"--set {err}") from None


def _writable(out: Path) -> None:
    """Refuse an --out folder that cannot be written before simulating."""
    common.check_out(out)


def _written(write: Callable[[], list[Path]], out: Path) -> list[Path]:
    """The result files, or a clear message (exit 2) when they cannot be written."""
    from sim.report.output import OutputError

    try:
        return write()
    except OutputError as err:
        raise _fail(str(err.message)) from None
    except KeyboardInterrupt:
        raise _interrupted(f"writing the results to {out}",
                           msg("interrupted_while_writing", path=out)) from None


def _say_written(files: list[Path], lang: LangName) -> None:
    terminal.say(console, t("terminal.written", lang_of(lang),
                                     files=", ".join(str(f) for f in files)))


def _interrupted(what: str, written: str) -> typer.Exit:
    """Ctrl-C: say what was interrupted and what was (not) written; exit 130 (128 + SIGINT)."""
    text = msg("interrupted", what=what, written=written)
    errors.print(f"[bold yellow]{escape(str(text))}[/]", highlight=False,
                 soft_wrap=True)
    return typer.Exit(code=130)


@contextlib.contextmanager
def _interruptible(what: str, out: Path) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        raise _interrupted(what, msg("interrupted_nothing_written", path=out)) from None


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and say what is wrong, field by field."""
    spec = _load(scenario, set_)
    from models.compiled.sampling import uncertain_parameters

    n = len(uncertain_parameters(spec))
    name = common.shorten(repr(spec.name), "the scenario's name")
    console.print(f"[green]ok[/]: {escape(str(scenario))} ({escape(name)}, "
                  f"{spec.horizon_months} months, "
                  f"{len(spec.channels)} channels, {len(spec.tiers)} tiers, "
                  f"{n} uncertain parameters)")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from models.spec.scenario import Scenario

    console.print_json(json.dumps(Scenario.model_json_schema(by_alias=True)))


@app.command()
def run(
    scenario: ScenarioArg,
    reps: Annotated[int, typer.Option("--reps", min=1, help="replications")] = 100,
    seed: Annotated[int, typer.Option("--seed", min=0, help="root random seed")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")] = None,
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
    from sim.experiments.montecarlo import run_monte_carlo
    from sim.report.output import write_results

    common.check_finite(("--precision", precision))
    spec = _load(scenario, set_)
    _writable(out)
    with _interruptible(f"simulating {spec.name}", out), Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=errors, transient=True) as bar, \
            _cluster(scheduler) as executor:
        task = bar.add_task(f"simulating {escape(spec.name)}", total=reps)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_monte_carlo(spec, reps, seed, workers, precision, max(max_reps, reps),
                                 progress, executor=executor, engine=_check_engine(engine))
    files = _written(lambda: write_results(result, out), out)
    terminal.owner_view(result, console, lang_of(lang))
    if precision is not None:
        terminal.say(console, terminal.precision_line(result, precision, lang_of(lang)))
    _say_written(files, lang)


@app.command()
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
    seed: Annotated[int, typer.Option("--seed", min=0, help="root random seed")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")] = None,
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
    from sim.experiments.compare import compare_bets
    from sim.report.output import write_comparison

    common.check_finite(("--budget", budget))
    spec = _load(scenario, set_)
    chosen = common.chosen_bets(spec, bets, lang_of(lang), f"{scenario}: the scenario has no "
                                "bets; add a bets: list (see docs/how-to/bets.md)")
    k = max_bets if max_bets is not None else (min(3, len(chosen)) if budget is not None else 1)
    _writable(out)
    with _interruptible(f"comparing the bets of {spec.name}", out), Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=errors, transient=True) as bar, \
            _cluster(scheduler) as executor:
        task = bar.add_task(f"comparing bets of {escape(spec.name)}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            cmp = compare_bets(spec, chosen, reps, seed, workers, budget, k, until_settled,
                               max(max_reps, reps), progress, executor=executor,
                               engine=_check_engine(engine))
        except ValueError as err:  # a budget nothing fits, bets that push a value out of range
            raise _fail(str(err)) from None
    files = _written(lambda: write_comparison(cmp, out), out)
    terminal.comparison(cmp, console, lang_of(lang), wide=wide)
    _say_written(files, lang)


@app.command()
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
    seed: Annotated[int, typer.Option("--seed", min=0, help="root random seed")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")] = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option("--out", help="folder for seek.json")] = Path("out"),
    engine: EngineOpt = DEFAULT_ENGINE,
    scheduler: SchedulerOpt = None,
    lang: LangOpt = LangName.en,
) -> None:
    """Goal seek: the smallest size of a bet that reaches P(goal by deadline) >= --target."""
    from sim.experiments.goalseek import seek_size
    from sim.report.output import write_seek

    common.check_finite(("--high", high), ("--low", low))
    spec = _load(scenario, set_)
    _writable(out)

    def progress(step: int, size: float, p: float) -> None:
        terminal.say(errors, "  " + t("terminal.seek_step", lang_of(lang), step=step,
                                      size=terminal.size_text(size, lang_of(lang)),
            p=terminal.percent(p, lang_of(lang))))

    try:
        with _interruptible(f"seeking the size of {bet}", out), _cluster(scheduler) as executor:
            result = seek_size(spec, bet, high, low, change, target, reps, seed,
                               workers=workers, progress=progress, executor=executor,
                               engine=_check_engine(engine))
    except ValueError as err:  # also pydantic's ValidationError: a size out of the field's range
        raise _fail(str(err).split("\n    For further information")[0]) from None
    [path] = _written(lambda: write_seek(result.to_dict(), out), out)
    terminal.seek(result, console, lang_of(lang))
    _say_written([path], lang)


app.command()(investor.sensitivity)
app.command()(investor.stress)
app.command()(track_cli.track)
app.command()(optimise_cli.optimise)
app.command("value-of-information")(voi_cli.value_of_information)


@app.command()
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
) -> None:
    """Measure the engine against a raw SimPy loop, the worker speed-up and peak memory."""
    from sim.cli.bench import run_benchmarks

    if batch:
        _load(scenario, None)  # a bad scenario is said before anything runs
        batch_cli.batch_benchmarks(scenario, _check_engine(engine), chunk=chunk, out=console)
        return

    run_benchmarks(_load(scenario, None), reps=reps, quick=quick, console=console,
                   scenario_path=str(scenario))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        errors.print("interrupted; results written before this point are complete")
        sys.exit(130)


if __name__ == "__main__":
    main()
