"""`growthsim sensitivity` and `growthsim stress`: an investor's questions of a plan.

Registered in `sim.cli.main` (one line each). The helpers of `sim.cli.main` (loading a scenario
with a clear message, exit code 2, the engine check) are imported when a command runs, so this
module and `main` can import each other in either order.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from models.words import t, word
from sim.cli import common
from sim.cli.options import DEFAULT_ENGINE, EngineName, EngineOpt, LangName, LangOpt, lang_of
from sim.experiments.parallel import resolve_workers
from sim.report.terminal import escape

if TYPE_CHECKING:
    import pandas as pd

console = Console()
errors = Console(stderr=True)

__all__ = ["EngineName", "sensitivity", "stress"]  # EngineName: track's and optimise's import


class Method(StrEnum):
    sobol = "sobol"
    morris = "morris"


class Criterion(StrEnum):
    goal = "goal"
    npv = "npv"


ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file, e.g. "
                                             "scenarios/reference.yaml")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="override a parameter: path=value (repeatable)")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="root random seed")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1,
                                                help="processes (default: all cores)")]


def _print_table(frame: pd.DataFrame, title: str) -> None:
    from sim.report.terminal import print_frame

    print_frame(console, frame, title)


def _with_interval(mid: pd.Series, low: pd.Series, high: pd.Series) -> list[str]:
    """ "12% (8–15%)": a figure and its 95% interval in one cell."""
    return [f"{m} ({lo}–{hi})" for m, lo, hi in zip(mid, low, high, strict=True)]


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
    engine: EngineOpt = DEFAULT_ENGINE,
    no_time_limit: Annotated[bool, typer.Option(
        "--no-time-limit", help="run even when the estimate is over a day")] = False,
    lang: LangOpt = LangName.en,
) -> None:
    """Which assumptions carry the plan: Sobol or Morris indices of NPV, months to goal and
    profit, by parameter, lever and journey stage; and the tornado."""
    import pandas as pd

    from models.words.formats import number, percent, size_text
    from sim.cli.main import Engine, _check_engine, _fail, _load
    from sim.experiments import sensitivity as sa
    from sim.report import sensitivity as words
    from sim.report.output import write_json, write_parquet
    from sim.report.sensitivity import note_text
    from sim.report.terminal import say


    common.check_finite_parts("--range", range_)
    spec = _load(scenario, set_)
    engine_name = _check_engine(Engine(engine.value))
    common.check_out(out)
    try:
        ranges = [sa.parse_range(r) for r in range_ or []]
        runs = sa.planned_runs(spec, method.value, n, reps, ranges=ranges)
        if tornado_reps:
            runs += 2 * len(sa.factors(spec, ranges)) * tornado_reps + tornado_reps
        errors.print(escape(common.check_work(
            f"sensitivity ({method.value}, --n {n}, --reps {reps})", runs,
            common.seconds_per_run(spec, engine_name), resolve_workers(workers),
            t("cli.smaller_n_reps", lang_of(lang)), no_time_limit)))
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=errors, transient=True) as bar:
            task = bar.add_task("sensitivity", total=runs)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if method == Method.sobol:
                result = sa.sobol(spec, n, reps, seed, ranges, workers=workers,
                                  engine=engine_name, progress=progress)
            else:
                result = sa.morris(spec, n, reps, seed, ranges, workers=workers,
                                   engine=engine_name, progress=progress)
            bar.update(task, description="tornado", completed=0, total=None)
            torn = (sa.tornado(spec, tornado_reps, seed, ranges, workers=workers,
                               engine=engine_name, progress=progress)
                    if tornado_reps else None)
    except ValueError as err:
        raise _fail(str(err)) from None
    doc = result.to_dict()
    if torn is not None:
        doc["tornado"] = torn.to_dict()["metrics"]
    json_path, parquet_path = out / "sensitivity.json", out / "sensitivity.parquet"
    write_json(json_path, doc)
    write_parquet(parquet_path, result.frame())
    language = lang_of(lang)

    def indices(metric: str, by: str) -> pd.DataFrame:
        """Sobol's S1 and ST, or Morris's mu* and sigma, each with its 95% interval."""
        if method == Method.sobol:
            frame = words.sobol_table(result, metric, language, by=by, spec=spec,
                                      formatted=True)
            cells = {word("sensitivity", k, language): _with_interval(frame[word("sensitivity", k,
                                                                                 language)],
                                                    frame[word("sensitivity", f"{k}_low",
                                                               language)],
                                                    frame[word("sensitivity", f"{k}_high",
                                                               language)])
                     for k in (("S1", "ST") if by == "parameter" else ("ST",))}
        else:
            frame = words.morris_table(result, metric, language, by=by, spec=spec)
            fmt = {c: pd.Series([size_text(v, language) for v in frame[word("sensitivity", c,
                                                                            language)]])
                   for c in ("mu_star", "mu_star_low", "mu_star_high", "sigma")}
            cells = {t("sensitivity.mu_star", language): _with_interval(
                fmt["mu_star"], fmt["mu_star_low"], fmt["mu_star_high"])}
            if by == "parameter":
                cells[t("sensitivity.sigma", language)] = list(fmt["sigma"])
        return pd.DataFrame({t("sensitivity.name", language): list(frame[t("sensitivity.name",
                                                                           language)]), **cells})

    for metric in result.indices:
        _print_table(indices(metric, "parameter"), word("sensitivity", metric, language))
        noise = result.noise[metric]
        say(console, t("sensitivity.noise_share", language, share=percent(noise, language)
                       if noise == noise else t("terminal.noise_not_measured", language)))
    for by in result.groups:  # NPV's, by lever, stage, correlated block
        _print_table(indices("npv_profit", by),
                     f"{t('sensitivity.npv_profit', language)}, "
                     f"{word('sensitivity', f'by_{by}', language)}")
    for note in result.notes:
        say(console, note_text(note, language))
    if torn is not None:
        table = words.tornado_table(torn, "npv_profit", language, spec, spec.currency)
        _print_table(table[[word("sensitivity", c, language) for c in ("factor", "low_value",
                                                                       "high_value",
                                                       "at_low", "at_high", "swing")]],
                     t("sensitivity.tornado_title", language, metric=t("sensitivity.npv_profit",
                                                                       language)))
    say(console, t("terminal.runs_written", language, runs=number(result.runs, language),
                   seconds=number(result.seconds, language, 1),
                   files=f"{json_path}, {parquet_path}"))


def stress(
    scenario: ScenarioArg,
    preset: Annotated[list[str] | None, typer.Option(
        "--preset", help="recession, cac_spike, churn_spike, payments_delayed, manager_leaves, "
        "channel_off or channel_off:NAME (repeatable; default: all that apply)")] = None,
    shock: Annotated[list[str] | None, typer.Option(
        "--shock", help="a custom shock path:op:value, op set/scale/add (repeatable; each one "
        "its own shock), e.g. --shock sales.managers:add:-1")] = None,
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
    engine: EngineOpt = DEFAULT_ENGINE,
    lang: LangOpt = LangName.en,
) -> None:
    """What shocks the plan survives (against the plan on common random numbers) and, with
    --reverse, how large a shock breaks it."""
    from sim.cli.main import Engine, _check_engine, _fail, _load
    from sim.experiments import stress as st
    from sim.report import sensitivity as words
    from sim.report.output import write_json, write_parquet
    from sim.report.sensitivity import reverse_note
    from sim.report.terminal import say


    common.check_finite(("--severity", severity))
    common.check_finite_parts("--shock", shock)
    spec = _load(scenario, set_)
    engine_name = _check_engine(Engine(engine.value))
    common.check_out(out)
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
    # The columns that fit 80 columns, as the app words and formats them; the files have all.
    language = lang_of(lang)
    frame = words.stress_table(result, language, spec, formatted=True)
    _print_table(frame[[word("sensitivity", c, language) for c in ("shock", "npv_mean", "npv_p10",
                                                                   "npv_p90",
                                                  "p_goal", "delta_npv", "delta_p_goal")]],
                 t("sensitivity.stress_title", language))
    if rev is not None:
        table = words.reverse_table(rev, language, spec)
        size, low, high = (table[word("sensitivity", c, language)] for c in ("size", "size_low",
                                                                             "size_high"))
        shown = table[[word("sensitivity", c, language) for c in ("target", "unit", "size")]].copy()
        shown[t("sensitivity.size", language)] = [
            s if lo == s and hi == s else f"{s} ({lo}–{hi})"
            for s, lo, hi in zip(size, low, high, strict=True)]
        shown[t("sensitivity.value_at_size", language)] = table[t("sensitivity.value_at_size",
                                                                  language)]
        broken = table[t("sensitivity.already_broken", language)] == t("sensitivity.yes", language)
        if broken.any() and not broken.all():  # all broken: the sentence below says so
            shown[t("sensitivity.already_broken",
                    language)] = table[t("sensitivity.already_broken", language)]
        _print_table(shown, t("sensitivity.reverse_title", language))
        note = reverse_note(rev, language, spec.currency)
        if note is not None:  # a plan broken before any shock is said, not left to zeros
            say(console, note, style="bold yellow" if rev.plan_broken else None)
    say(console, t("terminal.written", language, files=f"{json_path}, {parquet_path}"))


def _applies(spec: object, name: str) -> bool:
    """Is the preset meaningful for this scenario (e.g. a manager can leave)?"""
    from sim.experiments.stress import preset_changes

    try:
        preset_changes(spec, name)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True
