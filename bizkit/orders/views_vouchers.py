"""Promo codes and gift vouchers: lists with active search, the forms, a voucher's ledger.

Staff (orders.edit) look codes and balances up at the counter; defining a promo code or
issuing a gift voucher creates money-worth, so it takes settings.manage (owner, admin).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import render
from bizkit.core.pagination import next_page_url, requested_page_size
from bizkit.core.permissions import can, requires
from bizkit.core.reads import reads_only
from bizkit.core.tenancy import get_or_404
from bizkit.orders import bp, gift_vouchers, vouchers
from bizkit.orders.models import GiftVoucher, Voucher
from bizkit.orders.voucher_forms import GiftCorrectionForm, GiftVoucherForm, VoucherForm


def _list(template: str, search, endpoint: str, **context):
    query = request.args.get("q", "")[:60]
    cursor = request.args.get("cursor")
    page = search(query, cursor, requested_page_size(vouchers.PAGE_SIZE))
    prefix = template.rsplit("/", 1)[0] + "/_" + template.rsplit("/", 1)[1].split(".")[0]
    return render(
        template,
        f"{prefix}_rows.html" if cursor else f"{prefix}_results.html",
        page=page,
        query=query,
        next_url=next_page_url(endpoint, page.next_cursor),
        **context,
    )


@bp.route("/vouchers")
@requires("orders.edit")
@reads_only
def vouchers_index():
    return _list(
        "orders/vouchers/codes.html",
        vouchers.search_vouchers,
        "orders.vouchers_index",
        state_of=vouchers.state_of,
        state_labels=vouchers.STATE_LABELS,
        kind_labels=vouchers.KIND_LABELS,
    )


def _voucher_form_page(form: VoucherForm, voucher: Voucher | None, status: int = 200):
    return render("orders/vouchers/code_form.html", form=form, voucher=voucher, status=status)


def _save(voucher: Voucher | None):
    form = VoucherForm()
    if form.validate_on_submit():
        try:
            saved = vouchers.save_voucher(current_user, voucher, form.values())
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Promo code %(code)s saved.", code=saved.code), "success")
            return redirect(url_for("orders.vouchers_index"))
    return _voucher_form_page(form, voucher, status=422)


@bp.route("/vouchers/new")
@requires("settings.manage")
def new_voucher():
    return _voucher_form_page(VoucherForm(), None)


@bp.route("/vouchers/new", methods=["POST"])
@requires("settings.manage")
def create_voucher():
    return _save(None)


@bp.route("/vouchers/<int:voucher_id>/edit")
@requires("settings.manage")
def edit_voucher(voucher_id: int):
    voucher = get_or_404(Voucher, voucher_id)
    form = VoucherForm(obj=voucher)
    form.valid_from.data = vouchers.local_input_value(voucher.valid_from)
    form.valid_until.data = vouchers.local_input_value(voucher.valid_until)
    for name in ("max_uses", "max_uses_per_customer"):
        value = getattr(voucher, name)
        form[name].data = "" if value is None else str(value)
    form.min_order_total.data = voucher.min_order_total or ""
    return _voucher_form_page(form, voucher)


@bp.route("/vouchers/<int:voucher_id>/edit", methods=["POST"])
@requires("settings.manage")
def update_voucher(voucher_id: int):
    return _save(get_or_404(Voucher, voucher_id))


# -- gift vouchers ------------------------------------------------------------------------


@bp.route("/gift-vouchers")
@requires("orders.edit")
@reads_only
def gift_vouchers_index():
    return _list(
        "orders/vouchers/gifts.html",
        gift_vouchers.search_gift_vouchers,
        "orders.gift_vouchers_index",
    )


@bp.route("/gift-vouchers/new")
@requires("settings.manage")
def new_gift_voucher():
    return render("orders/vouchers/gift_form.html", form=GiftVoucherForm())


@bp.route("/gift-vouchers/new", methods=["POST"])
@requires("settings.manage")
def issue_gift_voucher():
    form = GiftVoucherForm()
    if form.validate_on_submit():
        try:
            voucher = gift_vouchers.issue_gift_voucher(
                current_user,
                form.amount.data,
                note=form.note.data,
                expires_at=gift_vouchers.parse_expiry(form.expires_at.data),
            )
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Gift voucher %(code)s issued.", code=voucher.code), "success")
            return redirect(url_for("orders.gift_voucher", gift_voucher_id=voucher.id))
    return render("orders/vouchers/gift_form.html", form=form, status=422)


def _gift_page(voucher: GiftVoucher, form: GiftCorrectionForm | None = None, status: int = 200):
    return render(
        "orders/vouchers/gift_detail.html",
        "orders/vouchers/_gift_correction.html" if form is not None else None,
        voucher=voucher,
        movements=gift_vouchers.movements(voucher),
        movement_labels=gift_vouchers.MOVEMENT_LABELS,
        form=form or GiftCorrectionForm(),
        may_correct=can("settings.manage"),
        status=status,
    )


@bp.route("/gift-vouchers/<int:gift_voucher_id>")
@requires("orders.edit")
@reads_only
def gift_voucher(gift_voucher_id: int):
    return _gift_page(get_or_404(GiftVoucher, gift_voucher_id))


@bp.route("/gift-vouchers/<int:gift_voucher_id>/correction", methods=["POST"])
@requires("settings.manage")
def correct_gift_voucher(gift_voucher_id: int):
    voucher = get_or_404(GiftVoucher, gift_voucher_id)
    form = GiftCorrectionForm()
    if form.validate_on_submit():
        try:
            gift_vouchers.correct_balance(current_user, voucher, form.amount.data, form.reason.data)
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Balance corrected."), "success")
            return redirect(url_for("orders.gift_voucher", gift_voucher_id=voucher.id))
    return _gift_page(voucher, form, status=422)
