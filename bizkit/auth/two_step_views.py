"""Two-step sign-in over HTTP: the code after the password (/login/verify) and the
account page that sets it up, switches it off and renews the recovery codes.

Each change on the account page ends the user's other sessions (the operations change
the session fingerprint, User.session_fingerprint) and keeps this one signed in; wrong
passwords and codes there count against the user's limit (bizkit.auth.views)."""

from __future__ import annotations

import hmac
import time

import segno
from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user
from markupsafe import Markup

from bizkit.auth import bp, two_step
from bizkit.auth.current import active_memberships
from bizkit.auth.forms import ConfirmTwoStepForm, SecondStepForm
from bizkit.auth.models import User
from bizkit.auth.views import (
    PENDING,
    count_wrong_answer,
    login_ip_limit,
    login_limit,
    sign_in,
    too_many_wrong_answers,
)
from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render
from bizkit.core.permissions import login_only, no_access, public
from bizkit.extensions import db

PENDING_SECONDS = 5 * 60
"""How long the password step waits for its code; then the login starts again."""


# -- the second step of a login -------------------------------------------------------------


def _start_again(message: str | None):
    session.pop(PENDING, None)
    if message:
        flash(message, "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/verify", methods=["GET", "POST"])
@public
@login_ip_limit
@login_limit
def login_verify():
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return _start_again(None)
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return _start_again(_("Too much time has passed. Please log in again."))
    form = SecondStepForm()
    if form.validate_on_submit():
        user = db.session.get(User, pending["user_id"])
        if (
            user is None
            or not user.active
            or not user.two_step_enabled
            # The password changed (a reset) since it was given here: start again.
            or not hmac.compare_digest(pending.get("fingerprint", ""), user.session_fingerprint)
            or not (memberships := active_memberships(user))
        ):
            return _start_again(_("Please log in again."))
        try:
            used = two_step.verify(user, form.code.data)
        except BusinessRuleError as error:
            g.login_failed = True  # counts against the login rate limit
            attach_to_form(form, error)
        else:
            response = sign_in(user, pending.get("next"), session.get("locale"))
            if used == "recovery":
                two_step.record_recovery_sign_in(user, memberships)
                left = two_step.remaining_recovery_codes(user)
                flash(
                    ngettext(
                        "You signed in with a recovery code. %(num)d recovery code is left.",
                        "You signed in with a recovery code. %(num)d recovery codes are left.",
                        left,
                    ),
                    "warning",
                )
            return response
    status = 422 if request.method == "POST" else 200
    return render("auth/verify.html", form=form, status=status)


# -- the account page ----------------------------------------------------------------------


def _qr_code(uri: str) -> Markup:
    """The QR code as inline SVG: no script or style, so the CSP lets it show."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title=_("QR code for your authenticator app")
    )
    return Markup(svg)  # noqa: S704 (segno's own markup; the title is escaped by segno)


def _page(status: int = 200, headers=None, **context):
    user = current_user
    return render(
        "auth/two_step.html",
        status=status,
        headers=headers,
        remaining=two_step.remaining_recovery_codes(user) if user.two_step_enabled else None,
        disable_form=context.pop("disable_form", None) or ConfirmTwoStepForm(prefix="disable"),
        renew_form=context.pop("renew_form", None) or ConfirmTwoStepForm(prefix="renew"),
        **context,
    )


def _setup_page(secret: str, form: SecondStepForm, status: int = 200, headers=None):
    user = current_user
    return _page(
        status=status,
        headers=headers,
        setup=True,
        form=form,
        qr_code=_qr_code(two_step.provisioning_uri(user, secret)),
        key=two_step.key_in_groups(secret),
    )


def _needs_company():
    """The audit log of the company worked in records these changes: a login with no
    company left gets the page that says so."""
    return None if g.get("memberships") else no_access()


@bp.route("/account/two-step", methods=["GET"])
@login_only
def two_step_page():
    return _needs_company() or _page()


@bp.route("/account/two-step/setup", methods=["POST"])
@login_only
def two_step_setup():
    if refused := _needs_company():
        return refused
    try:
        secret = two_step.start_setup(current_user._get_current_object())
    except BusinessRuleError as error:
        flash(error.message, "error")
        return redirect(url_for("auth.two_step_page"))
    return _setup_page(secret, SecondStepForm())


@bp.route("/account/two-step/enable", methods=["POST"])
@login_only
def two_step_enable():
    if refused := _needs_company():
        return refused
    user = current_user._get_current_object()
    form = SecondStepForm()
    secret = two_step.secret_of(user)
    if user.two_step_enabled or secret is None:
        return redirect(url_for("auth.two_step_page"))
    if form.validate_on_submit():
        if limited := too_many_wrong_answers(user, form.code):
            return _setup_page(secret, form, status=429, headers=limited)
        try:
            codes = two_step.enable(user, form.code.data)
        except BusinessRuleError as error:
            count_wrong_answer(user, error)
            attach_to_form(form, error)
        else:
            login_user(user)  # this session stays; the others end
            flash(_("Two-step sign-in is on."), "success")
            return _page(recovery_codes=codes)  # shown once, on this response
    return _setup_page(secret, form, status=422)


@bp.route("/account/two-step/disable", methods=["POST"])
@login_only
def two_step_disable():
    if refused := _needs_company():
        return refused
    form = ConfirmTwoStepForm(prefix="disable")
    user = current_user._get_current_object()
    if not user.two_step_enabled:
        return redirect(url_for("auth.two_step_page"))
    if form.validate_on_submit():
        if limited := too_many_wrong_answers(user, form.password):
            return _page(status=429, headers=limited, disable_form=form)
        try:
            two_step.disable(user, form.password.data, form.code.data)
        except BusinessRuleError as error:
            count_wrong_answer(user, error)
            attach_to_form(form, error)
        else:
            login_user(user)  # this session stays; the others end
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("auth.two_step_page"))
    return _page(status=422, disable_form=form)


@bp.route("/account/two-step/recovery-codes", methods=["POST"])
@login_only
def two_step_recovery_codes():
    if refused := _needs_company():
        return refused
    form = ConfirmTwoStepForm(prefix="renew")
    user = current_user._get_current_object()
    if not user.two_step_enabled:
        return redirect(url_for("auth.two_step_page"))
    if form.validate_on_submit():
        if limited := too_many_wrong_answers(user, form.password):
            return _page(status=429, headers=limited, renew_form=form)
        try:
            codes = two_step.regenerate_recovery_codes(user, form.password.data, form.code.data)
        except BusinessRuleError as error:
            count_wrong_answer(user, error)
            attach_to_form(form, error)
        else:
            login_user(user)  # this session stays; the others end
            flash(_("New recovery codes made. The old ones no longer work."), "success")
            return _page(recovery_codes=codes)
    return _page(status=422, renew_form=form)
