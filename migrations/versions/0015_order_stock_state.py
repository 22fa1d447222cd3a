"""customer_order.stock_state: where an order's stock is, for lines added later

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 16:00:00

A stocked line added after a flow had reserved or taken the order's stock joined only
an order whose other lines were still reserved: a part added to a bike job after its
stock was taken (READY_FOR_PICKUP) was never taken from stock. The order now remembers
what its flow did with its stock (bizkit.orders.stock), and a new line follows it.

Existing orders get the state of their lines: taken when any line was taken, else held
when any line is held, else given back when any line was. Safe on a large database: the
column comes without a table rewrite, the CHECK is added NOT VALID and validated after
the fill, and the fill runs outside the migration's transaction in batches of orders. (An order whose flow moved
stock while it had no stocked line at all cannot be told apart afterwards: it stays
untouched, as its lines are.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


BATCH = 10_000  # orders per UPDATE while filling the state


def upgrade():
    # A constant default adds the column without rewriting the table; the CHECK is
    # added NOT VALID (no scan under the ALTER's lock) and validated once filled.
    op.add_column(
        "customer_order",
        sa.Column("stock_state", sa.String(length=10), server_default="none", nullable=False),
    )
    op.execute(
        "ALTER TABLE customer_order ADD CONSTRAINT ck_customer_order_stock_state "
        "CHECK (stock_state IN ('none', 'reserved', 'deducted', 'released')) NOT VALID"
    )
    # Filled outside the migration's transaction, a batch of orders per statement, so a
    # database with a million orders is not locked for the whole fill. One pass over the
    # lines finds each order's state: taken when any line was taken, else held when any
    # line is held, else given back.
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        bind.execute(
            sa.text(
                "CREATE TEMP TABLE order_stock_state AS"
                " SELECT order_id AS id, CASE"
                "  WHEN bool_or(stock_state = 'deducted') THEN 'deducted'"
                "  WHEN bool_or(stock_state = 'reserved') THEN 'reserved'"
                "  ELSE 'released' END AS state"
                " FROM order_line WHERE stock_state <> 'none' GROUP BY order_id"
            )
        )
        bind.execute(sa.text("CREATE INDEX ON order_stock_state (id)"))
        low, high = bind.execute(
            sa.text("SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM order_stock_state")
        ).one()
        for start in range(low, high + 1, BATCH):
            bind.execute(
                sa.text(
                    "UPDATE customer_order o SET stock_state = s.state"
                    " FROM order_stock_state s"
                    " WHERE o.id = s.id AND s.id >= :start AND s.id < :stop"
                ).bindparams(start=start, stop=start + BATCH)
            )
        bind.execute(sa.text("DROP TABLE order_stock_state"))
        bind.execute(
            sa.text("ALTER TABLE customer_order VALIDATE CONSTRAINT ck_customer_order_stock_state")
        )


def downgrade():
    op.drop_constraint(op.f("ck_customer_order_stock_state"), "customer_order", type_="check")
    op.drop_column("customer_order", "stock_state")
