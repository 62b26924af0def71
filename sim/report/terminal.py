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
import textwrap
from typing import TYPE_CHECKING, Any

from rich.markup import escape as _markup_escape

from models.words import Lang, t, word
from models.words.formats import money, number, percent, size_text
from sim.report.i18n import calendar_month, metric_label

# Every command imports `escape` from here, `growthsim --help` included: the report's modules
# (pandas, scipy, the engines) are imported by the functions that print a report, so that help
# and bad-input messages come without them.
if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from sim.experiments.compare import Comparison
    from sim.experiments.goalseek import SeekResult
    from sim.experiments.montecarlo import MonteCarloResult

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




# A cell is a figure when it holds a digit and nothing longer than a unit or a short word
# ("RUB 1.2M", "1,2 млн ₽", "12 %", "P10 3 … P90 5"): such a column never wraps, so a number
# is never split across lines (Rich breaks at any space, the no-break space included).
_WORD = re.compile(r"[^\W\d_]{6,}")


def _is_figure(cell: str) -> bool:
    return any(c.isdigit() for c in cell) and not _WORD.search(cell)


_NAME_WIDTH = 16  # a name column keeps at least this width: names wrap, they are not squeezed


def table_column(header: str, cells: list[str], figure: bool) -> tuple[str, list[str], bool]:
    """A column ready for a table (heading and cells markup-safe): a figure column's heading
    wraps between words, as wide as its figures or its longest word."""
    if figure:
        width = max(8, *(len(line) for c in cells for line in _plain(c).split("\n")),
                    *(len(x) for x in header.split()))
        header = "\n".join(textwrap.wrap(header, width, break_long_words=False)) or header
    return header, cells, figure


def _plain(cell: str) -> str:
    """A cell as the terminal shows it: without its markup (the [dim] of an interval)."""
    return re.sub(r"\[/?[a-z ]*\]", "", cell).replace("\\[", "[")


def _width(header: str, cells: list[str], figure: bool) -> int:
    """A column's width: its widest line; a name column's at most `_NAME_WIDTH` (it wraps)."""
    widest = max(len(line) for x in [header, *cells] for line in _plain(x).split("\n"))
    return widest if figure else min(widest, _NAME_WIDTH)


def _table(title: str, columns: list[tuple[str, list[str], bool]]) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for header, cells, figure in columns:
        if figure:  # a figure never wraps: a number is never split across lines
            table.add_column(header, justify="right", no_wrap=True)
        else:
            table.add_column(header, overflow="fold", min_width=_width(header, cells, False))
    for row in zip(*(cells for _, cells, _ in columns), strict=True):
        table.add_row(*row)
    return table


def fitted_tables(title: str, columns: list[tuple[str, list[str], bool]], width: int,
                  names: int = 1) -> list[Table]:
    """`columns` (heading, cells, is-a-figure; markup-safe) as tables no wider than `width`:
    the first `names` columns in each, the other columns in as few tables as fit (a table too
    wide for the terminal would cut its figures with "…")."""
    def need(chunk: list[tuple[str, list[str], bool]]) -> int:
        # a column: its widest line plus a space each side; a border before each and at the end
        total = 1
        for header, cells, figure in chunk:
            total += 3 + _width(header, cells, figure)
        return total

    head, rest = columns[:names], columns[names:]
    chunks: list[list[tuple[str, list[str], bool]]] = [[]]
    for column in rest:
        if chunks[-1] and need(head + chunks[-1] + [column]) > width:
            chunks.append([column])
        else:
            chunks[-1].append(column)
    return [_table(title if i == 0 else "", head + chunk) for i, chunk in enumerate(chunks)]


def frame_columns(frame: pd.DataFrame, names: int = 1) -> list[tuple[str, list[str], bool]]:
    """A report table's columns, escaped (scenario text may hold markup): the first `names`
    are names or words; any other whose cells are all figures is a figure column."""
    out = []
    for i, column in enumerate(frame.columns):
        cells = [_cell(v) for v in frame[column]]
        figure = i >= names and bool(cells) and all(_is_figure(v) or v in ("", "—", "-")
                                                    for v in cells)
        out.append(table_column(escape(str(column)), [escape(c) for c in cells], figure))
    return out


def frame_table(frame: pd.DataFrame, title: str, names: int = 1) -> Table:
    """A report table for the terminal in one table: names wrap, figures never do."""
    return _table(escape(title), frame_columns(frame, names))


def print_frame(console: Console, frame: pd.DataFrame, title: str, names: int = 1) -> None:
    """A report table for the terminal, split into tables that fit its width if need be."""
    for table in fitted_tables(escape(title), frame_columns(frame, names), console.width,
                               names):
        console.print(table)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):  # a raw figure the report left unformatted: no exponent
        text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
        return f"{value:.4f}" if "e" in text else text
    return str(value)


def _unbroken(figure: str) -> str:
    """A figure whose spaces never break a line ("RUB 1.2M", "28 624 341")."""
    return figure.replace(" ", "\u00a0")


def say(console: Console, text: str, style: str | None = None) -> None:
    """A sentence of plain text (no markup), wrapped at the terminal's width between words only:
    a figure's no-break spaces hold (Rich would break at them, Python's `textwrap` does not)."""
    # a word longer than a line (a long file path) is cut; a figure never is that long
    lines = [textwrap.fill(part, console.width, break_on_hyphens=False)
             for part in text.split("\n")]
    console.print(printable("\n".join(lines)), soft_wrap=True, markup=False, highlight=False,
                  style=style)


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _band(mean: float | None, lo: float | None, hi: float | None, fmt: object) -> str:
    assert callable(fmt)
    return f"{fmt(mean)}\n[dim]P10 {fmt(lo)} … P90 {fmt(hi)}[/]"


def owner_view(result: MonteCarloResult, console: Console, lang: Lang = "en") -> None:
    """The owner's control panel: leads, buyers, money, the goal, and where it leaks."""
    from rich.table import Table

    from models.spec.scenario import text_in
    from sim.report import owner

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
    title = t("terminal.run_title_from" if first else "terminal.run_title", lang,
              name=escape(text_in(result.spec.title, lang, result.spec.name)),
              months=result.spec.horizon_months, first=first, reps=result.replications,
              seed=result.seed)
    table = Table(title=title, show_header=True, expand=False)
    table.add_column(t("terminal.owner_view", lang))
    table.add_column(t("terminal.mean_band", lang), justify="right", no_wrap=True)
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
                return t("terminal.never", lang)
            return when(int(x)) if float(x).is_integer() else f"{x:.0f}"

        months = " / ".join(reached(status[k]) for k in ("p10", "p50", "p90"))
        table.add_row(t("terminal.goal_row", lang, metric=t(f"goal.{goal.metric}", lang),
                        target=target, month=when(goal.deadline_month)),
                      t("terminal.goal_cell", lang, p=share(status["p_goal"]), months=months))
    console.print(table)

    console.print(leak_table(result, lang))
    for line in leak_options(result, lang):
        console.print(line)
    console.print(escape(t("leaks.caption", lang)), style="dim")
    if len(result.spec.segments) > 1:
        console.print(segment_table(result, lang))


def precision_line(result: MonteCarloResult, precision: float, lang: Lang = "en") -> str:
    """Whether `run --precision` reached its target: the half-width it reached, the rounds."""
    from sim.experiments.montecarlo import goal_half_width_percent

    achieved = goal_half_width_percent(result.monthly, result.spec, result.rounds)
    key = "precision_reached" if achieved <= precision else "precision_missed"
    return t(f"terminal.{key}", lang, precision=number(precision, lang, 2).rstrip("0").rstrip(",."),
             reps=number(result.replications, lang),
             rounds=" + ".join(number(r, lang) for r in result.rounds),
             achieved=number(achieved, lang, 1))


def segment_table(result: MonteCarloResult, lang: Lang = "en") -> Table:
    """Per segment (`sim.report.owner.segments`), the columns that fit 80 columns: leads, new
    clients, revenue, advertising per new client and money lost, as the app shows them."""
    from models.spec.scenario import text_in
    from sim.report import owner

    cur = result.spec.currency
    data = owner.segments(result)
    titles = {s.name: text_in(s.title, lang, s.name) for s in result.spec.segments}
    import pandas as pd

    columns = ("leads", "new_clients", "revenue", "cac_segment", "lost_value")
    shown = pd.DataFrame({t("owner.segment", lang): [titles[str(s)] for s in data["segment"]]})
    for c in columns:
        shown[word("owner", c, lang)] = [number(v, lang) if c in ("leads", "new_clients")
                                   else money(v, cur, lang, compact=True) for v in data[c]]
    return frame_table(shown, t("owner.per_segment", lang))


def leak_table(result: MonteCarloResult, lang: Lang = "en") -> Table:
    """Where money leaks, per stage: lost, what they are worth, its share of the potential, the
    advertising spent on them (80 columns; the options that target a stage: `leak_options`)."""
    from sim.report import leaks as leak_words

    rows = leak_words.leak_rows(result, lang, compact=True)
    return frame_table(rows.iloc[:, :5], t("leaks.title", lang))


def leak_options(result: MonteCarloResult, lang: Lang = "en") -> list[str]:
    """One line per stage that the scenario's bets target: the stage, then those bets."""
    from sim.report import leaks as leak_words

    rows = leak_words.leak_rows(result, lang, compact=True)
    stage, bets = rows.columns[0], rows.columns[-1]
    none = t("leaks.none", lang)
    lines = [f"[bold]{escape(t('leaks.options_heading', lang))}[/]"]
    lines += [f"  {escape(row[stage])}: {escape(row[bets])}"
              for row in rows.to_dict(orient="records") if row[bets] != none]
    return lines if len(lines) > 1 else []


def decision_panel(cmp: Comparison, lang: Lang = "en") -> Panel:
    """The decision box (`sim.report.decision`), options named as the table names them: by their
    titles, portfolios too."""
    from rich.panel import Panel

    from sim.report.decision import decide, summary_lines
    from sim.report.export import alternative_name

    titles = {n: alternative_name(n, cmp.spec, lang) for n in cmp.names}
    lines = summary_lines(decide(cmp), cmp.spec.currency, lang, titles)
    return Panel("\n".join(escape(line) for line in lines), title=t("terminal.decision", lang),
                 title_align="left", expand=False)


def comparison(cmp: Comparison, console: Console, lang: Lang = "en", wide: bool = False) -> None:
    """The ranked bets, what changes against the baseline, the lever split, and what common
    random numbers bought. `wide` adds the columns that do not fit 80 columns."""
    from models.spec.scenario import text_in
    from sim.experiments.compare import BASELINE, CHANGED
    from sim.report import leaks as leak_words
    from sim.report.export import alternative_name

    cur = cmp.spec.currency

    def cash(x: float | None) -> str:
        return money(x, cur, lang, compact=True)

    def share(x: float | None) -> str:
        return percent(x, lang)

    def month(x: float | None) -> str:
        return t("terminal.never", lang) if _missing(x) else f"{x:.0f}"

    def ci(lo: float | None, hi: float | None, fmt: object) -> str:
        # the interval's ends on lines of their own: a column of figures never wraps
        assert callable(fmt)
        return f"\n[dim]({fmt(lo)} …\n{fmt(hi)})[/]"

    console.print(decision_panel(cmp, lang))

    def show(title: str, columns: list[tuple[str, list[str], bool]]) -> None:
        for table in fitted_tables(title, columns, console.width):
            console.print(table)

    rows = cmp.table().to_dict(orient="records")
    alt = [r["bet"] != BASELINE for r in rows]
    ranked = [
        table_column(t("terminal.col_option", lang),
                [escape(alternative_name(r["bet"], cmp.spec, lang)) for r in rows], False),
        table_column(t("terminal.col_cost", lang), [cash(r["cost"]) for r in rows], True),
        table_column(t("terminal.col_npv", lang), [cash(r["npv"]) + ci(r["npv_lo"], r["npv_hi"],
                                                                       cash)
                                     if a else "—" for r, a in zip(rows, alt, strict=True)],
                True),
        # the decision's columns first: a table too wide for the terminal goes on below
        table_column(t("terminal.col_p_goal", lang), [share(r["p_goal"]) for r in rows], True),
        table_column(t("terminal.col_p_best", lang), [share(r["p_best_npv"]) for r in rows], True),
        table_column(t("terminal.col_roi", lang), [share(r["roi"]) + ci(r["roi_lo"], r["roi_hi"],
                                                                        share)
                                     if a else "—" for r, a in zip(rows, alt, strict=True)],
                True),
        table_column(t("terminal.col_payback", lang), [month(r["payback_month"]) if a else "—"
                                         for r, a in zip(rows, alt, strict=True)], True),
    ]
    if wide:
        ranked += [table_column(t("terminal.col_goal_p50", lang),
                           [month(r["months_to_goal_p50"]) for r in rows], True),
                   table_column(t("terminal.col_p_best_time", lang),
                                [share(r["p_best_time"]) for r in rows],
                           True)]
    show(t("terminal.ranked_title", lang,
           name=escape(text_in(cmp.spec.title, lang, cmp.spec.name)), reps=cmp.replications,
           seed=cmp.seed), ranked)

    others = cmp.names[1:]
    changes = [table_column(t("terminal.col_option", lang),
                       [escape(alternative_name(n, cmp.spec, lang)) for n in others], False)]
    for metric in CHANGED:
        cells = []
        for name in others:
            p = cmp.paired(name, metric)
            cells.append(cash(p["mean"]) + ci(p["ci_low"], p["ci_high"], cash))
        changes.append(table_column(escape(metric_label(metric, lang)), cells, True))
    show(t("terminal.changes_title", lang), changes)

    labels = {"leads": "total_leads", "conversion": "conversion_lever",
              "average_check": "average_check", "frequency": "frequency",
              "starting_clients": "starting_clients_lever", "total": "total"}
    split = cmp.levers().to_dict(orient="records")
    levers = [table_column(t("terminal.col_option", lang),
                      [escape(alternative_name(r["bet"], cmp.spec, lang)) for r in split], False)]
    levers += [table_column(escape(metric_label(key, lang)), [cash(r[c]) for r in split], True)
               for c, key in labels.items()]
    show(t("terminal.levers_title", lang), levers)

    rows = leak_words.recovery_rows(cmp, lang)
    if not rows.empty:  # how much of the leaks it targets each option recovers
        show(t("leaks.recovery_title", lang),
             [table_column(escape(str(column)), [escape(str(v)) for v in rows[column]], i >= 2)
              for i, column in enumerate(rows.columns)])
        console.print(f"[dim]{escape(t('leaks.recovery_caption', lang))}[/]")

    _comparison_notes(cmp, console, lang)


def _comparison_notes(cmp: Comparison, console: Console, lang: Lang) -> None:
    """Below a comparison's tables: what common random numbers bought, the options left out,
    and whether the answer settled (`compare --adaptive`)."""
    from sim.report.decision import left_out_lines
    from sim.report.export import alternative_name

    reduction = cmp.variance_reduction()
    gains = [v for v in reduction.values() if v == v and v != math.inf]
    exact = [escape(n) for n, v in reduction.items() if v == math.inf]
    if gains:
        console.print(t("terminal.crn", lang, low=number(min(gains), lang, 1),
                        high=number(max(gains), lang, 1)))
    if exact:
        console.print(t("terminal.exact", lang, names=", ".join(exact)))
    titles = {n: alternative_name(n, cmp.spec, lang) for n in cmp.names}
    titles.update({n: alternative_name(n, cmp.spec, lang)
                   for n, _ in (*cmp.over_budget, *cmp.skipped)})
    for line in left_out_lines(cmp, lang, titles):
        console.print(f"[yellow]{escape(line)}[/]")
    for name, why in cmp.skipped:
        console.print(f"[yellow]{t('terminal.left_out', lang)}[/] "
                      f"{escape(titles.get(name, name))}: {escape(why)}")
    if cmp.settled is not None:
        rounds = t("terminal.rounds", lang, reps=number(cmp.replications, lang),
                   rounds=" + ".join(number(r, lang) for r in cmp.rounds))
        if cmp.settled:
            tied = [titles.get(n, n) for n in cmp.could_be_best[1:]]
            tie = t("terminal.tied", lang, names=escape(", ".join(tied))) if tied else ""
            best = titles.get(cmp.could_be_best[0], cmp.could_be_best[0])
            console.print(t("terminal.settled", lang, name=escape(best), tie=tie, rounds=rounds))
        else:
            console.print(t("terminal.not_settled", lang, rounds=rounds, names=escape(
                ", ".join(titles.get(n, n) for n in cmp.could_be_best))))


def seek(result: SeekResult, console: Console, lang: Lang = "en") -> None:
    """A goal seek's answer: the size that reaches the target, its spread, or why none does."""

    def size(x: float | None) -> str:
        return t("terminal.above_high", lang) if x is None else _unbroken(size_text(x, lang))

    what = f"{result.operation} {result.path}"
    target = _unbroken(percent(result.target, lang))
    if result.size is None:
        tried = result.evaluations[-1][0] if result.evaluations else math.nan
        say(console, t("terminal.seek_missed", lang, what=what, size=size(tried), target=target),
            style="bold red")
        return
    lo, hi = result.p_goal_ci or (0.0, 1.0)
    say(console, t("terminal.seek_answer", lang, bet=result.bet, what=what, size=size(result.size),
                   p=_unbroken(percent(result.p_goal, lang)), lo=_unbroken(percent(lo, lang)),
                   hi=_unbroken(percent(hi, lang)), target=target, p10=size(result.size_p10),
                   p90=size(result.size_p90)))
    if result.unreached_share:
        say(console, t("terminal.seek_unreached", lang,
                       share=_unbroken(percent(result.unreached_share, lang)),
                       size=size(result.evaluations[-1][0])))
