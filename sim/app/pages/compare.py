"""The bets page: which bet (or portfolio) to pick and why, on common random numbers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import pandas as pd
import streamlit as st

from models.load import scenario_hash
from models.spec.errors import error_text
from models.spec.scenario import Scenario, text_in
from models.words import Lang, t
from models.words.formats import money, money_column, percent
from sim.app.running import final, progressive, requested
from sim.app.state import state, synced
from sim.app.widgets import (
    chart,
    ci_text,
    cols,
    downloads,
    engine_choice,
    months_text,
    provenance,
    renamed,
    show_table,
)
from sim.experiments.compare import BASELINE, Comparison, alternatives, compare_bets, select_bets
from sim.report import charts, export, owner
from sim.report import leaks as leak_words
from sim.report.decision import decide, left_out_lines, summary_lines
from sim.report.export import alternative_name
from sim.report.i18n import metric_label, tooltip


def ranked_table(cmp: Comparison, lang: Lang) -> pd.DataFrame:
    """The comparison's ranked table (`Comparison.table()`) in the owner's words and money, the
    decision columns first, no intervals and no cost, so that it fits a 1280-pixel screen; those
    are in `interval_table`."""
    cur = cmp.spec.currency
    rows = []
    for r in cmp.table().to_dict(orient="records"):
        rows.append({
            metric_label("bet", lang): alternative_name(r["bet"], cmp.spec, lang),
            t("owner.col_p_goal", lang): percent(r["p_goal"], lang),
            t("owner.col_p_best_npv", lang): percent(r["p_best_npv"], lang),
            t("owner.col_p_best_time", lang): percent(r["p_best_time"], lang),
            metric_label("npv", lang): money(r["npv"], cur, lang, compact=True),
            metric_label("roi", lang): percent(r["roi"], lang),
            t("owner.payback", lang): months_text(r["payback_month"]),
        })
    frame = pd.DataFrame(rows)
    if len(frame):  # one scale in the column ('−RUB 0.9M' beside 'RUB 51.8M')
        frame[metric_label("npv", lang)] = money_column(list(cmp.table()["npv"]), cur, lang)
    return frame


def interval_table(cmp: Comparison, lang: Lang) -> pd.DataFrame:
    """The ranked table's details: each option's cost, NPV and ROI with 95% intervals, months
    to the goal P10 / P50 / P90."""
    cur = cmp.spec.currency
    rows = []
    for r in cmp.table().to_dict(orient="records"):
        rows.append({
            metric_label("bet", lang): alternative_name(r["bet"], cmp.spec, lang),
            metric_label("cost", lang): money(r["cost"], cur, lang),
            t("app.npv_ci", lang): ci_text(r["npv"], r["npv_lo"], r["npv_hi"],
                                   lambda x: money(x, cur, lang, compact=True)),
            t("app.roi_ci", lang): ci_text(r["roi"], r["roi_lo"], r["roi_hi"],
                                   lambda x: percent(x, lang)),
            t("app.months_to_goal", lang): months_text(r["months_to_goal_p10"],
                                                       r["months_to_goal_p50"],
                                               r["months_to_goal_p90"]),
        })
    return pd.DataFrame(rows)


def changes_table(cmp: Comparison, lang: Lang, intervals: bool = False) -> pd.DataFrame:
    """Per bet, the paired change against the plan in revenue, profit, CLTV, CAC and customer
    equity (what the CLI prints under the ranking): the mean, so that the table fits a
    1280-pixel screen, or with `intervals` mean [95% interval]."""
    cur = cmp.spec.currency

    def fmt(x: float | None) -> str:
        return money(x, cur, lang, compact=True)

    rows = []
    for name in cmp.names[1:]:
        row: dict[str, Any] = {metric_label("bet", lang): alternative_name(name, cmp.spec, lang)}
        for metric in export.CHANGED:
            p = cmp.paired(name, metric)
            row[metric_label(metric, lang)] = (ci_text(p["mean"], p["ci_low"], p["ci_high"], fmt)
                                               if intervals else p["mean"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not intervals:  # the means, one scale a column ('RUB 0.8M' beside 'RUB 43.9M')
        for metric in export.CHANGED:
            label = metric_label(metric, lang)
            if label in frame:
                frame[label] = money_column(list(frame[label]), cur, lang)
    return frame


def _column_help(lang: Lang) -> dict[str, Any]:
    # Short headers, so that the decision columns fit; the tooltip says what each one means.
    names = {metric_label("npv", lang): "npv", metric_label("roi", lang): "roi",
             t("owner.col_p_goal", lang): "p_goal", t("owner.col_p_best_npv", lang): "p_best_npv",
             t("owner.col_p_best_time", lang): "p_best_time", t("owner.payback",
                                                                lang): "payback_month"}
    helps: dict[str, Any] = {}
    for label, key in names.items():
        text = tooltip(key, lang) or ""
        if key.startswith("p_"):
            text = f"{metric_label(key, lang)}. {text}".strip()
        helps[label] = st.column_config.Column(help=text)
    helps[metric_label("bet", lang)] = st.column_config.Column(width="medium")
    return helps


def _bet_line(bet: Any, spec: Scenario, lang: Lang) -> str:
    cur = spec.currency
    costs = [t("app.from_month", lang, month=bet.start_month)]
    if bet.one_off_cost:
        costs.append(t("app.one_off_cost", lang, cost=money(bet.one_off_cost, cur, lang)))
    if bet.monthly_cost:
        costs.append(t("app.monthly_cost", lang, cost=money(bet.monthly_cost, cur, lang)))
    text = text_in(bet.description, lang)
    return f"**{text_in(bet.title, lang, bet.name)}**: {text} ({', '.join(costs)})"


def page(spec: Scenario, lang: Lang) -> None:
    st.header(t("app.page_compare", lang))
    names = [b.name for b in spec.bets]
    if not names:
        st.info(t("app.no_bets", lang))
        return
    with st.expander(t("app.what_changes", lang)):
        for b in spec.bets:
            st.markdown(_bet_line(b, spec, lang))
    # Settings are per scenario (another scenario has other bets), kept apart from the widgets,
    # which are per language (their shown titles are).
    sfx = scenario_hash(spec)
    keys = (f"cmp_bets:{sfx}", f"cmp_budget:{sfx}", f"cmp_max:{sfx}")
    for k, default in zip(keys, (names, 0.0, 1), strict=True):
        state().setdefault(k, default)
    synced(st.multiselect, keys[0], lang, placeholder=t("app.choose", lang),
            label=t("app.bets", lang), options=names,
            default=[b for b in state()[keys[0]] if b in names],
            format_func=lambda b: alternative_name(b, spec, lang))
    c = cols(2)
    with c[0]:
        synced(st.number_input, keys[1], lang, label=t("app.budget", lang), min_value=0.0,
                value=float(state()[keys[1]]), step=100000.0, format="%.0f")
    with c[1]:
        synced(st.selectbox, keys[2], lang, label=t("app.max_bets", lang), options=(1, 2, 3),
                index=(1, 2, 3).index(state()[keys[2]]))
    engine = engine_choice(lang)
    settings = requested(f"compare_settings:{sfx}", keys, t("app.compare_run", lang), lang)
    if settings is None:
        return
    bets, budget, max_bets = settings
    if not bets:
        st.warning(t("app.choose_bets", lang))
        return
    try:
        fits = alternatives(spec, select_bets(spec, list(bets)), budget or None, max_bets)
    except ValueError as err:  # a bet that cannot run at all
        st.error(error_text(err, lang))
        return
    if len(fits) < 2:
        st.warning(t("app.no_alternatives", lang))
        return
    cur = spec.currency

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> Comparison:
        return compare_bets(spec, list(bets), replications=reps, seed=seed, budget=budget or None,
                            max_bets=max_bets, progress=progress, executor=pool, engine=engine)

    key = ("compare", scenario_hash(spec), settings, engine)

    def render(cmp: Comparison, tag: str) -> None:
        provenance(spec, cmp.replications, cmp.seed, lang, cmp.engine)
        # Which option to pick and why, first (sim.report.decision); "$" would start LaTeX
        decision = decide(cmp)
        names = {n: alternative_name(n, spec, lang) for n in cmp.names}
        lines = summary_lines(decision, cur, lang, names)
        (st.success if decision.settled else st.info)(
            "\n\n".join(line.replace("$", "\\$") for line in lines))
        left_out = left_out_lines(cmp, lang, {n: alternative_name(n, spec, lang) for n, _ in
                                              (*cmp.over_budget, *cmp.skipped)})
        if left_out:  # what the budget (or a clash) left out, and why
            st.warning("\n\n".join(line.replace("$", "\\$") for line in left_out))
        st.subheader(t("app.ranked", lang))
        show_table(ranked_table(cmp, lang), f"ranked-{tag}", _column_help(lang))
        with st.expander(t("owner.intervals", lang)):
            show_table(interval_table(cmp, lang), f"intervals-{tag}")
        st.subheader(t("owner.changes_mean", lang))
        helps = {metric_label(m, lang): st.column_config.Column(help=tooltip(m, lang))
                 for m in export.CHANGED if tooltip(m, lang)}
        show_table(changes_table(cmp, lang), f"changes-{tag}", helps)
        with st.expander(t("owner.changes_intervals", lang)):
            show_table(changes_table(cmp, lang, intervals=True), f"changes-ci-{tag}", helps)
        table = cmp.table()
        table = renamed(table[table["bet"] != BASELINE], spec, lang)
        chart(st, lambda: charts.roi_vs_time(table, lang), f"roi-{tag}", lang)
        inc = owner.incremental(cmp)
        inc["bet"] = [names[b] for b in inc["bet"]]
        chart(st, lambda: charts.incremental_profit(inc, lang, cur, t("owner.incremental_profit",
                                                                      lang)),
              f"incprofit-{tag}", lang)
        chart(st, lambda: charts.levers_chart(renamed(cmp.levers(), spec, lang), lang, cur),
              f"levers-{tag}", lang)
        recovery = leak_words.recovery_rows(cmp, lang)
        if not recovery.empty:  # how much of the leaks it targets each option recovers
            st.subheader(t("leaks.recovery_title", lang))
            show_table(recovery, f"recovery-{tag}")
            st.caption(t("leaks.recovery_caption", lang))
        if final(tag):
            downloads((*key, cmp.replications, cmp.seed), lang,
                      lambda: export.comparison_report(cmp, lang))

    progressive(key, lang, run, render, t("app.run_compare", lang), engine)
