"""Who is asking, and for which company: loaded once per request before any view runs."""

from __future__ import annotations

import hmac
from functools import cache

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from bizkit.auth import identity
from bizkit.auth.models import Membership, User
from bizkit.core import tenancy
from bizkit.extensions import db, login_manager

SESSION_COMPANY = "company_id"


def active_memberships(user: User) -> list[Membership]:
    """Every company the user may enter. The one place that looks across companies on purpose."""
    stmt = (
        select(Membership)
        .where(Membership.user_id == user.id, Membership.active.is_(True))
        .order_by(Membership.id)
        .execution_options(all_companies=True)
    )
    return list(db.session.execute(stmt).scalars())


@cache
def _user_with_memberships():
    """Built once (statements are immutable; the id is a bound parameter): every request
    runs it, and building it cost more Python than running it."""
    return (
        select(User, Membership)
        .outerjoin(Membership, (Membership.user_id == User.id) & Membership.active.is_(True))
        .where(User.id == bindparam("user_id"))
        .order_by(Membership.id)
        # Membership.user is this very user, already in the identity map: no second join.
        .options(lazyload(Membership.user))
        .execution_options(all_companies=True, plan_stable=True)
    )


def register_current_tenant(app: Flask) -> None:
    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The user and their active memberships: kept by this process while they are
        current (bizkit.auth.identity), else in one query."""
        uid_text, _sep, fingerprint = user_id.partition(":")
        try:
            uid = int(uid_text)
        except ValueError:
            return None
        generation = identity.current_generation()  # before the database: see identity
        kept = identity.cached(uid, generation)
        if kept is not None:
            user, memberships = kept
        else:
            rows = db.session.execute(_user_with_memberships(), {"user_id": uid}).all()
            if not rows:
                return None
            user = rows[0][0]
            memberships = [membership for _user, membership in rows if membership]
            identity.keep(user, memberships, generation)
        if not user.active or not hmac.compare_digest(fingerprint, user.session_fingerprint):
            return None  # deactivated, or the password changed since this session began
        g.loaded_memberships = memberships
        return user

    @app.before_request
    def load_company() -> None:
        g.company = None
        g.membership = None
        g.memberships = []
        tenancy.activate(None)
        if request.endpoint in ("static", "health.healthz", "health.readyz"):
            return
        if not current_user.is_authenticated:
            return
        memberships = g.pop("loaded_memberships", None)
        if memberships is None:
            memberships = active_memberships(current_user)
        g.memberships = memberships
        if not memberships:
            return
        wanted = session.get(SESSION_COMPANY)
        membership = next((m for m in memberships if m.company_id == wanted), memberships[0])
        if wanted != membership.company_id:
            # Only a change is written: an unchanged session is not re-signed and re-sent.
            session[SESSION_COMPANY] = membership.company_id
        g.membership = membership
        g.company = membership.company
        g.log_user_id, g.log_company_id = membership.user_id, membership.company_id
        tenancy.activate(membership.company_id)

    @app.before_request
    def require_own_password():
        """A one-time password must be replaced before anything else is done."""
        if (
            request.endpoint not in PASSWORD_EXEMPT
            and current_user.is_authenticated
            and current_user.must_change_password
        ):
            return redirect(url_for("auth.change_password"))
        return None


PASSWORD_EXEMPT = frozenset(
    {
        "static",
        "auth.change_password",
        "auth.logout",
        "auth.set_language",
        "health.healthz",
        "health.readyz",
    }
)
