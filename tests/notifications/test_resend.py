""" "Send again" goes to the customer's contact as it is now, on a channel still switched on."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select, update

from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.notifications import operations as ops
from bizkit.notifications import tasks
from bizkit.notifications.models import Notification
from tests.conftest import company_ctx, text_of

ORDER = {"order_number": 5, "total": "10.00", "currency": "EUR", "status": "READY"}


@pytest.fixture
def sent(app, company, make_customer):
    """A message sent to Jana's old address; returns (notification id, customer id)."""
    customer_id = make_customer("Jana Nováková", email="old@example.com", phone="+420777123456")
    with company_ctx(app, company.id):
        customer = db.session.get(Customer, customer_id)
        n = ops.notify_customer(None, customer, "order_ready", ORDER)
        db.session.execute(
            update(Notification).where(Notification.id == n.id).values(status="sent")
        )
        return n.id, customer_id


def change_customer(app, company, customer_id, **values) -> None:
    with company_ctx(app, company.id):
        db.session.execute(update(Customer).where(Customer.id == customer_id).values(**values))


def notification_count(app, company) -> int:
    with company_ctx(app, company.id):
        return db.session.execute(select(func.count()).select_from(Notification)).scalar()


def test_resend_goes_to_the_customers_current_address(app, auth, company, sent, smtp_sink):
    nid, customer_id = sent
    change_customer(app, company, customer_id, email="new@example.com", name="Jana Nová")
    response = auth.post(f"/notifications/{nid}/resend", {})
    assert response.status_code == 302
    with company_ctx(app, company.id):
        copy = db.session.execute(
            select(Notification).where(Notification.resent_from_id == nid)
        ).scalar_one()
        assert (copy.recipient, copy.recipient_name) == ("new@example.com", "Jana Nová")
        copy_id = copy.id
    assert "new@example.com" in text_of(auth.get(f"/notifications/{copy_id}"))
    with app.app_context():
        assert tasks.deliver(company.id, copy_id) == "sent"
    [message] = smtp_sink.messages
    assert [a.addr_spec for a in message["To"].addresses] == ["new@example.com"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": None}, "The customer has no e-mail address any more."),
        ({"erased_at": func.now()}, "The recipient's personal data was erased."),
    ],
    ids=["no-address", "erased"],
)
def test_resend_is_refused_without_a_current_contact(app, auth, company, sent, change, message):
    nid, customer_id = sent
    change_customer(app, company, customer_id, **change)
    response = auth.post(f"/notifications/{nid}/resend", {})
    assert response.status_code == 422
    assert message in html.unescape(text_of(response))
    assert notification_count(app, company) == 1


def test_resend_is_refused_on_a_channel_switched_off_since(app, auth, company, sent):
    nid, _ = sent
    with company_ctx(app, company.id):
        ops.update_settings(None, {"email_enabled": False})
    response = auth.post(f"/notifications/{nid}/resend", {})
    assert response.status_code == 422
    assert "Sending e-mails is switched off in the notification settings." in text_of(response)
    assert notification_count(app, company) == 1
