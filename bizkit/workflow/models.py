"""Status flows as data: per company and entity type, the statuses and allowed transitions,
and the history of every status change.

A status is addressed by its `code` (e.g. "PREPARING") inside its company and entity type;
transitions and history refer to codes, and composite foreign keys keep a transition from
pointing at a status that does not exist.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bizkit.core.session import TenantMixin
from bizkit.extensions import db

ENTITY_TYPES = ("order", "appointment")
_ENTITY_CHECK = "entity_type IN (" + ", ".join(f"'{t}'" for t in ENTITY_TYPES) + ")"


class WorkflowStatus(TenantMixin, db.Model):
    """One status of a company's flow for an entity type, as shown on the board."""

    __tablename__ = "workflow_status"
    __table_args__ = (
        UniqueConstraint("company_id", "entity_type", "code"),
        CheckConstraint(_ENTITY_CHECK, name="entity_type"),
        CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{0,39}$'", name="code_format"),
        CheckConstraint("color ~ '^#[0-9a-f]{6}$'", name="color_hex"),
        CheckConstraint("NOT (is_initial AND is_terminal)", name="initial_not_terminal"),
        Index(
            "uq_workflow_status_one_initial",
            "company_id",
            "entity_type",
            unique=True,
            postgresql_where=text("is_initial"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))
    # A label typed by the company; None shows the translated label of a preset code.
    label: Mapped[str | None] = mapped_column(String(80))
    color: Mapped[str] = mapped_column(String(7), default="#64748b")
    is_initial: Mapped[bool] = mapped_column(Boolean, default=False)
    is_terminal: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class WorkflowTransition(TenantMixin, db.Model):
    """An allowed move from one status to another, for some roles, with side effects."""

    __tablename__ = "workflow_transition"
    __table_args__ = (
        UniqueConstraint("company_id", "entity_type", "from_code", "to_code"),
        CheckConstraint("from_code <> to_code", name="moves"),
        ForeignKeyConstraint(
            ["company_id", "entity_type", "from_code"],
            [
                "workflow_status.company_id",
                "workflow_status.entity_type",
                "workflow_status.code",
            ],
            ondelete="CASCADE",
            name="fk_workflow_transition_from",
        ),
        ForeignKeyConstraint(
            ["company_id", "entity_type", "to_code"],
            [
                "workflow_status.company_id",
                "workflow_status.entity_type",
                "workflow_status.code",
            ],
            ondelete="CASCADE",
            name="fk_workflow_transition_to",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    from_code: Mapped[str] = mapped_column(String(40))
    to_code: Mapped[str] = mapped_column(String(40))
    # Roles that may make this move; an empty list means every role that may transition.
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    # Names from bizkit.workflow.operations.SIDE_EFFECTS, run in this order.
    side_effects: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class StatusChange(TenantMixin, db.Model):
    """History: who moved which entity from which status to which, when, and why."""

    __tablename__ = "status_change"
    __table_args__ = (
        CheckConstraint(_ENTITY_CHECK, name="entity_type"),
        Index("ix_status_change_entity", "company_id", "entity_type", "entity_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    from_code: Mapped[str | None] = mapped_column(String(40))  # None: the entity was created
    to_code: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    actor = relationship("User", lazy="joined")
