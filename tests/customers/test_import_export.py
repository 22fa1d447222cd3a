"""CSV import (mapping, preview, progress, idempotent re-import), CSV export, GDPR."""

import csv
import io
import json
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bizkit.core.models import AuditEntry
from bizkit.customers import csv_export, tasks
from bizkit.customers.models import Customer, CustomerExport, StoreCreditMovement
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx, text_of

CSV = (
    "Name;E-mail;Telefon;City;Tags\n"
    "Antonín Dvořák;antonin@example.com;+420 777 123 456;Praha;vip\n"
    "Bad Mail;not-an-email;;Brno;\n"
    ";nobody@example.com;;;\n"
    "Zoë Martínez;zoe@example.es;+34 600 123 456;Madrid;vip, export\n"
).encode()


def upload(client, content=CSV, name="customers.csv"):
    return client.post(
        "/customers/import",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def import_id_of(response) -> int:
    return int(re.search(r"/customers/import/(\d+)", response.headers["Location"]).group(1))


def test_upload_guesses_the_mapping_and_previews_failures(app, auth, company):
    response = upload(auth)
    assert response.status_code == 302
    page = auth.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option value="email" selected>' in html
    assert '<option value="phone" selected>' in html
    text = text_of(page)
    assert "This e-mail address is not valid." in text
    assert "The customer needs a name." in text
    assert "new customer" in text


def test_mapping_without_a_name_column_is_refused(auth):
    job_id = import_id_of(upload(auth))
    response = auth.post(
        f"/customers/import/{job_id}", {"col0": "", "col1": "email", "action": "preview"}
    )
    assert response.status_code == 422
    assert "Choose the column that holds the name." in text_of(response)


def test_a_field_mapped_twice_is_refused(auth):
    job_id = import_id_of(upload(auth))
    response = auth.post(
        f"/customers/import/{job_id}", {"col0": "name", "col1": "email", "col2": "email"}
    )
    assert response.status_code == 422


def test_empty_or_binary_uploads_are_refused(auth):
    assert upload(auth, b"").status_code == 422
    response = upload(auth, b"\n\n")
    assert response.status_code == 422
    assert "The file is empty." in text_of(response)


def test_a_spreadsheet_file_is_refused_and_unicode_text_is_read(auth):
    import zipfile

    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types>" + "<Override/>" * 200 + "</Types>")
        archive.writestr("xl/worksheets/sheet1.xml", "<row><c>Antonín</c></row>" * 300)
    response = upload(auth, xlsx.getvalue(), name="customers.xlsx")
    assert response.status_code == 422
    assert "The file is not readable text. Save it as CSV" in text_of(response)
    # A short file ending with a DOS end-of-file mark is text.
    assert upload(auth, b"Name;E-mail\nJana;jana@example.com\n\x1a").status_code == 302
    # Excel's "Unicode text" is UTF-16 with a byte-order mark: read, not refused.
    response = upload(auth, CSV.decode().replace(";", "\t").encode("utf-16"), name="c.txt")
    assert response.status_code == 302
    assert "Antonín Dvořák" in text_of(auth.get(response.headers["Location"]))


def _start_and_run(app, auth, company, job_id):
    response = auth.post(
        f"/customers/import/{job_id}",
        {
            "col0": "name",
            "col1": "email",
            "col2": "phone",
            "col3": "billing_city",
            "col4": "tags",
            "action": "start",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/import/{job_id}/progress")
    with app.app_context():
        return tasks.run_customer_import(company.id, job_id)


def test_import_reports_bad_rows_and_reimport_does_not_duplicate(app, auth, company, redis_client):
    job_id = import_id_of(upload(auth))
    assert redis_client.llen("rq:queue:default") == 0
    result = _start_and_run(app, auth, company, job_id)
    assert result == {"created": 2, "updated": 0, "failed": 2}
    summary = text_of(auth.get(f"/customers/import/{job_id}/progress"))
    assert "Done: 2 created, 0 updated, 2 failed." in summary
    assert "Line 3" in summary and "Line 4" in summary
    with company_ctx(app, company.id):
        zoe = db.session.execute(
            select(Customer).where(Customer.email == "zoe@example.es")
        ).scalar_one()
        assert zoe.phone == "+34600123456" and zoe.tags == ["vip", "export"]
    again = import_id_of(upload(auth, CSV.replace(b"Madrid", b"Sevilla")))
    assert _start_and_run(app, auth, company, again) == {"created": 0, "updated": 2, "failed": 2}
    with company_ctx(app, company.id):
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == 2
        zoe = db.session.execute(
            select(Customer).where(Customer.email == "zoe@example.es")
        ).scalar_one()
        assert zoe.billing_city == "Sevilla"


def test_a_reimport_with_empty_cells_keeps_what_the_customer_has(app, auth, company):
    _start_and_run(app, auth, company, import_id_of(upload(auth)))
    blanks = "Name;E-mail;Telefon;City;Tags\nAntonín Dvořák;antonin@example.com;;;\n"
    again = import_id_of(upload(auth, blanks.encode()))
    assert _start_and_run(app, auth, company, again) == {"created": 0, "updated": 1, "failed": 0}
    with company_ctx(app, company.id):
        antonin = db.session.execute(
            select(Customer).where(Customer.email == "antonin@example.com")
        ).scalar_one()
        assert antonin.phone == "+420777123456"
        assert antonin.billing_city == "Praha"
        assert antonin.tags == ["vip"]


def test_the_rows_errors_are_in_the_language_of_who_imports(app, client, company, make_user):
    from flask_babel import force_locale, gettext

    czech = make_user(company, "owner", email="jana@acme.example", locale="cs")
    client.login(czech)
    job_id = import_id_of(upload(client))
    assert _start_and_run(app, client, company, job_id)["failed"] == 2
    with app.test_request_context(), force_locale("cs"):
        invalid_email = gettext("This e-mail address is not valid.")
        needs_name = gettext("The customer needs a name.")
    assert invalid_email != "This e-mail address is not valid."
    summary = text_of(client.get(f"/customers/import/{job_id}/progress"))
    assert invalid_email in summary and needs_name in summary
    assert "This e-mail address is not valid." not in summary


def test_starting_the_import_queues_a_job_after_commit(app, auth, redis_client):
    job_id = import_id_of(upload(auth))
    auth.post(f"/customers/import/{job_id}", {"col0": "name", "action": "start"})
    assert redis_client.llen("rq:queue:default") == 1
    progress = auth.get(f"/customers/import/{job_id}/progress", headers={"HX-Request": "true"})
    html = progress.get_data(as_text=True)
    assert "<html" not in html
    assert 'hx-trigger="load delay:500ms"' in html  # keeps polling while queued
    assert "Waiting for a worker" in html


def start_export(client, **filters) -> int:
    response = client.post("/customers/export", filters)
    assert response.status_code == 302
    return int(re.search(r"/customers/exports/(\d+)$", response.headers["Location"]).group(1))


def run_export(app, company, export_id) -> dict:
    with app.app_context():
        return tasks.run_customer_export(company.id, export_id)


def downloaded_rows(client, export_id) -> list[list[str]]:
    response = client.get(f"/customers/exports/{export_id}/download")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_export_runs_as_a_job_with_progress_and_holds_the_current_filter(
    app, auth, company, make_company, make_customer, redis_client
):
    make_customer("Antonín Dvořák", email="a@example.com", tags="vip")
    make_customer("Bedřich Smetana", email="b@example.com")
    make_customer("Dvořák of another company", target=make_company("Other Co"))
    export_id = start_export(auth, q="dvorak")
    # Handed to RQ after the commit, on the exports' own queue (not behind imports).
    assert redis_client.llen("rq:queue:exports") == 1
    assert redis_client.llen("rq:queue:default") == 0
    waiting = auth.get(f"/customers/exports/{export_id}", headers={"HX-Request": "true"})
    html = waiting.get_data(as_text=True)
    assert "<html" not in html and 'hx-trigger="load delay:500ms"' in html
    assert "Waiting for a worker" in html
    assert auth.get(f"/customers/exports/{export_id}/download").status_code == 404  # not yet

    assert run_export(app, company, export_id) == {"rows": 1}
    with company_ctx(app, company.id):  # the count for the progress bar is scoped too
        assert db.session.get(CustomerExport, export_id).total_rows == 1
    page = auth.get(f"/customers/exports/{export_id}")
    assert "Done: 1 customer." in text_of(page)
    assert "load delay" not in page.get_data(as_text=True)  # the page stops asking
    rows = downloaded_rows(auth, export_id)
    assert rows[0][:3] == ["id", "name", "email"]
    assert [row[1] for row in rows[1:]] == ["Antonín Dvořák"]
    assert rows[1][rows[0].index("tags")] == "vip"
    with company_ctx(app, company.id):
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "customer.export")
        ).scalar_one()
        assert entry.changes["filters"][1]["query"] == "dvorak"


def test_the_export_posts_the_search_form_as_it_is_at_the_click(app, auth, company):
    """The export form sits outside the results and search as you type does not re-render
    it: with htmx it posts the live search form's fields (hx-include), so an export made
    right after typing exports what was typed; without JavaScript, the page's filter."""
    page = auth.get("/customers/?q=smetana").get_data(as_text=True)
    assert 'id="customer-filters"' in page and 'hx-include="#customer-filters"' in page
    assert '<noscript>\n        <input type="hidden" name="q" value="smetana">' in page
    response = auth.post(
        "/customers/export", {"q": "dvorak", "tag": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    export_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
    with company_ctx(app, company.id):
        assert db.session.get(CustomerExport, export_id).filters["query"] == "dvorak"


def test_a_second_click_gives_back_the_export_on_its_way(app, auth, company, redis_client):
    first = start_export(auth, q="dvorak")
    assert start_export(auth, q="dvorak") == first  # the same, queued once
    assert redis_client.llen("rq:queue:exports") == 1
    other = start_export(auth, q="smetana")  # another filter is another export
    assert other != first
    run_export(app, company, first)
    assert start_export(auth, q="dvorak") not in (first, other)  # done: a fresh one


def test_an_export_is_for_the_user_who_asked_and_kept_for_a_day(
    app, auth, company, make_user, make_customer
):
    make_customer("Antonín Dvořák")
    export_id = start_export(auth)
    run_export(app, company, export_id)
    assert len(downloaded_rows(auth, export_id)) == 2

    admin = BrowserlikeClient(app, app.test_client())
    admin.login(make_user(company, "admin"))  # may export, but this one is not theirs
    assert admin.get(f"/customers/exports/{export_id}").status_code == 404
    assert admin.get(f"/customers/exports/{export_id}/download").status_code == 404

    with company_ctx(app, company.id):
        export = db.session.get(CustomerExport, export_id)
        export.finished_at -= timedelta(hours=25)
        path = export.stored_path
    assert auth.get(f"/customers/exports/{export_id}/download").status_code == 404
    assert "no longer kept" in text_of(auth.get(f"/customers/exports/{export_id}"))
    assert os.path.exists(path)
    start_export(auth)  # starting an export removes the files past their day
    assert not os.path.exists(path)
    with company_ctx(app, company.id):
        assert db.session.get(CustomerExport, export_id).status == "expired"


def test_the_hourly_job_deletes_export_files_past_their_day(
    app, auth, company, make_company, make_customer, redis_client
):
    make_customer("Antonín Dvořák")
    old = start_export(auth)
    run_export(app, company, old)
    fresh = start_export(auth)
    run_export(app, company, fresh)
    with company_ctx(app, company.id):
        export = db.session.get(CustomerExport, old)
        export.finished_at -= timedelta(hours=25)
        old_path = export.stored_path
        fresh_path = db.session.get(CustomerExport, fresh).stored_path
    with app.app_context():
        assert tasks.expire_customer_exports() == 1
    assert not os.path.exists(old_path) and os.path.exists(fresh_path)
    with company_ctx(app, company.id):
        assert db.session.get(CustomerExport, old).status == "expired"
        assert db.session.get(CustomerExport, fresh).status == "done"

    from rq.cron import CronScheduler  # the Procfile's cron process runs it every hour

    scheduler = CronScheduler(connection=redis_client)
    scheduler.load_config_from_file("bizkit.cron")
    jobs = {(job.func_name, job.queue_name, job.interval) for job in scheduler.get_jobs()}
    assert ("bizkit.customers.tasks.expire_customer_exports", "exports", 3600) in jobs
    assert ("bizkit.notifications.tasks.sweep_notifications", "notifications", 30) in jobs


def test_a_failed_or_vanished_export_leaves_no_file_and_runs_once(
    app, auth, company, make_customer, monkeypatch
):
    make_customer("Antonín Dvořák")
    export_id = start_export(auth)
    written = []
    real_writerow = csv_export.spreadsheet_safe

    def fail_after_writing(value):
        with company_ctx(app, company.id):
            written.append(db.session.get(CustomerExport, export_id).stored_path)
        raise OSError("disk full")

    monkeypatch.setattr(csv_export, "spreadsheet_safe", fail_after_writing)
    with app.app_context(), pytest.raises(OSError):
        tasks.run_customer_export(company.id, export_id)
    assert written and written[0] and not os.path.exists(written[0])  # named, then deleted
    with company_ctx(app, company.id):
        export = db.session.get(CustomerExport, export_id)
        assert export.status == "failed" and export.stored_path is None

    monkeypatch.setattr(csv_export, "spreadsheet_safe", real_writerow)
    assert run_export(app, company, export_id) == {"rows": 1}  # a retry runs it again
    assert run_export(app, company, export_id) == {"status": "done"}  # and only once

    vanished = start_export(auth)  # its worker died: running for hours
    with company_ctx(app, company.id):
        export = db.session.get(CustomerExport, vanished)
        export.status = "running"
        export.created_at -= timedelta(hours=3)
    with app.app_context():
        assert tasks.expire_customer_exports() == 1
    with company_ctx(app, company.id):
        assert db.session.get(CustomerExport, vanished).status == "failed"
    page = text_of(auth.get(f"/customers/exports/{vanished}"))
    assert "The export stopped because of an error." in page


def test_gdpr_export_and_erase(app, auth, company, make_customer):
    customer_id = make_customer(
        "Antonín Dvořák", email="antonin@example.com", phone="+420777123456", notes="Loves Rusalka"
    )
    auth.post(
        f"/customers/{customer_id}/store-credit",
        {"kind": "grant", "amount": "15", "reason": "Complaint"},
    )
    export = auth.get(f"/customers/{customer_id}/gdpr-export")
    assert export.status_code == 200
    assert "attachment" in export.headers["Content-Disposition"]
    data = json.loads(export.get_data(as_text=True))
    assert data["customer"]["email"] == "antonin@example.com"
    assert data["store_credit_movements"][0]["amount"] == "15.00"

    refused = auth.post(f"/customers/{customer_id}/erase", {"confirm": "yes"})
    assert refused.status_code == 302
    with company_ctx(app, company.id):
        assert db.session.get(Customer, customer_id).email == "antonin@example.com"
    assert auth.post(f"/customers/{customer_id}/erase", {"confirm": "ERASE"}).status_code == 302

    with company_ctx(app, company.id):
        customer = db.session.get(Customer, customer_id)
        assert customer.email is None and customer.phone is None and customer.notes is None
        assert customer.name == f"Erased customer #{customer_id}"
        assert customer.erased_at is not None
        assert customer.store_credit_balance == 15
        assert (
            db.session.execute(select(func.count()).select_from(StoreCreditMovement)).scalar() == 1
        )
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert {"customer.gdpr_export", "customer.erase"} <= set(actions)
        leftovers = db.session.execute(select(AuditEntry.changes)).scalars().all()
        assert "antonin@example.com" not in json.dumps(leftovers)
    assert "Dvořák" not in text_of(auth.get("/customers/?q=dvorak"))
    assert auth.post(f"/customers/{customer_id}/fields/name", {"name": "Back"}).status_code == 422


def test_export_defuses_spreadsheet_formulas_but_keeps_phone_numbers(
    app, auth, company, make_customer
):
    make_customer(
        '=HYPERLINK("http://evil.example","click")', phone="+420 777 123 456", notes="-2+3"
    )
    make_customer("@SUM(A1)")
    make_customer("-2+3+cmd|' /C calc'!A0")
    export_id = start_export(auth)
    run_export(app, company, export_id)
    rows = downloaded_rows(auth, export_id)
    header, body = rows[0], rows[1:]
    names = [row[header.index("name")] for row in body]
    assert '\'=HYPERLINK("http://evil.example","click")' in names
    assert "'@SUM(A1)" in names
    assert "'-2+3+cmd|' /C calc'!A0" in names
    phones = [row[header.index("phone")] for row in body if row[header.index("phone")]]
    assert phones == ["+420777123456"]


def test_an_interrupted_import_resumes_without_duplicating_unmatched_rows(app, auth, company):
    """Rows without e-mail or VAT id match nobody: a retry must not create them again."""
    from bizkit.customers import csv_import
    from bizkit.customers.models import CustomerImport

    rows = "".join(f"Walk-in guest {n};Praha\n" for n in range(450))
    job_id = import_id_of(upload(auth, ("Name;City\n" + rows).encode()))

    class WorkerKilled(Exception):
        pass

    def die_after_first_batch(job):
        raise WorkerKilled

    with company_ctx(app, company.id):
        job = db.session.get(CustomerImport, job_id)
        job.mapping = {"0": "name", "1": "billing_city"}
        job.status = "queued"
    try:
        with company_ctx(app, company.id):
            job = db.session.get(CustomerImport, job_id)
            company_row = db.session.get(_company_model(), company.id)
            csv_import.run(None, company_row, job, on_progress=die_after_first_batch)
    except WorkerKilled:
        pass
    with company_ctx(app, company.id):
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == 200
    with app.app_context():
        result = tasks.run_customer_import(company.id, job_id)
    assert result == {"created": 450, "updated": 0, "failed": 0}
    with company_ctx(app, company.id):
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == 450
        job = db.session.get(CustomerImport, job_id)
        assert (job.status, job.processed_rows, job.total_rows) == ("done", 450, 450)


def _company_model():
    from bizkit.core.models import Company

    return Company
