"""The investor page's question "what is worth learning first" (sim/app/pages/voi.py) through
streamlit's AppTest: it shows the library's EVPI and EVPPI (sentences, chart with intervals,
tables), says what is wrong when there is nothing to decide or too few replications, and in
Russian shows no English. A short horizon, two bets and 20 replications keep it to seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from streamlit.testing.v1 import AppTest

from models.load import load_scenario
from sim.experiments.voi import value_of_information
from sim.report import voi as report
from tests.test_app import latin_words, visible_texts

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
REPS = 20  # the fewest the analysis takes
BETS = ["invoice_collection", "referral_programme"]  # a choice some assumptions sway
SCENARIO = yaml.safe_load((ROOT / "scenarios" / "b2b_services.yaml").read_text("utf-8"))
SCENARIO["horizon_months"] = 6
SCENARIO["goal"]["deadline_month"] = 6
_TERMS = {"EVPI", "EVPPI"}  # the method's names, kept as they are in Russian


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _section(lang: str = "en", reps: int = REPS, scenario: dict[str, Any] = SCENARIO
             ) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["base_text"] = yaml.safe_dump(scenario, allow_unicode=True)
    at.session_state["base_label"] = "short.yaml"
    at.session_state["overrides"] = {}
    at.session_state["page"] = "sensitivity"
    at.session_state["inv_section"] = "voi"
    at.run()
    _ok(at)
    if lang != "en":
        at.sidebar.radio(key="lang").set_value(lang).run()
    at.sidebar.number_input(key="reps").set_value(reps).run()
    return _ok(at)


def _run(at: AppTest, lang: str = "en") -> AppTest:
    at.multiselect[0].set_value(BETS).run()
    label = report.w("run", "ru" if lang == "ru" else "en")
    next(b for b in at.button if b.label == label).click().run()
    return _ok(at)


def test_the_section_shows_the_librarys_value_of_information() -> None:
    at = _run(_section())
    section = next(r for r in at.radio if r.label == "Question")
    assert "What is worth learning first" in section.options
    spec = load_scenario(SCENARIO)
    expected = value_of_information(spec, BETS, replications=REPS, seed=1, workers=1)
    shown = at.dataframe[0].value
    table = report.parameter_table(expected, "en", spec)
    assert shown.values.tolist() == table.values.tolist()
    info = "\n".join(i.value for i in at.info)
    assert "Chosen on today's knowledge" in info
    assert any(line.replace("$", "\\$") in info
               for line in report.summary_lines(expected, "en", spec)[-2:-1])
    [chart] = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    bars = chart["data"][0]
    assert sorted(bars["x"]) == sorted(e.estimate for e in expected.evppi.values())
    assert max(bars["x"]) > 0  # (a choice in which something is worth knowing)
    assert bars["error_x"]["array"]  # the intervals are drawn
    assert "What knowing each assumption" in chart["layout"]["title"]["text"]
    # the tables by lever and by journey stage
    assert {c.value for c in at.caption} >= {"by lever", "by journey stage"}
    assert len(at.dataframe) == 3
    assert [d.proto.label for d in at.get("download_button")]


def test_russian_section_shows_no_english() -> None:
    at = _run(_section("ru"), "ru")
    assert at.dataframe
    bad = {x[:90]: words for x in visible_texts(at)
           if (words := [w for w in latin_words(x) if w not in _TERMS])}
    assert not bad, f"text without Russian words: {bad}"


def test_too_few_replications_and_no_bets_are_said_not_run() -> None:
    at = _run(_section(reps=10))
    assert any("at least 20 replications" in w.value for w in at.warning)
    assert not at.dataframe
    lonely = {**SCENARIO, "bets": []}
    at = _section(scenario=lonely)
    assert any("no decision to value" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == report.w("run", "en")]
