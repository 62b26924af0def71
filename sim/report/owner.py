"""The owner's control panel as tidy tables, from a `MonteCarloResult`.

The app and a notebook read the same numbers the CLI prints: everything here is a reshaping of
`MonteCarloResult.summary()` and `.monthly_quantiles()`, never a model of its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from models.accounting.ledger import LEAKS
from models.accounting.metrics import (
    CHANNEL_EXTRA,
    LEVER_METRICS,
    channel_metric,
    segment_metric,
)
from models.compiled.worth import LEAD_STAGES
from models.spec.fields import leak_patterns, targets
from models.spec.scenario import Scenario
from sim.experiments.compare import BASELINE, Comparison
from sim.experiments.montecarlo import MonteCarloResult
from sim.report.i18n import Lang

# The owner's control panel month by month: how many came, how many bought, for how much, what
# acquisition cost, what was earned.
MONTHLY_VIEW = ("leads", "new_clients", "active_clients", "revenue", "recurring_revenue",
                "marketing", "total_costs", "profit", "cumulative_profit")

# The headline figures over the horizon, in the CLI's order; money ones are formatted as money.
HEADLINE = ("total_leads", "total_new_clients", "active_clients_end", "total_revenue",
            "total_profit", "npv_profit", "cac", "cltv", "cltv_with_tail",
            "recurring_revenue_last_month", "romi", "ros", "nmc", "customer_equity")
MONEY = frozenset({"total_revenue", "total_profit", "npv_profit", "cac", "cltv",
                   "cltv_with_tail", "recurring_revenue_last_month", "nmc", "customer_equity",
                   "revenue", "recurring_revenue", "marketing", "total_costs", "profit",
                   "cumulative_profit", "marketing_per_new_client", "average_check",
                   "lost_revenue", "cumulative_revenue", "ad_spend"})
RATIOS = frozenset({"romi", "ros", "conversion", "recurring_revenue_share", "goal_by_deadline"})



def monthly_view(result: MonteCarloResult) -> pd.DataFrame:
    """One row per month: the mean of each series of MONTHLY_VIEW, and marketing per new client
    (ratio of the means: the month's advertising over the clients it brought)."""
    q = result.monthly_quantiles()
    wide = q[q["metric"].isin(MONTHLY_VIEW)].pivot(index="month", columns="metric", values="mean")
    wide = wide[list(MONTHLY_VIEW)]
    clients = wide["new_clients"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        per_client = np.where(clients > 0, wide["marketing"].to_numpy() / clients, np.nan)
    wide.insert(list(MONTHLY_VIEW).index("marketing") + 1, "marketing_per_new_client", per_client)
    wide.columns.name = None
    return wide.reset_index()


def headline(result: MonteCarloResult) -> pd.DataFrame:
    """metric, mean, p10, p90 of the headline figures over the horizon."""
    s = result.summary()
    rows = [{"metric": m, "mean": s[m]["mean"], "p10": s[m]["p10"], "p90": s[m]["p90"]}
            for m in HEADLINE]
    return pd.DataFrame(rows)


def leaks(result: MonteCarloResult) -> pd.DataFrame:
    """Where money leaks, stage by stage (means over the replications):

    - `count`: leads or clients lost there;
    - `revenue`: what they are worth: the revenue they would have brought had they not been
      lost there (a lead: its chance to have paid through the stages after it × a client's value,
      `models.compiled.worth`; a client: what they would have bought had they stayed). The sum
      over stages is what plugging each leak alone would bring, not a promise that every lead
      could be won;
    - `share`: that worth's share of the potential revenue (earned + every stage's worth);
    - `ad_spend`: the advertising money spent on the leads lost there (their channel's cost per
      lead; NaN for clients, whose loss is not a lead's);
    - `bets`: the names of the scenario's bets that target the stage (`stage_bets`).
    """
    s = result.summary()

    def mean(name: str) -> float:
        value = s[name]["mean"]
        return float("nan") if value is None else float(value)

    targeted = stage_bets(result.spec)
    rows = [{"stage": leak, "count": mean(f"{leak}_count"), "revenue": mean(f"{leak}_revenue"),
             "ad_spend": mean(f"{leak}_ad_spend") if leak in LEAD_STAGES else float("nan"),
             "bets": tuple(targeted[leak])}
            for leak in LEAKS]
    table = pd.DataFrame(rows, columns=["stage", "count", "revenue", "ad_spend", "bets"])
    potential = potential_revenue(result)
    table.insert(3, "share", table["revenue"] / potential if potential else np.nan)
    return table


def potential_revenue(result: MonteCarloResult) -> float:
    """Revenue earned plus what every stage's losses are worth (means): the top of the
    waterfall, what the business would earn if each leak were plugged alone and the gains added.
    """
    s = result.summary()
    lost = sum(s[f"{leak}_revenue"]["mean"] or 0.0 for leak in LEAKS)
    return float((s["total_revenue"]["mean"] or 0.0) + lost)


def stage_bets(spec: Scenario) -> dict[str, list[str]]:
    """Each leak stage and the names of the scenario's bets that target it: those with a change
    to a parameter the stage turns on, or to a group holding one (`models.spec.fields`: each
    field's stage and lever say which leaks it turns), in the scenario's order; appending a new
    channel or tier targets none. A bet may target several stages."""
    out: dict[str, list[str]] = {leak: [] for leak in LEAKS}
    patterns = leak_patterns()
    for bet in spec.bets:
        # a new channel or tier is a new item, not a change of the stage's parameters
        paths = [change.path for change in bet.changes if change.operation != "append"]
        for leak in LEAKS:
            if any(targets(path, pattern) for path in paths for pattern in patterns[leak]):
                out[leak].append(bet.name)
    return out


def leak_recovery(cmp: Comparison) -> pd.DataFrame:
    """How much of the leaks it targets each bet recovers, on the comparison's own replications:
    one row per single bet that targets a leak (`stage_bets`): `stages` it targets, `worth`
    (the baseline's mean worth of the losses at those stages, `models.compiled.worth`), `gain`
    with `gain_lo`/`gain_hi` (its paired mean extra revenue over the horizon, 95% interval) and
    `recovered` = gain / worth. A bet also earns what is not a leak plugged (referrals of the
    extra clients, touches past the sources' cadence), so a share above 1 is possible in
    principle; on the example scenarios none is (tests/test_leak_recovery.py)."""
    targeted = stage_bets(cmp.spec)
    rows = []
    for alt in cmp.alternatives:
        if len(alt.bets) != 1:
            continue
        stages = tuple(leak for leak in LEAKS if alt.name in targeted[leak])
        if not stages:
            continue
        base = cmp.scalars[BASELINE]
        worth = float(np.nanmean(sum(base[f"{leak}_revenue"] for leak in stages)))
        gain = cmp.paired(alt.name, "total_revenue")
        mean = gain["mean"]
        rows.append({"bet": alt.name, "stages": stages, "worth": worth,
                     "gain": mean, "gain_lo": gain["ci_low"], "gain_hi": gain["ci_high"],
                     "recovered": (mean / worth if mean is not None and worth > 0
                                   else float("nan"))})
    return pd.DataFrame(rows, columns=["bet", "stages", "worth", "gain", "gain_lo", "gain_hi",
                                       "recovered"])


def levers(result: MonteCarloResult) -> pd.DataFrame:
    """The four levers of revenue over the horizon (their run metrics,
    `models.accounting.metrics.LEVER_METRICS`): metric, mean, p10, p90."""
    s = result.summary()
    return pd.DataFrame([{"metric": m, "mean": s[m]["mean"], "p10": s[m]["p10"],
                          "p90": s[m]["p90"]} for m in LEVER_METRICS])


def goal_status(result: MonteCarloResult) -> dict[str, float | None] | None:
    """P(goal by the deadline) and the month it is reached (P10/P50/P90), or None without a goal.
    """
    if result.spec.goal is None:
        return None
    s = result.summary()
    ttg = s["time_to_goal"]
    return {"p_goal": s["goal_by_deadline"]["mean"], "p10": ttg["p10"], "p50": ttg["p50"],
            "p90": ttg["p90"]}


# --- the owner's questions: what each client costs, per channel -------------------------------

# The cost per client of each stage of the journey after the sale (summary.json's figures).
CLIENT_COSTS = ("cac", "onboarding_cost_per_client", "retention_cost_per_client_month",
                "development_cost_per_upsell", "win_back_cost_per_client")
# The value of a client: truncated at the horizon, and with what it brings after it.
CLIENT_VALUE = ("cltv", "cltv_with_tail")


def _band_rows(result: MonteCarloResult, names: tuple[str, ...]) -> pd.DataFrame:
    s = result.summary()
    return pd.DataFrame([{"metric": m, "mean": s[m]["mean"], "p10": s[m]["p10"],
                          "p90": s[m]["p90"]} for m in names if m in s])


def client_costs(result: MonteCarloResult) -> pd.DataFrame:
    """metric, mean, p10, p90 of what a client costs: to win (CAC), to bring to a result
    (onboarding), to keep (retention, per client-month), to develop (per upsell), to win back."""
    return _band_rows(result, CLIENT_COSTS)


def client_value(result: MonteCarloResult) -> pd.DataFrame:
    """metric, mean, p10, p90 of CLTV to the horizon and with its tail after it."""
    return _band_rows(result, CLIENT_VALUE)


def _mean_or_zero(summary: dict[str, Any], metric: str) -> float:
    """A run metric's mean over the replications; 0 where nothing was booked (no such metric,
    or no value)."""
    entry = summary.get(metric)
    value = None if entry is None else entry["mean"]
    return 0.0 if value is None else float(value)


def channels(result: MonteCarloResult) -> pd.DataFrame:
    """Per acquisition channel (the scenario's, then referrals, then the clients you had), means
    over the replications: leads, new paying clients, conversion, advertising, acquisition cost
    per client (advertising / new clients: salaries are not split by channel), the gross profit
    of the clients it brought, and that profit less its advertising (negative: the channel loses
    money over the horizon). Rows with nothing (no leads, no spend, no profit) are left out."""
    s = result.summary()
    names = [*(c.name for c in result.spec.channels), *CHANNEL_EXTRA]

    def mean(name: str, what: str) -> float:
        return _mean_or_zero(s, channel_metric(name, what))

    rows = []
    for name in names:
        leads, clients = mean(name, "leads"), mean(name, "new_clients")
        marketing, gross = mean(name, "marketing"), mean(name, "gross_profit")
        if not (leads or clients or marketing or gross):
            continue
        rows.append({"channel": name, "leads": leads, "new_clients": clients,
                     "conversion": clients / leads if leads else math.nan,
                     "marketing": marketing,
                     "cac_channel": marketing / clients if clients and marketing else math.nan,
                     "revenue": mean(name, "revenue"),
                     "gross_profit": gross, "net": gross - marketing})
    return pd.DataFrame(rows, columns=["channel", "leads", "new_clients", "conversion",
                                       "marketing", "cac_channel", "revenue", "gross_profit",
                                       "net"])


def segments(result: MonteCarloResult) -> pd.DataFrame:
    """Per segment, means over the replications: leads that arrived, new paying clients,
    conversion, the advertising money behind its leads and per new client, the revenue and gross
    profit of its clients (the starting clients' too), and what its lost leads and clients were
    worth (`Where money leaks`, by segment)."""
    s = result.summary()

    def mean(name: str, what: str) -> float:
        return _mean_or_zero(s, segment_metric(name, what))

    rows = []
    for segment in result.spec.segments:
        name = segment.name
        leads, clients, ad = mean(name, "leads"), mean(name, "new_clients"), mean(name, "ad_spend")
        rows.append({"segment": name, "leads": leads, "new_clients": clients,
                     "conversion": clients / leads if leads else math.nan,
                     "ad_spend": ad, "cac_segment": ad / clients if clients and ad else math.nan,
                     "revenue": mean(name, "revenue"),
                     "gross_profit": mean(name, "gross_profit"),
                     "lost_value": mean(name, "lost_value")})
    return pd.DataFrame(rows, columns=["segment", "leads", "new_clients", "conversion",
                                       "ad_spend", "cac_segment", "revenue", "gross_profit",
                                       "lost_value"])


def incremental(cmp: Comparison, metric: str = "profit") -> pd.DataFrame:
    """Per bet and month, the paired difference of a monthly metric against the plan (the same
    replication's draw and stream, so what differs is the bet's doing): bet, month, mean, p10,
    p90. The band is the spread of the outcomes, not the interval of the mean."""
    base = cmp.monthly[BASELINE][metric]
    frames = []
    for name in cmp.names[1:]:
        d = cmp.monthly[name][metric] - base
        q = np.percentile(d, (10, 90), axis=0)
        frames.append(pd.DataFrame({"bet": name, "month": np.arange(1, d.shape[1] + 1),
                                    "mean": d.mean(axis=0), "p10": q[0], "p90": q[1]}))
    if not frames:
        return pd.DataFrame(columns=["bet", "month", "mean", "p10", "p90"])
    return pd.concat(frames, ignore_index=True)


# Words of the owner's tables and the app's pages that are not in sim.report.i18n
# (key -> (English, Russian)); `words()` lists them for the completeness test. A parameter's
# label and help are its field's, in `models.spec.fields`.
_TEXT: dict[str, tuple[str, str]] = {
    "channel": ("Channel", "Канал"),
    "referral": ("Referrals", "Рекомендации"),
    "existing": ("What you had at the start (clients, open deals)",
                 "Что было на старте (клиенты, открытые сделки)"),
    "leads": ("Leads", "Лиды"),
    "new_clients": ("New paying clients", "Новые платящие клиенты"),
    "conversion": ("Conversion", "Конверсия"),
    "marketing": ("Advertising", "Реклама"),
    "cac_channel": ("Advertising per new client", "Реклама на нового клиента"),
    "gross_profit": ("Gross profit of its clients", "Валовая прибыль его клиентов"),
    "revenue": ("Revenue of its clients", "Выручка его клиентов"),
    "segment": ("Segment", "Сегмент"),
    "ad_spend": ("Advertising behind its leads", "Реклама на его лиды"),
    "cac_segment": ("Advertising per new client", "Реклама на нового клиента"),
    "lost_value": ("Money lost (leads and clients)", "Потеряно денег (лиды и клиенты)"),
    "per_segment": ("Per segment: who came, who bought, what it cost, earned and lost",
                    "По сегментам: сколько пришло и купило, сколько стоило, принесло и потеряно"),
    "per_segment_caption": (
        "Means over the horizon. A lead's advertising is its channel's cost per lead in the "
        "month it came; money lost is what its lost leads and clients would have brought "
        "(see Where money leaks). Revenue includes the clients you had at the start.",
        "Средние за горизонт. Реклама лида — стоимость лида его канала в месяце, когда он "
        "пришёл; потеряно — сколько принесли бы потерянные лиды и клиенты (см. «Где теряются "
        "деньги»). Выручка включает клиентов, которые были на старте."),
    "net": ("Gross profit less advertising", "Валовая прибыль минус реклама"),
    "per_channel": ("Per channel: who came, who bought, what it cost and earned",
                    "По каналам: сколько пришло и купило, сколько стоило и принесло"),
    "per_channel_caption": (
        "Means over the horizon. Acquisition cost here is advertising only (salaries are not "
        "split by channel; the CAC above includes them). A negative last row: the channel's "
        "clients have not yet paid back its advertising.",
        "Средние за горизонт. Стоимость привлечения здесь — только реклама (зарплаты по каналам "
        "не делятся; CAC выше их включает). Отрицательная последняя строка: клиенты канала "
        "ещё не окупили его рекламу."),
    "client_costs": ("What a client costs and brings", "Во что обходится клиент и что приносит"),
    "cac": ("To win (CAC)", "Привлечь (CAC)"),
    "onboarding_cost_per_client": ("To bring to a result (onboarding)",
                                   "Довести до результата (онбординг)"),
    "retention_cost_per_client_month": ("To keep, per client a month",
                                        "Удержать, на клиента в месяц"),
    "development_cost_per_upsell": ("To develop, per upsell", "Развить, на одну допродажу"),
    "win_back_cost_per_client": ("To win back, per client returned",
                                 "Вернуть, на вернувшегося клиента"),
    "cltv": ("Value to the horizon (CLTV)", "Ценность до горизонта (CLTV)"),
    "cltv_with_tail": ("Value with later years (CLTV with tail)",
                       "Ценность с будущими годами (CLTV с хвостом)"),
    "what": ("What", "Что"),
    "ci_low": ("95% from", "95\u00a0%: от"),
    "ci_high": ("95% to", "95\u00a0%: до"),
    "mean": ("Mean", "Среднее"),
    "p10": ("P10", "P10"),
    "p90": ("P90", "P90"),
    "total_new_clients": ("New clients over {months} months: {n} (P10 … P90: {lo} … {hi})",
                          "Новых клиентов за {months} мес.: {n} (P10 … P90: {lo} … {hi})"),
    "check_agent": ("Check with the agent model", "Проверить агентной моделью"),
    "check_agent_help": (
        "The app answers with the fast engine. This runs the same with the agent model (the "
        "readable reference of the model): slower, the same results within the noise.",
        "Приложение считает быстрым движком. Этот переключатель запускает то же на агентной "
        "модели (эталонной): медленнее, результаты те же в пределах шума."),
    "engine_fast": ("fast engine", "быстрый движок"),
    "engine_agent": ("agent model", "агентная модель"),
    "changes": ("What changes against the plan: mean [95% interval]",
                "Что меняется по сравнению с планом: среднее [интервал 95 %]"),
    "changes_mean": ("What changes against the plan (mean)",
                     "Что меняется по сравнению с планом (в среднем)"),
    "changes_intervals": ("The same with 95% intervals", "То же с интервалами 95 %"),
    "intervals": ("Costs, and the same with 95% intervals",
                  "Стоимость и то же с интервалами 95 %"),
    "incremental_profit": ("Extra profit a month against the plan: mean and P10–P90",
                           "Дополнительная прибыль в месяц против плана: среднее и P10–P90"),
    "roi_rank": ("ROI (log scale)", "ROI (логарифмическая шкала)"),
    "months_p50": ("Months to goal (P50)", "Месяцев до цели (P50)"),
    "payback": ("Payback, month", "Окупаемость, мес."),
    "col_p_goal": ("Goal by deadline", "Цель к сроку"),
    "col_p_best_npv": ("Best NPV", "Лучший NPV"),
    "col_p_best_time": ("Fastest to goal", "Быстрее к цели"),
    "grp_segments": ("Client segments", "Сегменты клиентов"),
    "seg_caption": ("Each segment's share of the leads and how its clients differ from the "
                    "average (1 = no difference); the shares add up to 100%.",
                    "Доля каждого сегмента в лидах и чем его клиенты отличаются от среднего "
                    "(1 — не отличаются); доли в сумме дают 100\u00a0%."),
    "downloads": ("Take the answer away", "Забрать результат"),
    "download_excel": ("Tables (Excel)", "Таблицы (Excel)"),
    "download_excel_help": ("Every table of the page on its own sheet, numbers as numbers.",
                            "Все таблицы страницы, каждая на своём листе, числа — числами."),
    "download_csv": ("Tables (CSV, zip)", "Таблицы (CSV, zip)"),
    "download_csv_help": ("Every table of the page as a CSV file, in one zip archive.",
                          "Все таблицы страницы файлами CSV в одном zip-архиве."),
    "download_html": ("Report (HTML)", "Отчёт (HTML)"),
    "download_html_help": (
        "The whole page with its charts as one file: opens in any browser without the app or "
        "the internet, e.g. for an investor.",
        "Вся страница с графиками одним файлом: открывается в любом браузере без приложения и "
        "интернета — например, для инвестора."),
}


def words() -> dict[str, tuple[str, str]]:
    return dict(_TEXT)


def w(key: str, lang: Lang, **values: object) -> str:
    """A word of this module; an unknown key (a channel's own name) as it is."""
    pair = _TEXT.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "ru" else pair[0]
    return text.format(**values) if values else text
