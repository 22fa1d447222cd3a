"""Liveness check of pooled database connections: ping only a connection that sat idle.

SQLAlchemy's `pool_pre_ping` sends a round trip before every checkout, i.e. every
request. A connection handed back a moment ago by the previous request is alive
as far as a ping can tell, so the ping is sent only when the connection has been
idle longer than BIZKIT_DB_PING_IDLE_SECONDS (default 1): after a quiet spell,
when a database restart or a dropped connection goes unnoticed, the checkout
still finds and replaces a dead connection. Under steady traffic a restart costs
at most the request that meets it (SQLAlchemy then discards the whole pool).
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_IDLE_SINCE = "bizkit_idle_since"


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Install the checkout ping on `engine` (instead of pool_pre_ping)."""

    @event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: let the pool connect afresh
            raise DisconnectionError(str(error)) from error
