"""Status buttons per role, transitions with a version (a stale one is a conflict that
changes nothing), the history, and the customer timeline's orders."""

import re

from bizkit.auth.models import User
from bizkit.extensions import db
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx, text_of
from tests.orders.conftest import load_order
from tests.orders.money_fixtures import *  # noqa: F403 (fixtures)

HTMX = {"HX-Request": "true"}


def buttons(response) -> list[str]:
    return re.findall(r'name="to" value="([A-Z_]+)"', response.get_data(as_text=True))


def _move(app, company, order_id, *codes, user_id=None):
    with company_ctx(app, company.id):
        order = load_order(order_id)
        actor = db.session.get(User, user_id) if user_id else None
        for code in codes:
            workflow.transition(order, code, actor)


def test_buttons_show_only_the_moves_the_role_may_make(app, client, company, make_user, make_order):
    order_id = make_order(company)
    owner = make_user(company, "owner")
    kitchen = make_user(company, "kitchen")
    accountant = make_user(company, "accountant")
    client.login(owner)
    assert buttons(client.get(f"/orders/{order_id}")) == ["CONFIRMED", "CANCELLED"]
    client.login(kitchen)
    assert buttons(client.get(f"/orders/{order_id}")) == []  # kitchen may not confirm
    _move(app, company, order_id, "CONFIRMED")
    assert buttons(client.get(f"/orders/{order_id}")) == ["PREPARING"]  # and may not cancel
    client.login(accountant)
    assert buttons(client.get(f"/orders/{order_id}")) == []
    client.login(owner)
    assert buttons(client.get(f"/orders/{order_id}")) == ["PREPARING", "CANCELLED"]


def test_a_transition_rerenders_the_status_area_and_records_history(
    app, auth, company, owner, make_order
):
    order_id = make_order(company, ("Corkage", "1", "4.00"))
    response = auth.post(
        f"/orders/{order_id}/transition",
        {"to": "CONFIRMED", "version": "1", "note": "Called back"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith(
        '<section class="card" id="order-status">'
    )
    assert 'id="order-history" hx-swap-oob="true"' in html
    assert buttons(response) == ["PREPARING", "CANCELLED"]
    assert 'name="version" value="2"' in html
    with company_ctx(app, company.id):
        assert load_order(order_id).status == "CONFIRMED"
    history = text_of(auth.get(f"/orders/{order_id}")).split("History", 1)[1]
    assert "Created as Pending" in history
    assert "Pending → Confirmed · Test User Called back" in history


def test_a_stale_version_is_a_conflict_that_changes_nothing(app, auth, company, make_order):
    order_id = make_order(company)
    _move(app, company, order_id, "CONFIRMED")  # someone else, a moment ago
    response = auth.post(
        f"/orders/{order_id}/transition", {"to": "CANCELLED", "version": "1"}, headers=HTMX
    )
    assert response.status_code == 409
    assert "Someone else changed this order a moment ago." in text_of(response)
    assert 'name="version" value="2"' in response.get_data(as_text=True)  # the current one
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert (order.status, order.version) == ("CONFIRMED", 2)
        assert len(workflow.history(order)) == 2
    # Without htmx, the page with the message.
    page = auth.post(f"/orders/{order_id}/transition", {"to": "CANCELLED", "version": "1"})
    assert page.status_code == 409 and "<html" in page.text
    assert "Someone else changed this order" in text_of(page)


def test_refused_moves_explain_themselves(app, client, company, make_user, make_order):
    order_id = make_order(company)
    client.login(make_user(company, "kitchen"))
    refused = client.post(
        f"/orders/{order_id}/transition", {"to": "CONFIRMED", "version": "1"}, headers=HTMX
    )
    assert refused.status_code == 403
    assert "Your role may not move this from “Pending” to “Confirmed”." in text_of(refused)
    unknown = client.post(
        f"/orders/{order_id}/transition", {"to": "READY", "version": "1"}, headers=HTMX
    )
    assert unknown.status_code == 422 and "“Pending” cannot go to “Ready”." in text_of(unknown)
    no_version = client.post(f"/orders/{order_id}/transition", {"to": "READY"}, headers=HTMX)
    assert no_version.status_code == 422
    with company_ctx(app, company.id):
        assert load_order(order_id).status == "PENDING"


def test_a_refused_side_effect_rolls_the_move_back(app, auth, company, make_item, make_order):
    wine = make_item(company, "Barolo", price="40.00", stock="1")
    order_id = make_order(company, (wine, "2"))  # only one bottle in stock
    response = auth.post(
        f"/orders/{order_id}/transition", {"to": "CONFIRMED", "version": "1"}, headers=HTMX
    )
    assert response.status_code == 422
    assert 'status-badge" data-status="PENDING"' in response.get_data(as_text=True)
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert (order.status, order.version, order.lines[0].stock_state) == ("PENDING", 1, "none")


def test_the_customer_timeline_lists_their_orders(app, auth, company, make_customer, make_order):
    from tests.conftest import count_queries

    customer_id = make_customer("Antonín Dvořák")
    order_id = make_order(company, ("Corkage", "2", "4.00"), customer_id=customer_id)
    _move(app, company, order_id, "CONFIRMED")
    page = auth.get(f"/customers/{customer_id}")
    assert "Order 1 · Confirmed · €8.00" in text_of(page)
    assert f'href="/orders/{order_id}"' in page.get_data(as_text=True)
    one = count_queries(app, auth, f"/customers/{customer_id}")
    for _ in range(5):
        make_order(company, ("Corkage", "1", "4.00"), customer_id=customer_id)
    assert count_queries(app, auth, f"/customers/{customer_id}") == one


def test_the_same_move_from_a_stale_tab_is_a_conflict_not_an_impossible_move(
    app, auth, company, make_order
):
    """Two tabs show the order at version 1; both press Confirmed. The second is told
    someone else changed the order (409), not that Confirmed cannot go to Confirmed."""
    order_id = make_order(company)
    url = f"/orders/{order_id}/transition"
    first = auth.post(url, {"to": "CONFIRMED", "version": "1"}, headers=HTMX)
    assert first.status_code == 200
    second = auth.post(url, {"to": "CONFIRMED", "version": "1"}, headers=HTMX)
    assert second.status_code == 409
    assert "Someone else changed this order a moment ago." in text_of(second)
    assert "cannot go to" not in text_of(second)
    # Also when the other tab closed the order meanwhile.
    auth.post(url, {"to": "CANCELLED", "version": "2"}, headers=HTMX)
    stale = auth.post(url, {"to": "PREPARING", "version": "2"}, headers=HTMX)
    assert stale.status_code == 409 and "Someone else changed this order" in text_of(stale)
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert (order.status, order.version) == ("CANCELLED", 3)
        assert len(workflow.history(order)) == 3


def _panel(html: str, panel_id: str) -> str:
    match = re.search(rf'<section class="card" id="{panel_id}"[^>]*>.*?</section>', html, re.S)
    assert match, panel_id
    return match.group(0)


def test_a_move_from_the_order_page_refreshes_every_panel_it_changes(
    app, auth, company, make_order
):
    """Cancelled over htmx: the payments, promo code and details panels come back out of
    band, read-only (refunds only), so no form is left that would refuse on submit."""
    order_id = make_order(company, ("Corkage", "2", "4.00"))
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Record payment" in page and ">Apply<" in page and "Edit details" in page
    response = auth.post(
        f"/orders/{order_id}/transition", {"to": "CANCELLED", "version": "1"}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    payments = _panel(html, "order-payments")
    assert 'hx-swap-oob="true"' in payments
    assert "Record payment" not in payments
    assert "This order was called off: it takes refunds only." in payments
    voucher = _panel(html, "order-voucher")
    assert 'hx-swap-oob="true"' in voucher and ">Apply<" not in voucher
    assert "No code applied." in voucher
    details = _panel(html, "order-details")
    assert 'hx-swap-oob="true"' in details and "Edit details" not in details
    assert "Save details" not in details
    # The page and the panels' own URLs (the money page) agree.
    page = auth.get(f"/orders/{order_id}").get_data(as_text=True)
    assert ">Apply<" not in page and "hx-swap-oob" not in page
    assert "Save details" not in auth.get(f"/orders/{order_id}?edit=details").text
    # The form asked for from a tab opened before the move says why it does not come.
    late = auth.get(f"/orders/{order_id}/details/edit", headers=HTMX)
    assert late.status_code == 200 and "Save details" not in late.text
    assert "This order is closed; it cannot be changed any more." in text_of(late)
    assert ">Apply<" not in auth.get(f"/orders/{order_id}/voucher").get_data(as_text=True)


def test_a_completed_order_shows_its_code_without_remove_and_still_takes_payment(
    app, auth, company, make_order, make_voucher
):
    from bizkit.orders import vouchers

    make_voucher("SPRING10")
    order_id = make_order(company, ("Corkage", "2", "5.00"))
    with company_ctx(app, company.id):
        vouchers.apply_voucher(None, load_order(order_id), "spring10")
    _move(app, company, order_id, "CONFIRMED", "PREPARING", "READY")
    response = auth.post(
        f"/orders/{order_id}/transition", {"to": "COMPLETED", "version": "4"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    voucher = _panel(html, "order-voucher")
    assert "SPRING10" in voucher and "Remove code" not in voucher
    # Paid after the meal: a closed order still takes what is due.
    assert "Record payment" in _panel(html, "order-payments")


def test_a_stale_tab_gets_every_panel_in_the_orders_current_state(app, auth, company, make_order):
    order_id = make_order(company, ("Corkage", "1", "4.00"))
    _move(app, company, order_id, "CANCELLED")  # in the other tab
    response = auth.post(
        f"/orders/{order_id}/transition", {"to": "CONFIRMED", "version": "1"}, headers=HTMX
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this order" in _panel(html, "order-status")
    assert "Record payment" not in _panel(html, "order-payments")
    assert 'id="order-header" hx-swap-oob="true"' in html
    assert 'data-status="CANCELLED"' in html
