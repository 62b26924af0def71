"""Every page of the Streamlit app through streamlit's AppTest: load an example, change a widget,
run, and check that the numbers shown are the library's; switch the language mid-edit; and in
Russian, find no text a user sees without its Russian words."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from models.compiled.bets import stress_shocks
from models.load import load_scenario, scenario_hash
from models.words import Lang, t
from models.words.formats import money, number, percent
from sim.experiments.compare import compare_bets
from sim.experiments.montecarlo import run_monte_carlo
from sim.report import owner

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
REPS = 10  # the fewest the app allows: fast, and enough for the scenarios' correlations


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    return _ok(at)


def _lang(at: AppTest, lang: Lang) -> AppTest:
    at.sidebar.radio(key="lang").set_value(lang).run()
    return _ok(at)


def _page(at: AppTest, page: str, lang: Lang = "en") -> AppTest:
    at.sidebar.radio(key=f"page@{lang}").set_value(page)
    at.sidebar.number_input(key="reps").set_value(REPS)
    at.run()
    return _ok(at)


def _field(at: AppTest, path: str) -> Any:
    """The editing widget of a parameter path (its key ends with the path)."""
    widgets = [*at.number_input, *at.text_input, *at.text_area, *at.selectbox, *at.checkbox]
    return next(w for w in widgets if w.key and w.key.startswith("edit:")
                and w.key.endswith(f":{path}"))


def _number(at: AppTest, label: str) -> Any:
    return next(w for w in at.number_input if w.label.startswith(label))


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    return _ok(at)


def test_scenario_page_loads_an_example_and_edits_it() -> None:
    at = _app()
    assert "IT services for companies (rubles): 36 months" in at.success[0].value
    # Examples are named in words; a first visit says what to do first.
    example = at.selectbox(key="example@en")
    assert "Online coffee and tea shop (rubles)" in example.options
    assert any(i.value.startswith("**Start here.**") for i in at.info)
    example.set_value("subscription").run()
    assert "currency: US dollars" in at.success[0].value
    # A change that breaks the goal (deadline after the horizon) is shown at the field.
    _field(at, "horizon_months").set_value(12).run()
    assert not at.success
    general = at.expander[0]
    assert any("after the horizon" in e.value for e in general.error)  # under the field
    assert any("Deadline month" in e.value for e in at.error)  # the summary names it
    _field(at, "goal.deadline_month").set_value(12).run()
    assert "12 months" in at.success[0].value
    assert at.download_button
    # Undo restores the example, in the widgets too.
    next(b for b in at.button if b.label == "Undo my edits").click().run()
    assert "36 months" in at.success[0].value
    assert _field(at, "horizon_months").value == 36
    # The goal's metric is a choice of identifiers, shown in words.
    _field(at, "goal.metric").set_value("monthly_profit").run()
    assert at.success and _field(at, "goal.metric").value == "monthly_profit"


def test_fields_are_readable_and_explained() -> None:
    at = _app()
    target = _field(at, "goal.target")
    assert target.value == "27,000,000"  # money with thousands separators
    assert "goal" in target.help and "goal.target" not in target.help  # meaning, not the path
    lost = _field(at, "journey.lost_unprocessed")
    assert lost.label.endswith(", %") and abs(lost.value - 8.0) < 1e-9  # a share as a percentage
    leads = _field(at, "channels.yandex_direct.max_leads")
    assert leads.value == "{dist: triangular, low: 120, mode: 160, high: 200}"  # in full
    assert any("between 120 and 200, most likely 160" in c.value for c in at.caption)
    # Typed as people type: separators and percentages come back as the scenario's numbers.
    target.set_value("25 000 000").run()
    lost = _field(at, "journey.lost_unprocessed")
    lost.set_value(10.0).run()
    assert at.session_state["overrides"] == {"goal.target": 25_000_000,
                                             "journey.lost_unprocessed": 0.1}
    assert at.success
    # Text that is not a number is an error at that field, and the section stays in place.
    _field(at, "goal.target").set_value("lots").run()
    assert any("goal.target" in e.value or "number" in e.value for e in at.expander[0].error)
    assert not at.success


def test_switching_language_mid_edit_keeps_the_scenario_on_every_page() -> None:
    """A widget's value must never be its label in some language."""
    at = _app()
    at.sidebar.number_input(key="reps").set_value(REPS)
    _field(at, "horizon_months").set_value(30).run()
    _lang(at, "ru")
    # The Russian widgets show the edit, and editing in Russian adds to it.
    assert _field(at, "horizon_months").value == 30
    assert _field(at, "goal.target").value == "27\u00a0000\u00a0000"
    _field(at, "goal.target").set_value("25 000 000").run()
    _field(at, "goal.metric").set_value("monthly_profit").run()
    _lang(at, "en")
    _field(at, "sales.managers").set_value(4).run()
    assert at.session_state["overrides"] == {
        "horizon_months": 30, "goal.target": 25_000_000, "goal.metric": "monthly_profit",
        "sales.managers": 4}
    assert at.success and not at.error
    for page in ("dashboard", "compare", "stress"):
        at.sidebar.radio(key="page@en").set_value(page).run()
        _lang(at, "ru")
        assert not any("ошибки" in w.value for w in at.warning), page
        assert at.header[0].value != "Сценарий"
        _lang(at, "en")
    # The page and the compare settings survive the switch too.
    at.sidebar.radio(key="page@en").set_value("compare").run()
    at.multiselect[0].set_value(["more_ads"]).run()
    _lang(at, "ru")
    assert at.multiselect[0].value == ["more_ads"]
    assert at.multiselect[0].options[0] == "Больше рекламы в Директе"
    assert at.header[0].value == "Сравнение вариантов вложений"


def test_bad_upload_shows_each_problem_and_keeps_the_scenario() -> None:
    at = _app()
    at.file_uploader(key="upload").set_value(
        ("broken.yaml", b"name: x\nchannels: [\n  - {name: a\n", "application/x-yaml")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("broken.yaml" in e for e in errors)
    assert any("not valid YAML" in e for e in errors)
    assert "IT services for companies" in at.success[0].value  # the current scenario is kept

    bad = (ROOT / "scenarios" / "b2b_services.yaml").read_text(
        encoding="utf-8").replace("paid_probability: 0.8", "paid_probability: 1.7")
    at.file_uploader(key="upload").set_value(("bad.yaml", bad.encode(), "application/x-yaml"))
    at.run()
    errors = [e.value for e in at.error]
    assert any("(`journey.invoice.paid_probability`): must lie in [0, 1]" in e for e in errors)
    _lang(at, "ru")  # the same problem in Russian
    errors = [e.value for e in at.error]
    assert any("**Доля оплаченных счетов** (`journey.invoice.paid_probability`): должно "
               "лежать в [0, 1]" in e for e in errors)


def test_good_upload_replaces_the_scenario() -> None:
    at = _app()
    text = (ROOT / "scenarios" / "ecommerce.yaml").read_bytes()
    at.file_uploader(key="upload").set_value(("shop.yaml", text, "application/x-yaml")).run()
    assert "Online coffee and tea shop (rubles)" in at.success[0].value


def test_dashboard_shows_the_library_numbers(b2b_monte_carlo_fast: Any) -> None:
    at = _page(_app(), "dashboard")
    assert b2b_monte_carlo_fast.replications == REPS
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    s = b2b_monte_carlo_fast.summary()
    assert _metric(at, "Revenue") == money(s["total_revenue"]["mean"], "RUB", "en", compact=True)
    assert _metric(at, "CAC") == money(s["cac"]["mean"], "RUB", "en")
    assert _metric(at, "ROMI") == percent(s["romi"]["mean"], "en")
    assert any(f"{REPS} replications · seed 1" in c.value for c in at.caption)
    # after the costs, channels and segments tables
    counts, monthly, leaks = (at.dataframe[i].value for i in range(3, 6))
    assert len(monthly) == len(counts) == spec.horizon_months
    # Every column of the month-by-month view, costs and profit included, in two tables
    # narrow enough for the page.
    assert {"Leads", "New paying clients"} <= set(counts.columns)
    assert {"All costs", "Profit", "Cumulative profit"} <= set(monthly.columns)
    assert len(monthly.columns) <= 8
    assert leaks["Stage"].iloc[0] == "Lost in the CRM (never processed)"
    assert leaks["Revenue had they not been lost there"].iloc[2] == money(
        s["lost_first_contact_revenue"]["mean"], "RUB", "en")
    assert leaks["Advertising spent on them"].iloc[0] == money(
        s["lost_unprocessed_ad_spend"]["mean"], "RUB", "en")
    assert leaks["Options that target it"].iloc[1] == "Two more sales managers"
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 5
    # New clients on their own axis beside leads; "Where money leaks" once (the heading).
    assert charts[0]["data"][1]["yaxis"] == "y2"
    assert sum(h.value == "Where money leaks" for h in at.subheader) == 1
    assert not charts[4]["layout"].get("title", {}).get("text")
    # The quick answer's progress is gone; the first visit's hint too, once results were seen.
    assert not at.get("progress")

    # Russian, and another seed: other numbers, the seed shown, money axes in millions of ₽.
    _lang(at, "ru")
    at.sidebar.number_input(key="seed").set_value(2).run()
    s2 = run_monte_carlo(spec, replications=REPS, seed=2, engine="fast").summary()
    assert _metric(at, "Выручка") == money(s2["total_revenue"]["mean"], "RUB", "ru",
                                           compact=True)
    assert any("серия 2" in c.value for c in at.caption)
    revenue = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert any("млн\u00a0₽" in tick for tick in revenue["layout"]["yaxis"]["ticktext"])


def test_dashboard_follows_the_edits() -> None:
    at = _app()
    _field(at, "horizon_months").set_value(12).run()
    _field(at, "goal.deadline_month").set_value(12).run()
    at = _page(at, "dashboard")
    assert len(at.dataframe[3].value) == 12  # month by month, after costs, channels, segments
    # The first visit's hint is gone once results were seen.
    at.sidebar.radio(key="page@en").set_value("scenario").run()
    assert not any(i.value.startswith("**Start here.**") for i in at.info)


def test_invalid_scenario_blocks_results_pages() -> None:
    at = _app()
    _field(at, "horizon_months").set_value(6).run()
    at = _page(at, "dashboard")
    assert at.warning and any("goal.deadline_month" in e.value for e in at.error)
    assert not at.metric


def test_compare_bets_shows_the_ranked_table_of_the_library() -> None:
    at = _page(_app(), "compare")
    assert not at.dataframe  # nothing runs before Compare is pressed
    at.multiselect[0].set_value(["more_ads", "two_more_managers"])
    _click(at, "Compare")
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    cmp = compare_bets(spec, ["more_ads", "two_more_managers"], replications=REPS, seed=1,
                       engine="fast")
    table = cmp.table()
    shown = at.dataframe[0].value
    names = {"baseline": "The plan (no change)", "more_ads": "More Yandex Direct ads",
             "two_more_managers": "Two more sales managers"}
    assert list(shown["Option"]) == [names[b] for b in table["bet"]]
    assert list(shown["Goal by deadline"]) == [percent(p, "en") for p in table["p_goal"]]
    assert list(shown["Fastest to goal"]) == [percent(p, "en") for p in table["p_best_time"]]
    # the decision columns come first; intervals and what changes per bet follow
    assert list(shown.columns[:4]) == ["Option", "Goal by deadline", "Best NPV",
                                       "Fastest to goal"]
    intervals, changes = at.dataframe[1].value, at.dataframe[2].value
    assert "Incremental NPV [95% CI]" in intervals.columns
    assert list(intervals["Cost"]) == [money(c, "RUB", "en") for c in table["cost"]]
    ads = cmp.paired("more_ads", "customer_equity")
    row = changes.set_index("Option").loc["More Yandex Direct ads"]
    assert row["Customer equity"] == money(ads["mean"], "RUB", "en", compact=True)
    assert {"CLTV with later years", "CAC"} <= set(changes.columns)
    # the same with intervals, in the expander below
    row = at.dataframe[3].value.set_index("Option").loc["More Yandex Direct ads"]
    cell = row["Customer equity"]
    assert cell.startswith(money(ads["mean"], "RUB", "en", compact=True) + " [")
    assert money(ads["ci_high"], "RUB", "en", compact=True) + "]" in cell
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Tables (Excel)", "Tables (CSV, zip)", "Report (HTML)"]
    assert any(f"{REPS} replications · seed 1" in c.value for c in at.caption)
    # ROI and months to goal ranked, extra profit as small multiples, levers
    assert len(at.get("plotly_chart")) == 3
    # the decision summary opens the page: the library's leader, by its title
    leader = str(table.iloc[0]["bet"])
    boxes = [b.value for b in [*at.success, *at.info]]
    keep = leader == "baseline"
    assert any(b.startswith("Recommended: keep" if keep else f"Recommended: {names[leader]}")
               for b in boxes), boxes

    # Another scenario has other bets: its own choice, nothing carried over.
    at.sidebar.radio(key="page@en").set_value("scenario").run()
    at.selectbox(key="example@en").set_value("subscription").run()
    at.sidebar.radio(key="page@en").set_value("compare").run()
    assert not at.exception and not at.dataframe
    at.sidebar.radio(key="page@en").set_value("scenario").run()
    at.selectbox(key="example@en").set_value("b2b_services").run()
    at.sidebar.radio(key="page@en").set_value("compare").run()
    assert at.dataframe  # back to the first scenario: its cached comparison

    # A budget that fits no bet says so instead of running.
    _number(at, "Budget: a total over the whole horizon").set_value(1000.0)
    _click(at, "Compare")
    assert at.warning


def test_stress_test_shows_p_goal_per_shock() -> None:
    at = _page(_app(), "stress")
    _number(at, "Shock starts").set_value(2)
    _number(at, "Lasts").set_value(12)
    _click(at, "Run the stress test")
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    table = compare_bets(spec, stress_shocks(spec, 2, 12), replications=REPS,
                         seed=1, engine="fast").table().set_index("bet")
    shown = at.dataframe[0].value.set_index("Shock")
    assert shown.loc["Fewer leads (−30%)", "Chance of the goal"] == percent(
        table.loc["fewer_leads", "p_goal"], "en")
    assert shown.loc["The plan (no change)", "Chance of the goal"] == percent(
        table.loc["baseline", "p_goal"], "en")
    assert len(shown) == 6
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 2
    box_ticks = charts[0]["layout"]["yaxis"]["ticktext"]  # the box plot's unit: money
    assert any(tick.startswith("RUB\u00a0") for tick in box_ticks)  # the currency's code
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Tables (Excel)", "Tables (CSV, zip)", "Report (HTML)"]
    assert any("fast engine" in c.value for c in at.caption)


def test_dashboard_answers_the_owners_questions_and_downloads(b2b_monte_carlo_fast: Any
                                                            ) -> None:
    """The owner's questions: new clients over the horizon, what a client costs at each
    stage, CLTV with and without its tail, per channel; the page's files to take away."""
    at = _page(_app(), "dashboard")
    result = b2b_monte_carlo_fast
    s = result.summary()
    clients = number(s["total_new_clients"]["mean"], "en")
    assert any(m.value.startswith(f"New clients over 36 months: {clients}") for m in at.markdown)
    costs = at.dataframe[0].value.set_index("What")
    assert costs.loc["To win (CAC)", "Mean"] == money(s["cac"]["mean"], "RUB", "en")
    assert costs.loc["Value with later years (CLTV with tail)", "Mean"] == money(
        s["cltv_with_tail"]["mean"], "RUB", "en")
    assert "To bring to a result (onboarding)" in costs.index
    shown = at.dataframe[1].value.set_index("What").T  # a column per channel (fits 1280 px)
    library = owner.channels(result).set_index("channel")
    assert shown.loc["Yandex Direct ads", "Leads"] == number(
        library.loc["yandex_direct", "leads"], "en")
    assert shown.loc["Yandex Direct ads", "Advertising per new client"] == money(
        library.loc["yandex_direct", "cac_channel"], "RUB", "en", compact=True)
    assert "Referrals" in shown.index
    assert shown.loc["Yandex Direct ads", "Revenue of its clients"] == money(
        library.loc["yandex_direct", "revenue"], "RUB", "en", compact=True)
    # per segment: who came, bought, for how much, at what acquisition cost, what was lost
    segments = at.dataframe[2].value.set_index("What")  # a column per segment
    by_segment = owner.segments(result).set_index("segment")
    assert list(segments.columns) == ["Small and medium businesses", "Large companies"]
    assert segments.loc["New paying clients", "Large companies"] == number(
        by_segment.loc["enterprise", "new_clients"], "en")
    assert segments.loc["Money lost (leads and clients)", "Small and medium businesses"] == money(
        by_segment.loc["smb", "lost_value"], "RUB", "en", compact=True)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Tables (Excel)", "Tables (CSV, zip)", "Report (HTML)"]


def test_results_pages_use_the_fast_engine_and_check_with_the_agent_model() -> None:
    """The fast engine by default; the toggle runs the same call on the agent
    model, and it survives a language switch."""
    at = _page(_app(), "dashboard")
    assert any("fast engine" in c.value for c in at.caption)
    at.toggle(key="use_agent@en").set_value(True).run()
    _ok(at)
    assert any("agent model" in c.value for c in at.caption)
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    agent = run_monte_carlo(spec, replications=REPS, seed=1, engine="agent").summary()
    assert _metric(at, "Revenue") == money(agent["total_revenue"]["mean"], "RUB", "en",
                                           compact=True)
    _lang(at, "ru")
    assert at.toggle(key="use_agent@ru").value is True
    assert any("агентная модель" in c.value for c in at.caption)
    for page in ("compare", "stress"):  # the same toggle on every results page
        at.sidebar.radio(key="page@ru").set_value(page).run()
        assert at.toggle(key="use_agent@ru").value is True


def test_segments_are_editable() -> None:
    at = _app()
    _field(at, "segments.enterprise.price_multiplier").set_value(2.0).run()
    assert at.session_state["overrides"] == {"segments.enterprise.price_multiplier": 2.0}
    assert at.success
    share = _field(at, "segments.smb.share")
    assert share.label == "Share of leads, %" and abs(share.value - 80.0) < 1e-9  # in %
    share.set_value(70.0).run()  # the shares no longer add up to 100 %
    assert at.session_state["overrides"]["segments.smb.share"] == 0.7
    assert not at.success and at.error


def test_quick_answer_first_then_refined_and_stop_keeps_it() -> None:
    at = _app()
    sfx = scenario_hash(load_scenario(ROOT / "scenarios" / "b2b_services.yaml"))
    # as after a press of Stop during the refinement (of this question: seed 1, 30 runs)
    at.session_state["stopped"] = ("forecast", sfx, "agent", 30, 1)
    at.session_state["use_agent"] = True  # the agent model's quick answer: 20 replications
    at.sidebar.radio(key="page@en").set_value("dashboard")
    at.sidebar.number_input(key="reps").set_value(30).run()
    _ok(at)
    assert any("20 replications · seed 1" in c.value for c in at.caption)  # the quick answer
    # stopped there, the quick answer is the page's answer: it can be taken away
    stopped_downloads = [b.proto.label for b in at.get("download_button")]
    assert any("HTML" in label for label in stopped_downloads), stopped_downloads
    # Refine sits at the top of the page, above the results.
    assert at.main.children[0].label == "Refine to 30 replications"
    _click(at, "Refine to 30 replications")
    assert any("30 replications · seed 1" in c.value for c in at.caption)
    assert not any("20 replications" in c.value for c in at.caption)  # replaced in place
    assert not any(b.label.startswith("Refine") for b in at.button)
    assert sum(b.label == "Stop" for b in at.button) == 0  # nothing runs: no Stop


# --- Russian mode: every text a user sees has Russian words ---------------------------------------

# The methodology's terms, units and formats kept as they are in Russian, product names.
_ALLOWED = {"CLTV", "CAC", "ROMI", "NMC", "ROS", "RR", "NPV", "ROI", "YAML", "CSV", "CRM",
            "PERT", "GrowthSim", "Google", "Ads", "UTF", "Excel", "HTML", "zip"}
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def latin_words(text: str) -> list[str]:
    """Latin words of a text outside code spans (`path`, file names, YAML) and the allowed
    terms; quantiles (P10, P50, P90) are terms too."""
    plain = re.sub(r"`[^`]*`|<br>", "", text)  # (a chart title's line break is markup)
    return [w for w in _LATIN.findall(plain)
            if w not in _ALLOWED and not re.fullmatch(r"P\d+", w)]


def _plotly_texts(spec: dict[str, Any]) -> list[str]:
    layout = spec.get("layout", {})
    texts = [layout.get("title", {}).get("text", "")]
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            texts.append(axis.get("title", {}).get("text", ""))
            texts.extend(axis.get("ticktext", []))
    for trace in spec.get("data", []):
        texts.append(str(trace.get("name", "")))
        for key in ("x", "text"):
            values = trace.get(key)
            if isinstance(values, list):
                texts.extend(v for v in values if isinstance(v, str))
    return texts


def visible_texts(at: AppTest) -> list[str]:
    """What a page shows: headings, text, notes, labels and help of every widget and metric,
    options, table headers and cells, chart titles, axes, ticks and legends."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success",
                 "warning", "error"):
        texts += [e.value for e in getattr(at, kind)]
    for kind in ("button", "number_input", "text_input", "text_area", "selectbox",
                 "multiselect", "radio", "checkbox", "slider", "expander"):
        for w in getattr(at, kind):
            if w.key == "lang":  # the language switch names each language in its own words
                continue
            texts += [w.label, getattr(w, "help", "") or ""]
            texts += [str(o) for o in getattr(w, "options", []) or []]
    for m in at.metric:
        texts += [m.label, m.value, m.help or ""]
    for kind in ("download_button", "file_uploader"):
        texts += [e.proto.label for e in at.get(kind)]
    for frame in at.dataframe:
        df = frame.value
        texts += [str(c) for c in df.columns]
        texts += [v for col in df.columns for v in df[col] if isinstance(v, str)]
    for chart in at.get("plotly_chart"):
        texts += _plotly_texts(json.loads(chart.proto.spec))
    return [x for x in texts if x]


def _no_english(at: AppTest, where: str) -> None:
    found = {text: latin_words(text) for text in visible_texts(at)}
    bad = {text[:90]: words for text, words in found.items() if words}
    assert not bad, f"{where}: text without Russian words: {bad}"


def test_russian_mode_shows_no_english() -> None:
    at = _lang(_app(), "ru")
    for stem in ("b2b_services", "ecommerce", "subscription", "reference"):
        at.selectbox(key="example@ru").set_value(stem).run()
        for section in at.expander:  # open sections show their fields
            assert section.label
        _no_english(at, f"scenario page, {stem}")
    at.selectbox(key="example@ru").set_value("b2b_services").run()
    _field(at, "horizon_months").set_value(6).run()  # an invalid edit: errors in Russian
    assert at.error
    _no_english(at, "scenario page with a problem")
    _page(at, "dashboard", "ru")
    assert at.warning
    _no_english(at, "dashboard blocked by a problem")
    at.sidebar.radio(key="page@ru").set_value("scenario").run()
    _click(at, "Отменить правки")
    for page, run in (("dashboard", None), ("compare", "Сравнить"),
                      ("stress", "Запустить стресс-тест")):
        _page(at, page, "ru")
        if page == "compare":
            at.multiselect[0].set_value(["more_ads", "two_more_managers"])
            at.selectbox[0].set_value(2)  # portfolios too: 'a + b' named in words
        if run:
            _click(at, run)
        assert at.get("plotly_chart"), page
        _no_english(at, page)


def test_fast_engine_quick_answer_has_at_least_200_replications() -> None:
    """At 20 replications a bet's NPV interval flipped sign."""
    at = _app()
    sfx = scenario_hash(load_scenario(ROOT / "scenarios" / "b2b_services.yaml"))
    # keep the quick answer: nothing refines
    at.session_state["stopped"] = ("forecast", sfx, "fast", 1000, 1)
    at.sidebar.radio(key="page@en").set_value("dashboard")
    at.sidebar.number_input(key="reps").set_value(1000).run()
    _ok(at)
    assert any("200 replications · seed 1 · " in c.value and "fast engine" in c.value
               for c in at.caption)
def test_optimise_page_recommends_an_allocation_in_both_languages() -> None:
    at = _page(_app(), "optimise")
    assert not at.dataframe  # nothing runs before the button is pressed
    _number(at, "Allocations to try").set_value(5)
    _click(at, "Find the allocation")
    assert len(at.dataframe) == 3  # allocation, the finalists' figures, the marginal returns
    assert list(at.dataframe[0].value.columns)[:3] == ["What is decided", "Today", "Recommended"]
    assert any("Managers" in v for v in at.dataframe[0].value["What is decided"])
    assert len(at.get("plotly_chart")) == 3
    assert any(f"{REPS} replications · seed 1" in c.value for c in at.caption)
    _lang(at, "ru")  # the cached answer, in Russian words
    assert at.dataframe
    _no_english(at, "optimise page")


def test_the_payback_column_says_it_is_not_discounted() -> None:
    """An option can pay back in month 34 and still lose money in NPV terms: the payback
    column's help says payback adds profit up without discounting, in both languages."""
    from sim.app.pages.compare import _column_help

    for lang, word in (("en", "without discounting"), ("ru", "без дисконтирования")):
        column = _column_help(lang)[t("owner.payback", lang)]
        assert word in str(column), (lang, column)


def test_sbg_churn_is_editable() -> None:
    """A tier whose churn is the sBG model shows its alpha and beta, named in the owner's words,
    and an edit reaches the scenario."""
    raw = yaml.safe_load((ROOT / "scenarios" / "subscription.yaml").read_text(encoding="utf-8"))
    tier = raw["tiers"][0]
    tier.pop("monthly_churn_no_result", None)
    tier["monthly_churn"] = {"sbg": {"alpha": 0.704, "beta": 1.182}}
    at = _app()
    at.file_uploader(key="upload").set_value(
        ("sbg.yaml", yaml.safe_dump(raw, allow_unicode=True).encode(), "application/x-yaml")
    ).run()
    _ok(at)
    alpha = _field(at, f"tiers.{tier['name']}.monthly_churn.sbg.alpha")
    assert alpha.label == "Churn spread: alpha" and alpha.value == pytest.approx(0.704)
    alpha.set_value(0.9).run()
    assert at.session_state["overrides"] == {f"tiers.{tier['name']}.monthly_churn.sbg.alpha": 0.9}
    assert at.success and not at.error
