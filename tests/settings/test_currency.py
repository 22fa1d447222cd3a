"""The company currency: offered only where it is legal tender today, with its name, and
not changed once amounts are stored in it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bizkit.core.models import AuditEntry, Company
from bizkit.extensions import db
from bizkit.orders.models import Voucher
from tests.conftest import company_ctx, text_of
from tests.orders.conftest import make_order  # noqa: F401 (fixture)

PROFILE = {
    "name": "Acme Bistro",
    "business_type": "restaurant",
    "locale": "en",
    "timezone": "Europe/Rome",
    "currency": "CZK",
}
REFUSED = "The currency cannot be changed: the company already has orders, payments"


def currency_of(app, company) -> str:
    with company_ctx(app, company.id):
        return db.session.get(Company, company.id).currency


def test_the_currency_can_change_while_nothing_is_stored_in_it(app, auth, company):
    assert auth.post("/settings/company", PROFILE).status_code == 302
    assert currency_of(app, company) == "CZK"


def test_an_order_stops_a_currency_change(app, auth, company, request):
    request.getfixturevalue("make_order")(company, ("Espresso", 1, Decimal("17.00")))
    response = auth.post("/settings/company", {**PROFILE, "name": "Renamed"})
    assert response.status_code == 422
    assert 'id="currency-error"' in response.get_data(as_text=True)
    assert REFUSED in text_of(response) and "in EUR" in text_of(response)
    assert currency_of(app, company) == "EUR"
    with company_ctx(app, company.id):
        assert db.session.get(Company, company.id).name == "Acme Bistro"
        assert db.session.query(AuditEntry).filter_by(action="company.update").count() == 0
    # The rest of the profile still saves when the currency stays.
    kept = auth.post("/settings/company", {**PROFILE, "currency": "EUR", "name": "Renamed"})
    assert kept.status_code == 302


@pytest.mark.parametrize(
    ("kind", "minimum", "blocks"),
    [("fixed", None, True), ("percent", Decimal("50"), True), ("percent", None, False)],
)
def test_a_promo_code_with_an_amount_stops_a_currency_change(
    app, auth, company, kind, minimum, blocks
):
    with company_ctx(app, company.id):
        db.session.add(
            Voucher(code="SPRING", kind=kind, value=Decimal("10"), min_order_total=minimum)
        )
    response = auth.post("/settings/company", PROFILE)
    assert response.status_code == (422 if blocks else 302)
    assert currency_of(app, company) == ("EUR" if blocks else "CZK")


def test_only_legal_tender_is_offered_with_its_name(app, auth, company):
    from bizkit.core.money import currency_choices, supported_currencies

    offered = supported_currencies()
    assert {"EUR", "CZK", "PLN", "BRL", "USD", "JPY"} <= set(offered)
    for gone in ("XAU", "XTS", "XXX", "DEM", "SKK", "BHD", "XDR"):
        assert gone not in offered
    assert len(offered) < 160
    with app.test_request_context():
        labels = dict(currency_choices("cs"))
        assert labels["CZK"] == "Česká koruna (CZK)"
        assert "BHD" in dict(currency_choices("en", current="BHD"))
    response = auth.post("/settings/company", {**PROFILE, "currency": "XAU"})
    assert response.status_code == 422
    assert 'id="currency-error"' in response.get_data(as_text=True)
    assert currency_of(app, company) == "EUR"
    # The operation (the API's door too) says why.
    from bizkit.core.errors import BusinessRuleError
    from bizkit.settings import operations as ops

    with (
        company_ctx(app, company.id),
        app.test_request_context(),
        pytest.raises(
            BusinessRuleError, match=re.escape("XAU is not legal tender anywhere today.")
        ),
    ):
        ops.update_company(None, db.session.get(Company, company.id), {"currency": "XAU"})
