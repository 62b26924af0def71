"""`growthsim calibrate transactions`: the files it writes, and bad data reported by row with the
fix, exit code 2 and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from models.spec.scenario import Scenario
from sim.cli.main import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()

GOOD = """customer_id,date,amount,channel
a,2024-01-03,10.5,web
a,2024-02-10,12,web
b,2024-01-05,30,shop
b,2024-03-01,25,shop
c,2024-01-20,8,web
a,2024-04-02,11,web
"""


def _run(tmp_path: Path, text: str | None, *args: str) -> tuple[int, str]:
    path = tmp_path / "in.csv"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["calibrate", "transactions", str(path),
                                 "--out", str(tmp_path / "out"), *args])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)
    return result.exit_code, " ".join(result.output.split())


def test_cdnow_from_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "transactions", str(DATA / "cdnow_sample.csv"),
                                 "--calibration-end", "1997-09-30", "--duplicates", "keep",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "transactions.json").read_text())
    assert report["data"]["rows_used"] == 6919 and report["data"]["customers"] == 2357
    assert report["bgnbd"]["params"]["r"]["estimate"] == pytest.approx(0.2426, abs=5e-4)
    assert report["bgnbd"]["log_likelihood"] == pytest.approx(-9582.43, abs=0.05)
    assert len(report["diagnostics"]["holdout"]["per_customer"]) == 2357
    forecast = yaml.safe_load((tmp_path / "forecast.yaml").read_text())
    spec = Scenario.model_validate(forecast)
    assert spec.initial_state.customer_base is not None
    assert len(spec.initial_state.customer_base.x) == 2357


def test_cdnow_csv_is_the_original_sample() -> None:
    from models.calibration.cdnow import read_cdnow_raw

    raw = read_cdnow_raw()
    csv = (DATA / "cdnow_sample.csv").read_text().splitlines()[1:]
    dates = raw["date"].str[:4] + "-" + raw["date"].str[4:6] + "-" + raw["date"].str[6:]
    assert csv == (raw["customer_id"] + "," + dates + "," + raw["cds"] + ","
                   + raw["amount"]).tolist()


def test_good_file_reports_unused_columns(tmp_path: Path) -> None:
    code, out = _run(tmp_path, GOOD)
    assert code == 0, out
    assert "columns not used: channel" in out


@pytest.mark.parametrize(("text", "args", "expected"), [
    ("", (), ["empty", "export the purchases again"]),
    ("customer_id,date,amount\n", (), ["no purchases"]),
    (GOOD.replace("2024-02-10", "2024-13-45").replace("2024-03-01", "yesterday"), (),
     ["malformed date in rows 3, 5", "YYYY-MM-DD", "--skip-bad-rows"]),
    (GOOD.replace("30,shop", "-30,shop"), (),
     ["negative amount in row 4", "refunds", "--skip-bad-rows"]),
    (GOOD.replace("12,web", ",web"), (), ["missing amount in row 3", "--skip-bad-rows"]),
    (GOOD.replace("b,2024-03-01", ",2024-03-01"), (), ["missing customer id in row 5"]),
    (GOOD + "c,2024-01-20,8,web\n", (),
     ["duplicate rows: row 8 repeats row 6", "--duplicates drop", "--duplicates keep"]),
    (GOOD, ("--amount-col", "paid"), ["column 'paid' not found", "--amount-col"]),
    (GOOD, ("--customer-col", "client"), ["column 'client' not found", "--customer-col"]),
    (GOOD, ("--calibration-end", "2024-31-01"), ["not a date", "YYYY-MM-DD"]),
    (GOOD, ("--calibration-end", "2023-01-01"), ["before the first purchase"]),
])
def test_bad_data_is_named_with_rows_and_fix(tmp_path: Path, text: str, args: tuple[str, ...],
                                             expected: list[str]) -> None:
    code, out = _run(tmp_path, text, *args)
    assert code == 2, out
    for phrase in expected:
        assert phrase in out, (phrase, out)
    assert not (tmp_path / "out" / "transactions.json").exists()


def test_missing_file(tmp_path: Path) -> None:
    code, out = _run(tmp_path, None)
    assert code == 2 and "file not found" in out


def test_skipped_rows_are_reported_with_reasons(tmp_path: Path) -> None:
    text = (GOOD.replace("2024-02-10", "bad-date").replace("30,shop", "-30,shop")
            + "c,2024-01-20,8,web\n")
    code, out = _run(tmp_path, text, "--skip-bad-rows", "--duplicates", "drop")
    assert code == 0, out
    assert "used 4" in out and "malformed date" in out and "negative amount" in out
    report = json.loads((tmp_path / "out" / "transactions.json").read_text())["data"]
    assert report["rows_read"] == 7 and report["rows_used"] == 4
    assert report["rows_not_used"]["malformed date"]["rows"] == [3]
    assert report["rows_not_used"]["negative amount"]["rows"] == [4]
    assert report["rows_not_used"]["duplicate row (--duplicates drop)"]["rows"] == [8]


# -- hostile and degenerate exports -------------------------------------------------------------

FUNNEL = Path(__file__).resolve().parents[1] / "scenarios" / "data" / "funnel_export.csv"


def _funnel(tmp_path: Path, edit: object = None, data: bytes | None = None,
            *args: str) -> tuple[int, str, Path]:
    path = tmp_path / "leads.csv"
    if data is not None:
        path.write_bytes(data)
    else:
        import pandas as pd

        frame = pd.read_csv(FUNNEL, dtype=str, keep_default_na=False)
        if callable(edit):
            edit(frame)
        frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["calibrate", "funnel", str(path), "--out", str(out), *args])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)
    return result.exit_code, " ".join(result.output.split()), out


def _first(frame: object, outcome: str) -> int:
    """Index of the first row with this outcome and both invoice and payment dates."""
    rows = frame[(frame["outcome"] == outcome) & (frame["payment_date"] != "")]  # type: ignore
    return int(rows.index[0])


def _payment_before_invoice(frame: object) -> None:
    i = _first(frame, "won")
    frame.loc[i, "payment_date"] = "2020-01-01 00:00"  # type: ignore[attr-defined]


def _touches(value: str) -> object:
    def edit(frame: object) -> None:
        frame.loc[5, "touches"] = value  # type: ignore[attr-defined]
    return edit


def _response(value: str) -> object:
    def edit(frame: object) -> None:
        i = int(frame.index[frame["first_response_hours"] != ""][0])  # type: ignore
        frame.loc[i, "first_response_hours"] = value  # type: ignore[attr-defined]
    return edit


@pytest.mark.parametrize(("edit", "data", "expected"), [
    (None, b"\x00\x01\xff\xfe" * 500, ["not a text CSV file", "Save As > CSV"]),
    (None, b"PK\x03\x04" + b"workbook" * 100, ["not a text CSV file", ".xlsx"]),
    (_touches("inf"), None, ["touches not a whole number in row 7", "--skip-bad-rows"]),
    (_touches("2.7"), None, ["touches not a whole number in row 7", "2.7"]),
    (_response("1e400"), None, ["first_response_hours too large in row", "1e400"]),
    (_response("1e300"), None, ["first_response_hours too large in row", "ten years"]),
    (_payment_before_invoice, None, ["payment before invoice in row", "swap or correct"]),
])
def test_bad_lead_rows_are_named_by_line(tmp_path: Path, edit: object, data: bytes | None,
                                         expected: list[str]) -> None:
    code, out, folder = _funnel(tmp_path, edit, data)
    assert code == 2, out
    for phrase in expected:
        assert phrase in out, (phrase, out)
    assert not (folder / "funnel.json").exists()


def test_bad_lead_rows_left_out_only_by_the_flag(tmp_path: Path) -> None:
    def edit(frame: object) -> None:
        _payment_before_invoice(frame)
        _touches("2.7")(frame)

    code, out, folder = _funnel(tmp_path, edit, None, "--skip-bad-rows")
    assert code == 0, out
    assert "not used: 1 row(s), payment before invoice" in out
    assert "not used: 1 row(s), touches not a whole number (row 7)" in out
    doc = json.loads((folder / "funnel.json").read_text())
    assert doc["data"]["rows_not_used"]["touches not a whole number"]["rows"] == [7]
    assert doc["data"]["rows_used"] == doc["data"]["rows_read"] - 2
    fragment = yaml.safe_load((folder / "funnel_fragment.yaml").read_text())
    assert fragment["journey"]["invoice"]["delay_days"] > 0


@pytest.mark.parametrize("command", ["transactions", "funnel"])
def test_a_folder_instead_of_a_file(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    result = runner.invoke(app, ["calibrate", command, str(folder), "--out",
                                 str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "is a folder, not a CSV file" in " ".join(result.output.split())


def test_binary_purchases_file(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(bytes(range(256)) * 8)
    code, out = _run(tmp_path, None)
    assert code == 2 and "not a text CSV file" in out


NO_REPEATS = "customer_id,date,amount\na,2024-01-03,10\nb,2024-01-05,30\nc,2024-02-20,8\n"
LONG = "customer_id,date,amount\n" + "".join(
    f"{c},{y}-03-0{d},10\n" for c in "abcd" for y in (1990, 1991, 2020, 2024) for d in (1, 5))


@pytest.mark.parametrize(("text", "args", "expected"), [
    (GOOD, ("--date-format", "%Q%Q"), ["--date-format '%Q%Q' is not a date format",
                                       "%d.%m.%Y"]),
    (GOOD.replace("2024-03-01", "2097-03-01"), (),
     ["date in the future in row 5", "2097 for 2024", "--skip-bad-rows"]),
    (GOOD, ("--observation-end", "2090-01-01"),
     ["--observation-end 2090-01-01 is after the last purchase in the file (2024-04-02)"]),
    (GOOD, ("--calibration-end", "2030-01-01"), ["--calibration-end 2030-01-01 is after"]),
    (NO_REPEATS, (), ["no customer bought again", "3 customers", "cannot be fitted",
                      "--customer-col"]),
    (GOOD.replace(",", ";"), ("--delimiter", ","), ["read as one column", "--delimiter ';'"]),
])
def test_degenerate_or_impossible_calibrations_say_why(
        tmp_path: Path, text: str, args: tuple[str, ...], expected: list[str]) -> None:
    code, out = _run(tmp_path, text, *args)
    assert code == 2, out
    for phrase in expected:
        assert phrase in out, (phrase, out)
    assert not (tmp_path / "out" / "transactions.json").exists()


def test_future_dates_left_out_by_the_flag(tmp_path: Path) -> None:
    code, out = _run(tmp_path, GOOD.replace("2024-03-01", "2097-03-01"), "--skip-bad-rows")
    assert code == 0, out
    report = json.loads((tmp_path / "out" / "transactions.json").read_text())["data"]
    assert report["rows_not_used"]["date in the future"]["rows"] == [5]
    assert report["calibration_end"] == "2024-04-02"


def test_a_holdout_longer_than_any_horizon_writes_no_invalid_forecast(tmp_path: Path) -> None:
    code, out = _run(tmp_path, LONG, "--calibration-end", "1991-12-31")
    assert code == 0, out
    assert "forecast.yaml not written" in out and "at most 240 months" in out
    assert not (tmp_path / "out" / "forecast.yaml").exists()
    assert (tmp_path / "out" / "transactions.json").exists()


RU_EXCEL = ("Клиент;Дата;Сумма\n"
            "a;03.01.2024;10,50\na;10.02.2024;1 200,00\nb;05.01.2024;30,00\n"
            "b;01.03.2024;25,5\nc;20.01.2024;8\n")


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8-sig", "utf-8"])
def test_russian_excel_export_is_detected(tmp_path: Path, encoding: str) -> None:
    from models.calibration.transactions import read_transactions

    path = tmp_path / "in.csv"
    path.write_bytes(RU_EXCEL.replace("1 200", "1\u00a0200").encode(encoding))
    log = read_transactions(path, "Клиент", "Дата", "Сумма", "%d.%m.%Y")
    assert log.frame["amount"].tolist() == [10.5, 1200.0, 30.0, 25.5, 8.0]
    note = log.notes[0]
    assert "a semicolon between columns" in note and "a decimal comma" in note
    assert ("Windows-1251" in note) == (encoding == "cp1251")
    assert "точка с запятой" in note.ru  # type: ignore[attr-defined]
    result = runner.invoke(app, ["calibrate", "transactions", str(path), "--customer-col",
                                 "Клиент", "--date-col", "Дата", "--amount-col", "Сумма",
                                 "--date-format", "%d.%m.%Y", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "decimal comma" in " ".join(result.output.split())


def test_delimiter_and_decimal_can_be_given(tmp_path: Path) -> None:
    from models.calibration.transactions import read_transactions

    path = tmp_path / "in.csv"
    path.write_text("customer_id|date|amount\na|2024-01-01|1.234,5\na|2024-02-01|7\n",
                    encoding="utf-8")
    log = read_transactions(path, delimiter="|", decimal=",")
    assert log.frame["amount"].tolist() == [1234.5, 7.0]
