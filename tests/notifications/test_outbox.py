"""The outbox end to end, with a real RQ worker process (burst mode) against the test
Redis and database, and the real SMTP server: nothing lost, nothing sent twice."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import time

from rq import Queue, Worker

from bizkit import create_app
from bizkit.core.tenancy import activate, company_scope
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.notifications import operations as ops
from bizkit.notifications import tasks
from bizkit.notifications.models import Notification
from bizkit.orders import operations as orders
from bizkit.workflow import operations as workflow
from tests.conftest import app_config
from tests.notifications.conftest import ROOT, free_port, worker_command, worker_env
from tests.notifications.helpers import row

ORDER = {"order_number": 12, "total": "80.00", "currency": "CZK", "status": "READY_FOR_PICKUP"}


def queue_ready(app, shop, **kwargs) -> int:
    with app.app_context():
        activate(shop.company_id)
        customer = db.session.get(Customer, shop.customer_id)
        notification = ops.notify_customer(None, customer, "ready_for_pickup", ORDER, **kwargs)
        db.session.commit()
        nid = notification.id
        db.session.remove()
    return nid


def sweep(app) -> dict:
    with app.app_context():
        result = tasks.sweep_notifications()
        db.session.remove()
    return result


def age(app, shop, nid, seconds: int) -> None:
    """Let time pass for one row: its due time moves back by `seconds`."""
    with app.app_context(), company_scope(shop.company_id):
        n = db.session.get(Notification, nid)
        n.due_at = n.due_at - dt.timedelta(seconds=seconds)
        db.session.commit()
        db.session.remove()


def test_redis_down_at_commit_the_sweeper_delivers_later_exactly_once(
    app, database_url, committed_shop, smtp_sink, run_worker, redis_client
):
    # The business transaction commits while Redis is unreachable (a closed port).
    closed = f"redis://127.0.0.1:{free_port()}/0"
    redis_down_app = create_app(app_config(database_url, closed))
    nid = queue_ready(redis_down_app, committed_shop)
    queue = Queue("notifications", connection=redis_client)
    assert queue.count == 0
    assert row(app, committed_shop.company_id, nid)["status"] == "queued"

    run_worker()
    assert smtp_sink.messages == []
    assert sweep(app)["handed_over"] == 0  # within the minute: the fast path may still come

    age(app, committed_shop, nid, 61)
    assert sweep(app)["handed_over"] == 1
    assert sweep(app)["handed_over"] == 0  # handed over once per minute, not on every sweep
    # A duplicate hand-over (two sweepers, a restarted cron) changes nothing.
    queue.enqueue("bizkit.notifications.tasks.deliver", committed_shop.company_id, nid)
    run_worker()

    assert len(smtp_sink.wait_for(1)) == 1
    time.sleep(0.3)
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["Subject"] == "Objednávka 12 je připravena k vyzvednutí"
    stored = row(app, committed_shop.company_id, nid)
    assert stored["status"] == "sent" and stored["attempts"] == 1
    age(app, committed_shop, nid, 120)
    assert sweep(app)["handed_over"] == 0


def test_a_worker_killed_mid_delivery_is_retried_and_delivers_once(
    app, database_url, services, committed_shop, smtp_sink, run_worker, monkeypatch
):
    smtp_sink.handler.stall.set()  # the server hangs in the middle of the conversation
    nid = queue_ready(app, committed_shop)
    worker = subprocess.Popen(
        worker_command(services["redis_url"], burst=False),
        cwd=ROOT,
        env=worker_env(database_url, services["redis_url"], smtp_sink.port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp_sink.handler.stalled.wait(30), "the worker never reached the SMTP server"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    smtp_sink.handler.stall.clear()
    stuck = row(app, committed_shop.company_id, nid)
    assert stuck["status"] == "sending" and stuck["attempt_log"] == [(1, None, None)]

    # Within the claim lease nobody takes it over (the worker might only be slow).
    assert sweep(app)["interrupted"] == 0
    monkeypatch.setitem(app.config, "NOTIFY_CLAIM_LEASE_SECONDS", 1)
    time.sleep(1.2)
    assert sweep(app) == {"interrupted": 1, "handed_over": 0}
    run_worker()

    assert len(smtp_sink.wait_for(1)) == 1
    stored = row(app, committed_shop.company_id, nid)
    assert stored["status"] == "sent" and stored["attempts"] == 2
    assert [a[:2] for a in stored["attempt_log"]] == [(1, "interrupted"), (2, "sent")]


def test_a_scheduled_reminder_is_sent_at_its_time_and_cancelled_with_its_cause(
    app, database_url, services, committed_shop, smtp_sink, redis_client
):
    # A worker with RQ's scheduler is up and idle before the reminders are written.
    worker = subprocess.Popen(
        worker_command(services["redis_url"], burst=False, scheduler=True),
        cwd=ROOT,
        env=worker_env(database_url, services["redis_url"], smtp_sink.port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not Worker.all(connection=redis_client) and time.monotonic() < deadline:
            time.sleep(0.2)
        send_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
        reminder = {"service": "Servis kola", "starts_at": "2026-12-03T09:30:00+00:00"}
        with app.app_context():
            activate(committed_shop.company_id)
            customer = db.session.get(Customer, committed_shop.customer_id)
            kept = ops.notify_customer(
                None, customer, "appointment_reminder", reminder, send_at=send_at
            )
            order = orders.create_order(None, customer=customer)
            dropped = ops.notify_customer(
                None, customer, "appointment_reminder", reminder, entity=order, send_at=send_at
            )
            db.session.commit()
            kept_id, dropped_id = kept.id, dropped.id
            workflow.transition(order, "CANCELLED", None, note="customer changed plans")
            db.session.commit()
            db.session.remove()
        cancelled = row(app, committed_shop.company_id, dropped_id)
        assert cancelled["status"] == "cancelled"
        assert cancelled["cancel_reason"] == "Cancelled with its order."

        while dt.datetime.now(dt.UTC) < send_at - dt.timedelta(seconds=0.3):
            assert smtp_sink.messages == []  # not before its time
            time.sleep(0.1)
        assert len(smtp_sink.wait_for(1, timeout=30)) == 1
        time.sleep(1.5)  # the cancelled one's job ran too, and sent nothing
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
    [message] = smtp_sink.messages
    assert message["Subject"].startswith("Připomínka: váš termín")
    sent = row(app, committed_shop.company_id, kept_id)
    assert sent["status"] == "sent" and sent["sent_at"] >= send_at
    assert row(app, committed_shop.company_id, dropped_id)["status"] == "cancelled"


def test_a_missed_schedule_is_caught_up_when_the_worker_returns(
    app, committed_shop, smtp_sink, run_worker, redis_client, monkeypatch
):
    send_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    nid = queue_ready(app, committed_shop, send_at=send_at)
    redis_client.flushdb()  # the scheduled job is gone (Redis restarted without its data)
    time.sleep(1.2)
    run_worker(scheduler=True)
    assert smtp_sink.messages == []
    monkeypatch.setitem(app.config, "NOTIFY_SWEEP_AFTER_SECONDS", 0)
    assert sweep(app)["handed_over"] == 1
    run_worker()
    assert len(smtp_sink.wait_for(1)) == 1
    assert row(app, committed_shop.company_id, nid)["status"] == "sent"
