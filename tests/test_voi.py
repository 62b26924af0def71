"""Value of information (sim/experiments/voi.py): the estimators against closed forms on
synthetic samples (no simulation), their standard errors against the spread of repeated
estimates, the cases with a known answer (a parameter nothing depends on, a dominant bet, no
decision), and the parameter values a comparison exposes being the ones it ran on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy.stats import norm

from models.load import load_scenario
from sim.experiments.compare import compare_bets
from sim.experiments.runner import alternatives as runner_module
from sim.experiments.voi import evpi, evppi, from_comparison, value_of_information

ROOT = Path(__file__).resolve().parents[1]


def _two_option_evpi(mu: float, sigma: float) -> float:
    """EVPI of choosing between 0 and D ~ N(mu, sigma^2)."""
    return sigma * norm.pdf(mu / sigma) - abs(mu) * norm.cdf(-abs(mu) / sigma)


@pytest.mark.parametrize(("mu", "sigma", "seed"), [(0.3, 1.3, 1), (-0.8, 2.0, 2), (0.0, 1.0, 3),
                                                   (2.5, 1.0, 4)])
def test_evpi_of_two_gaussian_options_is_the_closed_form(mu: float, sigma: float,
                                                         seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = rng.normal(mu, sigma, 4000)
    base = rng.normal(10.0, 3.0, 4000)  # a level both options share: EVPI does not see it
    got = evpi(np.column_stack([base, base + d]))
    truth = _two_option_evpi(mu, sigma)
    assert got.se > 0
    assert abs(got.estimate - truth) < 3 * got.se, (got, truth)


def test_evpi_standard_error_matches_the_spread_of_repeated_estimates() -> None:
    rng = np.random.default_rng(7)
    estimates, ses = [], []
    for _ in range(40):
        d = rng.normal(0.2, 1.0, 800)
        e = evpi(np.column_stack([np.zeros_like(d), d]), resamples=100)
        estimates.append(e.estimate)
        ses.append(e.se)
    ratio = np.std(estimates, ddof=1) / np.mean(ses)
    # the SD of 40 estimates is itself uncertain by about 11%: 0.65-1.5 holds a right SE
    assert 0.65 < ratio < 1.5, ratio


def _sample(n: int = 2000, seed: int = 5) -> dict[str, np.ndarray]:
    """B - A = theta1 + noise; theta2 moves nothing; C is worse by 1 and noisier."""
    rng = np.random.default_rng(seed)
    theta1, theta2 = rng.normal(0.3, 1.0, n), rng.uniform(0.0, 10.0, n)
    a = rng.normal(5.0, 1.0, n)
    b = a + theta1 + rng.normal(0.0, 1.0, n)
    c = a - 1.0 + rng.normal(0.0, 2.0, n)
    return {"npv": np.column_stack([a, b, c]), "theta1": theta1, "theta2": theta2}


def test_evppi_of_the_parameter_the_choice_hangs_on_is_its_closed_form() -> None:
    s = _sample()
    got = evppi(s["npv"][:, :2], s["theta1"])
    # E[B - A | theta1] = theta1 ~ N(0.3, 1): the two-option formula with sigma 1
    truth = _two_option_evpi(0.3, 1.0)
    assert abs(got.estimate - truth) < 3 * got.se, (got, truth)
    # and learning theta1 alone is worth less than learning everything (the noise too)
    assert got.estimate < evpi(s["npv"][:, :2]).estimate


def test_evppi_of_a_parameter_no_outcome_depends_on_is_zero_within_its_error() -> None:
    for seed in (5, 6, 7):
        s = _sample(seed=seed)
        got = evppi(s["npv"], s["theta2"])
        assert 0.0 <= got.estimate <= 3 * got.se + 1e-12, (seed, got)
        assert got.estimate < 0.05 * evpi(s["npv"]).estimate


def test_evppi_never_exceeds_evpi_beyond_its_error() -> None:
    s = _sample(seed=11)
    total = evpi(s["npv"])
    cases = {"theta1": s["theta1"], "theta2": s["theta2"],
             "both": np.column_stack([s["theta1"], s["theta2"]]),
             # a parameter that is the whole difference: EVPPI = EVPI
             "everything": s["npv"][:, 1] - s["npv"][:, 0]}
    for name, theta in cases.items():
        got = evppi(s["npv"][:, :2] if name == "everything" else s["npv"], theta)
        bound = evpi(s["npv"][:, :2]) if name == "everything" else total
        assert got.estimate <= bound.estimate + 3 * np.hypot(got.se, bound.se), name
    whole = evppi(s["npv"][:, :2], cases["everything"])
    assert whole.estimate == pytest.approx(evpi(s["npv"][:, :2]).estimate, rel=0.05)


def test_a_group_with_the_parameter_is_worth_what_the_parameter_is() -> None:
    s = _sample(seed=12)
    one = evppi(s["npv"], s["theta1"])
    group = evppi(s["npv"], np.column_stack([s["theta1"], s["theta2"]]))
    assert abs(group.estimate - one.estimate) < 3 * np.hypot(group.se, one.se)
    assert group.estimate > 10 * group.se  # and clearly worth something


def test_a_bet_best_in_every_draw_leaves_nothing_to_learn() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(0.0, 5.0, 500)
    theta = rng.normal(size=500)
    npv = np.column_stack([a, a + 2.0 + rng.exponential(1.0, 500) + theta ** 2, a - 1.0])
    assert evpi(npv).estimate == 0.0
    assert evpi(npv).se == 0.0
    assert evppi(npv, theta).estimate == 0.0


def test_one_alternative_is_no_decision() -> None:
    npv = np.random.default_rng(1).normal(size=(100, 1))
    assert evpi(npv).estimate == 0.0
    assert evppi(npv, np.arange(100.0)).estimate == 0.0
    raw = yaml.safe_load((ROOT / "scenarios" / "b2b_services.yaml").read_text("utf-8"))
    raw["bets"] = []
    spec = load_scenario(raw)
    result = value_of_information(spec, replications=20)
    assert not result.decision and "no_decision" in result.notes
    assert result.evpi.estimate == 0.0 and result.replications == 0  # nothing was run
    assert set(result.evppi) == {
        "segments.enterprise.committee_delay_days", "channels.yandex_direct.max_leads",
        "journey.first_contact_conversion", "journey.follow_up.conversion_per_touch",
        "tiers.monthly_service.monthly_churn"}
    assert all(e.estimate == 0.0 for e in result.evppi.values())


def test_bad_input_to_the_estimators_is_named() -> None:
    with pytest.raises(ValueError, match="theta has 3 rows, npv 4"):
        evppi(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="missing or infinite"):
        evpi(np.array([[1.0, np.nan], [0.0, 1.0]]))
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    with pytest.raises(ValueError, match="at least 20"):
        value_of_information(spec, replications=5)


def _short_b2b() -> Any:
    raw = yaml.safe_load((ROOT / "scenarios" / "b2b_services.yaml").read_text("utf-8"))
    raw["horizon_months"] = 6
    raw["goal"]["deadline_month"] = 6
    return load_scenario(raw)


def test_the_parameter_values_exposed_are_those_the_comparison_ran_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _short_b2b()
    seen: dict[int, dict[str, float]] = {}
    own: dict[tuple[int, str], dict[str, float]] = {}
    run, draw = runner_module.run_alternatives, runner_module.draw_bet_values

    def recording_run(spec: Any, alts: Any, index: int, values: dict[str, float], *args: Any,
                      **kwargs: Any) -> Any:
        seen[index] = dict(values)
        return run(spec, alts, index, values, *args, **kwargs)

    def recording_draw(bet: Any, seed: int, index: int) -> dict[str, float]:
        out = draw(bet, seed, index)
        own[(index, bet.name)] = out
        return out

    monkeypatch.setattr(runner_module, "run_alternatives", recording_run)
    monkeypatch.setattr(runner_module, "draw_bet_values", recording_draw)
    # two rounds (3 then 6 replications): the second round's draws come from its own stream
    cmp = compare_bets(spec, ["more_ads", "follow_up_and_crm"], replications=3, seed=4, workers=1,
                       until_settled=True, max_replications=6)
    monkeypatch.undo()
    frame = cmp.parameter_values()
    assert len(frame) == cmp.replications == len(seen)
    assert cmp.rounds == [3, 3]
    for i, values in seen.items():
        for path, value in values.items():
            assert frame.loc[i, path] == value
        assert frame.loc[i, "bets.follow_up_and_crm.changes.2.scale"] == own[
            (i, "follow_up_and_crm")]["changes.2.scale"]
    # the baseline's draws vary, and the bet's own uncertain effect is a parameter too
    assert frame["journey.follow_up.conversion_per_touch"].nunique() == cmp.replications
    voi = from_comparison(cmp, resamples=20)
    assert voi.parameters["bets.follow_up_and_crm.changes.2.scale"] == {
        "lever": "conversion", "stage": "follow_up",
        "acts_on": "journey.follow_up.conversion_per_touch"}
    assert set(voi.groups) == {"lever", "stage"}
    assert {"conversion", "leads", "frequency"} <= set(voi.groups["lever"])
    # and recording changed nothing: the same comparison again gives the same table
    again = compare_bets(spec, ["more_ads", "follow_up_and_crm"], replications=3, seed=4, workers=1,
                         until_settled=True, max_replications=6)
    assert again.table().equals(cmp.table())


def test_the_command_writes_voi_json_and_says_what_is_wrong_with_bad_input(
        tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sim.cli.main import app

    raw = yaml.safe_load((ROOT / "scenarios" / "b2b_services.yaml").read_text("utf-8"))
    raw["horizon_months"] = 6
    raw["goal"]["deadline_month"] = 6
    scenario = tmp_path / "short.yaml"
    scenario.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "out"

    def run(*extra: str, target: Path = out, path: Path = scenario) -> Any:
        return runner.invoke(app, ["value-of-information", str(path), "--workers", "1",
                                   "--seed", "3", "--out", str(target), *extra])

    done = run("--bets", "more_ads,follow_up_and_crm", "--reps", "20", "--lang", "ru")
    assert done.exit_code == 0, done.output
    assert "Сколько стоит узнать больше до выбора" in done.output
    doc = json.loads((out / "voi.json").read_text(encoding="utf-8"))
    assert doc["alternatives"] == ["baseline", "more_ads", "follow_up_and_crm"]
    assert doc["currency"] == "RUB" and doc["provenance"]["replications"] == 20
    assert set(doc["evpi"]) == {"estimate", "se"}
    uncertain = {"segments.enterprise.committee_delay_days", "channels.yandex_direct.max_leads",
                 "journey.first_contact_conversion", "journey.follow_up.conversion_per_touch",
                 "tiers.monthly_service.monthly_churn", "bets.follow_up_and_crm.changes.2.scale"}
    assert set(doc["evppi"]) == uncertain
    assert set(doc["groups"]) == {"lever", "stage"}
    assert "follow_up" in doc["groups"]["stage"] and "leads" in doc["groups"]["lever"]
    evpi_value = doc["evpi"]["estimate"]
    for entry in [*doc["evppi"].values(), *doc["groups"]["lever"].values(),
                  *doc["groups"]["stage"].values()]:
        assert set(entry) == {"estimate", "se"} and entry["se"] >= 0
        assert 0 <= entry["estimate"] <= evpi_value + 3 * (entry["se"] + doc["evpi"]["se"])
    assert any("Знать" in line or "допущение" in line for line in doc["summary"]["ru"])
    assert doc["names"]["journey.follow_up.conversion_per_touch"]["ru"] == (
        "Конверсия касания — дожим")
    # the same seed gives the same file
    again = run("--bets", "more_ads,follow_up_and_crm", "--reps", "20", target=tmp_path / "b")
    assert again.exit_code == 0, again.output
    twin = json.loads((tmp_path / "b" / "voi.json").read_text(encoding="utf-8"))
    assert twin["evpi"] == doc["evpi"] and twin["evppi"] == doc["evppi"]

    # bad input: exit 2, a message naming what and how to fix, nothing written
    bad = tmp_path / "bad"
    unknown = run("--bets", "more_ads,no_such_bet", target=bad)
    assert unknown.exit_code == 2
    assert "no_such_bet" in unknown.output and "known bets" in unknown.output
    few = run("--reps", "5", target=bad)
    assert few.exit_code == 2 and "--reps" in few.output
    raw["bets"] = []
    lonely = tmp_path / "no_bets.yaml"
    lonely.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    alone = run(path=lonely, target=bad)
    assert alone.exit_code == 2
    assert "only one option" in alone.output and "is 0" in alone.output
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder", encoding="utf-8")
    unwritable = run("--reps", "20", "--bets", "more_ads", target=blocked)
    assert unwritable.exit_code == 2 and "a_file" in unwritable.output
    assert not bad.exists()


def _result(evppi: dict[str, float], evpi_value: float = 4.0e6) -> Any:
    from sim.experiments.sensitivity import lever_of, stage_of
    from sim.experiments.voi import Estimate, ValueOfInformation

    paths = list(evppi)
    return ValueOfInformation(
        evpi=Estimate(evpi_value, 2.0e5),
        evppi={p: Estimate(v, 1.0e5) for p, v in evppi.items()},
        groups={"lever": {lever_of(p): Estimate(v, 1.0e5) for p, v in evppi.items()},
                "stage": {stage_of(p): Estimate(v, 1.0e5) for p, v in evppi.items()}},
        all_parameters=Estimate(3.5e6, 2.0e5),
        parameters={p: {"lever": lever_of(p), "stage": stage_of(p), "acts_on": p}
                    for p in paths},
        alternatives=["baseline", "follow_up_and_crm"], chosen="follow_up_and_crm",
        expected_npv={"baseline": 1.0e7, "follow_up_and_crm": 1.2e7}, currency="RUB",
        replications=200, seed=1, resamples=200, provenance={"scenario": "s[bold]x"})


def test_the_owners_sentence_in_both_languages() -> None:
    from sim.report import voi as report

    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    result = _result({"journey.follow_up.conversion_per_touch": 3.1e6,
                      "channels.yandex_direct.max_leads": 2.0e5})
    en, ru = (report.summary_lines(result, lang, spec) for lang in ("en", "ru"))
    assert ("Knowing conversion per touch — follow-up before choosing is worth up to RUB 3.1M; "
            "a test that costs less than that is worth running.") in en
    assert ("Знать «Конверсия касания — дожим» до выбора стоит до 3,1\u00a0млн\u00a0₽; "
            "проверку, которая обходится дешевле, стоит провести.") in ru
    assert any("CRM and a follow-up script" in line for line in en)  # the choice now
    # an EVPPI within two standard errors of nothing is not sold as worth a test
    vague = _result({"journey.follow_up.conversion_per_touch": 1.5e5})
    line = report.summary_lines(vague, "en", spec)[-2]
    assert line.startswith("No single assumption is clearly worth learning")
    assert report.summary_lines(_result({}, 0.0), "en", spec)[1].startswith(
        "The same option is best in every simulated future")


def test_report_words_in_both_languages_and_the_terminal_view_fits_80_columns() -> None:
    import io
    import re

    from rich.console import Console

    from models.spec.scenario import text_in
    from sim.report import voi as report

    for key, (en, ru) in report.words().items():
        assert en.strip() and ru.strip(), key
        assert en != ru or key == "col_se", key
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", ru)), key
    spec = load_scenario(ROOT / "scenarios" / "b2b_services.yaml")
    result = _result({"journey.follow_up.conversion_per_touch": 3.1e6,
                      "segments.enterprise.committee_delay_days": 2.0e5})
    for lang in ("en", "ru"):
        buffer = io.StringIO()
        report.show(result, Console(file=buffer, width=80, color_system=None), lang, spec)
        text = buffer.getvalue()
        assert max(len(line) for line in text.splitlines()) <= 80
        assert text_in(spec.title, lang, spec.name) in text
        buffer = io.StringIO()
        report.show(result, Console(file=buffer, width=80, color_system=None), lang)
        assert "s[bold]x" in buffer.getvalue()  # a scenario's own text as written, not markup
        fig = report.evppi_figure(result, lang, spec)
        assert fig.data[0].x[-1] == 3.1e6  # largest on top


def test_the_same_seed_gives_the_same_answer_whatever_the_workers() -> None:
    spec = _short_b2b()
    serial = value_of_information(spec, ["more_ads", "follow_up_and_crm"], replications=20, seed=2,
                                  workers=1, resamples=50)
    pooled = value_of_information(spec, ["more_ads", "follow_up_and_crm"], replications=20, seed=2,
                                  workers=2, resamples=50)
    assert pooled.to_dict() == serial.to_dict()
