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

from sim.report.i18n import Lang, calendar_month, metric_label, money, number, percent

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


# The terminal's own words (key -> (English, Russian)); the tables' words come from the report
# modules, as the app shows them. `words()` lists them for the completeness test.
_TEXT: dict[str, tuple[str, str]] = {
    "run_title": ("{name}: {months} months, {reps} replications, seed {seed}",
                  "{name}: {months} мес., прогонов: {reps}, серия {seed}"),
    "run_title_from": ("{name}: {months} months from {first}, {reps} replications, seed {seed}",
                       "{name}: {months} мес. с {first}, прогонов: {reps}, серия {seed}"),
    "owner_view": ("owner's view", "для собственника"),
    "mean_band": ("mean\n(P10 … P90)", "среднее\n(P10 … P90)"),
    "never": ("never", "никогда"),
    "goal_row": ("goal: {metric} ≥ {target} by month {month}",
                 "цель: {metric} ≥ {target} к месяцу {month}"),
    "goal_cell": ("P = {p}\nmonth P10/P50/P90:\n{months}",
                  "P = {p}\nмесяц P10/P50/P90:\n{months}"),
    "precision_reached": (
        "--precision {precision}%: reached with {reps} replications (rounds {rounds}): the 95% "
        "interval of the goal metric's mean is ±{achieved}% of it",
        "--precision {precision}%: достигнута на {reps} прогонах (раунды {rounds}): 95%-ный "
        "интервал среднего целевого показателя — ±{achieved}% от него"),
    "precision_missed": (
        "--precision {precision}%: NOT reached: {reps} replications (rounds {rounds}, the "
        "--max-reps cap) give ±{achieved}% of the goal metric's mean; raise --max-reps or "
        "accept this precision",
        "--precision {precision}%: НЕ достигнута: {reps} прогонов (раунды {rounds}, предел "
        "--max-reps) дают ±{achieved}% от среднего целевого показателя; увеличьте --max-reps "
        "или примите эту точность"),
    "decision": ("decision", "решение"),
    "ranked_title": ("{name}: options ranked by extra NPV ({reps} paired replications, seed "
                     "{seed})",
                     "{name}: варианты по приросту NPV ({reps} парных прогонов, серия {seed})"),
    "col_option": ("option", "вариант"),
    "col_cost": ("cost", "затраты"),
    "col_npv": ("NPV vs baseline\n(95% CI)", "NPV к базе\n(95% ДИ)"),
    "col_roi": ("ROI\n(95% CI)", "ROI\n(95% ДИ)"),
    "col_payback": ("payback\nmonth", "окупаемость,\nмесяц"),
    "col_p_goal": ("P(goal)", "P(цель)"),
    "col_p_best": ("P(best\nNPV)", "P(лучший\nпо NPV)"),
    "col_goal_p50": ("months to\ngoal P50", "месяцев до\nцели, P50"),
    "col_p_best_time": ("P(best\ntime)", "P(лучший\nпо сроку)"),
    "changes_title": ("what changes against the baseline: mean (95% CI)",
                      "что меняется относительно базы: среднее (95% ДИ)"),
    "levers_title": ("why: extra revenue split into the four levers",
                     "почему: прирост выручки по четырём рычагам"),
    "crn": ("common random numbers: the paired standard error of NPV differences is {low}x to "
            "{high}x smaller than independent runs'",
            "общие случайные числа: парная стандартная ошибка разницы NPV в {low}–{high} раз "
            "меньше, чем у независимых прогонов"),
    "exact": ("exact differences (the same in every replication): {names}",
              "точные разницы (одинаковые в каждом прогоне): {names}"),
    "left_out": ("left out", "не рассчитано"),
    "settled": ("settled: {name} is best{tie} ({rounds})",
                "ответ устоялся: лучший — {name}{tie} ({rounds})"),
    "tied": (", tied exactly with {names}", ", точно наравне с {names}"),
    "rounds": ("{reps} replications in rounds {rounds}", "{reps} прогонов, раунды {rounds}"),
    "not_settled": ("not settled at the cap ({rounds}); could still be best: {names}",
                    "ответ не устоялся до предела ({rounds}); лучшим ещё может быть: {names}"),
    "above_high": ("above --high", "выше --high"),
    "seek_missed": ("not reached: even {what} = {size} gives P(goal) below {target}; raise "
                    "--high or rethink the option",
                    "не достигнуто: даже при {what} = {size} P(цель) ниже {target}; увеличьте "
                    "--high или пересмотрите вариант"),
    "seek_answer": ("{bet}: {what} = {size} reaches P(goal) = {p} (95% CI {lo}–{hi}) ≥ "
                    "{target}; over replications the answer ranges P10 {p10} … P90 {p90}",
                    "{bet}: {what} = {size} даёт P(цель) = {p} (95% ДИ {lo}–{hi}) ≥ {target}; "
                    "по прогонам ответ лежит от P10 {p10} до P90 {p90}"),
    "seek_unreached": ("in {share} of bootstrap resamples no size up to {size} reached the "
                       "target",
                       "в {share} бутстреп-выборок ни один размер до {size} не достиг цели"),
    "seek_step": ("step {step}: size {size} -> P(goal) {p}",
                  "шаг {step}: размер {size} -> P(цель) {p}"),
    "written": ("written: {files}", "записано: {files}"),
    "runs_written": ("{runs} runs in {seconds} s; written: {files}",
                     "{runs} прогонов за {seconds} с; записано: {files}"),
    "noise_not_measured": ("not measured (one replication per point)",
                           "не измерена (один прогон на точку)"),
}


def words() -> dict[str, tuple[str, str]]:
    """The terminal's own words, English and Russian (for the completeness test)."""
    return dict(_TEXT)


def w(key: str, lang: Lang, **values: object) -> str:
    """A word of the terminal in `lang`, its `{placeholders}` filled."""
    en, ru = _TEXT[key]
    return (ru if lang == "ru" else en).format(**values)


def size_text(x: float | None, lang: Lang) -> str:
    """A size (a budget, a count, a rate) as a number in `lang`: whole above 100, else at most
    three significant digits ("4,066,406", "0.35"); never in exponent notation."""
    if _missing(x):
        return "—"
    assert x is not None
    if abs(x) >= 100 or float(x).is_integer():
        return number(round(x), lang)
    digits = max(0, 2 - math.floor(math.log10(abs(x)))) if x else 0
    text = number(x, lang, digits)
    sep = "," if lang == "ru" else "."
    return text.rstrip("0").rstrip(sep) if sep in text else text


def short_number(x: float | None, lang: Lang) -> str:
    """A large figure in millions or billions, as compact money writes it ("31.7M",
    "31,7 млн"), for figures whose currency a table does not know; smaller ones whole."""
    from sim.report.i18n import _SCALES

    if _missing(x):
        return "—"
    assert x is not None
    for scale, en, ru in _SCALES:
        if abs(x) >= scale:
            body = number(x / scale, lang, 1)
            return f"{body}\u00a0{ru}" if lang == "ru" else f"{body}{en}"
    return number(x, lang)


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

    from sim.report import leaks as leak_words
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
    title = w("run_title_from" if first else "run_title", lang, name=escape(result.spec.name),
              months=result.spec.horizon_months, first=first, reps=result.replications,
              seed=result.seed)
    table = Table(title=title, show_header=True, expand=False)
    table.add_column(w("owner_view", lang))
    table.add_column(w("mean_band", lang), justify="right", no_wrap=True)
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
                return w("never", lang)
            return when(int(x)) if float(x).is_integer() else f"{x:.0f}"

        months = " / ".join(reached(status[k]) for k in ("p10", "p50", "p90"))
        table.add_row(w("goal_row", lang, metric=metric_label(goal.metric, lang).lower(),
                        target=target, month=when(goal.deadline_month)),
                      w("goal_cell", lang, p=share(status["p_goal"]), months=months))
    console.print(table)

    console.print(leak_table(result, lang))
    for line in leak_options(result, lang):
        console.print(line)
    console.print(escape(leak_words.w("caption", lang)), style="dim")
    if len(result.spec.segments) > 1:
        console.print(segment_table(result, lang))


def precision_line(result: MonteCarloResult, precision: float, lang: Lang = "en") -> str:
    """Whether `run --precision` reached its target: the half-width it reached, the rounds."""
    from sim.experiments.montecarlo import goal_half_width_percent

    achieved = goal_half_width_percent(result.monthly, result.spec, result.rounds)
    key = "precision_reached" if achieved <= precision else "precision_missed"
    return w(key, lang, precision=number(precision, lang, 2).rstrip("0").rstrip(",."),
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
    shown = pd.DataFrame({owner.w("segment", lang): [titles[str(s)] for s in data["segment"]]})
    for c in columns:
        shown[owner.w(c, lang)] = [number(v, lang) if c in ("leads", "new_clients")
                                   else money(v, cur, lang, compact=True) for v in data[c]]
    return frame_table(shown, owner.w("per_segment", lang))


def leak_table(result: MonteCarloResult, lang: Lang = "en") -> Table:
    """Where money leaks, per stage: lost, what they are worth, its share of the potential, the
    advertising spent on them (80 columns; the options that target a stage: `leak_options`)."""
    from sim.report import leaks as leak_words

    rows = leak_words.leak_rows(result, lang, compact=True)
    return frame_table(rows.iloc[:, :5], leak_words.w("title", lang))


def leak_options(result: MonteCarloResult, lang: Lang = "en") -> list[str]:
    """One line per stage that the scenario's bets target: the stage, then those bets."""
    from sim.report import leaks as leak_words

    rows = leak_words.leak_rows(result, lang, compact=True)
    stage, bets = rows.columns[0], rows.columns[-1]
    none = leak_words.w("none", lang)
    lines = [f"[bold]{escape(leak_words.w('options_heading', lang))}[/]"]
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
    return Panel("\n".join(escape(line) for line in lines), title=w("decision", lang),
                 title_align="left", expand=False)


def comparison(cmp: Comparison, console: Console, lang: Lang = "en", wide: bool = False) -> None:
    """The ranked bets, what changes against the baseline, the lever split, and what common
    random numbers bought. `wide` adds the columns that do not fit 80 columns."""
    from sim.experiments.compare import BASELINE, CHANGED
    from sim.report import leaks as leak_words
    from sim.report.decision import left_out_lines
    from sim.report.export import alternative_name

    cur = cmp.spec.currency

    def cash(x: float | None) -> str:
        return money(x, cur, lang, compact=True)

    def share(x: float | None) -> str:
        return percent(x, lang)

    def month(x: float | None) -> str:
        return w("never", lang) if _missing(x) else f"{x:.0f}"

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
        table_column(w("col_option", lang),
                [escape(alternative_name(r["bet"], cmp.spec, lang)) for r in rows], False),
        table_column(w("col_cost", lang), [cash(r["cost"]) for r in rows], True),
        table_column(w("col_npv", lang), [cash(r["npv"]) + ci(r["npv_lo"], r["npv_hi"], cash)
                                     if a else "—" for r, a in zip(rows, alt, strict=True)],
                True),
        # the decision's columns first: a table too wide for the terminal goes on below
        table_column(w("col_p_goal", lang), [share(r["p_goal"]) for r in rows], True),
        table_column(w("col_p_best", lang), [share(r["p_best_npv"]) for r in rows], True),
        table_column(w("col_roi", lang), [share(r["roi"]) + ci(r["roi_lo"], r["roi_hi"], share)
                                     if a else "—" for r, a in zip(rows, alt, strict=True)],
                True),
        table_column(w("col_payback", lang), [month(r["payback_month"]) if a else "—"
                                         for r, a in zip(rows, alt, strict=True)], True),
    ]
    if wide:
        ranked += [table_column(w("col_goal_p50", lang),
                           [month(r["months_to_goal_p50"]) for r in rows], True),
                   table_column(w("col_p_best_time", lang), [share(r["p_best_time"]) for r in rows],
                           True)]
    show(w("ranked_title", lang, name=escape(cmp.spec.name), reps=cmp.replications,
           seed=cmp.seed), ranked)

    others = cmp.names[1:]
    changes = [table_column(w("col_option", lang),
                       [escape(alternative_name(n, cmp.spec, lang)) for n in others], False)]
    for metric in CHANGED:
        cells = []
        for name in others:
            p = cmp.paired(name, metric)
            cells.append(cash(p["mean"]) + ci(p["ci_low"], p["ci_high"], cash))
        changes.append(table_column(escape(metric_label(metric, lang)), cells, True))
    show(w("changes_title", lang), changes)

    labels = {"leads": "total_leads", "conversion": "conversion_lever",
              "average_check": "average_check", "frequency": "frequency",
              "starting_clients": "starting_clients_lever", "total": "total"}
    split = cmp.levers().to_dict(orient="records")
    levers = [table_column(w("col_option", lang),
                      [escape(alternative_name(r["bet"], cmp.spec, lang)) for r in split], False)]
    levers += [table_column(escape(metric_label(key, lang)), [cash(r[c]) for r in split], True)
               for c, key in labels.items()]
    show(w("levers_title", lang), levers)

    rows = leak_words.recovery_rows(cmp, lang)
    if not rows.empty:  # how much of the leaks it targets each option recovers
        show(leak_words.w("recovery_title", lang),
             [table_column(escape(str(column)), [escape(str(v)) for v in rows[column]], i >= 2)
              for i, column in enumerate(rows.columns)])
        console.print(f"[dim]{escape(leak_words.w('recovery_caption', lang))}[/]")

    reduction = cmp.variance_reduction()
    gains = [v for v in reduction.values() if v == v and v != math.inf]
    exact = [escape(n) for n, v in reduction.items() if v == math.inf]
    if gains:
        console.print(w("crn", lang, low=number(min(gains), lang, 1),
                        high=number(max(gains), lang, 1)))
    if exact:
        console.print(w("exact", lang, names=", ".join(exact)))
    titles = {n: alternative_name(n, cmp.spec, lang) for n in cmp.names}
    titles.update({n: alternative_name(n, cmp.spec, lang)
                   for n, _ in (*cmp.over_budget, *cmp.skipped)})
    for line in left_out_lines(cmp, lang, titles):
        console.print(f"[yellow]{escape(line)}[/]")
    for name, why in cmp.skipped:
        console.print(f"[yellow]{w('left_out', lang)}[/] {escape(titles.get(name, name))}: "
                      f"{escape(why)}")
    if cmp.settled is not None:
        rounds = w("rounds", lang, reps=number(cmp.replications, lang),
                   rounds=" + ".join(number(r, lang) for r in cmp.rounds))
        if cmp.settled:
            tied = [titles.get(n, n) for n in cmp.could_be_best[1:]]
            tie = w("tied", lang, names=escape(", ".join(tied))) if tied else ""
            best = titles.get(cmp.could_be_best[0], cmp.could_be_best[0])
            console.print(w("settled", lang, name=escape(best), tie=tie, rounds=rounds))
        else:
            console.print(w("not_settled", lang, rounds=rounds, names=escape(
                ", ".join(titles.get(n, n) for n in cmp.could_be_best))))


def seek(result: SeekResult, console: Console, lang: Lang = "en") -> None:
    """A goal seek's answer: the size that reaches the target, its spread, or why none does."""

    def size(x: float | None) -> str:
        return w("above_high", lang) if x is None else _unbroken(size_text(x, lang))

    what = f"{result.operation} {result.path}"
    target = _unbroken(percent(result.target, lang))
    if result.size is None:
        tried = result.evaluations[-1][0] if result.evaluations else math.nan
        say(console, w("seek_missed", lang, what=what, size=size(tried), target=target),
            style="bold red")
        return
    lo, hi = result.p_goal_ci or (0.0, 1.0)
    say(console, w("seek_answer", lang, bet=result.bet, what=what, size=size(result.size),
                   p=_unbroken(percent(result.p_goal, lang)), lo=_unbroken(percent(lo, lang)),
                   hi=_unbroken(percent(hi, lang)), target=target, p10=size(result.size_p10),
                   p90=size(result.size_p90)))
    if result.unreached_share:
        say(console, w("seek_unreached", lang,
                       share=_unbroken(percent(result.unreached_share, lang)),
                       size=size(result.evaluations[-1][0])))
