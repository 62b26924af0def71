"""Russian and English words of the app, the methodology's terms explained, money per language.

Kept out of `app.py` so a notebook or a report can format numbers the same way, and so a missing
translation is a test failure (`tests/test_i18n.py`), not a blank label in front of an owner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from models.spec import fields
from models.spec.fields import FIELDS

Lang = Literal["en", "ru"]
LANGS: tuple[Lang, ...] = ("en", "ru")
LANGUAGE_NAMES: dict[Lang, str] = {"en": "English", "ru": "Русский"}

# Russian uses a (non-breaking) space between thousands and a decimal comma; the symbol follows
# the number. English puts the ISO code (or $ / €) first, with commas between thousands.
_NBSP = "\u00a0"
_RU_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "UAH": "₴", "BYN": "Br"}
_EN_PREFIX = {"USD": "$", "EUR": "€", "GBP": "£"}

# Parameters that are shares (by the last part of their path): shown and typed as percentages.
# Read from the spec's declaration of each field (`models.spec.fields`).
SHARE_FIELDS = frozenset(p.rsplit(".", 1)[-1] for p, m in FIELDS.items() if m.kind == "share")

# key -> (English, Russian)
_TEXT: dict[str, tuple[str, str]] = {
    # navigation and common
    "app_title": ("GrowthSim", "GrowthSim"),
    "language": ("Language", "Язык"),
    "page_scenario": ("Scenario", "Сценарий"),
    "choose": ("Choose…", "Выберите…"),  # an empty multiple choice
    "page_dashboard": ("Owner's dashboard", "Панель собственника"),
    "page_compare": ("Compare options", "Сравнение вариантов вложений"),
    "page_stress": ("Stress test", "Стресс-тест"),
    "page_sensitivity": ("For investors", "Для инвестора"),
    "page_track": ("Plan vs actual", "План и факт"),
    "page_optimise": ("Where to put the money", "Куда вложить деньги"),
    "scenario": ("Scenario", "Сценарий"),
    "seed": ("Random series", "Номер случайной серии"),
    "seed_help": ("The random seed: the same scenario and series number give the same numbers; "
                  "another number shows another equally likely set of futures.",
                  "Номер серии случайных чисел (`seed`): тот же сценарий и тот же номер дают те же "
                  "числа; другой номер — другой, столь же вероятный набор вариантов будущего."),
    "replications": ("Replications", "Число прогонов"),
    "replications_help": (
        "Monte Carlo runs. A quick answer with few runs appears first, then it is refined.",
        "Число прогонов Монте-Карло. Сначала быстрый ответ на малом числе прогонов, затем "
        "уточнение."),
    "run": ("Run", "Запустить"),
    "stop": ("Stop", "Остановить"),
    "refine": ("Refine to {total} replications", "Уточнить до {total} прогонов"),
    "stop_help": (
        "Stops the run in progress: the replications not yet started are cancelled and nothing "
        "is cached; the quick answer already shown stays.",
        "Останавливает расчёт: ещё не начатые прогоны отменяются, ничего не кэшируется; уже "
        "показанный быстрый ответ остаётся."),
    # total: replications x alternatives when bets are compared
    "quick_answer": ("Quick answer from {n} replications; refining to {total}…",
                     "Быстрый ответ по {n} прогонам; уточняем до {total}…"),
    "provenance": ("{name} · {reps} replications · seed {seed} · scenario `{hash}`",
                   "{name} · прогонов: {reps} · серия {seed} · сценарий `{hash}`"),
    "scenario_invalid": ("The scenario has problems; fix them on the Scenario page.",
                         "В сценарии есть ошибки; исправьте их на странице «Сценарий»."),
    # growthsim batch / growthsim results (sim/cli/batch.py)
    "batch_running": ("{name}: {total} tasks ({variants} variants) on {where}",
                      "{name}: задач {total} (вариантов {variants}); где: {where}"),
    "batch_progress": ("tasks", "задачи"),
    "batch_failed_count": ("failed {n}", "сбоев {n}"),
    "batch_done": ("{ran} tasks run in {seconds} s ({already} were already done)",
                   "выполнено задач: {ran} за {seconds} с (уже были готовы: {already})"),
    "batch_task_failed": ("task failed: variant {variant} ({params}), {alternative}, seed {seed}, "
                          "replications {first}-{last}: {error}",
                          "сбой задачи: вариант {variant} ({params}), {alternative}, серия "
                          "{seed}, прогоны {first}-{last}: {error}"),
    "batch_failed_hint": ("{n} task(s) failed; fix the cause and run the same command with "
                          "--retry-failed (details in {folder})",
                          "задач со сбоем: {n}; устраните причину и повторите ту же команду с "
                          "--retry-failed (подробности в {folder})"),
    "batch_skipped_failed": ("{n} task(s) failed in an earlier run and were not retried; add "
                             "--retry-failed",
                             "задач со сбоем в прошлом запуске: {n}, не перезапущены; добавьте "
                             "--retry-failed"),
    "results_title": ("{name}: variants ranked (best first, {shown} of {rows})",
                      "{name}: варианты по убыванию (лучшие сверху, {shown} из {rows})"),
    "results_variant": ("variant", "вариант"),
    "results_alternative": ("bet", "ставка"),
    "results_npv": ("NPV (± SE)", "NPV (± ст. ош.)"),
    "results_gain": ("NPV vs baseline", "NPV к базе"),
    "results_p_goal": ("P(goal)", "P(цель)"),
    "results_best": ("best for the goal: variant {variant} ({params}), {alternative}: P(goal) "
                     "{p_goal}, NPV {npv}",
                     "лучший для цели: вариант {variant} ({params}), {alternative}: P(цель) "
                     "{p_goal}, NPV {npv}"),
    "results_best_npv": ("best NPV: variant {variant} ({params}), {alternative}: NPV {npv}",
                         "лучший NPV: вариант {variant} ({params}), {alternative}: NPV {npv}"),
    "results_sensitivity": ("how each swept parameter moves NPV and P(goal) (baseline, mean "
                            "over variants)",
                            "как каждый параметр сетки меняет NPV и P(цель) (база, среднее по "
                            "вариантам)"),
    "results_parameter": ("parameter", "параметр"),
    "results_value": ("value", "значение"),
    "results_variants": ("variants", "вариантов"),
    "results_missing": ("{missing} of {total} tasks are not in the store yet (failed or not "
                        "run): the figures cover the rest",
                        "задач нет в хранилище: {missing} из {total} (сбой или не запускались): "
                        "цифры по остальным"),
    "results_empty": ("no results in {folder} yet; run growthsim batch first",
                      "в {folder} ещё нет результатов; сначала запустите growthsim batch"),
    "results_not_store": ("{folder}: not a batch results folder (no manifest.json); give the "
                          "--out folder of growthsim batch",
                          "{folder}: это не папка результатов batch (нет manifest.json); укажите "
                          "папку --out команды growthsim batch"),
    "written": ("written: {files}", "записано: {files}"),
    # scenario page
    "example": ("Example scenario", "Пример сценария"),
    "upload": ("Upload a scenario (YAML)", "Загрузите сценарий (YAML)"),
    "upload_problems": ("{source}: {n} problem(s) in the file; nothing was loaded.",
                        "{source}: проблем в файле: {n}; файл не загружен."),
    "scenario_ok": ("{name}: {months} months, {channels} channels, {tiers} tiers, currency: "
                    "{currency}.",
                    "{name}: {months} мес., каналов: {channels}, ступеней: {tiers}, валюта: "
                    "{currency}."),
    "download": ("Download the edited scenario (YAML)", "Скачать изменённый сценарий (YAML)"),
    "reset": ("Undo my edits", "Отменить правки"),
    "uncertain_hint": ("Uncertain values are written as in YAML, e.g. "
                       "`{dist: beta, mean: 0.1, sd: 0.02}` (shares as fractions there); the line "
                       "under such a field says it in words.",
                       "Неопределённые значения пишутся как в YAML, например "
                       "`{dist: beta, mean: 0.1, sd: 0.02}` (доли там — дробью); строка под "
                       "таким полем говорит то же словами."),
    "grp_general": ("Horizon and goal", "Горизонт и цель"),
    "grp_channels": ("Channels and budgets", "Каналы и бюджеты"),
    "grp_team": ("Sales team", "Отдел продаж"),
    "grp_journey": ("Journey: conversions and follow-ups", "Путь клиента: конверсии и касания"),
    "grp_pyramid": ("Value pyramid (products)", "Пирамида ценности (продукты)"),
    "grp_churn": ("Churn and retention", "Отток и удержание"),
    "grp_winback": ("Win-back", "Возврат клиентов"),
    "no_goal": ("no goal", "без цели"),
    # goal metrics
    "monthly_revenue": ("monthly revenue", "выручка за месяц"),
    "monthly_profit": ("monthly profit", "прибыль за месяц"),
    "active_clients": ("active clients", "активные клиенты"),
    "recurring_revenue": ("recurring revenue (RR)", "регулярная выручка (RR)"),
    "cumulative_profit": ("cumulative profit", "накопленная прибыль"),
    # dashboard
    "dash_month_by_month": ("Month by month", "По месяцам"),
    "dash_headline": ("Totals over {months} months", "Итоги за {months} мес."),
    "dash_leaks": ("Where money leaks", "Где теряются деньги"),
    "dash_levers": ("The four levers of revenue", "Четыре рычага выручки"),
    "dash_levers_caption": ("Revenue = leads × conversion × average check × purchases per "
                            "client.",
                            "Выручка = лиды × конверсия × средний чек × покупок на клиента."),
    "dash_levers_won": ("They multiply to the revenue of the clients won during the horizon "
                        "({won}), not to the total revenue ({total}): the total also holds what "
                        "the clients there at the start bought ({start}).",
                        "Их произведение — выручка клиентов, привлечённых за горизонт ({won}), а "
                        "не вся выручка ({total}): в неё входит и то, что купили клиенты, "
                        "которые были в начале ({start})."),
    "reverse_plan_broken": ("The plan already misses the threshold: its own chance of the "
                            "goal is {plan}, below {threshold}, so every lever reads as broken "
                            "without a shock (size 0). Set the threshold below {plan} to see "
                            "what breaks it.",
                            "План уже не дотягивает до порога: его собственная вероятность "
                            "цели {plan} — ниже {threshold}, поэтому каждый рычаг выглядит "
                            "сломанным и без шока (размер 0). Задайте порог ниже {plan}, чтобы "
                            "увидеть, что его ломает."),
    "reverse_plan_broken_npv": ("The plan already loses money: its own mean NPV is {plan}, "
                                "below zero, so every lever reads as broken without a shock.",
                                "План уже убыточен: его собственная средняя NPV {plan} — ниже "
                                "нуля, поэтому каждый рычаг выглядит сломанным и без шока."),
    "reverse_auto_threshold": ("Threshold: {threshold}, half the plan's own chance of the goal "
                               "({plan}), so that the plan holds before any shock.",
                               "Порог: {threshold} — половина собственной вероятности цели "
                               "плана ({plan}), чтобы без шока план держался."),
    "threshold_auto": ("0 = half the plan's own chance", "0 = половина собственной "
                       "вероятности плана"),
    "month": ("Month", "Месяц"),
    "mean_p10_p90": ("mean, band P10–P90", "среднее, полоса P10–P90"),
    "potential_revenue": ("Potential revenue", "Потенциальная выручка"),
    "earned_revenue": ("Revenue earned", "Полученная выручка"),
    "stage": ("Stage", "Этап"),
    "goal_line": ("Goal: {metric} ≥ {target} by month {month}",
                  "Цель: {metric} ≥ {target} к месяцу {month}"),
    "p_goal_value": ("Chance to reach the goal by the deadline: **{p}**. Month it is reached "
                     "(P10 / P50 / P90): {m}",
                     "Вероятность достичь цели к сроку: **{p}**. Месяц достижения "
                     "(P10 / P50 / P90): {m}"),
    "never": ("never", "никогда"),
    # compare / stress
    "bets": ("Investment options", "Варианты вложений"),
    "budget": ("Budget: a total over the whole horizon, what the chosen options may cost "
               "together (0 = no limit)",
               "Бюджет: сумма за весь горизонт, сколько выбранные варианты могут стоить вместе "
               "(0 = без ограничения)"),
    "max_bets": ("Options combined at most", "Сколько вариантов сочетать, не более"),
    "compare_run": ("Compare", "Сравнить"),
    "no_bets": ("This scenario has no investment options: add a `bets:` list to its YAML.",
                "В сценарии нет вариантов вложений: добавьте список `bets:` в YAML."),
    "ranked": ("Options ranked by NPV", "Варианты по убыванию NPV"),
    "roi_vs_time": ("ROI against months to goal (P10–P90)",
                    "ROI и месяцы до цели (P10–P90)"),
    "lever_split": ("Where the extra revenue comes from (four levers)",
                    "Откуда дополнительная выручка (четыре рычага)"),
    "shock_start": ("Shock starts in month", "Начало шока, месяц"),
    "shock_duration": ("Lasts, months", "Длительность, мес."),
    "severity": ("Severity", "Сила шока"),
    "stress_run": ("Run the stress test", "Запустить стресс-тест"),
    "stress_table": ("Chance of the goal and outcome per shock",
                     "Вероятность цели и результат при каждом шоке"),
    "shock": ("Shock", "Шок"),
    "description": ("What changes", "Что меняется"),
    "npv_ci": ("Incremental NPV [95% CI]", "Прирост NPV [95% ДИ]"),
    "roi_ci": ("ROI [95% CI]", "ROI [95% ДИ]"),
    "months_to_goal": ("Months to goal P10 / P50 / P90", "Месяцев до цели P10 / P50 / P90"),
    "compare_settings_changed": ("The settings changed: press Compare to run them.",
                                 "Настройки изменились: нажмите «Сравнить», чтобы посчитать."),
    "choose_bets": ("Choose at least one option.", "Выберите хотя бы один вариант."),
    "no_alternatives": ("No option fits the budget.", "Ни один вариант не укладывается в бюджет."),
    "goal_at_deadline": ("Goal metric, {metric}, in month {month}",
                         "Метрика цели, {metric}, в месяце {month}"),
    "profit_mean_band": ("Profit over the whole forecast: mean (P10 … P90)",
                         "Прибыль за весь срок прогноза: среднее (P10 … P90)"),
    "npv_change": ("NPV change against the plan [95% CI]", "Изменение NPV к плану [95% ДИ]"),
    "cum_profit_per_shock": ("Cumulative profit under each shock, P10–P90",
                             "Накопленная прибыль при каждом шоке, P10–P90"),
    "stress_caption": (
        "The plan is run as it is and under each shock on the same random numbers, so the "
        "differences are the shock's. Shocks act from the start month for the duration; "
        "severity 1 is the standard size, 2 twice as strong.",
        "План считается как есть и при каждом шоке на одних и тех же случайных числах, так что "
        "разница — это эффект шока. Шок действует с начального месяца заданное время; сила 1 — "
        "стандартный размер, 2 — вдвое сильнее."),
    # stress shocks (models.compiled.bets.stress_shocks)
    "fewer_leads": ("Fewer leads (−30%)", "Меньше лидов (−30%)"),
    "higher_cac": ("Dearer leads (+50% CAC)", "Дороже лиды (CAC +50%)"),
    "higher_churn": ("Higher churn (+50%)", "Выше отток (+50%)"),
    "later_payments": ("Later, fewer payments", "Оплаты позже и реже"),
    "manager_leaves": ("A key manager leaves", "Уходит ключевой менеджер"),
    "baseline": ("The plan (no change)", "План (без изменений)"),
    # progress at the top of a page (what runs, how far, how long is left)
    "run_forecast": ("Forecast", "Прогноз"),
    "run_compare": ("Comparing the options", "Сравнение вариантов"),
    "run_stress": ("Stress test", "Стресс-тест"),
    "progress": ("{what}: {done} of {total} runs, about {left} left",
                 "{what}: {done} из {total} прогонов, осталось около {left}"),
    "progress_start": ("{what}: starting…", "{what}: запуск…"),
    "progress_counts": ("{what}: {done} of {total} runs", "{what}: {done} из {total} прогонов"),
    "preparing_engine": (
        "{what}: preparing the fast engine, first start only (a few minutes; {waited} so far). "
        "The runs start right after.",
        "{what}: подготовка быстрого движка, только при первом запуске (несколько минут; прошло "
        "{waited}). Прогоны начнутся сразу после."),
    "stopped_no_answer": ("Stopped before the first answer. Press the button to start again.",
                          "Остановлено до первого ответа. Нажмите кнопку, чтобы начать заново."),
    "start_again": ("Start again", "Начать заново"),
    "app_hint_names": ("(the fields of the Scenario page and the example files show the names)",
                       "(имена видны в полях страницы «Сценарий» и в файлах примеров)"),
    "yaml_line": ("Line {line}, column {column}", "Строка {line}, столбец {column}"),
    "chart_failed": (
        "This chart could not be drawn ({error}); the figures in the tables and the downloads "
        "are not affected.",
        "Этот график не удалось построить ({error}); числа в таблицах и файлы для скачивания "
        "от этого не зависят."),
    "seconds": ("{n} s", "{n} с"),
    "minutes": ("{n} min", "{n} мин"),
    # the scenario page
    "first_visit": (
        "**Start here.** Pick the example closest to your business (or upload your own YAML "
        "file), change the numbers you know in the sections below, then open **Owner's "
        "dashboard** in the sidebar for the forecast. **Compare options** weighs where the "
        "next money should go; **Stress test** shows what a bad patch would do.",
        "**С чего начать.** Выберите пример, похожий на ваш бизнес (или загрузите свой файл "
        "YAML), поменяйте в разделах ниже известные вам цифры, затем откройте в боковой панели "
        "**Панель собственника** с прогнозом. **Сравнение вариантов вложений** подскажет, куда "
        "направить следующие деньги; **Стресс-тест** покажет, что сделает трудный период."),
    "field_problems_elsewhere": ("Problems outside the fields shown here:",
                                 "Проблемы вне полей этой страницы:"),
    "problems_at_fields": ("{n} problem(s), shown at the fields: {fields}",
                           "Проблем: {n}, они показаны у полей: {fields}"),
    "download_note": (
        "The downloaded file is the original with your edits applied; comments are kept only "
        "while nothing has been edited (an edited file is written afresh, without comments).",
        "Скачивается исходный файл с вашими правками; комментарии сохраняются, только пока "
        "ничего не изменено (изменённый файл записывается заново, без комментариев)."),
    "percent_unit": ("{label}, %", "{label}, %"),
    "dist_words": ("Uncertain: {words}", "Неопределённое значение: {words}"),
    "dist_triangular": ("between {low} and {high}, most likely {mode}",
                        "от {low} до {high}, чаще всего {mode}"),
    "dist_pert": ("between {low} and {high}, most likely {mode} (PERT)",
                  "от {low} до {high}, чаще всего {mode} (PERT)"),
    "dist_uniform": ("anywhere between {low} and {high}", "любое значение от {low} до {high}"),
    "dist_beta": ("on average {mean}, typically ± {sd}", "в среднем {mean}, обычно ± {sd}"),
    "dist_lognormal": ("on average {mean}, typically ± {sd}", "в среднем {mean}, обычно ± {sd}"),
    "clients_unit": ("clients", "клиентов"),
    "leads_axis": ("leads a month", "лидов в месяц"),
    "clients_axis": ("new clients a month", "новых клиентов в месяц"),
    "what_changes": ("What each option does", "Что делает каждый вариант"),
    "one_off_cost": ("one-off {cost}", "разово {cost}"),
    "monthly_cost": ("{cost} a month", "{cost} в месяц"),
    "from_month": ("from month {month}", "с {month}-го месяца"),
    "upload_hint": ("A YAML file of up to 5 MB: drop it on the box or press Upload.",
                    "Файл YAML до 5 МБ: перетащите его в поле или нажмите «Выбрать файл»."),
    "browse": ("Upload", "Выбрать файл"),
}

# Metric names as the owner reads them; keys are the library's metric names
# (models.accounting.metrics) or leak names (models.accounting.ledger.LEAKS).
_METRICS: dict[str, tuple[str, str]] = {
    "leads": ("Leads", "Лиды"),
    "new_clients": ("New paying clients", "Новые платящие клиенты"),
    "active_clients": ("Active clients", "Активные клиенты"),
    "revenue": ("Revenue", "Выручка"),
    "recurring_revenue": ("Recurring revenue (RR)", "Регулярная выручка (RR)"),
    "marketing": ("Marketing spend", "Маркетинговые расходы"),
    "marketing_per_new_client": ("Marketing per new client", "Маркетинг на нового клиента"),
    "total_costs": ("All costs", "Все расходы"),
    "profit": ("Profit", "Прибыль"),
    "cumulative_profit": ("Cumulative profit", "Накопленная прибыль"),
    "cumulative_revenue": ("Cumulative revenue", "Накопленная выручка"),
    "lost_revenue": ("Revenue leaked", "Потерянная выручка"),
    "total_leads": ("Leads", "Лиды"),
    "total_new_clients": ("New paying clients", "Новые платящие клиенты"),
    "active_clients_end": ("Active clients at the end", "Активные клиенты в конце"),
    "total_revenue": ("Revenue", "Выручка"),
    "total_profit": ("Profit", "Прибыль"),
    "npv_profit": ("NPV of profit", "NPV прибыли"),
    "conversion": ("Conversion", "Конверсия"),
    "average_check": ("Average check", "Средний чек"),
    "purchases_per_client": ("Purchases per client", "Покупок на клиента"),
    "cac": ("CAC", "CAC"),
    "cltv": ("CLTV (to the horizon)", "CLTV (до горизонта)"),
    "cltv_with_tail": ("CLTV with later years", "CLTV с учётом будущих лет"),
    "romi": ("ROMI", "ROMI"),
    "nmc": ("NMC", "NMC"),
    # not a margin: what each unit of money spent on sales brings back, above that unit
    "ros": ("ROS, return on sales spend", "ROS, отдача продаж"),
    "customer_equity": ("Customer equity", "Капитал клиентской базы"),
    "recurring_revenue_last_month": ("RR, last month", "RR, последний месяц"),
    "goal_by_deadline": ("Chance of the goal by the deadline", "Вероятность цели к сроку"),
    "time_to_goal": ("Months to goal", "Месяцев до цели"),
    "roi": ("ROI", "ROI"),
    "npv": ("Incremental NPV", "Прирост NPV"),
    "cost": ("Cost", "Стоимость"),
    "payback_month": ("Payback month", "Месяц окупаемости"),
    "p_goal": ("Chance of the goal", "Вероятность цели"),
    "p_best_npv": ("Chance of the best NPV", "Вероятность лучшего NPV"),
    "p_best_time": ("Chance of the fastest goal", "Вероятность быстрее всех к цели"),
    "bet": ("Option", "Вариант"),
    # the four levers
    "conversion_lever": ("Conversion", "Конверсия"),
    "frequency": ("Purchase frequency", "Частота покупок"),
    "starting_clients_lever": ("Clients you already had", "Уже имеющиеся клиенты"),
    "total": ("Total", "Итого"),
    # leaks (models.accounting.ledger.LEAKS)
    "lost_unprocessed": ("Lost in the CRM (never processed)", "Потеряны в CRM (не обработаны)"),
    "lost_late": ("Called too late", "Позвонили слишком поздно"),
    "lost_first_contact": ("Lost at the first contact", "Потеряны на первом контакте"),
    "lost_follow_up": ("No sale after the follow-ups", "Не купили после дожима"),
    "lost_unpaid": ("Invoice never paid", "Счёт не оплачен"),
    "lost_client": ("Clients who left", "Ушедшие клиенты"),
}

# The methodology's terms, shown as tooltips wherever the metric appears.
_TOOLTIPS: dict[str, tuple[str, str]] = {
    "cltv": (
        "CLTV, customer lifetime value: discounted gross profit a client brings, net of the "
        "costs to onboard, retain, develop and win them back, per new client; truncated at the "
        "horizon.",
        "CLTV, пожизненная ценность клиента: дисконтированная валовая прибыль от клиента за "
        "вычетом затрат на доведение до результата, удержание, развитие и возврат, на одного "
        "нового клиента; обрезана горизонтом."),
    "cltv_with_tail": (
        "CLTV plus the expected value after the horizon of the clients still active (the tail).",
        "CLTV плюс ожидаемая ценность после горизонта клиентов, которые ещё активны (хвост)."),
    "romi": (
        "ROMI, return on marketing investment = (gross profit of clients from paid channels − "
        "marketing) / marketing.",
        "ROMI, возврат маркетинговых инвестиций = (валовая прибыль от клиентов платных каналов − "
        "маркетинг) / маркетинг."),
    "nmc": (
        "NMC, net marketing contribution = revenue × gross margin % − marketing spend.",
        "NMC, чистый маркетинговый вклад = выручка × валовая маржа % − маркетинговые расходы."),
    "ros": (
        "ROS, return on sales investment = (gross profit − sales costs) / sales costs; sales "
        "costs are salaries and commission.",
        "ROS, возврат инвестиций в продажи = (валовая прибыль − затраты на продажи) / затраты "
        "на продажи; затраты на продажи — оклады и комиссия."),
    "recurring_revenue": (
        "RR, recurring revenue: revenue in a month from clients who had paid before that month.",
        "RR, регулярная выручка: выручка месяца от клиентов, которые уже платили раньше."),
    "recurring_revenue_last_month": (
        "RR, recurring revenue: revenue in a month from clients who had paid before that month.",
        "RR, регулярная выручка: выручка месяца от клиентов, которые уже платили раньше."),
    "cac": (
        "CAC, customer acquisition cost = (marketing + salaries + commission) / new paying "
        "clients.",
        "CAC, стоимость привлечения клиента = (маркетинг + оклады + комиссия) / новые платящие "
        "клиенты."),
    "npv_profit": (
        "NPV: monthly profit discounted at the scenario's rate (end-of-month timing).",
        "NPV: месячная прибыль, дисконтированная по ставке дисконтирования сценария (на конец "
        "месяца)."),
    "npv": (
        "Incremental NPV of profit against the plan without the option, with a paired 95% "
        "interval.",
        "Прирост NPV прибыли относительно плана без этого вложения, с парным 95% интервалом."),
    "roi": (
        "ROI = incremental NPV of profit / the option's cost.",
        "ROI = прирост NPV прибыли / стоимость вложения."),
    "payback_month": (
        "The month from which the option's extra profit, added up month by month without "
        "discounting, stays above zero to the horizon (the median over replications). NPV "
        "discounts that profit, so an option that pays back late can still have a negative NPV.",
        "Месяц, с которого дополнительная прибыль от вложения, сложенная по месяцам без "
        "дисконтирования, остаётся выше нуля до конца горизонта (медиана по прогонам). NPV эту "
        "прибыль дисконтирует, поэтому вложение, окупившееся поздно, может иметь "
        "отрицательный NPV."),
    "customer_equity": (
        "Customer equity (capitalisation): expected future discounted margin of the clients "
        "active at the horizon.",
        "Капитал клиентской базы (капитализация): ожидаемая будущая дисконтированная маржа "
        "клиентов, активных на конец горизонта."),
    "goal_by_deadline": (
        "Share of the replications in which the goal is reached by its deadline.",
        "Доля прогонов, в которых цель достигнута к сроку."),
    "p_goal": (
        "Share of the replications in which the goal is reached by its deadline.",
        "Доля прогонов, в которых цель достигнута к сроку."),
    "p_best_npv": ("Share of replications in which this option has the highest NPV.",
                   "Доля прогонов, в которых у этого варианта наибольший NPV."),
    "p_best_time": ("Share of replications in which this option reaches the goal first.",
                    "Доля прогонов, в которых этот вариант первым достигает цели."),
    "conversion": ("New paying clients / leads.", "Новые платящие клиенты / лиды."),
    "marketing_per_new_client": (
        "The month's advertising / the month's new paying clients (CAC over the horizon also "
        "counts salaries and commission).",
        "Реклама месяца / новые платящие клиенты месяца (CAC за горизонт учитывает также оклады "
        "и комиссию)."),
    "average_check": ("Revenue / purchases.", "Выручка / число покупок."),
    "purchases_per_client": ("Purchases / clients who bought (frequency).",
                             "Покупки / купившие клиенты (частота)."),
}


def t(key: str, lang: Lang, **values: object) -> str:
    """The text for `key` in `lang`, with `{name}` fields filled from `values`."""
    en, ru = _TEXT[key]
    text = ru if lang == "ru" else en
    return text.format(**values) if values else text


def metric_label(name: str, lang: Lang) -> str:
    """The owner's name of a library metric (falls back to the metric's own name)."""
    pair = _METRICS.get(name)
    if pair is None:
        return name.replace("_", " ")
    return pair[1] if lang == "ru" else pair[0]


def tooltip(name: str, lang: Lang) -> str | None:
    """The methodology's explanation of a metric, or None if it needs none."""
    pair = _TOOLTIPS.get(name)
    if pair is None:
        return None
    return pair[1] if lang == "ru" else pair[0]


def _grouped(x: float, decimals: int, lang: Lang) -> str:
    text = f"{abs(x):,.{decimals}f}"
    if lang == "ru":  # 1,234,567.5 -> 1 234 567,5
        text = text.replace(",", _NBSP).replace(".", ",")
    # A typographic minus, as money has; never "-0".
    return f"−{text}" if x < 0 and text.strip("0.,\u00a0") else text


def number(x: float | None, lang: Lang, decimals: int = 0) -> str:
    """A count or plain number; '—' where it is not defined (NaN or None)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return _grouped(float(x), decimals, lang)


_SCALES: tuple[tuple[float, str, str], ...] = ((1e9, "bn", "млрд"), (1e6, "M", "млн"))


def money(x: float | None, currency: str, lang: Lang, decimals: int = 0,
          compact: bool = False) -> str:
    """Money in the scenario's currency: '1 234 567 ₽' in Russian, 'RUB 1,234,567' in English;
    `compact` writes millions and billions short ('RUB 1.2M', '1,2 млн ₽') for headline cards."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    sign = "−" if x < 0 else ""
    body = _grouped(abs(float(x)), decimals, lang)
    for scale, en, ru in _SCALES if compact else ():
        if abs(float(x)) >= scale:
            short = _grouped(abs(float(x)) / scale, 1, lang)
            body = f"{short}{_NBSP}{ru}" if lang == "ru" else f"{short}{en}"
            break
    return _signed_money(sign, body, currency, lang)


def _signed_money(sign: str, body: str, currency: str, lang: Lang) -> str:
    """A formatted amount with its sign and currency where the language puts them: after the
    number in Russian ('−1,2 млн ₽'), before it in English ('−RUB 1.2M', '−$1.2M')."""
    if lang == "ru":
        return f"{sign}{body}{_NBSP}{_RU_SYMBOLS.get(currency, currency)}"
    prefix = _EN_PREFIX.get(currency)
    return f"{sign}{prefix}{body}" if prefix else f"{sign}{currency} {body}"


_MONTHS_SHORT = (("Jan", "янв"), ("Feb", "фев"), ("Mar", "мар"), ("Apr", "апр"), ("May", "май"),
                 ("Jun", "июн"), ("Jul", "июл"), ("Aug", "авг"), ("Sep", "сен"), ("Oct", "окт"),
                 ("Nov", "ноя"), ("Dec", "дек"))


def calendar_month(start: object, month: int, lang: Lang) -> str | None:
    """Month `month` (1-based) of a scenario whose `start` is given, as the owner's calendar
    says it ('Jan 2027' / 'янв 2027'); None without a start (months are then only numbers)."""
    from models.compiled.calendar import month_of, parse_start

    first = parse_start(start)
    if first is None or month < 1:
        return None
    year, m = month_of(first, month - 1)
    name = _MONTHS_SHORT[m - 1]
    return f"{name[1] if lang == 'ru' else name[0]}{_NBSP}{year}"


def money_column(values: Sequence[float | None], currency: str, lang: Lang) -> list[str]:
    """Money for one column of a table, short and at one scale (millions, or billions when all
    are), so that '−RUB 0.7M' stands beside '−RUB 2.2M' (not '−RUB 746,681'); a column below a
    million in full."""
    finite = [abs(float(v)) for v in values
              if v is not None and not (isinstance(v, float) and math.isnan(v))]
    # billions only when every amount is a billion or more; else millions ('RUB 1,500.0M')
    low = min((x for x in finite if x > 0), default=0.0)
    scale = next(((s, en, ru) for s, en, ru in _SCALES if low >= s), None) or (
        _SCALES[-1] if max(finite, default=0.0) >= _SCALES[-1][0] else None)
    if scale is None:
        return [money(v, currency, lang) for v in values]
    size, en, ru = scale
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append("—")
            continue
        x = float(v)
        short = _grouped(abs(x) / size, 1 if abs(x) >= size / 10 or x == 0 else 2, lang)
        body = f"{short}{_NBSP}{ru}" if lang == "ru" else f"{short}{en}"
        out.append(_signed_money("−" if x < 0 else "", body, currency, lang))
    return out


def percent(x: float | None, lang: Lang, decimals: int = 0) -> str:
    """A share as a percentage: '12%' / '12 %' (Russian puts a space before the sign)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    body = _grouped(float(x) * 100, decimals, lang)
    return f"{body}{_NBSP}%" if lang == "ru" else f"{body}%"


def all_keys() -> tuple[list[str], list[str], list[str]]:
    """Every text, metric and tooltip key (for the completeness test)."""
    return list(_TEXT), list(_METRICS), list(_TOOLTIPS)


_CURRENCY_WORDS = {"RUB": ("rubles", "рубли"), "USD": ("US dollars", "доллары США"),
                   "EUR": ("euros", "евро")}


def field_help(path: str, lang: Lang) -> str | None:
    """What the parameter at `path` means, with its unit: the spec's help of the field
    (`models.spec.fields`); None for a path that names no parameter."""
    return fields.field_help(path, lang)


def field_label(path: str, lang: Lang) -> str | None:
    """The parameter at `path` in words (the spec's label of the field); None for a path that
    names no parameter."""
    return fields.field_label(path, lang)


def currency_name(currency: str, lang: Lang) -> str:
    """The currency in words ('рубли'), or its symbol/code when we have no word for it."""
    pair = _CURRENCY_WORDS.get(currency)
    if pair is not None:
        return pair[1] if lang == "ru" else pair[0]
    return _RU_SYMBOLS.get(currency, currency) if lang == "ru" else currency


def currency_symbol(currency: str, lang: Lang) -> str:
    """'₽' / 'RUB', '$' for dollars in both."""
    if lang == "ru":
        return _RU_SYMBOLS.get(currency, currency)
    return _EN_PREFIX.get(currency, currency)


def parse_number(text: str, lang: Lang) -> float | None:
    """A number as a person writes it in `lang`: '27 000 000', '27,000,000', '2,5' (Russian
    decimal comma), '1.5'; None when it is not one."""
    body = text.strip().replace(_NBSP, "").replace(" ", "").replace("_", "")
    body = body.replace("−", "-")
    if lang == "ru" and body.count(",") == 1 and "." not in body:
        body = body.replace(",", ".")  # a decimal comma
    else:
        body = body.replace(",", "")  # thousands separators
    try:
        value = float(body)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def money_ticks(low: float, high: float, currency: str, lang: Lang,
                count: int = 5) -> tuple[list[float], list[str]]:
    """About `count` round tick values over [low, high] and their labels in the language's
    money format with the scale written out ('40 млн ₽', 'RUB 40M'), for plotly's tickvals /
    ticktext: plotly's own SI suffixes ('40M', '6B') read as English in either language."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    values = []
    v = first
    while v <= high + step * 1e-9:
        values.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    top = max(abs(x) for x in values) or 1.0
    scale, en, ru = next(((s, e, r) for s, e, r in _SCALES if top >= s), (1.0, "", ""))
    decimals = 0
    while decimals < 3 and any(abs(round(x / scale, decimals) - x / scale) > 1e-9
                               for x in values):
        decimals += 1
    labels = []
    for x in values:
        if x == 0:
            labels.append("0")
            continue
        body = _grouped(abs(x) / scale, decimals, lang)
        if en:
            body = f"{body}{_NBSP}{ru}" if lang == "ru" else f"{body}{en}"
        labels.append(_signed_money("−" if x < 0 else "", body, currency, lang))
    return values, labels


def duration(seconds: float, lang: Lang) -> str:
    """A time left, rounded: '40 s' / '3 min'."""
    if seconds < 90:  # to 5 s above 10 s: the pace of the first runs is a rough guide
        n = round(seconds / 5.0) * 5 if seconds > 10 else math.ceil(seconds)
        return t("seconds", lang, n=max(1, n))
    return t("minutes", lang, n=math.ceil(seconds / 60))


def field_keys() -> list[str]:
    """Every parameter's path pattern (each has a label and help in both languages)."""
    return list(FIELDS)
