from bizkit.core.models import Company
from bizkit.extensions import db
from tests.conftest import company_ctx, text_of


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_page_and_its_htmx_fragment_are_cached_apart(auth):
    """One URL answers the page or, to htmx, its rows: a browser must not show the rows
    cached from an htmx request when it navigates Back to the page (tests/e2e)."""
    for path in ("/customers/?q=a", "/inventory/?q=a", "/orders/?q=a"):
        page = auth.get(path)
        rows = auth.get(path, headers={"HX-Request": "true"})
        assert "<nav" in page.get_data(as_text=True) and "<nav" not in rows.get_data(as_text=True)
        for response in (page, rows):
            assert {"HX-Request", "HX-Boosted", "HX-History-Restore-Request"} <= set(
                response.vary
            ), path


def test_pages_carry_no_inline_script(auth):
    import re

    for path in ("/login", "/dashboard", "/settings/company", "/settings/users", "/settings/audit"):
        html = auth.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {path}"
        assert " on" + "click=" not in html and "style=" not in html, path


def test_session_cookie_flags(client, owner):
    response = client.post("/login", {"email": owner.email, "password": owner.password})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_400_and_changes_nothing(app, auth, company):
    response = auth.post(
        "/settings/company",
        {
            "name": "Hacked",
            "business_type": "generic",
            "locale": "en",
            "timezone": "UTC",
            "currency": "EUR",
        },
        csrf=False,
    )
    assert response.status_code == 400
    assert "Reload the page" in text_of(response)
    with company_ctx(app, company.id):
        assert db.session.get(Company, company.id).name == "Acme Bistro"


def test_htmx_post_without_csrf_header_is_refused_as_a_fragment(auth):
    response = auth.post(
        "/settings/company", {"name": "Hacked"}, csrf=False, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#htmx-error"
    assert "<html" not in response.get_data(as_text=True)


def test_htmx_post_with_csrf_header_is_accepted(app, auth, company):
    from tests.conftest import csrf_token

    token = csrf_token(auth.raw, app)
    response = auth.raw.post(
        "/settings/users",
        data={"email": "new.person@acme.example", "name": "New Person", "role": "staff"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert "new.person@acme.example" in response.get_data(as_text=True)


def test_login_form_itself_is_csrf_protected(client, owner):
    response = client.post("/login", {"email": owner.email, "password": owner.password}, csrf=False)
    assert response.status_code == 400
