"""Stock moved by the flows: reserved on confirmation, taken on delivery, given back on
cancellation, never below zero — and a move whose stock effect is refused changes nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bizkit.core.errors import BusinessRuleError
from bizkit.extensions import db
from bizkit.inventory.models import StockMovement, Variant
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import StatusChange
from tests.conftest import company_ctx
from tests.orders.conftest import load_order
from tests.workflow.conftest import user


def _stock(variant_id):
    variant = db.session.get(Variant, variant_id)
    db.session.refresh(variant)
    return variant.on_hand, variant.reserved, variant.available


def _history(order_id):
    return db.session.execute(
        select(func.count()).where(StatusChange.entity_id == order_id)
    ).scalar()


def test_two_orders_for_the_last_unit_the_second_confirmation_is_refused(
    app, company, owner, make_item, make_order
):
    bottle = make_item(company, "Last bottle", price="30.00", stock="1")
    first = make_order(company, (bottle, "1"))
    second = make_order(company, (bottle, "1"), ("Bread", "1", "2.00"))
    with company_ctx(app, company.id):
        workflow.transition(load_order(first), "CONFIRMED", user(owner))
    with company_ctx(app, company.id):
        order = load_order(second)
        with pytest.raises(BusinessRuleError) as refused:
            workflow.transition(order, "CONFIRMED", user(owner), note="table 2")
        assert refused.value.message
        # Refused as a whole: the order, its line and the stock are as they were, in memory
        # and in the database, and the transaction is still usable.
        assert (order.status, order.version) == ("PENDING", 1)
        assert [line.stock_state for line in order.lines] == ["none", "none"]
        assert _stock(bottle.variant_id) == (1, 1, 0)
    with company_ctx(app, company.id):
        order = load_order(second)
        assert (order.status, order.version) == ("PENDING", 1)
        assert _history(second) == 1
        assert _stock(bottle.variant_id) == (1, 1, 0)
        moves = db.session.execute(
            select(func.count()).where(StockMovement.variant_id == bottle.variant_id)
        ).scalar()
        assert moves == 2  # the receipt and the first order's reservation


def test_without_a_savepoint_a_refused_move_is_undone_by_the_callers_rollback(
    app, company, owner, make_item, make_order
):
    """savepoint=False (the board): the entity is put back at once, the database by the
    rollback the caller makes on every refusal."""
    bottle = make_item(company, "Last bottle", price="30.00", stock="1")
    first = make_order(company, (bottle, "1"))
    second = make_order(company, ("Bread", "1", "2.00"), (bottle, "1"))
    with company_ctx(app, company.id):
        workflow.transition(load_order(first), "CONFIRMED", user(owner))
    with company_ctx(app, company.id):
        order = load_order(second)
        with pytest.raises(BusinessRuleError):
            workflow.transition(order, "CONFIRMED", user(owner), savepoint=False)
        assert (order.status, order.version) == ("PENDING", 1)
        db.session.rollback()
    with company_ctx(app, company.id):
        order = load_order(second)
        assert (order.status, order.version) == ("PENDING", 1)
        assert [line.stock_state for line in order.lines] == ["none", "none"]
        assert _history(second) == 1
        assert _stock(bottle.variant_id) == (1, 1, 0)


def test_reserve_then_deduct_then_nothing_more(app, company, owner, make_item, make_order):
    wine = make_item(company, "Wine", price="5.00", stock="4")
    service = make_item(company, "Corkage", kind="service", price="3.00")
    order_id = make_order(company, (wine, "3"), (service, "1"), ("Candle", "1", "1.00"))
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), user(owner)
        workflow.transition(order, "CONFIRMED", actor)
        assert _stock(wine.variant_id) == (4, 3, 1)
        assert [line.stock_state for line in order.lines] == ["reserved", "none", "none"]
        for code in ("PREPARING", "READY", "COMPLETED"):
            workflow.transition(order, code, actor)
        assert _stock(wine.variant_id) == (1, 0, 1)
        assert [line.stock_state for line in order.lines] == ["deducted", "none", "none"]


@pytest.mark.parametrize("cancel_from", ["PENDING", "CONFIRMED", "PREPARING", "READY"])
def test_cancelling_gives_back_exactly_what_was_reserved(
    app, company, owner, make_item, make_order, cancel_from
):
    wine = make_item(company, "Wine", price="5.00", stock="4")
    order_id = make_order(company, (wine, "2"))
    path = ["CONFIRMED", "PREPARING", "READY"]
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), user(owner)
        for code in path[: path.index(cancel_from) + 1] if cancel_from != "PENDING" else []:
            workflow.transition(order, code, actor)
        workflow.transition(order, "CANCELLED", actor)
        assert _stock(wine.variant_id) == (4, 0, 4)
        ledger = db.session.execute(
            select(func.sum(StockMovement.on_hand_change)).where(
                StockMovement.variant_id == wine.variant_id
            )
        ).scalar()
        assert ledger == Decimal(4)


def test_bike_shop_deducts_when_ready_and_never_goes_negative(
    app, make_company, make_user, make_item, make_order
):
    shop = make_company("Spokes", business_type="bike_shop")
    mechanic = make_user(shop, "staff")
    chain = make_item(shop, "Chain", price="25.00", stock="1")
    jobs = [make_order(shop, (chain, "1")) for _ in range(2)]
    with company_ctx(app, shop.id):
        actor = user(mechanic)
        first, second = (load_order(job) for job in jobs)
        workflow.transition(first, "QUOTE_SENT", actor)
        workflow.transition(second, "QUOTE_SENT", actor)
        workflow.transition(first, "QUOTE_APPROVED", actor)
        with pytest.raises(BusinessRuleError):
            workflow.transition(second, "QUOTE_APPROVED", actor)
        assert second.status == "QUOTE_SENT"
        for code in ("IN_PROGRESS", "READY_FOR_PICKUP", "COMPLETED"):
            workflow.transition(first, code, actor)
        assert _stock(chain.variant_id) == (0, 0, 0)
