"""Login rate limit: 5 failed tries per 15 minutes per e-mail and per IP address."""

from tests.conftest import text_of


def _fail(client, email, ip="10.0.0.1"):
    return client.post(
        "/login", {"email": email, "password": "wrong"}, environ_base={"REMOTE_ADDR": ip}
    )


def test_sixth_failed_try_for_an_email_is_429_with_when_to_retry(client, owner):
    for _ in range(5):
        assert _fail(client, owner.email).status_code == 422
    response = _fail(client, owner.email, ip="10.0.0.2")  # another IP: the e-mail limit holds
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert "Try again in" in text_of(response)
    assert "minutes" in text_of(response)
    # Even the right password is refused while the limit lasts.
    ok = client.post(
        "/login",
        {"email": owner.email, "password": owner.password},
        environ_base={"REMOTE_ADDR": "10.0.0.3"},
    )
    assert ok.status_code == 429


def test_failed_tries_from_one_ip_are_limited_across_emails(client, owner):
    for n in range(5):
        assert _fail(client, f"guess{n}@acme.example", ip="10.9.9.9").status_code == 422
    assert _fail(client, "another@acme.example", ip="10.9.9.9").status_code == 429
    # Someone else, from another address, still gets in.
    ok = client.post(
        "/login",
        {"email": owner.email, "password": owner.password},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert ok.status_code == 302


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
