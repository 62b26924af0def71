"""Every page of the Streamlit app through streamlit's AppTest: load an example, change a widget,
run, and check that the numbers shown are the library's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from models.compiled.bets import stress_shocks
from models.load import load_scenario
from sim.experiments.compare import compare_bets
from sim.experiments.montecarlo import run_monte_carlo
from sim.report.i18n import money, percent

APP = str(Path(__file__).resolve().parents[1] / "app.py")
REPS = 10  # the fewest the app allows: fast, and enough for the scenarios' correlations


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _page(at: AppTest, page: str) -> AppTest:
    at.sidebar.radio(key="page").set_value(page)
    at.sidebar.number_input(key="reps").set_value(REPS)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _number(at: AppTest, label: str) -> Any:
    return next(w for w in at.number_input if w.label.startswith(label))


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_scenario_page_loads_an_example_and_edits_it() -> None:
    at = _app()
    assert "B2B services (RUB)" in at.success[0].value
    at.selectbox(key="example").set_value("subscription").run()
    assert "currency USD" in at.success[0].value
    # A change that breaks the goal (deadline after the horizon) is shown inline, field by field.
    horizon = next(w for w in at.number_input if w.help == "horizon_months")
    horizon.set_value(12).run()
    assert not at.success
    assert any("goal.deadline_month" in e.value for e in at.error)
    deadline = next(w for w in at.number_input if w.help == "goal.deadline_month")
    deadline.set_value(12).run()
    assert "12 months" in at.success[0].value
    # The download holds the edited scenario.
    assert at.download_button
    # Undo restores the example, in the widgets too.
    at.button[0].click().run()
    assert "36 months" in at.success[0].value
    assert next(w for w in at.number_input if w.help == "horizon_months").value == 36
    # The goal's metric is a choice.
    goal = next(w for w in at.selectbox if w.help == "goal.metric")
    goal.set_value("monthly_profit").run()
    assert at.success and next(
        w for w in at.selectbox if w.help == "goal.metric").value == "monthly_profit"


def test_bad_upload_shows_each_problem_and_keeps_the_scenario() -> None:
    at = _app()
    at.file_uploader(key="upload").set_value(
        ("broken.yaml", b"name: x\nchannels: [\n  - {name: a\n", "application/x-yaml")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("broken.yaml" in e for e in errors)
    assert any("not valid YAML" in e for e in errors)
    assert "B2B services (RUB)" in at.success[0].value  # the current scenario is kept

    bad = (Path(__file__).resolve().parents[1] / "scenarios" / "b2b_services.yaml").read_text(
        encoding="utf-8").replace("paid_probability: 0.8", "paid_probability: 1.7")
    at.file_uploader(key="upload").set_value(("bad.yaml", bad.encode(), "application/x-yaml"))
    at.run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("journey.invoice.paid_probability: must lie in [0, 1]") for e in errors)


def test_good_upload_replaces_the_scenario() -> None:
    at = _app()
    text = (Path(__file__).resolve().parents[1] / "scenarios" / "ecommerce.yaml").read_bytes()
    at.file_uploader(key="upload").set_value(("shop.yaml", text, "application/x-yaml")).run()
    assert "Online shop (RUB)" in at.success[0].value


def test_dashboard_shows_the_library_numbers() -> None:
    at = _page(_app(), "dashboard")
    spec = load_scenario(Path(APP).parent / "scenarios" / "b2b_services.yaml")
    s = run_monte_carlo(spec, REPS, seed=1).summary()
    assert _metric(at, "Revenue") == money(s["total_revenue"]["mean"], "RUB", "en", compact=True)
    assert _metric(at, "CAC") == money(s["cac"]["mean"], "RUB", "en")
    assert _metric(at, "ROMI") == percent(s["romi"]["mean"], "en")
    assert any(f"{REPS} replications · seed 1" in c.value for c in at.caption)
    monthly, leaks = at.dataframe[0].value, at.dataframe[1].value
    assert len(monthly) == spec.horizon_months
    assert leaks["Stage"].iloc[0] == "Lost in the CRM (never processed)"
    assert leaks["Revenue they would have brought"].iloc[2] == money(
        s["lost_first_contact_revenue"]["mean"], "RUB", "en")
    assert len(at.get("plotly_chart")) == 5

    # Russian, and another seed: other numbers, the seed shown.
    at.sidebar.radio(key="lang").set_value("ru")
    at.sidebar.number_input(key="seed").set_value(2).run()
    s2 = run_monte_carlo(spec, REPS, seed=2).summary()
    assert _metric(at, "Выручка") == money(s2["total_revenue"]["mean"], "RUB", "ru",
                                                compact=True)
    assert any("зерно 2" in c.value for c in at.caption)


def test_dashboard_follows_the_edits() -> None:
    at = _app()
    at.selectbox(key="example").set_value("b2b_services").run()
    horizon = next(w for w in at.number_input if w.help == "horizon_months")
    horizon.set_value(12).run()
    next(w for w in at.number_input if w.help == "goal.deadline_month").set_value(12).run()
    at = _page(at, "dashboard")
    assert len(at.dataframe[0].value) == 12


def test_invalid_scenario_blocks_results_pages() -> None:
    at = _app()
    next(w for w in at.number_input if w.help == "horizon_months").set_value(6).run()
    at = _page(at, "dashboard")
    assert at.warning and any("goal.deadline_month" in e.value for e in at.error)
    assert not at.metric


def test_compare_bets_shows_the_ranked_table_of_the_library() -> None:
    at = _page(_app(), "compare")
    assert not at.dataframe  # nothing runs before Compare is pressed
    at.multiselect[0].set_value(["more_ads", "two_more_managers"])
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    spec = load_scenario(Path(APP).parent / "scenarios" / "b2b_services.yaml")
    table = compare_bets(spec, ["more_ads", "two_more_managers"], replications=REPS,
                         seed=1).table()
    shown = at.dataframe[0].value
    names = {"baseline": "the plan (no change)"}
    assert list(shown["Bet"]) == [names.get(b, b) for b in table["bet"]]
    assert list(shown["Cost"]) == [money(c, "RUB", "en") for c in table["cost"]]
    assert list(shown["P(goal)"]) == [percent(p, "en") for p in table["p_goal"]]
    assert any(f"{REPS} replications · seed 1" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 4  # ROI vs time, two fan charts, levers

    # Another scenario has other bets: its own choice, nothing carried over.
    at.sidebar.radio(key="page").set_value("scenario").run()
    at.selectbox(key="example").set_value("subscription").run()
    at.sidebar.radio(key="page").set_value("compare").run()
    assert not at.exception and not at.dataframe
    at.sidebar.radio(key="page").set_value("scenario").run()
    at.selectbox(key="example").set_value("b2b_services").run()
    at.sidebar.radio(key="page").set_value("compare").run()
    assert at.dataframe  # back to the first scenario: its cached comparison

    # A budget that fits no bet says so instead of running.
    _number(at, "Budget (total cost").set_value(1000.0)
    at.button[0].click().run()
    assert at.warning


def test_stress_test_shows_p_goal_per_shock() -> None:
    at = _page(_app(), "stress")
    _number(at, "Shock starts").set_value(2)
    _number(at, "Lasts").set_value(12)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    spec = load_scenario(Path(APP).parent / "scenarios" / "b2b_services.yaml")
    table = compare_bets(spec, stress_shocks(spec, 2, 12), replications=REPS,
                         seed=1).table().set_index("bet")
    shown = at.dataframe[0].value.set_index("Shock")
    assert shown.loc["Fewer leads (−30%)", "P(goal)"] == percent(
        table.loc["fewer_leads", "p_goal"], "en")
    assert shown.loc["the plan (no change)", "P(goal)"] == percent(
        table.loc["baseline", "p_goal"], "en")
    assert len(shown) == 6
    assert len(at.get("plotly_chart")) == 2


def test_quick_answer_first_then_refined_and_stop_keeps_it() -> None:
    at = _app()
    at.session_state["stopped"] = True  # as after a press of Stop during the refinement
    at.sidebar.radio(key="page").set_value("dashboard")
    at.sidebar.number_input(key="reps").set_value(30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("20 replications · seed 1" in c.value for c in at.caption)  # the quick answer
    refine = next(b for b in at.button if b.label == "Refine to 30 replications")
    refine.click().run()
    assert any("30 replications · seed 1" in c.value for c in at.caption)
    assert not any("20 replications" in c.value for c in at.caption)  # replaced in place
    assert not any(b.label.startswith("Refine") for b in at.button)
