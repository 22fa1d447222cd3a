"""Inventory operations: the stock ledger (and, re-exported, the catalog operations).

Every stock change is one `StockMovement` row plus one conditional UPDATE of the cached
quantities on `StockLevel` (per location) and `Variant` (all locations), in the caller's
transaction. The UPDATE only matches while the result stays valid, so a sale that would
take available stock below zero changes nothing and raises `BusinessRuleError`; PostgreSQL
row locks make concurrent sales of the same variant queue up behind each other, and CHECK
constraints on both caches are the guarantee underneath.

    on-hand    = Σ on_hand_change      (receipts, returns, sales, adjustments)
    reserved   = Σ reserved_change     (reservations, releases, sales of reserved stock)
    available  = on-hand − reserved    (never negative)

All functions take the acting user (or None for the system) explicitly, flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.core.search import sort_name
from bizkit.core.tenancy import current_company_id
from bizkit.extensions import db
from bizkit.inventory.catalog import (  # noqa: F401 (re-exported: one door for callers)
    MAX_QTY,
    category_tree,
    create_product,
    create_variant,
    decimal_value,
    default_tax_rate,
    descendant_ids,
    save_category,
    save_tax_rate,
    update_product,
    update_variant,
)
from bizkit.inventory.models import (
    ZERO,
    StockLevel,
    StockLocation,
    StockMovement,
    Variant,
)
from bizkit.inventory.units import unit_label

ADJUSTMENT_REASONS = {
    "count": _l("Stock count"),
    "damaged": _l("Damaged"),
    "lost": _l("Lost or stolen"),
    "expired": _l("Expired"),
    "found": _l("Found"),
    "correction": _l("Correction"),
    "other": _l("Other"),
}


# -- locations ----------------------------------------------------------------------------


def default_location() -> StockLocation:
    """The current company's default location, created on first use (safe under races)."""
    query = select(StockLocation).where(StockLocation.is_default.is_(True))
    location = db.session.execute(query).scalar()
    if location is None:
        db.session.execute(
            pg_insert(StockLocation)
            .values(company_id=current_company_id(), name=_("Main store"), is_default=True)
            .on_conflict_do_nothing()
        )
        location = db.session.execute(query).scalar_one()
    return location


def create_default_location(company) -> None:
    """Every company starts with one location, so viewing stock never has to write."""
    default_location()


def locations() -> list[StockLocation]:
    """The company's locations, default first (read-only: GET pages call this)."""
    query = select(StockLocation).order_by(
        StockLocation.is_default.desc(), sort_name(StockLocation.name)
    )
    return list(db.session.execute(query).scalars())


# -- the ledger ---------------------------------------------------------------------------


def _quantity(qty, field: str = "quantity") -> Decimal:
    value = decimal_value(qty, field, places=3, maximum=MAX_QTY)
    if value == 0:
        raise BusinessRuleError(_("Enter a quantity above zero."), field=field)
    return value


# Called as hook(actor, variant, available) when a movement takes a variant's available
# stock from above its low-stock threshold to at or below it (once per crossing), for the
# variants the low-stock list shows (`Variant.watches_low_stock`): not for an inactive
# variant or product, nor for a product whose stock is not kept.
LOW_STOCK_HOOKS: list = []


def _move(
    actor,
    variant: Variant,
    location: StockLocation | None,
    kind: str,
    on_hand_change: Decimal,
    reserved_change: Decimal,
    *,
    reference: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    field: str = "quantity",
) -> StockMovement:
    """Write one ledger line and move both caches by the same amounts, or refuse."""
    if variant.product.kind != "product":
        raise BusinessRuleError(_("Services have no stock."), field=field)
    location = location or default_location()
    db.session.execute(
        pg_insert(StockLevel)
        .values(company_id=variant.company_id, variant_id=variant.id, location_id=location.id)
        .on_conflict_do_nothing()
    )
    new_on_hand = StockLevel.on_hand + on_hand_change
    new_reserved = StockLevel.reserved + reserved_change
    moved = db.session.execute(
        update(StockLevel)
        .where(
            StockLevel.variant_id == variant.id,
            StockLevel.location_id == location.id,
            new_on_hand >= 0,
            new_reserved >= 0,
            new_reserved <= new_on_hand,
        )
        .values(on_hand=new_on_hand, reserved=new_reserved)
        .returning(StockLevel.id),
        execution_options={"synchronize_session": False},
    ).first()
    if moved is None:
        raise _refusal(variant, location, kind, on_hand_change, reserved_change, field)
    totals = db.session.execute(
        update(Variant)
        .where(Variant.id == variant.id)
        .values(
            on_hand=Variant.on_hand + on_hand_change,
            reserved=Variant.reserved + reserved_change,
        )
        .returning(Variant.on_hand, Variant.reserved),
        execution_options={"synchronize_session": False},
    ).one()
    db.session.expire(variant, ["on_hand", "reserved"])
    threshold = variant.low_stock_threshold
    if LOW_STOCK_HOOKS and variant.watches_low_stock:
        available_after = totals.on_hand - totals.reserved
        available_before = available_after - on_hand_change + reserved_change
        if available_before > threshold >= available_after:
            for hook in LOW_STOCK_HOOKS:
                hook(actor, variant, available_after)
    movement = StockMovement(
        variant_id=variant.id,
        location_id=location.id,
        kind=kind,
        on_hand_change=on_hand_change,
        reserved_change=reserved_change,
        reference=reference,
        reason=reason,
        note=note,
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(movement)
    changes = {
        "on_hand": [str(totals.on_hand - on_hand_change), str(totals.on_hand)],
        "reserved": [str(totals.reserved - reserved_change), str(totals.reserved)],
        "location": location.name,
    }
    if reference:
        changes["reference"] = reference
    if reason:
        changes["reason"] = reason
    audit.record(actor, f"stock.{kind}", variant, changes, label=variant.label)
    db.session.flush()
    return movement


def _qty_text(qty: Decimal) -> str:
    """A quantity in a message as the `number` filter writes it on the pages: in the
    company's locale, without trailing zeros: 2.500 → "2,5" in Czech, "2.5" in English;
    12.000 → "12"; 1000.000 → "1,000" in English, "1 000" in Czech (never "1E+3")."""
    company_id = current_company_id()
    company = db.session.get(Company, company_id) if company_id is not None else None
    return format_decimal(qty, locale=company.locale if company is not None else "en")


def _refusal(variant, location, kind, on_hand_change, reserved_change, field) -> BusinessRuleError:
    """Why `_move` changed nothing, said about what the location is short of: a release,
    or a sale from a reservation, that takes more than is reserved names the reservation
    (the available quantity may be plenty)."""
    level = db.session.execute(
        select(StockLevel).where(
            StockLevel.variant_id == variant.id, StockLevel.location_id == location.id
        )
    ).scalar_one()
    db.session.refresh(level)
    unit = unit_label(variant.product.unit)
    if reserved_change < 0 and level.reserved + reserved_change < 0:
        message = _(
            "Only %(qty)s %(unit)s are reserved at %(location)s.",
            qty=_qty_text(level.reserved),
            unit=unit,
            location=location.name,
        )
    elif kind == "adjustment" and level.on_hand + on_hand_change < 0:
        message = _(
            "Only %(qty)s %(unit)s on hand at %(location)s.",
            qty=_qty_text(level.on_hand),
            unit=unit,
            location=location.name,
        )
    elif kind == "adjustment":
        message = _(
            "This would leave less than the %(qty)s %(unit)s reserved at %(location)s.",
            qty=_qty_text(level.reserved),
            unit=unit,
            location=location.name,
        )
    else:
        message = _(
            "Not enough stock: %(qty)s %(unit)s available at %(location)s.",
            qty=_qty_text(level.available),
            unit=unit,
            location=location.name,
        )
    return BusinessRuleError(message, field=field)


def receive_stock(actor, variant, qty, location=None, *, reference=None, note=None):
    """Goods arrived (a delivery, a purchase): on-hand and available grow by `qty`."""
    qty = _quantity(qty)
    return _move(actor, variant, location, "receipt", qty, ZERO, reference=reference, note=note)


def deduct_stock(actor, variant, qty, location=None, *, reference=None, from_reservation=False):
    """A sale: on-hand shrinks by `qty`. With `from_reservation` the goods were reserved
    (e.g. by the order `reference`) and the reservation is consumed too; otherwise the
    available quantity must cover `qty`. Raises BusinessRuleError when stock is short."""
    qty = _quantity(qty)
    reserved_change = -qty if from_reservation else ZERO
    return _move(actor, variant, location, "sale", -qty, reserved_change, reference=reference)


def return_stock(actor, variant, qty, location=None, *, reference=None, note=None):
    """A customer brought goods back into sellable stock: on-hand grows by `qty`."""
    qty = _quantity(qty)
    return _move(actor, variant, location, "return", qty, ZERO, reference=reference, note=note)


def reserve_stock(actor, variant, qty, location=None, *, reference=None):
    """Hold `qty` for an order: available shrinks, on-hand stays. Refused when short."""
    qty = _quantity(qty)
    return _move(actor, variant, location, "reservation", ZERO, qty, reference=reference)


def release_stock(actor, variant, qty, location=None, *, reference=None):
    """Give back a reservation (an order cancelled): available grows, on-hand stays."""
    qty = _quantity(qty)
    return _move(actor, variant, location, "release", ZERO, -qty, reference=reference)


def adjust_stock(actor, variant, delta, reason, location=None, *, note=None, reference=None):
    """Correct on-hand by a signed `delta` (damage, loss, a find) for one of ADJUSTMENT_REASONS.
    On-hand may not drop below zero, nor below what is reserved."""
    if reason not in ADJUSTMENT_REASONS:
        raise BusinessRuleError(_("Choose a reason."), field="reason")
    try:
        delta = Decimal(str(delta).strip().replace(",", "."))
    except ArithmeticError:
        raise BusinessRuleError(_("Enter a number."), field="quantity") from None
    _quantity(abs(delta))
    return _move(
        actor,
        variant,
        location,
        "adjustment",
        delta,
        ZERO,
        reason=reason,
        note=note,
        reference=reference,
    )


def count_stock(actor, counts: Iterable[tuple[Variant, object]], location=None, *, note=None):
    """Inventory taking: set on-hand at `location` to the counted quantities.

    Each difference becomes an adjustment movement (reason "count"), all in the caller's
    one transaction. Every line is checked before anything is written; a bad line raises
    BusinessRuleError with `field` = "count-<variant id>". Returns the movements written.
    """
    location = location or default_location()
    by_variant: dict[int, tuple[Variant, Decimal]] = {}
    for variant, counted in counts:
        field = f"count-{variant.id}"
        if variant.product.kind != "product":
            raise BusinessRuleError(_("Services have no stock."), field=field)
        by_variant[variant.id] = (variant, decimal_value(counted, field, places=3, maximum=MAX_QTY))
    lines = list(by_variant.values())
    if not lines:
        raise BusinessRuleError(_("Enter at least one counted quantity."))
    lines.sort(key=lambda line: line[0].id)  # one lock order for every writer: no deadlocks
    levels = {
        level.variant_id: level
        for level in db.session.execute(
            select(StockLevel)
            .where(
                StockLevel.location_id == location.id,
                StockLevel.variant_id.in_([v.id for v, _c in lines]),
            )
            .order_by(StockLevel.variant_id)
            .with_for_update(of=StockLevel)
        ).scalars()
    }
    for variant, counted in lines:
        level = levels.get(variant.id)
        reserved = level.reserved if level else ZERO
        if counted < reserved:
            raise BusinessRuleError(
                _(
                    "%(qty)s are reserved for orders; count at least that.",
                    qty=_qty_text(reserved),
                ),
                field=f"count-{variant.id}",
            )
    movements = []
    for variant, counted in lines:
        level = levels.get(variant.id)
        delta = counted - (level.on_hand if level else ZERO)
        if delta != 0:
            movements.append(
                _move(
                    actor,
                    variant,
                    location,
                    "adjustment",
                    delta,
                    ZERO,
                    reason="count",
                    note=note,
                    field=f"count-{variant.id}",
                )
            )
    return movements


# -- reading stock ------------------------------------------------------------------------


def stock_levels(variant: Variant) -> list[StockLevel]:
    """The variant's quantities per location."""
    query = select(StockLevel).where(StockLevel.variant_id == variant.id).order_by(StockLevel.id)
    return list(db.session.execute(query).scalars())


def movements_of(variant: Variant, cursor: str | None = None, limit: int = 25):
    """A page of the variant's ledger, newest first (keyset)."""
    import datetime as dt

    from bizkit.core.pagination import keyset_page

    return keyset_page(
        select(StockMovement).where(StockMovement.variant_id == variant.id),
        [StockMovement.created_at, StockMovement.id],
        cursor,
        limit,
        key=lambda m: [m.created_at.isoformat(), m.id],
        parse=lambda v: [dt.datetime.fromisoformat(v[0]), int(v[1])],
    )


def low_stock_condition():
    """SQL: an active stocked variant whose available quantity is at or below its threshold.

    Spelled as the partial index `ix_variant_company_shortfall` is (no join to the product:
    `product_stocked` carries its kind and status), so counting is an index-only scan.
    """
    return (
        Variant.low_stock_threshold.is_not(None)
        & Variant.active.is_(True)
        & Variant.product_stocked.is_(True)
        & (Variant.on_hand - Variant.reserved - Variant.low_stock_threshold <= 0)
    )


def low_stock_count() -> int:
    """How many variants of the current company are at or below their threshold (dashboard)."""
    return db.session.execute(_low_stock_count_statement()).scalar_one()


@cache
def _low_stock_count_statement():
    # Built once: the company is added by the session hook when it runs.
    return select(func.count()).select_from(Variant).where(low_stock_condition())


def low_stock_items(limit: int = 5) -> list[Variant]:
    """The most urgent low-stock variants (largest shortfall first), product loaded."""
    from sqlalchemy.orm import joinedload

    shortfall = Variant.on_hand - Variant.reserved - Variant.low_stock_threshold
    query = (
        select(Variant)
        .where(low_stock_condition())
        .options(joinedload(Variant.product))
        .order_by(shortfall, Variant.id)
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())
