"""Orders through the operations: numbering, lines and totals, stock side effects of the
restaurant flow, terminal statuses, and refused moves that change nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from bizkit.core.errors import BusinessRuleError
from bizkit.extensions import db
from bizkit.inventory.models import Variant
from bizkit.orders import operations as ops
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import StatusChange
from tests.conftest import company_ctx
from tests.orders.conftest import load_order


def test_new_orders_are_numbered_per_company_and_start_in_the_initial_status(
    app, company, make_company, make_order
):
    other = make_company("Spokes", business_type="bike_shop")
    first, second = make_order(company), make_order(company)
    elsewhere = make_order(other)
    with company_ctx(app, company.id):
        assert [load_order(first).number, load_order(second).number] == [1, 2]
        assert load_order(first).status == "PENDING"
    with company_ctx(app, other.id):
        order = load_order(elsewhere)
        assert (order.number, order.status) == (1, "QUOTE_REQUESTED")
        history = db.session.execute(select(StatusChange)).scalars().all()
        assert [(h.from_code, h.to_code) for h in history] == [(None, "QUOTE_REQUESTED")]


def test_lines_update_the_totals_with_tax_per_rate(app, company, make_item, make_order):
    pizza = make_item(company, "Pizza", price="9.90")
    order_id = make_order(company, (pizza, "2"), ("Corkage", "1", "5.00"))
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert order.lines_total == Decimal("24.80")
        assert order.total == Decimal("24.80")
        line = order.lines[0]
        ops.update_line(None, order, line, quantity="3", discount_percent="10")
        assert line.line_total == Decimal("26.73")  # 3 × 9.90 × 0.9 = 26.73
        assert order.total == Decimal("31.73")
        ops.remove_line(None, order, order.lines[1])
        assert order.total == Decimal("26.73")


def test_restaurant_flow_reserves_then_deducts_stock(app, company, owner, make_item, make_order):
    wine = make_item(company, "House wine", price="4.00", stock="10")
    order_id = make_order(company, (wine, "3"))
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), db.session.get(_user_model(), owner.id)
        workflow.transition(order, "CONFIRMED", actor)
        variant = db.session.get(Variant, wine.variant_id)
        assert (variant.on_hand, variant.reserved) == (10, 3)
        for status in ("PREPARING", "READY", "DELIVERED"):
            workflow.transition(order, status, actor, note="table 4")
        assert (variant.on_hand, variant.reserved) == (7, 0)
        assert order.version == 5
        with pytest.raises(BusinessRuleError, match="final status"):
            workflow.transition(order, "CANCELLED", actor)
        with pytest.raises(BusinessRuleError, match="closed"):
            ops.add_line(actor, order, description="Tip", quantity="1", unit_price="2")


def test_cancelling_releases_reserved_stock(app, company, owner, make_item, make_order):
    wine = make_item(company, "House wine", price="4.00", stock="10")
    order_id = make_order(company, (wine, "3"))
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), db.session.get(_user_model(), owner.id)
        workflow.transition(order, "CONFIRMED", actor)
        ops.update_line(actor, order, order.lines[0], quantity="5")
        variant = db.session.get(Variant, wine.variant_id)
        assert variant.reserved == 5
        workflow.transition(order, "CANCELLED", actor, note="guest left")
        assert (variant.on_hand, variant.reserved) == (10, 0)


def test_a_move_the_flow_does_not_allow_is_refused(app, company, owner, make_order):
    order_id = make_order(company, ("Soup", "1", "4.50"))
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), db.session.get(_user_model(), owner.id)
        with pytest.raises(BusinessRuleError, match="cannot go to"):
            workflow.transition(order, "READY", actor)
        with pytest.raises(BusinessRuleError, match="no status"):
            workflow.transition(order, "NOPE", actor)
        assert (order.status, order.version) == ("PENDING", 1)


def test_kitchen_moves_food_along_but_may_not_cancel(app, company, make_user, make_order):
    cook = make_user(company, "kitchen")
    order_id = make_order(company, ("Soup", "1", "4.50"))
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), db.session.get(_user_model(), cook.id)
        with pytest.raises(BusinessRuleError, match="Your role"):
            workflow.transition(order, "CONFIRMED", actor)
        workflow.transition(order, "CONFIRMED", None)
        workflow.transition(order, "PREPARING", actor)
        with pytest.raises(BusinessRuleError, match="Your role"):
            workflow.transition(order, "CANCELLED", actor)


def test_a_stale_version_is_a_conflict(app, company, owner, make_order):
    order_id = make_order(company, ("Soup", "1", "4.50"))
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), db.session.get(_user_model(), owner.id)
        workflow.transition(order, "CONFIRMED", actor)
        with pytest.raises(workflow.ConflictError, match="Someone else"):
            workflow.transition(order, "PREPARING", actor, expected_version=1)
        assert order.status == "CONFIRMED"


def _user_model():
    from bizkit.auth.models import User

    return User


def test_a_dish_made_to_order_goes_through_the_flow_without_stock(
    app, company, owner, make_item, make_order
):
    from bizkit.inventory import operations as inventory
    from bizkit.inventory.models import Product, StockMovement

    pizza = make_item(company, "Pizza Diavola", price="8.50")  # no stock at all
    wine = make_item(company, "House wine", price="4.00", stock="10")
    with company_ctx(app, company.id):
        product = db.session.get(Product, pizza.product_id)
        inventory.update_product(None, product, {"name": product.name, "stock_kept": False})
    order_id = make_order(company, (pizza, "2"), (wine, "1"))
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), db.session.get(_user_model(), owner.id)
        for status in ("CONFIRMED", "PREPARING", "READY", "DELIVERED"):
            workflow.transition(order, status, actor)
        assert [line.stock_state for line in order.lines] == ["none", "deducted"]
        moved = db.session.execute(select(StockMovement.variant_id).distinct()).scalars().all()
        assert moved == [wine.variant_id]
