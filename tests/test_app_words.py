"""What the scenario page says, in the owner's words and language: the example box follows the
scenario, a file's problems in Russian are all Russian and point to the app (not the command
line), segments by their titles, Russian decimals with a comma."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.test_app import ROOT, _app, _field, _lang, _ok, latin_words

EXAMPLE = ROOT / "scenarios" / "b2b_services.yaml"


def _upload(at: AppTest, name: str, text: str) -> AppTest:
    at.file_uploader(key="upload").set_value((name, text.encode(), "application/x-yaml")).run()
    return _ok(at)


def test_after_an_upload_the_example_box_shows_no_example_and_choosing_one_works() -> None:
    at = _app()
    assert at.selectbox(key="example@en").value == "b2b_services"
    _upload(at, "shop.yaml", (ROOT / "scenarios" / "ecommerce.yaml").read_text("utf-8"))
    assert "Online coffee and tea shop" in at.success[0].value
    assert at.selectbox(key="example@en").value is None  # not the example shown before
    at.selectbox(key="example@en").set_value("b2b_services").run()
    _ok(at)
    assert "IT services for companies" in at.success[0].value


def test_a_file_that_is_not_yaml_is_told_in_russian_only() -> None:
    at = _lang(_app(), "ru")
    _upload(at, "broken.yaml", "name: x\nchannels: [\n  - {name: a\n")
    errors = [e.value for e in at.error]
    assert any("Строка 3, столбец 3: не YAML" in e for e in errors), errors
    assert not [w for e in errors for w in latin_words(e)], errors


def test_a_typo_is_told_without_the_command_line() -> None:
    text = EXAMPLE.read_text("utf-8").replace("horizon_months:", "horizon_monts:")
    for lang, words in (("en", "fields of the Scenario page"), ("ru", "полях страницы")):
        at = _lang(_app(), lang)  # type: ignore[arg-type]
        _upload(at, "typo.yaml", text)
        errors = " ".join(e.value for e in at.error)
        assert "horizon_monts" in errors and words in errors, errors
        assert "growthsim" not in errors


def test_segments_are_named_by_their_titles() -> None:
    at = _app()
    texts = [m.value for m in at.markdown]
    assert "**Small and medium businesses**" in texts
    assert not any("`smb`" in x for x in texts)


def test_russian_decimals_are_written_with_a_comma() -> None:
    at = _lang(_app(), "ru")
    share = _field(at, "segments.smb.share")
    assert share.value == "80,00"
    share.set_value("65,5").run()
    _ok(at)
    assert at.session_state["overrides"]["segments.smb.share"] == 0.655
    multiplier = _field(at, "segments.enterprise.conversion_multiplier")
    assert multiplier.value == "0,70"


def test_ros_says_what_it_is() -> None:
    """ROS 1,226% read like a margin: its label says it is a return on the sales costs."""
    from sim.report.i18n import metric_label

    assert metric_label("ros", "en") == "ROS, return on sales spend"
    assert metric_label("ros", "ru") == "ROS, отдача продаж"


def test_one_russian_word_for_a_lead() -> None:
    """'Лиды' on the dashboard, so 'лиды' on plan vs actual too (not 'заявки')."""
    from sim.report import track

    texts = " ".join(ru for _, ru in track._TEXT.values()).lower()
    assert "заяв" not in texts and "лид" in texts


def test_the_excel_leak_sheet_has_the_apps_columns() -> None:
    import io

    from openpyxl import load_workbook

    from models.load import load_scenario
    from sim.experiments.montecarlo import run_monte_carlo
    from sim.report import export

    result = run_monte_carlo(load_scenario(EXAMPLE), replications=10, seed=1, engine="fast",
                             workers=1)
    book = load_workbook(io.BytesIO(export.forecast_report(result, "en").excel()))
    header = next([c.value for c in row] for sheet in book.worksheets
                  for row in sheet.iter_rows() if row[0].value == "Stage")
    assert header == ["Stage", "Lost", "Revenue had they not been lost there",
                      "Share of potential", "Advertising spent on them",
                      "Options that target it"]


def test_money_in_one_column_is_at_one_scale() -> None:
    """'−RUB 746,681' beside '−RUB 2.2M' read as two kinds of figure."""
    from sim.report.i18n import money_column

    assert money_column([-746_681, -2_200_000], "RUB", "en") == ["−RUB 0.7M", "−RUB 2.2M"]
    assert money_column([-746_681, -2_200_000], "RUB", "ru") == [
        "−0,7\u00a0млн\u00a0₽", "−2,2\u00a0млн\u00a0₽"]
    assert money_column([746_681, 2_000], "USD", "en") == ["$746,681", "$2,000"]


def test_a_legend_has_room_above_its_chart() -> None:
    """Below the chart the legend covered the axis title ('Month') and the bars' labels."""
    import plotly.graph_objects as go

    from sim.report import charts

    names = ["The plan (no change)", "Fewer leads (−30%)", "Dearer leads (+50% CAC)",
             "Higher churn (+50%)", "Later, fewer payments", "A key manager leaves"]
    one = charts._layout(go.Figure([go.Scatter(x=[1], y=[1], name=names[0])]), "en", "t")
    many = charts._layout(go.Figure([go.Scatter(x=[1], y=[1], name=n) for n in names]),
                          "en", "t")
    assert one.layout.legend.y >= 1 and one.layout.legend.yanchor == "bottom"
    assert many.layout.margin.t > one.layout.margin.t + 40  # several rows of names
