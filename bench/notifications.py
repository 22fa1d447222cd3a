"""Benchmark: 10,000 e-mails through the outbox and two RQ workers to a local SMTP sink,
against the same messages sent by a plain smtplib loop in one process.

    python -m bench.notifications        (what `make bench-notifications` runs)

The workers are the Procfile's (`rq worker -w bizkit.core.jobs.AppWorker`, RQ's
SimpleWorker inside the app: no fork per job). Rows are written first; the clock runs
from handing all of them to RQ until the last one is `sent` in the database. The
baseline is the physical limit here: one process, one SMTP connection, the same MIME
messages. Uses BENCH_DATABASE_URL / BENCH_REDIS_URL or the embedded servers, in a
database of its own (`<name>_notifications`), and writes
bench/results/notifications.json. Exits non-zero when the ratio is under 25 %.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from aiosmtpd.controller import Controller

from bench import services

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
COUNT = int(os.environ.get("BENCH_NOTIFICATIONS", "10000"))
WORKERS = int(os.environ.get("BENCH_NOTIFICATION_WORKERS", "2"))
BUDGET = 0.25


class CountingSink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += len(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def own_database(url: str) -> str:
    """The benchmark's own database next to `url` (the shared bench schema stays untouched)."""
    import psycopg

    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "bizkit_bench") + "_notifications"
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def baseline(port: int, messages: list) -> float:
    """Messages/s of a plain smtplib loop over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages:
            smtp.send_message(message)
    return len(messages) / (time.perf_counter() - started)


def sample_messages(app, count: int) -> list:
    """The MIME messages the workers build, made here once for the baseline loop."""
    from bizkit.notifications.channels import OutgoingMessage, build_email
    from bizkit.notifications.templates import SAMPLES, render_message

    with app.test_request_context():
        rendered = render_message(
            "order_ready", "cs", SAMPLES["order_ready"], company_name="Bench Bistro"
        )
        return [
            build_email(
                OutgoingMessage(
                    notification_id=i,
                    channel="email",
                    to=f"guest{i}@example.com",
                    to_name="Guest",
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    short=rendered.short,
                    from_name="Bench Bistro",
                ),
                "BizKit <noreply@bench.example>",
                "bench.example",
            )
            for i in range(count)
        ]


def write_outbox(app, count: int) -> tuple[int, list[tuple[int, int, None]]]:
    """A company and `count` queued e-mails, committed without handing them to RQ."""
    from bizkit.core.tenancy import activate
    from bizkit.extensions import db
    from bizkit.notifications import operations as ops
    from bizkit.notifications.outbox import PENDING_KEY
    from bizkit.settings.operations import create_company

    with app.app_context():
        company = create_company(
            None,
            "Bench Bistro",
            f"bench-{int(time.time())}",
            business_type="restaurant",
            locale="cs",
        )
        activate(company.id)
        items = []
        for start in range(0, count, 1000):
            for i in range(start, min(count, start + 1000)):
                n = ops.queue_notification(
                    None,
                    event="order_ready",
                    channel="email",
                    recipient=f"guest{i}@example.com",
                    recipient_name="Guest",
                    locale="cs",
                    context={"order_number": i, "total": "36.50", "currency": "EUR"},
                )
                items.append((company.id, n.id, None))
            db.session.info.pop(PENDING_KEY, None)
            db.session.commit()
        company_id = company.id
        db.session.remove()
    return company_id, items


def sent_count(app, company_id: int) -> int:
    from sqlalchemy import func, select

    from bizkit.core.tenancy import company_scope
    from bizkit.extensions import db
    from bizkit.notifications.models import Notification

    with app.app_context(), company_scope(company_id):
        value = db.session.execute(
            select(func.count()).select_from(Notification).where(Notification.status == "sent")
        ).scalar_one()
        db.session.remove()
        return value


def main() -> int:
    db_url = own_database(services.database_url())
    redis, redis_server = services.redis_url()
    sink = CountingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **services.app_env(db_url, redis),
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DEFAULT_SENDER": "BizKit <noreply@bench.example>",
        "BIZKIT_LOG_JSON": "0",
    }
    os.environ.update({k: env[k] for k in ("BIZKIT_ENV", "SECRET_KEY", "MAIL_HOST", "MAIL_PORT")})
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(flask, cwd=ROOT, env=env, check=True, capture_output=True)

    from bizkit import create_app
    from bizkit.notifications.outbox import hand_over

    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": redis, "MAIL_PORT": port})
    with app.app_context():
        from bizkit.extensions import redis_connection

        redis_connection().delete("rq:queue:notifications")

    base_rate = baseline(port, sample_messages(app, COUNT))
    sink.count = 0
    print(f"baseline: {base_rate:,.0f} messages/s (smtplib, one process, one connection)")

    company_id, items = write_outbox(app, COUNT + 100)
    worker_cmd = [
        str(Path(sys.executable).parent / "rq"),
        "worker",
        "-w",
        "bizkit.core.jobs.AppWorker",
        "--url",
        redis,
        "--logging_level",
        "WARNING",
        "notifications",
    ]
    workers = [
        subprocess.Popen(worker_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for _ in range(WORKERS)
    ]
    try:
        with app.app_context():
            hand_over(items[:100])  # warm-up: imports, the app, connections
        while sent_count(app, company_id) < 100:
            time.sleep(0.2)
        sink.count = 0
        started = time.perf_counter()
        with app.app_context():
            for chunk in range(100, len(items), 2000):
                hand_over(items[chunk : chunk + 2000])
        while sent_count(app, company_id) < COUNT + 100:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        controller.stop()
        if redis_server is not None:
            redis_server.stop()
    rate = COUNT / elapsed
    ratio = rate / base_rate
    print(f"outbox:   {rate:,.0f} messages/s ({WORKERS} AppWorkers, {COUNT:,} e-mails)")
    print(f"ratio:    {ratio:.0%} (budget {BUDGET:.0%}); the sink got {sink.count:,} messages")
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "scenario": "notifications_email",
        "rate_per_s": round(rate, 1),
        "baseline_rate_per_s": round(base_rate, 1),
        "ratio": round(ratio, 3),
        "workers": WORKERS,
        "messages": COUNT,
    }
    (RESULTS / "notifications.json").write_text(json.dumps(result, indent=2) + "\n")
    latest = RESULTS / "latest.json"  # one list of every scenario; the others are kept
    rows = json.loads(latest.read_text()) if latest.exists() else []
    rows = [r for r in rows if r.get("scenario") != result["scenario"]] + [result]
    latest.write_text(json.dumps(rows, indent=2) + "\n")
    if sink.count != COUNT:
        print(f"FAIL: the sink received {sink.count} messages, expected {COUNT}")
        return 1
    return 0 if ratio >= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
