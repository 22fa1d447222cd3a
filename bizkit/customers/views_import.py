"""CSV import: upload, map columns, preview, run as a job, watch progress."""

from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render
from bizkit.core.jobs import enqueue_after_commit
from bizkit.core.permissions import requires
from bizkit.core.tenancy import get_or_404
from bizkit.customers import bp, csv_import
from bizkit.customers.forms import ImportUploadForm
from bizkit.customers.models import CustomerImport


@bp.route("/import", methods=["GET", "POST"])
@requires("customers.import")
def import_upload():
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if upload is None or not getattr(upload, "filename", ""):
                raise BusinessRuleError(_("Choose a CSV file."), field="file")
            job = csv_import.store_upload(current_user, upload.filename, upload.read())
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            return redirect(url_for("customers.import_mapping", import_id=job.id))
    status = 422 if request.method == "POST" else 200
    return render("customers/import_upload.html", form=form, status=status)


@bp.route("/import/<int:import_id>", methods=["GET", "POST"])
@requires("customers.import")
def import_mapping(import_id: int):
    """Map columns to fields and preview the first rows with the reason each bad row fails."""
    job = get_or_404(CustomerImport, import_id)
    if job.status != "uploaded":
        return redirect(url_for("customers.import_progress", import_id=job.id))
    header, _rows = csv_import.load_file(job)
    error = None
    status = 200
    if request.method == "POST":
        mapping = {str(i): request.form.get(f"col{i}", "") for i in range(len(header))}
        try:
            csv_import.set_mapping(current_user, job, mapping)
        except BusinessRuleError as refused:
            error = refused.message
            status = 422
        else:
            if request.form.get("action") == "start" and csv_import.start(job):
                # The conditional update lets only one of two quick clicks queue the job.
                enqueue_after_commit(
                    "default",
                    "bizkit.customers.tasks.run_customer_import",
                    g.company.id,
                    job.id,
                    job_timeout=3600,
                )
            if request.form.get("action") == "start":
                return redirect(url_for("customers.import_progress", import_id=job.id))
    preview = csv_import.preview(g.company, job) if status == 200 else []
    return render(
        "customers/import_mapping.html",
        "customers/_import_preview.html",
        job=job,
        header=header,
        fields=csv_import.IMPORT_FIELDS,
        preview=preview,
        error=error,
        status=status,
    )


@bp.route("/import/<int:import_id>/progress")
@requires("customers.import")
def import_progress(import_id: int):
    """The progress bar; while the job runs the fragment replaces itself every half second."""
    job = get_or_404(CustomerImport, import_id)
    return render("customers/import_progress.html", "customers/_import_status.html", job=job)
