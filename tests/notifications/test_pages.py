"""The Notifications pages: who may see and do what, another company's ids are 404,
search and filters, resend, the record panel, settings with the encrypted token."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bizkit.core.models import AuditEntry
from bizkit.core.permissions import ROLES, role_can
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.notifications import operations as ops
from bizkit.notifications.models import Notification, NotificationSettings
from tests.conftest import company_ctx, count_queries, text_of

ORDER = {"order_number": 5, "total": "10.00", "currency": "EUR", "status": "READY"}


@pytest.fixture
def make_notification(app, company, make_customer):
    def factory(target=None, name="Jana Nováková", email="jana@example.com", **values) -> int:
        target = target or company
        customer_id = make_customer(name, target=target, email=email)
        with company_ctx(app, target.id):
            customer = db.session.get(Customer, customer_id)
            n = ops.notify_customer(None, customer, "order_ready", ORDER)
            if values:
                db.session.execute(
                    update(Notification).where(Notification.id == n.id).values(**values)
                )
            return n.id

    return factory


ROUTES = [
    ("GET", "/notifications/", "notifications.view", None),
    ("GET", "/notifications/{nid}", "notifications.view", None),
    ("POST", "/notifications/{nid}/resend", "notifications.send", {}),
    ("GET", "/notifications/for/order/1", "notifications.view", None),
    ("GET", "/settings/notifications", "settings.view", None),
    (
        "POST",
        "/settings/notifications",
        "settings.manage",
        {"sender_name": "X", "email_enabled": "y"},
    ),
    ("GET", "/settings/notifications/preview", "settings.view", None),
    ("GET", "/settings/notifications/preview/email", "settings.view", None),
]


@pytest.mark.parametrize("role", ROLES)
def test_each_route_is_open_exactly_to_the_roles_allowed(
    app, client, company, make_user, make_notification, role
):
    nid = make_notification(status="failed", last_error="SMTP 550: no such user")
    user = make_user(company, role)
    client.login(user)
    for method, path, permission, data in ROUTES:
        url = path.format(nid=nid)
        response = client.get(url) if method == "GET" else client.post(url, data)
        allowed = role_can(role, permission)
        assert (response.status_code != 403) == allowed, (role, method, url, response.status_code)
        assert response.status_code < 500, (method, url)


def test_logged_out_visitors_are_sent_to_log_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_companys_messages_are_404_and_never_listed(auth, make_company, make_notification):
    other = make_company("Other Shop")
    theirs = make_notification(target=other, name="Secret Person", email="secret@other.example")
    mine = make_notification(name="Jana", email="jana@example.com")
    assert auth.get(f"/notifications/{theirs}").status_code == 404
    assert auth.post(f"/notifications/{theirs}/resend", {}).status_code == 404
    listing = text_of(auth.get("/notifications/"))
    assert "jana@example.com" in listing and "secret@other.example" not in listing
    assert auth.get(f"/notifications/{mine}").status_code == 200


def test_the_list_filters_and_searches(auth, make_notification):
    make_notification(name="Jana", email="jana@example.com", status="sent")
    make_notification(
        name="Petr", email="petr@example.com", status="failed", last_error="SMTP 550: unknown user"
    )
    failed = text_of(auth.get("/notifications/?status=failed"))
    assert "petr@example.com" in failed and "jana@example.com" not in failed
    assert "SMTP 550: unknown user" in failed  # staff see why
    found = auth.get("/notifications/?q=JANA", headers={"HX-Request": "true"})
    assert "jana@example.com" in text_of(found) and "petr@example.com" not in text_of(found)
    assert "<html" not in found.get_data(as_text=True)
    assert "No messages match." in text_of(auth.get("/notifications/?q=nobody-at-all"))
    assert auth.get("/notifications/?status=bogus&channel=x&cursor=!!").status_code == 200


def test_query_count_does_not_grow_with_the_rows_shown(app, auth, make_notification):
    for n in range(55):
        make_notification(name=f"Customer {n:02d}", email=f"c{n}@example.com")
    few = count_queries(app, auth, "/notifications/?q=c1@")
    many = count_queries(app, auth, "/notifications/")
    assert few == many
    assert many <= 8
    more = auth.get("/notifications/")
    assert text_of(more).count("@example.com") == 50 and "Show more" in text_of(more)


def test_the_detail_shows_attempts_and_the_error_but_no_traceback(
    app, auth, company, make_notification
):
    nid = make_notification(status="failed", attempts=1, last_error="HTTP 400: Invalid number")
    page = text_of(auth.get(f"/notifications/{nid}"))
    assert "Failed" in page and "HTTP 400: Invalid number" in page
    assert "Traceback" not in page


def test_resend_queues_a_new_message_and_keeps_the_original(app, auth, company, make_notification):
    nid = make_notification(status="failed", last_error="SMTP 550")
    response = auth.post(f"/notifications/{nid}/resend", {})
    assert response.status_code == 302
    with company_ctx(app, company.id):
        rows = db.session.execute(select(Notification).order_by(Notification.id)).scalars().all()
        assert [(n.status, n.resent_from_id) for n in rows] == [("failed", None), ("queued", nid)]
        queued = rows[1].id
    # A message still on its way cannot be sent twice.
    refused = auth.post(f"/notifications/{queued}/resend", {})
    assert refused.status_code == 422
    assert "still on its way" in text_of(refused)


def test_an_erased_customers_messages_keep_no_personal_data(app, auth, company, make_notification):
    """GDPR: the export lists the messages sent to the customer; erasing them cancels
    what is still to be sent and strips address, name, subject and details from the log."""
    import json

    sent = make_notification(
        name="Zuzana Kováčová",
        email="zuzana@example.sk",
        status="sent",
        subject="Your order 5 is ready, Zuzana",
        last_error="550 zuzana@example.sk busy",
    )
    with company_ctx(app, company.id):
        customer = db.session.get(Customer, db.session.get(Notification, sent).customer_id)
        waiting = ops.notify_customer(None, customer, "order_ready", ORDER).id
        customer_id = customer.id
    assert auth.post(f"/notifications/{sent}/resend", {}).status_code == 302  # audited
    data = json.loads(auth.get(f"/customers/{customer_id}/gdpr-export").get_data(as_text=True))
    assert [m["recipient"] for m in data["messages"]] == ["zuzana@example.sk"] * 3
    assert data["messages"][0]["subject"] == "Your order 5 is ready, Zuzana"

    assert auth.post(f"/customers/{customer_id}/erase", {"confirm": "ERASE"}).status_code == 302
    with company_ctx(app, company.id):
        rows = {n.id: n for n in db.session.execute(select(Notification)).scalars()}
        assert rows[waiting].status == "cancelled"
        assert rows[sent].status == "sent"
        kept = json.dumps(
            [
                [n.recipient, n.recipient_name, n.subject, n.context, n.last_error]
                for n in rows.values()
            ]
        )
    assert "zuzana" not in kept.lower() and "Kováčová" not in kept
    with company_ctx(app, company.id):
        labels = json.dumps(db.session.execute(select(AuditEntry.entity_label)).scalars().all())
    assert "zuzana" not in labels.lower()
    log = text_of(auth.get("/notifications/")) + text_of(auth.get(f"/notifications/{sent}"))
    assert "Kováčová" not in log and "zuzana@example.sk" not in log
    refused = auth.post(f"/notifications/{sent}/resend", {})
    assert refused.status_code == 422
    assert "personal data was erased" in text_of(refused)


def test_the_record_panel_lists_that_records_messages(app, auth, company, make_notification):
    nid = make_notification()
    with company_ctx(app, company.id):
        db.session.execute(
            update(Notification)
            .where(Notification.id == nid)
            .values(
                entity_type="order", entity_id=77, status="retrying", last_error="SMTP 451: busy"
            )
        )
    panel = auth.get("/notifications/for/order/77", headers={"HX-Request": "true"})
    assert "jana@example.com" in text_of(panel) and "SMTP 451: busy" in text_of(panel)
    assert "No messages were sent about this." in text_of(auth.get("/notifications/for/order/78"))


def test_settings_are_saved_with_the_token_encrypted(app, auth, company):
    form = {
        "sender_name": "Acme",
        "reply_to": "hello@acme.example",
        "email_enabled": "y",
        "sms_enabled": "y",
        "provider_base_url": "https://sms.example.com/",
        "provider_account": "AC42",
        "provider_token": "tok-very-secret",
        "sms_from": "+420 600 000 001",
    }
    assert auth.post("/settings/notifications", form).status_code == 302
    with company_ctx(app, company.id):
        row = db.session.execute(select(NotificationSettings)).scalar_one()
        assert b"tok-very-secret" not in bytes(row.provider_token_encrypted)
        assert row.sms_from == "+420600000001"
        assert row.provider_base_url == "https://sms.example.com"
        from bizkit.core import crypto

        assert crypto.decrypt(row.provider_token_encrypted) == "tok-very-secret"
    page = auth.get("/settings/notifications")
    assert "tok-very-secret" not in page.get_data(as_text=True)
    assert "A token is stored (encrypted). Leave empty to keep it." in text_of(page)
    # Saving again without a token keeps the stored one.
    assert auth.post("/settings/notifications", {**form, "provider_token": ""}).status_code == 302
    with company_ctx(app, company.id):
        row = db.session.execute(select(NotificationSettings)).scalar_one()
        from bizkit.core import crypto

        assert crypto.decrypt(row.provider_token_encrypted) == "tok-very-secret"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reply_to", "not an address", "Enter a valid e-mail address."),
        ("provider_base_url", "ftp://x", "the provider"),
        ("sms_from", "777123", "Enter the number with its country code"),
    ],
)
def test_bad_settings_get_a_message_next_to_the_field_and_nothing_saved(
    app, auth, company, field, value, message
):
    response = auth.post(
        "/settings/notifications",
        {"email_enabled": "y", field: value},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.execute(select(NotificationSettings)).first() is None


def test_sms_needs_the_provider_before_it_can_be_switched_on(auth):
    response = auth.post("/settings/notifications", {"sms_enabled": "y"})
    assert response.status_code == 422
    assert "Needed to send SMS or WhatsApp messages." in text_of(response)
