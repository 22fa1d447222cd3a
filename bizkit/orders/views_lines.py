"""An order's lines edited in place: add from the catalog or as free text, change a
quantity, discount or price, remove. Every answer (htmx) is the lines fragment, which holds
the totals too, so they always agree; a refusal comes back in it next to its field (422)."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from bizkit.core.errors import BusinessRuleError
from bizkit.core.htmx import is_htmx, render
from bizkit.core.permissions import requires
from bizkit.core.reads import reads_only
from bizkit.core.tenancy import get_or_404
from bizkit.extensions import db
from bizkit.inventory.models import Variant
from bizkit.orders import bp, queries
from bizkit.orders import operations as ops
from bizkit.orders.models import Order, OrderLine
from bizkit.orders.views import detail_context
from bizkit.orders.views_payments import changed as changed_event

LINE_FIELDS = ("quantity", "discount_percent", "unit_price", "description")


def _line_of(order: Order, line_id: int) -> OrderLine:
    line = get_or_404(OrderLine, line_id)
    if line.order_id != order.id:
        abort(404)
    return line


def _lines(order: Order, *, status: int = 200, **extra):
    if status < 400 and not is_htmx():
        return redirect(url_for("orders.detail", order_id=order.id), 303)
    # A change tells the page's other panels (payments, promo code) to refresh themselves.
    changed = request.method == "POST" and status < 400
    return render(
        "orders/detail.html",
        "orders/_lines.html",
        status=status,
        headers=changed_event("lines") if changed else None,
        **detail_context(order, **extra),
    )


@bp.route("/<int:order_id>/lines")
@requires("orders.view")
@reads_only
def lines(order_id: int):
    """The lines and totals alone: the panel refetches itself after a payment or a code."""
    return _lines(get_or_404(Order, order_id))


def _refused(order: Order, error: BusinessRuleError, prefix: str):
    """Nothing written; the message goes next to the field of the form it came from
    (`prefix` "catalog", "free", or a line id), with what the user typed kept."""
    db.session.rollback()
    values = {f"{prefix}.{k}": v for k, v in request.form.items() if k != "csrf_token"}
    errors = {f"{prefix}.{error.field or 'form'}": error.message}
    return _lines(order, status=error.status, line_errors=errors, line_values=values)


@bp.route("/<int:order_id>/catalog")
@requires("orders.edit")
@reads_only
def variant_options(order_id: int):
    """The catalog picker's matches for what was typed (htmx); without htmx, the page."""
    order = get_or_404(Order, order_id)
    q = request.args.get("q", "")[:100]
    if not is_htmx():
        return redirect(url_for("orders.detail", order_id=order.id, q=q))
    return render(
        "orders/_variant_options.html", order=order, variants=queries.sellable_variants(q)
    )


@bp.route("/<int:order_id>/lines", methods=["POST"])
@requires("orders.edit")
def add_line(order_id: int):
    order = get_or_404(Order, order_id)
    form = request.form
    prefix = "catalog" if form.get("variant_id") else "free"
    try:
        if prefix == "catalog":
            variant = get_or_404(Variant, form.get("variant_id"))
            ops.add_line(current_user, order, variant=variant, quantity=form.get("quantity") or "1")
        else:
            ops.add_line(
                current_user,
                order,
                description=form.get("description", ""),
                quantity=form.get("quantity") or "1",
                unit_price=form.get("unit_price", ""),
            )
    except BusinessRuleError as error:
        return _refused(order, error, prefix)
    return _lines(order)


@bp.route("/<int:order_id>/lines/<int:line_id>", methods=["POST"])
@requires("orders.edit")
def update_line(order_id: int, line_id: int):
    order = get_or_404(Order, order_id)
    line = _line_of(order, line_id)
    prefix = str(line.id)
    values = {key: request.form[key] for key in LINE_FIELDS if key in request.form}
    try:
        ops.update_line(current_user, order, line, **values)
    except BusinessRuleError as error:
        return _refused(order, error, prefix)
    return _lines(order)


@bp.route("/<int:order_id>/lines/<int:line_id>/delete", methods=["POST"])
@requires("orders.edit")
def remove_line(order_id: int, line_id: int):
    order = get_or_404(Order, order_id)
    line = _line_of(order, line_id)
    prefix = str(line.id)
    try:
        ops.remove_line(current_user, order, line)
    except BusinessRuleError as error:
        return _refused(order, error, prefix)
    return _lines(order)
