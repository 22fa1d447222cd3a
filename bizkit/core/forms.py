"""Small helpers shared by the modules' WTForms forms, and their base class."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """`[(value, label), ...]` as the option objects WTForms 3.3+ expects."""
    return [SelectChoice(value, label) for value, label in pairs]


@lru_cache(maxsize=32)
def _wtforms_catalog(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' own messages in the request's language, each catalog read once per process
    (Flask-WTF reads it from disk again on every request that translates a message)."""

    def _catalog(self):
        return _wtforms_catalog(str(get_locale() or "en"))

    def gettext(self, string):
        return self._catalog().ugettext(string)

    def ngettext(self, singular, plural, n):
        return self._catalog().ungettext(singular, plural, n)


_TRANSLATIONS = _WTFormsTranslations()


class Form(FlaskForm):
    """The base of BizKit's forms: FlaskForm (CSRF, request data) with cached translations."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _TRANSLATIONS
