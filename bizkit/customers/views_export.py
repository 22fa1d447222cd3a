"""CSV export of the customer list: start it with the current filter, watch its progress,
download the file (bizkit.customers.csv_export)."""

from __future__ import annotations

from flask import abort, g, redirect, request, send_file, url_for
from flask_login import current_user

from bizkit.core.htmx import is_htmx, render
from bizkit.core.jobs import enqueue_after_commit
from bizkit.core.permissions import requires
from bizkit.core.tenancy import get_or_404
from bizkit.core.timezones import utcnow
from bizkit.customers import bp, csv_export
from bizkit.customers.models import CustomerExport
from bizkit.customers.views import customer_filter


@bp.route("/export", methods=["POST"])
@requires("customers.export")
def start_export():
    export, new = csv_export.start(current_user, customer_filter(request.form))
    if new:
        enqueue_after_commit(
            csv_export.QUEUE,
            "bizkit.customers.tasks.run_customer_export",
            g.company.id,
            export.id,
            job_timeout=csv_export.JOB_TIMEOUT_SECONDS,
        )
    target = url_for("customers.export_progress", export_id=export.id)
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


def _own_export(export_id: int) -> CustomerExport:
    """An export of this company that this user asked for; anyone else's is a 404."""
    export = get_or_404(CustomerExport, export_id)
    if export.actor_id != current_user.id:
        abort(404)
    return export


@bp.route("/exports/<int:export_id>")
@requires("customers.export")
def export_progress(export_id: int):
    """The progress bar; while the job runs the fragment replaces itself every half second."""
    export = _own_export(export_id)
    return render(
        "customers/export_progress.html",
        "customers/_export_status.html",
        export=export,
        downloadable=csv_export.downloadable(export),
    )


@bp.route("/exports/<int:export_id>/download")
@requires("customers.export")
def export_download(export_id: int):
    export = _own_export(export_id)
    if not csv_export.downloadable(export):
        abort(404)
    name = f"customers-{utcnow():%Y-%m-%d}-{export.id}.csv"
    return send_file(
        export.stored_path, mimetype="text/csv", as_attachment=True, download_name=name
    )
