"""Where notifications come from: the order flows' "notify customer" side effect, low
stock for the staff, and cancelled records taking their reminders with them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bizkit.extensions import db
from bizkit.inventory import operations as inventory
from bizkit.inventory.models import Variant
from bizkit.notifications.models import Notification
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx
from tests.orders.conftest import load_order


def _queued() -> list[tuple]:
    return [
        (n.event, n.channel, n.recipient, n.locale, n.entity_type, n.status)
        for n in db.session.execute(select(Notification).order_by(Notification.id)).scalars()
    ]


def test_restaurant_ready_notifies_the_customer_in_their_language(
    app, company, make_customer, make_order
):
    customer_id = make_customer("Ana Souza", email="ana@example.com", locale="pt_BR")
    order_id = make_order(company, ("Pizza", "2", "9.50"), customer_id=customer_id)
    with company_ctx(app, company.id):
        order = load_order(order_id)
        for status in ("CONFIRMED", "PREPARING"):
            workflow.transition(order, status, None)
        assert _queued() == []  # only READY carries the side effect in the restaurant preset
        workflow.transition(order, "READY", None)
        assert _queued() == [
            ("order_ready", "email", "ana@example.com", "pt_BR", "order", "queued")
        ]
        [n] = db.session.execute(select(Notification)).scalars()
        assert n.context["order_number"] == order.number
        assert Decimal(n.context["total"]) == Decimal("19.00")


def test_a_walk_in_without_contact_data_gets_nothing(app, company, make_order):
    order_id = make_order(company, ("Pizza", "1", "9.50"))
    with company_ctx(app, company.id):
        order = load_order(order_id)
        for status in ("CONFIRMED", "PREPARING", "READY"):
            workflow.transition(order, status, None)
        assert _queued() == []


def test_bike_shop_notifies_on_quote_sent_and_ready_for_pickup(
    app, make_company, make_customer, make_order
):
    shop = make_company("Spokes", business_type="bike_shop", locale="sk")
    customer_id = make_customer("Peter", target=shop, email="peter@example.com")
    order_id = make_order(
        shop, ("Service", "1", "40"), customer_id=customer_id, bike_make="Trek", bike_model="FX 3"
    )
    with company_ctx(app, shop.id):
        order = load_order(order_id)
        for status in ("QUOTE_SENT", "QUOTE_APPROVED", "IN_PROGRESS", "READY_FOR_PICKUP"):
            workflow.transition(order, status, None)
        # No language on the customer: the company's.
        assert _queued() == [
            ("quote_sent", "email", "peter@example.com", "sk", "order", "queued"),
            ("ready_for_pickup", "email", "peter@example.com", "sk", "order", "queued"),
        ]
        [first, _] = db.session.execute(select(Notification).order_by(Notification.id)).scalars()
        assert first.context["item"] == "Trek FX 3"


def test_low_stock_tells_the_staff_once_per_threshold_crossing(
    app, company, owner, make_user, make_item
):
    make_user(company, "staff", email="floor@acme.example")
    make_user(company, "kitchen", email="cook@acme.example")  # may not manage stock
    beans = make_item(company, "Beans", stock="10", threshold="3")
    with company_ctx(app, company.id):
        variant = db.session.get(Variant, beans.variant_id)
        inventory.deduct_stock(None, variant, Decimal("5"))  # 10 → 5: above the threshold
        assert _queued() == []
        inventory.deduct_stock(None, variant, Decimal("2"))  # 5 → 3: crosses
        inventory.deduct_stock(None, variant, Decimal("1"))  # 3 → 2: already below
        recipients = sorted(n[2] for n in _queued())
        assert recipients == ["floor@acme.example", "owner@acme.example"]
        assert {n[0] for n in _queued()} == {"low_stock"}
        inventory.receive_stock(None, variant, Decimal("10"))  # back above: 12
        inventory.deduct_stock(None, variant, Decimal("9"))  # 12 → 3: a new crossing
        assert len(_queued()) == 4


def test_reservations_count_for_low_stock_too(app, company, owner, make_item):
    beans = make_item(company, "Beans", stock="5", threshold="2")
    with company_ctx(app, company.id):
        variant = db.session.get(Variant, beans.variant_id)
        inventory.reserve_stock(None, variant, Decimal("3"))  # available 5 → 2
        assert [n[0] for n in _queued()] == ["low_stock"]
