"""`growthsim calibrate retention`: the files it writes for sBG and BG/BB, the published numbers
from the command line, and bad tables reported by row and field with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli.main import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def _table(survivors: list[object], sep: str = ",") -> str:
    return f"period{sep}survivors\n" + "".join(f"{t}{sep}{s}\n" for t, s in enumerate(survivors))


def _run(tmp_path: Path, text: str | bytes | None, *args: str) -> tuple[int, str]:
    path = tmp_path / "table.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["calibrate", "retention", str(path),
                                 "--out", str(tmp_path / "out"), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, " ".join(result.output.split())


def test_sbg_from_the_command_line_writes_the_fit_and_the_fragment(tmp_path: Path) -> None:
    code, out = _run(tmp_path, _table(REGULAR), "--fit-periods", "7")
    assert code == 0, out
    report = json.loads((tmp_path / "out" / "retention.json").read_text())
    assert report["model"] == "sbg" and report["fit_periods"] == 7
    assert round(report["alpha"]["estimate"], 3) == 0.704
    assert round(report["beta"]["estimate"], 3) == 1.182
    for name in ("alpha", "beta"):
        p = report[name]
        assert p["low"] < p["estimate"] < p["high"]
    rows = report["projection"]
    assert [r["period"] for r in rows] == list(range(13))
    assert [r["survivors"] for r in rows] == REGULAR
    assert [r["fitted"] for r in rows] == [False] + [True] * 7 + [False] * 5
    assert rows[0]["expected"] == 1000 and 215 < rows[8]["expected"] < 225
    fragment = yaml.safe_load((tmp_path / "out" / "fragment.yaml").read_text())
    assert fragment == {"monthly_churn": {"sbg": {
        "alpha": round(report["alpha"]["estimate"], 6),
        "beta": round(report["beta"]["estimate"], 6)}}}
    assert "projected" in out and "as a month" in out


def test_sbg_reads_russian_excel_exports(tmp_path: Path) -> None:
    """cp1251, semicolons, a decimal comma and thousands with a space, rows in any order."""
    rows = [f"{t};{s:,}".replace(",", " ") + ",0" for t, s in enumerate(REGULAR[:8])]
    text = "Period;Survivors;примечание\n" + "\n".join(
        f"{r};когорта" for r in reversed(rows)) + "\n"
    code, out = _run(tmp_path, text.encode("cp1251"))
    assert code == 0, out
    report = json.loads((tmp_path / "out" / "retention.json").read_text())
    assert round(report["alpha"]["estimate"], 3) == 0.704


def test_bgbb_from_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "retention", str(DATA / "donations.csv"),
                                 "--model", "bgbb", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "retention.json").read_text())
    assert report["model"] == "bgbb" and report["customers"] == 11_104
    assert [round(report[k]["estimate"], 3) for k in ("alpha", "beta", "gamma", "delta")] == [
        1.204, 0.750, 0.657, 2.783]
    assert round(report["log_likelihood"], 1) == -33225.6
    everyone = next(h for h in report["histories"] if h["frequency"] == 6)
    assert round(everyone["p_alive"], 2) == 0.93 and everyone["count"] == 1203
    fragment = yaml.safe_load((tmp_path / "fragment.yaml").read_text())
    assert fragment["monthly_churn"]["sbg"] == {
        "alpha": round(report["gamma"]["estimate"], 6),
        "beta": round(report["delta"]["estimate"], 6)}


@pytest.mark.parametrize(("survivors", "args", "expected"), [
    ([1000, 631, 650, 382], (), "survivors increase from 631 in period 1 to 650 in period 2 "
     "(row 4)"),
    ([1000, 631, "abc", 382], (), "survivors in row 4 is not a number (e.g. 'abc')"),
    ([1000, 631.5, 468, 382], (), "survivors in row 3 is not a whole number"),
    ([1000, 631, -5, 0], (), "survivors in row 4 is below 0"),
    ([1000, 631], (), "the table has 1 period(s) after period 0"),
    ([0, 0, 0], (), "survivors in period 0 (row 2) is the cohort's size"),
    ([1000, 1000, 1000, 900], ("--fit-periods", "2"), "no client left in periods 1..2"),
    ([1000, 0, 0], (), "every client left by period 1"),
    (REGULAR, ("--fit-periods", "13"), "--fit-periods 13 must be between 2 and 12"),
    (REGULAR, ("--fit-periods", "1"), "--fit-periods 1 must be between 2 and 12"),
])
def test_bad_survivor_tables_name_the_row_and_the_fix(
        tmp_path: Path, survivors: list[object], args: tuple[str, ...], expected: str) -> None:
    code, out = _run(tmp_path, _table(survivors), *args)
    assert code == 2, out
    assert expected in out, out
    assert not (tmp_path / "out" / "retention.json").exists()


def test_bad_table_layouts(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "period,clients\n0,10\n1,5\n2,3\n")
    assert code == 2 and "the columns survivors are missing" in out, out
    code, out = _run(tmp_path, "period,survivors\n0,10\n2,5\n3,3\n")
    assert code == 2 and "period 1 is missing" in out, out
    code, out = _run(tmp_path, "period,survivors\n0,10\n1,5\n1,4\n2,3\n")
    assert code == 2 and "period 1 appears more than once (rows 3, 4)" in out, out
    code, out = _run(tmp_path, "")
    assert code == 2 and "the file is empty" in out, out
    code, out = _run(tmp_path, "period,survivors\n")
    assert code == 2 and "header but no rows" in out, out
    (tmp_path / "table.csv").unlink()
    code, out = _run(tmp_path, None)
    assert code == 2 and "file not found" in out, out


def test_bad_history_tables(tmp_path: Path) -> None:
    text = ("frequency,recency,n,count\n0,0,6,10\n3,2,6,4\n2,7,6,5\n0,3,6,1\n1,1,0,2\n")
    code, out = _run(tmp_path, text, "--model", "bgbb")
    assert code == 2, out
    for expected in ("frequency is above recency in row 3", "recency is above n in rows 4, 6",
                     "recency is above 0 with frequency 0 in row 5", "n is 0 in row 6"):
        assert expected in out, out
    code, out = _run(tmp_path, "frequency,recency,n,count\n0,0,6,0\n1,1,6,0\n", "--model", "bgbb")
    assert code == 2 and "0 customers" in out, out
    code, out = _run(tmp_path, text, "--model", "bgbb", "--fit-periods", "3")
    assert code == 2 and "--fit-periods applies to --model sbg only" in out, out


def test_an_unwritable_out_is_refused_before_reading(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["calibrate", "retention", str(tmp_path / "missing.csv"),
                                 "--out", str(blocker)])
    assert result.exit_code == 2 and "--out" in result.output
    assert "file not found" not in result.output


def test_problems_read_in_russian() -> None:
    from models.calibration.retention import read_survivors
    from models.calibration.transactions import TransactionsError

    path = DATA.parent / "data" / "fader_hardie_2007_retention.csv"
    with pytest.raises(TransactionsError) as err:
        read_survivors(path)  # the columns are regular, high_end: not survivors
    assert "нет столбцов survivors" in err.value.problems[0].ru  # type: ignore[attr-defined]


def test_a_table_that_hardly_determines_the_churn_says_so(tmp_path: Path) -> None:
    """Half the cohort leaves each period: nothing shows mixed churn, alpha and beta run off
    together and their intervals cannot be computed; the fit is written with a note."""
    code, out = _run(tmp_path, _table([1024, 512, 256, 128, 64]))
    assert code == 0, out
    assert "the table hardly determines alpha" in out and "could not be computed" in out
    report = json.loads((tmp_path / "out" / "retention.json").read_text())
    mean = report["alpha"]["estimate"] / (report["alpha"]["estimate"]
                                          + report["beta"]["estimate"])
    assert mean == pytest.approx(0.5, abs=0.01)  # its standard error, ~1,980 exposures: 0.011
    assert any("hardly determines" in note for note in report["data"]["notes"])


TRIANGLE = ("cohort,period,survivors\n"
            + "".join(f"2024-01,{t},{s}\n" for t, s in enumerate(REGULAR[:8]))
            + "".join(f"2024-02,{t},{s}\n" for t, s in enumerate([500, 320, 240, 190, 165]))
            + "2024-03,0,700\n2024-03,1,440\n")


def test_a_triangle_of_cohorts_is_fitted_together(tmp_path: Path) -> None:
    code, out = _run(tmp_path, TRIANGLE)
    assert code == 0, out
    report = json.loads((tmp_path / "out" / "retention.json").read_text())
    assert report["cohorts"] == 3 and report["cohort_size"] == 2200
    rows = report["projection"]
    assert [r["cohort"] for r in rows] == ["2024-01"] * 8 + ["2024-02"] * 5 + ["2024-03"] * 2
    assert rows[8] == {**rows[8], "period": 0, "survivors": 500, "expected": 500}
    assert "2024-03" in out


@pytest.mark.parametrize(("text", "expected"), [
    (TRIANGLE.replace("2024-02,3,190", "2024-02,3,250"),
     "survivors increase from 240 in period 2 to 250 in period 3 of cohort '2024-02' (row 13)"),
    (TRIANGLE.replace("2024-03,1,440", "2024-03,2,440"),
     "period 1 of cohort '2024-03' is missing"),
    (TRIANGLE.replace("2024-02,0,500", ",0,500"), "cohort is blank in row 10"),
])
def test_bad_triangles_name_the_cohort_and_the_row(tmp_path: Path, text: str,
                                                   expected: str) -> None:
    code, out = _run(tmp_path, text)
    assert code == 2, out
    assert expected in out, out
