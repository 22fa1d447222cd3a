"""Payments and refunds: partial payments to paid, overpayment refused (cash gives change),
refunds never above what was paid, store credit and gift vouchers through their ledgers,
cancelled orders take refunds only, and the pages an order's money shows on."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import AuditEntry
from bizkit.customers.models import Customer, StoreCreditMovement
from bizkit.extensions import db
from bizkit.orders import gift_vouchers
from bizkit.orders import payments as pay
from bizkit.orders.models import GiftVoucher, GiftVoucherMovement, Order, Payment
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx, count_queries, text_of
from tests.orders.conftest import load_order
from tests.orders.money_fixtures import *  # noqa: F403 (fixtures)
from tests.orders.money_fixtures import grant_credit, race

D = Decimal


def _state(app, company, order_id):
    with company_ctx(app, company.id):
        order = load_order(order_id)
        return order.paid_total, order.payment_state


def test_partial_payments_then_paid_on_the_page(app, auth, company, make_order):
    order_id = make_order(company, ("Pizza", "2", "10.00"))
    page = text_of(auth.get(f"/orders/{order_id}/payments"))
    assert "Unpaid" in page and "€20.00" in page
    response = auth.post(f"/orders/{order_id}/payments", {"method": "card", "amount": "12.50"})
    assert response.status_code == 302
    assert response.headers["Location"] in (f"/orders/{order_id}", f"/orders/{order_id}/payments")
    assert _state(app, company, order_id) == (D("12.50"), "partially_paid")
    page = text_of(auth.get(f"/orders/{order_id}/payments"))
    assert "Partially paid" in page and "€7.50" in page  # the balance, prefilled
    auth.post(
        f"/orders/{order_id}/payments",
        {"method": "transfer", "amount": "7.50", "reference": "VS 42"},
    )
    assert _state(app, company, order_id) == (D("20.00"), "paid")
    page = text_of(auth.get(f"/orders/{order_id}/payments"))
    assert "Paid" in page and "VS 42" in page and "Record payment" not in page
    with company_ctx(app, company.id):
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert actions.count("order.payment") == 2


def test_overpayment_is_refused_next_to_the_amount_and_nothing_is_written(
    app, auth, company, make_order
):
    order_id = make_order(company, ("Pizza", "1", "10.00"))
    response = auth.post(
        f"/orders/{order_id}/payments",
        {"method": "card", "amount": "10.01"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "That is more than the €10.00 still due." in text_of(response)
    assert 'id="payment-amount-error"' in response.get_data(as_text=True)
    with company_ctx(app, company.id):
        assert db.session.execute(select(func.count(Payment.id))).scalar() == 0
        assert load_order(order_id).paid_total == D("0.00")


@pytest.mark.parametrize(
    "amount,message",
    [("-5", "The amount must be positive."), ("abc", "Enter an amount"), ("1.001", "two decimal")],
)
def test_bad_amounts_are_422(auth, company, make_order, amount, message):
    order_id = make_order(company, ("Pizza", "1", "10.00"))
    response = auth.post(f"/orders/{order_id}/payments", {"method": "cash", "amount": amount})
    assert response.status_code == 422
    assert message in text_of(response)


def test_cash_above_the_balance_records_the_change_given(app, auth, company, make_order):
    order_id = make_order(company, ("Pizza", "1", "17.30"))
    response = auth.post(
        f"/orders/{order_id}/payments",
        {"method": "cash", "amount": "20"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Give €2.70 back in change." in text_of(response)
    assert json.loads(response.headers["HX-Trigger-After-Settle"]) == {
        "order-payments-changed": {"target": "body"}
    }
    with company_ctx(app, company.id):
        payment = db.session.execute(select(Payment)).scalar_one()
        assert (payment.amount, payment.change_given) == (D("17.30"), D("2.70"))
        assert load_order(order_id).payment_state == "paid"
    response = auth.post(f"/orders/{order_id}/payments", {"method": "cash", "amount": "1"})
    assert response.status_code == 422 and "paid in full" in text_of(response)


def test_refunds_never_exceed_what_was_paid(app, auth, company, make_order):
    order_id = make_order(company, ("Pizza", "1", "30.00"))
    auth.post(f"/orders/{order_id}/payments", {"method": "card", "amount": "20"})
    auth.post(f"/orders/{order_id}/payments", {"method": "cash", "amount": "10"})
    with company_ctx(app, company.id):
        card_id = db.session.execute(select(Payment.id).where(Payment.method == "card")).scalar()
    response = auth.post(f"/orders/{order_id}/refunds", {"payment_id": card_id, "amount": "20.01"})
    assert response.status_code == 422
    assert "At most €20.00 of this payment can be refunded." in text_of(response)
    assert (
        auth.post(
            f"/orders/{order_id}/refunds", {"payment_id": card_id, "amount": "15"}
        ).status_code
        == 302
    )
    response = auth.post(f"/orders/{order_id}/refunds", {"payment_id": card_id, "amount": "5.01"})
    assert "At most €5.00 of this payment can be refunded." in text_of(response)
    response = auth.post(f"/orders/{order_id}/refunds", {"amount": "15.01", "method": "cash"})
    assert response.status_code == 422
    assert "You can refund at most €15.00, what was paid." in text_of(response)
    assert _state(app, company, order_id) == (D("15.00"), "partially_paid")
    page = text_of(auth.get(f"/orders/{order_id}/payments"))
    assert "Refund · Card" in page and "refunded €15.00" in page
    with company_ctx(app, company.id):
        card = db.session.get(Payment, card_id)
        assert card.refunded_total == D("15.00")
        refund = db.session.execute(select(Payment).where(Payment.kind == "refund")).scalar_one()
        assert (refund.method, refund.amount, refund.refund_of_id) == ("card", D("15.00"), card_id)


def test_store_credit_pays_and_refunds_through_the_customers_ledger(
    app, company, owner, make_order, make_customer
):
    jana = make_customer("Jana")
    grant_credit(app, company, jana, "25")
    with company_ctx(app, company.id):
        from bizkit.orders import operations as ops

        order = ops.create_order(None, customer=db.session.get(Customer, jana))
        ops.add_line(None, order, description="Service", quantity="1", unit_price="40")
        order_id = order.id
    with company_ctx(app, company.id):
        order = load_order(order_id)
        with pytest.raises(BusinessRuleError, match="cannot go below zero"):
            pay.record_payment(None, order, "store_credit", "25.01")
        assert order.paid_total == D("0.00")
        payment = pay.record_payment(None, order, "store_credit", "25")
        assert db.session.get(Customer, jana).store_credit_balance == D("0.00")
        pay.refund(None, order, "10", payment=payment)
        assert db.session.get(Customer, jana).store_credit_balance == D("10.00")
        assert order.paid_total == D("15.00")
        moves = db.session.execute(
            select(StoreCreditMovement.kind, StoreCreditMovement.amount).order_by(
                StoreCreditMovement.id
            )
        ).all()
        assert moves == [("grant", D("25.00")), ("use", D("-25.00")), ("grant", D("10.00"))]


def test_a_walk_in_order_cannot_pay_by_store_credit(app, auth, company, make_order):
    order_id = make_order(company, ("Pizza", "1", "10.00"))
    assert "Store credit" not in auth.get(f"/orders/{order_id}/payments").get_data(as_text=True)
    response = auth.post(f"/orders/{order_id}/payments", {"method": "store_credit", "amount": "5"})
    assert response.status_code == 422
    assert "A walk-in order cannot be paid with store credit." in text_of(response)


def test_gift_voucher_payment_and_refund(app, auth, company, make_order, make_gift_voucher):
    voucher_id, code = make_gift_voucher("30")
    order_id = make_order(company, ("Dinner", "1", "45.00"))
    typed = code.lower().replace("-", " ")
    response = auth.post(
        f"/orders/{order_id}/payments",
        {"method": "gift_voucher", "amount": "31", "gift_code": typed},
    )
    assert (
        response.status_code == 422
        and "Not enough on this gift voucher: €30.00 left." in text_of(response)
    )
    response = auth.post(
        f"/orders/{order_id}/payments",
        {"method": "gift_voucher", "amount": "5", "gift_code": "NOPE"},
    )
    assert "There is no gift voucher with this code." in text_of(response)
    assert (
        auth.post(
            f"/orders/{order_id}/payments",
            {"method": "gift_voucher", "amount": "30", "gift_code": typed},
        ).status_code
        == 302
    )
    with company_ctx(app, company.id):
        assert db.session.get(GiftVoucher, voucher_id).balance == D("0.00")
        payment_id = db.session.execute(select(Payment.id)).scalar()
    assert (
        auth.post(
            f"/orders/{order_id}/refunds", {"payment_id": payment_id, "amount": "12"}
        ).status_code
        == 302
    )
    page = text_of(auth.get(f"/orders/gift-vouchers/{voucher_id}"))
    assert "€12.00" in page and "Refunded back" in page and "Paid with" in page
    with company_ctx(app, company.id):
        assert db.session.get(GiftVoucher, voucher_id).balance == D("12.00")
        ledger = db.session.execute(
            select(
                GiftVoucherMovement.kind,
                GiftVoucherMovement.amount,
                GiftVoucherMovement.balance_after,
            ).order_by(GiftVoucherMovement.id)
        ).all()
        assert ledger == [
            ("issue", D("30.00"), D("30.00")),
            ("redeem", D("-30.00"), D("0.00")),
            ("refund", D("12.00"), D("12.00")),
        ]


def test_a_cancelled_order_takes_refunds_only(app, auth, company, make_order):
    order_id = make_order(company, ("Pizza", "1", "20.00"))
    auth.post(f"/orders/{order_id}/payments", {"method": "card", "amount": "10"})
    with company_ctx(app, company.id):
        workflow.transition(load_order(order_id), "CANCELLED", None)
    response = auth.post(f"/orders/{order_id}/payments", {"method": "card", "amount": "5"})
    assert response.status_code == 422
    assert "This order is cancelled: it only takes refunds." in text_of(response)
    assert (
        auth.post(f"/orders/{order_id}/refunds", {"amount": "10", "method": "card"}).status_code
        == 302
    )
    assert _state(app, company, order_id) == (D("0.00"), "unpaid")


def test_a_promo_code_through_the_page_lowers_the_balance(
    app, auth, company, make_order, make_voucher
):
    make_voucher("HALF", value="50")
    order_id = make_order(company, ("Pizza", "1", "20.00"))
    response = auth.post(
        f"/orders/{order_id}/voucher", {"code": "nope"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert 'id="voucher-code-error"' in response.get_data(as_text=True)
    assert "There is no promo code like this." in text_of(response)
    response = auth.post(
        f"/orders/{order_id}/voucher", {"code": "half"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "HALF" in text_of(response) and "€10.00" in text_of(response)
    assert "order-voucher-changed" in response.headers["HX-Trigger-After-Settle"]
    page = text_of(auth.get(f"/orders/{order_id}/payments"))
    assert "Balance due €10.00" in page
    assert auth.post(f"/orders/{order_id}/voucher/remove", {}).status_code == 302
    assert "Balance due €20.00" in text_of(auth.get(f"/orders/{order_id}/voucher"))


# -- concurrency --------------------------------------------------------------------------


def test_a_gift_voucher_never_goes_negative_under_concurrent_redemption(app, committed_shop):
    company_id, order_for, _customer = committed_shop
    with company_ctx(app, company_id):
        code = gift_vouchers.issue_gift_voucher(None, "100").code
    orders = [order_for(price="30.00") for _ in range(6)]
    outcomes = race(
        app,
        company_id,
        6,
        lambda i: pay.record_payment(
            None, load_order(orders[i]), "gift_voucher", "30", gift_code=code
        ),
    )
    assert sorted(outcomes) == ["Not enough on this gift voucher: €10.00 left."] * 3 + ["ok"] * 3
    with company_ctx(app, company_id):
        assert db.session.execute(select(GiftVoucher.balance)).scalar() == D("10.00")
        assert db.session.execute(select(func.sum(GiftVoucherMovement.amount))).scalar() == D(
            "10.00"
        )
        assert db.session.execute(select(func.sum(Payment.amount))).scalar() == D("90.00")
        paid = db.session.execute(select(func.sum(Order.paid_total))).scalar()
        assert paid == D("90.00")


def test_two_tills_cannot_overpay_one_order(app, committed_shop):
    company_id, order_for, _customer = committed_shop
    order_id = order_for(price="50.00")
    outcomes = race(
        app, company_id, 5, lambda i: pay.record_payment(None, load_order(order_id), "card", "20")
    )
    assert sorted(outcomes)[-2:] == ["ok", "ok"] and outcomes.count("ok") == 2
    assert all(o.startswith("Someone recorded a payment") for o in outcomes if o != "ok")
    with company_ctx(app, company_id):
        assert load_order(order_id).paid_total == D("40.00")
        assert db.session.execute(select(func.count(Payment.id))).scalar() == 2


# -- pages --------------------------------------------------------------------------------


def test_the_payments_page_costs_the_same_queries_for_many_payments(
    app, auth, company, owner, make_order, make_gift_voucher
):
    _id, code = make_gift_voucher("100")
    few, many = make_order(company, ("A", "1", "100")), make_order(company, ("B", "1", "100"))
    auth.post(f"/orders/{few}/payments", {"method": "card", "amount": "10"})
    for method in ("card", "cash", "gift_voucher", "transfer", "online", "card", "cash", "card"):
        auth.post(f"/orders/{many}/payments", {"method": method, "amount": "5", "gift_code": code})
    with company_ctx(app, company.id):
        assert (
            db.session.execute(
                select(func.count(Payment.id)).where(Payment.order_id == many)
            ).scalar()
            == 8
        )
    assert count_queries(app, auth, f"/orders/{few}/payments") == count_queries(
        app, auth, f"/orders/{many}/payments"
    )


def test_the_demo_seeds_codes_gift_voucher_and_payments_once(
    app, company, make_order, make_customer
):
    from bizkit.core.models import Company
    from bizkit.customers.models import Customer as CustomerModel
    from bizkit.orders import operations as ops
    from bizkit.orders.demo_money import seed_demo_money
    from bizkit.orders.models import Voucher, VoucherRedemption

    jana = make_customer("Jana")
    for n in range(6):
        make_order(company, (f"Dish {n}", "1", "30.00"))
    with company_ctx(app, company.id):
        order = ops.create_order(None, customer=db.session.get(CustomerModel, jana))
        ops.add_line(None, order, description="Dinner", quantity="1", unit_price="40")
    with company_ctx(app, company.id):
        record = db.session.get(Company, company.id)
        assert seed_demo_money(record) == "seeded"
        assert seed_demo_money(record) == "exists"
    with company_ctx(app, company.id):
        assert db.session.execute(select(func.count(Voucher.id))).scalar() == 2
        assert db.session.execute(select(func.count(GiftVoucher.id))).scalar() == 1
        assert db.session.execute(select(func.count(VoucherRedemption.id))).scalar() == 1
        states = db.session.execute(select(Order.paid_total, Order.total)).all()
        assert any(paid == total for paid, total in states)
        assert any(0 < paid < total for paid, total in states)
        assert db.session.execute(select(GiftVoucher.balance)).scalar() == D("30.00")


def test_an_order_that_shrank_after_payment_asks_for_a_refund(app, auth, company, make_order):
    from bizkit.orders import operations as ops

    order_id = make_order(company, ("Pizza", "1", "10.00"), ("Wine", "1", "5.00"))
    auth.post(f"/orders/{order_id}/payments", {"method": "card", "amount": "15"})
    with company_ctx(app, company.id):
        order = load_order(order_id)
        ops.remove_line(None, order, order.lines[1])
    page = text_of(auth.get(f"/orders/{order_id}/payments"))
    assert "€5.00 more than the total was paid: refund the difference." in page
    assert (
        auth.post(f"/orders/{order_id}/refunds", {"amount": "5", "method": "card"}).status_code
        == 302
    )
    assert "more than the total" not in text_of(auth.get(f"/orders/{order_id}/payments"))


def test_an_order_with_nothing_due_does_not_claim_to_be_paid(app, auth, company, make_order):
    """An empty new order (total 0) showed "Paid" in the list and on its page: no badge
    while nothing is due and nothing was paid; "Unpaid" once a line is added."""
    import re

    order_id = make_order(company)
    listing = auth.get("/orders/").get_data(as_text=True)
    row = re.search(r'<tr class="order-row" data-order="1">.*?</tr>', listing, re.S).group(0)
    assert "payment-state" not in row and "Paid" not in row
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'data-testid="payment-state"' not in page
    assert _state(app, company, order_id) == (D("0.00"), None)
    auth.post(f"/orders/{order_id}/lines", {"description": "Soup", "unit_price": "4"})
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'data-testid="payment-state">Unpaid<' in page
    assert 'data-payment="unpaid">Unpaid<' in auth.get("/orders/").get_data(as_text=True)
