"""Creating and editing customers: normalised data, errors next to the field, audit."""

import re

from sqlalchemy import select

from bizkit.core.models import AuditEntry
from bizkit.customers.models import Customer
from bizkit.extensions import db
from tests.conftest import company_ctx, text_of

VALID = {
    "kind": "person",
    "name": "Antonín Dvořák",
    "email": "Antonin@Example.com",
    "phone": "777 123 456",
    "billing_country": "cz",
    "tags": "VIP, opera, vip",
    "locale": "cs",
    "consent_source": "in_store",
    "marketing_consent": "y",
}


def test_create_normalises_and_audits(app, auth, company):
    response = auth.post("/customers/new", VALID)
    assert response.status_code == 302
    customer_id = int(re.search(r"/customers/(\d+)", response.headers["Location"]).group(1))
    with company_ctx(app, company.id):
        c = db.session.get(Customer, customer_id)
        assert c.email == "antonin@example.com"
        assert c.phone == "+420777123456"
        assert c.tags == ["vip", "opera"]
        assert c.marketing_consent and c.consent_source == "in_store" and c.consent_at
        assert c.search_text.startswith("antonin dvorak antonin@example.com")
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert "customer.create" in actions


def test_bad_fields_get_messages_next_to_them_and_nothing_is_written(app, auth, company):
    for field, value, message in (
        ("email", "not-an-address", "This e-mail address is not valid."),
        ("phone", "12", "This phone number is not valid."),
        ("vat_id", "CZ12345678", "This VAT or company number is not valid."),
        ("billing_country", "Czechia", "Use the two-letter country code"),
        ("name", "", "The customer needs a name."),
    ):
        response = auth.post("/customers/new", {**VALID, field: value})
        assert response.status_code == 422, field
        html = response.get_data(as_text=True)
        assert f'id="{field}-error"' in html, field
        assert message in html, field
    with company_ctx(app, company.id):
        assert db.session.execute(select(Customer)).first() is None


def test_duplicate_email_in_the_same_company_is_refused(auth, make_customer):
    make_customer("First", email="same@example.com")
    response = auth.post("/customers/new", {**VALID, "email": "SAME@example.com"})
    assert response.status_code == 422
    assert "Another customer already has this e-mail address." in text_of(response)


def test_the_same_email_may_exist_in_another_company(auth, make_company, make_customer):
    other = make_company("Elsewhere")
    make_customer("Theirs", target=other, email="same@example.com")
    assert auth.post("/customers/new", {**VALID, "email": "same@example.com"}).status_code == 302


def test_valid_vat_number_is_stored_compact(app, auth, company):
    auth.post("/customers/new", {**VALID, "vat_id": "cz 25596641", "kind": "company"})
    with company_ctx(app, company.id):
        assert db.session.execute(select(Customer.vat_id)).scalar_one() == "CZ25596641"


def test_inline_edit_saves_one_field_and_returns_the_fragment(app, auth, company, make_customer):
    customer_id = make_customer("Jana", email="jana@example.com")
    response = auth.post(
        f"/customers/{customer_id}/fields/email",
        {"email": "JANA@new.example"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "jana@new.example" in html
    with company_ctx(app, company.id):
        assert db.session.get(Customer, customer_id).email == "jana@new.example"


def test_inline_edit_error_comes_back_next_to_the_input(app, auth, company, make_customer):
    customer_id = make_customer("Jana", phone="+420777000111")
    response = auth.post(
        f"/customers/{customer_id}/fields/phone", {"phone": "abc"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="inline-phone-error"' in html and 'value="abc"' in html
    with company_ctx(app, company.id):
        assert db.session.get(Customer, customer_id).phone == "+420777000111"


def test_unknown_inline_field_is_404(auth, make_customer):
    customer_id = make_customer("Jana")
    assert (
        auth.post(
            f"/customers/{customer_id}/fields/store_credit_balance",
            {"store_credit_balance": "1000"},
        ).status_code
        == 404
    )


def test_full_edit_and_notes_show_on_the_detail_page(auth, make_customer):
    customer_id = make_customer("Jana")
    response = auth.post(
        f"/customers/{customer_id}/edit",
        {**VALID, "name": "Jana Svobodová", "billing_city": "Brno"},
    )
    assert response.status_code == 302
    auth.post(f"/customers/{customer_id}/notes", {"note": "Prefers the window table."})
    page = text_of(auth.get(f"/customers/{customer_id}"))
    assert "Jana Svobodová" in page and "Brno" in page
    assert "Prefers the window table." in page
    assert "Details changed" in page and "Note added" in page  # the timeline, in words
    assert "customer.update" not in page


def test_groups_and_group_filter(app, auth, company, make_customer):
    assert auth.post("/customers/groups", {"name": "Wholesale"}).status_code == 302
    assert auth.post("/customers/groups", {"name": "Wholesale"}).status_code == 422
    with company_ctx(app, company.id):
        from bizkit.customers.models import CustomerGroup

        group_id = db.session.execute(select(CustomerGroup.id)).scalar_one()
    make_customer("In group", group_id=group_id)
    make_customer("Not in group")
    page = text_of(auth.get(f"/customers/?group={group_id}"))
    assert "In group" in page and "Not in group" not in page
