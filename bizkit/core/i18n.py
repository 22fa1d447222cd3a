"""Locale and time zone selection, and the template filters that format for the company."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from babel.numbers import format_decimal
from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from bizkit.config import LOCALES
from bizkit.core.money import format_money
from bizkit.core.timezones import format_local_date, format_local_datetime

LOCALE_NAMES = {
    "en": "English",
    "cs": "Čeština",
    "sk": "Slovenčina",
    "pl": "Polski",
    "pt_BR": "Português (Brasil)",
    "es": "Español",
}


def select_locale() -> str:
    """The user's preference, then the company's locale, then the browser's Accept-Language."""
    if not has_request_context():
        return g.get("locale_override") or "en"
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if session.get("locale") in LOCALES:
        return session["locale"]
    company = g.get("company")
    if company is not None and company.locale in LOCALES:
        return company.locale
    return request.accept_languages.best_match(LOCALES) or "en"


def select_timezone() -> str:
    company = g.get("company")
    return company.timezone if company is not None else "UTC"


def _company_locale() -> str:
    company = g.get("company")
    return company.locale if company is not None else "en"


def _company_zone() -> str:
    company = g.get("company")
    return company.timezone if company is not None else "UTC"


@lru_cache(maxsize=8192)
def format_phone(value: str | None) -> str:
    """+420777123456 → +420 777 123 456 (stored E.164, shown readable; cached, it is slow)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=16384)
def _format_number(value, locale: str) -> str:
    # Babel's pattern application costs ~40 µs; list pages repeat the same quantities.
    return format_decimal(value, locale=locale)


def register_filters(app: Flask) -> None:
    @app.template_filter("money")
    def money_filter(amount, currency: str | None = None):
        company = g.get("company")
        return format_money(
            amount, currency or (company.currency if company else "EUR"), _company_locale()
        )

    @app.template_filter("datetime")
    def datetime_filter(value, fmt="medium"):
        return format_local_datetime(value, _company_zone(), _company_locale(), fmt)

    @app.template_filter("date")
    def date_filter(value, fmt="medium"):
        return format_local_date(value, _company_zone(), _company_locale(), fmt)

    app.add_template_filter(format_phone, "phone")

    @app.template_filter("number")
    def number_filter(value):
        return _format_number(value, _company_locale())
