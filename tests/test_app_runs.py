"""How the app runs an answer: a chart that fails does not take the page down (and charts fit
any number of options), a Stop stops one question only, and the fast engine's first start says
what happens instead of looking hung."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from models.load import load_scenario, scenario_hash
from sim.app import running
from sim.report import charts
from tests.test_app import ROOT, _app, _click, _ok

B2B = ROOT / "scenarios" / "b2b_services.yaml"


def _panels(n: int) -> pd.DataFrame:
    months = np.arange(1, 13)
    rows = []
    for i in range(n):
        name = f"Follow-up script and CRM + More Yandex Direct ads + option number {i}"
        for m in months:
            rows.append({"bet": name, "month": m, "mean": 1e5 * i, "p10": -1e5, "p90": 2e5 * i})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n", [1, 6, 28, 41])
def test_small_multiples_fit_any_number_of_options(n: int) -> None:
    """Six options combined three at a time are 41 panels: the fixed spacing between rows
    failed plotly's check from 28 panels on; long names are wrapped to a panel's width."""
    fig = charts.incremental_profit(_panels(n), "ru", "RUB", "title")
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == n
    width = 40 if n >= 3 else 60  # a third of the page, or more with fewer panels
    assert all(len(line) <= width for title in titles for line in title.split("<br>"))
    # the rows do not overlap: each panel's domain ends below the next one's start
    domains = sorted({tuple(fig.layout[k].domain) for k in fig.layout if k.startswith("yaxis")})
    assert all(a[1] < b[0] for a, b in itertools.pairwise(domains))


def _failing_chart_page(lang: str) -> None:
    import streamlit as st

    from sim.app.widgets import chart

    def broken() -> None:
        raise ValueError("Vertical spacing cannot be greater than (1 / (rows - 1))")

    chart(st, broken, "broken", lang)  # type: ignore[arg-type]
    st.write("the rest of the page")


@pytest.mark.parametrize(("lang", "words"), [("en", "could not be drawn"),
                                              ("ru", "не удалось построить")])
def test_a_chart_that_fails_is_reported_in_words_and_the_page_goes_on(
        lang: str, words: str) -> None:
    at = AppTest.from_function(_failing_chart_page, args=(lang,)).run()
    assert not at.exception
    assert words in at.error[0].value
    assert "Vertical spacing" not in at.error[0].value
    assert at.markdown[-1].value == "the rest of the page"


def test_compare_three_options_combined_refines_and_downloads() -> None:
    at = _app()
    at.sidebar.radio(key="page@en").set_value("compare")
    at.sidebar.number_input(key="reps").set_value(10)
    at.run()
    sfx = scenario_hash(load_scenario(B2B))
    at.selectbox(key=f"cmp_max:{sfx}@en").set_value(3).run()
    _click(at, "Compare")
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 3
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Tables (Excel)", "Tables (CSV, zip)", "Report (HTML)"]


# --- Stop stops one question -------------------------------------------------------------------

def _dashboard_stopped(reps: int) -> AppTest:
    """The dashboard of the example as after a Stop while refining to `reps` (seed 1)."""
    at = _app()
    sfx = scenario_hash(load_scenario(B2B))
    at.session_state["stopped"] = ("forecast", sfx, "fast", reps, 1)
    at.sidebar.radio(key="page@en").set_value("dashboard")
    at.sidebar.number_input(key="reps").set_value(reps).run()
    _ok(at)
    assert any("200 replications · seed 1" in c.value for c in at.caption)  # the quick answer
    assert any(b.label == f"Refine to {reps} replications" for b in at.button)
    return at


@pytest.mark.parametrize("change", ["seed", "reps", "edit"])
def test_a_changed_question_starts_a_new_answer_after_a_stop(change: str) -> None:
    at = _dashboard_stopped(300)
    if change == "seed":
        at.sidebar.number_input(key="seed").set_value(2).run()
        shown = "300 replications · seed 2"
    elif change == "reps":
        at.sidebar.number_input(key="reps").set_value(310).run()
        shown = "310 replications · seed 1"
    else:
        at.session_state["overrides"] = {"horizon_months": 30}
        at.run()
        shown = "300 replications · seed 1"
    _ok(at)
    assert any(shown in c.value for c in at.caption), [c.value for c in at.caption]
    assert not any(b.label.startswith("Refine") for b in at.button)


def test_a_stop_before_any_answer_offers_to_start_again() -> None:
    at = _app()
    sfx = scenario_hash(load_scenario(B2B))
    at.session_state["stopped"] = ("forecast", sfx, "fast", 200, 7)  # the quick run's
    at.sidebar.number_input(key="seed").set_value(7)
    at.sidebar.radio(key="page@en").set_value("dashboard")
    at.sidebar.number_input(key="reps").set_value(1000).run()
    _ok(at)
    assert not at.get("plotly_chart")
    assert "Stopped before the first answer" in at.info[0].value
    _click(at, "Start again")
    assert any("1,000 replications · seed 7" in c.value for c in at.caption)


def test_stop_remembers_the_run_in_progress() -> None:
    state: dict[str, Any] = {"running": ("forecast", "abc", "fast", 300, 1)}
    original = running.state
    running.state = lambda: state  # type: ignore[assignment]
    try:
        running.stop()
        assert running.stopped(("forecast", "abc", "fast", 300, 1))
        assert not running.stopped(("forecast", "abc", "fast", 300, 2))
        running.resume()
        assert not running.stopped(("forecast", "abc", "fast", 300, 1))
    finally:
        running.state = original  # type: ignore[assignment]


# --- the fast engine's first start --------------------------------------------------------------

class _Bar:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def progress(self, value: float, text: str) -> None:
        self.texts.append(text)


class _Preparation:
    """Ready after `polls` questions."""

    def __init__(self, polls: int) -> None:
        self.started = 0.0
        self._left = polls

    def ready(self) -> bool:
        self._left -= 1
        return self._left < 0


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "preparing the fast engine, first start only"),
    ("ru", "подготовка быстрого движка, только при первом запуске")])
def test_the_first_start_says_the_engine_is_being_prepared(lang: str, words: str) -> None:
    bar = _Bar()
    running.wait_for_engine(bar, lang, "Forecast", _Preparation(2), poll=0.0)  # type: ignore[arg-type]
    assert len(bar.texts) == 2 and all(words in text for text in bar.texts)
    bar = _Bar()
    running.wait_for_engine(bar, lang, "Forecast", _Preparation(0), poll=0.0)  # type: ignore[arg-type]
    assert bar.texts == []  # prepared: nothing to say


def test_time_left_comes_from_the_runs_after_the_start() -> None:
    """The first report carries the workers' start (minutes on a first start): the estimate
    counts from it, not from the press of the button."""
    pace = running.Pace()
    assert pace.left(4, 200, now=120.0) is None  # 4 runs after two minutes of preparing
    assert pace.left(14, 200, now=121.0) == pytest.approx(186 / 10)


def test_the_preparation_process_ends_ready() -> None:
    prep = running.Preparation()
    deadline = prep.started + 600
    import time

    while not prep.ready() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert prep.ready()
    assert prep._process.returncode == 0


# --- tables that fit ---------------------------------------------------------------------------

def test_a_wide_table_is_fitted_to_the_page_and_its_long_text_wraps() -> None:
    """The leak table's 'options that target it' pushed it 300 pixels past a 1280-pixel
    screen: the long text columns share what the figures leave, over more lines."""
    from sim.app.widgets import TABLE_WIDTH, fitted_widths

    options = "Follow-up script and CRM, Two more sales managers, More Yandex Direct ads"
    frame = pd.DataFrame({"Stage": ["Called too late, lost before the first contact"] * 2,
                          "Lost": ["1,718", "93"], "Worth": ["RUB 668.6M", "RUB 2.2M"],
                          "Options that target it": [options, "—"]})
    widths, lines = fitted_widths(frame)
    assert sum(widths.values()) <= TABLE_WIDTH
    assert widths["Lost"] >= 7 * len("1,718") and widths["Worth"] >= 7 * len("RUB 668.6M")
    assert lines >= 2  # the options wrap instead of running off the page
    narrow = pd.DataFrame({"Option": ["CRM"], "NPV": ["RUB 1.2M"]})
    assert fitted_widths(narrow)[1] == 1
