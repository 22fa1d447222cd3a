"""Units and quantities in the reader's language: the default unit is stored as the code
"pcs" and read "ks" by a Czech user; stock messages write 2.5 as "2,5" for a Czech company."""

import re
from decimal import Decimal

import pytest
from flask_babel import force_locale, get_domain
from sqlalchemy import select

from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import Product, Variant
from tests.conftest import company_ctx

CONTEXT = "unit of measure, short"


@pytest.fixture
def czech_units(app, monkeypatch):
    """The Czech catalog's unit labels, whether or not the catalog has them yet: the test is
    about showing and reading the label, not about the words the translator picks."""
    with app.test_request_context(), force_locale("cs"):
        translations = get_domain().get_translations()
    for msgid, label in (("pcs", "ks"), ("h", "hod.")):
        monkeypatch.setitem(translations._catalog, f"{CONTEXT}\x04{msgid}", label)


@pytest.fixture
def kavarna(make_company):
    return make_company("Kavárna", currency="CZK", timezone="Europe/Prague", locale="cs")


@pytest.fixture
def czech(client, make_user, kavarna, czech_units):
    client.login(make_user(kavarna, "owner", locale="cs"))
    return client


def _unit_input(html: str) -> str:
    return re.search(r'<input[^>]*name="unit"[^>]*>', html).group(0)


def _product(**overrides):
    data = {
        "name": "Čaj",
        "kind": "product",
        "unit": "ks",
        "active": "y",
        "stock_kept": "y",
        "variant_name": "",
        "sku": "CAJ",
        "price": "45",
        "variant_active": "y",
    }
    data.update(overrides)
    return data


def test_the_default_unit_reads_in_the_users_language_and_is_stored_as_a_code(
    app, czech, client, kavarna, make_user
):
    assert 'value="ks"' in _unit_input(czech.get("/inventory/products/new").get_data(as_text=True))
    assert czech.post("/inventory/products/new", _product()).status_code == 302
    for name, sku, unit in (("Káva", "KAVA", "KS."), ("Sirup", "SIRUP", "bal.")):
        response = czech.post("/inventory/products/new", _product(name=name, sku=sku, unit=unit))
        assert response.status_code == 302
    with company_ctx(app, kavarna.id):
        units = dict(db.session.execute(select(Product.name, Product.unit)).all())
        assert units == {"Čaj": "pcs", "Káva": "pcs", "Sirup": "bal."}  # as typed: no code
        tea = db.session.execute(select(Product).where(Product.name == "Čaj")).scalar_one()
        ops.receive_stock(None, tea.variants[0], Decimal("12"))
        tea_id = tea.id

    page = czech.get(f"/inventory/products/{tea_id}").get_data(as_text=True)
    assert '12 <small class="muted">ks</small>' in page
    assert 'value="ks"' in _unit_input(page)  # the edit form too
    assert "pcs" not in page
    variants = czech.get("/inventory/variants").get_data(as_text=True)
    assert '<small class="muted">ks</small>' in variants
    assert '<small class="muted">bal.</small>' in variants
    # Saving the form as shown changes nothing.
    assert czech.post(f"/inventory/products/{tea_id}", _product()).status_code == 302
    with company_ctx(app, kavarna.id):
        assert db.session.get(Product, tea_id).unit == "pcs"
        updates = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "product.update")
        ).scalars()
        assert all("unit" not in (entry.changes or {}) for entry in updates)

    # The same product, read by an English-speaking colleague.
    client.get("/logout")
    client.login(make_user(kavarna, "staff", locale="en"))
    page = client.get(f"/inventory/products/{tea_id}").get_data(as_text=True)
    assert '12 <small class="muted">pcs</small>' in page


def test_hours_are_a_code_too(app, czech, kavarna):
    for sku, unit in (("SERVIS", "hod."), ("MYTI", "h")):  # the label or the code
        service = _product(name=sku, sku=sku, kind="service", unit=unit, duration_minutes="60")
        assert czech.post("/inventory/products/new", service).status_code == 302
    with company_ctx(app, kavarna.id):
        products = db.session.execute(select(Product.id, Product.unit).order_by(Product.id)).all()
    assert [unit for _id, unit in products] == ["h", "h"]
    page = czech.get(f"/inventory/products/{products[0].id}").get_data(as_text=True)
    assert 'value="hod."' in _unit_input(page)


def _movement(client, variant_id, quantity, kind="adjustment", reason="lost"):
    return client.post(
        f"/inventory/stock/{variant_id}/movements",
        {"kind": kind, "quantity": quantity, "reason": reason, "location": _location(client)},
    )


def _location(client) -> int:
    html = client.get("/inventory/stock-count").get_data(as_text=True)
    return int(re.search(r'<option selected value="(\d+)"', html).group(1))


def _error(response, field="quantity") -> str:
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    return re.search(rf'id="{field}-error">([^<]*)<', html).group(1)


def test_stock_messages_write_quantities_as_the_company_does(app, czech, kavarna, make_item):
    half = make_item(kavarna, "Med", "MED", stock="2.5")
    whole = make_item(kavarna, "Čaj", "CAJ", stock="12")

    page = czech.get(f"/inventory/stock/{half.variant_id}/movements").get_data(as_text=True)
    assert re.search(r'data-testid="on-hand">2,5 ks<', page)

    refused = _error(_movement(czech, half.variant_id, "-5"))
    assert "2,5 ks" in refused and "2.5" not in refused
    refused = _error(_movement(czech, whole.variant_id, "-13"))
    assert "12 ks" in refused and "12,000" not in refused and "12.000" not in refused

    with company_ctx(app, kavarna.id):
        ops.reserve_stock(None, db.session.get(Variant, half.variant_id), Decimal("1.5"))
    refused = _error(_movement(czech, half.variant_id, "-2"))  # would leave less than reserved
    assert "1,5 ks" in refused
    count = {"location": _location(czech), "variant": [half.variant_id]}
    count[f"count-{half.variant_id}"] = "1"
    refused = _error(czech.post("/inventory/stock-count", count), f"count-{half.variant_id}")
    assert "1,5" in refused and "1.5" not in refused
    with company_ctx(app, kavarna.id):
        variant = db.session.get(Variant, half.variant_id)
        assert (variant.on_hand, variant.reserved) == (Decimal("2.5"), Decimal("1.5"))


def test_an_english_company_keeps_the_decimal_point(app, auth, company, make_item):
    item = make_item(company, "Honey", "HONEY", stock="2.5")
    refused = _error(_movement(auth, item.variant_id, "-5"))
    assert refused == "Only 2.5 pcs on hand at Main store."


def _input_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def test_the_variant_form_writes_numbers_as_the_company_and_keeps_them(
    app, czech, kavarna, make_item
):
    """A threshold of 0.125 kg reads "0,125" (it read "0.12", and saving the form unchanged
    made it 0.12); a whole one reads "5", a price keeps its hellers: "10,50"."""
    honey = make_item(kavarna, "Med", "MED", price="10.50", threshold="0.125")
    tea = make_item(kavarna, "Čaj", "CAJ", price="45", threshold="5")
    html = czech.get(f"/inventory/variants/{honey.variant_id}").get_data(as_text=True)
    assert _input_value(html, "low_stock_threshold") == "0,125"
    assert _input_value(html, "price") == "10,50"
    html = czech.get(f"/inventory/variants/{tea.variant_id}").get_data(as_text=True)
    assert _input_value(html, "low_stock_threshold") == "5"

    html = czech.get(f"/inventory/variants/{honey.variant_id}").get_data(as_text=True)
    form = {name: _input_value(html, name) for name in ("sku", "price", "low_stock_threshold")}
    response = czech.post(f"/inventory/variants/{honey.variant_id}", form)
    assert response.status_code == 302
    with company_ctx(app, kavarna.id):
        variant = db.session.get(Variant, honey.variant_id)
        assert (variant.low_stock_threshold, variant.price) == (Decimal("0.125"), Decimal("10.50"))
