"""Orders: lines, totals, vouchers, payments, and the live board; statuses via the workflow."""

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

# Imported for what they register: the stock side effects, the promo-code discount, the
# pages, the timeline source.
from bizkit.customers.operations import RENAME_HOOKS, TIMELINE_SOURCES  # noqa: E402
from bizkit.orders import (  # noqa: E402,F401
    stock,
    views,
    views_lines,
    views_payments,
    views_vouchers,
    vouchers,
)
from bizkit.orders.models import Order  # noqa: E402
from bizkit.orders.operations import AUDIT_LABEL, refresh_customer_orders  # noqa: E402
from bizkit.orders.timeline import customer_orders  # noqa: E402
from bizkit.workflow.operations import register_entity  # noqa: E402

register_entity("order", Order, audit_label=(AUDIT_LABEL, "number"))
if customer_orders not in TIMELINE_SOURCES:
    TIMELINE_SOURCES.append(customer_orders)
if refresh_customer_orders not in RENAME_HOOKS:
    RENAME_HOOKS.append(refresh_customer_orders)

from bizkit.orders import board  # noqa: E402,F401  (the live board's views)
