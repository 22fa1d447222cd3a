"""The login page speaks the browser's highest-ranked language BizKit has, matched by
language when the region differs."""

import pytest

from tests.conftest import text_of

HEADINGS = {"cs": "Přihlásit se", "pt_BR": "Entrar", "es": "Iniciar sesión", "en": "Log in"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("cs-CZ,en;q=0.5", "cs"),
        ("cs-CZ", "cs"),
        ("pt", "pt_BR"),
        ("pt-PT,pt;q=0.9", "pt_BR"),
        ("pt-BR,en;q=0.8", "pt_BR"),
        ("es-MX,es;q=0.9,en;q=0.5", "es"),
        ("de-DE,es;q=0.7,en;q=0.3", "es"),
        ("en-GB,cs;q=0.9", "en"),
        ("cs;q=0.4,es;q=0.8", "es"),
        ("de-DE,fr;q=0.9", "en"),
    ],
)
def test_login_page_follows_the_browsers_first_language_we_speak(client, header, expected):
    page = text_of(client.get("/login", headers={"Accept-Language": header}))
    assert f"{HEADINGS[expected]} · BizKit" in page, header
