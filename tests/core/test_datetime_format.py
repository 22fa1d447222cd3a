"""The list pages' date-time formatting (bizkit.core.timezones) keeps date and time parts
it already formatted; what it shows must be exactly what Babel shows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from bizkit.config import LOCALES
from bizkit.core.timezones import format_local_datetime, to_local

ZONES = ("UTC", "Europe/Prague", "America/Sao_Paulo", "Asia/Kolkata", "Pacific/Chatham")


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2080, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    zone=st.sampled_from(ZONES),
    locale=st.sampled_from(LOCALES),
    fmt=st.sampled_from(("short", "medium", "long")),
)
def test_same_text_as_babel(moment, zone, locale, fmt):
    expected = format_datetime(
        to_local(moment, zone), format=fmt, tzinfo=ZoneInfo(zone), locale=locale
    )
    assert format_local_datetime(moment, zone, locale, fmt) == expected
    # asked again (now from the kept parts), still the same
    assert format_local_datetime(moment, zone, locale, fmt) == expected


def test_a_naive_datetime_is_taken_as_utc():
    naive = dt.datetime(2026, 3, 29, 0, 30)
    assert format_local_datetime(naive, "Europe/Prague", "en", "short") == format_local_datetime(
        naive.replace(tzinfo=dt.UTC), "Europe/Prague", "en", "short"
    )
    assert format_local_datetime(None, "UTC", "en") == ""
