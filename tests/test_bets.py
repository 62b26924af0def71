"""Bets: how they change the scenario over time, and the fairness of the comparison."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from models.compiled.bets import compile_alternative, strength, stress_shocks
from models.compiled.form import compile_scenario
from models.load import ScenarioError, load_scenario
from models.spec.scenario import Bet
from sim.cli.main import app
from sim.experiments.compare import BASELINE, compare_bets, nominal_cost
from sim.experiments.goalseek import seek_size

SMALL: dict[str, Any] = {
    "name": "bets",
    "horizon_months": 12,
    "discount_rate_annual": 0.12,
    "overhead_monthly": 500,
    "channels": [{"name": "ads", "budget_monthly": 1000, "max_leads": 120,
                  "half_saturation_budget": 1000}],
    "sales": {"managers": 30, "handling_minutes": 5, "salary_monthly": 100},
    "journey": {"first_contact_conversion": {"dist": "beta", "mean": 0.2, "sd": 0.03},
                "first_contact_drop": 0.3,
                "follow_up": {"max_touches": 2, "interval_days": 3, "conversion_per_touch": 0.1}},
    "tiers": [{"name": "basic", "price": 100, "cost_of_goods": 40, "monthly_churn": 0.1,
               "purchase_interval_months": 1, "regular": True}],
    "goal": {"metric": "monthly_revenue", "target": 2500, "deadline_month": 10},
}


def small(bets: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data.update(top)
    data["bets"] = bets
    return data


def test_strength_ramps_in_and_ends() -> None:
    bet = Bet(name="b", start_month=3, ramp_months=2, end_month=6)
    assert [strength(bet, m) for m in range(8)] == [0, 0, 0.5, 1, 1, 1, 0, 0]


def test_ramp_and_start_month_reach_the_compiled_months() -> None:
    spec = load_scenario(small([{"name": "ads", "start_month": 3, "ramp_months": 2,
                                 "changes": [{"path": "channels.ads.budget_monthly", "set": 3000},
                                             {"path": "sales.managers", "add": 3}]}]))
    cs = compile_alternative(spec, spec.bets)
    budgets = [p.channels[0].budget for p in cs.timeline]
    assert budgets[:2] == [1000, 1000] and budgets[2] == 2000 and budgets[3:] == [3000] * 9
    managers = [p.managers for p in cs.timeline]
    assert managers[:2] == [30, 30] and managers[2] == 32 and managers[3:] == [33] * 9


def test_no_bets_compiles_exactly_as_the_baseline() -> None:
    spec = load_scenario(small([]))
    assert compile_alternative(spec, []) == compile_scenario(spec)


def test_zero_change_bet_gives_the_baseline_revenue_and_minus_its_cost() -> None:
    spec = load_scenario(small([{"name": "nothing", "start_month": 4, "one_off_cost": 700,
                                 "monthly_cost": 50}]))
    cmp = compare_bets(spec, replications=6, seed=5, workers=1)
    revenue = cmp.delta("nothing", "total_revenue")
    assert np.all(revenue == 0)  # exactly: the same leads made the same choices
    profit = cmp.delta("nothing", "total_profit")
    cost = 700 + 50 * 9
    np.testing.assert_allclose(profit, -cost, rtol=0, atol=1e-6)
    assert cmp.costs["nothing"] == cost


def test_cost_only_bet_has_roi_of_exactly_minus_one() -> None:
    spec = load_scenario(small([{"name": "cost_only", "one_off_cost": 1000, "monthly_cost": 30,
                                 "start_month": 2}]))
    cmp = compare_bets(spec, replications=4, seed=2, workers=1)
    roi = cmp.roi("cost_only")
    assert roi["mean"] == pytest.approx(-1.0, abs=1e-9)
    assert roi["ci_low"] == pytest.approx(-1.0, abs=1e-9)
    assert cmp.table().set_index("bet").loc["cost_only", "payback_month"] is None


@pytest.mark.parametrize("path, value", [("journey.first_contact_conversion", 0.05),
                                         ("journey.follow_up.conversion_per_touch", 0.08)])
def test_better_conversion_never_loses_revenue_in_any_paired_replication(
        path: str, value: float) -> None:
    # Ample managers, no finite market, no referrals: a lead that bought still buys, and no
    # earlier than before, so no replication may lose revenue.
    spec = load_scenario(small([{"name": "better", "changes": [{"path": path, "add": value}]}]))
    cmp = compare_bets(spec, replications=10, seed=11, workers=1)
    gain = cmp.delta("better", "total_revenue")
    assert np.all(gain >= 0)
    assert gain.mean() > 0


def test_lever_split_sums_to_the_incremental_revenue() -> None:
    spec = load_scenario(small([
        {"name": "ads", "changes": [{"path": "channels.ads.budget_monthly", "scale": 2}]},
        {"name": "price", "changes": [{"path": "tiers.basic.price", "scale": 1.2}]},
    ]))
    cmp = compare_bets(spec, replications=5, seed=3, workers=1)
    levers = cmp.levers().set_index("bet")
    parts = levers[["leads", "conversion", "average_check", "frequency"]].sum(axis=1)
    np.testing.assert_allclose(parts, levers["total"], rtol=1e-9)
    # a price rise moves the average check; more budget moves leads
    assert levers.loc["price", "average_check"] > 0.9 * levers.loc["price", "total"]
    assert levers.loc["ads", "leads"] > levers.loc["ads", "conversion"]


def test_paired_standard_error_is_much_smaller_than_independent() -> None:
    spec = load_scenario(small([{"name": "ads", "changes": [
        {"path": "channels.ads.budget_monthly", "scale": 1.5}]}]))
    cmp = compare_bets(spec, replications=12, seed=4, workers=1)
    p = cmp.paired("ads", "npv_profit")
    assert p["se_independent"] >= 3 * p["se"]
    assert cmp.variance_reduction()["ads"] >= 3


def test_portfolio_of_one_bet_equals_the_bet_alone() -> None:
    bets = [{"name": "ads", "changes": [{"path": "channels.ads.budget_monthly", "scale": 1.5}]},
            {"name": "price", "monthly_cost": 100,
             "changes": [{"path": "tiers.basic.price", "add": {"dist": "uniform", "low": 5,
                                                               "high": 20}}]}]
    spec = load_scenario(small(bets))
    alone = compare_bets(spec, ["price"], replications=4, seed=9, workers=1)
    portfolio = compare_bets(spec, None, replications=4, seed=9, workers=1, budget=1e9,
                             max_bets=2)
    assert "ads + price" in portfolio.names
    for metric in ("total_revenue", "npv_profit", "cltv"):
        np.testing.assert_array_equal(alone.scalars["price"][metric],
                                      portfolio.scalars["price"][metric])
    # the pair interacts in the simulation: not the sum of its parts, but close to it here
    both = portfolio.delta("ads + price", "total_revenue").mean()
    parts = (portfolio.delta("ads", "total_revenue").mean()
             + portfolio.delta("price", "total_revenue").mean())
    assert both != parts and both == pytest.approx(parts, rel=0.3)


def test_budget_keeps_only_portfolios_that_fit() -> None:
    bets = [{"name": f"b{i}", "one_off_cost": 100 * (i + 1)} for i in range(3)]
    spec = load_scenario(small(bets))
    assert nominal_cost(spec, spec.bets[:2]) == 300
    cmp = compare_bets(spec, replications=2, seed=1, workers=1, budget=350, max_bets=3)
    assert cmp.names == [BASELINE, "b0", "b1", "b2", "b0 + b1"]


def test_bet_before_its_start_month_changes_nothing_and_baseline_draws_do_not_move() -> None:
    spec = load_scenario(small([{"name": "late", "start_month": 7, "changes": [
        {"path": "journey.first_contact_conversion", "scale":
         {"dist": "triangular", "low": 1.1, "mode": 1.2, "high": 1.5}}]}]))
    cmp = compare_bets(spec, replications=4, seed=8, workers=1)
    for metric in ("revenue", "leads", "new_clients", "profit"):
        np.testing.assert_array_equal(cmp.monthly["late"][metric][:, :6],
                                      cmp.monthly[BASELINE][metric][:, :6])
    assert np.any(cmp.monthly["late"]["new_clients"][:, 6:] != cmp.monthly[BASELINE][
        "new_clients"][:, 6:])
    # listing a bet leaves the baseline exactly as `run` would have it
    plain = compare_bets(load_scenario(small([{"name": "x"}])), replications=4, seed=8,
                         workers=1)
    np.testing.assert_array_equal(plain.scalars[BASELINE]["total_revenue"],
                                  cmp.scalars[BASELINE]["total_revenue"])


def test_temporary_more_managers_cut_waits_only_while_they_stay() -> None:
    data = small([{"name": "hire", "start_month": 5, "end_month": 8,
                   "changes": [{"path": "sales.managers", "add": 3}]}])
    data["sales"] = {"managers": 1, "handling_minutes": 40, "salary_monthly": 100}
    spec = load_scenario(data)
    cmp = compare_bets(spec, replications=4, seed=6, workers=1)
    base, hire = (cmp.monthly[n]["mean_wait_hours"].mean(axis=0) for n in (BASELINE, "hire"))
    np.testing.assert_array_equal(base[:4], hire[:4])
    assert np.all(hire[5:8] < 0.5 * base[5:8])
    salaries = cmp.monthly["hire"]["salaries"][0]
    assert list(salaries) == [100] * 4 + [400] * 4 + [100] * 4


def test_appended_channel_and_tier_act_only_from_the_start_month() -> None:
    spec = load_scenario(small([
        {"name": "seo", "start_month": 4, "changes": [
            {"path": "channels", "append": {"name": "seo", "organic_leads": 60}}]},
        {"name": "premium", "start_month": 3, "one_off_cost": 100, "changes": [
            {"path": "tiers", "append": {"name": "premium", "price": 300, "monthly_churn": 0.05,
                                         "regular": True}},
            {"path": "tiers.basic.upsell_probability", "set": 0.2}]},
    ]))
    cs = compile_alternative(spec, [spec.bets[1]])
    assert cs.tier_names == ("basic", "premium")
    assert cs.timeline[1].tiers[0].upsell_probability == 0
    assert cs.timeline[2].tiers[0].upsell_probability == 0.2
    cmp = compare_bets(spec, replications=3, seed=2, workers=1)
    leads = cmp.monthly["seo"]["leads"] - cmp.monthly[BASELINE]["leads"]
    assert np.all(leads[:, :3] == 0) and np.all(leads[:, 3:].sum(axis=1) > 0)
    assert np.all(cmp.delta("premium", "total_revenue") > 0)


def test_uncertain_bet_draws_differ_by_replication_and_stay_in_range() -> None:
    from models.compiled.bets import draw_bet_values

    bet = Bet.model_validate({"name": "u", "changes": [
        {"path": "tiers.basic.price", "scale": {"dist": "uniform", "low": 1.1, "high": 1.3}}]})
    draws = [draw_bet_values(bet, 1, i)["changes.0.scale"] for i in range(50)]
    assert len(set(draws)) == 50 and all(1.1 <= d <= 1.3 for d in draws)
    assert draw_bet_values(bet, 1, 3) == draw_bet_values(bet, 1, 3)


def test_comparison_is_identical_for_any_worker_count() -> None:
    spec = load_scenario(small([{"name": "ads", "changes": [
        {"path": "channels.ads.budget_monthly", "scale": {"dist": "uniform", "low": 1.2,
                                                          "high": 2}}]}]))
    one = compare_bets(spec, replications=4, seed=3, workers=1).to_dict()
    two = compare_bets(spec, replications=4, seed=3, workers=2).to_dict()
    assert json.dumps(one, sort_keys=True, default=str) == json.dumps(two, sort_keys=True,
                                                                     default=str)


def test_until_settled_separates_a_dominant_bet() -> None:
    spec = load_scenario(small([
        {"name": "great", "changes": [{"path": "tiers.basic.price", "scale": 2}]},
        {"name": "poor", "one_off_cost": 2000},
    ]))
    cmp = compare_bets(spec, replications=4, seed=1, workers=1, until_settled=True,
                       max_replications=16)
    assert cmp.settled is True and cmp.could_be_best == ["great"]
    assert cmp.p_best("npv_profit")["great"] == 1.0


def test_until_settled_stops_at_the_cap_and_names_the_contenders() -> None:
    # two bets whose effects differ by a hair: no number of runs up to the cap separates them
    nudge = {"dist": "uniform", "low": 1.499, "high": 1.501}
    spec = load_scenario(small([
        {"name": "a", "changes": [{"path": "tiers.basic.price", "scale": nudge}]},
        {"name": "b", "changes": [{"path": "tiers.basic.price", "scale": nudge}]},
    ]))
    cmp = compare_bets(spec, replications=4, seed=1, workers=1, until_settled=True,
                       max_replications=16)
    assert cmp.settled is False and cmp.replications == 16 and cmp.rounds == [4, 4, 8]
    assert set(cmp.could_be_best) == {"a", "b"}


def test_until_settled_is_not_held_up_by_exact_twins() -> None:
    spec = load_scenario(small([{"name": "twin_a"}, {"name": "twin_b"}]))
    cmp = compare_bets(spec, replications=2, seed=1, workers=1, until_settled=True,
                       max_replications=8)
    assert cmp.settled is True and cmp.rounds == [2]
    assert set(cmp.could_be_best) == {BASELINE, "twin_a", "twin_b"}


def test_goal_seek_finds_the_smallest_budget_that_reaches_the_target() -> None:
    data = small([{"name": "ads", "changes": [{"path": "channels.ads.budget_monthly",
                                                "set": 1000}]}])
    data["goal"]["target"] = 15000
    spec = load_scenario(data)
    result = seek_size(spec, "ads", high=20000, target=0.8, replications=8, seed=3, workers=1)
    assert result.size is not None and result.p_goal is not None
    assert result.p_goal >= 0.8
    below = [p for s, p in result.evaluations if s < result.size]
    assert below and max(below) < 0.8 and max(s for s, _ in result.evaluations
                                               if s < result.size) >= result.size - 200
    assert result.size_p10 is not None and result.size_p10 <= result.size_p90  # type: ignore


def test_goal_seek_by_whole_managers() -> None:
    data = small([{"name": "hire", "changes": [{"path": "sales.managers", "add": 1}]}])
    data["sales"] = {"managers": 1, "handling_minutes": 60}
    data["goal"] = {"metric": "monthly_revenue", "target": 2000, "deadline_month": 10}
    result = seek_size(load_scenario(data), "hire", high=6, target=0.7, replications=4,
                       workers=1)
    assert result.size is not None and float(result.size).is_integer()
    assert all(float(s).is_integer() for s, _ in result.evaluations)


def test_stress_shocks_are_temporary_and_hurt() -> None:
    spec = load_scenario(small([]))
    shocks = stress_shocks(spec, start_month=3, duration_months=4)
    assert [s.name for s in shocks] == ["fewer_leads", "higher_cac", "higher_churn",
                                        "later_payments", "manager_leaves"]
    assert all(s.start_month == 3 and s.end_month == 6 for s in shocks)
    cmp = compare_bets(spec, shocks[:1] + shocks[2:3], replications=3, seed=1, workers=1)
    assert np.all(cmp.delta("fewer_leads", "total_leads") < 0)
    assert np.all(cmp.delta("higher_churn", "active_clients_end") <= 0)


@pytest.mark.parametrize("bets, where, says", [
    ([{"name": "x", "changes": [{"path": "sales.manager", "add": 1}]}],
     "bets.x.changes.0.path", "unknown parameter 'manager'"),
    ([{"name": "x", "changes": [{"path": "journey.first_contact_conversion", "scale": 9}]}],
     "bets.x", "first_contact_conversion"),
    ([{"name": "x", "changes": [{"path": "sales.managers", "add": 1, "scale": 2}]}],
     "bets.x.changes.0", "exactly one of set, scale, add or append"),
    ([{"name": "x", "start_month": 13}], "bets.x.start_month", "after the horizon"),
    ([{"name": "x", "start_month": 5, "end_month": 2}], "bets.x", "before start_month"),
    ([{"name": "x", "changes": [{"path": "segments", "append": {"name": "s"}}]}],
     "bets.x.changes.0", "append adds an item to channels or tiers"),
    ([{"name": "x", "changes": [{"path": "tiers", "append": {"name": "p"}}]}],
     "bets.x.changes.0.append", "price"),
    ([{"name": "x", "changes": [{"path": "tiers.*.price", "scale": {
        "dist": "uniform", "low": -2, "high": 1}}]}], "bets.x", "price"),
    ([{"name": "x"}, {"name": "x"}], "bets", "names must be unique"),
    ([{"name": "x", "changes": [{"path": "goal.target", "set": 10}]}],
     "bets.x.changes.0.path", "cannot change goal"),
    ([{"name": "x", "changes": [{"path": "initial_state.clients", "append": {}}]}],
     "bets.x.changes.0", "append adds an item to channels or tiers"),
    # the baseline's conversion may reach 0.7, and 0.7 x 1.8 is no probability
    ([{"name": "x", "changes": [{"path": "journey.follow_up.conversion_per_touch",
                                 "set": {"dist": "uniform", "low": 0.3, "high": 0.7}}]},
      {"name": "y", "changes": [{"path": "journey.first_contact_conversion", "scale": 4.5}]}],
     "bets.y", "extremes"),
])
def test_bad_bets_are_named_with_a_fix(bets: list[dict[str, Any]], where: str,
                                       says: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(small(bets))
    text = str(err.value)
    assert where in text and says in text, text


def test_cli_compare_writes_results_and_rejects_unknown_bets(tmp_path: Any) -> None:
    path = tmp_path / "s.yaml"
    import yaml

    path.write_text(yaml.safe_dump(small([
        {"name": "ads", "changes": [{"path": "channels.ads.budget_monthly", "scale": 2}]},
        {"name": "nothing", "one_off_cost": 10}])))
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(path), "--reps", "3", "--workers", "1",
                                 "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "ads" in result.output and "P(goal)" in result.output
    assert "customer equity" in result.output.lower() and "four levers" in result.output
    doc = json.loads((out / "compare.json").read_text())
    ads = doc["alternatives"]["ads"]["metrics"]["npv_profit"]
    assert set(ads) >= {"mean", "sd", "p10", "p50", "p90", "diff"}
    assert ads["diff"]["ci_low"] <= ads["diff"]["mean"] <= ads["diff"]["ci_high"]
    # the ranking: best incremental NPV first, each row's NPV the paired difference above; the
    # bet that only costs 10 in month 1 loses exactly that, discounted by a month at 12% a year,
    # so it ranks below the baseline
    ranking = doc["ranking"]
    assert sorted(r["bet"] for r in ranking) == ["ads", "baseline", "nothing"]
    npvs = [r["npv"] for r in ranking]
    assert npvs == sorted(npvs, reverse=True), ranking
    # the ranking's NPV is the bet's gain over the baseline on the same draws: the mean of the
    # paired differences, which is the difference of the two means (the means are worked out
    # separately, per alternative). Catches a ranking by the bet's own NPV, a difference of the
    # wrong sign or pairing against another alternative.
    npv = {name: alt["metrics"]["npv_profit"]["mean"]
           for name, alt in doc["alternatives"].items()}
    for row in ranking:
        if row["bet"] != "baseline":
            assert row["npv"] == pytest.approx(npv[row["bet"]] - npv["baseline"], rel=1e-9,
                                               abs=1e-6), row
    by_bet = {r["bet"]: r for r in ranking}
    assert by_bet["baseline"]["npv"] == 0
    assert by_bet["nothing"]["npv"] == pytest.approx(-10 * 1.12 ** (-1 / 12), rel=1e-9)
    assert [r["bet"] for r in ranking].index("baseline") < [r["bet"] for r in ranking].index(
        "nothing")
    import pandas as pd

    monthly = pd.read_parquet(out / "compare_monthly.parquet")
    assert set(monthly["bet"]) == {"baseline", "ads", "nothing"}
    bad = runner.invoke(app, ["compare", str(path), "--bets", "ads,nope", "--reps", "2"])
    assert bad.exit_code == 2 and "nope" in bad.output and "known bets: ads, nothing" in \
        bad.output.replace("\n", " ")
    poor = runner.invoke(app, ["compare", str(path), "--budget", "1", "--reps", "2"])
    assert poor.exit_code == 2 and "no bet fits" in poor.output
    empty = runner.invoke(app, ["compare", str(path), "--bets", ",", "--reps", "2"])
    assert empty.exit_code == 2 and "no bet named" in empty.output


def test_example_scenarios_have_four_to_six_bets_that_compile() -> None:
    from pathlib import Path

    for path in sorted(Path("scenarios").glob("*.yaml")):
        spec = load_scenario(path)
        assert 4 <= len(spec.bets) <= 6, path
        for bet in spec.bets:
            cs = compile_alternative(spec, [bet])
            assert len(cs.timeline) == spec.horizon_months


def test_frame_and_extremes_catch_what_a_mean_would_miss() -> None:
    data = small([{"name": "y", "changes": [{"path": "journey.first_contact_conversion",
                                             "scale": 1.6}]}])
    data["journey"]["first_contact_conversion"] = {"dist": "uniform", "low": 0.3, "high": 0.7}
    with pytest.raises(ScenarioError, match="extremes"):
        load_scenario(data)


def test_appended_tier_phases_in_from_the_default_first_tier() -> None:
    # all entry shares 0 means "everyone starts on the first tier"; a ramped bet moves a fifth
    # of new clients to the new tier without ever breaking the shares' sum
    spec = load_scenario(small([{"name": "entry", "ramp_months": 3, "changes": [
        {"path": "tiers", "append": {"name": "lite", "price": 50, "monthly_churn": 0.2,
                                     "entry_share": 0.2}},
        {"path": "tiers.basic.entry_share", "set": 0.8}]}]))
    cs = compile_alternative(spec, spec.bets)
    shares = [[t.entry_share for t in p.tiers] for p in cs.timeline[:4]]
    assert shares[0] == pytest.approx([1 - 0.2 / 3, 0.2 / 3])
    assert shares[3] == pytest.approx([0.8, 0.2])


def test_portfolio_of_two_new_top_tiers_is_left_out_with_the_reason() -> None:
    tier = {"price": 300, "monthly_churn": 0.05, "regular": True}
    spec = load_scenario(small([
        {"name": "gold", "changes": [{"path": "tiers", "append": {"name": "gold", **tier}}]},
        {"name": "silver", "changes": [{"path": "tiers", "append": {"name": "silver",
                                                                     **tier}}]}]))
    cmp = compare_bets(spec, replications=2, seed=1, workers=1, budget=1e9, max_bets=2)
    assert cmp.names == [BASELINE, "gold", "silver"]
    assert cmp.skipped and "combine them into one bet" in cmp.skipped[0][1]


def test_star_paths_do_not_reach_the_tier_a_bet_appends() -> None:
    spec = load_scenario(small([{"name": "b", "changes": [
        {"path": "tiers", "append": {"name": "premium", "price": 300, "monthly_churn": 0.02}},
        {"path": "tiers.*.monthly_churn", "scale": 0.5}]}]))
    cs = compile_alternative(spec, spec.bets)
    assert [t.churn for t in cs.timeline[0].tiers] == pytest.approx([0.05, 0.02])


def test_free_bet_has_no_roi_even_when_its_clients_cost_onboarding() -> None:
    data = small([{"name": "free", "changes": [{"path": "journey.first_contact_conversion",
                                                "add": 0.05}]}])
    data["tiers"][0]["onboarding_cost"] = 1
    cmp = compare_bets(load_scenario(data), replications=3, seed=1, workers=1)
    assert cmp.costs["free"] == 0 and np.all(cmp.investment("free") == 0)
    assert np.isnan(cmp.roi("free")["mean"])


def test_levers_keep_the_clients_you_already_had_apart() -> None:
    data = small([{"name": "ads", "changes": [{"path": "channels.ads.budget_monthly",
                                               "scale": 2}]}])
    data["initial_state"] = {"clients": [{"tier": "basic", "count": 300}]}
    cmp = compare_bets(load_scenario(data), replications=4, seed=2, workers=1)
    row = cmp.levers().set_index("bet").loc["ads"]
    parts = row[["leads", "conversion", "average_check", "frequency", "starting_clients"]].sum()
    assert parts == pytest.approx(row["total"], rel=1e-9)
    # more budget brings more leads; it does not change how leads convert (paired noise only)
    assert abs(row["conversion"]) < 0.1 * row["leads"]
    assert row["starting_clients"] == 0  # their purchases are the same with or without ads


def test_whole_number_fields_take_uncertain_values_rounded() -> None:
    data = small([{"name": "hire", "changes": [
        {"path": "sales.managers", "set": {"dist": "uniform", "low": 30, "high": 34}}]}])
    data["sales"]["managers"] = {"dist": "uniform", "low": 28, "high": 32}
    spec = load_scenario(data)
    cmp = compare_bets(spec, replications=3, seed=1, workers=1)
    salaries = cmp.monthly["hire"]["salaries"] / 100
    assert np.all(salaries == np.round(salaries)) and np.all((salaries >= 30) & (salaries <= 34))


def test_paired_time_to_goal_counts_never_as_after_the_horizon() -> None:
    data = small([{"name": "boost", "changes": [{"path": "tiers.basic.price", "scale": 3}]}])
    data["goal"] = {"metric": "monthly_revenue", "target": 20000, "deadline_month": 12}
    cmp = compare_bets(load_scenario(data), replications=3, seed=1, workers=1)
    assert np.all(np.isnan(cmp.scalars[BASELINE]["time_to_goal"]))
    assert not np.any(np.isnan(cmp.scalars["boost"]["time_to_goal"]))
    diff = cmp.paired("boost", "time_to_goal")
    assert diff["mean"] == pytest.approx(float(np.mean(cmp.scalars["boost"]["time_to_goal"]))
                                         - 13)
    assert cmp.p_best("time_to_goal")["boost"] == 1.0


def test_nobody_reaching_the_goal_leaves_p_best_by_time_undefined() -> None:
    data = small([{"name": "x", "one_off_cost": 1}])
    data["goal"] = {"metric": "monthly_revenue", "target": 1e9, "deadline_month": 12}
    cmp = compare_bets(load_scenario(data), replications=2, seed=1, workers=1)
    assert all(np.isnan(v) for v in cmp.p_best("time_to_goal").values())
    assert cmp.variance_reduction()["x"] == float("inf")  # an exact difference


def test_goal_seek_reports_resamples_that_need_more_than_high() -> None:
    data = small([{"name": "ads", "changes": [{"path": "channels.ads.budget_monthly",
                                                "set": 1000}]}])
    data["goal"]["target"] = 15000
    result = seek_size(load_scenario(data), "ads", high=3900, target=0.8, replications=8,
                       seed=3, workers=1, engine="agent")
    # 3900 is just enough: 7 of the 8 replications reach the goal there (P = 0.875 >= 0.8)
    assert result.evaluations[-1] == (3900, 0.875)
    assert result.size is not None and result.size <= 3900 and result.p_goal == 0.875
    # a resample falls short even at 3900 when it draws the failing replication twice or more:
    # 1 - (7/8)^8 - 8 (1/8) (7/8)^7 = 0.263 of them, within 4 standard errors of 1000 resamples
    share = 1 - (7 / 8) ** 8 - (7 / 8) ** 7
    se = (share * (1 - share) / 1000) ** 0.5
    assert abs(result.unreached_share - share) <= 4 * se, result.unreached_share
    # more than a tenth of the resamples need more than `high`: no 90th percentile to report
    assert result.size_p90 is None
    assert result.size_p10 is not None and result.size_p10 <= result.size


def test_stress_shocks_stay_valid_on_uncertain_churn() -> None:
    from pathlib import Path

    spec = load_scenario(Path("scenarios/b2b_services.yaml"))
    base = compile_scenario(spec).timeline
    window = range(1, 7)  # months 2 to 7, 0-based
    for shock in stress_shocks(spec, 2, 6, severity=2.0):
        timeline = compile_alternative(spec, [shock]).timeline
        # temporary: the months outside the window are the baseline's, those inside are not
        for m, (p, q) in enumerate(zip(timeline, base, strict=True)):
            assert (p == q) == (m not in window), (shock.name, m)
        if shock.name == "higher_churn":
            # severity 2: churn doubled in every tier, the uncertain one (mean 3%) too, since
            # its highest values (~6%) doubled stay far below the 0.95 cap
            for m in window:
                for t, t0 in zip(timeline[m].tiers, base[m].tiers, strict=True):
                    assert t.churn == pytest.approx(2 * t0.churn), t.name
                    assert t.churn_no_result == pytest.approx(2 * t0.churn_no_result), t.name


def test_stress_shock_caps_a_high_uncertain_churn() -> None:
    # churn Beta(mean 0.4, sd 0.1) doubled (severity 2): a draw that doubled would pass 0.95
    # stays at 0.95; a draw below the cap rises by the full factor
    data = small([])
    data["tiers"][0]["monthly_churn"] = {"dist": "beta", "mean": 0.4, "sd": 0.1}
    spec = load_scenario(data)
    (shock,) = [s for s in stress_shocks(spec, 2, 6, severity=2.0) if s.name == "higher_churn"]
    churn = spec.tiers[0].monthly_churn
    top = float(churn.ppf(np.array([0.999]))[0])  # type: ignore[union-attr]
    values = {"tiers.basic.monthly_churn": top, "journey.first_contact_conversion": 0.2}
    timeline = compile_alternative(spec, [shock], values=values).timeline
    assert timeline[0].tiers[0].churn == pytest.approx(top)
    assert timeline[1].tiers[0].churn == pytest.approx(0.95)
    values["tiers.basic.monthly_churn"] = 0.3
    timeline = compile_alternative(spec, [shock], values=values).timeline
    assert timeline[1].tiers[0].churn == pytest.approx(0.6)


def test_stress_shock_stays_valid_for_every_draw_of_a_high_uncertain_churn() -> None:
    data = small([])
    data["tiers"][0]["monthly_churn"] = {"dist": "beta", "mean": 0.4, "sd": 0.1}
    spec = load_scenario(data)
    (shock,) = [s for s in stress_shocks(spec, 2, 6, severity=2.0) if s.name == "higher_churn"]
    churn = spec.tiers[0].monthly_churn
    rare = float(churn.ppf(np.array([1 - 1e-5]))[0])  # type: ignore[union-attr]
    values = {"tiers.basic.monthly_churn": rare, "journey.first_contact_conversion": 0.2}
    timeline = compile_alternative(spec, [shock], values=values).timeline
    assert timeline[1].tiers[0].churn <= 1


def test_run_time_errors_of_bets_come_in_both_languages() -> None:
    from models.spec.errors import error_text

    tier = {"price": 300, "monthly_churn": 0.05, "purchase_interval_months": 1}
    spec = load_scenario(small([
        {"name": "gold", "changes": [{"path": "tiers", "append": {"name": "gold", **tier}}]},
        {"name": "silver", "changes": [{"path": "tiers", "append": {"name": "silver", **tier}}]},
        {"name": "ads", "one_off_cost": 5000,
         "changes": [{"path": "channels.ads.budget_monthly", "scale": 2}]}]))
    with pytest.raises(ValueError) as two_tops:
        compile_alternative(spec, spec.bets[:2])
    en, ru = error_text(two_tops.value, "en"), error_text(two_tops.value, "ru")
    assert "gold and silver" not in ru and "`gold`" in ru and "пирамиды" in ru, ru
    assert "each add a tier on top of the pyramid" in en, en
    with pytest.raises(ValueError) as no_fit:
        compare_bets(spec, ["ads"], replications=2, budget=100, workers=1)
    ru = error_text(no_fit.value, "ru")
    assert ru.startswith("ни один вариант не укладывается в бюджет 100") and "\u00a0" in ru, ru
