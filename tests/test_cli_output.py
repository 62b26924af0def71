"""What `growthsim` prints, read at 80 columns (`COLUMNS=80`), in English and Russian, and how
its `--help` reads.

A figure is never split across lines (Rich breaks a cell at any space, the no-break space of
Russian numbers included), no line is wider than 80 columns, no figure is cut with "…" or
written in exponent notation, and the headings are in the language asked for. The figures
looked for are the ones the command wrote to its JSON file, formatted by the report layer (the
test checks where they are printed, not how they are computed).

The help: no `<bool>` after a flag, no `%%`, no braces around an argument in the usage line,
nothing cut with "…", every option explained, one default engine; and `growthsim --help` does
not import the heavy libraries (a regression guard on the start-up time, not a timing test).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from models.words.formats import money, size_text
from sim.cli.main import app
from sim.cli.options import DEFAULT_ENGINE

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 80

# A small plan in the millions (so that Russian figures have spaces between thousands), with
# two options, a goal, and a horizon short enough for a test.
SHOP: dict[str, Any] = {
    "name": "output test",
    "currency": "RUB",
    "horizon_months": 4,
    "overhead_monthly": 2_000_000,
    "channels": [
        {"name": "search", "title": {"en": "Search ads", "ru": "Реклама в поиске"},
         "budget_monthly": 1_500_000, "max_leads": 300, "half_saturation_budget": 2_000_000},
        {"name": "word_of_mouth", "organic_leads": 20},
    ],
    "sales": {"managers": 3, "handling_minutes": 10, "salary_monthly": 120_000},
    "journey": {
        "first_contact_conversion": {"dist": "beta", "mean": 0.2, "sd": 0.05},
        "first_contact_drop": 0.3,
        "follow_up": {"max_touches": 3, "interval_days": 3, "conversion_per_touch": 0.05},
        "invoice": {"paid_probability": 0.9, "delay_days": 3},
    },
    "tiers": [{"name": "start", "price": 250_000, "cost_of_goods": 50_000, "entry_share": 1.0,
               "regular": True, "monthly_churn": 0.05}],
    "goal": {"metric": "active_clients", "target": 60, "deadline_month": 4},
    "bets": [
        {"name": "more_search", "title": {"en": "More search ads", "ru": "Больше рекламы"},
         "changes": [{"path": "channels.search.budget_monthly", "scale": 1.5}]},
        {"name": "search_budget", "title": {"en": "Search budget", "ru": "Бюджет поиска"},
         "changes": [{"path": "channels.search.budget_monthly", "set": 1_500_000}]},
        {"name": "follow_up", "title": {"en": "A follow-up script", "ru": "Скрипт звонков"},
         "one_off_cost": 300_000,
         "changes": [{"path": "journey.follow_up.max_touches", "set": 5}]},
    ],
}


def _scenario(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plan, written in `folder`, which becomes the working folder (short paths: a file
    name longer than the terminal could not wrap)."""
    monkeypatch.chdir(folder)
    path = Path("shop.yaml")
    path.write_text(yaml.safe_dump(copy.deepcopy(SHOP), allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def _invoke(args: list[str], lang: str = "en") -> str:
    result = CliRunner().invoke(app, args, env={"COLUMNS": str(WIDTH), "GROWTHSIM_LANG": lang})
    assert result.exit_code == 0, result.output
    return result.stdout


def _reads_at_80(text: str, figures: list[str]) -> None:
    """No line wider than 80, no figure cut or in exponent notation, each figure on one line."""
    lines = text.splitlines()
    wide = [line for line in lines if len(line) > WIDTH]
    assert not wide, "\n".join(wide)
    assert not re.search(r"\S…", text), text  # cut ("49,0 млн…"); a range is "a … b"
    assert not re.search(r"\de[+-]\d", text), text
    for figure in figures:
        assert figure in text, f"{figure!r} is not printed on one line:\n{text}"


def test_run_prints_whole_figures_and_says_whether_the_precision_was_reached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario(tmp_path, monkeypatch)
    for lang, heading in (("en", "owner's view"), ("ru", "для собственника")):
        out = Path(f"run_{lang}")
        text = _invoke(["run", str(scenario), "--reps", "4", "--workers", "1", "--out",
                        str(out), "--precision", "50", "--max-reps", "8"], lang)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        revenue = summary["metrics"]["total_revenue"]["mean"]
        _reads_at_80(text, [money(revenue, "RUB", lang, compact=True)])
        assert heading in text
        said = "достигнута" if lang == "ru" else "reached"
        assert "--precision 50%: " in text and said in text, text


def test_compare_prints_its_tables_in_the_language_with_whole_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario(tmp_path, monkeypatch)
    for lang, heading in (("en", "option"), ("ru", "вариант")):
        out = Path(f"cmp_{lang}")
        text = _invoke(["compare", str(scenario), "--reps", "4", "--workers", "1", "--out",
                        str(out)], lang)
        doc = json.loads((out / "compare.json").read_text(encoding="utf-8"))
        rows = [r for r in doc["ranking"] if r["bet"] != "baseline"]
        _reads_at_80(text, [money(r["npv"], "RUB", lang, compact=True) for r in rows])
        assert heading in text


def test_seek_prints_sizes_as_whole_numbers_in_the_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario(tmp_path, monkeypatch)
    for lang in ("en", "ru"):
        out = Path(f"seek_{lang}")
        # a budget found by bisection: 1,636,718.75 is written 1,636,719 (not 1,636,718.750)
        text = _invoke(["seek", str(scenario), "--bet", "search_budget", "--high", "5000000",
                        "--target", "0.5", "--set", "goal.target=160", "--reps", "4",
                        "--workers", "1", "--out", str(out)], lang)
        doc = json.loads((out / "seek.json").read_text(encoding="utf-8"))
        assert doc["size"] is not None and not float(doc["size"]).is_integer(), doc
        _reads_at_80(text, [size_text(doc["size"], lang), size_text(doc["size_p10"], lang)])
        assert size_text(doc["size"], lang)[-4:-3] in ",\u00a0", size_text(doc["size"], lang)


def test_stress_prints_figures_in_the_language_and_says_the_plan_already_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario(tmp_path, monkeypatch)
    for lang, fails in (("en", "already misses the threshold"), ("ru", "уже не дотягивает")):
        out = Path(f"stress_{lang}")
        # a goal the plan cannot reach: every lever is "broken without a shock"
        text = _invoke(["stress", str(scenario), "--preset", "recession", "--reverse",
                        "--threshold", "0.5", "--set", "goal.target=1000", "--reps", "4",
                        "--workers", "1", "--out",
                        str(out)], lang)
        doc = json.loads((out / "stress.json").read_text(encoding="utf-8"))
        npv = [money(r["npv_mean"], "RUB", lang, compact=True) for r in doc["table"]]
        _reads_at_80(text, npv)
        assert "ST_low" not in text and "npv_mean" not in text
        assert fails in " ".join(text.split()), text  # a sentence may wrap between words


# -- help --------------------------------------------------------------------------------------

def _commands() -> list[list[str]]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    paths: list[list[str]] = [[]]
    for name, command in group.commands.items():
        paths.append([name])
        for sub in getattr(command, "commands", {}):
            paths.append([name, sub])
    return paths


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "growthsim")
def test_help_reads_at_80_columns(path: list[str]) -> None:
    text = _invoke([*path, "--help"])
    assert all(len(line) <= WIDTH for line in text.splitlines()), text
    assert "<bool>" not in text and "%%" not in text and "…" not in text, text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage
    assert "<str>" not in "\n".join(line for line in text.splitlines()
                                    if "--engine" in line or "--lang" in line), text


def test_every_option_is_explained_and_the_engine_defaults_to_one_choice() -> None:
    group = typer.main.get_command(app)
    commands: list[Any] = []
    for command in group.commands.values():  # type: ignore[attr-defined]
        commands += list(getattr(command, "commands", {}).values()) or [command]
    engines = set()
    for command in commands:
        for param in command.params:
            if param.param_type_name == "option":
                assert (param.help or "").strip(), f"{command.name} {param.opts} has no help"
            if param.name == "engine":
                engines.add(str(param.default))
    assert engines == {str(DEFAULT_ENGINE)}, engines


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["compare", "--help"]])
def test_help_does_not_import_the_heavy_libraries(args: list[str]) -> None:
    code = ("import sys\nfrom sim.cli.main import app\ntry:\n    app(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            "heavy = ('numba', 'pandas', 'scipy', 'pyarrow', 'plotly', 'dask', 'duckdb', "
            "'optuna')\nprint(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "COLUMNS": "80"}, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr

