"""Customer rules: validation and normalisation, search, timeline, GDPR.

Store credit lives in `credit.py` (re-exported here), CSV import in
`csv_import.py`. Everything takes the acting user explicitly, flushes, audits,
and never commits.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from bizkit.config import LOCALES
from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import AuditEntry, Company
from bizkit.core.pagination import Page, keyset_page
from bizkit.core.params import parse_id
from bizkit.core.search import contains_folded
from bizkit.core.timezones import utcnow
from bizkit.customers.credit import (  # noqa: F401 (re-exported for views, API, jobs)
    CREDIT_SIGNS,
    credit_movements,
    move_store_credit,
    parse_amount,
)
from bizkit.customers.models import (
    CONSENT_SOURCES,
    Customer,
    CustomerGroup,
)
from bizkit.extensions import db

ADDRESS_FIELDS = (
    "billing_street",
    "billing_city",
    "billing_postal_code",
    "billing_country",
    "delivery_street",
    "delivery_city",
    "delivery_postal_code",
    "delivery_country",
)
CONTACT_FIELDS = ("email", "phone", "company_name", "vat_id", *ADDRESS_FIELDS)
EDITABLE_FIELDS = (
    "kind",
    "name",
    *CONTACT_FIELDS,
    "locale",
    "tags",
    "group_id",
    "notes",
    "marketing_consent",
    "consent_source",
)
PAGE_SIZE = 50
SORTS = ("name", "-name", "-created", "created")


# --- normalising and validating single fields --------------------------------------------


def normalise_email(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise BusinessRuleError(_("This e-mail address is not valid."), field="email") from None


def normalise_phone(value: str | None, region: str | None) -> str | None:
    """Any common way of writing a number → E.164 (+420777123456)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise BusinessRuleError(
            _("This phone number is not valid. Include the country code, e.g. +420 777 123 456."),
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_vat_id(value: str | None, country: str | None) -> str | None:
    """EU VAT numbers by their prefix; other countries by their own tax-number module."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return eu_vat.validate(value)
    except StdnumError:
        pass
    if country and country.lower() in eu_vat.MEMBER_STATES:
        # Written without its prefix ("25596641" in CZ): kept as the EU form (CZ25596641),
        # so the same number entered either way is one customer.
        prefix = "EL" if country.upper() == "GR" else country.upper()
        try:
            return eu_vat.validate(prefix + value)
        except StdnumError:
            pass
    module = get_cc_module(country.lower(), "vat") if country else None
    if module is not None:
        try:
            return module.compact(module.validate(value))
        except StdnumError:
            pass
    raise BusinessRuleError(_("This VAT or company number is not valid."), field="vat_id")


def parse_tags(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;]", value or "")
    tags = []
    for item in items:
        tag = item.strip().lower()[:50]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _country(value: str | None, field: str) -> str | None:
    value = (value or "").strip().upper()
    if not value:
        return None
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise BusinessRuleError(_("Use the two-letter country code, e.g. CZ."), field=field)
    return value


# The column sizes, checked before the database would refuse them.
MAX_LENGTHS = {
    "name": 200,
    "email": 254,
    "phone": 40,
    "company_name": 200,
    "vat_id": 32,
    "billing_street": 200,
    "billing_city": 100,
    "billing_postal_code": 20,
    "billing_country": 60,
    "delivery_street": 200,
    "delivery_city": 100,
    "delivery_postal_code": 20,
    "delivery_country": 60,
    "tags": 1000,
    "notes": 20000,
}


def _group_id(value: Any) -> int | None:
    """A group of the current company (scoped query, never an identity-map hit), or None."""
    if value in (None, ""):
        return None
    group_id = parse_id(value)
    exists = (
        group_id is not None
        and db.session.execute(select(CustomerGroup.id).where(CustomerGroup.id == group_id)).first()
    )
    if not exists:
        raise BusinessRuleError(_("Unknown group."), field="group_id")
    return group_id


def vat_id_forms(vat_id: str) -> list[str]:
    """The ways one stored VAT number may be written: as given, and an EU number also
    without its country prefix (as numbers were kept before they got it)."""
    forms = [vat_id]
    if (
        len(vat_id) > 2
        and vat_id[:2].isalpha()
        and vat_id[:2].lower()
        in {
            *eu_vat.MEMBER_STATES,
            "el",
        }
    ):
        forms.append(vat_id[2:])
    return forms


def clean_values(
    values: dict[str, Any], company: Company, customer: Customer | None = None
) -> dict[str, Any]:
    """Validate and normalise customer fields; raise BusinessRuleError naming the bad field.

    Phone and VAT numbers are read for the customer's billing country (the one given, else
    the one `customer` has), else the company's."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise BusinessRuleError(_("Unknown field."), field=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    for key, value in values.items():
        clean[key] = value.strip() if isinstance(value, str) else value
        limit = MAX_LENGTHS.get(key)
        if limit and isinstance(clean[key], str) and len(clean[key]) > limit:
            raise BusinessRuleError(_("At most %(max)d characters.", max=limit), field=key)
    if "name" in clean:
        if not clean["name"]:
            raise BusinessRuleError(_("The customer needs a name."), field="name")
        clean["name"] = clean["name"][:200]
    if "kind" in clean and clean["kind"] not in ("person", "company"):
        raise BusinessRuleError(_("Choose person or company."), field="kind")
    for field in ("billing_country", "delivery_country"):
        if field in clean:
            clean[field] = _country(clean[field], field)
    if "email" in clean:
        clean["email"] = normalise_email(clean["email"])
    if "billing_country" in clean:
        region = clean["billing_country"]
    else:
        region = customer.billing_country if customer is not None else None
    region = region or company.country
    if "phone" in clean:
        clean["phone"] = normalise_phone(clean["phone"], region)
    if "vat_id" in clean:
        clean["vat_id"] = normalise_vat_id(clean["vat_id"], region)
    if "locale" in clean:
        clean["locale"] = clean["locale"] or None
        if clean["locale"] and clean["locale"] not in LOCALES:
            raise BusinessRuleError(_("Unsupported language."), field="locale")
    if "tags" in clean:
        clean["tags"] = parse_tags(clean["tags"])
    if "group_id" in clean:
        clean["group_id"] = _group_id(clean["group_id"])
    if "consent_source" in clean:
        clean["consent_source"] = clean["consent_source"] or None
        if clean["consent_source"] and clean["consent_source"] not in CONSENT_SOURCES:
            raise BusinessRuleError(_("Unknown consent source."), field="consent_source")
    for key in (
        "company_name",
        "notes",
        "billing_street",
        "billing_city",
        "billing_postal_code",
        "delivery_street",
        "delivery_city",
        "delivery_postal_code",
    ):
        if key in clean:
            clean[key] = clean[key] or None
    return clean


# --- creating and changing ----------------------------------------------------------------


def _check_unique(customer_id: int | None, clean: dict[str, Any]) -> None:
    for field, message in (
        ("email", _("Another customer already has this e-mail address.")),
        ("vat_id", _("Another customer already has this VAT number.")),
    ):
        value = clean.get(field)
        if not value:
            continue
        column = getattr(Customer, field)
        forms = vat_id_forms(value) if field == "vat_id" else [value]
        stmt = select(Customer.id).where(column.in_(forms))
        if customer_id is not None:
            stmt = stmt.where(Customer.id != customer_id)
        if db.session.execute(stmt).first() is not None:
            raise BusinessRuleError(message, field=field)


@contextmanager
def _unique_guard():
    """Run the changes in a savepoint; a unique index lost to a concurrent save (two people
    entering the same e-mail at once) becomes a message next to the field, not a 500."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as error:
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", "") or ""
        if "vat" in constraint:
            message, field = _("Another customer already has this VAT number."), "vat_id"
        else:
            message, field = _("Another customer already has this e-mail address."), "email"
        raise BusinessRuleError(message, field=field) from None


def _apply_consent(customer: Customer, clean: dict[str, Any]) -> None:
    if "marketing_consent" not in clean:
        return
    given = bool(clean["marketing_consent"])
    if given and not customer.marketing_consent:
        customer.consent_at = utcnow()
        customer.consent_source = clean.get("consent_source") or customer.consent_source or "form"
    elif not given and customer.marketing_consent:
        customer.consent_at = utcnow()
    customer.marketing_consent = given


def create_customer(actor, company: Company, values: dict[str, Any]) -> Customer:
    clean = clean_values(values, company)
    if not clean.get("name"):
        raise BusinessRuleError(_("The customer needs a name."), field="name")
    _check_unique(None, clean)
    consent = {k: clean.pop(k) for k in ("marketing_consent",) if k in clean}
    customer = Customer(**clean)
    _apply_consent(customer, {**consent, **clean})
    with _unique_guard():
        db.session.add(customer)
    audit.record(
        actor,
        "customer.create",
        customer,
        audit.pending_changes(customer) or {"name": [None, customer.name]},
    )
    return customer


def update_customer(
    actor, company: Company, customer: Customer, values: dict[str, Any]
) -> Customer:
    if customer.erased_at is not None:
        raise BusinessRuleError(_("This customer was erased and cannot be changed."))
    clean = clean_values(values, company, customer)
    _check_unique(customer.id, clean)
    with _unique_guard():
        _apply_consent(customer, clean)
        for key, value in clean.items():
            if key != "marketing_consent":
                setattr(customer, key, value)
        changes = audit.pending_changes(customer)
        changes.pop("updated_at", None)
        if changes:
            audit.record(actor, "customer.update", customer, changes)
    if "name" in changes:
        _renamed(customer)
    return customer


# Modules that copy a customer's name (orders' search text) refresh it from here, when the
# name changes and when the customer is erased: called with the flushed customer.
RENAME_HOOKS: list = []


def _renamed(customer: Customer) -> None:
    db.session.flush()
    for hook in RENAME_HOOKS:
        hook(customer)


def add_note(actor, customer: Customer, text: str) -> Customer:
    """Append a dated line to the customer's notes (searchable, shown on the timeline)."""
    if customer.erased_at is not None:
        raise BusinessRuleError(_("This customer was erased and cannot be changed."))
    text = (text or "").strip()
    if not text:
        raise BusinessRuleError(_("Write something first."), field="note")
    stamp = utcnow().strftime("%Y-%m-%d")
    author = getattr(actor, "name", "")
    line = f"[{stamp} {author}] {text}"
    customer.notes = f"{customer.notes}\n{line}" if customer.notes else line
    audit.record(actor, "customer.note", customer, {"note": [None, text]})
    db.session.flush()
    return customer


def create_group(actor, name: str) -> CustomerGroup:
    name = (name or "").strip()
    if not name:
        raise BusinessRuleError(_("The group needs a name."), field="name")
    if db.session.execute(select(CustomerGroup.id).where(CustomerGroup.name == name)).first():
        raise BusinessRuleError(_("This group already exists."), field="name")
    group = CustomerGroup(name=name)
    db.session.add(group)
    db.session.flush()
    audit.record(actor, "customer_group.create", group)
    return group


def groups() -> list:
    """The company's groups as rows of `id` and `name`, alphabetically (the pages show
    and link them; rows instead of ORM objects cost half as much per list page)."""
    return db.session.execute(
        select(CustomerGroup.id, CustomerGroup.name).order_by(
            func.bizkit_fold(CustomerGroup.name), CustomerGroup.id
        )
    ).all()


# --- search -------------------------------------------------------------------------------

_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")


def search_terms(query: str | None) -> list[str]:
    """Terms to match: a phone-like query becomes one term of its digits.

    Numbers are kept as +<country><number>, so the prefixes people dial before them are
    dropped: "00" before a country code (00421 911 222 333) and a national "0" (0911 222
    333 in Slovakia, 0601 … in Poland)."""
    query = (query or "").strip()
    if not query:
        return []
    if _PHONE_LIKE.match(query):
        digits = re.sub(r"\D", "", query)
        if not query.startswith("+"):
            digits = digits[2:] if digits.startswith("00") else digits.removeprefix("0")
        return [digits]
    return [term for term in query.split() if term][:6]


@dataclass
class CustomerFilter:
    query: str = ""
    tag: str = ""
    group_id: int | None = None
    sort: str = "name"


def filtered_statement(flt: CustomerFilter):
    stmt = select(Customer).where(Customer.erased_at.is_(None))
    for term in search_terms(flt.query):
        stmt = stmt.where(contains_folded(Customer.search_text, term))
    if flt.tag:
        stmt = stmt.where(Customer.tags.contains([flt.tag.lower()]))
    if flt.group_id:
        stmt = stmt.where(Customer.group_id == flt.group_id)
    return stmt


# What a list row shows (plus the sort keys): the page reads these columns as plain rows,
# not whole customers (28 columns each, through the ORM's identity map).
LIST_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.email,
    Customer.phone,
    Customer.company_name,
    Customer.tags,
    Customer.store_credit_balance,
    Customer.created_at,
    CustomerGroup.name.label("group_name"),
)


def sort_name():
    """The name as the lists order it: accents and case folded, so "Čapek" comes among
    the C's, not after Z as the C collation has it (index ix_customer_company_sort_name)."""
    return func.bizkit_fold(Customer.name)


def search_customers(
    flt: CustomerFilter, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """A page of the filtered list as rows of LIST_COLUMNS."""
    sort = flt.sort if flt.sort in SORTS else "name"
    by_name = sort.endswith("name")
    column = sort_name() if by_name else Customer.created_at
    descending = sort.startswith("-")
    if by_name:
        key = lambda c: [c.sort_name, c.id]  # noqa: E731
        parse = lambda v: [str(v[0]), int(v[1])]  # noqa: E731
    else:
        key = lambda c: [c.created_at.isoformat(), c.id]  # noqa: E731
        parse = lambda v: [datetime.fromisoformat(v[0]), int(v[1])]  # noqa: E731
    stmt = (
        filtered_statement(flt)
        .with_only_columns(*LIST_COLUMNS, sort_name().label("sort_name"))
        .outerjoin(CustomerGroup, CustomerGroup.id == Customer.group_id)
    )
    return keyset_page(
        stmt,
        [column, Customer.id],
        cursor,
        limit,
        descending=descending,
        key=key,
        parse=parse,
        entities=False,
    )


# --- timeline -----------------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    url: str | None = None


# Later modules (orders, agenda, invoicing, notifications) append functions here:
# each takes a customer and returns TimelineItems.
TIMELINE_SOURCES: list = []


ACTION_LABELS = {
    "customer.create": _l("Customer created"),
    "customer.update": _l("Details changed"),
    "customer.note": _l("Note added"),
    "customer.gdpr_export": _l("Personal data exported"),
    "customer.erase": _l("Personal data erased"),
    "store_credit.grant": _l("Store credit granted"),
    "store_credit.use": _l("Store credit used"),
    "store_credit.expire": _l("Store credit expired"),
    "store_credit.correction": _l("Store credit corrected"),
}
FIELD_LABELS = {
    "kind": _l("Type"),
    "name": _l("Name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "company_name": _l("Company name"),
    "vat_id": _l("VAT number"),
    "locale": _l("Language"),
    "tags": _l("Tags"),
    "group_id": _l("Group"),
    "notes": _l("Notes"),
    "note": _l("Notes"),
    "marketing_consent": _l("Marketing consent"),
    "consent_source": _l("Consent given via"),
    "consent_at": _l("Consent given via"),
    "store_credit": _l("Store credit"),
    "billing_street": _l("Billing address"),
    "billing_city": _l("Billing address"),
    "billing_postal_code": _l("Billing address"),
    "billing_country": _l("Billing address"),
    "delivery_street": _l("Delivery address"),
    "delivery_city": _l("Delivery address"),
    "delivery_postal_code": _l("Delivery address"),
    "delivery_country": _l("Delivery address"),
    "erased": _l("Personal data erased"),
}


def _audit_items(customer: Customer) -> list[TimelineItem]:
    entries = db.session.execute(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "Customer", AuditEntry.entity_id == customer.id)
        .order_by(AuditEntry.id.desc())
        .limit(50)
    ).scalars()
    items = []
    for entry in entries:
        who = entry.actor.name if entry.actor else _("System")
        fields = ", ".join(
            str(FIELD_LABELS.get(name, name)) for name in sorted(entry.changes or {})
        )
        title = str(ACTION_LABELS.get(entry.action, entry.action))
        detail = f"{who} · {fields}" if fields else who
        items.append(TimelineItem(entry.created_at, entry.action, title, detail))
    return items


def timeline(customer: Customer, limit: int = 50) -> list[TimelineItem]:
    items = _audit_items(customer)
    for source in TIMELINE_SOURCES:
        items.extend(source(customer))
    return sorted(items, key=lambda item: item.at, reverse=True)[:limit]


# --- GDPR ---------------------------------------------------------------------------------

PERSONAL_FIELDS = (*CONTACT_FIELDS, "notes", "locale", "consent_source", "consent_at")

# Modules holding personal data of a customer outside this table (the messages sent to
# them) append functions here. PERSONAL_DATA_SOURCES: customer -> (key, JSON-ready list)
# for the export; ERASE_HOOKS: (actor, customer) -> None, run by erase_customer in its
# transaction, to anonymise what they hold.
PERSONAL_DATA_SOURCES: list = []
ERASE_HOOKS: list = []


def export_personal_data(actor, customer: Customer) -> dict[str, Any]:
    """Everything BizKit holds about one customer, as JSON-ready data (GDPR art. 15/20)."""

    def plain(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    fields = {
        c.key: plain(getattr(customer, c.key))
        for c in Customer.__table__.columns
        if c.key not in ("company_id", "search_text")
    }
    fields["group"] = customer.group.name if customer.group else None
    data = {
        "exported_at": utcnow().isoformat(),
        "customer": fields,
        "store_credit_movements": [
            {
                "at": plain(m.created_at),
                "kind": m.kind,
                "amount": str(m.amount),
                "balance_after": str(m.balance_after),
                "reason": m.reason,
            }
            for m in credit_movements(customer, limit=10_000)
        ],
        "timeline": [
            {"at": plain(i.at), "kind": i.kind, "title": i.title, "detail": i.detail}
            for i in timeline(customer, limit=10_000)
        ],
    }
    for source in PERSONAL_DATA_SOURCES:
        key, items = source(customer)
        data[key] = [{k: plain(v) for k, v in item.items()} for item in items]
    audit.record(actor, "customer.gdpr_export", customer, {})
    return data


def erase_customer(actor, customer: Customer) -> Customer:
    """Anonymise personal fields; keep the id, store credit ledger and (later) invoices."""
    if customer.erased_at is not None:
        return customer
    for field in PERSONAL_FIELDS:
        setattr(customer, field, None)
    customer.name = _("Erased customer #%(id)d", id=customer.id)
    customer.tags = []
    customer.marketing_consent = False
    customer.group_id = None
    customer.erased_at = utcnow()
    db.session.flush()
    # Earlier audit entries may hold old values of personal fields: blank them too.
    for entry in db.session.execute(
        select(AuditEntry).where(
            AuditEntry.entity_type == "Customer", AuditEntry.entity_id == customer.id
        )
    ).scalars():
        entry.changes = {key: ["—", "—"] for key in entry.changes}
        entry.entity_label = customer.name
    for hook in ERASE_HOOKS:
        hook(actor, customer)
    audit.record(actor, "customer.erase", customer, {"erased": [None, True]}, label=customer.name)
    _renamed(customer)
    return customer
