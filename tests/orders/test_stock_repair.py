"""Orders closed before the engine's "closed" hooks (2026-12-02) may still hold reserved
stock. `repair_closed_orders` (`flask bizkit repair-stock`) settles each of them exactly as
closing does today: a sale status takes the stock, any other gives it back."""

from decimal import Decimal

from sqlalchemy import select, text, update

from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from bizkit.inventory.models import StockLevel, StockMovement, Variant
from bizkit.orders.models import Order, OrderLine
from bizkit.orders.stock import repair_closed_orders, stuck_orders
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx
from tests.orders.conftest import load_order


def _confirmed(app, company, make_order, *lines) -> int:
    order_id = make_order(company, *lines)
    with company_ctx(app, company.id):
        workflow.transition(load_order(order_id), "CONFIRMED", None)
    return order_id


def _close_the_old_way(app, company, order_id, status, stock_state=None) -> None:
    """What a close before the fix left: the final status, the reservation still held."""
    with company_ctx(app, company.id):
        values = {"status": status, **({"stock_state": stock_state} if stock_state else {})}
        db.session.execute(update(Order).where(Order.id == order_id).values(**values))


def _stock(app, company, variant_id):
    with company_ctx(app, company.id):
        variant = db.session.get(Variant, variant_id)
        return variant.on_hand, variant.reserved, variant.available


def _ledger(app, company, variant_id):
    with company_ctx(app, company.id):
        return db.session.execute(
            select(StockMovement.kind, StockMovement.on_hand_change, StockMovement.reserved_change)
            .where(StockMovement.variant_id == variant_id)
            .order_by(StockMovement.id)
        ).all()


def _states(app, company, order_id):
    with company_ctx(app, company.id):
        order = load_order(order_id)
        return order.stock_state, [line.stock_state for line in order.lines]


def _repair(app):
    with app.app_context():
        return repair_closed_orders(batch_size=2)


def test_closed_orders_give_up_the_stock_they_still_hold(
    app, company, make_company, make_item, make_order
):
    wine = make_item(company, "Wine", price="20.00", stock="10")
    water = make_item(company, "Water", sku="W", price="2.00", stock="10")
    sold = _confirmed(app, company, make_order, (wine, "2"), ("Corkage", "1", "5.00"))
    cancelled = _confirmed(app, company, make_order, (wine, "3"), (water, "1"))
    # Closed after a mid-way release (on hold) had left its state "released", then
    # reserved again: settling skipped the held lines.
    on_hold = _confirmed(app, company, make_order, (water, "4"))
    still_open = _confirmed(app, company, make_order, (wine, "1"))
    _close_the_old_way(app, company, sold, "COMPLETED")
    _close_the_old_way(app, company, cancelled, "CANCELLED")
    _close_the_old_way(app, company, on_hold, "CANCELLED", stock_state="released")
    # Another company's stuck order is repaired too, in its own scope.
    other = make_company("Elsewhere", business_type="restaurant", locale="en")
    beer = make_item(other, "Beer", price="3.00", stock="6")
    elsewhere = _confirmed(app, other, make_order, (beer, "6"))
    _close_the_old_way(app, other, elsewhere, "DELIVERED")

    assert _stock(app, company, wine.variant_id) == (10, 6, 4)
    assert _stock(app, company, water.variant_id) == (10, 5, 5)
    with app.app_context():
        stuck = stuck_orders()
    assert sorted(stuck) == sorted(
        [(company.id, sold), (company.id, cancelled), (company.id, on_hold), (other.id, elsewhere)]
    )

    summary = _repair(app)
    assert (summary.settled, summary.refused, summary.left) == (4, [], [])

    # The sale took its 2 bottles; the cancelled orders gave theirs back; the open order
    # keeps its reservation.
    assert _stock(app, company, wine.variant_id) == (8, 1, 7)
    assert _stock(app, company, water.variant_id) == (10, 0, 10)
    assert _stock(app, other, beer.variant_id) == (0, 0, 0)
    assert _ledger(app, company, wine.variant_id)[-2:] == [
        ("sale", Decimal("-2.000"), Decimal("-2.000")),
        ("release", Decimal("0.000"), Decimal("-3.000")),
    ]
    assert _ledger(app, company, water.variant_id)[-2:] == [
        ("release", Decimal("0.000"), Decimal("-1.000")),
        ("release", Decimal("0.000"), Decimal("-4.000")),
    ]
    assert _ledger(app, other, beer.variant_id)[-1] == (
        "sale",
        Decimal("-6.000"),
        Decimal("-6.000"),
    )
    assert _states(app, company, sold) == ("deducted", ["deducted", "none"])
    assert _states(app, company, cancelled) == ("released", ["released", "released"])
    assert _states(app, company, on_hold) == ("released", ["released"])
    assert _states(app, company, still_open) == ("reserved", ["reserved"])
    with company_ctx(app, company.id):
        references = db.session.execute(
            select(StockMovement.reference).where(StockMovement.kind.in_(["sale", "release"]))
        ).scalars()
        assert sorted(references) == ["Order 1", "Order 2", "Order 2", "Order 3"]
        audited = db.session.execute(
            select(AuditEntry.entity_id, AuditEntry.changes)
            .where(AuditEntry.action == "order.stock_settle")
            .order_by(AuditEntry.entity_id)
        ).all()
        assert audited == [
            (sold, {"stock_state": ["reserved", "deducted"]}),
            (cancelled, {"stock_state": ["reserved", "released"]}),
            (on_hold, {"stock_state": ["released", "released"]}),
        ]

    # Run again: nothing is left to do, nothing moves twice.
    moves = len(_ledger(app, company, wine.variant_id))
    again = _repair(app)
    assert (again.settled, again.refused) == (0, [])
    assert len(_ledger(app, company, wine.variant_id)) == moves


def test_an_order_the_ledger_refuses_is_reported_and_the_others_go_on(
    app, company, make_item, make_order
):
    wine = make_item(company, "Wine", price="20.00", stock="10")
    short = _confirmed(app, company, make_order, (wine, "3"))
    fine = _confirmed(app, company, make_order, (wine, "2"))
    _close_the_old_way(app, company, short, "CANCELLED")
    _close_the_old_way(app, company, fine, "CANCELLED")
    # The shelf's reservation was lost meanwhile (by hand): it cannot give back 3 any more.
    with company_ctx(app, company.id):
        db.session.execute(
            update(StockLevel).where(StockLevel.variant_id == wine.variant_id).values(reserved=2)
        )
        db.session.execute(
            text("UPDATE variant SET reserved = 2 WHERE id = :id"), {"id": wine.variant_id}
        )

    summary = _repair(app)
    assert summary.settled == 1
    [(refused_company, number, message)] = summary.refused
    assert (refused_company, number) == (company.id, 1)
    assert message.startswith("Only 2 ") and "reserved at Main store" in message
    assert "order 1: not settled" in str(summary)
    assert _states(app, company, short) == ("reserved", ["reserved"])
    assert _states(app, company, fine) == ("released", ["released"])
    assert _stock(app, company, wine.variant_id) == (10, 0, 10)
    with company_ctx(app, company.id):
        lines = db.session.execute(select(OrderLine.stock_state)).scalars().all()
        assert sorted(lines) == ["released", "reserved"]


def test_the_repair_runs_as_a_flask_command(app, company, make_item, make_order):
    wine = make_item(company, "Wine", price="20.00", stock="10")
    cancelled = _confirmed(app, company, make_order, (wine, "3"))
    _close_the_old_way(app, company, cancelled, "CANCELLED")

    result = app.test_cli_runner().invoke(args=["bizkit", "repair-stock", "--batch", "1"])

    assert result.exit_code == 0, result.output
    assert "1 closed order(s) gave up the stock they still held." in result.output
    assert _stock(app, company, wine.variant_id) == (10, 0, 10)
