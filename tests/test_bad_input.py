"""Bad input through the real command line: every malformed scenario or override is refused with
exit code 2, a message that names the offending field (path: what is wrong; how to fix) and no
traceback, before anything is simulated or written.

Each bad scenario is a small edit of one valid base scenario, so the edit alone is what fails.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli.main import app

ROOT = Path(__file__).resolve().parents[1]

BASE: dict[str, Any] = {
    "name": "bad-input base",
    "currency": "RUB",
    "horizon_months": 6,
    "segments": [{"name": "smb", "share": 0.7}, {"name": "enterprise", "share": 0.3,
                                                 "committee_delay_days": 20}],
    "channels": [
        {"name": "search", "budget_monthly": 100000, "max_leads": 120,
         "half_saturation_budget": 100000},
        {"name": "partners", "organic_leads": 10},
    ],
    "sales": {"managers": 2, "handling_minutes": 20, "salary_monthly": 80000},
    "journey": {
        "first_contact_conversion": {"dist": "beta", "mean": 0.1, "sd": 0.02},
        "follow_up": {"max_touches": 3, "interval_days": 3, "conversion_per_touch": 0.05},
        "invoice": {"paid_probability": 0.9, "delay_days": 5},
    },
    "tiers": [
        {"name": "basic", "price": 10000, "cost_of_goods": 4000, "entry_share": 1.0,
         "regular": True, "monthly_churn": 0.05},
        {"name": "pro", "price": 30000, "cost_of_goods": 12000, "regular": True,
         "monthly_churn": 0.03},
    ],
    "goal": {"metric": "monthly_revenue", "target": 500000, "deadline_month": 6},
    "initial_state": {
        "clients": [{"tier": "basic", "count": 5, "tenure_months": 3}],
        "open_leads": [{"channel": "search", "count": 4}],
        "unpaid_invoices": [{"tier": "pro", "count": 1}],
    },
}

Edit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    """One bad input: an edit of BASE (or raw file text), extra CLI arguments, and the fragments
    the error must contain; the first fragment is the offending field's path as the user wrote
    it (or, for whole-file problems, where in the file)."""

    id: str
    expect: tuple[str, ...]
    edit: Edit | None = None
    text: str | None = None
    args: tuple[str, ...] = ()
    file: str = "scenario.yaml"
    missing_file: bool = False


def _set(path: str, value: Any) -> Edit:
    """An edit that sets one value of BASE by a dotted path (list items by index)."""

    def edit(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = raw
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


def _drop(key: str) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        del raw[key]

    return edit


def _correlate_with_certain(raw: dict[str, Any]) -> None:
    raw["uncertainty"] = {"correlations": [
        {"a": "journey.first_contact_conversion", "b": "sales.managers", "rho": 0.5}]}


def _alias_bomb() -> str:
    """The issue's 639-byte file: seven levels of lists of ten aliases of the level below, in
    `price` (10^7 values, a 700 MB repr for an error message)."""
    anchors = ["  l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 7):
        anchors.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    text = yaml.safe_dump(BASE, sort_keys=False).replace("price: 10000", "price: *l6", 1)
    return "x_anchors:\n" + "\n".join(anchors) + "\n" + text


CASES = [
    # -- the file itself -------------------------------------------------------------------
    Case("malformed_yaml", ("line 3", "not valid YAML"),
         text="name: broken\nchannels: [\n  - {name: search\n"),
    Case("tab_indentation", ("line 2, column 1", "not valid YAML"),
         text="name: tabs\n\tchannels: []\n"),
    Case("yaml_list_not_mapping", ("must be a YAML mapping", "got a list"),
         text="- name: a list\n- channels: []\n"),
    Case("empty_file", ("the file is empty", "name:"), text=""),
    Case("nonexistent_file", ("no_such_scenario.yaml", "file not found"),
         file="no_such_scenario.yaml", missing_file=True),
    # -- structure ---------------------------------------------------------------------------
    Case("missing_journey", ("journey: ", "required but missing"), edit=_drop("journey")),
    Case("unknown_field_typo", ("sales.managerz: ", "did you mean 'managers'"),
         edit=_set("sales.managerz", 3)),
    Case("unknown_top_level_field", ("horizon: ", "did you mean 'horizon_months'"),
         edit=_set("horizon", 12)),
    Case("channels_as_mapping", ("channels: ", "YAML list"),
         edit=_set("channels", {"search": {"budget_monthly": 1000}})),
    Case("journey_not_a_group", ("journey: ", "group of parameters"),
         edit=_set("journey", "fast")),
    Case("duplicate_channel_names", ("channels: ", "unique", "search"),
         edit=_set("channels.1.name", "search")),
    Case("segment_shares_not_1", ("segments: ", "add up to 1", "1.2"),
         edit=_set("segments.1.share", 0.5)),
    Case("unknown_goal_metric", ("goal.metric: ", "'monthly_revenue'", "'revenue'"),
         edit=_set("goal.metric", "revenue")),
    Case("deadline_after_horizon", ("goal.deadline_month: ", "after the horizon"),
         edit=_set("goal.deadline_month", 40)),
    Case("unknown_tier_in_initial_state", ("initial_state.clients.0.tier: ", "'gold'", "basic"),
         edit=_set("initial_state.clients.0.tier", "gold")),
    Case("unknown_channel_in_open_leads", ("initial_state.open_leads.0.channel: ", "'tv'"),
         edit=_set("initial_state.open_leads.0.channel", "tv")),
    Case("bad_currency", ("currency: ", "ISO 4217"), edit=_set("currency", "rubles")),
    # -- numbers -----------------------------------------------------------------------------
    Case("probability_1_7", ("journey.follow_up.conversion_per_touch: ", "[0, 1]", "1.7"),
         edit=_set("journey.follow_up.conversion_per_touch", 1.7)),
    Case("negative_budget", ("channels.search.budget_monthly: ", ">= 0", "-5000"),
         edit=_set("channels.0.budget_monthly", -5000)),
    Case("string_for_number", ("tiers.basic.price: ", "'cheap'"),
         edit=_set("tiers.0.price", "cheap")),
    Case("number_with_units", ("tiers.pro.price: ", "without units"),
         edit=_set("tiers.1.price", "30000 RUB")),
    Case("percent_for_share", ("segments.smb.share: ", "0.7 for 70%"),
         edit=_set("segments.0.share", "70%")),
    Case("fractional_managers", ("sales.managers: ", "whole number"),
         edit=_set("sales.managers", 2.5)),
    Case("too_many_touches", ("journey.follow_up.max_touches: ", "15"),
         edit=_set("journey.follow_up.max_touches", 40)),
    Case("zero_horizon", ("horizon_months: ", "at least 1"), edit=_set("horizon_months", 0)),
    Case("infinite_price", ("tiers.basic.price: ", "finite"),
         text=yaml.safe_dump(BASE, sort_keys=False).replace("price: 10000", "price: .inf")),
    Case("huge_integer", ("tiers.basic.price: ", "too large"), edit=_set("tiers.0.price", 10**400)),
    # -- distributions -----------------------------------------------------------------------
    Case("triangular_low_above_high", ("channels.search.max_leads: ", "low <= mode <= high"),
         edit=_set("channels.0.max_leads",
                   {"dist": "triangular", "low": 200, "mode": 150, "high": 100})),
    Case("beta_impossible_sd", ("journey.first_contact_conversion: ", "sd must be below"),
         edit=_set("journey.first_contact_conversion", {"dist": "beta", "mean": 0.1, "sd": 0.5})),
    Case("distribution_over_probability_above_1",
         ("journey.invoice.paid_probability: ", "ranges over", "[0, 1]"),
         edit=_set("journey.invoice.paid_probability",
                   {"dist": "triangular", "low": 0.8, "mode": 0.95, "high": 1.2})),
    Case("unknown_distribution", ("tiers.basic.monthly_churn: ", "'gauss'", "beta"),
         edit=_set("tiers.0.monthly_churn", {"dist": "gauss", "mean": 0.05})),
    Case("distribution_without_dist", ("sales.salary_monthly: ", "'dist:'"),
         edit=_set("sales.salary_monthly", {"low": 1, "high": 2})),
    Case("correlation_with_a_certain_parameter",
         ("uncertainty.correlations.0.b: ", "'sales.managers'", "not an uncertain parameter"),
         edit=_correlate_with_certain),
    # -- overrides ---------------------------------------------------------------------------
    Case("set_unknown_path", ("sales.managerz: ", "unknown parameter", "sales.managerz=3"),
         args=("--set", "sales.managerz=3")),
    Case("set_unknown_item", ("channels.tv: ", "no item named 'tv'"),
         args=("--set", "channels.tv.budget_monthly=5")),
    Case("set_bad_value", ("sales.managers: ", "'many'", "override"),
         args=("--set", "sales.managers=many")),
    Case("set_out_of_range", ("journey.first_contact_drop: ", "[0, 1]", "override"),
         args=("--set", "journey.first_contact_drop=1.7")),
    Case("set_unreadable_value", ("sales.managers: ", "cannot read the value"),
         args=("--set", "sales.managers=[1, 2")),
    Case("set_without_equals", ("sales.managers: ", "path=value"),
         args=("--set", "sales.managers")),
    Case("set_markup_like_name", ("tiers.[/x]: ", "no item named '[/x]'"),
         args=("--set", "tiers.[/x].price=3")),
    # -- hostile files, overflow, volume -----------------------------------------------------
    Case("yaml_alias_bomb", ("aliases (*name) expand to more than 10,000 values",),
         text=_alias_bomb()),
    Case("yaml_alias_loop", ("refers to itself",),
         text="name: loop\nchannels: &c [*c]\n"),
    Case("yaml_too_deep", ("nested too deeply",), text="name: deep\nchannels: " + "[" * 5000),
    Case("duplicate_key", ("line ", "'sales' appears twice", "merge them"),
         text=yaml.safe_dump(BASE, sort_keys=False) + "sales:\n  managers: 3\n"),
    Case("duplicate_nested_key", ("'price' appears twice",),
         text=yaml.safe_dump(BASE, sort_keys=False).replace(
             "price: 10000", "price: 10000\n  price: 12000", 1)),
    Case("price_1e308", ("tiers.basic.price: ", "at most 1e+12"),
         edit=_set("tiers.0.price", 1e308)),
    Case("budget_1e15", ("channels.search.budget_monthly: ", "at most 1e+12"),
         edit=_set("channels.0.budget_monthly", 1e15)),
    Case("signed_amount_huge", ("sales.salary_monthly: ", "1e+12"),
         edit=_set("sales.salary_monthly", {"dist": "uniform", "low": 1, "high": 1e14})),
    Case("goal_target_infinite", ("goal.target: ",), edit=_set("goal.target", float("inf"))),
    Case("set_price_1e308", ("tiers.basic.price: ", "1e+12", "override"),
         args=("--set", "tiers.basic.price=1e308")),
    Case("set_organic_leads_1e8", ("channels.partners: ", "leads and clients", "2,000,000",
                                   "divide leads"),
         args=("--set", "channels.partners.organic_leads=1e8")),
    Case("too_many_initial_clients", ("initial_state (clients)", "2,000,000"),
         edit=_set("initial_state.clients.0.count", 10**9)),
    Case("bet_floods_the_leads", ("bets.flood: ", "leads and clients", "2,000,000"),
         edit=_set("bets", [{"name": "flood", "changes": [
             {"path": "channels.partners.organic_leads", "scale": 1e6}]}])),
]
RUN_TOO = {"malformed_yaml", "yaml_alias_bomb", "duplicate_key", "price_1e308",
           "set_organic_leads_1e8", "missing_journey", "probability_1_7", "negative_budget",
           "segment_shares_not_1", "beta_impossible_sd", "correlation_with_a_certain_parameter",
           "set_unknown_path", "set_bad_value", "deadline_after_horizon", "nonexistent_file",
           "unknown_tier_in_initial_state"}


def _materialise(case: Case, folder: Path) -> Path:
    path = folder / case.file
    if case.missing_file:
        return path
    if case.text is not None:
        path.write_text(case.text, encoding="utf-8")
        return path
    raw = copy.deepcopy(BASE)
    if case.edit is not None:  # override cases run on the valid base itself
        case.edit(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _check(case: Case, exit_code: int, output: str, exception: BaseException | None) -> None:
    assert "Traceback" not in output, output
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert exit_code == 2, output
    flat = " ".join(output.split())  # any line wrapping of the terminal must not matter
    for fragment in case.expect:
        assert " ".join(fragment.split()) in flat, f"{fragment!r} not in:\n{output}"
    assert "error:" in output


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_base_scenario_is_valid(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(BASE, sort_keys=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["run", str(path), "--reps", "1", "--workers", "1",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_there_are_many_distinct_cases() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_validate_refuses_and_names_the_field(case: Case, runner: CliRunner,
                                             tmp_path: Path) -> None:
    path = _materialise(case, tmp_path)
    result = runner.invoke(app, ["validate", str(path), *case.args])
    _check(case, result.exit_code, result.output, result.exception)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in RUN_TOO], ids=lambda c: c.id)
def test_run_refuses_before_simulating(case: Case, runner: CliRunner, tmp_path: Path) -> None:
    path = _materialise(case, tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--reps", "1", "--workers", "1",
                                 "--out", str(out), *case.args])
    _check(case, result.exit_code, result.output, result.exception)
    assert not out.exists(), "bad input must not write results"


@pytest.mark.parametrize("case_id", ["malformed_yaml", "probability_1_7", "set_unknown_path",
                                     "nonexistent_file", "set_markup_like_name"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_installed_command_exits_2_without_traceback(case_id: str, command: str,
                                                     tmp_path: Path) -> None:
    """The same through a real process and the console-script entry point (`sim.cli.main:main`)."""
    case = next(c for c in CASES if c.id == case_id)
    path = _materialise(case, tmp_path)
    extra = ["--reps", "1", "--workers", "1", "--out", str(tmp_path / "out")] \
        if command == "run" else []
    proc = subprocess.run(
        [sys.executable, "-c", "from sim.cli.main import main; main()", command, str(path),
         *extra, *case.args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)},
    )
    _check(case, proc.returncode, proc.stdout + proc.stderr, None)


def test_scientific_notation_is_a_number(runner: CliRunner, tmp_path: Path) -> None:
    """YAML 1.1 reads `1e5` (no dot) as text; a scenario means the number."""
    path = tmp_path / "sci.yaml"
    text = yaml.safe_dump(BASE, sort_keys=False).replace("budget_monthly: 100000",
                                                         "budget_monthly: 1e5")
    assert "budget_monthly: 1e5" in text
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_several_problems_are_reported_together(runner: CliRunner, tmp_path: Path) -> None:
    raw = copy.deepcopy(BASE)
    raw["sales"]["managers"] = -1
    raw["tiers"][1]["price"] = "lots"
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "2 problem(s)" in result.output
    assert "sales.managers: " in result.output
    assert "tiers.pro.price: " in result.output


def test_alias_bomb_is_refused_quickly_and_small(tmp_path: Path) -> None:
    """Refused before the document is built: no 700 MB repr, no MemoryError, well under a
    second; the same through the loader the app calls with the uploaded text."""
    import time
    import tracemalloc

    from models.load import ScenarioError, load_scenario

    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        load_scenario(_alias_bomb())
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 2 and peak < 20e6, (seconds, peak)
    assert len(str(err.value)) < 400


def test_messages_of_issue_12_have_russian_text() -> None:
    """The app shows loader errors in Russian: the new ones carry it (models/spec/messages.py)."""
    from models.load import ScenarioError, load_scenario
    from models.spec.errors import Message

    texts = [_alias_bomb(), yaml.safe_dump(BASE, sort_keys=False) + "sales:\n  managers: 3\n"]
    for text in texts:
        with pytest.raises(ScenarioError) as err:
            load_scenario(text)
        what = err.value.problems[0][1]
        assert isinstance(what, Message) and any("а" <= ch <= "я" for ch in what.ru), what
    raw = copy.deepcopy(BASE)
    raw["tiers"][0]["price"] = 1e308
    with pytest.raises(ScenarioError) as err:
        load_scenario(raw, ["channels.partners.organic_leads=1e8"])
    for _, what in err.value.problems:
        assert isinstance(what, Message) and "GrowthSim" in what.ru, what


def test_huge_but_valid_values_give_finite_results(runner: CliRunner, tmp_path: Path) -> None:
    """At the bounds (price 1e12) sums stay finite: no inf/nan in the tables or summary.json."""
    path = tmp_path / "big.yaml"
    raw = copy.deepcopy(BASE)
    raw["tiers"][0]["price"] = 1e12
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--reps", "2", "--workers", "1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "inf" not in result.output and "nan" not in result.output
    import json

    metrics = json.loads((out / "summary.json").read_text())["metrics"]
    assert metrics["total_revenue"]["mean"] is not None and metrics["total_revenue"]["mean"] > 0


def test_workload_of_the_shipped_scenarios_is_far_below_the_limit() -> None:
    """The volume bound refuses nothing a real business runs: every shipped scenario is 20x
    below it; and the estimate grows with what makes the work (leads, horizon)."""
    from models.compiled.workload import MAX_AGENTS, estimate
    from models.load import load_scenario

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert estimate(load_scenario(path)).agents < MAX_AGENTS / 20, path
    small = estimate(load_scenario(copy.deepcopy(BASE)))
    more = estimate(load_scenario(copy.deepcopy(BASE), ["channels.partners.organic_leads=1000"]))
    longer = estimate(load_scenario(copy.deepcopy(BASE), ["horizon_months=24"]))
    assert more.agents > small.agents + 900 * 6 and longer.agents > 3 * small.agents


def test_terminal_escape_sequences_are_shown_not_sent(tmp_path: Path) -> None:
    """A scenario name that retitles and clears the terminal reaches it as visible codes."""
    raw = copy.deepcopy(BASE)
    raw["name"] = "evil \x1b]0;pwned\x07\x1b[2J\x9b31m"
    raw["bets"] = [{"name": "bet \x1b[2J", "changes": [
        {"path": "sales.managers", "add": 1}]}]
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT), "TERM": "xterm",
           "FORCE_COLOR": "1"}  # a terminal as Rich sees it: its own styles may appear
    for args in (["run", "--reps", "2"], ["compare", "--reps", "2"]):
        extra = ["--workers", "1", "--out", str(tmp_path / "out")]
        proc = subprocess.run(
            [sys.executable, "-c", "from sim.cli.main import main; main()", args[0], str(path),
             *args[1:], *extra], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
        assert proc.returncode == 0, proc.stderr
        import re

        # Rich's own colours and progress bar (ESC[...m, ESC[2K, ESC[?25l) are fine; the
        # name's title (OSC, ESC]0;...BEL), screen clear and 8-bit CSI are not.
        raw_output = proc.stdout + proc.stderr
        for raw_sequence in ("\x1b]", "\x07", "\x1b[2J", "\x9b"):
            assert raw_sequence not in raw_output, (args, raw_sequence)
        shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw_output)
        assert "\\x1b]0;pwned\\x07" in shown or "bet \\x1b[2J" in shown, shown



def test_megabyte_names_and_keys_give_short_messages() -> None:
    from models.load import ScenarioError, load_scenario

    raw = copy.deepcopy(BASE)
    raw["channels"][0]["name"] = "x" * 3_000_000
    raw["channels"][0]["budget_monthly"] = -1
    raw["sales"]["y" * 1_000_000] = 3
    raw["tiers"][0]["price"] = ["z" * 1_000_000] * 1000
    with pytest.raises(ScenarioError) as err:
        load_scenario(raw)
    assert len(err.value.problems) == 3 and len(str(err.value)) < 800, str(err.value)[:2000]
