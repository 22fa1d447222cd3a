"""Test fixtures: a real PostgreSQL and Redis, one fresh database per run, one rolled-back
transaction per test.

TEST_DATABASE_URL / TEST_REDIS_URL point at servers to use (CI sets them); without
them the embedded servers under instance/ are started. The test database is made
by running the migrations, so every run also proves they apply to an empty database.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis as redis_lib
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event

from bizkit import create_app
from bizkit.config import INSTANCE_DIR
from bizkit.core import tenancy
from bizkit.extensions import db

TEST_SECRET = "test-secret-key-not-for-production"
ROOT = Path(__file__).resolve().parent.parent


def free_port(start: int = 20000, end: int = 32000) -> int:
    """A port free on 127.0.0.1, below 32768 (clear of the ephemeral range)."""
    for port in range(start + os.getpid() % 5000, end):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 32768")


def start_gunicorn(port: int, env: dict, log) -> subprocess.Popen:
    """The app under gunicorn with gunicorn.conf.py, as the Procfile's `web` runs it, on
    127.0.0.1:`port`, writing its log to the open file `log`."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def services():
    """URLs of the PostgreSQL admin database and the Redis the tests use."""
    from bizkit.embedded import RedisServer, start_postgres

    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        admin_url = start_postgres(INSTANCE_DIR / "test-postgres", database="postgres")
    redis_url = os.environ.get("TEST_REDIS_URL")
    redis_server = None
    if not redis_url:
        redis_server = RedisServer(INSTANCE_DIR / "test-redis")
        redis_url = redis_server.start()
    yield {"admin_url": admin_url, "redis_url": redis_url}
    if redis_server is not None:
        redis_server.stop()


def create_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(services):
    name = f"bizkit_test_{os.getpid()}"
    url = create_database(services["admin_url"], name)
    yield url
    drop_database(services["admin_url"], name)


def app_config(database_url: str, redis_url: str, **extra) -> dict:
    return {
        "BIZKIT_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BIZKIT_STORAGE_DIR": str(INSTANCE_DIR / "test-storage"),
        **extra,
    }


@pytest.fixture(scope="session")
def app(database_url, services):
    from flask_migrate import upgrade

    application = create_app(app_config(database_url, services["redis_url"]))
    with application.app_context():
        upgrade()
        db.session.remove()
    return application


@pytest.fixture(scope="session")
def redis_client(services):
    return redis_lib.Redis.from_url(services["redis_url"])


@pytest.fixture(autouse=True)
def _clean_redis(redis_client):
    """Each test starts with an empty Redis (rate limits, queues)."""
    redis_client.flushdb()


@pytest.fixture
def rollback_db(app):
    """Run the test inside one transaction that is rolled back at the end.

    The app's sessions join it through savepoints, so `commit()` in the code under
    test works and is still undone afterwards.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    yield connection
    with app.app_context():
        db.session.remove()
        db.session.configure(bind=None, join_transaction_mode="conditional_savepoint")
    outer.rollback()
    connection.close()


@contextmanager
def company_ctx(app, company_id: int | None = None):
    """An app context acting for one company (as a request or job would)."""
    with app.app_context():
        tenancy.activate(company_id)
        try:
            yield db.session
            db.session.commit()
        finally:
            db.session.remove()


@dataclass(frozen=True)
class CompanyRef:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class UserRef:
    id: int
    email: str
    password: str
    membership_id: int | None = None


@pytest.fixture
def make_company(app, rollback_db):
    from bizkit.settings.operations import create_company

    def factory(name: str | None = None, **profile) -> CompanyRef:
        name = name or f"Company {secrets.token_hex(3)}"
        with company_ctx(app):
            company = create_company(None, name, **profile)
            return CompanyRef(company.id, company.name, company.slug)

    return factory


@pytest.fixture
def make_user(app, rollback_db):
    from bizkit.auth import operations as auth_ops

    def factory(
        company: CompanyRef,
        role: str = "owner",
        email: str | None = None,
        password: str = "correct horse battery",
        **fields,
    ) -> UserRef:
        email = email or f"user-{secrets.token_hex(4)}@example.com"
        with company_ctx(app, company.id):
            user = auth_ops.find_user_by_email(email)
            if user is None:
                user, _ = auth_ops.create_user(email, fields.pop("name", "Test User"), password)
            for key, value in fields.items():
                setattr(user, key, value)
            membership = auth_ops.add_member(None, user, role)
            return UserRef(user.id, user.email, password, membership.id)

    return factory


@pytest.fixture
def company(make_company) -> CompanyRef:
    return make_company(
        "Acme Bistro",
        business_type="restaurant",
        currency="EUR",
        timezone="Europe/Rome",
        locale="en",
    )


@pytest.fixture
def owner(make_user, company) -> UserRef:
    return make_user(company, "owner", email="owner@acme.example")


def csrf_token(client, app) -> str:
    """The token a BizKit page would embed for this client's session."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", secrets.token_hex(20))
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


class BrowserlikeClient:
    """The Flask test client plus the habits of a page: CSRF tokens on every POST."""

    def __init__(self, app, client):
        self.app = app
        self.raw = client

    def get(self, *args, **kwargs):
        return self._read(self.raw.get(*args, **kwargs))

    @staticmethod
    def _read(response):
        """Read the whole body, as a browser does: a streamed response that is never
        consumed keeps its request context pushed and leaks it into the next request."""
        response.get_data()
        response.close()
        return response

    def post(self, url, data=None, *, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", csrf_token(self.raw, self.app))
        return self._read(self.raw.post(url, data=data, **kwargs))

    def login(self, user: UserRef, follow_redirects=False):
        response = self.post(
            "/login",
            {"email": user.email, "password": user.password},
            follow_redirects=follow_redirects,
        )
        assert response.status_code in (200, 302), response.status_code
        return response


@pytest.fixture
def client(app, rollback_db):
    return BrowserlikeClient(app, app.test_client())


@pytest.fixture
def auth(client, owner):
    """A client logged in as the owner of `company`."""
    client.login(owner)
    return client


def text_of(response) -> str:
    """The visible text of an HTML response, whitespace collapsed (for assertions)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@contextmanager
def recording_statements(app):
    """Collect the SQL statements sent while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def count_queries(app, client, url) -> int:
    """The SQL queries a page costs in the steady state: after one request that lets the
    process keep what it keeps between requests (the signed-in user, bizkit.auth.identity;
    the company's flow), as the benchmark measures after its warm-up. The test's own
    SAVEPOINT and RELEASE, which join the request to the rolled-back test, are left out.
    Rendered content kept between requests (bizkit.core.fragments) is not used: the count
    is the page's when its rows changed since the last reader."""
    previous = app.config["BIZKIT_FRAGMENT_CACHE"]
    app.config["BIZKIT_FRAGMENT_CACHE"] = False
    try:
        assert client.get(url).status_code == 200
        with recording_statements(app) as statements:
            assert client.get(url).status_code == 200
    finally:
        app.config["BIZKIT_FRAGMENT_CACHE"] = previous
    return len(
        [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    )
