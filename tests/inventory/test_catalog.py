"""Catalog pages: creating and editing products, services, variants; errors next to fields."""

import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import Category, Product, TaxRate, Variant
from tests.conftest import company_ctx, text_of


def _new_product(**overrides):
    data = {
        "name": "Pizza Margherita",
        "kind": "product",
        "unit": "pcs",
        "active": "y",
        "variant_name": "Large",
        "sku": "PZ-MARG-L",
        "barcode": "",
        "price": "10,50",
        "cost_price": "2.90",
        "low_stock_threshold": "",
        "variant_active": "y",
    }
    data.update(overrides)
    return data


def _error_next_to(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', html)
    assert match, f"no error next to {field_id}"
    return match.group(1)


def _count(app, company, model) -> int:
    with company_ctx(app, company.id):
        return db.session.execute(select(func.count(model.id))).scalar()


def test_creating_a_product_with_its_first_variant(app, auth, company):
    response = auth.post("/inventory/products/new", _new_product())
    assert response.status_code == 302
    page = auth.get(response.headers["Location"])
    text = text_of(page)
    assert "Pizza Margherita" in text and "PZ-MARG-L" in text and "€10.50" in text
    with company_ctx(app, company.id):
        variant = db.session.execute(select(Variant)).scalar_one()
        assert str(variant.price) == "10.50" and variant.name == "Large"
        assert variant.search_text == "pizza margherita large pz-marg-l"
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert "product.create" in actions


def test_a_new_product_gets_the_default_tax_rate(app, auth, company):
    with company_ctx(app, company.id):
        ops.save_tax_rate(None, None, name="Standard", percent="22", is_default=True)
    assert auth.post("/inventory/products/new", _new_product()).status_code == 302
    with company_ctx(app, company.id):
        assert db.session.execute(select(Product)).scalar_one().tax_rate.name == "Standard"


def test_errors_appear_next_to_their_fields_and_nothing_is_written(app, auth, company):
    response = auth.post("/inventory/products/new", _new_product(name="", price="abc", sku=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_next_to(html, "name")
    assert _error_next_to(html, "price")
    assert _error_next_to(html, "sku")
    assert _count(app, company, Product) == 0


def test_a_service_needs_a_duration(app, auth, company):
    response = auth.post(
        "/inventory/products/new", _new_product(name="Full service", kind="service", sku="SV-1")
    )
    assert response.status_code == 422
    assert "duration" in _error_next_to(response.get_data(as_text=True), "duration_minutes")
    response = auth.post(
        "/inventory/products/new",
        _new_product(name="Full service", kind="service", sku="SV-1", duration_minutes="180"),
    )
    assert response.status_code == 302
    with company_ctx(app, company.id):
        assert db.session.execute(select(Product.duration_minutes)).scalar() == 180


def test_sku_and_barcode_are_unique_per_company(app, auth, company, make_company, make_item):
    make_item(company, "Cola", "COLA", barcode="5449000000996")
    response = auth.post("/inventory/products/new", _new_product(sku="COLA"))
    assert response.status_code == 422
    assert "already uses this code" in _error_next_to(response.get_data(as_text=True), "sku")
    response = auth.post(
        "/inventory/products/new", _new_product(sku="NEW", barcode="5449000000996")
    )
    assert response.status_code == 422
    assert _error_next_to(response.get_data(as_text=True), "barcode")
    assert _count(app, company, Product) == 1
    # Another company may use the same codes.
    other = make_company("Other Bistro")
    make_item(other, "Cola", "COLA", barcode="5449000000996")
    assert _count(app, other, Variant) == 1


def test_editing_a_product_and_its_variant(app, auth, company, make_item):
    item = make_item(company, "Birra", "BEER-033", variant="0.33 l")
    response = auth.post(
        f"/inventory/products/{item.product_id}",
        {"name": "Birra Moretti", "kind": "product", "unit": "bottle", "active": "y"},
    )
    assert response.status_code == 302
    response = auth.post(
        f"/inventory/variants/{item.variant_id}",
        {"variant_name": "0.33 l", "sku": "MOR-033", "price": "4", "low_stock_threshold": "12",
         "variant_active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    with company_ctx(app, company.id):
        variant = db.session.get(Variant, item.variant_id)
        assert variant.product.name == "Birra Moretti" and variant.product.unit == "bottle"
        assert variant.sku == "MOR-033" and variant.low_stock_threshold == 12
        assert variant.search_text == "birra moretti 0.33 l mor-033"
    response = auth.post(
        f"/inventory/variants/{item.variant_id}",
        {"variant_name": "0.33 l", "sku": "MOR-033", "price": "-1", "variant_active": "y"},
    )
    assert response.status_code == 422
    assert _error_next_to(response.get_data(as_text=True), "price")


def test_adding_a_variant(app, auth, company, make_item):
    item = make_item(company, "Tyre", "TY-700-35", variant="700×35C")
    assert auth.get(f"/inventory/products/{item.product_id}/variants/new").status_code == 200
    response = auth.post(
        f"/inventory/products/{item.product_id}/variants/new",
        {"variant_name": "700×40C", "sku": "TY-700-35", "price": "1250", "variant_active": "y"},
    )
    assert response.status_code == 422
    assert _error_next_to(response.get_data(as_text=True), "sku")
    response = auth.post(
        f"/inventory/products/{item.product_id}/variants/new",
        {"variant_name": "700×40C", "sku": "TY-700-40", "price": "1250", "variant_active": "y"},
    )
    assert response.status_code == 302
    text = text_of(auth.get(f"/inventory/products/{item.product_id}"))
    assert "700×35C" in text and "700×40C" in text


def test_a_product_with_stock_cannot_become_a_service(app, auth, company, make_item):
    item = make_item(company, "Chain", "CHAIN", stock="2")
    response = auth.post(
        f"/inventory/products/{item.product_id}",
        {"name": "Chain", "kind": "service", "unit": "pcs", "duration_minutes": "30"},
    )
    assert response.status_code == 422
    assert "cannot become a service" in _error_next_to(response.get_data(as_text=True), "kind")


def test_nested_categories_and_no_cycles(app, auth, company):
    assert auth.post("/inventory/categories", {"name": "Parts"}).status_code == 302
    with company_ctx(app, company.id):
        parts = db.session.execute(select(Category)).scalar_one().id
    assert auth.post("/inventory/categories", {"name": "Tyres", "parent": parts}).status_code == 302
    with company_ctx(app, company.id):
        tyres = db.session.execute(select(Category).where(Category.name == "Tyres")).scalar_one()
        assert tyres.parent_id == parts
        tyres_id = tyres.id
    response = auth.post(f"/inventory/categories/{parts}", {"name": "Parts", "parent": tyres_id})
    assert response.status_code == 422
    assert "inside itself" in _error_next_to(response.get_data(as_text=True), "parent")
    response = auth.post("/inventory/categories", {"name": ""})
    assert response.status_code == 422
    assert _error_next_to(response.get_data(as_text=True), "name")
    page = text_of(auth.get("/inventory/categories"))
    assert page.index("Parts") < page.index("Tyres")


def test_category_names_are_unique_among_siblings(app, auth, company, make_company):
    def add(name, parent=""):
        return auth.post("/inventory/categories", {"name": name, "parent": parent})

    def category_id(name, parent_id=None):
        with company_ctx(app, company.id):
            return db.session.execute(
                select(Category.id).where(
                    Category.name == name, Category.parent_id.is_not_distinct_from(parent_id)
                )
            ).scalar_one()

    def refused(response):
        assert response.status_code == 422
        return _error_next_to(response.get_data(as_text=True), "name")

    assert add("Drinks").status_code == 302
    assert "exists" in refused(add(" DRINKS "))  # top level, any case
    assert add("Menu").status_code == 302
    menu = category_id("Menu")
    assert add("Drinks", menu).status_code == 302  # another level
    assert "exists" in refused(add("drinks", menu))
    assert add("Wine", menu).status_code == 302
    wine, drinks = category_id("Wine", menu), category_id("Drinks")
    url = "/inventory/categories/{}".format
    assert "exists" in refused(auth.post(url(wine), {"name": "Drinks", "parent": menu}))
    assert "exists" in refused(auth.post(url(drinks), {"name": "Drinks", "parent": menu}))
    assert auth.post(url(drinks), {"name": "drinks", "parent": ""}).status_code == 302  # itself
    assert auth.post(url(wine), {"name": "Wine", "parent": ""}).status_code == 302
    with company_ctx(app, company.id):
        names = db.session.execute(select(Category.name)).scalars()
        assert sorted(names) == ["Drinks", "Menu", "Wine", "drinks"]
    other = make_company("Other Bistro")
    with company_ctx(app, other.id):
        ops.save_category(None, None, name="Drinks", parent=None)  # another company's


def test_the_database_refuses_sibling_categories_of_the_same_name(app, company):
    with company_ctx(app, company.id):
        drinks = ops.save_category(None, None, name="Drinks", parent=None)
        ops.save_category(None, None, name="Drinks", parent=drinks)
        for parent in (None, drinks):
            with pytest.raises(IntegrityError), db.session.begin_nested():
                db.session.add(Category(name="DRINKS", parent=parent))
                db.session.flush()


def test_tax_rates_one_default(app, auth, company):
    assert (
        auth.post(
            "/inventory/tax-rates", {"name": "Standard", "rate": "22", "is_default": "y"}
        ).status_code
        == 302
    )
    assert (
        auth.post(
            "/inventory/tax-rates", {"name": "Reduced", "rate": "10", "is_default": "y"}
        ).status_code
        == 302
    )
    response = auth.post("/inventory/tax-rates", {"name": "Too much", "rate": "120"})
    assert response.status_code == 422
    assert _error_next_to(response.get_data(as_text=True), "rate")
    response = auth.post("/inventory/tax-rates", {"name": "standard", "rate": "5"})
    assert response.status_code == 422
    assert "exists" in _error_next_to(response.get_data(as_text=True), "name")
    with company_ctx(app, company.id):
        rates = dict(db.session.execute(select(TaxRate.name, TaxRate.is_default)).all())
        standard_id = db.session.execute(
            select(TaxRate.id).where(TaxRate.name == "Standard")
        ).scalar()
    assert rates == {"Standard": False, "Reduced": True}
    response = auth.post(f"/inventory/tax-rates/{standard_id}", {"name": "Standard", "rate": "21"})
    assert response.status_code == 302
    assert "21 %" in text_of(auth.get("/inventory/tax-rates"))


def test_a_product_made_to_order_keeps_no_stock(app, auth, company):
    """The form's "Keep stock" box: ticked by default for a new product, saved as given."""
    form = auth.get("/inventory/products/new").get_data(as_text=True)
    assert re.search(r'<input checked id="stock_kept" name="stock_kept" type="checkbox"', form)
    auth.post("/inventory/products/new", _new_product(stock_kept="y", sku="COLA", name="Cola"))
    auth.post("/inventory/products/new", _new_product())  # the pizza: box left unticked
    with company_ctx(app, company.id):
        kept = dict(db.session.execute(select(Product.name, Product.stock_kept)).all())
        assert kept == {"Cola": True, "Pizza Margherita": False}
        pizza = db.session.execute(select(Variant).where(Variant.sku == "PZ-MARG-L")).scalar_one()
        assert pizza.product_stocked is False  # never on the low-stock list


def _tax_rate_options(html: str) -> list[str]:
    select_html = re.search(r'<select[^>]*name="tax_rate".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html)


def test_tax_rate_choices_show_the_rate_as_written(app, auth, company, make_company, make_user):
    """A 10.00 % rate reads "10 %" in the product form, not "1E+1 %"; in Czech, "8,5 %"."""
    with company_ctx(app, company.id):
        for name, percent in (("Standard", "20"), ("Reduced", "10"), ("Low", "8.5")):
            ops.save_tax_rate(None, None, name=name, percent=percent, is_default=False)
    html = auth.get("/inventory/products/new").get_data(as_text=True)
    assert _tax_rate_options(html) == ["—", "Standard (20 %)", "Reduced (10 %)", "Low (8.5 %)"]

    czech = make_company("Kavárna", currency="CZK", timezone="Europe/Prague", locale="cs")
    with company_ctx(app, czech.id):
        ops.save_tax_rate(None, None, name="Snížená", percent="8.5", is_default=False)
    auth.get("/logout")
    auth.login(make_user(czech, "owner", locale="cs"))
    html = auth.get("/inventory/products/new").get_data(as_text=True)
    assert _tax_rate_options(html) == ["—", "Snížená (8,5 %)"]


def _run_migration(connection, suffix: str) -> None:
    """Run one migration's upgrade() on the test's connection (inside its transaction)."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    [path] = versions.glob(f"*_{suffix}.py")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with Operations.context(MigrationContext.configure(connection)):
        module.upgrade()


def test_migration_repairs_stale_product_stocked_copies(app, auth, company, rollback_db):
    """Variants of a product made to order, left marked as stocked by an earlier bug, leave
    the low-stock list; a stocked product's variant wrongly cleared comes back."""
    auth.post("/inventory/products/new", _new_product(low_stock_threshold="5"))  # not kept
    auth.post(
        "/inventory/products/new",
        _new_product(name="Cola", sku="COLA", stock_kept="y", low_stock_threshold="5"),
    )
    rollback_db.execute(
        text("UPDATE variant SET product_stocked = (sku = 'PZ-MARG-L') WHERE company_id = :c"),
        {"c": company.id},
    )
    assert _low_stock_skus(auth) == ["PZ-MARG-L"]  # the stale state
    _run_migration(rollback_db, "repair_variant_product_stocked")
    assert _low_stock_skus(auth) == ["COLA"]
    with company_ctx(app, company.id):
        for variant in db.session.execute(select(Variant)).scalars():
            assert variant.product_stocked is variant.product.tracks_stock


def _low_stock_skus(auth) -> list[str]:
    html = auth.get("/inventory/low-stock").get_data(as_text=True)
    return [sku for sku in ("COLA", "PZ-MARG-L") if sku in html]
