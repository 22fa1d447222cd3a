"""Order pages: the list with active search, a new order, the detail page with its details
form, status buttons and history. The lines of an order are edited in `views_lines`."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache

from babel.numbers import get_decimal_symbol
from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from bizkit.core.errors import BusinessRuleError, attach_to_form
from bizkit.core.htmx import is_htmx, render, render_kept
from bizkit.core.pagination import next_page_url, requested_page_size
from bizkit.core.params import parse_count, parse_id
from bizkit.core.permissions import can, requires
from bizkit.core.reads import reads_only
from bizkit.core.tenancy import get_or_404
from bizkit.customers.models import Customer
from bizkit.extensions import db
from bizkit.orders import bp, queries
from bizkit.orders import operations as ops
from bizkit.orders.forms import BUSINESS_FIELDS, NewOrderForm, OrderDetailsForm
from bizkit.orders.models import CHANNELS, Order
from bizkit.workflow import operations as workflow

PAYMENT_STATE_LABELS = {
    "paid": _l("Paid"),
    "partially_paid": _l("Partially paid"),
    "unpaid": _l("Unpaid"),
}


def status_css_url(flow: workflow.Flow) -> str:
    """The status colour sheet, versioned by the colours so a recolour is seen at once."""
    colours = "".join(f"{s.code}{s.color};" for s in flow.statuses)
    return url_for("orders.status_styles", v=hashlib.sha256(colours.encode()).hexdigest()[:12])


@bp.route("/statuses.css")
@requires("orders.view")
def status_styles():
    """Each status's colour as a CSS rule: the CSP forbids inline styles, and the colours
    are data a company may change, so they cannot be classes in the static sheet."""
    flow = workflow.current_flow("order")
    css = "\n".join(
        f'[data-status="{s.code}"] {{ --status-color: {s.color}; }}' for s in flow.statuses
    )
    return Response(
        css + "\n",
        mimetype="text/css",
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return None


def _filters(flow: workflow.Flow) -> queries.OrderFilters:
    """The list filters from the query string; anything invalid is ignored."""
    status = request.args.get("status", "")
    channel = request.args.get("channel", "")
    return queries.OrderFilters(
        q=request.args.get("q", "")[:100],
        status=status if flow.status(status) else "",
        channel=channel if channel in CHANNELS else "",
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
    )


def plain(value, localized: bool = True) -> str:
    """A Decimal as an input shows it, with the company's decimal mark and no grouping
    (what the operations parse back): 2.500 → "2.5" ("2,5" in Czech), 10.00 → "10".
    Not `localized`: always a point (for attributes scripts and tests read)."""
    text = format(value.normalize(), "f")
    if localized and "." in text:
        return text.replace(".", _decimal_mark(g.company.locale))
    return text


@lru_cache(maxsize=16)
def _decimal_mark(locale: str) -> str:
    return get_decimal_symbol(locale)


def _labels(flow: workflow.Flow | None = None) -> dict:
    # Translated once for the page (the lazy labels would look up every row's label again).
    context = {
        "channel_labels": {code: str(label) for code, label in ops.CHANNEL_LABELS.items()},
        "payment_labels": {code: str(label) for code, label in PAYMENT_STATE_LABELS.items()},
        "plain": plain,
    }
    if flow is not None:
        context["status_css"] = status_css_url(flow)
    return context


# Every table the order list's content reads (bizkit.core.fragments keeps it until one
# changes); the company's flow comes with the company, an implicit table of every fragment.
LIST_TABLES = (
    "customer_order",
    "customer",
    "customer_group",
    "workflow_status",
    "workflow_transition",
)


@bp.route("/")
@requires("orders.view")
@reads_only
def index():
    cursor = request.args.get("cursor")

    def content() -> dict:
        flow = workflow.current_flow("order")
        filters = _filters(flow)
        page = queries.list_orders(
            filters, g.company.timezone, cursor, requested_page_size(queries.PAGE_SIZE)
        )
        return {
            "page": page,
            "filters": filters,
            "flow": flow,
            "channels": CHANNELS,
            "next_url": next_page_url("orders.index", page.next_cursor),
            **_labels(flow),
        }

    return render_kept(
        "orders/index.html",
        "orders/_rows.html" if cursor else "orders/_results.html",
        LIST_TABLES,
        content,
    )


# -- a new order ---------------------------------------------------------------------------


def _customer(value) -> Customer | None:
    """The customer of this company with the picked id (None for a walk-in or an id that
    is not one of them). An erased one is returned: the operations refuse to give them an
    order, and an order that has one keeps them."""
    customer_id = parse_id((value or "").strip())
    if customer_id is None:
        return None
    return db.session.execute(select(Customer).where(Customer.id == customer_id)).scalar()


def _picked_customer(form, raw_id: str, current: Customer | None) -> Customer | None:
    """The customer the picker chose (None: a walk-in), or a refusal next to the search.

    `current` is what the picker started with (the order's customer, or a walk-in on a
    new order). Enter in the search box submits the form with that still checked: the
    user meant the customer they were looking for, which the order would silently miss."""
    picked = _customer(raw_id)
    if (raw_id or "").strip() and picked is None:
        raise BusinessRuleError(
            _("Pick a customer from the list, or a walk-in."), field="customer_q"
        )
    searched = (form.customer_q.data or "").strip()
    if searched and getattr(picked, "id", None) == getattr(current, "id", None):
        if current is None:
            message = _(
                "Pick the customer you searched for from the list, or clear the "
                "search for a walk-in order."
            )
        else:
            message = _(
                "Pick the customer you searched for from the list, or clear the "
                "search to keep %(name)s.",
                name=current.name,
            )
        raise BusinessRuleError(message, field="customer_q")
    return picked


def _finding_customer() -> bool:
    """The picker's Find was pressed (its search without JavaScript): the form comes back
    with the matches and everything typed, and nothing is saved. It posts the form as the
    save does, so the CSRF token travels in the body (templates/orders/_customer_picker.html)."""
    return request.method == "POST" and "find_customer" in request.form


def _refused_pick(form, error: BusinessRuleError) -> None:
    """An operation's refusal about the customer goes next to the picker's search box."""
    if error.field == "customer":
        error.field = "customer_q"
    attach_to_form(form, error)


@bp.route("/new", methods=["GET", "POST"])
@requires("orders.create")
def new():
    form = NewOrderForm(business_type=g.company.business_type)
    customer_id = request.values.get("customer_id", "")
    selected = _customer(customer_id)
    if request.method == "GET":
        form.customer_q.data = request.args.get("customer_q", "")[:200]
    status = 200
    if _finding_customer():
        pass  # the form again, with the customers found
    elif form.validate_on_submit():
        try:
            customer = _picked_customer(form, customer_id, None)
            order = ops.create_order(current_user, customer=customer, **form.values())
        except BusinessRuleError as error:
            db.session.rollback()
            _refused_pick(form, error)
            status = error.status
            if selected is not None and selected.erased_at is not None:
                selected = None  # not offered again
        else:
            flash(_("Order %(number)s created.", number=order.number), "success")
            return redirect(url_for("orders.detail", order_id=order.id))
    elif request.method == "POST":
        status = 422
    return render(
        "orders/new.html",
        form=form,
        selected=selected,
        customers=queries.customer_choices(form.customer_q.data or ""),
        status=status,
    )


@bp.route("/new/customers")
@requires("orders.create")
@reads_only
def customer_options():
    """The customer picker's choices for what was typed (htmx), on the new-order form and
    the order's details form (the same roles may create and edit orders); the checked
    choice comes back checked. Without htmx, the new-order form."""
    q = request.args.get("customer_q", "")[:200]
    if not is_htmx():
        return redirect(url_for("orders.new", customer_q=q))
    return render(
        "orders/_customer_options.html",
        customers=queries.customer_choices(q),
        selected=_customer(request.args.get("customer_id")),
    )


# -- the detail page -----------------------------------------------------------------------


def details_form(order: Order) -> OrderDetailsForm:
    return OrderDetailsForm(formdata=None, obj=order, business_type=g.company.business_type)


def details_context(order: Order, flow: workflow.Flow, /, **extra) -> dict:
    """What the details panel (templates/orders/_details.html) shows, alone or in the page."""
    status = flow.status(order.status)
    closed = bool(status and status.is_terminal)
    context = {
        "order": order,
        "closed": closed,
        "may_edit": can("orders.edit") and not closed,
        # The details form is built only while it is shown (`editing_details`).
        "details_form": None,
        "editing_details": False,
        "business_fields": BUSINESS_FIELDS.get(g.company.business_type, ()),
        # The details form's customer picker: the order's customer checked, and the
        # customers found for a search (no JavaScript) or kept from a refused save.
        "picked_customer": order.customer,
        "customer_choices": [],
        **_labels(flow),
    }
    context.update(extra)
    if context["editing_details"] and context["details_form"] is None:
        context["details_form"] = details_form(order)
    return context


def detail_context(order: Order, **extra) -> dict:
    """Everything the detail page and its fragments show, in a fixed number of queries."""
    flow = extra.pop("flow", None) or workflow.current_flow("order")
    page = {
        "flow": flow,
        "moves": flow.moves_from(order.status, g.membership.role),
        "totals": ops.totals_of(order),
        "history": workflow.history(order),
        "may_override": can("orders.price_override"),
        "line_errors": {},
        "line_values": {},
        "variants": [],
        "catalog_q": "",
        "transition_error": None,
    }
    return details_context(order, flow, **{**page, **extra})


def order_for_page(order_id) -> Order:
    """The order with what its page shows one of (customer, promo code) in the same query;
    lines and payments follow in one query each (a 404 for another company's id)."""
    return get_or_404(
        Order,
        order_id,
        joinedload(Order.customer),
        joinedload(Order.voucher_redemption),
        selectinload(Order.lines),
        selectinload(Order.payments),
    )


# Every table the order page reads (bizkit.core.fragments keeps it until one changes).
DETAIL_TABLES = (
    *LIST_TABLES,
    "order_line",
    "payment",
    "voucher",
    "voucher_redemption",
    "gift_voucher",
    "status_change",
    "user_account",
    "notification",
    "variant",
    "product",
    "tax_rate",
)


@bp.route("/<int:order_id>")
@requires("orders.view")
@reads_only
def detail(order_id: int):
    def content() -> dict:
        order = order_for_page(order_id)
        q = request.args.get("q", "")[:100]
        editor = can("orders.edit")
        variants = queries.sellable_variants(q) if q and editor else []
        # The details form is open after "Edit details" without JavaScript
        # (?edit=details), and with the matches of a customer search (?customer_q=).
        customer_q = request.args.get("customer_q", "")[:200]
        editing = editor and (request.args.get("edit") == "details" or "customer_q" in request.args)
        extra = {}
        if editing:
            form = details_form(order)
            form.customer_q.data = customer_q
            extra = {
                "details_form": form,
                "customer_choices": queries.customer_choices(customer_q),
            }
        return detail_context(
            order, variants=variants, catalog_q=q, editing_details=editing, **extra
        )

    if "edit" in request.args or "customer_q" in request.args:
        # The details form (no JavaScript) carries the session's own token: not kept.
        return render("orders/detail.html", **content())
    return render_kept("orders/detail.html", None, DETAIL_TABLES, content)


def _details_fragment(order_id: int, *, editing: bool):
    """The details panel alone (htmx): the form, or the details again after Cancel;
    without htmx, the order page (with the form open when editing)."""
    if not is_htmx():
        edit = {"edit": "details"} if editing else {}
        return redirect(url_for("orders.detail", order_id=order_id, **edit))
    order = get_or_404(Order, order_id, joinedload(Order.customer))
    flow = workflow.current_flow("order")
    return render("orders/_details.html", **details_context(order, flow, editing_details=editing))


@bp.route("/<int:order_id>/details/edit")
@requires("orders.edit")
@reads_only
def edit_details(order_id: int):
    return _details_fragment(order_id, editing=True)


@bp.route("/<int:order_id>/details")
@requires("orders.view")
@reads_only
def show_details(order_id: int):
    return _details_fragment(order_id, editing=False)


@bp.route("/<int:order_id>/details", methods=["POST"])
@requires("orders.edit")
def update_details(order_id: int):
    order = get_or_404(Order, order_id)
    form = OrderDetailsForm(business_type=g.company.business_type)
    status = 200
    if _finding_customer():
        pass  # the page again, with the customers found
    elif not form.validate_on_submit():
        status = 422
    else:
        customer_before = order.customer_id
        try:
            values = form.values()
            if "customer_id" in request.form:  # (a form without the picker keeps it)
                values["customer"] = _picked_customer(
                    form, request.form["customer_id"], order.customer
                )
            ops.update_details(current_user, order, values)
        except BusinessRuleError as error:
            db.session.rollback()
            _refused_pick(form, error)
            status = error.status
        else:
            if not is_htmx():
                flash(_("Order saved."), "success")
                return redirect(url_for("orders.detail", order_id=order.id), 303)
            return render(
                "orders/_details_saved.html",
                **detail_context(
                    order,
                    details_saved=True,
                    oob=True,
                    customer_changed=order.customer_id != customer_before,
                ),
            )
    # Refused, or Find pressed: what was typed stays, the picker shows the customer the
    # order still has and the matches of the search.
    return render(
        "orders/detail.html",
        "orders/_details.html",
        status=status,
        **detail_context(
            order,
            details_form=form,
            editing_details=True,
            customer_choices=queries.customer_choices(form.customer_q.data or ""),
        ),
    )


@bp.route("/<int:order_id>/transition", methods=["POST"])
@requires("orders.transition")
def transition(order_id: int):
    """Move the order to the status of the button pressed, if nobody moved it meanwhile."""
    order = get_or_404(Order, order_id)
    version = parse_count(request.form.get("version"), -1)
    try:
        if version < 0:
            raise BusinessRuleError(_("Reload the page and try again."))
        workflow.transition(
            order,
            request.form.get("to", "")[:40],
            current_user,
            request.form.get("note"),
            expected_version=version,
            savepoint=False,  # a refusal rolls the whole request back just below
        )
    except BusinessRuleError as error:
        db.session.rollback()  # a side effect may have run before the refusal
        # Someone else moved the order: every panel shows its state now (as after a
        # move). Any other refusal changed nothing, and what the user typed elsewhere
        # on the page stays.
        moved = isinstance(error, workflow.ConflictError)
        return render(
            "orders/detail.html",
            "orders/_transitioned.html" if moved else "orders/_status.html",
            status=error.status,
            **detail_context(order, transition_error=error.message, oob=moved and is_htmx()),
        )
    if not is_htmx():
        return redirect(url_for("orders.detail", order_id=order.id), 303)
    return render("orders/_transitioned.html", **detail_context(order, oob=True))
