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
Orders closed before that rule (2026-12-02) may still hold stock: `repair_closed_orders`
(`flask bizkit repair-stock`) settles them with the same helper.

A line whose stock was taken keeps its quantity and stays on the order (the goods have
left; a return goes through the inventory); its price, discount and text may change.

Services, free text lines and products made to order (`Product.stock_kept` off) have no
stock. A reservation or sale that would take available stock below zero is refused by
the inventory ledger, and the whole transition or line change with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from bizkit.core.errors import BusinessRuleError
from bizkit.extensions import db
from bizkit.inventory import operations as inventory
from bizkit.inventory.models import Variant
from bizkit.orders.models import Order, OrderLine
from bizkit.workflow.models import WorkflowStatus
from bizkit.workflow.operations import HOOKS, register_side_effect
from bizkit.workflow.presets import SALE_STATUSES


def _stocked(line: OrderLine) -> bool:
    """A catalog product whose stock is kept (not a service, not made to order)."""
    if line.variant is None:
        return False
    product = line.variant.product
    return product.kind == "product" and product.stock_kept


def _holds_reservation(line: OrderLine) -> bool:
    """A line that holds reserved stock, whether or not its product still keeps stock:
    a product switched to "made to order" while an open order reserved it must still
    give that reservation back (or take it, in a sale), or it stays reserved for ever."""
    return line.stock_state == "reserved" and line.variant is not None


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
    picked = [
        line
        for line in _lines(order)
        if line.stock_state in states and (_stocked(line) or _holds_reservation(line))
    ]
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
    _settle(order, actor, change.to_code)


def _settle(order: Order, actor, final_status: str) -> None:
    """Take the stock the order still holds (a sale status) or give it back (any other)."""
    if final_status not in SALE_STATUSES:
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
        if _holds_reservation(line):
            # Its product stopped keeping stock while this line held some: the line
            # gives it all back and takes no further part in stock.
            inventory.release_stock(
                actor, line.variant, previous_quantity, reference=_reference(order)
            )
            line.stock_state = "released"
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


# -- repair: orders closed before the "closed" hooks ---------------------------------------


@dataclass
class StockRepair:
    """What `repair_closed_orders` did: orders settled, and those refused (with why)."""

    settled: int = 0
    refused: list[tuple[int, int, str]] = field(default_factory=list)  # company, number, why
    # Not settled: lines marked as reserving a variant since deleted from the catalog.
    left: list[tuple[int, int]] = field(default_factory=list)  # company, number

    def __str__(self) -> str:
        text = f"{self.settled} closed order(s) gave up the stock they still held."
        for company_id, number, message in self.refused:
            text += f"\nCompany {company_id}, order {number}: not settled: {message}"
        for company_id, number in self.left:
            text += (
                f"\nCompany {company_id}, order {number}: still marked as reserving items "
                "that were deleted from the catalog."
            )
        return text


def stuck_orders() -> list[tuple[int, int]]:
    """(company id, order id) of every order in a final status that still holds reserved
    stock, across companies. One pass over the reserved lines (few: reserved is a
    passing state), joined to their orders and their companies' final statuses."""
    return [
        (row.company_id, row.id)
        for row in db.session.execute(
            select(Order.company_id, Order.id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(
                WorkflowStatus,
                and_(
                    WorkflowStatus.company_id == Order.company_id,
                    WorkflowStatus.entity_type == "order",
                    WorkflowStatus.code == Order.status,
                    WorkflowStatus.is_terminal.is_(True),
                ),
            )
            .where(OrderLine.stock_state == "reserved")
            .distinct()
            .order_by(Order.company_id, Order.id)
            .execution_options(all_companies=True)
        )
    ]


def repair_closed_orders(*, batch_size: int = 200, echo=None) -> StockRepair:
    """Settle the stock of orders closed while it was still reserved (before the engine's
    "closed" hooks, 2026-12-02: a move into a final status with no stock effect, or an
    order whose stock state said "released" while lines still held stock): each such
    order gives it up exactly as closing it today would (`_settle`: taken in a sale
    status, given back in any other), as the system, with the same ledger movements and
    audit entries, and references in the company's language.

    For `flask bizkit repair-stock`. It commits a batch of orders at a time, so a large
    repair neither holds locks for long nor starts over after an interruption; each
    order is locked and read again before it is settled, so running it twice (or while
    another run goes) moves nothing twice. An order the ledger refuses (its location no
    longer holds what it reserved) changes nothing and is reported; the rest go on."""
    from flask_babel import force_locale

    from bizkit.core import audit
    from bizkit.core.models import Company
    from bizkit.core.tenancy import company_scope

    summary = StockRepair()
    by_company: dict[int, list[int]] = {}
    for company_id, order_id in stuck_orders():
        by_company.setdefault(company_id, []).append(order_id)
    db.session.commit()  # (ends the read: each batch below is its own transaction)
    for company_id, order_ids in by_company.items():
        locale = db.session.get(Company, company_id).locale
        with company_scope(company_id), force_locale(locale):
            for start in range(0, len(order_ids), batch_size):
                batch = order_ids[start : start + batch_size]
                orders = (
                    db.session.execute(
                        select(Order)
                        .where(Order.id.in_(batch))
                        .order_by(Order.id)
                        .with_for_update()
                        .execution_options(populate_existing=True)
                    )
                    .scalars()
                    .all()
                )
                for order in orders:
                    held = [line for line in _lines(order) if line.stock_state == "reserved"]
                    if not held:
                        continue  # settled meanwhile (another run)
                    if not any(_holds_reservation(line) for line in held):
                        summary.left.append((company_id, order.number))
                        continue
                    number, before = order.number, order.stock_state
                    try:
                        with db.session.begin_nested():
                            _settle(order, None, order.status)
                            audit.record(
                                None,
                                "order.stock_settle",
                                order,
                                {"stock_state": [before, order.stock_state]},
                                label=_reference(order),
                            )
                    except BusinessRuleError as refusal:
                        summary.refused.append((company_id, number, refusal.message))
                        continue
                    summary.settled += 1
                    if any(line.stock_state == "reserved" for line in order.lines):
                        summary.left.append((company_id, number))
                db.session.commit()
                if echo is not None:
                    echo(f"company {company_id}: {start + len(batch)}/{len(order_ids)} orders")
    return summary
