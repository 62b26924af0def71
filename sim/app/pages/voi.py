"""The investor page's question "what is worth learning before choosing": EVPI and EVPPI of the
choice among the scenario's bets (`sim.experiments.voi`), shown through `sim.report.voi` (the
owner's sentence, a bar chart of EVPPI per assumption with its interval, the tables by
assumption, lever and journey stage, the downloads).

`section(spec, lang)` is called by the investor page (`sim.app.pages.sensitivity`). It runs on
the fast engine with the sidebar's replications, a quick answer first (`progressive`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import streamlit as st

from models.load import scenario_hash
from models.spec.scenario import Scenario
from models.words import Lang, t
from sim.app.running import final, progressive, requested
from sim.app.state import state, synced
from sim.app.widgets import downloads, provenance
from sim.experiments.voi import MIN_REPLICATIONS, ValueOfInformation, value_of_information
from sim.report import voi as report
from sim.report.export import alternative_name

ENGINE = "fast"  # every option a few hundred times: the numba engine


def section(spec: Scenario, lang: Lang) -> None:
    """Choose the bets, run, and show what knowing each assumption first is worth."""
    st.caption(t("voi.caption", lang))
    names = [b.name for b in spec.bets]
    if not names:
        st.info(t("voi.no_decision", lang))
        return
    sfx = scenario_hash(spec)
    key = f"voi_bets:{sfx}"
    state().setdefault(key, names)
    synced(st.multiselect, key, lang, placeholder=t("app.choose", lang),
           label=t("voi.bets", lang), options=names,
           default=[b for b in state()[key] if b in names],
           format_func=lambda b: alternative_name(b, spec, lang))
    settings = requested(f"voi_settings:{sfx}", (key,), t("voi.run", lang), lang)
    if settings is None:
        return
    bets = list(settings[0])
    if not bets:
        st.warning(t("voi.choose_bets", lang))
        return
    if int(state()["reps"]) < MIN_REPLICATIONS:
        st.warning(t("voi.min_reps", lang, n=MIN_REPLICATIONS))
        return

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> ValueOfInformation:
        return value_of_information(spec, bets, replications=reps, seed=seed,
                                    executor=pool, engine=ENGINE, progress=progress)

    def render(result: ValueOfInformation, tag: str) -> None:
        provenance(spec, result.replications, result.seed, lang, ENGINE)
        lines = report.summary_lines(result, lang, spec)
        # "$" would start LaTeX in markdown
        st.info("\n\n".join(line.replace("$", "\\$") for line in lines))
        if not result.evppi:
            return
        st.plotly_chart(report.evppi_figure(result, lang, spec), key=f"voi-{tag}")
        st.dataframe(report.parameter_table(result, lang, spec), hide_index=True,
                     key=f"voi-table-{tag}")
        c = st.columns(2)
        for col, by in zip(c, ("lever", "stage"), strict=True):
            col.caption(t(f"voi.by_{by}", lang))
            col.dataframe(report.group_table(result, by, lang), hide_index=True,
                          key=f"voi-{by}-{tag}")
        if final(tag):
            downloads(("voi", sfx, settings, result.replications, result.seed), lang,
                      lambda: report.export_report(result, lang, spec))

    progressive(("voi", sfx, settings), lang, run, render, t("voi.running", lang), ENGINE)
