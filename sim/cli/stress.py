"""`growthsim stress`: what shocks the plan survives and, with --reverse, how large a shock breaks
it (`sim.experiments.stress`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from models.spec.errors import Message
from models.words import t, word
from sim.cli import common
from sim.cli.common import ScenarioArg, SeedOpt, SetOpt, WorkersOpt, console
from sim.cli.options import DEFAULT_ENGINE, EngineOpt, LangName, LangOpt, lang_of


class Criterion(StrEnum):
    goal = "goal"
    npv = "npv"


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
    lang_of(lang)  # from here on, refusals (a bad scenario too) speak --lang
    from sim.experiments import stress as st
    from sim.report import sensitivity as words
    from sim.report.output import write_json, write_parquet
    from sim.report.sensitivity import reverse_note
    from sim.report.terminal import say


    common.check_finite(("--severity", severity))
    common.check_finite_parts("--shock", shock)
    spec = common.load(scenario, set_)
    engine_name = common.check_engine(engine)
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
        result = st.stress_test(spec, shocks, replications=reps, seed=seed, workers=workers,
                                engine=engine_name)
        rev = None
        if reverse:
            targets = st.lever_targets(spec) + breaks
            rev = st.reverse_stress(spec, targets, criterion.value if criterion else None,
                                    threshold, replications=reps, seed=seed, start_month=start,
                                    duration_months=months, workers=workers, engine=engine_name)
    except ValueError as err:  # also pydantic's: a shock pushes a value out of its range
        said = err.args[0] if err.args and isinstance(err.args[0], Message) else None
        raise common.fail(said or str(err).split("\n    For further information")[0]) from None
    doc = result.to_dict()
    if rev is not None:
        doc["reverse"] = rev.to_dict()
    json_path, parquet_path = out / "stress.json", out / "stress_monthly.parquet"
    write_json(json_path, doc)
    write_parquet(parquet_path, result.comparison.monthly_quantiles())
    # The columns that fit 80 columns, as the app words and formats them; the files have all.
    language = lang_of(lang)
    frame = words.stress_table(result, language, spec, formatted=True)
    common.print_table(frame[[word("sensitivity", c, language) for c in ("shock", "npv_mean",
                                                                         "npv_p10", "npv_p90",
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
        common.print_table(shown, t("sensitivity.reverse_title", language))
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
