"""Promo codes: define them, apply one to an order, take it off again.

The limits hold under concurrent redemption because the database decides them:

* the total limit by one conditional ``UPDATE voucher SET uses = uses + 1 WHERE uses <
  max_uses`` (and a CHECK ``uses <= max_uses`` behind it);
* that UPDATE also locks the voucher row until the transaction ends, so redemptions of
  one code are serialised; the per-customer count that follows (a new snapshot under
  READ COMMITTED) therefore sees every redemption committed before it.

A refused redemption is rolled back to a savepoint and changes nothing. The discount
reaches the order's totals through `operations.ORDER_DISCOUNTS`: a percentage of the
lines' total, or the fixed amount capped at it, and nothing while the order is below the
code's minimum (the code stays applied and counts as used until it is removed).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.core.money import check_minor_unit, company_currency, format_money, round_money
from bizkit.core.pagination import keyset_page
from bizkit.core.params import parse_count
from bizkit.core.tenancy import current_company_id
from bizkit.core.timezones import to_local, utcnow
from bizkit.extensions import db
from bizkit.inventory.catalog import MAX_MONEY
from bizkit.orders import operations as orders
from bizkit.orders.models import VOUCHER_KINDS, ZERO, Order, Voucher, VoucherRedemption

KIND_LABELS = {"percent": _l("Percentage"), "fixed": _l("Fixed amount")}
PAGE_SIZE = 50
MAX_LIMIT = 1_000_000
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")
HUNDRED = Decimal("100")


def normalize_code(value) -> str:
    """What people type, folded to the stored form: trimmed, upper-case, no inner spaces."""
    return re.sub(r"\s+", "", str(value or "")).upper()


def _money_text(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency, str(get_locale() or "en"))


# -- defining promo codes -----------------------------------------------------------------


def company_zone() -> str:
    company = db.session.get(Company, current_company_id())
    return company.timezone if company is not None else "UTC"


def parse_local_datetime(value, field: str) -> dt.datetime | None:
    """A datetime-local input ("2026-12-24T18:00") in the company's zone, as UTC."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(company_zone()))
    text = str(value or "").strip()
    if not text:
        return None
    try:
        local = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BusinessRuleError(_("Enter a date and time."), field=field) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(company_zone()))
    return local.astimezone(dt.UTC)


def local_input_value(value: dt.datetime | None) -> str:
    """The stored UTC time as a datetime-local input shows it, in the company's zone."""
    return to_local(value, company_zone()).strftime("%Y-%m-%dT%H:%M") if value else ""


def _limit(value, field: str) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    number = parse_count(text, 0)
    if not 0 < number < MAX_LIMIT:
        raise BusinessRuleError(_("Enter a whole number above zero."), field=field)
    return number


def _clean_voucher(values: dict, voucher: Voucher | None) -> dict:
    code = normalize_code(values.get("code"))
    if not _CODE.match(code):
        raise BusinessRuleError(
            _("Use 3 to 40 letters, digits, dashes or underscores."), field="code"
        )
    kind = values.get("kind") or "percent"
    if kind not in VOUCHER_KINDS:
        raise BusinessRuleError(_("Choose percentage or fixed amount."), field="kind")
    value = orders.number_value(values.get("value"), "value", places=2, maximum=MAX_MONEY)
    if value <= 0:
        raise BusinessRuleError(_("Enter a value above zero."), field="value")
    if kind == "fixed":
        check_minor_unit(value, company_currency(), "value")
    if kind == "percent" and value > HUNDRED:
        raise BusinessRuleError(_("A percentage is at most 100."), field="value")
    valid_from = parse_local_datetime(values.get("valid_from"), "valid_from")
    valid_until = parse_local_datetime(values.get("valid_until"), "valid_until")
    if valid_from and valid_until and valid_until <= valid_from:
        raise BusinessRuleError(_("The end must be after the start."), field="valid_until")
    minimum = orders.number_value(
        values.get("min_order_total"),
        "min_order_total",
        places=2,
        maximum=MAX_MONEY,
        allow_none=True,
    )
    if minimum is not None:
        check_minor_unit(minimum, company_currency(), "min_order_total")
    max_uses = _limit(values.get("max_uses"), "max_uses")
    if voucher is not None and max_uses is not None and max_uses < voucher.uses:
        raise BusinessRuleError(
            _("It has been used %(uses)d times already.", uses=voucher.uses), field="max_uses"
        )
    description = (values.get("description") or "").strip()
    if len(description) > 200:
        raise BusinessRuleError(_("At most %(max)d characters.", max=200), field="description")
    return {
        "code": code,
        "kind": kind,
        "value": value,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "min_order_total": minimum or None,
        "max_uses": max_uses,
        "max_uses_per_customer": _limit(
            values.get("max_uses_per_customer"), "max_uses_per_customer"
        ),
        "description": description or None,
        "active": bool(values.get("active", True)),
    }


def save_voucher(actor, voucher: Voucher | None, values: dict) -> Voucher:
    """Create (`voucher` None) or change a promo code; codes are unique per company."""
    clean = _clean_voucher(values, voucher)
    taken = db.session.execute(select(Voucher.id).where(Voucher.code == clean["code"])).scalar()
    if taken is not None and (voucher is None or taken != voucher.id):
        raise BusinessRuleError(_("This code exists already."), field="code")
    creating = voucher is None
    if creating:
        voucher = Voucher(uses=0)
        db.session.add(voucher)
    for key, value in clean.items():
        setattr(voucher, key, value)
    changes = audit.pending_changes(voucher)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same code saved by someone else a moment ago
        raise BusinessRuleError(_("This code exists already."), field="code") from None
    if changes:
        audit.record(
            actor,
            "voucher.create" if creating else "voucher.update",
            voucher,
            changes,
            label=voucher.code,
        )
    return voucher


def search_vouchers(query: str = "", cursor: str | None = None, limit: int = PAGE_SIZE):
    """Newest promo codes first; `query` matches the start of a code."""
    stmt = select(Voucher)
    code = normalize_code(query)
    if code:
        stmt = stmt.where(Voucher.code.startswith(code, autoescape=True))
    return keyset_page(stmt, [Voucher.id], cursor, limit, key=lambda v: [v.id])


def state_of(voucher: Voucher, now: dt.datetime | None = None) -> str:
    """ "active", "inactive", "scheduled", "expired" or "used_up", for the list."""
    now = now or utcnow()
    if not voucher.active:
        return "inactive"
    if voucher.valid_until is not None and now >= voucher.valid_until:
        return "expired"
    if voucher.valid_from is not None and now < voucher.valid_from:
        return "scheduled"
    if voucher.max_uses is not None and voucher.uses >= voucher.max_uses:
        return "used_up"
    return "active"


STATE_LABELS = {
    "active": _l("Active"),
    "inactive": _l("Switched off"),
    "scheduled": _l("Not yet valid"),
    "expired": _l("No longer valid"),
    "used_up": _l("Used up"),
}


# -- applying to an order -----------------------------------------------------------------


def discount_for(voucher: Voucher, lines_total: Decimal, currency: str) -> Decimal:
    """What `voucher` takes off lines worth `lines_total` (never more than that)."""
    if voucher.min_order_total is not None and lines_total < voucher.min_order_total:
        return ZERO
    if voucher.kind == "percent":
        amount = round_money(lines_total * voucher.value / HUNDRED, currency)
    else:
        amount = voucher.value
    return max(ZERO, min(amount, lines_total))


def voucher_discount(order: Order) -> Decimal:
    """ORDER_DISCOUNTS hook: the applied code's discount; remembered on the redemption."""
    redemption = order.voucher_redemption
    if redemption is None:
        return ZERO
    lines_total = sum((line.line_total for line in order.lines), ZERO)
    redemption.discount = discount_for(redemption.voucher, lines_total, order.currency)
    return redemption.discount


if voucher_discount not in orders.ORDER_DISCOUNTS:
    orders.ORDER_DISCOUNTS.append(voucher_discount)


def _check_usable(voucher: Voucher | None, order: Order) -> Voucher:
    if voucher is None:
        raise BusinessRuleError(_("There is no promo code like this."), field="code")
    if not voucher.active:
        raise BusinessRuleError(_("This code is no longer active."), field="code")
    now = utcnow()
    if voucher.valid_from is not None and now < voucher.valid_from:
        raise BusinessRuleError(_("This code is not valid yet."), field="code")
    if voucher.valid_until is not None and now >= voucher.valid_until:
        raise BusinessRuleError(_("This code has expired."), field="code")
    lines_total = sum((line.line_total for line in order.lines), ZERO)
    if voucher.min_order_total is not None and lines_total < voucher.min_order_total:
        raise BusinessRuleError(
            _(
                "This code needs an order of at least %(amount)s.",
                amount=_money_text(voucher.min_order_total, order.currency),
            ),
            field="code",
        )
    if voucher.max_uses_per_customer is not None and order.customer_id is None:
        raise BusinessRuleError(
            _("This code is limited per customer: choose the order's customer first."),
            field="code",
        )
    return voucher


def _take_one_use(voucher: Voucher, order: Order) -> None:
    """Count the use (locking the code's row), then check the customer's own limit."""
    taken = db.session.execute(
        update(Voucher)
        .where(
            Voucher.id == voucher.id,
            Voucher.active.is_(True),
            (Voucher.max_uses.is_(None)) | (Voucher.uses < Voucher.max_uses),
        )
        .values(uses=Voucher.uses + 1)
        .returning(Voucher.uses),
        execution_options={"synchronize_session": False},
    ).scalar()
    if taken is None:
        raise BusinessRuleError(_("This code has been used up."), field="code")
    if voucher.max_uses_per_customer is not None:
        used = db.session.execute(
            select(func.count(VoucherRedemption.id)).where(
                VoucherRedemption.voucher_id == voucher.id,
                VoucherRedemption.customer_id == order.customer_id,
            )
        ).scalar()
        if used >= voucher.max_uses_per_customer:
            raise BusinessRuleError(_("This customer has already used this code."), field="code")


def apply_voucher(actor, order: Order, code) -> VoucherRedemption:
    """Apply the promo code `code` to an open order (one code per order)."""
    orders.require_open(order)
    code = normalize_code(code)
    if not code:
        raise BusinessRuleError(_("Enter a code."), field="code")
    if order.voucher_redemption is not None:
        raise BusinessRuleError(
            _(
                "This order already has the code %(code)s; remove it first.",
                code=order.voucher_redemption.voucher.code,
            ),
            field="code",
        )
    voucher = _check_usable(
        db.session.execute(select(Voucher).where(Voucher.code == code)).scalar(), order
    )
    try:
        with db.session.begin_nested():
            _take_one_use(voucher, order)
            redemption = VoucherRedemption(
                voucher=voucher,
                order_id=order.id,
                customer_id=order.customer_id,
                actor_id=getattr(actor, "id", None),
            )
            order.voucher_redemption = redemption
            db.session.flush()
    except IntegrityError:  # another code reached this order at the same moment
        db.session.expire(order, ["voucher_redemption"])
        raise BusinessRuleError(_("This order already has a code."), field="code") from None
    db.session.expire(voucher, ["uses"])
    orders.recalculate(order)
    audit.record(
        actor,
        "order.voucher_apply",
        order,
        {"voucher": [None, voucher.code], "discount": [None, str(order.discount_total)]},
        label=orders.label(order),
    )
    return redemption


def remove_voucher(actor, order: Order) -> None:
    """Take the code off an open order and give its use back."""
    orders.require_open(order)
    redemption = order.voucher_redemption
    if redemption is None:
        raise BusinessRuleError(_("No code is applied to this order."), field="code")
    voucher = redemption.voucher
    db.session.execute(
        update(Voucher)
        .where(Voucher.id == voucher.id, Voucher.uses > 0)
        .values(uses=Voucher.uses - 1),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(voucher, ["uses"])
    order.voucher_redemption = None  # delete-orphan removes the row
    orders.recalculate(order)
    audit.record(
        actor,
        "order.voucher_remove",
        order,
        {"voucher": [voucher.code, None]},
        label=orders.label(order),
    )
