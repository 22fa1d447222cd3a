"""Jobs of the core: small, idempotent, taking ids."""

from __future__ import annotations

from rq import get_current_job
from sqlalchemy import select

from bizkit.core.models import Company
from bizkit.core.tenancy import company_scope
from bizkit.extensions import db


def describe_company(company_id: int) -> dict:
    """Read a company inside the worker's app context (used by health checks and tests)."""
    with company_scope(company_id):
        company = db.session.execute(select(Company).where(Company.id == company_id)).scalar_one()
        job = get_current_job()
        if job is not None:
            job.meta["progress"] = 100
            job.save_meta()
        return {"id": company.id, "name": company.name, "currency": company.currency}
