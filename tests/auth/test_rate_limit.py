"""Login rate limit: 5 failed tries per 15 minutes per client address and e-mail, and a
much higher limit per client address whatever the e-mail."""

import pytest

from bizkit import create_app
from tests.conftest import BrowserlikeClient, app_config, text_of


def _fail(client, email, ip="10.0.0.1"):
    return client.post(
        "/login", {"email": email, "password": "wrong"}, environ_base={"REMOTE_ADDR": ip}
    )


def test_sixth_failed_try_for_an_email_is_429_with_when_to_retry(client, owner):
    for _ in range(5):
        assert _fail(client, owner.email).status_code == 422
    response = _fail(client, owner.email)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert "Try again in" in text_of(response)
    assert "minutes" in text_of(response)
    # Even the right password is refused from there while the limit lasts.
    ok = client.post(
        "/login",
        {"email": owner.email, "password": owner.password},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert ok.status_code == 429
    # The owner, elsewhere, is not locked out by someone else's failures.
    elsewhere = client.post(
        "/login",
        {"email": owner.email, "password": owner.password},
        environ_base={"REMOTE_ADDR": "10.0.0.3"},
    )
    assert elsewhere.status_code == 302


def test_failures_for_made_up_emails_do_not_lock_out_the_others_at_that_address(client, owner):
    for n in range(6):
        assert _fail(client, f"guess{n}@acme.example", ip="10.9.9.9").status_code == 422
    # A colleague in the same office (same address) still gets in.
    ok = client.post(
        "/login",
        {"email": owner.email, "password": owner.password},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert ok.status_code == 302


@pytest.fixture
def proxied_app(database_url, services, rollback_db):
    """One proxy in front (BIZKIT_PROXY_HOPS=1), and a per-address limit low enough to reach."""
    return create_app(
        app_config(
            database_url,
            services["redis_url"],
            BIZKIT_PROXY_HOPS=1,
            LOGIN_IP_RATE_LIMIT="8 per 15 minutes",
        )
    )


def test_behind_a_proxy_each_client_has_its_own_counters(proxied_app, owner):
    client = BrowserlikeClient(proxied_app, proxied_app.test_client())
    proxy = {"REMOTE_ADDR": "10.0.0.254"}

    def fail(email, client_ip):
        return client.post(
            "/login",
            {"email": email, "password": "wrong"},
            environ_base=proxy,
            headers={"X-Forwarded-For": client_ip},
        )

    for n in range(8):
        assert fail(f"guess{n}@acme.example", "203.0.113.7").status_code == 422
    # The per-address limit holds for that client, whatever the e-mail ...
    assert fail("another@acme.example", "203.0.113.7").status_code == 429
    # ... and not for another client behind the same proxy.
    ok = client.post(
        "/login",
        {"email": owner.email, "password": owner.password},
        environ_base=proxy,
        headers={"X-Forwarded-For": "198.51.100.20"},
    )
    assert ok.status_code == 302


def test_without_proxy_hops_the_forwarded_header_is_ignored(client, owner):
    for n in range(5):
        client.post(
            "/login",
            {"email": owner.email, "password": "wrong"},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},  # forged: not trusted
        )
    response = _fail(client, owner.email, ip="10.0.0.9")
    assert response.status_code == 429


def test_successful_logins_do_not_count(client, owner):
    for _ in range(7):
        response = client.post("/login", {"email": owner.email, "password": owner.password})
        assert response.status_code == 302
        client.post("/logout")


def test_rate_limit_answers_json_to_the_api_style_client(client, owner):
    for _ in range(5):
        _fail(client, owner.email)
    response = client.post(
        "/login",
        {"email": owner.email, "password": "wrong"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 429
