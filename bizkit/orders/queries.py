"""Read side of orders: the filtered, keyset-paginated order list, the catalog picker for a
new line, and the customer picker of a new order.

The list pages newest first by (created_at, id), along the (company_id, created_at, id)
index whatever the filter.
Search is accent- and case-insensitive over `Order.search_text` (trigram index) plus the
exact order number; customers come in the same query as the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import contains_eager, joinedload

from bizkit.core.pagination import Page, keyset_page
from bizkit.core.search import contains_folded, sort_name
from bizkit.customers import operations as customer_ops
from bizkit.extensions import db
from bizkit.inventory.models import Product, Variant
from bizkit.orders.models import CHANNELS, Order

PAGE_SIZE = 25
PICKER_SIZE = 10
_NUMBER = re.compile(r"^#?(\d{1,9})$")


@dataclass
class OrderFilters:
    q: str = ""
    status: str = ""
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _search_condition(q: str):
    """Every word in the folded search text; a number also finds the order with that number."""
    terms = [term for term in q.split() if term][:6]
    if not terms:
        return None
    text_match = and_(*(contains_folded(Order.search_text, term) for term in terms))
    number = _NUMBER.match(q.strip())
    if number:
        return or_(Order.number == int(number.group(1)), text_match)
    return text_match


def local_day_start(day: dt.date, zone: str) -> dt.datetime:
    """Midnight of `day` in the company's zone, as an aware datetime (compared in UTC)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(zone))


def filtered_statement(filters: OrderFilters, zone: str):
    stmt = select(Order).options(joinedload(Order.customer))
    search = _search_condition(filters.q)
    if search is not None:
        stmt = stmt.where(search)
    if filters.status:
        stmt = stmt.where(Order.status == filters.status)
    if filters.channel in CHANNELS:
        stmt = stmt.where(Order.channel == filters.channel)
    if filters.date_from:
        stmt = stmt.where(Order.created_at >= local_day_start(filters.date_from, zone))
    if filters.date_to:
        end = local_day_start(filters.date_to + dt.timedelta(days=1), zone)
        stmt = stmt.where(Order.created_at < end)
    return stmt


def list_orders(
    filters: OrderFilters, zone: str, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """A page of orders matching `filters`, newest first: a stable keyset on (created_at, id).

    Ordering by the date walks the (company_id, created_at, id) index, with or without a
    date range. Ordering by id alone let PostgreSQL walk the primary key backwards through
    every newer order of other companies (200 ms for a large company whose orders are old).
    """
    return keyset_page(
        filtered_statement(filters, zone),
        [Order.created_at, Order.id],
        cursor,
        limit,
        descending=True,
        key=lambda order: [order.created_at.isoformat(), order.id],
        parse=lambda values: [dt.datetime.fromisoformat(values[0]), int(values[1])],
    )


def sellable_variants(q: str, limit: int = PICKER_SIZE) -> list[Variant]:
    """Active variants of active products matching `q`, for the add-a-line picker."""
    terms = [term for term in (q or "").split() if term][:6]
    if not terms:
        return []
    stmt = (
        select(Variant)
        .join(Variant.product)
        .options(contains_eager(Variant.product))
        .where(Variant.active.is_(True), Product.active.is_(True))
        .where(*(contains_folded(Variant.search_text, term) for term in terms))
        .order_by(sort_name(Product.name), sort_name(Variant.name), Variant.id)
        .limit(limit)
    )
    return list(db.session.execute(stmt).scalars())


def customer_choices(q: str, limit: int = PICKER_SIZE) -> list:
    """Customers whose name (or contact data) matches `q`, for the new-order picker."""
    if not (q or "").strip():
        return []
    page = customer_ops.search_customers(customer_ops.CustomerFilter(query=q[:200]), limit=limit)
    return page.rows


# -- dashboard figures ---------------------------------------------------------------------

OPEN_COUNT_CAP = 1000  # "1000+" rather than counting a hundred thousand rows


def open_order_count(open_codes: list[str]) -> tuple[int, bool]:
    """How many orders are in an open status, and whether the count stopped at the cap;
    along the (company_id, status, id) index."""
    from bizkit.core.tenancy import current_company_id

    if not open_codes:
        return 0, False
    stmt = text(
        "SELECT count(*) FROM (SELECT 1 FROM customer_order WHERE company_id = :company_id"
        " AND status = ANY(CAST(:codes AS text[])) LIMIT :cap) capped"
    )
    count = db.session.execute(
        stmt, {"company_id": current_company_id(), "codes": open_codes, "cap": OPEN_COUNT_CAP}
    ).scalar_one()
    return count, count >= OPEN_COUNT_CAP


def takings_since(start: dt.datetime):
    """Money taken since `start` less what was refunded since (payments of every method,
    in the company's currency)."""
    from sqlalchemy import case, func

    from bizkit.orders.models import Payment

    signed = case((Payment.kind == "refund", -Payment.amount), else_=Payment.amount)
    return db.session.execute(
        select(func.coalesce(func.sum(signed), 0)).where(Payment.created_at >= start)
    ).scalar_one()
