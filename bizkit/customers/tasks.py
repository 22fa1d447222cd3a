"""Jobs of the customers module: take ids, safe to run again."""

from __future__ import annotations

from flask_babel import force_locale
from rq import get_current_job
from sqlalchemy import select

from bizkit.auth.models import User
from bizkit.config import LOCALES
from bizkit.core.models import Company
from bizkit.core.tenancy import company_scope
from bizkit.customers import csv_export, csv_import
from bizkit.customers.models import CustomerExport, CustomerImport
from bizkit.extensions import db


def _report_progress(current: CustomerImport | CustomerExport) -> None:
    """Copy a job's progress into its RQ job's meta (nothing when run outside a worker)."""
    rq_job = get_current_job()
    if rq_job is not None:
        rq_job.meta["progress"] = current.percent
        rq_job.save_meta()


def _locale_of(actor: User | None, company: Company) -> str:
    """The language the pages show `actor` (bizkit.core.i18n.select_locale, without a
    request): their own choice, else the company's."""
    for locale in (actor.locale if actor else None, company.locale):
        if locale in LOCALES:
            return locale
    return "en"


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
        try:
            # The rows' errors are kept as text: in the language of who started it.
            with force_locale(_locale_of(actor, company)):
                csv_import.run(actor, company, job, on_progress=_report_progress)
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
    """Write a CSV export. Only a queued (or failed) export is taken, in one conditional
    update, so a requeued job never writes it a second time at once; a failure deletes
    the part-written file."""
    with company_scope(company_id):
        if not csv_export.claim(export_id):
            status = db.session.execute(
                select(CustomerExport.status).where(CustomerExport.id == export_id)
            ).scalar_one()
            return {"status": status}
        export = db.session.execute(
            select(CustomerExport).where(CustomerExport.id == export_id)
        ).scalar_one()
        try:
            csv_export.run(export, on_progress=_report_progress)
        except Exception:
            db.session.rollback()
            export = db.session.get(CustomerExport, export_id)
            csv_export.discard(export)
            export.status = "failed"
            db.session.commit()
            raise
        return {"rows": export.processed_rows}


def expire_customer_exports() -> int:
    """Sweep every company's export files (`bizkit.cron`, hourly): past their day, of
    failed runs, of jobs that vanished (csv_export.sweep)."""
    companies = db.session.execute(
        select(CustomerExport.company_id)
        .where(csv_export.to_sweep())
        .distinct()
        .execution_options(all_companies=True)
    ).scalars()
    swept = 0
    for company_id in list(companies):
        with company_scope(company_id):
            swept += csv_export.sweep()
            db.session.commit()
    return swept
