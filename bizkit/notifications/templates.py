"""The message templates: which events exist, their sample data, and rendering one
message (subject, text, HTML, short text) in a language.

Texts live per language in `templates/email/messages/<locale>.jinja`, one block per
event and part (`<event>_subject`, `<event>_text`, `<event>_sms`): e-mail wording is
written, not assembled from gettext fragments, so each language reads naturally.
The HTML part is the text's paragraphs inside `templates/email/_layout.html`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from bizkit.config import LOCALES
from bizkit.core.money import format_money
from bizkit.core.timezones import format_local_date, format_local_datetime

EVENTS = {
    "order_confirmed": _l("Order confirmed"),
    "order_ready": _l("Order ready"),
    "quote_sent": _l("Quote sent"),
    "ready_for_pickup": _l("Ready for pickup"),
    "order_shipped": _l("Order shipped"),
    "order_status": _l("Order status changed"),
    "appointment_confirmation": _l("Appointment confirmation"),
    "appointment_reminder": _l("Appointment reminder"),
    "invoice_sent": _l("Invoice sent"),
    "payment_received": _l("Payment received"),
    "low_stock": _l("Low stock (staff)"),
}
PARTS = ("subject", "text", "sms")

_ORDER = {
    "customer_name": "Jana Nováková",
    "order_number": 1042,
    "total": "36.50",
    "currency": "EUR",
    "status": "READY",
    "item": "Trek FX 3",
}
SAMPLES = {
    "order_confirmed": _ORDER,
    "order_ready": _ORDER,
    "quote_sent": _ORDER,
    "ready_for_pickup": _ORDER,
    "order_shipped": _ORDER,
    "order_status": _ORDER,
    "appointment_confirmation": {
        "customer_name": "Jana Nováková",
        "service": "Haircut",
        "starts_at": "2026-12-03T09:30:00+00:00",
        "manage_url": "https://example.com/b/abc123",
    },
    "appointment_reminder": {
        "customer_name": "Jana Nováková",
        "service": "Haircut",
        "starts_at": "2026-12-03T09:30:00+00:00",
        "manage_url": "https://example.com/b/abc123",
    },
    "invoice_sent": {
        "customer_name": "Jana Nováková",
        "invoice_number": "2026-00042",
        "total": "121.00",
        "currency": "EUR",
        "due_date": "2026-12-14",
        "invoice_url": "https://example.com/i/xyz789",
    },
    "payment_received": {
        "customer_name": "Jana Nováková",
        "amount": "121.00",
        "currency": "EUR",
        "reference": "2026-00042",
    },
    "low_stock": {
        "item": "Espresso beans 1 kg",
        "sku": "ESP-1KG",
        "available": "2",
        "threshold": "5",
    },
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    short: str


def message_locale(*candidates: str | None) -> str:
    """The first supported locale among the candidates (customer's, company's), else English."""
    return next((c for c in candidates if c in LOCALES), "en")


def _helpers(locale: str, zone: str) -> dict:
    from bizkit.workflow.operations import STATUS_LABELS

    def money(amount, currency):
        return format_money(Decimal(str(amount)), currency, locale) if amount is not None else ""

    def when(value):
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return format_local_datetime(value, zone, locale, "medium")

    def day(value):
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return format_local_date(value, zone, locale, "long")

    def qty(value):
        return format_decimal(Decimal(str(value)).normalize(), locale=locale)

    def status_label(code):
        label = STATUS_LABELS.get(code)
        return str(label) if label is not None else str(code).replace("_", " ").capitalize()

    return {"money": money, "when": when, "day": day, "qty": qty, "status_label": status_label}


def _render_block(template, name: str, context) -> str:
    block = template.blocks.get(name)
    return "".join(block(context)).strip() if block is not None else ""


def render_message(
    event: str,
    locale: str,
    context: dict,
    *,
    company_name: str,
    zone: str = "UTC",
    reply_to: str | None = None,
) -> RenderedMessage:
    """Render `event` in `locale` (English when the language has no such text)."""
    if event not in EVENTS:
        raise KeyError(f"unknown notification event {event!r}")
    locale = message_locale(locale)
    env = current_app.jinja_env
    with force_locale(locale):
        variables = {
            **context,
            "company_name": company_name,
            **_helpers(locale, zone),
        }
        parts = {}
        for code in (locale, "en"):
            template = env.get_template(f"email/messages/{code}.jinja")
            ctx = template.new_context(variables)
            parts = {part: _render_block(template, f"{event}_{part}", ctx) for part in PARTS}
            if parts["subject"] and parts["text"]:
                greeting = _render_block(template, "greeting", ctx)
                signoff = _render_block(template, "signoff", ctx)
                break
        paragraphs = [p.strip() for p in parts["text"].split("\n\n") if p.strip()]
        text = "\n\n".join([greeting, *paragraphs, signoff]) + "\n"
        html = render_template(
            "email/_layout.html",
            lang=locale.replace("_", "-"),
            subject=parts["subject"],
            greeting=greeting,
            paragraphs=paragraphs,
            signoff=signoff.split("\n"),
            company_name=company_name,
            reply_to=reply_to,
        )
    short = parts["sms"] or parts["subject"]
    return RenderedMessage(parts["subject"], text, html, short)
