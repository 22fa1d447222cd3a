"""Customers (people and companies), their groups, store credit ledger and CSV imports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bizkit.core.search import SORT_NAME
from bizkit.core.session import TenantMixin
from bizkit.extensions import db

# Folded (lower case, accents removed) text the list search matches with pg_trgm.
# bizkit_fold() is an IMMUTABLE wrapper of unaccent(), created by the customers migration.
SEARCH_EXPRESSION = (
    "bizkit_fold(coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || "
    "coalesce(phone, '') || ' ' || coalesce(company_name, '') || ' ' || "
    "coalesce(vat_id, '') || ' ' || coalesce(notes, ''))"
)

CREDIT_KINDS = ("grant", "use", "expire", "correction")
CONSENT_SOURCES = ("form", "import", "in_store", "phone", "web", "api")


class CustomerGroup(TenantMixin, db.Model):
    """A segment such as "Wholesale" or "Regulars"; a customer is in at most one."""

    __tablename__ = "customer_group"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Customer(TenantMixin, db.Model):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("store_credit_balance >= 0", name="store_credit_not_negative"),
        CheckConstraint("kind IN ('person', 'company')", name="kind_known"),
        # The list's name order: accents and case folded (migration 0018).
        Index("ix_customer_company_sort_name", "company_id", text(SORT_NAME), "id"),
        Index("ix_customer_company_created", "company_id", "created_at", "id"),
        Index(
            "ix_customer_company_email",
            "company_id",
            "email",
            unique=True,
            postgresql_where=text("email IS NOT NULL"),
        ),
        Index(
            "ix_customer_company_vat",
            "company_id",
            "vat_id",
            unique=True,
            postgresql_where=text("vat_id IS NOT NULL"),
        ),
        # company_id inside the GIN indexes (btree_gin) lets one index scan answer
        # "this company's customers matching the text" without visiting the others.
        Index(
            "ix_customer_company_search",
            "company_id",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        Index("ix_customer_company_tags", "company_id", "tags", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="person")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    company_name: Mapped[str | None] = mapped_column(String(200))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    billing_street: Mapped[str | None] = mapped_column(String(200))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_postal_code: Mapped[str | None] = mapped_column(String(20))
    billing_country: Mapped[str | None] = mapped_column(String(2))
    delivery_street: Mapped[str | None] = mapped_column(String(200))
    delivery_city: Mapped[str | None] = mapped_column(String(100))
    delivery_postal_code: Mapped[str | None] = mapped_column(String(20))
    delivery_country: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str | None] = mapped_column(String(10))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list, server_default="{}")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_group.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str | None] = mapped_column(Text)
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_source: Mapped[str | None] = mapped_column(String(20))
    store_credit_balance: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0"), server_default="0"
    )
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    search_text: Mapped[str | None] = mapped_column(
        Text, Computed(SEARCH_EXPRESSION, persisted=True)
    )

    group: Mapped[CustomerGroup | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.name!r}>"


class StoreCreditMovement(TenantMixin, db.Model):
    """One movement of a customer's store credit; the balance is their sum."""

    __tablename__ = "store_credit_movement"
    __table_args__ = (
        CheckConstraint("kind IN ('grant', 'use', 'expire', 'correction')", name="kind_known"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        Index("ix_store_credit_company_customer", "company_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    balance_after: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(100))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    actor = relationship("User", lazy="joined")


class RowProgress:
    """The progress bar of a job that works through `total_rows` (imports, exports)."""

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == "done" else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


class CustomerImport(RowProgress, TenantMixin, db.Model):
    """A CSV upload: its column mapping, progress and outcome (the job updates it)."""

    __tablename__ = "customer_import"
    __table_args__ = (
        CheckConstraint(
            "status IN ('uploaded', 'queued', 'running', 'done', 'failed')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="uploaded")
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CustomerExport(RowProgress, TenantMixin, db.Model):
    """A CSV export of a filtered customer list, written by a job into a file that the
    user who asked for it downloads (kept csv_export.KEEP, bizkit.customers.csv_export)."""

    __tablename__ = "customer_export"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'expired')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    stored_path: Mapped[str | None] = mapped_column(String(500))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
