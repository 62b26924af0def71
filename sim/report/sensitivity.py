"""Sensitivity, stress and reverse stress results as tables and plotly figures, in English and
Russian.

For the app's stress page (and notebooks):
- `sobol_figure(result, metric, lang, by="parameter"|"lever"|"stage")`: S1 and ST bars with
  their 95% intervals; `sobol_table(...)` the same as a table with translated headers;
- `morris_figure(result, metric, lang)`: mu* with its interval against sigma;
- `tornado_figure(tornado, metric, lang)`, `tornado_table(...)`;
- `stress_table(stress, lang)`, `stress_figure(stress, lang)` (P(goal) per shock with intervals)
  and `stress_npv_figure(stress, lang)` (NPV's distribution per shock);
- `reverse_table(reverse, lang)`: "what breaks the plan".
The words are in the catalogue's `[sensitivity]` area (`models.words`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from models.spec.fields import field_label
from models.spec.scenario import Scenario, text_in
from models.words import Lang, has, t, word
from models.words.formats import (
    money,
    money_column,
    money_ticks,
    number,
    percent,
    plotly_separators,
)
from sim.experiments.sensitivity import SensitivityResult, Tornado
from sim.experiments.stress import ReverseResult, StressResult
from sim.report.i18n import SHARE_FIELDS

# Parameter labels the shared words already have (the scenario page's field labels).
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def _label(name: str, lang: Lang) -> str:
    """A lever, stage, preset or path: translated where this module knows it."""
    head, _, rest = name.partition(":")
    if has(f"sensitivity.{head}") and (not rest or head == "channel_off"):
        return word("sensitivity", head, lang) + (f": {rest}" if rest else "")
    return word("sensitivity", name, lang)


def _titles(spec: Scenario | None, lang: Lang) -> dict[str, str]:
    """Channel, tier and segment names -> their titles in `lang` (the name when untitled)."""
    if spec is None:
        return {}
    parts: list[Any] = [*spec.channels, *spec.tiers, *spec.segments]
    return {p.name: text_in(getattr(p, "title", None), lang, p.name) for p in parts}


def param_label(path: str, lang: Lang, spec: Scenario | None = None) -> str:
    """A parameter path in words: the field's label and, for a channel's, a tier's or a
    segment's field, its title ("Макс. лидов — Реклама в Яндекс Директе"); a block of
    correlated parameters ("a + b") part by part; a path with no words as code (`path`)."""
    if " + " in path:
        return " + ".join(param_label(p, lang, spec) for p in path.split(" + "))
    parts = path.split(".")
    last = parts[-1]
    label = field_label(path, lang)  # the field's, declared in the spec
    if parts[0] in ("seasonality", "trend") and has(f"sensitivity.{last}"):
        field = word("sensitivity", last, lang)  # short: whose seasons is said after it
    elif label is not None:
        field = label
    else:
        return f"`{path}`"
    if parts[0] == "seasonality" and len(parts) > 2:  # whose seasons: a channel's, or the
        if parts[1] != "channels" or len(parts) < 4:  # profile's own name (leads, churn, ...)
            return f"{field} — {word('season_profile', parts[1], lang)}"
        parts = parts[1:]
    if parts[0] in ("channels", "tiers", "segments") and len(parts) > 2:
        name = parts[1]
        title = _titles(spec, lang).get(name)
        return f"{field} — {title}" if title is not None and title != name else (
            f"{field} — `{name}`")
    return field


def _name(name: str, lang: Lang, spec: Scenario | None) -> str:
    """A row's name: a lever, a stage, or a parameter (or block) in words."""
    if has(f"sensitivity.{name}") or "." not in name:
        return _label(name, lang)
    return param_label(name, lang, spec)


def note_text(note: str, lang: Lang) -> str:
    """An analysis's note (`SensitivityResult.notes`) in words; "" for a note with none."""
    return word("sensitivity", note, lang) if has(f"sensitivity.{note}") else note


def _headers(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    return frame.rename(columns={c: word("sensitivity", c, lang) for c in frame.columns})


# -- Sobol and Morris --------------------------------------------------------------------------
def _sobol_frame(result: SensitivityResult, metric: str, by: str) -> pd.DataFrame:
    if result.method != "sobol":
        raise ValueError("Sobol bars need a Sobol analysis (method sobol)")
    frame = result.indices[metric] if by == "parameter" else result.groups[by][metric]
    return frame.sort_values("ST", ascending=False, ignore_index=True)


def sobol_table(result: SensitivityResult, metric: str, lang: Lang,
                by: str = "parameter", spec: Scenario | None = None,
                formatted: bool = False) -> pd.DataFrame:
    """S1 and ST with their 95% intervals, largest total index first, headers in `lang`
    (`spec`: parameters named in words; `formatted`: indices as percentages in `lang`)."""
    frame = _sobol_frame(result, metric, by).copy()
    frame["name"] = [_name(n, lang, spec) for n in frame["name"]]
    if formatted:
        for c in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
            frame[c] = [percent(v, lang) for v in frame[c]]
    return _headers(frame, lang)


def sobol_figure(result: SensitivityResult, metric: str, lang: Lang,
                 by: str = "parameter", spec: Scenario | None = None) -> go.Figure:
    """Horizontal bars of S1 and ST per assumption (or lever, stage, block of correlated
    assumptions), with 95% intervals."""
    frame = _sobol_frame(result, metric, by).iloc[::-1]
    names = [_name(n, lang, spec) for n in frame["name"]]
    fig = go.Figure()
    for i, key in enumerate(("S1", "ST")):
        mid = frame[key].to_numpy(dtype=float)
        fig.add_trace(go.Bar(
            y=names, x=mid, orientation="h", name=word("sensitivity", key,
                                                       lang), marker_color=_PALETTE[i],
            error_x={"type": "data", "symmetric": False,
                     "array": frame[f"{key}_high"].to_numpy(dtype=float) - mid,
                     "arrayminus": mid - frame[f"{key}_low"].to_numpy(dtype=float)}))
    title = t("sensitivity.sobol_title", lang, metric=word("sensitivity", metric,
                                                           lang)) + " — " + word("sensitivity",
                                                                                 f"by_{by}", lang)
    noise = result.noise.get(metric)
    subtitle = ("" if noise is None or math.isnan(noise)
                else "<br><sub>" + t("sensitivity.noise_share", lang,
                                           share=percent(noise, lang)) + "</sub>")
    fig.update_layout(title=title + subtitle, barmode="group", template="plotly_white",
                      xaxis={"range": [0, 1.05], "tickformat": ".0%"}, hovermode="closest",
                      legend={"orientation": "h", "y": -0.15})
    return fig


def morris_table(result: SensitivityResult, metric: str, lang: Lang, by: str = "parameter",
                 spec: Scenario | None = None) -> pd.DataFrame:
    """mu* with its 95% interval and sigma, largest mu* first, headers in `lang`."""
    frame = (result.indices[metric] if by == "parameter" else result.groups[by][metric]).copy()
    frame["name"] = [_name(n, lang, spec) for n in frame["name"]]
    return _headers(frame[["name", "mu_star", "mu_star_low", "mu_star_high", "sigma"]], lang)


def morris_figure(result: SensitivityResult, metric: str, lang: Lang, by: str = "parameter",
                  spec: Scenario | None = None) -> go.Figure:
    """mu* (with its 95% interval) against sigma: right = matters, up = interacts."""
    frame = result.indices[metric] if by == "parameter" else result.groups[by][metric]
    fig = go.Figure(go.Scatter(
        x=frame["mu_star"], y=frame["sigma"], mode="markers+text",
        text=[_name(n, lang, spec) for n in frame["name"]], textposition="top center",
        error_x={"type": "data", "symmetric": False,
                 "array": frame["mu_star_high"] - frame["mu_star"],
                 "arrayminus": frame["mu_star"] - frame["mu_star_low"]}))
    fig.update_layout(title=t("sensitivity.morris_title", lang, metric=word("sensitivity", metric,
                                                                            lang)) + " — "
                      + word("sensitivity", f"by_{by}", lang),
                      xaxis_title=t("sensitivity.mu_star",
                                    lang), yaxis_title=t("sensitivity.sigma", lang),
                      template="plotly_white", hovermode="closest")
    return fig


# -- tornado -----------------------------------------------------------------------------------
def tornado_table(tornado: Tornado, metric: str, lang: Lang, spec: Scenario | None = None,
                  currency: str | None = None) -> pd.DataFrame:
    """One row per assumption, largest swing first (`spec`: named in words; `currency`: the
    outcomes formatted as money in `lang`, months and values as numbers)."""
    frame = tornado.table[metric].copy()
    frame["factor"] = [_name(n, lang, spec) for n in frame["factor"]]
    frame["lever"] = [_label(n, lang) for n in frame["lever"]]
    if currency is not None:
        outcome = ((lambda v: number(v, lang, 1)) if metric == "time_to_goal" else
                   (lambda v: money(v, currency, lang, compact=True)))
        for c in ("at_low", "at_high", "swing", "base"):
            frame[c] = [outcome(v) for v in frame[c]]
        for c in ("low_value", "high_value"):  # a share as a percentage ('2.0%', not 0.020)
            frame[c] = [percent(v, lang, 1)
                        if str(path).rsplit(".", 1)[-1] in SHARE_FIELDS
                        else number(v, lang, 3 if abs(v) < 10 else 0)
                        for path, v in zip(tornado.table[metric]["factor"], frame[c],
                                           strict=True)]
    return _headers(frame, lang)


def tornado_figure(tornado: Tornado, metric: str, lang: Lang,
                   spec: Scenario | None = None) -> go.Figure:
    """Bars from the outcome at the medians to the outcome at each assumption's P10 and P90,
    largest swing on top."""
    frame = tornado.table[metric].iloc[::-1]
    base = float(frame["base"].iloc[0]) if len(frame) else 0.0
    names = [_name(n, lang, spec) for n in frame["factor"]]
    fig = go.Figure()
    for i, key in enumerate(("at_low", "at_high")):
        values = frame[key].to_numpy(dtype=float)
        fig.add_trace(go.Bar(y=names, x=values - base, base=base, orientation="h",
                             name=word("sensitivity", key, lang), marker_color=_PALETTE[i],
                             customdata=frame["low_value" if i == 0 else "high_value"],
                             hovertemplate="%{customdata:.4g} → %{x:,.0f}<extra></extra>"))
    fig.add_vline(x=base, line_dash="dot", line_color="#555")
    title = t("sensitivity.tornado_title", lang, metric=word("sensitivity", metric, lang))
    fig.update_layout(title=title, barmode="overlay",
                      template="plotly_white", hovermode="closest",
                      separators=plotly_separators(lang),
                      legend={"orientation": "h", "y": -0.15})
    if metric != "time_to_goal" and len(frame):  # money: ticks in the language ('40 млн ₽')
        spread = np.concatenate([frame[k].to_numpy(dtype=float) for k in ("at_low", "at_high")])
        spread = spread[np.isfinite(spread)]
        if spread.size:
            vals, text = money_ticks(float(min(spread.min(), base)), float(max(spread.max(), base)),
                                     spec.currency if spec is not None else "", lang)
            if vals:
                fig.update_xaxes(tickmode="array", tickvals=vals, ticktext=text)
    return fig


# -- stress --------------------------------------------------------------------------------
def shock_label(name: str, lang: Lang, spec: Scenario | None = None) -> str:
    """A shock's name in words: the plan, a preset (at a severity: "recession x2"), a channel
    switched off (by the channel's title), an own shock ("custom 2"), shocks combined."""
    if name == "baseline":
        return t("sensitivity.baseline", lang)
    if " + " in name:
        return " + ".join(shock_label(part, lang, spec) for part in name.split(" + "))
    head, _, tail = name.partition(" x")  # "recession x2": a preset at severity 2
    kind, _, arg = head.partition(":")
    if kind == "channel_off" and arg:
        label = f"{word('sensitivity', kind, lang)}: {_titles(spec, lang).get(arg, arg)}"
    elif kind == "custom" and arg:
        label = t("sensitivity.custom", lang, n=arg)
    else:
        label = _label(head, lang)
    return f"{label} ×{tail}" if tail else label


_shock_label = shock_label
_STRESS_MONEY = ("npv_mean", "npv_p10", "npv_p50", "npv_p90", "delta_npv", "delta_npv_low",
                 "delta_npv_high")
_STRESS_SHARES = ("p_negative_npv", "p_goal", "p_goal_low", "p_goal_high", "delta_p_goal",
                  "delta_p_goal_low", "delta_p_goal_high")


def stress_table(stress: StressResult, lang: Lang, spec: Scenario | None = None,
                 formatted: bool = False) -> pd.DataFrame:
    """One row per alternative (the plan first), headers in `lang`; `formatted`: money and
    percentages written in `lang` (the scenario's currency)."""
    frame = stress.table()
    frame["shock"] = [shock_label(n, lang, spec) for n in frame["shock"]]
    if formatted:
        cur = stress.comparison.spec.currency
        for c in _STRESS_MONEY:  # one scale a column
            frame[c] = money_column(list(frame[c]), cur, lang)
        for c in _STRESS_SHARES:
            frame[c] = [percent(v, lang) for v in frame[c]]
    return _headers(frame, lang)


def stress_figure(stress: StressResult, lang: Lang, spec: Scenario | None = None) -> go.Figure:
    """P(goal by the deadline) per shock with its Wilson 95% interval; the plan's as a line."""
    frame = stress.table()
    mid = frame["p_goal"].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(
        x=[shock_label(n, lang, spec) for n in frame["shock"]], y=mid,
        marker_color=[_PALETTE[0]] + [_PALETTE[3]] * (len(frame) - 1),
        error_y={"type": "data", "symmetric": False,
                 "array": frame["p_goal_high"].to_numpy(dtype=float) - mid,
                 "arrayminus": mid - frame["p_goal_low"].to_numpy(dtype=float)}))
    if len(mid) and np.isfinite(mid[0]):
        fig.add_hline(y=float(mid[0]), line_dash="dot", line_color="#555")
    fig.update_layout(title=t("sensitivity.stress_title", lang), yaxis={"range": [0, 1.05],
                                                             "tickformat": ".0%"},
                      template="plotly_white", showlegend=False)
    return fig


def stress_npv_figure(stress: StressResult, lang: Lang,
                      spec: Scenario | None = None) -> go.Figure:
    """Box plots of NPV per shock (every replication a point)."""
    cmp = stress.comparison
    fig = go.Figure()
    for i, name in enumerate(cmp.names):
        fig.add_trace(go.Box(y=cmp.scalars[name]["npv_profit"],
                             name=shock_label(name, lang, spec),
                             boxpoints="all", jitter=0.3, boxmean=True,
                             marker_color=_PALETTE[i % len(_PALETTE)]))
    fig.update_layout(title=t("sensitivity.stress_npv_title", lang), template="plotly_white",
                      showlegend=False, separators=plotly_separators(lang))
    if spec is not None:  # ticks with the currency, in the language ('200 млн ₽', 'RUB 200M')
        values = np.concatenate([np.asarray(cmp.scalars[n]["npv_profit"], dtype=float)
                                 for n in cmp.names])
        values = values[np.isfinite(values)]
        if values.size:
            ticks, text = money_ticks(float(values.min()), float(values.max()), spec.currency,
                                      lang)
            fig.update_yaxes(tickmode="array", tickvals=ticks, ticktext=text)
    return fig


# -- reverse stress --------------------------------------------------------------------------
def target_label(name: str, lang: Lang, spec: Scenario | None = None) -> str:
    """A reverse stress target in words: a lever, or a parameter moved down or up
    ("path:up")."""
    path, _, direction = name.partition(":")
    if "." not in path:
        return _label(name, lang)
    return param_label(path, lang, spec) + (
        f" ({word('sensitivity', direction, lang)})" if direction else "")


def _size(x: Any, lang: Lang, missing: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return word("sensitivity", missing, lang)
    return number(float(x), lang, 2)


def reverse_note(reverse: ReverseResult, lang: Lang, currency: str | None = None
                 ) -> str | None:
    """What to read first above the reverse stress table: that the plan already misses the
    threshold (then every size reads 0), or the default threshold the plan's chance set."""
    if reverse.plan_value is None:
        return None
    if reverse.plan_broken:
        if reverse.criterion == "npv":
            plan = (money(reverse.plan_value, currency, lang, compact=True) if currency
                    else number(reverse.plan_value, lang))
            return t("app.reverse_plan_broken_npv", lang, plan=plan)
        return t("app.reverse_plan_broken", lang, plan=percent(reverse.plan_value, lang),
                        threshold=percent(reverse.threshold, lang))
    if reverse.threshold_default:
        return t("app.reverse_auto_threshold", lang,
                        threshold=percent(reverse.threshold, lang),
                        plan=percent(reverse.plan_value, lang))
    return None


def reverse_table(reverse: ReverseResult, lang: Lang, spec: Scenario | None = None
                  ) -> pd.DataFrame:
    """What breaks the plan: per lever (or parameter) the smallest shock that breaks it, with
    its 95% interval, formatted for reading (`spec`: parameters named in words, NPV in its
    currency)."""
    frame = reverse.table()
    cur = spec.currency if spec is not None else None
    value = (lambda v: percent(v, lang)) if reverse.criterion == "goal" else (
        (lambda v: money(v, cur, lang, compact=True)) if cur else (lambda v: number(v, lang)))
    out = pd.DataFrame({
        "target": [target_label(n, lang, spec) for n in frame["target"]],
        "unit": [word("sensitivity", f"unit_{u}", lang) for u in frame["unit"]],
        "size": [_size(x, lang, "holds") for x in frame["size"]],
        "size_low": [_size(x, lang, "holds") for x in frame["size_low"]],
        "size_high": [_size(x, lang, "above_range") if s is not None and not
                      (isinstance(s, float) and math.isnan(s)) else t("sensitivity.holds", lang)
                      for x, s in zip(frame["size_high"], frame["size"], strict=True)],
        "value_at_size": [value(v) if v is not None and not
                          (isinstance(v, float) and math.isnan(v)) else "" for v in
                          frame["value_at_size"]],
        "value_unshocked": [value(v) for v in frame["value_unshocked"]],
        "already_broken": [t("sensitivity.yes" if b else "sensitivity.no",
                             lang) for b in frame["already_broken"]],
    })
    return _headers(out, lang)
