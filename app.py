"""GrowthSim in the browser: `streamlit run app.py`.

Thin on purpose: widgets -> scenario (models.load) -> library call
(sim.experiments.montecarlo, the same one the CLI makes) -> tables (sim.report.owner) and figures
(sim.report.charts), words from sim.report.i18n. The app writes no files: uploads are read in
memory, the edited scenario is offered as a download.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from models.accounting.goal import GOAL_SERIES
from models.compiled.bets import SHOCKS, stress_shocks
from models.load import ScenarioError, read_yaml, scenario_hash, validate
from models.spec.errors import localized
from models.spec.paths import PathError, set_path
from models.spec.scenario import Scenario
from sim.experiments.compare import BASELINE, Comparison, alternatives, compare_bets, select_bets
from sim.experiments.montecarlo import MonteCarloResult, goal_value, run_monte_carlo
from sim.experiments.parallel import default_workers, process_pool
from sim.experiments.statistics import describe
from sim.report import charts, owner
from sim.report.i18n import (
    LANGS,
    LANGUAGE_NAMES,
    Lang,
    metric_label,
    money,
    number,
    percent,
    t,
    tooltip,
)

HERE = Path(__file__).resolve().parent
EXAMPLES = {p.stem: p for p in sorted((HERE / "scenarios").glob("*.yaml"))}
DEFAULT_EXAMPLE = "b2b_services"
PAGES = ("scenario", "dashboard", "compare", "stress")
# The quick first answer: few enough to come in seconds, enough for Iman-Conover correlations
# (which need more draws than uncertain parameters) and a rough P10-P90.
QUICK_REPS = 20
GOAL_METRICS = list(GOAL_SERIES)
MIN_REPS = 10


# --- state: the base scenario (an example or an upload) and the user's edits --------------------

def _state() -> Any:
    return st.session_state


def _set_base(text: str, label: str) -> None:
    """Make `text` the scenario being edited, forgetting the edits made to the previous one."""
    _state()["base_text"] = text
    _state()["base_label"] = label
    _state()["upload_problems"] = None
    _reset_edits()


def _reset_edits() -> None:
    """Forget the edits, and renew the editing widgets' keys so they show the base values again
    (a widget keeps the value a user gave it for as long as its key lives)."""
    _state()["overrides"] = {}
    _state()["edit_generation"] = _state().get("edit_generation", 0) + 1


def _init_state() -> None:
    if "base_text" not in _state():
        _set_base(EXAMPLES[DEFAULT_EXAMPLE].read_text(encoding="utf-8"), DEFAULT_EXAMPLE)


def current_scenario() -> tuple[Scenario | None, list[tuple[str, str]], dict[str, Any]]:
    """The base scenario with the edits applied: (spec or None, problems, raw dict)."""
    raw = read_yaml(_state()["base_text"], _state()["base_label"])
    problems: list[tuple[str, str]] = []
    for path, value in _state()["overrides"].items():
        try:
            set_path(raw, path, copy.deepcopy(value), Scenario)
        except PathError as err:
            problems.append((err.path, err.message))
    if problems:
        return None, problems, raw
    try:
        return validate(raw, _state()["base_label"]), [], raw
    except ScenarioError as err:
        return None, err.problems, raw


def _on_example() -> None:
    name = _state()["example"]
    _set_base(EXAMPLES[name].read_text(encoding="utf-8"), name)


def _on_upload() -> None:
    """Read the upload in memory; a bad file is reported and the current scenario kept."""
    upload = _state().get("upload")
    if upload is None:
        return
    try:
        text = upload.getvalue().decode("utf-8")
        validate(read_yaml(text, upload.name), upload.name)
    except UnicodeDecodeError:
        _state()["upload_problems"] = (upload.name, [("", "not UTF-8 text; save it as UTF-8")])
        return
    except ScenarioError as err:
        _state()["upload_problems"] = (upload.name, err.problems)
        return
    _set_base(text, upload.name)


def _on_edit(path: str, key: str, kind: str) -> None:
    value = _state()[key]
    if kind == "yaml":  # a distribution, written as in YAML: {dist: beta, mean: 0.1, sd: 0.02}
        # Unreadable text is kept as it is: validation names the field and what it expects.
        with contextlib.suppress(yaml.YAMLError):
            value = yaml.safe_load(value)
    _state()["overrides"][path] = value


# --- running: cached by scenario content and settings, with progress, cancellable --------------

def _pool() -> ProcessPoolExecutor:
    return process_pool(default_workers())


Key = tuple[Any, ...]
# run(replications, seed, progress, executor) -> a result; the library call of a page.
Runner = Callable[[int, int, Callable[[int, int], None], Executor], Any]


class ResultStore:
    """Results by (what was run, scenario content hash, settings, replications, seed), shared by
    every session of this server, oldest dropped first. Not `st.cache_data`: its replay forbids
    the cached function to update a progress bar created outside it, and the bar is the point
    of a long run."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[Key, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Key) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: Key, result: Any) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@st.cache_resource
def result_store() -> ResultStore:
    return ResultStore()


def cached_run(key: Key, replications: int, seed: int, lang: Lang, run: Runner) -> Any:
    """`run` with a progress bar, cached on `key` (content and settings), replications, seed.

    Our own pool, so that Stop (a rerun, which raises inside the progress callback) cancels the
    replications not yet started instead of waiting for them all; nothing is cached then."""
    full_key = (*key, replications, seed)
    cached = result_store().get(full_key)
    if cached is not None:
        return cached
    bar = st.progress(0.0, text=t("simulating", lang, done=0, total=replications))

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0), text=t("simulating", lang, done=done, total=total))

    pool = _pool()
    try:
        result = run(replications, seed, progress, pool)
    except ValueError as err:  # e.g. bets that push a drawn value out of its range
        bar.empty()
        st.error(str(err))
        st.stop()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    bar.empty()
    result_store().put(full_key, result)
    return result


def progressive(key: Key, lang: Lang, run: Runner, render: Callable[[Any, str], None]) -> None:
    """Show a quick answer from few replications, then refine it to the chosen number in place.

    Stop (shown while refining) interrupts the run: Streamlit reruns the script, the progress
    callback raises, the pool's queued replications are cancelled and nothing is cached; the
    quick answer stays on screen, with a button to refine it again."""
    seed, reps = int(_state()["seed"]), int(_state()["reps"])
    status, holder = st.empty(), st.empty()  # Stop / Refine above the results, in sight
    quick = min(QUICK_REPS, reps)
    if result_store().get((*key, reps, seed)) is None and quick < reps:
        result = cached_run(key, quick, seed, lang, run)
        with holder.container():
            render(result, "quick")
        if _state().get("stopped"):
            status.button(t("refine", lang, total=reps), on_click=_state().__setitem__,
                          args=("stopped", False))
            return
        with status.container():
            st.info(t("quick_answer", lang, n=quick, total=reps))
            st.button(t("stop", lang), help=t("stop_help", lang), on_click=_state().__setitem__,
                      args=("stopped", True))
    result = cached_run(key, reps, seed, lang, run)
    status.empty()
    with holder.container():
        render(result, "full")


# --- formatting helpers -------------------------------------------------------------------------

def _fmt(name: str, value: float | None, currency: str, lang: Lang,
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


def _provenance(result: MonteCarloResult, lang: Lang) -> None:
    st.caption(t("provenance", lang, name=result.spec.name, reps=result.replications,
                 seed=result.seed, hash=scenario_hash(result.spec)))


def _metric(col: Any, name: str, value: float | None, currency: str, lang: Lang,
            band: tuple[float | None, float | None] | None = None) -> None:
    # The card shows millions short; its tooltip has the exact mean, the P10-P90 band and what
    # the methodology's term means.
    lines = [tooltip(name, lang) or "", _fmt(name, value, currency, lang)]
    if band is not None:
        lo, hi = (_fmt(name, v, currency, lang) for v in band)
        lines.append(f"P10 … P90: {lo} … {hi}")
    col.metric(metric_label(name, lang), _fmt(name, value, currency, lang, compact=True),
               help="\n\n".join(x for x in lines if x))


# --- pages ----------------------------------------------------------------------------------------

def page_scenario(lang: Lang) -> None:
    st.header(t("page_scenario", lang))
    c1, c2 = st.columns(2)
    names = list(EXAMPLES)
    base = _state()["base_label"]
    c1.selectbox(t("example", lang), names, index=names.index(base) if base in names else None,
                 key="example", on_change=_on_example)
    c2.file_uploader(t("upload", lang), type=["yaml", "yml"], key="upload",
                     on_change=_on_upload)
    bad = _state().get("upload_problems")
    if bad:
        source, problems = bad
        st.error(t("upload_problems", lang, source=source, n=len(problems)))
        for where, what in problems:
            st.error(f"{where}: {localized(what, lang)}" if where else localized(what, lang))

    spec, problems, raw = current_scenario()
    if problems:
        st.error(t("edit_problems", lang, n=len(problems)))
        for where, what in problems:
            st.error(f"{where}: {localized(what, lang)}" if where else localized(what, lang))
    else:
        assert spec is not None
        st.success(t("scenario_ok", lang, name=spec.name, months=spec.horizon_months,
                     channels=len(spec.channels), tiers=len(spec.tiers), currency=spec.currency))
    _editors(raw, lang)
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    b1, b2 = st.columns(2)
    b1.download_button(t("download", lang), text, file_name=f"{Path(base).stem}-edited.yaml",
                       mime="application/x-yaml")
    b2.button(t("reset", lang), on_click=_reset_edits)


def _editors(raw: dict[str, Any], lang: Lang) -> None:
    """Widgets for the parameters an owner changes most; each edit is a path=value override."""
    st.caption(t("uncertain_hint", lang))
    src = f"{scenario_hash_text(_state()['base_text'])}:{_state()['edit_generation']}"

    def field(col: Any, path: str, value: Any, integer: bool = False) -> None:
        label = t(path.rsplit(".", 1)[-1], lang) if path.rsplit(".", 1)[-1] in _LABELS else path
        key = f"edit:{src}:{path}"
        value = _state()["overrides"].get(path, value)
        if isinstance(value, bool):
            col.checkbox(label, value=value, key=key, on_change=_on_edit, args=(path, key, "v"))
        elif isinstance(value, dict | str):
            shown = value if isinstance(value, str) else json.dumps(value).replace('"', "")
            col.text_input(label, value=shown, key=key, on_change=_on_edit,
                           args=(path, key, "yaml"), help=path)
        elif isinstance(value, int | float):
            if integer:
                col.number_input(label, min_value=0, value=int(value), step=1, key=key,
                                 on_change=_on_edit, args=(path, key, "v"), help=path)
            else:
                # Whole amounts (money, leads) without decimals; shares with four.
                whole = abs(value) >= 1 and float(value).is_integer()
                step = 1000.0 if abs(value) >= 10000 else 1.0 if whole else 0.01
                col.number_input(label, min_value=0.0, value=float(value),
                                 step=step, format="%.0f" if whole else "%.4f",
                                 key=key, on_change=_on_edit, args=(path, key, "v"), help=path)

    full = _defaults(raw)
    with st.expander(t("grp_general", lang), expanded=True):
        c = _cols(4)
        field(c[0], "horizon_months", full["horizon_months"], integer=True)
        goal = full.get("goal")
        if goal:
            field(c[1], "goal.target", goal["target"])
            field(c[2], "goal.deadline_month", goal["deadline_month"], integer=True)
            key = f"edit:{src}:goal.metric"
            metric = _state()["overrides"].get("goal.metric", goal["metric"])
            c[3].selectbox(t("goal_metric", lang), GOAL_METRICS,
                           index=GOAL_METRICS.index(metric) if metric in GOAL_METRICS else 0,
                           format_func=lambda m: t(m, lang), key=key, on_change=_on_edit,
                           args=("goal.metric", key, "v"), help="goal.metric")
    with st.expander(t("grp_channels", lang), expanded=True):
        for ch in full["channels"]:
            c = _cols(5)
            c[0].markdown(f"**{ch['name']}**")
            for i, name in enumerate(("budget_monthly", "max_leads", "half_saturation_budget",
                                      "organic_leads")):
                field(c[i + 1], f"channels.{ch['name']}.{name}", ch[name])
    with st.expander(t("grp_team", lang)):
        c = _cols(4)
        field(c[0], "sales.managers", full["sales"]["managers"], integer=True)
        for i, name in enumerate(("salary_monthly", "handling_minutes", "commission_rate")):
            field(c[i + 1], f"sales.{name}", full["sales"][name])
    with st.expander(t("grp_journey", lang)):
        j = full["journey"]
        c = _cols(4)
        field(c[0], "journey.lost_unprocessed", j["lost_unprocessed"])
        field(c[1], "journey.first_contact_conversion", j["first_contact_conversion"])
        field(c[2], "journey.first_contact_drop", j["first_contact_drop"])
        if j.get("response_half_life_hours") is not None:
            field(c[3], "journey.response_half_life_hours", j["response_half_life_hours"])
        c = _cols(4)
        field(c[0], "journey.follow_up.max_touches", j["follow_up"]["max_touches"], integer=True)
        field(c[1], "journey.follow_up.interval_days", j["follow_up"]["interval_days"])
        field(c[2], "journey.follow_up.conversion_per_touch",
              j["follow_up"]["conversion_per_touch"])
        field(c[3], "journey.invoice.paid_probability", j["invoice"]["paid_probability"])
    with st.expander(t("grp_pyramid", lang)):
        for tier in full["tiers"]:
            c = _cols(5)
            c[0].markdown(f"**{tier['name']}**")
            for i, name in enumerate(("price", "cost_of_goods", "purchase_interval_months",
                                      "upsell_probability")):
                field(c[i + 1], f"tiers.{tier['name']}.{name}", tier[name])
    with st.expander(t("grp_churn", lang)):
        for tier in full["tiers"]:
            c = _cols(3)
            c[0].markdown(f"**{tier['name']}**")
            field(c[1], f"tiers.{tier['name']}.monthly_churn", tier["monthly_churn"])
            if tier.get("monthly_churn_no_result") is not None:
                field(c[2], f"tiers.{tier['name']}.monthly_churn_no_result",
                      tier["monthly_churn_no_result"])
        c = _cols(3)
        r = full["retention"]
        field(c[0], "retention.enabled", r["enabled"])
        field(c[1], "retention.churn_reduction", r["churn_reduction"])
        field(c[2], "retention.cost_per_client_month", r["cost_per_client_month"])
    with st.expander(t("grp_winback", lang)):
        c = _cols(3)
        w = full["win_back"]
        field(c[0], "win_back.enabled", w["enabled"])
        field(c[1], "win_back.probability", w["probability"])
        field(c[2], "win_back.cost_per_attempt", w["cost_per_attempt"])


def _cols(n: int) -> list[Any]:
    return list(st.columns(n))


_LABELS = {"horizon_months", "budget_monthly", "max_leads", "half_saturation_budget",
           "organic_leads", "managers", "salary_monthly", "handling_minutes", "commission_rate",
           "lost_unprocessed", "response_half_life_hours", "first_contact_conversion",
           "first_contact_drop", "max_touches", "interval_days", "conversion_per_touch",
           "paid_probability", "price", "cost_of_goods", "purchase_interval_months",
           "upsell_probability", "monthly_churn", "monthly_churn_no_result", "enabled",
           "churn_reduction", "cost_per_client_month", "probability", "cost_per_attempt",
           "target", "deadline_month"}


def scenario_hash_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw scenario with every default filled in (so each widget has a value to show); an
    invalid edit falls back to the base scenario's values."""
    try:
        return validate(raw).model_dump(mode="json", by_alias=True)
    except ScenarioError:
        base = read_yaml(_state()["base_text"], _state()["base_label"])
        return validate(base).model_dump(mode="json", by_alias=True)


def page_dashboard(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_dashboard", lang))
    cur = spec.currency

    def render(result: MonteCarloResult, tag: str) -> None:
        _provenance(result, lang)
        s = result.summary()
        st.subheader(t("dash_headline", lang))
        cards = ("total_revenue", "total_profit", "npv_profit", "cac", "cltv_with_tail", "romi",
                 "ros", "nmc")
        cols = st.columns(4)
        for i, name in enumerate(cards):
            _metric(cols[i % 4], name, s[name]["mean"], cur, lang, (s[name]["p10"], s[name]["p90"]))
        goal = owner.goal_status(result)
        if goal is not None and spec.goal is not None:
            st.markdown(t("goal_line", lang, metric=t(spec.goal.metric, lang),
                          target=_fmt("revenue" if spec.goal.metric != "active_clients"
                                      else "leads", spec.goal.target, cur, lang),
                          month=spec.goal.deadline_month))
            months = " / ".join(str(int(m)) if m is not None else t("never", lang)
                                for m in (goal["p10"], goal["p50"], goal["p90"]))
            st.markdown(t("p_goal_value", lang, p=percent(goal["p_goal"], lang), m=months),
                        help=tooltip("goal_by_deadline", lang))

        st.subheader(t("dash_month_by_month", lang))
        q = result.monthly_quantiles()
        view = owner.monthly_view(result)
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.counts_chart(view, lang), key=f"counts-{tag}")
        c2.plotly_chart(charts.fan_chart(q, "revenue", lang, y_title=cur), key=f"rev-{tag}")
        c1.plotly_chart(charts.fan_chart(q, "profit", lang, y_title=cur), key=f"profit-{tag}")
        c2.plotly_chart(charts.fan_chart(q, "cumulative_profit", lang, y_title=cur),
                        key=f"cum-{tag}")
        shown: dict[str, Any] = {t("month", lang): view["month"].astype(int)}
        for c in view.columns[1:]:
            shown[metric_label(c, lang)] = [_fmt(c, v, cur, lang) for v in view[c]]
        helps = {metric_label(c, lang): st.column_config.Column(help=tooltip(c, lang))
                 for c in view.columns if tooltip(c, lang)}
        st.dataframe(pd.DataFrame(shown), hide_index=True, key=f"monthly-{tag}",
                     column_config=helps)

        st.subheader(t("dash_leaks", lang))
        leaks = owner.leaks(result)
        st.plotly_chart(charts.leak_waterfall(leaks, owner.potential_revenue(result), cur, lang),
                        key=f"leaks-{tag}")
        st.caption(t("dash_leaks_caption", lang))
        st.dataframe(pd.DataFrame({
            t("stage", lang): [metric_label(x, lang) for x in leaks["stage"]],
            t("lost_count", lang): [number(x, lang) for x in leaks["count"]],
            t("lost_money", lang): [money(x, cur, lang) for x in leaks["revenue"]],
            t("share_of_potential", lang): [percent(x, lang, 1) for x in leaks["share"]],
        }), hide_index=True, key=f"leaktable-{tag}")

        st.subheader(t("dash_levers", lang))
        st.caption(t("dash_levers_caption", lang))
        cols = st.columns(4)
        for i, row in enumerate(owner.levers(result).itertuples(index=False)):
            _metric(cols[i], row.metric, row.mean, cur, lang, (row.p10, row.p90))

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> MonteCarloResult:
        return run_monte_carlo(spec, reps, seed, progress=progress, executor=pool)

    progressive(("forecast", scenario_hash(spec)), lang, run, render)


def _alt_name(name: str, lang: Lang) -> str:
    """An alternative's name as shown: the baseline is 'the plan', shocks are translated."""
    if name == BASELINE:
        return t("baseline", lang)
    return t(name, lang) if name in SHOCKS else name


def _ci(mid: float | None, lo: float | None, hi: float | None,
        fmt: Callable[[float | None], str]) -> str:
    return f"{fmt(mid)} [{fmt(lo)} … {fmt(hi)}]"


def _months(*values: object) -> str:
    return " / ".join("—" if v is None or v != v else str(int(v))  # type: ignore[call-overload]
                      for v in values)


def ranked_table(cmp: Comparison, lang: Lang) -> pd.DataFrame:
    """The comparison's ranked table (`Comparison.table()`) in the owner's words and money."""
    cur = cmp.spec.currency
    rows = []
    for r in cmp.table().to_dict(orient="records"):
        rows.append({
            metric_label("bet", lang): _alt_name(r["bet"], lang),
            metric_label("cost", lang): money(r["cost"], cur, lang),
            t("npv_ci", lang): _ci(r["npv"], r["npv_lo"], r["npv_hi"],
                                   lambda x: money(x, cur, lang, compact=True)),
            t("roi_ci", lang): _ci(r["roi"], r["roi_lo"], r["roi_hi"],
                                   lambda x: percent(x, lang)),
            metric_label("payback_month", lang): _months(r["payback_month"]),
            t("months_to_goal", lang): _months(r["months_to_goal_p10"], r["months_to_goal_p50"],
                                               r["months_to_goal_p90"]),
            metric_label("p_goal", lang): percent(r["p_goal"], lang),
            metric_label("p_best_npv", lang): percent(r["p_best_npv"], lang),
            metric_label("p_best_time", lang): percent(r["p_best_time"], lang),
        })
    return pd.DataFrame(rows)


def _column_help(lang: Lang) -> dict[str, Any]:
    names = {t("npv_ci", lang): "npv", t("roi_ci", lang): "roi",
             metric_label("p_goal", lang): "p_goal",
             metric_label("p_best_npv", lang): "p_best_npv",
             metric_label("p_best_time", lang): "p_best_time"}
    return {label: st.column_config.Column(help=tooltip(key, lang))
            for label, key in names.items()}


def _renamed(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    out = frame.copy()
    out["bet"] = [_alt_name(b, lang) for b in out["bet"]]
    return out


def _set_settings(name: str, keys: tuple[str, ...]) -> None:
    """Remember what the user asked to run (a button press); a new request undoes a Stop."""
    _state()[name] = tuple(_jsonable(_state()[k]) for k in keys)
    _state()["stopped"] = False


def _requested(name: str, keys: tuple[str, ...], label: str, lang: Lang) -> tuple[Any, ...] | None:
    """A run button for the widgets `keys`: the settings last asked for (None: never asked),
    with a note when the widgets have changed since."""
    st.button(label, type="primary", on_click=_set_settings, args=(name, keys))
    settings: tuple[Any, ...] | None = _state().get(name)
    if settings is not None and settings != tuple(_jsonable(_state()[k]) for k in keys):
        st.caption(t("compare_settings_changed", lang))
    return settings


def _jsonable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def page_compare(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_compare", lang))
    names = [b.name for b in spec.bets]
    if not names:
        st.info(t("no_bets", lang))
        return
    with st.expander(t("bets", lang)):
        for b in spec.bets:
            st.markdown(f"**{b.name}**: {b.description}")
    # Widgets and the request are per scenario: another scenario has other bets.
    sfx = scenario_hash(spec)
    st.multiselect(t("bets", lang), names, default=names, key=f"cmp_bets:{sfx}")
    c = _cols(2)
    c[0].number_input(t("budget", lang), min_value=0.0, value=0.0, step=100000.0, format="%.0f",
                      key=f"cmp_budget:{sfx}")
    c[1].selectbox(t("max_bets", lang), (1, 2, 3), key=f"cmp_max:{sfx}")
    keys = (f"cmp_bets:{sfx}", f"cmp_budget:{sfx}", f"cmp_max:{sfx}")
    settings = _requested(f"compare_settings:{sfx}", keys, t("compare_run", lang), lang)
    if settings is None:
        return
    bets, budget, max_bets = settings
    if not bets:
        st.warning(t("choose_bets", lang))
        return
    try:
        fits = alternatives(spec, select_bets(spec, list(bets)), budget or None, max_bets)
    except ValueError as err:  # a bet that cannot run at all
        st.error(str(err))
        return
    if len(fits) < 2:
        st.warning(t("no_alternatives", lang))
        return
    cur = spec.currency

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> Comparison:
        return compare_bets(spec, list(bets), replications=reps, seed=seed, budget=budget or None,
                            max_bets=max_bets, progress=progress, executor=pool)

    def render(cmp: Comparison, tag: str) -> None:
        st.caption(t("provenance", lang, name=spec.name, reps=cmp.replications, seed=cmp.seed,
                     hash=scenario_hash(spec)))
        st.subheader(t("ranked", lang))
        st.dataframe(ranked_table(cmp, lang), hide_index=True, column_config=_column_help(lang),
                     key=f"ranked-{tag}")
        table = _renamed(cmp.table(), lang)
        st.plotly_chart(charts.roi_vs_time(table[table["bet"] != t("baseline", lang)], lang),
                        key=f"roi-{tag}")
        q = _renamed(cmp.monthly_quantiles(), lang)
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.fan_chart(q, "revenue", lang, t("fan_revenue", lang), group="bet",
                                         y_title=cur), key=f"fanrev-{tag}")
        c2.plotly_chart(charts.fan_chart(q, "profit", lang, t("fan_profit", lang), group="bet",
                                         y_title=cur), key=f"fanprofit-{tag}")
        st.plotly_chart(charts.levers_chart(_renamed(cmp.levers(), lang), lang, cur),
                        key=f"levers-{tag}")

    progressive(("compare", scenario_hash(spec), settings), lang, run, render)


def page_stress(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_stress", lang))
    st.caption(t("stress_caption", lang))
    h = spec.horizon_months
    c = _cols(3)
    sfx = scenario_hash(spec)  # the months offered depend on the scenario's horizon
    c[0].number_input(t("shock_start", lang), 1, h, min(3, h), key=f"st_start:{sfx}")
    c[1].number_input(t("shock_duration", lang), 1, h, min(6, h), key=f"st_duration:{sfx}")
    c[2].slider(t("severity", lang), 0.5, 2.0, 1.0, 0.25, key=f"st_severity:{sfx}")
    keys = (f"st_start:{sfx}", f"st_duration:{sfx}", f"st_severity:{sfx}")
    settings = _requested(f"stress_settings:{sfx}", keys, t("stress_run", lang), lang)
    if settings is None:
        return
    start, duration, severity = settings
    shocks = stress_shocks(spec, int(start), int(duration), float(severity))
    cur = spec.currency

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> Comparison:
        return compare_bets(spec, shocks, replications=reps, seed=seed, progress=progress,
                            executor=pool)

    def render(cmp: Comparison, tag: str) -> None:
        st.caption(t("provenance", lang, name=spec.name, reps=cmp.replications, seed=cmp.seed,
                     hash=scenario_hash(spec)))
        table = cmp.table().set_index("bet")
        rows = []
        for name in cmp.names:
            profit = describe(cmp.scalars[name]["total_profit"])
            r = table.loc[name]
            rows.append({
                t("shock", lang): _alt_name(name, lang),
                metric_label("p_goal", lang): percent(r["p_goal"], lang),
                t("profit_mean_band", lang): (
                    f"{money(profit['mean'], cur, lang, compact=True)} "
                    f"({money(profit['p10'], cur, lang, compact=True)} … "
                    f"{money(profit['p90'], cur, lang, compact=True)})"),
                t("npv_change", lang): _ci(r["npv"], r["npv_lo"], r["npv_hi"],
                                           lambda x: money(x, cur, lang, compact=True)),
                t("months_to_goal", lang): _months(r["months_to_goal_p10"],
                                                   r["months_to_goal_p50"],
                                                   r["months_to_goal_p90"]),
            })
        st.subheader(t("stress_table", lang))
        st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"stress-{tag}",
                     column_config={metric_label("p_goal", lang): st.column_config.Column(
                         help=tooltip("p_goal", lang))})
        goal = spec.goal
        title = (t("goal_at_deadline", lang, metric=t(goal.metric, lang),
                   month=goal.deadline_month) if goal is not None
                 else metric_label("cumulative_profit", lang))
        outcome = {_alt_name(n, lang): goal_value(cmp.monthly[n], spec) for n in cmp.names}
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.outcome_distribution(outcome, lang, title), key=f"box-{tag}")
        q = _renamed(cmp.monthly_quantiles(), lang)
        c2.plotly_chart(charts.fan_chart(q, "cumulative_profit", lang,
                                         t("cum_profit_per_shock", lang), group="bet",
                                         y_title=cur), key=f"stressfan-{tag}")

    progressive(("stress", scenario_hash(spec), settings), lang, run, render)


# --- main -----------------------------------------------------------------------------------------

def main() -> None:
    st.set_page_config(page_title="GrowthSim", layout="wide")
    _init_state()
    with st.sidebar:
        lang: Lang = st.radio(t("language", "en") + " / " + t("language", "ru"), LANGS,
                              format_func=LANGUAGE_NAMES.__getitem__, horizontal=True, key="lang")
        st.title(t("app_title", lang))
        page = st.radio(t("app_title", lang), PAGES, key="page", label_visibility="collapsed",
                        format_func=lambda p: t(f"page_{p}", lang))
        st.divider()
        st.number_input(t("seed", lang), min_value=0, value=1, step=1, key="seed",
                        help=t("seed_help", lang))
        st.number_input(t("replications", lang), min_value=MIN_REPS, max_value=2000, value=100,
                        step=10, key="reps", help=t("replications_help", lang))
    if page == "scenario":
        page_scenario(lang)
        return
    spec, problems, _ = current_scenario()
    if spec is None:
        st.warning(t("scenario_invalid", lang))
        for where, what in problems:
            st.error(f"{where}: {localized(what, lang)}" if where else localized(what, lang))
        return
    {"dashboard": page_dashboard, "compare": page_compare, "stress": page_stress}[page](spec, lang)


main()
