"""Stress tests: presets, custom and combined shocks against the plan on common random numbers,
and the reverse stress test (the smallest shock that breaks the plan)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from models.compiled.bets import compile_alternative, stress_shocks
from models.compiled.shocks import ALIASES
from models.load import load_scenario
from sim.cli.main import app
from sim.experiments.stress import (
    PRESETS,
    ReverseTarget,
    combined,
    custom_shock,
    default_threshold,
    find_break,
    lever_targets,
    parse_shock,
    preset,
    reverse_stress,
    stress_test,
)
from sim.report import sensitivity as report
from tests.test_sensitivity import tiny


def two_channels() -> dict[str, Any]:
    data = tiny()
    data["channels"].append({"name": "seo", "max_leads": 0, "half_saturation_budget": 1000,
                             "organic_leads": 5})
    data["sales"]["managers"] = 3
    return data


def test_every_preset_is_a_costless_timed_shock() -> None:
    spec = load_scenario(two_channels())
    for name in PRESETS:
        bet = preset(spec, name, start_month=2, duration_months=3)
        assert bet.start_month == 2 and bet.end_month == 4
        assert bet.one_off_cost == 0 and bet.monthly_cost == 0 and bet.changes
        compile_alternative(spec, [bet])  # valid in every month
    assert preset(spec, "channel_off").changes[0].path == "channels.ads.max_leads"  # largest
    off = preset(spec, "channel_off:seo")
    assert {c.path for c in off.changes} == {"channels.seo.max_leads",
                                             "channels.seo.organic_leads"}
    assert preset(spec, "recession", severity=2).changes[0].scale == pytest.approx(0.4)
    with pytest.raises(ValueError, match="no preset named"):
        preset(spec, "asteroid")
    with pytest.raises(ValueError, match="no such channel"):
        preset(spec, "channel_off:tv")
    with pytest.raises(ValueError, match="outside the horizon"):
        preset(spec, "recession", start_month=7)


def test_every_spelling_of_a_shock_makes_the_same_changes() -> None:
    """The app's standard shocks and the stress test's presets are one catalogue: an alias
    (the app's name) is accepted as a preset and changes what the preset changes, and the
    app's shock of that name changes the same. A bug: the two drifting apart (one edited, the
    other not), or an alias refused by `--preset`."""
    spec = load_scenario(two_channels())
    app_shocks = {b.name: b for b in stress_shocks(spec, 2, 3, severity=1.5)}
    assert set(ALIASES) <= set(app_shocks)
    for alias, name in ALIASES.items():
        changes = preset(spec, name, 2, 3, severity=1.5).changes
        assert preset(spec, alias, 2, 3, severity=1.5).changes == changes
        assert app_shocks[alias].changes == changes
    # fewer_leads is the leads half of recession
    recession = preset(spec, "recession", 2, 3, severity=1.5).changes
    assert app_shocks["fewer_leads"].changes == recession[:2]
    assert {c.path for c in recession[:2]} == {"channels.*.max_leads",
                                               "channels.*.organic_leads"}


def test_churn_spike_never_takes_churn_above_the_cap() -> None:
    data = tiny()
    data["tiers"][0]["monthly_churn"] = 0.8
    spec = load_scenario(data)
    shocked = compile_alternative(spec, [preset(spec, "churn_spike", severity=4)])
    assert shocked.timeline[0].tiers[0].churn == pytest.approx(0.95)


def test_combined_shocks_act_together() -> None:
    spec = load_scenario(two_channels())
    a = custom_shock(spec, ["channels.ads.max_leads:scale:0.5"])
    b = custom_shock(spec, ["channels.ads.max_leads:scale:0.5"], name="again")
    both = compile_alternative(spec, [combined([a, b])]).timeline[0]
    quarter = compile_alternative(spec, [custom_shock(
        spec, ["channels.ads.max_leads:scale:0.25"])]).timeline[0]
    assert both.channels[0].paid_leads == pytest.approx(quarter.channels[0].paid_leads)
    with pytest.raises(ValueError, match="same months"):
        combined([a, custom_shock(spec, ["sales.managers:add:-1"], start_month=3)])


@pytest.mark.parametrize("text", ["sales.managers", "sales.managers:times:2",
                                  "sales.managers:add:x"])
def test_a_badly_written_shock_says_how_to_write_it(text: str) -> None:
    with pytest.raises(ValueError, match=r"path:op:value|needs a number"):
        parse_shock(text)


def test_stress_test_against_the_plan_on_common_random_numbers() -> None:
    spec = load_scenario(two_channels())
    nothing = custom_shock(spec, ["channels.ads.max_leads:scale:1"], name="nothing")
    shocks = [nothing, preset(spec, "channel_off:ads"), preset(spec, "recession")]
    result = stress_test(spec, shocks, replications=6, seed=3, workers=1)
    table = result.table().set_index("shock")
    # a shock that changes nothing is the plan itself, replication by replication
    assert table.loc["nothing", "delta_npv"] == 0 and table.loc["nothing", "delta_npv_high"] == 0
    assert table.loc["nothing", "p_goal"] == table.loc["baseline", "p_goal"]
    # without its paid channel the business cannot reach 2,000 a month of revenue
    assert table.loc["channel_off:ads", "p_goal"] == 0
    assert table.loc["channel_off:ads", "delta_npv_high"] < 0
    assert table.loc["recession", "delta_npv_high"] < 0
    lo, hi = table.loc["baseline", ["p_goal_low", "p_goal_high"]]
    assert lo <= table.loc["baseline", "p_goal"] <= hi
    doc = result.to_dict()
    assert [row["shock"] for row in doc["table"]] == ["baseline", "nothing", "channel_off:ads",
                                                      "recession"]
    for lang in ("en", "ru"):
        assert len(report.stress_figure(result, lang).data[0].x) == 4
        assert report.stress_table(result, lang).shape == (4, 15)


def steady_state_model(target: ReverseTarget, size: float, replication: int,
                       draw: dict[str, float]) -> float:
    """A base of clients at its steady state: 100 new clients a month over a churn of 5% x
    (1 + size), each replication's inflow off by a little noise; the goal is a base of 1,000,
    so the plan breaks (P < 50%) where the churn doubles: size 1, by construction."""
    assert target.name == "churn"
    inflow = 100 * (1 + 0.05 * np.random.default_rng(replication).standard_normal())
    base = inflow / (0.05 * (1 + size))
    return float(base >= 1000)


def test_reverse_stress_finds_the_churn_at_which_the_base_falls_below_the_goal() -> None:
    spec = load_scenario(tiny())
    churn = next(t for t in lever_targets(spec) if t.name == "churn")
    result = reverse_stress(spec, [churn], replications=200, model=steady_state_model,
                            tolerance=0.001)
    (found,) = result.breaks
    assert found.size == pytest.approx(1.0, abs=0.03)
    assert found.low is not None and found.high is not None
    assert found.low <= 1.0 <= found.high  # the interval covers the threshold known
    assert found.high - found.low < 0.2
    assert found.value_at_size is not None and found.value_at_size < 0.5
    assert found.value_unshocked == 1.0 and not found.already_broken


def test_the_default_threshold_is_below_the_plan_s_own_chance_and_a_broken_plan_is_said(
        ) -> None:
    """With no threshold the plan is not broken before any shock (the default is below its own
    chance); with a threshold above the plan's chance the result says the plan already misses
    it, in both languages, instead of a table of zeros alone."""
    from sim.report.i18n import t

    for chance in (0.45, 0.3, 0.07, 1.0):
        assert 0 < default_threshold(chance) < chance
    assert default_threshold(0.0) == 0.01
    spec = load_scenario(tiny())
    churn = next(t_ for t_ in lever_targets(spec) if t_.name == "churn")

    def model(target: Any, size: float, replication: int, draw: Any) -> float:
        return float(replication % 20 < 9)  # the plan reaches the goal in 45% of the futures

    auto = reverse_stress(spec, [churn], replications=40, model=model)
    assert auto.plan_value == pytest.approx(0.45) and auto.threshold_default
    assert auto.threshold < 0.45 and not auto.plan_broken
    assert not auto.breaks[0].already_broken
    assert report.reverse_note(auto, "en") == t("reverse_auto_threshold", "en",
                                                threshold="20%", plan="45%")
    fixed = reverse_stress(spec, [churn], threshold=0.5, replications=40, model=model)
    assert fixed.plan_broken and fixed.breaks[0].already_broken
    note = report.reverse_note(fixed, "en")
    assert note is not None and "already misses" in note and "45%" in note and "50%" in note
    ru = report.reverse_note(fixed, "ru")
    assert ru is not None and "уже" in ru and "45" in ru


def test_find_break_says_when_the_plan_holds_or_is_already_broken() -> None:
    holds = find_break(lambda x: np.ones(10), lambda v: v.mean() < 0.5, 1.0, 0.01)
    assert holds.size is None and holds.low is None
    broken = find_break(lambda x: np.zeros(10), lambda v: v.mean() < 0.5, 1.0, 0.01)
    assert broken.size == 0 and broken.already_broken


def test_reverse_stress_on_the_simulation_brackets_its_answer() -> None:
    """Fewer leads: every size tried below the answer keeps P(goal) >= 50%, the answer is
    below it (the same replications at every size make P fall with the size)."""
    spec = load_scenario(tiny())
    leads = next(t for t in lever_targets(spec) if t.name == "leads")
    result = reverse_stress(spec, [leads], threshold=0.5, replications=6, seed=2, workers=1,
                            tolerance=0.05)
    (found,) = result.breaks
    assert found.size is not None and 0 < found.size < 1
    for size, p in found.evaluations:
        assert (p < 0.5) == (size >= found.size), found.evaluations
    frame = report.reverse_table(result, "ru")
    assert frame.columns[0] == "что меняется" and frame.iloc[0, 0] == "лиды"


def test_reverse_stress_needs_a_goal_or_the_npv_criterion() -> None:
    data = tiny()
    del data["goal"]
    spec = load_scenario(data)
    with pytest.raises(ValueError, match="no goal"):
        reverse_stress(spec, criterion="goal")


def test_cli_stress_writes_the_table_and_the_reverse_test(tmp_path: Any) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(two_channels()))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "stress", str(path), "--preset", "channel_off:ads", "--shock",
        "tiers.*.monthly_churn:scale:2", "--combine", "--reverse", "--reps", "2",
        "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "stress.json").read_text())
    assert [r["shock"] for r in doc["table"]] == ["baseline", "channel_off:ads",
                                                  "tiers.*.monthly_churn:scale:2", "combined"]
    assert {b["target"] for b in doc["reverse"]["breaks"]} == {
        "leads", "conversion", "average_check", "frequency", "churn"}
    assert (out / "stress_monthly.parquet").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--preset", "asteroid"], "no preset named"),
    (["--shock", "sales.managers"], "path:op:value"),
    (["--shock", "sales.nonsense:set:3"], "nonsense"),
    (["--start", "99", "--preset", "recession"], "outside the horizon"),
    (["--reverse", "--break", "sales.bogus"], "--break sales.bogus"),
])
def test_cli_stress_bad_input_exits_2(tmp_path: Any, args: list[str], message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tiny()))
    result = CliRunner().invoke(app, ["stress", str(path), *args, "--reps", "2", "--workers",
                                      "1", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
