"""An order's money: payments, refunds and its promo code, as fragments of the order page.

The order page includes `orders/_payments.html` and `orders/_vouchers.html`; each POST
here answers an htmx request with the re-rendered fragment and the header
``HX-Trigger-After-Settle: {"order-payments-changed": ...}`` (or `order-voucher-changed`)
so the other panels (lines and totals, the other money fragment) reload — never the panel
that answered, whose inputs the user may already be typing in again; a plain form post
is redirected to the order.
The same URLs answer GET with a full page, so they also work without JavaScript.
"""

from __future__ import annotations

import json

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bizkit.core.errors import BusinessRuleError
from bizkit.core.htmx import is_htmx, render
from bizkit.core.permissions import requires
from bizkit.core.reads import reads_only
from bizkit.core.tenancy import get_or_404
from bizkit.orders import bp, vouchers
from bizkit.orders import operations as orders
from bizkit.orders import payments as ops
from bizkit.orders.models import Order, Payment


def changed(panel: str) -> dict[str, str]:
    """The header that tells the order page's other panels `panel` changed the order."""
    return {"HX-Trigger-After-Settle": json.dumps({f"order-{panel}-changed": {"target": "body"}})}


def order_url(order: Order) -> str:
    """The order page when the orders pages are there, else this order's money page."""
    if "orders.detail" in current_app.view_functions:
        return url_for("orders.detail", order_id=order.id)
    return url_for("orders.payments", order_id=order.id)


def money_page(order: Order, fragment: str, *, status: int = 200, headers=None, **context):
    return render(
        "orders/vouchers/order_money.html",
        fragment,
        order=order,
        closed=orders.is_closed(order),
        status=status,
        headers=headers,
        **context,
    )


def answer(order: Order, fragment: str, message: str, **context):
    """Success: the fragment (htmx) with its order-…-changed event, or back to the order."""
    if is_htmx():
        return money_page(
            order,
            fragment,
            headers=changed("voucher" if fragment.endswith("_vouchers.html") else "payments"),
            notice=message,
            **context,
        )
    flash(message, "success")
    return redirect(order_url(order))


def refused(order: Order, fragment: str, error: BusinessRuleError, prefix: str, values):
    """The fragment (or page) again, the message next to its field, nothing saved."""
    return money_page(
        order,
        fragment,
        status=error.status,
        **{
            f"{prefix}_errors": {error.field or "form": error.message},
            f"{prefix}_values": values,
        },
    )


@bp.route("/<int:order_id>/payments")
@requires("orders.view")
@reads_only
def payments(order_id: int):
    order = get_or_404(Order, order_id)
    return money_page(order, "orders/_payments.html")


@bp.route("/<int:order_id>/payments", methods=["POST"])
@requires("orders.edit")
def take_payment(order_id: int):
    order = get_or_404(Order, order_id)
    form = request.form
    try:
        payment = ops.record_payment(
            current_user,
            order,
            form.get("method"),
            form.get("amount", ""),
            form.get("reference"),
            gift_code=form.get("gift_code"),
        )
    except BusinessRuleError as error:
        return refused(order, "orders/_payments.html", error, "payment", form)
    message = _("Payment recorded.")
    if payment.change_given:
        message = _(
            "Payment recorded. Give %(change)s back in change.",
            change=ops._money(payment.change_given, order.currency),
        )
    return answer(order, "orders/_payments.html", message)


@bp.route("/<int:order_id>/refunds", methods=["POST"])
@requires("orders.refund")
def refund(order_id: int):
    order = get_or_404(Order, order_id)
    form = request.form
    payment = get_or_404(Payment, form["payment_id"]) if form.get("payment_id") else None
    try:
        ops.refund(
            current_user,
            order,
            form.get("amount", ""),
            form.get("method") or None,
            payment=payment,
            reference=form.get("reference"),
        )
    except BusinessRuleError as error:
        return refused(order, "orders/_payments.html", error, "refund", form)
    return answer(order, "orders/_payments.html", _("Refund recorded."))


@bp.route("/<int:order_id>/voucher")
@requires("orders.view")
@reads_only
def voucher(order_id: int):
    order = get_or_404(Order, order_id)
    return money_page(order, "orders/_vouchers.html")


@bp.route("/<int:order_id>/voucher", methods=["POST"])
@requires("orders.edit")
def apply_voucher(order_id: int):
    order = get_or_404(Order, order_id)
    try:
        vouchers.apply_voucher(current_user, order, request.form.get("code", ""))
    except BusinessRuleError as error:
        return refused(order, "orders/_vouchers.html", error, "voucher", request.form)
    return answer(order, "orders/_vouchers.html", _("Code applied."))


@bp.route("/<int:order_id>/voucher/remove", methods=["POST"])
@requires("orders.edit")
def remove_voucher(order_id: int):
    order = get_or_404(Order, order_id)
    try:
        vouchers.remove_voucher(current_user, order)
    except BusinessRuleError as error:
        return refused(order, "orders/_vouchers.html", error, "voucher", request.form)
    return answer(order, "orders/_vouchers.html", _("Code removed."))


@bp.app_context_processor
def _money_labels():
    """Labels the money fragments need wherever they are included (the order page too)."""
    return {
        "payment_method_labels": ops.METHOD_LABELS,
        "payment_state_labels": ops.PAYMENT_STATE_LABELS,
    }
