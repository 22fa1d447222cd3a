"""Login, logout, switching company and language, changing one's password."""

from __future__ import annotations

import logging
import math
import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from limits import RateLimitItem, parse
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from bizkit.auth import bp, identity
from bizkit.auth import operations as ops
from bizkit.auth.current import SESSION_COMPANY, active_memberships, rotate_csrf
from bizkit.auth.forms import ChangePasswordForm, LanguageForm, LoginForm
from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render
from bizkit.core.permissions import login_only, public
from bizkit.core.security import is_local_url
from bizkit.extensions import limiter

log = logging.getLogger(__name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_ip_limit() -> str:
    return current_app.config["LOGIN_IP_RATE_LIMIT"]


def _failed_login(_response) -> bool:
    return bool(g.get("login_failed"))


def _ip_email_key() -> str:
    """Failed tries count per address and e-mail: someone mistyping (or guessing) other
    e-mails from an office, or from behind a proxy all users share, does not lock the
    others out. The second step counts against the same e-mail: the one whose password
    was given (bizkit.auth.two_step_views)."""
    if request.endpoint == "auth.login_verify":
        email = (session.get(PENDING) or {}).get("email", "")
    else:
        email = ops.normalise_email(request.form.get("email", ""))
    return f"login-ip-email:{get_remote_address() or ''}:{email}"


def _ip_key() -> str:
    return "login-ip:" + (get_remote_address() or "")


PENDING = "two_step_pending"
"""A login waiting for its second step: the user id, e-mail, when the password was
given, the password's fingerprint and where to go next. Nothing in it signs anyone in."""

# The limits are shared by the password and the second step (scope, not the endpoint,
# names the counter): a wrong code costs a try as a wrong password does.
login_ip_limit = limiter.shared_limit(
    _login_ip_limit, "login-ip", key_func=_ip_key, methods=["POST"], deduct_when=_failed_login
)
login_limit = limiter.shared_limit(
    _login_limit,
    "login-ip-email",
    key_func=_ip_email_key,
    methods=["POST"],
    deduct_when=_failed_login,
)


# -- wrong passwords and codes on the account pages ------------------------------------------
# Changing the password and switching two-step sign-in on or off, or new recovery codes,
# ask for the password or a code: someone holding a stolen session could otherwise guess
# them there without end. Wrong answers count per signed-in session (its id, given at
# login and signed into the cookie, so a thief cannot make another without the password
# and the code): a stolen session gets as few tries as a per-user count would give it,
# and cannot lock the user's own sessions out of their account for the window. The
# login's limit (LOGIN_RATE_LIMIT), with the login limiter's storage and strategy;
# checked by the views themselves, not by a decorator, so that the refusal is the form
# again with the message next to its field.

WRONG_ANSWER_FIELDS = frozenset({"current_password", "password", "code"})
"""The fields a BusinessRuleError names when the password or the code was not right."""


def _account_check(user) -> tuple[RateLimitItem, tuple[str, ...]]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    # Every signed-in request has a session id (bizkit.auth.current signs out a session
    # begun before ids existed).
    session_id = session.get(identity.SESSION_ID) or ""
    keys = (prefix, "account-check", str(user.id), session_id)
    return parse(current_app.config["LOGIN_RATE_LIMIT"]), keys


def too_many_wrong_answers(user, field) -> dict[str, str] | None:
    """When the user's wrong answers used up the limit: the message is put next to
    `field` (a form field) and the headers of the 429 to answer with are returned;
    nothing is to be checked or changed then. None while tries are left."""
    if not limiter.enabled:
        return None
    item, keys = _account_check(user)
    try:
        if limiter.limiter.test(item, *keys):
            return None
        reset_at, _left = limiter.limiter.get_window_stats(item, *keys)
    except Exception:  # as RATELIMIT_SWALLOW_ERRORS does for the login: Redis is away
        log.exception("account-check limit not read")
        return None
    seconds = max(1, math.ceil(reset_at - time.time()))
    minutes = max(1, math.ceil(seconds / 60))
    field.errors = [
        *field.errors,
        ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            minutes,
        ),
    ]
    return {"Retry-After": str(seconds)}


def count_wrong_answer(user, error: BusinessRuleError) -> None:
    """Count the refusal against the user's limit when it says the password or the code
    was not right (a new password too short, say, costs nothing)."""
    if error.field not in WRONG_ANSWER_FIELDS or not limiter.enabled:
        return
    item, keys = _account_check(user)
    try:
        limiter.limiter.hit(item, *keys)
    except Exception:  # as above
        log.exception("account-check limit not counted")


# -- signing in ------------------------------------------------------------------------------


def sign_in(user, target: str | None, chosen_locale: str | None):
    """Start the user's session: the end of a login, with or without a second step."""
    session.clear()  # a fresh session on login: no fixation, a fresh CSRF secret
    session[identity.SESSION_ID] = identity.new_session_id()
    ops.record_login(user)
    login_user(user)  # the cookie keeps the password's fingerprint (User.get_id)
    if user.locale or chosen_locale:
        session["locale"] = user.locale or chosen_locale
    if user.must_change_password:
        flash(_("Please choose your own password now."), "info")
        return redirect(url_for("auth.change_password"))
    return redirect(target if is_local_url(target) else url_for("dashboard.index"))


def _ask_for_second_step(user, target: str | None, chosen_locale: str | None):
    session.clear()  # nobody is signed in while the code is asked for
    session[PENDING] = {
        "user_id": user.id,
        "email": user.email,
        "at": int(time.time()),
        "fingerprint": user.session_fingerprint,
        "next": target if is_local_url(target) else "",
    }
    if chosen_locale:
        session["locale"] = chosen_locale
    return redirect(url_for("auth.login_verify"))


# The remote address is the client's only when BIZKIT_PROXY_HOPS says how many proxies
# stand in front (bizkit.config, bizkit.core.security.trust_proxies).
@bp.route("/login", methods=["GET", "POST"])
@public
@login_ip_limit
@login_limit
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = ops.authenticate(form.email.data, form.password.data)
        if user is None:
            g.login_failed = True
            form.form_errors.append(_("Wrong e-mail or password."))
        elif not active_memberships(user):
            g.login_failed = True
            form.form_errors.append(_("Your account has no access to any company."))
        elif user.two_step_enabled:
            return _ask_for_second_step(user, form.next.data, session.get("locale"))
        else:
            return sign_in(user, form.next.data, session.get("locale"))
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", form=form, status=status)


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    if request.method == "GET":
        # A bookmarked /logout asks first: logging out is a POST, protected by CSRF.
        return render("auth/logout.html")
    identity.revoke_session(session.get(identity.SESSION_ID))  # a copied cookie ends too
    logout_user()
    session.clear()  # and with it the CSRF secret: pages rendered before cannot post
    flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/switch-company", methods=["POST"])
@login_only
def switch_company():
    try:
        wanted = int(request.form.get("company_id", ""))
    except ValueError:
        wanted = None
    memberships = {m.company_id: m for m in g.memberships}
    if wanted not in memberships:
        return render(
            "errors/error.html",
            status=404,
            title=_("Not found"),
            detail=_("You are not a member of that company."),
        )
    session[SESSION_COMPANY] = wanted
    rotate_csrf()  # every page rendered for the other company can no longer post
    flash(_("Now working in %(name)s.", name=memberships[wanted].company.name), "success")
    return redirect(url_for("dashboard.index"))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            ops.set_preferred_locale(current_user, form.locale.data)
    target = form.next.data or request.referrer or ""
    if not is_local_url(target) or not _fetchable(target):
        target = url_for("dashboard.index")
    return redirect(target)


def _fetchable(path: str) -> bool:
    """Whether a GET of this local path reaches a page (not a POST-only address: 405)."""
    adapter = current_app.url_map.bind(request.host, script_name=request.script_root)
    try:
        adapter.match(urlsplit(path).path, method="GET")
    except MethodNotAllowed:
        return False
    except HTTPException:  # a redirect, a 404: what the page asked for, as before
        return True
    return True


@bp.route("/account/password", methods=["GET", "POST"])
@login_only
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if limited := too_many_wrong_answers(user, form.current_password):
            return render("auth/password.html", form=form, status=429, headers=limited)
        try:
            ops.change_password(user, form.current_password.data, form.new_password.data)
        except BusinessRuleError as error:
            count_wrong_answer(user, error)
            attach_to_form(form, error)
        else:
            login_user(user)  # this session stays; others end
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("dashboard.index"))
    status = 422 if request.method == "POST" else 200
    return render("auth/password.html", form=form, status=status)
