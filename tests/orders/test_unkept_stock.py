"""A product switched to "made to order" (its stock no longer kept) while open orders
reserve it: those reservations are still given back — or taken, in a sale — and never
stay reserved for ever."""

from decimal import Decimal

from bizkit.extensions import db
from bizkit.inventory import operations as inventory
from bizkit.inventory.models import Product, Variant
from bizkit.orders import operations as ops
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx
from tests.orders.conftest import load_order


def _reserved_then_unkept(app, company, make_item, make_order, quantity="3"):
    wine = make_item(company, "Wine", price="20.00", stock="10")
    order_id = make_order(company, (wine, quantity))
    with company_ctx(app, company.id):
        workflow.transition(load_order(order_id), "CONFIRMED", None)
        product = db.session.get(Product, wine.product_id)
        inventory.update_product(None, product, {"name": product.name, "stock_kept": False})
    return wine, order_id


def _stock(app, company, variant_id):
    with company_ctx(app, company.id):
        variant = db.session.get(Variant, variant_id)
        return variant.on_hand, variant.reserved


def test_cancelling_gives_back_what_an_unkept_product_had_reserved(
    app, company, make_item, make_order
):
    wine, order_id = _reserved_then_unkept(app, company, make_item, make_order)
    assert _stock(app, company, wine.variant_id) == (10, 3)

    with company_ctx(app, company.id):
        workflow.transition(load_order(order_id), "CANCELLED", None)
        assert [line.stock_state for line in load_order(order_id).lines] == ["released"]
    assert _stock(app, company, wine.variant_id) == (10, 0)


def test_a_sale_takes_what_an_unkept_product_had_reserved(app, company, make_item, make_order):
    wine, order_id = _reserved_then_unkept(app, company, make_item, make_order)

    with company_ctx(app, company.id):
        order = load_order(order_id)
        for status in ("PREPARING", "READY", "DELIVERED"):
            workflow.transition(order, status, None)
        assert [line.stock_state for line in order.lines] == ["deducted"]
    assert _stock(app, company, wine.variant_id) == (7, 0)


def test_changing_or_removing_such_a_line_gives_its_reservation_back(
    app, company, make_item, make_order
):
    wine, order_id = _reserved_then_unkept(app, company, make_item, make_order)
    with company_ctx(app, company.id):
        order = load_order(order_id)
        ops.update_line(None, order, order.lines[0], quantity="5")
        assert order.lines[0].stock_state == "released"
    assert _stock(app, company, wine.variant_id) == (10, 0)

    other = make_item(company, "Beer", sku="B", price="3.00", stock="4")
    second = make_order(company, (other, "2"))
    with company_ctx(app, company.id):
        workflow.transition(load_order(second), "CONFIRMED", None)
        product = db.session.get(Product, other.product_id)
        inventory.update_product(None, product, {"name": product.name, "stock_kept": False})
        order = load_order(second)
        ops.remove_line(None, order, order.lines[0])
    assert _stock(app, company, other.variant_id) == (Decimal(4), 0)
