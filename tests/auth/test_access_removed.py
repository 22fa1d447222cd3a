"""A person whose access was removed is told so and can log out; a session that ended
during an htmx request sends the browser to the login page, not into the page."""

import re

from bizkit.auth.models import Membership
from bizkit.core.models import Company
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx, text_of

REMOVED = "Your access to the company was removed."


def _remove(app, company, person):
    with company_ctx(app, company.id):
        db.session.get(Membership, person.membership_id).active = False


def test_a_person_whose_only_access_was_removed_sees_why_and_can_log_out(app, company, make_user):
    cook = make_user(company, "kitchen", email="cook@acme.example")
    client = BrowserlikeClient(app, app.test_client())
    client.login(cook)
    assert client.get("/dashboard").status_code == 200
    _remove(app, company, cook)

    for url in ("/dashboard", "/orders/"):
        page = client.get(url)
        assert page.status_code == 403
        assert REMOVED in text_of(page) and "Log out" in text_of(page)
    # The way out of the error page and the login page lead there too, not round in circles.
    login = client.get("/login")
    assert login.status_code == 302
    assert REMOVED in text_of(client.get(login.headers["Location"]))
    # An htmx request reloads the page, which says it.
    fragment = client.get("/dashboard", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Refresh"] == "true"

    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").headers["Location"].startswith("/login")


def test_when_the_current_company_is_taken_away_the_next_page_says_where_one_works_now(
    app, client, company, make_company, make_user
):
    other = make_company("Beta Bakery")
    person = make_user(company, "admin", email="both@example.com")
    make_user(other, "staff", email="both@example.com")
    client.login(person)
    page = client.get("/settings/company")  # Acme's form, in a tab left open
    assert "Acme Bistro" in text_of(page)
    old_token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    _remove(app, company, person)

    refused = client.post(
        "/settings/company", {"name": "Acme Bistro", "csrf_token": old_token}, csrf=False
    )
    assert refused.status_code == 400
    assert "This page belongs to a company you no longer have access to." in text_of(refused)
    assert "Your access to the company you were working in was removed." in text_of(refused)
    assert "Now working in Beta Bakery." in text_of(refused)
    with company_ctx(app, other.id):
        assert db.session.get(Company, other.id).name == "Beta Bakery"
    assert "Beta Bakery" in text_of(client.get("/dashboard"))


def test_an_ended_session_in_an_htmx_request_redirects_the_browser_to_login(app, auth, owner):
    auth.post("/logout")
    response = auth.get(
        "/orders/board?company=1",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/orders/board"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login?next=/orders/board"
    assert response.get_data(as_text=True) == ""  # nothing for htmx to put into the page
    # A foreign page address is not carried into `next`.
    foreign = auth.post(
        "/settings/company",
        {"name": "X"},
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"},
    )
    assert foreign.headers["HX-Redirect"] == "/login"
