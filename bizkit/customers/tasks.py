"""Jobs of the customers module: take ids, safe to run again."""

from __future__ import annotations

from rq import get_current_job
from sqlalchemy import select

from bizkit.auth.models import User
from bizkit.core.models import Company
from bizkit.core.tenancy import company_scope
from bizkit.core.timezones import utcnow
from bizkit.customers import csv_export, csv_import
from bizkit.customers.models import CustomerExport, CustomerImport
from bizkit.extensions import db


def run_customer_import(company_id: int, import_id: int) -> dict:
    """Run a CSV import; a retried job resumes after the last committed batch."""
    with company_scope(company_id):
        company = db.session.execute(select(Company).where(Company.id == company_id)).scalar_one()
        job = db.session.execute(
            select(CustomerImport).where(CustomerImport.id == import_id)
        ).scalar_one()
        if job.status == "done":
            return {"status": "done"}
        actor = db.session.get(User, job.actor_id) if job.actor_id else None
        rq_job = get_current_job()

        def progress(current: CustomerImport) -> None:
            if rq_job is not None:
                rq_job.meta["progress"] = current.percent
                rq_job.save_meta()

        try:
            csv_import.run(actor, company, job, on_progress=progress)
        except Exception:
            db.session.rollback()
            job = db.session.get(CustomerImport, import_id)
            job.status = "failed"
            db.session.commit()
            raise
        return {
            "created": job.created_count,
            "updated": job.updated_count,
            "failed": job.failed_count,
        }


def run_customer_export(company_id: int, export_id: int) -> dict:
    """Write a CSV export; a retried job writes the file again from the top."""
    with company_scope(company_id):
        export = db.session.execute(
            select(CustomerExport).where(CustomerExport.id == export_id)
        ).scalar_one()
        if export.status in ("done", "expired"):
            return {"status": export.status}
        rq_job = get_current_job()

        def progress(current: CustomerExport) -> None:
            if rq_job is not None:
                rq_job.meta["progress"] = current.percent
                rq_job.save_meta()

        try:
            csv_export.run(export, on_progress=progress)
        except Exception:
            db.session.rollback()
            export = db.session.get(CustomerExport, export_id)
            export.status = "failed"
            db.session.commit()
            raise
        return {"rows": export.processed_rows}


def expire_customer_exports() -> int:
    """Delete every company's export files past their day (`bizkit.cron`, hourly)."""
    companies = db.session.execute(
        select(CustomerExport.company_id)
        .where(
            CustomerExport.status == "done",
            CustomerExport.finished_at <= utcnow() - csv_export.KEEP,
        )
        .distinct()
        .execution_options(all_companies=True)
    ).scalars()
    expired = 0
    for company_id in list(companies):
        with company_scope(company_id):
            expired += csv_export.expire_old()
            db.session.commit()
    return expired
