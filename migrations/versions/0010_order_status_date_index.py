"""the order list filtered by status pages newest first along its own index

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 16:45:00

The list orders by (created_at, id); with a status filter it needs
(company_id, status, created_at, id), or a rare status scans the company's orders.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_customer_order_company_status_created",
        "customer_order",
        ["company_id", "status", "created_at", "id"],
    )


def downgrade():
    op.drop_index("ix_customer_order_company_status_created", table_name="customer_order")
