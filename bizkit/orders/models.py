"""Orders and their lines. Money is Decimal in Numeric columns; the order's totals are a
cache recomputed by `bizkit.orders.totals` in the same transaction as every line change.

The status is a code of the company's order flow (bizkit.workflow) and `version` is
bumped by every transition, so two people moving the same order at once cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bizkit.core.session import TenantMixin
from bizkit.extensions import db

MONEY = Numeric(12, 2)
QTY = Numeric(12, 3)
ZERO = Decimal("0")
CHANNELS = ("counter", "phone", "web", "api")
STOCK_STATES = ("none", "reserved", "deducted", "released")


class Order(TenantMixin, db.Model):
    """A customer's (or a walk-in's) order: lines, totals, status in the company's flow."""

    __tablename__ = "customer_order"  # "order" is an SQL keyword
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        CheckConstraint(
            "channel IN (" + ", ".join(f"'{c}'" for c in CHANNELS) + ")", name="channel"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("discount_total >= 0", name="discount_not_negative"),
        CheckConstraint("discount_total <= lines_total", name="discount_within_lines"),
        Index("ix_customer_order_company_newest", "company_id", "id"),
        Index("ix_customer_order_company_status", "company_id", "status", "id"),
        Index("ix_customer_order_company_created", "company_id", "created_at", "id"),
        Index("ix_customer_order_company_customer", "company_id", "customer_id", "id"),
        Index(
            "ix_customer_order_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    channel: Mapped[str] = mapped_column(String(10), default="counter")
    status: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Restaurant: a table, or take-away.
    table_label: Mapped[str | None] = mapped_column(String(40))
    takeaway: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bike shop: the bike being serviced, and when the customer approved the quote.
    bike_make: Mapped[str | None] = mapped_column(String(80))
    bike_model: Mapped[str | None] = mapped_column(String(80))
    bike_serial: Mapped[str | None] = mapped_column(String(80))
    quote_approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    # Totals cache (bizkit.orders.totals): lines after line discounts, order discount
    # (vouchers), what is due, the tax in it, and what has been paid net of refunds.
    lines_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    discount_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    tax_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    paid_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    # bizkit_fold(number, customer name, table, bike), set by the operations for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    customer = relationship("Customer")
    created_by = relationship("User")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        order_by="OrderLine.position, OrderLine.id",
        cascade="all, delete-orphan",
    )

    @property
    def net_total(self) -> Decimal:
        return self.total - self.tax_total

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.paid_total

    @property
    def payment_state(self) -> str:
        """ "paid", "partially_paid" or "unpaid" (an empty order counts as paid)."""
        if self.paid_total >= self.total:
            return "paid"
        return "partially_paid" if self.paid_total > 0 else "unpaid"

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


class OrderLine(TenantMixin, db.Model):
    """One line: a catalog variant or service, or free text; prices include tax."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
        CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 100", name="discount_percent"
        ),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_percent"),
        CheckConstraint(
            "stock_state IN (" + ", ".join(f"'{s}'" for s in STOCK_STATES) + ")",
            name="stock_state",
        ),
        Index("ix_order_line_company_order", "company_id", "order_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variant.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(QTY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=ZERO)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=ZERO)
    # quantity × unit price − discount, rounded (bizkit.orders.totals.line_total).
    line_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    # Where this line's stock is: untouched, held for the order, taken, or given back.
    stock_state: Mapped[str] = mapped_column(String(10), default="none")

    order: Mapped[Order] = relationship(back_populates="lines")
    variant = relationship("Variant")
