"""Locale choice (user, then company, then browser) and formatting for the company."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bizkit.config import LOCALES
from bizkit.core.money import format_money, round_money
from bizkit.core.timezones import format_local_datetime
from tests.conftest import text_of

CATALOGS = Path(__file__).resolve().parents[2] / "translations"
# Words that are the same in a language (loanwords, codes); anything else copied is a miss.
SAME_AS_ENGLISH = {
    "IBAN",
    "E-mail",
    "Agenda",
    "Menu",
    "Role",
    "Administrator",
    "System",
    "Status",
    "API",
    "Import",
    "Tag",
    "No",
    "SKU",
    "%(num)d min",
    "Item",
    "Variant",
    "h",  # the hour's symbol (Portuguese, Spanish); unit codes, bizkit/inventory/units.py
}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_entry_is_translated(locale):
    path = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"empty: {message.id!r}")
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if locale != "en" and strings[0] == msgid and msgid not in SAME_AS_ENGLISH:
            problems.append(f"copied English: {msgid!r}")
        wanted = set(re.findall(r"%\(\w+\)[sd]", msgid))
        for text in strings:
            if set(re.findall(r"%\(\w+\)[sd]", text or "")) != wanted:
                problems.append(f"placeholders differ: {msgid!r}")
    assert len(catalog) > 100
    assert problems == []


def test_every_string_in_the_code_is_in_the_catalogs(tmp_path):
    """A string added to the code but never extracted would show in English to everyone:
    extract afresh (as `make extract-messages` does) and compare with the catalogs."""
    import subprocess
    import sys

    pot = tmp_path / "messages.pot"
    root = CATALOGS.parent
    extract = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot)]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *extract, "."],
        cwd=root,
        check=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    for locale in LOCALES:
        with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            have = {m.id for m in read_po(handle, locale=locale) if m.id}
        missing = sorted(str(m) for m in wanted - have)
        assert missing == [], f"{locale}: run `make extract-messages` and translate {missing[:5]}"


def test_compiled_catalogs_exist():
    for locale in LOCALES:
        assert (CATALOGS / locale / "LC_MESSAGES" / "messages.mo").exists(), locale


def test_login_page_follows_accept_language(client):
    page = text_of(client.get("/login", headers={"Accept-Language": "cs-CZ,cs;q=0.9"}))
    assert "Přihlásit" in page
    page = text_of(client.get("/login", headers={"Accept-Language": "pt-BR"}))
    assert "Entrar" in page or "Acessar" in page


def test_company_locale_beats_the_browser(app, client, make_company, make_user):
    shop = make_company("Kolo", locale="cs", currency="CZK", timezone="Europe/Prague")
    client.login(make_user(shop, "owner"))
    page = text_of(client.get("/dashboard", headers={"Accept-Language": "es"}))
    assert "Nástěnka" in page or "Přehled" in page


def test_user_preference_beats_the_company(app, client, make_company, make_user):
    shop = make_company("Kolo", locale="cs", currency="CZK", timezone="Europe/Prague")
    client.login(make_user(shop, "owner", locale="es"))
    page = text_of(client.get("/dashboard", headers={"Accept-Language": "cs"}))
    assert "Panel" in page or "Tablero" in page or "Escritorio" in page


def test_switching_language_is_remembered_for_the_user(client, owner):
    client.login(owner)
    response = client.post("/language", {"locale": "pl", "next": "/settings/company"})
    assert response.headers["Location"] == "/settings/company"
    assert "Ustawienia" in text_of(client.get("/settings/company"))
    client.post("/logout")
    client.login(owner)
    assert "Ustawienia" in text_of(client.get("/settings/company"))


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post("/language", {"locale": "es", "next": "https://evil.example"})
    assert response.headers["Location"] == "/dashboard"


def test_money_is_formatted_for_the_locale_and_currency():
    assert format_money(Decimal("1234.5"), "CZK", "cs") == "1\xa0234,50\xa0Kč"
    assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
    assert format_money(Decimal("1234.5"), "EUR", "es") == "1.234,50\xa0€"
    assert format_money(Decimal("1234.5"), "BRL", "pt_BR") == "R$\xa01.234,50"


def test_one_rounding_rule_half_away_from_zero():
    assert round_money(Decimal("0.125"), "EUR") == Decimal("0.13")
    assert round_money(Decimal("-0.125"), "EUR") == Decimal("-0.13")
    assert round_money(Decimal("2.5"), "JPY") == Decimal("3")


def test_datetimes_are_shown_in_the_company_zone_across_dst():
    winter = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)
    assert "13:00" in format_local_datetime(winter, "Europe/Prague", "cs")
    assert "14:00" in format_local_datetime(summer, "Europe/Prague", "cs")
    assert "1:00:00\u202fPM" in format_local_datetime(winter, "Europe/Rome", "en")


def test_language_chosen_on_the_login_page_survives_login(client, owner):
    client.post("/language", {"locale": "sk", "next": "/login"})
    assert "Prihlásiť" in text_of(client.get("/login"))
    client.login(owner)
    assert "Nastavenia" in text_of(client.get("/settings/company"))


def test_translations_kept_for_the_request_follow_force_locale_and_refresh(app):
    """The request keeps its translations (bizkit.core.i18n.RequestDomain); a forced or
    refreshed locale still takes effect, in Python and in templates."""
    from flask import render_template_string, session
    from flask_babel import force_locale, gettext, refresh

    def template():
        return render_template_string("{{ _('Log in') }}")

    with app.test_request_context("/login", headers={"Accept-Language": "cs"}):
        assert gettext("Log in") == template() == "Přihlásit se"
        with force_locale("es"):
            assert gettext("Log in") == template() == "Iniciar sesión"
        assert gettext("Log in") == template() == "Přihlásit se"
        session["locale"] = "pl"
        refresh()
        assert gettext("Log in") == template() == "Zaloguj się"


def test_wtforms_messages_follow_the_request_language(app):
    """WTForms' own messages come from its catalogs, read once per language
    (bizkit.core.forms.Form), still in each request's language."""
    from flask import request

    from bizkit.inventory.forms import CatalogFilterForm

    for language, message in (("es", "Opción inválida."), ("pl", "Nieprawidłowy wybór")):
        headers = {"Accept-Language": language}
        with app.test_request_context("/inventory/?kind=nonsense", headers=headers):
            form = CatalogFilterForm(request.args)
            assert not form.validate()
            assert form.kind.errors == [message]
