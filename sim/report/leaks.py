"""Where money leaks, in the owner's words: the table the CLI prints and the app shows.

The numbers are `sim.report.owner.leaks` (per stage: lost, what they are worth, its share of the
potential revenue, the advertising spent on them, the bets that target the stage); this module
only words and formats them, in English or Russian, the same way for the terminal and the app.
"""

from __future__ import annotations

import math

import pandas as pd

from models.spec.scenario import text_in
from models.words import Lang, t
from models.words.formats import money, number, percent
from sim.experiments.compare import Comparison
from sim.experiments.montecarlo import MonteCarloResult
from sim.report import owner
from sim.report.i18n import metric_label


def recovery_rows(cmp: Comparison, lang: Lang, compact: bool = True) -> pd.DataFrame:
    """`sim.report.owner.leak_recovery` in `lang`: option, the leaks it targets, their worth,
    its extra revenue (mean), the share recovered."""
    cur = cmp.spec.currency
    table = owner.leak_recovery(cmp)

    def cash(x: float | None) -> str:
        return money(None if x is None or math.isnan(x) else x, cur, lang, compact=compact)

    titles = {b.name: text_in(b.title, lang, b.name) for b in cmp.spec.bets}
    return pd.DataFrame({
        t("leaks.recovery_option", lang): [titles.get(str(b), str(b)) for b in table["bet"]],
        t("leaks.recovery_stages", lang): [", ".join(metric_label(s, lang) for s in stages)
                                     for stages in table["stages"]],
        t("leaks.recovery_worth", lang): [cash(float(x)) for x in table["worth"]],
        t("leaks.recovery_gain", lang): [cash(None if x is None else float(x))
                                   for x in table["gain"]],
        t("leaks.recovery_share", lang): [percent(float(x), lang) for x in table["recovered"]],
    })


def bet_titles(result: MonteCarloResult, names: tuple[str, ...], lang: Lang) -> list[str]:
    """The bets' names for people, in `lang` (their `title`, else their name)."""
    titles = {b.name: text_in(b.title, lang, b.name) for b in result.spec.bets}
    return [titles.get(n, n) for n in names]


def column_help(lang: Lang) -> dict[str, str]:
    """Help for the leak table's columns whose meaning is not in their heading."""
    return {t("leaks.worth", lang): t("leaks.worth_help", lang), t("leaks.ad_spend",
                                                                   lang): t("leaks.ad_help", lang)}


def leak_rows(result: MonteCarloResult, lang: Lang, compact: bool = False) -> pd.DataFrame:
    """The leak table as text, one row per stage, columns headed in `lang`: stage, lost, worth,
    share of potential, advertising spent on the lost leads, the options that target it.
    `compact` writes money as '6,4 млн ₽' (the terminal's 80 columns)."""
    cur = result.spec.currency
    table = owner.leaks(result)

    def cash(x: float) -> str:
        return t("leaks.none", lang) if math.isnan(x) else money(x, cur, lang, compact=compact)

    return pd.DataFrame({
        t("leaks.stage", lang): [metric_label(str(s), lang) for s in table["stage"]],
        t("leaks.lost", lang): [number(float(x), lang) for x in table["count"]],
        t("leaks.worth", lang): [cash(float(x)) for x in table["revenue"]],
        t("leaks.share", lang): [percent(float(x), lang, 1) for x in table["share"]],
        t("leaks.ad_spend", lang): [cash(float(x)) for x in table["ad_spend"]],
        t("leaks.bets", lang): [", ".join(bet_titles(result, b, lang)) or t("leaks.none", lang)
                          for b in table["bets"]],
    })
