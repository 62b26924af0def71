"""The scenario spec, paths, compilation: where parameters enter and what they become."""

from __future__ import annotations

import copy
import math

import pytest

from models.compiled.form import compile_scenario, point_values
from models.load import ScenarioError, load_scenario, scenario_hash
from models.spec.paths import PathError, iter_distributions, set_path
from models.spec.scenario import Scenario
from tests.test_engine_basics import BASE


def test_every_example_scenario_validates_and_compiles() -> None:
    from pathlib import Path

    files = sorted(Path("scenarios").glob("*.yaml"))
    assert {f.name for f in files} >= {"reference.yaml"}
    for f in files:
        spec = load_scenario(f)
        compiled = compile_scenario(spec)
        assert compiled.horizon_months == len(compiled.timeline) == spec.horizon_months
        assert spec.goal is not None, f"{f} needs a goal"


def test_set_path_by_name_and_index_and_defaulted_groups() -> None:
    raw = copy.deepcopy(BASE)
    set_path(raw, "channels.ads.budget_monthly", 5.0, Scenario)
    set_path(raw, "tiers.0.price", 7.0, Scenario)
    set_path(raw, "win_back.probability", 0.3, Scenario)  # group absent from the YAML
    spec = Scenario.model_validate(raw)
    assert spec.channels[0].budget_monthly == 5.0
    assert spec.tiers[0].price == 7.0
    assert spec.win_back.probability == 0.3


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("sales.managerz", "unknown parameter 'managerz'"),
        ("channels.tv.budget_monthly", "no item named 'tv'"),
        ("sales.managers.x", "single value"),
        ("", "empty parameter path"),
    ],
)
def test_bad_paths_name_the_path(path: str, fragment: str) -> None:
    with pytest.raises(PathError, match=fragment):
        set_path(copy.deepcopy(BASE), path, 1, Scenario)


def test_override_with_a_bad_value_names_the_field() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(copy.deepcopy(BASE), ["journey.first_contact_conversion=1.7"])
    assert err.value.problems[0][0] == "journey.first_contact_conversion"
    assert "[0, 1]" in err.value.problems[0][1]


def test_distributions_serialise_and_hash_by_content() -> None:
    a = load_scenario(copy.deepcopy(BASE),
                      ["journey.first_contact_conversion={dist: beta, mean: 0.2, sd: 0.05}"])
    b = load_scenario(copy.deepcopy(BASE),
                      ["journey.first_contact_conversion={dist: beta, mean: 0.2, sd: 0.06}"])
    dumped = a.model_dump(by_alias=True)["journey"]["first_contact_conversion"]
    assert dumped == {"dist": "beta", "mean": 0.2, "sd": 0.05}
    assert scenario_hash(a) != scenario_hash(b)
    assert scenario_hash(a) == scenario_hash(load_scenario(a.model_dump(by_alias=True)))


def test_uncertain_parameters_take_their_mean_without_draws() -> None:
    """The triangular (100, 200, 600) has mean 300; BASE's budget (1,000) is its half-saturation
    budget, so the compiled month buys half of 300 = 150 leads. Catches the mode (200 -> 100
    leads) or a draw compiled instead of the mean, or a saturation curve that is not half-way at
    its half-saturation budget."""
    spec = load_scenario(copy.deepcopy(BASE), [
        "channels.ads.max_leads={dist: triangular, low: 100, mode: 200, high: 600}"])
    assert [p for p, _ in iter_distributions(spec)] == ["channels.ads.max_leads"]
    assert point_values(spec) == {"channels.ads.max_leads": pytest.approx(300)}
    compiled = compile_scenario(spec)
    assert compiled.timeline[0].channels[0].paid_leads == pytest.approx(150)


def test_compiled_units() -> None:
    data = copy.deepcopy(BASE)
    data["sales"].update({"hours_per_day": 6, "working_days_per_month": 20,
                          "handling_minutes": 30})
    data["journey"].update({"base_response_hours": 12, "response_half_life_hours": 48})
    data["segments"] = [{"name": "a", "share": 0.25}, {"name": "b", "share": 0.75}]
    data["discount_rate_annual"] = 0.12
    compiled = compile_scenario(load_scenario(data))
    p = compiled.timeline[0]
    # 0.5 working hours; 6 h x 20 days / 30 calendar days = 4 working hours a calendar day
    assert p.handling_days == pytest.approx(0.5 / 4)
    assert p.base_response_days == pytest.approx(0.5)
    assert p.response_half_life_days == pytest.approx(2)
    assert p.segment_cumulative[0] == pytest.approx(0.25)
    assert (1 + compiled.monthly_discount_rate) ** 12 == pytest.approx(1.12)
    assert math.isinf(compiled.market_size)
