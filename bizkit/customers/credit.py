"""Store credit: a ledger of movements per customer; the balance never goes below zero."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.money import check_minor_unit, company_currency
from bizkit.customers.models import Customer, StoreCreditMovement
from bizkit.extensions import db

# --- store credit -------------------------------------------------------------------------

CREDIT_SIGNS = {"grant": 1, "use": -1, "expire": -1, "correction": 0}


MAX_AMOUNT = Decimal("1e9")  # well inside Numeric(12, 2), so no sum can overflow a row


def parse_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        raise BusinessRuleError(_("Enter an amount, e.g. 12.50."), field="amount") from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise BusinessRuleError(_("Enter an amount, e.g. 12.50."), field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise BusinessRuleError(_("Use at most two decimal places."), field="amount")
    return amount


def move_store_credit(
    actor,
    customer: Customer,
    kind: str,
    amount: Decimal | str,
    reason: str,
    reference: str | None = None,
) -> StoreCreditMovement:
    """Grant, use, expire or correct store credit. The balance can never go below zero:
    the customer row is updated atomically and its CHECK constraint refuses a negative
    balance, so two concurrent uses cannot both spend the same credit."""
    if kind not in CREDIT_SIGNS:
        raise BusinessRuleError(_("Unknown kind of movement."), field="kind")
    if customer.erased_at is not None and kind in ("grant", "use"):
        raise BusinessRuleError(_("This customer was erased and cannot be changed."))
    amount = check_minor_unit(parse_amount(amount), company_currency(), "amount")
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(_("Give a reason."), field="reason")
    sign = CREDIT_SIGNS[kind]
    if sign and amount <= 0:
        raise BusinessRuleError(_("The amount must be positive."), field="amount")
    if not sign and amount == 0:
        raise BusinessRuleError(_("A correction cannot be zero."), field="amount")
    delta = amount * sign if sign else amount
    try:
        with db.session.begin_nested():
            balance = db.session.execute(
                update(Customer)
                .where(Customer.id == customer.id)
                .values(store_credit_balance=Customer.store_credit_balance + delta)
                .returning(Customer.store_credit_balance)
                .execution_options(synchronize_session=False)
            ).scalar_one()
    except IntegrityError:
        raise BusinessRuleError(
            _("Not enough store credit: the balance cannot go below zero."), field="amount"
        ) from None
    except DataError:  # numeric(12, 2) overflow: the sum, not one amount, is too large
        raise BusinessRuleError(
            _("The balance would be larger than BizKit can keep."), field="amount"
        ) from None
    db.session.expire(customer, ["store_credit_balance"])
    movement = StoreCreditMovement(
        customer_id=customer.id,
        kind=kind,
        amount=delta,
        balance_after=balance,
        reason=reason[:300],
        reference=reference,
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(movement)
    db.session.flush()
    audit.record(
        actor,
        f"store_credit.{kind}",
        customer,
        {"store_credit": [str(balance - delta), str(balance)]},
    )
    return movement


def credit_movements(customer: Customer, limit: int = 100) -> list[StoreCreditMovement]:
    return list(
        db.session.execute(
            select(StoreCreditMovement)
            .where(StoreCreditMovement.customer_id == customer.id)
            .order_by(StoreCreditMovement.id.desc())
            .limit(limit)
        ).scalars()
    )
