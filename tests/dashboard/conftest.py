"""Dashboard fixtures: orders (and what they need) from the orders fixtures."""

from tests.orders.conftest import make_customer, make_item, make_order  # noqa: F401 (fixtures)
