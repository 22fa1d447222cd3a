"""Several people move the same order at the same moment: exactly one wins.

Real connections and commits (as concurrent requests would be); the company is removed
afterwards.
"""

import threading

import pytest
from sqlalchemy import delete, func, select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.extensions import db
from bizkit.inventory import operations as inventory
from bizkit.inventory.models import StockMovement, Variant
from bizkit.orders import operations as orders
from bizkit.orders.models import Order
from bizkit.settings.operations import create_company
from bizkit.workflow import operations as workflow
from bizkit.workflow.models import StatusChange
from tests.conftest import company_ctx


@pytest.fixture
def committed_order(app):
    """A restaurant with an order for 2 of 5 bottles, committed for real; removed afterwards."""
    with company_ctx(app):
        company_id = create_company(None, "Busy Trattoria", business_type="restaurant").id
    with company_ctx(app, company_id):
        product = inventory.create_product(None, {"name": "Chianti"}, {"sku": "CH", "price": "20"})
        inventory.receive_stock(None, product.variants[0], 5)
        variant_id = product.variants[0].id
        order = orders.create_order(None)
        orders.add_line(None, order, variant=product.variants[0], quantity="2")
        order_id = order.id
    yield company_id, order_id, variant_id
    with company_ctx(app) as session:
        session.execute(delete(Company).where(Company.id == company_id))


def _confirm(app, company_id, order_id, barrier, outcomes, by_id):
    try:
        with company_ctx(app, company_id):
            if by_id:  # as the board moves: the version the card showed, the order unread
                barrier.wait(timeout=10)
                workflow.transition_by_id(Order, order_id, "CONFIRMED", None, expected_version=1)
            else:
                order = db.session.get(Order, order_id)
                seen_version = order.version
                barrier.wait(timeout=10)
                workflow.transition(order, "CONFIRMED", None, expected_version=seen_version)
        outcomes.append("moved")
    except workflow.ConflictError as error:
        outcomes.append(("conflict", error.status, error.message))
    except BusinessRuleError as error:
        outcomes.append(("refused", error.message))
    except Exception as error:  # anything else fails the test below
        outcomes.append(repr(error))


@pytest.mark.parametrize("by_id", [False, True], ids=["loaded", "by id"])
@pytest.mark.parametrize("people", [2, 4])
def test_exactly_one_of_several_simultaneous_moves_wins(app, committed_order, people, by_id):
    company_id, order_id, variant_id = committed_order
    barrier = threading.Barrier(people)
    outcomes: list = []
    threads = [
        threading.Thread(
            target=_confirm, args=(app, company_id, order_id, barrier, outcomes, by_id)
        )
        for _ in range(people)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes.count("moved") == 1, outcomes
    conflicts = [o for o in outcomes if o != "moved"]
    assert len(conflicts) == people - 1
    for kind, status, message in conflicts:
        assert (kind, status) == ("conflict", 409)
        assert message.startswith("Someone else changed this order a moment ago.")
    with company_ctx(app, company_id):
        order = db.session.get(Order, order_id)
        assert (order.status, order.version) == ("CONFIRMED", 2)
        history = db.session.execute(
            select(StatusChange.from_code, StatusChange.to_code).order_by(StatusChange.id)
        ).all()
        assert history == [(None, "PENDING"), ("PENDING", "CONFIRMED")]
        variant = db.session.get(Variant, variant_id)
        assert (variant.on_hand, variant.reserved) == (5, 2)
        reservations = db.session.execute(
            select(func.count()).where(StockMovement.kind == "reservation")
        ).scalar()
        assert reservations == 1
