"""Every money route: which roles may use it, and another company's ids are 404."""

import pytest
from sqlalchemy import select

from bizkit.core.permissions import ROLES, role_can
from bizkit.extensions import db
from bizkit.orders import payments as pay
from bizkit.orders.models import GiftVoucher, Payment, Voucher
from tests.conftest import company_ctx
from tests.orders.conftest import load_order
from tests.orders.money_fixtures import *  # noqa: F403 (fixtures)

# (method, path template, permission, form data)
ROUTES = [
    ("GET", "/orders/{oid}/payments", "orders.view", None),
    ("POST", "/orders/{oid}/payments", "orders.edit", {"method": "cash", "amount": "1"}),
    ("POST", "/orders/{oid}/refunds", "orders.refund", {"payment_id": "{pid}", "amount": "1"}),
    ("GET", "/orders/{oid}/voucher", "orders.view", None),
    ("POST", "/orders/{oid}/voucher", "orders.edit", {"code": "TENOFF"}),
    ("POST", "/orders/{oid}/voucher/remove", "orders.edit", {}),
    ("GET", "/orders/vouchers", "orders.edit", None),
    ("GET", "/orders/vouchers/new", "settings.manage", None),
    (
        "POST",
        "/orders/vouchers/new",
        "settings.manage",
        {"code": "NEW1", "kind": "percent", "value": "5"},
    ),
    ("GET", "/orders/vouchers/{vid}/edit", "settings.manage", None),
    (
        "POST",
        "/orders/vouchers/{vid}/edit",
        "settings.manage",
        {"code": "TENOFF", "kind": "percent", "value": "10", "active": "y"},
    ),
    ("GET", "/orders/gift-vouchers", "orders.edit", None),
    ("GET", "/orders/gift-vouchers/new", "settings.manage", None),
    ("POST", "/orders/gift-vouchers/new", "settings.manage", {"amount": "20"}),
    ("GET", "/orders/gift-vouchers/{gid}", "orders.edit", None),
    (
        "POST",
        "/orders/gift-vouchers/{gid}/correction",
        "settings.manage",
        {"amount": "1", "reason": "r"},
    ),
]


@pytest.fixture
def ids(app, company, make_order, make_voucher, make_gift_voucher):
    oid = make_order(company, ("Pizza", "1", "50.00"))
    with company_ctx(app, company.id):
        pid = pay.record_payment(None, load_order(oid), "card", "20").id
    return {
        "oid": oid,
        "pid": pid,
        "vid": make_voucher("TENOFF"),
        "gid": make_gift_voucher("40")[0],
    }


def _call(client, method, template, data, ids):
    path = template.format(**ids)
    if method == "GET":
        return client.get(path)
    data = {k: v.format(**ids) for k, v in (data or {}).items()}
    return client.post(path, data)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_money_routes(client, company, make_user, ids, role):
    client.login(make_user(company, role))
    for method, template, permission, data in ROUTES:
        response = _call(client, method, template, data, ids)
        if role_can(role, permission):
            assert response.status_code in (200, 302), (
                role,
                method,
                template,
                response.status_code,
            )
        else:
            assert response.status_code == 403, (role, method, template, response.status_code)


def test_refund_buttons_show_only_to_roles_that_may_refund(client, company, make_user, ids):
    client.login(make_user(company, "staff"))
    page = client.get(f"/orders/{ids['oid']}/payments").get_data(as_text=True)
    assert "Record payment" in page and "Amount to refund" not in page
    client.login(make_user(company, "admin"))
    assert "Amount to refund" in client.get(f"/orders/{ids['oid']}/payments").get_data(as_text=True)


def test_another_companys_ids_are_404_on_every_route(
    app, auth, company, make_company, make_order, make_voucher, make_gift_voucher
):
    other = make_company("Other Co")
    oid = make_order(other, ("Pizza", "1", "50.00"))
    with company_ctx(app, other.id):
        pid = pay.record_payment(None, load_order(oid), "card", "20").id
    foreign = {
        "oid": oid,
        "pid": pid,
        "vid": make_voucher("THEIRS", target=other),
        "gid": make_gift_voucher("40", target=other)[0],
    }
    for method, template, _permission, data in ROUTES:
        if "{" not in template:
            continue
        response = _call(auth, method, template, data, foreign)
        assert response.status_code == 404, (method, template, response.status_code)
    # A payment of another company named on one's own order is a 404 too.
    own = make_order(company, ("Pizza", "1", "50.00"))
    response = auth.post(f"/orders/{own}/refunds", {"payment_id": str(pid), "amount": "1"})
    assert response.status_code == 404
    with company_ctx(app, other.id):
        assert db.session.get(Payment, pid).refunded_total == 0
        assert db.session.execute(select(Voucher.code)).scalar() == "THEIRS"
        assert db.session.get(GiftVoucher, foreign["gid"]).balance == 40
    # Their codes do not work here either.
    response = auth.post(f"/orders/{own}/voucher", {"code": "THEIRS"})
    assert response.status_code == 422
