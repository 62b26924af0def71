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
