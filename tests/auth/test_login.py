import pytest

from bizkit.auth.models import User
from bizkit.extensions import db
from tests.conftest import company_ctx, text_of


def test_login_page_has_the_bookmarkable_fields(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html


def test_login_lands_on_the_dashboard_with_the_company_name(client, owner):
    response = client.login(owner)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Acme Bistro" in text_of(page)


def test_root_leads_to_the_dashboard(auth):
    response = auth.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")


def test_wrong_password_is_refused_with_a_message(client, owner):
    response = client.post("/login", {"email": owner.email, "password": "nope"})
    assert response.status_code == 422
    assert "Wrong e-mail or password." in text_of(response)
    assert client.get("/dashboard").status_code == 302


def test_unknown_email_gets_the_same_message(client, owner):
    response = client.post("/login", {"email": "nobody@acme.example", "password": "x"})
    assert response.status_code == 422
    assert "Wrong e-mail or password." in text_of(response)


def test_email_is_case_insensitive(client, owner):
    response = client.post("/login", {"email": owner.email.upper(), "password": owner.password})
    assert response.status_code == 302


def test_inactive_user_cannot_log_in(app, client, company, make_user):
    user = make_user(company, "staff", active=False)
    response = client.post("/login", {"email": user.email, "password": user.password})
    assert response.status_code == 422


def test_pages_need_login_and_remember_where_you_wanted_to_go(client):
    response = client.get("/settings/company?tab=1")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/settings/company", "/settings/company"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/path", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
    ],
)
def test_next_redirects_only_to_local_paths(client, owner, target, expected):
    response = client.post(
        "/login", {"email": owner.email, "password": owner.password, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logout_needs_a_post_and_ends_the_session(auth):
    confirm = auth.get("/logout")
    assert confirm.status_code == 200
    assert auth.get("/dashboard").status_code == 200  # a GET did not log out
    response = auth.post("/logout")
    assert response.status_code == 302
    assert auth.get("/dashboard").status_code == 302


def test_passwords_are_stored_hashed_with_scrypt(app, owner, company):
    with company_ctx(app, company.id):
        user = db.session.get(User, owner.id)
        assert user.password_hash.startswith("scrypt:")
        assert owner.password not in user.password_hash


def test_a_one_time_password_must_be_changed_first(app, client, company):
    from bizkit.auth import operations as auth_ops

    with company_ctx(app, company.id):
        user, one_time = auth_ops.create_user("new@acme.example", "New Person")
        auth_ops.add_member(None, user, "staff")
    response = client.post("/login", {"email": "new@acme.example", "password": one_time})
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/dashboard").headers["Location"].endswith("/account/password")
    bad = client.post(
        "/account/password",
        {"current_password": one_time, "new_password": "short", "confirm": "short"},
    )
    assert bad.status_code == 422
    assert "Use at least 10 characters." in text_of(bad)
    ok = client.post(
        "/account/password",
        {
            "current_password": one_time,
            "new_password": "a much better secret",
            "confirm": "a much better secret",
        },
    )
    assert ok.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_user_in_no_company_cannot_log_in(app, client):
    from bizkit.auth import operations as auth_ops

    with company_ctx(app):
        auth_ops.create_user("lonely@example.com", "Lonely", "correct horse battery")
    response = client.post(
        "/login", {"email": "lonely@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 422
    assert "no access to any company" in text_of(response)
