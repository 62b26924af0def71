"""The business's calendar (start month, working days, seasons, trend, schedule) against closed
forms, on the compiled form and on both engines.

The calendar is a compile-time transform: the engines read each month's parameters from the
timeline, so the checks here are (a) the timeline holds the right numbers and (b) the engines
turn them into the right counts: leads a month = lambda x the month's multiplier x the trend,
and a short month's queue waits as Erlang C says with that month's capacity.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from models.compiled.bets import compile_alternatives
from models.compiled.calendar import country_working_days
from models.compiled.form import DAYS_PER_MONTH, compile_scenario
from models.compiled.sampling import uncertain_parameters
from models.load import load_scenario
from models.spec.errors import ScenarioError
from sim.engines import get_engine

Z = 3.0  # |mean - theory| < 3 SE, SE over the replications (fixed seeds: deterministic)
PROFILE = [0.55, 0.95, 1.05, 1.1, 0.9, 1.0, 0.85, 0.85, 1.15, 1.2, 1.2, 1.2]
OWN = [0.4, 1.2, 1.4, 1.3, 0.8, 0.8, 0.6, 0.6, 1.1, 1.4, 1.3, 1.1]


def scenario(**sections: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "calendar case",
        "horizon_months": 12,
        "channels": [{"name": "ads", "budget_monthly": 100.0, "max_leads": 160.0,
                      "half_saturation_budget": 100.0, "organic_leads": 20.0},
                     {"name": "shows", "organic_leads": 60.0}],
        "sales": {"managers": 5, "handling_minutes": 0.01, "salary_monthly": 1000.0},
        "journey": {"first_contact_conversion": 0.0},
        "tiers": [{"name": "only", "price": 1000.0, "monthly_churn": 0.0}],
    }
    raw.update(sections)
    return raw


def ledger_digest(ledger: Any) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=float) for k, v in ledger.arrays().items()}


def assert_z(samples: np.ndarray, theory: float, what: str) -> None:
    mean, se = float(samples.mean()), float(samples.std(ddof=1) / math.sqrt(samples.size))
    assert se > 0, f"{what}: no variation"
    assert abs(mean - theory) < Z * se, (
        f"{what}: simulated {mean:.4g} +/- {se:.3g}, theory {theory:.4g}")


# -- the compiled form ---------------------------------------------------------------------
def test_working_days_come_from_the_country_and_the_overrides() -> None:
    # Russia's production calendar: 15 working days in January 2027 (1-8 January off), 22 in
    # March; 2025's November had a working Saturday (1 November), so 19 rather than 18.
    assert country_working_days("RU", 2027, 1) == 15
    assert country_working_days("RU", 2027, 3) == 22
    assert country_working_days("RU", 2025, 11) == 19
    spec = load_scenario(scenario(start="2027-01", calendar={"country": "RU",
                                                             "working_days": {2: 10}}))
    t = compile_scenario(spec).timeline
    plan = compile_scenario(load_scenario(scenario())).timeline[0].handling_days
    assert t[5].handling_days == plan  # June 2027: 21 working days, the plan's own
    assert t[0].handling_days == pytest.approx(plan * 21 / 15)
    assert t[1].handling_days == pytest.approx(plan * 21 / 10)  # the override wins
    assert t[2].handling_days == pytest.approx(plan * 21 / 22)


def test_leads_of_each_month_follow_the_season_and_the_trend_in_the_compiled_form() -> None:
    raw = scenario(start="2027-03", horizon_months=24, trend={"leads_yearly": 0.1},
                   seasonality={"leads": PROFILE, "channels": {"shows": OWN}})
    t = compile_scenario(load_scenario(raw)).timeline
    paid = 160 * 100 / 200
    for m in range(24):
        cal = (2 + m) % 12  # month 1 is March
        trend = 1.1 ** (m / 12)
        ads, shows = t[m].channels
        assert ads.paid_leads + ads.organic_leads == pytest.approx(
            (paid + 20) * PROFILE[cal] * trend)
        assert shows.organic_leads == pytest.approx(60 * OWN[cal] * trend)
        assert ads.budget == 100.0  # the season changes what the budget buys, not the budget


def test_all_multipliers_one_is_bit_identical_on_both_engines() -> None:
    plain = load_scenario("scenarios/b2b_services.yaml")
    raw = plain.model_dump(by_alias=True)
    raw.update(start="2027-01", seasonality={"leads": [1.0] * 12, "churn": {"jan": 1.0}},
               trend={"leads_yearly": 0.0})
    flat = load_scenario(raw)
    alternatives = [[]] + [[b] for b in plain.bets[:2]]
    for a, b in zip(compile_alternatives(plain, alternatives),
                    compile_alternatives(flat, alternatives), strict=True):
        for engine in ("fast", "agent"):
            simulate = get_engine(engine)
            x, y = ledger_digest(simulate(a, 3)), ledger_digest(simulate(b, 3))
            assert x.keys() == y.keys()
            for key in x:
                assert np.array_equal(x[key], y[key]), f"{engine}: {key} differs"


def test_schedule_changes_the_plan_from_its_month_and_bets_act_on_top() -> None:
    raw = scenario(horizon_months=12, schedule={"sales.managers": {4: 7, 10: 2},
                                                "channels.shows.organic_leads": {6: 90}},
                   bets=[{"name": "hire", "changes": [{"path": "sales.managers", "add": 1}],
                          "start_month": 8}])
    spec = load_scenario(raw)
    base, bet = compile_alternatives(spec, [[], spec.bets])
    assert [p.managers for p in base.timeline] == [5, 5, 5, 7, 7, 7, 7, 7, 7, 2, 2, 2]
    assert [p.managers for p in bet.timeline] == [5, 5, 5, 7, 7, 7, 7, 8, 8, 3, 3, 3]
    assert [p.channels[1].organic_leads for p in base.timeline] == [60.0] * 5 + [90.0] * 7
    # the engines pay the scheduled team: salaries month by month
    for engine in ("fast", "agent"):
        costs = np.asarray(get_engine(engine)(bet, 0).costs)
        assert costs[:, 1].tolist() == [1000.0 * p.managers for p in bet.timeline]


def test_an_uncertain_amplitude_is_drawn_like_any_parameter() -> None:
    raw = scenario(start="2027-01", seasonality={
        "channels": {"shows": {"months": OWN, "amplitude": {"dist": "uniform", "low": 0,
                                                            "high": 1}}}})
    spec = load_scenario(raw)
    paths = [path for path, _ in uncertain_parameters(spec)]
    assert paths == ["seasonality.channels.shows.amplitude"]
    none = compile_scenario(spec, {paths[0]: 0.0}).timeline
    half = compile_scenario(spec, {paths[0]: 0.5}).timeline
    assert none[0].channels[1].organic_leads == 60.0
    assert half[0].channels[1].organic_leads == pytest.approx(60 * (1 + 0.5 * (OWN[0] - 1)))


# -- the engines against closed forms ------------------------------------------------------
def test_leads_each_month_are_lambda_times_the_multiplier_on_the_fast_engine() -> None:
    clients = 400
    raw = scenario(start="2027-01", horizon_months=12, trend={"leads_yearly": 0.2},
                   seasonality={"leads": PROFILE, "channels": {"shows": OWN},
                                "referrals": {"jan": 0.2, "jul": 1.8}},
                   referrals={"leads_per_client_month": 0.1},
                   initial_state={"clients": [{"tier": "only", "count": clients}]})
    cs = compile_scenario(load_scenario(raw))
    simulate = get_engine("fast")
    runs = np.array([np.asarray(simulate(cs, ss).leads)
                     for ss in np.random.SeedSequence(2028).spawn(40)])
    for m in range(12):
        trend = 1.2 ** (m / 12)
        assert_z(runs[:, m, 0], (80 + 20) * PROFILE[m] * trend, f"ads month {m + 1}")
        assert_z(runs[:, m, 1], 60 * OWN[m] * trend, f"shows month {m + 1}")
        # Referrals: no trend (they follow the clients). A client's purchases and referrals
        # from one anniversary to the next are drawn at the rate of the month the period starts
        # in; the starting clients' anniversaries are uniform over the month, so month m mixes
        # half of month m-1's rate with half of its own (month 1: its own).
        season = [{0: 0.2, 6: 1.8}.get(k, 1.0) for k in range(12)]
        referral = season[0] if m == 0 else (season[m - 1] + season[m]) / 2
        assert_z(runs[:, m, 2], clients * 0.1 * referral, f"referrals month {m + 1}")


def _erlang_c(c: int, a: float) -> float:
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def _short_month_queue(months: int) -> tuple[dict[str, Any], float, float, int]:
    """Every month has 15 working days (the plan's average month has 21): M/M/c with the short
    month's service rate. Offered load 0.8 of the short months' capacity (0.57 of the plan's)."""
    c, hours, minutes = 3, 8.0, 60.0
    mu = hours * 15 / DAYS_PER_MONTH / (minutes / 60)  # contacts a manager a calendar day
    lam = 0.8 * c * mu
    raw = scenario(
        horizon_months=months,
        channels=[{"name": "organic", "organic_leads": lam * DAYS_PER_MONTH}],
        sales={"managers": c, "hours_per_day": hours, "working_days_per_month": 21.0,
               "handling_minutes": minutes, "handling_distribution": "exponential"},
        journey={"first_contact_conversion": 0.0, "follow_up": {"max_touches": 0}},
        calendar={"working_days": {m: 15 for m in range(1, months + 1)}})
    return raw, lam, mu, c


@pytest.mark.parametrize(("engine", "months", "reps"), [("fast", 14, 20), ("agent", 6, 8)])
def test_a_short_months_queue_waits_as_erlang_c_with_its_capacity(engine: str, months: int,
                                                                  reps: int) -> None:
    raw, lam, mu, c = _short_month_queue(months)
    cs = compile_scenario(load_scenario(raw))
    simulate = get_engine(engine)
    window = slice(1, months - 1)  # a warm-up month; the last month's waits are unfinished
    share = []
    for ss in np.random.SeedSequence(515).spawn(reps):
        led = simulate(cs, ss)
        share.append(np.asarray(led.waited)[window].sum() / np.asarray(led.requests)[window].sum())
    expected = _erlang_c(c, lam / mu)
    plan = _erlang_c(c, lam / (mu * 21 / 15))  # what the plan's 21 days would give
    assert expected - plan > 0.25  # the check tells the two apart
    assert_z(np.array(share), expected, f"{engine}: P(wait) in 15-day months")


# -- bad input -----------------------------------------------------------------------------
BAD = [
    ({"start": "2027-01", "seasonality": {"leads": [1.0] * 13}}, "seasonality.leads",
     "twelve multipliers", "двенадцать"),
    ({"start": "2027-01", "seasonality": {"leads": [-1.0] + [13 / 11] * 11}},
     "seasonality.leads", "cannot be negative", "не может быть отрицательным"),
    ({"start": "2027-01", "seasonality": {"conversion": [1.1] * 12}},
     "seasonality.conversion", "average 1", "в среднем"),
    ({"start": "2027-01", "seasonality": {"churn": {"jan": 0.5, "smarch": 1.2}}},
     "seasonality.churn.smarch", "unknown month", "неизвестный месяц"),
    ({"start": "2027-01", "seasonality": {"leads": {"months": PROFILE, "amplitude": 3}}},
     "seasonality.leads.amplitude", "negative", "отрицательным"),
    ({"start": "2027-01", "seasonality": {"channels": {"tv": PROFILE}}},
     "seasonality.channels.tv", "no channel named 'tv'", "нет канала"),
    ({"schedule": {"sales.managers": {13: 4}}}, "schedule.sales.managers.13",
     "beyond the horizon", "за пределами горизонта"),
    ({"schedule": {"sales.managerz": {3: 4}}}, "schedule.sales.managerz", "unknown parameter",
     "неизвестный параметр"),
    ({"schedule": {"sales.handling_distribution": {3: 4}}},
     "schedule.sales.handling_distribution", "not a number", "не число"),
    ({"schedule": {"sales.managers": {3: 2.5}}}, "schedule.sales.managers.3", "whole number",
     "целым"),
    ({"start": "2027-01", "calendar": {"country": "XX"}}, "calendar.country",
     "unknown country code 'XX'", "неизвестный код страны"),
    ({"calendar": {"country": "RU"}}, "calendar.country", "needs `start`", "нужен `start`"),
    ({"calendar": {"working_days": {40: 10}}}, "calendar.working_days.40", "beyond the horizon",
     "за пределами горизонта"),
    ({"start": "2027-13"}, "start", "YYYY-MM", "ГГГГ-ММ"),
    ({"start": "2027-01-15"}, "start", "YYYY-MM", "ГГГГ-ММ"),
    ({"seasonality": {"leads": PROFILE}}, "seasonality", "needs `start`", "нужен `start`"),
]


@pytest.mark.parametrize(("sections", "field", "english", "russian"), BAD,
                         ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_calendar_input_names_the_field_in_both_languages(
        sections: dict[str, Any], field: str, english: str, russian: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario(**sections))
    problems = err.value.problems
    assert len(problems) == 1, problems
    where, what = problems[0]
    assert where == field
    assert english in str(what)
    assert russian in what.text("ru")  # type: ignore[attr-defined]


def test_a_yaml_date_for_start_is_refused(tmp_path: Any) -> None:
    import yaml

    text = yaml.safe_dump(scenario()).replace("name: calendar case", "name: x\nstart: 2027-01-15")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=r"start: must be a calendar month .* '2027-01-15'"):
        load_scenario(path)


# -- the calendar month where a month is shown ---------------------------------------------
def test_calendar_month_labels_in_both_languages() -> None:
    """Catches a month counted from the wrong start and a month's name in the wrong language
    (CLDR's abbreviation: "янв." in Russian)."""
    from sim.report.i18n import calendar_month

    assert calendar_month("2027-01", 24, "en") == "Dec\u00a02028"
    assert calendar_month("2027-11", 3, "ru") == "янв.\u00a02028"
    assert calendar_month(None, 3, "en") is None


def test_run_shows_the_calendar_month_of_the_start_and_the_deadline(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sim.cli import common
    from sim.cli.main import app

    # The CLI's console takes COLUMNS when it is made (whichever test of this process imported
    # it first): 200 columns here, whatever ran before, so that no cell wraps.
    monkeypatch.setattr(common.console, "_width", 200)
    result = CliRunner().invoke(app, ["run", "scenarios/b2b_services_calendar.yaml", "--reps",
                                      "4", "--workers", "1", "--out", str(tmp_path)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "36 months from Jan\u00a02027" in result.output
    assert "by month 24 (Dec\u00a02028)" in result.output


def test_the_calendars_uncertain_values_have_a_lever_a_stage_and_words() -> None:
    from sim.experiments.sensitivity import lever_of, stage_of
    from sim.report.sensitivity import param_label

    spec = load_scenario("scenarios/b2b_services_calendar.yaml")
    path = "seasonality.channels.exhibitions_outbound.amplitude"
    assert (lever_of(path), stage_of(path)) == ("leads", "acquisition")
    assert (lever_of("seasonality.churn.amplitude"), stage_of("seasonality.churn.amplitude")) == (
        "frequency", "retention")
    assert param_label(path, "en", spec) == (
        "Strength of the seasons — Trade shows and cold outreach")
    assert param_label("seasonality.churn.amplitude", "ru") == "Сила сезонности — отток"


def test_a_scenario_without_a_calendar_keeps_its_hash() -> None:
    from models.load import scenario_hash

    # the hash this scenario had before calendars existed (batch stores, plan-vs-actual files
    # and summaries made then still match it)
    assert scenario_hash(load_scenario(scenario())) == "f7977c90f541049e"
    assert scenario_hash(load_scenario(scenario(start="2027-01"))) != "f7977c90f541049e"
