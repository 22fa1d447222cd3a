"""The Redis connection and key naming of what every request reads on its path.

The signed-in user's generation (bizkit.auth.identity) and the data revisions of kept
fragments (bizkit.core.fragments) are read on every page: a short timeout, so a stuck
Redis costs a page half a second rather than a hung worker; and keys named after the
database, so that the web processes, workers and commands of one installation (whatever
driver, options or credentials their URLs carry) share them, and installations sharing
one Redis server do not.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from redis import Redis
from sqlalchemy.engine import make_url

TIMEOUT = 0.5  # seconds


def client() -> Redis:
    ext = current_app.extensions
    if "bizkit_quick_redis" not in ext:
        ext["bizkit_quick_redis"] = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
        )
    return ext["bizkit_quick_redis"]


def database_tag() -> str:
    """A short name of the database (server, port, name) for Redis keys."""
    app = current_app
    tag = app.extensions.get("bizkit_database_tag")
    if tag is None:
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        place = "|".join(
            str(part or "")
            for part in (
                url.host,
                url.port,
                url.database,
                url.query.get("host"),
                url.query.get("port"),
            )
        )
        tag = hashlib.sha256(place.encode()).hexdigest()[:16]
        app.extensions["bizkit_database_tag"] = tag
    return tag
