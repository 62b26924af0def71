"""What each scenario parameter means, declared once: its kind, journey stage, lever, and its
label and help in English and Russian.

`FIELDS` holds one `FieldMeta` per parameter, keyed by its path pattern (`*` stands for an item
of a list or a key of a mapping: `channels.*.budget_monthly`). Everything that shows, varies or
groups a parameter derives from it through the functions below: the app's editor (widget,
format, step), the optimiser's money, the sensitivity groups by lever and stage, the leak
table's bets per stage, the help text and the reference page of the scenario file. A new field
of `models.spec.scenario` needs an entry here; `tests/test_fields.py` fails until it has one.

The ranges a value may take are the spec's (`models.spec.params`): a `Probability` is in
[0, 1] whatever its kind says.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

from models.spec.meaning import (
    KINDS,
    LEAK_NAMES,
    LEVERS,
    NO_LEVER,
    STAGE_LEAKS,
    STAGES,
    WHOLE_KINDS,
    FieldMeta,
    Kind,
    Lang,
    Lever,
    Stage,
    _f,
)

# The meaning's vocabulary (models.spec.meaning) is re-exported: one import for a field's meaning.
__all__ = ["FIELDS", "KINDS", "LEAK_NAMES", "LEVERS", "NOT_PARAMETERS", "NO_LEVER", "STAGES",
           "STAGE_LEAKS", "WHOLE_KINDS", "FieldMeta", "Kind", "Lang", "Lever", "Stage",
           "UnknownField", "field_help", "field_label", "field_of", "is_money", "kind_of",
           "leak_patterns", "lever_of", "meta_or_none", "money_paths", "parameter_patterns",
           "pattern_of", "stage_of", "target_kind", "targets", "whole_paths"]

_CUR_EN, _CUR_RU = "in the scenario's currency", "в валюте сценария"
_SBG_HELP = ("Each client's own monthly churn is drawn from Beta(alpha, beta): the mean churn is "
             "alpha / (alpha + beta); smaller alpha and beta, more different clients (fitted "
             "by `growthsim calibrate retention`).",
             "Собственный месячный отток каждого клиента берётся из Beta(альфа, бета): средний "
             "отток равен альфа / (альфа + бета); чем меньше альфа и бета, тем сильнее "
             "различаются клиенты (подбирается `growthsim calibrate retention`).")
_BUYING_HELP = ("A parameter of the client's buying fitted by `growthsim calibrate "
                "transactions` (BG/NBD and Gamma-Gamma models).",
                "Параметр покупательского поведения, подобранный `growthsim calibrate "
                "transactions` (модели BG/NBD и Gamma-Gamma).")
_OTHER: Stage = NO_LEVER
_NONE: Lever = NO_LEVER
_CAPACITY: tuple[Stage, Lever] = ("processing", "conversion")

FIELDS: dict[str, FieldMeta] = {
    # --- the scenario as a whole
    "horizon_months": _f("months", _OTHER, _NONE, ("Horizon, months", "Горизонт, мес."), (
        "How many months ahead the forecast looks.",
        "На сколько месяцев вперёд строится прогноз.")),
    "discount_rate_annual": _f("rate", _OTHER, _NONE, ("Discount rate a year",
                                                       "Ставка дисконтирования в год"), (
        "The yearly rate future money is discounted at in NPV (0.15 = 15% a year).",
        "Годовая ставка, по которой дисконтируются будущие деньги в NPV (0,15 — 15 % в год).")),
    "overhead_monthly": _f("money", _OTHER, _NONE, ("Fixed costs a month",
                                                    "Постоянные расходы в месяц"), (
        f"Rent, accounting and other fixed costs per month, {_CUR_EN}.",
        f"Аренда, бухгалтерия и другие постоянные расходы за месяц, {_CUR_RU}.")),
    "market.potential_buyers": _f("count", "acquisition", "leads", (
        "Buyers in the market", "Покупателей на рынке"), (
        "How many buyers the market holds; leads thin out as it is used up (empty: unlimited).",
        "Сколько всего покупателей на рынке; по мере его исчерпания лидов становится меньше "
        "(пусто — без ограничения).")),
    # --- segments (their words were the owner's tables' `seg_*`)
    "segments.*.share": _f("share", _OTHER, "conversion", ("Share of leads", "Доля лидов"), (
        "The share of incoming leads from this segment, %.",
        "Доля входящих лидов из этого сегмента, %.")),
    "segments.*.conversion_multiplier": _f(
        "multiplier", "first_contact", "conversion", ("Conversion ×", "Конверсия ×"), (
            "Multiplies every conversion of the journey (0.7: 30% fewer sales at each step).",
            "Умножает каждую конверсию пути клиента (0,7 — на 30 % меньше продаж на каждом "
            "шаге).")),
    "segments.*.price_multiplier": _f("multiplier", "repeat_purchase", "average_check", (
        "Price ×", "Цена ×"), ("Multiplies every price (the average check).",
                               "Умножает каждую цену (средний чек).")),
    "segments.*.churn_multiplier": _f("multiplier", "retention", "frequency", (
        "Churn ×", "Отток ×"), (
        "Multiplies the monthly churn (0.5: clients stay twice as long).",
        "Умножает месячный отток (0,5 — клиенты остаются вдвое дольше).")),
    "segments.*.frequency_multiplier": _f("multiplier", "repeat_purchase", "frequency", (
        "Purchases ×", "Покупки ×"), ("Multiplies how often clients buy.",
                                      "Умножает частоту покупок.")),
    # a delay, not a loss: it turns no leak
    "segments.*.committee_delay_days": _f("days", "follow_up", "conversion", (
        "Decision, days", "Решение, дней"), (
        "Mean days a buying committee takes between 'yes' and the invoice (B2B).",
        "Сколько дней в среднем закупочный комитет тянет между «да» и счётом (продажи "
        "компаниям)."), only_leaks=()),
    # --- channels
    "channels.*.budget_monthly": _f("money", "acquisition", "leads", (
        "Budget a month", "Бюджет в месяц"), (
        f"Advertising spend on this channel per month, {_CUR_EN}.",
        f"Расходы на рекламу в этом канале за месяц, {_CUR_RU}.")),
    "channels.*.max_leads": _f("per_month", "acquisition", "leads", (
        "Max paid leads a month", "Макс. платных лидов в месяц"), (
        "Paid leads a month the channel approaches as its budget grows without limit (the "
        "ceiling of the saturation curve).",
        "Сколько платных лидов в месяц даёт канал при неограниченном бюджете (потолок кривой "
        "насыщения).")),
    "channels.*.half_saturation_budget": _f("money", "acquisition", "leads", (
        "Budget buying half of max", "Бюджет на половину максимума"), (
        "Monthly budget that buys half of the maximum paid leads: paid leads = maximum × budget "
        f"/ (budget + this amount). {_CUR_EN.capitalize()}.",
        "Месячный бюджет, который даёт половину максимума платных лидов: платные лиды = "
        f"максимум × бюджет / (бюджет + эта сумма). {_CUR_RU.capitalize()}.")),
    "channels.*.organic_leads": _f("per_month", "acquisition", "leads", (
        "Organic leads a month", "Органических лидов в месяц"), (
        "Leads a month that come without advertising spend.",
        "Лидов в месяц, которые приходят без расходов на рекламу.")),
    "channels.*.conversion_multiplier": _f("multiplier", "first_contact", "conversion", (
        "Lead quality ×", "Качество лидов ×"), (
        "Multiplies every conversion of this channel's leads (0.8: 20% fewer sales).",
        "Умножает каждую конверсию лидов этого канала (0,8 — на 20 % меньше продаж).")),
    "referrals.leads_per_client_month": _f("per_month", "acquisition", "leads", (
        "Referral leads per client a month", "Лидов по рекомендации от клиента в месяц"), (
        "Leads each active client brings by recommending you, per month.",
        "Сколько лидов в месяц приводит каждый активный клиент своими рекомендациями.")),
    "referrals.conversion_multiplier": _f("multiplier", "first_contact", "conversion", (
        "Referral lead quality ×", "Качество лидов по рекомендации ×"), (
        "Multiplies every conversion of referral leads.",
        "Умножает каждую конверсию лидов по рекомендации.")),
    # --- the sales team: its capacity turns both leaks of processing
    "sales.managers": _f("count", *_CAPACITY, ("Managers", "Менеджеров"), (
        "Sales managers handling leads (people).",
        "Менеджеров по продажам, которые обрабатывают лидов (человек).")),
    "sales.hours_per_day": _f("hours", *_CAPACITY, ("Working hours a day",
                                                    "Рабочих часов в день"), (
        "Hours a manager works on a working day.", "Сколько часов менеджер работает в рабочий "
        "день.")),
    "sales.working_days_per_month": _f("days", *_CAPACITY, ("Working days a month",
                                                            "Рабочих дней в месяц"), (
        "Working days in a month (a calendar, when given, says it month by month).",
        "Рабочих дней в месяце (календарь, если задан, уточняет по месяцам).")),
    "sales.handling_minutes": _f("minutes", *_CAPACITY, ("Minutes per contact",
                                                         "Минут на контакт"), (
        "Average minutes of a manager's time per contact with a lead.",
        "Сколько минут в среднем менеджер тратит на один контакт с лидом.")),
    "sales.handling_distribution": _f("choice", *_CAPACITY, ("Contact length varies",
                                                             "Длительность контакта"), (
        "Whether a contact takes a random time around the mean (exponential) or always the "
        "same (fixed).",
        "Занимает ли контакт случайное время около среднего (exponential) или всегда одно и то "
        "же (fixed).")),
    "sales.salary_monthly": _f("money", _OTHER, _NONE, ("Salary a month per manager",
                                                        "Оклад менеджера в месяц"), (
        f"Salary of one manager per month, {_CUR_EN}.",
        f"Оклад одного менеджера в месяц, {_CUR_RU}.")),
    "sales.commission_rate": _f("share", _OTHER, _NONE, ("Commission on first sale",
                                                         "Комиссия с первой продажи"), (
        "Manager's commission, as a percentage of a client's first purchase.",
        "Комиссия менеджера в процентах от первой покупки клиента.")),
    # --- the journey
    "journey.base_response_hours": _f("hours", "processing", "conversion", (
        "Hours before the queue", "Часов до очереди"), (
        "Hours before a lead reaches the sales queue (routing, off-hours).",
        "Сколько часов лид идёт до очереди продаж (распределение, нерабочее время)."),
        only_leaks=("lost_late",)),
    "journey.response_half_life_hours": _f("hours", "processing", "conversion", (
        "Wait (h) that loses half the leads", "Ожидание (ч), теряющее половину лидов"), (
        "Hours of waiting after which half the leads are no longer interested.",
        "Через сколько часов ожидания половина лидов теряет интерес."),
        only_leaks=("lost_late",)),
    "journey.lost_unprocessed": _f("share", "processing", "conversion", (
        "Share lost in the CRM", "Доля потерянных в CRM"), (
        "Percentage of leads never processed (lost in the CRM).",
        "Процент лидов, которых так и не обработали (потеряны в CRM)."),
        only_leaks=("lost_unprocessed",)),
    "journey.first_contact_conversion": _f("share", "first_contact", "conversion", (
        "First-contact conversion", "Конверсия первого контакта"), (
        "Percentage of first contacts that end in a sale.",
        "Процент первых контактов, которые заканчиваются продажей.")),
    "journey.first_contact_drop": _f("share", "first_contact", "conversion", (
        "Lost after first contact", "Отказ после первого контакта"), (
        "Percentage of reached leads who did not buy and are lost after the first contact "
        "(objections).",
        "Процент лидов, которые не купили на первом контакте и отказались (возражения).")),
    "journey.follow_up.max_touches": _f("count", "follow_up", "conversion", (
        "Follow-up touches", "Повторных касаний"), (
        "Follow-up contacts after the first one.", "Сколько повторных контактов после первого.")),
    "journey.follow_up.interval_days": _f("days", "follow_up", "conversion", (
        "Days between touches", "Дней между касаниями"), (
        "Days between follow-up contacts.", "Дней между повторными контактами.")),
    "journey.follow_up.conversion_per_touch": _f("share", "follow_up", "conversion", (
        "Conversion per touch", "Конверсия касания"), (
        "Percentage of follow-up contacts that end in a sale.",
        "Процент повторных контактов, которые заканчиваются продажей.")),
    "journey.invoice.paid_probability": _f("share", "invoice", "conversion", (
        "Invoices paid", "Доля оплаченных счетов"), (
        "Percentage of invoices paid on time.", "Процент счетов, оплаченных вовремя.")),
    "journey.invoice.delay_days": _f("days", "invoice", "conversion", (
        "Days to pay an invoice", "Дней до оплаты счёта"), (
        "Average days from an invoice to its payment.",
        "Сколько дней в среднем проходит от счёта до оплаты.")),
    "journey.invoice.reminders": _f("count", "invoice", "conversion", (
        "Reminders of an unpaid invoice", "Напоминаний о неоплаченном счёте"), (
        "How many reminders an unpaid invoice gets.",
        "Сколько напоминаний получает неоплаченный счёт.")),
    "journey.invoice.reminder_interval_days": _f("days", "invoice", "conversion", (
        "Days between reminders", "Дней между напоминаниями"), (
        "Days between reminders of an unpaid invoice.",
        "Дней между напоминаниями о неоплаченном счёте.")),
    "journey.invoice.reminder_success": _f("share", "invoice", "conversion", (
        "Reminders that get it paid", "Доля напоминаний, после которых платят"), (
        "Percentage of reminders after which the invoice is paid.",
        "Процент напоминаний, после которых счёт оплачивают.")),
    # --- the value pyramid
    "tiers.*.price": _f("money", "repeat_purchase", "average_check", ("Price", "Цена"), (
        f"Price of one purchase of this product, {_CUR_EN}.",
        f"Цена одной покупки этого продукта, {_CUR_RU}.")),
    "tiers.*.cost_of_goods": _f("money", _OTHER, _NONE, ("Cost of goods", "Себестоимость"), (
        f"Cost of goods per purchase, {_CUR_EN}.", f"Себестоимость одной покупки, {_CUR_RU}.")),
    "tiers.*.purchase_interval_months": _f("months", "repeat_purchase", "frequency", (
        "Months between purchases", "Месяцев между покупками"), (
        "Average months between purchases of an active client.",
        "Сколько месяцев в среднем между покупками активного клиента.")),
    "tiers.*.regular": _f("switch", _OTHER, _NONE, ("Subscription (buys every interval)",
                                                    "Подписка (покупка каждый интервал)"), (
        "On: a client buys every interval, like a subscription; off: at random with that mean "
        "interval.",
        "Включено: клиент покупает каждый интервал, как по подписке; выключено: в случайные "
        "моменты с этим средним интервалом.")),
    "tiers.*.entry_share": _f("share", "repeat_purchase", "average_check", (
        "Share of new clients starting here", "Доля новых клиентов, начинающих здесь"), (
        "Percentage of new clients whose first deal is this product.",
        "Процент новых клиентов, чья первая сделка — этот продукт.")),
    "tiers.*.upsell_probability": _f("share", "development", "average_check", (
        "Upsell chance", "Вероятность апсейла"), (
        "Percentage of repeat purchases that move up to the next product.",
        "Процент повторных покупок, при которых клиент переходит на следующий продукт.")),
    "tiers.*.upsell_offer_cost": _f("money", "development", _NONE, (
        "Cost of an upsell offer", "Стоимость предложения апсейла"), (
        f"What developing one upsell offer costs, {_CUR_EN}.",
        f"Сколько стоит подготовить одно предложение апсейла, {_CUR_RU}.")),
    "tiers.*.onboarding_probability": _f("share", "onboarding", "frequency", (
        "Brought to a result", "Доведены до результата"), (
        "Percentage of new clients brought to the result they bought for.",
        "Процент новых клиентов, которых доводят до результата, ради которого они купили.")),
    "tiers.*.onboarding_cost": _f("money", "onboarding", _NONE, (
        "Onboarding cost per client", "Стоимость онбординга клиента"), (
        f"What bringing one new client to a result costs, {_CUR_EN}.",
        f"Сколько стоит довести одного нового клиента до результата, {_CUR_RU}.")),
    "tiers.*.monthly_churn": _f("share", "retention", "frequency", (
        "Monthly churn", "Отток в месяц"), (
        "Percentage of clients brought to a result who leave each month.",
        "Процент клиентов, получивших результат, которые уходят каждый месяц.")),
    "tiers.*.monthly_churn.sbg.alpha": _f("shape", "retention", "frequency", (
        "Churn spread: alpha", "Разброс оттока: альфа"), _SBG_HELP),
    "tiers.*.monthly_churn.sbg.beta": _f("shape", "retention", "frequency", (
        "Churn spread: beta", "Разброс оттока: бета"), _SBG_HELP),
    "tiers.*.monthly_churn.scale": _f("multiplier", "retention", "frequency", (
        "Churn ×", "Отток ×"), (
        "Multiplies each client's own churn (what a bet scaling the churn changes).",
        "Умножает собственный отток каждого клиента (это меняет ставка, меняющая отток).")),
    "tiers.*.monthly_churn_no_result": _f("share", "retention", "frequency", (
        "Monthly churn without result", "Отток в месяц без результата"), (
        "Percentage of clients not brought to a result who leave each month.",
        "Процент клиентов, не получивших результат, которые уходят каждый месяц.")),
    "tiers.*.buying.period_days": _f("days", "repeat_purchase", "frequency", (
        "Buying: days in a period", "Покупки: дней в периоде"), _BUYING_HELP),
    "tiers.*.buying.r": _f("shape", "repeat_purchase", "frequency", (
        "Buying: rate shape r", "Покупки: форма частоты r"), _BUYING_HELP),
    "tiers.*.buying.alpha": _f("shape", "repeat_purchase", "frequency", (
        "Buying: rate alpha", "Покупки: масштаб частоты альфа"), _BUYING_HELP),
    "tiers.*.buying.a": _f("shape", "retention", "frequency", (
        "Buying: dropout a", "Покупки: уход a"), _BUYING_HELP),
    "tiers.*.buying.b": _f("shape", "retention", "frequency", (
        "Buying: dropout b", "Покупки: уход b"), _BUYING_HELP),
    "tiers.*.buying.spend_p": _f("shape", "repeat_purchase", "average_check", (
        "Spend: p", "Чек: p"), _BUYING_HELP),
    "tiers.*.buying.spend_q": _f("shape", "repeat_purchase", "average_check", (
        "Spend: q", "Чек: q"), _BUYING_HELP),
    "tiers.*.buying.spend_gamma": _f("shape", "repeat_purchase", "average_check", (
        "Spend: gamma", "Чек: гамма"), _BUYING_HELP),
    # --- keeping and winning back clients
    "retention.enabled": _f("switch", "retention", "frequency", (
        "Retention programme on", "Программа удержания включена"), (
        "Whether the programme runs.", "Работает ли программа.")),
    "retention.cost_per_client_month": _f("money", "retention", _NONE, (
        "Cost per client a month", "Стоимость на клиента в месяц"), (
        f"Programme cost per active client a month, {_CUR_EN}.",
        f"Стоимость программы на одного активного клиента в месяц, {_CUR_RU}.")),
    "retention.churn_reduction": _f("share", "retention", "frequency", (
        "Churn the programme prevents", "Доля оттока, которую снимает программа"), (
        "Percentage of churn the retention programme prevents.",
        "Какой процент оттока предотвращает программа удержания.")),
    "win_back.enabled": _f("switch", "return", "frequency", (
        "Win-back campaign on", "Кампания возврата включена"), (
        "Whether the programme runs.", "Работает ли программа.")),
    "win_back.probability": _f("share", "return", "frequency", (
        "Chance to win back", "Вероятность вернуть"), (
        "Percentage of clients who left that a win-back campaign brings back.",
        "Процент ушедших клиентов, которых возвращает кампания.")),
    "win_back.delay_days": _f("days", "return", "frequency", (
        "Days until a client returns", "Дней до возвращения клиента"), (
        "Average days from a client leaving to coming back.",
        "Сколько дней в среднем проходит от ухода клиента до возвращения.")),
    "win_back.cost_per_attempt": _f("money", "return", _NONE, (
        "Cost per attempt", "Стоимость попытки"), (
        f"Campaign cost per client who left, {_CUR_EN}.",
        f"Стоимость кампании на одного ушедшего клиента, {_CUR_RU}.")),
    "uncertainty.sampling": _f("choice", _OTHER, _NONE, ("Sampling", "Выборка"), (
        "How uncertain values are drawn: Latin hypercube (lhs) or plain Monte Carlo (mc).",
        "Как берутся неопределённые значения: латинский гиперкуб (lhs) или простой "
        "Монте-Карло (mc).")),
    # --- the goal
    "goal.metric": _f("choice", _OTHER, _NONE, ("Goal metric", "Метрика цели"), (
        "What the goal measures.", "Что измеряет цель.")),
    # money, or a number of clients when the goal counts active clients (`target_kind`)
    "goal.target": _f("money", _OTHER, _NONE, ("Target", "Целевое значение"), (
        "The value the goal metric should reach (money in the scenario's currency, or a "
        "number of clients).",
        "Значение, которого должна достичь метрика цели (деньги в валюте сценария или число "
        "клиентов).")),
    "goal.deadline_month": _f("month", _OTHER, _NONE, ("Deadline month", "Срок (месяц)"), (
        "The month (counted from 1) by whose end the goal is due.",
        "Месяц (считая с 1-го), к концу которого цель должна быть достигнута.")),
    # --- the starting state
    "initial_state.clients.*.count": _f("count", _OTHER, _NONE, (
        "Clients at the start", "Клиентов на старте"), (
        "Clients of this product you have at the start.",
        "Сколько клиентов этого продукта у вас на старте.")),
    "initial_state.clients.*.tenure_months": _f("months", _OTHER, _NONE, (
        "Months as clients", "Месяцев в клиентах"), (
        "How long they have been clients.", "Как давно они клиенты.")),
    "initial_state.clients.*.onboarded_share": _f("share", _OTHER, _NONE, (
        "Share brought to a result", "Доля доведённых до результата"), (
        "Percentage of them already brought to a result.",
        "Процент из них, уже доведённых до результата.")),
    "initial_state.open_leads.*.count": _f("count", _OTHER, _NONE, (
        "Open leads at the start", "Открытых лидов на старте"), (
        "Leads of this channel still being worked at the start.",
        "Сколько лидов этого канала ещё в работе на старте.")),
    "initial_state.open_leads.*.touches_done": _f("count", _OTHER, _NONE, (
        "Touches already made", "Касаний уже сделано"), (
        "Contacts already made with them (0: not yet contacted).",
        "Сколько контактов с ними уже было (0 — ещё не связывались).")),
    "initial_state.unpaid_invoices.*.count": _f("count", _OTHER, _NONE, (
        "Unpaid invoices at the start", "Неоплаченных счетов на старте"), (
        "Invoices of this product issued and not yet paid at the start.",
        "Сколько счетов за этот продукт выставлено и не оплачено на старте.")),
    # --- bets
    "bets.*.start_month": _f("month", _OTHER, _NONE, ("Start month", "Месяц начала"), (
        "The month (counted from 1) the bet starts.", "Месяц (считая с 1-го), когда ставка "
        "начинается.")),
    "bets.*.end_month": _f("month", _OTHER, _NONE, ("Last month", "Последний месяц"), (
        "The last month of a temporary bet (empty: to the horizon).",
        "Последний месяц временной ставки (пусто — до горизонта).")),
    "bets.*.ramp_months": _f("months", _OTHER, _NONE, ("Months to phase in",
                                                      "Месяцев на выход на полную силу"), (
        "Months over which the bet phases in (0: at once).",
        "За сколько месяцев ставка выходит на полную силу (0 — сразу).")),
    "bets.*.one_off_cost": _f("money", _OTHER, _NONE, ("One-off cost", "Разовые затраты"), (
        f"Paid once, in the start month, {_CUR_EN}.",
        f"Платятся один раз, в месяце начала, {_CUR_RU}.")),
    "bets.*.monthly_cost": _f("money", _OTHER, _NONE, ("Cost a month", "Затраты в месяц"), (
        f"Paid every month the bet runs, {_CUR_EN}.",
        f"Платятся каждый месяц, пока действует ставка, {_CUR_RU}.")),
    # --- the calendar, seasons and trend
    "calendar.working_days.*": _f("days", *_CAPACITY, (
        "Working days of the month", "Рабочих дней в месяце"), (
        "Working days of a given month of the horizon, overriding the country's calendar.",
        "Рабочие дни данного месяца горизонта вместо календаря страны.")),
    "trend.leads_yearly": _f("growth", "acquisition", "leads", (
        "Yearly growth of leads", "Рост лидов за год"), (
        "How much every channel's leads grow a year (0.1: +10% a year).",
        "На сколько за год растут лиды каждого канала (0,1 — +10 % в год).")),
}

# A seasonal profile acts through what it multiplies (models.spec.scenario.Seasonality).
_PROFILES: dict[str, tuple[Stage, Lever, str, str]] = {
    "leads": ("acquisition", "leads", "leads", "лиды"),
    "channels.*": ("acquisition", "leads", "a channel's leads", "лиды канала"),
    "referrals": ("acquisition", "leads", "referral leads", "лиды по рекомендации"),
    "conversion": ("first_contact", "conversion", "first-contact conversion",
                   "конверсия первого контакта"),
    "purchases": ("repeat_purchase", "frequency", "purchases", "покупки"),
    "churn": ("retention", "frequency", "churn", "отток"),
}
for _name, (_stage, _lever, _en, _ru) in _PROFILES.items():
    FIELDS[f"seasonality.{_name}.months"] = _f("multiplier", _stage, _lever, (
        f"Seasons: {_en}", f"Сезонность: {_ru}"), (
        "A multiplier for each calendar month (mean 1).",
        "Множитель для каждого календарного месяца (в среднем 1)."))
    FIELDS[f"seasonality.{_name}.amplitude"] = _f("multiplier", _stage, _lever, (
        f"Strength of the seasons: {_en}", f"Сила сезонности: {_ru}"), (
        "How strongly the seasons act: 1 as written, 0 no seasons.",
        "Насколько сильно действует сезонность: 1 — как записано, 0 — без сезонности."))

# Leaves that are no parameter of their own: a bet's change takes the meaning of the path it
# changes; a correlation relates two parameters; a customer history is data `calibrate` wrote;
# the schedule's values are those of the paths it schedules (`field_of` follows them).
NOT_PARAMETERS = ("bets.*.changes.", "uncertainty.correlations.", "initial_state.customer_base.",
                  "schedule")


class UnknownField(KeyError):
    """A path that names no declared parameter."""


def _annotation_kind(annotation: Any) -> tuple[str, Any]:
    """('model', cls), ('list', item model), ('mapping', value annotation) or ('leaf', None)."""
    from models.spec.paths import _unwrap

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(inner) == 1:
            return _annotation_kind(inner[0])
    if origin is dict:
        _, value = typing.get_args(annotation)
        return ("mapping", value)
    return _unwrap(annotation)


def _is_text(annotation: Any) -> bool:
    """A name, title, description, code or date: words, not a parameter."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if typing.get_origin(annotation) is Literal:
        return False
    return all(a is str or (isinstance(a, type) and a.__name__ in ("LocalText", "date"))
               or a is Any for a in args)


def parameter_patterns(model: type[BaseModel] | None = None, prefix: str = ""
                       ) -> Iterator[str]:
    """Every parameter's path pattern in the spec (`*` for an item or a key), in its order."""
    if model is None:
        from models.spec.scenario import Scenario

        model = Scenario
    for name, field in model.model_fields.items():
        path = prefix + (field.alias or name)
        if any(path.startswith(p) or path + "." == p for p in NOT_PARAMETERS):
            continue
        kind, inner = _annotation_kind(field.annotation)
        if kind == "model":
            if path in FIELDS:  # a leaf in one form, a group in another (a tier's churn)
                yield path
            yield from parameter_patterns(inner, path + ".")
        elif kind == "list":
            yield from parameter_patterns(inner, path + ".*.")
        elif kind == "mapping":
            sub, cls = _annotation_kind(inner)
            if sub == "model":
                yield from parameter_patterns(cls, path + ".*.")
            else:
                yield path + ".*"
        elif not _is_text(field.annotation):
            yield path


def pattern_of(path: str) -> str:
    """The pattern a concrete path is an instance of: `channels.yandex.budget_monthly` ->
    `channels.*.budget_monthly` (items and keys by name or index). Unknown parts stay."""
    from models.spec.scenario import Scenario

    parts = path.split(".")
    out: list[str] = []
    cls: type[BaseModel] | None = Scenario
    i = 0
    while i < len(parts):
        part = parts[i]
        fields = {f.alias or n: f for n, f in cls.model_fields.items()} if cls else {}
        field = fields.get(part)
        out.append(part)
        i += 1
        if field is None:
            cls = None
            continue
        kind, inner = _annotation_kind(field.annotation)
        cls = inner if kind == "model" else None
        if kind in ("list", "mapping") and i < len(parts):
            out.append("*")
            i += 1
            sub, sub_cls = _annotation_kind(inner) if kind == "mapping" else ("model", inner)
            cls = sub_cls if sub == "model" else None
    return ".".join(out)


@cache
def field_of(path: str) -> FieldMeta:
    """What the parameter at `path` (concrete or a pattern) is; a scheduled value
    (`schedule.<path>.<month>`) is what its path is. Raises `UnknownField`."""
    if path.startswith("schedule."):
        return field_of(path.removeprefix("schedule.").rsplit(".", 1)[0])
    meta = FIELDS.get(path) or FIELDS.get(pattern_of(path))
    if meta is None:
        raise UnknownField(path)
    return meta


def meta_or_none(path: str) -> FieldMeta | None:
    """`field_of(path)`, or None for a path that names no declared parameter."""
    try:
        return field_of(path)
    except UnknownField:
        return None


def lever_of(path: str) -> str:
    """Which of the four levers of revenue a parameter acts through (`NO_LEVER`: none)."""
    meta = meta_or_none(path)
    return meta.lever if meta is not None else NO_LEVER


def stage_of(path: str) -> str:
    """Which stage of the customer journey a parameter belongs to (`NO_LEVER`: none)."""
    meta = meta_or_none(path)
    return meta.stage if meta is not None else NO_LEVER


def kind_of(path: str) -> str | None:
    """The parameter's kind (`Kind`), or None for a path that names no parameter."""
    meta = meta_or_none(path)
    return meta.kind if meta is not None else None


def is_money(path: str) -> bool:
    """Is the parameter at `path` an amount of money?"""
    return kind_of(path) == "money"


def money_paths() -> tuple[str, ...]:
    """The path patterns of every money parameter."""
    return tuple(p for p, m in FIELDS.items() if m.kind == "money")


def whole_paths() -> tuple[str, ...]:
    """The path patterns of every whole-number parameter."""
    return tuple(p for p, m in FIELDS.items() if m.whole)


def target_kind(metric: str | None) -> str:
    """The kind of the goal's target: a number of clients for `active_clients`, else money."""
    return "count" if metric == "active_clients" else FIELDS["goal.target"].kind


def field_label(path: str, lang: Lang) -> str | None:
    """The parameter's label in `lang`, or None for a path that names no parameter."""
    meta = meta_or_none(path)
    return meta.label(lang) if meta is not None else None


def field_help(path: str, lang: Lang) -> str | None:
    """What the parameter means, with its unit, in `lang` (None: no parameter, or no help)."""
    meta = meta_or_none(path)
    return (meta.help(lang) or None) if meta is not None else None


def leak_patterns() -> dict[str, tuple[str, ...]]:
    """Each leak and the path patterns of the parameters it turns on (`FieldMeta.leaks`)."""
    out: dict[str, tuple[str, ...]] = {leak: () for leak in LEAK_NAMES}
    for path, meta in FIELDS.items():
        for leak in meta.leaks:
            out[leak] = (*out[leak], path)
    return out


def targets(change_path: str, pattern: str) -> bool:
    """Does a bet's change at `change_path` change the parameter of `pattern`: the parameter
    itself, a group holding it (`retention`, `journey.follow_up`) or a part of it
    (`tiers.*.monthly_churn.scale`)? `*` in either stands for any one item."""
    change, param = change_path.split("."), pattern.split(".")
    return all(c == p or "*" in (c, p) for c, p in zip(change, param, strict=False))
