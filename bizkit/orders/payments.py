"""Payments and refunds against an order.

Rules, each guarded where concurrency could break it:

* ``Order.paid_total`` (payments minus refunds) changes by one conditional UPDATE that
  only matches while it stays within ``0 … total``: two tills cannot overpay an order,
  and refunds can never return more than was paid.
* Overpayment is refused, except in cash: the customer hands over more, the payment
  records what is due and ``change_given`` what went back over the counter.
* A refund may name the payment it returns; that payment's ``refunded_total`` grows by
  a conditional UPDATE (CHECK ``refunded_total <= amount`` behind it).
* Store credit uses the customer's ledger (``bizkit.customers.credit``): a walk-in order
  cannot pay with it; a store-credit refund grants the credit back.
* Gift vouchers are spent through their own ledger (``bizkit.orders.gift_vouchers``);
  refunding such a payment puts the money back on the same voucher.
* A cancelled (or rejected) order takes refunds only.

Every refusal happens inside a savepoint, so it changes nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.money import check_minor_unit, format_money
from bizkit.customers.credit import move_store_credit, parse_amount
from bizkit.extensions import db
from bizkit.orders import gift_vouchers
from bizkit.orders import operations as orders
from bizkit.orders.models import PAYMENT_METHODS, ZERO, Order, Payment

METHOD_LABELS = {
    "cash": _l("Cash"),
    "card": _l("Card"),
    "transfer": _l("Bank transfer"),
    "online": _l("Online"),
    "store_credit": _l("Store credit"),
    "gift_voucher": _l("Gift voucher"),
}
PAYMENT_STATE_LABELS = {
    "paid": _l("Paid"),
    "partially_paid": _l("Partially paid"),
    "unpaid": _l("Unpaid"),
}
# Orders in these statuses were called off: they take refunds, never new payments.
REFUND_ONLY_STATUSES = frozenset({"CANCELLED", "QUOTE_REJECTED"})


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency, str(get_locale() or "en"))


def _positive_amount(value, currency: str) -> Decimal:
    amount = check_minor_unit(parse_amount(value), currency, "amount")
    if amount <= 0:
        raise BusinessRuleError(_("The amount must be positive."), field="amount")
    return amount


def _reference(value) -> str | None:
    value = (value or "").strip()
    if len(value) > 120:
        raise BusinessRuleError(_("At most %(max)d characters.", max=120), field="reference")
    return value or None


def _method(value, allowed=PAYMENT_METHODS) -> str:
    if value not in allowed:
        raise BusinessRuleError(_("Choose how the money is paid."), field="method")
    return value


def _order_reason(order: Order) -> str:
    return _("Order %(number)s", number=order.number)


@contextmanager
def _all_or_nothing(*rows):
    """A savepoint; on a refusal also forget the cached values the UPDATEs had set."""
    try:
        with db.session.begin_nested():
            yield
    except Exception:
        for row in rows:
            if row is not None:
                db.session.expire(row)
        raise


def _change_paid_total(order: Order, delta: Decimal) -> Decimal | None:
    """Add `delta` to the order's paid total if it stays within 0 … total; None if not."""
    within = [Order.id == order.id, Order.paid_total + delta >= 0]
    if delta > 0:
        within.append(Order.paid_total + delta <= Order.total)
    paid = db.session.execute(
        update(Order)
        .where(*within)
        .values(paid_total=Order.paid_total + delta)
        .returning(Order.paid_total),
        execution_options={"synchronize_session": False},
    ).scalar()
    if paid is not None:
        set_committed_value(order, "paid_total", paid)
    else:
        db.session.refresh(order, ["paid_total", "total"])
    return paid


def record_payment(
    actor, order: Order, method, amount, reference=None, *, gift_code=None
) -> Payment:
    """Take a payment (possibly partial) for `order`; see the module docstring."""
    method = _method(method)
    amount = _positive_amount(amount, order.currency)
    reference = _reference(reference)
    if order.status in REFUND_ONLY_STATUSES:
        raise BusinessRuleError(_("This order is cancelled: it only takes refunds."))
    db.session.flush()
    due = order.balance_due
    if due <= 0:
        raise BusinessRuleError(_("This order is paid in full."), field="amount")
    change = ZERO
    if amount > due:
        if method != "cash":
            raise BusinessRuleError(
                _("That is more than the %(due)s still due.", due=_money(due, order.currency)),
                field="amount",
            )
        change, amount = amount - due, due
    if method == "store_credit" and order.customer is None:
        raise BusinessRuleError(
            _("A walk-in order cannot be paid with store credit."), field="method"
        )
    voucher = None
    if method == "gift_voucher":
        voucher = gift_vouchers.check_spendable(
            gift_vouchers.find_gift_voucher(gift_code), order.currency
        )
    with _all_or_nothing(order):
        if _change_paid_total(order, amount) is None:
            raise BusinessRuleError(
                _(
                    "Someone recorded a payment a moment ago: %(due)s is still due.",
                    due=_money(order.balance_due, order.currency),
                ),
                field="amount",
            )
        payment = Payment(
            order_id=order.id,
            kind="payment",
            method=method,
            amount=amount,
            change_given=change,
            reference=reference,
            gift_voucher_id=getattr(voucher, "id", None),
            actor_id=getattr(actor, "id", None),
        )
        if method == "store_credit":
            movement = move_store_credit(
                actor, order.customer, "use", amount, _order_reason(order), reference=reference
            )
            payment.store_credit_movement_id = movement.id
        elif voucher is not None:
            gift_vouchers.move_balance(
                actor, voucher, "redeem", -amount, order=order, reason=_order_reason(order)
            )
        db.session.add(payment)
        db.session.flush()
    db.session.expire(order, ["payments"])
    audit.record(
        actor,
        "order.payment",
        order,
        {
            "payment": [None, f"{method} {amount}"],
            "paid_total": [str(order.paid_total - amount), str(order.paid_total)],
            **({"change_given": [None, str(change)]} if change else {}),
        },
        label=orders.label(order),
    )
    return payment


def refund(
    actor, order: Order, amount, method=None, *, payment: Payment | None = None, reference=None
) -> Payment:
    """Give money back: never more than was paid for the order, nor than `payment` was."""
    amount = _positive_amount(amount, order.currency)
    reference = _reference(reference)
    if payment is not None:
        if payment.order_id != order.id or payment.kind != "payment":
            raise BusinessRuleError(_("This payment cannot be refunded here."))
        method = method or payment.method
        if amount > payment.refundable:
            raise BusinessRuleError(
                _(
                    "At most %(amount)s of this payment can be refunded.",
                    amount=_money(payment.refundable, order.currency),
                ),
                field="amount",
            )
    method = _method(method)
    voucher = None
    if method == "gift_voucher":
        voucher = payment.gift_voucher if payment is not None else None
        if voucher is None:
            raise BusinessRuleError(
                _("Money goes back to a gift voucher only from its own payment."), field="method"
            )
    if method == "store_credit" and order.customer is None:
        raise BusinessRuleError(
            _("A walk-in order cannot be refunded as store credit."), field="method"
        )
    db.session.flush()
    with _all_or_nothing(order, payment):
        if _change_paid_total(order, -amount) is None:
            raise BusinessRuleError(
                _(
                    "You can refund at most %(paid)s, what was paid.",
                    paid=_money(order.paid_total, order.currency),
                ),
                field="amount",
            )
        if payment is not None:
            _count_refund(payment, amount, order.currency)
        record = Payment(
            order_id=order.id,
            kind="refund",
            method=method,
            amount=amount,
            refund_of_id=getattr(payment, "id", None),
            reference=reference,
            gift_voucher_id=getattr(voucher, "id", None),
            actor_id=getattr(actor, "id", None),
        )
        if method == "store_credit":
            movement = move_store_credit(
                actor, order.customer, "grant", amount, _order_reason(order), reference=reference
            )
            record.store_credit_movement_id = movement.id
        elif voucher is not None:
            gift_vouchers.move_balance(
                actor, voucher, "refund", amount, order=order, reason=_order_reason(order)
            )
        db.session.add(record)
        db.session.flush()
    db.session.expire(order, ["payments"])
    audit.record(
        actor,
        "order.refund",
        order,
        {
            "refund": [None, f"{method} {amount}"],
            "paid_total": [str(order.paid_total + amount), str(order.paid_total)],
        },
        label=orders.label(order),
    )
    return record


def _count_refund(payment: Payment, amount: Decimal, currency: str) -> None:
    refunded = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.refunded_total + amount <= Payment.amount)
        .values(refunded_total=Payment.refunded_total + amount)
        .returning(Payment.refunded_total),
        execution_options={"synchronize_session": False},
    ).scalar()
    if refunded is None:
        db.session.refresh(payment, ["refunded_total"])
        raise BusinessRuleError(
            _(
                "At most %(amount)s of this payment can be refunded.",
                amount=_money(payment.refundable, currency),
            ),
            field="amount",
        )
    set_committed_value(payment, "refunded_total", refunded)


def takes_payments(order: Order) -> bool:
    return order.status not in REFUND_ONLY_STATUSES and order.balance_due > 0


def payment_state_label(order: Order) -> str:
    """The order's payment state in words; "" while nothing is due (no badge)."""
    state = order.payment_state
    return str(PAYMENT_STATE_LABELS[state]) if state else ""
