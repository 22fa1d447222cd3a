"""Hand notifications to RQ after the transaction that wrote them commits.

If Redis is unreachable at that moment the commit still stands (the row is in the
database, status `queued`) and the failure is only logged: the sweeper hands the row
over a minute later. Nothing is handed over for a transaction that rolls back.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from bizkit.extensions import db, queue

PENDING_KEY = "bizkit_notifications_after_commit"
QUEUE = "notifications"
DELIVER = "bizkit.notifications.tasks.deliver"
DELIVER_BATCH = "bizkit.notifications.tasks.deliver_batch"
# Up to this many messages of one company per job: RQ's own bookkeeping (about ten Redis
# round trips per job) then costs little next to the sending.
BATCH = 25
log = logging.getLogger("bizkit.notifications")


def hand_over_after_commit(company_id: int, notification_id: int, due: dt.datetime | None):
    app = current_app._get_current_object()
    db.session.info.setdefault(PENDING_KEY, []).append((app, company_id, notification_id, due))


def hand_over(items: list[tuple[int, int, dt.datetime | None]]) -> int:
    """Enqueue deliveries now (or at their time, through RQ's scheduler); the number handed."""
    if not items:
        return 0
    rq_queue: Queue = queue(QUEUE)
    now = dt.datetime.now(dt.UTC)
    by_company: dict[int, list[int]] = {}
    for company_id, notification_id, due in items:
        if due is None or due <= now + dt.timedelta(seconds=1):
            by_company.setdefault(company_id, []).append(notification_id)
    immediate = [
        Queue.prepare_data(DELIVER_BATCH, args=(company_id, ids[i : i + BATCH]), result_ttl=60)
        for company_id, ids in by_company.items()
        for i in range(0, len(ids), BATCH)
    ]
    if immediate:
        rq_queue.enqueue_many(immediate)
    for company_id, notification_id, due in items:
        if due is not None and due > now + dt.timedelta(seconds=1):
            rq_queue.enqueue_at(due, DELIVER, company_id, notification_id, result_ttl=60)
    return len(items)


@event.listens_for(OrmSession, "after_commit")
def _hand_over_pending(session: OrmSession) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    app = pending[0][0]
    with app.app_context():
        try:
            hand_over([(c, n, due) for _, c, n, due in pending])
        except (RedisError, OSError) as error:
            log.warning(
                "notifications not handed to RQ (the sweeper will): %s (%s)",
                [n for _, _, n, _ in pending],
                error,
            )


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, previous_transaction) -> None:
    session.info.pop(PENDING_KEY, None)
