"""Message templates: every event in each of the six languages, fallbacks, and the
preview in Settings."""

from __future__ import annotations

import pytest

from bizkit.config import LOCALES
from bizkit.notifications.templates import EVENTS, SAMPLES, message_locale, render_message
from tests.conftest import text_of

# One phrase per language that only a real translation of "order_ready" contains.
READY = {
    "en": ("Order 1042 is ready", "Hello Jana Nováková,", "36.50"),
    "cs": ("Objednávka 1042 je připravena", "Dobrý den, Jana Nováková,", "36,50"),
    "sk": ("Objednávka 1042 je pripravená", "Dobrý deň, Jana Nováková,", "36,50"),
    "pl": ("Zamówienie 1042 jest gotowe", "Dzień dobry, Jana Nováková,", "36,50"),
    "pt_BR": ("Pedido 1042 pronto", "Olá, Jana Nováková,", "36,50"),
    "es": ("Pedido 1042 listo", "Hola, Jana Nováková:", "36,50"),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_order_ready_reads_naturally_in_each_language(app, locale):
    subject, greeting, amount = READY[locale]
    with app.test_request_context():
        message = render_message("order_ready", locale, SAMPLES["order_ready"], company_name="Acme")
    assert message.subject == subject
    assert message.text.startswith(greeting)
    assert amount in message.text
    assert f'<html lang="{locale.replace("_", "-")}">' in message.html
    assert greeting in message.html
    assert message.short.startswith("Acme:")


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_every_event_is_written_in_every_language(app, locale):
    with app.test_request_context():
        for event in EVENTS:
            english = render_message(event, "en", SAMPLES[event], company_name="Acme")
            message = render_message(event, locale, SAMPLES[event], company_name="Acme")
            assert message.subject and message.text and message.short, event
            assert message.subject != english.subject, f"{event} is not translated to {locale}"
            assert message.short != english.short, f"{event} SMS is not translated to {locale}"


def test_dates_and_money_follow_the_language_and_the_company_zone(app):
    with app.test_request_context():
        message = render_message(
            "appointment_reminder",
            "cs",
            SAMPLES["appointment_reminder"],
            company_name="Acme",
            zone="Europe/Prague",
        )
    assert "3. 12. 2026 10:30:00" in message.subject  # 09:30 UTC is 10:30 in Prague


def test_the_customers_language_else_the_companys_else_english():
    assert message_locale("pl", "cs") == "pl"
    assert message_locale(None, "cs") == "cs"
    assert message_locale("de", "xx") == "en"


def test_html_part_escapes_what_customers_typed(app):
    with app.test_request_context():
        message = render_message(
            "order_ready",
            "en",
            {**SAMPLES["order_ready"], "customer_name": "<script>x</script>"},
            company_name="A & B",
        )
    assert "<script>x</script>" not in message.html
    assert "&lt;script&gt;" in message.html and "A &amp; B" in message.html
    assert "Hello <script>x</script>," in message.text


def test_settings_preview_renders_sample_data_in_the_chosen_language(auth, company):
    page = auth.get("/settings/notifications?event=quote_sent&locale=es&channel=email")
    assert page.status_code == 200
    assert "Tu presupuesto para el pedido 1042" in text_of(page)
    fragment = auth.get(
        "/settings/notifications/preview?event=low_stock&locale=pl&channel=sms",
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert "Niski stan: Espresso beans 1 kg, zostało 2." in text_of(fragment)
    assert "<html" not in fragment.get_data(as_text=True).split("message-preview", 1)[0]
