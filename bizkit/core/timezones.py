"""Time is stored in UTC; these helpers convert at the edges to the company's zone."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import format_date, format_datetime, get_datetime_format, parse_pattern


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/")))


def is_valid_timezone(name: str) -> bool:
    return name in all_timezones() or name == "UTC"


def to_local(value: dt.datetime, zone: str) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(zone))


def format_local_datetime(value: dt.datetime | None, zone: str, locale: str, fmt="medium") -> str:
    if value is None:
        return ""
    local = to_local(value, zone)
    if fmt not in ("short", "medium"):  # long and full name the zone: Babel does it all
        return format_datetime(local, format=fmt, tzinfo=ZoneInfo(zone), locale=locale)
    # What Babel's format_datetime does for these formats, with the date part and the time
    # part each formatted once per value and kept: a list of fifty orders shows a handful
    # of days and often the same minute, and Babel's pattern application (~60 µs a
    # datetime here) was the largest cost of rendering a row.
    joined = _datetime_joiner(locale, fmt)
    seconds = local.second if fmt == "medium" else 0
    return joined.replace(
        "{0}", _time_part(locale, fmt, local.hour, local.minute, seconds)
    ).replace("{1}", _date_part(locale, fmt, local.date()))


@lru_cache(maxsize=64)
def _datetime_joiner(locale: str, fmt: str) -> str:
    return get_datetime_format(fmt, locale=locale).replace("'", "")


@lru_cache(maxsize=8192)
def _date_part(locale: str, fmt: str, day: dt.date) -> str:
    return format_date(day, format=fmt, locale=locale)


@lru_cache(maxsize=8192)
def _time_part(locale: str, fmt: str, hour: int, minute: int, second: int) -> str:
    parsed = Locale.parse(locale)
    pattern = parse_pattern(parsed.time_formats[fmt])
    return pattern.apply(dt.time(hour, minute, second), parsed)


def format_local_date(value: dt.date | dt.datetime | None, zone: str, locale: str, fmt="medium"):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value, zone).date()
    return format_date(value, format=fmt, locale=locale)
