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
from models.words import Lang, has, t
from models.words.formats import money, money_ticks, number, percent, plotly_separators, sign
from sim.experiments.optimise import TODAY, OptimisationResult
from sim.report.decision import verdict_kind, verdict_line


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def variable_label(path: str, spec: Scenario, lang: Lang) -> str:
    """A variable in words: 'Yandex Direct ads: budget a month', 'Managers'; a path without
    words of its own stays as code."""
    if has(f"optimise.{path}"):
        return t(f"optimise.{path}", lang)
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
        return t("optimise.today", lang)
    return t("optimise.rank", lang, n=name.removeprefix("rank "))


def value_text(path: str, value: float | None, currency: str, lang: Lang) -> str:
    """A variable's value as its field is written: money, a whole number, a number."""
    if _missing(value):
        return "—"
    assert value is not None
    if is_money(path):  # the field's kind, declared in the spec
        return money(value, currency, lang)
    if path.endswith(".enabled"):  # a switch, varied as 0 or 1
        return t("optimise.on" if value >= 0.5 else "optimise.off", lang)
    return number(value, lang, 0 if float(value).is_integer() else 3)


def objective_text(result: OptimisationResult, value: float | None, lang: Lang,
                   difference: bool = False) -> str:
    """The objective's figure as the owner reads it (a chance, months, money)."""
    name = result.objective.name
    if _missing(value):
        return "—"
    assert value is not None
    if name == "p_goal":
        return (t("optimise.points", lang, n=number(value * 100, lang, 1))
                if difference else percent(value, lang))
    if name == "months_to_goal":
        return number(value, lang, 1)
    return money(value, result.spec.currency, lang, compact=True)


def objective_name(result: OptimisationResult, lang: Lang) -> str:
    return t(f"optimise.{result.objective.name}", lang)


# -- tables -------------------------------------------------------------------------------------
def _row_words(kind: str, var: str, spec: Scenario, lang: Lang
               ) -> tuple[str, Callable[[Any], str]]:
    """A row of the allocation table: its label and how its values are written."""
    cur = spec.currency
    if kind == "bet":
        return bet_label(var, spec, lang), lambda x: (
            "—" if _missing(x) else t("optimise.on" if x >= 0.5 else "optimise.off", lang))
    if kind == "bet_size":
        name = var.removesuffix(" (size)")
        change = next(b for b in spec.bets if b.name == name).changes[0].path
        return (t("optimise.bet_size", lang, bet=bet_label(name, spec, lang)),
                lambda x: value_text(change, x, cur, lang))
    if kind == "spend":
        return t(f"optimise.{var}", lang), lambda x: money(None if _missing(x) else float(x), cur,
                                                           lang)
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
        rows.append({t("optimise.col_variable", lang): label, t("optimise.col_today",
                                                                lang): fmt(r["today"]),
                     t("optimise.col_recommended", lang): fmt(r["recommended"]),
                     t("optimise.col_could_be", lang): could, t("optimise.col_bounds",
                                                                lang): bounds})
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
            t("optimise.col_allocation", lang): allocation_name(r["allocation"], lang),
            t("optimise.col_objective", lang): goal(r["objective"]),
            t("optimise.col_worse_by", lang): "—" if first else _ci(r["worse_by"], r["worse_lo"],
                                                           r["worse_hi"], worse),
            t("optimise.col_npv", lang): _ci(r["npv"], r["npv_lo"], r["npv_hi"], cash),
            t("optimise.col_npv_vs_today", lang): ("—" if r["allocation"] == TODAY else
                                          _ci(r["npv_vs_today"], r["npv_vs_today_lo"],
                                              r["npv_vs_today_hi"], cash)),
            t("optimise.col_roi", lang): _ci(r["roi"], r["roi_lo"], r["roi_hi"], share),
            t("optimise.col_payback", lang): _months(r["payback_month"]),
            t("optimise.col_months", lang): _months(r["months_to_goal_p10"],
                                                    r["months_to_goal_p50"],
                                           r["months_to_goal_p90"]),
            t("optimise.col_p_goal", lang): _ci(r["p_goal"], r["p_goal_lo"], r["p_goal_hi"], share),
            t("optimise.col_spend", lang): money(r["spend_monthly_max"], cur, lang, compact=True),
            t("optimise.col_floor", lang): share(r["cash_floor_breach"]),
        })
    return pd.DataFrame(rows)


def _move_text(result: OptimisationResult, variable: str, move: float, lang: Lang,
               target: str | None = None) -> str:
    if target is not None:
        return t("optimise.transfer", lang, amount=value_text(variable, move, result.spec.currency,
                                                              lang))
    if any(c.name == variable for c in result.choices) or variable.endswith(".enabled"):
        return t("optimise.switch_on" if move > 0 else "optimise.switch_off", lang)
    return sign(move, lang) + value_text(variable, abs(move), result.spec.currency, lang)


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
            t("optimise.col_variable", lang): _variable_words(result, r["variable"], lang, target),
            t("optimise.col_move", lang): _move_text(result, r["variable"], r["move"], lang,
                                                     target),
            t("optimise.col_extra_spend", lang): cash(r["extra_spend"]),
            t("optimise.col_npv_change", lang): _ci(r["npv"], r["npv_lo"], r["npv_hi"], cash),
            t("optimise.col_per_money", lang): number(r["npv_per_money"], lang, 2),
            t("optimise.col_objective_change", lang): objective_text(result, r["objective"], lang,
                                                                     True),
        })
    return pd.DataFrame(rows)


def summary_lines(result: OptimisationResult, lang: Lang) -> list[str]:
    """The answer in sentences."""
    from models.words.formats import duration

    goal = objective_name(result, lang)
    win_name, winner = result.finalists[0]
    value = objective_text(result, result.objective.value(winner.score), lang)
    today = objective_text(result, result.objective.value(result.today.score), lang)
    lines = []
    if win_name == TODAY:
        lines.append(t("optimise.keep", lang, n=len(result.trials), objective=goal, value=value))
    else:
        lines.append(t("optimise.recommend", lang, objective=goal, value=value, today=today))
    runner = result.runner_up
    if runner is None:
        lines.append(t("optimise.alone", lang))
    else:
        d = result.differences[runner]
        fmt = {k: objective_text(result, d[v], lang, True)
               for k, v in (("diff", "mean"), ("lo", "ci_low"), ("hi", "ci_high"))}
        lines.append(t("optimise.runner_up", lang, **fmt))
    if not result.today_feasible:
        lines.append(t("optimise.today_over", lang))
    # the verdict: the one rule of the comparison's summary (`sim.report.decision`)
    kind = verdict_kind(result.separated, result.converged)
    why = ""
    # the move that does best beyond the noise is the one named
    better = max((m for m in result.marginals if m.better), key=lambda m: abs(m.objective),
                 default=None)
    if better is not None:
        why = t("optimise.not_converged", lang,
                name=_variable_words(result, better.variable, lang, better.target),
                move=_move_text(result, better.variable, better.move, lang, better.target),
                diff=objective_text(result, abs(better.objective), lang, True))
    others = ", ".join(allocation_name(n, lang) for n in result.could_be_best[1:])
    lines.append(verdict_line(kind, lang, why=why, others=others,
                              n=number(4 * result.final_replications, lang)))
    if result.covered:
        lines.append(t("optimise.bets_covered", lang, names=", ".join(
            bet_label(b, result.spec, lang) for b in result.covered)))
    paying = [m for m in result.marginals if m.npv_per_money is not None and m.extra_spend > 0]
    if paying:
        best = max(paying, key=lambda m: m.npv_per_money or -math.inf)
        paid = (best.npv_per_money or 0) > 0
        lines.append(t("optimise.next_money" if paid else "optimise.next_money_none", lang,
                       name=_variable_words(result, best.variable, lang),
                       per=number(best.npv_per_money, lang, 2),
                       move=_move_text(result, best.variable, best.move, lang)))
    else:
        lines.append(t("optimise.no_next_money", lang))
    lines.append(t("optimise.how", lang, trials=len(result.trials), reps=result.replications,
                   k=len([n for n, _ in result.finalists if n != TODAY]),
                   final=result.final_replications, seed=result.seed,
                   seconds=duration(result.seconds, lang)))
    return lines


# -- figures ------------------------------------------------------------------------------------
def _layout(fig: go.Figure, lang: Lang, title: str, x: str = "", y: str = "") -> go.Figure:
    fig.update_layout(title=title, separators=plotly_separators(lang),
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
                    name=t("optimise.fig_trial", lang))
    if len(ok):
        fig.add_scatter(x=(ok["trial"] + 1).tolist(), y=best.tolist(), mode="lines",
                        name=t("optimise.fig_best", lang), line={"shape": "hv"})
    over = frame[~frame["feasible"] & frame["objective"].isna()] if not frame.empty else frame
    if len(over):
        fig.add_scatter(x=(over["trial"] + 1).tolist(),
                        y=[float(ok["objective"].min()) if len(ok) else 0.0] * len(over),
                        mode="markers", marker={"symbol": "x", "color": "#999"},
                        name=t("optimise.fig_over_budget", lang))
    fig = _layout(fig, lang, t("optimise.fig_trials", lang), t("optimise.fig_trial", lang),
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
                    name=(t("optimise.today",
                            lang) if name == TODAY else t("optimise.col_recommended", lang)),
                    text=[money(v, result.spec.currency, lang, compact=True) for v in values])
    fig.update_layout(barmode="group")
    fig = _layout(fig, lang, t("optimise.fig_allocation", lang))
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
    return _layout(fig, lang, t("optimise.fig_marginal", lang).replace(": ", ":<br>", 1))


# -- files --------------------------------------------------------------------------------------
def write_optimisation(result: OptimisationResult, out_dir: Path) -> list[Path]:
    """`optimise.json` (the answer), `optimise_figures.parquet` (the finalists' figures) and
    `optimise_trials.parquet` (every trial), written as one unit."""
    from sim.report.output import write_optimise

    return write_optimise(result.to_dict(), result.figures(), result.trials, out_dir)
