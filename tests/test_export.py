"""The report layer's answers to the owner's questions and the files a results page downloads
(sim.report.export, sim.report.owner, sim.report.charts): what a notebook user calls."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from models.accounting.metrics import channel_metric
from models.load import load_scenario
from sim.experiments.compare import BASELINE, Comparison, compare_bets
from sim.experiments.montecarlo import MonteCarloResult, run_monte_carlo
from sim.report import charts, export, owner
from sim.report.i18n import money

ROOT = Path(__file__).resolve().parents[1]
REPS = 12


@cache
def _forecast() -> MonteCarloResult:
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    return run_monte_carlo(spec, replications=REPS, seed=3, engine="fast")


@cache
def _comparison() -> Comparison:
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    return compare_bets(spec, ["more_ads", "follow_up_and_crm"], replications=REPS, seed=3,
                        engine="fast")


@pytest.mark.parametrize("engine", ["fast", "agent"])
def test_channels_add_up_to_the_totals_in_both_engines(engine: str) -> None:
    """Per channel, leads, new clients and advertising of every replication sum to the run's
    totals (the channel split loses or invents nobody), in either engine."""
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    result = run_monte_carlo(spec, replications=3, seed=5, engine=engine)
    names = [*(c.name for c in spec.channels), "referral", "existing"]
    s = result.scalars
    for what, total in (("leads", s["total_leads"]), ("new_clients", s["total_new_clients"])):
        parts = sum(s[channel_metric(n, what)] for n in names)
        assert np.allclose(parts, total), what
    marketing = result.monthly["marketing"].sum(axis=1)
    assert np.allclose(sum(s[channel_metric(n, "marketing")] for n in names), marketing)
    assert (s[channel_metric("existing", "marketing")] == 0).all()
    table = owner.channels(result)
    assert "yandex_direct" in set(table["channel"])
    paid = table.set_index("channel").loc["yandex_direct"]
    assert paid["marketing"] > 0 and paid["cac_channel"] == pytest.approx(
        paid["marketing"] / paid["new_clients"])


def test_client_costs_and_value_are_the_summarys() -> None:
    result = _forecast()
    s = result.summary()
    costs = owner.client_costs(result).set_index("metric")
    for m in owner.CLIENT_COSTS:
        assert costs.loc[m, "mean"] == s[m]["mean"]
    value = owner.client_value(result).set_index("metric")
    # the tail is what clients still active bring after the horizon: never less
    assert value.loc["cltv_with_tail", "mean"] >= value.loc["cltv", "mean"]


def test_incremental_profit_is_the_paired_difference() -> None:
    cmp = _comparison()
    inc = owner.incremental(cmp)
    assert set(inc["bet"]) == set(cmp.names[1:])
    ads = inc[inc["bet"] == "more_ads"]
    # summed over the months, the mean extra profit is the paired mean of total profit
    assert ads["mean"].sum() == pytest.approx(cmp.paired("more_ads", "total_profit")["mean"])
    assert (ads["p10"] <= ads["mean"] + 1e-6).all() and (ads["mean"] <= ads["p90"] + 1e-6).all()
    fig = charts.incremental_profit(inc, "ru", "RUB", "x")
    spec = json.loads(fig.to_json())
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert {"more_ads", "follow_up_and_crm"} <= set(titles)  # one panel per bet
    assert any("млн\u00a0₽" in tick for tick in spec["layout"]["yaxis"]["ticktext"])


def _ranked(roi: list[float], lo: list[float], hi: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"bet": [f"b{i}" for i in range(len(roi))], "roi": roi, "roi_lo": lo,
                         "roi_hi": hi, "months_to_goal_p10": 5.0, "months_to_goal_p50": 8.0,
                         "months_to_goal_p90": 12.0})


def test_roi_chart_ranks_the_bets_and_goes_log_when_one_dwarfs_the_rest() -> None:
    """One bet's ROI 60 times the others' made the scatter unreadable."""
    fig = json.loads(charts.roi_vs_time(_ranked([0.5, 30.0, 0.8], [0.3, 25.0, 0.6],
                                                [0.7, 35.0, 1.0]), "en").to_json())
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert fig["data"][0]["y"] == ["b0", "b2", "b1"]  # ranked by ROI, the best at the top
    assert fig["data"][0]["text"] == ["50%", "80%", "3,000%"]
    # a negative ROI has no logarithm: a linear axis
    fig = json.loads(charts.roi_vs_time(_ranked([-0.2, 30.0], [-0.5, 25.0], [0.1, 35.0]),
                                        "en").to_json())
    assert fig["layout"]["xaxis"]["type"] == "linear"


def test_excel_has_every_table_with_the_librarys_numbers() -> None:
    result = _forecast()
    report = export.forecast_report(result, "en")
    book = load_workbook(io.BytesIO(report.excel()))
    assert len(book.sheetnames) == len(report.tables)
    sheet = book[book.sheetnames[0]]
    assert sheet["A1"].value == report.tables[0].title
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["Revenue"] == pytest.approx(result.summary()["total_revenue"]["mean"])
    channels = book[export._sheet_name(report.tables[2].title, set())]
    assert channels["A3"].value == "Yandex Direct ads"
    assert channels["E3"].number_format == "#,##0"  # money as a number, formatted


def test_csv_opens_in_a_russian_spreadsheet() -> None:
    report = export.comparison_report(_comparison(), "ru")
    with zipfile.ZipFile(io.BytesIO(report.csv_zip())) as archive:
        names = archive.namelist()
        assert len(names) == len(report.tables)
        raw = archive.read(names[0])
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel then reads Cyrillic
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Вариант"
    assert "План (без изменений)" in [r[0] for r in rows[1:]]
    assert any("," in cell for r in rows[1:] for cell in r[1:])  # decimal commas


def test_html_report_is_self_contained_with_the_decision_and_figures() -> None:
    cmp = _comparison()
    page = export.comparison_report(cmp, "en").html()
    assert page.count("<h2>") == 3 and "Recommended:" in page
    assert page.count('class="plotly-graph-div"') == 3  # its figures
    assert "<script src=" not in page and page.count("<script") >= 4  # plotly.js inlined
    assert money(cmp.costs["more_ads"], "RUB", "en") in page
    ru = export.stress_report(cmp, "ru").html()
    assert '<html lang="ru">' in ru and "План (без изменений)" in ru
    assert BASELINE not in ru.split("<script")[0]  # names in words, not identifiers


def test_forecast_report_carries_the_leak_waterfall_and_segments_in_both_languages() -> None:
    result = _forecast()
    leaks = owner.leaks(result)
    for lang, heading, stage in (("en", "Where money leaks", "Lost in the CRM"),
                                 ("ru", "Где теряются деньги", "Потеряны в CRM")):
        page = export.forecast_report(result, lang).html()
        figures = page.split('class="plotly-graph-div"')
        assert len(figures) - 1 == 5, lang  # counts, the waterfall, three fans
        waterfall = [f for f in figures if '"type":"waterfall"' in f]
        assert len(waterfall) == 1 and _in_figure(heading, waterfall[0]), lang
        assert _in_figure(stage, waterfall[0]) and len(leaks) >= 6
        assert owner.w("per_segment", lang) in page


def _in_figure(text: str, figure: str) -> bool:
    """Whether a figure's HTML shows `text` (plotly's JSON writes Cyrillic as \\u escapes)."""
    return text in figure or json.dumps(text)[1:-1] in figure
