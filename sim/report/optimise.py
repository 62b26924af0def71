"""The optimiser's answer for people: the recommended allocation beside today's, its figures with
intervals, the runner-ups and how much worse they are, and where the next unit of money earns
most; as tables, sentences and plotly figures, in English or Russian.

Reads only an `OptimisationResult` (`sim.experiments.optimise`); runs nothing. The CLI, the app
and a notebook call the same functions. `write_optimisation` writes `optimise.json`,
`optimise_figures.parquet` and `optimise_trials.parquet` as one unit (`sim.report.output`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from models.spec.fields import field_label, is_money
from models.spec.scenario import Scenario, text_in
from sim.experiments.optimise import TODAY, OptimisationResult
from sim.report.decision import verdict_kind, verdict_line
from sim.report.i18n import Lang, money, money_ticks, number, percent

_TEXT: dict[str, tuple[str, str]] = {
    # objectives
    "p_goal": ("chance of the goal by the deadline", "вероятность цели к сроку"),
    "months_to_goal": ("months to the goal (median)", "месяцев до цели (медиана)"),
    "npv": ("expected NPV of profit", "ожидаемая NPV прибыли"),
    "npv_quantile": ("NPV of profit in a bad case (lower quantile)",
                     "NPV прибыли в плохом случае (нижний квантиль)"),
    "cvar": ("average NPV of profit over the worst cases (CVaR)",
             "средняя NPV прибыли в худших случаях"),
    # names
    "today": ("today's allocation", "как сейчас"),
    "rank": ("option {n}", "вариант {n}"),
    "on": ("yes", "да"),
    "off": ("no", "нет"),
    "retention.enabled": ("Retention programme", "Программа удержания"),
    "win_back.enabled": ("Win-back campaign", "Кампания возврата клиентов"),
    "spend_monthly_max": ("Spend in the dearest month", "Расходы в самый дорогой месяц"),
    "spend_total": ("Spend over the horizon", "Расходы за горизонт"),
    "bet_size": ("{bet}: size", "{bet}: размер"),
    # columns
    "col_variable": ("What is decided", "Что решаем"),
    "col_today": ("Today", "Сейчас"),
    "col_recommended": ("Recommended", "Рекомендуем"),
    "col_could_be": ("Equally good range", "Не хуже в пределах"),
    "col_bounds": ("Allowed", "Допустимо"),
    "col_allocation": ("Allocation", "Распределение"),
    "col_objective": ("Objective", "Цель оптимизации"),
    "col_worse_by": ("Worse than the best by", "Хуже лучшего на"),
    "col_npv": ("NPV of profit", "NPV прибыли"),
    "col_npv_vs_today": ("NPV against today", "NPV к текущему"),
    "col_roi": ("ROI of the change", "ROI изменения"),
    "col_payback": ("Payback month", "Месяц окупаемости"),
    "col_months": ("Months to goal P10 / P50 / P90", "Месяцев до цели P10 / P50 / P90"),
    "col_p_goal": ("Chance of the goal", "Вероятность цели"),
    "col_spend": ("Spend a month (max)", "Расходы в месяц (макс.)"),
    "col_floor": ("Cash floor broken", "Нарушение минимума денег"),
    "col_move": ("Move", "Шаг"),
    "col_extra_spend": ("Extra money over the horizon", "Доп. деньги за горизонт"),
    "col_npv_change": ("Change of NPV", "Изменение NPV"),
    "col_per_money": ("NPV per unit of money", "NPV на единицу денег"),
    "col_objective_change": ("Change of the objective", "Изменение цели оптимизации"),
    "transfer": ("move {amount}", "перенести {amount}"),
    "switch_on": ("switch on", "включить"),
    "switch_off": ("switch off", "выключить"),
    # sentences
    "recommend": ("Recommended allocation for the {objective}: {value} (today: {today}).",
                  "Рекомендуемое распределение по критерию «{objective}»: {value} (сейчас: "
                  "{today})."),
    "keep": ("Keep today's allocation: none of the {n} tried does better on the {objective} "
             "({value}).",
             "Оставить как есть: ни один из {n} проверенных вариантов не лучше по критерию "
             "«{objective}» ({value})."),
    "runner_up": ("The runner-up is worse by {diff} (95% interval {lo} to {hi}).",
                  "Следующий вариант хуже на {diff} (интервал 95\u00a0%: от {lo} до {hi})."),
    "alone": ("Only one allocation fits the constraints.",
              "Ограничениям удовлетворяет только одно распределение."),
    # the reason of the verdict "search_open" (`sim.report.decision.verdict_line`)
    "not_converged": ("one step of {name} ({move}) stays within the constraints and does better "
                      "by {diff}; try more trials or narrower ranges.",
                      "один шаг в «{name}» ({move}) не нарушает ограничений и даёт лучше на "
                      "{diff}; увеличьте число проверяемых распределений или сузьте диапазоны."),
    "bets_covered": ("Options not switched on or off here because a parameter above decides "
                     "what they change: {names}.",
                     "Варианты, которые здесь не включаются и не выключаются, потому что то, "
                     "что они меняют, решает параметр выше: {names}."),
    "today_over": ("Today's allocation breaks the constraints (budget or cash floor); it is "
                   "shown for reference only.",
                   "Текущее распределение нарушает ограничения (бюджет или минимум денег); оно "
                   "показано только для сравнения."),
    "next_money": ("The next money earns most in {name}: {per} of NPV per unit of money "
                   "spent (one step: {move}).",
                   "Следующие деньги дают больше всего в «{name}»: {per} NPV на единицу "
                   "вложенных денег (один шаг: {move})."),
    "next_money_none": ("No step tried pays for itself: the next money returns less than it "
                        "costs wherever it goes (at best {per} of NPV per unit, in {name}).",
                        "Ни один шаг не окупается: следующие деньги приносят меньше, чем "
                        "стоят, куда их ни вложить (в лучшем случае {per} NPV на единицу, в "
                        "«{name}»)."),
    "no_next_money": ("No variable costs money at the optimum; see the table of one-step "
                      "changes.",
                      "Ни одна переменная в оптимуме не требует денег; см. таблицу изменений "
                      "на один шаг."),
    "how": ("{trials} allocations tried on {reps} simulated futures each; the best {k} and "
            "today's checked again on {final} new ones (seed {seed}, {seconds}).",
            "Проверено {trials} распределений, каждое на {reps} смоделированных вариантах "
            "будущего; лучшие {k} и текущее перепроверены на {final} новых (серия {seed}, "
            "{seconds})."),
    # the app's page
    "ui_intro": ("Which split of the money (channels' budgets, managers, the options on the "
                 "list) reaches the goal soonest, most surely or with the most NPV? Each "
                 "allocation is simulated on the same futures; the best are checked again on "
                 "new ones.",
                 "Как распределить деньги (бюджеты каналов, менеджеры, варианты из списка), "
                 "чтобы достичь цели быстрее, вернее или с наибольшей NPV? Каждое распределение "
                 "моделируется на одних и тех же вариантах будущего; лучшие перепроверяются на "
                 "новых."),
    "ui_objective": ("What to optimise", "Что оптимизировать"),
    "ui_budget": ("Budget: a month's, money decided in any month at most (advertising, "
                  "salaries, options; 0 = no limit)",
                  "Бюджет: месячный, денег в любой месяц не более (реклама, зарплаты, варианты; "
                  "0 = без ограничения)"),
    "ui_trials": ("Allocations to try", "Сколько распределений проверить"),
    "ui_variables": ("What may change (from zero to twice today's budget; managers from two "
                     "fewer to three more)",
                     "Что можно менять (бюджет от нуля до двух текущих; менеджеров от двух "
                     "меньше до трёх больше)"),
    "ui_bets": ("Options to switch on or off", "Варианты вложений: включать или нет"),
    "ui_run": ("Find the allocation", "Найти распределение"),
    "ui_running": ("Searching for the allocation", "Поиск распределения"),
    "ui_choose": ("Choose at least one thing that may change.",
                  "Выберите хотя бы одно, что можно менять."),
    "sub_allocation": ("Recommended allocation beside today's",
                       "Рекомендуемое распределение рядом с текущим"),
    "sub_figures": ("The best allocations and today's, with 95% intervals",
                    "Лучшие распределения и текущее, с интервалами 95 %"),
    "sub_marginal": ("Why: one more step of each at the optimum",
                     "Почему: ещё один шаг каждого в оптимуме"),
    # figures
    "fig_trials": ("The search: each allocation tried", "Поиск: каждое проверенное распределение"),
    "fig_trial": ("Allocation tried", "Проверенное распределение"),
    "fig_best": ("Best so far", "Лучшее на этот момент"),
    "fig_over_budget": ("Over budget (not simulated)", "Сверх бюджета (не моделировалось)"),
    "fig_allocation": ("Today and recommended", "Сейчас и рекомендуемое"),
    "fig_marginal": ("Where the next money earns most: NPV per unit of money",
                     "Где следующие деньги дают больше: NPV на единицу денег"),
}



def words() -> dict[str, tuple[str, str]]:
    return dict(_TEXT)


def w(key: str, lang: Lang, **values: object) -> str:
    en, ru = _TEXT[key]
    text = ru if lang == "ru" else en
    return text.format(**values) if values else text


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def variable_label(path: str, spec: Scenario, lang: Lang) -> str:
    """A variable in words: 'Yandex Direct ads: budget a month', 'Managers'; a path without
    words of its own stays as code."""
    if path in _TEXT:
        return w(path, lang)
    parts = path.split(".")
    field = field_label(path, lang)
    if field is None:
        return f"`{path}`"
    if parts[0] in ("channels", "tiers", "segments") and len(parts) == 3:
        items = {getattr(x, "name", ""): x for x in getattr(spec, parts[0])}
        item = items.get(parts[1])
        title = text_in(getattr(item, "title", None), lang, parts[1]) if item else parts[1]
        return f"{title}: {field[:1].lower()}{field[1:]}"
    return field


def bet_label(name: str, spec: Scenario, lang: Lang) -> str:
    bet = next((b for b in spec.bets if b.name == name), None)
    return text_in(bet.title, lang, name) if bet is not None else name


def allocation_name(name: str, lang: Lang) -> str:
    if name == TODAY:
        return w("today", lang)
    return w("rank", lang, n=name.removeprefix("rank "))


def value_text(path: str, value: float | None, currency: str, lang: Lang) -> str:
    """A variable's value as its field is written: money, a whole number, a number."""
    if _missing(value):
        return "—"
    assert value is not None
    if is_money(path):  # the field's kind, declared in the spec
        return money(value, currency, lang)
    if path.endswith(".enabled"):  # a switch, varied as 0 or 1
        return w("on" if value >= 0.5 else "off", lang)
    return number(value, lang, 0 if float(value).is_integer() else 3)


def objective_text(result: OptimisationResult, value: float | None, lang: Lang,
                   difference: bool = False) -> str:
    """The objective's figure as the owner reads it (a chance, months, money)."""
    name = result.objective.name
    if _missing(value):
        return "—"
    assert value is not None
    if name == "p_goal":
        return (number(value * 100, lang, 1) + (" п.п." if lang == "ru" else " pp")
                if difference else percent(value, lang))
    if name == "months_to_goal":
        return number(value, lang, 1)
    return money(value, result.spec.currency, lang, compact=True)


def objective_name(result: OptimisationResult, lang: Lang) -> str:
    return w(result.objective.name, lang)


# -- tables -------------------------------------------------------------------------------------
def _row_words(kind: str, var: str, spec: Scenario, lang: Lang
               ) -> tuple[str, Callable[[Any], str]]:
    """A row of the allocation table: its label and how its values are written."""
    cur = spec.currency
    if kind == "bet":
        return bet_label(var, spec, lang), lambda x: (
            "—" if _missing(x) else w("on" if x >= 0.5 else "off", lang))
    if kind == "bet_size":
        name = var.removesuffix(" (size)")
        change = next(b for b in spec.bets if b.name == name).changes[0].path
        return (w("bet_size", lang, bet=bet_label(name, spec, lang)),
                lambda x: value_text(change, x, cur, lang))
    if kind == "spend":
        return w(var, lang), lambda x: money(None if _missing(x) else float(x), cur, lang)
    return variable_label(var, spec, lang), lambda x: value_text(var, x, cur, lang)


def allocation_view(result: OptimisationResult, lang: Lang) -> pd.DataFrame:
    """What is decided, today and recommended, the range the could-be-best options span."""
    spec = result.spec
    rows = []
    for r in result.allocation_table().to_dict(orient="records"):
        kind, var = r["kind"], str(r["variable"])
        label, fmt = _row_words(kind, var, spec, lang)
        could = ("—" if _missing(r["could_be_low"]) else
                 f"{fmt(r['could_be_low'])} … {fmt(r['could_be_high'])}")
        bounds = (f"≤ {fmt(r['high'])}" if kind == "spend" and not _missing(r["high"])
                  else "—" if kind == "spend" else f"{fmt(r['low'])} … {fmt(r['high'])}")
        rows.append({w("col_variable", lang): label, w("col_today", lang): fmt(r["today"]),
                     w("col_recommended", lang): fmt(r["recommended"]),
                     w("col_could_be", lang): could, w("col_bounds", lang): bounds})
    return pd.DataFrame(rows)


def _ci(mid: Any, lo: Any, hi: Any, fmt: Any) -> str:
    if _missing(mid):
        return "—"
    return f"{fmt(mid)} [{fmt(lo)} … {fmt(hi)}]"


def _months(*values: Any) -> str:
    return " / ".join("—" if _missing(v) else f"{float(v):.0f}" for v in values)


def figures_view(result: OptimisationResult, lang: Lang) -> pd.DataFrame:
    """The finalists' figures with 95% intervals, the winner first."""
    cur = result.spec.currency

    def cash(x: Any) -> str:
        return money(None if _missing(x) else float(x), cur, lang, compact=True)

    def share(x: Any) -> str:
        return percent(None if _missing(x) else float(x), lang)

    def goal(x: Any) -> str:
        return objective_text(result, None if _missing(x) else float(x), lang)

    def worse(x: Any) -> str:
        return objective_text(result, None if _missing(x) else float(x), lang, True)

    rows = []
    for r in result.figures().to_dict(orient="records"):
        first = r["allocation"] == result.finalists[0][0]
        rows.append({
            w("col_allocation", lang): allocation_name(r["allocation"], lang),
            w("col_objective", lang): goal(r["objective"]),
            w("col_worse_by", lang): "—" if first else _ci(r["worse_by"], r["worse_lo"],
                                                           r["worse_hi"], worse),
            w("col_npv", lang): _ci(r["npv"], r["npv_lo"], r["npv_hi"], cash),
            w("col_npv_vs_today", lang): ("—" if r["allocation"] == TODAY else
                                          _ci(r["npv_vs_today"], r["npv_vs_today_lo"],
                                              r["npv_vs_today_hi"], cash)),
            w("col_roi", lang): _ci(r["roi"], r["roi_lo"], r["roi_hi"], share),
            w("col_payback", lang): _months(r["payback_month"]),
            w("col_months", lang): _months(r["months_to_goal_p10"], r["months_to_goal_p50"],
                                           r["months_to_goal_p90"]),
            w("col_p_goal", lang): _ci(r["p_goal"], r["p_goal_lo"], r["p_goal_hi"], share),
            w("col_spend", lang): money(r["spend_monthly_max"], cur, lang, compact=True),
            w("col_floor", lang): share(r["cash_floor_breach"]),
        })
    return pd.DataFrame(rows)


def _move_text(result: OptimisationResult, variable: str, move: float, lang: Lang,
               target: str | None = None) -> str:
    if target is not None:
        return w("transfer", lang, amount=value_text(variable, move, result.spec.currency, lang))
    if any(c.name == variable for c in result.choices) or variable.endswith(".enabled"):
        return w("switch_on" if move > 0 else "switch_off", lang)
    sign = "+" if move > 0 else "−"
    return sign + value_text(variable, abs(move), result.spec.currency, lang)


def _variable_words(result: OptimisationResult, variable: str, lang: Lang,
                    target: str | None = None) -> str:
    if target is not None:
        return (f"{variable_label(variable, result.spec, lang)} → "
                f"{variable_label(target, result.spec, lang)}")
    if any(c.name == variable for c in result.choices):
        return bet_label(variable, result.spec, lang)
    return variable_label(variable, result.spec, lang)


def marginal_view(result: OptimisationResult, lang: Lang) -> pd.DataFrame:
    """One step of each variable at the optimum, best NPV per unit of money first."""
    cur = result.spec.currency

    def cash(x: Any) -> str:
        return money(None if _missing(x) else float(x), cur, lang, compact=True)

    rows = []
    for r in result.marginal_table().to_dict(orient="records"):
        target = None if _missing(r["target"]) else str(r["target"])
        rows.append({
            w("col_variable", lang): _variable_words(result, r["variable"], lang, target),
            w("col_move", lang): _move_text(result, r["variable"], r["move"], lang, target),
            w("col_extra_spend", lang): cash(r["extra_spend"]),
            w("col_npv_change", lang): _ci(r["npv"], r["npv_lo"], r["npv_hi"], cash),
            w("col_per_money", lang): number(r["npv_per_money"], lang, 2),
            w("col_objective_change", lang): objective_text(result, r["objective"], lang, True),
        })
    return pd.DataFrame(rows)


def summary_lines(result: OptimisationResult, lang: Lang) -> list[str]:
    """The answer in sentences."""
    from sim.report.i18n import duration

    goal = objective_name(result, lang)
    win_name, winner = result.finalists[0]
    value = objective_text(result, result.objective.value(winner.score), lang)
    today = objective_text(result, result.objective.value(result.today.score), lang)
    lines = []
    if win_name == TODAY:
        lines.append(w("keep", lang, n=len(result.trials), objective=goal, value=value))
    else:
        lines.append(w("recommend", lang, objective=goal, value=value, today=today))
    runner = result.runner_up
    if runner is None:
        lines.append(w("alone", lang))
    else:
        d = result.differences[runner]
        fmt = {k: objective_text(result, d[v], lang, True)
               for k, v in (("diff", "mean"), ("lo", "ci_low"), ("hi", "ci_high"))}
        lines.append(w("runner_up", lang, **fmt))
    if not result.today_feasible:
        lines.append(w("today_over", lang))
    # the verdict: the one rule of the comparison's summary (`sim.report.decision`)
    kind = verdict_kind(result.separated, result.converged)
    why = ""
    # the move that does best beyond the noise is the one named
    better = max((m for m in result.marginals if m.better), key=lambda m: abs(m.objective),
                 default=None)
    if better is not None:
        why = w("not_converged", lang,
                name=_variable_words(result, better.variable, lang, better.target),
                move=_move_text(result, better.variable, better.move, lang, better.target),
                diff=objective_text(result, abs(better.objective), lang, True))
    others = ", ".join(allocation_name(n, lang) for n in result.could_be_best[1:])
    lines.append(verdict_line(kind, lang, why=why, others=others,
                              n=number(4 * result.final_replications, lang)))
    if result.covered:
        lines.append(w("bets_covered", lang, names=", ".join(
            bet_label(b, result.spec, lang) for b in result.covered)))
    paying = [m for m in result.marginals if m.npv_per_money is not None and m.extra_spend > 0]
    if paying:
        best = max(paying, key=lambda m: m.npv_per_money or -math.inf)
        lines.append(w("next_money" if (best.npv_per_money or 0) > 0 else "next_money_none",
                       lang, name=_variable_words(result, best.variable, lang),
                       per=number(best.npv_per_money, lang, 2),
                       move=_move_text(result, best.variable, best.move, lang)))
    else:
        lines.append(w("no_next_money", lang))
    lines.append(w("how", lang, trials=len(result.trials), reps=result.replications,
                   k=len([n for n, _ in result.finalists if n != TODAY]),
                   final=result.final_replications, seed=result.seed,
                   seconds=duration(result.seconds, lang)))
    return lines


# -- figures ------------------------------------------------------------------------------------
def _layout(fig: go.Figure, lang: Lang, title: str, x: str = "", y: str = "") -> go.Figure:
    fig.update_layout(title=title, separators=", " if lang == "ru" else ".,",
                      template="plotly_white", margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.2}, xaxis_title=x, yaxis_title=y)
    return fig


def trials_chart(result: OptimisationResult, lang: Lang) -> go.Figure:
    """Each trial's objective on the screening replications, and the best so far."""
    frame = result.trials
    fig = go.Figure()
    ok = frame[frame["feasible"]] if not frame.empty else frame
    higher = result.objective.name != "months_to_goal"
    best = (ok["objective"].cummax() if higher else ok["objective"].cummin()) if len(ok) else ok
    fig.add_scatter(x=(ok["trial"] + 1).tolist(), y=ok["objective"].tolist(), mode="markers",
                    name=w("fig_trial", lang))
    if len(ok):
        fig.add_scatter(x=(ok["trial"] + 1).tolist(), y=best.tolist(), mode="lines",
                        name=w("fig_best", lang), line={"shape": "hv"})
    over = frame[~frame["feasible"] & frame["objective"].isna()] if not frame.empty else frame
    if len(over):
        fig.add_scatter(x=(over["trial"] + 1).tolist(),
                        y=[float(ok["objective"].min()) if len(ok) else 0.0] * len(over),
                        mode="markers", marker={"symbol": "x", "color": "#999"},
                        name=w("fig_over_budget", lang))
    fig = _layout(fig, lang, w("fig_trials", lang), w("fig_trial", lang),
                  objective_name(result, lang))
    if result.objective.name in ("npv", "npv_quantile", "cvar") and len(ok):  # money
        _money_axis(fig, ok["objective"].to_numpy(dtype=float), result.spec.currency, lang,
                    "yaxis")
    return fig


def _money_axis(fig: go.Figure, values: np.ndarray, currency: str, lang: Lang,
                axis: str) -> None:
    """The axis' ticks in the language's money format ('40 млн ₽', 'RUB 40M'), over the values
    and zero: plotly's own '40M' reads as English in either language."""
    finite = values[np.isfinite(values)]
    if finite.size:
        vals, text = money_ticks(min(float(finite.min()), 0.0), max(float(finite.max()), 0.0),
                                 currency, lang)
        if vals:
            fig.update_layout({axis: {"tickmode": "array", "tickvals": vals, "ticktext": text}})


def allocation_chart(result: OptimisationResult, lang: Lang) -> go.Figure:
    """Today's and the recommended money per money variable (bars side by side)."""
    money_vars = [v.path for v in result.variables if is_money(v.path)]
    labels = [variable_label(p, result.spec, lang) for p in money_vars]
    fig = go.Figure()
    for name, ev in ((TODAY, result.today), (result.finalists[0][0], result.winner)):
        values = [ev.allocation[p] for p in money_vars]
        fig.add_bar(y=labels, x=values, orientation="h",
                    name=(w("today", lang) if name == TODAY else w("col_recommended", lang)),
                    text=[money(v, result.spec.currency, lang, compact=True) for v in values])
    fig.update_layout(barmode="group")
    fig = _layout(fig, lang, w("fig_allocation", lang))
    _money_axis(fig, np.array([ev.allocation[p] for ev in (result.today, result.winner)
                               for p in money_vars], dtype=float), result.spec.currency, lang,
                "xaxis")
    return fig


def marginal_chart(result: OptimisationResult, lang: Lang) -> go.Figure:
    frame = result.marginal_table()
    fig = go.Figure()
    if not frame.empty:
        frame = frame[frame["npv_per_money"].notna()]
        fig.add_bar(y=[_variable_words(result, v, lang) for v in frame["variable"]],
                    x=frame["npv_per_money"].astype(float).tolist(), orientation="h")
    # (the chart sits in half the page: its title on two lines)
    return _layout(fig, lang, w("fig_marginal", lang).replace(": ", ":<br>", 1))


# -- files --------------------------------------------------------------------------------------
def write_optimisation(result: OptimisationResult, out_dir: Path) -> list[Path]:
    """`optimise.json` (the answer), `optimise_figures.parquet` (the finalists' figures) and
    `optimise_trials.parquet` (every trial), written as one unit."""
    from sim.report.output import write_optimise

    return write_optimise(result.to_dict(), result.figures(), result.trials, out_dir)
