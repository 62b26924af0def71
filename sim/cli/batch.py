"""`growthsim batch SWEEP --out DIR` and `growthsim results DIR`: sweeps into a results store.

`batch` runs the sweep's missing tasks (all of them the first time; after a kill, only those not
yet in the store), on this machine's cores, a local Dask cluster or an existing one, then writes
the summary tables. `results` reads the store with DuckDB and prints the summary. Exit codes as
every command: 0 success, 2 bad input (sweep file, option, folder), 1 tasks that failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from models.spec.errors import localized
from models.words import Lang, t
from models.words.formats import number, percent
from sim.cli import common
from sim.cli.common import console, errors
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt
from sim.engines import ENGINE_NAMES, get_engine
from sim.report.terminal import escape  # also shows control characters (escape sequences)

_SHOWN = 12  # rows of the ranked table in the terminal (the files have every row)

def _fail(message: object) -> typer.Exit:
    return common.fail(message)


def _lang(lang: str) -> Lang:
    if lang not in ("en", "ru"):
        from models.spec.messages import msg

        raise _fail(msg("lang_unknown", lang=lang))
    return "ru" if lang == "ru" else "en"


def _params(row: Any, parameters: dict[str, str], lang: Lang = "en") -> str:
    return ", ".join(f"{k}={_value(row[k], lang)}" for k in parameters) or "-"


def _value(x: Any, lang: Lang = "en") -> str:
    """A parameter's value as a number in `lang` (never in exponent notation)."""
    from numbers import Real

    from models.words.formats import size_text

    if isinstance(x, str):  # a grid value kept as text ("1000000"): a number when it is one
        try:
            x = float(x)
        except ValueError:
            return x
    return size_text(float(x), lang) if isinstance(x, Real) and not isinstance(x, bool) else str(x)


def _path_heading(path: str) -> str:
    """A parameter path as a column heading: one part a line (`channels.` / `search_ads.` /
    `budget_monthly`), so that the column is as narrow as its figures allow."""
    return escape(".\n".join(path.split(".")))


def batch(
    sweep: Annotated[Path, typer.Argument(help="sweep YAML file, e.g. "
                                          "scenarios/sweeps/budgets_managers.yaml")],
    out: Annotated[Path, typer.Option("--out", help="results folder (created; a run started "
                                      "again on it runs only the missing tasks)")],
    engine: EngineOpt = DEFAULT_ENGINE,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="local processes (default: all cores)")] = None,
    dask_workers: Annotated[int | None, typer.Option(
        "--dask-workers", min=1, help="start a local Dask cluster of this many workers")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="join an existing Dask cluster: tcp://HOST:PORT")] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="run again the tasks that failed in an earlier run")] = False,
    lang: LangOpt = LangName.en,
    no_time_limit: Annotated[bool, typer.Option(
        "--no-time-limit", help="run even when the estimate is over a day")] = False,
) -> None:
    """Run a sweep (variants x bets x replications) into a crash-safe Parquet store."""
    from models.spec.messages import msg
    from sim.experiments.batch import ClusterLost, StoreMismatch, run_batch
    from sim.experiments.batch.store import StoreError
    from sim.experiments.batch.sweep import SweepError, plan_sweep
    from sim.experiments.runner.executors import ExecutorError, open_executor

    language = _lang(lang)
    if workers is not None and (dask_workers is not None or scheduler is not None):
        raise _fail(msg("workers_with_dask"))
    if engine not in ENGINE_NAMES:
        raise _fail(msg("engine_unknown", engine=engine, names=", ".join(ENGINE_NAMES)))
    try:
        get_engine(engine)
    except ValueError as err:
        raise _fail(f"--engine {engine}: {err}") from None
    common.check_out(out, create=False)
    try:
        with common.progress_bar() as checking:
            check = checking.add_task(t("batch.checking_variants", language), total=None)
            plan = plan_sweep(sweep, lambda done, total: checking.update(
                check, completed=done, total=total))
    except SweepError as err:
        raise _fail(common.scenario_problems(err.source, err.problems)) from None
    if scheduler is None:  # a cluster's size is known once joined: no estimate there
        runs = sum(len(v.alternatives) for v in plan.variants) * plan.spec.replications
        errors.print(escape(common.check_work(
            t("batch.work_what", language, n=number(len(plan.variants), language)), runs,
            common.seconds_per_run(plan.variants[0].spec, engine),
            dask_workers or workers or _cores(), t("batch.work_fix", language),
            no_time_limit)))
    try:
        with open_executor(workers, dask_workers, scheduler) as where, Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[failed]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=errors, transient=False) as bar:
            bar_task = bar.add_task(t("batch.batch_progress", language), total=None, failed="")

            def progress(done: int, failed: int, total: int) -> None:
                label = t("batch.batch_failed_count", language, n=failed) if failed else ""
                bar.update(bar_task, completed=done + failed, total=total, failed=label)

            errors.print(escape(t("batch.batch_running", language,
                                  name=common.shorten(plan.spec.name, "the sweep's name"),
                                  total=_task_count(plan), variants=len(plan.variants),
                                  where=localized(where.label, language))))
            report = run_batch(plan, out, engine, where.executor, where.parallelism,
                               retry_failed, where.name, progress, where.alive)
    except (StoreMismatch, ExecutorError, StoreError) as err:
        raise _fail(err.args[0] if err.args else str(err)) from None
    except ClusterLost as err:  # not the tasks' fault: none is recorded as failed
        raise common.fault(msg("cluster_lost", why=err, folder=out)) from None
    console.print(t("batch.batch_done", language, ran=report.ran,
                    seconds=number(report.seconds, language, 1), already=report.already))
    _report(out, language)
    for record in report.failed:
        first, stop = record["replications"]
        errors.print(escape(t("batch.batch_task_failed", language, variant=record["variant"],
                              params=", ".join(f"{k}={_value(v)}"
                                               for k, v in record["params"].items()) or "-",
                              alternative=record["alternative"], seed=record["seed"],
                              first=first, last=stop - 1, error=record["error"])),
                     highlight=False, soft_wrap=True)
    if report.failed:
        errors.print(escape(t("batch.batch_failed_hint", language, n=len(report.failed),
                              folder=out / "failures")))
    if report.skipped_failed:
        errors.print(escape(t("batch.batch_skipped_failed", language, n=report.skipped_failed)))
    if not report.complete:
        raise typer.Exit(code=1)


def _cores() -> int:
    from sim.experiments.runner.parallel import resolve_workers

    return resolve_workers(None)


def _task_count(plan: Any) -> int:
    chunks = -(-plan.spec.replications // plan.spec.chunk)
    return sum(len(v.alternatives) for v in plan.variants) * chunks


def results(
    folder: Annotated[Path, typer.Argument(help="the --out folder of growthsim batch")],
    lang: LangOpt = LangName.en,
    monthly: Annotated[str | None, typer.Option(
        "--monthly", help="also print this monthly series (e.g. revenue) month by month for "
        "the best variant and its baseline")] = None,
    variant: Annotated[int | None, typer.Option(
        "--variant", min=0, help="--monthly: this variant instead of the best")] = None,
) -> None:
    """Summarise a batch's store: variants ranked, the best for the goal, each parameter's
    effect on NPV and P(goal); writes summary.parquet, summary.csv, sensitivity.csv and the
    monthly series' summary monthly.parquet, monthly.csv."""
    from sim.experiments.batch.store import StoreError, check_readable, read_manifest

    language = _lang(lang)
    if variant is not None and monthly is None:
        raise _fail("--variant chooses whose series --monthly prints; give --monthly too")
    try:
        manifest = read_manifest(folder)
        if manifest is not None:  # else `_report` says it is not a store
            check_readable(folder, manifest)
    except StoreError as err:
        raise _fail(err.message) from None
    if monthly is not None:
        from sim.experiments.batch import store

        known, manifest = store.monthly_metrics(folder), store.read_manifest(folder)
        if manifest is not None and monthly not in known:
            raise _fail(t("batch.monthly_none", language, folder=folder) if not known else
                        t("batch.monthly_unknown", language, metric=monthly,
                          known=", ".join(known)))
        if manifest is not None and variant is not None and variant >= manifest["variants"]:
            raise _fail(t("batch.monthly_no_variant", language, n=variant,
                           last=manifest["variants"] - 1))
    if not _report(folder, language, monthly, variant):
        raise typer.Exit(code=2)


def _monthly(folder: Path, lang: Lang, metric: str, row: Any, parameters: dict[str, str]) -> None:
    """`metric` month by month for one variant: the mean, P10 and P90 of its baseline and of
    the alternative of `row` (its best)."""
    from models.words.formats import short_number
    from sim.experiments.batch import store

    series = store.monthly(folder, metric, int(row["variant"]))
    if series.empty:
        return
    # the variant's best alternative and its baseline: two pairs of columns fit 80 columns
    names = list(dict.fromkeys(["baseline", str(row["alternative"])]))
    series = series[series["alternative"].isin(names)]
    table = Table(title=escape(t("batch.monthly_title", lang, metric=metric, variant=row["variant"],
                                  params=_params(row, parameters, lang),
                                  n=int(series["replications"].min()))))
    table.add_column(t("batch.monthly_month", lang), justify="right")
    for name in names:
        table.add_column(escape(f"{name}: {t('batch.monthly_mean', lang)}"), justify="right",
                         no_wrap=True)
        table.add_column("P10-P90", justify="right", no_wrap=True)
    for month, group in series.groupby("month", sort=True):
        cells = [str(month)]
        by_alt = group.set_index("alternative")
        for name in names:
            r = by_alt.loc[name]
            cells += [short_number(r["mean"], lang),
                      f"{short_number(r['p10'], lang)}..{short_number(r['p90'], lang)}"]
        table.add_row(*cells)
    console.print(table)


def _report(folder: Path, lang: Lang, monthly: str | None = None,
            variant: int | None = None) -> bool:
    """Print the summary of the store at `folder` and write its tables; False when there is no
    store there (the message said so)."""
    from models.words.formats import short_number
    from sim.experiments.batch import store
    from sim.report.terminal import fitted_tables, table_column

    try:
        manifest = store.read_manifest(folder)
    except store.StoreError as err:
        common.fail(err.message)
        return False
    if manifest is None:
        common.fail(t('batch.results_not_store', lang, folder=folder))
        return False
    table = store.summary(folder)
    if table.empty:
        errors.print(escape(t("batch.results_empty", lang, folder=folder)))
        return True
    parameters: dict[str, str] = manifest["parameters"]
    sens = store.sensitivity(table, parameters)
    files = store.write_tables(folder, table, sens, store.monthly(folder))
    done = store.done_parts(folder)
    missing = sum(1 for task in manifest["tasks"] if task["hash"] not in done)
    if missing:
        errors.print(escape(t("batch.results_missing", lang, missing=missing,
                              total=len(manifest["tasks"]))))

    has_goal = bool(table["p_goal"].notna().any())
    keys = ["p_goal", "npv"] if has_goal else ["npv"]
    ranked = table.sort_values(keys, ascending=False, kind="stable", na_position="last")
    # figures never wrap (a number is never split) and are written short; names wrap; a table
    # too wide for the terminal goes on in a second one
    shown = list(ranked.head(_SHOWN).to_dict(orient="records"))
    columns = [
        table_column(t("batch.results_variant", lang), [str(r["variant"]) for r in shown], True),
        table_column(t("batch.results_alternative", lang),
                     [escape(str(r["alternative"])) for r in shown], False),
        *(table_column(_path_heading(key), [escape(_value(r[key], lang)) for r in shown], True)
          for key in parameters),
        table_column(t("batch.results_npv", lang), [f"{short_number(r['npv'], lang)}\n"
                                              f"± {short_number(r['npv_se'], lang)}"
                                              for r in shown], True),
    ]
    if bool((table["alternative"] != "baseline").any()):  # else every gain is 0: no column
        columns.append(table_column(t("batch.results_gain", lang),
                                    [short_number(r["npv_gain"], lang) for r in shown], True))
    columns.append(table_column(t("batch.results_p_goal", lang),
                                [percent(r["p_goal"], lang) for r in shown], True))
    name = common.shorten(str(manifest["sweep"].get("name", "?")), "the sweep's name")
    title = escape(t("batch.results_title", lang, name=name, shown=min(_SHOWN, len(ranked)),
                     rows=len(ranked)))
    for grid in fitted_tables(title, columns, console.width, names=2):
        console.print(grid)
    top = store.best(table)
    values = {"variant": top["variant"], "params": escape(_params(top, parameters, lang)),
              "alternative": escape(str(top["alternative"])),
              "npv": short_number(top["npv"], lang),
              "p_goal": percent(top["p_goal"], lang)}
    console.print(t("batch.results_best" if has_goal else "batch.results_best_npv", lang, **values))
    base = sens[sens["alternative"] == "baseline"]
    if not base.empty:
        rows = list(base.to_dict(orient="records"))
        columns = [
            table_column(t("batch.results_parameter", lang),
                         [escape(str(r["parameter"])) for r in rows],
                    False),
            table_column(t("batch.results_value", lang), [escape(_value(r["value"], lang))
                                                    for r in rows], True),
            table_column(t("batch.results_variants", lang), [str(r["variants"]) for r in rows],
                         True),
            table_column("NPV", [short_number(r["npv"], lang) for r in rows], True),
            table_column(t("batch.results_p_goal", lang), [percent(r["p_goal"],
                                                                   lang) for r in rows],
                         True),
        ]
        for effect in fitted_tables(t("batch.results_sensitivity", lang), columns, console.width):
            console.print(effect)
    if monthly is not None:
        mine = ranked[ranked["variant"] == variant]
        chosen = top if variant is None else (mine.iloc[0] if not mine.empty else None)
        if chosen is not None:  # None: the variant's tasks are not in the store yet
            _monthly(folder, lang, monthly, chosen, parameters)
    skipped = manifest.get("skipped_portfolios", [])
    if skipped:
        errors.print(escape(t("batch.skipped_portfolios", lang, n=len(skipped))))
    console.print(escape(t("app.written", lang, files=", ".join(str(f) for f in files))))
    return True


def batch_benchmarks(scenario: Path, engine: str = DEFAULT_ENGINE, horizon: int = 3,
                     chunk: int | None = None, variants: int = 4,
                     out: Console | None = None, lang: Lang = "en") -> dict[str, float]:
    """`growthsim bench --batch`: the same small sweep (`variants` discount rates of `scenario`
    cut to `horizon` months, two tasks of `chunk` replications each) run serially, on 2 local
    processes and on a 1-worker local Dask cluster. Figures: 2 workers / 1 (target >= 1.8) and
    Dask's per-task overhead / a task's own time (target <= 5%).

    The variants differ only in the discount rate, which changes the NPV and not the work: the
    tasks are of one size, so the speed-up measures the executor (its start, pickling the task,
    sending the result, the parent writing the store) and not how unequal tasks happen to fall
    on two workers (a grid over team sizes made one worker wait for the other's longer task)."""
    import tempfile
    import time

    import yaml

    from models.load import load_scenario
    from sim.experiments.batch import run_batch
    from sim.experiments.batch.sweep import SweepSpec, plan_sweep
    from sim.experiments.batch.tasks import make_tasks, run_task
    from sim.experiments.runner.executors import open_executor

    out = out or console
    base = load_scenario(scenario)
    size = chunk or int(SweepSpec.model_fields["chunk"].default)
    overrides = [f"horizon_months={horizon}"]
    if base.goal is not None:
        overrides.append(f"goal.deadline_month={horizon}")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sweep = folder / "bench.yaml"
        sweep.write_text(yaml.safe_dump({
            "name": "bench", "scenarios": [str(scenario.resolve())], "set": overrides,
            "grid": {"discount_rate_annual": [round(0.10 + 0.02 * k, 2)
                                              for k in range(variants)]},
            "replications": 2 * size, "chunk": size, "seed": 1}), encoding="utf-8")
        plan = plan_sweep(sweep)

        def timed(where: Any, name: str) -> tuple[float, float, int]:
            start = time.perf_counter()
            report = run_batch(plan, folder / name, engine, where.executor, where.parallelism)
            return time.perf_counter() - start, report.task_seconds, report.ran

        run_task(make_tasks(plan, engine)[0])  # imports, compiled kernels: once, not timed
        with open_executor(workers=1) as where:
            t1, own1, tasks = timed(where, "serial")
        with open_executor(workers=2) as where:
            t2, own2, _ = timed(where, "pool")
        with open_executor(dask_workers=1) as where:
            timed(where, "warm-up-dask")  # the worker imports the engine once, as a long batch
            wall, own, _ = timed(where, "dask")
    overhead = max(0.0, wall - own) / tasks
    # The speed-up splits into the executor's share and the machine's: `busy` is the share of
    # the two workers' time spent inside tasks (1 - busy: starting the pool, pickling, sending
    # results, the parent writing the store, idle at the end), `slower` how much longer a task
    # took with two running than with one (the cores shared with other work, memory bandwidth).
    # speed-up = 2 * busy / slower.
    busy, slower = own2 / (2 * t2), (own2 / own1 if own1 > 0 else float("nan"))
    figures.update({"batch_tasks": tasks, "batch_replications_per_task": size,
                    "batch_seconds_1_worker": t1, "batch_seconds_2_workers": t2,
                    "batch_speedup_2_workers": t1 / t2, "batch_busy_2_workers": busy,
                    "batch_task_slowdown_2_workers": slower,
                    "dask_seconds_per_task": own / tasks, "dask_overhead_per_task": overhead,
                    "dask_overhead_ratio": overhead / (own / tasks)})
    table = Table(title=t("bench.batch_title", lang, name=base.name, tasks=tasks, size=size,
                          horizon=horizon, engine=engine))
    table.add_column(t("bench.col_figure", lang))
    table.add_column(t("bench.col_value", lang), justify="right")
    table.add_column(t("bench.col_target", lang), justify="right")
    table.add_row(t("bench.batch_workers_seconds", lang),
                  f"{number(t1, lang, 1)} / {number(t2, lang, 1)}", "")
    table.add_row(t("bench.batch_speedup", lang), number(t1 / t2, lang, 2), ">= 1.8")
    table.add_row(t("bench.batch_busy", lang), percent(busy, lang, 1), "")
    table.add_row(t("bench.batch_slower", lang), number(slower, lang, 2),
                  t("bench.when_idle", lang))
    table.add_row(t("bench.dask_task", lang), number(own / tasks, lang, 3), "")
    table.add_row(t("bench.dask_overhead", lang), number(overhead, lang, 3), "")
    table.add_row(t("bench.dask_ratio", lang), percent(overhead / (own / tasks), lang, 1),
                  f"<= {percent(0.05, lang)}")
    out.print(table)
    return figures
