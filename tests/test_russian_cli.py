"""`--lang ru` / GROWTHSIM_LANG=ru: every line a command prints is Russian.

A few commands that reach the data layer's notes and refusals (calibrate's reading notes,
the loader's problems, the stress test's shocks) run in Russian
through Typer's runner; a line holding a run of three English words fails the test. Names the
user types stay Latin (options, paths, parameter paths, a model's parameters), so they are
taken out of a line before it is read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "b2b_services.yaml")
runner = CliRunner()

# What a Russian line may hold in Latin letters: options (--delimiter), paths and files
# (out/x.json), dotted or snake_case names (sales.managers, lost_unprocessed), code in
# backticks or quotes, and units/abbreviations (UTF-8, NPV, P10).
_NAMES = re.compile(r"--?[\w-]+|\S*[/\\]\S*|\S+\.\w+\S*|`[^`]*`|'[^']*'|\b\w*_\w*\b|[A-Z0-9-]{2,}")
_ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[\s,;:()]+[A-Za-z]{2,}){2,}\b")


def english_lines(output: str) -> list[str]:
    """The lines of `output` that still hold an English phrase (three Latin words in a row)."""
    return [line for line in output.splitlines() if _ENGLISH.search(_NAMES.sub(" | ", line))]


def test_the_detector_finds_an_english_sentence_and_passes_names() -> None:
    """The check itself: an English note is caught, a Russian line with names is not."""
    assert english_lines("  примечание: read as UTF-8, a comma between columns")
    assert english_lines("ошибка: --shock 'x': write path:op:value with op set")
    assert not english_lines("  - sales.managers: должно быть ≥ 0 (из переопределения "
                             "'sales.managers=-1'); --delimiter и --decimal, out/a.json")
    assert not english_lines("│ bgnbd       │ alpha             │ 4,414    │ 0,3782  │")


def _russian(args: list[str], code: int, env_lang: str = "ru") -> str:
    result = runner.invoke(app, args, env={"GROWTHSIM_LANG": env_lang, "COLUMNS": "80"})
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize(("args", "code"), [
    (["calibrate", "funnel", str(ROOT / "scenarios" / "data" / "funnel_export.csv")], 0),
    (["calibrate", "transactions", str(ROOT / "tests" / "data" / "cdnow_sample.csv"),
      "--calibration-end", "1997-09-30", "--duplicates", "keep"], 0),
    (["calibrate", "transactions", str(ROOT / "tests" / "data" / "cdnow_sample.csv")], 2),
    (["run", SCENARIO, "--set", "sales.managers=-1", "--reps", "2"], 2),
    (["stress", SCENARIO, "--engine", "agent", "--shock", "foo"], 2),
    (["stress", SCENARIO, "--engine", "agent", "--preset", "channel_off:nowhere"], 2),
    (["stress", SCENARIO, "--engine", "agent", "--break", "nope.x"], 2),
])
def test_a_russian_command_prints_no_english_sentence(args: list[str], code: int,
                                                      tmp_path: Path) -> None:
    """Catches a message the data layer still writes in English only (a reading note, a shock's
    refusal, a scenario problem printed before --lang was read)."""
    out = _russian([*args, "--out", str(tmp_path / "out")], code)
    assert out.strip()
    assert not english_lines(out), english_lines(out)


def test_calibrate_retention_notes_are_russian(tmp_path: Path) -> None:
    """The retention table's reading note and the fragment's note on periods, in Russian, asked
    for with --lang (it wins over GROWTHSIM_LANG)."""
    table = tmp_path / "regular.csv"
    table.write_text("period,survivors\n0,1000\n1,631\n2,468\n3,382\n4,326\n5,289\n",
                     encoding="utf-8")
    out = _russian(["calibrate", "retention", str(table), "--out", str(tmp_path / "r"),
                    "--lang", "ru"], 0, env_lang="en")
    assert "прочитано как UTF-8" in out
    assert not english_lines(out), english_lines(out)


def test_bad_rows_of_an_export_are_said_in_russian(tmp_path: Path) -> None:
    """Each kind of bad row (no customer, a bad date, a bad or negative amount; a lead's bad
    date, outcome, response time, touches) is named, with its fix, in Russian."""
    purchases = tmp_path / "purchases.csv"
    purchases.write_text("customer_id,date,amount\n1,2024-01-01,10\n,2024-01-02,5\n"
                         "2,notadate,3\n3,2024-01-03,-4\n4,2024-01-03,abc\n", encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text("lead_id,created,channel,outcome,touches,first_response_hours\n"
                     "1,2024-01-01,a,won,1,2\n2,bad,a,zzz,x,-1\n", encoding="utf-8")
    for command, csv in (("transactions", purchases), ("funnel", leads)):
        out = _russian(["calibrate", command, str(csv), "--out", str(tmp_path / "out")], 2)
        assert out.count("--skip-bad-rows") == 4, out
        assert not english_lines(out), english_lines(out)


def test_refusals_of_options_and_files_are_russian(tmp_path: Path) -> None:
    """The refusals of --bets, --break, --preset, --scheduler, --dask-workers with --scheduler,
    an export with a header only, a missing column, no usable purchase left, and a scenario or
    sweep that is not UTF-8 text: each in Russian."""
    header_only = tmp_path / "header.csv"
    header_only.write_text("customer_id,date,amount\n", encoding="utf-8")
    leads_header = tmp_path / "leads_header.csv"
    leads_header.write_text("lead_id,created,channel,outcome\n", encoding="utf-8")
    no_amount = tmp_path / "no_amount.csv"
    no_amount.write_text("customer_id,date,paid\n1,2024-01-01,10\n", encoding="utf-8")
    no_outcome = tmp_path / "no_outcome.csv"
    no_outcome.write_text("lead_id,created,channel\n1,2024-01-01,a\n", encoding="utf-8")
    all_bad = tmp_path / "all_bad.csv"
    all_bad.write_text("customer_id,date,amount\n,2024-01-01,10\n", encoding="utf-8")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    sweep = ROOT / "scenarios" / "sweeps" / sorted(
        p.name for p in (ROOT / "scenarios" / "sweeps").glob("*.yaml"))[0]
    out = tmp_path / "out"
    cases: list[tuple[list[str], str]] = [
        (["compare", SCENARIO, "--bets", ","], "--bets"),
        (["compare", SCENARIO, "--bets", "nosuch"], "nosuch"),
        (["stress", SCENARIO, "--engine", "agent", "--break", "x:sideways"], "--break"),
        (["stress", SCENARIO, "--engine", "agent", "--preset", "asteroid"], "asteroid"),
        (["run", SCENARIO, "--reps", "2", "--scheduler", "udp://127.0.0.1:8786"], "udp"),
        (["run", SCENARIO, "--reps", "2", "--scheduler", "127.0.0.1"], "порт"),
        (["run", SCENARIO, "--reps", "2", "--scheduler", "tcp://127.0.0.1:70000"], "70000"),
        (["batch", str(sweep), "--dask-workers", "1", "--scheduler", "tcp://127.0.0.1:8786"],
         "--dask-workers"),
        (["calibrate", "transactions", str(header_only)], "заголовок"),
        (["calibrate", "funnel", str(leads_header)], "заголовок"),
        (["calibrate", "transactions", str(no_amount)], "--amount-col"),
        (["calibrate", "funnel", str(no_outcome)], "outcome"),
        (["calibrate", "transactions", str(all_bad), "--skip-bad-rows"], "пригодной"),
        (["run", str(latin1), "--reps", "2"], "UTF-8"),
        (["batch", str(latin1)], "UTF-8"),
    ]
    for args, shown in cases:
        text = _russian([*args, "--out", str(out)], 2)
        assert shown in text, (args, text)
        assert not english_lines(text), (args, english_lines(text))
