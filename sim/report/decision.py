"""Which bet to pick, and why: the decision summary that opens a comparison.

The methodology chooses bets by speed to the goal, return on investment and capitalisation (the
customer journey's criteria). The summary recommends by one rule, `RULE`: the alternative with
the highest average (mean) incremental NPV of profit; it says so, and names any other option
that is best in more futures or reaches the goal more often, with how both are true (the average
weighs how much an option wins by, the share of futures only whether it wins). It gives the
reasons an owner weighs: the extra NPV on average with the precision of that average (±, the 95%
interval's half-width) and the spread of outcomes (8 futures of 10 between the paired
difference's P10 and P90), what the option costs, ROI, payback, months to the goal, P(goal by
the deadline), P(best) and the change in customer equity (capitalisation).

The verdict (`verdict_kind`, `verdict_line`) is one rule for the comparison and the optimiser:
an answer is *settled* only when its paired intervals against every other alternative
(Bonferroni-corrected) lie above zero and, for a search, no one-step move beats it beyond the
noise; otherwise it names what could still be better and how many replications to try next.
Settled is a statement about the average: an option can be settled as best on average and still
lose in some futures, and the summary says so when it does.

`decide(cmp)` is the library call; `summary_lines(decision, lang)` words it for the app, the CLI or
a report, in English or Russian.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.spec.scenario import text_in
from models.words import Lang, t
from models.words.formats import money, percent
from sim.experiments.compare import BASELINE, Comparison, separation

# Replications beyond which more are not suggested (the comparison is then as settled as it gets).
MAX_SUGGESTED_REPLICATIONS = 20_000
RULE = "highest_mean_npv"  # the one rule: the highest average incremental NPV of profit
SPREAD = (10, 90)  # the outcomes' range shown: 8 futures of 10 fall between these percentiles


@dataclass(frozen=True)
class Decision:
    recommended: str  # an alternative's name; BASELINE: no bet beats doing nothing
    settled: bool  # the paired intervals separate it from every other alternative
    could_be_best: list[str]  # the recommended one first, then those not yet told apart
    runner_up: str | None  # the next by incremental NPV
    reasons: dict[str, Any] = field(default_factory=dict)
    suggested_replications: int | None = None  # when not settled: the next round to run
    # another option best in more futures than the recommended one: (name, its P(best), its
    # mean incremental NPV); and one more likely to reach the goal: (name, its P(goal), NPV)
    more_often_best: tuple[str, float, float] | None = None
    more_often_goal: tuple[str, float, float] | None = None


def decide(cmp: Comparison) -> Decision:
    """The recommended alternative of a comparison (by `RULE`) and the figures behind it."""
    table = cmp.table()  # best incremental NPV first: the rule
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
        # the spread of outcomes: the paired difference's own percentiles, not its mean's
        d = cmp.delta(leader, "npv_profit")
        d = d[~np.isnan(d)]
        if d.size:
            lo, hi = np.percentile(d, SPREAD)
            reasons.update(npv_p10=float(lo), npv_p90=float(hi))
    others = table[table["bet"] != leader]
    more_best = more_goal = None
    if len(others):
        best = others.loc[others["p_best_npv"].idxmax()]
        if best["p_best_npv"] > row["p_best_npv"]:
            more_best = (str(best["bet"]), float(best["p_best_npv"]), float(best["npv"]))
        goals = others[others["p_goal"].notna()]
        if len(goals) and not _missing(row["p_goal"]):
            goal = goals.loc[goals["p_goal"].idxmax()]
            if goal["p_goal"] > row["p_goal"]:
                more_goal = (str(goal["bet"]), float(goal["p_goal"]), float(goal["npv"]))
    suggested = None
    if not settled and cmp.replications < MAX_SUGGESTED_REPLICATIONS:
        suggested = min(MAX_SUGGESTED_REPLICATIONS, cmp.replications * 4)
    return Decision(leader, settled, could_be_best, runner_up, reasons, suggested, more_best,
                    more_goal)


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def verdict_kind(separated: bool, converged: bool = True, can_run_more: bool = True) -> str:
    """The verdict's one rule, for a comparison and for the optimiser: "settled" only when the
    answer is separated from every other beyond the noise and (a search) no one-step move beats
    it; "search_open" when a move does; else "unsettled" (more replications would tell) or
    "unsettled_cap" (as many as it is worth running)."""
    if not converged:
        return "search_open"
    if separated:
        return "settled"
    return "unsettled" if can_run_more else "unsettled_cap"


def verdict_line(kind: str, lang: Lang, **values: object) -> str:
    """The verdict's words (`verdict_kind`) in `lang`: "settled" takes `p` and `q` (the share of
    futures the answer is best in, and the rest) to say how both are true when `q` is given."""
    if kind == "settled" and values.get("q"):
        return t("decision.settled_not_always", lang, **values)
    if kind == "settled":
        return t("decision.settled", lang)
    return t(f"decision.{kind}", lang, **values)


def summary_lines(decision: Decision, currency: str, lang: Lang,
                  titles: dict[str, str] | None = None) -> list[str]:
    """The decision in sentences an owner reads, in `lang`. `titles` maps alternatives' names to
    the words to show (e.g. bets' titles in the language, portfolios 'a + b' by their titles:
    `sim.report.export.alternative_name`); names stand for themselves."""
    titles = titles or {}
    r = decision.reasons

    def name(n: str) -> str:
        return titles.get(n, t("decision.baseline", lang) if n == BASELINE else n)

    def cash(x: Any) -> str:
        return money(None if _missing(x) else float(x), currency, lang, compact=True)

    def share(x: Any) -> str:
        return percent(None if _missing(x) else float(x), lang)

    lines: list[str] = []
    if decision.recommended == BASELINE:
        lines.append(t("decision.keep", lang))
    else:
        lines.append(t("decision.pick", lang, name=name(decision.recommended)))
        half = (None if _missing(r["npv_hi"]) or _missing(r["npv_lo"])
                else (float(r["npv_hi"]) - float(r["npv_lo"])) / 2)
        lines.append(t("decision.npv", lang, npv=cash(r["npv"]), half=cash(half),
                        p10=cash(r.get("npv_p10")), p90=cash(r.get("npv_p90"))))
        cost = r.get("cost")
        costs = cost is not None and not _missing(cost) and float(cost) > 0
        lines.append(t("decision.cost", lang,
                       cost=cash(cost)) if costs else t("decision.cost_none", lang))
        roi = dict(roi=share(r["roi"]), lo=share(r["roi_lo"]), hi=share(r["roi_hi"]))
        if _missing(r["payback_month"]):
            lines.append(t("decision.roi_never", lang, **roi))
        else:
            lines.append(t("decision.roi", lang, payback=f"{r['payback_month']:.0f}", **roi))
    if not _missing(r["p_goal"]):
        p, p0 = share(r["p_goal"]), share(r["baseline_p_goal"])
        month = r["months_to_goal_p50"]
        lines.append(t("decision.goal_never", lang, p=p, p0=p0) if _missing(month)
                     else t("decision.goal", lang, p=p, p0=p0, month=f"{month:.0f}"))
    if decision.recommended != BASELINE:
        lines.append(t("decision.equity", lang, equity=cash(r["equity"]), lo=cash(r["equity_lo"]),
                        hi=cash(r["equity_hi"])))
    lines.append(t("decision.best", lang, p=share(r["p_best_npv"])))
    ours = cash(r["npv"])
    if decision.more_often_best is not None:
        other, p_other, npv_other = decision.more_often_best
        lines.append(t("decision.more_often_best", lang, other=name(other), p=share(p_other),
                        npv=cash(npv_other), ours=ours))
    if decision.more_often_goal is not None:
        other, p_other, npv_other = decision.more_often_goal
        lines.append(t("decision.more_often_goal", lang, other=name(other), p=share(p_other),
                        ours_p=share(r["p_goal"]), npv=cash(npv_other), ours=ours))
    others = ", ".join(name(n) for n in decision.could_be_best if n != decision.recommended)
    kind = verdict_kind(decision.settled,
                        can_run_more=decision.suggested_replications is not None)
    p_best = r["p_best_npv"]
    rest = None if _missing(p_best) or p_best >= 0.995 else 1.0 - float(p_best)
    lines.append(verdict_line(kind, lang, others=others, n=decision.suggested_replications,
                              p=share(p_best), q=share(rest) if rest is not None else ""))
    return lines


def left_out_lines(cmp: Comparison, lang: Lang, titles: dict[str, str] | None = None
                   ) -> list[str]:
    """What the comparison left out and why, in `lang`: the options and combinations that cost
    more than the budget (a total over the horizon; single options named with their cost,
    combinations counted), and the combinations whose options cannot act together."""
    if titles is None:  # options by their titles, portfolios 'a + b' too
        own = {b.name: text_in(b.title, lang, b.name) for b in cmp.spec.bets}
        titles = {n: " + ".join(own.get(part, part) for part in n.split(" + "))
                  for n, _ in (*cmp.over_budget, *cmp.skipped)}
    cur = cmp.spec.currency
    lines: list[str] = []
    singles = [(n, c) for n, c in cmp.over_budget if " + " not in n]
    combos = [n for n, _ in cmp.over_budget if " + " in n]
    if singles:
        names = ", ".join(t("decision.costs", lang, name=titles.get(n, n),
                             cost=money(c, cur, lang, compact=True)) for n, c in singles)
        lines.append(t("decision.over_budget", lang, budget=money(cmp.budget, cur, lang,
                                                                  compact=True),
                        names=names))
    if combos:
        lines.append(t("decision.over_budget_combos", lang, n=len(combos)))
    lines += [t("decision.cannot_combine", lang, name=titles.get(n, n)) for n, _ in cmp.skipped]
    return lines
