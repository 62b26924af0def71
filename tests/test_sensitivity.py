"""Global sensitivity (Sobol, Morris) and the tornado: analytic cases, a scenario one parameter
drives, common random numbers, the CLI and the report's words."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from models.load import load_scenario
from sim.cli.main import app
from sim.cli.sensitivity import parse_range
from sim.experiments.sensitivity import (
    OTHER,
    Factor,
    SimulationModel,
    UniformRange,
    correlation_blocks,
    factors,
    impose_correlations,
    lever_of,
    morris,
    noise_share,
    planned_runs,
    sobol,
    stage_of,
    tornado,
)
from sim.experiments.sensitivity.model import _COMPILED
from sim.report import sensitivity as report

# Six months, one channel: a replication takes a few hundredths of a second.
TINY: dict[str, Any] = {
    "name": "tiny",
    "horizon_months": 6,
    "discount_rate_annual": 0.12,
    "overhead_monthly": 500,
    "channels": [{"name": "ads", "budget_monthly": 1000, "max_leads": 120,
                  "half_saturation_budget": 1000}],
    "sales": {"managers": 30, "handling_minutes": 5, "salary_monthly": 100},
    "journey": {"first_contact_conversion": {"dist": "uniform", "low": 0.05, "high": 0.4},
                "first_contact_drop": 0.3,
                "follow_up": {"max_touches": 2, "interval_days": 3,
                              "conversion_per_touch": 0.1}},
    "tiers": [{"name": "basic", "price": 100, "cost_of_goods": 40, "monthly_churn": 0.1,
               "purchase_interval_months": 1, "regular": True}],
    "goal": {"metric": "monthly_revenue", "target": 2000, "deadline_month": 5},
}


def tiny(**top: Any) -> dict[str, Any]:
    data = copy.deepcopy(TINY)
    data.update(top)
    return data


def _uniforms(*names: str) -> list[Factor]:
    return [Factor(n, UniformRange(0.0, 1.0), "leads", "acquisition") for n in names]


def linear(values: dict[str, float], replication: int) -> dict[str, float]:
    """y = 3a + 2b + c + small noise: independent U(0, 1) inputs, so S_i = a_i^2 / 14 and the
    first-order and total indices coincide (no interactions)."""
    noise = 0.01 * np.random.default_rng(replication).standard_normal()
    return {"y": 3 * values["a"] + 2 * values["b"] + values["c"] + noise}


def test_sobol_of_a_linear_model_gives_each_input_its_share_of_the_variance() -> None:
    result = sobol(n=512, replications=2, model=linear, factor_list=_uniforms("a", "b", "c"),
                   metrics=["y"], workers=1, groups=())
    frame = result.indices["y"].set_index("name")
    for name, share in (("a", 9 / 14), ("b", 4 / 14), ("c", 1 / 14)):
        for index in ("S1", "ST"):
            lo, hi = frame.loc[name, f"{index}_low"], frame.loc[name, f"{index}_high"]
            # the 95% interval covers the exact share, and is narrow enough to mean something
            assert lo - 0.02 <= share <= hi + 0.02, (name, index, lo, hi)
            assert hi - lo < 0.25
    # the noise is tiny against the inputs' effect: sd 0.01 against a variance of 14/12
    assert result.noise["y"] < 0.01


def test_sobol_groups_add_the_shares_of_their_members() -> None:
    fs = [Factor("a", UniformRange(0, 1), "leads", "acquisition"),
          Factor("b", UniformRange(0, 1), "conversion", "first_contact"),
          Factor("c", UniformRange(0, 1), "conversion", "follow_up")]
    result = sobol(n=512, replications=1, model=linear, factor_list=fs, metrics=["y"],
                   workers=1)
    lever = result.groups["lever"]["y"].set_index("name")
    assert lever.loc["conversion", "ST"] == pytest.approx(5 / 14, abs=0.05)
    assert lever.loc["leads", "ST"] == pytest.approx(9 / 14, abs=0.05)
    assert set(result.groups["stage"]["y"]["name"]) == {"acquisition", "first_contact",
                                                        "follow_up"}


def test_noise_share_separates_the_simulations_noise() -> None:
    rng = np.random.default_rng(3)
    pure_noise = rng.standard_normal((200, 4))
    assert noise_share(pure_noise) == pytest.approx(1.0, abs=0.1)
    signal = np.linspace(-10, 10, 200)[:, None] + rng.standard_normal((200, 4))
    assert noise_share(signal) < 0.05


def test_one_parameter_drives_the_outcome_on_a_simulated_scenario() -> None:
    """The conversion spans 0.05 to 0.4 and drives revenue; a salary ranged 99 to 101 (of 30
    managers, against revenue in the thousands) barely moves NPV."""
    spec = load_scenario(tiny())
    result = sobol(spec, n=32, replications=1, seed=2,
                   ranges=[("sales.salary_monthly", 99.0, 101.0)], groups=(), workers=1,
                   metrics=["npv_profit"])
    frame = result.indices["npv_profit"].set_index("name")
    conv, salary = frame.loc["journey.first_contact_conversion"], frame.loc[
        "sales.salary_monthly"]
    assert conv["ST"] > 0.8 and conv["ST_high"] >= 0.95
    assert salary["ST"] < 0.05 and salary["ST_low"] <= 0.01
    assert result.runs == 32 * (2 + 2)


def test_common_random_numbers_make_points_differ_only_by_their_parameters() -> None:
    spec = load_scenario(tiny())
    model = SimulationModel(spec, seed=5)
    point = {"journey.first_contact_conversion": 0.2}
    assert model(point, 3) == model(dict(point), 3)  # replication 3 is the same run anywhere
    assert model(point, 3) != model(point, 4)


def test_results_do_not_depend_on_the_number_of_workers() -> None:
    spec = load_scenario(tiny())
    runs = [sobol(spec, n=4, replications=2, groups=(), workers=w, metrics=["npv_profit"])
            for w in (1, 2)]
    one, two = (r.indices["npv_profit"] for r in runs)
    assert one.equals(two)
    assert runs[0].noise == runs[1].noise


def test_tornado_sorts_by_swing_as_worked_by_hand() -> None:
    """y = 3a + 2b + c with a, b, c uniform on [0, 1], [0, 4], [0, 10]: P10 and P90 are 0.1 and
    0.9 of each range, so the swings are 3 x 0.8 = 2.4, 2 x 3.2 = 6.4 and 1 x 8 = 8."""
    fs = [Factor("a", UniformRange(0, 1), "leads", "x"),
          Factor("b", UniformRange(0, 4), "leads", "x"),
          Factor("c", UniformRange(0, 10), "leads", "x")]
    result = tornado(model=linear, factor_list=fs, metrics=["y"], replications=3, workers=1)
    frame = result.table["y"]
    assert list(frame["factor"]) == ["c", "b", "a"]
    assert frame["swing"].tolist() == pytest.approx([8.0, 6.4, 2.4])
    # every point on the same replications: the noise cancels out of the swing exactly
    assert frame["base"].iloc[0] == pytest.approx(3 * 0.5 + 2 * 2 + 5, abs=0.03)


def test_morris_ranks_the_inputs_by_their_effect() -> None:
    result = morris(n=10, model=linear, factor_list=_uniforms("a", "b", "c"), metrics=["y"],
                    workers=1, replications=1)
    frame = result.indices["y"]
    assert list(frame["name"]) == ["a", "b", "c"]
    assert frame["mu_star"].tolist() == pytest.approx([3, 2, 1], abs=0.05)


def test_factors_levers_stages_and_ranges() -> None:
    spec = load_scenario(tiny())
    fs = factors(spec, [("channels.ads.budget_monthly", 500, 1500)])
    assert [(f.path, f.lever, f.stage) for f in fs] == [
        ("journey.first_contact_conversion", "conversion", "first_contact"),
        ("channels.ads.budget_monthly", "leads", "acquisition")]
    assert lever_of("tiers.basic.price") == "average_check"
    assert lever_of("tiers.basic.monthly_churn") == "frequency"
    assert stage_of("journey.invoice.paid_probability") == "invoice"
    assert stage_of("win_back.probability") == "return"
    assert stage_of("segments.enterprise.committee_delay_days") == "follow_up"
    with pytest.raises(ValueError, match="path=low:high"):
        parse_range("sales.managers=3")
    with pytest.raises(ValueError, match="high end"):
        parse_range("sales.managers=6:3")
    with pytest.raises(ValueError, match="not a valid value"):
        factors(spec, [("journey.lost_unprocessed", 0.5, 1.5)])
    with pytest.raises(ValueError, match="power of 2"):
        sobol(spec, n=30)


def test_report_words_exist_in_both_languages_and_figures_build() -> None:
    for key, (en, ru) in report.words().items():
        assert en.strip() and ru.strip(), key
        assert en != ru or key in ("p_negative_npv", "npv_p10", "npv_p90"), key
    result = sobol(n=64, replications=2, model=linear, factor_list=_uniforms("a", "b", "c"),
                   metrics=["y"], workers=1)
    for lang in ("en", "ru"):
        fig = report.sobol_figure(result, "y", lang, by="parameter")
        assert [tr.name for tr in fig.data] == [report.w("S1", lang), report.w("ST", lang)]
        table = report.sobol_table(result, "y", lang)
        assert table.iloc[0, 0] == "a"  # largest total index first
    assert "индексы Соболя" in report.sobol_figure(result, "y", "ru").layout.title.text


def test_cli_sensitivity_writes_indices_with_intervals(tmp_path: Any) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny()))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sensitivity", str(path), "--n", "4", "--reps", "2",
                                      "--tornado-reps", "1", "--workers", "1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "sensitivity.json").read_text())
    row = doc["metrics"]["npv_profit"]["parameters"][0]
    assert row["name"] == "journey.first_contact_conversion"
    assert {"S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"} <= set(row)
    assert 0 <= doc["metrics"]["npv_profit"]["noise_share"] <= 1
    assert (out / "sensitivity.parquet").exists()
    assert doc["tornado"]["npv_profit"][0]["factor"] == "journey.first_contact_conversion"


@pytest.mark.parametrize(("args", "message"), [
    (["--n", "6"], "power of 2"),
    (["--range", "sales.managers"], "path=low:high"),
    (["--range", "sales.nonsense=1:2"], "nonsense"),
])
def test_cli_sensitivity_bad_input_exits_2(tmp_path: Any, args: list[str], message: str
                                          ) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny()))
    result = CliRunner().invoke(app, ["sensitivity", str(path), *args, "--out",
                                      str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


# -- correlated inputs: blocks with the correlations imposed -----------------------------------
CONV = "journey.first_contact_conversion"
TOUCH = "journey.follow_up.conversion_per_touch"
SALARY = "sales.salary_monthly"


def correlated_tiny(rho: float) -> Any:
    data = tiny()
    data["journey"]["follow_up"]["conversion_per_touch"] = {"dist": "uniform", "low": 0.05,
                                                           "high": 0.2}
    data["uncertainty"] = {"correlations": [{"a": CONV, "b": TOUCH, "rho": rho}]}
    return load_scenario(data)


def sum_of_three(values: dict[str, float], replication: int) -> dict[str, float]:
    return {"y": values[CONV] + values[TOUCH] + values[SALARY]}


def test_blocks_join_the_correlated_parameters() -> None:
    spec = correlated_tiny(0.6)
    fs = factors(spec, [(SALARY, 99.0, 101.0)])
    blocks, target = correlation_blocks(spec, fs)
    assert blocks == [f"{CONV} + {TOUCH}", f"{CONV} + {TOUCH}", SALARY]
    assert target[0, 1] == target[1, 0] == 0.6 and target[0, 2] == 0.0


def test_imposed_correlations_keep_uniform_margins_and_reach_the_rank_correlation() -> None:
    rng = np.random.default_rng(11)
    u = rng.random((20000, 3))
    target = np.array([[1.0, -0.5, 0.0], [-0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
    out = impose_correlations(u, target, ["ab", "ab", "c"])
    rho = stats.spearmanr(out).statistic
    # the standard error of Spearman's rho at n = 20,000 is about 0.006
    assert rho[0, 1] == pytest.approx(-0.5, abs=0.03)
    assert abs(rho[0, 2]) < 0.03
    assert np.array_equal(out[:, 2], u[:, 2])  # an uncorrelated column is left as drawn
    for j in (0, 1):  # still uniform: Kolmogorov-Smirnov against U(0, 1)
        assert stats.kstest(out[:, j], "uniform").pvalue > 0.01


def test_block_index_of_correlated_inputs_matches_the_exact_share() -> None:
    """y = a + b + c, all U(0, 1), a and b with rank correlation rho (for uniforms the rank
    correlation is the correlation): Var(a + b) = (2 + 2 rho) / 12, Var(y) = (3 + 2 rho) / 12,
    so the block {a, b} carries (2 + 2 rho) / (3 + 2 rho) of the variance and c the rest;
    treated as independent, a, b and c would carry a third each."""
    rho = 0.6
    spec = correlated_tiny(rho)
    fs = [Factor(CONV, UniformRange(0, 1), "conversion", "first_contact"),
          Factor(TOUCH, UniformRange(0, 1), "conversion", "follow_up"),
          Factor(SALARY, UniformRange(0, 1), OTHER, OTHER)]
    result = sobol(spec, n=1024, replications=1, model=sum_of_three, factor_list=fs,
                   metrics=["y"], groups=("block",), workers=1)
    block = result.groups["block"]["y"].set_index("name")
    joint, alone = block.loc[f"{CONV} + {TOUCH}"], block.loc[SALARY]
    for row, share in ((joint, (2 + 2 * rho) / (3 + 2 * rho)), (alone, 1 / (3 + 2 * rho))):
        for index in ("S1", "ST"):
            assert row[f"{index}_low"] - 0.02 <= share <= row[f"{index}_high"] + 0.02
    independent = result.indices["y"].set_index("name")
    assert independent.loc[SALARY, "ST"] == pytest.approx(1 / 3, abs=0.05)
    assert result.notes == ["correlations_ignored", "correlations_in_blocks"]


def test_no_block_grouping_without_correlations() -> None:
    result = sobol(load_scenario(tiny()), n=4, replications=1, groups=("block",), workers=1,
                   model=sum_of_three, factor_list=[
                       Factor(CONV, UniformRange(0, 1), "conversion", "first_contact"),
                       Factor(TOUCH, UniformRange(0, 1), "conversion", "follow_up"),
                       Factor(SALARY, UniformRange(0, 1), OTHER, OTHER)], metrics=["y"])
    assert result.groups == {} and "correlations_in_blocks" not in result.notes


# -- Morris by group -----------------------------------------------------------------------------
def test_morris_groups_move_their_members_together() -> None:
    """y = 3a + 2b + c, linear. A group's trajectory step moves all its members at once, each
    up or down at random (Campolongo et al. 2007): the lever {a} moves y by 3; the lever
    {b, c} by |2 + 1| = 3 or |2 - 1| = 1 with equal chances, a mean absolute effect of 2; by
    stage each input is alone, so its own slope."""
    fs = [Factor("a", UniformRange(0, 1), "leads", "acquisition"),
          Factor("b", UniformRange(0, 1), "conversion", "first_contact"),
          Factor("c", UniformRange(0, 1), "conversion", "follow_up")]
    result = morris(n=50, model=linear, factor_list=fs, metrics=["y"], workers=1,
                    replications=1, seed=3)
    lever = result.groups["lever"]["y"].set_index("name")
    assert lever.loc["leads", "mu_star"] == pytest.approx(3, abs=0.05)
    both = lever.loc["conversion"]
    assert both["mu_star_low"] <= 2 <= both["mu_star_high"] and 1 < both["mu_star"] < 3
    stage = result.groups["stage"]["y"].set_index("name")
    assert stage["mu_star"].to_dict() == pytest.approx(
        {"acquisition": 3, "first_contact": 2, "follow_up": 1}, abs=0.05)
    assert result.runs == 50 * (3 + 1) + 50 * (2 + 1) + 50 * (3 + 1)


def test_progress_counts_every_sample_up_to_the_planned_runs() -> None:
    spec = correlated_tiny(0.6)
    seen: list[tuple[int, int]] = []
    result = sobol(spec, n=4, replications=1, workers=1, metrics=["npv_profit"],
                   progress=lambda done, total: seen.append((done, total)))
    total = planned_runs(spec, "sobol", 4, 1)
    assert result.runs == total == seen[-1][0]
    assert {t for _, t in seen} == {total}
    assert [d for d, _ in seen] == list(range(1, total + 1))  # one bar, never restarting


def test_a_kept_compiled_point_gives_the_run_a_fresh_compile_gives() -> None:
    spec = load_scenario(tiny())
    model = SimulationModel(spec, seed=5)
    point = {CONV: 0.3}
    first = model(point, 2)
    for r in range(3):  # other replications and points in between
        model({CONV: 0.1 + r / 10}, r)
    kept = model(point, 2)
    _COMPILED.clear()
    assert kept == first == model(point, 2)
