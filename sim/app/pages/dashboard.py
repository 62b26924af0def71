"""The forecast page: headline figures, month by month, where money leaks, the four levers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import pandas as pd
import streamlit as st

from models.load import scenario_hash
from models.spec.scenario import Scenario
from sim.app.running import final, progressive
from sim.app.widgets import (
    chart,
    downloads,
    engine_choice,
    fmt,
    metric_card,
    provenance,
    show_table,
)
from sim.experiments.montecarlo import MonteCarloResult, run_monte_carlo
from sim.report import charts, export, owner
from sim.report import leaks as leak_words
from sim.report.i18n import (
    Lang,
    metric_label,
    money,
    number,
    percent,
    t,
    tooltip,
)
from sim.report.owner import w

# --- results pages --------------------------------------------------------------------------------

def page(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_dashboard", lang))
    cur = spec.currency
    engine = engine_choice(lang)
    key = ("forecast", scenario_hash(spec), engine)

    def render(result: MonteCarloResult, tag: str) -> None:
        provenance(spec, result.replications, result.seed, lang, result.engine)
        s = result.summary()
        st.subheader(t("dash_headline", lang, months=spec.horizon_months))
        cards = ("total_revenue", "total_profit", "npv_profit", "cac", "cltv_with_tail", "romi",
                 "ros", "nmc")
        cols = st.columns(4)
        for i, name in enumerate(cards):
            metric_card(cols[i % 4], name, s[name]["mean"], cur, lang,
                        (s[name]["p10"], s[name]["p90"]))
        goal = owner.goal_status(result)
        if goal is not None and spec.goal is not None:
            st.markdown(t("goal_line", lang, metric=t(spec.goal.metric, lang),
                          target=fmt("revenue" if spec.goal.metric != "active_clients"
                                      else "leads", spec.goal.target, cur, lang),
                          month=spec.goal.deadline_month))
            months = " / ".join(str(int(m)) if m is not None else t("never", lang)
                                for m in (goal["p10"], goal["p50"], goal["p90"]))
            st.markdown(t("p_goal_value", lang, p=percent(goal["p_goal"], lang), m=months),
                        help=tooltip("goal_by_deadline", lang))
        clients = s["total_new_clients"]
        st.markdown(w("total_new_clients", lang, months=spec.horizon_months,
                      n=number(clients["mean"], lang), lo=number(clients["p10"], lang),
                      hi=number(clients["p90"], lang)))
        _owner_questions(result, lang, tag)

        st.subheader(t("dash_month_by_month", lang))
        q = result.monthly_quantiles()
        view = owner.monthly_view(result)
        c1, c2 = st.columns(2)
        chart(c1, lambda: charts.counts_chart(view, lang), f"counts-{tag}", lang)
        chart(c2, lambda: charts.fan_chart(q, "revenue", lang, currency=cur), f"rev-{tag}", lang)
        chart(c1, lambda: charts.fan_chart(q, "profit", lang, currency=cur), f"profit-{tag}", lang)
        chart(c2, lambda: charts.fan_chart(q, "cumulative_profit", lang, currency=cur),
              f"cum-{tag}", lang)
        # Two tables, people and money (money in millions, '6,4 млн ₽'), so every column fits
        # the page's width; the charts and the CLI's files have the exact means.
        for part, columns in (("counts", _COUNT_COLUMNS), ("money", _MONEY_COLUMNS)):
            shown: dict[str, Any] = {t("month", lang): view["month"].astype(int)}
            for c in columns:
                shown[metric_label(c, lang)] = [fmt(c, v, cur, lang, compact=True)
                                                for v in view[c]]
            helps = {metric_label(c, lang): st.column_config.Column(help=tooltip(c, lang))
                     for c in columns if tooltip(c, lang)}
            show_table(pd.DataFrame(shown), f"monthly-{part}-{tag}", helps)

        # Where money leaks: the waterfall, then per stage what the losses are worth, the
        # advertising spent on them and the options of the scenario that target the stage.
        st.subheader(t("dash_leaks", lang))
        leaks = owner.leaks(result)
        chart(st, lambda: charts.leak_waterfall(leaks, owner.potential_revenue(result), cur, lang),
              f"leaks-{tag}", lang)
        st.caption(leak_words.w("caption", lang))
        show_table(leak_words.leak_rows(result, lang), f"leaktable-{tag}",
                   {name: st.column_config.Column(help=text)
                    for name, text in leak_words.column_help(lang).items()})

        st.subheader(t("dash_levers", lang))
        summary = result.summary()
        st.caption(t("dash_levers_caption", lang) + " " + t(
            "dash_levers_won", lang, **{k: money(summary[m]["mean"], cur, lang, compact=True)
                                        for k, m in (("won", "new_clients_revenue"),
                                                     ("total", "total_revenue"),
                                                     ("start", "starting_clients_revenue"))}))
        cols = st.columns(4)
        for i, row in enumerate(owner.levers(result).itertuples(index=False)):
            metric_card(cols[i], row.metric, row.mean, cur, lang, (row.p10, row.p90))
        if final(tag):
            downloads((*key, result.replications, result.seed), lang,
                      lambda: export.forecast_report(result, lang))

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> MonteCarloResult:
        return run_monte_carlo(spec, replications=reps, seed=seed, progress=progress,
                               executor=pool, engine=engine)

    progressive(key, lang, run, render, t("run_forecast", lang), engine)


def _owner_questions(result: MonteCarloResult, lang: Lang, tag: str) -> None:
    """What a client costs at each stage and what it brings (CLTV to the horizon and with its
    tail); per channel, who came and bought, what it cost and earned (`sim.report.owner`)."""
    for table, part in ((export.client_cost_table(result, lang), "costs"),
                        (export.channel_table(result, lang), "channels"),
                        (export.segment_table(result, lang), "segments")):
        st.subheader(table.title)
        # the channels' and segments' money in millions ('RUB 15.0M'), so that every column
        # fits the page
        shown = export.shown(table, result.spec.currency, lang, compact=part != "costs")
        if part != "costs":  # a few channels or segments, many figures: a column each fits
            shown = shown.set_index(shown.columns[0]).T.rename_axis(w("what", lang)).reset_index()
        show_table(shown, f"{part}-{tag}")
        if part != "costs":
            st.caption(w(f"per_{part[:-1]}_caption", lang))


_COUNT_COLUMNS = ("leads", "new_clients", "active_clients")
_MONEY_COLUMNS = ("revenue", "recurring_revenue", "marketing", "marketing_per_new_client",
                  "total_costs", "profit", "cumulative_profit")

