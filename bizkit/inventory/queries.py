"""Read side of the catalog: the filtered, sorted, keyset-paginated product and variant lists.

Search is accent- and case-insensitive: `Variant.search_text` holds
bizkit_fold(product name, variant name, SKU, barcode) behind a trigram index, and
the query term goes through the same SQL functions, so "pneumatika" finds "Pneumatika" and
"caffe" finds "Caffè". A query is split into words and a variant matches when its text
contains every word, in any order (as the customer and order searches do): "coca cola"
finds "Coca-Cola", "birra 0.33" finds "Birra Moretti 0.33 l". Each word is one LIKE on
the same column; PostgreSQL ANDs them inside one scan of the trigram index (a word too short
for a trigram, such as "l", is checked on the rows found, not scanned for). Every page
loads what its rows show in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import contains_eager

from bizkit.core.pagination import Page, keyset_page
from bizkit.core.search import contains_folded, sort_name
from bizkit.inventory.models import ZERO, Category, Product, Variant
from bizkit.inventory.operations import descendant_ids, low_stock_condition

PAGE_SIZE = 25


@dataclass
class CatalogFilters:
    q: str = ""
    category_id: int | None = None
    kind: str = ""  # "", "product", "service"
    active: str = ""  # "", "yes", "no"
    low: bool = False
    sort: str = "name"


MAX_SEARCH_WORDS = 6  # as many as the customer and order searches take


def search_words(q: str) -> list[str]:
    """The query's distinct words, at most MAX_SEARCH_WORDS of them."""
    return list(dict.fromkeys(q.split()))[:MAX_SEARCH_WORDS]


def _matching_variant(filters: CatalogFilters):
    """Conditions on Variant shared by both lists (search and low stock)."""
    conditions = [contains_folded(Variant.search_text, word) for word in search_words(filters.q)]
    if filters.low:
        conditions.append(low_stock_condition())
    return conditions


def _product_conditions(filters: CatalogFilters):
    conditions = []
    if filters.category_id:
        conditions.append(Product.category_id.in_(descendant_ids(filters.category_id)))
    if filters.kind in ("product", "service"):
        conditions.append(Product.kind == filters.kind)
    if filters.active in ("yes", "no"):
        conditions.append(Product.active.is_(filters.active == "yes"))
    return conditions


# By name: accents and case folded ("Čaj" among the C's, not after Z as under the C
# collation), along ix_product_company_sort_name.
_PRODUCT_SORT_NAME = sort_name(Product.name)

PRODUCT_SORTS = {
    "name": ([_PRODUCT_SORT_NAME, Product.id], False),
    "-name": ([_PRODUCT_SORT_NAME, Product.id], True),
    "newest": ([Product.created_at, Product.id], True),
    "oldest": ([Product.created_at, Product.id], False),
}


def _variant_totals():
    """Per product: what its list row shows of its variants (Product.summary, in SQL)."""
    return (
        select(
            func.count(Variant.id).label("variant_count"),
            func.min(Variant.price).label("min_price"),
            func.max(Variant.price).label("max_price"),
            func.coalesce(func.sum(Variant.on_hand), ZERO).label("on_hand"),
            func.coalesce(func.sum(Variant.reserved), ZERO).label("reserved"),
            func.coalesce(func.bool_or(low_stock_condition()), False).label("any_low"),
            func.min(Variant.sku).label("sku"),  # shown when there is one variant
        )
        .where(Variant.product_id == Product.id)
        .lateral("totals")
    )


def list_products(filters: CatalogFilters, cursor: str | None = None, limit: int = PAGE_SIZE):
    """A page of products matching the filters; a product matches when any variant does.

    Rows of the shown columns with their variants' totals from one query: loading each
    product with its category, tax rate and variants as ORM objects cost a second query
    and most of the page's time.
    """
    totals = _variant_totals()
    stmt = (
        select(
            Product.id,
            Product.name,
            Product.kind,
            Product.active,
            Product.duration_minutes,
            Product.created_at,
            Category.name.label("category_name"),
            _PRODUCT_SORT_NAME.label("sort_name"),
            *totals.c,
        )
        .select_from(Product)
        .outerjoin(Category, Category.id == Product.category_id)
        .join(totals, true())
    )
    stmt = stmt.where(*_product_conditions(filters))
    variant_conditions = _matching_variant(filters)
    if variant_conditions:
        stmt = stmt.where(Product.variants.any(and_(*variant_conditions)))
    columns, descending = PRODUCT_SORTS.get(filters.sort, PRODUCT_SORTS["name"])
    if columns[0] is Product.created_at:
        return keyset_page(
            stmt,
            columns,
            cursor,
            limit,
            descending=descending,
            key=lambda p: [p.created_at.isoformat(), p.id],
            parse=lambda v: [dt.datetime.fromisoformat(v[0]), int(v[1])],
            entities=False,
        )
    return keyset_page(
        stmt,
        columns,
        cursor,
        limit,
        descending=descending,
        key=lambda p: [p.sort_name, p.id],
        parse=lambda v: [str(v[0]), int(v[1])],
        entities=False,
    )


_AVAILABLE = Variant.on_hand - Variant.reserved
_SHORTFALL = Variant.on_hand - Variant.reserved - func.coalesce(Variant.low_stock_threshold, 0)

_VARIANT_SORT_NAME = sort_name(Variant.name)

VARIANT_SORTS = {
    "name": ([_PRODUCT_SORT_NAME, _VARIANT_SORT_NAME, Variant.id], False),
    "-name": ([_PRODUCT_SORT_NAME, _VARIANT_SORT_NAME, Variant.id], True),
    "sku": ([Variant.sku, Variant.id], False),
    "available": ([_AVAILABLE, Variant.id], False),
    "shortfall": ([_SHORTFALL, Variant.id], False),
}


def _variant_key(sort: str):
    if sort in ("name", "-name"):  # (rows with the folded names, see list_variants)
        return (
            lambda r: [r.product_sort, r.variant_sort, r.Variant.id],
            lambda c: [str(c[0]), str(c[1]), int(c[2])],
        )
    if sort == "sku":
        return lambda v: [v.sku, v.id], lambda c: [str(c[0]), int(c[1])]
    if sort == "available":
        return lambda v: [str(v.available), v.id], lambda c: [Decimal(c[0]), int(c[1])]
    return (
        lambda v: [str(v.available - (v.low_stock_threshold or 0)), v.id],
        lambda c: [Decimal(c[0]), int(c[1])],
    )


def list_variants(filters: CatalogFilters, cursor: str | None = None, limit: int = PAGE_SIZE):
    """A page of variants (with their product and category) matching the filters."""
    stmt = (
        select(Variant)
        .join(Variant.product)
        .options(contains_eager(Variant.product).joinedload(Product.category))
        .where(*_product_conditions(filters), *_matching_variant(filters))
    )
    sort = filters.sort if filters.sort in VARIANT_SORTS else "name"
    columns, descending = VARIANT_SORTS[sort]
    key, parse = _variant_key(sort)
    if sort not in ("name", "-name"):
        return keyset_page(
            stmt, columns, cursor, limit, descending=descending, key=key, parse=parse
        )
    # By name the cursor holds the folded names (the sort's values), read with the rows.
    stmt = stmt.add_columns(
        _PRODUCT_SORT_NAME.label("product_sort"), _VARIANT_SORT_NAME.label("variant_sort")
    )
    page = keyset_page(
        stmt, columns, cursor, limit, descending=descending, key=key, parse=parse, entities=False
    )
    return Page(rows=[row.Variant for row in page.rows], next_cursor=page.next_cursor)


def low_stock_page(cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """The low-stock list: most urgent (largest shortfall) first."""
    return list_variants(CatalogFilters(low=True, sort="shortfall"), cursor, limit)
