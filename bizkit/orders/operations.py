"""Order operations: create an order, edit its lines and details, keep its totals.

Every function takes the acting user explicitly, flushes, audits and never commits. A
line edit recomputes the order's totals (bizkit.orders.totals) in the same transaction.
Status changes go through `bizkit.workflow.operations.transition`; the stock side effects
the flows use are in `bizkit.orders.stock`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from bizkit.core import audit, events
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.core.money import check_minor_unit, format_money
from bizkit.core.permissions import role_can
from bizkit.core.sequences import next_number
from bizkit.core.tenancy import current_company_id
from bizkit.core.timezones import utcnow
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.inventory.catalog import MAX_MONEY, MAX_QTY, clean_text, decimal_value
from bizkit.inventory.models import Variant
from bizkit.orders.models import CHANNELS, ZERO, Order, OrderLine
from bizkit.orders.totals import compute_totals, line_total
from bizkit.workflow import operations as workflow

CHANNEL_LABELS = {
    "counter": _l("Counter"),
    "phone": _l("Phone"),
    "web": _l("Web"),
    "api": _l("API"),
}
DETAIL_FIELDS = {
    "table_label": 40,
    "bike_make": 80,
    "bike_model": 80,
    "bike_serial": 80,
    "notes": 5000,
}
MAX_LINES = 500
# The most a line or an order may come to: what their Numeric(12, 2) columns hold. Each
# quantity and price is checked on its own; their product, and the sum of many lines,
# are checked here, before anything is written (else the database refuses with a 500).
MAX_AMOUNT = Decimal("9999999999.99")


def number_value(value, field: str, *, places: int, maximum: Decimal, **options) -> Decimal:
    """`decimal_value` (inventory.catalog), except that "NaN" or "inf" is said to be no
    number (it would be told to be "not negative")."""
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if value is not None else None
    except InvalidOperation:
        number = None  # decimal_value says "Enter a number."
    if number is not None and not number.is_finite():
        raise BusinessRuleError(_("Enter a number."), field=field)
    return decimal_value(value, field, places=places, maximum=maximum, **options)


def _discount(value) -> Decimal:
    """A line's discount in percent: 0 to 100, whatever is typed above 100 (101 and
    150 were "too large" numbers, 100.5 a discount above 100 %)."""
    value = value or "0"
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        number = None
    if number is not None and number.is_finite() and number > 100:
        raise BusinessRuleError(_("A discount is at most 100 %."), field="discount_percent")
    return number_value(value, "discount_percent", places=2, maximum=Decimal(101))


def _text(value, field: str, max_length: int) -> str | None:
    return clean_text(value, field, required=False, max_length=max_length)


def _clean_details(values: dict) -> dict:
    unknown = set(values) - set(DETAIL_FIELDS) - {"channel", "takeaway", "customer"}
    if unknown:
        raise BusinessRuleError(_("Unknown field."), field=sorted(unknown)[0])
    clean = {k: _text(values[k], k, DETAIL_FIELDS[k]) for k in DETAIL_FIELDS if k in values}
    if "channel" in values:
        if values["channel"] not in CHANNELS:
            raise BusinessRuleError(_("Choose a channel."), field="channel")
        clean["channel"] = values["channel"]
    if "takeaway" in values:
        clean["takeaway"] = bool(values["takeaway"])
    if "customer" in values:
        clean["customer"] = values["customer"]
    return clean


def _served_in_one_place(takeaway: bool | None, table_label: str | None) -> None:
    if takeaway and table_label:
        raise BusinessRuleError(
            _("An order is served at a table or taken away, not both."), field="table_label"
        )


def refresh_search_text(order: Order) -> None:
    """The folded text the order list searches: customer, table, bike. The number is left
    out: the list matches a number exactly, and "12" should not find orders 112 and 120."""
    parts = [
        order.customer.name if order.customer is not None else None,
        order.table_label,
        order.bike_make,
        order.bike_model,
        order.bike_serial,
    ]
    order.search_text = func.bizkit_fold(" ".join(p for p in parts if p))


def refresh_customer_orders(customer) -> None:
    """A customer renamed or erased: their orders are found by the new name only (a
    RENAME_HOOKS entry of the customers module; one UPDATE however many orders)."""
    db.session.execute(
        update(Order)
        .where(Order.customer_id == customer.id)
        .values(
            search_text=func.bizkit_fold(
                func.concat_ws(
                    " ",
                    customer.name,
                    Order.table_label,
                    Order.bike_make,
                    Order.bike_model,
                    Order.bike_serial,
                )
            )
        ),
        execution_options={"synchronize_session": False},
    )


def create_order(actor, **values) -> Order:
    """A new order in the flow's initial status; `customer` None is a walk-in."""
    clean = _clean_details(values)
    _served_in_one_place(clean.get("takeaway"), clean.get("table_label"))
    _check_customer(clean.get("customer"))
    company = db.session.get(Company, current_company_id())
    order = Order(
        number=next_number("order"),
        status=workflow.initial_status("order"),
        version=1,
        currency=company.currency,
        channel=clean.pop("channel", "counter"),
        created_by_id=getattr(actor, "id", None),
        **clean,
    )
    db.session.add(order)
    refresh_search_text(order)
    db.session.flush()
    workflow.record_creation(order, actor)
    audit.record(actor, "order.create", order, {"number": [None, order.number]}, label=label(order))
    announce(order, "order.created")
    return order


def _check_customer(customer, current=None) -> None:
    """An order is given a customer of its own company who was not erased; the one it
    already has stays, erased or not (walk-in: None)."""
    if customer is None or _id_of(customer) == _id_of(current):
        return
    if not isinstance(customer, Customer) or customer.company_id != current_company_id():
        raise BusinessRuleError(_("Pick a customer from the list, or a walk-in."), field="customer")
    if customer.erased_at is not None:
        raise BusinessRuleError(
            _("This customer was erased and cannot be given an order."), field="customer"
        )


def _id_of(customer) -> int | None:
    return getattr(customer, "id", None)


def _check_customer_change(order: Order, customer) -> None:
    """What ties an order to its customer once it has one: a promo code, store credit."""
    if order.voucher_redemption is not None:
        # A per-customer limit was checked for the customer the code was applied for.
        raise BusinessRuleError(
            _("Remove the promo code before changing the customer, then apply it again."),
            field="customer",
        )
    if order.paid_total > 0 and any(
        payment.method == "store_credit" and payment.refundable > 0 for payment in order.payments
    ):
        # A store-credit refund goes to the order's customer: it would credit another
        # customer with what this one paid.
        raise BusinessRuleError(
            _(
                "This order was paid with the customer's store credit: refund that payment "
                "before changing the customer."
            ),
            field="customer",
        )


def update_details(actor, order: Order, values: dict) -> Order:
    """Change the customer (None: a walk-in), channel, table, bike or notes of an open
    order. The customer is audited by id (a name would outlive the customer's erasure)."""
    require_open(order)
    clean = _clean_details(values)
    _served_in_one_place(
        clean.get("takeaway", order.takeaway), clean.get("table_label", order.table_label)
    )
    customer_change = None
    if "customer" in clean:
        customer = clean["customer"]
        if _id_of(customer) == order.customer_id:
            del clean["customer"]  # kept as it is (it may have been erased since)
        else:
            _check_customer(customer, order.customer)
            _check_customer_change(order, customer)
            customer_change = [order.customer_id, _id_of(customer)]
    for key, value in clean.items():
        setattr(order, key, value)
    changes = audit.pending_changes(order)
    if customer_change is not None:
        changes["customer_id"] = customer_change
    refresh_search_text(order)
    db.session.flush()
    if changes:
        audit.record(actor, "order.update", order, changes, label=label(order))
        announce(order, "order.changed")
    return order


# -- quotes (bike shop) ---------------------------------------------------------------------

QUOTE_APPROVED = "QUOTE_APPROVED"  # the preset status in which the customer said yes


def record_quote_approval(entity, actor, change) -> None:
    """A "status_changed" hook of the workflow engine: an order entering QUOTE_APPROVED
    keeps its total then and the time, in the transaction of the move (and each later
    approval of a new quote replaces them). Lines stay editable afterwards (a workshop
    adds the parts it finds); the order page compares the total with the approved one."""
    if not isinstance(entity, Order) or change.to_code != QUOTE_APPROVED:
        return
    entity.quote_approved_total = entity.total
    entity.quote_approved_at = utcnow()
    changes = audit.pending_changes(entity)
    db.session.flush()
    audit.record(actor, "order.quote_approve", entity, changes, label=label(entity))


if record_quote_approval not in workflow.HOOKS["status_changed"]:
    workflow.HOOKS["status_changed"].append(record_quote_approval)


def announce(order: Order, event: str) -> None:
    """Tell the company's open boards (after commit) that this order appeared or changed;
    status changes are announced by the workflow's `transition()` itself."""
    events.publish_after_commit(
        order.company_id,
        "orders",
        {"event": event, "id": order.id, "status": order.status, "version": order.version},
    )


# How the audit log labels an order, in the language of whoever acted (the workflow's
# moves too: bizkit/orders/__init__.py registers it).
AUDIT_LABEL = _l("Order %(number)s")


def label(order: Order) -> str:
    return AUDIT_LABEL % {"number": order.number}


def is_closed(order: Order) -> bool:
    """The order is in a final status (read from the flow the process keeps: no query)."""
    status = workflow.current_flow("order").status(order.status)
    return bool(status is not None and status.is_terminal)


def require_open(order: Order) -> None:
    """Lines and details change only while the order's status is not final."""
    flow_status = workflow.load_status("order", order.status)
    if flow_status is not None and flow_status.is_terminal:
        raise BusinessRuleError(_("This order is closed; it cannot be changed any more."))


# -- lines --------------------------------------------------------------------------------


def _line_values(actor, order: Order, values: dict, line: OrderLine | None) -> dict:
    unknown = set(values) - {"variant", "description", "quantity", "unit_price", "discount_percent"}
    if unknown:
        raise BusinessRuleError(_("Unknown field."), field=sorted(unknown)[0])
    clean: dict = {}
    variant: Variant | None = values.get("variant", line.variant if line else None)
    if "quantity" in values or line is None:
        clean["quantity"] = number_value(
            values.get("quantity", "1"), "quantity", places=3, maximum=MAX_QTY
        )
        if clean["quantity"] == 0:
            raise BusinessRuleError(_("Enter a quantity above zero."), field="quantity")
    if "discount_percent" in values or line is None:
        clean["discount_percent"] = _discount(values.get("discount_percent"))
    if line is None:
        clean["variant"] = variant
        if variant is not None:
            product = variant.product
            if not (variant.active and product.active):
                raise BusinessRuleError(_("This item is not for sale."), field="variant")
            name = product.name + (f" – {variant.name}" if variant.name else "")
            clean["description"] = name[:200]
            clean["unit_price"] = variant.price
            clean["tax_rate"] = product.tax_rate.rate if product.tax_rate else ZERO
        else:
            clean["description"] = _text(values.get("description"), "description", 200)
            if not clean["description"]:
                raise BusinessRuleError(_("Describe the item."), field="description")
            clean["tax_rate"] = _default_tax_rate()
    elif "description" in values and line.variant is None:
        clean["description"] = _text(values.get("description"), "description", 200)
        if not clean["description"]:
            raise BusinessRuleError(_("Describe the item."), field="description")
    if "unit_price" in values and values["unit_price"] not in (None, ""):
        price = number_value(values["unit_price"], "unit_price", places=2, maximum=MAX_MONEY)
        price = check_minor_unit(price, order.currency, "unit_price")
        catalog_price = variant.price if variant is not None else None
        if catalog_price is not None and price != catalog_price and not may_override_price(actor):
            raise BusinessRuleError(
                _("Your role may not change catalog prices."), field="unit_price", status=403
            )
        clean["unit_price"] = price
    elif line is None and "unit_price" not in clean:
        raise BusinessRuleError(_("Enter a price."), field="unit_price")
    return clean


def _default_tax_rate() -> Decimal:
    from bizkit.inventory.operations import default_tax_rate

    rate = default_tax_rate()
    return rate.rate if rate is not None else ZERO


def may_override_price(actor) -> bool:
    return actor is None or role_can(workflow.role_of(actor), "orders.price_override")


def _checked_line_total(order: Order, clean: dict, line: OrderLine | None) -> Decimal:
    """The line's amount with `clean` applied, refused when it or the order's lines
    together would come to more than MAX_AMOUNT (next to the quantity)."""

    def value(key):
        return clean[key] if key in clean else getattr(line, key)

    amount = line_total(
        value("quantity"), value("unit_price"), value("discount_percent"), order.currency
    )
    limit = format_money(MAX_AMOUNT, order.currency, str(get_locale() or "en"))
    if amount > MAX_AMOUNT:
        raise BusinessRuleError(
            _("That comes to more than %(max)s, the most one line may come to.", max=limit),
            field="quantity",
        )
    previous = line.line_total if line is not None else ZERO
    if order.lines_total - previous + amount > MAX_AMOUNT:
        raise BusinessRuleError(
            _(
                "The order would come to more than %(max)s, the most one order may come "
                "to. Start another order for the rest.",
                max=limit,
            ),
            field="quantity",
        )
    return amount


def add_line(actor, order: Order, **values) -> OrderLine:
    """Add a catalog item (`variant=`) or a free-text line (`description=`, `unit_price=`)."""
    require_open(order)
    if len(order.lines) >= MAX_LINES:
        raise BusinessRuleError(_("An order holds at most %(max)d lines.", max=MAX_LINES))
    clean = _line_values(actor, order, values, None)
    amount = _checked_line_total(order, clean, None)
    position = max((line.position for line in order.lines), default=0) + 1
    line = OrderLine(order=order, position=position, **clean)
    line.line_total = amount
    db.session.add(line)
    recalculate(order)
    from bizkit.orders.stock import follow_line_change

    follow_line_change(actor, order, line, previous_quantity=ZERO)
    audit.record(
        actor,
        "order.line_add",
        order,
        {"line": [None, f"{line.quantity} × {line.description} @ {line.unit_price}"]},
        label=label(order),
    )
    return line


def update_line(actor, order: Order, line: OrderLine, **values) -> OrderLine:
    """Change a line's quantity, price, discount or (free text) description."""
    require_open(order)
    if line.order_id != order.id:
        raise BusinessRuleError(_("This line belongs to another order."))
    previous_quantity = line.quantity
    clean = _line_values(actor, order, values, line)
    amount = _checked_line_total(order, clean, line)
    for key, value in clean.items():
        setattr(line, key, value)
    line.line_total = amount
    changes = audit.pending_changes(line)
    recalculate(order)
    from bizkit.orders.stock import follow_line_change

    follow_line_change(actor, order, line, previous_quantity=previous_quantity)
    if changes:
        audit.record(actor, "order.line_update", order, changes, label=label(order))
    return line


def remove_line(actor, order: Order, line: OrderLine) -> None:
    """Remove a line; stock it held goes back."""
    require_open(order)
    if line.order_id != order.id:
        raise BusinessRuleError(_("This line belongs to another order."))
    from bizkit.orders.stock import follow_line_change

    follow_line_change(actor, order, line, previous_quantity=line.quantity, removed=True)
    order.lines.remove(line)
    db.session.delete(line)
    recalculate(order)
    audit.record(
        actor, "order.line_remove", order, {"line": [line.description, None]}, label=label(order)
    )


ORDER_DISCOUNTS: list = []  # functions(order) -> Decimal: vouchers add theirs here


def recalculate(order: Order) -> None:
    """Recompute the order's cached totals from its lines and discounts, then flush."""
    db.session.flush()
    discount = sum((source(order) for source in ORDER_DISCOUNTS), ZERO)
    totals = compute_totals(
        ((line.line_total, line.tax_rate) for line in order.lines), order.currency, discount
    )
    order.lines_total = totals.lines_total
    order.discount_total = totals.discount_total
    order.total = totals.total
    order.tax_total = totals.tax_total
    db.session.flush()
    announce(order, "order.changed")


def totals_of(order: Order):
    """The full breakdown (per tax rate) for the order page; the columns hold the sums."""
    discount = order.discount_total
    return compute_totals(
        ((line.line_total, line.tax_rate) for line in order.lines), order.currency, discount
    )


def find_by_number(number) -> Order | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return db.session.execute(select(Order).where(Order.number == number)).scalar()
