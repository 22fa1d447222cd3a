"""index the low-stock shortfall

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:50:00

The dashboard counted low-stock variants by scanning every variant of the
company (18 ms at 66,000 variants). An index on the shortfall expression finds
the few low ones directly, and gives the planner statistics on the expression.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_variant_company_shortfall",
        "variant",
        ["company_id", sa.text("(on_hand - reserved - low_stock_threshold)")],
        unique=False,
        postgresql_where=sa.text("low_stock_threshold IS NOT NULL AND active IS true"),
    )
    # Statistics on the expression itself (a partial index gets none), so the planner
    # expects the few low rows it finds instead of a third of the table.
    op.execute(
        "CREATE STATISTICS IF NOT EXISTS variant_shortfall "
        "ON (on_hand - reserved - low_stock_threshold) FROM variant"
    )


def downgrade():
    op.execute("DROP STATISTICS IF EXISTS variant_shortfall")
    op.drop_index("ix_variant_company_shortfall", table_name="variant")
