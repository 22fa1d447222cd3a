"""Delivering one notification exactly once: claim it, send it, record the outcome.

1. **Claim** with one conditional UPDATE (status queued/retrying and due → sending, a
   fresh claim token, attempts + 1) and an attempt row, committed before any sending.
   A second worker holding a duplicate job finds nothing to claim, and a `sent` row can
   never be claimed again: that is the idempotency by notification id.
2. **Send** through the channel.
3. **Record** the outcome with an UPDATE conditional on the claim token: `sent`;
   `retrying` with the next time (exponential backoff with jitter, or the provider's
   Retry-After) for a temporary failure with attempts left; `failed` otherwise.

A worker that dies between 1 and 3 leaves the row `sending`; the sweeper takes it back
after the claim lease (longer than any send can take) and it is tried again.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from bizkit.core.models import Company
from bizkit.core.tenancy import company_scope
from bizkit.extensions import db
from bizkit.notifications import channels
from bizkit.notifications.channels import (
    Attachment,
    ConsoleChannel,
    DeliveryError,
    OutgoingMessage,
    PermanentFailure,
    ProviderChannel,
    SmtpChannel,
)
from bizkit.notifications.models import PENDING, DeliveryAttempt, Notification
from bizkit.notifications.operations import settings_of
from bizkit.notifications.templates import render_message

log = logging.getLogger("bizkit.notifications")


@dataclass
class Outcome:
    status: str  # sent | retrying | failed | skipped
    error: str | None = None
    due_at: dt.datetime | None = None


def claim(notification_id: int) -> tuple[Notification, str] | None:
    token = secrets.token_hex(16)
    row = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status.in_(PENDING),
            Notification.due_at <= func.statement_timestamp(),
        )
        .values(
            status="sending",
            claim_token=token,
            claimed_at=func.statement_timestamp(),
            attempts=Notification.attempts + 1,
        )
        .returning(Notification.attempts),
        execution_options={"synchronize_session": False},
    ).first()
    if row is None:
        db.session.commit()
        return None
    db.session.add(DeliveryAttempt(notification_id=notification_id, number=row.attempts))
    db.session.commit()
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    return notification, token


def backoff_seconds(attempt: int) -> float:
    config = current_app.config
    delay = config["NOTIFY_BACKOFF_SECONDS"] * 2 ** max(0, attempt - 1)
    delay = min(delay, config["NOTIFY_BACKOFF_MAX_SECONDS"])
    return delay * random.uniform(0.8, 1.2)


def _load_attachments(notification: Notification) -> list[Attachment]:
    root = Path(current_app.config["BIZKIT_STORAGE_DIR"]).resolve()
    files = []
    for item in notification.attachments or []:
        path = (root / item["path"]).resolve()
        if root not in path.parents:
            raise PermanentFailure("Attachment outside the storage directory.")
        try:
            data = path.read_bytes()
        except OSError:
            raise PermanentFailure(f"Attachment {item.get('filename')} is missing.") from None
        files.append(
            Attachment(item["filename"], item.get("content_type", "application/octet-stream"), data)
        )
    return files


def channel_for(notification: Notification, settings):
    config = current_app.config
    if config["NOTIFY_BACKEND"] == "console" or notification.channel == "console":
        return ConsoleChannel()
    timeout = config["NOTIFY_SEND_TIMEOUT_SECONDS"]
    if notification.channel == "email":
        return SmtpChannel(
            config["MAIL_HOST"],
            config["MAIL_PORT"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            use_tls=config["MAIL_USE_TLS"],
            sender=config["MAIL_DEFAULT_SENDER"],
            timeout=timeout,
        )
    from bizkit.core import crypto

    return ProviderChannel(
        notification.channel,
        settings.provider_base_url,
        settings.provider_account,
        crypto.decrypt(settings.provider_token_encrypted),
        settings.whatsapp_from if notification.channel == "whatsapp" else settings.sms_from,
        timeout,
    )


def prepare(notification: Notification, company: Company, settings) -> OutgoingMessage:
    rendered = render_message(
        notification.event,
        notification.locale,
        notification.context or {},
        company_name=settings.sender_name or company.name,
        zone=company.timezone,
        reply_to=settings.reply_to,
    )
    notification.subject = rendered.subject[:300]
    return OutgoingMessage(
        notification_id=notification.id,
        channel=notification.channel,
        to=notification.recipient,
        to_name=notification.recipient_name,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        short=rendered.short,
        from_name=settings.sender_name or company.name,
        reply_to=settings.reply_to,
        locale=notification.locale,
        attachments=_load_attachments(notification),
    )


def deliver(company_id: int, notification_id: int) -> Outcome:
    """Deliver one notification if it is due and not yet delivered (see module doc)."""
    with company_scope(company_id):
        claimed = claim(notification_id)
        if claimed is None:
            return Outcome("skipped")
        notification, token = claimed
        provider_id = None
        try:
            company = db.session.get(Company, company_id)
            settings = settings_of()
            message = prepare(notification, company, settings)
            provider_id = channel_for(notification, settings).send(message)
            outcome = Outcome("sent")
        except DeliveryError as error:
            outcome = _failure(notification, error)
        except Exception as error:  # a bug or bad data: staff see its name, logs the rest
            log.exception("notification %s could not be prepared or sent", notification_id)
            outcome = _failure(
                notification,
                PermanentFailure(f"Internal error ({error.__class__.__name__}); see the logs."),
            )
        _record(notification, token, outcome, provider_id)
        return outcome


def _failure(notification: Notification, error: DeliveryError) -> Outcome:
    if error.temporary and notification.attempts < notification.max_attempts:
        delay = error.retry_after
        if delay is None:
            delay = backoff_seconds(notification.attempts)
        delay = min(delay, current_app.config["NOTIFY_BACKOFF_MAX_SECONDS"])
        due_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        return Outcome("retrying", error.message, due_at)
    return Outcome("failed", error.message)


def _record(notification: Notification, token: str, outcome: Outcome, provider_id) -> None:
    values = {
        "status": outcome.status,
        "claim_token": None,
        "last_error": outcome.error,
        "subject": notification.subject,
        "updated_at": func.now(),
    }
    if outcome.status == "sent":
        values.update(sent_at=func.now(), provider_id=(provider_id or "")[:100] or None)
    if outcome.due_at is not None:
        values["due_at"] = outcome.due_at
    db.session.expunge(notification)
    recorded = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification.id,
            Notification.status == "sending",
            Notification.claim_token == token,
        )
        .values(**values)
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    ).first()
    db.session.execute(
        update(DeliveryAttempt)
        .where(
            DeliveryAttempt.notification_id == notification.id,
            DeliveryAttempt.number == notification.attempts,
        )
        .values(
            finished_at=func.now(),
            outcome={"sent": "sent", "retrying": "temporary"}.get(outcome.status, "permanent"),
            error=outcome.error,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if recorded is None:
        log.warning(
            "notification %s was taken back before its outcome was recorded", notification.id
        )
    elif outcome.status == "retrying":
        from bizkit.notifications.outbox import hand_over

        try:
            hand_over([(notification.company_id, notification.id, outcome.due_at)])
        except Exception as error:  # Redis away: the sweeper enqueues it when due
            log.warning("retry of notification %s not scheduled: %s", notification.id, error)


def pending_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(Notification).where(Notification.status.in_(PENDING))
    ).scalar_one()


__all__ = ["channels", "claim", "deliver"]
