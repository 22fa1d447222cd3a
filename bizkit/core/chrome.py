"""The page chrome (top bar, company switcher, language and user menus, sidebar), rendered
once per reader and section instead of once per page.

The chrome is the same on every page of a section for one user in one company and
language; rendering it (a dozen forms, the permission checks of the menu) cost more than
a page's own 50 rows. `page_chrome()` keeps it per process, keyed by everything the
template reads: language, section, the user's id, name and e-mail, the current company
and role, and every membership's company name and role. A rename or a role change is
part of the key, so it shows on the next page; nothing needs invalidating.

The two values that change from page to page, the CSRF token of the session and the
address the language menu returns to (`return_address`, always one GET can fetch), are
rendered as placeholders and filled in (HTML escaped) for each request.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from urllib.parse import urlsplit

from flask import g, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from bizkit.core.security import is_local_url

MAX_ENTRIES = 2048

# Random per process, so no text a user typed (a company name) can contain them.
_CSRF = f"chrome-csrf-{secrets.token_hex(8)}"
_HERE = f"chrome-here-{secrets.token_hex(8)}"
_rendered: OrderedDict[tuple, str] = OrderedDict()


def _key(section: str | None) -> tuple:
    company = g.get("company")
    membership = g.get("membership")
    return (
        str(get_locale()),
        section,
        current_user.id,
        current_user.name,
        current_user.email,
        company.id if company is not None else None,
        company.name if company is not None else None,
        membership.role if membership is not None else None,
        tuple((m.company_id, m.company.name, m.role) for m in g.get("memberships", ())),
    )


def return_address() -> str:
    """Where the language menu sends the reader back to: this page, when it can be
    fetched again with GET. A page answering a POST (a form refused with 422 at
    /settings/users/1/role) is not: then the page the form was sent from (the referrer,
    when it is this site), else the dashboard."""
    if request.method in ("GET", "HEAD"):
        return request.full_path if request.query_string else request.path
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.scheme in ("http", "https"):
        target = referrer.path + ("?" + referrer.query if referrer.query else "")
        if is_local_url(target):
            return target
    return url_for("dashboard.index")


def page_chrome() -> Markup:
    """The chrome of the current page, for the signed-in user."""
    section = request.blueprint
    if section in ("workflow", "notification_settings"):
        section = "settings"  # blueprints that live under Settings light up its link
    key = _key(section)
    html = _rendered.get(key)
    if html is not None:
        _rendered.move_to_end(key)
    else:
        html = render_template("_chrome.html", section=section, csrf=_CSRF, here=_HERE)
        _rendered[key] = html
        if len(_rendered) > MAX_ENTRIES:
            _rendered.popitem(last=False)
    here = return_address()
    # `html` is render_template's autoescaped output; Markup.replace escapes what it inserts.
    chrome = Markup(html)  # noqa: S704
    return chrome.replace(_CSRF, generate_csrf()).replace(_HERE, here)
