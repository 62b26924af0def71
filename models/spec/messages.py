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
    # -- options of every command (sim.cli.common) ---------------------------------------------
    "option_not_finite": (
        "{option} {value}: not a number; give a finite number, e.g. {option} {example}",
        "{option} {value}: это не число; укажите конечное число, например {option} {example}"),
    "option_part_not_finite": (
        "{option} {text!r}: {part} is not a number; write finite numbers there (not nan or "
        "inf)",
        "{option} {text!r}: {part} — это не число; запишите там конечные числа (не nan и не "
        "inf)"),
    "option_too_long": (
        "{what} is {length:,} characters long; at most {limit:,} are shown: shorten it",
        "{what} длиной {length:,} символов; показывается не больше {limit:,}: сократите его"),
    "work_too_long": (
        "{what}: {runs:,} runs, about {estimate} on this machine, more than the limit of a day; "
        "make it smaller ({fix}) or pass --no-time-limit to run it anyway",
        "{what}: {runs:,} прогонов, около {estimate} на этой машине, больше предела в сутки; "
        "уменьшите объём ({fix}) или передайте --no-time-limit, чтобы всё же запустить"),
    "work_runs": (
        "{what}: {runs:,} runs",
        "{what}: {runs:,} прогонов"),
    "work_estimate": (
        "{what}: {runs:,} runs, about {estimate}",
        "{what}: {runs:,} прогонов, около {estimate}"),
    # -- the results store of a batch (sim.experiments.batch.store) --------------------------------
    "store_file_damaged": (
        "{path} is damaged ({why}); {fix}",
        "файл {path} повреждён ({why}); {fix}"),
    "store_fix_rerun": (
        "run the same growthsim batch again with this --out: it recomputes what is missing",
        "запустите тот же growthsim batch снова с этим --out: он досчитает недостающее"),
    "store_fix_manifest": (
        "the store's description is lost: run the same growthsim batch again with this --out "
        "(finished tasks are kept), or delete the folder",
        "описание хранилища утрачено: запустите тот же growthsim batch снова с этим --out "
        "(готовые задачи сохранятся) или удалите папку"),
    "store_foreign_parts": (
        "{folder}: {n} result file(s) in parts/ belong to no task of its manifest.json (e.g. "
        "{example}): the manifest is another sweep's, or files were copied in; run the batch "
        "that made these results again with this --out, or delete the folder",
        "{folder}: {n} файл(ов) результатов в parts/ не относятся ни к одной задаче из "
        "manifest.json (например, {example}): описание от другого перебора или файлы "
        "скопированы сюда; запустите заново перебор, который их создал, с этим --out, или "
        "удалите папку"),
    "store_empty": (
        "{folder} holds no finished task yet; run growthsim batch with --out {folder} first",
        "в {folder} ещё нет ни одной готовой задачи; сначала запустите growthsim batch с "
        "--out {folder}"),
    "store_locked": (
        "{folder} is in use by another growthsim batch (process {pid}, started {started}); "
        "wait for it to finish, or give another --out",
        "папку {folder} использует другой growthsim batch (процесс {pid}, запущен {started}); "
        "дождитесь его окончания или укажите другую папку в --out"),
    # -- a Dask cluster (sim.experiments.runner.executors) -----------------------------------
    "scheduler_address": (
        "--scheduler {address}: {why}; write it as tcp://HOST:PORT with a port from 1 to 65535, "
        "e.g. tcp://127.0.0.1:8786",
        "--scheduler {address}: {why}; запишите адрес как tcp://ХОСТ:ПОРТ с портом от 1 до "
        "65535, например tcp://127.0.0.1:8786"),
    "scheduler_unreachable": (
        "--scheduler {address}: cannot reach the Dask scheduler ({why}); check the address and "
        "that `dask scheduler` runs there",
        "--scheduler {address}: Dask-планировщик недоступен ({why}); проверьте адрес и что там "
        "запущен `dask scheduler`"),
    "scheduler_silent": (
        "--scheduler {address}: something accepts connections there but no Dask scheduler "
        "answered within {seconds:g} s; check the address and port (the scheduler's port, "
        "usually 8786, not its dashboard's)",
        "--scheduler {address}: по этому адресу принимают соединения, но Dask-планировщик не "
        "ответил за {seconds:g} с; проверьте адрес и порт (порт планировщика, обычно 8786, а "
        "не его панели)"),
    "scheduler_not_dask": (
        "--scheduler {address}: what answered there is not a Dask scheduler ({why}); check the "
        "address and port (the scheduler's port, usually 8786)",
        "--scheduler {address}: по этому адресу ответил не Dask-планировщик ({why}); проверьте "
        "адрес и порт (порт планировщика, обычно 8786)"),
    "scheduler_no_workers": (
        "--scheduler {address}: the scheduler has no workers (none joined within {seconds:g} "
        "s); start some with `dask worker {address}`",
        "--scheduler {address}: у планировщика нет исполнителей (ни один не подключился за "
        "{seconds:g} с); запустите их: `dask worker {address}`"),
    "cluster_lost": (
        "the Dask cluster was lost during the batch ({why}); the finished tasks are in {folder} "
        "and the ones in flight are not recorded as failed: run the same command again when "
        "the cluster is back and it completes the store",
        "связь с кластером Dask потеряна во время перебора ({why}); готовые задачи сохранены в "
        "{folder}, а выполнявшиеся не записаны как неудачные: запустите ту же команду снова, "
        "когда кластер вернётся, и она допишет хранилище"),
    # -- plan vs actual and calibration --------------------------------------------------------
    "actuals_empty": (
        "{path}: every figure is empty; fill in at least one month's figures (leads, "
        "new_clients, revenue, active_clients ...)",
        "{path}: все показатели пусты; заполните показатели хотя бы за один месяц (leads, "
        "new_clients, revenue, active_clients ...)"),
    "start_before_data": (
        "--start {start} is {months} months before the export's first record ({first}); those "
        "months would count as zero; give the first day of the plan's month 1, e.g. --start "
        "{suggest}",
        "--start {start} на {months} мес. раньше первой записи выгрузки ({first}); эти месяцы "
        "считались бы нулевыми; укажите первый день 1-го месяца плана, например --start "
        "{suggest}"),
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
    # -- retention tables (models.calibration.retention) -------------------------------------
    "sbg_not_positive": (
        "{name} of the sBG churn must be above 0 (the shapes of the Beta distribution of "
        "clients' churn probabilities), got {got}",
        "{name} для sBG-оттока должен быть больше 0 (параметры формы бета-распределения "
        "вероятностей оттока клиентов), получено {got}"),
    "bdw_c_not_positive": (
        "c of the beta-discrete-Weibull churn must be above 0 (1: a client's churn does not "
        "change with tenure), got {got}",
        "c для оттока по бета-дискретному Вейбуллу должен быть больше 0 (1: отток клиента не "
        "меняется со стажем), получено {got}"),
    "table_empty": (
        "the file is empty; export the table again with a header row ({columns})",
        "файл пуст; выгрузите таблицу заново со строкой заголовка ({columns})"),
    "table_no_rows": (
        "the file has a header but no rows; add the table's rows ({columns})",
        "в файле есть заголовок, но нет строк; добавьте строки таблицы ({columns})"),
    "table_missing_columns": (
        "the columns {missing} are missing (the header has {found}); the table needs the "
        "columns {needed}",
        "нет столбцов {missing} (в заголовке: {found}); в таблице нужны столбцы {needed}"),
    "table_not_number": (
        "{column} in {rows} is not a number (e.g. {example!r}); write a whole number",
        "{column} в {rows} — не число (например, {example!r}); впишите целое число"),
    "table_not_whole": (
        "{column} in {rows} is not a whole number (e.g. {example}); it counts clients: if "
        "the table holds shares or percentages, multiply them by the cohort's size",
        "{column} в {rows} — не целое число (например, {example}); это число клиентов: если в "
        "таблице доли или проценты, умножьте их на размер когорты"),
    "table_negative": (
        "{column} in {rows} is below 0 (e.g. {example}); it counts clients or periods",
        "{column} в {rows} меньше 0 (например, {example}); это число клиентов или периодов"),
    "table_blank_cohort": (
        "cohort is blank in {rows}; name each row's cohort (e.g. its first month, 2024-01)",
        "cohort не заполнен в {rows}; укажите когорту каждой строки (например, её первый "
        "месяц, 2024-01)"),
    "retention_period_repeated": (
        "period {period}{cohort} appears more than once ({rows}); keep one row per period",
        "период {period}{cohort} встречается больше одного раза ({rows}); оставьте по одной "
        "строке на период"),
    "retention_periods_gap": (
        "the periods must run 0, 1, 2, ... without gaps; period {missing}{cohort} is missing "
        "(the table has {periods}); add its row",
        "периоды должны идти 0, 1, 2, ... без пропусков; нет периода {missing}{cohort} (в "
        "таблице: {periods}); добавьте его строку"),
    "retention_empty_cohort": (
        "survivors in period 0{cohort} (row {row}) is the cohort's size and must be above 0, "
        "got {got}",
        "survivors в периоде 0{cohort} (строка {row}) — размер когорты, он должен быть больше "
        "0, получено {got}"),
    "retention_survivors_increase": (
        "survivors increase from {before} in period {p0} to {after} in period {p1}{cohort} "
        "(row {row}): a cohort can only lose clients, so each period's survivors must be at "
        "most the previous period's; check the row (new clients belong to a new cohort)",
        "survivors растёт с {before} в периоде {p0} до {after} в периоде {p1}{cohort} (строка "
        "{row}): когорта может только терять клиентов, поэтому в каждом периоде клиентов не "
        "больше, чем в предыдущем; проверьте строку (новые клиенты — это новая когорта)"),
    "retention_too_short": (
        "the table has {got} period(s) after period 0{cohort}; fitting the two sBG parameters "
        "needs at least 2 (periods 0, 1, 2): add later periods",
        "в таблице {got} период(а) после периода 0{cohort}; для оценки двух параметров sBG "
        "нужно не меньше 2 (периоды 0, 1, 2): добавьте более поздние периоды"),
    "retention_fit_periods": (
        "--fit-periods {got} must be between 2 and {last} (the table's last period); give a "
        "number in that range or leave it out to fit all periods",
        "--fit-periods {got} должен быть от 2 до {last} (последний период таблицы); укажите "
        "число в этих пределах или не указывайте, чтобы использовать все периоды"),
    "retention_no_churn": (
        "no client left in periods 1..{k}: with no churn at all the sBG parameters are not "
        "determined; fit more periods, or churn is zero and needs no model",
        "в периодах 1..{k} не ушёл ни один клиент: без оттока параметры sBG не определяются; "
        "используйте больше периодов, либо оттока нет и модель не нужна"),
    "retention_all_left": (
        "every client left by period {period}: the sBG parameters are not determined when "
        "nobody survives; check the table, or fit on a longer-lived cohort",
        "к периоду {period} ушли все клиенты: когда не остаётся никого, параметры sBG не "
        "определяются; проверьте таблицу или возьмите когорту, которая живёт дольше"),
    "retention_not_fitted": (
        "the {model} fit did not converge (an estimate ran to the edge of its range); the "
        "table does not determine the parameters: check it, or add periods or customers",
        "оценка {model} не сошлась (параметр ушёл на край допустимого диапазона); таблица не "
        "определяет параметры: проверьте её или добавьте периоды или клиентов"),
    "retention_periods_are_months": (
        "fragment.yaml takes each period (or opportunity) of the table as a month; a table by "
        "years or weeks gives the churn of a year or a week, not a monthly churn",
        "fragment.yaml считает каждый период (или возможность) таблицы месяцем; таблица по "
        "годам или неделям даёт отток за год или неделю, а не месячный отток"),
    "retention_fit_periods_bgbb": (
        "--fit-periods applies to --model sbg only (a BG/BB table has no periods to hold out); "
        "leave it out",
        "--fit-periods относится только к --model sbg (в таблице BG/BB нет периодов, которые "
        "можно отложить); не указывайте его"),
    "retention_weak_parameter": (
        "the table hardly determines {name} (its 95% interval {interval}); treat the fitted "
        "churn with care: a longer table or more clients narrows it",
        "таблица почти не определяет {name} (его 95%-й интервал {interval}); относитесь к "
        "оценке оттока осторожно: более длинная таблица или больше клиентов сузят его"),
    "bgbb_frequency_above_recency": (
        "frequency is above recency in {rows}: recency is the last opportunity with a "
        "transaction, so it is at least the number of transactions; check these rows",
        "frequency больше recency в {rows}: recency — последняя возможность с покупкой, "
        "поэтому она не меньше числа покупок; проверьте эти строки"),
    "bgbb_recency_above_n": (
        "recency is above n in {rows}: the last transaction cannot come after the last "
        "opportunity; check these rows",
        "recency больше n в {rows}: последняя покупка не может быть позже последней "
        "возможности; проверьте эти строки"),
    "bgbb_recency_without_frequency": (
        "recency is above 0 with frequency 0 in {rows}: a customer with no transactions has "
        "recency 0; check these rows",
        "recency больше 0 при frequency 0 в {rows}: у клиента без покупок recency равна 0; "
        "проверьте эти строки"),
    "bgbb_no_opportunities": (
        "n is 0 in {rows}: every customer has at least one opportunity; check these rows",
        "n равно 0 в {rows}: у каждого клиента есть хотя бы одна возможность; проверьте эти "
        "строки"),
    "bgbb_no_customers": (
        "the counts add up to 0 customers; the table needs customers to fit",
        "сумма count равна 0 клиентов; для оценки нужны клиенты"),
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
    # -- the calendar (models.compiled.calendar) -----------------------------------------------
    "start_not_month": (
        "must be a calendar month written YYYY-MM (e.g. 2027-01 for January 2027), got {got}; "
        "write the year and the month only",
        "нужен календарный месяц в виде ГГГГ-ММ (например, 2027-01 — январь 2027), а задано "
        "{got}; укажите только год и месяц"),
    "calendar_needs_start": (
        "{what} needs `start`, the calendar month of month 1; add e.g. start: 2027-01",
        "для {what} нужен `start` — календарный месяц первого месяца; добавьте, например, "
        "start: 2027-01"),
    "unknown_country": (
        "unknown country code {code!r}; write a two-letter ISO 3166 code of a country the "
        "holidays package knows, e.g. RU, US, DE, GB, KZ",
        "неизвестный код страны «{code}»; укажите двухбуквенный код ISO 3166 страны, которую "
        "знает пакет holidays, например RU, US, DE, GB, KZ"),
    "month_beyond_horizon": (
        "month {month} is beyond the horizon ({horizon} months); use months 1 to {horizon}",
        "месяц {month} за пределами горизонта ({horizon} мес.); используйте месяцы с 1 по "
        "{horizon}"),
    "working_days_range": (
        "month {month}: {got} working days; write a number from 1 to 31",
        "месяц {month}: {got} рабочих дней; укажите число от 1 до 31"),
    "profile_length": (
        "needs twelve multipliers, January to December, got {n}; write twelve, or name the "
        "months that differ ({{jan: 0.6, may: 0.9}}, the rest 1)",
        "нужно двенадцать множителей, с января по декабрь, а задано {n}; укажите двенадцать "
        "или назовите только отличающиеся месяцы ({{jan: 0.6, may: 0.9}}, остальные 1)"),
    "profile_month_name": (
        "unknown month {name!r}; name months jan, feb, mar, apr, may, jun, jul, aug, sep, oct, "
        "nov, dec",
        "неизвестный месяц «{name}»; называйте месяцы jan, feb, mar, apr, may, jun, jul, aug, "
        "sep, oct, nov, dec"),
    "profile_not_number": (
        "the multiplier of {month} is {got}, not a number; write a number such as 0.9",
        "множитель для «{month}» — {got}, а не число; укажите число, например 0.9"),
    "profile_negative": (
        "the multiplier of {month} is {got}; a multiplier cannot be negative (0 = nothing that "
        "month, 1 = an ordinary month): write 0 or more",
        "множитель для «{month}» равен {got}; множитель не может быть отрицательным (0 — "
        "ничего в этом месяце, 1 — обычный месяц): укажите 0 или больше"),
    "profile_mean": (
        "the twelve multipliers must average 1 (an ordinary month; the year's level is set by "
        "the scenario's own numbers), they average {mean}; divide each by {mean}",
        "двенадцать множителей должны в среднем давать 1 (обычный месяц; уровень года задают "
        "числа самого сценария), а их среднее {mean}; разделите каждый на {mean}"),
    "amplitude_negative": (
        "an amplitude up to {amplitude} makes the multiplier of {month} negative ({got}); keep "
        "the amplitude at most {limit}",
        "амплитуда до {amplitude} делает множитель для «{month}» отрицательным ({got}); "
        "оставьте амплитуду не больше {limit}"),
    "season_unknown_channel": (
        "no channel named {name!r}; choose one of {known}",
        "нет канала с именем `{name}`; есть: {known}"),
    "schedule_not_number": (
        "{path} is not a number ({got}); a schedule changes numeric parameters only",
        "`{path}` — не число ({got}); расписание меняет только числовые параметры"),
    "schedule_value_not_number": (
        "month {month}: {got} is not a number; write {{month: number}}, e.g. {{7: 4}}",
        "месяц {month}: {got} — не число; пишите {{месяц: число}}, например {{7: 4}}"),
    "schedule_bad_value": (
        "from month {month}: {why}",
        "с {month}-го месяца: {why}"),
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
    "bet_sets_variable": (
        "--bet {bet} changes {path}, which the optimiser already varies (--vary, or the "
        "defaults: each paid channel's budget and the managers); the two would fight over the "
        "same parameter: leave out --bet {bet}, or give --vary without {path}",
        "вариант `{bet}` меняет {path}, а этот параметр оптимизатор уже перебирает сам (--vary "
        "или по умолчанию: бюджет каждого платного канала и число менеджеров); они спорили бы "
        "за один параметр: уберите вариант `{bet}` или задайте --vary без {path}"),
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
