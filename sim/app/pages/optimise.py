"""The optimiser's page: how to split the money to reach the goal soonest, most surely or with
the most NPV (`sim.experiments.optimise`, worded by `sim.report.optimise`)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import streamlit as st

from models.load import scenario_hash
from models.spec.scenario import Scenario
from models.words import Lang, t
from sim.app.running import cached_run, requested, stopped_before_answer
from sim.app.state import state, synced
from sim.app.widgets import chart, cols, provenance, show_table
from sim.experiments.optimise import (
    OBJECTIVES,
    BetChoice,
    Constraints,
    OptimisationResult,
    covered_bets,
    default_variables,
    optimise,
)
from sim.report import optimise as report

SCREEN_REPS = 10  # replications per trial; the sidebar's replications check the finalists


def _escaped(text: str) -> str:
    return text.replace("$", "\\$")  # "$" would start LaTeX in Streamlit's markdown


def render(result: OptimisationResult, lang: Lang) -> None:
    provenance(result.spec, result.final_replications, result.seed, lang)
    lines = report.summary_lines(result, lang)
    (st.success if result.settled else st.info)("\n\n".join(_escaped(x) for x in lines))
    st.subheader(t("optimise.sub_allocation", lang))
    show_table(report.allocation_view(result, lang), "opt-allocation")
    chart(st, lambda: report.allocation_chart(result, lang), "opt-allocation-chart", lang)
    st.subheader(t("optimise.sub_figures", lang))
    # a column per allocation, a row per figure: eleven figures side by side did not fit
    figures = report.figures_view(result, lang)
    figures = (figures.set_index(figures.columns[0]).T.rename_axis(t("owner.what", lang))
               .reset_index())
    show_table(figures, "opt-figures")
    st.subheader(t("optimise.sub_marginal", lang))
    show_table(report.marginal_view(result, lang), "opt-marginal")
    c = cols(2)
    chart(c[0], lambda: report.marginal_chart(result, lang), "opt-marginal-chart", lang)
    chart(c[1], lambda: report.trials_chart(result, lang), "opt-trials-chart", lang)


def page(spec: Scenario, lang: Lang) -> None:
    st.header(t("app.page_optimise", lang))
    st.caption(t("optimise.ui_intro", lang))
    variables = {v.path: v for v in default_variables(spec)}
    objectives = [o for o in OBJECTIVES if spec.goal is not None or o not in
                  ("p_goal", "months_to_goal")]
    # the options compare compares, switched on or off by default, except those a parameter
    # above decides (`covered_bets`: 'more ads' is the channel's budget)
    covered = covered_bets(spec, list(variables.values()))
    bets = [b.name for b in spec.bets if b.name not in covered]
    # settings per scenario (another scenario has other channels and bets)
    sfx = scenario_hash(spec)
    keys = (f"opt_objective:{sfx}", f"opt_budget:{sfx}", f"opt_trials:{sfx}",
            f"opt_vars:{sfx}", f"opt_bets:{sfx}")
    for k, default in zip(keys, ("npv", 0.0, 30, list(variables), list(bets)), strict=True):
        state().setdefault(k, default)
    c = cols(3)
    with c[0]:
        synced(st.selectbox, keys[0], lang, label=t("optimise.ui_objective", lang),
               options=objectives, index=objectives.index(state()[keys[0]])
               if state()[keys[0]] in objectives else 0,
               format_func=lambda o: t(f"optimise.{o}", lang))
    with c[1]:
        synced(st.number_input, keys[1], lang, label=t("optimise.ui_budget", lang),
               min_value=0.0, value=float(state()[keys[1]]), step=100000.0, format="%.0f")
    with c[2]:
        synced(st.number_input, keys[2], lang, label=t("optimise.ui_trials", lang), min_value=5,
               max_value=500, value=int(state()[keys[2]]), step=5)
    synced(st.multiselect, keys[3], lang, placeholder=t("app.choose", lang),
           label=t("optimise.ui_variables", lang),
           options=list(variables), default=[p for p in state()[keys[3]] if p in variables],
           format_func=lambda p: report.variable_label(p, spec, lang).strip("`"))
    if bets:
        synced(st.multiselect, keys[4], lang, placeholder=t("app.choose", lang),
               label=t("optimise.ui_bets", lang), options=bets,
               default=[b for b in state()[keys[4]] if b in bets],
               format_func=lambda b: report.bet_label(b, spec, lang))
    if covered:
        st.caption(t("optimise.bets_covered", lang, names=", ".join(
            report.bet_label(b, spec, lang) for b in covered)))
    settings = requested(f"optimise_settings:{sfx}", keys, t("optimise.ui_run", lang), lang)
    if settings is None:
        return
    objective, budget, trials, chosen, chosen_bets = settings
    if not chosen and not chosen_bets:
        st.warning(t("optimise.ui_choose", lang))
        return

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> OptimisationResult:
        chosen_vars = [variables[p] for p in chosen if p in variables]
        clash = set(covered_bets(spec, chosen_vars))  # never two settings of one parameter
        return optimise(spec, chosen_vars,
                        [BetChoice(b) for b in chosen_bets if b in bets and b not in clash],
                        objective,
                        Constraints(budget_monthly=budget or None), trials=int(trials),
                        replications=SCREEN_REPS, final_replications=reps, seed=seed,
                        executor=pool, progress=progress, engine="fast")

    reps, seed = int(state()["reps"]), int(state()["seed"])
    if stopped_before_answer(("optimise", sfx, settings, reps, seed), lang):
        return
    result = cached_run(("optimise", sfx, settings), reps, seed, lang, run,
                        t("optimise.ui_running", lang), stoppable=True)
    render(result, lang)
