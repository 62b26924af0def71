"""Take the answer away: a results page's tables as CSV and Excel, the whole page as one HTML file.

A `Report` is what a results page shows, in one language: a title, the lines that open it
(provenance, the decision), its tables and its figures. The builders (`forecast_report`,
`comparison_report`, `stress_report`) make one from the library's results, so a notebook user
gets the same files as the app's download buttons:

    report = export.comparison_report(cmp, "ru")
    Path("bets.html").write_text(report.html(), encoding="utf-8")
    Path("bets.xlsx").write_bytes(report.excel())

Tables keep numbers as numbers (CSV and Excel are for further work); each column has a kind
(money, share, count, month, text) that writes it in the language's format in the HTML report and
sets the Excel number format. The HTML file is self-contained: plotly's script is inlined once,
so an investor opens it without the app or a network.
"""

from __future__ import annotations

import html as _html
import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from models.compiled.bets import SHOCKS
from models.load import scenario_hash
from models.spec.scenario import Scenario, text_in
from sim.experiments.compare import BASELINE, CHANGED, Comparison
from sim.experiments.montecarlo import MonteCarloResult, goal_value
from sim.experiments.runner.statistics import describe
from sim.report import charts, owner
from sim.report import leaks as leak_words
from sim.report.decision import decide, left_out_lines, summary_lines
from sim.report.i18n import Lang, metric_label, money, number, percent, t
from sim.report.owner import w

Kind = Literal["money", "share", "count", "decimal", "month", "text"]


@dataclass(frozen=True)
class Table:
    title: str
    frame: pd.DataFrame  # columns already in the language's words
    kinds: Mapping[str, Kind] = field(default_factory=dict)  # by column; text by default

    def kind(self, column: str) -> Kind:
        return self.kinds.get(column, "text")


@dataclass
class Report:
    title: str
    lang: Lang
    currency: str
    lines: list[str] = field(default_factory=list)  # the opening: provenance, the decision
    tables: list[Table] = field(default_factory=list)
    figures: list[go.Figure] = field(default_factory=list)

    # -- files ----------------------------------------------------------------------------------
    def csv(self, table: Table) -> bytes:
        """One table as CSV that a spreadsheet opens in the language: UTF-8 with a BOM (Excel
        reads Cyrillic then), ';' and decimal commas in Russian."""
        sep, decimal = (";", ",") if self.lang == "ru" else (",", ".")
        text = table.frame.to_csv(index=False, sep=sep, decimal=decimal)
        return ("\ufeff" + text).encode("utf-8")

    def csv_zip(self) -> bytes:
        """Every table as its own CSV file, in one zip."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for i, table in enumerate(self.tables, start=1):
                archive.writestr(f"{i:02d} {file_stem(table.title)}.csv", self.csv(table))
        return buffer.getvalue()

    def excel(self) -> bytes:
        """Every table on its own sheet (the title on the first row), numbers as numbers in the
        language's number formats."""
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        book = Workbook()
        book.remove(book.active)
        used: set[str] = set()
        for table in self.tables:
            sheet = book.create_sheet(_sheet_name(table.title, used))
            sheet.append([table.title])
            sheet["A1"].font = Font(bold=True)
            columns = [str(c) for c in table.frame.columns]
            sheet.append(columns)
            for cell in sheet[2]:
                cell.font = Font(bold=True)
            for row in table.frame.itertuples(index=False):
                sheet.append([_excel_value(v) for v in row])
            for j, column in enumerate(table.frame.columns, start=1):
                fmt = _EXCEL_FORMATS.get(table.kind(column))
                letter = get_column_letter(j)
                if fmt:
                    for (cell,) in sheet.iter_rows(min_row=3, min_col=j, max_col=j):
                        cell.number_format = fmt
                width = max([len(str(column)), *(len(str(v)) for v in table.frame[column])])
                sheet.column_dimensions[letter].width = min(max(10, width + 2), 60)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def html(self) -> str:
        """The page as one self-contained HTML file: the opening lines, the tables in the
        language's formats, the figures (plotly's script inlined once)."""
        parts = [f"<h1>{_html.escape(self.title)}</h1>"]
        parts += [f"<p>{_inline(line)}</p>" for line in self.lines]
        for table in self.tables:
            parts.append(f"<h2>{_html.escape(table.title)}</h2>")
            parts.append(self._html_table(table))
        for i, fig in enumerate(self.figures):
            parts.append(pio.to_html(fig, full_html=False,
                                     include_plotlyjs="inline" if i == 0 else False,
                                     config={"displaylogo": False}))
        lang = "ru" if self.lang == "ru" else "en"
        return (f"<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
                f"<title>{_html.escape(self.title)}</title><style>{_CSS}</style></head>"
                f"<body>{''.join(parts)}</body></html>\n")

    def _html_table(self, table: Table) -> str:
        head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in table.frame.columns)
        rows: list[str] = []
        for row in table.frame.itertuples(index=False):
            cells = []
            for column, value in zip(table.frame.columns, row, strict=True):
                kind = _row_kind(table, len(rows), column)
                cls = ' class="num"' if kind != "text" else ""
                cells.append(f"<td{cls}>{_html.escape(self.format(value, kind))}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    def format(self, value: object, kind: Kind) -> str:
        return cell(value, kind, self.currency, self.lang)


def cell(value: object, kind: Kind, currency: str, lang: Lang, compact: bool = False) -> str:
    """A cell as the app writes it (`compact`: millions short, for a table that must fit)."""
    if kind == "text":
        return "" if value is None else str(value)
    x = _number(value)
    if kind == "money":
        return money(x, currency, lang, compact=compact)
    if kind == "share":
        return percent(x, lang, 1)
    if kind == "decimal":
        return number(x, lang, 1)
    return number(x, lang)  # counts and months


def shown(table: Table, currency: str, lang: Lang, compact: bool = False) -> pd.DataFrame:
    """A table with every cell written as the app shows it (for a page's st.dataframe)."""
    out = {}
    for column in table.frame.columns:
        out[column] = [cell(v, _row_kind(table, i, column), currency, lang, compact)
                       for i, v in enumerate(table.frame[column])]
    return pd.DataFrame(out)


_EXCEL_FORMATS: dict[str, str] = {"money": "#,##0", "share": "0.0%", "count": "#,##0",
                                  "decimal": "0.00", "month": "0"}

_CSS = """
body {font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 2em auto;
      max-width: 1200px; color: #222; padding: 0 1em;}
table {border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; max-width: 100%;}
th, td {border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left;}
th {background: #f4f4f4;}
td.num {text-align: right;}
th, td {overflow-wrap: anywhere;}
.plotly-graph-div {max-width: 100%;}
h2 {margin-top: 1.5em; font-size: 1.2em;}
"""


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _excel_value(value: object) -> object:
    """A cell for openpyxl: NaN as an empty cell, numpy scalars as Python numbers."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _inline(line: str) -> str:
    """A line of the page's markdown (bold, code) as HTML, everything else escaped."""
    text = _html.escape(line.replace("\\$", "$"))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", text)


def file_stem(title: str) -> str:
    """A title as a file name (letters of any language kept; separators as spaces)."""
    stem = re.sub(r"[\\/:*?\"<>|\[\]\x00-\x1f]+", " ", title).strip()
    return re.sub(r"\s+", " ", stem)[:80] or "table"


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel's sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = file_stem(title)[:31] or "table"
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(name.lower())
    return name


def frame(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> pd.DataFrame:
    """Rows (dicts keyed by the shown column names) as a frame with the columns in order."""
    return pd.DataFrame(list(rows), columns=list(columns))


# --- the results pages as reports ----------------------------------------------------------------

def _title_of(spec: Scenario, lang: Lang) -> str:

    return text_in(spec.title, lang, spec.name)


def alternative_name(name: str, spec: Scenario, lang: Lang) -> str:
    """An alternative's name as the pages show it: the plan, a shock in words, bets (and
    portfolios 'a + b') by their titles."""

    if name == BASELINE:
        return t("baseline", lang)
    if name in SHOCKS:
        return t(name, lang)
    titles = {b.name: text_in(b.title, lang, b.name) for b in spec.bets}
    return " + ".join(titles.get(part, part) for part in name.split(" + "))


def provenance_line(spec: Scenario, replications: int, seed: int, engine: str, lang: Lang) -> str:

    line = t("provenance", lang, name=_title_of(spec, lang), reps=replications, seed=seed,
             hash=scenario_hash(spec))
    return f"{line} · {w('engine_' + engine, lang)}"


def _bands(rows: pd.DataFrame, lang: Lang, label: object, kinds: Kind) -> tuple[pd.DataFrame,
                                                                               dict[str, Kind]]:

    assert callable(label)
    cols = [w("what", lang), w("mean", lang), "P10", "P90"]
    out = pd.DataFrame({cols[0]: [label(m) for m in rows["metric"]], cols[1]: rows["mean"],
                        cols[2]: rows["p10"], cols[3]: rows["p90"]})
    return out, {c: kinds for c in cols[1:]}


def channel_table(result: MonteCarloResult, lang: Lang) -> Table:
    """`owner.channels` in the language's words (channels by their titles)."""

    spec = result.spec
    titles = {c.name: text_in(c.title, lang, c.name) for c in spec.channels}
    data = owner.channels(result)
    kinds: dict[str, Kind] = {"leads": "count", "new_clients": "count", "conversion": "share",
                              "marketing": "money", "cac_channel": "money", "revenue": "money",
                              "gross_profit": "money", "net": "money"}
    shown = pd.DataFrame({owner.w("channel", lang): [
        titles.get(c) or owner.w(c, lang) for c in data["channel"]]})
    for column in kinds:
        shown[owner.w(column, lang)] = data[column].to_numpy()
    return Table(owner.w("per_channel", lang), shown,
                 {owner.w(c, lang): k for c, k in kinds.items()})


def segment_table(result: MonteCarloResult, lang: Lang) -> Table:
    """`owner.segments` in the language's words (segments by their titles)."""

    titles = {s.name: text_in(s.title, lang, s.name) for s in result.spec.segments}
    data = owner.segments(result)
    kinds: dict[str, Kind] = {"leads": "count", "new_clients": "count", "conversion": "share",
                              "ad_spend": "money", "cac_segment": "money", "revenue": "money",
                              "gross_profit": "money", "lost_value": "money"}
    shown = pd.DataFrame({owner.w("segment", lang): [titles[s] for s in data["segment"]]})
    for column in kinds:
        shown[owner.w(column, lang)] = data[column].to_numpy()
    return Table(owner.w("per_segment", lang), shown,
                 {owner.w(c, lang): k for c, k in kinds.items()})


def client_cost_table(result: MonteCarloResult, lang: Lang) -> Table:

    rows = pd.concat([owner.client_costs(result), owner.client_value(result)],
                     ignore_index=True)
    frame_, kinds = _bands(rows, lang, lambda m: owner.w(m, lang), "money")
    return Table(owner.w("client_costs", lang), frame_, kinds)


def forecast_report(result: MonteCarloResult, lang: Lang) -> Report:
    """The forecast page (dashboard): headline figures, what a client costs and brings, per
    channel, month by month, where money leaks, the four levers; its charts."""

    spec = result.spec
    cur = spec.currency
    r = Report(f"{_title_of(spec, lang)}: {t('page_dashboard', lang)}", lang, cur)
    r.lines.append(provenance_line(spec, result.replications, result.seed,
                                   result.engine, lang))

    def kind(m: str) -> Kind:
        return ("money" if m in owner.MONEY else "share" if m in owner.RATIOS
                else "decimal" if m == "purchases_per_client" else "count")

    head = owner.headline(result)
    cols = [owner.w("what", lang), owner.w("mean", lang), "P10", "P90"]
    # a headline's kinds differ by row: money columns as numbers, the kind in the HTML per row
    headline = Table(t("dash_headline", lang, months=spec.horizon_months), pd.DataFrame({
        cols[0]: [metric_label(m, lang) for m in head["metric"]],
        cols[1]: head["mean"], cols[2]: head["p10"], cols[3]: head["p90"]}), {})
    r.tables.append(_rowwise(headline, [kind(m) for m in head["metric"]], r))
    r.tables.append(client_cost_table(result, lang))
    r.tables.append(channel_table(result, lang))
    r.tables.append(segment_table(result, lang))
    view = owner.monthly_view(result)
    monthly = pd.DataFrame({t("month", lang): view["month"].astype(int)})
    kinds: dict[str, Kind] = {t("month", lang): "month"}
    for c in view.columns[1:]:
        monthly[metric_label(c, lang)] = view[c].to_numpy()
        kinds[metric_label(c, lang)] = "money" if c in owner.MONEY else "decimal"
    r.tables.append(Table(t("dash_month_by_month", lang), monthly, kinds))
    # the leak table's columns as the app shows them (sim.report.leaks), as numbers
    leaks = owner.leaks(result)
    lw = leak_words.w
    leak_frame = pd.DataFrame({
        lw("stage", lang): [metric_label(x, lang) for x in leaks["stage"]],
        lw("lost", lang): leaks["count"].to_numpy(),
        lw("worth", lang): leaks["revenue"].to_numpy(),
        lw("share", lang): leaks["share"].to_numpy(),
        lw("ad_spend", lang): leaks["ad_spend"].to_numpy(),
        lw("bets", lang): [", ".join(leak_words.bet_titles(result, b, lang)) or lw("none", lang)
                           for b in leaks["bets"]]})
    r.tables.append(Table(t("dash_leaks", lang), leak_frame, {
        lw("lost", lang): "count", lw("worth", lang): "money", lw("share", lang): "share",
        lw("ad_spend", lang): "money"}))
    lev = owner.levers(result)
    lev_table = Table(t("dash_levers", lang), pd.DataFrame({
        cols[0]: [metric_label(m, lang) for m in lev["metric"]], cols[1]: lev["mean"],
        cols[2]: lev["p10"], cols[3]: lev["p90"]}), {})
    r.tables.append(_rowwise(lev_table, [kind(m) for m in lev["metric"]], r))
    q = result.monthly_quantiles()
    r.figures += [charts.counts_chart(view, lang),
                  # titled here: on the page, its heading above it says what it is
                  charts.leak_waterfall(leaks, owner.potential_revenue(result), cur, lang)
                  .update_layout(title=t("dash_leaks", lang)),
                  *(charts.fan_chart(q, m, lang, currency=cur)
                    for m in ("revenue", "profit", "cumulative_profit"))]
    return r


def _rowwise(table: Table, kinds: Sequence[Kind], report: Report) -> Table:
    """A table whose number columns hold different kinds by row (a headline of money, shares
    and counts): kept as numbers for CSV and Excel; the HTML writes each row in its kind."""
    return _RowwiseTable(table.title, table.frame, table.kinds, tuple(kinds))


@dataclass(frozen=True)
class _RowwiseTable(Table):
    row_kinds: tuple[Kind, ...] = ()


def _row_kind(table: Table, row: int, column: str) -> Kind:
    if isinstance(table, _RowwiseTable) and column != table.frame.columns[0]:
        return table.row_kinds[row]
    return table.kind(column)


def changes_table(cmp: Comparison, lang: Lang) -> Table:
    """Per bet, the paired change against the plan of CLTV, CAC, customer equity, revenue and
    profit (mean with its 95% interval), as the CLI prints it."""

    spec = cmp.spec
    rows: list[dict[str, object]] = []
    kinds: dict[str, Kind] = {}
    for name in cmp.names[1:]:
        row: dict[str, object] = {metric_label("bet", lang): alternative_name(name, spec, lang)}
        for metric in CHANGED:
            p = cmp.paired(name, metric)
            label = metric_label(metric, lang)
            row[label] = p["mean"]
            row[f"{label}: {w('ci_low', lang)}"] = p["ci_low"]
            row[f"{label}: {w('ci_high', lang)}"] = p["ci_high"]
            for c in (label, f"{label}: {w('ci_low', lang)}", f"{label}: {w('ci_high', lang)}"):
                kinds[c] = "money"
        rows.append(row)
    return Table(w("changes", lang), pd.DataFrame(rows), kinds)


def ranking_table(cmp: Comparison, lang: Lang) -> Table:
    """The comparison's ranked table (`Comparison.table()`), numbers as numbers."""

    spec = cmp.spec
    data = cmp.table()
    columns: dict[str, tuple[str, Kind]] = {
        "cost": (metric_label("cost", lang), "money"), "npv": (metric_label("npv", lang), "money"),
        "npv_lo": (f"NPV: {w('ci_low', lang)}", "money"),
        "npv_hi": (f"NPV: {w('ci_high', lang)}", "money"),
        "roi": ("ROI", "share"), "roi_lo": (f"ROI: {w('ci_low', lang)}", "share"),
        "roi_hi": (f"ROI: {w('ci_high', lang)}", "share"),
        "payback_month": (metric_label("payback_month", lang), "month"),
        "months_to_goal_p10": (f"{metric_label('time_to_goal', lang)} P10", "month"),
        "months_to_goal_p50": (f"{metric_label('time_to_goal', lang)} P50", "month"),
        "months_to_goal_p90": (f"{metric_label('time_to_goal', lang)} P90", "month"),
        "p_goal": (metric_label("p_goal", lang), "share"),
        "p_best_npv": (metric_label("p_best_npv", lang), "share"),
        "p_best_time": (metric_label("p_best_time", lang), "share"),
    }
    out = pd.DataFrame({metric_label("bet", lang): [alternative_name(n, spec, lang)
                                                    for n in data["bet"]]})
    for key, (label, _) in columns.items():
        out[label] = data[key].to_numpy()
    return Table(t("ranked", lang), out, {label: kind for label, kind in columns.values()})


def comparison_report(cmp: Comparison, lang: Lang) -> Report:
    """The compare page: the decision, the ranked options, what changes per bet, the levers;
    its charts."""

    spec = cmp.spec
    cur = spec.currency
    names = {n: alternative_name(n, spec, lang) for n in cmp.names}
    r = Report(f"{_title_of(spec, lang)}: {t('page_compare', lang)}", lang, cur)
    r.lines.append(provenance_line(spec, cmp.replications, cmp.seed, cmp.engine, lang))
    r.lines += summary_lines(decide(cmp), cur, lang, names)
    r.lines += left_out_lines(cmp, lang, {n: alternative_name(n, spec, lang)
                                          for n, _ in (*cmp.over_budget, *cmp.skipped)})
    r.tables += [ranking_table(cmp, lang), changes_table(cmp, lang)]
    levers = cmp.levers()
    lever_names = {"leads": "leads", "conversion": "conversion_lever",
                   "average_check": "average_check", "frequency": "frequency",
                   "starting_clients": "starting_clients_lever", "total": "total"}
    lev = pd.DataFrame({metric_label("bet", lang): [names[b] for b in levers["bet"]]})
    for col, key in lever_names.items():
        lev[metric_label(key, lang)] = levers[col].to_numpy()
    r.tables.append(Table(t("lever_split", lang), lev,
                          {metric_label(k, lang): "money" for k in lever_names.values()}))
    table = cmp.table()
    table = table[table["bet"] != BASELINE].assign(bet=lambda f: [names[b] for b in f["bet"]])
    r.figures += [charts.roi_vs_time(table, lang),
                  charts.incremental_profit(
                      owner.incremental(cmp).assign(bet=lambda f: [names[b] for b in f["bet"]]),
                      lang, cur, w("incremental_profit", lang)),
                  charts.levers_chart(lev_for_chart(levers, names), lang, cur)]
    return r


def lev_for_chart(levers: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    out = levers.copy()
    out["bet"] = [names.get(b, b) for b in out["bet"]]
    return out


def stress_report(cmp: Comparison, lang: Lang) -> Report:
    """The stress page: per shock, the chance of the goal, profit, the change in NPV and the
    months to the goal; its charts."""

    spec = cmp.spec
    cur = spec.currency
    names = {n: alternative_name(n, spec, lang) for n in cmp.names}
    r = Report(f"{_title_of(spec, lang)}: {t('page_stress', lang)}", lang, cur)
    r.lines.append(provenance_line(spec, cmp.replications, cmp.seed, cmp.engine, lang))
    table = cmp.table().set_index("bet")
    rows = []
    profit_label = metric_label("total_profit", lang)
    for name in cmp.names:
        profit = describe(cmp.scalars[name]["total_profit"])
        row = table.loc[name]
        rows.append({t("shock", lang): names[name],
                     metric_label("p_goal", lang): row["p_goal"],
                     profit_label: profit["mean"], f"{profit_label} P10": profit["p10"],
                     f"{profit_label} P90": profit["p90"],
                     t("npv_change", lang): row["npv"],
                     f"NPV: {w('ci_low', lang)}": row["npv_lo"],
                     f"NPV: {w('ci_high', lang)}": row["npv_hi"],
                     f"{metric_label('time_to_goal', lang)} P50": row["months_to_goal_p50"]})
    kinds: dict[str, Kind] = {c: "money" for c in rows[0] if c != t("shock", lang)}
    kinds[metric_label("p_goal", lang)] = "share"
    kinds[f"{metric_label('time_to_goal', lang)} P50"] = "month"
    r.tables.append(Table(t("stress_table", lang), pd.DataFrame(rows), kinds))
    goal = spec.goal
    title = (t("goal_at_deadline", lang, metric=t(goal.metric, lang), month=goal.deadline_month)
             if goal is not None else metric_label("cumulative_profit", lang))
    counts = goal is not None and goal.metric == "active_clients"
    outcome = {names[n]: goal_value(cmp.monthly[n], spec) for n in cmp.names}
    q = cmp.monthly_quantiles()
    q["bet"] = [names[b] for b in q["bet"]]
    r.figures += [charts.outcome_distribution(outcome, lang, title,
                                              y_title=t("clients_unit", lang) if counts else "",
                                              currency=None if counts else cur),
                  charts.fan_chart(q, "cumulative_profit", lang, t("cum_profit_per_shock", lang),
                                   group="bet", currency=cur)]
    return r
