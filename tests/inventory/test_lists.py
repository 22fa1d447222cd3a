"""List pages: accent-insensitive search, filters, keyset pagination, low stock, query counts."""

import re

from bizkit.extensions import db
from bizkit.inventory import queries
from tests.conftest import company_ctx, count_queries, text_of


def _product_names(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<tr class="product-row[^"]*"[^>]*>\s*<td><a [^>]*>([^<]*)</a>', html)


def test_search_ignores_accents_and_case(auth, company, make_item):
    make_item(company, "Tiramisù", "DS-TIRA")
    make_item(company, "Caffè latte", "CAF-LAT")
    make_item(company, "Pneumatika Dvořák", "TY-DV")
    assert _product_names(auth.get("/inventory/?q=tiramisu")) == ["Tiramisù"]
    assert _product_names(auth.get("/inventory/?q=CAFFE")) == ["Caffè latte"]
    assert _product_names(auth.get("/inventory/?q=dvorak")) == ["Pneumatika Dvořák"]
    assert _product_names(auth.get("/inventory/?q=dvořák")) == ["Pneumatika Dvořák"]


def test_search_finds_sku_barcode_and_variant_name(auth, company, make_item):
    make_item(company, "Coca-Cola", "COLA-033", variant="0.33 l", barcode="5449000000996")
    make_item(company, "Acqua", "ACQ-050", variant="frizzante")
    assert _product_names(auth.get("/inventory/?q=cola-03")) == ["Coca-Cola"]
    assert _product_names(auth.get("/inventory/?q=5449000")) == ["Coca-Cola"]
    assert _product_names(auth.get("/inventory/?q=frizz")) == ["Acqua"]
    assert _product_names(auth.get("/inventory/?q=100%25")) == []  # LIKE wildcards are literal
    variants = text_of(auth.get("/inventory/variants?q=0.33"))
    assert "COLA-033" in variants and "ACQ-050" not in variants


def test_search_matches_every_word_wherever_it_is(auth, company, make_item):
    make_item(company, "Coca-Cola", "COLA-033", variant="0.33 l")
    make_item(company, "Birra Moretti", "MOR-033", variant="0.33 l", stock="1", threshold="6")
    make_item(company, "Birra Moretti", "MOR-066", variant="0.66 l")
    make_item(company, "Caffè latte", "CAF-LAT")
    assert _product_names(auth.get("/inventory/?q=coca+cola")) == ["Coca-Cola"]
    assert _product_names(auth.get("/inventory/?q=cola++coca")) == ["Coca-Cola"]
    assert _product_names(auth.get("/inventory/?q=birra+0.33")) == ["Birra Moretti"]
    assert _product_names(auth.get("/inventory/?q=LATTE+caffe")) == ["Caffè latte"]
    assert _product_names(auth.get("/inventory/?q=birra+cola")) == []  # every word must match
    with_filter = auth.get("/inventory/?q=birra+0.33&low=y")  # words and low stock together
    assert with_filter.status_code == 200 and _product_names(with_filter) == ["Birra Moretti"]
    assert _product_names(auth.get("/inventory/?q=birra+0.66&low=y")) == []
    variants = text_of(auth.get("/inventory/variants?q=birra+0.33"))
    assert "MOR-033" in variants and "MOR-066" not in variants and "COLA-033" not in variants
    variants = text_of(auth.get("/inventory/variants?q=moretti+mor-066+l"))
    assert "MOR-066" in variants and "MOR-033" not in variants


def test_filters_by_type_status_category_and_low_stock(app, auth, company, make_item):
    from bizkit.inventory import operations as ops
    from bizkit.inventory.models import Category, Product

    make_item(company, "Basic service", "SV-B", kind="service", duration=60)
    make_item(company, "Old chain", "CH-OLD", active=False)
    tyre = make_item(company, "Tyre", "TY-1", stock="2", threshold="4")
    make_item(company, "Brake pads", "BP-1", stock="10", threshold="4")
    with company_ctx(app, company.id):
        parts = ops.save_category(None, None, name="Parts", parent=None)
        tyres = ops.save_category(None, None, name="Tyres", parent=parts)
        db.session.get(Product, tyre.product_id).category = tyres
        parts_id = parts.id
    assert _product_names(auth.get("/inventory/?kind=service")) == ["Basic service"]
    assert _product_names(auth.get("/inventory/?active=no")) == ["Old chain"]
    assert _product_names(auth.get("/inventory/?low=y")) == ["Tyre"]
    assert _product_names(auth.get(f"/inventory/?category={parts_id}")) == ["Tyre"]  # subcategory
    assert _product_names(auth.get("/inventory/?sort=-name&kind=product")) == [
        "Tyre", "Old chain", "Brake pads",
    ]  # fmt: skip
    assert Category  # imported for clarity of the set-up


def test_product_rows_show_their_variants_totals(app, auth, company, make_item):
    """The list reads each product's variants as SQL totals (queries.list_products)."""
    from decimal import Decimal

    from bizkit.inventory import operations as ops
    from bizkit.inventory.models import Product, Variant

    make_item(company, "Haircut", "SV-CUT", kind="service", duration=45, price="20")
    make_item(company, "Lone chain", "CH-LONE", stock="3")
    tyre = make_item(company, "Tyre", "TY-26", variant="26", price="30", stock="10", threshold="2")
    with company_ctx(app, company.id):
        product = db.session.get(Product, tyre.product_id)
        product.category = ops.save_category(None, None, name="Tyres", parent=None)
        big = ops.create_variant(
            None,
            product,
            {"name": "29", "sku": "TY-29", "price": "45.5", "low_stock_threshold": "5"},
        )
        ops.receive_stock(None, big, Decimal("4"))
        ops.reserve_stock(None, db.session.get(Variant, tyre.variant_id), Decimal("1"))
    html = auth.get("/inventory/").get_data(as_text=True)
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r'<tr class="product-row.*?</tr>', html, re.S)
    ]
    assert rows == [
        "Haircut SV-CUT Service · 45 min — 1 €20.00 — Active",
        "Lone chain CH-LONE Product — 1 €2.50 3 Active",
        "Tyre Product Tyres 2 €30.00 – €45.50 14 (1 reserved) Active Low stock",
    ]


def test_pagination_is_stable_across_pages_with_equal_sort_keys(auth, company, make_item):
    for n in range(30):
        make_item(company, "Same name", f"SAME-{n:02d}")
    seen, url = [], "/inventory/?q=same"
    while url:
        html = auth.get(url).get_data(as_text=True)
        seen += re.findall(r'data-product-id="(\d+)"', html)
        more = re.search(r'<a href="([^"]+)" class="button" hx-get', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert len(seen) == 30 and len(set(seen)) == 30
    assert seen == sorted(seen, key=int)  # name ties broken by id


def test_variant_pagination_by_keyset(app, company, make_item):
    for n in range(7):
        make_item(company, "Bolt", f"BOLT-{n}", variant="M5")
    with company_ctx(app, company.id):
        filters = queries.CatalogFilters(sort="name")
        first = queries.list_variants(filters, None, limit=4)
        second = queries.list_variants(filters, first.next_cursor, limit=4)
        assert len(first.rows) == 4 and len(second.rows) == 3 and second.next_cursor is None
        ids = [v.id for v in first.rows + second.rows]
        assert len(set(ids)) == 7


def test_htmx_gets_only_the_results_fragment(auth, company, make_item):
    make_item(company, "Espresso", "ESP")
    response = auth.get("/inventory/?q=esp", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="product-results"') and "<html" not in html
    # A history restore (htmx cache miss on Back) gets the whole page.
    response = auth.get(
        "/inventory/?q=esp", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.get_data(as_text=True)
    # Reloading the pushed URL shows the same result, with the search box filled in.
    page = auth.get("/inventory/?q=esp").get_data(as_text=True)
    assert 'value="esp"' in page and "Espresso" in page


def test_low_stock_list_and_functions(app, auth, company, make_item):
    from bizkit.inventory import operations as ops

    make_item(company, "Cola", "COLA", stock="10", threshold="12")  # shortfall -2
    make_item(company, "Beer", "BEER", stock="1", threshold="12")  # shortfall -11
    make_item(company, "Water", "WATER", stock="30", threshold="12")
    make_item(company, "Juice", "JUICE", stock="3")  # no threshold: never low
    make_item(company, "Old", "OLD", threshold="5", active=False)
    html = auth.get("/inventory/low-stock").get_data(as_text=True)
    skus = re.findall(r"<td><code>([A-Z]+)</code></td>", html)
    assert skus == ["BEER", "COLA"]
    with company_ctx(app, company.id):
        assert ops.low_stock_count() == 2
        assert [v.sku for v in ops.low_stock_items(1)] == ["BEER"]


def test_low_stock_follows_the_product_status_kept_on_its_variants(app, company, make_item):
    """`Variant.product_stocked` mirrors the product, so the count needs no join."""
    from bizkit.inventory import operations as ops
    from bizkit.inventory.models import Product

    item = make_item(company, "Cola", "COLA", stock="1", threshold="12")
    with company_ctx(app, company.id):
        product = db.session.get(Product, item.product_id)
        fields = {"name": product.name, "kind": "product", "unit": "pcs"}
        assert ops.low_stock_count() == 1
        ops.update_product(None, product, {**fields, "active": False})
        assert ops.low_stock_count() == 0
        assert product.variants[0].product_stocked is False
        ops.update_product(None, product, {**fields, "active": True})
        extra = ops.create_variant(
            None,
            product,
            {"name": "1 l", "sku": "COLA-1L", "price": "3", "low_stock_threshold": "3"},
        )
        assert extra.product_stocked is True
        assert ops.low_stock_count() == 2
    inactive = make_item(company, "Old cola", "OLD-COLA", threshold="5", active=False)
    with company_ctx(app, company.id):
        product = db.session.get(Product, inactive.product_id)
        assert product.variants[0].product_stocked is False
        assert ops.low_stock_count() == 2


def test_dashboard_card_shows_the_low_stock_count(auth, client, company, make_user, make_item):
    make_item(company, "Beer", "BEER", stock="1", threshold="12")
    html = auth.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-testid="kpi-stock">1<', html)
    assert 'href="/inventory/low-stock"' in html
    client.login(make_user(company, "accountant"))
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="kpi-stock"' not in html and "/inventory/low-stock" not in html


def test_list_queries_do_not_grow_with_rows(app, auth, company, make_item):
    from bizkit.inventory import operations as ops
    from bizkit.inventory.models import Product

    def fill(n, prefix):
        for i in range(n):
            item = make_item(company, f"{prefix} {i}", f"{prefix}-{i}", stock="1", threshold="2")
            with company_ctx(app, company.id):
                ops.create_variant(
                    None,
                    db.session.get(Product, item.product_id),
                    {"name": "XL", "sku": f"{prefix}-{i}-XL", "price": "3"},
                )

    pages = ["/inventory/", "/inventory/variants", "/inventory/low-stock", "/inventory/?low=y"]
    fill(2, "A")
    few = [count_queries(app, auth, url) for url in pages]
    fill(12, "B")
    many = [count_queries(app, auth, url) for url in pages]
    assert many == few


def test_unticking_keep_stock_takes_the_item_off_the_low_stock_list(app, auth, company, make_item):
    """The Trattoria's Coca-Cola, once "Keep stock of this item" is unticked and saved, is
    no longer low anywhere: not on the low-stock list, the dashboard or the list's badge."""
    item = make_item(company, "Coca-Cola", "COLA", stock="2", threshold="12")
    make_item(company, "Acqua", "ACQUA", stock="1", threshold="6")
    html = auth.get("/inventory/").get_data(as_text=True)
    assert re.search(r"Coca-Cola</a>.*?Low stock", html, re.S)
    response = auth.post(
        f"/inventory/products/{item.product_id}",
        {"name": "Coca-Cola", "kind": "product", "unit": "pcs", "active": "y"},
    )
    assert response.status_code == 302
    html = auth.get("/inventory/low-stock").get_data(as_text=True)
    assert re.findall(r"<td><code>([A-Z]+)</code></td>", html) == ["ACQUA"]
    assert re.search(r'data-testid="kpi-stock">1<', auth.get("/dashboard").get_data(as_text=True))
    assert _product_names(auth.get("/inventory/?low=y")) == ["Acqua"]
    rows = auth.get("/inventory/").get_data(as_text=True).split('<tr class="product-row')
    cola = next(row for row in rows if "Coca-Cola</a>" in row)
    assert "Low stock" not in cola
    variants = auth.get("/inventory/variants?q=cola").get_data(as_text=True)
    assert "COLA" in variants and ">Low<" not in variants


def test_a_crafted_category_filter_is_ignored(app, auth, company, make_item):
    """ "²" passes str.isdigit() but not int(); 99999999999 is no PostgreSQL integer."""
    make_item(company, "Tyre", "TYRE")
    for crafted in ("²", "99999999999", "٣"):
        for url in ("/inventory/", "/inventory/variants"):
            response = auth.get(f"{url}?category={crafted}")
            assert response.status_code == 200
            assert "Tyre" in text_of(response)


def test_products_and_categories_are_in_alphabetical_order_whatever_their_accents(
    app, auth, company, make_item
):
    """Under the C collation "Čaj" and "Šunka" sorted after "Zelí"; the product list sorts
    the folded name through its index (migration 0022), also across pages, and so do the
    category choices."""
    for n, name in enumerate(("Zelí", "Šunka", "Čaj", "ananas", "Dýně", "Chléb")):
        make_item(company, name, f"SKU-{n}")
    expected = ["ananas", "Čaj", "Chléb", "Dýně", "Šunka", "Zelí"]

    def product_names(url):
        html = auth.get(url).get_data(as_text=True)
        return re.findall(r'data-product-id="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', html)

    assert product_names("/inventory/") == expected
    assert product_names("/inventory/?sort=-name") == expected[::-1]
    seen, url = [], "/inventory/?per_page=2"
    while url:
        html = auth.get(url).get_data(as_text=True)
        seen += re.findall(r'data-product-id="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', html)
        more = re.search(r'<a href="([^"]+)" class="button" hx-get', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == expected

    with company_ctx(app, company.id):
        from bizkit.inventory import catalog

        for name in ("Zákusky", "Čaje", "Alkohol"):
            catalog.save_category(None, None, name=name, parent=None)
        names = [category.name for category, _depth in catalog.category_tree()]
        assert names == ["Alkohol", "Čaje", "Zákusky"]
        # The variant list too, across pages of its keyset.
        filters, shown, cursor = queries.CatalogFilters(sort="name"), [], None
        while True:
            page = queries.list_variants(filters, cursor, limit=4)
            shown += [variant.product.name for variant in page.rows]
            if not (cursor := page.next_cursor):
                break
        assert shown == expected
