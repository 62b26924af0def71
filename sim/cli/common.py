"""What every command of `growthsim` shares: its options, its checks, how it refuses, loads a
scenario, shows progress, writes and is interrupted.

One place for what every command refuses the same way: an `--out` folder that cannot be written
(checked before simulating, never after), numbers that are not numbers (nan, inf), user text too
long to print, work whose estimated time is beyond a day, a scenario that does not load, an
engine that does not load. Messages come from `models.spec.messages` (English and Russian); the
CLI prints English. Exit codes: 2 for bad input (`fail`), 1 for a fault that is not the user's
input (`fault`), 130 for Ctrl-C (`interruptible`).

Every command is a module of `sim.cli` that imports this one (never `sim.cli.main`, which only
registers them); the scenario model, the engines and the experiments are imported when a
command runs, so `growthsim --help` answers at once.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from models.spec.errors import Message, error_text, localized
from models.spec.messages import count, msg
from models.words import LANGS, t
from models.words.formats import number
from sim.cli.options import EngineName, LangName, current_lang, lang_of
from sim.report.terminal import escape

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from models.spec.scenario import Bet, Scenario
    from models.words import Lang

console = Console(emoji=False)  # ':zzz:' in a user's text (a name) is not an emoji code
errors = Console(stderr=True, emoji=False)

# -- the options every command spells the same way -------------------------------------------
ScenarioArg = Annotated[
    Path, typer.Argument(help="scenario YAML file, e.g. scenarios/reference.yaml")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a parameter: path=value (repeatable), "
                 "e.g. --set sales.managers=6"),
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="root random seed")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="run the replications on an existing Dask cluster: tcp://HOST:PORT")]

# User text (a scenario's or a sweep's name) printed at most this long: a 3 MB name would
# otherwise fill the terminal.
SHOWN_CHARS = 200
# Work estimated beyond this many seconds is refused unless the user passes --no-time-limit.
DAY_SECONDS = 24 * 3600.0


def fail(message: object, code: int = 2) -> typer.Exit:
    """Print `error: message` (escaped: it quotes the user's text) and return the exit to raise:
    code 2, bad input."""
    text = localized(message, current_lang()) if isinstance(message, str) else str(message)
    errors.print(f"[bold red]{t('cli.error', current_lang())}[/] {escape(text)}",
                 highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=code)


def fault(message: object) -> typer.Exit:
    """`fail` with exit code 1: a fault that is not the user's input (a lost cluster)."""
    return fail(message, code=1)


def check_out(out: Path, create: bool = True) -> None:
    """Refuse an --out folder that cannot be written (a file, below a file, read-only, /proc),
    before any work: a file is written and removed there. `create=False`: a folder that does
    not exist yet is not made (a command that may still refuse its input leaves nothing); its
    nearest existing parent is probed instead."""
    from sim.report.output import OutputError, check_writable

    out = Path(out)
    if not create and not out.exists() and not out.is_symlink():
        parent = out.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if parent.is_dir():
            try:  # a folder made and removed where `out` will be made
                os.rmdir(tempfile.mkdtemp(prefix=".growthsim-probe.", dir=parent))
                return
            except OSError:
                pass  # check_writable below says why, naming --out
        # else a file stands where a parent folder must be: said below
    try:
        check_writable(out)
    except OutputError as err:
        raise fail(err.message) from None


def check_finite(*options: tuple[str, float | None]) -> None:
    """Refuse an option whose value is nan or infinite (`("--budget", value)` pairs; None is
    an option left out). Click reads "nan" and "inf" as floats; no command means them."""
    for option, value in options:
        if value is not None and not math.isfinite(value):
            raise fail(msg("option_not_finite", option=option, value=value, example=1000))


def check_finite_parts(option: str, texts: list[str] | None) -> None:
    """Refuse a compound option (`--vary PATH=LOW:HIGH`, `--range`, `--shock PATH:OP:VALUE`,
    `--bet NAME=LOW:HIGH`) one of whose numbers is nan or infinite, naming the option as the
    user wrote it. The first part (the path or name) is not a number and is not looked at."""
    for text in texts or []:
        for part in re.split("[=:]", text)[1:]:
            try:
                value = float(part)
            except ValueError:
                continue  # not a number: the option's own parser says what to write
            if not math.isfinite(value):
                raise fail(msg("option_part_not_finite", option=option, text=text, part=part))


def shorten(text: str, what: str, limit: int = SHOWN_CHARS) -> str:
    """`text` as it is when short; else its start, an ellipsis and a note of its length."""
    if len(text) <= limit:
        return text
    why = msg("option_too_long", what=what, length=count(len(text)), limit=count(limit))
    return f"{text[:limit]}… ({localized(why, current_lang())})"


def duration(seconds: float) -> Message:
    """A rough duration for an estimate, in both languages: 40 s, 12 min, 3.5 h, 2.0 days."""
    if seconds < 90:
        key, n, decimals = "app.seconds", seconds, 0
    elif seconds < 5400:
        key, n, decimals = "app.minutes", seconds / 60, 0
    elif seconds < 2 * 86400:
        key, n, decimals = "cli.hours", seconds / 3600, 1
    else:
        key, n, decimals = "cli.days", seconds / 86400, 1
    en, ru = (t(key, lang, n=number(n, lang, decimals)) for lang in LANGS)
    return Message(en, ru)


def seconds_per_run(spec: object, engine: str) -> float:
    """One replication of `spec`'s plan timed on `engine` (the second of two: the first may
    load compiled kernels), in this process; NaN when it cannot run."""
    from models.compiled.form import compile_scenario
    from sim.experiments.runner.replications import run_compiled

    try:
        compiled = compile_scenario(spec)  # type: ignore[arg-type]
        run_compiled(compiled, 0, 1, engine)
        start = time.perf_counter()
        run_compiled(compiled, 1, 1, engine)
    except Exception:  # the run itself will say what is wrong, with its context
        return math.nan
    return time.perf_counter() - start


def check_work(what: str, runs: int, seconds_each: float, workers: int, fix: str,
               no_limit: bool) -> str:
    """The line stating the work (`runs` replications, the estimated time on `workers`
    processes); refuses (exit 2) what would take more than a day unless `no_limit`."""
    estimate = runs * seconds_each / max(1, workers)
    if math.isnan(estimate):  # not timed: the number of runs alone
        return localized(msg("work_runs", what=what, runs=count(runs)), current_lang())
    if estimate > DAY_SECONDS and not no_limit:
        raise fail(msg("work_too_long", what=what, runs=count(runs), estimate=duration(estimate),
                       fix=fix))
    return localized(msg("work_estimate", what=what, runs=count(runs),
                         estimate=duration(estimate)), current_lang())


def chosen_bets(spec: Scenario, bets: str | None, lang: Lang, no_bets: str) -> list[Bet]:
    """The scenario's bets named in `--bets a,b` (None: all of them), refused with a message in
    `lang` when a name is unknown or none is left (`no_bets`: what to say then)."""
    from models.spec.errors import error_text
    from sim.experiments.compare import select_bets

    names = None if bets is None else [b.strip() for b in bets.split(",") if b.strip()]
    if names == []:
        raise fail(msg("bets_none_named"))
    try:
        chosen = select_bets(spec, names)
    except ValueError as err:
        raise fail(f"--bets: {error_text(err, lang)}") from None
    if not chosen:
        raise fail(no_bets)
    return chosen


# -- loading, running, writing -----------------------------------------------------------------
def load(path: Path, overrides: list[str] | None) -> Scenario:
    """The scenario at `path` with `--set` overrides; refused (exit 2) naming the file."""
    from models.load import ScenarioError, load_scenario
    from models.spec.paths import PathError

    try:
        return load_scenario(path, overrides)
    except ScenarioError as err:  # name the file, whatever label the loader used
        raise fail(scenario_problems(str(path), err.problems)) from None
    except PathError as err:
        raise fail(f"--set {error_text(err, current_lang())}") from None


def scenario_problems(source: str, problems: list[tuple[str, str]]) -> Message:
    """A scenario's problems, one line each ("where: what"), in both languages."""
    texts = []
    for lang in LANGS:
        lines = [t("cli.problems", lang, source=source, n=number(len(problems), lang))]
        lines += [f"  - {where}: {localized(what, lang)}" if where
                  else f"  - {localized(what, lang)}" for where, what in problems]
        texts.append("\n".join(lines))
    return Message(*texts)


def check_engine(engine: EngineName) -> str:
    """The engine's name, once it is known to load (a missing compiler says so before any run)."""
    from sim.engines import get_engine

    try:
        get_engine(engine.value)
    except ValueError as err:
        raise fail(f"--engine {engine.value}: {err}") from None
    return engine.value


@contextlib.contextmanager
def cluster(scheduler: str | None) -> Iterator[Executor | None]:
    """The executor of `--scheduler` (None without it: the local pool of `--workers`)."""
    from sim.experiments.runner.executors import ExecutorError, open_executor

    if scheduler is None:
        yield None
        return
    try:
        with open_executor(scheduler=scheduler) as where:
            yield where.executor
    except ExecutorError as err:
        raise fail(err.args[0] if err.args else str(err)) from None


def progress_bar() -> Progress:
    """The progress bar every long command shows on stderr (gone when done)."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=errors, transient=True)


def written(write: Callable[[], list[Path]], out: Path) -> list[Path]:
    """The result files, or a clear message (exit 2) when they cannot be written."""
    from sim.report.output import OutputError

    try:
        return write()
    except OutputError as err:
        raise fail(str(err.message)) from None
    except KeyboardInterrupt:
        raise interrupted(f"writing the results to {out}",
                          msg("interrupted_while_writing", path=out)) from None


def say_written(files: list[Path], lang: LangName) -> None:
    """The line naming the files written."""
    from sim.report import terminal

    terminal.say(console, t("terminal.written", lang_of(lang),
                                     files=", ".join(str(f) for f in files)))


def interrupted(what: str, written: str) -> typer.Exit:
    """Ctrl-C: say what was interrupted and what was (not) written; exit 130 (128 + SIGINT)."""
    text = msg("interrupted", what=what, written=written)
    errors.print(f"[bold yellow]{escape(localized(text, current_lang()))}[/]", highlight=False,
                 soft_wrap=True)
    return typer.Exit(code=130)


@contextlib.contextmanager
def interruptible(what: str, out: Path) -> Iterator[None]:
    """Ctrl-C inside: said (nothing written to `out`), exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        raise interrupted(what, msg("interrupted_nothing_written", path=out)) from None


def print_table(frame: object, title: str) -> None:
    """A report table in the terminal (`sim.report.terminal.print_frame`)."""
    import pandas as pd

    from sim.report.terminal import print_frame

    assert isinstance(frame, pd.DataFrame)
    print_frame(console, frame, title)
