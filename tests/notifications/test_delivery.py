"""Delivery through the real channels: an aiosmtpd server and a local HTTP provider.

These run the delivery job in the test process (the worker-process tests are in
test_outbox.py) and look at what arrived and what the outbox row records.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import update

from bizkit.core.models import Company
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.notifications import operations as ops
from bizkit.notifications import tasks
from bizkit.notifications.models import Notification
from tests.conftest import company_ctx
from tests.notifications.helpers import row

ORDER = {"order_number": 7, "total": "36.50", "currency": "EUR", "status": "READY"}


@pytest.fixture
def customer_id(app, company, make_customer):
    return make_customer("Jana Nováková", email="jana@example.com", phone="+420777123456")


def queue_for(app, company, customer_id, event="order_ready", context=ORDER, **kwargs) -> int:
    with company_ctx(app, company.id):
        customer = db.session.get(Customer, customer_id)
        return ops.notify_customer(None, customer, event, context, **kwargs).id


def deliver(app, company, notification_id) -> str:
    with app.app_context():
        return tasks.deliver(company.id, notification_id)


def make_due(app, company, notification_id) -> None:
    """Move the next attempt's time to now, as waiting out the backoff would."""
    with company_ctx(app, company.id):
        db.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(due_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )


def test_an_email_arrives_with_both_parts_headers_language_and_attachment(
    app, company, customer_id, smtp_sink
):
    storage = Path(app.config["BIZKIT_STORAGE_DIR"]) / "tests"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "invoice-42.pdf").write_bytes(b"%PDF-1.7 invoice 42")
    with company_ctx(app, company.id):
        ops.update_settings(
            None, {"sender_name": "Acme Bistro Brno", "reply_to": "hi@acme.example"}
        )
        customer = db.session.get(Customer, customer_id)
        customer.locale = "cs"
        nid = ops.notify_customer(
            None,
            customer,
            "invoice_sent",
            {
                "invoice_number": "2026-00042",
                "total": "121.00",
                "currency": "EUR",
                "due_date": "2026-12-14",
                "invoice_url": "https://pay.example/i/abc",
            },
            attachments=[
                {
                    "filename": "invoice-42.pdf",
                    "content_type": "application/pdf",
                    "path": "tests/invoice-42.pdf",
                }
            ],
        ).id
    assert deliver(app, company, nid) == "sent"
    [message] = smtp_sink.messages
    assert message["To"] == "Jana Nováková <jana@example.com>"
    assert message["From"].startswith("Acme Bistro Brno <")
    assert message["Reply-To"] == "hi@acme.example"
    assert message["Subject"] == "Faktura 2026-00042 od Acme Bistro Brno"
    assert message["Content-Language"] == "cs"
    assert f"notification-{nid}" in message["Message-ID"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Dobrý den, Jana Nováková," in text
    assert "121,00\xa0€" in text and "14. prosince 2026" in text
    assert '<html lang="cs">' in html and 'href="https://pay.example/i/abc"' in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "invoice-42.pdf"
    assert attachment.get_content() == b"%PDF-1.7 invoice 42"
    stored = row(app, company.id, nid)
    assert stored["status"] == "sent" and stored["attempts"] == 1
    assert stored["subject"] == "Faktura 2026-00042 od Acme Bistro Brno"
    assert stored["attempt_log"] == [(1, "sent", None)]


def test_smtp_451_is_retried_with_backoff_then_sent(
    app, company, customer_id, smtp_sink, redis_client
):
    smtp_sink.handler.replies = ["451 4.3.0 Mailbox busy, try again later"]
    nid = queue_for(app, company, customer_id)
    before = dt.datetime.now(dt.UTC)
    assert deliver(app, company, nid) == "retrying"
    first = row(app, company.id, nid)
    assert first["status"] == "retrying"
    assert "451" in first["last_error"]
    backoff = app.config["NOTIFY_BACKOFF_SECONDS"]
    assert before + dt.timedelta(seconds=backoff * 0.7) < first["due_at"]
    assert first["due_at"] < before + dt.timedelta(seconds=backoff * 1.3 + 5)
    # The retry waits in RQ's scheduler for its time.
    registry = ScheduledJobRegistry("notifications", connection=redis_client)
    assert len(registry) == 1
    # Not due yet: a duplicate job does nothing.
    assert deliver(app, company, nid) == "skipped"
    make_due(app, company, nid)
    assert deliver(app, company, nid) == "sent"
    assert len(smtp_sink.messages) == 1
    final = row(app, company.id, nid)
    assert final["status"] == "sent" and final["attempts"] == 2
    assert [a[:2] for a in final["attempt_log"]] == [(1, "temporary"), (2, "sent")]
    # Sent is final: nothing can deliver it again.
    make_due(app, company, nid)
    assert deliver(app, company, nid) == "skipped"
    assert len(smtp_sink.messages) == 1


def test_smtp_550_fails_at_once_without_retry(app, company, customer_id, smtp_sink, redis_client):
    smtp_sink.handler.replies = ["550 5.1.1 No such user here"]
    nid = queue_for(app, company, customer_id)
    assert deliver(app, company, nid) == "failed"
    stored = row(app, company.id, nid)
    assert stored["status"] == "failed" and stored["attempts"] == 1
    assert stored["last_error"] == "SMTP 550: 5.1.1 No such user here"
    assert stored["attempt_log"] == [(1, "permanent", "SMTP 550: 5.1.1 No such user here")]
    assert len(ScheduledJobRegistry("notifications", connection=redis_client)) == 0
    assert smtp_sink.messages == []


def test_an_unreachable_mail_server_is_temporary_until_attempts_run_out(
    app, company, customer_id, monkeypatch
):
    from tests.notifications.conftest import free_port

    monkeypatch.setitem(app.config, "MAIL_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 2)
    nid = queue_for(app, company, customer_id)
    assert deliver(app, company, nid) == "retrying"
    make_due(app, company, nid)
    assert deliver(app, company, nid) == "failed"
    stored = row(app, company.id, nid)
    assert stored["attempts"] == 2
    assert stored["last_error"].startswith("SMTP connection: ConnectionRefusedError")


def test_sms_goes_to_the_provider_with_the_decrypted_token(app, sms_company, customer_id, provider):
    nid = queue_for(app, sms_company, customer_id)
    assert deliver(app, sms_company, nid) == "sent"
    [request] = provider.requests
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request.form == {
        "To": "+420777123456",
        "From": "+420600000001",
        "Body": "Acme Bistro: your order 7 is ready.",
    }
    import base64

    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(b"AC123:secret-token").decode()
    )
    assert request.headers["Idempotency-Key"] == f"bizkit-notification-{nid}"
    stored = row(app, sms_company.id, nid)
    assert stored["channel"] == "sms" and stored["provider_id"] == "SM123"


def test_provider_429_waits_as_long_as_retry_after_says(app, sms_company, customer_id, provider):
    provider.replies = [(429, {"Retry-After": "2"}, {"message": "Too many requests"}, 0)]
    nid = queue_for(app, sms_company, customer_id)
    assert deliver(app, sms_company, nid) == "retrying"
    stored = row(app, sms_company.id, nid)
    wait = (stored["due_at"] - stored["claimed_at"]).total_seconds()
    assert 1.5 < wait < 3.5  # Retry-After, not the 30-second backoff
    assert stored["last_error"] == "HTTP 429: Too many requests"
    assert deliver(app, sms_company, nid) == "skipped"  # too early: the provider is not asked
    assert len(provider.requests) == 1
    time.sleep(max(0.0, (stored["due_at"] - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)
    assert deliver(app, sms_company, nid) == "sent"
    assert provider.requests[1].at - provider.requests[0].at >= 2.0


@pytest.mark.parametrize(
    ("reply", "status", "error"),
    [
        (
            (503, {}, {"message": "Service unavailable"}, 0),
            "retrying",
            "HTTP 503: Service unavailable",
        ),
        (
            (400, {}, {"code": 21211, "message": "Invalid 'To' number"}, 0),
            "failed",
            "HTTP 400: Invalid 'To' number",
        ),
        ((201, {}, {"sid": "late"}, 3), "retrying", "Provider unreachable"),
    ],
    ids=["5xx-temporary", "invalid-number-permanent", "timeout-temporary"],
)
def test_provider_failures_are_classified(
    app, sms_company, customer_id, provider, monkeypatch, reply, status, error
):
    monkeypatch.setitem(app.config, "NOTIFY_SEND_TIMEOUT_SECONDS", 1)
    provider.replies = [reply]
    nid = queue_for(app, sms_company, customer_id)
    assert deliver(app, sms_company, nid) == status
    assert row(app, sms_company.id, nid)["last_error"].startswith(error)


def test_a_crash_while_preparing_shows_staff_a_message_not_a_traceback(
    app, company, customer_id, smtp_sink
):
    nid = queue_for(app, company, customer_id, context={"order_number": 7, "total": "not money"})
    assert deliver(app, company, nid) == "failed"
    stored = row(app, company.id, nid)
    assert stored["last_error"] == "Internal error (InvalidOperation); see the logs."
    assert "Traceback" not in stored["last_error"]
    assert smtp_sink.messages == []


def test_whatsapp_is_preferred_to_sms_and_email_to_both(app, company, make_customer, provider):
    with company_ctx(app, company.id):
        ops.update_settings(
            None,
            {
                "sms_enabled": True,
                "whatsapp_enabled": True,
                "provider_base_url": provider.base_url,
                "provider_account": "AC1",
                "provider_token": "t",
                "sms_from": "+420600000001",
                "whatsapp_from": "+420600000002",
            },
        )
    with_email = make_customer("A", email="a@example.com", phone="+420777000001")
    phone_only = make_customer("B", phone="+420777000002")
    nobody = make_customer("C")
    with company_ctx(app, company.id):
        settings = ops.settings_of()
        reach = [
            ops.customer_channel(db.session.get(Customer, cid), settings)
            for cid in (with_email, phone_only, nobody)
        ]
        assert db.session.get(Company, company.id) is not None
    assert reach == [("email", "a@example.com"), ("whatsapp", "+420777000002"), None]


def test_nothing_is_handed_to_rq_when_the_transaction_rolls_back(
    app, company, customer_id, redis_client
):
    with app.app_context():
        from bizkit.core.tenancy import activate

        activate(company.id)
        customer = db.session.get(Customer, customer_id)
        ops.notify_customer(None, customer, "order_ready", ORDER)
        db.session.rollback()
        db.session.remove()
    assert Queue("notifications", connection=redis_client).count == 0
