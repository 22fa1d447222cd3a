"""The board's Server-Sent Events stream: Redis pub/sub in, "refresh" events out.

The stream never carries board content, only the news that something changed; the
board then refetches its body with one ordinary GET (constant queries, tenant-scoped
like any page). That keeps the design free of lost updates:

- on every (re)connection the first event is `refresh`, sent only after Redis has
  confirmed the subscription, so a change made while the board was disconnected, or
  between the page render and the subscription, is picked up by that refetch;
- events arriving close together (a burst of line edits) are merged into one refresh,
  sent at most `coalesce` seconds after the first; the refetch happens after all of
  them committed, so nothing is skipped;
- a comment line every `heartbeat` seconds keeps proxies from closing an idle stream
  and lets the server notice a client that went away (the write fails, the WSGI server
  closes this generator, and `finally` unsubscribes and closes the Redis connection);
- after `lifetime` seconds, or when the server shuts down, the stream ends and the
  browser reconnects (`retry`), so a revoked membership or a company switch is noticed
  within minutes and a deploy does not wait for open boards;
- if Redis drops the subscription, redis-py reconnects and resubscribes by itself;
  whatever was published in between is lost, so the stream sends a `refresh` then;
  if Redis stays away the stream ends and the browser reconnects (and refreshes).

The generator touches neither the database nor the request: the view reads what it
needs first, and the request's session is closed before the first byte is streamed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator

from redis import Redis
from redis.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RETRY_MS = 2000  # how long the browser waits before reconnecting a closed stream


def keep_streaming() -> bool:
    """False once the server process is shutting down; gunicorn.conf.py points this at the
    worker's `alive` flag, so open streams end within seconds of a deploy or restart
    (and the browsers reconnect to the new workers) instead of holding the old worker
    for its whole graceful timeout."""
    return True


class _CountingPubSub(PubSub):
    """A PubSub that counts its reconnections (each one may have missed messages)."""

    reconnections = 0

    def on_connect(self, connection) -> None:
        self.reconnections += 1
        super().on_connect(connection)


def sse(event: str, data: str = "") -> str:
    """One Server-Sent Event (data on one line)."""
    return f"event: {event}\ndata: {data}\n\n"


def board_events(
    redis: Redis,
    channel_name: str,
    *,
    heartbeat: float = 15.0,
    lifetime: float = 300.0,
    coalesce: float = 0.1,
    poll: float = 5.0,
) -> Iterator[str]:
    """Yield SSE text for one open board subscribed to `channel_name`.

    A quiet stream wakes every `poll` seconds (at most) to check its lifetime and the
    server's shutdown: rare enough that two thousand idle boards cost little, often
    enough that a deploy's graceful timeout (10 s) is not reached."""
    pubsub = _CountingPubSub(redis.connection_pool)
    try:
        try:
            pubsub.subscribe(channel_name)
            confirmed = pubsub.get_message(timeout=5)
            if not confirmed or confirmed.get("type") != "subscribe":
                log.warning("board stream: no subscription confirmation for %s", channel_name)
                return
        except RedisError:
            log.warning("board stream: Redis unavailable, the browser will retry")
            return
        yield f"retry: {RETRY_MS}\n" + sse("refresh", json.dumps({"reason": "connected"}))
        started = last_write = time.monotonic()
        known_reconnections = pubsub.reconnections
        while True:
            now = time.monotonic()
            if now - started >= lifetime or not keep_streaming():
                return
            wait = max(0.0, min(poll, heartbeat - (now - last_write)))
            try:
                message = pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
                if pubsub.reconnections != known_reconnections:
                    known_reconnections = pubsub.reconnections
                    yield sse("refresh", json.dumps({"reason": "reconnected"}))
                    last_write = time.monotonic()
                if message is None:
                    if time.monotonic() - last_write >= heartbeat:
                        yield ": keep-alive\n\n"
                        last_write = time.monotonic()
                    continue
                ids = _order_ids(message, [])
                deadline = time.monotonic() + coalesce
                while (left := deadline - time.monotonic()) > 0:
                    more = pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
                    if more is not None:
                        _order_ids(more, ids)
            except RedisError:
                log.warning("board stream: lost Redis, ending the stream so the browser retries")
                return
            yield sse("refresh", json.dumps({"ids": ids}))
            last_write = time.monotonic()
    finally:
        with contextlib.suppress(RedisError):  # the connection is gone anyway
            pubsub.close()


def _order_ids(message: dict, ids: list) -> list:
    if message.get("type") == "message":
        try:
            order_id = json.loads(message["data"]).get("id")
        except (ValueError, AttributeError):
            order_id = None
        if order_id is not None and order_id not in ids:
            ids.append(order_id)
    return ids
