"""The plan-vs-actual page through streamlit's AppTest: the example actuals give the
library's answer, a bad upload is said by line, and in Russian no text is left in English."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.test_app import _app, _click, _lang, _no_english, _ok, _page


def _with_example(at: AppTest, lang: str = "en") -> AppTest:
    _page(at, "track", lang)  # type: ignore[arg-type]
    at.checkbox(key="track_example").check().run()
    return _ok(at)


def test_track_page_places_the_example_in_the_plan_and_reforecasts() -> None:
    at = _with_example(_app())
    at.sidebar.number_input(key="reps").set_value(30).run()  # a quick answer, then refined
    _click(at, "Compare with the plan")
    assert at.get("plotly_chart")
    texts = " ".join(m.value for m in at.markdown)
    assert "9 months of actuals" in texts and "Monthly churn" in texts  # churn is off
    rates = at.dataframe[0].value
    churn = rates[rates["Rate"] == "Monthly churn"].iloc[0]
    assert churn["Verdict"] == "higher than planned"
    assert [m.label for m in at.metric] == ["Goal by the deadline, plan",
                                           "Goal by the deadline, now"]
    assert "30 replications" in " ".join(c.value for c in at.caption)  # the refined answer
    # another figure from the same (cached) result
    at.selectbox(key="track_metric@en").set_value("churned").run()
    _ok(at)
    title = at.get("plotly_chart")[0].proto.spec
    assert "Clients who left" in title


def test_track_page_says_what_is_wrong_with_an_upload() -> None:
    at = _app()
    _page(at, "track")
    at.file_uploader(key="track_upload").set_value(
        ("fact.csv", b"month,churned\n1,-2\n", "text/csv")).run()
    _ok(at)
    assert any("churned: a negative value in row 2" in e.value for e in at.error)
    _lang(at, "ru")
    assert any("churned: отрицательное значение (строка 2)" in e.value for e in at.error), [
        e.value for e in at.error]


def test_track_page_in_russian_shows_no_english() -> None:
    at = _lang(_app(), "ru")
    _with_example(at, "ru")
    _no_english(at, "track page before the run")
    _click(at, "Сравнить с планом")
    assert at.get("plotly_chart")
    _no_english(at, "track page")
