"""Inventory: tax rates, categories, products and services, variants, locations, the stock ledger.

Stock is a ledger (`StockMovement`); the quantities on `StockLevel` (per variant and
location) and on `Variant` (all locations) are caches kept in the same transaction as
the movement row, by one conditional UPDATE each. Their CHECK constraints are the last
guard: on-hand and reserved never go below zero and reserved never exceeds on-hand, so
available (on-hand minus reserved) cannot go negative even under concurrent sales.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bizkit.core.search import SORT_NAME
from bizkit.core.session import TenantMixin
from bizkit.extensions import db
from bizkit.inventory.units import DEFAULT_UNIT

QTY = Numeric(12, 3)
# Low stock is `shortfall <= 0` over active variants with a threshold whose product is an
# active stocked product. Indexing the expression gives PostgreSQL statistics on it, so it
# expects the few low rows it will find; with the product's flags copied onto the variant
# (`product_stocked`) and the quantities INCLUDEd, the dashboard count is an index-only scan.
SHORTFALL_SQL = "(on_hand - reserved - low_stock_threshold)"
STOCKED_PREDICATE = "low_stock_threshold IS NOT NULL AND active IS true AND product_stocked IS true"
MONEY = Numeric(12, 2)
ZERO = Decimal("0")

PRODUCT_KINDS = ("product", "service")
MOVEMENT_KINDS = ("receipt", "sale", "return", "adjustment", "reservation", "release")


class TaxRate(TenantMixin, db.Model):
    """A VAT rate the company sells with (e.g. "Standard 21 %"); one may be the default."""

    __tablename__ = "tax_rate"
    __table_args__ = (
        UniqueConstraint("company_id", "name"),
        CheckConstraint("rate >= 0 AND rate <= 100", name="rate_percent"),
        Index(
            "uq_tax_rate_one_default",
            "company_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


# Two categories with one parent (or both at the top) may not share a name, in any case.
CATEGORY_SIBLING_NAME = "uq_category_company_parent_name"


def category_name_key(name: str) -> str:
    """What sibling category names are compared by: full Unicode case folding, accents kept.

    "ČAJ", "Čaj" and "čaj" are one name, and so are "STRASSE" and "Straße"; "Čaj" and "Caj"
    are two. Folded here rather than by SQL `lower()`, which folds by the server's
    LC_CTYPE: ASCII only under `C`/`POSIX`, and never "ß" → "ss" nor "ς" → "σ" under any;
    `COLLATE "und-x-icu"` exists only on servers built with ICU. The key is canonically
    normalised (NFC of the case fold of the NFD form), so a "č" typed as "c" plus a
    combining caron is the "č" it looks like. Migration 0020 repeats this function.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


class Category(TenantMixin, db.Model):
    """A catalog category; categories nest through `parent_id`."""

    __tablename__ = "category"
    __table_args__ = (
        Index("ix_category_company_parent", "company_id", "parent_id", "name"),
        Index(
            CATEGORY_SIBLING_NAME,
            "company_id",
            text("COALESCE(parent_id, 0)"),
            "name_key",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # `category_name_key(name)`, kept by the model whenever `name` is set (any ORM write).
    name_key: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id])

    @validates("name")
    def _keep_name_key(self, _key, name: str) -> str:
        self.name_key = category_name_key(name) if name is not None else None
        return name


class Product(TenantMixin, db.Model):
    """Something the company sells: a stocked product or a service (with a duration)."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("kind IN ('product', 'service')", name="kind"),
        CheckConstraint(
            "(kind = 'service' AND duration_minutes > 0) "
            "OR (kind = 'product' AND duration_minutes IS NULL)",
            name="service_duration",
        ),
        # The list's alphabetical order, accents and case folded (migration 0022).
        Index("ix_product_company_sort_name", "company_id", text(SORT_NAME), "id"),
        Index("ix_product_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="product")
    description: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="SET NULL"), index=True
    )
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rate.id"), index=True)
    # A unit code ("pcs", shown in the reader's language) or a unit as typed: see `units`.
    unit: Mapped[str] = mapped_column(String(20), default=DEFAULT_UNIT)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # False for what is made to order (a pizza): orders neither reserve nor take its stock.
    stock_kept: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    category: Mapped[Category | None] = relationship()
    tax_rate: Mapped[TaxRate | None] = relationship()
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.id", cascade="all, delete-orphan"
    )

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def tracks_stock(self) -> bool:
        """An active product (not a service) whose stock is kept: its variants count
        towards low stock and orders reserve and take their stock."""
        return self.kind == "product" and bool(self.active) and bool(self.stock_kept)

    @cached_property
    def summary(self) -> ProductSummary:
        """Price range and stock over the variants, in one pass (list rows show these)."""
        prices = [v.price for v in self.variants]
        return ProductSummary(
            min_price=min(prices) if prices else None,
            max_price=max(prices) if prices else None,
            on_hand=sum((v.on_hand for v in self.variants), ZERO),
            reserved=sum((v.reserved for v in self.variants), ZERO),
            any_low=any(v.is_low for v in self.variants),
            count=len(self.variants),
        )


@dataclass(frozen=True)
class ProductSummary:
    min_price: Decimal | None
    max_price: Decimal | None
    on_hand: Decimal
    reserved: Decimal
    any_low: bool
    count: int


class Variant(TenantMixin, db.Model):
    """One sellable version of a product (e.g. "Large", "29 × 2.25 / black") with its own
    SKU, barcode, price and cached stock totals over all locations."""

    __tablename__ = "variant"
    __table_args__ = (
        UniqueConstraint("company_id", "sku"),
        UniqueConstraint("company_id", "barcode"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="available_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("cost_price >= 0", name="cost_not_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
        Index("ix_variant_company_product", "company_id", "product_id", "id"),
        # The few variants at or below their threshold, for the dashboard card and the
        # low-stock list; expression and predicate are spelled as low_stock_condition() emits.
        Index(
            "ix_variant_company_shortfall",
            "company_id",
            text(SHORTFALL_SQL),
            postgresql_include=["on_hand", "reserved", "low_stock_threshold"],
            postgresql_where=text(STOCKED_PREDICATE),
        ),
        Index(
            "ix_variant_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120), default="")
    sku: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    cost_price: Mapped[Decimal | None] = mapped_column(MONEY)
    low_stock_threshold: Mapped[Decimal | None] = mapped_column(QTY)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_hand: Mapped[Decimal] = mapped_column(QTY, default=ZERO, server_default="0")
    reserved: Mapped[Decimal] = mapped_column(QTY, default=ZERO, server_default="0")
    # The product is an active product whose stock is kept (`Product.tracks_stock`): a copy kept
    # by the catalog operations in the same transaction, so low stock needs no join.
    product_stocked: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    # bizkit_fold(product name, variant name, SKU, barcode), set by the operations.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def watches_low_stock(self) -> bool:
        """Has a threshold and counts towards low stock: an active variant of an active
        product whose stock is kept (`low_stock_condition()` without the quantities)."""
        return (
            self.low_stock_threshold is not None
            and bool(self.active)
            and bool(self.product_stocked)
        )

    @property
    def is_low(self) -> bool:
        """At or below its threshold and counted as low stock (`low_stock_condition()`)."""
        return self.watches_low_stock and self.available <= self.low_stock_threshold

    @property
    def label(self) -> str:
        return f"{self.product.name} – {self.name}" if self.name else self.product.name


class StockLocation(TenantMixin, db.Model):
    """A place stock is kept (shop floor, store room, van). One is the default."""

    __tablename__ = "stock_location"
    __table_args__ = (
        UniqueConstraint("company_id", "name"),
        Index(
            "uq_stock_location_one_default",
            "company_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class StockLevel(TenantMixin, db.Model):
    """Cached quantities of one variant at one location (sum of its movements there)."""

    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("company_id", "variant_id", "location_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="available_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_location.id"), index=True)
    on_hand: Mapped[Decimal] = mapped_column(QTY, default=ZERO, server_default="0")
    reserved: Mapped[Decimal] = mapped_column(QTY, default=ZERO, server_default="0")

    location: Mapped[StockLocation] = relationship(lazy="joined")

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockMovement(TenantMixin, db.Model):
    """One line of the stock ledger: what changed on-hand and reserved, why, and who did it."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('receipt', 'sale', 'return', 'adjustment', 'reservation', 'release')",
            name="kind",
        ),
        CheckConstraint("on_hand_change <> 0 OR reserved_change <> 0", name="changes_something"),
        Index("ix_stock_movement_company_variant", "company_id", "variant_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_location.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    on_hand_change: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    reserved_change: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    reason: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    location: Mapped[StockLocation] = relationship(lazy="joined")
    actor = relationship("User", lazy="joined")
