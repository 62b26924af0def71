"""GrowthSim in the browser: `streamlit run app.py`.

Thin on purpose: widgets -> scenario (models.load) -> library call
(sim.experiments.montecarlo, the same one the CLI makes) -> tables (sim.report.owner) and figures
(sim.report.charts), words from sim.report.i18n. The app writes no files: uploads are read in
memory, the edited scenario is offered as a download.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import threading
import time
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
from models.spec.errors import Message, localized
from models.spec.paths import PathError, set_path
from models.spec.scenario import Scenario, text_in
from sim.experiments.compare import BASELINE, Comparison, alternatives, compare_bets, select_bets
from sim.experiments.montecarlo import MonteCarloResult, goal_value, run_monte_carlo
from sim.experiments.parallel import default_workers, process_pool
from sim.experiments.statistics import describe
from sim.report import charts, owner
from sim.report.decision import decide, summary_lines
from sim.report.i18n import (
    LANGS,
    LANGUAGE_NAMES,
    Lang,
    currency_name,
    duration,
    field_help,
    metric_label,
    money,
    number,
    parse_number,
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
#
# A widget's value is never a label in some language: choices hold identifiers (page names,
# metric names, bet names) and show them through `format_func`; widgets whose label or shown
# text depend on the language are keyed per language (`_synced`), and their value is copied to
# a language-free key, so switching the language mid-edit renews the widgets instead of feeding
# one language's text back as the other's value.

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
    _state().setdefault("page", PAGES[0])


def _synced(make: Callable[..., Any], key: str, lang: Lang, **kwargs: Any) -> Any:
    """`make(...)` (a widget) keyed per language, its value kept under `key` for every language.
    """
    wkey = f"{key}@{lang}"

    def copy_value() -> None:
        _state()[key] = _state()[wkey]

    return make(key=wkey, on_change=copy_value, **kwargs)


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


def _on_example(key: str) -> None:
    name = _state()[key]
    if name is not None:
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
        _state()["upload_problems"] = (upload.name, [("", Message(
            "not UTF-8 text; save it as UTF-8", "текст не в UTF-8; сохраните файл в UTF-8"))])
        return
    except ScenarioError as err:
        _state()["upload_problems"] = (upload.name, err.problems)
        return
    _set_base(text, upload.name)


def _on_edit(path: str, key: str, kind: str, lang: Lang) -> None:
    """Store a widget's edit as the override `path`: percentages as shares, typed numbers as the
    language writes them, distributions as in YAML; unreadable text is kept as it is, so
    validation names the field and what it expects."""
    value = _state()[key]
    if kind == "percent" and isinstance(value, int | float):
        value = round(float(value) / 100, 10)
    elif kind == "text" and isinstance(value, str):
        typed = parse_number(value, lang)
        if typed is not None:
            value = int(typed) if typed.is_integer() else typed
        else:
            with contextlib.suppress(yaml.YAMLError):
                value = yaml.safe_load(value)
    _state()["overrides"][path] = value


def _example_title(stem: str, lang: Lang) -> str:
    return _raw_text(_EXAMPLE_TITLES.get(stem), lang, stem)


def _raw_text(value: Any, lang: Lang, fallback: str) -> str:
    """A title as written in YAML (text, or {en:, ru:}) in `lang`."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or fallback)
    return str(value) if value else fallback


def _read_titles() -> dict[str, Any]:
    titles: dict[str, Any] = {}
    for stem, path in EXAMPLES.items():
        with contextlib.suppress(ScenarioError, OSError):
            titles[stem] = read_yaml(path.read_text(encoding="utf-8"), stem).get("title")
    return titles


_EXAMPLE_TITLES = _read_titles()


def scenario_title(spec: Scenario, lang: Lang) -> str:
    return text_in(spec.title, lang, spec.name)


# --- running: cached by scenario content and settings, with progress at the top, cancellable ----

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


def _top() -> Any:
    """The slot at the top of the page for what runs now (progress, Stop, Refine)."""
    return _state()["_top_slot"]


def _stop() -> None:
    _state()["stopped"] = True


def cached_run(key: Key, replications: int, seed: int, lang: Lang, run: Runner, what: str,
               note: str | None = None, stoppable: bool = False) -> Any:
    """`run` with a progress bar at the top of the page, cached on `key` (content and
    settings), replications, seed. The bar says what runs, how far it is and about how long is
    left (from the pace so far).

    Our own pool, so that Stop (a rerun, which raises inside the progress callback) cancels the
    replications not yet started instead of waiting for them all; nothing is cached then."""
    full_key = (*key, replications, seed)
    cached = result_store().get(full_key)
    if cached is not None:
        return cached
    with _top().container():
        if note:
            st.info(note)
        if stoppable:  # the app's only Stop (Streamlit's own is hidden, see main)
            st.button(t("stop", lang), help=t("stop_help", lang), on_click=_stop)
        bar = st.progress(0.0, text=t("progress_start", lang, what=what, total=replications))
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        if done <= 0:
            return
        left = (time.monotonic() - started) / done * max(total - done, 0)
        bar.progress(min(done / total, 1.0), text=t(
            "progress", lang, what=what, done=done, total=total, left=duration(left, lang)))

    pool = _pool()
    try:
        result = run(replications, seed, progress, pool)
    except ValueError as err:  # e.g. bets that push a drawn value out of its range
        _top().empty()
        st.error(localized(str(err), lang))
        st.stop()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    _top().empty()
    result_store().put(full_key, result)
    return result


def progressive(key: Key, lang: Lang, run: Runner, render: Callable[[Any, str], None],
                what: str) -> None:
    """Show a quick answer from few replications, then refine it to the chosen number in place.

    Stop (at the top while refining) interrupts the run: Streamlit reruns the script, the
    progress callback raises, the pool's queued replications are cancelled and nothing is
    cached; the quick answer stays on screen, with a button to refine it again."""
    _state()["seen_results"] = True
    seed, reps = int(_state()["seed"]), int(_state()["reps"])
    holder = st.empty()
    quick = min(QUICK_REPS, reps)
    if result_store().get((*key, reps, seed)) is None and quick < reps:
        result = cached_run(key, quick, seed, lang, run, what)
        with holder.container():
            render(result, "quick")
        if _state().get("stopped"):
            _top().button(t("refine", lang, total=reps), on_click=_state().__setitem__,
                          args=("stopped", False))
            return
        result = cached_run(key, reps, seed, lang, run, what,
                            note=t("quick_answer", lang, n=quick, total=reps), stoppable=True)
    else:
        result = cached_run(key, reps, seed, lang, run, what)
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


def _provenance(spec: Scenario, reps: int, seed: int, lang: Lang) -> None:
    st.caption(t("provenance", lang, name=scenario_title(spec, lang), reps=reps, seed=seed,
                 hash=scenario_hash(spec)))


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


def field_label(path: str, lang: Lang) -> str:
    """A parameter path in words ('Горизонт, мес.'), or the path itself when it has no label."""
    last = path.rsplit(".", 1)[-1]
    return t(last, lang) if last in _LABELS else ""


def problem_line(where: str, what: str, lang: Lang) -> str:
    """One problem as shown: the field in words and its path in the YAML, then what to do."""
    text = localized(what, lang)
    if not where:
        return text
    label = field_label(where, lang)
    return f"**{label}** (`{where}`): {text}" if label else f"`{where}`: {text}"


def _show_problems(problems: list[tuple[str, str]], lang: Lang) -> None:
    for where, what in problems:
        st.error(problem_line(where, what, lang))


# --- the scenario page ----------------------------------------------------------------------------

# How a parameter is shown and typed, by the last part of its path: money as grouped digits in
# a text field ('27 000 000'), shares as percentages, counts as whole numbers.
_MONEY_FIELDS = {"budget_monthly", "half_saturation_budget", "salary_monthly", "price",
                 "cost_of_goods", "cost_per_client_month", "cost_per_attempt", "target"}
_SHARE_FIELDS = {"commission_rate", "lost_unprocessed", "first_contact_conversion",
                 "first_contact_drop", "conversion_per_touch", "paid_probability",
                 "upsell_probability", "monthly_churn", "monthly_churn_no_result",
                 "churn_reduction", "probability"}
_INT_FIELDS = {"horizon_months", "deadline_month", "managers", "max_touches"}


def _plain(x: Any) -> str:
    """A number as YAML writes it, whole numbers without '.0'."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def dist_text(value: dict[str, Any]) -> str:
    """A distribution in YAML flow style, in full: {dist: triangular, low: 120, ...}."""
    return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"


def dist_words(value: dict[str, Any], kind: str, currency: str, lang: Lang) -> str:
    """A distribution said in words, its numbers in the field's unit."""
    def fmt(x: Any) -> str:
        if not isinstance(x, int | float):
            return str(x)
        if kind == "money":
            return money(x, currency, lang)
        if kind == "share":
            return percent(x, lang, 1)
        return number(x, lang, 0 if float(x).is_integer() else 2)

    dist = str(value.get("dist", ""))
    numbers = {k: fmt(v) for k, v in value.items() if k != "dist"}
    try:
        return t(f"dist_{dist}", lang, **numbers)
    except (KeyError, IndexError):
        return dist_text(value)


class _Editor:
    """The editing widgets of one run of the scenario page: each edit is a path=value override;
    a problem with a field is shown under that field."""

    def __init__(self, lang: Lang, problems: list[tuple[str, str]], currency: str,
                 goal_metric: str | None) -> None:
        self.lang = lang
        self.currency = currency
        self.goal_metric = goal_metric
        self.pending: dict[str, list[str]] = {}
        for where, what in problems:
            self.pending.setdefault(where, []).append(what)
        digest = hashlib.sha256(_state()["base_text"].encode()).hexdigest()[:12]
        self.src = f"{digest}:{_state()['edit_generation']}"

    def kind(self, name: str) -> str:
        if name == "target" and self.goal_metric == "active_clients":
            return "number"
        if name in _MONEY_FIELDS:
            return "money"
        if name in _SHARE_FIELDS:
            return "share"
        return "int" if name in _INT_FIELDS else "number"

    def field(self, col: Any, path: str, value: Any) -> None:
        lang = self.lang
        name = path.rsplit(".", 1)[-1]
        kind = self.kind(name)
        label = t(name, lang) if name in _LABELS else path
        help_ = field_help(name, lang)
        # Keyed per language: the text shown ('27 000 000' / '27,000,000') is the language's.
        key = f"edit:{self.src}:{lang}:{path}"
        value = _state()["overrides"].get(path, value)
        args = (path, key)
        if isinstance(value, bool):
            col.checkbox(label, value=value, key=key, on_change=_on_edit,
                         args=(*args, "v", lang), help=help_)
        elif isinstance(value, dict | str) or kind == "money":
            shown = (dist_text(value) if isinstance(value, dict) else value
                     if isinstance(value, str) else number(value, lang))
            # A distribution in a text area: it wraps, so it is seen in full.
            box = col.text_area if isinstance(value, dict) else col.text_input
            box(label, value=shown, key=key, on_change=_on_edit, args=(*args, "text", lang),
                help=help_)
            if isinstance(value, dict):
                col.caption(t("dist_words", lang,
                              words=dist_words(value, kind, self.currency, lang)))
        elif kind == "share":
            col.number_input(t("percent_unit", lang, label=label), min_value=0.0,
                             max_value=100.0, value=float(value) * 100, step=0.5, format="%.2f",
                             key=key, on_change=_on_edit, args=(*args, "percent", lang),
                             help=help_)
        elif kind == "int":
            col.number_input(label, min_value=0, value=int(value), step=1, key=key,
                             on_change=_on_edit, args=(*args, "v", lang), help=help_)
        else:
            whole = float(value).is_integer()
            col.number_input(label, min_value=0.0, value=float(value),
                             step=1.0 if whole else 0.1, format="%.0f" if whole else "%.2f",
                             key=key, on_change=_on_edit, args=(*args, "v", lang), help=help_)
        for what in self.pending.pop(path, []):
            col.error(localized(what, lang))


def page_scenario(lang: Lang) -> None:
    st.header(t("page_scenario", lang))
    if not _state().get("seen_results"):
        st.info(t("first_visit", lang))
    c1, c2 = st.columns(2)
    names = list(EXAMPLES)
    base = _state()["base_label"]
    key = f"example@{lang}"  # per language: its shown titles are the language's
    c1.selectbox(t("example", lang), names, index=names.index(base) if base in names else None,
                 format_func=lambda stem: _example_title(stem, lang), key=key,
                 on_change=_on_example, args=(key,))
    with c2:
        st.file_uploader(t("upload", lang), type=["yaml", "yml"], key="upload",
                         on_change=_on_upload, label_visibility="visible")
        st.caption(t("upload_hint", lang))
    bad = _state().get("upload_problems")
    if bad:
        source, problems = bad
        st.error(t("upload_problems", lang, source=f"`{source}`", n=len(problems)))
        _show_problems(problems, lang)

    spec, problems, raw = current_scenario()
    full = _defaults(raw)
    goal = full.get("goal") or {}
    editor = _Editor(lang, problems, str(full.get("currency", "RUB")), goal.get("metric"))
    # One slot for the verdict, always present, so the sections below keep their place (and
    # their open/closed state) whatever it says.
    verdict = st.container()
    _editors(full, editor)
    with verdict:
        if spec is not None:
            st.success(t("scenario_ok", lang, name=scenario_title(spec, lang),
                         months=spec.horizon_months, channels=len(spec.channels),
                         tiers=len(spec.tiers), currency=currency_name(spec.currency, lang)))
        else:
            shown = [w for w, _ in problems if w not in editor.pending]
            if shown:
                labels = ", ".join(dict.fromkeys(field_label(w, lang) or f"`{w}`" for w in shown))
                st.error(t("problems_at_fields", lang, n=len(shown), fields=labels))
            rest = [(w, m) for w, m in problems if w in editor.pending]
            if rest:
                st.error(t("field_problems_elsewhere", lang))
                _show_problems(rest, lang)
    if _state()["overrides"]:
        text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    else:
        text = _state()["base_text"]  # nothing edited: the file as it was, comments and all
    b1, b2 = st.columns(2)
    b1.download_button(t("download", lang), text, file_name=f"{Path(base).stem}-edited.yaml",
                       mime="application/x-yaml")
    b1.caption(t("download_note", lang))
    b2.button(t("reset", lang), on_click=_reset_edits)


def _group(name: str, lang: Lang, expanded: bool = False) -> Any:
    # A key keeps a section open or closed across reruns (an invalid edit does not fold it).
    return st.expander(t(name, lang), expanded=expanded, key=f"section:{name}")


def _editors(full: dict[str, Any], ed: _Editor) -> None:
    """Widgets for the parameters an owner changes most."""
    lang = ed.lang
    st.caption(t("uncertain_hint", lang))
    titles = {item["name"]: _raw_text(item.get("title"), lang, item["name"])
              for item in (*full["channels"], *full["tiers"])}
    with _group("grp_general", lang, expanded=True):
        c = _cols(4)
        ed.field(c[0], "horizon_months", full["horizon_months"])
        goal = full.get("goal")
        if goal:
            ed.field(c[1], "goal.target", goal["target"])
            ed.field(c[2], "goal.deadline_month", goal["deadline_month"])
            metric = _state()["overrides"].get("goal.metric", goal["metric"])
            key = f"edit:{ed.src}:{lang}:goal.metric"
            c[3].selectbox(t("goal_metric", lang), GOAL_METRICS,
                           index=GOAL_METRICS.index(metric) if metric in GOAL_METRICS else 0,
                           format_func=lambda m: t(m, lang), key=key, on_change=_on_edit,
                           args=("goal.metric", key, "v", lang),
                           help=field_help("goal_metric", lang))
            for what in ed.pending.pop("goal.metric", []):
                c[3].error(localized(what, lang))
    with _group("grp_channels", lang, expanded=True):
        for ch in full["channels"]:
            c = _cols(5)
            c[0].markdown(f"**{titles[ch['name']]}**")
            for i, name in enumerate(("budget_monthly", "max_leads", "half_saturation_budget",
                                      "organic_leads")):
                ed.field(c[i + 1], f"channels.{ch['name']}.{name}", ch[name])
    with _group("grp_team", lang):
        c = _cols(4)
        ed.field(c[0], "sales.managers", full["sales"]["managers"])
        for i, name in enumerate(("salary_monthly", "handling_minutes", "commission_rate")):
            ed.field(c[i + 1], f"sales.{name}", full["sales"][name])
    with _group("grp_journey", lang):
        j = full["journey"]
        c = _cols(4)
        ed.field(c[0], "journey.lost_unprocessed", j["lost_unprocessed"])
        ed.field(c[1], "journey.first_contact_conversion", j["first_contact_conversion"])
        ed.field(c[2], "journey.first_contact_drop", j["first_contact_drop"])
        if j.get("response_half_life_hours") is not None:
            ed.field(c[3], "journey.response_half_life_hours", j["response_half_life_hours"])
        c = _cols(4)
        ed.field(c[0], "journey.follow_up.max_touches", j["follow_up"]["max_touches"])
        ed.field(c[1], "journey.follow_up.interval_days", j["follow_up"]["interval_days"])
        ed.field(c[2], "journey.follow_up.conversion_per_touch",
                 j["follow_up"]["conversion_per_touch"])
        ed.field(c[3], "journey.invoice.paid_probability", j["invoice"]["paid_probability"])
    with _group("grp_pyramid", lang):
        for tier in full["tiers"]:
            c = _cols(5)
            c[0].markdown(f"**{titles[tier['name']]}**")
            for i, name in enumerate(("price", "cost_of_goods", "purchase_interval_months",
                                      "upsell_probability")):
                ed.field(c[i + 1], f"tiers.{tier['name']}.{name}", tier[name])
    with _group("grp_churn", lang):
        for tier in full["tiers"]:
            c = _cols(3)
            c[0].markdown(f"**{titles[tier['name']]}**")
            ed.field(c[1], f"tiers.{tier['name']}.monthly_churn", tier["monthly_churn"])
            if tier.get("monthly_churn_no_result") is not None:
                ed.field(c[2], f"tiers.{tier['name']}.monthly_churn_no_result",
                         tier["monthly_churn_no_result"])
        c = _cols(3)
        r = full["retention"]
        ed.field(c[0], "retention.enabled", r["enabled"])
        ed.field(c[1], "retention.churn_reduction", r["churn_reduction"])
        ed.field(c[2], "retention.cost_per_client_month", r["cost_per_client_month"])
    with _group("grp_winback", lang):
        c = _cols(3)
        w = full["win_back"]
        ed.field(c[0], "win_back.enabled", w["enabled"])
        ed.field(c[1], "win_back.probability", w["probability"])
        ed.field(c[2], "win_back.cost_per_attempt", w["cost_per_attempt"])


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


def _defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw scenario with every default filled in (so each widget has a value to show); an
    invalid edit falls back to the base scenario's values."""
    try:
        return validate(raw).model_dump(mode="json", by_alias=True)
    except ScenarioError:
        base = read_yaml(_state()["base_text"], _state()["base_label"])
        return validate(base).model_dump(mode="json", by_alias=True)


# --- results pages --------------------------------------------------------------------------------

def page_dashboard(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_dashboard", lang))
    cur = spec.currency

    def render(result: MonteCarloResult, tag: str) -> None:
        _provenance(spec, result.replications, result.seed, lang)
        s = result.summary()
        st.subheader(t("dash_headline", lang, months=spec.horizon_months))
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
        c2.plotly_chart(charts.fan_chart(q, "revenue", lang, currency=cur), key=f"rev-{tag}")
        c1.plotly_chart(charts.fan_chart(q, "profit", lang, currency=cur), key=f"profit-{tag}")
        c2.plotly_chart(charts.fan_chart(q, "cumulative_profit", lang, currency=cur),
                        key=f"cum-{tag}")
        # Two tables, people and money (money in millions, '6,4 млн ₽'), so every column fits
        # the page's width; the charts and the CLI's files have the exact means.
        for part, columns in (("counts", _COUNT_COLUMNS), ("money", _MONEY_COLUMNS)):
            shown: dict[str, Any] = {t("month", lang): view["month"].astype(int)}
            for c in columns:
                shown[metric_label(c, lang)] = [_fmt(c, v, cur, lang, compact=True)
                                                for v in view[c]]
            helps = {metric_label(c, lang): st.column_config.Column(help=tooltip(c, lang))
                     for c in columns if tooltip(c, lang)}
            st.dataframe(pd.DataFrame(shown), hide_index=True, key=f"monthly-{part}-{tag}",
                         column_config=helps, width="stretch")

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

    progressive(("forecast", scenario_hash(spec)), lang, run, render, t("run_forecast", lang))


_COUNT_COLUMNS = ("leads", "new_clients", "active_clients")
_MONEY_COLUMNS = ("revenue", "recurring_revenue", "marketing", "marketing_per_new_client",
                  "total_costs", "profit", "cumulative_profit")


def alt_name(name: str, spec: Scenario, lang: Lang) -> str:
    """An alternative's name as shown: the baseline is 'the plan', shocks are translated, bets
    (and portfolios 'a + b') by their titles."""
    if name == BASELINE:
        return t("baseline", lang)
    if name in SHOCKS:
        return t(name, lang)
    titles = {b.name: text_in(b.title, lang, b.name) for b in spec.bets}
    return " + ".join(titles.get(part, part) for part in name.split(" + "))


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
            metric_label("bet", lang): alt_name(r["bet"], cmp.spec, lang),
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


def _renamed(frame: pd.DataFrame, spec: Scenario, lang: Lang) -> pd.DataFrame:
    out = frame.copy()
    out["bet"] = [alt_name(b, spec, lang) for b in out["bet"]]
    return out


def _set_settings(name: str, keys: tuple[str, ...]) -> None:
    """Remember what the user asked to run (a button press); a new request undoes a Stop."""
    _state()[name] = tuple(_jsonable(_state()[k]) for k in keys)
    _state()["stopped"] = False


def _requested(name: str, keys: tuple[str, ...], label: str, lang: Lang) -> tuple[Any, ...] | None:
    """A run button for the settings kept under `keys`: the settings last asked for (None:
    never asked), with a note when they have changed since."""
    st.button(label, type="primary", on_click=_set_settings, args=(name, keys))
    settings: tuple[Any, ...] | None = _state().get(name)
    if settings is not None and settings != tuple(_jsonable(_state()[k]) for k in keys):
        st.caption(t("compare_settings_changed", lang))
    return settings


def _jsonable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _bet_line(bet: Any, spec: Scenario, lang: Lang) -> str:
    cur = spec.currency
    costs = [t("from_month", lang, month=bet.start_month)]
    if bet.one_off_cost:
        costs.append(t("one_off_cost", lang, cost=money(bet.one_off_cost, cur, lang)))
    if bet.monthly_cost:
        costs.append(t("monthly_cost", lang, cost=money(bet.monthly_cost, cur, lang)))
    text = text_in(bet.description, lang)
    return f"**{text_in(bet.title, lang, bet.name)}**: {text} ({', '.join(costs)})"


def page_compare(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_compare", lang))
    names = [b.name for b in spec.bets]
    if not names:
        st.info(t("no_bets", lang))
        return
    with st.expander(t("what_changes", lang)):
        for b in spec.bets:
            st.markdown(_bet_line(b, spec, lang))
    # Settings are per scenario (another scenario has other bets), kept apart from the widgets,
    # which are per language (their shown titles are).
    sfx = scenario_hash(spec)
    keys = (f"cmp_bets:{sfx}", f"cmp_budget:{sfx}", f"cmp_max:{sfx}")
    for k, default in zip(keys, (names, 0.0, 1), strict=True):
        _state().setdefault(k, default)
    _synced(st.multiselect, keys[0], lang, label=t("bets", lang), options=names,
            default=[b for b in _state()[keys[0]] if b in names],
            format_func=lambda b: alt_name(b, spec, lang))
    c = _cols(2)
    with c[0]:
        _synced(st.number_input, keys[1], lang, label=t("budget", lang), min_value=0.0,
                value=float(_state()[keys[1]]), step=100000.0, format="%.0f")
    with c[1]:
        _synced(st.selectbox, keys[2], lang, label=t("max_bets", lang), options=(1, 2, 3),
                index=(1, 2, 3).index(_state()[keys[2]]))
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
        st.error(localized(str(err), lang))
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
        _provenance(spec, cmp.replications, cmp.seed, lang)
        # Which option to pick and why, first (sim.report.decision); "$" would start LaTeX
        decision = decide(cmp)
        lines = summary_lines(decision, cur, lang, {n: alt_name(n, spec, lang) for n in cmp.names})
        (st.success if decision.settled else st.info)(
            "\n\n".join(line.replace("$", "\\$") for line in lines))
        st.subheader(t("ranked", lang))
        st.dataframe(ranked_table(cmp, lang), hide_index=True, column_config=_column_help(lang),
                     key=f"ranked-{tag}")
        table = cmp.table()
        table = _renamed(table[table["bet"] != BASELINE], spec, lang)
        st.plotly_chart(charts.roi_vs_time(table, lang), key=f"roi-{tag}")
        q = _renamed(cmp.monthly_quantiles(), spec, lang)
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.fan_chart(q, "revenue", lang, t("fan_revenue", lang), group="bet",
                                         currency=cur), key=f"fanrev-{tag}")
        c2.plotly_chart(charts.fan_chart(q, "profit", lang, t("fan_profit", lang), group="bet",
                                         currency=cur), key=f"fanprofit-{tag}")
        st.plotly_chart(charts.levers_chart(_renamed(cmp.levers(), spec, lang), lang, cur),
                        key=f"levers-{tag}")

    progressive(("compare", scenario_hash(spec), settings), lang, run, render,
                t("run_compare", lang))


def page_stress(spec: Scenario, lang: Lang) -> None:
    st.header(t("page_stress", lang))
    st.caption(t("stress_caption", lang))
    h = spec.horizon_months
    sfx = scenario_hash(spec)  # the months offered depend on the scenario's horizon
    keys = (f"st_start:{sfx}", f"st_duration:{sfx}", f"st_severity:{sfx}")
    for k, default in zip(keys, (min(3, h), min(6, h), 1.0), strict=True):
        _state().setdefault(k, default)
    c = _cols(3)
    with c[0]:
        _synced(st.number_input, keys[0], lang, label=t("shock_start", lang), min_value=1,
                max_value=h, value=int(_state()[keys[0]]))
    with c[1]:
        _synced(st.number_input, keys[1], lang, label=t("shock_duration", lang), min_value=1,
                max_value=h, value=int(_state()[keys[1]]))
    with c[2]:
        _synced(st.slider, keys[2], lang, label=t("severity", lang), min_value=0.5,
                max_value=2.0, value=float(_state()[keys[2]]), step=0.25)
    settings = _requested(f"stress_settings:{sfx}", keys, t("stress_run", lang), lang)
    if settings is None:
        return
    start, duration_, severity = settings
    shocks = stress_shocks(spec, int(start), int(duration_), float(severity))
    cur = spec.currency

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> Comparison:
        return compare_bets(spec, shocks, replications=reps, seed=seed, progress=progress,
                            executor=pool)

    def render(cmp: Comparison, tag: str) -> None:
        _provenance(spec, cmp.replications, cmp.seed, lang)
        table = cmp.table().set_index("bet")
        rows = []
        for name in cmp.names:
            profit = describe(cmp.scalars[name]["total_profit"])
            r = table.loc[name]
            rows.append({
                t("shock", lang): alt_name(name, spec, lang),
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
        counts = goal is not None and goal.metric == "active_clients"
        outcome = {alt_name(n, spec, lang): goal_value(cmp.monthly[n], spec) for n in cmp.names}
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.outcome_distribution(
            outcome, lang, title, y_title=t("clients_unit", lang) if counts else "",
            currency=None if counts else cur), key=f"box-{tag}")
        q = _renamed(cmp.monthly_quantiles(), spec, lang)
        c2.plotly_chart(charts.fan_chart(q, "cumulative_profit", lang,
                                         t("cum_profit_per_shock", lang), group="bet",
                                         currency=cur), key=f"stressfan-{tag}")

    progressive(("stress", scenario_hash(spec), settings), lang, run, render,
                t("run_stress", lang))


# --- main -----------------------------------------------------------------------------------------

# Streamlit's own Stop (in the running-man status widget) is hidden: the app's Stop, at the top
# of the page, cancels the pool's queued replications and keeps the quick answer. The file
# uploader's fixed English words are replaced by the language's (CSS: they are not parameters).
_CSS = """<style>
[data-testid="stStatusWidget"] {{visibility: hidden;}}
[data-testid="stFileUploaderDropzoneInstructions"] {{display: none;}}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] {{display: none;}}
[data-testid="stFileUploaderDropzone"] button span[data-has-shortcut]::after {{
  content: "{browse}";}}
</style>"""


def main() -> None:
    st.set_page_config(page_title="GrowthSim", layout="wide")
    _init_state()
    with st.sidebar:
        lang: Lang = st.radio(t("language", "en") + " / " + t("language", "ru"), LANGS,
                              format_func=LANGUAGE_NAMES.__getitem__, horizontal=True, key="lang")
        st.title(t("app_title", lang))
        # The page is kept under "page"; the radio is keyed per language (its labels are).
        key = f"page@{lang}"

        def choose_page() -> None:
            _state()["page"] = _state()[key]

        st.radio(t("app_title", lang), PAGES, index=PAGES.index(_state()["page"]), key=key,
                 label_visibility="collapsed", format_func=lambda p: t(f"page_{p}", lang),
                 on_change=choose_page)
        st.divider()
        st.number_input(t("seed", lang), min_value=0, value=1, step=1, key="seed",
                        help=t("seed_help", lang))
        st.number_input(t("replications", lang), min_value=MIN_REPS, max_value=2000, value=100,
                        step=10, key="reps", help=t("replications_help", lang))
    st.html(_CSS.format(browse=t("browse", lang)))
    # The top of the page: what runs now. Below it, the page in one slot, so a page replaces
    # the previous one at once (no greyed copy of the last page below a long run).
    _state()["_top_slot"] = st.empty()
    body = st.empty()
    page = _state()["page"]
    with body.container():
        if page == "scenario":
            page_scenario(lang)
            return
        spec, problems, _ = current_scenario()
        if spec is None:
            st.warning(t("scenario_invalid", lang))
            _show_problems(problems, lang)
            return
        {"dashboard": page_dashboard, "compare": page_compare,
         "stress": page_stress}[page](spec, lang)


main()
