"""customer_order.stock_state: where an order's stock is, for lines added later

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 16:00:00

A stocked line added after a flow had reserved or taken the order's stock joined only
an order whose other lines were still reserved: a part added to a bike job after its
stock was taken (READY_FOR_PICKUP) was never taken from stock. The order now remembers
what its flow did with its stock (bizkit.orders.stock), and a new line follows it.

Existing orders get the state of their lines: taken when any line was taken, else held
when any line is held, else given back when any line was. (An order whose flow moved
stock while it had no stocked line at all cannot be told apart afterwards: it stays
untouched, as its lines are.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "customer_order",
        sa.Column("stock_state", sa.String(length=10), server_default="none", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_customer_order_stock_state"),
        "customer_order",
        "stock_state IN ('none', 'reserved', 'deducted', 'released')",
    )
    for state in ("released", "reserved", "deducted"):  # the last one written wins
        op.execute(
            sa.text(
                "UPDATE customer_order SET stock_state = :state WHERE EXISTS ("
                " SELECT 1 FROM order_line"
                " WHERE order_line.order_id = customer_order.id"
                " AND order_line.stock_state = :state)"
            ).bindparams(state=state)
        )


def downgrade():
    op.drop_constraint(op.f("ck_customer_order_stock_state"), "customer_order", type_="check")
    op.drop_column("customer_order", "stock_state")
