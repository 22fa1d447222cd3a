"""Orders: lines, totals, vouchers, payments, and the live board; statuses via the workflow."""

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from bizkit.orders import stock  # noqa: E402,F401  (registers the stock side effects)
from bizkit.orders.models import Order  # noqa: E402
from bizkit.workflow.operations import register_entity  # noqa: E402

register_entity("order", Order)

from bizkit.orders import board  # noqa: E402,F401  (the live board's views)
