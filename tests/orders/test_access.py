"""Who may do what on the order pages, and another company's orders and lines are a 404."""

import pytest

from bizkit.core.permissions import ROLES
from bizkit.workflow import operations as workflow
from tests.conftest import company_ctx
from tests.orders.conftest import load_order

ALLOWED = {
    "orders.view": set(ROLES),
    "orders.create": {"owner", "admin", "staff"},
    "orders.edit": {"owner", "admin", "staff"},
    "orders.transition": {"owner", "admin", "staff", "kitchen"},
}


def routes(order_id: int, line_id: int) -> list[tuple[str, str, str, dict]]:
    """(method, url, permission, form) for every order page."""
    return [
        ("GET", "/orders/", "orders.view", {}),
        ("GET", "/orders/statuses.css", "orders.view", {}),
        ("GET", f"/orders/{order_id}", "orders.view", {}),
        ("GET", "/orders/new", "orders.create", {}),
        ("POST", "/orders/new", "orders.create", {"channel": "counter"}),
        ("GET", "/orders/new/customers?customer_q=a", "orders.create", {}),
        ("GET", f"/orders/{order_id}/catalog?q=a", "orders.edit", {}),
        ("GET", f"/orders/{order_id}/details/edit", "orders.edit", {}),
        ("GET", f"/orders/{order_id}/details", "orders.view", {}),
        ("POST", f"/orders/{order_id}/details", "orders.edit", {"channel": "web"}),
        (
            "POST",
            f"/orders/{order_id}/lines",
            "orders.edit",
            {"description": "Bread", "unit_price": "1"},
        ),
        ("POST", f"/orders/{order_id}/lines/{line_id}", "orders.edit", {"quantity": "2"}),
        ("POST", f"/orders/{order_id}/lines/{line_id}/delete", "orders.edit", {}),
        (
            "POST",
            f"/orders/{order_id}/transition",
            "orders.transition",
            {"to": "PREPARING", "version": "2"},  # a move the kitchen makes too
        ),
    ]


def _request(client, method, url, form):
    headers = {"HX-Request": "true"}
    if method == "GET":
        return client.get(url, headers=headers)
    return client.post(url, form, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_each_route_allows_exactly_the_roles_with_its_permission(
    app, client, company, make_user, make_order, role
):
    client.login(make_user(company, role))
    for index in range(len(routes(0, 0))):
        # A fresh open order per route: an allowed cancel or removal must not close the next.
        order_id = make_order(company, ("Corkage", "1", "4.00"))
        with company_ctx(app, company.id):
            order = load_order(order_id)
            workflow.transition(order, "CONFIRMED", None)
            line_id = order.lines[0].id
        method, url, permission, form = routes(order_id, line_id)[index]
        status = _request(client, method, url, form).status_code
        if role in ALLOWED[permission]:
            assert status < 400, (role, method, url, status)
        else:
            assert status == 403, (role, method, url, status)


def test_logged_out_visitors_are_sent_to_the_login(client, company, make_order):
    order_id = make_order(company)
    response = client.get(f"/orders/{order_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_companys_order_or_line_is_not_found(app, auth, company, make_company, make_order):
    other = make_company("Elsewhere", business_type="restaurant")
    theirs = make_order(other, ("Secret", "1", "9.00"))
    mine = make_order(company, ("Corkage", "1", "4.00"))
    with company_ctx(app, other.id):
        their_line = load_order(theirs).lines[0].id
    with company_ctx(app, company.id):
        my_line = load_order(mine).lines[0].id
    for method, url, _permission, form in routes(theirs, their_line):
        if str(theirs) in url:
            assert _request(auth, method, url, form).status_code == 404, (method, url)
    # My order with their line, and their order with my line.
    for method, url, _permission, form in routes(mine, their_line) + routes(theirs, my_line):
        if "/lines/" in url:
            assert _request(auth, method, url, form).status_code == 404, (method, url)
    with company_ctx(app, other.id):
        order = load_order(theirs)
        assert (order.status, order.total, len(order.lines)) == ("PENDING", 9, 1)
