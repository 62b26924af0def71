"""Russian text of a scenario problem: the loader's messages, phrase by phrase, in one table.

The loader builds its messages in English from a few fixed phrases (pydantic's error types
explained in `models.load._explain`, the parameter checks of `models.spec.params`, the
model checks of `models.spec.scenario`) with names and numbers between them. Translating the
phrases, not whole messages, keeps the loader's code as it is: `bilingual(text)` is the
`Message` with both texts. A phrase not in the table stays English, and the app's Russian-mode
test (`tests/test_app.py`) finds it on the page.
"""

from __future__ import annotations

import re

from models.spec.errors import Message

# English phrase -> Russian, longest first where one contains another. Names (paths,
# parameters such as low/mode/high, YAML keywords) and numbers pass through untouched.
_PHRASES: tuple[tuple[str, str], ...] = (
    # models.load._explain (pydantic's error types)
    ("required but missing; add it", "обязательный параметр не задан; добавьте его"),
    ("unknown parameter; ", "неизвестный параметр; "),
    ("did you mean ", "может быть, имелось в виду "),
    ("fix or remove it (`growthsim schema` lists the names)",
     "исправьте или удалите его (имена перечисляет `growthsim schema`)"),
    ("must be at least ", "должно быть не меньше "),
    ("must be greater than ", "должно быть больше "),
    ("must be at most ", "должно быть не больше "),
    ("must be less than ", "должно быть меньше "),
    ("; change it", "; измените"),
    ("must be one of ", "должно быть одним из: "),
    ("must be a 3-letter ISO 4217 code such as RUB, USD or EUR",
     "нужен трёхбуквенный код валюты ISO 4217, например RUB, USD или EUR"),
    ("needs at least ", "нужно хотя бы "),
    (" item(s), got none; add one", " (элементов), не задано ни одного; добавьте"),
    ("must be a YAML list (one '- name: ...' item per line)",
     "должно быть списком YAML (по элементу «- name: ...» в строке)"),
    ("must be a group of parameters (a YAML mapping, 'key: value' on indented lines)",
     "должно быть группой параметров (словарь YAML: «ключ: значение» на строках с отступом)"),
    ("a mapping", "словарь"),
    ("a list", "список"),
    ("must be a whole number", "должно быть целым числом"),
    ("must be a finite number", "должно быть конечным числом"),
    ("must be true or false", "должно быть true или false"),
    ("must be text", "должно быть текстом"),
    # models.load: reading the file
    ("not valid YAML", "не YAML"),
    ("; check indentation and colons there", "; проверьте там отступы и двоеточия"),
    ("the file is empty (or only comments); a scenario needs at least name:, channels:, "
     "journey:, tiers:",
     "файл пуст (или в нём только комментарии); сценарию нужны хотя бы name:, channels:, "
     "journey:, tiers:"),
    ("a scenario must be a YAML mapping (name:, channels:, journey:, tiers: ... at the left "
     "margin), got ",
     "сценарий должен быть словарём YAML (name:, channels:, journey:, tiers: ... у левого края), "
     "а задано "),
    ("a list (lines starting with '- ')", "список (строки, начинающиеся с «- »)"),
    ("a single line of text", "одна строка текста"),
    ("a single value", "одно значение"),
    ("; see scenarios/reference.yaml", "; образец: scenarios/reference.yaml"),
    ("is a folder, not a scenario file; give the path of a .yaml file, e.g. "
     "scenarios/reference.yaml",
     "это папка, а не файл сценария; укажите путь к файлу .yaml, например "
     "scenarios/reference.yaml"),
    ("file not found; check the path", "файл не найден; проверьте путь"),
    ("file larger than 5 MB; is it a scenario?", "файл больше 5 МБ; это точно сценарий?"),
    ("not UTF-8 text; save it as UTF-8", "текст не в UTF-8; сохраните файл в UTF-8"),
    ("cannot read the file", "не удаётся прочитать файл"),
    ("; check its permissions", "; проверьте права доступа"),
    ("(from the override ", "(из правки "),
    ("(in the override ", "(в правке "),
    # models.spec.params: numbers and distributions
    ("must lie in ", "должно лежать в "),
    ("must be >= ", "должно быть ≥ "),
    ("must be > ", "должно быть > "),
    ("a probability or share is a fraction", "вероятность или доля пишется дробью"),
    ("money, counts and times cannot be negative",
     "деньги, количества и сроки не бывают отрицательными"),
    ("raise it above ", "увеличьте выше "),
    ("raise it to ", "увеличьте до "),
    (" or more", " или больше"),
    ("lower it to ", "уменьшите до "),
    (" or less", " или меньше"),
    ("; round it", "; округлите"),
    ("this distribution has no finite range; give it finite parameters",
     "у этого распределения нет конечного диапазона; задайте конечные параметры"),
    ("this distribution ranges over ", "это распределение охватывает "),
    (" but the value ", ", а значение "),
    ("narrow it", "сузьте его"),
    ("(e.g. use beta for a probability)", "(например, beta для вероятности)"),
    ("(e.g. use lognormal for an amount above 0)", "(например, lognormal для величины больше 0)"),
    ("expected a number or a distribution", "ожидается число или распределение"),
    ("expected a finite number", "ожидается конечное число"),
    ("expected a number, got NaN", "ожидается число, а задано NaN"),
    ("; write a number", "; укажите число"),
    ("write a share as a fraction, e.g. 0.1 for 10%", "пишите долю дробью, например 0.1 для 10%"),
    ("write a share as a fraction: ", "пишите долю дробью: "),
    ("write the number alone, without units or currency",
     "пишите только число, без единиц и валюты"),
    ("write it without thousands separators (1000000 or 1_000_000)",
     "пишите без разделителей разрядов (1000000 или 1_000_000)"),
    ("write a number, or a distribution such as ", "укажите число или распределение, например "),
    ("give it a value or remove the line", "задайте значение или удалите строку"),
    ("write a number (true/false is not one)", "укажите число (true/false — не число)"),
    ("for an uncertain value write ", "для неопределённого значения пишите "),
    ("is too large; is it a typo?", "слишком велико; нет ли опечатки?"),
    ("a distribution needs 'dist:' set to one of ", "распределению нужно «dist:» — одно из: "),
    ("unknown distribution ", "неизвестное распределение "),
    ("; use one of ", "; используйте одно из: "),
    ("bad ", "неверное распределение "),
    (" distribution: ", ": "),
    (" takes ", " задаётся параметрами "),
    (" as finite numbers", " (конечные числа)"),
    ("(a value in (0, 1))", "(значение в (0, 1))"),
    ("(a value > 0)", "(значение > 0)"),
    ("unknown parameter ", "неизвестный параметр "),
    (" is missing", " не задан"),
    # models.spec.distributions
    ("needs low <= mode <= high and low < high", "нужно low <= mode <= high и low < high"),
    ("needs low < high", "нужно low < high"),
    ("sd must be below ", "sd должно быть меньше "),
    (" for a beta with mean ", " для beta со средним "),
    # models.spec.scenario: checks across fields
    ("monthly_churn_no_result cannot be combined with sbg churn (each client draws one churn "
     "probability, brought to result or not): remove it",
     "monthly_churn_no_result нельзя сочетать с оттоком sbg (каждый клиент получает одну "
     "вероятность ухода, доведён он до результата или нет): уберите его"),
    ("spend_p, spend_q and spend_gamma go together: give all or none",
     "spend_p, spend_q и spend_gamma задаются вместе: все или ни одного"),
    ("x, t_x, T and monetary_value need one entry per customer",
     "x, t_x, T и monetary_value нужны по одному значению на клиента"),
    ("customer ", "клиент "),
    ("need whole x >= 0 and 0 <= t_x <= T (t_x = 0 when x = 0)",
     "нужно целое x >= 0 и 0 <= t_x <= T (t_x = 0 при x = 0)"),
    ("a change needs exactly one of set, scale, add or append",
     "изменению нужно ровно одно из set, scale, add или append"),
    ("append adds an item to ", "append добавляет элемент в "),
    (", not to ", ", а не в "),
    ("; write path: channels or path: tiers", "; пишите path: channels или path: tiers"),
    (" is before start_month ", " раньше start_month "),
    ("swap them or remove end_month", "поменяйте их местами или удалите end_month"),
    ("names must be unique, repeated: ", "имена должны быть уникальны, повторяются: "),
    ("rename or merge the repeated items", "переименуйте или объедините повторы"),
    (" values must add up to 1 (they add up to ", " в сумме должны давать 1 (сейчас "),
    ("change them so they do", "исправьте их"),
    ("unknown name ", "неизвестное имя "),
    ("; choose one of ", "; выберите одно из: "),
    (" is after the horizon ", " позже горизонта "),
    (" months)", " мес.)"),
    ("start it earlier", "начните раньше"),
    ("lower it or lengthen horizon_months", "уменьшите его или увеличьте horizon_months"),
    (" has no `buying` block; add the one `calibrate transactions` wrote",
     " нет блока `buying`; добавьте тот, что записал `calibrate transactions`"),
    ("tier ", "у ступени "),
    ("the ", ""),
    (" and ", " и "),
    (" or ", " или "),
    (", got ", ", задано "),
    ("(got ", "(задано "),
    (" for ", " для "),
    ("none", "ничего"),
)
_PATTERN = re.compile("|".join(re.escape(en) for en, _ in _PHRASES))
_RU = dict(_PHRASES)


# What stays Latin in a Russian message is a name from the file or a YAML keyword: shown as
# code (`horizon_months`), so it reads as "type this" rather than as untranslated English.
_KEYWORDS = frozenset({"low", "mode", "high", "mean", "sd", "dist", "set", "scale", "add",
                       "append", "path", "true", "false", "name", "channels", "tiers", "journey",
                       "beta", "pert", "triangular", "lognormal", "uniform", "x", "T", "none",
                       "or", "and", "buying", "sqrt"})
_NAME = re.compile(r"'[^'\n]*'|\[[^\]\n]*'[^\]\n]*\]|[A-Za-z_][A-Za-z0-9_*]*(?:\.[A-Za-z0-9_*]+)*"
                   r"(?:\([^)\n]*\))?")


def _as_code(segment: str) -> str:
    def wrap(m: re.Match[str]) -> str:
        token = m.group(0)
        bare = token.split("(")[0]
        if (token.startswith(("'", "[")) or "_" in bare or "." in bare or bare in _KEYWORDS
                or ("(" in token and bare.isascii() and bare.isalpha())):
            return f"`{token}`"
        return token
    return _NAME.sub(wrap, segment)


def russian(text: str) -> str:
    """`text`, a loader message, with each known phrase in Russian (one pass, left to right,
    so a translated phrase is never translated again), names from the file as code."""
    ru = _PATTERN.sub(lambda m: _RU[m.group(0)], text)
    parts = ru.split("`")  # odd parts are code already
    return "`".join(p if i % 2 else _as_code(p) for i, p in enumerate(parts))


def bilingual(text: str) -> Message:
    """The loader's English message as a `Message` that also carries its Russian text."""
    if isinstance(text, Message):
        return text
    return Message(text, russian(text))


def bilingual_problems(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(where, bilingual(what)) for where, what in problems]
