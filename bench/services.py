"""Where the benchmark data lives: BENCH_DATABASE_URL / BENCH_REDIS_URL, else embedded servers
under instance/ (a database of its own, never the development one)."""

from __future__ import annotations

import os

from bizkit.config import INSTANCE_DIR
from bizkit.embedded import RedisServer, start_postgres

BENCH_SECRET = "bench-secret-key-only-for-local-load-tests"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or start_postgres(
        INSTANCE_DIR / "bench-postgres", database="bizkit_bench"
    )


def redis_url() -> tuple[str, RedisServer | None]:
    url = os.environ.get("BENCH_REDIS_URL")
    if url:
        return url, None
    server = RedisServer(INSTANCE_DIR / "bench-redis")
    return server.start(), server


def app_env(db_url: str, redis: str) -> dict[str, str]:
    return {
        **os.environ,
        "BIZKIT_ENV": "production",
        "SECRET_KEY": BENCH_SECRET,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis,
        "BIZKIT_EXPOSE_QUERY_COUNT": "1",
    }


def wrk_threads(connections: int) -> int:
    """wrk's threads for a run. The latency runs (4 connections) use one: on two cores a
    second wrk thread competes with the two workers, and its own waits for a core showed
    in wrk's numbers as a p99 of ~200 ms while the server's request times (logged, and
    measured around the WSGI call) stayed under ~20 ms. One thread drives 4 connections
    at these rates with room to spare; the throughput runs keep two."""
    return 1 if connections <= 4 else 2
