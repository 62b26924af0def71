"""The value of information for people: what it is worth to learn each assumption before choosing
a bet, as sentences, tables, a plotly figure and the terminal's 80-column view, in English or
Russian; `write_voi` writes voi.json.

Reads only a `ValueOfInformation` (`sim.experiments.voi`); runs nothing. The CLI
(`growthsim value-of-information`), the app's investor page and a notebook call the same
functions. Words are in the catalogue's `[voi]` area (`models.words`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from models.spec.scenario import Scenario, text_in
from models.words import LANGS, Lang, t, word
from models.words.formats import money, money_ticks, percent, plotly_separators
from sim.experiments.sensitivity import stage_of
from sim.experiments.voi import Estimate, ValueOfInformation
from sim.report import export
from sim.report import sensitivity as words_of
from sim.report.export import alternative_name
from sim.report.output import write_files
from sim.report.terminal import escape

# An EVPPI below this many standard errors is not told apart from nothing.
CLEAR = 2.0
Z95 = 1.96  # the figure's bars: 95% intervals

def _cash(x: float, result: ValueOfInformation, lang: Lang) -> str:
    return money(x, result.currency, lang, compact=True)


def parameter_name(path: str, result: ValueOfInformation, lang: Lang,
                   spec: Scenario | None = None) -> str:
    """An uncertain parameter in words: the baseline's by its field and item, a bet's own
    value by the parameter it acts on and the bet's title, a bet's uncertain cost as such."""
    if not path.startswith("bets."):
        return _label(path, lang, spec)
    bets = {b.name: b for b in spec.bets} if spec is not None else {}
    name = next((n for n in bets if path.startswith(f"bets.{n}.")), path.split(".")[1])
    bet = bets.get(name)
    title = text_in(bet.title, lang, name) if bet is not None else name
    target = result.parameters.get(path, {}).get("acts_on", path)
    if target == path or "." not in target:
        return t("voi.bet_cost", lang, bet=title)
    return t("voi.with_bet", lang, what=_label(target, lang, spec), bet=title)


def _label(path: str, lang: Lang, spec: Scenario | None) -> str:
    """`param_label`, and for a journey's field its stage ("Conversion per touch — follow-up"):
    the field alone does not say which contact it is."""
    label = words_of.param_label(path, lang, spec)
    if path.startswith("journey.") and path.count(".") >= 2 and "*" not in path:
        label = f"{label} — {group_name(stage_of(path), lang)}"
    return label


def _in_sentence(name: str, lang: Lang) -> str:
    """A name inside an English sentence starts in lower case ("knowing conversion per
    touch"), an abbreviation stays as it is; Russian quotes it as written."""
    if lang == "en" and len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def group_name(name: str, lang: Lang) -> str:
    """A lever or a journey stage in words."""
    return word("sensitivity", name, lang)


def _clear(e: Estimate) -> bool:
    return e.estimate > 0 and e.estimate > CLEAR * e.se


def summary_lines(result: ValueOfInformation, lang: Lang,
                  spec: Scenario | None = None) -> list[str]:
    """What the analysis says, in sentences: the choice now, what knowing everything is worth
    and how much of it the assumptions explain, and the owner's sentence about the assumption
    most worth learning (or that none clearly is)."""
    if not result.decision:
        lines = [t("voi.no_decision", lang)]
        if "no_uncertainty" in result.notes:
            lines.append(t("voi.no_uncertainty", lang))
        return lines
    chosen = (alternative_name(result.chosen, spec, lang) if spec is not None
              else result.chosen)
    lines = [t("voi.chosen", lang, name=chosen,
               npv=_cash(result.expected_npv[result.chosen], result, lang))]
    if result.evpi.estimate <= 0:
        lines.append(t("voi.evpi_zero", lang))
    else:
        lines.append(t("voi.evpi", lang, value=_cash(result.evpi.estimate, result, lang),
                       se=_cash(result.evpi.se, result, lang)))
        if result.evppi:
            lines.append(t("voi.all_parameters", lang,
                           value=_cash(result.all_parameters.estimate, result, lang)))
    if "no_uncertainty" in result.notes:
        lines.append(t("voi.no_uncertainty", lang))
    elif result.evpi.estimate > 0:
        path = max(result.evppi, key=lambda p: result.evppi[p].estimate)
        top = result.evppi[path]
        what = _in_sentence(parameter_name(path, result, lang, spec), lang)
        if _clear(top):
            lines.append(t("voi.owner", lang, what=what, value=_cash(top.estimate, result, lang)))
        else:
            lines.append(t("voi.nothing_clear", lang, what=what,
                           value=_cash(top.estimate, result, lang),
                           se=_cash(top.se, result, lang)))
    lines.append(t("voi.how", lang, reps=result.replications, seed=result.seed))
    return lines


def parameter_table(result: ValueOfInformation, lang: Lang, spec: Scenario | None = None,
                    formatted: bool = True) -> pd.DataFrame:
    """One row per uncertain assumption, most valuable first: its lever, EVPPI, its standard
    error and its share of EVPI (`formatted`: money and shares written in `lang`)."""
    frame = result.table()
    out = pd.DataFrame({
        t("voi.col_assumption", lang): [parameter_name(p, result, lang, spec)
                                    for p in frame["parameter"]],
        t("voi.col_lever", lang): [group_name(x, lang) for x in frame["lever"]],
        t("voi.col_evppi", lang): frame["evppi"],
        t("voi.col_se", lang): frame["se"],
        t("voi.col_share", lang): frame["share_of_evpi"]})
    if formatted:
        out = _formatted(out, result, lang)
    return out


def group_table(result: ValueOfInformation, by: str, lang: Lang,
                formatted: bool = True) -> pd.DataFrame:
    """EVPPI of each lever (`by="lever"`) or journey stage (`"stage"`), most valuable first."""
    per = sorted(result.groups.get(by, {}).items(), key=lambda kv: -kv[1].estimate)
    total = result.evpi.estimate
    out = pd.DataFrame({
        t("voi.col_group", lang): [group_name(name, lang) for name, _ in per],
        t("voi.col_evppi", lang): [e.estimate for _, e in per],
        t("voi.col_se", lang): [e.se for _, e in per],
        t("voi.col_share", lang): [e.estimate / total if total > 0 else math.nan for _, e in per]})
    return _formatted(out, result, lang) if formatted else out


def _formatted(frame: pd.DataFrame, result: ValueOfInformation, lang: Lang) -> pd.DataFrame:
    out = frame.copy()
    for key in ("col_evppi", "col_se"):
        out[t(f"voi.{key}", lang)] = [_cash(float(v), result, lang) for v in frame[t(f"voi.{key}",
                                                                                     lang)]]
    out[t("voi.col_share", lang)] = [percent(float(v), lang) for v in frame[t("voi.col_share",
                                                                              lang)]]
    return out


def evppi_figure(result: ValueOfInformation, lang: Lang,
                 spec: Scenario | None = None) -> go.Figure:
    """Horizontal bars of EVPPI per assumption (largest on top) with 95% intervals (cut at 0),
    and EVPI, the value of knowing everything, as a dotted line."""
    frame = result.table().iloc[::-1]
    names = [parameter_name(p, result, lang, spec) for p in frame["parameter"]]
    mid = frame["evppi"].to_numpy(dtype=float)
    half = Z95 * frame["se"].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(
        y=names, x=mid.tolist(), orientation="h", marker_color="#1f77b4",
        error_x={"type": "data", "symmetric": False, "array": half.tolist(),
                 "arrayminus": [min(m, h) for m, h in zip(mid.tolist(), half.tolist(),
                                                          strict=True)]},
        hovertext=[_cash(m, result, lang) for m in mid], hoverinfo="y+text"))
    top = max([result.evpi.estimate, *(mid + half)], default=0.0)
    if result.evpi.estimate > 0:
        fig.add_vline(x=result.evpi.estimate, line_dash="dot", line_color="#555",
                      annotation_text=t("voi.evpi_line", lang), annotation_position="top")
    fig.update_layout(title=t("voi.figure_title", lang), template="plotly_white",
                      separators=plotly_separators(lang), showlegend=False,
                      margin={"l": 10, "r": 10, "t": 60, "b": 10})
    if math.isfinite(top) and top > 0:
        vals, text = money_ticks(0.0, float(top), result.currency, lang)
        if vals:
            fig.update_xaxes(tickmode="array", tickvals=vals, ticktext=text)
    return fig


def export_report(result: ValueOfInformation, lang: Lang,
                  spec: Scenario) -> export.Report:
    """The app's downloads (Excel, CSV, one HTML page; `sim.report.export`): the sentences,
    EVPPI by assumption, lever and journey stage as numbers, and the figure."""
    title = f"{text_in(spec.title, lang, spec.name)}: {t('voi.section', lang)}"
    r = export.Report(title, lang, result.currency)
    r.lines.append(export.provenance_line(spec, result.replications, result.seed,
                                          str(result.provenance.get("engine", "fast")), lang))
    r.lines += summary_lines(result, lang, spec)
    kinds: dict[str, export.Kind] = {t("voi.col_evppi", lang): "money", t("voi.col_se",
                                                                          lang): "money",
                                     t("voi.col_share", lang): "share"}
    r.tables.append(export.Table(t("voi.col_evppi", lang),
                                 parameter_table(result, lang, spec, formatted=False), kinds))
    for by in ("lever", "stage"):
        r.tables.append(export.Table(t(f"voi.by_{by}", lang),
                                     group_table(result, by, lang, formatted=False), kinds))
    r.figures.append(evppi_figure(result, lang, spec))
    return r


def document(result: ValueOfInformation, spec: Scenario | None = None) -> dict[str, Any]:
    """voi.json: the result (`ValueOfInformation.to_dict`) with its sentences and the
    assumptions' names in both languages."""
    doc = result.to_dict()
    doc["summary"] = {lang: summary_lines(result, lang, spec) for lang in LANGS}
    doc["names"] = {path: {lang: parameter_name(path, result, lang, spec) for lang in LANGS}
                    for path in result.evppi}
    return doc


def write_voi(result: ValueOfInformation, out_dir: Path,
              spec: Scenario | None = None) -> list[Path]:
    """Write `voi.json` (see `document`) as a unit."""
    return write_files(out_dir, "voi", {"voi.json": document(result, spec)})


def show(result: ValueOfInformation, console: Console, lang: Lang = "en",
         spec: Scenario | None = None) -> None:
    """The terminal's view, 80 columns: the sentences, then EVPPI by assumption, by lever and
    by journey stage. Every cell is escaped (scenario text may hold markup or control codes)."""
    console.print(Panel("\n".join(escape(line) for line in summary_lines(result, lang, spec)),
                        title=escape(t("voi.title", lang)), title_align="left", expand=False))
    if not result.decision or not result.evppi:
        return
    name = (text_in(spec.title, lang, spec.name) if spec is not None
            else str(result.provenance.get("scenario", "")))
    _print(console, parameter_table(result, lang, spec).drop(columns=t("voi.col_lever", lang)),
           f"{name}: {t('voi.col_evppi', lang)}")
    for by in ("lever", "stage"):
        _print(console, group_table(result, by, lang), t(f"voi.by_{by}", lang))


def _print(console: Console, frame: pd.DataFrame, title: str) -> None:
    table = Table(title=escape(title), title_justify="left")
    for i, column in enumerate(frame.columns):
        table.add_column(escape(str(column)), justify="left" if i == 0 else "right",
                         overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    console.print(table)
