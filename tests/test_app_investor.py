"""The investor's page of the app (sim/app/pages/sensitivity.py) through streamlit's AppTest:
each question (Sobol and Morris, tornado, shocks, what breaks the plan) shows the library's
numbers on the fast engine, says what is wrong with bad input, and in Russian shows no English.
Small samples and the fewest replications the app allows, so each test takes seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from streamlit.testing.v1 import AppTest

from models.load import load_scenario, scenario_hash
from sim.app.pages import sensitivity as investor_page
from sim.experiments import sensitivity as sa
from sim.experiments import stress as stress_lib
from sim.report import sensitivity as report
from sim.report.i18n import SHARE_FIELDS, Lang, percent
from tests.test_app import latin_words, visible_texts

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
REPS = 10  # the fewest the app allows
# A short horizon of b2b_services: its uncertain parameters, correlations and goal, at a
# fraction of the cost of a run.
SCENARIO = yaml.safe_load((ROOT / "scenarios" / "b2b_services.yaml").read_text("utf-8"))
SCENARIO["horizon_months"] = 12
SCENARIO["goal"]["deadline_month"] = 12
TEXT = yaml.safe_dump(SCENARIO, allow_unicode=True)
# Sobol's and Morris's method terms, kept as they are in Russian
_TERMS = {"S1", "ST"}


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _investor(section: str, lang: Lang = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["base_text"] = TEXT
    at.session_state["base_label"] = "short.yaml"
    at.session_state["overrides"] = {}
    at.session_state["page"] = "sensitivity"
    at.session_state["inv_section"] = section
    at.run()
    _ok(at)
    if lang != "en":
        at.sidebar.radio(key="lang").set_value(lang).run()
    at.sidebar.number_input(key="reps").set_value(REPS).run()
    return _ok(at)


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    return _ok(at)


def _spec() -> Any:
    return load_scenario(SCENARIO)


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_sobol_shows_the_librarys_indices_by_parameter_and_by_lever() -> None:
    at = _investor("sobol")
    size = at.selectbox(key=next(s.key for s in at.selectbox if s.label == "Sample size N"))
    assert size.value == 256  # at 32 the intervals ran from −11% to 109%
    size.set_value(4)
    at.number_input(key=next(n.key for n in at.number_input
                             if n.label == "Runs per point")).set_value(1)
    _click(at, "Run the sensitivity analysis")
    spec = _spec()
    expected = sa.sobol(spec, 4, replications=1, seed=1, engine="fast", workers=1)
    shown = at.dataframe[0].value
    top = report.sobol_table(expected, "npv_profit", "en", spec=spec, formatted=True)
    row = top.iloc[0].tolist()  # the same indices, same order, each with its interval
    assert shown.iloc[0].tolist() == [row[0], f"{row[1]} [{row[2]} … {row[3]}]",
                                      f"{row[4]} [{row[5]} … {row[6]}]"]
    # at N = 4 the intervals are far too wide to quote: the page says so
    assert any("Too few points to quote these figures: at N = 4" in x.value for x in at.warning)
    # the scenario correlates its conversions: the analysis says what its indices mean
    assert any("correlates some assumptions" in i.value for i in at.info)
    by = next(r for r in at.radio if r.label == "Show")
    assert by.options == ["by assumption", "by lever", "by journey stage",
                          "by block of correlated assumptions (correlations imposed)"]
    by.set_value("lever").run()
    _ok(at)
    levers = set(at.dataframe[0].value["assumption"])
    assert levers == {report.w(g, "en") for g in expected.groups["lever"]["npv_profit"]["name"]}
    assert "by lever" in _charts(at)[0]["layout"]["title"]["text"]


def test_morris_screen_runs_from_the_same_page() -> None:
    at = _investor("sobol")
    next(r for r in at.radio if r.label == "Method").set_value("morris").run()
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "Sample size N")
                 ).set_value(4)
    _click(at, "Run the sensitivity analysis")
    spec = _spec()
    expected = sa.morris(spec, 4, replications=2, seed=1, engine="fast", workers=1)
    shown = at.dataframe[0].value
    assert shown.iloc[0, 0] == report.param_label(
        expected.indices["npv_profit"]["name"][0], "en", spec)
    assert "Screening (Morris)" in _charts(at)[0]["layout"]["title"]["text"]


def test_tornado_orders_the_assumptions_as_the_library_does() -> None:
    at = _investor("tornado")
    _click(at, "Build the tornado")
    spec = _spec()
    expected = sa.tornado(spec, replications=REPS, seed=1, engine="fast",
                          workers=1).table["npv_profit"]
    shown = at.dataframe[0].value
    assert list(shown["assumption"]) == [report.param_label(p, "en", spec)
                                         for p in expected["factor"]]
    # a share's P10 and P90 as percentages ('2.0%', not 0.020); other values as numbers
    share = [p.rsplit(".", 1)[-1] in SHARE_FIELDS for p in expected["factor"]]
    assert any(share) and not all(share)
    for is_share, value in zip(share, shown["P10 value"], strict=True):
        assert value.endswith("%") == is_share, (value, is_share)
    assert any(f"{REPS} replications · seed 1" in c.value for c in at.caption)


def test_shocks_show_p_goal_of_each_preset_and_own_shock() -> None:
    at = _investor("stress")
    at.text_area[0].set_value("tiers.*.monthly_churn:scale:2")
    _click(at, "Run the shocks")
    spec = _spec()
    shocks = [stress_lib.preset(spec, p, 3, 6) for p in ("recession", "churn_spike")]
    shocks.append(stress_lib.custom_shock(spec, ["tiers.*.monthly_churn:scale:2"], 3, 6,
                                          name="custom:1"))
    table = stress_lib.stress_test(spec, shocks, replications=REPS, seed=1, engine="fast",
                                   workers=1).table()
    shown = at.dataframe[0].value.set_index("shock")
    assert list(shown.index) == ["The plan (no shock)", "recession", "churn spike",
                                 "own shock 1"]
    assert [v.split(" [")[0] for v in shown["P(goal) [95%]"]] == [
        percent(p, "en") for p in table["p_goal"]]
    assert len(_charts(at)) == 2
    # the NPV axis in the currency ('RUB 200M', not '200M')
    ticks = _charts(at)[1]["layout"]["yaxis"]["ticktext"]
    assert ticks and all("RUB" in text for text in ticks if text != "0"), ticks
    assert any("tiers.*.monthly_churn:scale:2" in m.value for m in at.markdown)


def test_a_bad_own_shock_is_named_with_its_fix() -> None:
    at = _investor("stress", "ru")
    at.text_area[0].set_value("tiers.*.monthly_churn:times:2")
    _click(at, "Запустить шоки")
    assert at.error and "scale" in at.error[0].value and "умножить" in at.error[0].value
    assert not at.dataframe


def test_reverse_stress_table_names_what_breaks_the_plan() -> None:
    at = _investor("reverse")
    next(r for r in at.radio if r.label == "The plan is broken when").set_value("npv").run()
    conversion = "journey.first_contact_conversion:down"
    at.multiselect[0].set_value([conversion])
    _click(at, "Find what breaks the plan")
    spec = _spec()
    targets = [*stress_lib.lever_targets(spec), stress_lib.parameter_target(conversion)]
    expected = stress_lib.reverse_stress(spec, targets, criterion="npv", replications=REPS,
                                         seed=1, tolerance=0.02, engine="fast", workers=1)
    shown = at.dataframe[0].value
    assert shown.equals(report.reverse_table(expected, "en", spec))
    assert set(shown["what is shocked"]) == {
        "leads", "conversion", "average check", "purchase frequency", "churn",
        report.target_label(conversion, "en", spec)}
    assert report.target_label(conversion, "en", spec).endswith("(down)")


def test_russian_investor_page_shows_no_english() -> None:
    for section, run in (("sobol", "Запустить анализ чувствительности"),
                         ("tornado", "Построить торнадо"), ("stress", "Запустить шоки"),
                         ("reverse", "Найти, что ломает план")):
        at = _investor(section, "ru")
        if section == "sobol":
            at.selectbox(key=next(s.key for s in at.selectbox if s.label == "Размер выборки")
                         ).set_value(4)
            at.number_input(key=next(n.key for n in at.number_input
                                     if n.label == "Прогонов на точку")).set_value(1)
        if section == "stress":
            at.multiselect[0].set_value(["recession", "channel_off:yandex_direct"])
            at.checkbox[0].check()
        _click(at, run)
        assert at.dataframe, section
        texts = visible_texts(at)
        if section == "sobol":  # every grouping's words
            for by in ("lever", "stage", "block"):
                next(r for r in at.radio if r.label == "Показать").set_value(by).run()
                texts += visible_texts(_ok(at))
        bad = {x[:90]: words for x in texts
               if (words := [w for w in latin_words(x) if w not in _TERMS])}
        assert not bad, f"{section}: text without Russian words: {bad}"


def test_sobol_answers_quickly_then_refines_and_stop_keeps_the_quick_answer(
        monkeypatch: Any) -> None:
    # the app runs in this process: a quick answer at N = 2 keeps the test short
    monkeypatch.setattr(investor_page, "QUICK_SAMPLE", 2)
    at = _investor("sobol")
    sfx = scenario_hash(_spec())
    # 2 runs per point: not the analysis another test of this process has cached
    for key, value in (("inv_method", "sobol"), ("inv_n", 4), ("inv_reps", 2)):
        at.session_state[f"{key}:{sfx}"] = value
    # as after a press of Stop while refining: the request stands, the refinement stopped
    at.session_state[f"inv_sobol_settings:{sfx}"] = ("sobol", 4, 2)
    runs = sa.planned_runs(_spec(), "sobol", 4, 2)
    at.session_state["stopped"] = ("sensitivity", sfx, "sobol", 2, 4, runs, 1)
    at.run()
    _ok(at)
    assert any("N = 2 ·" in c.value for c in at.caption)  # the quick answer stays
    assert at.main.children[0].label == "Refine to N = 4"  # at the top of the page
    _click(at, "Refine to N = 4")
    assert any("N = 4 ·" in c.value for c in at.caption)
    assert not any("N = 2 ·" in c.value for c in at.caption)  # replaced in place
    assert not any(b.label.startswith("Refine") for b in at.button)
