"""Amounts in a currency without cents (JPY) are whole: a price, a payment, a gift
voucher or a fixed promo code of ¥999.50 is refused next to its field, not stored."""

import pytest

from tests.conftest import BrowserlikeClient, text_of
from tests.inventory.test_catalog import _new_product

HTMX = {"HX-Request": "true"}
WHOLE = "JPY has no smaller unit: enter a whole amount."


@pytest.fixture
def yen(app, make_company, make_user, make_order):
    company = make_company("Sushi Ya", currency="JPY", business_type="restaurant")
    client = BrowserlikeClient(app, app.test_client())
    client.login(make_user(company, "owner"))
    return company, client


def test_amounts_in_yen_are_whole(yen, make_order):
    company, client = yen
    order_id = make_order(company, ("Nigiri", "1", "1000"))
    line = client.post(
        f"/orders/{order_id}/lines",
        {"description": "Tea", "unit_price": "100.50", "quantity": "1"},
        headers=HTMX,
    )
    assert line.status_code == 422 and WHOLE in text_of(line)
    payment = client.post(f"/orders/{order_id}/payments", {"method": "cash", "amount": "999.50"})
    assert payment.status_code == 422 and WHOLE in text_of(payment)
    assert client.post(
        f"/orders/{order_id}/payments", {"method": "cash", "amount": "1000"}
    ).status_code in (200, 302)
    assert "¥1,000" in text_of(client.get(f"/orders/{order_id}"))
    gift = client.post("/orders/gift-vouchers/new", {"amount": "500.5", "note": "x"})
    assert gift.status_code == 422 and WHOLE in text_of(gift)
    code = client.post(
        "/orders/vouchers/new", {"code": "YEN50", "kind": "fixed", "value": "50.5", "active": "y"}
    )
    assert code.status_code == 422 and WHOLE in text_of(code)
    product = client.post("/inventory/products/new", _new_product(price="1200.50"))
    assert product.status_code == 422 and WHOLE in text_of(product)
