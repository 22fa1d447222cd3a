"""products listed by name in alphabetical order, accents and case folded

Revision ID: 0022_product_name_order
Revises: 0021_notification_search
Create Date: 2026-12-02 19:00:00

The product list sorted by `name` under the database's collation, and with `C` (the
embedded PostgreSQL and many servers) "Čaj" and "Šunka" came after "Zelí". The list now
sorts on `bizkit_fold(name)` and then the id, as the customer list does (0018), through
an index on that expression.
"""

from alembic import op

revision = "0022_product_name_order"
down_revision = "0021_notification_search"
branch_labels = None
depends_on = None


def upgrade():
    # CONCURRENTLY (outside the migration's transaction): the catalog stays writable
    # while the index is built.
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_product_company_sort_name "
            "ON product (company_id, bizkit_fold(name::text), id)"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_product_company_name")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_product_company_name "
            "ON product (company_id, name, id)"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_product_company_sort_name")
