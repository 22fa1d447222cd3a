"""Orders fixtures: catalog items (from the inventory fixtures) and orders made through
the operations, inside the test transaction."""

from __future__ import annotations

import pytest

from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.inventory.models import Variant
from bizkit.orders import operations as ops
from bizkit.orders.models import Order
from tests.conftest import company_ctx
from tests.customers.conftest import make_customer  # noqa: F401 (fixture)
from tests.inventory.conftest import ItemRef, make_item  # noqa: F401 (fixture)


@pytest.fixture
def make_order(app, rollback_db):
    """An order for `company` with lines given as (ItemRef or description, quantity[, price]);
    `customer_id=` names its customer."""

    def factory(company, *lines, actor=None, **details) -> int:
        with company_ctx(app, company.id):
            if "customer_id" in details:
                details["customer"] = db.session.get(Customer, details.pop("customer_id"))
            order = ops.create_order(actor, **details)
            for line in lines:
                item, quantity, *price = line
                if isinstance(item, ItemRef):
                    variant = db.session.get(Variant, item.variant_id)
                    ops.add_line(actor, order, variant=variant, quantity=quantity)
                else:
                    ops.add_line(
                        actor, order, description=item, quantity=quantity, unit_price=price[0]
                    )
            return order.id

    return factory


def load_order(order_id: int) -> Order:
    return db.session.get(Order, order_id)
