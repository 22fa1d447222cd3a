"""The stock ledger: every movement's effect on on-hand, reserved and available, and refusals."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import Product, StockLevel, StockLocation, StockMovement, Variant
from tests.conftest import company_ctx


def _figures(variant: Variant):
    db.session.refresh(variant)
    return variant.on_hand, variant.reserved, variant.available


def _ledger_sums(variant_id: int):
    return db.session.execute(
        select(
            func.coalesce(func.sum(StockMovement.on_hand_change), 0),
            func.coalesce(func.sum(StockMovement.reserved_change), 0),
        ).where(StockMovement.variant_id == variant_id)
    ).one()


def test_each_movement_moves_on_hand_reserved_and_available(app, company, owner, make_item):
    item = make_item(company, "Cola", "COLA-033")
    with company_ctx(app, company.id):
        v = db.session.get(Variant, item.variant_id)
        ops.receive_stock(None, v, 10, reference="PO-1")
        assert _figures(v) == (10, 0, 10)
        ops.reserve_stock(None, v, 4, reference="ORDER-7")
        assert _figures(v) == (10, 4, 6)
        ops.release_stock(None, v, 1, reference="ORDER-7")
        assert _figures(v) == (10, 3, 7)
        ops.deduct_stock(None, v, 3, reference="ORDER-7", from_reservation=True)
        assert _figures(v) == (7, 0, 7)
        ops.deduct_stock(None, v, 2, reference="TILL-1")
        assert _figures(v) == (5, 0, 5)
        ops.return_stock(None, v, Decimal("1"), reference="TILL-1")
        assert _figures(v) == (6, 0, 6)
        ops.adjust_stock(None, v, "-1.5", "damaged", note="dropped crate")
        assert _figures(v) == (Decimal("4.5"), 0, Decimal("4.5"))

        kinds = (
            db.session.execute(select(StockMovement.kind).order_by(StockMovement.id))
            .scalars()
            .all()
        )
        assert kinds == [
            "receipt", "reservation", "release", "sale", "sale", "return", "adjustment",
        ]  # fmt: skip
        assert _ledger_sums(v.id) == (Decimal("4.5"), 0)
        level = db.session.execute(select(StockLevel)).scalar_one()
        assert (level.on_hand, level.reserved) == (Decimal("4.5"), 0)
        audit_actions = (
            db.session.execute(
                select(AuditEntry.action).where(AuditEntry.action.startswith("stock."))
            )
            .scalars()
            .all()
        )
        assert len(audit_actions) == 7


@pytest.mark.parametrize(
    "operation, args, message",
    [
        (ops.deduct_stock, (6,), "Not enough stock: 5 pcs available"),
        (ops.reserve_stock, (6,), "Not enough stock: 5 pcs available"),
        (ops.release_stock, (1,), "Only 0 pcs are reserved"),
        (ops.adjust_stock, (-6, "lost"), "Only 5 pcs on hand at Main store."),
        (ops.deduct_stock, (0,), "above zero"),
        (ops.receive_stock, ("-1",), "not negative"),
        (ops.receive_stock, ("1.0001",), "3 decimal places"),
        (ops.adjust_stock, (1, "mystery"), "Choose a reason"),
    ],
)
def test_refused_movements_change_nothing(app, company, make_item, operation, args, message):
    item = make_item(company, "Water", "WATER", stock="5")
    with company_ctx(app, company.id):
        v = db.session.get(Variant, item.variant_id)
        with pytest.raises(BusinessRuleError) as refused:
            operation(None, v, *args)
        assert message in refused.value.message
        assert _figures(v) == (5, 0, 5)
        assert db.session.execute(select(func.count(StockMovement.id))).scalar() == 1


def test_an_adjustment_is_refused_for_what_it_is_short_of(app, company, make_item):
    """Below zero on hand: not enough on hand. Below what is reserved: the reservation."""
    item = make_item(company, "Water", "WATER", stock="12")
    with company_ctx(app, company.id):
        v = db.session.get(Variant, item.variant_id)
        with pytest.raises(BusinessRuleError) as refused:
            ops.adjust_stock(None, v, -2000, "lost")
        assert refused.value.message == "Only 12 pcs on hand at Main store."
        assert refused.value.field == "quantity"
        ops.reserve_stock(None, v, 4, reference="ORDER-1")
        with pytest.raises(BusinessRuleError) as refused:
            ops.adjust_stock(None, v, -9, "lost")
        assert refused.value.message == (
            "This would leave less than the 4 pcs reserved at Main store."
        )
        with pytest.raises(BusinessRuleError) as refused:
            ops.adjust_stock(None, v, -13, "lost")
        assert refused.value.message == "Only 12 pcs on hand at Main store."
        assert _figures(v) == (12, 4, 8)
        ops.receive_stock(None, v, 988)
        with pytest.raises(BusinessRuleError) as refused:
            ops.adjust_stock(None, v, -2000, "lost")
        assert refused.value.message == "Only 1,000 pcs on hand at Main store."  # not 1E+3


def test_reserved_stock_cannot_be_sold_twice(app, company, make_item):
    item = make_item(company, "Tyre", "TYRE", stock="3")
    with company_ctx(app, company.id):
        v = db.session.get(Variant, item.variant_id)
        ops.reserve_stock(None, v, 2, reference="ORDER-1")
        with pytest.raises(BusinessRuleError):
            ops.deduct_stock(None, v, 2)  # only 1 is free
        ops.deduct_stock(None, v, 1)
        assert _figures(v) == (2, 2, 0)


def test_services_have_no_stock(app, company, make_item):
    item = make_item(company, "Wheel truing", "SV-TRUE", kind="service", duration=30)
    with company_ctx(app, company.id):
        v = db.session.get(Variant, item.variant_id)
        with pytest.raises(BusinessRuleError, match="Services have no stock"):
            ops.receive_stock(None, v, 1)


def test_locations_keep_their_own_quantities(app, company, make_item):
    item = make_item(company, "Chain", "CHAIN")
    with company_ctx(app, company.id):
        v = db.session.get(Variant, item.variant_id)
        van = StockLocation(name="Van")
        db.session.add(van)
        db.session.flush()
        ops.receive_stock(None, v, 4)  # default location, created on demand
        ops.receive_stock(None, v, 2, van)
        with pytest.raises(BusinessRuleError, match="2 pcs available at Van"):
            ops.deduct_stock(None, v, 3, van)
        ops.deduct_stock(None, v, 3)
        assert _figures(v) == (3, 0, 3)
        levels = {lv.location.name: lv.on_hand for lv in ops.stock_levels(v)}
        assert levels == {"Main store": 1, "Van": 2}
        assert ops.default_location().is_default


def test_the_database_refuses_negative_caches_whatever_the_code_does(app, company, make_item):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    item = make_item(company, "Beer", "BEER", stock="1")
    with company_ctx(app, company.id):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(
                update(Variant).where(Variant.id == item.variant_id).values(reserved=2)
            )
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(update(StockLevel).values(on_hand=-1))


def test_low_stock_hooks_follow_the_low_stock_list(app, company, make_item, monkeypatch):
    """A crossing is announced only for what the low-stock list shows: an active variant of
    an active product whose stock is kept."""
    fired = []
    monkeypatch.setattr(ops, "LOW_STOCK_HOOKS", [lambda actor, v, avail: fired.append(v.sku)])
    watched = make_item(company, "Cola", "COLA", stock="5", threshold="3")
    retired = make_item(company, "Old Cola", "OLD", stock="5", threshold="3", active=False)
    pizza = make_item(company, "Pizza", "PIZZA", stock="5", threshold="3")
    gone = make_item(company, "Tonic", "TONIC", stock="5", threshold="3")
    with company_ctx(app, company.id):
        p = db.session.get(Product, pizza.product_id)
        ops.update_product(None, p, {"name": "Pizza", "kind": "product", "stock_kept": False})
        t = db.session.get(Variant, gone.variant_id)
        ops.update_variant(
            None, t, {"sku": "TONIC", "price": "1", "low_stock_threshold": "3", "active": False}
        )
    with company_ctx(app, company.id):
        for item in (watched, retired, pizza, gone):
            ops.deduct_stock(None, db.session.get(Variant, item.variant_id), 3)
        low = (
            db.session.execute(select(Variant.sku).where(ops.low_stock_condition())).scalars().all()
        )
    assert low == ["COLA"]
    assert fired == ["COLA"]


def test_taking_more_than_is_reserved_says_how_much_is_reserved(app, company, make_item):
    """Plenty available, but a sale from a reservation is short of the reservation."""
    item = make_item(company, "Tyre", "TYRE", stock="10")
    with company_ctx(app, company.id):
        v = db.session.get(Variant, item.variant_id)
        ops.reserve_stock(None, v, 2, reference="ORDER-1")
        with pytest.raises(BusinessRuleError) as refused:
            ops.deduct_stock(None, v, 3, reference="ORDER-1", from_reservation=True)
        assert refused.value.message == "Only 2 pcs are reserved at Main store."
        assert refused.value.field == "quantity"
        assert _figures(v) == (10, 2, 8)
