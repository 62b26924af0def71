"""Sensitivity, stress and reverse stress results as tables and plotly figures, in English and
Russian.

For the app's stress page (and notebooks):
- `sobol_figure(result, metric, lang, by="parameter"|"lever"|"stage")`: S1 and ST bars with
  their 95% intervals; `sobol_table(...)` the same as a table with translated headers;
- `morris_figure(result, metric, lang)`: mu* with its interval against sigma;
- `tornado_figure(tornado, metric, lang)`, `tornado_table(...)`;
- `stress_table(stress, lang)`, `stress_figure(stress, lang)` (P(goal) per shock with intervals)
  and `stress_npv_figure(stress, lang)` (NPV's distribution per shock);
- `reverse_table(reverse, lang)`: "what breaks the plan".
The words are in `_TEXT` below (key -> (English, Russian)); `words()` lists them for tests.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.experiments.sensitivity import SensitivityResult, Tornado
from sim.experiments.stress import ReverseResult, StressResult
from sim.report.i18n import Lang, number, percent

_TEXT: dict[str, tuple[str, str]] = {
    "sobol_title": ("What carries the plan: Sobol indices of {metric}",
                    "На чём держится план: индексы Соболя для «{metric}»"),
    "morris_title": ("Screening (Morris) of {metric}", "Отсев факторов (Моррис): «{metric}»"),
    "tornado_title": ("Tornado: {metric} with each assumption at its P10 and P90",
                      "Торнадо: «{metric}» при каждом допущении на P10 и P90"),
    "stress_title": ("P(goal by the deadline) under each shock",
                     "Вероятность достичь цели к сроку при каждом шоке"),
    "stress_npv_title": ("NPV of profit under each shock", "NPV прибыли при каждом шоке"),
    "reverse_title": ("What breaks the plan", "Что ломает план"),
    "S1": ("first-order index (S1)", "индекс первого порядка (S1)"),
    "ST": ("total index (ST)", "полный индекс (ST)"),
    "S1_low": ("S1, 95% low", "S1, нижняя граница 95%"),
    "S1_high": ("S1, 95% high", "S1, верхняя граница 95%"),
    "ST_low": ("ST, 95% low", "ST, нижняя граница 95%"),
    "ST_high": ("ST, 95% high", "ST, верхняя граница 95%"),
    "mu_star": ("mean absolute effect (mu*)", "средний модуль эффекта (mu*)"),
    "sigma": ("spread of effects (sigma)", "разброс эффектов (sigma)"),
    "name": ("assumption", "допущение"),
    "factor": ("assumption", "допущение"),
    "lever": ("lever", "рычаг"),
    "low_value": ("P10 value", "значение P10"),
    "high_value": ("P90 value", "значение P90"),
    "at_low": ("outcome at P10", "итог при P10"),
    "at_high": ("outcome at P90", "итог при P90"),
    "swing": ("swing", "размах"),
    "base": ("at the medians", "при медианах"),
    "noise_share": ("share of variance left to the simulation's noise: {share}",
                    "доля дисперсии, оставшаяся на шум моделирования: {share}"),
    "shock": ("shock", "шок"),
    "npv_mean": ("NPV, mean", "NPV, среднее"),
    "npv_p10": ("NPV, P10", "NPV, P10"),
    "npv_p50": ("NPV, median", "NPV, медиана"),
    "npv_p90": ("NPV, P90", "NPV, P90"),
    "p_negative_npv": ("P(NPV < 0)", "P(NPV < 0)"),
    "p_goal": ("P(goal)", "P(цель)"),
    "p_goal_low": ("P(goal), 95% low", "P(цель), нижняя граница 95%"),
    "p_goal_high": ("P(goal), 95% high", "P(цель), верхняя граница 95%"),
    "delta_npv": ("change of NPV", "изменение NPV"),
    "delta_npv_low": ("change of NPV, 95% low", "изменение NPV, нижняя граница 95%"),
    "delta_npv_high": ("change of NPV, 95% high", "изменение NPV, верхняя граница 95%"),
    "delta_p_goal": ("change of P(goal)", "изменение P(цель)"),
    "delta_p_goal_low": ("change of P(goal), 95% low", "изменение P(цель), нижняя граница 95%"),
    "delta_p_goal_high": ("change of P(goal), 95% high",
                          "изменение P(цель), верхняя граница 95%"),
    "target": ("what is shocked", "что меняется"),
    "unit": ("size measured as", "мера размера"),
    "size": ("smallest shock that breaks the plan", "наименьший шок, ломающий план"),
    "size_low": ("95% low", "нижняя граница 95%"),
    "size_high": ("95% high", "верхняя граница 95%"),
    "value_at_size": ("criterion at that shock", "критерий при этом шоке"),
    "value_unshocked": ("criterion without a shock", "критерий без шока"),
    "already_broken": ("broken without a shock", "сломан и без шока"),
    "holds": ("holds up to the largest shock tried", "выдерживает наибольший испытанный шок"),
    "above_range": ("above the largest shock tried", "больше наибольшего испытанного шока"),
    "unit_share": ("share worse (0.3 = 30%)", "доля ухудшения (0,3 = 30%)"),
    "unit_factor": ("relative rise (1 = twice)", "относительный рост (1 = вдвое)"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "by_parameter": ("by assumption", "по допущениям"),
    "by_lever": ("by lever", "по рычагам"),
    "by_stage": ("by journey stage", "по этапам пути клиента"),
    "baseline": ("the plan (no shock)", "план (без шока)"),
    # metrics
    "npv_profit": ("NPV of profit", "NPV прибыли"),
    "time_to_goal": ("months to goal", "месяцев до цели"),
    "total_profit": ("profit", "прибыль"),
    # levers and stages
    "leads": ("leads", "лиды"),
    "conversion": ("conversion", "конверсия"),
    "average_check": ("average check", "средний чек"),
    "frequency": ("purchase frequency", "частота покупок"),
    "churn": ("churn", "отток"),
    "costs_and_other": ("costs and other", "затраты и прочее"),
    "acquisition": ("acquisition", "привлечение"),
    "processing": ("lead processing", "обработка лидов"),
    "first_contact": ("first contact", "первый контакт"),
    "follow_up": ("follow-up", "дожим"),
    "invoice": ("invoice payment", "оплата счёта"),
    "onboarding": ("bringing to result", "доведение до результата"),
    "repeat_purchase": ("repeat purchases", "повторные покупки"),
    "development": ("development (upsell)", "развитие (апсейл)"),
    "retention": ("retention", "удержание"),
    "return": ("return (win-back)", "возврат"),
    # presets
    "recession": ("recession", "рецессия"),
    "cac_spike": ("CAC spike", "рост стоимости привлечения"),
    "churn_spike": ("churn spike", "всплеск оттока"),
    "payments_delayed": ("payments delayed", "задержка оплат"),
    "manager_leaves": ("a manager leaves", "уходит менеджер"),
    "channel_off": ("a channel switched off", "канал отключён"),
}

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def words() -> dict[str, tuple[str, str]]:
    return dict(_TEXT)


def w(key: str, lang: Lang, **values: object) -> str:
    """A word of this module; an unknown key (a parameter path, a shock's own name) as is."""
    pair = _TEXT.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "en" else pair[1]
    return text.format(**values) if values else text


def _label(name: str, lang: Lang) -> str:
    """A lever, stage, preset or path: translated where this module knows it."""
    head, _, rest = name.partition(":")
    if head in _TEXT and (not rest or head == "channel_off"):
        return w(head, lang) + (f": {rest}" if rest else "")
    return w(name, lang)


def _headers(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    return frame.rename(columns={c: w(c, lang) for c in frame.columns})


# -- Sobol and Morris --------------------------------------------------------------------------
def _sobol_frame(result: SensitivityResult, metric: str, by: str) -> pd.DataFrame:
    if result.method != "sobol":
        raise ValueError("Sobol bars need a Sobol analysis (method sobol)")
    frame = result.indices[metric] if by == "parameter" else result.groups[by][metric]
    return frame.sort_values("ST", ascending=False, ignore_index=True)


def sobol_table(result: SensitivityResult, metric: str, lang: Lang,
                by: str = "parameter") -> pd.DataFrame:
    """S1 and ST with their 95% intervals, largest total index first, headers in `lang`."""
    frame = _sobol_frame(result, metric, by).copy()
    frame["name"] = [_label(n, lang) for n in frame["name"]]
    return _headers(frame, lang)


def sobol_figure(result: SensitivityResult, metric: str, lang: Lang,
                 by: str = "parameter") -> go.Figure:
    """Horizontal bars of S1 and ST per assumption (or lever, or stage), with 95% intervals."""
    frame = _sobol_frame(result, metric, by).iloc[::-1]
    names = [_label(n, lang) for n in frame["name"]]
    fig = go.Figure()
    for i, key in enumerate(("S1", "ST")):
        mid = frame[key].to_numpy(dtype=float)
        fig.add_trace(go.Bar(
            y=names, x=mid, orientation="h", name=w(key, lang), marker_color=_PALETTE[i],
            error_x={"type": "data", "symmetric": False,
                     "array": frame[f"{key}_high"].to_numpy(dtype=float) - mid,
                     "arrayminus": mid - frame[f"{key}_low"].to_numpy(dtype=float)}))
    title = w("sobol_title", lang, metric=w(metric, lang)) + " — " + w(f"by_{by}", lang)
    noise = result.noise.get(metric)
    subtitle = ("" if noise is None or math.isnan(noise)
                else "<br><sub>" + w("noise_share", lang, share=percent(noise, lang)) + "</sub>")
    fig.update_layout(title=title + subtitle, barmode="group", template="plotly_white",
                      xaxis={"range": [0, 1.05], "tickformat": ".0%"}, hovermode="closest",
                      legend={"orientation": "h", "y": -0.15})
    return fig


def morris_figure(result: SensitivityResult, metric: str, lang: Lang) -> go.Figure:
    """mu* (with its 95% interval) against sigma: right = matters, up = interacts."""
    frame = result.indices[metric]
    fig = go.Figure(go.Scatter(
        x=frame["mu_star"], y=frame["sigma"], mode="markers+text",
        text=[_label(n, lang) for n in frame["name"]], textposition="top center",
        error_x={"type": "data", "symmetric": False,
                 "array": frame["mu_star_high"] - frame["mu_star"],
                 "arrayminus": frame["mu_star"] - frame["mu_star_low"]}))
    fig.update_layout(title=w("morris_title", lang, metric=w(metric, lang)),
                      xaxis_title=w("mu_star", lang), yaxis_title=w("sigma", lang),
                      template="plotly_white", hovermode="closest")
    return fig


# -- tornado -----------------------------------------------------------------------------------
def tornado_table(tornado: Tornado, metric: str, lang: Lang) -> pd.DataFrame:
    frame = tornado.table[metric].copy()
    frame["factor"] = [_label(n, lang) for n in frame["factor"]]
    frame["lever"] = [_label(n, lang) for n in frame["lever"]]
    return _headers(frame, lang)


def tornado_figure(tornado: Tornado, metric: str, lang: Lang) -> go.Figure:
    """Bars from the outcome at the medians to the outcome at each assumption's P10 and P90,
    largest swing on top."""
    frame = tornado.table[metric].iloc[::-1]
    base = float(frame["base"].iloc[0]) if len(frame) else 0.0
    names = [_label(n, lang) for n in frame["factor"]]
    fig = go.Figure()
    for i, key in enumerate(("at_low", "at_high")):
        values = frame[key].to_numpy(dtype=float)
        fig.add_trace(go.Bar(y=names, x=values - base, base=base, orientation="h",
                             name=w(key, lang), marker_color=_PALETTE[i],
                             customdata=frame["low_value" if i == 0 else "high_value"],
                             hovertemplate="%{customdata:.4g} → %{x:,.0f}<extra></extra>"))
    fig.add_vline(x=base, line_dash="dot", line_color="#555")
    fig.update_layout(title=w("tornado_title", lang, metric=w(metric, lang)), barmode="overlay",
                      template="plotly_white", hovermode="closest",
                      legend={"orientation": "h", "y": -0.15})
    return fig


# -- stress --------------------------------------------------------------------------------
def _shock_label(name: str, lang: Lang) -> str:
    if name == "baseline":
        return w("baseline", lang)
    head, _, tail = name.partition(" x")  # "recession x2": a preset at severity 2
    label = _label(head, lang)
    return f"{label} ×{tail}" if tail else label


def stress_table(stress: StressResult, lang: Lang) -> pd.DataFrame:
    frame = stress.table()
    frame["shock"] = [_shock_label(n, lang) for n in frame["shock"]]
    return _headers(frame, lang)


def stress_figure(stress: StressResult, lang: Lang) -> go.Figure:
    """P(goal by the deadline) per shock with its Wilson 95% interval; the plan's as a line."""
    frame = stress.table()
    mid = frame["p_goal"].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(
        x=[_shock_label(n, lang) for n in frame["shock"]], y=mid,
        marker_color=[_PALETTE[0]] + [_PALETTE[3]] * (len(frame) - 1),
        error_y={"type": "data", "symmetric": False,
                 "array": frame["p_goal_high"].to_numpy(dtype=float) - mid,
                 "arrayminus": mid - frame["p_goal_low"].to_numpy(dtype=float)}))
    if len(mid) and np.isfinite(mid[0]):
        fig.add_hline(y=float(mid[0]), line_dash="dot", line_color="#555")
    fig.update_layout(title=w("stress_title", lang), yaxis={"range": [0, 1.05],
                                                             "tickformat": ".0%"},
                      template="plotly_white", showlegend=False)
    return fig


def stress_npv_figure(stress: StressResult, lang: Lang) -> go.Figure:
    """Box plots of NPV per shock (every replication a point)."""
    cmp = stress.comparison
    fig = go.Figure()
    for i, name in enumerate(cmp.names):
        fig.add_trace(go.Box(y=cmp.scalars[name]["npv_profit"], name=_shock_label(name, lang),
                             boxpoints="all", jitter=0.3, boxmean=True,
                             marker_color=_PALETTE[i % len(_PALETTE)]))
    fig.update_layout(title=w("stress_npv_title", lang), template="plotly_white",
                      showlegend=False)
    return fig


# -- reverse stress --------------------------------------------------------------------------
def _size(x: Any, lang: Lang, missing: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return w(missing, lang)
    return number(float(x), lang, 2)


def reverse_table(reverse: ReverseResult, lang: Lang) -> pd.DataFrame:
    """What breaks the plan: per lever (or parameter) the smallest shock that breaks it, with
    its 95% interval, formatted for reading."""
    frame = reverse.table()
    value = (lambda v: percent(v, lang)) if reverse.criterion == "goal" else (
        lambda v: number(v, lang))
    out = pd.DataFrame({
        "target": [_label(n, lang) for n in frame["target"]],
        "unit": [w(f"unit_{u}", lang) for u in frame["unit"]],
        "size": [_size(x, lang, "holds") for x in frame["size"]],
        "size_low": [_size(x, lang, "holds") for x in frame["size_low"]],
        "size_high": [_size(x, lang, "above_range") if s is not None and not
                      (isinstance(s, float) and math.isnan(s)) else w("holds", lang)
                      for x, s in zip(frame["size_high"], frame["size"], strict=True)],
        "value_at_size": [value(v) if v is not None and not
                          (isinstance(v, float) and math.isnan(v)) else "" for v in
                          frame["value_at_size"]],
        "value_unshocked": [value(v) for v in frame["value_unshocked"]],
        "already_broken": [w("yes" if b else "no", lang) for b in frame["already_broken"]],
    })
    return _headers(out, lang)
