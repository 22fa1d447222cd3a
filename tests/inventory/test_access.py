"""Every inventory route: what each role may do, and another company's ids are a 404."""

import pytest

from bizkit.core.permissions import ROLES, role_can
from bizkit.extensions import db
from bizkit.inventory import operations as ops
from tests.conftest import company_ctx


@pytest.fixture
def ids(app, company, make_item):
    """One of each object of `company`, for filling in the routes' ids."""
    item = make_item(company, "Cola", "COLA", stock="5")
    with company_ctx(app, company.id):
        category = ops.save_category(None, None, name="Drinks", parent=None)
        rate = ops.save_tax_rate(None, None, name="Standard", percent="22")
        return {
            "product_id": item.product_id,
            "variant_id": item.variant_id,
            "category_id": category.id,
            "rate_id": rate.id,
        }


# (method, url template, permission the route needs)
ROUTES = [
    ("GET", "/inventory/", "inventory.view"),
    ("GET", "/inventory/variants", "inventory.view"),
    ("GET", "/inventory/low-stock", "inventory.view"),
    ("GET", "/inventory/products/{product_id}", "inventory.view"),
    ("GET", "/inventory/variants/{variant_id}", "inventory.view"),
    ("GET", "/inventory/stock/{variant_id}/movements", "inventory.view"),
    ("GET", "/inventory/categories", "inventory.view"),
    ("GET", "/inventory/categories/{category_id}", "inventory.view"),
    ("GET", "/inventory/tax-rates", "inventory.view"),
    ("GET", "/inventory/tax-rates/{rate_id}", "inventory.view"),
    ("GET", "/inventory/products/new", "inventory.edit"),
    ("POST", "/inventory/products/new", "inventory.edit"),
    ("POST", "/inventory/products/{product_id}", "inventory.edit"),
    ("GET", "/inventory/products/{product_id}/variants/new", "inventory.edit"),
    ("POST", "/inventory/products/{product_id}/variants/new", "inventory.edit"),
    ("POST", "/inventory/variants/{variant_id}", "inventory.edit"),
    ("POST", "/inventory/categories", "inventory.edit"),
    ("POST", "/inventory/categories/{category_id}", "inventory.edit"),
    # Tax rates are company configuration: owner and admin change them, as the profile.
    ("POST", "/inventory/tax-rates", "settings.manage"),
    ("POST", "/inventory/tax-rates/{rate_id}", "settings.manage"),
    ("POST", "/inventory/stock/{variant_id}/movements", "inventory.stock"),
    ("GET", "/inventory/stock-count", "inventory.stock"),
    ("POST", "/inventory/stock-count", "inventory.stock"),
]


def test_the_table_covers_every_inventory_route(app):
    declared = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("inventory.") and rule.endpoint != "inventory.static":
            view = app.view_functions[rule.endpoint]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                path = rule.rule
                for name in ("product_id", "variant_id", "category_id", "rate_id"):
                    path = path.replace(f"<int:{name}>", "{" + name + "}")
                declared.add((method, path, view.bizkit_permission))
    assert declared == set(ROUTES)


def _call(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.post(url, {})  # empty forms: an allowed user gets 422, never a write


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_it_may(client, company, make_user, ids, role):
    client.login(make_user(company, role))
    for method, template, permission in ROUTES:
        status = _call(client, method, template.format(**ids)).status_code
        if role_can(role, permission):
            assert status in (200, 422), (method, template, status)
        else:
            assert status == 403, (method, template, status)


def test_kitchen_sees_stock_but_changes_nothing(client, company, make_user, ids):
    client.login(make_user(company, "kitchen"))
    assert client.get("/inventory/").status_code == 200
    page = client.get(f"/inventory/products/{ids['product_id']}").get_data(as_text=True)
    assert "Add variant" not in page and "<fieldset disabled>" in page
    movements = client.get(f"/inventory/stock/{ids['variant_id']}/movements")
    assert 'id="movement-form"' not in movements.get_data(as_text=True)


def test_another_companys_ids_are_404_on_every_route(
    app, client, company, make_company, make_user, ids
):
    other = make_company("Intruder Inc")
    client.login(make_user(other, "owner"))
    for method, template, _permission in ROUTES:
        if "{" not in template:
            continue
        response = _call(client, method, template.format(**ids))
        assert response.status_code == 404, (method, template, response.status_code)
    # Ids smuggled into forms and filters are refused or ignored too.
    response = client.post(
        "/inventory/stock-count", {"variant": ids["variant_id"], f"count-{ids['variant_id']}": "0"}
    )
    assert response.status_code == 404
    response = client.get(f"/inventory/?category={ids['category_id']}")
    assert "Cola" not in response.get_data(as_text=True)
    assert "Cola" not in client.get("/inventory/?q=cola").get_data(as_text=True)
    assert "COLA" not in client.get("/inventory/variants").get_data(as_text=True)
    with company_ctx(app, company.id):
        from bizkit.inventory.models import Variant

        assert db.session.get(Variant, ids["variant_id"]).on_hand == 5
