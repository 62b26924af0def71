"""How numbers, money, percentages and months are written in each language, by Babel (CLDR).

The one module of formats: the scenario's messages, the report, the CLI and the app write every
figure through these functions, so a figure looks the same wherever it appears. The patterns are
the locale's own (CLDR, through Babel): "1 234 567 ₽" and "RUB 1,234,567", "12 %" and "12%",
"40 млн ₽" and "RUB 40M". Two rules are ours, on top of CLDR's patterns:

- the number of decimals is the caller's (a count is whole, a rate has one or two decimals), not
  the currency's two;
- a compact amount is written short only from a million up ("RUB 746,681", not "RUB 747K"): an
  owner reads thousands in full, and a column of amounts keeps one scale (`money_column`).

Between an ISO code and the digits CLDR's currency-spacing rule puts a no-break space
("RUB 40M"); Babel does not apply that rule, so `_spaced` does. Every space inside a figure is
a no-break space, so a figure never wraps across lines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from functools import cache

from babel import Locale
from babel.dates import format_date, get_month_names
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

from models.words import Lang, has, t

_NBSP = "\u00a0"
DASH = "—"  # a figure that is not defined (NaN, None)
# The scales a compact amount is written at: millions, then billions.
_SCALES = (1_000_000, 1_000_000_000)
_NUMBER_PART = re.compile(r"[#0,]*0(?:\.0+)?")


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


@cache
def _locale(lang: Lang) -> Locale:
    return Locale.parse(lang)


def _digits(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _with_digits(pattern: str, decimals: int) -> str:
    """The locale's `pattern` with its number written to `decimals` places (one sub-pattern:
    Babel derives the negative one with the locale's minus sign)."""
    positive = pattern.split(";")[0]
    return _NUMBER_PART.sub(_digits(decimals), positive, count=1)


def _spaced(pattern: str, symbol: str) -> str:
    """CLDR's currency spacing: a no-break space between a symbol that ends (or begins) with a
    letter, such as an ISO code, and the digits beside it ("RUB 40M", not "RUB40M")."""
    if symbol[:1].isalpha():
        pattern = re.sub(r"(\d|#)¤", "\\1" + _NBSP + "¤", pattern)
    if symbol[-1:].isalpha():
        pattern = re.sub(r"¤([#0])", "¤" + _NBSP + "\\1", pattern)
    return pattern


def _unsigned_zero(x: float, decimals: int) -> float:
    """0.0 for an amount that rounds to zero: never "-0" in front of an owner."""
    return 0.0 if round(x, decimals) == 0 else x


def number(x: float | None, lang: Lang, decimals: int = 0) -> str:
    """A count or plain number in `lang` ("1,234,567.5" / "1 234 567,5"); "—" where it is not
    defined (NaN or None)."""
    if _missing(x):
        return DASH
    assert x is not None
    value = _unsigned_zero(float(x), decimals)
    return format_decimal(value, format=_digits(decimals), locale=_locale(lang),
                          decimal_quantization=True)


def percent(x: float | None, lang: Lang, decimals: int = 0) -> str:
    """A share (0.12) as a percentage in `lang`: "12%" / "12 %"."""
    if _missing(x):
        return DASH
    assert x is not None
    pattern = _with_digits(_locale(lang).percent_formats[None].pattern, decimals)
    return format_percent(_unsigned_zero(float(x), decimals + 2), format=pattern,
                          locale=_locale(lang))


def currency_symbol(currency: str, lang: Lang) -> str:
    """The currency as `lang` writes it beside an amount: "₽" / "RUB", "$" in both."""
    return str(get_currency_symbol(currency, locale=_locale(lang)))


def currency_name(currency: str, lang: Lang) -> str:
    """The currency in words ("рубли"), or its symbol when the catalogue has no word for it."""
    key = f"currency.{currency}"
    return t(key, lang) if has(key) else currency_symbol(currency, lang)


def _currency(x: float, currency: str, lang: Lang, pattern: str, decimals: int) -> str:
    pattern = _spaced(_with_digits(pattern, decimals), currency_symbol(currency, lang))
    return format_currency(_unsigned_zero(x, decimals), currency, format=pattern,
                           locale=_locale(lang), currency_digits=False)


def _at_scale(x: float, scale: int, decimals: int, currency: str, lang: Lang) -> str:
    """An amount written at `scale` (a million, a billion) with the locale's compact pattern."""
    pattern = _locale(lang).compact_currency_formats["short"]["other"][str(scale)].pattern
    return _currency(x / scale, currency, lang, pattern, decimals)


def money(x: float | None, currency: str, lang: Lang, decimals: int = 0,
          compact: bool = False) -> str:
    """Money in the scenario's currency: "1 234 567 ₽" in Russian, "RUB 1,234,567" in English;
    `compact` writes millions and billions short ("RUB 1.2M", "1,2 млн ₽") for headline cards
    and tables (below a million in full)."""
    if _missing(x):
        return DASH
    assert x is not None
    value = float(x)
    if compact:
        for scale in reversed(_SCALES):
            if abs(value) >= scale:
                return _at_scale(value, scale, 1, currency, lang)
    pattern = _locale(lang).currency_formats["standard"].pattern
    return _currency(value, currency, lang, pattern, decimals)


def money_column(values: Sequence[float | None], currency: str, lang: Lang) -> list[str]:
    """Money for one column of a table, short and at one scale (millions, or billions when all
    are), so that "-RUB 0.7M" stands beside "-RUB 2.2M" (not "-RUB 746,681"); a column below a
    million in full."""
    finite = [abs(float(v)) for v in values if v is not None and not _missing(v)]
    low = min((x for x in finite if x > 0), default=0.0)
    if low >= _SCALES[1]:
        scale = _SCALES[1]
    elif max(finite, default=0.0) >= _SCALES[0]:
        scale = _SCALES[0]
    else:
        return [money(v, currency, lang) for v in values]
    out = []
    for v in values:
        if _missing(v):
            out.append(DASH)
            continue
        x = float(v)  # type: ignore[arg-type]
        out.append(_at_scale(x, scale, 1 if abs(x) >= scale / 10 or x == 0 else 2, currency,
                             lang))
    return out


def size_text(x: float | None, lang: Lang) -> str:
    """A size (a budget, a count, a rate) as a number in `lang`: whole above 100, else at most
    three significant digits ("4,066,406", "0.35"); never in exponent notation."""
    if _missing(x):
        return DASH
    assert x is not None
    if abs(x) >= 100 or float(x).is_integer():
        return number(round(x), lang)
    digits = max(0, 2 - math.floor(math.log10(abs(x)))) if x else 0
    return format_decimal(_unsigned_zero(x, digits), format="#,##0." + "#" * digits,
                          locale=_locale(lang), decimal_quantization=True)


def significant(x: float | None, lang: Lang, digits: int = 3) -> str:
    """A statistical estimate to `digits` significant digits in `lang` ("0.121" / "0,121",
    "23.8"), trailing zeros dropped; "n/a"-like dash where it is not defined."""
    if _missing(x) or not math.isfinite(float(x)):  # type: ignore[arg-type]
        return DASH
    assert x is not None
    if x == 0:
        return number(0, lang)
    places = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return format_decimal(round(x, places), format="#,##0." + "#" * places if places else "#,##0",
                          locale=_locale(lang), decimal_quantization=True)


def short_number(x: float | None, lang: Lang) -> str:
    """A large figure whose currency a table does not know, in millions or billions as compact
    money writes them ("31.7M", "31,7 млн"); smaller ones whole."""
    if _missing(x):
        return DASH
    assert x is not None
    for scale in reversed(_SCALES):
        if abs(x) >= scale:
            pattern = _locale(lang).compact_decimal_formats["short"]["other"][str(scale)].pattern
            return format_decimal(x / scale, format=_with_digits(pattern, 1),
                                  locale=_locale(lang), decimal_quantization=True)
    return number(x, lang)


def money_ticks(low: float, high: float, currency: str, lang: Lang,
                count: int = 5) -> tuple[list[float], list[str]]:
    """About `count` round tick values over [low, high] and their labels in the language's
    money format with the scale written out ("40 млн ₽", "RUB 40M"), for plotly's tickvals /
    ticktext: plotly's own SI suffixes ("40M", "6B") read as English in either language."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    values = []
    v = math.floor(low / step) * step
    while v <= high + step * 1e-9:
        values.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    top = max(abs(x) for x in values) or 1.0
    scale = next((s for s in reversed(_SCALES) if top >= s), 1)
    decimals = 0
    while decimals < 3 and any(abs(round(x / scale, decimals) - x / scale) > 1e-9
                               for x in values):
        decimals += 1
    labels = []
    for x in values:
        if x == 0:
            labels.append("0")
        elif scale > 1:
            labels.append(_at_scale(x, scale, decimals, currency, lang))
        else:
            labels.append(money(x, currency, lang, decimals))
    return values, labels


def month_name(year: int, month: int, lang: Lang) -> str:
    """A calendar month as the owner's calendar says it ("Jan 2027" / "янв. 2027")."""
    return format_date(date(year, month, 1), "LLL y", locale=_locale(lang)).replace(" ", _NBSP)


def month_of_year(month: int, lang: Lang) -> str:
    """A month of the year on its own ("January" / "январь"), CLDR's stand-alone name."""
    return str(get_month_names("wide", "stand-alone", locale=_locale(lang))[month])


def sign(x: float, lang: Lang) -> str:
    """The sign `lang` writes before a change: plus for a rise, minus for a fall (CLDR's)."""
    return (get_plus_sign_symbol if x > 0 else get_minus_sign_symbol)(_locale(lang))


def plotly_separators(lang: Lang) -> str:
    """Plotly's `separators` for `lang` (the decimal mark, then the thousands separator), so a
    chart's axis writes numbers as the tables do."""
    return get_decimal_symbol(_locale(lang)) + get_group_symbol(_locale(lang))


def parse_number(text: str, lang: Lang) -> float | None:
    """A number as a person writes it in `lang`: "27 000 000", "27,000,000", "2,5" (Russian
    decimal comma), "1.5"; None when it is not one."""
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


def duration(seconds: float, lang: Lang) -> str:
    """A time left, rounded: "40 s" / "3 min"."""
    if seconds < 90:  # to 5 s above 10 s: the pace of the first runs is a rough guide
        n = round(seconds / 5.0) * 5 if seconds > 10 else math.ceil(seconds)
        return t("app.seconds", lang, n=max(1, n))
    return t("app.minutes", lang, n=math.ceil(seconds / 60))
