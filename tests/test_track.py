"""Plan vs actual: actuals made by the engine from a business that differs from the plan
in a known way are found out; actuals of the plan itself leave it where it was; every malformed
actuals file gets a clear error, by line, in both languages.

One plan fan (b2b_services, fast engine, 200 replications) serves every statistical test.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from models.calibration.actuals import Actuals, ActualsError, check_actuals, read_actuals
from models.compiled.sampling import draw_parameters
from models.load import load_scenario
from models.spec.scenario import Scenario
from sim.cli.main import app
from sim.experiments.track import (
    FLAG_HIGH,
    FLAG_LOW,
    Fan,
    journey_rates,
    percentile_in,
    plan_fan,
    positions,
    track,
    tracked_columns,
)
from sim.experiments.track import (
    simulated_actuals as simulate_actuals,
)
from sim.report.i18n import Lang

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "scenarios" / "b2b_services.yaml"
EXAMPLE = ROOT / "scenarios" / "data" / "b2b_services_actuals.csv"
MONTHS = 9
REPS = 200
COLUMNS = ["leads_yandex_direct", "leads_exhibitions_outbound", "leads_partners",
           "leads_referral", "new_clients", "revenue", "churned", "active_clients", "marketing",
           "lost_unprocessed", "lost_unpaid"]
# Every tier's churn 1.5 times the plan's (the uncertain one keeps its relative spread).
CHURN_15 = [
    "tiers.audit.monthly_churn=0.225", "tiers.audit.monthly_churn_no_result=0.45",
    "tiers.monthly_service.monthly_churn={dist: beta, mean: 0.045, sd: 0.012}",
    "tiers.monthly_service.monthly_churn_no_result=0.105",
    "tiers.premium.monthly_churn=0.03", "tiers.premium.monthly_churn_no_result=0.075",
]
runner = CliRunner()


@pytest.fixture(scope="module")
def spec() -> Scenario:
    return load_scenario(PLAN)


@pytest.fixture(scope="module")
def fan(spec: Scenario) -> Fan:
    return plan_fan(spec, REPS, seed=1, workers=1, engine="fast")


def _actuals(frame: pd.DataFrame, spec: Scenario, source: str = "test") -> Actuals:
    return Actuals(check_actuals(frame.astype(str), spec), source)


def _churn_rate(fan: Fan, start: int) -> np.ndarray:
    """Clients who left in months 1..MONTHS over those active at each month's start, per run."""
    before = np.concatenate([np.full((fan.replications, 1), float(start)),
                             fan.series["active_clients"][:, :MONTHS - 1]], axis=1)
    return fan.series["churned"][:, :MONTHS].sum(axis=1) / before.sum(axis=1)


def test_churn_one_and_a_half_times_the_plan_is_found(spec: Scenario, fan: Fan) -> None:
    truth = load_scenario(PLAN, CHURN_15)
    start = sum(c.count for c in spec.initial_state.clients)
    true_rate = float(_churn_rate(plan_fan(truth, 60, seed=5, workers=1), start).mean())
    plan_rate = float(_churn_rate(fan, start).mean())
    assert true_rate > 1.3 * plan_rate  # the deviation is there to be found
    churned_flags = {"above": 0, "below": 0}
    active_flags = {"above": 0, "below": 0}
    lead_flags = lead_cells = churn_off = 0
    moved: dict[str, float] = {}
    trajectories = 6
    covered = 0  # trajectories whose 95% interval holds the true churn
    for k in range(trajectories):
        frame = simulate_actuals(truth, MONTHS, 100 + k, columns=COLUMNS)
        actuals = _actuals(frame, spec)
        rates = {r.name: r for r in journey_rates(spec, fan, actuals)}
        churn = rates["churn"]
        # the update moves churn toward the truth, with an interval that covers it
        assert churn.plan == pytest.approx(plan_rate, rel=1e-9)
        assert abs(churn.posterior - true_rate) < abs(churn.plan - true_rate)
        covered += churn.low <= true_rate <= churn.high
        for n, r in rates.items():  # how far each rate moved, in widths of its interval
            moved[n] = moved.get(n, 0.0) + abs(r.posterior - r.plan) / (r.high - r.low)
        churn_off += churn.off
        pos = positions(fan, actuals, tracked_columns(spec, actuals))
        for name, counts in (("churned", churned_flags), ("active_clients", active_flags)):
            for flag in ("above", "below"):
                counts[flag] += int(((pos.metric == name) & (pos.flag == flag)).sum())
        leads = pos[pos.metric.str.startswith("leads_") & (pos.metric != "leads_referral")]
        lead_flags += int((leads.flag != "").sum())
        lead_cells += len(leads)
    # a 95% interval misses now and then: two misses of six would happen 3% of the time
    assert covered >= trajectories - 1, covered
    # churn is the rate that moved most over the trajectories, and found off in most of them
    assert max(moved, key=moved.__getitem__) == "churn", moved
    assert churn_off > trajectories / 2
    # The months flagged are the ones churn affects, in its direction: more clients leave
    # (above P90 far more often than the 10% a right plan gives) and fewer stay; the lead
    # volumes, which churn does not touch, are flagged at the chance rate (20%).
    n = trajectories * MONTHS
    assert churned_flags["above"] / n > 0.1 + 3 * math.sqrt(0.1 * 0.9 / n), churned_flags
    # and below P10 at most half as often as the 10% a right plan gives
    assert churned_flags["below"] / n <= 0.05 and active_flags["above"] == 0, (churned_flags,
                                                                               active_flags)
    share = lead_flags / lead_cells
    assert abs(share - 0.2) < 3 * math.sqrt(0.2 * 0.8 / (lead_cells / MONTHS)), share


def test_actuals_of_the_plan_itself_are_flagged_at_the_expected_rate(spec: Scenario,
                                                                      fan: Fan) -> None:
    """Runs of the plan (each with its own parameter draw, as the fan's) are exchangeable with
    the fan's, so each figure falls outside P10-P90 about one month in five."""
    draws = draw_parameters(spec, 6, np.random.SeedSequence(12345))
    flagged = cells = 0
    for i, values in enumerate(draws):
        frame = simulate_actuals(spec, MONTHS, 777, columns=COLUMNS, values=values, index=i)
        pos = positions(fan, _actuals(frame, spec), COLUMNS[:-2])
        pos = pos[pos.metric != "marketing"]  # fixed in the plan: always at its P50
        flagged += int((pos.flag != "").sum())
        cells += len(pos)
    # months of one run are correlated: count each figure of a run once for the error
    assert abs(flagged / cells - 0.2) < 3 * math.sqrt(0.2 * 0.8 / (cells / MONTHS)), (
        flagged / cells)


def test_the_plans_own_path_leaves_p_goal_where_it_was(spec: Scenario, fan: Fan) -> None:
    """Actuals that are the plan's expected path: no rate is off, nothing is flagged, the
    re-forecast starts where the actuals end, its mean revenue at the deadline is the plan's,
    and P(goal) is the plan's within Monte Carlo error. The target is set at the plan's mean at
    the deadline: the update narrows the fan around the expected path, which moves P(goal) only
    for a target away from the centre."""
    deadline = spec.goal.deadline_month if spec.goal else 0
    at_deadline = fan.series["revenue"][:, deadline - 1]
    target = float(at_deadline.mean())
    at_mean = load_scenario(PLAN, [f"goal.target={target}"])
    frame = pd.DataFrame({c: np.round(fan.series[c][:, :MONTHS].mean(axis=0))
                          for c in COLUMNS})
    frame.insert(0, "month", range(1, MONTHS + 1))
    plan = Fan(fan.series, (at_deadline >= target).astype(float))
    result = track(at_mean, _actuals(frame, at_mean), replications=REPS, seed=1, workers=1,
                   plan=plan)
    assert not [r.name for r in result.rates if r.off]
    assert result.flagged().empty
    now = result.reforecast.series["revenue"][:, deadline - 1 - MONTHS]
    se = math.hypot(at_deadline.std(ddof=1), now.std(ddof=1)) / math.sqrt(REPS)
    assert abs(now.mean() - at_deadline.mean()) < 3 * se, (now.mean(), at_deadline.mean())
    p_plan, se_plan = result.plan.p_goal()
    p_now, se_now = result.reforecast.p_goal()
    assert p_plan is not None and p_now is not None and se_plan and se_now
    assert abs(p_now - p_plan) < 3 * math.hypot(se_plan, se_now), (p_plan, p_now)
    # the re-forecast starts where the actuals end
    assert result.reforecast.first_month == MONTHS + 1
    assert result.reforecast_spec.horizon_months == spec.horizon_months - MONTHS
    assert result.reforecast_spec.goal is not None
    assert result.reforecast_spec.goal.deadline_month == deadline - MONTHS
    start = sum(c.count for c in result.reforecast_spec.initial_state.clients)
    assert start == frame["active_clients"].iloc[-1]


def test_percentile_counts_ties_half() -> None:
    values = np.array([1.0, 2.0, 2.0, 3.0])
    assert percentile_in(values, 2.0) == 50.0
    assert percentile_in(values, 0.0) == 0.0 and percentile_in(values, 9.0) == 100.0
    assert FLAG_LOW == 10 and FLAG_HIGH == 90


def test_same_seed_same_answer(spec: Scenario) -> None:
    a = plan_fan(spec, 4, seed=3, workers=1)
    b = plan_fan(spec, 4, seed=3, workers=1)
    c = plan_fan(spec, 4, seed=4, workers=1)
    np.testing.assert_array_equal(a.series["revenue"], b.series["revenue"])
    assert not np.array_equal(a.series["revenue"], c.series["revenue"])


# -- the actuals file ---------------------------------------------------------------------------

GOOD = "month,new_clients,revenue\n1,4,5680000\n2,12,7940000\n"
BAD = {
    "no month column": ("period,new_clients\n1,4\n", "'month'"),
    "a date for a month": ("month,new_clients\n2025-01,4\n", "row 2"),
    "month zero": ("month,new_clients\n0,4\n", "whole number >= 1"),
    "a gap": ("month,new_clients\n1,4\n3,5\n", "months 2 are missing"),
    "a repeated month": ("month,new_clients\n1,4\n1,5\n", "month 1 appears more than once"),
    "after the horizon": ("month,new_clients\n" + "".join(f"{m},1\n" for m in range(1, 38)),
                          "after the plan's horizon"),
    "unknown column": ("month,leads_tiktok\n1,4\n", "leads_tiktok"),
    "not a number": ("month,revenue\n1,abc\n2,100\n", "revenue: not a number in row 2"),
    "negative": ("month,churned\n1,-2\n", "churned: a negative value in row 2"),
    "a fraction of a client": ("month,new_clients\n1,2.5\n", "new_clients: not a whole number"),
    "header only": ("month,new_clients\n", "no months"),
    "only the month": ("month\n1\n", "no actuals besides the month"),
    "empty file": ("", "empty"),
    "repeated column": ("month,revenue,revenue\n1,1,2\n", "twice"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_malformed_actuals_file_gets_a_clear_error(case: str, spec: Scenario,
                                                       tmp_path: Path) -> None:
    text, expected = BAD[case]
    path = tmp_path / "actuals.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ActualsError) as err:
        read_actuals(path, spec)
    message = str(err.value)
    assert expected in message, message
    russian = err.value.text("ru")
    assert russian != message and any("а" <= ch <= "я" for ch in russian.lower()), russian


def test_a_russian_excel_export_reads(spec: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "факт.csv"
    path.write_bytes("month;new_clients;revenue\n1;4;5 680 000,50\n2;;7 940 000\n"
                     .encode("cp1251"))
    actuals = read_actuals(path, spec)
    assert actuals.months == 2
    assert actuals.column("revenue")[0] == pytest.approx(5_680_000.5)
    assert math.isnan(actuals.column("new_clients")[1])  # empty: not known that month
    assert read_actuals(_write(tmp_path, GOOD + ",,\n,,\n"), spec).months == 2  # blank rows


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "good.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_is_the_documented_deviation(spec: Scenario, fan: Fan) -> None:
    actuals = read_actuals(EXAMPLE, spec)
    assert actuals.months == MONTHS
    rates = {r.name: r for r in journey_rates(spec, fan, actuals)}
    assert rates["churn"].off and rates["churn"].posterior > rates["churn"].plan
    assert rates["leads_yandex_direct"].off
    assert rates["leads_yandex_direct"].posterior < rates["leads_yandex_direct"].plan


def test_cli_track_writes_its_files_and_refuses_bad_actuals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["track", str(PLAN), str(EXAMPLE), "--reps", "8",
                                 "--bet-reps", "0", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "track.json").read_text())
    assert doc["provenance"]["actual_months"] == MONTHS
    assert {r["name"] for r in doc["rates"]} >= {"churn", "conversion", "leads_partners"}
    assert pd.read_parquet(out / "track_fans.parquet")["forecast"].nunique() == 2
    assert len(pd.read_parquet(out / "track_positions.parquet")) == MONTHS * len(COLUMNS)
    bad = tmp_path / "bad.csv"
    bad.write_text("month,churned\n1,-2\n", encoding="utf-8")
    result = runner.invoke(app, ["track", str(PLAN), str(bad), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "churned: a negative value in row 2" in " ".join(
        result.output.split())


def test_words_in_both_languages_with_the_same_placeholders() -> None:
    import re

    from models.calibration import actuals as actuals_words
    from sim.report import track as report

    for module in (report, actuals_words):
        for key, (en, ru) in module.words().items():
            assert en.strip() and ru.strip() and en != ru, key
            assert set(re.findall(r"{(\w+)", en)) == set(re.findall(r"{(\w+)", ru)), key
            assert any("а" <= ch <= "я" for ch in ru.lower()), key


def test_report_tables_and_figure_in_both_languages(spec: Scenario) -> None:
    from sim.report import track as report

    frame = simulate_actuals(load_scenario(PLAN, CHURN_15), MONTHS, 100, columns=COLUMNS)
    small = plan_fan(spec, 20, seed=2, workers=1)  # words and shapes: few replications do
    result = track(spec, _actuals(frame, spec, "fact.csv"), replications=20, seed=2, workers=1,
                   plan=small)
    langs: tuple[Lang, ...] = ("en", "ru")
    for lang in langs:
        rates = report.rates_table(result, lang)
        assert len(rates) == len(result.rates)
        fig = report.figure(result, "churned", lang)
        names = [tr.name for tr in fig.data]
        assert report.w("plan_band", lang) in names
        assert report.w("actual_dots", lang) in names
        # the re-forecast's fan starts the month after the last actual
        now = next(tr for tr in fig.data if tr.name == report.w("now_median", lang))

        assert min(now.x) == MONTHS + 1
        assert report.summary_lines(result, lang)
    assert "Ежемесячный отток" in report.rates_table(result, "ru").iloc[:, 0].tolist()
    assert set(report.chart_metrics(result)) == set(result.positions.metric)


def test_the_same_whatever_the_number_of_workers(spec: Scenario) -> None:
    one = plan_fan(spec, 4, seed=8, workers=1)
    two = plan_fan(spec, 4, seed=8, workers=2)
    for name in ("revenue", "churned", "leads_partners"):
        np.testing.assert_array_equal(one.series[name], two.series[name])


def test_a_crm_export_of_leads_is_monthly_actuals_too(tmp_path: Path) -> None:
    """The funnel example (a CRM export made by the engine from funnel_known.yaml) read as
    actuals of that same plan: every rate as planned."""
    from models.calibration.actuals import read_any_actuals

    known = load_scenario(ROOT / "scenarios" / "data" / "funnel_known.yaml")
    export = ROOT / "scenarios" / "data" / "funnel_export.csv"
    actuals = read_any_actuals(export, known, start="2025-01-01")
    assert actuals.months == 5 and {"leads_search_ads", "new_clients"} <= set(actuals.frame)
    rates = journey_rates(known, plan_fan(known, 20, seed=1, workers=1), actuals)
    assert {r.name for r in rates} >= {"leads_search_ads", "conversion", "lost_unprocessed"}
    assert not [r.name for r in rates if r.off]
    with pytest.raises(ActualsError, match="--start"):
        read_any_actuals(export, known)
    with pytest.raises(ActualsError, match="not channels of the scenario"):
        read_any_actuals(export, load_scenario(PLAN), start="2025-01-01")


def test_a_purchase_export_gives_revenue_and_new_clients(tmp_path: Path, spec: Scenario
                                                         ) -> None:
    from models.calibration.actuals import read_any_actuals

    path = tmp_path / "purchases.csv"
    path.write_text("customer_id,date,amount\n"
                    "a,2025-01-10,100\nb,2025-01-20,50\na,2025-02-10,100\n"
                    "c,2025-02-15,70\nb,2025-03-12,50\nd,2025-03-20,10\n", encoding="utf-8")
    actuals = read_any_actuals(path, spec, start="2025-01-01")
    assert actuals.months == 2  # March is not a whole month of the export
    np.testing.assert_array_equal(actuals.column("revenue"), [150.0, 170.0])
    np.testing.assert_array_equal(actuals.column("new_clients"), [2.0, 1.0])
    with pytest.raises(ActualsError, match="--start"):
        read_any_actuals(path, spec)
