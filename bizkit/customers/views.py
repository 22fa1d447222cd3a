"""Customers: list with active search, create, detail with timeline, inline edit, GDPR."""

from __future__ import annotations

import json

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import is_htmx, render, render_kept
from bizkit.core.pagination import next_page_url, requested_page_size
from bizkit.core.params import parse_id
from bizkit.core.permissions import requires
from bizkit.core.reads import reads_only
from bizkit.core.tenancy import get_or_404
from bizkit.customers import bp
from bizkit.customers import operations as ops
from bizkit.customers.forms import (
    CONSENT_LABELS,
    CREDIT_KIND_LABELS,
    CustomerForm,
    GroupForm,
    NoteForm,
    StoreCreditForm,
)
from bizkit.customers.models import Customer, CustomerGroup

INLINE_FIELDS = ("name", "email", "phone", "company_name", "vat_id", "locale", "tags", "group_id")


def customer_filter(args=None) -> ops.CustomerFilter:
    """The list's filter from the query string (or, for the export, the posted form)."""
    args = request.args if args is None else args
    group = args.get("group", "")
    return ops.CustomerFilter(
        query=args.get("q", "")[:200],
        tag=args.get("tag", "")[:50],
        group_id=parse_id(group),
        sort=args.get("sort", "name"),
    )


# Every table the list's content reads (bizkit.core.fragments keeps it until one changes).
LIST_TABLES = (Customer, CustomerGroup)


@bp.route("/")
@requires("customers.view")
@reads_only
def index():
    flt = customer_filter()
    cursor = request.args.get("cursor")

    def content() -> dict:
        page = ops.search_customers(flt, cursor=cursor, limit=requested_page_size(ops.PAGE_SIZE))
        return {
            "page": page,
            "flt": flt,
            "next_url": next_page_url("customers.index", page.next_cursor),
            # Search as you type swaps only the results: the group filter is not re-rendered.
            "groups": [] if is_htmx() else ops.groups(),
            "sorts": ops.SORTS,
        }

    return render_kept(
        "customers/index.html",
        "customers/_rows.html" if cursor else "customers/_results.html",
        LIST_TABLES,
        content,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("customers.edit")
def create():
    form = CustomerForm(groups=ops.groups())
    if form.validate_on_submit():
        try:
            customer = ops.create_customer(current_user, g.company, form.values())
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Customer %(name)s created.", name=customer.name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    status = 422 if request.method == "POST" else 200
    return render("customers/form.html", form=form, customer=None, status=status)


def detail_context(customer: Customer, **overrides) -> dict:
    context = {
        "customer": customer,
        "timeline": ops.timeline(customer),
        "movements": ops.credit_movements(customer, limit=20),
        "note_form": NoteForm(),
        "credit_form": StoreCreditForm(),
        "inline_fields": INLINE_FIELDS,
        "consent_labels": CONSENT_LABELS,
        "credit_kind_labels": CREDIT_KIND_LABELS,
        "form": _inline_form(customer),
    }
    context.update(overrides)
    return context


@bp.route("/<int:customer_id>")
@requires("customers.view")
@reads_only
def detail(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    return render("customers/detail.html", **detail_context(customer))


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@requires("customers.edit")
def edit(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = CustomerForm(obj=customer, groups=ops.groups())
    if request.method == "GET":
        _prefill(form, customer)
    if form.validate_on_submit():
        try:
            ops.update_customer(current_user, g.company, customer, form.values())
        except BusinessRuleError as error:
            attach_to_form(form, error)
        else:
            flash(_("Customer saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    status = 422 if request.method == "POST" else 200
    return render("customers/form.html", form=form, customer=customer, status=status)


def _prefill(form: CustomerForm, customer: Customer) -> CustomerForm:
    """Show stored values the way the inputs take them (tags as text, ids as strings)."""
    form.tags.data = ", ".join(customer.tags or [])
    form.group_id.data = str(customer.group_id or "")
    form.locale.data = customer.locale or ""
    return form


def _inline_form(customer: Customer) -> CustomerForm:
    return _prefill(CustomerForm(obj=customer, groups=ops.groups(), meta={"csrf": False}), customer)


def _field_fragment(customer_id: int, field: str, *, editing: bool):
    if field not in INLINE_FIELDS:
        abort(404)
    customer = get_or_404(Customer, customer_id)
    return render(
        "customers/_field.html",
        customer=customer,
        field=field,
        form=_inline_form(customer),
        editing=editing,
    )


@bp.route("/<int:customer_id>/fields/<field>")
@requires("customers.view")
@reads_only
def show_field(customer_id: int, field: str):
    return _field_fragment(customer_id, field, editing=False)


@bp.route("/<int:customer_id>/fields/<field>/edit")
@requires("customers.edit")
@reads_only
def edit_field(customer_id: int, field: str):
    return _field_fragment(customer_id, field, editing=True)


@bp.route("/<int:customer_id>/fields/<field>", methods=["POST"])
@requires("customers.edit")
def save_field(customer_id: int, field: str):
    """Inline edit: the saved value, or the input again with the error next to it (422)."""
    if field not in INLINE_FIELDS:
        abort(404)
    customer = get_or_404(Customer, customer_id)
    form = _inline_form(customer)
    value = request.form.get(field, "")
    try:
        ops.update_customer(current_user, g.company, customer, {field: value})
    except BusinessRuleError as error:
        form[field].data = value
        form[field].errors = [error.message]
        return render(
            "customers/_field.html",
            customer=customer,
            field=field,
            form=form,
            editing=True,
            status=422,
        )
    return render(
        "customers/_field.html",
        customer=customer,
        field=field,
        form=_inline_form(customer),
        editing=False,
    )


@bp.route("/<int:customer_id>/notes", methods=["POST"])
@requires("customers.edit")
def add_note(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            ops.add_note(current_user, customer, form.note.data)
        except BusinessRuleError as error:
            flash(error.message, "error")
            return redirect(url_for("customers.detail", customer_id=customer.id)), 303
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.route("/groups", methods=["GET", "POST"])
@requires("customers.edit")
def manage_groups():
    form = GroupForm()
    status = 200
    if form.validate_on_submit():
        try:
            ops.create_group(current_user, form.name.data)
        except BusinessRuleError as error:
            attach_to_form(form, error)
            status = 422
        else:
            flash(_("Group created."), "success")
            return redirect(url_for("customers.manage_groups"))
    elif request.method == "POST":
        status = 422
    return render("customers/groups.html", form=form, groups=ops.groups(), status=status)


@bp.route("/<int:customer_id>/gdpr-export")
@requires("customers.export")
def gdpr_export(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    data = ops.export_personal_data(current_user, customer)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    name = f"customer-{customer.id}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/<int:customer_id>/erase", methods=["POST"])
@requires("customers.erase")
def erase(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    if request.form.get("confirm") != "ERASE":
        flash(_("Type ERASE to confirm."), "error")
        return redirect(url_for("customers.detail", customer_id=customer.id))
    ops.erase_customer(current_user, customer)
    flash(_("The customer's personal data was erased."), "success")
    if is_htmx():
        return "", 204, {"HX-Redirect": url_for("customers.detail", customer_id=customer.id)}
    return redirect(url_for("customers.detail", customer_id=customer.id))
