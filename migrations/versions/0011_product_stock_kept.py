"""products made to order keep no stock: product.stock_kept

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 17:05:00

A restaurant's pizza is a product with a price but no stock; orders reserved stock for
every product line, so an order with a pizza could not be confirmed. Existing products
keep their stock (true).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "product",
        sa.Column("stock_kept", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )


def downgrade():
    op.drop_column("product", "stock_kept")
