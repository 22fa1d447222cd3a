"""A customer CSV export end to end through a real RQ worker process listening on the
queues the Procfile's `exporter` names: the job goes to the `exports` queue, and that
worker, which runs nothing else, runs it."""

from __future__ import annotations

import csv
import io
import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from rq import Queue
from sqlalchemy import create_engine, text

from bizkit.config import RQ_QUEUES, sqlalchemy_url
from bizkit.core.models import Company
from bizkit.core.tenancy import company_scope
from bizkit.customers.models import CustomerExport
from bizkit.extensions import db
from tests.conftest import TEST_SECRET, BrowserlikeClient, UserRef

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def procfile_worker_queues(process: str = "worker") -> list[str]:
    """The queues an `rq worker` process of the Procfile listens to in production."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{process}:"):
            words = shlex.split(line.split(":", 1)[1])
            return words[words.index("--url") + 2 :]
    raise AssertionError(f"no {process} in the Procfile")


def test_the_procfile_worker_listens_to_every_queue_and_the_exporter_to_exports_alone():
    assert procfile_worker_queues() == list(RQ_QUEUES)
    assert "exports" in RQ_QUEUES
    assert procfile_worker_queues("exporter") == ["exports"]


@pytest.fixture
def committed_owner(app, database_url):
    """A company with an owner and two customers, committed for real so a worker process
    (and requests outside the test transaction) see them."""
    from bizkit.auth import operations as auth_ops
    from bizkit.customers import operations as customers
    from bizkit.settings.operations import create_company

    password = "correct horse battery"
    with app.app_context():
        company = create_company(None, f"Export Bistro {secrets.token_hex(3)}", locale="en")
        with company_scope(company.id):
            user, _ = auth_ops.create_user(
                f"owner-{secrets.token_hex(4)}@example.com", "Owner", password
            )
            auth_ops.add_member(None, user, "owner")
            record = db.session.get(Company, company.id)
            customers.create_customer(None, record, {"name": "Antonín Dvořák"})
            customers.create_customer(None, record, {"name": "Bedřich Smetana"})
            owner = (company.id, UserRef(user.id, user.email, password))
        db.session.commit()
        db.session.remove()
    yield owner
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.begin() as conn:
        paths = conn.execute(
            text("SELECT stored_path FROM customer_export WHERE company_id = :id"),
            {"id": owner[0]},
        ).scalars()
        for path in paths:
            if path:
                Path(path).unlink(missing_ok=True)
        conn.execute(text("DELETE FROM company WHERE id = :id"), {"id": owner[0]})
        conn.execute(text("DELETE FROM user_account WHERE id = :id"), {"id": owner[1].id})
    engine.dispose()


def test_an_export_goes_to_its_own_queue_and_a_real_worker_writes_it(
    app, database_url, services, redis_client, committed_owner
):
    company_id, owner = committed_owner
    client = BrowserlikeClient(app, app.test_client())
    client.login(owner)
    response = client.post("/customers/export", {"q": "dvorak"})
    assert response.status_code == 302
    export_id = int(response.headers["Location"].rsplit("/", 1)[1])
    exports = Queue("exports", connection=redis_client)
    assert exports.count == 1 and Queue("default", connection=redis_client).count == 0
    job = exports.jobs[0]
    assert job.func_name == "bizkit.customers.tasks.run_customer_export"

    env = {
        **os.environ,
        "BIZKIT_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": services["redis_url"],
        "BIZKIT_STORAGE_DIR": app.config["BIZKIT_STORAGE_DIR"],
    }
    worker = [str(BIN / "rq"), "worker", "--burst", "-w", "bizkit.core.jobs.AppWorker"]
    worker += ["--url", services["redis_url"], *procfile_worker_queues("exporter")]
    done = subprocess.run(worker, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]

    job.refresh()
    assert job.get_status() == "finished", done.stderr[-3000:]
    assert job.return_value() == {"rows": 1}
    assert exports.count == 0
    with app.app_context(), company_scope(company_id):
        assert db.session.get(CustomerExport, export_id).status == "done"
        db.session.remove()
    download = client.get(f"/customers/exports/{export_id}/download")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 2 and rows[1][1] == "Antonín Dvořák"
