"""The stress page: the plan under shocks to demand, conversion, payment and churn."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import pandas as pd
import streamlit as st

from models.compiled.bets import stress_shocks
from models.load import scenario_hash
from models.spec.scenario import Scenario
from models.words import Lang, t
from models.words.formats import money, money_column, percent
from sim.app import widgets
from sim.app.running import final, progressive, requested
from sim.app.state import state, synced
from sim.app.widgets import (
    chart,
    cols,
    months_text,
    provenance,
    renamed,
    show_table,
)
from sim.experiments.compare import Comparison, compare_bets
from sim.experiments.montecarlo import goal_value
from sim.experiments.runner.statistics import describe
from sim.report import charts, export
from sim.report.export import alternative_name
from sim.report.i18n import metric_label, tooltip


def page(spec: Scenario, lang: Lang) -> None:
    st.header(t("app.page_stress", lang))
    st.caption(t("app.stress_caption", lang))
    h = spec.horizon_months
    sfx = scenario_hash(spec)  # the months offered depend on the scenario's horizon
    keys = (f"st_start:{sfx}", f"st_duration:{sfx}", f"st_severity:{sfx}")
    for k, default in zip(keys, (min(3, h), min(6, h), 1.0), strict=True):
        state().setdefault(k, default)
    c = cols(3)
    with c[0]:
        synced(st.number_input, keys[0], lang, label=t("app.shock_start", lang), min_value=1,
                max_value=h, value=int(state()[keys[0]]))
    with c[1]:
        synced(st.number_input, keys[1], lang, label=t("app.shock_duration", lang), min_value=1,
                max_value=h, value=int(state()[keys[1]]))
    with c[2]:
        synced(st.slider, keys[2], lang, label=t("app.severity", lang), min_value=0.5,
                max_value=2.0, value=float(state()[keys[2]]), step=0.25)
    engine = widgets.engine_choice(lang)
    settings = requested(f"stress_settings:{sfx}", keys, t("app.stress_run", lang), lang)
    if settings is None:
        return
    start, duration_, severity = settings
    shocks = stress_shocks(spec, int(start), int(duration_), float(severity))
    cur = spec.currency

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> Comparison:
        return compare_bets(spec, shocks, replications=reps, seed=seed, progress=progress,
                            executor=pool, engine=engine)

    def render(cmp: Comparison, tag: str) -> None:
        provenance(spec, cmp.replications, cmp.seed, lang, cmp.engine)
        table = cmp.table().set_index("bet")
        # the NPV changes and their intervals at one scale ('RUB 0.2M' beside 'RUB 11.1M')
        npv = [table.loc[n, k] for k in ("npv", "npv_lo", "npv_hi") for n in cmp.names]
        npv_text = dict(zip(((k, n) for k in ("npv", "npv_lo", "npv_hi") for n in cmp.names),
                            money_column(npv, cur, lang), strict=True))
        rows = []
        for name in cmp.names:
            profit = describe(cmp.scalars[name]["total_profit"])
            r = table.loc[name]
            rows.append({
                t("app.shock", lang): alternative_name(name, spec, lang),
                metric_label("p_goal", lang): percent(r["p_goal"], lang),
                t("app.profit_mean_band", lang): (
                    f"{money(profit['mean'], cur, lang, compact=True)} "
                    f"({money(profit['p10'], cur, lang, compact=True)} … "
                    f"{money(profit['p90'], cur, lang, compact=True)})"),
                t("app.npv_change", lang): (f"{npv_text['npv', name]} [{npv_text['npv_lo', name]}"
                                        f" … {npv_text['npv_hi', name]}]"),
                t("app.months_to_goal", lang): months_text(r["months_to_goal_p10"],
                                                   r["months_to_goal_p50"],
                                                   r["months_to_goal_p90"]),
            })
        st.subheader(t("app.stress_table", lang))
        show_table(pd.DataFrame(rows), f"stress-{tag}",
                   {metric_label("p_goal", lang): st.column_config.Column(
                       help=tooltip("p_goal", lang))})
        goal = spec.goal
        title = (t("app.goal_at_deadline", lang, metric=t(f"goal.{goal.metric}", lang),
                   month=goal.deadline_month) if goal is not None
                 else metric_label("cumulative_profit", lang))
        counts = goal is not None and goal.metric == "active_clients"
        outcome = {alternative_name(n, spec, lang): goal_value(cmp.monthly[n], spec)
                   for n in cmp.names}
        c1, c2 = st.columns(2)
        y_title = t("app.clients_unit", lang) if counts else ""
        chart(c1, lambda: charts.outcome_distribution(outcome, lang, title, y_title=y_title,
                                                      currency=None if counts else cur),
              f"box-{tag}", lang)
        q = renamed(cmp.monthly_quantiles(), spec, lang)
        chart(c2, lambda: charts.fan_chart(q, "cumulative_profit", lang,
                                           t("app.cum_profit_per_shock", lang), group="bet",
                                           currency=cur),
              f"stressfan-{tag}", lang)
        if final(tag):  # the page's tables and charts to take away (sim.report.export)
            widgets.downloads(("stress", scenario_hash(spec), settings, engine, cmp.replications,
                       cmp.seed), lang, lambda: export.stress_report(cmp, lang))

    progressive(("stress", scenario_hash(spec), settings, engine), lang, run, render,
                t("app.run_stress", lang), engine)

