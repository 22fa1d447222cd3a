"""CSV export of the customer list: the current filter, written by a job into a file.

`start` records what to export (and audits it); the view queues the job after commit, on
its own queue (`QUEUE`), and shows a progress bar; `run` (bizkit.customers.tasks, which
first claims the export so two runs never write it at once) writes the file in keyset
batches of plain columns, committing its progress after each. The file is named in the
row before a byte is written, so nothing is left behind unnamed: a failed run deletes its
file, and `sweep` (whenever an export starts, and hourly from bizkit/cron.py) deletes
files past `KEEP`, files of failed runs, and marks exports whose worker vanished as
failed. The files hold personal data, which an erasure must not leave behind in old
exports for long.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from bizkit.core import audit
from bizkit.core.pagination import keyset_page
from bizkit.core.timezones import utcnow
from bizkit.customers import operations as ops
from bizkit.customers.models import Customer, CustomerExport
from bizkit.extensions import db

COLUMNS = [
    "id",
    "name",
    "email",
    "phone",
    "company_name",
    "vat_id",
    "billing_street",
    "billing_city",
    "billing_postal_code",
    "billing_country",
    "locale",
    "tags",
    "marketing_consent",
    "store_credit_balance",
    "created_at",
]
BATCH = 1000
KEEP = timedelta(hours=24)
STALE = timedelta(hours=2)  # queued or running this long: the job (timeout 1 h) is gone
JOB_TIMEOUT_SECONDS = 3600
# Its own RQ queue: an export does not wait behind imports in `default` (bizkit.config).
QUEUE = "exports"

_FORMULA_START = ("=", "@", "+", "-", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def spreadsheet_safe(value):
    """Quote a cell a spreadsheet would run as a formula (=, @, +, - ...) with a leading
    apostrophe; plain numbers and E.164 phone numbers (+420777123456) stay as they are."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def _filters(flt: ops.CustomerFilter) -> dict:
    return {"query": flt.query, "tag": flt.tag, "group_id": flt.group_id}


def start(actor, flt: ops.CustomerFilter) -> tuple[CustomerExport, bool]:
    """Record an export of `flt` for `actor` (the view queues the job after commit), or
    give back the same export of this user that is still on its way (a second click, a
    form sent again): (export, whether it is new)."""
    sweep()
    actor_id = getattr(actor, "id", None)
    waiting = db.session.execute(
        select(CustomerExport)
        .where(
            CustomerExport.actor_id == actor_id,
            CustomerExport.status.in_(("queued", "running")),
            CustomerExport.filters == _filters(flt),
        )
        .order_by(CustomerExport.id.desc())
        .limit(1)
    ).scalar()
    if waiting is not None and actor_id is not None:
        return waiting, False
    export = CustomerExport(filters=_filters(flt), actor_id=actor_id)
    db.session.add(export)
    db.session.flush()
    audit.record(actor, "customer.export", export, {"filters": [None, export.filters]})
    return export, True


def claim(export_id: int) -> bool:
    """Mark a queued (or failed, being retried) export as running; False when another run
    has it or it is finished, so a requeued job never writes the same export twice."""
    claimed = db.session.execute(
        update(CustomerExport)
        .where(CustomerExport.id == export_id, CustomerExport.status.in_(("queued", "failed")))
        .values(status="running", processed_rows=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def run(export: CustomerExport, on_progress: Callable[[CustomerExport], None] | None = None):
    """Write the file of a claimed export, committing the progress after each batch."""
    flt = ops.CustomerFilter(**export.filters)
    matching = ops.filtered_statement(flt)
    discard(export)  # a failed earlier run's, should one be left
    directory = Path(current_app.config["BIZKIT_STORAGE_DIR"]) / "exports"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    export.stored_path = str(path)
    export.total_rows = db.session.execute(
        matching.with_only_columns(func.count(Customer.id))
    ).scalar_one()
    db.session.commit()
    statement = matching.with_only_columns(
        *(getattr(Customer, name) for name in COLUMNS), ops.sort_name().label("sort_name")
    )
    tags = COLUMNS.index("tags")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        cursor = None
        while True:
            batch = keyset_page(
                statement,
                [ops.sort_name(), Customer.id],
                cursor,
                BATCH,
                descending=False,
                key=lambda row: [row.sort_name, row.id],
                entities=False,
            )
            for row in batch.rows:
                values = list(row)[: len(COLUMNS)]
                values[tags] = ", ".join(values[tags] or [])
                writer.writerow([spreadsheet_safe(value) for value in values])
            export.processed_rows += len(batch.rows)
            db.session.commit()
            if on_progress is not None:
                on_progress(export)
            if not batch.next_cursor:
                break
            cursor = batch.next_cursor
    export.status = "done"
    export.finished_at = utcnow()
    db.session.commit()
    return export


def downloadable(export: CustomerExport) -> bool:
    return (
        export.status == "done"
        and export.stored_path is not None
        and export.finished_at is not None
        and export.finished_at > utcnow() - KEEP
        and Path(export.stored_path).is_file()
    )


def to_sweep():
    """Exports whose file must go: past their day, failed, or left by a vanished job."""
    now = utcnow()
    return or_(
        and_(CustomerExport.status == "done", CustomerExport.finished_at <= now - KEEP),
        and_(CustomerExport.status == "failed", CustomerExport.stored_path.is_not(None)),
        and_(
            CustomerExport.status.in_(("queued", "running")),
            CustomerExport.created_at <= now - STALE,
        ),
    )


def sweep() -> int:
    """Delete the current company's export files that must go; returns how many exports."""
    count = 0
    for export in db.session.execute(select(CustomerExport).where(to_sweep())).scalars():
        discard(export)
        if export.status == "done":
            export.status = "expired"
            export.filters = {}  # the search text may be a customer's name
        elif export.status in ("queued", "running"):
            export.status = "failed"
        count += 1
    return count


def discard(export: CustomerExport) -> None:
    """Delete the export's file, if it has one."""
    if export.stored_path:
        root = (Path(current_app.config["BIZKIT_STORAGE_DIR"]) / "exports").resolve()
        path = Path(export.stored_path).resolve()
        if path.parent == root:
            path.unlink(missing_ok=True)
        export.stored_path = None
