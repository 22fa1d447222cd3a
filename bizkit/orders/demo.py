"""Demo orders for the demo companies: every status of their flow, reached through real
transitions by the system (actor None), so the history and the stock movements are real.

Idempotent: a company that already has orders gets none added. Catalog lines use stocked
items in small quantities (the flows reserve and deduct stock, and the demo catalog leaves
made-to-order dishes such as pizzas at zero stock) plus free-text lines.
"""

from __future__ import annotations

import datetime as dt
from collections import deque

from sqlalchemy import select

from bizkit.core.timezones import utcnow
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.inventory.models import Variant
from bizkit.orders import operations as ops
from bizkit.orders.models import Order
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import StatusChange

# (target status, status to pass through or None, customer index or None for a walk-in,
#  channel, details, catalog lines [(sku, qty)], free-text lines [(description, qty, price)])
RESTAURANT = [
    ("PENDING", None, 0, "phone", {"table_label": "4"}, [("DR-ACQ-050", "2")], []),
    ("PENDING", None, None, "counter", {"takeaway": True}, [("DR-COLA-033", "2")], []),
    (
        "PENDING",
        None,
        5,
        "web",
        {"takeaway": True},
        [("DR-MOR-050", "1")],
        [("Extra bread", "1", "1.50")],
    ),
    (
        "CONFIRMED",
        None,
        1,
        "counter",
        {"table_label": "7"},
        [("DR-ACQ-050", "1"), ("DS-TIRA", "1")],
        [],
    ),
    ("CONFIRMED", None, None, "counter", {"table_label": "2"}, [("DR-MOR-050", "2")], []),
    (
        "PREPARING",
        None,
        2,
        "counter",
        {"table_label": "9"},
        [("DR-COLA-033", "1")],
        [("Pasta of the day", "2", "11.00")],
    ),
    (
        "PREPARING",
        None,
        None,
        "phone",
        {"takeaway": True},
        [("DR-ACQ-050", "1")],
        [("Lasagne", "1", "12.50")],
    ),
    ("READY", None, 3, "web", {"takeaway": True}, [("DR-MOR-050", "1"), ("DR-ACQ-050", "1")], []),
    (
        "READY",
        None,
        None,
        "counter",
        {"table_label": "1"},
        [("DS-TIRA", "1")],
        [("Espresso", "2", "1.20")],
    ),
    (
        "DELIVERED",
        None,
        4,
        "counter",
        {"table_label": "3"},
        [("DR-ACQ-050", "2"), ("DR-COLA-033", "1")],
        [("Birthday cake service", "1", "15.00")],
    ),
    ("DELIVERED", None, None, "counter", {"table_label": "5"}, [("DR-MOR-050", "2")], []),
    (
        "DELIVERED",
        None,
        6,
        "phone",
        {"table_label": "8"},
        [("DR-COLA-033", "2")],
        [("Risotto ai funghi", "2", "13.00")],
    ),
    (
        "COMPLETED",
        None,
        7,
        "web",
        {"takeaway": True},
        [("DR-ACQ-050", "1")],
        [("Catering tray", "1", "45.00")],
    ),
    ("COMPLETED", None, None, "counter", {"takeaway": True}, [("DR-COLA-033", "1")], []),
    ("CANCELLED", None, 8, "phone", {"table_label": "6"}, [("DR-MOR-050", "1")], []),
    (
        "CANCELLED",
        "CONFIRMED",
        None,
        "counter",
        {"table_label": "10"},
        [("DR-ACQ-050", "2")],
        [("Corkage", "1", "8.00")],
    ),
    ("CANCELLED", "PREPARING", 9, "web", {"takeaway": True}, [("DR-COLA-033", "1")], []),
    ("PENDING", None, 10, "api", {"takeaway": True}, [("DS-TIRA", "1")], []),
]

BIKE_SHOP = [
    (
        "QUOTE_REQUESTED",
        None,
        0,
        "counter",
        {"bike_make": "Trek", "bike_model": "FX 3", "bike_serial": "WTU123C0456"},
        [("SV-BASIC", "1")],
        [],
    ),
    (
        "QUOTE_REQUESTED",
        None,
        None,
        "phone",
        {"bike_make": "Author", "bike_model": "Mission"},
        [],
        [("Inspect creaking bottom bracket", "1", "250")],
    ),
    (
        "QUOTE_SENT",
        None,
        1,
        "web",
        {"bike_make": "Specialized", "bike_model": "Sirrus", "bike_serial": "WSBC604123"},
        [("SV-FULL", "1"), ("CH-HG601-11", "1")],
        [],
    ),
    (
        "QUOTE_SENT",
        None,
        2,
        "counter",
        {"bike_make": "Cube", "bike_model": "Kathmandu"},
        [("SV-TRUE", "2")],
        [],
    ),
    (
        "QUOTE_APPROVED",
        None,
        3,
        "counter",
        {"bike_make": "Giant", "bike_model": "Escape 2", "bike_serial": "GT21K0099"},
        [("SV-BASIC", "1"), ("BP-B01S", "2")],
        [],
    ),
    (
        "QUOTE_APPROVED",
        None,
        None,
        "phone",
        {"bike_make": "Kellys", "bike_model": "Phanatic"},
        [("SV-FULL", "1")],
        [("Bleed hydraulic brakes", "1", "450")],
    ),
    (
        "IN_PROGRESS",
        None,
        4,
        "counter",
        {"bike_make": "Canyon", "bike_model": "Endurace", "bike_serial": "CNY7781234"},
        [("SV-FULL", "1"), ("TY-SMP-70035", "2")],
        [],
    ),
    (
        "IN_PROGRESS",
        None,
        5,
        "web",
        {"bike_make": "Merida", "bike_model": "Crossway"},
        [("SV-BASIC", "1"), ("BP-B01S", "1")],
        [],
    ),
    (
        "READY_FOR_PICKUP",
        None,
        6,
        "counter",
        {"bike_make": "Scott", "bike_model": "Scale 970"},
        [("SV-BASIC", "1"), ("CH-HG601-11", "1")],
        [("Wash and lube", "1", "200")],
    ),
    (
        "READY_FOR_PICKUP",
        None,
        None,
        "counter",
        {"bike_make": "Brompton", "bike_model": "C Line"},
        [("SV-TRUE", "1")],
        [],
    ),
    (
        "COMPLETED",
        None,
        7,
        "counter",
        {"bike_make": "Trek", "bike_model": "Marlin 7", "bike_serial": "WTU77M123"},
        [("SV-FULL", "1"), ("BP-B01S", "2")],
        [],
    ),
    (
        "COMPLETED",
        None,
        8,
        "phone",
        {"bike_make": "Superior", "bike_model": "XC 889"},
        [("SV-BASIC", "1")],
        [("Replace grips", "1", "390")],
    ),
    (
        "COMPLETED",
        None,
        None,
        "counter",
        {"bike_make": "Rock Machine", "bike_model": "Storm"},
        [("SV-TRUE", "1"), ("TY-SMP-70035", "1")],
        [],
    ),
    (
        "QUOTE_REJECTED",
        None,
        9,
        "web",
        {"bike_make": "Cannondale", "bike_model": "Topstone"},
        [("SV-FULL", "1")],
        [("Replace rear derailleur", "1", "1890")],
    ),
    (
        "CANCELLED",
        None,
        10,
        "phone",
        {"bike_make": "Ghost", "bike_model": "Kato"},
        [("SV-BASIC", "1")],
        [],
    ),
    (
        "CANCELLED",
        "QUOTE_APPROVED",
        None,
        "counter",
        {"bike_make": "Lapierre", "bike_model": "Xelius"},
        [("SV-FULL", "1"), ("CH-HG601-11", "1")],
        [],
    ),
    (
        "QUOTE_REQUESTED",
        None,
        11,
        "api",
        {"bike_make": "Orbea", "bike_model": "Orca"},
        [],
        [("Fit check", "1", "600")],
    ),
]

PLANS = {"restaurant": RESTAURANT, "bike_shop": BIKE_SHOP}


def path_to(flow: workflow.Flow, start: str, target: str) -> list[str]:
    """The shortest chain of statuses after `start` that reaches `target` (as the system)."""
    seen, queue = {start: []}, deque([start])
    while queue:
        code = queue.popleft()
        if code == target:
            return seen[code]
        for move in flow.moves_from(code, None):
            if move.to_code not in seen:
                seen[move.to_code] = [*seen[code], move.to_code]
                queue.append(move.to_code)
    raise ValueError(f"{target} cannot be reached from {start}")


def seed_demo(company) -> list[Order]:
    """Orders across every status of the company's flow (the current company)."""
    plan = PLANS.get(company.business_type)
    if plan is None or db.session.execute(select(Order.id).limit(1)).first():
        return []
    flow = workflow.load_flow("order")
    customers = list(db.session.execute(select(Customer).order_by(Customer.id)).scalars())
    variants = {v.sku: v for v in db.session.execute(select(Variant)).scalars()}
    now = utcnow()
    orders = []
    for index, (target, via, who, channel, details, items, free) in enumerate(plan):
        customer = customers[who] if who is not None and who < len(customers) else None
        order = ops.create_order(None, customer=customer, channel=channel, **details)
        for sku, quantity in items:
            if sku in variants:
                ops.add_line(None, order, variant=variants[sku], quantity=quantity)
        for description, quantity, price in free:
            ops.add_line(None, order, description=description, quantity=quantity, unit_price=price)
        steps = path_to(flow, order.status, via) if via else []
        steps += path_to(flow, via or order.status, target)
        for code in steps:
            workflow.transition(order, code, None, flow=flow)
        _backdate(order, now - dt.timedelta(hours=(len(plan) - index) * 7))
        orders.append(order)
    seed_payments_and_vouchers(company, orders)
    db.session.flush()
    return orders


def _backdate(order: Order, created_at: dt.datetime) -> None:
    """Spread the demo orders over the past days; their history keeps its order."""
    order.created_at = created_at
    changes = db.session.execute(
        select(StatusChange)
        .where(StatusChange.entity_type == "order", StatusChange.entity_id == order.id)
        .order_by(StatusChange.id)
    ).scalars()
    for step, change in enumerate(changes):
        change.created_at = created_at + dt.timedelta(minutes=20 * step)


def seed_payments_and_vouchers(company, orders: list[Order]) -> None:
    """Promo codes, a gift voucher, and payments on some of the demo orders."""
    from bizkit.orders.demo_money import seed_demo_money

    db.session.flush()
    seed_demo_money(company)
