"""What orders do to stock: the side effects flows name (reserve, deduct, release) and
keeping a line's stock in step with the order's when a line is added or changed.

Each line remembers where its stock is (`OrderLine.stock_state`), so every effect is
idempotent: a flow that deducts on two different transitions takes the stock once. The
order remembers what its flow last did with its stock (`Order.stock_state`), and a
stocked line added afterwards follows it: reserved on an order whose stock is held,
taken at once from an order whose stock was taken (refused, like the move would be,
when too little is available). So a part added to a bike job that is ready for pickup
leaves the shelf too, even when the job had no part before.

An order that enters a final status keeps no stock reserved, whatever its flow's moves
name (`settle_closed_order`, run by the workflow engine): in a sale status (delivered,
completed…) the held stock is taken, in any other final status (cancelled…) it is given
back. A line whose stock was given back holds nothing, like one never moved: a flow
edited to release stock mid-way (on hold) and reserve or take it later does so again.

A line whose stock was taken keeps its quantity and stays on the order (the goods have
left; a return goes through the inventory); its price, discount and text may change.

Services, free text lines and products made to order (`Product.stock_kept` off) have no
stock. A reservation or sale that would take available stock below zero is refused by
the inventory ledger, and the whole transition or line change with it.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from bizkit.core.errors import BusinessRuleError
from bizkit.extensions import db
from bizkit.inventory import operations as inventory
from bizkit.inventory.models import Variant
from bizkit.orders.models import Order, OrderLine
from bizkit.workflow.operations import HOOKS, register_side_effect
from bizkit.workflow.presets import SALE_STATUSES


def _stocked(line: OrderLine) -> bool:
    """A catalog product whose stock is kept (not a service, not made to order)."""
    if line.variant is None:
        return False
    product = line.variant.product
    return product.kind == "product" and product.stock_kept


def _reference(order: Order) -> str:
    return _("Order %(number)s", number=order.number)


def _lines(order: Order) -> list[OrderLine]:
    """The order's lines, with the variants and products of all of them read in one
    query rather than two per line."""
    lines = order.lines
    wanted = {
        line.variant_id
        for line in lines
        if line.variant_id is not None and "variant" in inspect(line).unloaded
    }
    if wanted:
        variants = db.session.execute(
            select(Variant).where(Variant.id.in_(wanted)).options(joinedload(Variant.product))
        ).scalars()
        by_id = {variant.id: variant for variant in variants}
        for line in lines:
            if line.variant_id in by_id and "variant" in inspect(line).unloaded:
                set_committed_value(line, "variant", by_id[line.variant_id])
    return lines


def _stock_lines(order: Order, *states: str) -> list[tuple[OrderLine, object]]:
    """(line, location) for the order's stocked lines whose stock is in one of `states`;
    the company's default location is read once for all of them, not once per line."""
    picked = [line for line in _lines(order) if _stocked(line) and line.stock_state in states]
    location = inventory.default_location() if picked else None
    return [(line, location) for line in picked]


@register_side_effect("reserve_stock", _l("Reserve stock"))
def reserve_for_order(order: Order, actor, change=None) -> None:
    # A line given back holds nothing, as one never moved: a flow edited to go from a
    # releasing status (on hold) back to a reserving one holds the stock again.
    for line, location in _stock_lines(order, "none", "released"):
        inventory.reserve_stock(
            actor, line.variant, line.quantity, location, reference=_reference(order)
        )
        line.stock_state = "reserved"
    if order.stock_state in ("none", "released"):  # (taken stays taken)
        order.stock_state = "reserved"


@register_side_effect("deduct_stock", _l("Take from stock"))
def deduct_for_order(order: Order, actor, change=None) -> None:
    for line, location in _stock_lines(order, "none", "reserved", "released"):  # not yet taken
        _take(actor, order, line, location)
    order.stock_state = "deducted"


def _take(actor, order: Order, line: OrderLine, location) -> None:
    """Take a line's stock, from its reservation when it holds one."""
    inventory.deduct_stock(
        actor,
        line.variant,
        line.quantity,
        location,
        reference=_reference(order),
        from_reservation=line.stock_state == "reserved",
    )
    line.stock_state = "deducted"


@register_side_effect("release_stock", _l("Release reserved stock"))
def release_for_order(order: Order, actor, change=None) -> None:
    for line, location in _stock_lines(order, "reserved"):
        inventory.release_stock(
            actor, line.variant, line.quantity, location, reference=_reference(order)
        )
        line.stock_state = "released"
    if order.stock_state == "reserved":
        order.stock_state = "released"


def settle_closed_order(order, actor, change) -> None:
    """A "closed" hook: stock still reserved when the order enters a final status is
    taken (a sale status) or given back (any other), so no closed order holds stock."""
    if not isinstance(order, Order) or order.stock_state == "none":
        return  # (a flow that never moved its stock holds none: spares reading the lines)
    if change.to_code not in SALE_STATUSES:
        release_for_order(order, actor)
        return
    held = _stock_lines(order, "reserved")
    for line, location in held:
        _take(actor, order, line, location)
    if held:
        order.stock_state = "deducted"


if settle_closed_order not in HOOKS["closed"]:
    HOOKS["closed"].append(settle_closed_order)


def follow_line_change(
    actor, order: Order, line: OrderLine, *, previous_quantity: Decimal, removed: bool = False
) -> None:
    """Keep a line's stock in step with the order's: a new (or not yet moved) line joins
    the order's reservation or is taken at once; a held quantity follows the line's."""
    if not _stocked(line):
        return
    if line.stock_state == "deducted":
        if removed:
            raise BusinessRuleError(
                _("This item has already been taken from stock, so its line cannot be removed.")
            )
        if line.quantity != previous_quantity:
            raise BusinessRuleError(
                _(
                    "This item has already been taken from stock, so its quantity cannot "
                    "change; add a new line for more."
                ),
                field="quantity",
            )
        return  # a new price, discount or description: the stock is not concerned
    if line.stock_state == "none":
        if removed:
            return
        if order.stock_state == "reserved":
            inventory.reserve_stock(actor, line.variant, line.quantity, reference=_reference(order))
            line.stock_state = "reserved"
        elif order.stock_state == "deducted":
            inventory.deduct_stock(actor, line.variant, line.quantity, reference=_reference(order))
            line.stock_state = "deducted"
        return
    if line.stock_state != "reserved":
        return
    target = Decimal(0) if removed else line.quantity
    delta = target - previous_quantity
    if delta > 0:
        inventory.reserve_stock(actor, line.variant, delta, reference=_reference(order))
    elif delta < 0:
        inventory.release_stock(actor, line.variant, -delta, reference=_reference(order))
