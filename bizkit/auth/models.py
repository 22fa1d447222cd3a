"""People who log in, and their role in each company they belong to."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from bizkit.core.permissions import ROLES
from bizkit.core.session import TenantMixin
from bizkit.extensions import db

# scrypt is werkzeug's default and a current memory-hard algorithm.
PASSWORD_METHOD = "scrypt"  # noqa: S105 (a hash method name, not a password)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class User(UserMixin, db.Model):
    """A person with a login; belongs to companies through memberships."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Two-step sign-in (bizkit.auth.two_step): the TOTP secret, Fernet-encrypted
    # (bizkit.core.crypto); set but not enabled while the user is setting it up.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last 30-second step whose code was accepted: a code is never taken twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def two_step_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session cookie holds: the id and a fingerprint of how this login signs in,
        so changing it ends every other session of this user (the session that made the
        change is signed in again with the new fingerprint, bizkit.auth.views)."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        """The password hash and, while two-step sign-in is on, when it was switched on: a
        new password (or the same one with a fresh salt, as new recovery codes do,
        bizkit.auth.two_step) and switching two-step sign-in on or off each change it.
        Without two-step sign-in it is the hash of the password hash alone, as before the
        two-step part was added: deploying that ended only the sessions of logins with
        two-step sign-in on, once."""
        credentials = self.password_hash
        if self.totp_enabled_at is not None:
            micros = (self.totp_enabled_at - _EPOCH) // timedelta(microseconds=1)  # any zone
            credentials = f"{credentials}|two-step:{micros}"
        return hashlib.sha256(credentials.encode()).hexdigest()[:16]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app, kept as a hash.

    Rows rather than a JSON array on the user: using a code is one UPDATE guarded by
    `used_at IS NULL` (two requests cannot both use it), and the user row, which every
    process keeps in memory (bizkit.auth.identity), stays small."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Membership(TenantMixin, db.Model):
    """A user's role in one company. Inactive memberships grant nothing."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("company_id", "user_id"),
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")",
            name="role_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    user: Mapped[User] = relationship(lazy="joined")
    company = relationship("Company", lazy="joined")
