"""Time is stored in UTC; these helpers convert at the edges to the company's zone."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_date, format_datetime


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
    return format_datetime(to_local(value, zone), format=fmt, tzinfo=ZoneInfo(zone), locale=locale)


def format_local_date(value: dt.date | dt.datetime | None, zone: str, locale: str, fmt="medium"):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value, zone).date()
    return format_date(value, format=fmt, locale=locale)
