"""Crafted form values on the order pages are refused or ignored, never a 500:
"²" passes str.isdigit() but not int(); ids beyond PostgreSQL's integer."""

from tests.conftest import text_of


def test_a_crafted_version_is_refused_with_a_message(auth, company, make_order):
    order_id = make_order(company, ("Bread", "1", "2.00"))
    for version in ("²", "99999999999999999999"):
        response = auth.post(
            f"/orders/{order_id}/transition", {"to": "CONFIRMED", "version": version}
        )
        assert response.status_code in (409, 422), version
        response = auth.post(
            f"/orders/board/{order_id}/move",
            {"to": "CONFIRMED", "version": version},
            headers={"HX-Request": "true"},
        )
        assert response.status_code in (409, 422), version
    assert "Pending" in text_of(auth.get(f"/orders/{order_id}"))


def test_crafted_notices_and_customers_are_ignored(auth, company):
    board = auth.get(
        "/orders/board?notice=%C2%B2&notice=99999999999", headers={"HX-Request": "true"}
    )
    assert board.status_code == 200
    response = auth.post("/orders/new", {"customer_id": "²", "channel": "counter", "takeaway": "y"})
    assert response.status_code in (302, 422)


def test_posted_variant_or_payment_ids_beyond_the_database_are_not_found(auth, company, make_order):
    order_id = make_order(company, ("Bread", "1", "2.00"))
    line = auth.post(
        f"/orders/{order_id}/lines",
        {"variant_id": "99999999999", "quantity": "1"},
        headers={"HX-Request": "true"},
    )
    assert line.status_code == 404
    refund = auth.post(f"/orders/{order_id}/refunds", {"payment_id": "99999999999", "amount": "1"})
    assert refund.status_code == 404
