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

from models.spec.fields import field_label
from models.spec.scenario import Scenario, text_in
from sim.experiments.sensitivity import SensitivityResult, Tornado
from sim.experiments.stress import ReverseResult, StressResult
from sim.report.i18n import (
    SHARE_FIELDS,
    Lang,
    money,
    money_column,
    money_ticks,
    number,
    percent,
    t,
)

_TEXT: dict[str, tuple[str, str]] = {
    # the calendar's uncertain values (models.spec.scenario: Profile, Trend)
    "amplitude": ("Strength of the seasons", "Сила сезонности"),
    "leads_yearly": ("Yearly growth of leads", "Рост лидов за год"),
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
    "mu_star": ("mean absolute effect (mu*)", "средний модуль эффекта (μ*)"),
    "sigma": ("spread of effects (sigma)", "разброс эффектов (σ)"),
    "mu_star_low": ("mu*, 95% low", "μ*, нижняя граница 95%"),
    "mu_star_high": ("mu*, 95% high", "μ*, верхняя граница 95%"),
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
    "p_negative_npv": ("P(NPV < 0)", "вероятность NPV < 0"),
    "p_goal": ("P(goal)", "вероятность цели"),
    "p_goal_low": ("P(goal), 95% low", "вероятность цели, нижняя граница 95%"),
    "p_goal_high": ("P(goal), 95% high", "вероятность цели, верхняя граница 95%"),
    "delta_npv": ("change of NPV", "изменение NPV"),
    "delta_npv_low": ("change of NPV, 95% low", "изменение NPV, нижняя граница 95%"),
    "delta_npv_high": ("change of NPV, 95% high", "изменение NPV, верхняя граница 95%"),
    "delta_p_goal": ("change of P(goal)", "изменение вероятности цели"),
    "delta_p_goal_low": ("change of P(goal), 95% low",
                         "изменение вероятности цели, нижняя граница 95%"),
    "delta_p_goal_high": ("change of P(goal), 95% high",
                          "изменение вероятности цели, верхняя граница 95%"),
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
    "up": ("up", "вверх"),
    "down": ("down", "вниз"),
    "no": ("no", "нет"),
    "by_parameter": ("by assumption", "по допущениям"),
    "by_lever": ("by lever", "по рычагам"),
    "by_stage": ("by journey stage", "по этапам пути клиента"),
    "baseline": ("The plan (no shock)", "План (без шока)"),
    "by_block": ("by block of correlated assumptions (correlations imposed)",
                 "по блокам связанных допущений (с учётом корреляций)"),
    "block": ("block of correlated assumptions", "блок связанных допущений"),
    "custom": ("own shock {n}", "свой шок {n}"),
    "combined": ("all the shocks together", "все шоки вместе"),
    # notes of an analysis
    "correlations_ignored": (
        "The scenario correlates some assumptions. Sobol indices share the variance out only "
        "among independent inputs, so the indices by assumption, lever and stage treat the "
        "assumptions as unrelated: read them as what each would carry on its own.",
        "В сценарии некоторые допущения связаны (коррелированы). Индексы Соболя делят "
        "дисперсию только между независимыми входами, поэтому индексы по допущениям, рычагам и "
        "этапам считают допущения несвязанными: это вклад каждого самого по себе."),
    "correlations_in_blocks": (
        "The indices by block of correlated assumptions keep the correlations (a block's "
        "assumptions move together as the scenario says) and are exact for the plan as "
        "described.",
        "Индексы по блокам связанных допущений учитывают корреляции (допущения блока "
        "меняются вместе, как сказано в сценарии) и точны для плана как он описан."),
    "no_goal": ("The scenario has no goal: months to goal count as the horizon + 1.",
                "В сценарии нет цели: месяцев до цели считается как горизонт + 1."),
    # the app's investor page
    "page_caption": (
        "What an investor asks of a plan: which assumptions carry it, what shocks it survives "
        "and how large a shock breaks it. Runs on the fast engine.",
        "Вопросы инвестора к плану: на каких допущениях он держится, какие шоки выдерживает и "
        "какой силы шок его ломает. Считается быстрым движком."),
    "section": ("Question", "Вопрос"),
    "section_sobol": ("What carries the plan (Sobol, Morris)",
                      "На чём держится план (Соболь, Моррис)"),
    "section_tornado": ("Tornado", "Торнадо"),
    "section_stress": ("Shocks", "Шоки"),
    "section_reverse": ("What breaks the plan", "Что ломает план"),
    "section_voi": ("What is worth learning first", "Что стоит узнать до выбора"),
    "method": ("Method", "Метод"),
    "method_sobol": ("Sobol indices (precise)", "индексы Соболя (точно)"),
    "method_morris": ("Morris screening (cheap)", "отсев Морриса (быстро)"),
    "sample_n": ("Sample size N", "Размер выборки"),
    "sample_n_help": (
        "Sobol: the base sample; the analysis runs N × (assumptions + 2) points, and as many "
        "again for each grouping. Morris: the number of trajectories. More is more precise and "
        "slower.",
        "Соболь: базовая выборка; анализ считает выборку × (число допущений + 2) точек и "
        "столько же для каждой группировки. Моррис: число траекторий. Больше — точнее и дольше."),
    "reps_per_point": ("Runs per point", "Прогонов на точку"),
    "reps_per_point_help": (
        "Each point runs with the same random streams (common random numbers); two or more "
        "measure the simulation's own noise.",
        "Каждая точка считается на одних и тех же случайных потоках (общие случайные числа); "
        "два и больше позволяют оценить собственный шум моделирования."),
    "run_sensitivity": ("Run the sensitivity analysis", "Запустить анализ чувствительности"),
    "run_tornado": ("Build the tornado", "Построить торнадо"),
    "run_shocks": ("Run the shocks", "Запустить шоки"),
    "run_reverse": ("Find what breaks the plan", "Найти, что ломает план"),
    "what_sensitivity": ("Sensitivity analysis", "Анализ чувствительности"),
    "what_tornado": ("Tornado", "Торнадо"),
    "what_shocks": ("Shocks", "Шоки"),
    "what_reverse": ("Reverse stress test", "Обратный стресс-тест"),
    "outcome": ("Outcome", "Показатель"),
    "grouping": ("Show", "Показать"),
    "presets": ("Shocks to test", "Какие шоки проверить"),
    "custom_shocks": ("Own shocks, one per line: path:op:value",
                      "Свои шоки, по одному в строке: `путь:действие:значение`"),
    "custom_shocks_help": (
        "op is set, scale or add, as in a bet; e.g. tiers.*.monthly_churn:scale:1.5 (churn "
        "one and a half times higher).",
        "Действие — `set` (задать), `scale` (умножить) или `add` (прибавить), как в ставке; "
        "например `tiers.*.monthly_churn:scale:1.5` (отток в полтора раза выше)."),
    "combine": ("Also all the shocks together", "Ещё и все шоки вместе"),
    "stress_start": ("Shock starts in month", "Шок начинается в месяце"),
    "stress_months": ("Lasts, months", "Длится, месяцев"),
    "stress_severity": ("Severity (1 = as described)", "Сила (1 = как описано)"),
    "choose_shock": ("Choose at least one shock or write your own.",
                     "Выберите хотя бы один шок или напишите свой."),
    "own_shock_changes": ("What the own shocks change", "Что меняют свои шоки"),
    "criterion": ("The plan is broken when", "План считается сломанным, когда"),
    "criterion_goal": ("the chance of the goal falls below the threshold",
                       "вероятность достичь цели ниже порога"),
    "criterion_npv": ("the mean NPV falls below zero", "среднее NPV ниже нуля"),
    "threshold": ("Threshold, %", "Порог, %"),
    "break_parameters": ("Also these assumptions", "Ещё и эти допущения"),
    "reverse_caption": (
        "For each lever, the smallest shock (from the start month to the end of the horizon) "
        "that breaks the plan, found by bisection on the same runs at every size; the interval "
        "is a bootstrap over runs. A share of 0.3 means 30% worse; a relative rise of 1 means "
        "twice as high (purchases twice as seldom, churn twice as high).",
        "Для каждого рычага — наименьший шок (с месяца начала до конца горизонта), который "
        "ломает план; найден делением пополам на одних и тех же прогонах при каждом размере, "
        "интервал — бутстреп по прогонам. Доля 0,3 — на 30 % хуже; относительный рост 1 — "
        "вдвое выше (покупки вдвое реже, отток вдвое выше)."),
    "tornado_caption": (
        "Each assumption at its P10 and at its P90, the others at their medians, on the same "
        "runs: the largest swing on top.",
        "Каждое допущение на своих P10 и P90, остальные на медианах, на одних и тех же "
        "прогонах: сверху — наибольший размах."),
    "sobol_imprecise": (
        "Too few points to quote these figures: at N = {n} a 95% interval is up to {width} "
        "wide. Read only which assumptions lead; for figures, raise N (each doubling narrows "
        "the intervals by about 30%).",
        "Слишком мало точек, чтобы приводить эти числа: при выборке {n} интервал 95 % шириной "
        "до {width}. Смотрите только, какие допущения впереди; для чисел увеличьте выборку "
        "(каждое удвоение сужает интервалы примерно на 30 %)."),
    "sobol_s1_above_st": (
        "Some first-order indices (S1) came out above the total ones (ST), which the true values "
        "cannot be: another sign the sample is too small.",
        "Часть индексов первого порядка (S1) вышла больше полных (ST), чего у истинных значений "
        "быть не может: ещё один признак слишком малой выборки."),
    "sobol_caption": (
        "S1: the share of the outcome's variance an assumption carries alone; ST: with its "
        "interactions. Bars show 95% intervals.",
        "S1 — доля дисперсии показателя, которую допущение даёт само по себе; ST — вместе с "
        "взаимодействиями. Отрезки — интервалы 95 %."),
    "morris_caption": (
        "Right: the assumption moves the outcome a lot; up: its effect depends on the others.",
        "Правее — допущение сильно двигает показатель; выше — его влияние зависит от других."),
    "sens_provenance": ("{name} · N = {n} · {reps} run(s) per point · {runs} runs · seed {seed}",
                        "{name} · выборка {n} · прогонов на точку: {reps} · всего прогонов: "
                        "{runs} · серия {seed}"),
    "quick_sample": ("Quick answer from N = {n}; refining to N = {total}…",
                     "Быстрый ответ по выборке {n}; уточняем до выборки {total}…"),
    "refine_sample": ("Refine to N = {total}", "Уточнить до выборки {total}"),
    # parameters without a label in sim.report.i18n
    "committee_delay_days": ("buying-committee delay, days", "задержка решения комитета, дней"),
    "delay_days": ("delay, days", "задержка, дней"),
    "conversion_multiplier": ("conversion multiplier", "множитель конверсии"),
    "price_multiplier": ("price multiplier", "множитель цены"),
    "churn_multiplier": ("churn multiplier", "множитель оттока"),
    "frequency_multiplier": ("purchase frequency multiplier", "множитель частоты покупок"),
    "leads_per_client_month": ("referral leads per client a month",
                               "лидов по рекомендациям на клиента в месяц"),
    "onboarding_probability": ("share of clients brought to a result",
                               "доля клиентов, доведённых до результата"),
    "entry_share": ("share of new clients starting here", "доля новых клиентов, начинающих здесь"),
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

# Parameter labels the shared words already have (the scenario page's field labels).
_PROFILE_WORDS = {"leads": ("leads", "лиды"), "referrals": ("referrals", "рекомендации"),
                  "conversion": ("first-contact conversion", "конверсия первого контакта"),
                  "purchases": ("purchase frequency", "частота покупок"),
                  "churn": ("churn", "отток")}

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


def _titles(spec: Scenario | None, lang: Lang) -> dict[str, str]:
    """Channel, tier and segment names -> their titles in `lang` (the name when untitled)."""
    if spec is None:
        return {}
    parts: list[Any] = [*spec.channels, *spec.tiers, *spec.segments]
    return {p.name: text_in(getattr(p, "title", None), lang, p.name) for p in parts}


def param_label(path: str, lang: Lang, spec: Scenario | None = None) -> str:
    """A parameter path in words: the field's label and, for a channel's, a tier's or a
    segment's field, its title ("Макс. лидов — Реклама в Яндекс Директе"); a block of
    correlated parameters ("a + b") part by part; a path with no words as code (`path`)."""
    if " + " in path:
        return " + ".join(param_label(p, lang, spec) for p in path.split(" + "))
    parts = path.split(".")
    last = parts[-1]
    label = field_label(path, lang)  # the field's, declared in the spec
    if last in _TEXT:
        field = w(last, lang)
    elif label is not None:
        field = label
    else:
        return f"`{path}`"
    if parts[0] == "seasonality" and len(parts) > 2:  # whose seasons: a channel's, or the
        if parts[1] != "channels" or len(parts) < 4:  # profile's own name (leads, churn, ...)
            en, ru = _PROFILE_WORDS.get(parts[1], (parts[1], parts[1]))
            return f"{field} — {ru if lang == 'ru' else en}"
        parts = parts[1:]
    if parts[0] in ("channels", "tiers", "segments") and len(parts) > 2:
        name = parts[1]
        title = _titles(spec, lang).get(name)
        return f"{field} — {title}" if title is not None and title != name else (
            f"{field} — `{name}`")
    return field


def _name(name: str, lang: Lang, spec: Scenario | None) -> str:
    """A row's name: a lever, a stage, or a parameter (or block) in words."""
    if name in _TEXT or "." not in name:
        return _label(name, lang)
    return param_label(name, lang, spec)


def note_text(note: str, lang: Lang) -> str:
    """An analysis's note (`SensitivityResult.notes`) in words; "" for a note with none."""
    return w(note, lang) if note in _TEXT else note


def _headers(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    return frame.rename(columns={c: w(c, lang) for c in frame.columns})


# -- Sobol and Morris --------------------------------------------------------------------------
def _sobol_frame(result: SensitivityResult, metric: str, by: str) -> pd.DataFrame:
    if result.method != "sobol":
        raise ValueError("Sobol bars need a Sobol analysis (method sobol)")
    frame = result.indices[metric] if by == "parameter" else result.groups[by][metric]
    return frame.sort_values("ST", ascending=False, ignore_index=True)


def sobol_table(result: SensitivityResult, metric: str, lang: Lang,
                by: str = "parameter", spec: Scenario | None = None,
                formatted: bool = False) -> pd.DataFrame:
    """S1 and ST with their 95% intervals, largest total index first, headers in `lang`
    (`spec`: parameters named in words; `formatted`: indices as percentages in `lang`)."""
    frame = _sobol_frame(result, metric, by).copy()
    frame["name"] = [_name(n, lang, spec) for n in frame["name"]]
    if formatted:
        for c in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
            frame[c] = [percent(v, lang) for v in frame[c]]
    return _headers(frame, lang)


def sobol_figure(result: SensitivityResult, metric: str, lang: Lang,
                 by: str = "parameter", spec: Scenario | None = None) -> go.Figure:
    """Horizontal bars of S1 and ST per assumption (or lever, stage, block of correlated
    assumptions), with 95% intervals."""
    frame = _sobol_frame(result, metric, by).iloc[::-1]
    names = [_name(n, lang, spec) for n in frame["name"]]
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


def morris_table(result: SensitivityResult, metric: str, lang: Lang, by: str = "parameter",
                 spec: Scenario | None = None) -> pd.DataFrame:
    """mu* with its 95% interval and sigma, largest mu* first, headers in `lang`."""
    frame = (result.indices[metric] if by == "parameter" else result.groups[by][metric]).copy()
    frame["name"] = [_name(n, lang, spec) for n in frame["name"]]
    return _headers(frame[["name", "mu_star", "mu_star_low", "mu_star_high", "sigma"]], lang)


def morris_figure(result: SensitivityResult, metric: str, lang: Lang, by: str = "parameter",
                  spec: Scenario | None = None) -> go.Figure:
    """mu* (with its 95% interval) against sigma: right = matters, up = interacts."""
    frame = result.indices[metric] if by == "parameter" else result.groups[by][metric]
    fig = go.Figure(go.Scatter(
        x=frame["mu_star"], y=frame["sigma"], mode="markers+text",
        text=[_name(n, lang, spec) for n in frame["name"]], textposition="top center",
        error_x={"type": "data", "symmetric": False,
                 "array": frame["mu_star_high"] - frame["mu_star"],
                 "arrayminus": frame["mu_star"] - frame["mu_star_low"]}))
    fig.update_layout(title=w("morris_title", lang, metric=w(metric, lang)) + " — "
                      + w(f"by_{by}", lang),
                      xaxis_title=w("mu_star", lang), yaxis_title=w("sigma", lang),
                      template="plotly_white", hovermode="closest")
    return fig


# -- tornado -----------------------------------------------------------------------------------
def tornado_table(tornado: Tornado, metric: str, lang: Lang, spec: Scenario | None = None,
                  currency: str | None = None) -> pd.DataFrame:
    """One row per assumption, largest swing first (`spec`: named in words; `currency`: the
    outcomes formatted as money in `lang`, months and values as numbers)."""
    frame = tornado.table[metric].copy()
    frame["factor"] = [_name(n, lang, spec) for n in frame["factor"]]
    frame["lever"] = [_label(n, lang) for n in frame["lever"]]
    if currency is not None:
        outcome = ((lambda v: number(v, lang, 1)) if metric == "time_to_goal" else
                   (lambda v: money(v, currency, lang, compact=True)))
        for c in ("at_low", "at_high", "swing", "base"):
            frame[c] = [outcome(v) for v in frame[c]]
        for c in ("low_value", "high_value"):  # a share as a percentage ('2.0%', not 0.020)
            frame[c] = [percent(v, lang, 1)
                        if str(path).rsplit(".", 1)[-1] in SHARE_FIELDS
                        else number(v, lang, 3 if abs(v) < 10 else 0)
                        for path, v in zip(tornado.table[metric]["factor"], frame[c],
                                           strict=True)]
    return _headers(frame, lang)


def tornado_figure(tornado: Tornado, metric: str, lang: Lang,
                   spec: Scenario | None = None) -> go.Figure:
    """Bars from the outcome at the medians to the outcome at each assumption's P10 and P90,
    largest swing on top."""
    frame = tornado.table[metric].iloc[::-1]
    base = float(frame["base"].iloc[0]) if len(frame) else 0.0
    names = [_name(n, lang, spec) for n in frame["factor"]]
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
                      separators=", " if lang == "ru" else ".,",
                      legend={"orientation": "h", "y": -0.15})
    if metric != "time_to_goal" and len(frame):  # money: ticks in the language ('40 млн ₽')
        spread = np.concatenate([frame[k].to_numpy(dtype=float) for k in ("at_low", "at_high")])
        spread = spread[np.isfinite(spread)]
        if spread.size:
            vals, text = money_ticks(float(min(spread.min(), base)), float(max(spread.max(), base)),
                                     spec.currency if spec is not None else "", lang)
            if vals:
                fig.update_xaxes(tickmode="array", tickvals=vals, ticktext=text)
    return fig


# -- stress --------------------------------------------------------------------------------
def shock_label(name: str, lang: Lang, spec: Scenario | None = None) -> str:
    """A shock's name in words: the plan, a preset (at a severity: "recession x2"), a channel
    switched off (by the channel's title), an own shock ("custom 2"), shocks combined."""
    if name == "baseline":
        return w("baseline", lang)
    if " + " in name:
        return " + ".join(shock_label(part, lang, spec) for part in name.split(" + "))
    head, _, tail = name.partition(" x")  # "recession x2": a preset at severity 2
    kind, _, arg = head.partition(":")
    if kind == "channel_off" and arg:
        label = f"{w(kind, lang)}: {_titles(spec, lang).get(arg, arg)}"
    elif kind == "custom" and arg:
        label = w("custom", lang, n=arg)
    else:
        label = _label(head, lang)
    return f"{label} ×{tail}" if tail else label


_shock_label = shock_label
_STRESS_MONEY = ("npv_mean", "npv_p10", "npv_p50", "npv_p90", "delta_npv", "delta_npv_low",
                 "delta_npv_high")
_STRESS_SHARES = ("p_negative_npv", "p_goal", "p_goal_low", "p_goal_high", "delta_p_goal",
                  "delta_p_goal_low", "delta_p_goal_high")


def stress_table(stress: StressResult, lang: Lang, spec: Scenario | None = None,
                 formatted: bool = False) -> pd.DataFrame:
    """One row per alternative (the plan first), headers in `lang`; `formatted`: money and
    percentages written in `lang` (the scenario's currency)."""
    frame = stress.table()
    frame["shock"] = [shock_label(n, lang, spec) for n in frame["shock"]]
    if formatted:
        cur = stress.comparison.spec.currency
        for c in _STRESS_MONEY:  # one scale a column
            frame[c] = money_column(list(frame[c]), cur, lang)
        for c in _STRESS_SHARES:
            frame[c] = [percent(v, lang) for v in frame[c]]
    return _headers(frame, lang)


def stress_figure(stress: StressResult, lang: Lang, spec: Scenario | None = None) -> go.Figure:
    """P(goal by the deadline) per shock with its Wilson 95% interval; the plan's as a line."""
    frame = stress.table()
    mid = frame["p_goal"].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(
        x=[shock_label(n, lang, spec) for n in frame["shock"]], y=mid,
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


def stress_npv_figure(stress: StressResult, lang: Lang,
                      spec: Scenario | None = None) -> go.Figure:
    """Box plots of NPV per shock (every replication a point)."""
    cmp = stress.comparison
    fig = go.Figure()
    for i, name in enumerate(cmp.names):
        fig.add_trace(go.Box(y=cmp.scalars[name]["npv_profit"],
                             name=shock_label(name, lang, spec),
                             boxpoints="all", jitter=0.3, boxmean=True,
                             marker_color=_PALETTE[i % len(_PALETTE)]))
    fig.update_layout(title=w("stress_npv_title", lang), template="plotly_white",
                      showlegend=False, separators=", " if lang == "ru" else ".,")
    if spec is not None:  # ticks with the currency, in the language ('200 млн ₽', 'RUB 200M')
        values = np.concatenate([np.asarray(cmp.scalars[n]["npv_profit"], dtype=float)
                                 for n in cmp.names])
        values = values[np.isfinite(values)]
        if values.size:
            ticks, text = money_ticks(float(values.min()), float(values.max()), spec.currency,
                                      lang)
            fig.update_yaxes(tickmode="array", tickvals=ticks, ticktext=text)
    return fig


# -- reverse stress --------------------------------------------------------------------------
def target_label(name: str, lang: Lang, spec: Scenario | None = None) -> str:
    """A reverse stress target in words: a lever, or a parameter moved down or up
    ("path:up")."""
    path, _, direction = name.partition(":")
    if "." not in path:
        return _label(name, lang)
    return param_label(path, lang, spec) + (f" ({w(direction, lang)})" if direction else "")


def _size(x: Any, lang: Lang, missing: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return w(missing, lang)
    return number(float(x), lang, 2)


def reverse_note(reverse: ReverseResult, lang: Lang, currency: str | None = None
                 ) -> str | None:
    """What to read first above the reverse stress table: that the plan already misses the
    threshold (then every size reads 0), or the default threshold the plan's chance set."""
    if reverse.plan_value is None:
        return None
    if reverse.plan_broken:
        if reverse.criterion == "npv":
            plan = (money(reverse.plan_value, currency, lang, compact=True) if currency
                    else number(reverse.plan_value, lang))
            return t("reverse_plan_broken_npv", lang, plan=plan)
        return t("reverse_plan_broken", lang, plan=percent(reverse.plan_value, lang),
                        threshold=percent(reverse.threshold, lang))
    if reverse.threshold_default:
        return t("reverse_auto_threshold", lang,
                        threshold=percent(reverse.threshold, lang),
                        plan=percent(reverse.plan_value, lang))
    return None


def reverse_table(reverse: ReverseResult, lang: Lang, spec: Scenario | None = None
                  ) -> pd.DataFrame:
    """What breaks the plan: per lever (or parameter) the smallest shock that breaks it, with
    its 95% interval, formatted for reading (`spec`: parameters named in words, NPV in its
    currency)."""
    frame = reverse.table()
    cur = spec.currency if spec is not None else None
    value = (lambda v: percent(v, lang)) if reverse.criterion == "goal" else (
        (lambda v: money(v, cur, lang, compact=True)) if cur else (lambda v: number(v, lang)))
    out = pd.DataFrame({
        "target": [target_label(n, lang, spec) for n in frame["target"]],
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
