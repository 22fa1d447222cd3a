"""Locale and time zone selection, and the template filters that format for the company."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from babel.numbers import format_decimal
from flask import Flask, g, has_request_context, request, session
from flask_babel import Domain, get_domain
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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
    return browser_locale(request.accept_languages) or "en"


def browser_locale(accepted) -> str | None:
    """The first language the browser ranks highest that BizKit speaks: the exact locale
    ("pt-BR" → pt_BR), else the same language in another region ("cs-CZ" → cs, "pt-PT"
    and "pt" → pt_BR, "es-MX" → es). Werkzeug's `best_match` would prefer an exact match
    ranked lower ("cs-CZ, en;q=0.5" gave English)."""
    for value, quality in accepted:  # highest quality first, in the header's order
        if quality <= 0 or value == "*":
            continue
        wanted = value.replace("-", "_").lower()
        exact = _BY_TAG.get(wanted)
        if exact is not None:
            return exact
        language = _BY_LANGUAGE.get(wanted.split("_", 1)[0])
        if language is not None:
            return language
    return None


_BY_TAG = {code.lower(): code for code in LOCALES}
# For each language, the first locale of LOCALES that speaks it.
_BY_LANGUAGE: dict[str, str] = {}
for _code in LOCALES:
    _BY_LANGUAGE.setdefault(_code.split("_", 1)[0].lower(), _code)


class RequestDomain(Domain):
    """Flask-Babel's message domain, remembering the translations once per request.

    Flask-Babel resolves the locale and builds its cache key on every gettext call;
    a page makes a hundred of them. The translations are kept in the context slot
    Flask-Babel itself clears on `refresh()` and swaps in `force_locale()`, so a
    changed or forced locale still takes effect.
    """

    def get_translations(self):
        translations = _cached_translations()
        if translations is None:
            translations = super().get_translations()
            ctx = getattr(g, "_flask_babel", None) if g else None
            if ctx is not None:
                ctx.babel_translations = translations
        return translations


def _cached_translations():
    try:
        return g._flask_babel.babel_translations
    except (AttributeError, RuntimeError):  # not looked up yet, or outside an app context
        return None


def _translations():
    return _cached_translations() or get_domain().get_translations()


# Jinja's new-style gettext callables (autoescaped, always %-formatted, as
# jinja2.ext makes them), calling the translations directly: jinja2.ext wraps each
# call in two more layers (`_` → `gettext` → `context.call` → Flask-Babel's lambda).


def _format(context, message: str, variables: dict) -> str:
    if context.eval_ctx.autoescape:
        # The message is ours (the catalogs), as in jinja2.ext; `%` escapes the variables.
        message = Markup(message)  # noqa: S704
    return message % variables


@pass_context
def _gettext(context, string, **variables):
    rv = _translations().ugettext(string)
    return _format(context, rv, variables)


@pass_context
def _ngettext(context, singular, plural, num, **variables):
    variables.setdefault("num", num)
    rv = _translations().ungettext(singular, plural, num)
    return _format(context, rv, variables)


@pass_context
def _pgettext(context, string_ctx, string, **variables):
    variables.setdefault("context", string_ctx)
    rv = _translations().upgettext(string_ctx, string)
    return _format(context, rv, variables)


@pass_context
def _npgettext(context, string_ctx, singular, plural, num, **variables):
    variables.setdefault("context", string_ctx)
    variables.setdefault("num", num)
    rv = _translations().unpgettext(string_ctx, singular, plural, num)
    return _format(context, rv, variables)


def install_translations(app: Flask, babel) -> None:
    """The request-cached domain for Python code, and lean gettext callables for Jinja."""
    babel.domain_instance = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    app.jinja_env.globals.update(
        _=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext
    )


def select_timezone() -> str:
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


def _company_of(context) -> object | None:
    """The current company as the template sees it (a context lookup is cheaper than `g`,
    and list pages format a few hundred amounts and dates)."""
    if "current_company" in context:
        return context["current_company"]
    return g.get("company")


def _zone_and_locale(context) -> tuple[str, str]:
    company = _company_of(context)
    return ("UTC", "en") if company is None else (company.timezone, company.locale)


def register_filters(app: Flask) -> None:
    @app.template_filter("money")
    @pass_context
    def money_filter(context, amount, currency: str | None = None):
        company = _company_of(context)
        if company is None:
            return format_money(amount, currency or "EUR", "en")
        return format_money(amount, currency or company.currency, company.locale)

    @app.template_filter("datetime")
    @pass_context
    def datetime_filter(context, value, fmt="medium"):
        return format_local_datetime(value, *_zone_and_locale(context), fmt)

    @app.template_filter("date")
    @pass_context
    def date_filter(context, value, fmt="medium"):
        return format_local_date(value, *_zone_and_locale(context), fmt)

    app.add_template_filter(format_phone, "phone")

    @app.template_filter("number")
    @pass_context
    def number_filter(context, value):
        company = _company_of(context)
        return _format_number(value, company.locale if company is not None else "en")
