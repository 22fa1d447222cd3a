"""Who is asking, and for which company: loaded once per request before any view runs."""

from __future__ import annotations

import hmac
from functools import cache

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from bizkit.auth import identity
from bizkit.auth.models import Membership, User
from bizkit.core import fragments, tenancy
from bizkit.core.errors import error_response
from bizkit.extensions import db, login_manager

SESSION_COMPANY = "company_id"


def rotate_csrf() -> None:
    """Forget the session's CSRF secret: forms rendered before now are refused (with a
    message saying the page is out of date, bizkit.core.errors) instead of acting in
    whatever company or session is current when they are sent. Login and logout clear
    the whole session, which does the same."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)  # Flask-WTF keeps the request's signed token here


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
        session_id = session.get(identity.SESSION_ID)
        if session_id is None:
            # A session begun before sessions had ids (2026-12-02) signs in again: a copy
            # of its cookie would get a new id on every request, so a logout could not
            # end the copy and each request would start the account pages' limit of
            # wrong passwords afresh (bizkit.auth.views).
            return None
        # The generation before the database (see identity), and in the same round trip
        # whether this session was logged out.
        # The revisions of the content this page keeps come along (bizkit.core.fragments).
        extra_keys = fragments.prefetch_keys(session.get(SESSION_COMPANY))
        generation, revoked, extra = identity.current_state(session_id, extra_keys)
        fragments.prefetched(extra_keys, extra)
        # Kept content is rendered with the company this generation gave: it keys it.
        g.identity_generation = generation
        if revoked:
            return None
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
    def load_company():
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
            return None  # the views answer with the "no access" page (core.permissions)
        wanted = session.get(SESSION_COMPANY)
        membership = next((m for m in memberships if m.company_id == wanted), memberships[0])
        if wanted != membership.company_id:
            # Only a change is written: an unchanged session is not re-signed and re-sent.
            session[SESSION_COMPANY] = membership.company_id
            if wanted is not None:
                # The access to the company worked in was removed: this is a switch of
                # company like one from the menu. Pages rendered for the old company
                # cannot post any more, and this request, if it posts, acts nowhere.
                rotate_csrf()
                flash(
                    _(
                        "Your access to the company you were working in was removed. "
                        "Now working in %(name)s.",
                        name=membership.company.name,
                    ),
                    "warning",
                )
                if request.method not in ("GET", "HEAD", "OPTIONS") and (
                    request.endpoint not in LEAVING
                ):
                    return error_response(
                        400,
                        _(
                            "This page belongs to a company you no longer have access to. "
                            "Nothing was saved."
                        ),
                    )
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


# Posts that still mean what they say after a company's access was removed.
LEAVING = frozenset({"auth.logout", "auth.switch_company", "auth.set_language", "auth.login"})

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
