"""Small helpers shared by the modules' WTForms forms, and their base class."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale, get_translations
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """`[(value, label), ...]` as the option objects WTForms 3.3+ expects."""
    return [SelectChoice(value, label) for value, label in pairs]


@lru_cache(maxsize=32)
def _wtforms_catalog(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def ngettext(singular: str, plural: str, n: int) -> tuple[str, str]:
    """A marker only: `pybabel extract` copies these msgids into BizKit's catalogs."""
    return singular, plural


# WTForms messages some of its catalogs lack (cs has no "cannot be longer than", none has
# "exactly ... long"): BizKit's own catalogs translate them, WTForms' are asked first.
CATALOGUE_GAPS = (
    ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        1,
    ),
)


class _WTFormsTranslations:
    """WTForms' own messages in the request's language, each catalog read once per process
    (Flask-WTF reads it from disk again on every request that translates a message).

    A message WTForms' catalog leaves in English is looked up in BizKit's catalog too
    (CATALOGUE_GAPS), so every validation message is in the user's language."""

    def _catalog(self):
        return _wtforms_catalog(str(get_locale() or "en"))

    def gettext(self, string):
        translated = self._catalog().ugettext(string)
        if translated == string:
            translated = get_translations().ugettext(string)
        return translated

    def ngettext(self, singular, plural, n):
        translated = self._catalog().ungettext(singular, plural, n)
        if translated in (singular, plural):
            translated = get_translations().ungettext(singular, plural, n)
        return translated


_TRANSLATIONS = _WTFormsTranslations()


class Form(FlaskForm):
    """The base of BizKit's forms: FlaskForm (CSRF, request data) with cached translations."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _TRANSLATIONS
