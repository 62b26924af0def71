"""`growthsim sensitivity`: which assumptions carry the plan (`sim.experiments.sensitivity`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from models.words import t, word
from sim.cli import common
from sim.cli.common import ScenarioArg, SeedOpt, SetOpt, WorkersOpt, console, errors
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of
from sim.experiments.runner.parallel import resolve_workers
from sim.report.terminal import escape

if TYPE_CHECKING:
    import pandas as pd


class Method(StrEnum):
    sobol = "sobol"
    morris = "morris"


def parse_range(text: str) -> tuple[str, float, float]:
    """`path=low:high` (the `--range` option) as (path, low, high)."""
    path, sep, span = text.partition("=")
    low_text, colon, high_text = span.partition(":")
    try:
        if not (sep and colon and path.strip()):
            raise ValueError
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ValueError(f"--range {text!r}: write path=low:high, e.g. "
                         "--range sales.managers=3:6") from None
    if not high > low:
        raise ValueError(f"--range {text!r}: the high end must be above the low end")
    return path.strip(), low, high


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
    lang_of(lang)  # from here on, refusals (a bad scenario too) speak --lang
    import pandas as pd

    from models.words.formats import number, percent
    from sim.experiments import sensitivity as sa
    from sim.report import sensitivity as words
    from sim.report.output import write_json, write_parquet
    from sim.report.sensitivity import note_text
    from sim.report.terminal import say, size_text


    common.check_finite_parts("--range", range_)
    spec = common.load(scenario, set_)
    engine_name = common.check_engine(engine)
    common.check_out(out)
    try:
        ranges = [parse_range(r) for r in range_ or []]
        runs = sa.planned_runs(spec, method.value, n, reps, ranges=ranges)
        if tornado_reps:
            runs += 2 * len(sa.factors(spec, ranges)) * tornado_reps + tornado_reps
        errors.print(escape(common.check_work(
            t("sensitivity.work_what", lang_of(lang), method=method.value, n=n, reps=reps), runs,
            common.seconds_per_run(spec, engine_name), resolve_workers(workers),
            t("cli.smaller_n_reps", lang_of(lang)), no_time_limit)))
        with common.progress_bar() as bar:
            task = bar.add_task(t("cli.doing_sensitivity", lang_of(lang)), total=runs)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if method == Method.sobol:
                result = sa.sobol(spec, n, replications=reps, seed=seed, ranges=ranges,
                                  workers=workers,
                                  engine=engine_name, progress=progress)
            else:
                result = sa.morris(spec, n, replications=reps, seed=seed, ranges=ranges,
                                   workers=workers,
                                   engine=engine_name, progress=progress)
            bar.update(task, description="tornado", completed=0, total=None)
            torn = (sa.tornado(spec, replications=tornado_reps, seed=seed, ranges=ranges,
                               workers=workers,
                               engine=engine_name, progress=progress)
                    if tornado_reps else None)
    except ValueError as err:
        raise common.fail(str(err)) from None
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
        common.print_table(indices(metric, "parameter"), word("sensitivity", metric, language))
        noise = result.noise[metric]
        say(console, t("sensitivity.noise_share", language, share=percent(noise, language)
                       if noise == noise else t("terminal.noise_not_measured", language)))
    for by in result.groups:  # NPV's, by lever, stage, correlated block
        common.print_table(indices("npv_profit", by),
                           f"{t('sensitivity.npv_profit', language)}, "
                           f"{word('sensitivity', f'by_{by}', language)}")
    for note in result.notes:
        say(console, note_text(note, language))
    if torn is not None:
        table = words.tornado_table(torn, "npv_profit", language, spec, spec.currency)
        common.print_table(table[[word("sensitivity", c, language) for c in ("factor", "low_value",
                                                                             "high_value",
                                                       "at_low", "at_high", "swing")]],
                     t("sensitivity.tornado_title", language, metric=t("sensitivity.npv_profit",
                                                                       language)))
    say(console, t("terminal.runs_written", language, runs=number(result.runs, language),
                   seconds=number(result.seconds, language, 1),
                   files=f"{json_path}, {parquet_path}"))
