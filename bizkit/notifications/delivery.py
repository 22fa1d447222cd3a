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
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, text

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
from bizkit.notifications.models import PENDING, Notification, NotificationSettings
from bizkit.notifications.operations import default_settings, provider_url_rules
from bizkit.notifications.templates import render_message

log = logging.getLogger("bizkit.notifications")


@dataclass
class Outcome:
    status: str  # sent | retrying | failed | skipped
    error: str | None = None
    due_at: dt.datetime | None = None


CLAIM_SQL = text(
    """
    WITH claimed AS (
        UPDATE notification
        SET status = 'sending', claim_token = :token, claimed_at = statement_timestamp(),
            attempts = attempts + 1
        WHERE id = ANY(:ids) AND company_id = :company_id
          AND status IN ('queued', 'retrying') AND due_at <= statement_timestamp()
        RETURNING *
    ), attempt AS (
        INSERT INTO delivery_attempt (company_id, notification_id, number, started_at)
        SELECT company_id, id, attempts, statement_timestamp() FROM claimed
    )
    SELECT * FROM claimed ORDER BY id
    """
)


def claim(company_id: int, notification_ids: list[int]) -> tuple[list, str]:
    """Claim the due rows among `notification_ids` and open their attempts, in one
    statement; returns the claimed rows (maybe none) and the claim token."""
    token = secrets.token_hex(16)
    rows = db.session.execute(
        CLAIM_SQL, {"token": token, "ids": list(notification_ids), "company_id": company_id}
    ).all()
    return rows, token


RELEASE_SQL = text(
    """
    WITH released AS (
        UPDATE notification
        SET status = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'queued' END,
            claim_token = NULL, attempts = attempts - 1, due_at = statement_timestamp()
        WHERE id = ANY(:ids) AND company_id = :company_id AND claim_token = :token
        RETURNING id, attempts
    )
    DELETE FROM delivery_attempt a USING released r
    WHERE a.notification_id = r.id AND a.number = r.attempts + 1
    """
)


def backoff_seconds(attempt: int) -> float:
    config = current_app.config
    delay = config["NOTIFY_BACKOFF_SECONDS"] * 2 ** max(0, attempt - 1)
    delay = min(delay, config["NOTIFY_BACKOFF_MAX_SECONDS"])
    return delay * random.uniform(0.8, 1.2)


def _load_attachments(notification) -> list[Attachment]:
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


def channel_for(notification, settings):
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
        **provider_url_rules(),
    )


def prepare(notification, company: Company, settings) -> OutgoingMessage:
    rendered = render_message(
        notification.event,
        notification.locale,
        notification.context or {},
        company_name=settings.sender_name or company.name,
        zone=company.timezone,
        reply_to=settings.reply_to,
    )
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


def _sender(company_id: int):
    """The company and its notification settings, in one query."""
    company, settings = db.session.execute(
        select(Company, NotificationSettings)
        .outerjoin(NotificationSettings, NotificationSettings.company_id == Company.id)
        .where(Company.id == company_id)
    ).one()
    return company, settings or default_settings()


def deliver(company_id: int, notification_id: int) -> Outcome:
    """Deliver one notification if it is due and not yet delivered (see module doc)."""
    return deliver_batch(company_id, [notification_id]).get(notification_id, Outcome("skipped"))


def deliver_batch(company_id: int, notification_ids: list[int]) -> dict[int, Outcome]:
    """Deliver several notifications of one company: one claim for all of them, then each
    sent and its outcome recorded (committed) before the next. Rows not yet sent when half
    the claim lease has passed are given back, so the sweeper never takes over a claim a
    live worker still holds."""
    with company_scope(company_id):
        rows, token = claim(company_id, notification_ids)
        if not rows:
            db.session.commit()
            return {}
        company, settings = _sender(company_id)
        # Kept out of the session: each outcome's commit would expire and reload them.
        for obj in (company, settings):
            if obj in db.session:
                db.session.expunge(obj)
        db.session.commit()  # the claims stand before anything is sent
        deadline = time.monotonic() + current_app.config["NOTIFY_CLAIM_LEASE_SECONDS"] / 2
        outcomes: dict[int, Outcome] = {}
        for position, notification in enumerate(rows):
            if time.monotonic() > deadline:
                _give_back(company_id, [r.id for r in rows[position:]], token)
                break
            outcomes[notification.id] = _deliver_one(notification, token, company, settings)
        return outcomes


def _deliver_one(notification, token: str, company, settings) -> Outcome:
    provider_id = None
    subject = None
    try:
        message = prepare(notification, company, settings)
        subject = message.subject
        provider_id = channel_for(notification, settings).send(message)
        outcome = Outcome("sent")
    except DeliveryError as error:
        outcome = _failure(notification, error)
    except Exception as error:  # a bug or bad data: staff see its name, the log the rest
        log.exception("notification %s could not be prepared or sent", notification.id)
        outcome = _failure(
            notification,
            PermanentFailure(f"Internal error ({error.__class__.__name__}); see the logs."),
        )
    _record(notification, token, outcome, provider_id, subject)
    return outcome


def _give_back(company_id: int, ids: list[int], token: str) -> None:
    db.session.execute(RELEASE_SQL, {"ids": ids, "company_id": company_id, "token": token})
    db.session.commit()
    from bizkit.notifications.outbox import hand_over

    try:
        hand_over([(company_id, nid, None) for nid in ids])
    except Exception as error:  # the sweeper hands them over
        log.warning("notifications %s given back but not handed over: %s", ids, error)


def _failure(notification, error: DeliveryError) -> Outcome:
    if error.temporary and notification.attempts < notification.max_attempts:
        delay = error.retry_after
        if delay is None:
            delay = backoff_seconds(notification.attempts)
        delay = min(delay, current_app.config["NOTIFY_BACKOFF_MAX_SECONDS"])
        due_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        return Outcome("retrying", error.message, due_at)
    return Outcome("failed", error.message)


RECORD_SQL = text(
    """
    WITH recorded AS (
        UPDATE notification
        SET status = CAST(:status AS varchar), claim_token = NULL,
            last_error = CAST(:error AS text),
            subject = coalesce(CAST(:subject AS varchar), subject),
            updated_at = statement_timestamp(),
            sent_at = CASE WHEN CAST(:status AS varchar) = 'sent'
                THEN statement_timestamp() ELSE sent_at END,
            provider_id = coalesce(CAST(:provider_id AS varchar), provider_id),
            due_at = coalesce(CAST(:due_at AS timestamptz), due_at)
        WHERE id = :id AND company_id = :company_id AND status = 'sending'
          AND claim_token = :token
        RETURNING id
    ), attempt AS (
        UPDATE delivery_attempt
        SET finished_at = statement_timestamp(), outcome = :outcome,
            error = CAST(:error AS text)
        WHERE notification_id = :id AND number = :number
    )
    SELECT id FROM recorded
    """
)


def _record(notification, token: str, outcome: Outcome, provider_id, subject) -> None:
    recorded = db.session.execute(
        RECORD_SQL,
        {
            "status": outcome.status,
            "error": outcome.error,
            "subject": subject[:300] if subject else None,
            "provider_id": (provider_id or "")[:100] or None,
            "due_at": outcome.due_at,
            "id": notification.id,
            "company_id": notification.company_id,
            "token": token,
            "outcome": {"sent": "sent", "retrying": "temporary"}.get(outcome.status, "permanent"),
            "number": notification.attempts,
        },
    ).first()
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
