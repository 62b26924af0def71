"""Each parameter is declared once (`models.spec.fields`), and every place that shows, varies or
groups parameters reads that declaration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, create_model

from models.load import load_scenario
from models.spec import fields
from models.spec.fields import (
    FIELDS,
    KINDS,
    LEVERS,
    NO_LEVER,
    STAGES,
    FieldMeta,
    parameter_patterns,
)
from models.spec.params import WHOLE_NUMBER_FIELDS, NonNegative
from models.spec.scenario import Sales, Scenario
from sim.app.pages.scenario import editor_kind
from sim.app.widgets import field_label
from sim.experiments import sensitivity
from sim.report import i18n
from sim.report.i18n import money
from sim.report.optimise import value_text, variable_label
from sim.report.owner import stage_bets

NEW = "sales.bonus_monthly"


def _missing(model: type[BaseModel]) -> list[str]:
    """The parameters of `model` without a complete declaration: a kind, a stage, a lever and a
    label in each language."""
    out = []
    for path in parameter_patterns(model):
        meta = FIELDS.get(path)
        if (meta is None or meta.kind not in KINDS or meta.stage not in STAGES
                or meta.lever not in (*LEVERS, NO_LEVER) or not meta.en or not meta.ru):
            out.append(path)
    return out


def _with_bonus() -> type[Scenario]:
    """A copy of the spec whose sales team has one more field, a monthly bonus per manager."""
    sales = create_model("Sales", __base__=Sales, bonus_monthly=(NonNegative, 0.0))
    return create_model("Scenario", __base__=Scenario, sales=(sales, sales()))


@pytest.fixture
def declared_bonus() -> Iterator[None]:
    FIELDS[NEW] = FieldMeta("money", "processing", "conversion", "Bonus a month",
                            "Премия в месяц", "A manager's bonus.", "Премия менеджера.")
    fields.field_of.cache_clear()
    try:
        yield
    finally:
        del FIELDS[NEW]
        fields.field_of.cache_clear()


def test_every_parameter_of_the_spec_is_declared_completely() -> None:
    """Catches a field added to models/spec/scenario.py without its kind, stage, lever or a
    label in either language (the editor would show it as a bare number under its path)."""
    assert not _missing(Scenario)
    stale = set(FIELDS) - set(parameter_patterns())
    assert not stale, f"declared, but no field of the spec: {sorted(stale)}"
    for path, meta in FIELDS.items():
        assert meta.en != meta.ru, path
        assert meta.help("en") and meta.help("ru"), path


def test_a_new_field_without_its_declaration_is_named() -> None:
    """Catches the completeness check going blind (a walk of the spec that misses a nested
    field): an undeclared field of a copy of the spec must be reported by its path."""
    assert _missing(_with_bonus()) == [NEW]


def test_a_new_field_declared_once_appears_everywhere(declared_bonus: None) -> None:
    """Catches a place that keeps its own list of fields: a money field declared only in
    models/spec/fields.py must be money in the editor and the optimiser, grouped by its lever
    and stage in the sensitivity analysis, target its stage's leaks, and have its words."""
    assert not _missing(_with_bonus())
    assert editor_kind(NEW) == "money"
    assert value_text(NEW, 1_500_000, "RUB", "en") == money(1_500_000, "RUB", "en")
    assert value_text(NEW, 1_500_000, "RUB", "ru") == money(1_500_000, "RUB", "ru")
    assert NEW in fields.money_paths()
    assert (sensitivity.lever_of(NEW), sensitivity.stage_of(NEW)) == ("conversion", "processing")
    patterns = fields.leak_patterns()
    assert NEW in patterns["lost_unprocessed"] and NEW in patterns["lost_late"]
    spec = load_scenario("scenarios/reference.yaml")
    bet = {"name": "bonus", "changes": [{"path": NEW, "set": 5000}]}
    with_bet = spec.model_copy(update={"bets": [*spec.bets, type(spec.bets[0])(**bet)]})
    assert "bonus" in stage_bets(with_bet)["lost_late"]
    assert field_label(NEW, "en") == "Bonus a month" and field_label(NEW, "ru") == "Премия в месяц"
    assert variable_label(NEW, spec, "ru") == "Премия в месяц"
    assert i18n.field_help(NEW, "en") == "A manager's bonus."
    assert i18n.field_help(NEW, "ru") == "Премия менеджера."


@pytest.mark.parametrize("path", ["overhead_monthly", "tiers.basic.onboarding_cost",
                                  "tiers.basic.upsell_offer_cost", "bets.x.one_off_cost",
                                  "channels.ads.half_saturation_budget"])
def test_costs_the_editor_used_to_miss_are_money(path: str) -> None:
    """Catches the editor's old money list, which left these costs out (they were typed as
    plain numbers with decimals, not as amounts in the scenario's currency)."""
    assert editor_kind(path) == "money"


@pytest.mark.parametrize("path", ["journey.invoice.reminders", "sales.managers",
                                  "journey.follow_up.max_touches", "goal.deadline_month"])
def test_whole_numbers_are_typed_whole(path: str) -> None:
    """Catches the editor's old integer list, which had no `reminders` (a reminder count could
    be typed as 2.5); and the spec's rounding of whole-number fields disagreeing with it."""
    assert editor_kind(path) == "int"
    for name in WHOLE_NUMBER_FIELDS:  # rounded when drawn: so whole in the declaration
        assert any(p.endswith(f".{name}") and FIELDS[p].whole for p in FIELDS), name


def test_shares_and_the_goal_target() -> None:
    """Catches shares shown as plain numbers, and a goal of active clients shown as money."""
    assert editor_kind("journey.invoice.reminder_success") == "share"
    assert "reminder_success" in i18n.SHARE_FIELDS and "entry_share" in i18n.SHARE_FIELDS
    assert editor_kind("goal.target", "monthly_revenue") == "money"
    assert editor_kind("goal.target", "active_clients") == "number"


def test_a_channels_lead_quality_is_one_answer() -> None:
    """Catches the two lists that disagreed: the leak table put a channel's conversion
    multiplier at first contact, the sensitivity groups under leads and acquisition. A
    commission is a cost (it was grouped under conversion), and turns no leak."""
    for path in ("channels.ads.conversion_multiplier", "referrals.conversion_multiplier"):
        assert (fields.lever_of(path), fields.stage_of(path)) == ("conversion", "first_contact")
        assert fields.field_of(path).leaks == ("lost_first_contact",)
    assert fields.lever_of("sales.commission_rate") == NO_LEVER
    assert fields.field_of("sales.commission_rate").leaks == ()


def test_the_leak_tables_bets_are_those_of_each_stage() -> None:
    """Catches a bet attributed to a stage it does not touch (a cost, a new tier) or missed at
    one it does; the expected stages are read off the example's bets by hand."""
    spec = load_scenario("scenarios/b2b_services.yaml")
    assert stage_bets(spec) == {
        "lost_unprocessed": ["two_more_managers", "follow_up_and_crm"],
        "lost_late": ["two_more_managers"],
        "lost_first_contact": [],
        "lost_follow_up": ["follow_up_and_crm"],
        "lost_unpaid": ["invoice_collection"],
        "lost_client": ["onboarding_to_result"],
    }
    sub = stage_bets(load_scenario("scenarios/subscription.yaml"))
    # appends a tier and raises an upsell chance: no leak's parameter
    assert all("enterprise_plan" not in bets for bets in sub.values())
    # its onboarding costs are no leak's, its onboarding chances are the clients'
    assert sub["lost_client"] == ["onboarding_to_result", "win_back_campaign"]


def test_a_path_names_its_field_by_item_or_key() -> None:
    """Catches a concrete path (items by name, months by number) not found as its pattern."""
    assert fields.pattern_of("channels.yandex.budget_monthly") == "channels.*.budget_monthly"
    assert fields.pattern_of("calendar.working_days.3") == "calendar.working_days.*"
    assert fields.field_of("seasonality.channels.fairs.amplitude").lever == "leads"
    assert fields.field_of("schedule.channels.ads.budget_monthly.4").kind == "money"
    assert fields.meta_or_none("sales.no_such_field") is None
