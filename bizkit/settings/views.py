"""Settings: the company profile, users and roles, the audit log."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from bizkit.auth import operations as auth_ops
from bizkit.auth.forms import ResetPasswordForm
from bizkit.auth.models import Membership, User
from bizkit.core import audit, audit_labels
from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.forms import choices
from bizkit.core.htmx import render
from bizkit.core.pagination import next_page_url
from bizkit.core.params import parse_id
from bizkit.core.permissions import can, requires
from bizkit.core.reads import reads_only
from bizkit.core.search import sort_name
from bizkit.core.tenancy import get_or_404
from bizkit.extensions import db
from bizkit.settings import bp
from bizkit.settings import operations as ops
from bizkit.settings.forms import AddUserForm, AuditFilterForm, CompanyForm, RoleForm


@bp.route("/")
@requires("settings.view")
def index():
    return redirect(url_for("settings.company"))


@bp.route("/company", methods=["GET"])
@requires("settings.view")
def company():
    form = CompanyForm(obj=g.company, current_currency=g.company.currency)
    return render("settings/company.html", form=form, editable=can("settings.manage"))


@bp.route("/company", methods=["POST"])
@requires("settings.manage")
def update_company():
    form = CompanyForm(current_currency=g.company.currency)
    if form.validate_on_submit():
        values = {name: form[name].data for name in ops.PROFILE_FIELDS}
        try:
            ops.update_company(current_user, g.company, values)
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Company settings saved."), "success")
            return redirect(url_for("settings.company"))
    return render(
        "settings/company.html", "settings/_company_form.html", form=form, editable=True, status=422
    )


def _members() -> list[Membership]:
    return list(
        db.session.execute(
            select(Membership)
            .join(Membership.user)
            .order_by(Membership.active.desc(), sort_name(User.name), User.id)
        ).scalars()
    )


def _users_page(
    add_form=None, status=200, new_password=None, new_user=None, reset=None, reset_form=None
):
    return render(
        "settings/users.html",
        "settings/_users.html",
        members=_members(),
        add_form=add_form or AddUserForm(),
        role_form=RoleForm(),
        new_password=new_password,
        new_user=new_user,
        reset=reset,
        reset_form=reset_form,
        # A reset changes the login everywhere: say so, without saying where.
        reset_elsewhere=reset is not None and auth_ops.has_other_companies(reset),
        acting_as_owner=g.membership.role == "owner",
        status=status,
    )


@bp.route("/users", methods=["GET"])
@requires("users.manage")
def users():
    return _users_page()


@bp.route("/users", methods=["POST"])
@requires("users.manage")
def add_user():
    form = AddUserForm()
    if form.validate_on_submit():
        try:
            membership, password = auth_ops.invite_user(
                current_user, form.email.data, form.name.data, form.role.data
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(
                _(
                    "%(email)s can now sign in to %(company)s.",
                    email=membership.user.email,
                    company=g.company.name,
                ),
                "success",
            )
            # The one-time password is shown once, on this response, and never stored in clear.
            return _users_page(new_password=password, new_user=membership.user)
    return _users_page(add_form=form, status=422)


@bp.route("/users/<int:membership_id>/role", methods=["POST"])
@requires("users.manage")
def change_role(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Unknown role."), "error")
        return _users_page(status=422)
    try:
        auth_ops.change_role(current_user, membership, form.role.data)
    except BusinessRuleError as error:
        flash(error.message, "error")
        return _users_page(status=422)
    flash(_("Role of %(email)s changed.", email=membership.user.email), "success")
    return redirect(url_for("settings.users"))


@bp.route("/users/<int:membership_id>/deactivate", methods=["POST"])
@requires("users.manage")
def deactivate_user(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    try:
        auth_ops.deactivate_member(current_user, membership)
    except BusinessRuleError as error:
        flash(error.message, "error")
        return _users_page(status=422)
    flash(_("%(email)s no longer has access.", email=membership.user.email), "success")
    return redirect(url_for("settings.users"))


@bp.route("/users/<int:membership_id>/reactivate", methods=["POST"])
@requires("users.manage")
def reactivate_user(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    try:
        auth_ops.reactivate_member(current_user, membership)
    except BusinessRuleError as error:
        flash(error.message, "error")
        return _users_page(status=422)
    flash(_("%(email)s has access again.", email=membership.user.email), "success")
    return redirect(url_for("settings.users"))


@bp.route("/users/<int:membership_id>/reset-password", methods=["GET"])
@requires("users.manage")
def confirm_reset_password(membership_id: int):
    """Ask first, and say what a reset does (the member's sessions end, everywhere)."""
    membership = get_or_404(Membership, membership_id)
    return _users_page(reset=membership, reset_form=ResetPasswordForm())


@bp.route("/users/<int:membership_id>/reset-password", methods=["POST"])
@requires("users.manage")
def reset_password(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password = auth_ops.reset_password(
                current_user,
                membership,
                switch_off_two_step=form.switch_off_two_step.data,
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(
                _(
                    "The password of %(email)s was reset and their sessions have ended.",
                    email=membership.user.email,
                ),
                "success",
            )
            # Shown once, as for a person just added; never stored in clear.
            return _users_page(new_password=password, new_user=membership.user)
    return _users_page(reset=membership, reset_form=form, status=422)


def _local_midnight_utc(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the company's time zone, in UTC; a day at the end of the
    calendar (0001-01-01, 9999-12-31 from a date picker) is clamped to the UTC range."""
    zone = ZoneInfo(g.company.timezone)
    try:
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.UTC)
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC) if day.year == 1 else _END_OF_TIME


_END_OF_TIME = dt.datetime.max.replace(tzinfo=dt.UTC)


def _day_after(day: dt.date) -> dt.datetime:
    """The end of `day` (the next local midnight), for "until" filters."""
    if day == dt.date.max:
        return _END_OF_TIME
    return _local_midnight_utc(day + dt.timedelta(days=1))


@bp.route("/audit")
@requires("audit.view")
@reads_only
def audit_log():
    form = AuditFilterForm(request.args)
    members = _members()
    form.actor.choices = choices(
        [("", _("Anyone"))] + [(str(m.user_id), m.user.name) for m in members]
    )
    form.action.choices = choices([("", _("Any action")), *audit_labels.action_choices()])
    form.entity_type.choices = choices([("", _("Any record")), *audit_labels.record_type_choices()])
    form.validate()
    actor_id = parse_id(form.actor.data)
    action = (form.action.data or "")[:64]
    page = audit.list_entries(
        action=audit_labels.action_prefixes(action) if action else None,
        entity_type=(form.entity_type.data or "")[:64] or None,
        actor_id=actor_id,
        since=_local_midnight_utc(form.since.data) if form.since.data else None,
        until=_day_after(form.until.data) if form.until.data else None,
        cursor=request.args.get("cursor"),
    )
    next_url = next_page_url("settings.audit_log", page.next_cursor)
    fragment = (
        "settings/_audit_more.html" if request.args.get("cursor") else "settings/_audit_table.html"
    )
    return render(
        "settings/audit.html",
        fragment,
        form=form,
        page=page,
        next_url=next_url,
        audit_labels=audit_labels,
    )
