"""Notification operations: write messages to the outbox, choose channel and language,
cancel reminders with their cause, resend, and the company's notification settings.

Like every operation these take the actor explicitly, flush and never commit. Each new
`Notification` is handed to RQ only after the transaction commits (bizkit.notifications.
outbox); whatever that hand-over misses, the sweeper (tasks.sweep_notifications) finds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Text, func, literal_column, select, update

from bizkit.auth.models import Membership, User
from bizkit.core import audit, crypto
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import AuditEntry, Company
from bizkit.core.pagination import Page, keyset_page
from bizkit.core.permissions import role_can
from bizkit.core.search import contains_folded
from bizkit.core.tenancy import current_company_id
from bizkit.extensions import db
from bizkit.notifications import outbox
from bizkit.notifications.channels import provider_url_problem
from bizkit.notifications.models import (
    PENDING,
    SEARCH_EXPRESSION,
    STATUSES,
    DeliveryAttempt,
    Notification,
    NotificationSettings,
)
from bizkit.notifications.templates import EVENTS, message_locale
from bizkit.settings.operations import refuse_control_characters

PAGE_SIZE = 50
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


# -- settings -----------------------------------------------------------------------------


def default_settings() -> NotificationSettings:
    """What a company that never saved its settings gets: e-mail on, SMS and WhatsApp off."""
    return NotificationSettings(
        email_enabled=True, sms_enabled=False, whatsapp_enabled=False, staff_low_stock=True
    )


def settings_of() -> NotificationSettings:
    """The current company's settings row (a transient default when none was saved yet)."""
    row = db.session.execute(select(NotificationSettings)).scalar_one_or_none()
    return row if row is not None else default_settings()


SETTINGS_FIELDS = (
    "sender_name",
    "reply_to",
    "email_enabled",
    "sms_enabled",
    "whatsapp_enabled",
    "staff_low_stock",
    "provider_base_url",
    "provider_account",
    "provider_token",
    "sms_from",
    "whatsapp_from",
)


SINGLE_LINE_FIELDS = (
    "sender_name",
    "reply_to",
    "provider_base_url",
    "provider_account",
    "provider_token",
    "sms_from",
    "whatsapp_from",
)


def _clean_settings(values: dict) -> dict:
    refuse_control_characters(values, SINGLE_LINE_FIELDS)
    clean = {}
    for key in ("sender_name", "provider_account"):
        if key in values:
            clean[key] = (values[key] or "").strip()[:100] or None
    if "reply_to" in values:
        reply_to = (values["reply_to"] or "").strip()
        if reply_to:
            try:
                reply_to = validate_email(reply_to, check_deliverability=False).normalized
            except EmailNotValidError:
                raise BusinessRuleError(
                    _("Enter a valid e-mail address."), field="reply_to"
                ) from None
        clean["reply_to"] = reply_to or None
    if "provider_base_url" in values:
        url = (values["provider_base_url"] or "").strip().rstrip("/")
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise BusinessRuleError(
                _("Enter the provider's address, e.g. https://api.twilio.com."),
                field="provider_base_url",
            )
        if url and provider_url_problem(url, **provider_url_rules()):
            raise BusinessRuleError(
                _(
                    "Enter the provider's public https address, e.g. https://api.twilio.com; "
                    "addresses inside a private network are not allowed."
                ),
                field="provider_base_url",
            )
        clean["provider_base_url"] = url[:200] or None
    for key in ("sms_from", "whatsapp_from"):
        if key in values:
            number = re.sub(r"[\s()-]", "", values[key] or "")
            if number and not PHONE.match(number):
                raise BusinessRuleError(
                    _("Enter the number with its country code, e.g. +420777123456."), field=key
                )
            clean[key] = number or None
    for key in ("email_enabled", "sms_enabled", "whatsapp_enabled", "staff_low_stock"):
        if key in values:
            clean[key] = bool(values[key])
    return clean


def provider_url_rules() -> dict:
    """What channels.provider_url_problem() lets through besides public https addresses:
    anything in development and testing (a local provider stand-in), and the hosts listed
    in NOTIFY_PROVIDER_ALLOWED_HOSTS (e.g. an internal SMS gateway)."""
    config = current_app.config
    hosts = config.get("NOTIFY_PROVIDER_ALLOWED_HOSTS") or ()
    if isinstance(hosts, str):  # "sms.internal, gw.internal:8443" from the environment
        hosts = [host.strip() for host in hosts.split(",")]
    return {
        "allow_local": config.get("BIZKIT_ENV") in ("development", "testing"),
        "allowed_hosts": tuple(host for host in hosts if host),
    }


def update_settings(actor, values: dict) -> NotificationSettings:
    """Save the company's notification settings; a blank token keeps the stored one."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise BusinessRuleError(_("Unknown field."), field=sorted(unknown)[0])
    clean = _clean_settings(values)
    row = settings_of()
    if row.id is None:
        db.session.add(row)
    for key, value in clean.items():
        setattr(row, key, value)
    token = (values.get("provider_token") or "").strip()
    if token:
        row.provider_token_encrypted = crypto.encrypt(token)
    if row.sms_enabled or row.whatsapp_enabled:
        missing = [
            key for key in ("provider_base_url", "provider_account") if not getattr(row, key)
        ]
        if not row.provider_token_encrypted:
            missing.append("provider_token")
        if row.sms_enabled and not row.sms_from:
            missing.append("sms_from")
        if row.whatsapp_enabled and not row.whatsapp_from:
            missing.append("whatsapp_from")
        if missing:
            raise BusinessRuleError(_("Needed to send SMS or WhatsApp messages."), field=missing[0])
    changes = audit.pending_changes(row)
    if token:
        changes["provider_token"] = ["***", "***"]
    changes.pop("provider_token_encrypted", None)
    db.session.flush()
    if changes:
        audit.record(actor, "notifications.settings", row, changes, label=_("Notifications"))
    return row


# -- writing to the outbox ----------------------------------------------------------------


def queue_notification(
    actor,
    *,
    event: str,
    channel: str,
    recipient: str,
    locale: str,
    context: dict,
    recipient_name: str | None = None,
    customer_id: int | None = None,
    user_id: int | None = None,
    entity=None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    send_at: dt.datetime | None = None,
    attachments: list | None = None,
) -> Notification:
    """Write one message to the outbox in the caller's transaction; handed to RQ on commit."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    if entity is not None:
        entity_type = getattr(entity, "WORKFLOW_ENTITY", None) or type(entity).__name__.lower()
        entity_id = entity.id
    notification = Notification(
        event=event,
        channel=channel,
        recipient=recipient,
        recipient_name=recipient_name,
        locale=message_locale(locale),
        context=context,
        customer_id=customer_id,
        user_id=user_id,
        entity_type=entity_type,
        entity_id=entity_id,
        attachments=attachments or [],
        send_at=send_at,
        due_at=send_at or func.now(),
        status="queued",
        attempts=0,
        max_attempts=current_app.config["NOTIFY_MAX_ATTEMPTS"],
    )
    db.session.add(notification)
    db.session.flush()
    outbox.hand_over_after_commit(notification.company_id, notification.id, send_at)
    return notification


def customer_channel(customer, settings: NotificationSettings) -> tuple[str, str] | None:
    """(channel, address) to reach a customer: e-mail first, then WhatsApp, then SMS."""
    if customer is None or customer.erased_at is not None:
        return None
    if settings.email_enabled and customer.email:
        return "email", customer.email
    if customer.phone:
        if settings.whatsapp_enabled:
            return "whatsapp", customer.phone
        if settings.sms_enabled:
            return "sms", customer.phone
    return None


def notify_customer(
    actor, customer, event: str, context: dict, *, entity=None, send_at=None, attachments=None
) -> Notification | None:
    """Queue `event` for a customer in their language (else the company's); None when the
    customer cannot be reached (a walk-in, no contact data, or the channel is off)."""
    if customer is None:  # a walk-in: nobody to reach, whatever the settings
        return None
    reach = customer_channel(customer, settings_of())
    if reach is None:
        return None
    channel, address = reach
    company = db.session.get(Company, current_company_id())
    return queue_notification(
        actor,
        event=event,
        channel=channel,
        recipient=address,
        recipient_name=customer.name,
        locale=message_locale(customer.locale, company.locale),
        context={"customer_name": customer.name, **context},
        customer_id=customer.id,
        entity=entity,
        send_at=send_at,
        attachments=attachments,
    )


def notify_staff(actor, event: str, context: dict, *, permission: str, entity=None) -> list:
    """Queue `event` by e-mail to every active member whose role holds `permission`."""
    company = db.session.get(Company, current_company_id())
    members = db.session.execute(
        select(Membership.role, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.active.is_(True), User.active.is_(True))
    ).all()
    queued = []
    for role, user in members:
        if not role_can(role, permission):
            continue
        queued.append(
            queue_notification(
                actor,
                event=event,
                channel="email",
                recipient=user.email,
                recipient_name=user.name,
                locale=message_locale(user.locale, company.locale),
                context=context,
                user_id=user.id,
                entity=entity,
            )
        )
    return queued


def cancel_scheduled(actor, entity_type: str, entity_id: int, reason: str) -> int:
    """Cancel the not-yet-sent scheduled messages (reminders) of a cancelled record."""
    cancelled = db.session.execute(
        update(Notification)
        .where(
            Notification.entity_type == entity_type,
            Notification.entity_id == entity_id,
            Notification.send_at.is_not(None),
            Notification.status.in_(PENDING),
        )
        .values(status="cancelled", cancel_reason=reason[:200], updated_at=func.now())
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    ).all()
    for (notification_id,) in cancelled:
        audit.record(
            actor,
            "notification.cancel",
            None,
            {"notification": [None, notification_id], "reason": [None, reason]},
        )
    return len(cancelled)


def _channel_off_message(channel: str) -> str:
    return {
        "email": _("Sending e-mails is switched off in the notification settings."),
        "sms": _("Sending SMS is switched off in the notification settings."),
        "whatsapp": _("Sending WhatsApp messages is switched off in the notification settings."),
    }[channel]


def current_contact(notification: Notification) -> tuple[str, str | None]:
    """(address, name) to send `notification` to again: the customer's or staff member's
    contact for its channel as it is now, not as it was. A BusinessRuleError when the
    channel is off now, or the person has no contact for it any more, or was erased."""
    from bizkit.customers.models import Customer

    channel = notification.channel
    # Staff messages go out whatever the customer channels say (notify_staff).
    if channel in ("email", "sms", "whatsapp") and notification.user_id is None:
        settings = settings_of()
        if not getattr(settings, f"{channel}_enabled"):
            raise BusinessRuleError(_channel_off_message(channel))
    customer = (
        db.session.get(Customer, notification.customer_id) if notification.customer_id else None
    )
    if customer is not None:
        if customer.erased_at is not None:
            raise BusinessRuleError(_("The recipient's personal data was erased."))
        if channel == "email":
            if not customer.email:
                raise BusinessRuleError(_("The customer has no e-mail address any more."))
            return customer.email, customer.name
        if channel in ("sms", "whatsapp"):
            if not customer.phone:
                raise BusinessRuleError(_("The customer has no phone number any more."))
            return customer.phone, customer.name
    user = db.session.get(User, notification.user_id) if notification.user_id else None
    if user is not None and channel == "email":
        return user.email, user.name
    return notification.recipient, notification.recipient_name


def resend(actor, notification: Notification) -> Notification:
    """Send a finished message again as a new notification (the original stays as it was),
    to the recipient's contact for that channel as it is now (see current_contact)."""
    if notification.status not in ("sent", "failed", "cancelled"):
        raise BusinessRuleError(
            _("This message is still on its way; it can be sent again once it has finished.")
        )
    if notification.recipient == ERASED_RECIPIENT:
        raise BusinessRuleError(_("The recipient's personal data was erased."))
    recipient, recipient_name = current_contact(notification)
    copy = queue_notification(
        actor,
        event=notification.event,
        channel=notification.channel,
        recipient=recipient,
        recipient_name=recipient_name,
        locale=notification.locale,
        context=notification.context,
        customer_id=notification.customer_id,
        user_id=notification.user_id,
        entity_type=notification.entity_type,
        entity_id=notification.entity_id,
        attachments=notification.attachments,
    )
    copy.resent_from_id = notification.id
    audit.record(
        actor,
        "notification.resend",
        copy,
        {"resent_from": [None, notification.id]},
        label=recipient,
    )
    db.session.flush()
    return copy


# -- reading ------------------------------------------------------------------------------


@dataclass
class NotificationFilter:
    query: str = ""
    status: str = ""
    channel: str = ""
    event: str = ""


def search_conditions(query: str) -> list:
    """Accent- and case-insensitive ("zolkiewski" finds "Żółkiewski"): each word anywhere
    in address, name or subject, served by ix_notification_company_search."""
    folded = literal_column(SEARCH_EXPRESSION, Text())
    return [contains_folded(folded, term) for term in query.split()[:6]]


def search_notifications(flt: NotificationFilter, cursor=None, limit=PAGE_SIZE) -> Page:
    stmt = select(Notification)
    if flt.status in STATUSES:
        stmt = stmt.where(Notification.status == flt.status)
    if flt.channel:
        stmt = stmt.where(Notification.channel == flt.channel)
    if flt.event in EVENTS:
        stmt = stmt.where(Notification.event == flt.event)
    stmt = stmt.where(*search_conditions(flt.query))
    return keyset_page(
        stmt,
        [Notification.id],
        cursor,
        limit,
        key=lambda n: [n.id],
        parse=lambda v: [int(v[0])],
    )


def notifications_for(entity_type: str, entity_id: int, limit: int = 20) -> list[Notification]:
    """The messages a record caused, newest first (the panel on an order, later invoices)."""
    return list(
        db.session.execute(
            select(Notification)
            .where(Notification.entity_type == entity_type, Notification.entity_id == entity_id)
            .order_by(Notification.id.desc())
            .limit(limit)
            .execution_options(plan_stable=True)  # one record's, by an index: see core.plans
        ).scalars()
    )


# --- a customer's personal data (GDPR: bizkit.customers.operations) ---------------------

ERASED_RECIPIENT = "—"


def customer_messages(customer) -> tuple[str, list[dict]]:
    """The messages sent (or to be sent) to `customer`, for their data export."""
    rows = db.session.execute(
        select(Notification)
        .where(Notification.customer_id == customer.id)
        .order_by(Notification.id)
        .limit(10_000)
    ).scalars()
    return "messages", [
        {
            "at": n.created_at,
            "sent_at": n.sent_at,
            "channel": n.channel,
            "event": n.event,
            "recipient": n.recipient,
            "subject": n.subject,
            "status": n.status,
        }
        for n in rows
    ]


def erase_customer_messages(actor, customer) -> None:
    """Cancel what is still to be sent to an erased customer and strip their address,
    name and message details from every message to them; the log keeps that a message
    of that kind was sent when, and how delivery went."""
    reason = _("The customer's personal data was erased.")
    erased = {Notification.customer_id == customer.id}
    db.session.execute(
        update(Notification)
        .where(*erased, Notification.status.in_(PENDING))
        .values(status="cancelled", cancel_reason=reason[:200])
        .execution_options(synchronize_session=False)
    )
    ids = select(Notification.id).where(*erased).scalar_subquery()
    # A resend is audited under the recipient's address (resend() above).
    db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.entity_type == "Notification", AuditEntry.entity_id.in_(ids))
        .values(entity_label=ERASED_RECIPIENT)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.notification_id.in_(ids), DeliveryAttempt.error.is_not(None))
        .values(error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Notification)
        .where(*erased)
        .values(
            recipient=ERASED_RECIPIENT,
            recipient_name=None,
            subject=None,
            context={},
            last_error=None,
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )
