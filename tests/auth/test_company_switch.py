"""A page rendered before a company switch (or a login, a logout) can no longer post:
its form would otherwise act in whichever company is current when it is sent."""

import re

from bizkit.core.models import Company
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx, text_of

OUT_OF_DATE = "This page is out of date: you switched company or signed in again in another tab."


def _page_token(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def _form_of(company_name: str) -> dict:
    return {
        "name": company_name,
        "business_type": "restaurant",
        "locale": "en",
        "timezone": "Europe/Rome",
        "currency": "EUR",
        "vat_id": "IT 00743110157",
        "country": "it",
        "iban": "it60 x054 2811 1010 0000 0123 456",
    }


def test_a_form_rendered_before_a_company_switch_is_refused_and_saves_nothing(
    app, client, company, make_company, make_user
):
    other = make_company("Beta Bakery", currency="CZK", locale="en")
    user = make_user(company, "owner", email="both@example.com")
    make_user(other, "admin", email="both@example.com")
    client.login(user)

    first_tab = client.get("/settings/company")  # on Acme
    assert first_tab.status_code == 200 and "Acme Bistro" in text_of(first_tab)
    old_token = _page_token(first_tab)

    switched = client.post("/switch-company", {"company_id": str(other.id)})  # second tab
    assert switched.status_code == 302
    assert "Beta Bakery" in text_of(client.get("/dashboard"))

    refused = client.post("/settings/company", {**_form_of("Acme Bistro"), "csrf_token": old_token})
    assert refused.status_code == 400
    assert OUT_OF_DATE in text_of(refused)
    with company_ctx(app, other.id):
        beta = db.session.get(Company, other.id)
        assert (beta.name, beta.currency, beta.iban) == ("Beta Bakery", "CZK", None)

    # The same refusal in an htmx request comes as a fragment for the page's error region.
    htmx = client.post(
        "/settings/company",
        {**_form_of("Acme Bistro"), "csrf_token": old_token},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 400 and htmx.headers["HX-Retarget"] == "#htmx-error"
    assert OUT_OF_DATE in text_of(htmx)

    # A page rendered after the switch posts as before.
    fresh = client.get("/settings/company")
    saved = client.post(
        "/settings/company", {**_form_of("Beta Bakery 2"), "csrf_token": _page_token(fresh)}
    )
    assert saved.status_code == 302


def test_a_page_rendered_before_logout_and_login_again_cannot_post(app, client, owner):
    client.login(owner)
    old_token = _page_token(client.get("/settings/company"))
    client.post("/logout")
    client.login(owner)
    refused = client.post("/settings/company", {**_form_of("Renamed"), "csrf_token": old_token})
    assert refused.status_code == 400 and OUT_OF_DATE in text_of(refused)


def test_a_login_page_opened_before_another_tab_signed_in_is_refused_clearly(app, owner):
    tab = BrowserlikeClient(app, app.test_client())
    old_token = _page_token(tab.get("/login"))
    tab.login(owner)  # another tab signs in: a fresh session, a fresh token
    refused = tab.post(
        "/login",
        {"email": owner.email, "password": owner.password, "csrf_token": old_token},
        csrf=False,
    )
    assert refused.status_code == 400 and OUT_OF_DATE in text_of(refused)


def test_an_htmx_post_naming_the_company_switched_from_reloads_the_page(
    app, client, company, make_company, make_user
):
    """As the order board's hx-vals do: the page follows the switch instead of an error."""
    other = make_company("Beta Bakery")
    user = make_user(company, "owner", email="both@example.com")
    make_user(other, "admin", email="both@example.com")
    client.login(user)
    old_token = _page_token(client.get("/settings/company"))
    client.post("/switch-company", {"company_id": str(other.id)})
    response = client.post(
        "/settings/company",
        {**_form_of("Acme Bistro"), "csrf_token": old_token, "company": str(company.id)},
        headers={"HX-Request": "true"},
    )
    assert response.headers["HX-Refresh"] == "true" and response.get_data(as_text=True) == ""
    with company_ctx(app, other.id):
        assert db.session.get(Company, other.id).name == "Beta Bakery"
