"""Notifications fixtures: a real SMTP server (aiosmtpd) and a local HTTP server standing
in for the SMS provider, both on free local ports, scripted per test; committed data and
a real RQ worker process for the outbox tests."""

from __future__ import annotations

import email
import email.policy
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from bizkit.config import sqlalchemy_url
from bizkit.extensions import db
from bizkit.notifications import operations as notification_ops
from tests.conftest import TEST_SECRET, company_ctx
from tests.customers.conftest import make_customer  # noqa: F401 (fixture)
from tests.inventory.conftest import make_item  # noqa: F401 (fixture)
from tests.orders.conftest import make_order  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkHandler:
    """Accepts mail, answering DATA with the scripted replies first ("451 ...", "550 ...")."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.replies: list[str] = []
        self.stall = threading.Event()  # while set, RCPT waits (a server that hangs)
        self.stalled = threading.Event()
        self.data_seen = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio

        while self.stall.is_set():  # a server that hangs before taking the message
            self.stalled.set()
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen += 1
        if self.replies:
            return self.replies.pop(0)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"


@dataclass
class SmtpSink:
    port: int
    handler: SinkHandler

    @property
    def messages(self):
        return self.handler.messages

    def wait_for(self, count: int, timeout: float = 20) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_sink(app, monkeypatch):
    """A real SMTP server on a free port; the app under test sends to it."""
    from bizkit.notifications.channels import SmtpChannel

    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    SmtpChannel._connections.clear()
    yield SmtpSink(port, handler)
    handler.stall.clear()
    SmtpChannel._connections.clear()
    controller.stop()


@dataclass
class ProviderRequest:
    path: str
    form: dict
    headers: dict
    at: float


@dataclass
class FakeProvider:
    """A Twilio-compatible Messages API: replies are (status, headers, body, delay)."""

    port: int
    requests: list[ProviderRequest] = field(default_factory=list)
    replies: list[tuple] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def provider():
    state = FakeProvider(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            state.requests.append(
                ProviderRequest(self.path, form, dict(self.headers), time.monotonic())
            )
            status, headers, body, delay = (
                state.replies.pop(0) if state.replies else (201, {}, {"sid": "SM123"}, 0)
            )
            time.sleep(delay)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# -- committed data and a real worker -------------------------------------------------------


@dataclass(frozen=True)
class Shop:
    company_id: int
    customer_id: int


@pytest.fixture
def committed_shop(app, database_url):
    """A bike shop with a customer, committed for real so a worker process can read them."""
    from bizkit.core.models import Company
    from bizkit.core.tenancy import company_scope
    from bizkit.customers import operations as customers
    from bizkit.settings.operations import create_company

    with app.app_context():
        company = create_company(
            None, f"Spokes {secrets.token_hex(3)}", business_type="bike_shop", locale="cs"
        )
        with company_scope(company.id):
            customer = customers.create_customer(
                None,
                db.session.get(Company, company.id),
                {"name": "Jana Nováková", "email": "jana@example.com", "locale": "cs"},
            )
            shop = Shop(company.id, customer.id)
        db.session.commit()
        db.session.remove()
    yield shop
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM company WHERE id = :id"), {"id": shop.company_id})
    engine.dispose()


def worker_env(database_url, redis_url, smtp_port, **extra) -> dict:
    return {
        **os.environ,
        "BIZKIT_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        **{k: str(v) for k, v in extra.items()},
    }


def worker_command(redis_url: str, *, burst: bool = True, scheduler: bool = False) -> list[str]:
    command = [str(BIN / "rq"), "worker", "-w", "bizkit.core.jobs.AppWorker", "--url", redis_url]
    if burst:
        command.append("--burst")
    if scheduler:
        command.append("--with-scheduler")
    return [*command, "notifications"]


@pytest.fixture
def run_worker(database_url, services, smtp_sink):
    """Run a real RQ worker in burst mode until the queue is empty; returns its output."""

    def run(scheduler: bool = False, **env) -> subprocess.CompletedProcess:
        done = subprocess.run(
            worker_command(services["redis_url"], scheduler=scheduler),
            cwd=ROOT,
            env=worker_env(database_url, services["redis_url"], smtp_sink.port, **env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    return run


@pytest.fixture
def sms_company(app, company, provider):
    """The company sending SMS through the local provider stand-in (e-mail off)."""
    with company_ctx(app, company.id):
        notification_ops.update_settings(
            None,
            {
                "email_enabled": False,
                "sms_enabled": True,
                "provider_base_url": provider.base_url,
                "provider_account": "AC123",
                "provider_token": "secret-token",
                "sms_from": "+420600000001",
            },
        )
    return company
