"""repair variant.product_stocked left true for products whose stock is not kept

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 17:00:00

`variant.product_stocked` is the variant's copy of `Product.tracks_stock` (an active
product, not a service, whose stock is kept), written by the catalog operations
(`catalog._copy_product_flags`). Before the copy included `stock_kept`, unticking "Keep
stock of this item" left the variants marked as stocked, so made-to-order products stayed
on the low-stock list and the dashboard count. Saving the product again puts one right;
this puts every existing row right at once, with the same expression the operations use
(`kind`, `active` and `stock_kept` are all NOT NULL, so the result is never NULL). Only
rows whose copy differs are written.

Downgrade is a no-op: the corrected values are the ones the code expects, and the wrong
ones cannot (and need not) be told apart afterwards.
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        UPDATE variant v
        SET product_stocked = (p.kind = 'product' AND p.active AND p.stock_kept)
        FROM product p
        WHERE p.id = v.product_id
          AND v.product_stocked IS DISTINCT FROM (p.kind = 'product' AND p.active AND p.stock_kept)
        """
    )


def downgrade():
    pass
