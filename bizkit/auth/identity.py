"""Who is signed in, kept per process between requests, and dropped the moment it changes.

Every request needs the user, their active memberships and each membership's company.
Read from PostgreSQL, that is a query and, on a page that reads nothing else, a
transaction of its own (BEGIN, the query, COMMIT): three round trips that cost the
logged-in empty page half of its time (README, Performance). So each process keeps
what it read, as plain column values, and hands each request fresh ORM objects built
from them and attached to the request's session as if just loaded (no SQL).

Freshness comes from one value in Redis, the *generation*: a random token replaced
at the COMMIT of every transaction that changed a user, a membership or a company
(an ORM flush of such a row, an INSERT, UPDATE or DELETE of their tables run through
the session, or a caller that says so with `mark_changed`; a savepoint's release is
not the commit, and a savepoint rolled back keeps an earlier change's mark).
Each request reads the generation (one Redis GET) and uses what the process keeps
only if it was read under that same generation, so a password change, a deactivated
user, a removed membership, a role change or a renamed company shows on the very next
request in every process. The generation is read before the
database, so a change committed while a process reads is never kept under the new
generation. A random token rather than a counter, because Redis keeps nothing on
disk: a restarted Redis starting again at 1 could match a counter a process kept.

What it does not see — a change made with SQL by hand or by a data migration, or a
new generation Redis refused twice — is bounded by MAX_AGE: an entry is read again
after that many seconds whatever the generation. When Redis does
not answer, requests read the database as before (nothing is kept) and Redis is left
alone for RETRY_SECONDS, so a stuck Redis costs one timeout, not one per request.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from contextlib import suppress
from dataclasses import dataclass

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import set_committed_value

from bizkit.auth.models import Membership, User
from bizkit.core import quick_redis
from bizkit.core.models import Company
from bizkit.core.session import attach_loaded
from bizkit.extensions import db

log = logging.getLogger(__name__)

MAX_AGE = 30.0  # seconds; bounds what a change made outside the ORM can leave stale
MAX_ENTRIES = 10_000  # users per process
RETRY_SECONDS = 5.0  # after Redis failed to answer, read the database meanwhile

_IDENTITY_MODELS = (User, Membership, Company)
_CHANGED = "bizkit_identity_changed"


@dataclass(frozen=True)
class _Entry:
    generation: str
    read_at: float
    user: dict
    memberships: tuple[tuple[dict, dict], ...]  # (membership, its company) column values


_entries: OrderedDict[int, _Entry] = OrderedDict()
_redis_down_until = 0.0


# -- reading -----------------------------------------------------------------------------


def _generation_key() -> str:
    """One generation per database (see bizkit.core.quick_redis): every web process,
    worker and command of one installation must replace the generation the web
    processes read."""
    return "bizkit:identity-generation:" + quick_redis.database_tag()


def _redis() -> Redis:
    return quick_redis.client()


def current_generation() -> str | None:
    """The generation now, or None when Redis does not answer (then nothing is kept)."""
    return current_state(None)[0]


def current_state(
    session_id: str | None, extra_keys: list[str] | tuple = ()
) -> tuple[str | None, bool, list]:
    """The generation now, whether the session `session_id` was ended by a logout
    (`revoke_session`), and the values of `extra_keys` (what else the request will ask
    Redis for: bizkit.core.fragments), read in one round trip (MGET): every request pays it.

    When Redis does not answer: (None, False, []) — nothing is kept, and a logged-out
    session cannot be told from a live one (its cookie was deleted from the browser
    that logged out; a copy of it works until Redis answers again), as every other
    request goes on without Redis for RETRY_SECONDS.
    """
    global _redis_down_until
    if time.monotonic() < _redis_down_until:
        return None, False, []
    key = _generation_key()
    keys = [key, revoked_key(session_id)] if session_id else [key, key]
    try:
        redis = _redis()
        values = redis.mget([*keys, *extra_keys])
        value = values[0]
        if value is None:  # first use, or Redis was emptied: every process reads afresh
            redis.set(key, secrets.token_hex(8), nx=True)
            value = redis.get(key)
    except RedisError as error:
        _redis_down_until = time.monotonic() + RETRY_SECONDS
        log.warning("identity cache off for %ss: Redis did not answer (%s)", RETRY_SECONDS, error)
        return None, False, []
    revoked = session_id is not None and values[1] is not None
    return (value.decode() if value is not None else None), revoked, values[2:]


# -- sessions ended by a logout ------------------------------------------------------------

SESSION_ID = "sid"  # the session's random id, given at login (bizkit.auth.views)


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


def revoked_key(session_id: str) -> str:
    return "bizkit:revoked-session:" + session_id


def revoke_session(session_id: str | None) -> None:
    """End one session on the server (a logout): a copy of its cookie is refused from the
    next request on, in every process, while the user's other sessions go on. Kept as
    long as the cookie's signature is accepted (PERMANENT_SESSION_LIFETIME)."""
    global _redis_down_until
    if not session_id:
        return
    key = revoked_key(session_id)
    ttl = max(1, int(current_app.permanent_session_lifetime.total_seconds()))
    try:
        _redis().set(key, b"1", ex=ttl)
        return
    except RedisError:
        pass
    try:  # once more on a connection of its own, with more patience
        with Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=3) as redis:
            redis.set(key, b"1", ex=ttl)
    except RedisError as error:
        _redis_down_until = time.monotonic() + RETRY_SECONDS
        log.error(
            "logout not recorded: a copy of the logged-out session cookie still works (%s)",
            error,
        )


def cached(user_id: int, generation: str | None) -> tuple[User, list[Membership]] | None:
    """The user and their memberships as kept under `generation`, attached to the
    request's session without SQL; None when not kept, kept under another generation
    or older than MAX_AGE."""
    if generation is None:
        return None
    entry = _entries.get(user_id)
    if entry is None:
        return None
    if entry.generation != generation or time.monotonic() - entry.read_at > MAX_AGE:
        _entries.pop(user_id, None)
        return None
    _touch(user_id)
    session = db.session()
    user = attach_loaded(session, User, entry.user)
    memberships = []
    for membership_values, company_values in entry.memberships:
        membership = attach_loaded(session, Membership, membership_values)
        set_committed_value(membership, "user", user)
        set_committed_value(membership, "company", attach_loaded(session, Company, company_values))
        memberships.append(membership)
    return user, memberships


def keep(user: User, memberships: list[Membership], generation: str | None) -> None:
    """Keep what was just read from the database, under the generation read before it."""
    if generation is None:
        return
    _entries[user.id] = _Entry(
        generation=generation,
        read_at=time.monotonic(),
        user=_values(user),
        memberships=tuple((_values(m), _values(m.company)) for m in memberships),
    )
    _touch(user.id)
    while len(_entries) > MAX_ENTRIES:
        try:
            _entries.popitem(last=False)
        except KeyError:  # emptied meanwhile by another thread
            break


def _touch(user_id: int) -> None:
    with suppress(KeyError):  # dropped meanwhile by another thread: nothing to keep fresh
        _entries.move_to_end(user_id)


def _values(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


# -- invalidation ------------------------------------------------------------------------


def mark_changed(session: OrmSession) -> None:
    """Say that this transaction changes who someone is (for writes the hooks below do
    not see: statements run on `session.connection()` rather than through the session,
    as the workflow editor's revision bump inside a flush); the generation is replaced
    when it commits."""
    session.info[_CHANGED] = True


def _replace_generation() -> None:
    global _redis_down_until
    _entries.clear()  # this process at once, even when Redis fails below
    if not has_app_context():  # no app, no Redis: a script using the models on its own
        return
    key, token = _generation_key(), secrets.token_hex(8)
    try:
        _redis().set(key, token)
        return
    except RedisError:
        pass
    try:  # once more on a connection of its own, with more patience
        with Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=3) as redis:
            redis.set(key, token)
    except RedisError as error:
        _redis_down_until = time.monotonic() + RETRY_SECONDS
        log.error(
            "identity change not published: processes that read Redis again before it is "
            "published keep what they kept for up to %ss (%s)",
            MAX_AGE,
            error,
        )


_IDENTITY_TABLES = frozenset(model.__table__ for model in _IDENTITY_MODELS)


@event.listens_for(OrmSession, "before_flush")
def _flushing_identity_rows(session: OrmSession, flush_context, instances) -> None:
    if any(
        isinstance(obj, _IDENTITY_MODELS)
        for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        mark_changed(session)


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk_change_of_identity_rows(state: ORMExecuteState) -> None:
    """INSERT, UPDATE or DELETE statements run through the session, ORM or Core."""
    if (state.is_insert or state.is_update or state.is_delete) and getattr(
        state.statement, "table", None
    ) in _IDENTITY_TABLES:
        mark_changed(state.session)


@event.listens_for(OrmSession, "after_commit")
def _publish_change(session: OrmSession) -> None:
    """Replace the generation when the transaction commits — not when a savepoint inside
    it is released (SQLAlchemy sends after_commit for those too): published then, a
    process could read the old rows under the new generation before the real COMMIT."""
    if session.in_nested_transaction():
        return
    if session.info.pop(_CHANGED, False):
        _replace_generation()


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_change(session: OrmSession, previous_transaction) -> None:
    """Forget the mark when the whole transaction rolls back. A savepoint rolled back keeps
    it: a change flushed before the savepoint still commits (one replacement too many
    when the change was inside it, which costs a reload, nothing more)."""
    if previous_transaction.parent is None:
        session.info.pop(_CHANGED, None)
