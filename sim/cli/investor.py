"""`growthsim sensitivity` and `growthsim stress`: an investor's questions of a plan.

Registered in `sim.cli.main` (one line each). The helpers of `sim.cli.main` (loading a scenario
with a clear message, exit code 2, the engine check) are imported when a command runs, so this
module and `main` can import each other in either order.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sim.engines import ENGINE_NAMES

console = Console()
errors = Console(stderr=True)



class EngineName(StrEnum):
    """The engines `--engine` offers (as `sim.cli.main.Engine`, kept here so that this module
    does not import `main` at import time)."""

    agent = "agent"
    fast = "fast"


assert tuple(EngineName) == ENGINE_NAMES, "the CLI offers every engine, no other"


class Method(StrEnum):
    sobol = "sobol"
    morris = "morris"


class Criterion(StrEnum):
    goal = "goal"
    npv = "npv"


ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file, e.g. "
                                             "scenarios/reference.yaml")]
EngineOpt = Annotated[EngineName, typer.Option(
    "--engine", help="agent: the SimPy agent model (the reference); fast: the same model "
    "compiled with numba")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="override a parameter: path=value (repeatable)")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="root random seed")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")]


def _print_table(frame: Any, title: str, digits: int = 3) -> None:
    from sim.report.terminal import escape as safe

    table = Table(title=safe(title), show_lines=False)
    for column in frame.columns:
        table.add_column(safe(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(safe(f"{v:.{digits}g}" if isinstance(v, float) else
                             "-" if v is None else v) for v in row))
    console.print(table)


def sensitivity(
    scenario: ScenarioArg,
    method: Annotated[Method, typer.Option("--method", help="sobol: first-order and total "
                                           "indices with intervals; morris: a cheap screen")
                      ] = Method.sobol,
    n: Annotated[int, typer.Option("--n", min=2, help="Sobol: base sample N, a power of 2 "
                                   "(N x (k + 2) points); Morris: trajectories")] = 64,
    reps: Annotated[int, typer.Option("--reps", min=1, help="replications per sample point "
                                      "(2 or more to measure the simulation's noise)")] = 2,
    range_: Annotated[list[str] | None, typer.Option(
        "--range", help="also vary a parameter uniformly: path=low:high (repeatable), e.g. "
        "--range sales.managers=3:6")] = None,
    tornado_reps: Annotated[int, typer.Option("--tornado-reps", min=0, help="replications "
                                              "per point of the tornado (0: no tornado)")] = 10,
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option("--out", help="folder for sensitivity.json and "
                                      "sensitivity.parquet")] = Path("out"),
    engine: EngineOpt = EngineName.fast,
) -> None:
    """Which assumptions carry the plan: Sobol or Morris indices of NPV, months to goal and
    profit, by parameter, lever and journey stage; and the tornado."""
    import pandas as pd

    from sim.cli.main import Engine, _check_engine, _fail, _load
    from sim.experiments import sensitivity as sa
    from sim.report.output import write_json, write_parquet
    from sim.report.sensitivity import note_text, w

    spec = _load(scenario, set_)
    engine_name = _check_engine(Engine(engine.value))
    try:
        ranges = [sa.parse_range(r) for r in range_ or []]
        if method == Method.sobol:
            result = sa.sobol(spec, n, reps, seed, ranges, workers=workers, engine=engine_name)
        else:
            result = sa.morris(spec, n, reps, seed, ranges, workers=workers, engine=engine_name)
        torn = (sa.tornado(spec, tornado_reps, seed, ranges, workers=workers, engine=engine_name)
                if tornado_reps else None)
    except ValueError as err:
        raise _fail(str(err)) from None
    doc = result.to_dict()
    if torn is not None:
        doc["tornado"] = torn.to_dict()["metrics"]
    json_path, parquet_path = out / "sensitivity.json", out / "sensitivity.parquet"
    write_json(json_path, doc)
    write_parquet(parquet_path, result.frame())
    for metric in result.indices:
        frame = result.indices[metric]
        if method == Method.sobol:
            frame = frame.sort_values("ST", ascending=False)
            compact = pd.DataFrame({
                "parameter": frame["name"],
                "S1 [95%]": [f"{m:.2f} [{lo:.2f}, {hi:.2f}]" for m, lo, hi in
                             frame[["S1", "S1_low", "S1_high"]].to_numpy()],
                "ST [95%]": [f"{m:.2f} [{lo:.2f}, {hi:.2f}]" for m, lo, hi in
                             frame[["ST", "ST_low", "ST_high"]].to_numpy()]})
        else:
            compact = frame[["name", "mu_star", "mu_star_low", "mu_star_high", "sigma"]]
        _print_table(compact, w(metric, "en"))
        noise = result.noise[metric]
        console.print(w("noise_share", "en", share=f"{noise:.0%}" if noise == noise else
                        "not measured (one replication per point)"))
    for by, per_metric in result.groups.items():  # NPV's, by lever, stage, correlated block
        frame = per_metric["npv_profit"]
        column = "ST" if method == Method.sobol else "mu_star"
        _print_table(frame.sort_values(column, ascending=False)[
            ["name", column, f"{column}_low", f"{column}_high"]],
            f"{w('npv_profit', 'en')}, {w(f'by_{by}', 'en')}", 2)
    for note in result.notes:
        console.print(note_text(note, "en"))
    if torn is not None:
        table = torn.table["npv_profit"]
        _print_table(table[["factor", "low_value", "high_value", "at_low", "at_high", "swing"]],
                     w("tornado_title", "en", metric=w("npv_profit", "en")), 4)
    console.print(f"{result.runs} runs in {result.seconds:.1f} s; written: {json_path}, "
                  f"{parquet_path}")


def stress(
    scenario: ScenarioArg,
    preset: Annotated[list[str] | None, typer.Option(
        "--preset", help="recession, cac_spike, churn_spike, payments_delayed, manager_leaves, "
        "channel_off or channel_off:NAME (repeatable; default: all that apply)")] = None,
    shock: Annotated[list[str] | None, typer.Option(
        "--shock", help="a custom shock path:op:value, op set/scale/add (repeatable; each one "
        "its own shock), e.g. --shock tiers.*.monthly_churn:scale:1.5")] = None,
    combine: Annotated[bool, typer.Option("--combine", help="also run every shock named "
                                          "acting together")] = False,
    severity: Annotated[float, typer.Option("--severity", min=0.01,
                                            help="presets' size (1: as described)")] = 1.0,
    start: Annotated[int, typer.Option("--start", min=1, help="month the shocks start")] = 1,
    months: Annotated[int | None, typer.Option("--months", min=1, help="how long they last "
                                               "(default: to the horizon)")] = None,
    reverse: Annotated[bool, typer.Option("--reverse", help="reverse stress test: the smallest "
                                          "shock of each lever that breaks the plan")] = False,
    break_: Annotated[list[str] | None, typer.Option(
        "--break", help="with --reverse: also a parameter, path or path:up (repeatable)")
    ] = None,
    criterion: Annotated[Criterion | None, typer.Option(
        "--criterion", help="goal: P(goal by the deadline) below --threshold; npv: mean NPV "
        "below zero (default: goal if the scenario has one)")] = None,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.01, max=0.99, help="with --reverse and --criterion goal: the "
        "chance of the goal below which the plan counts as broken (default: half the plan's "
        "own chance)")] = None,
    reps: Annotated[int, typer.Option("--reps", min=2, help="replications per shock")] = 40,
    seed: SeedOpt = 1,
    workers: WorkersOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option("--out", help="folder for stress.json and "
                                      "stress_monthly.parquet")] = Path("out"),
    engine: EngineOpt = EngineName.fast,
) -> None:
    """What shocks the plan survives (against the plan on common random numbers) and, with
    --reverse, how large a shock breaks it."""
    from sim.cli.main import Engine, _check_engine, _fail, _load
    from sim.experiments import stress as st
    from sim.report.output import write_json, write_parquet
    from sim.report.sensitivity import reverse_note, w
    from sim.report.terminal import escape

    spec = _load(scenario, set_)
    engine_name = _check_engine(Engine(engine.value))
    try:
        breaks = [st.parameter_target(b) for b in break_ or []]
        for target in breaks:
            st.check_target(spec, target)
        names = preset if preset is not None else (
            [] if shock else [p for p in st.PRESETS if _applies(spec, p)])
        shocks = [st.preset(spec, p, start, months, severity) for p in names]
        shocks += [st.custom_shock(spec, [s], start, months) for s in shock or []]
        if combine and len(shocks) > 1:
            shocks.append(st.combined(shocks, "combined"))
        result = st.stress_test(spec, shocks, reps, seed, workers, engine=engine_name)
        rev = None
        if reverse:
            targets = st.lever_targets(spec) + breaks
            rev = st.reverse_stress(spec, targets, criterion.value if criterion else None,
                                    threshold, reps, seed, start, months, workers=workers,
                                    engine=engine_name)
    except ValueError as err:  # also pydantic's: a shock pushes a value out of its range
        raise _fail(str(err).split("\n    For further information")[0]) from None
    doc = result.to_dict()
    if rev is not None:
        doc["reverse"] = rev.to_dict()
    json_path, parquet_path = out / "stress.json", out / "stress_monthly.parquet"
    write_json(json_path, doc)
    write_parquet(parquet_path, result.comparison.monthly_quantiles())
    # Short column names in the terminal (80 columns); the files and the app have them all.
    frame = result.table()
    _print_table(frame[["shock", "npv_mean", "npv_p10", "npv_p90", "p_goal", "delta_npv",
                        "delta_p_goal"]], w("stress_title", "en"), 4)
    if rev is not None:
        _print_table(rev.table()[["target", "unit", "size", "size_low", "size_high",
                                  "value_at_size", "value_unshocked"]],
                     w("reverse_title", "en"), 3)
        note = reverse_note(rev, "en", spec.currency)
        if note is not None:  # a plan broken before any shock is said, not left to zeros
            console.print(escape(note), style="yellow" if rev.plan_broken else None)
    console.print(f"written: {json_path}, {parquet_path}")


def _applies(spec: object, name: str) -> bool:
    """Is the preset meaningful for this scenario (e.g. a manager can leave)?"""
    from sim.experiments.stress import preset_changes

    try:
        preset_changes(spec, name)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True
