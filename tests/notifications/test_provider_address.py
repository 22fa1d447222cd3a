"""The SMS/WhatsApp provider address cannot point inside our network (SSRF): refused when
saved and again before each send, unless the app runs in development or testing or the
host is on the configured allowlist."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.notifications import operations as ops
from bizkit.notifications import tasks
from bizkit.notifications.models import NotificationSettings
from tests.conftest import company_ctx, text_of
from tests.notifications.helpers import row

ORDER = {"order_number": 7, "total": "36.50", "currency": "EUR", "status": "READY"}
SMS = {
    "sms_enabled": "y",
    "provider_account": "AC123",
    "provider_token": "secret-token",
    "sms_from": "+420600000001",
}


@pytest.fixture
def production(app, monkeypatch):
    monkeypatch.setitem(app.config, "BIZKIT_ENV", "production")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "https://169.254.169.254",
        "http://127.0.0.1:6379",
        "https://127.0.0.1:6379",
        "https://localhost:5432",
        "https://10.1.2.3",
        "https://[::1]:8080",
        "https://[::ffff:127.0.0.1]",
        "https://224.0.0.1",
        "https://0.0.0.0",
        "http://api.twilio.com",
    ],
)
def test_an_internal_or_plain_http_provider_address_is_refused(app, auth, company, production, url):
    response = auth.post("/settings/notifications", {**SMS, "provider_base_url": url})
    assert response.status_code == 422
    assert 'id="provider_base_url-error"' in response.get_data(as_text=True)
    assert "addresses inside a private network are not allowed" in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.execute(select(NotificationSettings)).first() is None


def test_a_public_https_provider_address_is_accepted(app, auth, company, production):
    response = auth.post(
        "/settings/notifications", {**SMS, "provider_base_url": "https://93.184.215.14"}
    )
    assert response.status_code == 302
    with company_ctx(app, company.id):
        saved = db.session.execute(select(NotificationSettings)).scalar_one()
        assert saved.provider_base_url == "https://93.184.215.14"


@pytest.fixture
def stored_local_provider(app, sms_company, make_customer):
    """Settings saved in testing mode with the local stand-in, and one queued SMS."""
    customer_id = make_customer("Jana", phone="+420777123456")
    with company_ctx(app, sms_company.id):
        customer = db.session.get(Customer, customer_id)
        return ops.notify_customer(None, customer, "order_ready", ORDER).id


def test_an_internal_address_stored_before_is_refused_at_send_time(
    app, company, provider, stored_local_provider, production
):
    nid = stored_local_provider
    with app.app_context():
        assert tasks.deliver(company.id, nid) == "failed"
    assert provider.requests == []
    assert row(app, company.id, nid)["last_error"].startswith(
        "The provider address is not allowed: not https"
    )


def test_a_metadata_address_stored_before_is_never_asked(
    app, company, stored_local_provider, production
):
    nid = stored_local_provider
    with company_ctx(app, company.id):
        db.session.execute(
            update(NotificationSettings).values(provider_base_url="https://169.254.169.254")
        )
    with app.app_context():
        assert tasks.deliver(company.id, nid) == "failed"
    assert "internal address (169.254.169.254)" in row(app, company.id, nid)["last_error"]


def test_the_allowlist_lets_a_configured_internal_host_through(
    app, auth, company, provider, stored_local_provider, production, monkeypatch
):
    monkeypatch.setitem(
        app.config, "NOTIFY_PROVIDER_ALLOWED_HOSTS", f"sms-gw.internal, 127.0.0.1:{provider.port}"
    )
    response = auth.post("/settings/notifications", {**SMS, "provider_base_url": provider.base_url})
    assert response.status_code == 302
    with app.app_context():
        assert tasks.deliver(company.id, stored_local_provider) == "sent"
    assert len(provider.requests) == 1


def test_a_redirect_from_the_provider_is_not_followed(
    app, company, provider, stored_local_provider
):
    provider.replies = [(302, {"Location": "http://169.254.169.254/"}, {}, 0)]
    with app.app_context():
        assert tasks.deliver(company.id, stored_local_provider) == "failed"
    assert len(provider.requests) == 1
    assert row(app, company.id, stored_local_provider)["last_error"].startswith("HTTP 302")
