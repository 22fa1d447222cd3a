"""Tax rates are company configuration: staff (who edit the catalog) see them and pick them
for products, but only an owner or administrator adds or changes one."""

import re

import pytest
from sqlalchemy import select

from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import TaxRate
from tests.conftest import company_ctx, text_of


@pytest.fixture
def standard(app, company):
    with company_ctx(app, company.id):
        return ops.save_tax_rate(None, None, name="Standard", percent="22", is_default=True).id


def _rates(app, company) -> dict[str, str]:
    with company_ctx(app, company.id):
        return {r.name: str(r.rate) for r in db.session.execute(select(TaxRate)).scalars()}


def test_staff_sees_the_rates_but_cannot_add_or_change_one(
    app, client, company, make_user, standard
):
    client.login(make_user(company, "staff"))

    page = client.get("/inventory/tax-rates")
    assert page.status_code == 200
    assert "Standard" in text_of(page) and "22 %" in text_of(page)
    assert 'id="tax-rate-form"' not in page.get_data(as_text=True)  # no "Add a tax rate"
    assert "an owner or administrator changes them" in text_of(page)

    added = client.post("/inventory/tax-rates", {"name": "Zero", "rate": "0"})
    changed = client.post(f"/inventory/tax-rates/{standard}", {"name": "Standard", "rate": "5"})
    assert (added.status_code, changed.status_code) == (403, 403)
    assert _rates(app, company) == {"Standard": "22.00"}

    # ...and still chooses among them for a product.
    form = client.get("/inventory/products/new")
    assert form.status_code == 200
    select_html = re.search(
        r'<select[^>]*name="tax_rate".*?</select>', form.get_data(as_text=True), re.S
    )
    assert "Standard (22 %)" in select_html.group(0)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_change_rates_and_it_is_audited(
    app, client, company, make_user, standard, role
):
    client.login(make_user(company, role))
    page = client.get(f"/inventory/tax-rates/{standard}").get_data(as_text=True)
    assert "<fieldset disabled>" not in page
    assert client.post("/inventory/tax-rates", {"name": "Zero", "rate": "0"}).status_code == 302
    response = client.post(f"/inventory/tax-rates/{standard}", {"name": "Standard", "rate": "21"})
    assert response.status_code == 302
    assert _rates(app, company) == {"Standard": "21.00", "Zero": "0.00"}
    with company_ctx(app, company.id):
        actions = db.session.execute(
            select(AuditEntry.action).where(AuditEntry.entity_type == "TaxRate")
        ).scalars()
        assert sorted(actions) == ["tax_rate.create", "tax_rate.create", "tax_rate.update"]
