"""A line break in a name that ends up in a mail header: refused when entered, and harmless
when it was stored before (the mail still goes out, with the name on one line)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bizkit.core.models import AuditEntry, Company
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.notifications import operations as ops
from bizkit.notifications import tasks
from bizkit.notifications.models import NotificationSettings
from tests.conftest import company_ctx, text_of

ORDER = {"order_number": 7, "total": "36.50", "currency": "EUR", "status": "READY"}
EVIL = "Trattoria\r\nX-Evil: 1"


@pytest.mark.parametrize(
    "value", [EVIL, "Trattoria\nBcc: a@b.example", "Tratto\x1bria", "A\u2028B"]
)
def test_a_sender_name_with_a_line_break_is_refused_and_nothing_saved(app, auth, company, value):
    response = auth.post("/settings/notifications", {"sender_name": value, "email_enabled": "y"})
    assert response.status_code == 422
    assert 'id="sender_name-error"' in response.get_data(as_text=True)
    assert "Line breaks and other control characters are not allowed here." in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.execute(select(NotificationSettings)).first() is None


def test_a_company_name_with_a_line_break_is_refused_and_nothing_saved(app, auth, company):
    response = auth.post(
        "/settings/company",
        {
            "name": EVIL,
            "business_type": "restaurant",
            "locale": "en",
            "timezone": "Europe/Rome",
            "currency": "EUR",
        },
    )
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert "Line breaks and other control characters are not allowed here." in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.get(Company, company.id).name == "Acme Bistro"
        assert db.session.query(AuditEntry).filter_by(action="company.update").count() == 0


@pytest.mark.parametrize("stored_in", ["sender_name", "company_name"])
def test_a_name_stored_with_a_line_break_before_still_lets_mail_out(
    app, company, make_customer, smtp_sink, stored_in
):
    customer_id = make_customer("Jana Nováková", email="jana@example.com")
    with company_ctx(app, company.id):
        ops.update_settings(None, {"sender_name": "Placeholder", "email_enabled": True})
        # Written as an older version stored it, around the validation.
        if stored_in == "sender_name":
            db.session.execute(update(NotificationSettings).values(sender_name=EVIL))
        else:
            db.session.execute(update(NotificationSettings).values(sender_name=None))
            db.session.execute(update(Company).where(Company.id == company.id).values(name=EVIL))
        customer = db.session.get(Customer, customer_id)
        nid = ops.notify_customer(None, customer, "order_ready", ORDER).id
    with app.app_context():
        assert tasks.deliver(company.id, nid) == "sent"
    [message] = smtp_sink.messages
    [sender] = message["From"].addresses
    assert sender.display_name == "Trattoria X-Evil: 1"
    assert "X-Evil" not in message
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
