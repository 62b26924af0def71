"""The investor's page: which assumptions carry the plan (Sobol, Morris), the tornado, shocks
(presets and own ones) and what breaks the plan (the reverse stress test).

Every run is the library's (`sim.experiments.sensitivity`, `sim.experiments.stress`) on the
fast engine, shown through `sim.report.sensitivity`, with the progress bar, the quick answer and
Stop of `sim.app.running`. The tornado, the shocks and the reverse test refine over the
sidebar's replications (`progressive`); the Sobol and Morris analyses refine over their sample
size N instead (`_refined_sample`, the same steps as `progressive`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import pandas as pd
import streamlit as st

from models.compiled.bets import compile_alternative
from models.load import scenario_hash
from models.spec.errors import error_text
from models.spec.scenario import Bet, Scenario
from sim.app.pages import voi as voi_page
from sim.app.running import (
    cached_run,
    progressive,
    requested,
    result_store,
    resume,
    stopped,
    stopped_before_answer,
    top_slot,
)
from sim.app.state import scenario_title, state, synced
from sim.app.widgets import chart, cols, provenance, show_table
from sim.experiments import sensitivity as sa
from sim.experiments import stress as stress_lib
from sim.report import sensitivity as report
from sim.report.i18n import Lang, percent, t

ENGINE = "fast"  # thousands of runs: the numba engine, the same model as the agent engine
SECTIONS = ("sobol", "tornado", "stress", "reverse", "voi")
METHODS = ("sobol", "morris")
SAMPLE_SIZES = (4, 8, 16, 32, 64, 128, 256, 512, 1024)
DEFAULT_SAMPLE = 256
WIDE_INTERVAL = 0.3  # a Sobol index's 95% interval wider than this is not a figure to quote
QUICK_SAMPLE = 8  # Sobol's and Morris's quick answer: N = 8 comes in seconds
REVERSE_TOLERANCE = 0.02  # of each lever's range: 7 halvings at most


def w(key: str, lang: Lang, **values: object) -> str:
    return report.w(key, lang, **values)


def page(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_sensitivity", lang))
    st.caption(w("page_caption", lang))
    state().setdefault("inv_section", SECTIONS[0])
    synced(st.radio, "inv_section", lang, label=w("section", lang), options=SECTIONS,
           index=SECTIONS.index(state()["inv_section"]), horizontal=True,
           format_func=lambda s: w(f"section_{s}", lang))
    {"sobol": _sobol, "tornado": _tornado, "stress": _stress,
     "reverse": _reverse, "voi": voi_page.section}[state()["inv_section"]](spec, lang)


def _defaults(keys: tuple[str, ...], values: tuple[Any, ...]) -> None:
    for k, v in zip(keys, values, strict=True):
        state().setdefault(k, v)


def _error(err: ValueError, lang: Lang) -> None:
    """The library's message in `lang` (a `Message` carries both; `str(err)` is English)."""
    st.error(error_text(err, lang))


# --- what carries the plan: Sobol and Morris ---------------------------------------------------
def _runs(spec: Scenario, method: str, n: int, reps: int) -> int:
    return sa.planned_runs(spec, method, n, reps)


def _refined_sample(key: tuple[Any, ...], spec: Scenario, method: str, n: int, reps: int,
                    lang: Lang, render: Callable[[sa.SensitivityResult, str], None]) -> None:
    """A quick answer at N = 8, then refined to N in place; Stop keeps the quick answer and
    offers to refine again (as `sim.app.running.progressive`, over N instead of replications).
    """
    seed = int(state()["seed"])
    state()["seen_results"] = True

    def runner(size: int) -> Callable[[int, int, Callable[[int, int], None], Executor], Any]:
        def run(_runs: int, seed: int, progress: Callable[[int, int], None],
                pool: Executor) -> sa.SensitivityResult:
            analyse = sa.sobol if method == "sobol" else sa.morris
            return analyse(spec, size, replications=reps, seed=seed, executor=pool, engine=ENGINE,
                           progress=progress)
        return run

    def at(size: int, **kwargs: Any) -> sa.SensitivityResult:
        return cached_run((*key, size), _runs(spec, method, size, reps), seed, lang,
                          runner(size), w("what_sensitivity", lang), **kwargs)

    holder = st.empty()
    quick = min(QUICK_SAMPLE, n)
    full_key = (*key, n, _runs(spec, method, n, reps), seed)
    if result_store().get(full_key) is None and quick < n:
        if stopped_before_answer((*key, quick, _runs(spec, method, quick, reps), seed), lang):
            return
        result = at(quick, stoppable=True)
        with holder.container():
            render(result, "quick")
        if stopped(full_key):
            top_slot().button(w("refine_sample", lang, total=n), on_click=resume)
            return
        result = at(n, note=w("quick_sample", lang, n=quick, total=n), stoppable=True)
    else:
        if stopped_before_answer(full_key, lang):
            return
        result = at(n, stoppable=True)
    with holder.container():
        render(result, "full")


def _outcome_choice(spec: Scenario, lang: Lang, key: str,
                    method: str | None = None) -> tuple[str, str]:
    """The outcome shown (and, for Sobol and Morris, the grouping): chosen above the results,
    which a quick answer and its refinement both draw (widgets once per page run)."""
    _defaults((key, f"{key}:by"), ("npv_profit", "parameter"))
    c = cols(2)
    with c[0]:
        synced(st.selectbox, key, lang, label=w("outcome", lang), options=sa.METRICS,
               index=sa.METRICS.index(state()[key]), format_func=lambda m: w(m, lang))
    if method is None:
        return str(state()[key]), "parameter"
    bys = ("parameter", *sa.grouping_names(spec, method))
    if state()[f"{key}:by"] not in bys:
        state()[f"{key}:by"] = "parameter"
    with c[1]:
        synced(st.radio, f"{key}:by", lang, label=w("grouping", lang), options=bys,
               index=bys.index(state()[f"{key}:by"]), horizontal=True,
               format_func=lambda b: w(f"by_{b}", lang))
    return str(state()[key]), str(state()[f"{key}:by"])


def _sobol(spec: Scenario, lang: Lang) -> None:
    sfx = scenario_hash(spec)
    if not _has_factors(spec, lang):
        return
    keys = (f"inv_method:{sfx}", f"inv_n:{sfx}", f"inv_reps:{sfx}")
    # N = 256 by default: at 32 the 95% intervals ran from −11% to 109% and first-order
    # indices came out above total ones; a quick answer at N = 8 shows first meanwhile
    _defaults(keys, ("sobol", DEFAULT_SAMPLE, 2))
    c = cols(3)
    with c[0]:
        synced(st.radio, keys[0], lang, label=w("method", lang), options=METHODS,
               index=METHODS.index(state()[keys[0]]),
               format_func=lambda m: w(f"method_{m}", lang))
    with c[1]:
        synced(st.selectbox, keys[1], lang, label=w("sample_n", lang), options=SAMPLE_SIZES,
               index=SAMPLE_SIZES.index(state()[keys[1]]), help=w("sample_n_help", lang))
    with c[2]:
        synced(st.number_input, keys[2], lang, label=w("reps_per_point", lang), min_value=1,
               max_value=10, value=int(state()[keys[2]]), step=1,
               help=w("reps_per_point_help", lang))
    settings = requested(f"inv_sobol_settings:{sfx}", keys, w("run_sensitivity", lang), lang)
    if settings is None:
        return
    method, n, reps = str(settings[0]), int(settings[1]), int(settings[2])

    metric, by = _outcome_choice(spec, lang, f"inv_metric:{sfx}", method)

    def render(result: sa.SensitivityResult, tag: str) -> None:
        st.caption(w("sens_provenance", lang, name=scenario_title(spec, lang), n=result.n,
                     reps=result.replications, runs=result.runs, seed=result.seed))
        if result.notes:
            st.info("\n\n".join(report.note_text(note, lang) for note in result.notes))
        if result.method == "sobol":
            st.caption(w("sobol_caption", lang))
            warning = _sobol_warning(result, metric, lang, by, spec)
            if warning:
                st.warning(warning)
            chart(st, lambda: report.sobol_figure(result, metric, lang, by, spec),
                  f"sobol-{tag}", lang)
            show_table(_sobol_view(result, metric, lang, by, spec), f"sobol-table-{tag}")
        else:
            st.caption(w("morris_caption", lang))
            chart(st, lambda: report.morris_figure(result, metric, lang, by, spec),
                  f"morris-{tag}", lang)
            show_table(report.morris_table(result, metric, lang, by, spec), f"morris-table-{tag}")

    _refined_sample(("sensitivity", sfx, method, reps), spec, method, n, reps, lang, render)


def _sobol_warning(result: sa.SensitivityResult, metric: str, lang: Lang, by: str,
                   spec: Scenario) -> str | None:
    """A warning when the indices are too imprecise to quote: an interval wider than
    `WIDE_INTERVAL`, or a first-order index above its total one (impossible for the true
    values: the sample is too small)."""
    frame = report.sobol_table(result, metric, lang, by, spec)
    _, s1, s1_lo, s1_hi, st_, st_lo, st_hi = frame.columns
    widths = pd.concat([frame[s1_hi] - frame[s1_lo], frame[st_hi] - frame[st_lo]])
    above = bool((frame[s1] > frame[st_] + 0.05).any())
    widest = float(widths.max()) if len(widths) else 0.0
    if widest <= WIDE_INTERVAL and not above:
        return None
    text = w("sobol_imprecise", lang, n=result.n, width=percent(widest, lang))
    return text + (" " + w("sobol_s1_above_st", lang) if above else "")


def _shocks_view(result: stress_lib.StressResult, lang: Lang, spec: Scenario) -> pd.DataFrame:
    """The shocks' table with each figure's 95% interval beside it ('60% [41% … 77%]'), so
    that its fifteen columns fit the page as nine."""
    raw = result.table()
    shown = report.stress_table(result, lang, spec, formatted=True)
    names = dict(zip(raw.columns, shown.columns, strict=True))
    out: dict[str, Any] = {}
    for c in raw.columns:
        if f"{c}_low" in names and f"{c}_high" in names:
            out[f"{names[c]} [95%]"] = [
                f"{m} [{a} … {b}]" for m, a, b in zip(
                    shown[names[c]], shown[names[f"{c}_low"]], shown[names[f"{c}_high"]],
                    strict=True)]
        elif not (c.endswith(("_low", "_high")) and c.rsplit("_", 1)[0] in names):
            out[names[c]] = shown[names[c]]
    return pd.DataFrame(out)


def _sobol_view(result: sa.SensitivityResult, metric: str, lang: Lang, by: str,
                spec: Scenario) -> pd.DataFrame:
    """The Sobol table in three columns (name, S1 [95% interval], ST [95% interval]), so that
    it fits the page."""
    frame = report.sobol_table(result, metric, lang, by, spec, formatted=True)
    name, s1, s1_lo, s1_hi, st_, st_lo, st_hi = frame.columns
    return pd.DataFrame({
        name: frame[name],
        f"{s1} [95%]": [f"{a} [{b} … {c}]" for a, b, c in zip(frame[s1], frame[s1_lo],
                                                             frame[s1_hi], strict=True)],
        f"{st_} [95%]": [f"{a} [{b} … {c}]" for a, b, c in zip(frame[st_], frame[st_lo],
                                                              frame[st_hi], strict=True)]})


# --- the tornado -----------------------------------------------------------------------------
def _tornado(spec: Scenario, lang: Lang) -> None:
    sfx = scenario_hash(spec)
    st.caption(w("tornado_caption", lang))
    if not _has_factors(spec, lang):
        return
    settings = requested(f"inv_tornado_settings:{sfx}", (), w("run_tornado", lang), lang)
    if settings is None:
        return

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> sa.Tornado:
        return sa.tornado(spec, replications=reps, seed=seed, executor=pool, engine=ENGINE,
                          progress=progress)

    metric, _ = _outcome_choice(spec, lang, f"inv_tmetric:{sfx}")

    def render(torn: sa.Tornado, tag: str) -> None:
        provenance(spec, torn.replications, torn.seed, lang)
        chart(st, lambda: report.tornado_figure(torn, metric, lang, spec), f"tornado-{tag}", lang)
        table = report.tornado_table(torn, metric, lang, spec, spec.currency)
        # the assumption's long name wraps, so that the outcomes fit the page
        show_table(table, f"tornado-table-{tag}")

    progressive(("tornado", sfx), lang, run, render, w("what_tornado", lang))


def _has_factors(spec: Scenario, lang: Lang) -> bool:
    """Whether the scenario has an uncertain parameter to analyse (if not, says how to add
    one)."""
    try:
        sa.require_factors(sa.factors(spec))
    except ValueError as err:
        _error(err, lang)
        return False
    return True


# --- shocks: presets and own ones --------------------------------------------------------------
def _shock_options(spec: Scenario) -> list[str]:
    """The presets that apply to the scenario (a manager can leave only a team of two or
    more), a channel switched off for each channel."""
    def applies(name: str) -> bool:
        try:
            stress_lib.preset_changes(spec, name)
        except ValueError:
            return False
        return True

    presets = [p for p in stress_lib.PRESETS if p != "channel_off" and applies(p)]
    return [*presets, *(f"channel_off:{c.name}" for c in spec.channels)]


def _timing(spec: Scenario, lang: Lang, prefix: str, sfx: str,
            with_severity: bool) -> tuple[str, ...]:
    h = spec.horizon_months
    keys = (f"{prefix}_start:{sfx}", f"{prefix}_months:{sfx}", f"{prefix}_severity:{sfx}")
    _defaults(keys, (min(3, h), min(6, h), 1.0))
    c = cols(3)
    with c[0]:
        synced(st.number_input, keys[0], lang, label=w("stress_start", lang), min_value=1,
               max_value=h, value=int(state()[keys[0]]))
    with c[1]:
        synced(st.number_input, keys[1], lang, label=w("stress_months", lang), min_value=1,
               max_value=h, value=int(state()[keys[1]]))
    if with_severity:
        with c[2]:
            synced(st.slider, keys[2], lang, label=w("stress_severity", lang), min_value=0.25,
                   max_value=3.0, value=float(state()[keys[2]]), step=0.25)
    return keys if with_severity else keys[:2]


def _shocks(spec: Scenario, settings: tuple[Any, ...]) -> list[Bet]:
    """The shocks asked for: presets, own shocks (one per line), and all of them together."""
    start, months, severity, chosen, own, combine = settings
    shocks = [stress_lib.preset(spec, name, int(start), int(months), float(severity))
              for name in chosen]
    lines = [line.strip() for line in str(own).splitlines() if line.strip()]
    for i, line in enumerate(lines, 1):
        shocks.append(stress_lib.custom_shock(spec, [line], int(start), int(months),
                                              name=f"custom:{i}"))
    if combine and len(shocks) > 1:
        shocks.append(stress_lib.combined(shocks, name="combined"))
    return shocks


def _stress(spec: Scenario, lang: Lang) -> None:
    sfx = scenario_hash(spec)
    timing = _timing(spec, lang, "inv_st", sfx, with_severity=True)
    keys = (*timing, f"inv_presets:{sfx}", f"inv_own:{sfx}", f"inv_combine:{sfx}")
    options = _shock_options(spec)
    _defaults(keys[3:], (["recession", "churn_spike"], "", False))
    synced(st.multiselect, keys[3], lang, placeholder=t("choose", lang),
           label=w("presets", lang), options=options,
           default=[o for o in state()[keys[3]] if o in options],
           format_func=lambda o: report.shock_label(o, lang, spec))
    synced(st.text_area, keys[4], lang, label=w("custom_shocks", lang),
           value=str(state()[keys[4]]), help=w("custom_shocks_help", lang), height=80)
    synced(st.checkbox, keys[5], lang, label=w("combine", lang), value=bool(state()[keys[5]]))
    settings = requested(f"inv_stress_settings:{sfx}", keys, w("run_shocks", lang), lang)
    if settings is None:
        return
    try:
        shocks = _shocks(spec, settings)
        if not shocks:
            st.warning(w("choose_shock", lang))
            return
        for shock in shocks:  # a shock that cannot apply: said before any run
            compile_alternative(spec, [shock])
    except ValueError as err:
        _error(err, lang)
        return
    own = [s for s in shocks if s.name.startswith("custom:")]
    if own:
        with st.expander(w("own_shock_changes", lang)):
            for s in own:
                st.markdown(f"{report.shock_label(s.name, lang, spec)}: `{s.description}`")

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> stress_lib.StressResult:
        return stress_lib.stress_test(spec, shocks, replications=reps, seed=seed, executor=pool,
                                      engine=ENGINE,
                                      progress=progress)

    def render(result: stress_lib.StressResult, tag: str) -> None:
        provenance(spec, result.comparison.replications, result.comparison.seed, lang)
        c = st.columns(2)
        if spec.goal is not None:
            chart(c[0], lambda: report.stress_figure(result, lang, spec), f"shocks-{tag}", lang)
        chart(c[1], lambda: report.stress_npv_figure(result, lang, spec), f"shocks-npv-{tag}", lang)
        show_table(_shocks_view(result, lang, spec), f"shocks-table-{tag}")

    progressive(("shocks", sfx, settings), lang, run, render, w("what_shocks", lang))


# --- what breaks the plan: the reverse stress test ---------------------------------------------
def _reverse(spec: Scenario, lang: Lang) -> None:
    sfx = scenario_hash(spec)
    st.caption(w("reverse_caption", lang))
    criteria = ("goal", "npv") if spec.goal is not None else ("npv",)
    start_key = f"inv_rv_start:{sfx}"
    keys = (start_key, f"inv_criterion:{sfx}", f"inv_threshold:{sfx}", f"inv_breaks:{sfx}")
    _defaults(keys, (1, criteria[0], 0, []))  # threshold 0: half the plan's own chance
    if state()[keys[1]] not in criteria:
        state()[keys[1]] = criteria[0]
    c = cols(3)
    with c[0]:
        synced(st.number_input, keys[0], lang, label=w("stress_start", lang), min_value=1,
               max_value=spec.horizon_months, value=int(state()[keys[0]]))
    with c[1]:
        synced(st.radio, keys[1], lang, label=w("criterion", lang), options=criteria,
               index=criteria.index(state()[keys[1]]),
               format_func=lambda k: w(f"criterion_{k}", lang))
    with c[2]:
        synced(st.slider, keys[2], lang,
               label=f'{w("threshold", lang)} ({t("threshold_auto", lang)})', min_value=0,
               max_value=95, value=int(state()[keys[2]]), step=5)
    # Besides the levers: any uncertain assumption, pushed down or up.
    options = [f"{f.path}:{d}" for f in sa.factors(spec) for d in ("down", "up")]
    synced(st.multiselect, keys[3], lang, placeholder=t("choose", lang),
           label=w("break_parameters", lang), options=options,
           default=[o for o in state()[keys[3]] if o in options],
           format_func=lambda o: report.target_label(o, lang, spec))
    settings = requested(f"inv_reverse_settings:{sfx}", keys, w("run_reverse", lang), lang)
    if settings is None:
        return
    start, criterion = int(settings[0]), str(settings[1])
    threshold = int(settings[2]) / 100 or None  # 0: `default_threshold` of the plan's chance
    try:
        extra = [stress_lib.parameter_target(b) for b in settings[3]]
        for target in extra:  # a shock that cannot apply: said before any run
            stress_lib.check_target(spec, target)
    except ValueError as err:
        _error(err, lang)
        return
    targets = stress_lib.lever_targets(spec) + extra
    # Bisection: the two ends, then halvings down to the tolerance (the bar's total; a plan
    # broken without a shock or holding at the largest stops sooner).
    per_target = 2 + math.ceil(math.log2(1 / REVERSE_TOLERANCE))

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> stress_lib.ReverseResult:
        done = [0]

        def step(_target: str, _size: float, _value: float) -> None:
            done[0] += 1
            progress(done[0] * reps, per_target * len(targets) * reps)

        return stress_lib.reverse_stress(spec, targets, criterion, threshold, replications=reps,
                                         seed=seed,
                                         start_month=start, tolerance=REVERSE_TOLERANCE,
                                         executor=pool, engine=ENGINE, progress=step)

    def render(result: stress_lib.ReverseResult, tag: str) -> None:
        provenance(spec, result.replications, result.seed, lang)
        st.subheader(report.w("reverse_title", lang))
        note = report.reverse_note(result, lang, spec.currency)
        if note is not None:  # a plan broken before any shock is said, not left to zeros
            (st.warning if result.plan_broken else st.caption)(note)
        show_table(report.reverse_table(result, lang, spec), f"reverse-{tag}")

    progressive(("reverse", sfx, settings), lang, run, render, w("what_reverse", lang))
