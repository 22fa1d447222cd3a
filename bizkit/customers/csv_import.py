"""CSV import of customers: upload → column mapping → preview → RQ job with progress.

Re-importing the same file updates the customers it created instead of
duplicating them: a row matches an existing customer by e-mail, else by VAT id.
Each row is its own savepoint, so a bad row is reported and the rest go in.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import Company
from bizkit.core.timezones import utcnow
from bizkit.customers import operations as ops
from bizkit.customers.models import Customer, CustomerImport
from bizkit.extensions import db

MAX_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 20
BATCH = 200

IMPORT_FIELDS = {
    "name": _l("Name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "company_name": _l("Company name"),
    "vat_id": _l("VAT number"),
    "billing_street": _l("Street"),
    "billing_city": _l("City"),
    "billing_postal_code": _l("Postal code"),
    "billing_country": _l("Country"),
    "locale": _l("Language"),
    "tags": _l("Tags"),
    "notes": _l("Notes"),
}

# Header spellings recognised when guessing the mapping (lower case, accents kept).
ALIASES = {
    "name": {"name", "full name", "customer", "jméno", "nombre", "nome", "imię", "meno"},
    "email": {"email", "e-mail", "mail", "correo", "e-mail address"},
    "phone": {"phone", "telephone", "tel", "mobile", "telefon", "teléfono", "telefone"},
    "company_name": {"company", "company name", "firma", "empresa", "organisation"},
    "vat_id": {"vat", "vat id", "vat number", "dič", "nif", "cnpj", "nip", "tax id"},
    "billing_street": {"street", "address", "ulice", "calle", "rua", "ulica"},
    "billing_city": {"city", "town", "město", "ciudad", "cidade", "miasto", "mesto"},
    "billing_postal_code": {"zip", "postal code", "postcode", "psč", "cp", "cep"},
    "billing_country": {"country", "země", "país", "kraj", "krajina"},
    "locale": {"language", "locale", "jazyk", "idioma", "język"},
    "tags": {"tags", "labels", "štítky", "etiquetas"},
    "notes": {"notes", "note", "poznámka", "notas", "comment"},
}


def _decode(raw: bytes) -> str:
    # Latin-1 decodes any bytes, so binary files are told apart first: a text file has
    # no NUL and no control characters but tab, line ends and form feed; an Excel or
    # OpenDocument file (a ZIP: "PK") or an old .xls has plenty of both.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM (Excel's "Unicode text")
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    sample = raw[:65536].rstrip(b"\x1a")  # a DOS end-of-file mark is no binary content
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > max(2, len(sample) // 100):
        raise BusinessRuleError(
            _("The file is not readable text. Save it as CSV (comma or semicolon separated)."),
            field="file",
        )
    for encoding in ("utf-8-sig", "cp1250", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BusinessRuleError(
        _("The file is not readable text. Save it as CSV (comma or semicolon separated)."),
        field="file",
    )


def read_rows(text: str) -> tuple[list[str], list[list[str]]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise BusinessRuleError(_("The file is empty."), field="file")
    header = [cell.strip() for cell in rows[0]]
    return header, rows[1:]


def guess_mapping(header: list[str]) -> dict[str, str]:
    """{column index as str: field name} for the columns whose header we recognise."""
    mapping = {}
    used = set()
    for index, title in enumerate(header):
        key = title.strip().lower()
        for field, names in ALIASES.items():
            if key in names and field not in used:
                mapping[str(index)] = field
                used.add(field)
                break
    return mapping


def store_upload(actor, filename: str, raw: bytes) -> CustomerImport:
    if not raw:
        raise BusinessRuleError(_("Choose a CSV file."), field="file")
    if len(raw) > MAX_BYTES:
        raise BusinessRuleError(_("The file is larger than 20 MB."), field="file")
    header, rows = read_rows(_decode(raw))
    directory = Path(current_app.config["BIZKIT_STORAGE_DIR"]) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(raw)
    job = CustomerImport(
        filename=filename[:255] or "upload.csv",
        stored_path=str(path),
        mapping=guess_mapping(header),
        total_rows=len(rows),
        actor_id=getattr(actor, "id", None),
        status="uploaded",
    )
    db.session.add(job)
    db.session.flush()
    audit.record(
        actor, "customer_import.upload", job, {"rows": [None, len(rows)]}, label=job.filename
    )
    return job


def load_file(job: CustomerImport) -> tuple[list[str], list[list[str]]]:
    return read_rows(_decode(Path(job.stored_path).read_bytes()))


def set_mapping(actor, job: CustomerImport, mapping: dict[str, str]) -> CustomerImport:
    if job.status != "uploaded":
        raise BusinessRuleError(_("This import has already started."))
    clean = {index: field for index, field in mapping.items() if field in IMPORT_FIELDS}
    fields = list(clean.values())
    if len(fields) != len(set(fields)):
        raise BusinessRuleError(_("Each field may be chosen for one column only."), field="mapping")
    if "name" not in fields:
        raise BusinessRuleError(_("Choose the column that holds the name."), field="mapping")
    job.mapping = clean
    db.session.flush()
    return job


def row_values(mapping: dict[str, str], row: list[str]) -> dict[str, Any]:
    values = {}
    for index, field in mapping.items():
        position = int(index)
        values[field] = row[position].strip() if position < len(row) else ""
    return values


def _existing(clean: dict[str, Any]) -> Customer | None:
    for field in ("email", "vat_id"):
        if clean.get(field):
            forms = ops.vat_id_forms(clean[field]) if field == "vat_id" else [clean[field]]
            found = (
                db.session.execute(
                    select(Customer)
                    .where(getattr(Customer, field).in_(forms), Customer.erased_at.is_(None))
                    .order_by(Customer.id)
                    .limit(1)
                )
                .scalars()
                .first()
            )
            if found is not None:
                return found
    return None


def validate_row(company: Company, mapping: dict[str, str], row: list[str]) -> dict[str, Any]:
    clean = ops.clean_values(row_values(mapping, row), company)
    if not clean.get("name"):
        raise BusinessRuleError(_("The customer needs a name."), field="name")
    return clean


def preview(company: Company, job: CustomerImport) -> list[dict[str, Any]]:
    """The first rows as they would be imported, with the reason of each failure."""
    _header, rows = load_file(job)
    result = []
    for number, row in enumerate(rows[:PREVIEW_ROWS], start=2):
        try:
            clean = validate_row(company, job.mapping, row)
            existing = _existing(clean)
            result.append(
                {
                    "line": number,
                    "values": clean,
                    "error": None,
                    "action": "update" if existing else "create",
                }
            )
        except BusinessRuleError as error:
            result.append(
                {
                    "line": number,
                    "values": row_values(job.mapping, row),
                    "error": f"{IMPORT_FIELDS.get(error.field, '')}: {error.message}"
                    if error.field in IMPORT_FIELDS
                    else error.message,
                    "action": None,
                }
            )
    return result


def import_row(actor, company: Company, mapping: dict[str, str], row: list[str]) -> str:
    """Create or update one customer from a CSV row; returns "created" or "updated"."""
    clean = validate_row(company, mapping, row)
    existing = _existing(clean)
    if existing is not None:
        # An empty cell says nothing about the customer: it keeps what it has.
        given = {field: value for field, value in clean.items() if value not in (None, "", [])}
        ops.update_customer(actor, company, existing, given)
        return "updated"
    ops.create_customer(actor, company, clean)
    return "created"


def _row_error(error: Exception) -> str:
    if isinstance(error, BusinessRuleError):
        label = IMPORT_FIELDS.get(error.field) if error.field else None
        return f"{label}: {error.message}" if label else error.message
    return _("The database refused this row.")


def start(job: CustomerImport) -> bool:
    """Mark an uploaded import as queued; False when someone already started it."""
    started = db.session.execute(
        update(CustomerImport)
        .where(CustomerImport.id == job.id, CustomerImport.status == "uploaded")
        .values(status="queued")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(job, ["status"])
    return started == 1


def run(actor, company: Company, job: CustomerImport, on_progress=None) -> CustomerImport:
    """Import every row, committing progress each BATCH rows so the page can show it.

    The rows of a batch and the progress counters commit together, so a run that was
    interrupted (worker killed, job retried) resumes after the last committed row: rows
    that match nobody (no e-mail, no VAT id) are never created twice.
    """
    _header, rows = load_file(job)
    resuming = job.status in ("running", "failed") and job.processed_rows > 0
    job.status = "running"
    job.total_rows = len(rows)
    if not resuming:
        job.processed_rows = job.created_count = job.updated_count = job.failed_count = 0
    errors: list[dict[str, Any]] = list(job.errors or []) if resuming else []
    db.session.commit()
    for number, row in enumerate(rows, start=2):
        if number - 2 < job.processed_rows:
            continue
        try:
            with db.session.begin_nested():
                outcome = import_row(actor, company, job.mapping, row)
        except (BusinessRuleError, SQLAlchemyError) as error:
            # A row the database refuses is reported like a row the rules refuse; its
            # savepoint is rolled back and the import goes on with the next row.
            job.failed_count += 1
            if len(errors) < 500:
                errors.append({"line": number, "error": _row_error(error)})
        else:
            if outcome == "created":
                job.created_count += 1
            else:
                job.updated_count += 1
        job.processed_rows += 1
        if job.processed_rows % BATCH == 0:
            job.errors = list(errors)
            db.session.commit()
            if on_progress:
                on_progress(job)
    job.errors = errors
    job.status = "done"
    job.finished_at = utcnow()
    audit.record(
        actor,
        "customer_import.done",
        job,
        {
            "created": [None, job.created_count],
            "updated": [None, job.updated_count],
            "failed": [None, job.failed_count],
        },
        label=job.filename,
    )
    db.session.commit()
    if on_progress:
        on_progress(job)
    return job
