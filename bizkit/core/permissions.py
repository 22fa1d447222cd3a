"""Roles and the named permissions they grant: the one table in code.

Every view declares the permission it needs with `@requires("orders.view")`;
`bizkit.core.views_check` refuses to start an app with an undeclared view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from bizkit.core.htmx import is_htmx
from bizkit.core.security import is_local_url

ROLES = ("owner", "admin", "staff", "kitchen", "accountant")

ROLE_LABELS = {
    "owner": _l("Owner"),
    "admin": _l("Administrator"),
    "staff": _l("Staff"),
    "kitchen": _l("Kitchen / workshop"),
    "accountant": _l("Accountant"),
}

_ALL = frozenset(
    {
        "dashboard.view",
        "customers.view",
        "customers.edit",
        "customers.import",
        "customers.export",
        "customers.erase",
        "inventory.view",
        "inventory.edit",
        "inventory.stock",
        "orders.view",
        "orders.create",
        "orders.edit",
        "orders.transition",
        "orders.price_override",
        "orders.refund",
        "agenda.view",
        "agenda.edit",
        "invoices.view",
        "invoices.issue",
        "invoices.payments",
        "reports.view",
        "settings.view",
        "settings.manage",
        "users.manage",
        "audit.view",
        "workflows.manage",
        "api.manage",
        "notifications.view",
        "notifications.send",
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": _ALL,
    "admin": _ALL,
    "staff": frozenset(
        {
            "dashboard.view",
            "customers.view",
            "customers.edit",
            "customers.import",
            "customers.export",
            "inventory.view",
            "inventory.edit",
            "inventory.stock",
            "orders.view",
            "orders.create",
            "orders.edit",
            "orders.transition",
            "agenda.view",
            "agenda.edit",
            "invoices.view",
            "notifications.view",
            "notifications.send",
        }
    ),
    "kitchen": frozenset(
        {"dashboard.view", "orders.view", "orders.transition", "inventory.view", "agenda.view"}
    ),
    "accountant": frozenset(
        {
            "dashboard.view",
            "customers.view",
            "customers.export",
            "orders.view",
            "invoices.view",
            "invoices.issue",
            "invoices.payments",
            "reports.view",
            "audit.view",
            "settings.view",
            "notifications.view",
        }
    ),
}

assert all(perms <= _ALL for perms in ROLE_PERMISSIONS.values())


def role_can(role: str | None, permission: str) -> bool:
    if permission not in _ALL:
        raise KeyError(f"unknown permission {permission!r}")
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


def can(permission: str) -> bool:
    """Whether the current user, in the current company, holds `permission`."""
    membership = g.get("membership")
    return membership is not None and role_can(membership.role, permission)


def requires(permission: str) -> Callable:
    """Declare the permission a view needs: logged in, member of the current company, allowed."""
    if permission not in _ALL:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return unauthorized()
            if not g.get("memberships"):
                return no_access()
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.bizkit_permission = permission
        return wrapped

    return decorator


def unauthorized():
    """Not signed in (or the session ended): to the login page, and back here afterwards.

    An htmx request gets `HX-Redirect`, so the browser goes to the login page instead of
    htmx swapping the login page into the current one; afterwards back to the page the
    browser showed (HX-Current-URL), not to the fragment's or the form's address.
    """
    from bizkit.extensions import login_manager

    response = login_manager.unauthorized()  # flashes "Please log in to open this page."
    if not is_htmx():
        return response
    return "", 200, {"HX-Redirect": url_for(login_manager.login_view, **_page_to_return_to())}


def _page_to_return_to() -> dict:
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    if page.netloc != request.host:
        return {}
    target = page.path + ("?" + page.query if page.query else "")
    return {"next": target} if is_local_url(target) else {}


def no_access():
    """Signed in, but a member of no company any more (the access was removed): say so and
    offer to log out, instead of a 403 whose links all lead back to a 403."""
    if is_htmx():
        return "", 200, {"HX-Refresh": "true"}  # the whole page, which says it
    return render_template("auth/no_access.html"), 403


def public(view: Callable) -> Callable:
    """Declare a view open to anyone (login page, health checks, public links)."""
    view.bizkit_permission = "public"
    return view


def login_only(view: Callable) -> Callable:
    """Declare a view every logged-in user may reach, whatever the role (logout, switch company)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return unauthorized()
        return view(*args, **kwargs)

    wrapped.bizkit_permission = "login"
    return wrapped


def undeclared_views(app) -> list[str]:
    """Endpoints whose view declares no permission (static files excepted)."""
    missing = []
    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint.endswith(".static"):
            continue
        if not hasattr(view, "bizkit_permission"):
            missing.append(endpoint)
    return sorted(missing)
