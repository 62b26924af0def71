"""The words of a metric and of a parameter the app edits: names, tooltips and help.

Every text is in the catalogue (`models.words`, `en.toml` / `ru.toml`); numbers and money are
written by `models.words.formats`. What is left here is what a metric's or a parameter's name
means to an owner: the metric's name and tooltip by the library's metric name, a scenario's
month in the calendar, and the help of each field the scenario editor shows.
"""

from __future__ import annotations

from models.words import LANGS, LANGUAGE_NAMES, Lang, has, t
from models.words.formats import month_name

__all__ = ["LANGS", "LANGUAGE_NAMES", "SHARE_FIELDS", "Lang", "calendar_month", "field_help",
           "field_keys", "metric_label", "tooltip"]

# Parameters that are shares (by the last part of their path): shown and typed as percentages.
SHARE_FIELDS = frozenset({
    "commission_rate", "lost_unprocessed", "first_contact_conversion", "first_contact_drop",
    "conversion_per_touch", "paid_probability", "upsell_probability", "monthly_churn",
    "monthly_churn_no_result", "churn_reduction", "probability", "share"})


def calendar_month(start: object, month: int, lang: Lang) -> str | None:
    """Month `month` (1-based) of a scenario whose `start` is given, as the owner's calendar
    says it ("Jan 2027" / "янв. 2027"); None without a start (months are then only numbers)."""
    from models.compiled.calendar import month_of, parse_start

    first = parse_start(start)
    if first is None or month < 1:
        return None
    return month_name(*month_of(first, month - 1), lang)


def metric_label(name: str, lang: Lang) -> str:
    """The owner's name of a library metric (`metric.<name>` in the catalogue); a metric with
    no name there reads as its own name, underscores as spaces."""
    key = f"metric.{name}"
    return t(key, lang) if has(key) else name.replace("_", " ")


def tooltip(name: str, lang: Lang) -> str | None:
    """The methodology's explanation of a metric (`tooltip.<name>`), or None if it needs none."""
    key = f"tooltip.{name}"
    return t(key, lang) if has(key) else None


# What each parameter the app edits means, with its unit (the spec's field descriptions,
# models.spec.scenario, said for an owner), keyed by the last part of its path.
_FIELD_HELP: dict[str, tuple[str, str]] = {
    "horizon_months": ("How many months ahead the forecast looks.",
                       "На сколько месяцев вперёд строится прогноз."),
    "target": ("The value the goal metric should reach (money in the scenario's currency, or a "
               "number of clients).",
               "Значение, которого должна достичь метрика цели (деньги в валюте сценария или "
               "число клиентов)."),
    "deadline_month": ("The month (counted from 1) by whose end the goal is due.",
                       "Месяц (считая с 1-го), к концу которого цель должна быть достигнута."),
    "goal_metric": ("What the goal measures.", "Что измеряет цель."),
    "budget_monthly": ("Advertising spend on this channel per month, in the scenario's currency.",
                       "Расходы на рекламу в этом канале за месяц, в валюте сценария."),
    "max_leads": ("Paid leads a month the channel approaches as its budget grows without limit "
                  "(the ceiling of the saturation curve).",
                  "Сколько платных лидов в месяц даёт канал при неограниченном бюджете (потолок "
                  "кривой насыщения)."),
    "half_saturation_budget": (
        "Monthly budget that buys half of the maximum paid leads: paid leads = maximum × budget "
        "/ (budget + this amount). In the scenario's currency.",
        "Месячный бюджет, который даёт половину максимума платных лидов: платные лиды = максимум "
        "× бюджет / (бюджет + эта сумма). В валюте сценария."),
    "organic_leads": ("Leads a month that come without advertising spend.",
                      "Лидов в месяц, которые приходят без расходов на рекламу."),
    "managers": ("Sales managers handling leads (people).",
                 "Менеджеров по продажам, которые обрабатывают лидов (человек)."),
    "salary_monthly": ("Salary of one manager per month, in the scenario's currency.",
                       "Оклад одного менеджера в месяц, в валюте сценария."),
    "handling_minutes": ("Average minutes of a manager's time per contact with a lead.",
                         "Сколько минут в среднем менеджер тратит на один контакт с лидом."),
    "commission_rate": ("Manager's commission, as a percentage of a client's first purchase.",
                        "Комиссия менеджера в процентах от первой покупки клиента."),
    "lost_unprocessed": ("Percentage of leads never processed (lost in the CRM).",
                         "Процент лидов, которых так и не обработали (потеряны в CRM)."),
    "response_half_life_hours": (
        "Hours of waiting after which half the leads are no longer interested.",
        "Через сколько часов ожидания половина лидов теряет интерес."),
    "first_contact_conversion": ("Percentage of first contacts that end in a sale.",
                                 "Процент первых контактов, которые заканчиваются продажей."),
    "first_contact_drop": ("Percentage of reached leads who did not buy and are lost after the "
                           "first contact (objections).",
                           "Процент лидов, которые не купили на первом контакте и отказались "
                           "(возражения)."),
    "max_touches": ("Follow-up contacts after the first one.",
                    "Сколько повторных контактов после первого."),
    "interval_days": ("Days between follow-up contacts.", "Дней между повторными контактами."),
    "conversion_per_touch": ("Percentage of follow-up contacts that end in a sale.",
                             "Процент повторных контактов, которые заканчиваются продажей."),
    "paid_probability": ("Percentage of invoices paid on time.",
                         "Процент счетов, оплаченных вовремя."),
    "price": ("Price of one purchase of this product, in the scenario's currency.",
              "Цена одной покупки этого продукта, в валюте сценария."),
    "cost_of_goods": ("Cost of goods per purchase, in the scenario's currency.",
                      "Себестоимость одной покупки, в валюте сценария."),
    "purchase_interval_months": ("Average months between purchases of an active client.",
                                 "Сколько месяцев в среднем между покупками активного клиента."),
    "upsell_probability": ("Percentage of repeat purchases that move up to the next product.",
                           "Процент повторных покупок, при которых клиент переходит на "
                           "следующий продукт."),
    "monthly_churn": ("Percentage of clients brought to a result who leave each month.",
                      "Процент клиентов, получивших результат, которые уходят каждый месяц."),
    "monthly_churn_no_result": ("Percentage of clients not brought to a result who leave each "
                                "month.",
                                "Процент клиентов, не получивших результат, которые уходят "
                                "каждый месяц."),
    "sbg_alpha": ("Each client's own monthly churn is drawn from Beta(alpha, beta): the mean "
                  "churn is alpha / (alpha + beta); smaller alpha and beta, more different "
                  "clients (fitted by `growthsim calibrate retention`).",
                  "Собственный месячный отток каждого клиента берётся из Beta(альфа, бета): "
                  "средний отток равен альфа / (альфа + бета); чем меньше альфа и бета, тем "
                  "сильнее различаются клиенты (подбирается `growthsim calibrate retention`)."),
    "sbg_beta": ("Each client's own monthly churn is drawn from Beta(alpha, beta): the mean "
                 "churn is alpha / (alpha + beta); smaller alpha and beta, more different "
                 "clients (fitted by `growthsim calibrate retention`).",
                 "Собственный месячный отток каждого клиента берётся из Beta(альфа, бета): "
                 "средний отток равен альфа / (альфа + бета); чем меньше альфа и бета, тем "
                 "сильнее различаются клиенты (подбирается `growthsim calibrate retention`)."),
    "enabled": ("Whether the programme runs.", "Работает ли программа."),
    "churn_reduction": ("Percentage of churn the retention programme prevents.",
                        "Какой процент оттока предотвращает программа удержания."),
    "cost_per_client_month": ("Programme cost per active client a month, in the scenario's "
                              "currency.",
                              "Стоимость программы на одного активного клиента в месяц, в "
                              "валюте сценария."),
    "probability": ("Percentage of clients who left that a win-back campaign brings back.",
                    "Процент ушедших клиентов, которых возвращает кампания."),
    "cost_per_attempt": ("Campaign cost per client who left, in the scenario's currency.",
                         "Стоимость кампании на одного ушедшего клиента, в валюте сценария."),
}


def field_help(name: str, lang: Lang) -> str | None:
    """What the parameter `name` (the last part of its path) means, with its unit."""
    pair = _FIELD_HELP.get(name)
    if pair is None:
        return None
    return pair[1] if lang == "ru" else pair[0]


def field_keys() -> list[str]:
    return list(_FIELD_HELP)
