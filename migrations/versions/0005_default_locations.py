"""a default stock location for every existing company

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:40:00

New companies get theirs when they are created; pages that only show stock
no longer create it on first view.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "INSERT INTO stock_location (company_id, name, is_default) "
        "SELECT c.id, 'Main store', true FROM company c "
        "WHERE NOT EXISTS (SELECT 1 FROM stock_location l "
        "WHERE l.company_id = c.id AND l.is_default)"
        " AND NOT EXISTS (SELECT 1 FROM stock_location l "
        "WHERE l.company_id = c.id AND l.name = 'Main store')"
    )


def downgrade():
    pass  # the locations may hold stock by now; keep them
