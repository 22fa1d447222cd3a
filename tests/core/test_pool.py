"""Pooled connections are pinged at checkout only after sitting idle (bizkit.core.pool)."""

import time

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from bizkit.config import sqlalchemy_url
from bizkit.core.pool import ping_idle_connections


def _engine(database_url, idle_seconds):
    engine = create_engine(sqlalchemy_url(database_url), pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_seconds)
    return engine


def _kill_pooled_connection(engine, admin_url):
    with engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.2)
    return pid


def test_an_idle_connection_that_died_is_replaced_at_checkout(database_url, services):
    engine = _engine(database_url, idle_seconds=0)
    try:
        dead = _kill_pooled_connection(engine, services["admin_url"])
        with engine.connect() as conn:  # pinged, found dead, replaced: no error
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != dead
    finally:
        engine.dispose()


def test_a_connection_just_handed_back_is_not_pinged(database_url, services):
    engine = _engine(database_url, idle_seconds=60)
    try:
        _kill_pooled_connection(engine, services["admin_url"])
        with pytest.raises(OperationalError), engine.connect() as conn:  # no ping: it shows
            conn.exec_driver_sql("SELECT 1")
        with engine.connect() as conn:  # the pool was discarded: a fresh connection
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()
