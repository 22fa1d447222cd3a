"""Available stock never goes negative when many sales hit the same variant at once.

Real connections, real commits: each thread is its own app context with its own session
and connection, as concurrent requests or workers would be.
"""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import StockLevel, StockMovement, Variant
from bizkit.settings.operations import create_company
from tests.conftest import company_ctx


@pytest.fixture
def committed_variant(app):
    """A company with one variant holding 5 units, committed for real; removed afterwards."""
    with company_ctx(app) as session:
        company_id = create_company(None, "Rush Hour Bar").id
    with company_ctx(app, company_id):
        product = ops.create_product(None, {"name": "Spritz"}, {"sku": "SPRITZ", "price": "6"})
        ops.receive_stock(None, product.variants[0], 5)
        variant_id = product.variants[0].id
    yield company_id, variant_id
    with company_ctx(app) as session:
        session.execute(delete(Company).where(Company.id == company_id))


def _sell_one(app, company_id, variant_id, barrier, outcomes):
    try:
        with company_ctx(app, company_id):
            variant = db.session.get(Variant, variant_id)
            barrier.wait(timeout=10)
            ops.deduct_stock(None, variant, 1, reference=threading.current_thread().name)
        outcomes.append("sold")
    except BusinessRuleError:
        outcomes.append("refused")
    except Exception as error:  # anything else fails the test below
        outcomes.append(repr(error))


def test_ten_concurrent_sales_of_five_units_sell_exactly_five(app, committed_variant):
    company_id, variant_id = committed_variant
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    threads = [
        threading.Thread(
            target=_sell_one, args=(app, company_id, variant_id, barrier, outcomes), name=f"T{i}"
        )
        for i in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["refused"] * 5 + ["sold"] * 5
    with company_ctx(app, company_id):
        variant = db.session.get(Variant, variant_id)
        assert (variant.on_hand, variant.reserved, variant.available) == (0, 0, 0)
        level = db.session.execute(select(StockLevel)).scalar_one()
        assert level.on_hand == 0
        sales = db.session.execute(
            select(func.count(), func.sum(StockMovement.on_hand_change)).where(
                StockMovement.kind == "sale"
            )
        ).one()
        assert sales == (5, Decimal("-5"))
        ledger = db.session.execute(select(func.sum(StockMovement.on_hand_change))).scalar()
        assert ledger == variant.on_hand
