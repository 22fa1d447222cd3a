"""partial index for the low-stock card and list

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:50:00

The dashboard counted low-stock variants by scanning every variant of the
company (18 ms at 66,000 variants); this index holds only the low ones.
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PREDICATE = "low_stock_threshold IS NOT NULL AND active IS true AND on_hand - reserved <= low_stock_threshold"


def upgrade():
    op.create_index(
        "ix_variant_company_low_stock",
        "variant",
        ["company_id", "id"],
        unique=False,
        postgresql_where=sa.text(PREDICATE),
    )


def downgrade():
    op.drop_index("ix_variant_company_low_stock", table_name="variant")
