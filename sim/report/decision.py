"""Which bet to pick, and why: the decision summary that opens a comparison.

The methodology chooses bets by speed to the goal, return on investment and capitalisation
(the customer journey's criteria). The summary recommends the alternative with the highest
incremental NPV of profit and gives the reasons an owner weighs: that NPV with its paired 95%
interval, ROI, payback, months to the goal, P(goal by the deadline), P(best), and the change in
customer equity (capitalisation).
It says whether the evidence settles it: the leader is *settled* only when its paired intervals
against every other alternative (Bonferroni-corrected) lie above zero; otherwise it names the
alternatives that could still be best and how many replications to try next.

`decide(cmp)` is the library call; `summary_lines(decision, lang)` words it for the app, the CLI or
a report, in English or Russian.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sim.experiments.compare import BASELINE, Comparison, separation
from sim.report.i18n import Lang, money, percent

# Replications beyond which more are not suggested (the comparison is then as settled as it gets).
MAX_SUGGESTED_REPLICATIONS = 20_000


@dataclass(frozen=True)
class Decision:
    recommended: str  # an alternative's name; BASELINE: no bet beats doing nothing
    settled: bool  # the paired intervals separate it from every other alternative
    could_be_best: list[str]  # the recommended one first, then those not yet told apart
    runner_up: str | None  # the next by incremental NPV
    reasons: dict[str, Any] = field(default_factory=dict)
    suggested_replications: int | None = None  # when not settled: the next round to run


def decide(cmp: Comparison) -> Decision:
    """The recommended alternative of a comparison and the figures behind it."""
    table = cmp.table()  # best incremental NPV first
    leader = str(table.iloc[0]["bet"])
    runner_up = str(table.iloc[1]["bet"]) if len(table) > 1 else None
    settled, could_be_best = separation(cmp)
    row = table.iloc[0].to_dict()
    reasons: dict[str, Any] = {
        "npv": row["npv"], "npv_lo": row["npv_lo"], "npv_hi": row["npv_hi"],
        "roi": row["roi"], "roi_lo": row["roi_lo"], "roi_hi": row["roi_hi"],
        "payback_month": row["payback_month"], "cost": row["cost"],
        "months_to_goal_p50": row["months_to_goal_p50"], "p_goal": row["p_goal"],
        "p_best_npv": row["p_best_npv"],
    }
    base = table[table["bet"] == BASELINE].iloc[0].to_dict()
    reasons["baseline_p_goal"] = base["p_goal"]
    reasons["baseline_months_to_goal_p50"] = base["months_to_goal_p50"]
    if leader != BASELINE:
        equity = cmp.paired(leader, "customer_equity")
        reasons.update(equity=equity["mean"], equity_lo=equity["ci_low"],
                       equity_hi=equity["ci_high"])
    suggested = None
    if not settled and cmp.replications < MAX_SUGGESTED_REPLICATIONS:
        suggested = min(MAX_SUGGESTED_REPLICATIONS, cmp.replications * 4)
    return Decision(leader, settled, could_be_best, runner_up, reasons, suggested)


_TEXT: dict[str, tuple[str, str]] = {
    "baseline": ("doing nothing", "ничего не менять"),
    "pick": ("Recommended: {name}.", "Рекомендуем: {name}."),
    "keep": ("Recommended: keep the business as it is; no option beats doing nothing.",
             "Рекомендуем: оставить всё как есть; ни один вариант не лучше, чем ничего не "
             "менять."),
    "npv": ("Extra NPV of profit {npv} (95% interval {lo} to {hi}).",
            "Дополнительная NPV прибыли {npv} (интервал 95\u00a0%: от {lo} до {hi})."),
    "roi": ("Return on what it costs: ROI {roi} ({lo} to {hi}); it pays back in month "
            "{payback}.",
            "Отдача на вложенное: ROI {roi} (от {lo} до {hi}); окупается на {payback}-м "
            "месяце."),
    "roi_never": ("Return on what it costs: ROI {roi} ({lo} to {hi}); it does not pay back "
                  "within the horizon.",
                  "Отдача на вложенное: ROI {roi} (от {lo} до {hi}); в пределах горизонта не "
                  "окупается."),
    "goal": ("Goal by the deadline: {p} likely (without it: {p0}); typical month reached: "
             "{month}.",
             "Цель к сроку: вероятность {p} (без изменений: {p0}); обычно достигается на "
             "{month}-м месяце."),
    "goal_never": ("Goal by the deadline: {p} likely (without it: {p0}); in most runs it is "
                   "not reached within the horizon.",
                   "Цель к сроку: вероятность {p} (без изменений: {p0}); в большинстве "
                   "прогонов не достигается в пределах горизонта."),
    "equity": ("Capitalisation: customer equity changes by {equity} ({lo} to {hi}).",
               "Капитализация: капитал клиентской базы меняется на {equity} (от {lo} до "
               "{hi})."),
    "best": ("It is the best option in {p} of the simulated futures.",
             "Он лучший в {p} смоделированных вариантов будущего."),
    "settled": ("The evidence settles it: its advantage over every other option holds at 95% "
                "confidence.",
                "Данных достаточно: его преимущество над каждым другим вариантом держится с "
                "уверенностью 95\u00a0%."),
    "unsettled": ("Not settled yet: {others} could still be better. Run {n} replications to "
                  "tell them apart.",
                  "Пока не ясно: {others} ещё может оказаться лучше. Запустите {n} прогонов, "
                  "чтобы их различить."),
    "unsettled_cap": ("Not settled: {others} could still be better; they may be too close to "
                      "matter.",
                      "Не ясно: {others} ещё может оказаться лучше; возможно, разница слишком "
                      "мала, чтобы иметь значение."),
}


def _t(key: str, lang: Lang, **values: object) -> str:
    en, ru = _TEXT[key]
    return (ru if lang == "ru" else en).format(**values)


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def summary_lines(decision: Decision, currency: str, lang: Lang,
                  titles: dict[str, str] | None = None) -> list[str]:
    """The decision in sentences an owner reads, in `lang`. `titles` maps alternatives' names to
    the words to show (e.g. bets' titles in the language); names stand for themselves."""
    titles = titles or {}
    r = decision.reasons

    def name(n: str) -> str:
        return titles.get(n, _t("baseline", lang) if n == BASELINE else n)

    def cash(x: Any) -> str:
        return money(None if _missing(x) else float(x), currency, lang, compact=True)

    def share(x: Any) -> str:
        return percent(None if _missing(x) else float(x), lang)

    lines: list[str] = []
    if decision.recommended == BASELINE:
        lines.append(_t("keep", lang))
    else:
        lines.append(_t("pick", lang, name=name(decision.recommended)))
        lines.append(_t("npv", lang, npv=cash(r["npv"]), lo=cash(r["npv_lo"]),
                        hi=cash(r["npv_hi"])))
        roi = dict(roi=share(r["roi"]), lo=share(r["roi_lo"]), hi=share(r["roi_hi"]))
        if _missing(r["payback_month"]):
            lines.append(_t("roi_never", lang, **roi))
        else:
            lines.append(_t("roi", lang, payback=f"{r['payback_month']:.0f}", **roi))
    if not _missing(r["p_goal"]):
        p, p0 = share(r["p_goal"]), share(r["baseline_p_goal"])
        month = r["months_to_goal_p50"]
        lines.append(_t("goal_never", lang, p=p, p0=p0) if _missing(month)
                     else _t("goal", lang, p=p, p0=p0, month=f"{month:.0f}"))
    if decision.recommended != BASELINE:
        lines.append(_t("equity", lang, equity=cash(r["equity"]), lo=cash(r["equity_lo"]),
                        hi=cash(r["equity_hi"])))
    lines.append(_t("best", lang, p=share(r["p_best_npv"])))
    others = ", ".join(name(n) for n in decision.could_be_best if n != decision.recommended)
    if decision.settled:
        lines.append(_t("settled", lang))
    elif decision.suggested_replications is not None:
        lines.append(_t("unsettled", lang, others=others, n=decision.suggested_replications))
    else:
        lines.append(_t("unsettled_cap", lang, others=others))
    return lines
