"""Where money leaks, in the owner's words: the table the CLI prints and the app shows.

The numbers are `sim.report.owner.leaks` (per stage: lost, what they are worth, its share of the
potential revenue, the advertising spent on them, the bets that target the stage); this module
only words and formats them, in English or Russian, the same way for the terminal and the app.
"""

from __future__ import annotations

import math

import pandas as pd

from models.spec.scenario import text_in
from sim.experiments.compare import Comparison
from sim.experiments.montecarlo import MonteCarloResult
from sim.report import owner
from sim.report.i18n import Lang, metric_label, money, number, percent

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Where money leaks (over the horizon)", "Где теряются деньги (за весь горизонт)"),
    "stage": ("Stage", "Этап"),
    "lost": ("Lost", "Потеряно"),
    "worth": ("Revenue had they not been lost there", "Выручка, если бы их не потеряли там"),
    "share": ("Share of potential", "Доля потенциала"),
    "ad_spend": ("Advertising spent on them", "Реклама, потраченная на них"),
    "bets": ("Options that target it", "Варианты вложений против этой потери"),
    "none": ("—", "—"),
    "worth_help": (
        "A lead: its chance to have paid, had it passed this stage, × what a client brings "
        "before the horizon. A client who left: what they would have bought had they stayed.",
        "Лид: шанс, что он заплатил бы, пройди он этот этап, × то, что клиент приносит до конца "
        "горизонта. Ушедший клиент: то, что он купил бы, если бы остался."),
    "ad_help": ("Each lost lead's channel budget ÷ its leads, in the month the lead came.",
                "Для каждого потерянного лида: бюджет его канала ÷ число лидов канала в месяц, "
                "когда лид пришёл."),
    "options_heading": ("Investment options against each leak",
                        "Варианты вложений против каждой потери"),
    "caption": (
        "A lost lead is worth the revenue it would have brought had it not been lost at that "
        "stage: its chance to have gone on to pay through the stages after it, at the scenario's "
        "own rates, times what a client brings before the horizon; a client who left, what they "
        "would have bought had they stayed. The sum over stages is what plugging each leak alone "
        "would bring, not a promise that every lead could be won. Potential revenue = revenue "
        "earned + that sum. Advertising: the money spent on the lost leads (their channel's "
        "cost per lead). Means over the runs. A lead lost after the follow-ups is valued at one "
        "more round of the cadence the sources name (at most 5 more contacts). How much of each "
        "leak the scenario's options recover: on the Compare options page.",
        "Потерянный лид стоит той выручки, которую он принёс бы, если бы его не потеряли на этом "
        "этапе: шанс, что он затем прошёл бы остальные этапы и заплатил (по ставкам конверсии "
        "самого сценария), умноженный на то, что клиент приносит до конца горизонта; ушедший "
        "клиент — то, что он купил бы, если бы остался. Сумма по этапам — это то, что принесло "
        "бы устранение каждой потери по отдельности, а не обещание выиграть каждого лида. "
        "Потенциальная выручка = полученная выручка + эта сумма. Реклама — деньги, потраченные "
        "на потерянных лидов (стоимость лида их канала). Средние по прогонам. Лид, потерянный "
        "после повторных контактов, оценивается как при ещё одном круге контактов, который "
        "называют источники (не больше 5). Сколько каждой потери возвращают варианты вложений "
        "сценария — на странице «Сравнение вариантов вложений»."),
    "recovery_title": ("What the options recover of the leaks they target",
                       "Сколько из целевых потерь возвращают варианты вложений"),
    "recovery_option": ("Option", "Вариант"),
    "recovery_stages": ("Leaks it targets", "Потери, против которых он"),
    "recovery_worth": ("Their worth", "Их стоимость"),
    "recovery_gain": ("Extra revenue of the option", "Доп. выручка варианта"),
    "recovery_share": ("Recovered", "Возвращает"),
    "recovery_caption": (
        "Recovered = the option's extra revenue over the horizon (paired with the plan, mean) "
        "÷ what the losses at the stages it targets are worth in the plan. A lead lost after "
        "the follow-ups is valued as if followed up one more round of the cadence the sources "
        "name (at most 5 more contacts), not to the 15th. An option can earn beyond the leaks "
        "it plugs (the clients it wins refer others), so this share is a check, not a promise.",
        "Возвращает = дополнительная выручка варианта за горизонт (в паре с планом, среднее) ÷ "
        "стоимость потерь на этапах, против которых он направлен, в плане. Лид, потерянный "
        "после повторных контактов, оценивается так, как если бы с ним связались ещё один круг "
        "— столько, сколько называют источники (не больше 5 контактов), а не до 15-го. Вариант "
        "может принести больше, чем закрытые им потери (привлечённые клиенты приводят других), "
        "поэтому эта доля — проверка, а не обещание."),
}


def recovery_rows(cmp: Comparison, lang: Lang, compact: bool = True) -> pd.DataFrame:
    """`sim.report.owner.leak_recovery` in `lang`: option, the leaks it targets, their worth,
    its extra revenue (mean), the share recovered."""
    cur = cmp.spec.currency
    table = owner.leak_recovery(cmp)

    def cash(x: float | None) -> str:
        return money(None if x is None or math.isnan(x) else x, cur, lang, compact=compact)

    titles = {b.name: text_in(b.title, lang, b.name) for b in cmp.spec.bets}
    return pd.DataFrame({
        w("recovery_option", lang): [titles.get(str(b), str(b)) for b in table["bet"]],
        w("recovery_stages", lang): [", ".join(metric_label(s, lang) for s in stages)
                                     for stages in table["stages"]],
        w("recovery_worth", lang): [cash(float(x)) for x in table["worth"]],
        w("recovery_gain", lang): [cash(None if x is None else float(x))
                                   for x in table["gain"]],
        w("recovery_share", lang): [percent(float(x), lang) for x in table["recovered"]],
    })


def words() -> dict[str, tuple[str, str]]:
    """Every text of this module: key -> (English, Russian), for the completeness test."""
    return dict(_TEXT)


def w(key: str, lang: Lang, **values: object) -> str:
    en, ru = _TEXT[key]
    return (ru if lang == "ru" else en).format(**values)


def bet_titles(result: MonteCarloResult, names: tuple[str, ...], lang: Lang) -> list[str]:
    """The bets' names for people, in `lang` (their `title`, else their name)."""
    titles = {b.name: text_in(b.title, lang, b.name) for b in result.spec.bets}
    return [titles.get(n, n) for n in names]


def column_help(lang: Lang) -> dict[str, str]:
    """Help for the leak table's columns whose meaning is not in their heading."""
    return {w("worth", lang): w("worth_help", lang), w("ad_spend", lang): w("ad_help", lang)}


def leak_rows(result: MonteCarloResult, lang: Lang, compact: bool = False) -> pd.DataFrame:
    """The leak table as text, one row per stage, columns headed in `lang`: stage, lost, worth,
    share of potential, advertising spent on the lost leads, the options that target it.
    `compact` writes money as '6,4 млн ₽' (the terminal's 80 columns)."""
    cur = result.spec.currency
    table = owner.leaks(result)

    def cash(x: float) -> str:
        return w("none", lang) if math.isnan(x) else money(x, cur, lang, compact=compact)

    return pd.DataFrame({
        w("stage", lang): [metric_label(str(s), lang) for s in table["stage"]],
        w("lost", lang): [number(float(x), lang) for x in table["count"]],
        w("worth", lang): [cash(float(x)) for x in table["revenue"]],
        w("share", lang): [percent(float(x), lang, 1) for x in table["share"]],
        w("ad_spend", lang): [cash(float(x)) for x in table["ad_spend"]],
        w("bets", lang): [", ".join(bet_titles(result, b, lang)) or w("none", lang)
                          for b in table["bets"]],
    })
