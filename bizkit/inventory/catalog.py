"""Catalog operations: tax rates, categories, products, services and their variants.

Plain functions: the acting user is passed in, they validate, change rows, write the
audit entry and flush; the caller (request, job, API) commits. `bizkit.inventory.operations`
re-exports them next to the stock ledger operations.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bizkit.core import audit
from bizkit.core.errors import BusinessRuleError
from bizkit.core.money import check_minor_unit, company_currency
from bizkit.core.search import sort_name
from bizkit.extensions import db
from bizkit.inventory.models import (
    CATEGORY_SIBLING_NAME,
    PRODUCT_KINDS,
    Category,
    Product,
    TaxRate,
    Variant,
    category_name_key,
)
from bizkit.inventory.units import DEFAULT_UNIT, unit_code

MAX_QTY = Decimal("999999999")
MAX_MONEY = Decimal("9999999999")

PRODUCT_FIELDS = (
    "name",
    "kind",
    "description",
    "category",
    "tax_rate",
    "unit",
    "duration_minutes",
    "active",
    "stock_kept",
)
VARIANT_FIELDS = ("name", "sku", "barcode", "price", "cost_price", "low_stock_threshold", "active")


# -- small validators shared with the stock operations ------------------------------------


def decimal_value(value, field: str, *, places: int, maximum: Decimal, allow_none=False):
    """`value` as a non-negative Decimal with at most `places` decimals, else a field error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        raise BusinessRuleError(_("Enter a number."), field=field)
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise BusinessRuleError(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise BusinessRuleError(_("Enter a number."), field=field)
    if number < 0:
        raise BusinessRuleError(_("Enter a number that is not negative."), field=field)
    if number >= maximum:
        raise BusinessRuleError(_("This number is too large."), field=field)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise BusinessRuleError(
            _("Use at most %(places)d decimal places.", places=places), field=field
        )
    return number.quantize(Decimal(1).scaleb(-places))


def _whole_in_currency(amount: Decimal | None, field: str) -> Decimal | None:
    return None if amount is None else check_minor_unit(amount, company_currency(), field)


def clean_text(value, field: str, *, required: bool, max_length: int) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise BusinessRuleError(_("This field is required."), field=field)
        return None
    if len(value) > max_length:
        raise BusinessRuleError(_("At most %(max)d characters.", max=max_length), field=field)
    return value


def search_expression(*parts: str | None):
    """The SQL that lower-cases and strips accents, used for stored text and queries alike."""
    joined = " ".join(p for p in parts if p)
    return func.bizkit_fold(joined)


# -- tax rates ----------------------------------------------------------------------------


def default_tax_rate() -> TaxRate | None:
    return db.session.execute(select(TaxRate).where(TaxRate.is_default.is_(True))).scalar()


def save_tax_rate(actor, rate: TaxRate | None, *, name, percent, is_default=False) -> TaxRate:
    """Create (`rate` None) or change a tax rate; making it the default un-defaults the others."""
    name = clean_text(name, "name", required=True, max_length=100)
    percent = decimal_value(percent, "rate", places=2, maximum=Decimal("100.01"))
    if percent > 100:
        raise BusinessRuleError(_("A rate is between 0 and 100 %."), field="rate")
    clash = select(TaxRate.id).where(func.lower(TaxRate.name) == name.lower())
    if rate is not None:
        clash = clash.where(TaxRate.id != rate.id)
    if db.session.execute(clash).first():
        raise BusinessRuleError(_("A tax rate with this name exists."), field="name")
    if is_default and (rate is None or not rate.is_default):
        # One statement first, so the one-default index never sees two defaults.
        db.session.execute(
            update(TaxRate).where(TaxRate.is_default.is_(True)).values(is_default=False),
            execution_options={"synchronize_session": "fetch"},
        )
    creating = rate is None
    if creating:
        rate = TaxRate()
        db.session.add(rate)
    rate.name, rate.rate, rate.is_default = name, percent, bool(is_default)
    changes = audit.pending_changes(rate)
    db.session.flush()
    audit.record(actor, "tax_rate.create" if creating else "tax_rate.update", rate, changes)
    return rate


# -- categories ---------------------------------------------------------------------------


def category_tree() -> list[tuple[Category, int]]:
    """Every category in tree order with its depth (one query; catalogs are small)."""
    rows = db.session.execute(
        select(Category).order_by(sort_name(Category.name), Category.id)
    ).scalars()
    children: dict[int | None, list[Category]] = {}
    for cat in rows:
        children.setdefault(cat.parent_id, []).append(cat)
    ordered: list[tuple[Category, int]] = []

    def walk(parent_id, depth):
        for cat in children.get(parent_id, []):
            ordered.append((cat, depth))
            walk(cat.id, depth + 1)

    walk(None, 0)
    return ordered


def descendant_ids(category_id: int) -> set[int]:
    """The category and every category below it."""
    tree = category_tree()
    found = {category_id}
    for cat, _depth in tree:  # tree order: a parent always comes before its children
        if cat.parent_id in found:
            found.add(cat.id)
    return found


def save_category(actor, category: Category | None, *, name, parent: Category | None) -> Category:
    """Create or rename/move a category; it may not be moved below itself, nor next to a
    category of the same name in any case ("ČAJ" next to "čaj"; accents count: "Caj" is
    another name), compared by `category_name_key` as the unique index is."""
    name = clean_text(name, "name", required=True, max_length=120)
    if category is not None and parent is not None and parent.id in descendant_ids(category.id):
        raise BusinessRuleError(
            _("A category cannot be placed inside itself or its subcategories."), field="parent"
        )
    clash = select(Category.id).where(
        Category.name_key == category_name_key(name),
        Category.parent_id == parent.id if parent is not None else Category.parent_id.is_(None),
    )
    if category is not None:
        clash = clash.where(Category.id != category.id)
    taken = _("A category with this name exists at this level.")
    if db.session.execute(clash).first():
        raise BusinessRuleError(taken, field="name")
    creating = category is None
    if creating:
        category = Category()
        db.session.add(category)
    category.name, category.parent = name, parent
    changes = audit.pending_changes(category)
    changes.pop("name_key", None)  # derived from the name, which the entry shows
    _flush_unique({CATEGORY_SIBLING_NAME: "name"}, taken)
    audit.record(actor, "category.create" if creating else "category.update", category, changes)
    return category


# -- products and variants ----------------------------------------------------------------


def _clean_product(values: dict) -> dict:
    unknown = set(values) - set(PRODUCT_FIELDS)
    if unknown:
        raise BusinessRuleError(_("Unknown field."), field=sorted(unknown)[0])
    clean = dict(values)
    clean["name"] = clean_text(values.get("name"), "name", required=True, max_length=200)
    if clean.get("kind", "product") not in PRODUCT_KINDS:
        raise BusinessRuleError(_("Choose product or service."), field="kind")
    clean["kind"] = clean.get("kind", "product")
    unit = clean_text(values.get("unit"), "unit", required=False, max_length=20)
    clean["unit"] = unit_code(unit) if unit else DEFAULT_UNIT  # "ks" typed in Czech → "pcs"
    clean["description"] = clean_text(
        values.get("description"), "description", required=False, max_length=5000
    )
    duration = values.get("duration_minutes")
    if clean["kind"] == "service":
        if not duration or int(duration) <= 0 or int(duration) > 24 * 60:
            raise BusinessRuleError(
                _("A service needs a duration between 1 and 1440 minutes."),
                field="duration_minutes",
            )
        clean["duration_minutes"] = int(duration)
    else:
        clean["duration_minutes"] = None
    clean["active"] = bool(values.get("active", True))
    clean["stock_kept"] = clean["kind"] == "product" and bool(values.get("stock_kept", True))
    return clean


def _clean_variant(values: dict, variant: Variant | None) -> dict:
    unknown = set(values) - set(VARIANT_FIELDS)
    if unknown:
        raise BusinessRuleError(_("Unknown field."), field=sorted(unknown)[0])
    clean = {
        "name": clean_text(values.get("name"), "name", required=False, max_length=120) or "",
        "sku": clean_text(values.get("sku"), "sku", required=True, max_length=64),
        "barcode": clean_text(values.get("barcode"), "barcode", required=False, max_length=64),
        "price": check_minor_unit(
            decimal_value(values.get("price"), "price", places=2, maximum=MAX_MONEY),
            company_currency(),
            "price",
        ),
        "cost_price": _whole_in_currency(
            decimal_value(
                values.get("cost_price"), "cost_price", places=2, maximum=MAX_MONEY, allow_none=True
            ),
            "cost_price",
        ),
        "low_stock_threshold": decimal_value(
            values.get("low_stock_threshold"),
            "low_stock_threshold",
            places=3,
            maximum=MAX_QTY,
            allow_none=True,
        ),
        "active": bool(values.get("active", True)),
    }
    for field in ("sku", "barcode"):
        if clean[field] is None:
            continue
        column = getattr(Variant, field)
        clash = select(Variant.id).where(column == clean[field])
        if variant is not None and variant.id is not None:
            clash = clash.where(Variant.id != variant.id)
        if db.session.execute(clash).first():
            raise BusinessRuleError(_("Another item already uses this code."), field=field)
    return clean


def _flush_unique(field_by_constraint: dict[str, str], message: str | None = None) -> None:
    """Flush; a unique violation that slipped past the checks (a race) becomes a field error
    (`message`, by default that the code is taken)."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        name = getattr(getattr(error.orig, "diag", None), "constraint_name", "") or ""
        field = field_by_constraint.get(name)
        if field is None:
            raise
        message = message or _("Another item already uses this code.")
        raise BusinessRuleError(message, field=field) from None


_VARIANT_UNIQUES = {"uq_variant_company_id_sku": "sku", "uq_variant_company_id_barcode": "barcode"}


def _new_values(variant: Variant, prefix: str = "") -> dict:
    return {
        f"{prefix}{k}": v for k, v in audit.pending_changes(variant).items() if k != "search_text"
    }


def _refresh_search_text(variant: Variant, product: Product) -> None:
    variant.search_text = search_expression(
        product.name, variant.name, variant.sku, variant.barcode
    )


def _copy_product_flags(product: Product, variants) -> None:
    """Keep `Variant.product_stocked` equal to `Product.tracks_stock` (same flush)."""
    stocked = product.tracks_stock
    for variant in variants:
        if variant.product_stocked is not stocked:
            variant.product_stocked = stocked


def create_product(actor, values: dict, first_variant: dict) -> Product:
    """A new product or service with its first variant (every product has at least one)."""
    clean = _clean_product(values)
    variant_values = _clean_variant(first_variant, None)
    if clean.get("tax_rate") is None:
        clean["tax_rate"] = default_tax_rate()
    product = Product(**clean)
    db.session.add(product)
    variant = Variant(product=product, **variant_values)
    db.session.add(variant)
    changes = {**audit.pending_changes(product), **_new_values(variant, "variant.")}
    _copy_product_flags(product, [variant])
    _refresh_search_text(variant, product)
    _flush_unique(_VARIANT_UNIQUES)
    audit.record(actor, "product.create", product, changes)
    return product


def update_product(actor, product: Product, values: dict) -> Product:
    """Change a product; a changed name is carried into its variants' search text."""
    clean = _clean_product(values)
    if product.kind != clean["kind"] and any(v.on_hand or v.reserved for v in product.variants):
        raise BusinessRuleError(
            _("Items with stock cannot become a service. Adjust the stock to zero first."),
            field="kind",
        )
    for key, value in clean.items():
        setattr(product, key, value)
    changes = audit.pending_changes(product)
    if changes:
        audit.record(actor, "product.update", product, changes)
    if "name" in changes:
        for variant in product.variants:
            _refresh_search_text(variant, product)
    # Every save, not only when kind, active or stock_kept change: comparing is cheap, and
    # a variant whose copy went stale (stock_kept was once not copied) is put right.
    _copy_product_flags(product, product.variants)
    db.session.flush()
    return product


def create_variant(actor, product: Product, values: dict) -> Variant:
    """Another variant of `product` (a size, a colour) with its own SKU, barcode and price."""
    clean = _clean_variant(values, None)
    variant = Variant(product=product, **clean)
    db.session.add(variant)
    changes = _new_values(variant)
    _copy_product_flags(product, [variant])
    _refresh_search_text(variant, product)
    _flush_unique(_VARIANT_UNIQUES)
    audit.record(actor, "variant.create", variant, changes, label=variant.label)
    return variant


def update_variant(actor, variant: Variant, values: dict) -> Variant:
    """Change a variant's codes, prices, threshold or active flag."""
    clean = _clean_variant(values, variant)
    for key, value in clean.items():
        setattr(variant, key, value)
    changes = audit.pending_changes(variant)
    if changes:
        audit.record(actor, "variant.update", variant, changes, label=variant.label)
        _refresh_search_text(variant, variant.product)
    _flush_unique(_VARIANT_UNIQUES)
    return variant
