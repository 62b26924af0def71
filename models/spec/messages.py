"""Messages about bad input and faults, by key, in English and Russian.

`msg(key, **values)` builds a `Message` (models.spec.errors): its `str` is the English text, the
app shows `.text("ru")`. The CLI prints English. Values are formatted into both texts the same
way; numbers are formatted by the caller so both languages show the same figures.
"""

from __future__ import annotations

from typing import Any

from models.spec.errors import Message

# key -> (English, Russian)
MESSAGES: dict[str, tuple[str, str]] = {
    # -- the YAML file ---------------------------------------------------------------------
    "yaml_alias_bomb": (
        "the file's aliases (*name) expand to more than {limit} values ({got}); a scenario "
        "never needs that many: write the values out, or reuse an anchor a few times only",
        "псевдонимы файла (*имя) разворачиваются более чем в {limit} значений ({got}); "
        "сценарию столько не нужно: выпишите значения или используйте якорь лишь несколько раз"),
    "yaml_alias_cycle": (
        "an anchor refers to itself (a YAML alias inside its own anchor); remove the loop",
        "якорь ссылается сам на себя (псевдоним YAML внутри своего же якоря); уберите цикл"),
    "yaml_too_deep": (
        "the file is nested too deeply for a scenario; check the indentation and brackets",
        "файл вложен слишком глубоко для сценария; проверьте отступы и скобки"),
    "yaml_duplicate_key": (
        "the key {key!r} appears twice in the same block: lines {first} and {second}; the "
        "second would silently replace the first: merge them into one",
        "ключ {key!r} встречается дважды в одном блоке: строки {first} и {second}; второй "
        "молча заменил бы первый: объедините их в один"),
    # -- numbers -----------------------------------------------------------------------------
    "amount_too_large": (
        "must be at most {limit} in absolute value (the largest amount or count GrowthSim "
        "accepts, so sums over clients and months stay exact), got {got}; is it a typo?",
        "по модулю не больше {limit} (наибольшая сумма или количество, которые принимает "
        "GrowthSim, чтобы суммы по клиентам и месяцам оставались точными), получено {got}; "
        "нет ли опечатки?"),
    "dist_too_large": (
        "this distribution ranges up to {got}, beyond {limit} (the largest amount or count "
        "GrowthSim accepts); narrow it",
        "это распределение доходит до {got}, больше {limit} (наибольшая сумма или количество, "
        "которые принимает GrowthSim); сузьте его"),
    # -- volume ------------------------------------------------------------------------------
    "too_much_work": (
        "this scenario would simulate about {agents} leads and clients over {months} months "
        "({agent_months} agent-months) in every replication, above the limit of {limit} "
        "agents (about {memory} of memory a replication); largest sources: {sources}. Lower "
        "them or the horizon, or simulate a sample: divide leads, clients, managers and fixed "
        "costs by {factor} and multiply the money results by {factor}",
        "этот сценарий в каждом прогоне моделировал бы около {agents} лидов и клиентов за "
        "{months} мес. ({agent_months} агенто-месяцев), больше предела в {limit} агентов "
        "(около {memory} памяти на прогон); главные источники: {sources}. Уменьшите их или "
        "горизонт, либо моделируйте выборку: разделите лиды, клиентов, менеджеров и "
        "постоянные расходы на {factor} и умножьте денежные итоги на {factor}"),
    # -- output ------------------------------------------------------------------------------
    "out_not_writable": (
        "cannot write results to {path} ({why}); choose another folder with --out",
        "нельзя записать результаты в {path} ({why}); выберите другую папку в --out"),
    "out_write_failed": (
        "writing the results to {path} failed ({why}); nothing of this run was kept and the "
        "earlier results there are unchanged; free some space or choose another folder with "
        "--out",
        "запись результатов в {path} не удалась ({why}); ничего из этого прогона не сохранено, "
        "прежние результаты там не изменились; освободите место или выберите другую папку в "
        "--out"),
    "interrupted": (
        "interrupted (Ctrl-C) while {what}; {written}",
        "прервано (Ctrl-C) во время: {what}; {written}"),
    "interrupted_while_writing": (
        "they are written as one unit, so {path} holds either all the new files or all the "
        "earlier ones, never a mix",
        "они записываются единым целым, поэтому в {path} либо все новые файлы, либо все "
        "прежние, но не смесь"),
    "interrupted_nothing_written": (
        "nothing of this run was written; earlier results in {path} are unchanged",
        "из этого прогона ничего не записано; прежние результаты в {path} не изменились"),
    # -- calibration exports -----------------------------------------------------------------
    "csv_is_folder": (
        "is a folder, not a CSV file; give the path of the exported .csv file",
        "это папка, а не файл CSV; укажите путь к выгруженному файлу .csv"),
    "csv_unreadable": (
        "cannot read the file ({why}); check its permissions",
        "не удаётся прочитать файл ({why}); проверьте права доступа"),
    "csv_too_large": (
        "the file is larger than {limit}; export a shorter period or split it",
        "файл больше {limit}; выгрузите более короткий период или разделите файл"),
    "csv_binary": (
        "not a text CSV file (it holds binary data, e.g. an .xlsx workbook or an archive); in "
        "Excel use File > Save As > CSV (comma or semicolon delimited)",
        "это не текстовый CSV (в файле двоичные данные, например книга .xlsx или архив); в "
        "Excel выберите Файл > Сохранить как > CSV (разделители — запятые или точки с запятой)"),
    "csv_detected": (
        "read as {encoding}, {delimiter} between columns, {decimal} (detected; override with "
        "--delimiter and --decimal)",
        "прочитано как {encoding}, между столбцами {delimiter}, {decimal} (определено "
        "автоматически; задать явно: --delimiter и --decimal)"),
    "csv_one_column": (
        "the header {header!r} was read as one column, so the columns are not separated by "
        "{delimiter}; give the separator with --delimiter (e.g. --delimiter ';')",
        "заголовок {header!r} прочитан как один столбец: столбцы разделены не знаком "
        "{delimiter}; укажите разделитель через --delimiter (например, --delimiter ';')"),
    "bad_date_format": (
        "--date-format {fmt!r} is not a date format ({why}); write it with strftime codes, "
        "e.g. %d.%m.%Y for 31.12.2024 or %Y-%m-%d for 2024-12-31",
        "--date-format {fmt!r} — не формат даты ({why}); запишите его кодами strftime, "
        "например %d.%m.%Y для 31.12.2024 или %Y-%m-%d для 2024-12-31"),
    "date_in_future": (
        "dates after today ({today}) in {rows}: fix the year (a typo such as 2097 for 2024), or "
        "pass --skip-bad-rows to leave these rows out",
        "даты позже сегодняшней ({today}) в {rows}: исправьте год (опечатка вроде 2097 вместо "
        "2024) или передайте --skip-bad-rows, чтобы пропустить эти строки"),
    "end_after_data": (
        "{option} {date} is after the last purchase in the file ({last}): purchases after the "
        "export are unknown and would count as none; give a date up to {last} or leave it out",
        "{option} {date} позже последней покупки в файле ({last}): покупки после выгрузки "
        "неизвестны и считались бы отсутствующими; укажите дату не позже {last} или не "
        "указывайте её"),
    "no_repeat_purchases": (
        "no customer bought again on a later day in the calibration period ({customers} "
        "customers, each one purchase day): BG/NBD learns how often customers buy and when "
        "they stop from repeat purchases, so it cannot be fitted; export a longer period, move "
        "--calibration-end later, or check that --customer-col names a customer id, not an "
        "order id",
        "ни один клиент не купил повторно в другой день в периоде калибровки ({customers} "
        "клиентов, у каждого один день покупок): BG/NBD узнаёт, как часто клиенты покупают и "
        "когда уходят, по повторным покупкам, поэтому его нельзя оценить; выгрузите более "
        "долгий период, сдвиньте --calibration-end позже или проверьте, что --customer-col — "
        "это id клиента, а не заказа"),
    "forecast_too_long": (
        "forecast.yaml not written: the holdout is {months} months, longer than a scenario's "
        "horizon may be (at most {limit} months); choose an earlier --observation-end",
        "forecast.yaml не записан: отложенный период — {months} мес., больше допустимого "
        "горизонта сценария (не более {limit} мес.); выберите более раннюю --observation-end"),
    "bad_rows": (
        "{what} in {rows}: {fix}, or pass --skip-bad-rows to leave these rows out",
        "{what} в {rows}: {fix}, или передайте --skip-bad-rows, чтобы пропустить эти строки"),
    # -- parameter paths (models.spec.paths, overrides) -----------------------------------
    "path_empty": (
        "empty parameter path; write it like sales.managers",
        "пустой путь к параметру; пишите его так: `sales.managers`"),
    "path_no_item": (
        "no item named {name!r}; known: {known}",
        "нет элемента с именем `{name}`; есть: {known}"),
    "path_single_value": (
        "{path} is a single value, not a group",
        "`{path}` — одно значение, а не группа параметров"),
    "path_unknown": (
        "unknown parameter {name!r}; known here: {known}",
        "неизвестный параметр `{name}`; здесь есть: {known}"),
    "path_no_group": (
        "the scenario has no group here",
        "в сценарии здесь нет группы параметров"),
    "path_list_empty": (
        "{path} is empty in this scenario; nothing to address",
        "`{path}` в этом сценарии пуст: менять нечего"),
    "path_not_list": (
        "{where} is not a list; '*' stands for every item of a list (channels, tiers, segments)",
        "`{where}` — не список; «*» означает каждый элемент списка (`channels`, `tiers`, "
        "`segments`)"),
    "path_no_value": (
        "no value at {name!r}",
        "нет значения в `{name}`"),
    "override_form": (
        "an override is written path=value, e.g. sales.managers=6",
        "правка пишется как путь=значение, например `sales.managers=6`"),
    "override_unreadable": (
        "cannot read the value {value!r}; write a number (e.g. 6) or a distribution in braces "
        "(e.g. {{dist: beta, mean: 0.1, sd: 0.02}})",
        "не удаётся прочитать значение `{value}`; укажите число (например, 6) или распределение "
        "в фигурных скобках (например, `{{dist: beta, mean: 0.1, sd: 0.02}}`)"),
    "in_override": (
        "{message} (in the override {override!r})",
        "{message} (в правке `{override}`)"),
    # -- bets (models.compiled.bets.check_bet) ----------------------------------------------
    "bet_after_horizon": (
        "month {month} is after the horizon ({horizon} months); start it earlier",
        "{month}-й месяц позже горизонта ({horizon} мес.); начните раньше"),
    "bet_changes_frame": (
        "a bet cannot change {head}: it is the scenario's frame (goal, horizon, discounting, "
        "market, starting state), not a lever; change it in the scenario itself, or compare two "
        "scenarios",
        "вариант вложений не может менять `{head}`: это рамка сценария (цель, горизонт, "
        "дисконтирование, рынок, начальное состояние), а не рычаг; измените это в самом "
        "сценарии или сравните два сценария"),
    "bet_at_path": (
        "{path}: {message}",
        "параметр `{path}`: {message}"),
    "bet_makes_invalid": (
        "applying it makes {field} invalid: {why}; change the bet",
        "с этим вариантом `{field}` становится недопустимым: {why}; измените вариант"),
    "bet_makes_invalid_at_end": (
        "applying it at the end of its range makes {field} invalid: {why}; change the bet",
        "на краю своего диапазона этот вариант делает `{field}` недопустимым: {why}; "
        "измените вариант"),
    "bet_makes_invalid_extremes": (
        "applying it with the scenario's uncertain values at their extremes makes {field} "
        "invalid: {why}; change the bet",
        "при крайних значениях неопределённых параметров сценария этот вариант делает "
        "`{field}` недопустимым: {why}; измените вариант"),
    "bet_makes_invalid_both": (
        "applying it at the end of its range with the scenario's uncertain values at their "
        "extremes makes {field} invalid: {why}; change the bet",
        "на краю своего диапазона и при крайних значениях неопределённых параметров сценария "
        "этот вариант делает `{field}` недопустимым: {why}; измените вариант"),
    # -- bets at run time (models.compiled.bets, sim.experiments) ------------------------------
    "bets_push_out_of_range": (
        "bets {bets} in month {month}: {where}{why}; the bets push a value out of its range for "
        "this draw: make the change smaller",
        "варианты {bets} в {month}-м месяце: {where}{why}; при этих значениях варианты выводят "
        "параметр за допустимые пределы: уменьшите изменение"),
    "portfolio_two_tiers": (
        "{bets} each add a tier on top of the pyramid; combine them into one bet to compare "
        "them together",
        "варианты {bets} оба добавляют ступень на вершину пирамиды; объедините их в один "
        "вариант, чтобы сравнить вместе"),
    "bet_cannot_run": (
        "bet {bet}: {why}",
        "вариант `{bet}`: {why}"),
    "no_bet_fits_budget": (
        "no bet fits the budget of {budget} (the cheapest costs {cheapest} over the horizon); "
        "raise the budget",
        "ни один вариант не укладывается в бюджет {budget} (самый дешёвый стоит {cheapest} за "
        "горизонт); увеличьте бюджет"),
    "allocation_cannot_run": (
        "the allocation {allocation} cannot run: {why}; narrow the ranges",
        "распределение {allocation} невозможно: {why}; сузьте диапазоны"),
    "nothing_fits_constraints": (
        "no allocation tried fits the constraints (budget {monthly} a month, {total} over the "
        "horizon, cash floor {floor}): raise the budget, lower the floor or widen the ranges "
        "downwards",
        "ни одно из проверенных распределений не укладывается в ограничения (бюджет {monthly} "
        "в месяц, {total} за горизонт, минимум денег {floor}): увеличьте бюджет, снизьте "
        "минимум или расширьте диапазоны вниз"),
}


def amount(value: float | None) -> Message:
    """A sum of money in a message: 1,234,567 in English, 1 234 567 in Russian; None: a dash."""
    if value is None or value == 0:
        return Message("-", "—")
    text = f"{value:,.0f}"
    return Message(text, text.replace(",", "\u00a0"))


def names(items: list[str]) -> Message:
    """Names from a scenario, listed: plain in English, as code in Russian (they are typed as
    they are, not translated)."""
    return Message(", ".join(items) or "—", ", ".join(f"`{x}`" for x in items) or "—")


def msg(message_key: str, /, **values: Any) -> Message:
    """The message `message_key` in both languages, with `values` formatted in (a value that is
    itself a `Message` goes in in each language)."""
    en, ru = MESSAGES[message_key]
    ru_values = {k: v.ru if isinstance(v, Message) else v for k, v in values.items()}
    return Message(en.format(**values), ru.format(**ru_values))
