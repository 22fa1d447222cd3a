"""Orders: lines, totals, vouchers, payments, and the live board; statuses via the workflow."""

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

# stock registers the flows' stock side effects, vouchers the promo-code discount.
from bizkit.orders import stock, views_payments, views_vouchers, vouchers  # noqa: E402,F401
from bizkit.orders.models import Order  # noqa: E402
from bizkit.workflow.operations import register_entity  # noqa: E402

register_entity("order", Order)
