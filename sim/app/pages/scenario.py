"""The scenario page: pick an example or upload a YAML, edit the parameters an owner changes
most, download the edited scenario."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from models.load import ScenarioError, read_yaml, validate
from models.spec.errors import localized
from models.spec.fields import meta_or_none, target_kind
from sim.app.state import (
    EXAMPLES,
    GOAL_METRICS,
    current_scenario,
    example_title,
    on_edit,
    on_example,
    on_upload,
    raw_text,
    reset_edits,
    scenario_title,
    state,
)
from sim.app.widgets import cols, field_label, show_problems
from sim.report.i18n import (
    Lang,
    currency_name,
    field_help,
    money,
    number,
    percent,
    t,
)
from sim.report.owner import w

# --- the scenario page ----------------------------------------------------------------------------

# A segment's parameters, in the order the page shows them.
_SEGMENT_FIELDS = ("share", "conversion_multiplier", "price_multiplier", "churn_multiplier",
                   "frequency_multiplier", "committee_delay_days")


def editor_kind(path: str, goal_metric: str | None = None) -> str:
    """How the parameter at `path` is shown and typed, from its kind in the spec
    (`models.spec.fields`): "money" as grouped digits in a text field ('27 000 000'), "share" as
    a percentage, "int" a whole number, "number" the rest. The goal's target is money or a
    number of clients, as `goal_metric` says."""
    meta = meta_or_none(path)
    if meta is None:
        return "number"
    if path == "goal.target":
        return "money" if target_kind(goal_metric) == "money" else "number"
    if meta.kind in ("money", "share"):
        return meta.kind
    return "int" if meta.whole else "number"


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
        digest = hashlib.sha256(state()["base_text"].encode()).hexdigest()[:12]
        self.src = f"{digest}:{state()['edit_generation']}"

    def field(self, col: Any, path: str, value: Any) -> None:
        lang = self.lang
        kind = editor_kind(path, self.goal_metric)
        label = field_label(path, lang) or path
        help_ = field_help(path, lang)
        # Keyed per language: the text shown ('27 000 000' / '27,000,000') is the language's.
        key = f"edit:{self.src}:{lang}:{path}"
        value = state()["overrides"].get(path, value)
        args = (path, key)
        if isinstance(value, bool):
            col.checkbox(label, value=value, key=key, on_change=on_edit,
                         args=(*args, "v", lang), help=help_)
        elif isinstance(value, dict | str) or kind == "money":
            shown = (dist_text(value) if isinstance(value, dict) else value
                     if isinstance(value, str) else number(value, lang))
            # A distribution in a text area: it wraps, so it is seen in full.
            box = col.text_area if isinstance(value, dict) else col.text_input
            box(label, value=shown, key=key, on_change=on_edit, args=(*args, "text", lang),
                help=help_)
            if isinstance(value, dict):
                col.caption(t("dist_words", lang,
                              words=dist_words(value, kind, self.currency, lang)))
        elif lang == "ru" and (kind == "share" or not float(value).is_integer()):
            # Streamlit's number box writes a decimal point; Russian writes a comma ('0,70')
            share = kind == "share"
            col.text_input(t("percent_unit", lang, label=label) if share else label,
                           value=number(float(value) * (100 if share else 1), lang, 2), key=key,
                           on_change=on_edit, args=(*args, "percent_text" if share else "text",
                                                    lang), help=help_)
        elif kind == "share":
            col.number_input(t("percent_unit", lang, label=label), min_value=0.0,
                             max_value=100.0, value=float(value) * 100, step=0.5, format="%.2f",
                             key=key, on_change=on_edit, args=(*args, "percent", lang),
                             help=help_)
        elif kind == "int":
            col.number_input(label, min_value=0, value=int(value), step=1, key=key,
                             on_change=on_edit, args=(*args, "v", lang), help=help_)
        else:
            whole = float(value).is_integer()
            col.number_input(label, min_value=0.0, value=float(value),
                             step=1.0 if whole else 0.1, format="%.0f" if whole else "%.2f",
                             key=key, on_change=on_edit, args=(*args, "v", lang), help=help_)
        for what in self.pending.pop(path, []):
            col.error(localized(what, lang))


def page(lang: Lang) -> None:
    st.header(t("page_scenario", lang))
    if not state().get("seen_results"):
        st.info(t("first_visit", lang))
    c1, c2 = st.columns(2)
    names = list(EXAMPLES)
    base = state()["base_label"]
    key = f"example@{lang}"  # per language: its shown titles are the language's
    c1.selectbox(t("example", lang), names, index=names.index(base) if base in names else None,
                 format_func=lambda stem: example_title(stem, lang), key=key,
                 on_change=on_example, args=(key,), placeholder=t("choose", lang))
    with c2:
        st.file_uploader(t("upload", lang), type=["yaml", "yml"], key="upload",
                         on_change=on_upload, label_visibility="visible")
        st.caption(t("upload_hint", lang))
    bad = state().get("upload_problems")
    if bad:
        source, problems = bad
        st.error(t("upload_problems", lang, source=f"`{source}`", n=len(problems)))
        show_problems(problems, lang)

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
                show_problems(rest, lang)
    if state()["overrides"]:
        text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    else:
        text = state()["base_text"]  # nothing edited: the file as it was, comments and all
    b1, b2 = st.columns(2)
    b1.download_button(t("download", lang), text, file_name=f"{Path(base).stem}-edited.yaml",
                       mime="application/x-yaml")
    b1.caption(t("download_note", lang))
    b2.button(t("reset", lang), on_click=reset_edits)


def _group(name: str, lang: Lang, expanded: bool = False) -> Any:
    # A key keeps a section open or closed across reruns (an invalid edit does not fold it).
    title = w(name, lang) if name == "grp_segments" else t(name, lang)
    return st.expander(title, expanded=expanded, key=f"section:{name}")


def _editors(full: dict[str, Any], ed: _Editor) -> None:
    """Widgets for the parameters an owner changes most."""
    lang = ed.lang
    st.caption(t("uncertain_hint", lang))
    titles = {item["name"]: raw_text(item.get("title"), lang, item["name"])
              for item in (*full["channels"], *full["tiers"])}
    with _group("grp_general", lang, expanded=True):
        c = cols(4)
        ed.field(c[0], "horizon_months", full["horizon_months"])
        goal = full.get("goal")
        if goal:
            ed.field(c[1], "goal.target", goal["target"])
            ed.field(c[2], "goal.deadline_month", goal["deadline_month"])
            metric = state()["overrides"].get("goal.metric", goal["metric"])
            key = f"edit:{ed.src}:{lang}:goal.metric"
            c[3].selectbox(field_label("goal.metric", lang), GOAL_METRICS,
                           index=GOAL_METRICS.index(metric) if metric in GOAL_METRICS else 0,
                           format_func=lambda m: t(m, lang), key=key, on_change=on_edit,
                           args=("goal.metric", key, "v", lang),
                           help=field_help("goal.metric", lang))
            for what in ed.pending.pop("goal.metric", []):
                c[3].error(localized(what, lang))
    _edit_market(full, ed, titles)
    _edit_sales(full, ed)
    _edit_clients(full, ed, titles)


def _edit_market(full: dict[str, Any], ed: _Editor, titles: dict[str, str]) -> None:
    """Channels and their budgets, then the client segments."""
    lang = ed.lang
    with _group("grp_channels", lang, expanded=True):
        for ch in full["channels"]:
            c = cols(5)
            c[0].markdown(f"**{titles[ch['name']]}**")
            for i, name in enumerate(("budget_monthly", "max_leads", "half_saturation_budget",
                                      "organic_leads")):
                ed.field(c[i + 1], f"channels.{ch['name']}.{name}", ch[name])
    if full.get("segments"):
        with _group("grp_segments", lang):
            st.caption(w("seg_caption", lang))
            for seg in full["segments"]:
                c = cols(len(_SEGMENT_FIELDS) + 1)
                # by its title, as the dashboard's per-segment table names it (a segment
                # without a title by its name in the file)
                title = seg.get("title")
                c[0].markdown(f"**{raw_text(title, lang, seg['name'])}**" if title
                              else f"`{seg['name']}`")
                for i, name in enumerate(_SEGMENT_FIELDS):
                    ed.field(c[i + 1], f"segments.{seg['name']}.{name}", seg[name])


def _edit_sales(full: dict[str, Any], ed: _Editor) -> None:
    """The sales team and the journey from lead to paid invoice."""
    lang = ed.lang
    with _group("grp_team", lang):
        c = cols(4)
        ed.field(c[0], "sales.managers", full["sales"]["managers"])
        for i, name in enumerate(("salary_monthly", "handling_minutes", "commission_rate")):
            ed.field(c[i + 1], f"sales.{name}", full["sales"][name])
    with _group("grp_journey", lang):
        j = full["journey"]
        c = cols(4)
        ed.field(c[0], "journey.lost_unprocessed", j["lost_unprocessed"])
        ed.field(c[1], "journey.first_contact_conversion", j["first_contact_conversion"])
        ed.field(c[2], "journey.first_contact_drop", j["first_contact_drop"])
        if j.get("response_half_life_hours") is not None:
            ed.field(c[3], "journey.response_half_life_hours", j["response_half_life_hours"])
        c = cols(4)
        ed.field(c[0], "journey.follow_up.max_touches", j["follow_up"]["max_touches"])
        ed.field(c[1], "journey.follow_up.interval_days", j["follow_up"]["interval_days"])
        ed.field(c[2], "journey.follow_up.conversion_per_touch",
                 j["follow_up"]["conversion_per_touch"])
        ed.field(c[3], "journey.invoice.paid_probability", j["invoice"]["paid_probability"])


def _edit_clients(full: dict[str, Any], ed: _Editor, titles: dict[str, str]) -> None:
    """The value pyramid, churn and retention, win-back."""
    lang = ed.lang
    with _group("grp_pyramid", lang):
        for tier in full["tiers"]:
            c = cols(5)
            c[0].markdown(f"**{titles[tier['name']]}**")
            for i, name in enumerate(("price", "cost_of_goods", "purchase_interval_months",
                                      "upsell_probability")):
                ed.field(c[i + 1], f"tiers.{tier['name']}.{name}", tier[name])
    with _group("grp_churn", lang):
        for tier in full["tiers"]:
            c = cols(3)
            c[0].markdown(f"**{titles[tier['name']]}**")
            churn = tier["monthly_churn"]
            if isinstance(churn, dict) and "sbg" in churn:  # each client's own churn
                for i, name in enumerate(("alpha", "beta")):
                    ed.field(c[i + 1], f"tiers.{tier['name']}.monthly_churn.sbg.{name}",
                             churn["sbg"][name])
                continue
            ed.field(c[1], f"tiers.{tier['name']}.monthly_churn", churn)
            if tier.get("monthly_churn_no_result") is not None:
                ed.field(c[2], f"tiers.{tier['name']}.monthly_churn_no_result",
                         tier["monthly_churn_no_result"])
        c = cols(3)
        r = full["retention"]
        ed.field(c[0], "retention.enabled", r["enabled"])
        ed.field(c[1], "retention.churn_reduction", r["churn_reduction"])
        ed.field(c[2], "retention.cost_per_client_month", r["cost_per_client_month"])
    with _group("grp_winback", lang):
        c = cols(3)
        wb = full["win_back"]
        ed.field(c[0], "win_back.enabled", wb["enabled"])
        ed.field(c[1], "win_back.probability", wb["probability"])
        ed.field(c[2], "win_back.cost_per_attempt", wb["cost_per_attempt"])




def _defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw scenario with every default filled in (so each widget has a value to show); an
    invalid edit falls back to the base scenario's values."""
    try:
        return validate(raw).model_dump(mode="json", by_alias=True)
    except ScenarioError:
        base = read_yaml(state()["base_text"], state()["base_label"])
        return validate(base).model_dump(mode="json", by_alias=True)

