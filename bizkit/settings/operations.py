"""The company profile: creating a company and changing its settings, with validation."""

from __future__ import annotations

import re
import unicodedata

from babel import Locale
from babel.numbers import list_currencies
from flask_babel import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import exists, or_, select
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from bizkit.config import LOCALES
from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.models import BUSINESS_TYPES, Company
from bizkit.core.money import STORED_PLACES, minor_places, supported_currencies
from bizkit.core.tenancy import company_scope
from bizkit.core.timezones import is_valid_timezone
from bizkit.extensions import db

PROFILE_FIELDS = (
    "name",
    "business_type",
    "locale",
    "timezone",
    "currency",
    "vat_id",
    "street",
    "city",
    "postal_code",
    "country",
    "iban",
)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "company"


def normalise_iban(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return IBAN(value).compact
    except SchwiftyException:
        raise BusinessRuleError(_("This IBAN is not valid."), field="iban") from None


def normalise_vat_id(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return eu_vat.validate(value)
    except StdnumError:
        raise BusinessRuleError(
            _("This VAT number is not valid (for example CZ25596641 or IT00743110157)."),
            field="vat_id",
        ) from None


# Line breaks and other control characters: Unicode's Cc (C0, DEL, C1) and the line and
# paragraph separators. A single-line value with one of them could split a mail header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def refuse_control_characters(values: dict, fields) -> None:
    """A message next to the first of `fields` whose value holds a line break or another
    control character: single-line values (names end up in e-mail headers) keep none."""
    for key in fields:
        value = values.get(key)
        if isinstance(value, str) and _CONTROL.search(value):
            raise BusinessRuleError(
                _("Line breaks and other control characters are not allowed here."), field=key
            )


SINGLE_LINE_FIELDS = ("name", "vat_id", "street", "city", "postal_code", "country", "iban")


def _clean_profile(values: dict, current_currency: str | None = None) -> dict:
    refuse_control_characters(values, SINGLE_LINE_FIELDS)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    if "name" in clean and not clean["name"]:
        raise BusinessRuleError(_("The company needs a name."), field="name")
    if "business_type" in clean and clean["business_type"] not in BUSINESS_TYPES:
        raise BusinessRuleError(_("Unknown business type."), field="business_type")
    if "locale" in clean and clean["locale"] not in LOCALES:
        raise BusinessRuleError(_("Unsupported language."), field="locale")
    if "timezone" in clean and not is_valid_timezone(clean["timezone"]):
        raise BusinessRuleError(_("Unknown time zone."), field="timezone")
    if "currency" in clean:
        clean["currency"] = (clean["currency"] or "").upper()
        if clean["currency"] not in list_currencies():
            raise BusinessRuleError(_("Unknown currency code."), field="currency")
        if (
            clean["currency"] not in supported_currencies()
            and clean["currency"] != current_currency  # a company that has it keeps it
            and minor_places(clean["currency"]) <= STORED_PLACES
        ):
            raise BusinessRuleError(
                _("%(currency)s is not legal tender anywhere today.", currency=clean["currency"]),
                field="currency",
            )
        if (
            clean["currency"] not in supported_currencies()
            and clean["currency"] != current_currency
        ):
            raise BusinessRuleError(
                _(
                    "BizKit keeps amounts to two decimal places; %(currency)s needs %(places)s.",
                    currency=clean["currency"],
                    places=minor_places(clean["currency"]),
                ),
                field="currency",
            )
    if "country" in clean:
        clean["country"] = (clean["country"] or "").upper() or None
        if clean["country"] and clean["country"] not in Locale("en").territories:
            raise BusinessRuleError(_("Unknown country code."), field="country")
    if "iban" in clean:
        clean["iban"] = normalise_iban(clean["iban"])
    if "vat_id" in clean:
        clean["vat_id"] = normalise_vat_id(clean["vat_id"])
    for key in ("street", "city", "postal_code"):
        if key in clean:
            clean[key] = clean[key] or None
    return clean


# Modules that keep per-company setting rows add a function here, called with each new
# company inside its scope (inventory: the default stock location; later: workflows).
COMPANY_SEEDS: list = []


def create_company(actor, name: str, slug: str | None = None, **profile) -> Company:
    """Create a tenant. Later modules seed their per-company data (e.g. workflows) from here."""
    clean = _clean_profile({"name": name, **profile})
    slug = slugify(slug or name)
    if db.session.execute(select(Company.id).where(Company.slug == slug)).first():
        raise BusinessRuleError(_("This short name is already taken."), field="slug")
    company = Company(slug=slug, **clean)
    company.business_type = clean.get("business_type", "generic")
    db.session.add(company)
    db.session.flush()
    with company_scope(company.id):
        for seed in COMPANY_SEEDS:
            seed(company)
    return company


def has_money_records(company_id: int) -> bool:
    """Whether any stored amount of the company is in its currency: an order, a payment,
    a promo code with an amount (a fixed discount or a minimum order total), a gift
    voucher or a store credit movement. One query of EXISTS, each by a company index."""
    from bizkit.customers.models import StoreCreditMovement
    from bizkit.orders.models import GiftVoucher, Order, Payment, Voucher

    checks = [
        exists().where(model.company_id == company_id)
        for model in (Order, Payment, GiftVoucher, StoreCreditMovement)
    ]
    checks.append(
        exists().where(
            Voucher.company_id == company_id,
            or_(Voucher.kind != "percent", Voucher.min_order_total.is_not(None)),
        )
    )
    return bool(db.session.execute(select(or_(*checks))).scalar())


def update_company(actor, company: Company, values: dict) -> Company:
    """Change the company profile; only PROFILE_FIELDS are accepted; the change is audited.

    The currency cannot change once amounts are stored: they would silently be read in
    the new currency (17 CZK orders becoming 17 EUR orders)."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise BusinessRuleError(_("Unknown field."), field=sorted(unknown)[0])
    clean = _clean_profile(values, company.currency)
    if clean.get("currency", company.currency) != company.currency and has_money_records(
        company.id
    ):
        raise BusinessRuleError(
            _(
                "The currency cannot be changed: the company already has orders, payments, "
                "vouchers or store credit in %(currency)s.",
                currency=company.currency,
            ),
            field="currency",
        )
    for key, value in clean.items():
        setattr(company, key, value)
    changes = audit.pending_changes(company)
    if changes:
        audit.record(actor, "company.update", company, changes)
    db.session.flush()
    return company
