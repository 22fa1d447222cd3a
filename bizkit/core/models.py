"""Models every module shares: the company (tenant) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bizkit.core.session import TenantMixin
from bizkit.extensions import db

BUSINESS_TYPES = ("restaurant", "bike_shop", "clinic", "pet_store", "events", "generic")


class Company(db.Model):
    """A tenant: one business using this installation."""

    __tablename__ = "company"
    __table_args__ = (
        CheckConstraint(
            "business_type IN ('restaurant', 'bike_shop', 'clinic', 'pet_store', 'events', "
            "'generic')",
            name="business_type",
        ),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    business_type: Mapped[str] = mapped_column(String(20), default="generic")
    locale: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    vat_id: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    iban: Mapped[str | None] = mapped_column(String(34))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Bumped with every change to the company's workflow statuses or transitions, so
    # processes know whether the flows they keep are current (bizkit.workflow.operations).
    workflow_revision: Mapped[int] = mapped_column(default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<Company {self.slug}>"


class AuditEntry(TenantMixin, db.Model):
    """Who did what to which record, when, with the changed fields (old and new values)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_company_created", "company_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None]
    entity_label: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=False
    )

    actor = db.relationship("User", lazy="joined")


class Counter(TenantMixin, db.Model):
    """Per-company numbering (order numbers, later invoice series): see core/sequences.py."""

    __tablename__ = "counter"
    __table_args__ = (
        UniqueConstraint("company_id", "name"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
