"""Notifications pages: the message log (filter, search, resend), a message's attempts,
the panel for the record that caused messages, and the company's settings with preview."""

from __future__ import annotations

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bizkit.core import crypto
from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render
from bizkit.core.pagination import next_page_url, requested_page_size
from bizkit.core.permissions import can, requires
from bizkit.core.reads import reads_only
from bizkit.core.tenancy import get_or_404
from bizkit.notifications import bp, settings_bp
from bizkit.notifications import operations as ops
from bizkit.notifications.forms import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    PreviewForm,
    SettingsForm,
)
from bizkit.notifications.models import STATUSES, Notification
from bizkit.notifications.templates import EVENTS, SAMPLES, render_message


@bp.app_context_processor
def _notification_globals():
    return {
        "notifications_for": _notifications_for,
        "notification_status_labels": STATUS_LABELS,
        "notification_channel_labels": CHANNEL_LABELS,
        "notification_event_labels": EVENTS,
    }


def _notifications_for(entity_type: str, entity_id: int) -> list[Notification]:
    if not can("notifications.view"):
        return []
    return ops.notifications_for(entity_type, entity_id)


def _filter_from_args() -> ops.NotificationFilter:
    return ops.NotificationFilter(
        query=request.args.get("q", "")[:200].strip(),
        status=request.args.get("status", "") if request.args.get("status") in STATUSES else "",
        channel=request.args.get("channel", "")
        if request.args.get("channel") in CHANNEL_LABELS
        else "",
        event=request.args.get("event", "") if request.args.get("event") in EVENTS else "",
    )


@bp.route("/")
@requires("notifications.view")
@reads_only
def index():
    flt = _filter_from_args()
    page = ops.search_notifications(
        flt, cursor=request.args.get("cursor"), limit=requested_page_size(ops.PAGE_SIZE)
    )
    next_url = next_page_url("notifications.index", page.next_cursor)
    fragment = (
        "notifications/_rows.html" if request.args.get("cursor") else "notifications/_results.html"
    )
    return render(
        "notifications/index.html",
        fragment,
        page=page,
        flt=flt,
        next_url=next_url,
        statuses=STATUSES,
    )


@bp.route("/<int:notification_id>")
@requires("notifications.view")
@reads_only
def detail(notification_id: int):
    notification = get_or_404(Notification, notification_id)
    return render(
        "notifications/detail.html", notification=notification, outcome_labels=OUTCOME_LABELS
    )


@bp.route("/<int:notification_id>/resend", methods=["POST"])
@requires("notifications.send")
def resend(notification_id: int):
    notification = get_or_404(Notification, notification_id)
    try:
        copy = ops.resend(current_user, notification)
    except BusinessRuleError as error:
        flash(error.message, "error")
        return render(
            "notifications/detail.html",
            notification=notification,
            outcome_labels=OUTCOME_LABELS,
            status=422,
        )
    flash(_("The message was queued again."), "success")
    return redirect(url_for("notifications.detail", notification_id=copy.id))


@bp.route("/for/<entity_type>/<int:entity_id>")
@requires("notifications.view")
@reads_only
def for_record(entity_type: str, entity_id: int):
    """The panel of one record's messages, alone (the record's page includes the same)."""
    return render(
        "notifications/_for_record.html",
        entity_type=entity_type[:20],
        entity_id=entity_id,
    )


# -- settings -----------------------------------------------------------------------------


def _settings_page(form=None, status=200):
    settings = ops.settings_of()
    form = form or SettingsForm(obj=settings)
    preview_form = PreviewForm(request.args, meta={"csrf": False})
    if not preview_form.locale.data or preview_form.locale.data not in dict(
        (c.value, c.label) for c in preview_form.locale.choices
    ):
        preview_form.locale.data = g.company.locale
    return render(
        "notifications/settings.html",
        "notifications/_settings_form.html",
        form=form,
        preview_form=preview_form,
        preview=_preview(preview_form),
        editable=can("settings.manage"),
        token_stored=bool(settings.provider_token_encrypted),
        token_readable=crypto.decrypt(settings.provider_token_encrypted) is not None,
        status=status,
    )


def _preview(form: PreviewForm):
    event = form.event.data if form.event.data in EVENTS else next(iter(EVENTS))
    settings = ops.settings_of()
    message = render_message(
        event,
        form.locale.data or g.company.locale,
        SAMPLES[event],
        company_name=settings.sender_name or g.company.name,
        zone=g.company.timezone,
        reply_to=settings.reply_to,
    )
    return {
        "event": event,
        "locale": form.locale.data or g.company.locale,
        "channel": form.channel.data or "email",
        "subject": message.subject,
        "text": message.text,
        "short": message.short,
        "html": message.html,
    }


@settings_bp.route("", methods=["GET"])
@requires("settings.view")
def edit():
    return _settings_page()


@settings_bp.route("", methods=["POST"])
@requires("settings.manage")
def update():
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            ops.update_settings(current_user, form.values())
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Notification settings saved."), "success")
            return redirect(url_for("notification_settings.edit"))
    return _settings_page(form=form, status=422)


@settings_bp.route("/preview")
@requires("settings.view")
def preview():
    return render("notifications/_preview.html", preview=_preview(_preview_form()))


def _preview_form() -> PreviewForm:
    """Which message, channel and language to preview (the company's language unless one
    BizKit speaks is asked for)."""
    form = PreviewForm(request.args, meta={"csrf": False})
    if form.locale.data not in {c.value for c in form.locale.choices}:
        form.locale.data = g.company.locale
    return form


# The e-mail's HTML as a document of its own, for the preview's sandboxed iframe. A
# srcdoc iframe inherits the page's policy (no inline style), which left the message
# unstyled; this response relaxes only style-src, runs no script (default-src 'none',
# CSP sandbox), loads nothing from elsewhere, and may be framed by BizKit's pages only.
PREVIEW_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
        "sandbox",
    ]
)


@settings_bp.route("/preview/email")
@requires("settings.view")
def preview_email():
    response = Response(_preview(_preview_form())["html"], mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response
