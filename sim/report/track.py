"""Plan vs actual for people: tables, sentences and the figure of `sim.experiments.track`.

Every word is in `_TEXT` (key -> (English, Russian)); numbers through `sim.report.i18n`. The
tables take a `TrackResult` and a language and return frames ready to show (the app, the CLI
and a notebook show the same ones).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from models.spec.scenario import Scenario, text_in
from sim.experiments.compare import BASELINE
from sim.experiments.track import Rate, TrackResult
from sim.report.i18n import Lang, money, number, percent

_TEXT: dict[str, tuple[str, str]] = {
    # figures
    "leads": ("New leads", "Новые лиды"),
    "leads_channel": ("Leads: {channel}", "Лиды: {channel}"),
    "leads_referral": ("Leads from recommendations", "Лиды по рекомендациям"),
    "new_clients": ("New clients", "Новые клиенты"),
    "revenue": ("Revenue", "Выручка"),
    "churned": ("Clients who left", "Ушедшие клиенты"),
    "active_clients": ("Active clients", "Активные клиенты"),
    "marketing": ("Advertising spend", "Расходы на рекламу"),
    "lost_unprocessed": ("Leads never called", "Лиды, которые не обработали"),
    "lost_late": ("Leads lost waiting for a call", "Лиды, потерянные в ожидании звонка"),
    "lost_first_contact": ("Leads lost at the first conversation",
                           "Лиды, потерянные на первом разговоре"),
    "lost_follow_up": ("Leads lost after the follow-ups",
                       "Лиды, потерянные после повторных касаний"),
    "lost_unpaid": ("Invoices never paid", "Неоплаченные счета"),
    # rates
    "rate_conversion": ("Leads who become clients", "Доля лидов, ставших клиентами"),
    "rate_payment": ("Invoices paid", "Доля оплаченных счетов"),
    "rate_churn": ("Monthly churn", "Ежемесячный отток"),
    "rate_leads": ("New leads a month", "Новых лидов в месяц"),
    "rate_leads_channel": ("Leads a month: {channel}", "Лидов в месяц: {channel}"),
    "rate_leads_referral": ("Leads a month from recommendations",
                            "Лидов в месяц по рекомендациям"),
    "rate_stage": ("{stage} (share of leads)", "{stage} (доля лидов)"),
    # columns
    "col_month": ("Month", "Месяц"),
    "col_figure": ("Figure", "Показатель"),
    "col_actual": ("Actual", "Факт"),
    "col_p10": ("Plan P10", "План P10"),
    "col_p50": ("Plan P50", "План P50"),
    "col_p90": ("Plan P90", "План P90"),
    "col_percentile": ("Percentile in the plan", "Перцентиль в плане"),
    "col_where": ("Where", "Где"),
    "col_rate": ("Rate", "Показатель"),
    "col_plan": ("Plan", "План"),
    "col_observed": ("Actual", "Факт"),
    "col_now": ("Estimate now", "Оценка сейчас"),
    "col_interval": ("90% interval", "Интервал 90\u00a0%"),
    "col_change": ("Change", "Изменение"),
    "col_verdict": ("Verdict", "Вывод"),
    "col_bet": ("Option", "Вариант"),
    "col_npv_plan": ("Extra NPV, plan", "Доп. NPV, план"),
    "col_npv_now": ("Extra NPV, now", "Доп. NPV, сейчас"),
    "col_goal_plan": ("P(goal), plan", "Вероятность цели, план"),
    "col_goal_now": ("P(goal), now", "Вероятность цели, сейчас"),
    "col_rank_plan": ("Rank, plan", "Место, план"),
    "col_rank_now": ("Rank, now", "Место, сейчас"),
    # words
    "below": ("below the plan's P10", "ниже P10 плана"),
    "above": ("above the plan's P90", "выше P90 плана"),
    "off_low": ("lower than planned", "ниже плана"),
    "off_high": ("higher than planned", "выше плана"),
    "as_planned": ("as planned", "по плану"),
    "baseline": ("The plan (no change)", "План (без изменений)"),
    "plan": ("plan", "план"),
    "reforecast": ("re-forecast", "новый прогноз"),
    "plan_band": ("plan P10–P90", "план P10–P90"),
    "plan_median": ("plan P50", "план P50"),
    "now_band": ("re-forecast P10–P90", "новый прогноз P10–P90"),
    "now_median": ("re-forecast P50", "новый прогноз P50"),
    "actual_dots": ("actual", "факт"),
    "actual_flagged": ("actual outside P10–P90", "факт вне P10–P90"),
    "month": ("month", "месяц"),
    "figure_title": ("{figure}: plan, actuals and re-forecast",
                     "{figure}: план, факт и новый прогноз"),
    "goal_line": ("Goal by month {deadline}: {p_plan} likely in the plan, {p_now} now "
                  "(± {se} Monte Carlo error).",
                  "Цель к {deadline}-му месяцу: вероятность {p_plan} по плану, {p_now} сейчас "
                  "(± {se} погрешность моделирования)."),
    "goal_passed": ("The goal's deadline (month {deadline}) is within the actuals: judge it "
                    "from them.",
                    "Срок цели ({deadline}-й месяц) уже прошёл: оценивайте её по факту."),
    "no_goal": ("The scenario has no goal.", "В сценарии нет цели."),
    "flag_summary": ("{flagged} of {total} actual figures are outside the plan's P10–P90 "
                     "(about {expected} expected if the plan is right).",
                     "{flagged} из {total} фактических цифр вне P10–P90 плана (если план "
                     "верен, ожидается около {expected})."),
    "off_summary": ("Off the plan: {rates}.", "Отклоняются от плана: {rates}."),
    "none_off": ("Every rate the actuals show is within the plan's range.",
                 "Все показатели, видимые по факту, в пределах плана."),
    "best_now": ("Best option now: {name} (in the plan: {plan}).",
                 "Лучший вариант сейчас: {name} (по плану: {plan})."),
    "months_in": ("{months} months of actuals from {source}.",
                  "{months} мес. фактических данных из {source}."),
    # the app's page
    "page_title": ("Plan vs actual", "План и факт"),
    "page_caption": ("Upload the business's monthly actuals: each month is placed in the plan's "
                     "forecast, the stages of the journey that are off are named, and the "
                     "forecast starts again from where the business is now.",
                     "Загрузите фактические данные бизнеса по месяцам: каждый месяц сравнивается "
                     "с прогнозом плана, называются этапы пути клиента, которые отклоняются, и "
                     "прогноз строится заново от текущего положения бизнеса."),
    "upload": ("Monthly actuals (CSV)", "Факт по месяцам (CSV)"),
    "upload_hint": ("Columns: `month`, then any of `leads`, `leads_<channel>`, `new_clients`, "
                    "`revenue`, `churned`, `active_clients`, `marketing`, `lost_<stage>`; an "
                    "empty cell means unknown.",
                    "Столбцы: `month`, затем любые из `leads`, `leads_<channel>`, "
                    "`new_clients`, `revenue`, `churned`, `active_clients`, `marketing`, "
                    "`lost_<stage>`; пустая ячейка — значение неизвестно."),
    "use_example": ("Use the example actuals of the B2B services plan",
                    "Взять пример фактических данных для плана ИТ-услуг"),
    "no_actuals": ("Upload a file of actuals, or take the example, to compare the plan with "
                   "them.",
                   "Загрузите файл с фактом или возьмите пример, чтобы сравнить с ним план."),
    "run": ("Compare with the plan", "Сравнить с планом"),
    "running": ("plan vs actual", "план и факт"),
    "figure_choice": ("Figure", "Показатель"),
    "rates_title": ("Which stage of the journey is off", "Какой этап пути клиента отклоняется"),
    "flagged_title": ("Months outside the plan's P10–P90", "Месяцы вне P10–P90 плана"),
    "none_flagged": ("No month is outside the plan's P10–P90.",
                     "Ни один месяц не выходит за P10–P90 плана."),
    "side_title": ("Plan and re-forecast", "План и новый прогноз"),
    "goal_plan": ("Goal by the deadline, plan", "Цель к сроку, план"),
    "goal_now": ("Goal by the deadline, now", "Цель к сроку, сейчас"),
    "bets_title": ("Which options look best now", "Какие варианты выглядят лучше сейчас"),
    "reforecast_note": ("The re-forecast starts after month {month} from the actual active "
                        "clients, with the rates updated by the actuals.",
                        "Новый прогноз начинается после {month}-го месяца с фактического "
                        "числа клиентов и с показателями, уточнёнными по факту."),
}
_MONEY = ("revenue", "marketing")
_PERCENT_KINDS = ("conversion", "payment", "stage", "churn")


def words() -> dict[str, tuple[str, str]]:
    """Every word of this module, for the completeness test."""
    return dict(_TEXT)


def w(key: str, lang: Lang, **values: object) -> str:
    en, ru = _TEXT[key]
    text = ru if lang == "ru" else en
    return text.format(**values) if values else text


def _channel_title(spec: Scenario, name: str, lang: Lang) -> str:
    channel = next((c for c in spec.channels if c.name == name), None)
    return text_in(channel.title, lang, name) if channel is not None else name


def figure_name(name: str, spec: Scenario, lang: Lang) -> str:
    """The owner's name of an actuals figure (a column of the actuals file)."""
    if name in _TEXT:
        return w(name, lang)
    if name.startswith("leads_"):
        return w("leads_channel", lang, channel=_channel_title(spec, name[6:], lang))
    return name


def rate_name(rate: Rate, spec: Scenario, lang: Lang) -> str:
    if rate.kind == "volume":
        if rate.name == "leads":
            return w("rate_leads", lang)
        if rate.name == "leads_referral":
            return w("rate_leads_referral", lang)
        return w("rate_leads_channel", lang, channel=_channel_title(spec, rate.name[6:], lang))
    if rate.kind == "stage":
        return w("rate_stage", lang, stage=w(rate.name, lang))
    return w(f"rate_{rate.kind}", lang)


def _value(name: str, x: float, spec: Scenario, lang: Lang) -> str:
    if name in _MONEY:
        return money(x, spec.currency, lang)
    return number(x, lang, 0 if float(x).is_integer() else 1)


def _rate_value(rate: Rate, x: float, lang: Lang) -> str:
    if rate.kind in _PERCENT_KINDS:
        return percent(x, lang, 1)
    return number(x, lang, 1)


def positions_table(result: TrackResult, lang: Lang, only_flagged: bool = False
                    ) -> pd.DataFrame:
    """Each actual against the plan's fan: month, figure, actual, P10, P50, P90, percentile."""
    frame = result.flagged() if only_flagged else result.positions
    spec = result.spec
    rows = []
    for r in frame.itertuples(index=False):
        rows.append({
            w("col_month", lang): int(r.month),
            w("col_figure", lang): figure_name(str(r.metric), spec, lang),
            w("col_actual", lang): _value(str(r.metric), float(r.actual), spec, lang),
            w("col_p10", lang): _value(str(r.metric), float(r.p10), spec, lang),
            w("col_p50", lang): _value(str(r.metric), float(r.p50), spec, lang),
            w("col_p90", lang): _value(str(r.metric), float(r.p90), spec, lang),
            w("col_percentile", lang): number(float(r.percentile), lang),
            w("col_where", lang): w(str(r.flag), lang) if r.flag else "",
        })
    return pd.DataFrame(rows, columns=[w(k, lang) for k in (
        "col_month", "col_figure", "col_actual", "col_p10", "col_p50", "col_p90",
        "col_percentile", "col_where")])


def rates_table(result: TrackResult, lang: Lang) -> pd.DataFrame:
    """Which rate of the journey is off: plan, actual, the updated estimate with its 90%
    interval, the change (x plan) and the verdict."""
    rows = []
    for rate in result.rates:
        verdict = (w("as_planned", lang) if not rate.off else
                   w("off_low", lang) if rate.posterior < rate.plan else w("off_high", lang))
        rows.append({
            w("col_rate", lang): rate_name(rate, result.spec, lang),
            w("col_plan", lang): _rate_value(rate, rate.plan, lang),
            w("col_observed", lang): _rate_value(rate, rate.observed, lang),
            w("col_now", lang): _rate_value(rate, rate.posterior, lang),
            w("col_interval", lang): f"{_rate_value(rate, rate.low, lang)} – "
                                     f"{_rate_value(rate, rate.high, lang)}",
            w("col_change", lang): "×" + number(rate.ratio, lang, 2),
            w("col_verdict", lang): verdict,
        })
    return pd.DataFrame(rows, columns=[w(k, lang) for k in (
        "col_rate", "col_plan", "col_observed", "col_now", "col_interval", "col_change",
        "col_verdict")])


def bets_table(result: TrackResult, lang: Lang) -> pd.DataFrame | None:
    """The bets ranked on the plan and on the re-forecast, side by side (None without them)."""
    if result.bets_plan is None or result.bets_now is None:
        return None
    plan = result.bets_plan.table().reset_index(drop=True)
    now = result.bets_now.table().reset_index(drop=True)
    titles = {b.name: text_in(b.title, lang, b.name) for b in result.spec.bets}
    plan_rank = {b: i + 1 for i, b in enumerate(plan["bet"])}
    by_plan = plan.set_index("bet")
    # the plan's own chance is one figure on the page: the fans' (the metrics above), also in
    # the plan's row here, whatever replications ranked the bets
    fan_goal = {"now": result.reforecast.p_goal()[0], "plan": result.plan.p_goal()[0]}
    rows = []
    for i, r in enumerate(now.itertuples(index=False)):
        name = str(r.bet)
        p = by_plan.loc[name] if name in by_plan.index else None
        base = name == BASELINE
        rows.append({
            w("col_bet", lang): titles.get(name, w("baseline", lang)),
            w("col_rank_now", lang): i + 1,
            w("col_rank_plan", lang): plan_rank.get(name, "—"),
            w("col_npv_now", lang): money(float(r.npv), result.spec.currency, lang,
                                          compact=True),
            w("col_npv_plan", lang): money(None if p is None else float(p["npv"]),
                                           result.spec.currency, lang, compact=True),
            w("col_goal_now", lang): percent(_nan_none(fan_goal["now"] if base else r.p_goal),
                                             lang),
            w("col_goal_plan", lang): percent(
                _nan_none(fan_goal["plan"]) if base else
                None if p is None else _nan_none(p["p_goal"]), lang),
        })
    return pd.DataFrame(rows)


def _nan_none(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def summary_lines(result: TrackResult, lang: Lang) -> list[str]:
    """The answer in sentences: are we on track, which rate is off, P(goal) now, best bet."""
    source = Path(result.actuals.source).name
    lines = [w("months_in", lang, months=result.months, source=f"`{source}`")]
    total = len(result.positions)
    flagged = len(result.flagged())
    lines.append(w("flag_summary", lang, flagged=flagged, total=total,
                   expected=number(total * (FLAG_SHARE), lang)))
    off = [rate_name(r, result.spec, lang) for r in result.rates if r.off]
    lines.append(w("off_summary", lang, rates=", ".join(off)) if off else w("none_off", lang))
    goal = result.spec.goal
    if goal is None:
        lines.append(w("no_goal", lang))
    elif "deadline_passed" in result.notes:
        lines.append(w("goal_passed", lang, deadline=goal.deadline_month))
    else:
        p_plan, _ = result.plan.p_goal()
        p_now, se = result.reforecast.p_goal()
        lines.append(w("goal_line", lang, deadline=goal.deadline_month,
                       p_plan=percent(p_plan, lang), p_now=percent(p_now, lang),
                       se=percent(se, lang, 1)))
    lines.append(w("reforecast_note", lang, month=result.months))
    table = bets_table(result, lang)
    if table is not None and len(table):
        first_plan = table.sort_values(w("col_rank_plan", lang), key=lambda s: pd.to_numeric(
            s, errors="coerce")).iloc[0][w("col_bet", lang)]
        lines.append(w("best_now", lang, name=table.iloc[0][w("col_bet", lang)],
                       plan=first_plan))
    return lines


FLAG_SHARE = 0.2  # the share of figures outside P10-P90 when the plan is right


def figure(result: TrackResult, metric: str, lang: Lang) -> go.Figure:
    """The plan's fan (P10-P90 and P50), the actuals as dots (flagged ones red) and the
    re-forecast's fan from the month after the last actual."""
    from sim.report.charts import _layout, _money_axis, _rgba

    spec = result.spec
    fig = go.Figure()
    bands = [(result.plan, "#1f77b4", "plan_band", "plan_median")]
    if metric in result.reforecast.series:
        bands.append((result.reforecast, "#2ca02c", "now_band", "now_median"))
    values: list[float] = []
    for fan, color, band, median in bands:
        q = fan.quantiles([metric])
        months = q["month"].tolist()
        values += q["p90"].tolist()
        fig.add_trace(go.Scatter(x=months + months[::-1],
                                 y=q["p90"].tolist() + q["p10"].tolist()[::-1],
                                 fill="toself", fillcolor=_rgba(color, 0.2),
                                 line={"width": 0}, name=w(band, lang), hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=months, y=q["p50"], line={"color": color},
                                 name=w(median, lang)))
    pos = result.positions[result.positions["metric"] == metric]
    values += pos["actual"].tolist()
    for flagged, color, key in ((False, "#000000", "actual_dots"),
                                (True, "#d62728", "actual_flagged")):
        part = pos[(pos["flag"] != "") == flagged]
        if len(part):
            fig.add_trace(go.Scatter(x=part["month"], y=part["actual"], mode="markers",
                                     marker={"color": color, "size": 9}, name=w(key, lang)))
    name = figure_name(metric, spec, lang)
    _layout(fig, lang, w("figure_title", lang, figure=name), name)
    if metric in _MONEY:
        _money_axis(fig, values, spec.currency, lang)
    return fig


def chart_metrics(result: TrackResult) -> list[str]:
    """The figures worth a chart, most telling first: those with the most flagged months."""
    counts = result.positions.groupby("metric")["flag"].apply(lambda s: int((s != "").sum()))
    order = list(dict.fromkeys(result.positions["metric"]))
    return sorted(order, key=lambda m: -counts.get(m, 0))


def write_track(result: TrackResult, out_dir: Path) -> list[Path]:
    """`track.json` (provenance, P(goal) plan and now, flagged months, the rates with their
    intervals, the re-forecast's scenario, the bets), `track_positions.parquet` (each actual in
    the plan's fan) and `track_fans.parquet` (plan and re-forecast quantiles), one unit."""
    from sim.report.output import _json_writer, _parquet_writer, write_unit

    return write_unit(out_dir, "track", {
        "track.json": _json_writer(result.to_dict()),
        "track_positions.parquet": _parquet_writer(result.positions),
        "track_fans.parquet": _parquet_writer(result.fans()),
    })
