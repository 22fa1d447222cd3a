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
        CheckConstraint("paid_total >= 0", name="paid_not_negative"),
        CheckConstraint(
            "stock_state IN (" + ", ".join(f"'{s}'" for s in STOCK_STATES) + ")",
            name="stock_state",
        ),
        Index("ix_customer_order_company_newest", "company_id", "id"),
        Index("ix_customer_order_company_status", "company_id", "status", "id"),  # the board
        Index(  # the list filtered by status, newest first
            "ix_customer_order_company_status_created", "company_id", "status", "created_at", "id"
        ),
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
    # Bike shop: the bike being serviced, and when the customer approved the quote and
    # for how much (the order's total then, kept by `operations.record_quote_approval`):
    # the page warns when the total has moved away from it since.
    bike_make: Mapped[str | None] = mapped_column(String(80))
    bike_model: Mapped[str | None] = mapped_column(String(80))
    bike_serial: Mapped[str | None] = mapped_column(String(80))
    quote_approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    quote_approved_total: Mapped[Decimal | None] = mapped_column(MONEY)
    notes: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    # Totals cache (bizkit.orders.totals): lines after line discounts, order discount
    # (vouchers), what is due, the tax in it, and what has been paid net of refunds.
    lines_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    discount_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    tax_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    paid_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    # Where the order's stock is (bizkit.orders.stock): untouched, held (a flow reserved
    # it), taken (a flow deducted it) or given back. A stocked line added later follows
    # it, even when the order had no stocked line when the flow moved its stock.
    stock_state: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
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
    def quote_difference(self) -> Decimal | None:
        """How far the total has moved from the approved quote (signed); None without an
        approved quote or when the two agree."""
        if self.quote_approved_total is None or self.total == self.quote_approved_total:
            return None
        return self.total - self.quote_approved_total

    @property
    def payment_state(self) -> str | None:
        """ "paid", "partially_paid" or "unpaid"; None while nothing is due and nothing
        was paid (an empty or free order), which the pages show without a badge: it was
        shown "Paid" before anything was sold."""
        if self.total <= 0 and self.paid_total <= 0:
            return None
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


# -- vouchers, gift vouchers and payments (bizkit.orders.vouchers / .payments) ------------

VOUCHER_KINDS = ("percent", "fixed")
GIFT_MOVEMENT_KINDS = ("issue", "redeem", "refund", "correction")
PAYMENT_METHODS = ("cash", "card", "transfer", "online", "store_credit", "gift_voucher")
PAYMENT_KINDS = ("payment", "refund")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Voucher(TenantMixin, db.Model):
    """A promo code: a percentage or a fixed amount off an order, within limits.

    Codes are stored upper-case (the operations fold what people type), so the unique
    constraint makes them unique per company regardless of case. `uses` counts the
    redemptions; the CHECK keeps it within `max_uses` even when two tills redeem at once.
    """

    __tablename__ = "voucher"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        CheckConstraint("code = upper(code) AND length(code) >= 3", name="code_upper"),
        CheckConstraint(_one_of("kind", VOUCHER_KINDS), name="kind"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
        CheckConstraint("min_order_total IS NULL OR min_order_total >= 0", name="min_not_negative"),
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
        CheckConstraint(
            "max_uses_per_customer IS NULL OR max_uses_per_customer > 0",
            name="max_per_customer_positive",
        ),
        CheckConstraint("uses >= 0", name="uses_not_negative"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_limit"),
        CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until",
            name="window_order",
        ),
        Index("ix_voucher_company_newest", "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="percent")
    value: Mapped[Decimal] = mapped_column(MONEY)
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    min_order_total: Mapped[Decimal | None] = mapped_column(MONEY)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_customer: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def __repr__(self) -> str:
        return f"<Voucher {self.code}>"


class VoucherRedemption(TenantMixin, db.Model):
    """A promo code applied to an order (one per order). `customer_id` is the order's
    customer when it was applied: the per-customer limit counts these rows."""

    __tablename__ = "voucher_redemption"
    __table_args__ = (
        UniqueConstraint("company_id", "order_id"),
        UniqueConstraint("voucher_id", "order_id"),
        CheckConstraint("discount >= 0", name="discount_not_negative"),
        Index("ix_voucher_redemption_company_voucher", "company_id", "voucher_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    # The discount it gave at the last recalculation (the order's totals hold the sum).
    discount: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    voucher: Mapped[Voucher] = relationship(lazy="joined")
    order: Mapped[Order] = relationship(back_populates="voucher_redemption")


class GiftVoucher(TenantMixin, db.Model):
    """A prepaid voucher spent as a payment method. The balance caches the sum of its
    movements, kept in the same transaction; the CHECK refuses a negative balance."""

    __tablename__ = "gift_voucher"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("initial_amount > 0", name="initial_positive"),
        Index("ix_gift_voucher_company_newest", "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24))
    initial_amount: Mapped[Decimal] = mapped_column(MONEY)
    balance: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    customer = relationship("Customer")
    movements: Mapped[list[GiftVoucherMovement]] = relationship(
        back_populates="gift_voucher", order_by="GiftVoucherMovement.id.desc()"
    )


class GiftVoucherMovement(TenantMixin, db.Model):
    """One change of a gift voucher's balance: issued, redeemed, refunded back, corrected."""

    __tablename__ = "gift_voucher_movement"
    __table_args__ = (
        CheckConstraint(_one_of("kind", GIFT_MOVEMENT_KINDS), name="kind"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        Index("ix_gift_voucher_movement_company_voucher", "company_id", "gift_voucher_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_voucher_id: Mapped[int] = mapped_column(ForeignKey("gift_voucher.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(MONEY)  # signed: + adds to the balance
    balance_after: Mapped[Decimal] = mapped_column(MONEY)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_order.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str | None] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    gift_voucher: Mapped[GiftVoucher] = relationship(back_populates="movements")
    order = relationship("Order")
    actor = relationship("User")


class Payment(TenantMixin, db.Model):
    """Money taken for an order, or given back (`kind` refund). Amounts are positive;
    `Order.paid_total` caches payments minus refunds in the same transaction.

    A refund may name the payment it returns (`refund_of_id`); that payment's
    `refunded_total` then grows, guarded by a CHECK so it never exceeds the payment.
    """

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(_one_of("method", PAYMENT_METHODS), name="method"),
        CheckConstraint(_one_of("kind", PAYMENT_KINDS), name="kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("change_given >= 0", name="change_not_negative"),
        CheckConstraint(
            "refunded_total >= 0 AND refunded_total <= amount", name="refunded_within_amount"
        ),
        CheckConstraint("kind = 'payment' OR refunded_total = 0", name="refunds_not_refunded"),
        Index("ix_payment_company_order", "company_id", "order_id", "id"),
        Index("ix_payment_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    kind: Mapped[str] = mapped_column(String(10), default="payment")
    method: Mapped[str] = mapped_column(String(15))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    # Cash only: what the customer handed over above the amount due, given back at once.
    change_given: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    refunded_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    refund_of_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(120))
    gift_voucher_id: Mapped[int | None] = mapped_column(ForeignKey("gift_voucher.id"), index=True)
    store_credit_movement_id: Mapped[int | None] = mapped_column(
        ForeignKey("store_credit_movement.id", ondelete="SET NULL")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    order: Mapped[Order] = relationship(back_populates="payments")
    actor = relationship("User", lazy="joined")
    gift_voucher = relationship(GiftVoucher, lazy="joined")
    refund_of = relationship("Payment", remote_side=[id])

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.refunded_total if self.kind == "payment" else ZERO


Order.payments = relationship(
    Payment, back_populates="order", order_by=(Payment.created_at, Payment.id)
)
Order.voucher_redemption = relationship(
    VoucherRedemption, back_populates="order", uselist=False, cascade="all, delete-orphan"
)
