"""Crafted or oversized input gets a message (422) or is ignored — never a 500."""

import base64
import json

from tests.conftest import text_of


def cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_oversized_inline_value_is_refused_next_to_the_input(auth, make_customer):
    customer_id = make_customer("Jana")
    response = auth.post(
        f"/customers/{customer_id}/fields/company_name",
        {"company_name": "x" * 201},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "At most 200 characters." in text_of(response)


def test_a_group_that_is_not_a_number_or_not_ours_is_refused(auth, make_customer):
    customer_id = make_customer("Jana")
    for value in ("abc", "999999"):
        response = auth.post(
            f"/customers/{customer_id}/fields/group_id",
            {"group_id": value},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 422
        assert "Unknown group." in text_of(response)


def test_absurd_store_credit_amounts_are_refused(auth, make_customer):
    customer_id = make_customer("Jana")
    for amount in ("1e100000", "99999999999", "NaN", "Infinity"):
        response = auth.post(
            f"/customers/{customer_id}/store-credit",
            {"kind": "grant", "amount": amount, "reason": "x"},
        )
        assert response.status_code == 422, amount


def test_tampered_cursors_start_from_the_top(auth, make_customer):
    make_customer("Adam")
    for bad in (cursor(["Adam", "not-a-number"]), cursor([None, None]), cursor([1, 2, 3])):
        response = auth.get(f"/customers/?cursor={bad}")
        assert response.status_code == 200
    assert auth.get(f"/settings/audit?cursor={cursor(['yesterday', 'x'])}").status_code == 200
    assert auth.get(f"/inventory/?cursor={cursor(['a', 'b', 'c'])}").status_code == 200


def test_query_keys_url_for_would_misread_are_ignored(auth, make_customer):
    for _ in range(60):
        make_customer("Same Name")
    for path in (
        "/customers/?endpoint=x&_external=1",
        "/settings/audit?endpoint=x",
        "/inventory/?endpoint=x",
    ):
        assert auth.get(path).status_code == 200, path


def test_no_notes_on_an_erased_customer(auth, make_customer):
    customer_id = make_customer("Jana", email="jana@example.com")
    auth.post(f"/customers/{customer_id}/erase", {"confirm": "ERASE"})
    auth.post(f"/customers/{customer_id}/notes", {"note": "Her new phone is 777 000 111"})
    assert "777 000 111" not in text_of(auth.get(f"/customers/{customer_id}"))


def test_an_inline_phone_is_read_for_the_customers_country(app, auth, company, make_customer):
    """A Czech customer of an Italian company: a local number is Czech, inline as in the
    full form, and so is a VAT number written without its prefix."""
    from bizkit.core.models import Company
    from bizkit.extensions import db
    from tests.conftest import company_ctx

    with company_ctx(app, company.id):
        db.session.get(Company, company.id).country = "IT"
    customer_id = make_customer("Božena Němcová", billing_country="CZ")
    response = auth.post(
        f"/customers/{customer_id}/fields/phone",
        {"phone": "603 222 111"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "+420 603 222 111" in text_of(response)
    response = auth.post(
        f"/customers/{customer_id}/fields/vat_id",
        {"vat_id": "25596641"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "CZ25596641" in text_of(response)


def test_a_number_that_cannot_exist_is_refused(auth, make_customer):
    customer_id = make_customer("Jana", billing_country="CZ")
    # Slovak national format in a Czech customer: ten digits, no Czech number has them.
    response = auth.post(
        f"/customers/{customer_id}/fields/phone",
        {"phone": "0905 123 456"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "This phone number is not valid." in text_of(response)


def test_one_vat_number_written_two_ways_is_one_customer(app, auth, company, make_customer):
    from sqlalchemy import update

    from bizkit.customers.models import Customer
    from bizkit.extensions import db
    from tests.conftest import company_ctx

    make_customer("Café Slavia", billing_country="CZ", vat_id="CZ25596641")
    other = make_customer("Slavia s.r.o.", billing_country="CZ")
    response = auth.post(
        f"/customers/{other}/fields/vat_id", {"vat_id": "25596641"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Another customer already has this VAT number." in text_of(response)
    # A number kept without its prefix (before numbers got it) is found too.
    with company_ctx(app, company.id):
        db.session.execute(
            update(Customer).where(Customer.vat_id == "CZ25596641").values(vat_id="25596641")
        )
    response = auth.post(
        f"/customers/{other}/fields/vat_id",
        {"vat_id": "CZ 255 96 641"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Another customer already has this VAT number." in text_of(response)
