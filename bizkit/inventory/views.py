"""Catalog pages: the product and variant lists, product detail and editing, variants."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render, render_kept
from bizkit.core.pagination import next_page_url, requested_page_size
from bizkit.core.params import parse_id
from bizkit.core.permissions import can, requires
from bizkit.core.reads import reads_only
from bizkit.core.tenancy import get_or_404
from bizkit.extensions import db
from bizkit.inventory import bp, queries
from bizkit.inventory import operations as ops
from bizkit.inventory.forms import (
    VARIANT_SORT_LABELS,
    CatalogFilterForm,
    NewProductForm,
    ProductForm,
    VariantForm,
)
from bizkit.inventory.models import Category, Product, StockLevel, StockMovement, TaxRate, Variant
from bizkit.inventory.units import unit_label

# Operations name variant fields as the model does; the variant forms prefix two of them.
VARIANT_FIELD_NAMES = {"name": "variant_name", "active": "variant_active"}


def read_filters(sorts=None) -> tuple[CatalogFilterForm, queries.CatalogFilters]:
    """The list filters from the query string; anything invalid is simply ignored."""
    kwargs = {"sorts": sorts} if sorts else {}
    form = CatalogFilterForm(request.args, categories=ops.category_tree(), **kwargs)
    form.validate()
    filters = queries.CatalogFilters(
        q=(form.q.data or "")[:100] if not form.q.errors else "",
        category_id=parse_id(form.category.data) if not form.category.errors else None,
        kind=form.kind.data if not form.kind.errors else "",
        active=form.active.data if not form.active.errors else "",
        low=bool(form.low.data),
        sort=form.sort.data if not form.sort.errors else "name",
    )
    return form, filters


# Every table the catalog lists' content reads (bizkit.core.fragments keeps it until one
# changes): products with their category and variants' stock, the category filter.
LIST_TABLES = ("product", "variant", "category", "stock_level", "tax_rate")


def _kept_list(template: str, prefix: str, endpoint: str, listing, sorts=None):
    cursor = request.args.get("cursor")

    def content() -> dict:
        form, filters = read_filters(sorts)
        result = listing(filters, cursor, requested_page_size(queries.PAGE_SIZE))
        return {
            "form": form,
            "page": result,
            "next_url": next_page_url(endpoint, result.next_cursor),
        }

    return render_kept(
        template,
        f"{prefix}_rows.html" if cursor else f"{prefix}_results.html",
        LIST_TABLES,
        content,
    )


@bp.route("/")
@requires("inventory.view")
@reads_only
def index():
    return _kept_list(
        "inventory/index.html", "inventory/_product", "inventory.index", queries.list_products
    )


@bp.route("/variants")
@requires("inventory.view")
@reads_only
def variants():
    return _kept_list(
        "inventory/variants.html",
        "inventory/_variant",
        "inventory.variants",
        queries.list_variants,
        VARIANT_SORT_LABELS,
    )


def _tax_rates() -> list[TaxRate]:
    return list(db.session.execute(select(TaxRate).order_by(TaxRate.rate.desc())).scalars())


def _product_values(form: ProductForm) -> dict:
    category = get_or_404(Category, form.category.data) if form.category.data else None
    tax_rate = get_or_404(TaxRate, form.tax_rate.data) if form.tax_rate.data else None
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "category": category,
        "tax_rate": tax_rate,
        "unit": form.unit.data,
        "duration_minutes": form.duration_minutes.data,
        "description": form.description.data,
        "active": form.active.data,
        "stock_kept": form.stock_kept.data,
    }


@bp.route("/products/new", methods=["GET", "POST"])
@requires("inventory.edit")
def new_product():
    form = NewProductForm(categories=ops.category_tree(), tax_rates=_tax_rates())
    if request.method == "GET":
        default = ops.default_tax_rate()
        form.tax_rate.data = str(default.id) if default else ""
        return render("inventory/product_new.html", form=form)
    if form.validate_on_submit():
        try:
            product = ops.create_product(current_user, _product_values(form), form.variant_values())
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("%(name)s was added to the catalog.", name=product.name), "success")
            return redirect(url_for("inventory.product", product_id=product.id))
    return render(
        "inventory/product_new.html", "inventory/_product_new_form.html", form=form, status=422
    )


def _product_page(product: Product, form: ProductForm | None = None, status: int = 200):
    if form is None:
        form = ProductForm(obj=product, categories=ops.category_tree(), tax_rates=_tax_rates())
        form.category.data = str(product.category_id or "")
        form.tax_rate.data = str(product.tax_rate_id or "")
        form.unit.data = unit_label(product.unit)
    variant_ids = [v.id for v in product.variants]
    levels = db.session.execute(
        select(StockLevel)
        .where(StockLevel.variant_id.in_(variant_ids))
        .order_by(StockLevel.variant_id, StockLevel.location_id)
    ).scalars()
    movements = db.session.execute(
        select(StockMovement)
        .where(StockMovement.variant_id.in_(variant_ids))
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
        .limit(10)
    ).scalars()
    return render(
        "inventory/product.html",
        "inventory/_product_form.html",
        product=product,
        form=form,
        levels=list(levels),
        movements=list(movements),
        variants_by_id={v.id: v for v in product.variants},
        editable=can("inventory.edit"),
        status=status,
    )


@bp.route("/products/<int:product_id>", methods=["GET"])
@requires("inventory.view")
@reads_only
def product(product_id: int):
    return _product_page(get_or_404(Product, product_id))


@bp.route("/products/<int:product_id>", methods=["POST"])
@requires("inventory.edit")
def update_product(product_id: int):
    product = get_or_404(Product, product_id)
    form = ProductForm(categories=ops.category_tree(), tax_rates=_tax_rates())
    if form.validate_on_submit():
        try:
            ops.update_product(current_user, product, _product_values(form))
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("inventory.product", product_id=product.id))
    return _product_page(product, form, status=422)


def _variant_page(product, variant, form, status=200):
    return render(
        "inventory/variant_form.html",
        "inventory/_variant_form.html",
        product=product,
        variant=variant,
        form=form,
        status=status,
    )


def _attach_variant_error(form, error: BusinessRuleError) -> None:
    error.field = VARIANT_FIELD_NAMES.get(error.field, error.field)
    attach_to_form(form, error)


@bp.route("/products/<int:product_id>/variants/new", methods=["GET", "POST"])
@requires("inventory.edit")
def new_variant(product_id: int):
    product = get_or_404(Product, product_id)
    form = VariantForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ops.create_variant(current_user, product, form.variant_values())
            except BusinessRuleError as error:
                _attach_variant_error(form, error)
            else:
                flash(_("Variant added."), "success")
                return redirect(url_for("inventory.product", product_id=product.id))
        return _variant_page(product, None, form, status=422)
    return _variant_page(product, None, form)


@bp.route("/variants/<int:variant_id>", methods=["GET"])
@requires("inventory.view")
@reads_only
def variant(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    form = VariantForm(
        obj=variant, data={"variant_name": variant.name, "variant_active": variant.active}
    )
    return _variant_page(variant.product, variant, form)


@bp.route("/variants/<int:variant_id>", methods=["POST"])
@requires("inventory.edit")
def update_variant(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    form = VariantForm()
    if form.validate_on_submit():
        try:
            ops.update_variant(current_user, variant, form.variant_values())
        except BusinessRuleError as error:
            _attach_variant_error(form, error)
        else:
            flash(_("Variant saved."), "success")
            return redirect(url_for("inventory.product", product_id=variant.product_id))
    return _variant_page(variant.product, variant, form, status=422)
