"""RQ jobs of the notifications module: take ids, idempotent, safe to run twice.

The sweeper runs every 30 seconds from RQ's cron scheduler (`rq cron
bizkit.cron`, a process in the Procfile) on the `notifications` queue.
Retries and `send_at` use RQ's scheduler (`rq worker --with-scheduler`) for the exact
time; the sweeper is the safety net that makes the database, not Redis, the truth.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import case, func, text, update

from bizkit.extensions import db
from bizkit.notifications import delivery
from bizkit.notifications.models import DeliveryAttempt, Notification

log = logging.getLogger("bizkit.notifications")
SWEEP_BATCH = 1000


def deliver(company_id: int, notification_id: int) -> str:
    """Deliver one notification if it is still due (a duplicate job does nothing)."""
    return delivery.deliver(company_id, notification_id).status


def deliver_batch(company_id: int, notification_ids: list[int]) -> dict:
    """Deliver several notifications of one company (what the outbox enqueues)."""
    outcomes = delivery.deliver_batch(company_id, notification_ids)
    return {nid: outcome.status for nid, outcome in outcomes.items()}


def sweep_notifications() -> dict:
    """Take back deliveries whose worker died, and hand over every message still waiting
    a minute after it was due (Redis was down at commit, a scheduled job was lost, the
    worker was away at the time of a reminder): nothing is lost, nothing is dropped."""
    config = current_app.config
    lease = config["NOTIFY_CLAIM_LEASE_SECONDS"]
    grace = config["NOTIFY_SWEEP_AFTER_SECONDS"]
    everyone = {"all_companies": True, "synchronize_session": False}
    interrupted = db.session.execute(
        update(Notification)
        .where(
            Notification.status == "sending",
            Notification.claimed_at
            < func.statement_timestamp() - text(f"interval '{int(lease)} seconds'"),
        )
        .values(
            status=case(
                (Notification.attempts >= Notification.max_attempts, "failed"), else_="retrying"
            ),
            claim_token=None,
            due_at=func.now(),
            last_error="Interrupted: the worker stopped while sending.",
            updated_at=func.now(),
        )
        .returning(Notification.company_id, Notification.id, Notification.status),
        execution_options=everyone,
    ).all()
    if interrupted:
        db.session.execute(
            update(DeliveryAttempt)
            .where(
                DeliveryAttempt.notification_id.in_([row.id for row in interrupted]),
                DeliveryAttempt.outcome.is_(None),
            )
            .values(outcome="interrupted", finished_at=func.now(), error="Worker stopped.")
            .execution_options(**everyone)
        )
    # Bumping due_at hands a row over at most once per grace period while no worker runs.
    waiting = db.session.execute(
        update(Notification)
        .where(
            Notification.id.in_(
                db.select(Notification.id)
                .where(
                    Notification.status.in_(("queued", "retrying")),
                    Notification.due_at
                    <= func.statement_timestamp() - text(f"interval '{int(grace)} seconds'"),
                )
                .order_by(Notification.due_at)
                .limit(SWEEP_BATCH)
                .scalar_subquery()
            )
        )
        .values(due_at=func.now())
        .returning(Notification.company_id, Notification.id),
        execution_options=everyone,
    ).all()
    db.session.commit()
    items = [(row.company_id, row.id, None) for row in interrupted if row.status == "retrying"]
    items += [(company_id, notification_id, None) for company_id, notification_id in waiting]
    from bizkit.notifications.outbox import hand_over

    hand_over(items)
    if interrupted or waiting:
        log.info("sweeper: %d taken back, %d handed over", len(interrupted), len(waiting))
    return {"interrupted": len(interrupted), "handed_over": len(waiting)}
