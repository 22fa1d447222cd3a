"""Live events: what changed, published on Redis pub/sub after the transaction commits.

Operations call `publish_after_commit(company_id, topic, payload)`; nothing is sent if the
transaction rolls back. Subscribers (the orders board's Server-Sent Events stream) listen
on `channel(company_id, topic)`. Pub/sub is fire-and-forget: a board that was offline
reloads its state when it reconnects, so an event missed while Redis was away costs a
refresh, never a wrong board. Work that must not be lost goes through the outbox instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event, make_url
from sqlalchemy.orm import Session as OrmSession

from bizkit.extensions import db, redis_connection

PENDING_KEY = "bizkit_events_after_commit"
log = logging.getLogger(__name__)


def channel(company_id: int, topic: str) -> str:
    """The pub/sub channel of one company's events about one kind of thing (e.g. "orders").

    Pub/sub channels are global to a Redis server, whatever database number a client
    selected, so each channel carries the installation's namespace: two installations
    sharing one Redis server (or the test runs of two checkouts) do not hear each
    other's company 1."""
    return f"bizkit:{namespace()}:events:{company_id}:{topic}"


def namespace() -> str:
    """BIZKIT_EVENTS_NAMESPACE, else a short digest of which database this installation
    uses (server and database name, not the credentials): the same for every web and
    worker process of one installation, different for another installation."""
    app = current_app
    cached = app.extensions.get("bizkit_events_namespace")
    if cached is None:
        cached = app.config.get("BIZKIT_EVENTS_NAMESPACE") or ""
        if not cached:
            url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(username=None, password=None)
            identity = url.render_as_string(hide_password=False)
            cached = hashlib.sha256(identity.encode()).hexdigest()[:12]
        app.extensions["bizkit_events_namespace"] = cached
    return cached


def publish_after_commit(company_id: int, topic: str, payload: dict[str, Any]) -> None:
    """Publish `payload` (JSON-able) to the company's `topic` once the transaction commits."""
    app = current_app._get_current_object()
    pending = db.session.info.setdefault(PENDING_KEY, [])
    item = (app, channel(company_id, topic), json.dumps(payload, default=str))
    if item not in pending:  # three lines added in one request: one event
        pending.append(item)


def take_pending(session: OrmSession) -> list[tuple[str, str]]:
    """The (channel, message) pairs the session's committed transaction queued, taken
    from it: bizkit.core.fragments sends them in its own round trip to Redis, after the
    data revisions the same commit replaced."""
    return [(name, message) for _app, name, message in session.info.pop(PENDING_KEY, [])]


@event.listens_for(OrmSession, "after_commit")
def _publish_pending(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its events wait for the transaction's commit
    for app, name, message in session.info.pop(PENDING_KEY, []):
        with app.app_context():
            try:
                redis_connection().publish(name, message)
            except RedisError:
                log.warning("event not published (Redis unavailable): %s", name)


# How many events were pending when each savepoint began: rolling a savepoint back drops
# only the events queued inside it, not those of the work before it that still commits.
_SAVEPOINT_MARKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@event.listens_for(OrmSession, "after_transaction_create")
def _mark_savepoint(session: OrmSession, transaction) -> None:
    if transaction.nested:
        _SAVEPOINT_MARKS[transaction] = len(session.info.get(PENDING_KEY, ()))


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, previous_transaction) -> None:
    mark = _SAVEPOINT_MARKS.pop(previous_transaction, None)
    if previous_transaction.nested and mark is not None:
        del session.info.get(PENDING_KEY, [])[mark:]
        return
    session.info.pop(PENDING_KEY, None)
