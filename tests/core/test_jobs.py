"""RQ jobs run in a real worker process, inside the app, against the test Redis and database."""

import os
import subprocess
import sys

import pytest
from rq import Queue
from sqlalchemy import create_engine, text

from bizkit.config import sqlalchemy_url
from bizkit.core.jobs import enqueue_after_commit
from bizkit.extensions import db
from tests.conftest import TEST_SECRET, company_ctx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def committed_company(app, database_url):
    """A company committed for real, so another process (the worker) can read it."""
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.begin() as conn:
        company_id = conn.execute(
            text(
                "INSERT INTO company (name, slug, business_type, locale, timezone, currency) "
                "VALUES ('Worker Café', 'worker-cafe', 'restaurant', 'en', 'UTC', 'EUR') "
                "RETURNING id"
            )
        ).scalar_one()
    yield company_id
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM company WHERE id = :id"), {"id": company_id})
    engine.dispose()


def _run_worker(database_url, redis_url):
    env = {
        **os.environ,
        "BIZKIT_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }
    return subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "rq"),
            "worker",
            "--burst",
            "-w",
            "bizkit.core.jobs.AppWorker",
            "--url",
            redis_url,
            "default",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_real_worker_drains_a_job_inside_the_app(
    database_url, services, redis_client, committed_company
):
    queue = Queue("default", connection=redis_client)
    job = queue.enqueue("bizkit.core.tasks.describe_company", committed_company)
    result = _run_worker(database_url, services["redis_url"])
    assert result.returncode == 0, result.stderr
    job.refresh()
    assert job.get_status() == "finished", result.stderr
    assert job.return_value() == {"id": committed_company, "name": "Worker Café", "currency": "EUR"}
    assert job.meta["progress"] == 100
    assert len(queue) == 0


def test_a_job_is_handed_over_only_after_commit(app, rollback_db, redis_client, company):
    queue = Queue("default", connection=redis_client)
    with company_ctx(app, company.id):
        enqueue_after_commit("default", "bizkit.core.tasks.describe_company", company.id)
        assert len(queue) == 0
    # company_ctx commits on the way out
    assert len(queue) == 1
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # a transaction is under way
        enqueue_after_commit("default", "bizkit.core.tasks.describe_company", company.id)
        db.session.rollback()
        db.session.commit()
    assert len(queue) == 1


def test_unknown_queue_names_are_refused(app):
    from bizkit.extensions import queue

    with app.app_context(), pytest.raises(ValueError):
        queue("emails")
