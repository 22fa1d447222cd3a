"""Stock pages: a variant's ledger with the receipt/adjustment form, low stock, stock count."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.forms import choices
from bizkit.core.htmx import render
from bizkit.core.pagination import next_page_url
from bizkit.core.params import parse_id
from bizkit.core.permissions import can, requires
from bizkit.core.search import sort_name
from bizkit.core.tenancy import get_or_404
from bizkit.extensions import db
from bizkit.inventory import bp, queries
from bizkit.inventory import operations as ops
from bizkit.inventory.forms import MovementForm, StockCountForm
from bizkit.inventory.models import Product, StockLevel, StockLocation, Variant
from bizkit.inventory.views import read_filters

STOCK_COUNT_LIMIT = 200


def _location_choices(form) -> None:
    form.location.choices = choices((str(loc.id), loc.name) for loc in ops.locations())


def _movement_form(formdata=None) -> MovementForm:
    form = MovementForm(formdata) if formdata is not None else MovementForm()
    _location_choices(form)
    form.reason.choices = choices(
        [("", "—"), *((k, v) for k, v in ops.ADJUSTMENT_REASONS.items() if k != "count")]
    )
    return form


def _movements_page(variant: Variant, form: MovementForm, status: int = 200):
    cursor = request.args.get("cursor")
    result = ops.movements_of(variant, cursor)
    return render(
        "inventory/movements.html",
        "inventory/_movement_rows.html" if cursor else "inventory/_movements_body.html",
        variant=variant,
        form=form,
        levels=ops.stock_levels(variant),
        page=result,
        next_url=next_page_url("inventory.movements", result.next_cursor, variant_id=variant.id),
        can_move=can("inventory.stock") and variant.product.kind == "product",
        status=status,
    )


@bp.route("/stock/<int:variant_id>/movements", methods=["GET"])
@requires("inventory.view")
def movements(variant_id: int):
    return _movements_page(get_or_404(Variant, variant_id), _movement_form())


@bp.route("/stock/<int:variant_id>/movements", methods=["POST"])
@requires("inventory.stock")
def record_movement(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    form = _movement_form(request.form)
    if form.validate_on_submit():
        location = get_or_404(StockLocation, form.location.data)
        note = form.note.data or None
        try:
            if form.kind.data == "receipt":
                ops.receive_stock(
                    current_user, variant, form.quantity.data, location, reference=note
                )
            elif form.kind.data == "return":
                ops.return_stock(
                    current_user, variant, form.quantity.data, location, reference=note
                )
            else:
                ops.adjust_stock(
                    current_user, variant, form.quantity.data, form.reason.data, location, note=note
                )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Stock movement recorded."), "success")
            return redirect(url_for("inventory.movements", variant_id=variant.id))
    return _movements_page(variant, form, status=422)


@bp.route("/low-stock")
@requires("inventory.view")
def low_stock():
    cursor = request.args.get("cursor")
    result = queries.low_stock_page(cursor)
    return render(
        "inventory/low_stock.html",
        "inventory/_variant_rows.html" if cursor else None,
        page=result,
        next_url=next_page_url("inventory.low_stock", result.next_cursor),
    )


def _countable(filters) -> list[Variant]:
    """Active stocked variants matching the filters, in name order, for the count sheet."""
    filters.kind, filters.sort = "product", "name"
    return queries.list_variants(filters, None, STOCK_COUNT_LIMIT).rows


def _variants_by_id(ids: list[int]) -> list[Variant]:
    rows = db.session.execute(
        select(Variant)
        .join(Variant.product)
        .options(contains_eager(Variant.product))
        .where(Variant.id.in_(ids))
        .order_by(sort_name(Product.name), sort_name(Variant.name), Variant.id)
    ).scalars()
    found = list(rows)
    if len(found) != len(set(ids)):
        abort(404)  # an id of another company, or gone
    return found


def _count_page(form, variants, location_id, values=None, errors=None, status=200, filters=None):
    levels = {}
    if variants and location_id:
        levels = {
            lv.variant_id: lv
            for lv in db.session.execute(
                select(StockLevel).where(
                    StockLevel.location_id == location_id,
                    StockLevel.variant_id.in_([v.id for v in variants]),
                )
            ).scalars()
        }
    return render(
        "inventory/stock_count.html",
        "inventory/_stock_count_sheet.html",
        form=form,
        filter_form=filters,
        variants=variants,
        levels=levels,
        values=values or {},
        errors=errors or {},
        limit=STOCK_COUNT_LIMIT,
        status=status,
    )


@bp.route("/stock-count", methods=["GET"])
@requires("inventory.stock")
def stock_count():
    filter_form, filters = read_filters()
    form = StockCountForm(request.args)
    _location_choices(form)
    if form.location.data not in {value for value, *_rest in form.location.iter_choices()}:
        form.location.data = form.location.choices[0].value
    variants = _countable(filters)
    return _count_page(form, variants, parse_id(form.location.data), filters=filter_form)


@bp.route("/stock-count", methods=["POST"])
@requires("inventory.stock")
def record_stock_count():
    form = StockCountForm()
    _location_choices(form)
    # Ids no variant can have ("²", 99999999999, a crafted form) are left out, not looked up.
    ids = [i for i in map(parse_id, request.form.getlist("variant")) if i is not None]
    variants = _variants_by_id(ids)
    values = {v.id: request.form.get(f"count-{v.id}", "").strip() for v in variants}
    if form.validate_on_submit():
        location = get_or_404(StockLocation, form.location.data)
        counted = [(v, values[v.id]) for v in variants if values[v.id]]
        try:
            written = ops.count_stock(current_user, counted, location, note=form.note.data)
        except BusinessRuleError as error:
            if error.field and error.field.startswith("count-"):
                errors = {int(error.field.removeprefix("count-")): error.message}
                return _count_page(form, variants, location.id, values, errors, status=422)
            attach_to_form(form, error)
        else:
            flash(
                ngettext(
                    "Count saved: %(num)d adjustment recorded.",
                    "Count saved: %(num)d adjustments recorded.",
                    len(written),
                ),
                "success",
            )
            return redirect(url_for("inventory.stock_count", location=location.id))
    location_id = None if form.location.errors else parse_id(form.location.data)
    return _count_page(form, variants, location_id, values, status=422)
