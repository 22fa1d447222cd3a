"""Users and memberships: who may enter which company, in which role."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from bizkit.auth import two_step
from bizkit.auth.models import Membership, User
from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.permissions import ROLES
from bizkit.core.timezones import utcnow
from bizkit.extensions import db

MAX_PASSWORD_LENGTH = 500
"""The longest password accepted anywhere — set, changed or typed at login — so a
password that could be set can always be used to sign in."""


def _check_password_length(password: str, field: str) -> None:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BusinessRuleError(
            _("Use at most %(num)d characters.", num=MAX_PASSWORD_LENGTH), field=field
        )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for unknown e-mail)."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so e-mails cannot be probed by timing.
        User(password_hash="").set_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    """The user is signed in (after the password, and the second step when it is on)."""
    user.last_login_at = utcnow()


def create_user(
    email: str, name: str, password: str | None = None, locale: str | None = None
) -> tuple[User, str]:
    """Create a login. Without a password, a one-time one is generated and must be changed."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise BusinessRuleError(_("A user with this e-mail already exists."), field="email")
    one_time = password is None
    if password is not None:
        _check_password_length(password, "password")
    password = password or secrets.token_urlsafe(9)
    user = User(email=email, name=name.strip(), locale=locale, must_change_password=one_time)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user, password


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BusinessRuleError(_("Unknown role."), field="role")


def _require_owner_for(actor: User | None, *, granting: str | None = None, target=None) -> None:
    """Only an owner may grant the owner role, or change or remove an owner.

    `actor=None` is the system (CLI, demo data), which may do anything.
    """
    touches_owner = granting == "owner" or (target is not None and target.role == "owner")
    if touches_owner and actor is not None and not _is_owner(actor):
        raise BusinessRuleError(
            _("Only an owner can make someone an owner, or change or remove an owner."),
            field="role",
        )


def add_member(actor: User | None, user: User, role: str) -> Membership:
    """Give `user` a role in the current company (reactivating an old membership)."""
    _check_role(role)
    _require_owner_for(actor, granting=role)
    membership = db.session.execute(
        select(Membership).where(Membership.user_id == user.id)
    ).scalar_one_or_none()
    if membership is not None and membership.active:
        raise BusinessRuleError(_("This person is already a member of the company."), field="email")
    if membership is not None:
        # Reactivating an old membership changes it: an owner's only by an owner.
        _require_owner_for(actor, target=membership)
    if membership is None:
        membership = Membership(user=user, role=role, active=True)
        db.session.add(membership)
    else:
        membership.role = role
        membership.active = True
    db.session.flush()
    audit.record(actor, "membership.add", membership, {"role": [None, role]}, label=user.email)
    return membership


def invite_user(actor: User, email: str, name: str, role: str) -> tuple[Membership, str | None]:
    """Add a person to the current company; a new login gets a one-time password (returned once)."""
    _check_role(role)
    _require_owner_for(actor, granting=role)
    user = find_user_by_email(email)
    password = None
    if user is None:
        user, password = create_user(email, name)
        audit.record(actor, "user.create", user, {"email": [None, user.email]}, label=user.email)
    membership = add_member(actor, user, role)
    return membership, password


def _active_owner_count() -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.role == "owner", Membership.active.is_(True))
    ).scalar_one()


def _lock_owners() -> None:
    """Serialise owner changes per company: two admins cannot demote the last two owners at once."""
    db.session.execute(
        select(Membership.id).where(Membership.role == "owner").with_for_update()
    ).all()


def change_role(actor: User, membership: Membership, role: str) -> Membership:
    _check_role(role)
    if membership.role == role:
        return membership
    _require_owner_for(actor, granting=role, target=membership)
    if membership.role == "owner":
        _lock_owners()
        if membership.active and _active_owner_count() <= 1:
            raise BusinessRuleError(
                _("The company must keep at least one owner. Make someone else owner first."),
                field="role",
            )
    membership.role = role
    audit.record(
        actor,
        "membership.role",
        membership,
        audit.pending_changes(membership),
        label=membership.user.email,
    )
    db.session.flush()
    return membership


def _is_owner(user: User) -> bool:
    return (
        db.session.execute(
            select(Membership.id).where(
                Membership.user_id == user.id,
                Membership.role == "owner",
                Membership.active.is_(True),
            )
        ).first()
        is not None
    )


def deactivate_member(actor: User, membership: Membership) -> Membership:
    """Take away a person's access to the current company (the login stays for other companies)."""
    if not membership.active:
        return membership
    _require_owner_for(actor, target=membership)
    if membership.role == "owner":
        _lock_owners()
        if _active_owner_count() <= 1:
            raise BusinessRuleError(_("The last owner cannot be removed."))
    membership.active = False
    audit.record(
        actor,
        "membership.deactivate",
        membership,
        audit.pending_changes(membership),
        label=membership.user.email,
    )
    db.session.flush()
    return membership


def reactivate_member(actor: User, membership: Membership) -> Membership:
    if membership.active:
        return membership
    _require_owner_for(actor, target=membership)
    membership.active = True
    audit.record(
        actor,
        "membership.reactivate",
        membership,
        audit.pending_changes(membership),
        label=membership.user.email,
    )
    db.session.flush()
    return membership


def change_password(user: User, current_password: str, new_password: str) -> None:
    _check_password_length(new_password, "new_password")
    if not user.check_password(current_password):
        raise BusinessRuleError(_("The current password is not correct."), field="current_password")
    if current_password == new_password:
        raise BusinessRuleError(
            _("Choose a password different from the current one."), field="new_password"
        )
    user.set_password(new_password)
    user.must_change_password = False
    db.session.flush()


def reset_password(
    actor: User, membership: Membership, *, switch_off_two_step: bool = False
) -> str:
    """Give a member who cannot sign in a new one-time password (returned once): they
    choose their own at the next login, and every session of theirs ends (the session
    cookie carries a fingerprint of the password hash). Their two-step sign-in stays on
    unless an owner switches it off too (a lost phone)."""
    user = membership.user
    if user.id == actor.id:
        raise BusinessRuleError(_("Change your own password from your account menu."))
    if not membership.active:
        raise BusinessRuleError(_("Give this person access again before resetting the password."))
    actor_is_owner = _is_owner(actor)
    if membership.role == "owner" and not actor_is_owner:
        raise BusinessRuleError(_("Only an owner can reset an owner's password."))
    if switch_off_two_step and not actor_is_owner:
        raise BusinessRuleError(
            _("Only an owner can switch off someone's two-step sign-in."),
            field="switch_off_two_step",
        )
    password = secrets.token_urlsafe(9)
    changes = {"must_change_password": [user.must_change_password, True]}
    user.set_password(password)
    user.must_change_password = True
    if switch_off_two_step and user.two_step_enabled:
        two_step.switch_off(user)
        changes["two_step"] = [True, False]
    audit.record(actor, "user.password_reset", user, changes, label=user.email)
    db.session.flush()
    return password


def has_other_companies(membership: Membership) -> bool:
    """Whether the member's login also opens other companies (a reset changes it there
    too). Says only whether, never which: the other companies are not this one's business."""
    return (
        db.session.execute(
            select(Membership.id)
            .where(
                Membership.user_id == membership.user_id,
                Membership.company_id != membership.company_id,
                Membership.active.is_(True),
            )
            .limit(1)
            .execution_options(all_companies=True)
        ).first()
        is not None
    )


def set_preferred_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.flush()
