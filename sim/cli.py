"""`growthsim`: the command line, a thin layer over `sim.montecarlo` and `models.loader`.

Exit codes: 0 success, 2 bad input (scenario, override, option), 1 anything else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from models.loader import ScenarioError, load_scenario
from models.paths import PathError
from models.scenario import Scenario
from sim.cli_calibrate import app as calibrate_app

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
        from models.sampling import correlation_matrix, uncertain_parameters

        correlation_matrix(spec, [p for p, _ in uncertain_parameters(spec)])
        return spec
    except ScenarioError as err:  # name the file, whatever label the loader used
        raise _fail(str(ScenarioError(str(path), err.problems))) from None
    except PathError as err:
        raise _fail(f"--set {err}") from None


def _money(x: float | None, currency: str) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.0f} {currency}".replace(",", " ")


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and say what is wrong, field by field."""
    spec = _load(scenario, set_)
    from models.sampling import uncertain_parameters

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
    from sim.montecarlo import run_monte_carlo
    from sim.output import write_results

    spec = _load(scenario, set_)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=errors, transient=True) as bar:
        task = bar.add_task(f"simulating {escape(spec.name)}", total=reps)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_monte_carlo(spec, reps, seed, workers, precision, max(max_reps, reps),
                                 progress)
    files = write_results(result, out)
    print_owner_view(result)
    if precision is not None:
        console.print(f"--precision {precision}%: {result.replications} replications in "
                      f"{len(result.rounds)} round(s) {result.rounds}")
    console.print(escape(f"written: {', '.join(str(f) for f in files)}"))


def print_owner_view(result: object) -> None:
    """The owner's control panel in the terminal: leads, buyers, money, and where it leaks."""
    from sim.montecarlo import MonteCarloResult

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
    from models.ledger import LEAKS

    leaks = Table(title="where money leaks (over the horizon)")
    leaks.add_column("stage")
    leaks.add_column("lost leads / clients", justify="right")
    leaks.add_column("revenue they would have brought", justify="right")
    for leak in LEAKS:
        count, lost = mean(f"{leak}_count"), mean(f"{leak}_revenue")
        leaks.add_row(leak.removeprefix("lost_").replace("_", " "),
                      f"{count:,.0f}" if count is not None else "n/a", _money(lost, cur))
    console.print(leaks)


@app.command()
def bench(
    scenario: Annotated[Path, typer.Option(help="scenario to time")] = Path(
        "scenarios/reference.yaml"),
    reps: Annotated[int, typer.Option(help="replications for the worker speed-up")] = 8,
    quick: Annotated[bool, typer.Option(help="smaller memory runs (10 and 20 reps)")] = False,
) -> None:
    """Measure the engine against a raw SimPy loop, the worker speed-up and peak memory."""
    from sim.bench import run_benchmarks

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
