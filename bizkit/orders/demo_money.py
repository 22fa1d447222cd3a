"""Demo money: a promo code, a gift voucher, and codes and payments on some demo orders.

Runs after the orders demo, inside the company's scope, through the same operations the
pages use. Idempotent: a company that already has the demo code is left as it is.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.tenancy import company_scope
from bizkit.extensions import db
from bizkit.orders import gift_vouchers, payments, vouchers
from bizkit.orders.models import Order, Voucher

DEMO_CODE = "WELCOME10"
# Gift voucher value per currency (whole numbers people buy).
GIFT_AMOUNTS = {"CZK": Decimal("1000"), "EUR": Decimal("50")}


def seed_demo_money(company) -> str:
    """Give `company` a promo code and a gift voucher; apply and pay on its demo orders."""
    with company_scope(company.id):
        if db.session.execute(select(Voucher.id).where(Voucher.code == DEMO_CODE)).first():
            return "exists"
        vouchers.save_voucher(
            None,
            None,
            {
                "code": DEMO_CODE,
                "description": "10 % off for new customers",
                "kind": "percent",
                "value": "10",
                "max_uses": "500",
                "max_uses_per_customer": "1",
            },
        )
        vouchers.save_voucher(
            None, None, {"code": "FIVEOFF", "kind": "fixed", "value": "5", "min_order_total": "20"}
        )
        gift = gift_vouchers.issue_gift_voucher(
            None, GIFT_AMOUNTS.get(company.currency, Decimal("50")), note="Demo gift voucher"
        )
        orders = db.session.execute(
            select(Order).where(Order.total > 0).order_by(Order.id).limit(12)
        ).scalars()
        for index, order in enumerate(orders):
            _seed_order(order, index, gift.code)
        db.session.flush()
        return "seeded"


def _seed_order(order: Order, index: int, gift_code: str) -> None:
    """Every third order gets the code (if open and it has a customer); some are paid in
    full, some in part, one with the gift voucher. Refusals (a closed order, a code the
    customer used already) are part of the demo's reality and simply skipped."""
    try:
        if index % 3 == 0 and order.customer_id is not None:
            vouchers.apply_voucher(None, order, DEMO_CODE)
    except BusinessRuleError:
        pass
    try:
        if index % 4 == 0:
            payments.record_payment(None, order, "card", order.balance_due)
        elif index % 4 == 1:
            part = (order.balance_due / 2).quantize(Decimal("0.01"))
            payments.record_payment(None, order, "cash", part)
        elif index == 2:
            payments.record_payment(
                None,
                order,
                "gift_voucher",
                min(order.balance_due, Decimal("20")),
                gift_code=gift_code,
            )
    except BusinessRuleError:
        pass
