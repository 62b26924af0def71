"""Small pieces every page shows: numbers in the owner's format, metric cards, problems, names of
alternatives."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from models.load import scenario_hash
from models.spec.errors import localized
from models.spec.fields import field_label as spec_label
from models.spec.scenario import Scenario
from models.words import Lang, t
from models.words.formats import money, number, percent
from sim.app.state import DEFAULT_ENGINE, scenario_title, state, synced
from sim.report import export, owner
from sim.report.i18n import metric_label, tooltip

# --- formatting helpers -------------------------------------------------------------------------

def fmt(name: str, value: float | None, currency: str, lang: Lang,
         compact: bool = False) -> str:
    if name in owner.MONEY:
        return money(value, currency, lang, compact=compact)
    if name == "conversion":
        return percent(value, lang, 1)
    if name in owner.RATIOS:
        return percent(value, lang)
    if name == "purchases_per_client":
        return number(value, lang, 2)
    return number(value, lang)


def provenance(spec: Scenario, reps: int, seed: int, lang: Lang,
               engine: str = DEFAULT_ENGINE) -> None:
    st.caption(t("app.provenance", lang, name=scenario_title(spec, lang), reps=number(reps, lang),
                 seed=seed, hash=scenario_hash(spec)) + f" · {t(f'owner.engine_{engine}', lang)}")


def metric_card(col: Any, name: str, value: float | None, currency: str, lang: Lang,
            band: tuple[float | None, float | None] | None = None) -> None:
    # The card shows millions short; its tooltip has the exact mean, the P10-P90 band and what
    # the methodology's term means.
    lines = [tooltip(name, lang) or "", fmt(name, value, currency, lang)]
    if band is not None:
        lo, hi = (fmt(name, v, currency, lang) for v in band)
        lines.append(f"P10 … P90: {lo} … {hi}")
    col.metric(metric_label(name, lang), fmt(name, value, currency, lang, compact=True),
               help="\n\n".join(x for x in lines if x))


def field_label(path: str, lang: Lang) -> str:
    """A parameter path in words ('Горизонт, мес.', the spec's label of the field), or "" when
    it names no parameter."""
    return spec_label(path, lang) or ""


# The loader's hints name the command line's tools; the app's user has the app instead.
_CLI_HINTS = {"(`growthsim schema` lists the names)": "app.app_hint_names",
              "(имена перечисляет `growthsim schema`)": "app.app_hint_names"}
_LINE = re.compile(r"^line (\d+), column (\d+)$")


def problem_line(where: str, what: str, lang: Lang) -> str:
    """One problem as shown: the field in words and its path in the YAML (or the line of a
    file that is not YAML, in the language's words), then what to do."""
    text = localized(what, lang)
    for hint, key in _CLI_HINTS.items():
        text = text.replace(hint, t(key, lang))
    line = _LINE.match(where)
    if line:
        return f"{t('app.yaml_line', lang, line=line[1], column=line[2])}: {text}"
    if not where:
        return text
    label = field_label(where, lang)
    return f"**{label}** (`{where}`): {text}" if label else f"`{where}`: {text}"


def show_problems(problems: list[tuple[str, str]], lang: Lang) -> None:
    for where, what in problems:
        st.error(problem_line(where, what, lang))



def chart(where: Any, make: Callable[[], Any], key: str, lang: Lang) -> None:
    """Draw the plotly figure `make()` in `where` (the page or a column). A figure that cannot be
    drawn is reported in the owner's words, and the rest of the page (its tables, refinement and
    downloads) still shows: one chart must not take the answer down with a traceback."""
    try:
        where.plotly_chart(make(), key=key)
    except Exception as err:  # whatever plotly raises, the page goes on
        where.error(t("app.chart_failed", lang, error=type(err).__name__))


# The width a table has at a 1,280-pixel screen (the page beside the sidebar: 820 pixels, less
# the grid's borders), and what a character takes in the grid's font (Cyrillic is wider than
# Latin; the larger) plus a cell's padding.
TABLE_WIDTH = 800
_CHAR_PX, _PAD_PX, _LINE_PX = 7.5, 26.0, 22.0
_WRAP_CHAR_PX = 8.0  # a wrapped line holds fewer: words do not break where the estimate does
_MAX_LINES = 6


def fitted_widths(frame: pd.DataFrame) -> tuple[dict[str, int], int]:
    """Column widths (pixels) that fit `frame` in `TABLE_WIDTH`, and the lines a row needs.

    A column keeps the width its longest text (or header) needs while the table fits; when it
    does not, the widest columns share what the others leave, and their text wraps over more
    lines (the figures, short, keep their width and are never cut)."""
    need = {str(c): _PAD_PX + _CHAR_PX * max([len(str(c)), *(len(str(v)) for v in frame[c])])
            for c in frame.columns}
    if sum(need.values()) <= TABLE_WIDTH:
        return {c: int(n) for c, n in need.items()}, 1
    # the cap that makes min(need, cap) add up to the width (water-filling)
    order = sorted(need.values())
    left, cap = float(TABLE_WIDTH), float(TABLE_WIDTH)
    for i, n in enumerate(order):
        share = left / (len(order) - i)
        if n > share:
            cap = share
            break
        left -= n
    widths = {c: int(min(n, cap)) for c, n in need.items()}
    # the lines a row needs: its cells wrap (a header does not: it is cut, its tooltip whole)
    lines = max(int(-(-(_WRAP_CHAR_PX * max([1, *(len(str(v)) for v in frame[c])]))
                      // max(widths[str(c)] - _PAD_PX, 1.0)))
                for c in frame.columns)
    return widths, min(max(lines, 1), _MAX_LINES)


def show_table(frame: pd.DataFrame, key: str, column_config: dict[str, Any] | None = None,
          where: Any = None) -> None:
    """A table of text that never scrolls sideways at 1,280 pixels (`fitted_widths`): long
    names and lists wrap inside their cells instead."""
    widths, lines = fitted_widths(frame)
    config: dict[str, Any] = {}
    for name, px in widths.items():
        given = dict((column_config or {}).get(name) or {})
        given["width"] = px
        if px < _PAD_PX + _CHAR_PX * len(name) and not given.get("help"):
            given["help"] = name  # a header cut short: whole in its tooltip
        config[name] = given
    # the grid wraps a cell only when whole lines fit its height (at 56 pixels it cut the
    # second line short): its padding, then a line each
    row = int(24 + _LINE_PX * lines) if lines > 1 else 35
    # a short table whole on screen (tall wrapped rows would scroll inside it); a long one,
    # month by month, scrolls down inside its usual height
    height = int(row * len(frame) + 40) if len(frame) <= 15 else "auto"
    (where or st).dataframe(frame, hide_index=True, key=key, width="stretch",
                            column_config=config, row_height=row, height=height)


def cols(n: int) -> list[Any]:
    return list(st.columns(n))


def ci_text(mid: float | None, lo: float | None, hi: float | None,
        fmt: Callable[[float | None], str]) -> str:
    return f"{fmt(mid)} [{fmt(lo)} … {fmt(hi)}]"


def months_text(*values: object) -> str:
    return " / ".join("—" if v is None or v != v else str(int(v))  # type: ignore[call-overload]
                      for v in values)



def renamed(frame: pd.DataFrame, spec: Scenario, lang: Lang) -> pd.DataFrame:
    out = frame.copy()
    out["bet"] = [export.alternative_name(b, spec, lang) for b in out["bet"]]
    return out



def engine_choice(lang: Lang) -> str:
    """The engine of a results page: the fast one, or the agent model when the owner asks to
    check with it (the same call; the toggle is shared by the results pages)."""
    state().setdefault("use_agent", False)
    agent = synced(st.toggle, "use_agent", lang, label=t("owner.check_agent", lang),
                   value=bool(state()["use_agent"]), help=t("owner.check_agent_help", lang))
    return "agent" if agent else DEFAULT_ENGINE


def downloads(report_key: tuple[Any, ...], lang: Lang, build: Callable[[], Any]) -> None:
    """The page's tables as Excel and CSV (zip) and the page as one HTML file
    (`sim.report.export`); the files are made once per result and language, then kept."""
    from sim.app.running import result_store
    from sim.report.export import file_stem

    key = ("export", *report_key, lang)
    files = result_store().get(key)
    if files is None:
        report = build()
        files = (file_stem(report.title), report.excel(), report.csv_zip(), report.html())
        result_store().put(key, files)
    stem, excel, csvs, page_html = files
    st.subheader(t("owner.downloads", lang))
    c = st.columns(3)
    tag = "-".join(str(k) for k in report_key[:1])
    c[0].download_button(t("owner.download_excel", lang), excel, file_name=f"{stem}.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         key=f"xlsx-{tag}", help=t("owner.download_excel_help", lang))
    c[1].download_button(t("owner.download_csv", lang), csvs, file_name=f"{stem}.zip",
                         mime="application/zip", key=f"csv-{tag}",
                         help=t("owner.download_csv_help", lang))
    c[2].download_button(t("owner.download_html", lang), page_html.encode("utf-8"),
                         file_name=f"{stem}.html", mime="text/html", key=f"html-{tag}",
                         help=t("owner.download_html_help", lang))
