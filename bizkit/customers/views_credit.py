"""Store credit: movements on a customer's ledger."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render
from bizkit.core.permissions import requires
from bizkit.core.tenancy import get_or_404
from bizkit.customers import bp
from bizkit.customers import operations as ops
from bizkit.customers.forms import StoreCreditForm
from bizkit.customers.models import Customer
from bizkit.customers.views import detail_context


@bp.route("/<int:customer_id>/store-credit", methods=["POST"])
@requires("customers.edit")
def move_credit(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = StoreCreditForm()
    if form.validate_on_submit():
        try:
            ops.move_store_credit(
                current_user, customer, form.kind.data, form.amount.data, form.reason.data
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Store credit updated."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render(
        "customers/detail.html",
        "customers/_credit.html",
        **detail_context(customer, credit_form=form),
        status=422,
    )
