"""Plotly figures of results: tidy tables in, figures out, usable from the app or a notebook.

Each builder takes the library's tables (`MonteCarloResult.monthly_quantiles()`, `sim.report.owner`
tables, a comparison's tables) and a language; labels come from `sim.report.i18n`, and plotly's
`separators` make axis numbers read as the language writes them (1 234,5 in Russian). Money
axes get their ticks written by `i18n.money_ticks` ('40 млн ₽', 'RUB 40M'): plotly's own SI
suffixes ('40M', '6B') are English in either language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from models.words import Lang, t
from models.words.formats import money, money_ticks, percent, plotly_separators
from sim.report.i18n import metric_label

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")


def _legend_rows(fig: go.Figure, width: float = 360.0) -> int:
    """The rows a horizontal legend takes in a chart `width` pixels wide (half the page: the
    narrowest the app draws), from its entries' names."""
    names = [str(d.name) for d in fig.data if d.name and d.showlegend is not False]
    if not names:
        return 0
    rows, used = 1, 0.0
    for name in names:
        size = 50 + 8 * len(name)  # plotly's symbol, gap and 12-pixel text, generously
        if used and used + size > width:
            rows, used = rows + 1, 0.0
        used += size
    return rows


def _layout(fig: go.Figure, lang: Lang, title: str, y_title: str = "") -> go.Figure:
    rows = _legend_rows(fig)
    fig.update_layout(
        title={"text": title, "y": 1.0, "yref": "container", "yanchor": "top",
               "pad": {"t": 10}},
        separators=plotly_separators(lang), template="plotly_white",
        # the legend above the plot, under the title, with room for its rows: below the plot
        # it covered the axis's title ('Month') and the option names under the bars
        margin={"l": 10, "r": 10, "t": 60 + 30 * rows, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        xaxis_title=t("app.month", lang), yaxis_title=y_title, hovermode="x unified",
    )
    return fig


def _money_axis(fig: go.Figure, values: Iterable[float], currency: str, lang: Lang,
                axis: str = "yaxis", from_zero: bool = True) -> None:
    """Ticks of a money axis in the language's format, over the range of `values` (and zero,
    unless `from_zero` is false: a box plot's axis spans its data)."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return
    low = float(min(arr.min(), 0.0)) if from_zero else float(arr.min())
    vals, text = money_ticks(low, float(arr.max()), currency, lang)
    if vals:
        fig.update_layout({axis: {"tickmode": "array", "tickvals": vals, "ticktext": text}})


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def fan_chart(quantiles: pd.DataFrame, metric: str, lang: Lang, title: str | None = None,
              group: str | None = None, y_title: str = "",
              currency: str | None = None) -> go.Figure:
    """Mean line and P10–P90 band of one monthly metric; one band per value of `group` (e.g.
    'bet') if given. `quantiles` has columns metric, month, mean, p10, p90 (and `group`); with
    `currency` the axis is money."""
    data = quantiles[quantiles["metric"] == metric]
    groups: Sequence[object] = list(dict.fromkeys(data[group])) if group else [None]
    fig = go.Figure()
    for i, name in enumerate(groups):
        part = data if name is None else data[data[group] == name]
        color = _PALETTE[i % len(_PALETTE)]
        label = metric_label(metric, lang) if name is None else str(name)
        x = part["month"].tolist()
        fig.add_trace(go.Scatter(x=x + x[::-1], y=part["p90"].tolist() + part["p10"].tolist()[::-1],
                                 fill="toself", fillcolor=_rgba(color, 0.15), line={"width": 0},
                                 hoverinfo="skip", showlegend=False, legendgroup=label))
        fig.add_trace(go.Scatter(x=x, y=part["mean"], mode="lines", name=label,
                                 line={"color": color, "width": 2}, legendgroup=label))
    fig = _layout(fig, lang,
                  title or f"{metric_label(metric, lang)}: {t('app.mean_p10_p90', lang)}",
                  y_title)
    if currency:
        _money_axis(fig, [*data["p10"], *data["p90"], *data["mean"]], currency, lang)
    return fig


def counts_chart(view: pd.DataFrame, lang: Lang) -> go.Figure:
    """Leads (left axis) and new paying clients (right axis) per month (means), from
    `sim.report.owner.monthly_view`: clients are a few percent of leads, so on one axis their
    bars would not show."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=view["month"], y=view["leads"], name=metric_label("leads", lang),
                         marker_color=_PALETTE[0], offsetgroup="leads"))
    fig.add_trace(go.Bar(x=view["month"], y=view["new_clients"],
                         name=metric_label("new_clients", lang), marker_color=_PALETTE[2],
                         yaxis="y2", offsetgroup="clients"))
    fig.update_layout(barmode="group")
    fig = _layout(fig, lang, f"{metric_label('leads', lang)} / "
                             f"{metric_label('new_clients', lang)}", t("app.leads_axis", lang))
    fig.update_layout(yaxis2={"title": {"text": t("app.clients_axis", lang)}, "overlaying": "y",
                              "side": "right", "rangemode": "tozero", "showgrid": False,
                              "tickmode": "auto", "nticks": 6},
                      yaxis={"rangemode": "tozero"})
    return fig


def leak_waterfall(leaks: pd.DataFrame, potential: float, currency: str,
                   lang: Lang) -> go.Figure:
    """Waterfall in money from the potential revenue down to the revenue earned, one step per
    leak stage (`sim.report.owner.leaks`: stage, revenue). No title of its own: the page's
    heading above it says what it is."""
    stages = [metric_label(s, lang) for s in leaks["stage"]]
    lost = [-float(v) if np.isfinite(v) else 0.0 for v in leaks["revenue"]]
    earned = potential + sum(lost)
    values = [potential, *lost, earned]
    fig = go.Figure(go.Waterfall(
        x=[t("app.potential_revenue", lang), *stages, t("app.earned_revenue", lang)],
        measure=["absolute", *["relative"] * len(stages), "total"],
        y=values, text=[money(v, currency, lang, compact=True) for v in values],
        textposition="outside",
        decreasing={"marker": {"color": "#d62728"}}, totals={"marker": {"color": "#2ca02c"}},
        increasing={"marker": {"color": "#1f77b4"}}, connector={"line": {"color": "#999"}},
    ))
    fig = _layout(fig, lang, "")
    fig.update_layout(xaxis_title="", hovermode="closest", showlegend=False,
                      margin={"l": 10, "r": 10, "t": 20, "b": 10})
    _money_axis(fig, [0.0, potential * 1.1], currency, lang)
    return fig


def levers_chart(levers: pd.DataFrame, lang: Lang, currency: str) -> go.Figure:
    """Incremental revenue of each alternative split into the four levers (stacked bars);
    `levers` has a 'bet' column and one column per lever."""
    fig = go.Figure()
    names = {"leads": "leads", "conversion": "conversion_lever",
             "average_check": "average_check", "frequency": "frequency",
             "starting_clients": "starting_clients_lever"}
    ups = np.zeros(len(levers))
    downs = np.zeros(len(levers))
    for i, (col, key) in enumerate(names.items()):
        if col in levers:
            v = levers[col].to_numpy(dtype=float)
            ups += np.where(v > 0, v, 0.0)
            downs += np.where(v < 0, v, 0.0)
            fig.add_trace(go.Bar(x=levers["bet"], y=levers[col], name=metric_label(key, lang),
                                 marker_color=_PALETTE[i]))
    if "total" in levers:
        fig.add_trace(go.Scatter(x=levers["bet"], y=levers["total"], mode="markers",
                                 name=metric_label("total", lang),
                                 marker={"symbol": "diamond", "size": 12, "color": "black"}))
    fig.update_layout(barmode="relative")
    fig = _layout(fig, lang, t("app.lever_split", lang))
    fig.update_layout(xaxis_title="", hovermode="closest")
    _money_axis(fig, [*ups, *downs], currency, lang)
    return fig


def roi_vs_time(table: pd.DataFrame, lang: Lang) -> go.Figure:
    """The bets ranked by ROI, two panels sharing the rows: ROI with its 95% interval (left)
    and months to the goal, P50 with P10–P90 (right), from a comparison's ranked table.

    A ranked layout rather than a scatter: when one bet's ROI is 60 times the others', a
    scatter squeezes them into one corner. Each dot is labelled with its value, and the ROI axis
    is logarithmic when every interval is positive and the ROIs span more than tenfold."""
    from plotly.subplots import make_subplots

    rows = table.copy()
    rows["_roi"] = [_finite(v) for v in rows["roi"]]
    rows = rows.sort_values("_roi", ascending=True, na_position="first", kind="stable")
    names = [str(b) for b in rows["bet"]]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        column_widths=[0.55, 0.45],
                        subplot_titles=(metric_label("roi", lang) + " (95%)",
                                        metric_label("time_to_goal", lang) + " (P10–P90)"))
    roi = [_finite(v) for v in rows["roi"]]
    lo = [_finite(v) for v in rows["roi_lo"]]
    hi = [_finite(v) for v in rows["roi_hi"]]
    fig.add_trace(go.Scatter(
        x=roi, y=names, mode="markers+text", marker={"size": 11, "color": _PALETTE[0]},
        text=[percent(v, lang) for v in roi], textposition="top center", showlegend=False,
        name=metric_label("roi", lang),
        error_x={"type": "data", "symmetric": False, "visible": True,
                 "array": [(b - m) if m is not None and b is not None else 0
                           for m, b in zip(roi, hi, strict=True)],
                 "arrayminus": [(m - a) if m is not None and a is not None else 0
                                for m, a in zip(roi, lo, strict=True)]},
    ), row=1, col=1)
    mid = [_finite(v) for v in rows["months_to_goal_p50"]]
    p10 = [_finite(v) for v in rows["months_to_goal_p10"]]
    p90 = [_finite(v) for v in rows["months_to_goal_p90"]]
    fig.add_trace(go.Scatter(
        x=mid, y=names, mode="markers+text", marker={"size": 11, "color": _PALETTE[1]},
        text=["—" if m is None else f"{m:.0f}" for m in mid], textposition="top center",
        showlegend=False, name=metric_label("time_to_goal", lang),
        error_x={"type": "data", "symmetric": False, "visible": True,
                 "array": [(b - m) if m is not None and b is not None else 0
                           for m, b in zip(mid, p90, strict=True)],
                 "arrayminus": [(m - a) if m is not None and a is not None else 0
                                for m, a in zip(mid, p10, strict=True)]},
    ), row=1, col=2)
    fig = _layout(fig, lang, t("app.roi_vs_time", lang))
    positive = [v for v in lo if v is not None]
    log = (bool(positive) and len(positive) == len(lo) and min(positive) > 0
           and max(v for v in hi if v is not None) / min(positive) > 10)
    fig.update_layout(hovermode="closest", xaxis_title="", yaxis_title="",
                      height=max(300, 70 * len(names) + 120),
                      xaxis={"type": "log" if log else "linear", "tickformat": ".0%"},
                      xaxis2={"title": {"text": t("app.month", lang)}, "rangemode": "tozero"})
    return fig


def incremental_profit(quantiles: pd.DataFrame, lang: Lang, currency: str,
                       title: str | None = None) -> go.Figure:
    """Small multiples, one panel per bet: its extra profit each month against the plan (the
    paired difference, replication by replication), mean and P10–P90 band, with the zero line.
    `quantiles`: bet, month, mean, p10, p90 (`sim.report.owner.incremental`)."""
    from plotly.subplots import make_subplots

    bets = list(dict.fromkeys(quantiles["bet"]))
    ncols = min(3, max(1, len(bets)))
    nrows = max(1, -(-len(bets) // ncols))
    # Titles wrapped to a panel's width (a third of a 1,200-pixel page), so that neighbours'
    # titles do not run into each other; the gap between rows is fixed in pixels (room for the
    # titles), so that any number of panels fits: a fixed fraction of the height fails plotly's
    # check (spacing <= 1 / (rows - 1)) from 28 panels on.
    titles = [_wrap(str(b), 40 if ncols == 3 else 60) for b in bets]
    lines = max(title.count("<br>") + 1 for title in titles)
    panel, gap = 220, 30 + 20 * lines
    height = nrows * panel + (nrows - 1) * gap + 60 + 20 * lines
    # One scale for every panel, so that the bets' effects compare at a glance.
    fig = make_subplots(rows=nrows, cols=ncols, shared_xaxes=True, shared_yaxes="all",
                        subplot_titles=titles, vertical_spacing=gap / height,
                        horizontal_spacing=0.04)
    for i, bet in enumerate(bets):
        part = quantiles[quantiles["bet"] == bet]
        r, c = i // ncols + 1, i % ncols + 1
        color = _PALETTE[(i + 1) % len(_PALETTE)]
        x = part["month"].tolist()
        fig.add_trace(go.Scatter(x=x + x[::-1], y=part["p90"].tolist() + part["p10"].tolist()[::-1],
                                 fill="toself", fillcolor=_rgba(color, 0.2), line={"width": 0},
                                 hoverinfo="skip", showlegend=False), row=r, col=c)
        fig.add_trace(go.Scatter(x=x, y=part["mean"], mode="lines", name=str(bet),
                                 line={"color": color, "width": 2}, showlegend=False),
                      row=r, col=c)
        fig.add_hline(y=0, line={"color": "#888", "width": 1, "dash": "dot"}, row=r, col=c)
    fig = _layout(fig, lang, title or "", "")
    fig.update_layout(hovermode="x", height=height, xaxis_title="",
                      margin={"l": 10, "r": 10, "t": 50 + 20 * lines, "b": 10})
    fig.update_annotations(font={"size": 13})
    values = [*quantiles["p10"], *quantiles["p90"]]
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size:
        ticks, text = money_ticks(float(min(arr.min(), 0.0)), float(max(arr.max(), 0.0)),
                                  currency, lang)
        if ticks:
            fig.update_yaxes(tickmode="array", tickvals=ticks, ticktext=text)
    return fig


def outcome_distribution(values: Mapping[str, np.ndarray], lang: Lang, title: str,
                         y_title: str = "", currency: str | None = None) -> go.Figure:
    """Box plots (with the points) of one outcome per alternative, e.g. cumulative profit per
    stress shock; NaN values (e.g. goal never reached) are left out. With `currency` the axis
    is money (its ticks carry the unit); else `y_title` names the unit."""
    fig = go.Figure()
    shown: list[float] = []
    for i, (name, v) in enumerate(values.items()):
        arr = np.asarray(v, dtype=float)
        arr = arr[np.isfinite(arr)]
        shown.extend(arr.tolist())
        fig.add_trace(go.Box(y=arr, name=name, boxpoints="all", jitter=0.3,
                             marker_color=_PALETTE[i % len(_PALETTE)], boxmean=True))
    fig = _layout(fig, lang, title, y_title)
    fig.update_layout(xaxis_title="", showlegend=False, hovermode="closest")
    if currency:
        _money_axis(fig, shown, currency, lang, from_zero=False)
    return fig


def _wrap(text: str, width: int) -> str:
    """`text` broken into lines of at most `width` characters at spaces (plotly's `<br>`): a
    long option name or a portfolio 'a + b + c' stays within its panel."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _finite(x: object) -> float | None:
    if x is None:
        return None
    value = float(x)  # type: ignore[arg-type]
    return value if np.isfinite(value) else None


def _error(mid: object, lo: object, hi: object) -> dict[str, object]:
    m, a, b = _finite(mid), _finite(lo), _finite(hi)
    if m is None or a is None or b is None:
        return {"visible": False}
    return {"type": "data", "symmetric": False, "array": [b - m], "arrayminus": [m - a],
            "visible": True}
