"""The outbox: one `Notification` row per message, written in the business transaction,
its delivery attempts, and each company's notification settings.

A row's `status` is the truth about a message: `queued` (waiting for its time or a
worker), `sending` (claimed by a worker), `retrying` (a temporary failure; next try at
`due_at`), `sent`, `failed` (permanent, or out of attempts) or `cancelled`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bizkit.core.session import TenantMixin
from bizkit.extensions import db

CHANNELS = ("email", "sms", "whatsapp", "console")
STATUSES = ("queued", "sending", "retrying", "sent", "failed", "cancelled")
PENDING = ("queued", "retrying")
OUTCOMES = ("sent", "temporary", "permanent", "interrupted")


# What the log's search matches: address, name and subject, accents and case folded by
# bizkit_fold() (as every list searches, bizkit.core.search), behind a trigram index.
# Parenthesised as PostgreSQL prints the index back (pg_get_indexdef): the same expression
# as migration 0021's, and Alembic compares the two texts, less casts and quotes.
SEARCH_EXPRESSION = (
    "bizkit_fold((((coalesce(recipient, '') || ' ') || coalesce(recipient_name, '')) "
    "|| ' ') || coalesce(subject, ''))"
)


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Notification(TenantMixin, db.Model):
    """One message to one recipient on one channel, rendered from `event` in `locale`."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_notification_company_newest", "company_id", "id"),
        Index("ix_notification_company_status", "company_id", "status", "id"),
        Index("ix_notification_company_entity", "company_id", "entity_type", "entity_id", "id"),
        # The search (migration 0021); company_id inside the GIN index via btree_gin. The
        # operator class goes by the expression's label in postgresql_ops (not written into
        # the expression), so Alembic can compare the expression with the database's.
        Index(
            "ix_notification_company_search",
            "company_id",
            literal_column(SEARCH_EXPRESSION, Text()).label("search"),
            postgresql_using="gin",
            postgresql_ops={"search": "gin_trgm_ops"},
        ),
        # The sweeper's scan across companies: only rows still waiting or in flight.
        Index(
            "ix_notification_unfinished_due",
            "due_at",
            postgresql_where=text("status IN ('queued', 'retrying', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The record that caused it ("order", 42), for its panel and for cancelling reminders.
    entity_type: Mapped[str | None] = mapped_column(String(20))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # [{"filename", "content_type", "path"}]: files under the storage directory.
    attachments: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    send_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the next attempt may start (send_at, now, or after a backoff).
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    resent_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.number", viewonly=True
    )

    @property
    def is_scheduled(self) -> bool:
        return self.status == "queued" and self.send_at is not None and self.attempts == 0

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.event} {self.channel} {self.status}>"


class DeliveryAttempt(TenantMixin, db.Model):
    """One try at delivering a notification: when, how it ended, what the server said."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (
        UniqueConstraint("notification_id", "number"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        Index("ix_delivery_attempt_company_notification", "company_id", "notification_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(Text)


class NotificationSettings(TenantMixin, db.Model):
    """A company's sender identity, channels and SMS/WhatsApp provider account.

    The provider token is stored encrypted (bizkit.core.crypto); the rest is plain.
    """

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_name: Mapped[str | None] = mapped_column(String(100))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    whatsapp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_low_stock: Mapped[bool] = mapped_column(Boolean, default=True)
    provider_base_url: Mapped[str | None] = mapped_column(String(200))
    provider_account: Mapped[str | None] = mapped_column(String(100))
    provider_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    sms_from: Mapped[str | None] = mapped_column(String(32))
    whatsapp_from: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
