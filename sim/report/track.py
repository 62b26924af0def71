"""Plan vs actual for people: tables, sentences and the figure of `sim.experiments.track`.

Every word is in the catalogue's `[track]` area (`models.words`); numbers through
`models.words.formats`. The tables take a `TrackResult` and a language and return frames
ready to show (the app, the CLI and a notebook show the same ones).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from models.spec.scenario import Scenario, text_in
from models.words import Lang, has, t
from models.words.formats import money, number, percent
from sim.experiments.compare import BASELINE
from sim.experiments.track import Rate, TrackResult

_MONEY = ("revenue", "marketing")
_PERCENT_KINDS = ("conversion", "payment", "stage", "churn")


def _channel_title(spec: Scenario, name: str, lang: Lang) -> str:
    channel = next((c for c in spec.channels if c.name == name), None)
    return text_in(channel.title, lang, name) if channel is not None else name


def figure_name(name: str, spec: Scenario, lang: Lang) -> str:
    """The owner's name of an actuals figure (a column of the actuals file)."""
    if has(f"track.{name}"):
        return t(f"track.{name}", lang)
    if name.startswith("leads_"):
        return t("track.leads_channel", lang, channel=_channel_title(spec, name[6:], lang))
    return name


def rate_name(rate: Rate, spec: Scenario, lang: Lang) -> str:
    if rate.kind == "volume":
        if rate.name == "leads":
            return t("track.rate_leads", lang)
        if rate.name == "leads_referral":
            return t("track.rate_leads_referral", lang)
        return t("track.rate_leads_channel", lang, channel=_channel_title(spec, rate.name[6:],
                                                                          lang))
    if rate.kind == "stage":
        return t("track.rate_stage", lang, stage=t(f"track.{rate.name}", lang))
    return t(f"track.rate_{rate.kind}", lang)


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
            t("track.col_month", lang): int(r.month),
            t("track.col_figure", lang): figure_name(str(r.metric), spec, lang),
            t("track.col_actual", lang): _value(str(r.metric), float(r.actual), spec, lang),
            t("track.col_p10", lang): _value(str(r.metric), float(r.p10), spec, lang),
            t("track.col_p50", lang): _value(str(r.metric), float(r.p50), spec, lang),
            t("track.col_p90", lang): _value(str(r.metric), float(r.p90), spec, lang),
            t("track.col_percentile", lang): number(float(r.percentile), lang),
            t("track.col_where", lang): t(f"track.{r.flag!s}", lang) if r.flag else "",
        })
    return pd.DataFrame(rows, columns=[t(f"track.{k}", lang) for k in (
        "col_month", "col_figure", "col_actual", "col_p10", "col_p50", "col_p90",
        "col_percentile", "col_where")])


def rates_table(result: TrackResult, lang: Lang) -> pd.DataFrame:
    """Which rate of the journey is off: plan, actual, the updated estimate with its 90%
    interval, the change (x plan) and the verdict."""
    rows = []
    for rate in result.rates:
        verdict = (t("track.as_planned", lang) if not rate.off else
                   t("track.off_low", lang) if rate.posterior < rate.plan else t("track.off_high",
                                                                                 lang))
        rows.append({
            t("track.col_rate", lang): rate_name(rate, result.spec, lang),
            t("track.col_plan", lang): _rate_value(rate, rate.plan, lang),
            t("track.col_observed", lang): _rate_value(rate, rate.observed, lang),
            t("track.col_now", lang): _rate_value(rate, rate.posterior, lang),
            t("track.col_interval", lang): f"{_rate_value(rate, rate.low, lang)} – "
                                     f"{_rate_value(rate, rate.high, lang)}",
            t("track.col_change", lang): "×" + number(rate.ratio, lang, 2),
            t("track.col_verdict", lang): verdict,
        })
    return pd.DataFrame(rows, columns=[t(f"track.{k}", lang) for k in (
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
            t("track.col_bet", lang): titles.get(name, t("track.baseline", lang)),
            t("track.col_rank_now", lang): i + 1,
            t("track.col_rank_plan", lang): plan_rank.get(name, "—"),
            t("track.col_npv_now", lang): money(float(r.npv), result.spec.currency, lang,
                                          compact=True),
            t("track.col_npv_plan", lang): money(None if p is None else float(p["npv"]),
                                           result.spec.currency, lang, compact=True),
            t("track.col_goal_now", lang): percent(_nan_none(fan_goal["now"] if base else r.p_goal),
                                             lang),
            t("track.col_goal_plan", lang): percent(
                _nan_none(fan_goal["plan"]) if base else
                None if p is None else _nan_none(p["p_goal"]), lang),
        })
    return pd.DataFrame(rows)


def _nan_none(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def summary_lines(result: TrackResult, lang: Lang) -> list[str]:
    """The answer in sentences: are we on track, which rate is off, P(goal) now, best bet."""
    source = Path(result.actuals.source).name
    lines = [t("track.months_in", lang, months=result.months, source=f"`{source}`")]
    total = len(result.positions)
    flagged = len(result.flagged())
    lines.append(t("track.flag_summary", lang, flagged=flagged, total=total,
                   expected=number(total * (FLAG_SHARE), lang)))
    off = [rate_name(r, result.spec, lang) for r in result.rates if r.off]
    lines.append(t("track.off_summary", lang, rates=", ".join(off)) if off else t("track.none_off",
                                                                                  lang))
    goal = result.spec.goal
    if goal is None:
        lines.append(t("track.no_goal", lang))
    elif "deadline_passed" in result.notes:
        lines.append(t("track.goal_passed", lang, deadline=goal.deadline_month))
    else:
        p_plan, _ = result.plan.p_goal()
        p_now, se = result.reforecast.p_goal()
        lines.append(t("track.goal_line", lang, deadline=goal.deadline_month,
                       p_plan=percent(p_plan, lang), p_now=percent(p_now, lang),
                       se=percent(se, lang, 1)))
    lines.append(t("track.reforecast_note", lang, month=result.months))
    table = bets_table(result, lang)
    if table is not None and len(table):
        first_plan = table.sort_values(t("track.col_rank_plan", lang), key=lambda s: pd.to_numeric(
            s, errors="coerce")).iloc[0][t("track.col_bet", lang)]
        lines.append(t("track.best_now", lang, name=table.iloc[0][t("track.col_bet", lang)],
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
                                 line={"width": 0}, name=t(f"track.{band}",
                                                           lang), hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=months, y=q["p50"], line={"color": color},
                                 name=t(f"track.{median}", lang)))
    pos = result.positions[result.positions["metric"] == metric]
    values += pos["actual"].tolist()
    for flagged, color, key in ((False, "#000000", "actual_dots"),
                                (True, "#d62728", "actual_flagged")):
        part = pos[(pos["flag"] != "") == flagged]
        if len(part):
            fig.add_trace(go.Scatter(x=part["month"], y=part["actual"], mode="markers",
                                     marker={"color": color, "size": 9}, name=t(f"track.{key}",
                                                                                lang)))
    name = figure_name(metric, spec, lang)
    _layout(fig, lang, t("track.figure_title", lang, figure=name), name)
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
