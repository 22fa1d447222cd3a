"""Rendered parts of pages kept between requests, and dropped the moment their rows change.

A list page's own work — the query, fifty ORM rows, fifty rendered table rows — costs
four to five times what the rest of the page costs (the signed-in user, the chrome, the
layout; README, Performance), and it is the same for every reader of a company until
someone changes one of the rows it shows. So a view renders that part through
`fragment(name, tables, render)`: the process keeps the HTML and gives it again to
the next request that asks for the same thing while those tables have not changed.

What "changed" means: every table has a *revision* per company in Redis, a random
token replaced after the COMMIT of any transaction that wrote to it (any INSERT,
UPDATE, DELETE, MERGE or TRUNCATE sent through a session: ORM flushes, bulk statements,
Core and text SQL alike; they are seen where they leave for PostgreSQL). A write to a
company's rows replaces that company's revision of the table; a write with no current
company, or to a table that belongs to no company (users, companies), replaces the
revision every company shares. A kept fragment is used only under the very revisions
it was rendered under, read (one MGET) before the database is read, so a change
committed while a fragment renders is never kept under the new revisions.

Everything else the HTML depends on is part of the key: the fragment's name, the
request's path and query string, the company, the language, the reader's role (menus
and buttons follow `can()`), the company's row (currency, time zone, its flow's
revision; it is an implicit table of every fragment, and the request's company comes
from the process's identity cache, so the identity generation it was read under is
part of the key too) and whatever the caller adds in `vary` (the reader's id when the
HTML names them, the minute when it shows ages). The session's CSRF token is
rendered as a placeholder and filled in for each request, as in the page chrome.

What is not seen — SQL typed by hand, a data migration, a replacement Redis refused
twice — is bounded by MAX_AGE: a fragment is rendered again after that many seconds
whatever the revisions say. When Redis does not answer, fragments are rendered every
time (and Redis is left alone for RETRY_SECONDS).

The tables a fragment names are checked where it matters, in the tests
(BIZKIT_FRAGMENT_CHECK, on when TESTING): each render records the tables its SQL reads
and refuses to keep a fragment that read one it does not name, and one that baked the
session's CSRF token into its HTML.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import lru_cache

from flask import current_app, g, has_app_context, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

from bizkit.core import events, quick_redis
from bizkit.core.session import COMPANY_KEY
from bizkit.extensions import db

log = logging.getLogger(__name__)

MAX_AGE = 30.0  # seconds; bounds what a change made outside a session can leave stale
MAX_CHARS = 24_000_000  # of HTML kept per process (about 50 MB of str)
RETRY_SECONDS = 5.0  # after Redis failed to answer, render every time meanwhile
ANY = "*"  # the revision every company shares (no company, or a table of no company)

# Random per process, so no text a user typed can contain it.
_CSRF = f"fragment-csrf-{secrets.token_hex(8)}"

_OWNER = "bizkit_fragments_owner"  # a connection's info: the info of the session using it
_LINKED = "bizkit_fragments_linked"  # a session's info: the info dicts of its connections
_WRITTEN = "bizkit_fragments_written"  # a session's info: {(company or ANY, table)}
_READING = "bizkit_fragments_reading"  # a session's info while a fragment renders (check)
_RENDERING = "bizkit_fragment_rendering"  # g, while a fragment renders

_WRITE_STARTS = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "WITH")
_WRITE_TARGETS = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?)"
    r"\s+(?:ONLY\s+)?(?:\"?\w+\"?\.)?\"?(\w+)",  # schema-qualified or not
    re.IGNORECASE,
)
_READ_SOURCES = re.compile(r"\b(?:FROM|JOIN)\s+(?:ONLY\s+)?\"?(\w+)", re.IGNORECASE)

_kept: OrderedDict[tuple, tuple[str, float]] = OrderedDict()
_kept_chars = 0
_redis_down_until = 0.0
_tables: dict[str, bool] | None = None  # table name → whether it belongs to a company
_endpoint_tables: dict[str, tuple[str, ...]] = {}  # the tables an endpoint's fragments read


class FragmentCheckError(RuntimeError):
    """A kept fragment read a table it does not name, or kept a session's CSRF token."""


# -- what the tables are -----------------------------------------------------------------


def _known_tables() -> dict[str, bool]:
    global _tables
    if _tables is None:
        _tables = {name: "company_id" in table.c for name, table in db.metadata.tables.items()}
    return _tables


def table_names(tables: Iterable) -> tuple[str, ...]:
    """Names from models, Table objects or names; every one must be a table."""
    return _table_names(tuple(tables))


@lru_cache(maxsize=1024)
def _table_names(tables: tuple) -> tuple[str, ...]:
    # Views pass the same tuple of tables on every request: resolved and checked once.
    names = []
    for item in tables:
        name = item if isinstance(item, str) else getattr(item, "__tablename__", None)
        if name is None:
            name = item.name  # a Table
        if name not in _known_tables():
            raise KeyError(f"no table {name!r}")
        names.append(name)
    return tuple(sorted(set(names)))


# -- noticing writes ---------------------------------------------------------------------


@event.listens_for(OrmSession, "after_begin")
def _link(session: OrmSession, transaction, connection) -> None:
    """Let the statements sent on `connection` find the session they belong to (and its
    current company), also those sent on `session.connection()` past the session."""
    info = connection.info  # the pooled connection's own dict: it outlives `connection`
    info[_OWNER] = session.info
    session.info.setdefault(_LINKED, []).append(info)


@event.listens_for(OrmSession, "after_transaction_end")
def _unlink(session: OrmSession, transaction) -> None:
    if transaction.parent is None:
        for info in session.info.pop(_LINKED, ()):
            if info.get(_OWNER) is session.info:
                info.pop(_OWNER, None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_statement(conn, cursor, statement: str, parameters, context, executemany) -> None:
    owner = conn.info.get(_OWNER)
    if owner is None:  # not a session's (a seed's COPY, a migration): bounded by MAX_AGE
        return
    reading = owner.get(_READING)
    if reading is not None:
        tables = _known_tables()
        reading.update(m for m in _READ_SOURCES.findall(statement) if m in tables)
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        table = getattr(getattr(context.compiled.statement, "table", None), "name", None)
        targets = [table] if table else _WRITE_TARGETS.findall(statement)
    elif statement.lstrip()[:8].upper().startswith(_WRITE_STARTS):
        targets = _WRITE_TARGETS.findall(statement)  # text SQL; "FOR UPDATE OF" is no table
    else:
        return
    tables = _known_tables()
    company = owner.get(COMPANY_KEY)
    written = owner.setdefault(_WRITTEN, set())
    for name in targets:
        if name in tables:
            written.add((company if tables[name] and company is not None else ANY, name))


@event.listens_for(OrmSession, "after_commit", insert=True)
def _publish(session: OrmSession) -> None:
    """After the COMMIT itself, not a savepoint's release (after_commit comes for those
    too): published earlier, a reader could keep the old rows under the new revision.
    And before anything else that runs after the commit (insert=True): a board told of a
    change by a live event (bizkit.core.events) fetches itself at once, and must find
    its kept content gone."""
    if session.in_nested_transaction():
        return
    written = session.info.pop(_WRITTEN, None)
    if written and has_app_context():  # (a script using the models without the app: no Redis)
        # The commit's live events go along, after the revisions, in the same round trip.
        _replace_revisions(written, events.take_pending(session))


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget(session: OrmSession, previous_transaction) -> None:
    """The whole transaction rolled back: nothing changed. A savepoint rolled back keeps
    the marks (one replacement too many costs a render, nothing more)."""
    if previous_transaction.parent is None:
        session.info.pop(_WRITTEN, None)


# -- revisions in Redis ------------------------------------------------------------------


def _key(company, table: str) -> str:
    return f"bizkit:data-revision:{quick_redis.database_tag()}:{company}:{table}"


def _replace_revisions(written: set[tuple], messages: list[tuple[str, str]] = ()) -> None:
    """New revision tokens for the (company, table) pairs written, then `messages`
    (channel, message) published, in one round trip."""
    global _redis_down_until
    tokens = {_key(company, table): secrets.token_hex(8) for company, table in written}
    try:
        _send(quick_redis.client(), tokens, messages)
        return
    except RedisError:
        pass
    try:  # once more on a connection of its own, with more patience
        with Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=3) as redis:
            _send(redis, tokens, messages)
    except RedisError as error:
        _redis_down_until = time.monotonic() + RETRY_SECONDS
        log.error(
            "data change not published: kept fragments may show the old rows for up to %ss, "
            "and %d live event(s) went with it (%s)",
            MAX_AGE,
            len(messages),
            error,
        )


def _send(redis: Redis, tokens: dict[str, str], messages: list[tuple[str, str]]) -> None:
    if not messages:
        redis.mset(tokens)
        return
    with redis.pipeline(transaction=False) as pipe:
        pipe.mset(tokens)
        for channel, message in messages:
            pipe.publish(channel, message)
        pipe.execute()


def _revision_keys(company_id, names: tuple[str, ...]) -> tuple[str, ...]:
    return _revision_keys_of(quick_redis.database_tag(), company_id, names)


@lru_cache(maxsize=4096)
def _revision_keys_of(tag: str, company_id, names: tuple[str, ...]) -> tuple[str, ...]:
    """Built once per database, company and set of tables: every kept page asks for them."""
    companies = (ANY,) if company_id is None else (company_id, ANY)
    prefix = f"bizkit:data-revision:{tag}"
    return tuple(f"{prefix}:{company}:{name}" for name in names for company in companies)


def prefetch_keys(company_id) -> list[str]:
    """The revisions this request's page read the last time, for the company the session
    works in: read with the signed-in user's generation, in the same round trip
    (bizkit.auth.current), a page from kept content sends Redis one command, not two."""
    names = _endpoint_tables.get(request.endpoint)
    if not names or company_id is None:
        return []
    return _revision_keys(company_id, names)


def prefetched(keys: list[str], values: list) -> None:
    if keys and len(values) == len(keys):
        g.fragment_revisions = dict(zip(keys, values, strict=True))


def _revisions(company_id: int | None, names: tuple[str, ...]) -> tuple | None:
    """The revisions the fragment's key is made of, or None when Redis does not answer."""
    global _redis_down_until
    keys = _revision_keys(company_id, names)
    ready = g.get("fragment_revisions")
    if ready is not None:
        values = tuple(ready.get(key) for key in keys)
        if None not in values:
            return values
    if time.monotonic() < _redis_down_until:
        return None
    try:
        redis = quick_redis.client()
        values = redis.mget(keys)
        if None in values:  # first use, or Redis was emptied: every process renders afresh
            with redis.pipeline(transaction=False) as pipe:
                for key, value in zip(keys, values, strict=True):
                    if value is None:
                        pipe.set(key, secrets.token_hex(8), nx=True)
                pipe.execute()
            values = redis.mget(keys)
    except RedisError as error:
        _redis_down_until = time.monotonic() + RETRY_SECONDS
        log.warning("kept fragments off for %ss: Redis did not answer (%s)", RETRY_SECONDS, error)
        return None
    return tuple(values)


# -- fragments ---------------------------------------------------------------------------


def csrf_token() -> str:
    """The `csrf_token()` of the templates: a placeholder inside a kept fragment."""
    if g.get(_RENDERING):
        return _CSRF
    return generate_csrf()


def fragment(name: str, tables: Iterable, render: Callable[[], str], *, vary: tuple = ()) -> Markup:
    """The HTML `render()` gives, kept while `tables` (models, Table objects or names: every
    table its SQL reads) have not changed for the current company. `render` must return
    autoescaped template output (render_template)."""
    names = table_names((*tables, "company"))
    config = current_app.config
    if not config["BIZKIT_FRAGMENT_CACHE"]:
        return _filled(_render(name, names, render, config["BIZKIT_FRAGMENT_CHECK"]))
    company = g.get("company")
    company_id = company.id if company is not None else None
    endpoint = request.endpoint
    known = _endpoint_tables.get(endpoint, ())
    if names != known and not set(names) <= set(known):
        _endpoint_tables[endpoint] = tuple(sorted({*known, *names}))
    revisions = _revisions(company_id, names)
    generation = g.get("identity_generation")
    if revisions is None or generation is None:
        return _filled(_render(name, names, render, config["BIZKIT_FRAGMENT_CHECK"]))
    membership = g.get("membership")
    key = (
        name,
        request.full_path,
        company_id,
        str(get_locale()),
        membership.role if membership is not None else None,
        vary,
        revisions,
        # The signed-in user's generation (bizkit.auth.identity): the company the content
        # was rendered with (currency, time zone, its flow's revision) came with it.
        generation,
    )
    kept = _kept.get(key)
    if kept is not None and time.monotonic() - kept[1] <= MAX_AGE:
        with suppress(KeyError):  # dropped meanwhile by another thread
            _kept.move_to_end(key)
        return _filled(kept[0])
    html = _render(name, names, render, config["BIZKIT_FRAGMENT_CHECK"])
    _keep(key, html)
    return _filled(html)


def _render(name: str, names: tuple[str, ...], render: Callable[[], str], check: bool):
    """Render with the CSRF placeholder; in check mode, refuse undeclared tables."""
    session_info = db.session().info
    if check:
        session_info[_READING] = set()
    had_token = "csrf_token" in g
    baked = g.pop("csrf_token", None)
    g.setdefault(_RENDERING, True)
    try:
        html = render()
    finally:
        g.pop(_RENDERING, None)
        read = session_info.pop(_READING, None)
        baked_now = "csrf_token" in g
        if had_token:
            g.csrf_token = baked
    if baked_now:  # a form's csrf_token field: the session's token is in the HTML
        if check:
            raise FragmentCheckError(f"fragment {name!r} contains the session's CSRF token")
        log.warning("fragment %s not kept: it contains the session's CSRF token", name)
        return _Unkept(html)
    if read is not None and not read <= set(names):
        raise FragmentCheckError(
            f"fragment {name!r} read {sorted(read - set(names))} and does not name them"
        )
    return html


class _Unkept(str):
    """HTML rendered for this request only."""


def _keep(key: tuple, html: str) -> None:
    global _kept_chars
    if isinstance(html, _Unkept):
        return
    previous = _kept.pop(key, None)
    if previous is not None:
        _kept_chars -= len(previous[0])
    _kept[key] = (html, time.monotonic())
    _kept_chars += len(html)
    while _kept_chars > MAX_CHARS and _kept:
        try:
            _old_key, (old_html, _at) = _kept.popitem(last=False)
        except KeyError:  # emptied meanwhile by another thread
            break
        _kept_chars -= len(old_html)


def _filled(html: str) -> Markup:
    # `html` is render_template's autoescaped output; the token is URL-safe text.
    if _CSRF in html:
        html = html.replace(_CSRF, generate_csrf())
    return Markup(html)  # noqa: S704


def forget_all() -> None:
    """Drop every fragment this process keeps (tests between their rolled-back data)."""
    global _kept_chars
    _kept.clear()
    _kept_chars = 0
