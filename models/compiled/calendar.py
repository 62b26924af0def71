"""The business's calendar, as numbers for each month of the horizon.

A scenario may say when month 1 is (`start`), a country whose calendar gives each month's working
days (`calendar`), seasonal profiles by calendar month (`seasonality`), a yearly trend in lead
volume (`trend`) and the plan's own changes by month (`schedule`). All of it is turned here into
what the compiled form needs month by month (`models.compiled.form.calendar_timeline`): the
plan's scenario of each month and the month's multipliers. The engines only read the months'
parameters; they know nothing of calendars.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from models.spec.errors import Message
from models.spec.messages import msg, names
from models.spec.params import short_repr
from models.spec.scenario import MONTH_NAMES, Profile, Scenario
from models.words.formats import month_of_year

_START = re.compile(r"^(\d{4})-(\d{2})$")


def has_calendar(spec: Scenario) -> bool:
    """Whether the scenario says anything of a calendar; without one every month is the same
    (and compiles exactly as a scenario written before calendars existed)."""
    s = spec.seasonality
    return bool(spec.start is not None or spec.calendar.country or spec.calendar.working_days
                or spec.schedule or s.leads or s.channels or s.referrals or s.conversion
                or s.purchases or s.churn or not _zero(spec.trend.leads_yearly))


def _zero(value: Any) -> bool:
    return isinstance(value, float) and value == 0.0


def parse_start(value: Any) -> tuple[int, int] | None:
    """(year, month) of `start` ("2027-01"), or None if it is not a month."""
    if isinstance(value, str):
        match = _START.match(value.strip())
        if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1:
            return int(match.group(1)), int(match.group(2))
    return None


def month_of(start: tuple[int, int], m: int) -> tuple[int, int]:
    """(year, calendar month 1..12) of 0-based month `m` of the horizon."""
    index = start[0] * 12 + start[1] - 1 + m
    return index // 12, index % 12 + 1


def known_country(code: str) -> bool:
    """Whether the `holidays` package has a calendar for this country code."""
    import holidays

    return code.upper() in holidays.list_supported_countries()


@functools.lru_cache(maxsize=4096)
def country_working_days(country: str, year: int, month: int) -> int:
    """Working days of a calendar month in a country: Monday to Friday less public holidays,
    plus the weekend days the country's calendar makes working days (Russia's transfers of days
    off, where the `holidays` package knows them)."""
    import holidays

    calendar = holidays.country_holidays(country.upper(), years=year)
    first = datetime.date(year, month, 1)
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1))
    # the package's own rule (its weekend, holidays and weekend days made working by a
    # transfer of a day off) where it has one; else Monday to Friday less holidays
    working = getattr(calendar, "is_working_day", None) or (
        lambda day: day.weekday() < 5 and day not in calendar)
    return sum(bool(working(first + datetime.timedelta(days=k))) for k in range(last.day))


@dataclass(frozen=True, slots=True)
class MonthFactors:
    """What the calendar does to one month's plan: multipliers of each channel's leads (season
    and trend), of referral leads, first-contact conversion, purchase frequency and churn, and
    the month's working days (None: the plan's `sales.working_days_per_month`)."""

    channel_leads: tuple[float, ...]
    referrals: float
    conversion: float
    purchases: float
    churn: float
    working_days: float | None


def month_factors(spec: Scenario, m: int) -> MonthFactors:
    """The calendar's multipliers for 0-based month `m` of a concrete spec (no uncertain value
    left), checked at load (`calendar_problems`)."""
    start = parse_start(spec.start)
    cal_month = None if start is None else month_of(start, m)[1] - 1
    seasons = spec.seasonality

    def season(profile: Profile | None) -> float:
        if profile is None or cal_month is None:
            return 1.0
        return profile.multipliers()[cal_month]

    growth = float(spec.trend.leads_yearly)
    trend = 1.0 if growth == 0.0 else (1.0 + growth) ** (m / 12.0)
    leads = season(seasons.leads)
    channels = tuple(
        (season(seasons.channels[c.name]) if c.name in seasons.channels else leads) * trend
        for c in spec.channels)
    referrals = season(seasons.referrals) if seasons.referrals is not None else leads
    working_days: float | None = spec.calendar.working_days.get(m + 1)
    if working_days is None and spec.calendar.country and start is not None:
        working_days = float(country_working_days(spec.calendar.country, *month_of(start, m)))
    return MonthFactors(channels, referrals, season(seasons.conversion),
                        season(seasons.purchases), season(seasons.churn), working_days)


def plan_key(spec: Scenario, m: int) -> tuple[float | None, ...]:
    """The scheduled values in force in 0-based month `m`, one per scheduled path (None: the
    scenario's own value): months with the same key have the same plan."""
    key: list[float | None] = []
    for by_month in spec.schedule.values():
        value = None
        for month in sorted(by_month):
            if month <= m + 1:
                value = by_month[month]
        key.append(value)
    return tuple(key)


def plan_raw(raw: dict[str, Any], spec: Scenario, key: tuple[float | None, ...]) -> dict[str, Any]:
    """The raw scenario `raw` (a dump of `spec`) with the scheduled values of `key` set: the
    plan of the months with that key, without its schedule (it is in force)."""
    from models.compiled.units import is_whole_number, whole_number
    from models.spec.paths import set_path

    out = dict(raw)
    for path, value in zip(spec.schedule, key, strict=True):
        if value is None:
            continue
        top = path.split(".", 1)[0]
        out[top] = _deep_copy(out[top])
        set_path(out, path, whole_number(value) if is_whole_number(path) else value, Scenario)
    out["schedule"] = {}
    return out


def _deep_copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _deep_copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_deep_copy(v) for v in node]
    return node


def profile_fields(spec: Scenario) -> list[tuple[str, Profile]]:
    """Every seasonal profile of the scenario with its path (`seasonality.leads`, ...)."""
    s = spec.seasonality
    found = [(f"seasonality.{name}", getattr(s, name))
             for name in ("leads", "referrals", "conversion", "purchases", "churn")
             if getattr(s, name) is not None]
    found += [(f"seasonality.channels.{name}", p) for name, p in s.channels.items()]
    return found


def amplitude_range(profile: Profile) -> tuple[float, float]:
    """The lowest and highest amplitude a profile can take (its distribution's range)."""
    from models.spec.distributions import _Dist

    a = profile.amplitude
    if isinstance(a, _Dist):
        lo, hi = a.support()
        return float(lo), float(hi)
    return float(a), float(a)


def month_name_index(name: Any) -> int | None:
    """0-based calendar month of a month's name (jan, January, янв is not accepted), or None."""
    if not isinstance(name, str):
        return None
    short = name.strip().lower()[:3]
    return MONTH_NAMES.index(short) if short in MONTH_NAMES and (
        len(name.strip()) == 3 or name.strip().lower() == _FULL[MONTH_NAMES.index(short)]
    ) else None


_FULL = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december")


def is_finite(x: float) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _month_label(i: int) -> Message:
    """The month of the year `i` (0 = January) in both languages, as the calendar names it."""
    return Message(month_of_year(i + 1, "en"), month_of_year(i + 1, "ru"))


def calendar_problems(spec: Scenario) -> list[tuple[str, str]]:
    """What is wrong with the scenario's calendar, as (field, message in both languages)."""
    problems: list[tuple[str, str]] = []
    horizon = spec.horizon_months
    if spec.start is not None and parse_start(spec.start) is None:
        got = spec.start.isoformat() if isinstance(spec.start, datetime.date) else spec.start
        problems.append(("start", msg("start_not_month", got=repr(got))))
    has_start = spec.start is not None
    country = spec.calendar.country
    if country is not None:
        if not known_country(country):
            problems.append(("calendar.country", msg("unknown_country", code=country)))
        elif not has_start:
            problems.append(("calendar.country", msg("calendar_needs_start",
                                                     what=msg("what_country_calendar"))))
    for month, days in spec.calendar.working_days.items():
        where = f"calendar.working_days.{month}"
        if not 1 <= month <= horizon:
            problems.append((where, msg("month_beyond_horizon", month=month, horizon=horizon)))
        elif not (is_finite(days) and 1 <= days <= 31):
            problems.append((where, msg("working_days_range", month=month, got=f"{days:g}")))
    profiles = profile_fields(spec)
    if profiles and not has_start:
        problems.append(("seasonality", msg("calendar_needs_start",
                                            what=msg("what_seasonality"))))
    channels = [c.name for c in spec.channels]
    for name in spec.seasonality.channels:
        if name not in channels:
            problems.append((f"seasonality.channels.{name}",
                             msg("season_unknown_channel", name=name, known=names(channels))))
    for where, profile in profiles:
        problems += [(f"{where}.{at}" if at else where, what)
                     for at, what in _profile_problems(profile)]
    problems += _schedule_problems(spec)
    return problems


def _profile_problems(profile: Profile) -> list[tuple[str, Message]]:
    months = profile.months
    if isinstance(months, dict):
        pairs = []
        for name, value in months.items():
            i = month_name_index(name)
            if i is None:
                return [(str(name), msg("profile_month_name", name=str(name)))]
            pairs.append((i, value))
    else:
        if len(months) != 12:
            return [("", msg("profile_length", n=len(months)))]
        pairs = list(enumerate(months))
    for i, value in pairs:
        if not is_finite(value):
            return [("", msg("profile_not_number", month=_month_label(i), got=repr(value)))]
        if value < 0:
            return [("", msg("profile_negative", month=_month_label(i), got=f"{value:g}"))]
    if isinstance(months, list):
        mean = sum(months) / 12
        if abs(mean - 1.0) > 0.005:  # two-decimal multipliers can always average 1 exactly
            return [("", msg("profile_mean", mean=f"{mean:.4g}"))]
    lowest = min(pairs, key=lambda p: p[1])
    _, high = amplitude_range(profile)
    if lowest[1] < 1 and 1 + high * (lowest[1] - 1) < 0:
        limit = 1 / (1 - lowest[1])
        return [("amplitude", msg("amplitude_negative", amplitude=f"{high:g}",
                                  month=_month_label(lowest[0]),
                                  got=f"{1 + high * (lowest[1] - 1):.3g}",
                                  limit=f"{limit:.3g}"))]
    return []


def _schedule_problems(spec: Scenario) -> list[tuple[str, str]]:
    from pydantic import ValidationError

    from models.spec.messages_ru import bilingual
    from models.spec.paths import PathError, get_value, set_path

    problems: list[tuple[str, str]] = []
    horizon = spec.horizon_months
    raw = spec.model_dump(by_alias=True)
    for path, by_month in spec.schedule.items():
        where = f"schedule.{path}"
        try:
            set_path(_deep_copy(raw), path, 0.0, Scenario)
            current = get_value(raw, path)
        except PathError as err:
            problems.append((where, err.message if isinstance(err.message, Message)
                             else bilingual(err.message)))
            continue
        if isinstance(current, bool) or not (current is None or isinstance(current, int | float)
                                             or (isinstance(current, dict) and "dist" in current)):
            problems.append((where, msg("schedule_not_number", path=path,
                                        got=short_repr(current))))
            continue
        for month, value in by_month.items():
            if not 1 <= month <= horizon:
                problems.append((f"{where}.{month}", msg("month_beyond_horizon", month=month,
                                                         horizon=horizon)))
            elif not is_finite(value):
                problems.append((f"{where}.{month}", msg("schedule_value_not_number",
                                                         month=month, got=repr(value))))
    if problems:
        return problems
    for path, by_month in spec.schedule.items():  # each value must be valid where it goes
        for month, value in by_month.items():
            trial = _deep_copy(raw)
            trial["schedule"] = {}
            set_path(trial, path, value, Scenario)
            try:
                Scenario.model_validate(trial)
            except ValidationError as err:
                first = err.errors()[0]
                why = bilingual(str(first["msg"]).removeprefix("Value error, "))
                problems.append((f"schedule.{path}.{month}",
                                 msg("schedule_bad_value", month=month, why=why)))
    return problems
