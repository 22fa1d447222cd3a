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
        assert (order.status, order.version, order.stock_state) == ("PENDING", 1, "none")
        assert [line.stock_state for line in order.lines] == ["none", "none"]
        assert _stock(bottle.variant_id) == (1, 1, 0)
    with company_ctx(app, company.id):
        order = load_order(second)
        assert (order.status, order.version, order.stock_state) == ("PENDING", 1, "none")
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


def _bike_job_ready_for_pickup(app, make_company, make_user, make_item, make_order, *lines):
    """A bike shop, its mechanic and a job moved to READY_FOR_PICKUP (stock taken)."""
    shop = make_company("Spokes", business_type="bike_shop")
    mechanic = make_user(shop, "owner")
    chain = make_item(shop, "Chain", price="25.00", stock="3")
    labour = make_item(shop, "Labour", kind="service", price="40.00")
    items = {"chain": chain, "labour": labour}
    job = make_order(shop, *[(items[name], quantity) for name, quantity in lines])
    with company_ctx(app, shop.id):
        order = load_order(job)
        for code in ("QUOTE_SENT", "QUOTE_APPROVED", "IN_PROGRESS", "READY_FOR_PICKUP"):
            workflow.transition(order, code, user(mechanic))
    return shop, mechanic, chain, job


def test_a_taken_line_takes_a_discount_but_keeps_its_quantity_and_its_place(
    app, make_company, make_user, make_item, make_order
):
    from bizkit.orders import operations as ops

    shop, mechanic, chain, job = _bike_job_ready_for_pickup(
        app, make_company, make_user, make_item, make_order, ("chain", "1")
    )
    with company_ctx(app, shop.id):
        order, actor = load_order(job), user(mechanic)
        line = order.lines[0]
        assert line.stock_state == "deducted"
        # The form sends every field of the row: the unchanged quantity comes along.
        ops.update_line(actor, order, line, quantity="1", discount_percent="10")
        assert (line.line_total, order.total) == (Decimal("22.50"), Decimal("22.50"))
    with company_ctx(app, shop.id):
        order, actor = load_order(job), user(mechanic)
        line = order.lines[0]
        with pytest.raises(BusinessRuleError) as more:
            ops.update_line(actor, order, line, quantity="2", discount_percent="10")
        assert more.value.field == "quantity"
        assert more.value.message == (
            "This item has already been taken from stock, so its quantity cannot change; "
            "add a new line for more."
        )
        db.session.rollback()
    with company_ctx(app, shop.id):
        order, actor = load_order(job), user(mechanic)
        with pytest.raises(BusinessRuleError) as removed:
            ops.remove_line(actor, order, order.lines[0])
        assert removed.value.message == (
            "This item has already been taken from stock, so its line cannot be removed."
        )
        db.session.rollback()
    with company_ctx(app, shop.id):
        order = load_order(job)
        assert [(line.quantity, line.discount_percent) for line in order.lines] == [
            (Decimal("1.000"), Decimal("10.00"))
        ]
        assert _stock(chain.variant_id) == (2, 0, 2)


@pytest.mark.parametrize("first_line", ["chain", "labour"])
def test_a_line_added_after_the_stock_was_taken_is_taken_at_once(
    app, make_company, make_user, make_item, make_order, first_line
):
    """Also when the job had no part when its stock was taken (labour only)."""
    from bizkit.orders import operations as ops

    shop, mechanic, chain, job = _bike_job_ready_for_pickup(
        app, make_company, make_user, make_item, make_order, (first_line, "1")
    )
    taken = 1 if first_line == "chain" else 0
    with company_ctx(app, shop.id):
        order, actor = load_order(job), user(mechanic)
        assert order.stock_state == "deducted"
        added = ops.add_line(actor, order, variant=db.session.get(Variant, chain.variant_id))
        assert added.stock_state == "deducted"
        assert _stock(chain.variant_id) == (2 - taken, 0, 2 - taken)
        workflow.transition(order, "COMPLETED", actor)
        assert _stock(chain.variant_id) == (2 - taken, 0, 2 - taken)  # taken once


def test_a_line_added_after_the_stock_was_taken_is_refused_when_too_little_is_left(
    app, make_company, make_user, make_item, make_order
):
    from bizkit.orders import operations as ops

    shop, mechanic, chain, job = _bike_job_ready_for_pickup(
        app, make_company, make_user, make_item, make_order, ("chain", "2")
    )
    with company_ctx(app, shop.id):
        order, actor = load_order(job), user(mechanic)
        variant = db.session.get(Variant, chain.variant_id)
        with pytest.raises(BusinessRuleError) as refused:
            ops.add_line(actor, order, variant=variant, quantity="2")
        assert refused.value.field == "quantity"
        assert refused.value.message.startswith("Not enough stock: 1 ")
        db.session.rollback()
    with company_ctx(app, shop.id):
        assert len(load_order(job).lines) == 1
        assert _stock(chain.variant_id) == (1, 0, 1)


def test_a_line_added_while_the_stock_is_held_is_held_too(
    app, company, owner, make_item, make_order
):
    """As before for an order with held lines; now also for one that had none (a service
    only) when its flow reserved, and never for an order whose stock was given back."""
    from bizkit.orders import operations as ops

    wine = make_item(company, "Wine", price="5.00", stock="4")
    corkage = make_item(company, "Corkage", kind="service", price="3.00")
    with_wine = make_order(company, (wine, "1"))
    service_only = make_order(company, (corkage, "1"))
    with company_ctx(app, company.id):
        actor = user(owner)
        for order_id in (with_wine, service_only):
            order = load_order(order_id)
            workflow.transition(order, "CONFIRMED", actor)
            assert order.stock_state == "reserved"
            line = ops.add_line(actor, order, variant=db.session.get(Variant, wine.variant_id))
            assert line.stock_state == "reserved"
        assert _stock(wine.variant_id) == (4, 3, 1)
        order = load_order(service_only)
        workflow.transition(order, "CANCELLED", actor)
        assert order.stock_state == "released"
        assert _stock(wine.variant_id) == (4, 2, 2)


@pytest.mark.parametrize(
    ("closing", "label", "expected"),
    [
        # A sale status (the presets take the stock on the way in): the stock is taken.
        ("COMPLETED", None, ((1, 0, 1), "deducted")),
        # Called off, or a final status of the company's own: the stock is given back.
        ("CANCELLED", None, ((4, 0, 4), "released")),
        (None, "Walked out", ((4, 0, 4), "released")),
    ],
)
def test_an_order_closed_by_a_move_without_a_stock_effect_holds_no_stock(
    app, company, owner, make_item, make_order, closing, label, expected
):
    from bizkit.workflow import editing

    wine = make_item(company, "Wine", price="5.00", stock="4")
    order_id = make_order(company, (wine, "3"), ("Candle", "1", "1.00"))
    with company_ctx(app, company.id):
        actor = user(owner)
        if label:
            closing = editing.add_status(
                actor, "order", label=label, color="#334155", terminal=True
            ).code
        preset_move = workflow.load_flow("order").move("PREPARING", closing)
        if preset_move is not None:  # it releases the stock itself: replace it with a bare one
            editing.remove_transition(actor, preset_move)
        editing.add_transition(
            actor, "order", from_code="PREPARING", to_code=closing, roles=["owner"], side_effects=[]
        )
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), user(owner)
        for code in ("CONFIRMED", "PREPARING"):
            workflow.transition(order, code, actor)
        assert _stock(wine.variant_id) == (4, 3, 1)
        workflow.transition(order, closing, actor)
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert (_stock(wine.variant_id), order.lines[0].stock_state) == expected
        assert order.stock_state == expected[1]
        ledger = db.session.execute(
            select(StockMovement.kind)
            .where(StockMovement.variant_id == wine.variant_id)
            .order_by(StockMovement.id)
        ).scalars()
        assert list(ledger)[-1] == ("sale" if expected[1] == "deducted" else "release")


def test_a_flow_that_releases_midway_holds_the_stock_again_and_closes_clean(
    app, company, owner, make_item, make_order
):
    """An edited flow: Confirmed (reserve) → On hold (release) → Confirmed (reserve) →
    a final status without a stock effect. A line added on hold joins the reservation
    on the way back, and closing gives everything back: nothing stays reserved."""
    from bizkit.orders import operations as ops
    from bizkit.workflow import editing

    wine = make_item(company, "Wine", price="5.00", stock="6")
    order_id = make_order(company, (wine, "2"))
    with company_ctx(app, company.id):
        actor = user(owner)
        hold = editing.add_status(actor, "order", label="On hold", color="#334155").code
        done = editing.add_status(
            actor, "order", label="Walked out", color="#334155", terminal=True
        ).code
        editing.add_transition(
            actor,
            "order",
            from_code="CONFIRMED",
            to_code=hold,
            roles=["owner"],
            side_effects=["release_stock"],
        )
        editing.add_transition(
            actor,
            "order",
            from_code=hold,
            to_code="CONFIRMED",
            roles=["owner"],
            side_effects=["reserve_stock"],
        )
        editing.add_transition(
            actor, "order", from_code="CONFIRMED", to_code=done, roles=["owner"], side_effects=[]
        )
    with company_ctx(app, company.id):
        order, actor = load_order(order_id), user(owner)
        workflow.transition(order, "CONFIRMED", actor)
        assert _stock(wine.variant_id) == (6, 2, 4)
        workflow.transition(order, hold, actor)
        assert _stock(wine.variant_id) == (6, 0, 6)
        ops.add_line(actor, order, variant=db.session.get(Variant, wine.variant_id))
        workflow.transition(order, "CONFIRMED", actor)
        assert _stock(wine.variant_id) == (6, 3, 3)  # both lines held again
        assert order.stock_state == "reserved"
        workflow.transition(order, done, actor)
        assert _stock(wine.variant_id) == (6, 0, 6)
        assert {line.stock_state for line in order.lines} == {"released"}
