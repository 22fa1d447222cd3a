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
    cost = client.post("/inventory/products/new", _new_product(price="1200", cost_price="99.5"))
    assert cost.status_code == 422 and WHOLE in text_of(cost)
    minimum = client.post(
        "/orders/vouchers/new",
        {"code": "YEN50", "kind": "fixed", "value": "50", "min_order_total": "10.5", "active": "y"},
    )
    assert minimum.status_code == 422 and WHOLE in text_of(minimum)


def test_store_credit_in_yen_is_whole(yen, make_customer):
    company, client = yen
    customer_id = make_customer("Yuki", target=company)
    credit = client.post(
        f"/customers/{customer_id}/store-credit",
        {"kind": "grant", "amount": "999.50", "reason": "Sorry"},
    )
    assert credit.status_code == 422 and WHOLE in text_of(credit)


def test_a_gift_voucher_is_corrected_in_its_own_currency(app, yen):
    """A voucher sold in EUR before the company switched to JPY keeps its cents."""
    from sqlalchemy import select

    from bizkit.extensions import db
    from bizkit.orders import gift_vouchers
    from bizkit.orders.models import GiftVoucher
    from tests.conftest import company_ctx

    company, _client = yen
    with company_ctx(app, company.id):
        voucher = gift_vouchers.issue_gift_voucher(None, "40")
        voucher.currency = "EUR"
    with company_ctx(app, company.id):
        voucher = db.session.execute(select(GiftVoucher)).scalar_one()
        gift_vouchers.correct_balance(None, voucher, "10.50", "Goodwill")
        assert voucher.balance == 50.50
