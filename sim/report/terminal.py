"""The report in a terminal: the same tables and formats as the app, laid out for 80 columns.

Every figure comes from the report layer's tables (`sim.report.owner`, a comparison's tables) and
every number, amount and share from `sim.report.i18n`'s formats, so the CLI and the app never
disagree on a figure or how it is written.

User text on its way to a terminal (a scenario's name, a bet's, a channel's, a file name) can
hold escape sequences (`ESC]0;title BEL` retitles the terminal, `ESC[2J` clears it, others can
fake output). Rich's own `escape` only guards its markup, so `escape` here also shows every
control character as a visible `\\x..` code (tabs and newlines kept).

Wide tables (a comparison) show the decision columns by default; `wide=True` shows them all.
"""

from __future__ import annotations

import math
import re

from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.panel import Panel
from rich.table import Table

from models.spec.scenario import text_in
from sim.experiments.compare import BASELINE, Comparison
from sim.experiments.goalseek import SeekResult
from sim.experiments.montecarlo import MonteCarloResult
from sim.report import leaks as leak_words
from sim.report import owner
from sim.report.decision import decide, summary_lines
from sim.report.export import alternative_name
from sim.report.i18n import Lang, calendar_month, metric_label, money, number, percent

# C0 controls but tab and newline, DEL, C1 controls (0x80-0x9f, e.g. the 8-bit CSI 0x9b), and
# the bidirectional overrides that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control characters shown as `\\x1b`-style codes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def escape(text: object) -> str:
    """User text safe to print through Rich: no markup read into it, no control characters."""
    return _markup_escape(printable(str(text)))


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _band(mean: float | None, lo: float | None, hi: float | None, fmt: object) -> str:
    assert callable(fmt)
    return f"{fmt(mean)}\n[dim]P10 {fmt(lo)} … P90 {fmt(hi)}[/]"


def owner_view(result: MonteCarloResult, console: Console, lang: Lang = "en") -> None:
    """The owner's control panel (seed 001): leads, buyers, money, the goal, and where it leaks."""
    cur = result.spec.currency

    def cash(x: float | None) -> str:
        return money(x, cur, lang, compact=True)

    def count(x: float | None) -> str:
        return number(x, lang)

    def share(x: float | None) -> str:
        return percent(x, lang)

    start = result.spec.start

    def when(month: int) -> str:  # a month number, with its calendar month when one is known
        label = calendar_month(start, month, lang)
        return f"{month} ({label})" if label else f"{month}"

    first = calendar_month(start, 1, lang)
    title = (f"{escape(result.spec.name)}: {result.spec.horizon_months} months"
             f"{f' from {first}' if first else ''}, "
             f"{result.replications} replications, seed {result.seed}")
    table = Table(title=title, show_header=True, expand=False)
    table.add_column("owner's view")
    table.add_column("mean (P10 … P90)", justify="right")
    for row in owner.headline(result).to_dict(orient="records"):
        name = str(row["metric"])
        fmt = share if name in owner.RATIOS else cash if name in owner.MONEY else count
        table.add_row(metric_label(name, lang), _band(row["mean"], row["p10"], row["p90"], fmt))
    goal = result.spec.goal
    status = owner.goal_status(result)
    if goal is not None and status is not None:
        target = (count(goal.target) if goal.metric == "active_clients"
                  else money(goal.target, cur, lang))

        def reached(x: float | None) -> str:  # a quantile between two months stays a number
            if x is None or _missing(x):
                return "never"
            return when(int(x)) if float(x).is_integer() else f"{x:.0f}"

        months = " / ".join(reached(status[k]) for k in ("p10", "p50", "p90"))
        table.add_row(f"goal: {goal.metric.replace('_', ' ')} ≥ {target} "
                      f"by month {when(goal.deadline_month)}",
                      f"P = {share(status['p_goal'])}\nmonth P10/P50/P90: {months}")
    console.print(table)

    console.print(leak_table(result, lang))
    for line in leak_options(result, lang):
        console.print(line)
    console.print(escape(leak_words.w("caption", lang)), style="dim")
    if len(result.spec.segments) > 1:
        console.print(segment_table(result, lang))


def segment_table(result: MonteCarloResult, lang: Lang = "en") -> Table:
    """Per segment (`sim.report.owner.segments`), the columns that fit 80 columns: leads, new
    clients, revenue, advertising per new client and money lost, as the app shows them."""
    cur = result.spec.currency
    data = owner.segments(result)
    titles = {s.name: text_in(s.title, lang, s.name) for s in result.spec.segments}
    table = Table(title=owner.w("per_segment", lang), show_header=True, expand=False)
    columns = ("leads", "new_clients", "revenue", "cac_segment", "lost_value")
    table.add_column(owner.w("segment", lang))
    for column in columns:
        table.add_column(owner.w(column, lang), justify="right")
    for row in data.to_dict(orient="records"):
        table.add_row(escape(titles[str(row["segment"])]),
                      *(number(row[c], lang) if c in ("leads", "new_clients")
                        else money(row[c], cur, lang, compact=True) for c in columns))
    return table


def leak_table(result: MonteCarloResult, lang: Lang = "en") -> Table:
    """Where money leaks, per stage: lost, what they are worth, its share of the potential, the
    advertising spent on them (80 columns; the options that target a stage: `leak_options`)."""
    rows = leak_words.leak_rows(result, lang, compact=True)
    stage, lost, worth, share, ad, _ = rows.columns
    table = Table(title=leak_words.w("title", lang))
    table.add_column(stage)
    table.add_column(lost, justify="right", no_wrap=True)
    for name in (worth, share, ad):  # long headings wrap; the numbers do not
        table.add_column(name, justify="right", max_width=14)
    for row in rows.to_dict(orient="records"):
        table.add_row(escape(row[stage]), str(row[lost]), str(row[worth]), str(row[share]),
                      str(row[ad]))
    return table


def leak_options(result: MonteCarloResult, lang: Lang = "en") -> list[str]:
    """One line per stage that the scenario's bets target: the stage, then those bets."""
    rows = leak_words.leak_rows(result, lang, compact=True)
    stage, bets = rows.columns[0], rows.columns[-1]
    none = leak_words.w("none", lang)
    lines = [f"[bold]{escape(leak_words.w('options_heading', lang))}[/]"]
    lines += [f"  {escape(row[stage])}: {escape(row[bets])}"
              for row in rows.to_dict(orient="records") if row[bets] != none]
    return lines if len(lines) > 1 else []


def comparison(cmp: Comparison, console: Console, lang: Lang = "en", wide: bool = False) -> None:
    """The ranked bets, what changes against the baseline, the lever split, and what common
    random numbers bought. `wide` adds the columns that do not fit 80 columns."""
    cur = cmp.spec.currency

    def cash(x: float | None) -> str:
        return money(x, cur, lang, compact=True)

    def share(x: float | None) -> str:
        return percent(x, lang)

    def month(x: float | None) -> str:
        return "never" if _missing(x) else f"{x:.0f}"

    def ci(lo: float | None, hi: float | None, fmt: object) -> str:
        assert callable(fmt)
        return f"\n[dim]({fmt(lo)} … {fmt(hi)})[/]"

    decision = decide(cmp)
    titles = {b.name: text_in(b.title, lang, b.name) for a in cmp.alternatives for b in a.bets
              if len(a.bets) == 1}
    lines = summary_lines(decision, cur, lang, titles)
    console.print(Panel("\n".join(escape(line) for line in lines), title="decision",
                        title_align="left", expand=False))

    table = Table(title=f"{escape(cmp.spec.name)}: bets ranked by incremental NPV "
                  f"({cmp.replications} paired replications, seed {cmp.seed})")
    columns = ["bet", "cost", "NPV vs baseline\n(95% CI)", "ROI\n(95% CI)", "payback\nmonth",
               "P(goal)", "P(best\nNPV)"]
    if wide:
        columns += ["months to\ngoal P50", "P(best\ntime)"]
    for col in columns:  # names wrap rather than lose their ends ("follo…")
        table.add_column(col, justify="left" if col == "bet" else "right", overflow="fold")
    for row in cmp.table().to_dict(orient="records"):
        base = row["bet"] == BASELINE
        cells = [
            escape(alternative_name(row["bet"], cmp.spec, lang)), cash(row["cost"]),
            "—" if base else cash(row["npv"]) + ci(row["npv_lo"], row["npv_hi"], cash),
            "—" if base else share(row["roi"]) + ci(row["roi_lo"], row["roi_hi"], share),
            "—" if base else month(row["payback_month"]),
            share(row["p_goal"]), share(row["p_best_npv"]),
        ]
        if wide:
            cells += [month(row["months_to_goal_p50"]), share(row["p_best_time"])]
        table.add_row(*cells)
    console.print(table)

    changes = Table(title="what changes against the baseline: mean (95% CI)")
    shown = ("total_revenue", "total_profit", "cltv_with_tail", "cac", "customer_equity")
    changes.add_column("bet", overflow="fold")
    for metric in shown:
        changes.add_column(metric_label(metric, lang), justify="right", overflow="fold")
    for name in cmp.names[1:]:
        cells = []
        for metric in shown:
            p = cmp.paired(name, metric)
            cells.append(cash(p["mean"]) + ci(p["ci_low"], p["ci_high"], cash))
        changes.add_row(escape(alternative_name(name, cmp.spec, lang)), *cells)
    console.print(changes)

    levers = Table(title="why: incremental revenue split into the four levers")
    labels = {"leads": "total_leads", "conversion": "conversion_lever",
              "average_check": "average_check", "frequency": "frequency",
              "starting_clients": "starting_clients_lever", "total": "total"}
    levers.add_column("bet", overflow="fold")
    for key in labels.values():
        levers.add_column(metric_label(key, lang), justify="right", overflow="fold")
    for row in cmp.levers().to_dict(orient="records"):
        levers.add_row(escape(alternative_name(row["bet"], cmp.spec, lang)),
                       *(cash(row[c]) for c in labels))
    console.print(levers)

    reduction = cmp.variance_reduction()
    gains = [v for v in reduction.values() if v == v and v != math.inf]
    exact = [escape(n) for n, v in reduction.items() if v == math.inf]
    if gains:
        console.print(f"common random numbers: the paired standard error of NPV differences is "
                      f"{min(gains):.1f}x to {max(gains):.1f}x smaller than independent runs'")
    if exact:
        console.print(f"exact differences (the same in every replication): {', '.join(exact)}")
    for name, why in cmp.skipped:
        console.print(f"[yellow]left out[/] {escape(name)}: {escape(why)}")
    if cmp.settled is not None:
        rounds = f"{cmp.replications} replications in rounds {cmp.rounds}"
        if cmp.settled:
            tied = cmp.could_be_best[1:]
            tie = f", tied exactly with {escape(', '.join(tied))}" if tied else ""
            console.print(f"settled: {escape(cmp.could_be_best[0])} is best{tie} ({rounds})")
        else:
            console.print(f"not settled at the cap ({rounds}); could still be best: "
                          + escape(", ".join(cmp.could_be_best)))



def seek(result: SeekResult, console: Console, lang: Lang = "en") -> None:
    """A goal seek's answer: the size that reaches the target, its spread, or why none does."""

    def size(x: float | None) -> str:
        return "above --high" if x is None else number(x, lang, 0 if float(x).is_integer() else 3)

    what = f"{result.operation} {escape(result.path)}"
    target = percent(result.target, lang)
    if result.size is None:
        tried = result.evaluations[-1][0] if result.evaluations else math.nan
        console.print(f"[bold red]not reached[/]: even {what} = {size(tried)} gives P(goal) "
                      f"below {target}; raise --high or rethink the bet")
        return
    lo, hi = result.p_goal_ci or (0.0, 1.0)
    console.print(f"[bold]{escape(result.bet)}[/]: {what} = [bold]{size(result.size)}[/] reaches "
                  f"P(goal) = {percent(result.p_goal, lang)} (95% CI {percent(lo, lang)}–"
                  f"{percent(hi, lang)}) >= {target}; over replications the answer ranges "
                  f"P10 {size(result.size_p10)} … P90 {size(result.size_p90)}")
    if result.unreached_share:
        console.print(f"in {percent(result.unreached_share, lang)} of bootstrap resamples no "
                      f"size up to {size(result.evaluations[-1][0])} reached the target")
