"""Gift vouchers: prepaid balances spent as a payment method, kept as a ledger.

Each change is a `GiftVoucherMovement` (issue, redeem, refund, correction); the voucher's
`balance` caches their sum, changed by one conditional UPDATE in the same transaction.
The UPDATE only matches while the result stays at or above zero (and a CHECK backs it),
so two tills spending the same voucher at once can never take it below zero.

Codes are 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown in
groups of four: about 60 random bits, unguessable yet easy to read out and type.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.core.money import check_minor_unit, company_currency, format_money
from bizkit.core.pagination import keyset_page
from bizkit.core.tenancy import current_company_id
from bizkit.core.timezones import utcnow
from bizkit.customers.credit import parse_amount
from bizkit.extensions import db
from bizkit.orders.models import GiftVoucher, GiftVoucherMovement, Order

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 signs, none that looks like another
CODE_LENGTH = 12
PAGE_SIZE = 50
MAX_BALANCE = Decimal("9999999999.99")  # what the Numeric(12, 2) balance holds
MOVEMENT_LABELS = {
    "issue": _l("Issued"),
    "redeem": _l("Paid with"),
    "refund": _l("Refunded back"),
    "correction": _l("Correction"),
}


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(value) -> str:
    """What people type ("abcd efgh-jkmn") in the stored form ("ABCD-EFGH-JKMN")."""
    raw = re.sub(r"[^A-Z0-9]", "", str(value or "").upper())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def find_gift_voucher(code) -> GiftVoucher | None:
    code = normalize_code(code)
    if not code:
        return None
    return db.session.execute(select(GiftVoucher).where(GiftVoucher.code == code)).scalar()


def _positive(value) -> Decimal:
    amount = check_minor_unit(parse_amount(value), company_currency(), "amount")
    if amount <= 0:
        raise BusinessRuleError(_("The amount must be positive."), field="amount")
    return amount


def issue_gift_voucher(
    actor, amount, *, customer=None, note: str | None = None, expires_at=None
) -> GiftVoucher:
    """A new gift voucher with a fresh code and its `issue` movement."""
    amount = _positive(amount)
    note = (note or "").strip()
    if len(note) > 200:
        raise BusinessRuleError(_("At most %(max)d characters.", max=200), field="note")
    if expires_at is not None and expires_at <= utcnow():
        raise BusinessRuleError(_("The expiry must be in the future."), field="expires_at")
    company = db.session.get(Company, current_company_id())
    for _attempt in range(5):
        voucher = GiftVoucher(
            code=new_code(),
            initial_amount=amount,
            balance=amount,
            currency=company.currency,
            customer_id=getattr(customer, "id", None),
            note=note or None,
            expires_at=expires_at,
        )
        try:
            with db.session.begin_nested():
                db.session.add(voucher)
                db.session.flush()
            break
        except IntegrityError:  # a code collision (about one in 10^17): draw again
            continue
    else:  # pragma: no cover
        raise BusinessRuleError(_("Could not make a unique code; please try again."))
    db.session.add(
        GiftVoucherMovement(
            gift_voucher_id=voucher.id,
            kind="issue",
            amount=amount,
            balance_after=amount,
            reason=note or None,
            actor_id=getattr(actor, "id", None),
        )
    )
    db.session.flush()
    audit.record(
        actor, "gift_voucher.issue", voucher, {"balance": [None, str(amount)]}, label=voucher.code
    )
    return voucher


def check_spendable(voucher: GiftVoucher | None, currency: str) -> GiftVoucher:
    """Refuse a code that is unknown, switched off, expired or in another currency."""
    if voucher is None:
        raise BusinessRuleError(_("There is no gift voucher with this code."), field="gift_code")
    if not voucher.active:
        raise BusinessRuleError(_("This gift voucher is switched off."), field="gift_code")
    if voucher.expires_at is not None and utcnow() >= voucher.expires_at:
        raise BusinessRuleError(_("This gift voucher has expired."), field="gift_code")
    if voucher.currency != currency:
        raise BusinessRuleError(_("This gift voucher is in another currency."), field="gift_code")
    return voucher


def move_balance(
    actor,
    voucher: GiftVoucher,
    kind: str,
    delta: Decimal,
    *,
    order: Order | None = None,
    reason: str | None = None,
) -> GiftVoucherMovement:
    """Change the balance by `delta` (negative spends) and write the movement."""
    balance = db.session.execute(
        update(GiftVoucher)
        .where(
            GiftVoucher.id == voucher.id,
            GiftVoucher.balance + delta >= 0,
            GiftVoucher.balance + delta <= MAX_BALANCE,
        )
        .values(balance=GiftVoucher.balance + delta)
        .returning(GiftVoucher.balance),
        execution_options={"synchronize_session": False},
    ).scalar()
    if balance is None:
        db.session.expire(voucher, ["balance"])
        if delta > 0:  # each correction is within limits, but the balance would not fit
            raise BusinessRuleError(
                _(
                    "The balance would come to more than %(max)s, the most a gift voucher "
                    "may hold.",
                    max=format_money(MAX_BALANCE, voucher.currency, str(get_locale() or "en")),
                ),
                field="amount",
            )
        raise BusinessRuleError(
            _(
                "Not enough on this gift voucher: %(balance)s left.",
                balance=format_money(voucher.balance, voucher.currency, str(get_locale() or "en")),
            ),
            field="gift_code" if kind == "redeem" else "amount",
        )
    db.session.expire(voucher, ["balance"])
    movement = GiftVoucherMovement(
        gift_voucher_id=voucher.id,
        kind=kind,
        amount=delta,
        balance_after=balance,
        order_id=getattr(order, "id", None),
        reason=(reason or "")[:300] or None,
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(movement)
    db.session.flush()
    audit.record(
        actor,
        f"gift_voucher.{kind}",
        voucher,
        {"balance": [str(balance - delta), str(balance)]},
        label=voucher.code,
    )
    return movement


def correct_balance(actor, voucher: GiftVoucher, amount, reason: str) -> GiftVoucherMovement:
    """A signed correction by hand (a typo, a goodwill top-up), with a reason."""
    delta = check_minor_unit(parse_amount(amount), voucher.currency, "amount")
    if delta == 0:
        raise BusinessRuleError(_("A correction cannot be zero."), field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(_("Give a reason."), field="reason")
    return move_balance(actor, voucher, "correction", delta, reason=reason)


def set_active(actor, voucher: GiftVoucher, active: bool) -> None:
    if voucher.active != active:
        voucher.active = active
        audit.record(
            actor,
            "gift_voucher.update",
            voucher,
            {"active": [not active, active]},
            label=voucher.code,
        )
        db.session.flush()


def search_gift_vouchers(query: str = "", cursor: str | None = None, limit: int = PAGE_SIZE):
    """Newest first; `query` matches the start of a code (dashes and case ignored)."""
    stmt = select(GiftVoucher)
    code = normalize_code(query)
    if code:
        stmt = stmt.where(GiftVoucher.code.startswith(code, autoescape=True))
    return keyset_page(stmt, [GiftVoucher.id], cursor, limit, key=lambda v: [v.id])


def movements(voucher: GiftVoucher, limit: int = 200) -> list[GiftVoucherMovement]:
    from sqlalchemy.orm import joinedload

    return list(
        db.session.execute(
            select(GiftVoucherMovement)
            .options(joinedload(GiftVoucherMovement.actor), joinedload(GiftVoucherMovement.order))
            .where(GiftVoucherMovement.gift_voucher_id == voucher.id)
            .order_by(GiftVoucherMovement.id.desc())
            .limit(limit)
        ).scalars()
    )


def parse_expiry(value) -> dt.datetime | None:
    from bizkit.orders.vouchers import parse_local_datetime

    return parse_local_datetime(value, "expires_at")
