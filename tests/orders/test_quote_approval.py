"""A bike shop's approved quote: the total when the order enters QUOTE_APPROVED is kept
(with the time) in the move's transaction, shown on the order page, and a warning says by
how much the total has moved from it since; the lines stay editable."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from bizkit.core.models import AuditEntry
from bizkit.core.timezones import format_local_date
from bizkit.extensions import db
from bizkit.orders.models import Order
from tests.conftest import company_ctx, text_of
from tests.orders.conftest import load_order

HTMX = {"HX-Request": "true"}


@pytest.fixture
def shop(make_company):
    return make_company(
        "Spokes", business_type="bike_shop", currency="EUR", timezone="Europe/Prague", locale="en"
    )


@pytest.fixture
def mechanic(client, make_user, shop):
    client.login(make_user(shop, "staff"))
    return client


def _move(client, order_id, to) -> None:
    version = re.search(
        r'name="version" value="(\d+)"', client.get(f"/orders/{order_id}").text
    ).group(1)
    response = client.post(f"/orders/{order_id}/transition", {"to": to, "version": version})
    assert response.status_code == 303, text_of(response)


def _quote(app, shop, order_id):
    with company_ctx(app, shop.id):
        order = load_order(order_id)
        return order.quote_approved_total, order.quote_approved_at, order.total


def test_the_approved_total_is_kept_and_a_later_change_is_warned_about(
    app, mechanic, shop, make_order
):
    order_id = make_order(shop, ("Brake pads", "2", "25.00"), ("Labour", "1", "70.00"))
    _move(mechanic, order_id, "QUOTE_SENT")
    assert _quote(app, shop, order_id)[:2] == (None, None)
    assert "Quote approved:" not in text_of(mechanic.get(f"/orders/{order_id}"))

    _move(mechanic, order_id, "QUOTE_APPROVED")
    approved, approved_at, total = _quote(app, shop, order_id)
    assert approved == total == Decimal("120.00") and approved_at is not None
    day = format_local_date(approved_at, "Europe/Prague", "en")
    page = text_of(mechanic.get(f"/orders/{order_id}"))
    assert f"Quote approved: €120.00 on {day}" in page
    assert "differs from the approved quote" not in page
    with company_ctx(app, shop.id):
        audited = db.session.execute(
            select(AuditEntry.changes).where(
                AuditEntry.entity_id == order_id, AuditEntry.action == "order.quote_approve"
            )
        ).scalar_one()
        assert audited["quote_approved_total"] == [None, "120.00"]

    # The workshop finds a worn chain: the line is added (not refused), with a warning.
    added = mechanic.post(
        f"/orders/{order_id}/lines",
        {"description": "Chain", "unit_price": "35.50", "quantity": "1"},
        headers=HTMX,
    )
    assert added.status_code == 200
    lines = text_of(added)
    assert "Quote approved: €120.00" in lines
    assert "The total differs from the approved quote by +€35.50" in lines
    assert _quote(app, shop, order_id)[::2] == (Decimal("120.00"), Decimal("155.50"))

    # Below the quote is a difference too, shown with its sign (the brake pads given free).
    pads = re.search(r'data-line="(\d+)"', added.text).group(1)
    lowered = mechanic.post(
        f"/orders/{order_id}/lines/{pads}", {"discount_percent": "100"}, headers=HTMX
    )
    assert "The total differs from the approved quote by −€14.50" in text_of(lowered)

    # Work goes on: later moves keep the approved amount.
    _move(mechanic, order_id, "IN_PROGRESS")
    page = text_of(mechanic.get(f"/orders/{order_id}"))
    assert "Quote approved: €120.00" in page and "by −€14.50" in page


def test_a_new_approval_replaces_the_amount(app, shop, make_order):
    """A flow edited to send a new quote after an approval keeps the latest approval."""
    from bizkit.orders import operations as ops
    from bizkit.workflow import operations as workflow
    from bizkit.workflow.models import WorkflowTransition

    order_id = make_order(shop, ("Labour", "1", "70.00"))
    with company_ctx(app, shop.id):
        db.session.add(
            WorkflowTransition(
                entity_type="order",
                from_code="QUOTE_APPROVED",
                to_code="QUOTE_SENT",
                roles=[],
                side_effects=[],
                position=99,
            )
        )
        order = load_order(order_id)
        workflow.transition(order, "QUOTE_SENT", None)
        workflow.transition(order, "QUOTE_APPROVED", None)
        assert order.quote_approved_total == Decimal("70.00")
        ops.add_line(None, order, description="Tyre", quantity="1", unit_price="30.00")
        workflow.transition(order, "QUOTE_SENT", None)
        assert order.quote_approved_total == Decimal("70.00")
        workflow.transition(order, "QUOTE_APPROVED", None)
    assert _quote(app, shop, order_id)[::2] == (Decimal("100.00"), Decimal("100.00"))


def test_a_refused_approval_keeps_nothing(app, mechanic, shop, make_order):
    order_id = make_order(shop, ("Labour", "1", "70.00"))
    _move(mechanic, order_id, "QUOTE_SENT")
    stale = mechanic.post(
        f"/orders/{order_id}/transition", {"to": "QUOTE_APPROVED", "version": "1"}
    )
    assert stale.status_code == 409
    assert _quote(app, shop, order_id)[:2] == (None, None)


def test_other_statuses_keep_no_quote(app, company, auth, make_order):
    order_id = make_order(company, ("Pizza", "1", "9.00"))
    moved = auth.post(f"/orders/{order_id}/transition", {"to": "CONFIRMED", "version": "1"})
    assert moved.status_code == 303
    with company_ctx(app, company.id):
        order = db.session.execute(select(Order).where(Order.id == order_id)).scalar_one()
        assert (order.status, order.quote_approved_total) == ("CONFIRMED", None)
    assert "Quote approved" not in text_of(auth.get(f"/orders/{order_id}"))
