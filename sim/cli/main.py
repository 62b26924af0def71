"""`growthsim`: the command line, a thin layer over `sim.experiments.montecarlo` and
`models.spec.loader`.

Exit codes: 0 success, 2 bad input (scenario, override, option), 1 anything else.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from models.spec.loader import ScenarioError, load_scenario
from models.spec.messages import msg
from models.spec.paths import PathError
from models.spec.scenario import Scenario
from sim.cli.calibrate import app as calibrate_app
from sim.report.terminal import escape

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="GrowthSim: simulate a business's customer journey and forecast its growth.",
    pretty_exceptions_enable=False,
)
app.add_typer(calibrate_app, name="calibrate")
console = Console()
errors = Console(stderr=True)

ScenarioArg = Annotated[
    Path, typer.Argument(help="scenario YAML file, e.g. scenarios/reference.yaml")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a parameter: path=value (repeatable), "
                 "e.g. --set sales.managers=6 --set channels.search_ads.budget_monthly=800000"),
]


def _fail(message: str) -> typer.Exit:
    # The message quotes the user's own text (values, names, paths), which may hold square
    # brackets: escape it so Rich shows it as written and never reads it as markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True,
                 soft_wrap=True)
    return typer.Exit(code=2)


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    try:
        spec = load_scenario(path, overrides)
        from models.compiled.sampling import correlation_matrix, uncertain_parameters

        correlation_matrix(spec, [p for p, _ in uncertain_parameters(spec)])
        return spec
    except ScenarioError as err:  # name the file, whatever label the loader used
        raise _fail(str(ScenarioError(str(path), err.problems))) from None
    except PathError as err:
        raise _fail(f"--set {err}") from None


def _writable(out: Path) -> None:
    """Refuse an --out folder that cannot be written before simulating (issue 12)."""
    from sim.report.output import OutputError, check_writable

    try:
        check_writable(out)
    except OutputError as err:
        raise _fail(str(err.message)) from None


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


def _money(x: float | None, currency: str) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.0f} {currency}".replace(",", " ")


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and say what is wrong, field by field."""
    spec = _load(scenario, set_)
    from models.compiled.sampling import uncertain_parameters

    n = len(uncertain_parameters(spec))
    console.print(f"[green]ok[/]: {escape(str(scenario))} ({escape(repr(spec.name))}, "
                  f"{spec.horizon_months} months, "
                  f"{len(spec.channels)} channels, {len(spec.tiers)} tiers, "
                  f"{n} uncertain parameters)")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
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
        "--precision", min=0.01, help="add replications until the 95%% CI half-width of the goal "
        "metric is below this percent of its mean")] = None,
    max_reps: Annotated[int, typer.Option("--max-reps", min=1,
                                          help="cap for --precision")] = 2000,
    out: Annotated[Path, typer.Option("--out", help="folder for summary.json and "
                                      "monthly.parquet")] = Path("out"),
) -> None:
    """Run the Monte Carlo forecast of a scenario and write its results."""
    from sim.experiments.montecarlo import run_monte_carlo
    from sim.report.output import write_results

    spec = _load(scenario, set_)
    _writable(out)
    with _interruptible(f"simulating {spec.name}", out), Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=errors, transient=True) as bar:
        task = bar.add_task(f"simulating {escape(spec.name)}", total=reps)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_monte_carlo(spec, reps, seed, workers, precision, max(max_reps, reps),
                                 progress)
    files = _written(lambda: write_results(result, out), out)
    print_owner_view(result)
    if precision is not None:
        console.print(f"--precision {precision}%: {result.replications} replications in "
                      f"{len(result.rounds)} round(s) {result.rounds}")
    console.print(escape(f"written: {', '.join(str(f) for f in files)}"))


def print_owner_view(result: object) -> None:
    """The owner's control panel in the terminal: leads, buyers, money, and where it leaks."""
    from sim.experiments.montecarlo import MonteCarloResult

    assert isinstance(result, MonteCarloResult)
    s = result.summary()
    cur = result.spec.currency

    def mean(name: str) -> float | None:
        return s[name]["mean"]

    def band(name: str, money: bool = True) -> str:
        d = s[name]
        def fmt(x: float | None) -> str:
            if money:
                return _money(x, cur)
            return "n/a" if x is None else f"{x:,.1f}"

        return f"{fmt(d['mean'])}  [dim](P10 {fmt(d['p10'])} … P90 {fmt(d['p90'])})[/]"

    h = result.spec.horizon_months
    title = f"{escape(result.spec.name)}: {h} months, {result.replications} replications, "
    table = Table(title=title + f"seed {result.seed}", show_header=True)
    table.add_column("owner's view")
    table.add_column("mean (P10 … P90)")
    table.add_row("leads", band("total_leads", money=False))
    table.add_row("new paying clients", band("total_new_clients", money=False))
    table.add_row("active clients at the end", band("active_clients_end", money=False))
    table.add_row("revenue", band("total_revenue"))
    table.add_row("profit", band("total_profit"))
    table.add_row("NPV of profit", band("npv_profit"))
    table.add_row("CAC", band("cac"))
    table.add_row("CLTV (truncated / with tail)",
                  f"{_money(mean('cltv'), cur)} / {_money(mean('cltv_with_tail'), cur)}")
    table.add_row("recurring revenue, last month", band("recurring_revenue_last_month"))
    romi, ros = mean("romi"), mean("ros")
    table.add_row("ROMI / ROS", f"{romi:.0%} / {ros:.0%}" if romi is not None and ros is not None
                  else "n/a")
    table.add_row("customer equity at the end", band("customer_equity"))
    goal = result.spec.goal
    if goal is not None:
        ttg = s["time_to_goal"]
        p = mean("goal_by_deadline")
        table.add_row(f"goal: {goal.metric} ≥ {goal.target:,.0f} by month {goal.deadline_month}",
                      f"P = {p:.0%}; month P10/P50/P90: {ttg['p10'] or 'never'} / "
                      f"{ttg['p50'] or 'never'} / {ttg['p90'] or 'never'}")
    console.print(table)
    from models.accounting.ledger import LEAKS

    leaks = Table(title="where money leaks (over the horizon)")
    leaks.add_column("stage")
    leaks.add_column("lost leads / clients", justify="right")
    leaks.add_column("revenue they would have brought", justify="right")
    for leak in LEAKS:
        count, lost = mean(f"{leak}_count"), mean(f"{leak}_revenue")
        leaks.add_row(leak.removeprefix("lost_").replace("_", " "),
                      f"{count:,.0f}" if count is not None else "n/a", _money(lost, cur))
    console.print(leaks)


def _ci(lo: float | None, hi: float | None, fmt: Callable[[float | None], str]) -> str:
    return f"[dim]({fmt(lo)}…{fmt(hi)})[/]"


def _short(x: float | None) -> str:
    """A compact amount for wide tables: 1.2M, -350k."""
    if x is None or x != x:
        return "n/a"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


@app.command()
def compare(
    scenario: ScenarioArg,
    bets: Annotated[str | None, typer.Option(
        "--bets", help="comma-separated bet names (default: all bets of the scenario)")] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=0, help="evaluate portfolios (combinations of up to --max-bets bets) "
        "whose cost over the horizon fits this budget")] = None,
    max_bets: Annotated[int | None, typer.Option(
        "--max-bets", min=1, max=3, help="bets per portfolio (default: 3 with --budget, else 1)")
    ] = None,
    reps: Annotated[int, typer.Option("--reps", min=2, help="replications per bet")] = 40,
    seed: Annotated[int, typer.Option("--seed", min=0, help="root random seed")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")] = None,
    until_settled: Annotated[bool, typer.Option(
        "--until-settled", help="double the replications until the best bet is separated from "
        "the rest (paired 95%% intervals, Bonferroni), up to --max-reps")] = False,
    max_reps: Annotated[int, typer.Option("--max-reps", min=2,
                                          help="cap for --until-settled")] = 640,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option("--out", help="folder for compare.json and "
                                      "compare_monthly.parquet")] = Path("out"),
) -> None:
    """Compare the scenario's bets against its baseline on common random numbers."""
    from sim.experiments.compare import compare_bets, select_bets
    from sim.report.output import write_comparison

    spec = _load(scenario, set_)
    names = None if bets is None else [b.strip() for b in bets.split(",") if b.strip()]
    if names == []:
        raise _fail("--bets: no bet named; write names separated by commas, e.g. --bets a,b")
    try:
        chosen = select_bets(spec, names)
    except ValueError as err:
        raise _fail(f"--bets: {err}") from None
    if not chosen:
        raise _fail(f"{scenario}: the scenario has no bets; add a bets: list (see README)")
    k = max_bets if max_bets is not None else (min(3, len(chosen)) if budget is not None else 1)
    _writable(out)
    with _interruptible(f"comparing the bets of {spec.name}", out), Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=errors, transient=True) as bar:
        task = bar.add_task(f"comparing bets of {escape(spec.name)}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            cmp = compare_bets(spec, names, reps, seed, workers, budget, k, until_settled,
                               max(max_reps, reps), progress)
        except ValueError as err:  # a budget nothing fits, bets that push a value out of range
            raise _fail(str(err)) from None
    files = _written(lambda: write_comparison(cmp, out), out)
    print_comparison(cmp)
    console.print(escape(f"written: {', '.join(str(f) for f in files)}"))


def print_comparison(cmp: object) -> None:
    """The ranked table of bets, the lever split and what common random numbers bought."""
    from sim.experiments.compare import Comparison

    assert isinstance(cmp, Comparison)
    cur = cmp.spec.currency

    def money(x: float | None) -> str:
        return _short(x)

    def share(x: float | None) -> str:
        return "n/a" if x is None or x != x else f"{x:.0%}"

    def month(x: float | None) -> str:
        return "never" if x is None or x != x else f"{x:.0f}"

    table = Table(title=f"{escape(cmp.spec.name)}: bets ranked by incremental NPV "
                  f"({cmp.replications} paired replications, seed {cmp.seed}, {cur})")
    for col in ("bet", "cost", "NPV vs baseline (95% CI)", "ROI (95% CI)", "payback month",
                "months to goal P50", "P(goal)", "P(best NPV)", "P(best time)"):
        table.add_column(col, justify="left" if col == "bet" else "right")
    for row in cmp.table().to_dict(orient="records"):
        base = row["bet"] == "baseline"
        table.add_row(
            escape(str(row["bet"])), money(row["cost"]),
            "—" if base else f"{money(row['npv'])} {_ci(row['npv_lo'], row['npv_hi'], money)}",
            "—" if base else f"{share(row['roi'])} {_ci(row['roi_lo'], row['roi_hi'], share)}",
            "—" if base else month(row["payback_month"]), month(row["months_to_goal_p50"]),
            share(row["p_goal"]), share(row["p_best_npv"]), share(row["p_best_time"]))
    console.print(table)
    changes = Table(title=f"what changes against the baseline: mean (95% CI), {cur}")
    shown = {"total_revenue": "revenue", "total_profit": "profit", "cltv_with_tail": "CLTV",
             "cac": "CAC", "customer_equity": "customer equity"}
    changes.add_column("bet")
    for label in shown.values():
        changes.add_column(label, justify="right")
    for name in cmp.names[1:]:
        cells = []
        for metric in shown:
            p = cmp.paired(name, metric)
            cells.append(f"{money(p['mean'])} {_ci(p['ci_low'], p['ci_high'], money)}")
        changes.add_row(escape(name), *cells)
    console.print(changes)
    levers = Table(title=f"why: incremental revenue split into the four levers ({cur})")
    for col in ("bet", "leads", "conversion", "average check", "frequency",
                "clients you had", "total"):
        levers.add_column(col, justify="left" if col == "bet" else "right")
    for row in cmp.levers().to_dict(orient="records"):
        levers.add_row(escape(str(row["bet"])), *(money(row[c]) for c in (
            "leads", "conversion", "average_check", "frequency", "starting_clients", "total")))
    console.print(levers)
    reduction = cmp.variance_reduction()
    gains = [v for v in reduction.values() if v == v and v != float("inf")]
    exact = [escape(n) for n, v in reduction.items() if v == float("inf")]
    if gains:
        console.print(f"common random numbers: the paired standard error of NPV differences is "
                      f"{min(gains):.1f}x to {max(gains):.1f}x smaller than independent runs'")
    if exact:
        console.print(f"exact differences (the same in every replication): {', '.join(exact)}")
    for name, why in cmp.skipped:
        console.print(f"[yellow]left out[/] {escape(name)}: {escape(why)}")
    if cmp.settled is not None:
        rounds = f"{cmp.replications} replications in rounds {cmp.rounds}"
        if cmp.settled:
            tied = cmp.could_be_best[1:]
            tie = f", tied exactly with {escape(', '.join(tied))}" if tied else ""
            console.print(f"settled: {escape(cmp.could_be_best[0])} is best{tie} ({rounds})")
        else:
            console.print(f"not settled at the cap ({rounds}); could still be best: "
                          + escape(", ".join(cmp.could_be_best)))


def _size(x: float | None) -> str:
    return "above --high" if x is None else f"{x:,.4g}"


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
    workers: Annotated[int | None, typer.Option("--workers", min=1)] = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option("--out", help="folder for seek.json")] = Path("out"),
) -> None:
    """Goal seek: the smallest size of a bet that reaches P(goal by deadline) >= --target."""
    from sim.experiments.goalseek import seek_size
    from sim.report.output import write_seek

    spec = _load(scenario, set_)
    _writable(out)

    def progress(step: int, size: float, p: float) -> None:
        errors.print(f"  step {step}: size {size:,.4g} -> P(goal) {p:.0%}")

    try:
        with _interruptible(f"seeking the size of {bet}", out):
            result = seek_size(spec, bet, high, low, change, target, reps, seed,
                               workers=workers, progress=progress)
    except ValueError as err:  # also pydantic's ValidationError: a size out of the field's range
        raise _fail(str(err).split("\n    For further information")[0]) from None
    [path] = _written(lambda: write_seek(result.to_dict(), out), out)
    what = f"{result.operation} {escape(result.path)}"
    if result.size is None:
        tried = result.evaluations[-1][0] if result.evaluations else high
        console.print(f"[bold red]not reached[/]: even {what} = {tried:,.4g} gives P(goal) below "
                      f"{target:.0%}; raise --high or rethink the bet")
    else:
        lo_ci, hi_ci = result.p_goal_ci or (0.0, 1.0)
        console.print(f"[bold]{escape(result.bet)}[/]: {what} = [bold]{result.size:,.4g}[/] "
                      f"reaches P(goal) = {result.p_goal:.0%} (95% CI {lo_ci:.0%}–{hi_ci:.0%}) "
                      f">= {target:.0%}; over replications the answer ranges P10 "
                      f"{_size(result.size_p10)} … P90 {_size(result.size_p90)}")
        if result.unreached_share:
            console.print(f"in {result.unreached_share:.0%} of bootstrap resamples no size up to "
                          f"{result.evaluations[-1][0]:,.4g} reached the target")
    console.print(escape(f"written: {path}"))


@app.command()
def bench(
    scenario: Annotated[Path, typer.Option(help="scenario to time")] = Path(
        "scenarios/reference.yaml"),
    reps: Annotated[int, typer.Option(help="replications for the worker speed-up")] = 8,
    quick: Annotated[bool, typer.Option(help="smaller memory runs (10 and 20 reps)")] = False,
) -> None:
    """Measure the engine against a raw SimPy loop, the worker speed-up and peak memory."""
    from sim.cli.bench import run_benchmarks

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
