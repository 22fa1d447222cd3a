"""customer_order.quote_approved_total: the amount of the quote the customer approved

Revision ID: 0019_quote_approved_total
Revises: 0018
Create Date: 2026-12-03 10:00:00

A bike shop's quote was approved (QUOTE_APPROVED) without keeping for how much, so
nobody could tell that the repair had since grown past what the customer agreed to. The
orders module now keeps the order's total at the approval, with `quote_approved_at`
(a column since 0006, never filled until now), in the transaction of the move.

Safe on a large table: a nullable column without a default is a change of the catalog
only (no rewrite, no scan; the ALTER's lock is held for an instant). Orders approved
before this stay without an amount: what they came to then is not known.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_quote_approved_total"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "customer_order",
        sa.Column("quote_approved_total", sa.Numeric(precision=12, scale=2), nullable=True),
    )


def downgrade():
    op.drop_column("customer_order", "quote_approved_total")
