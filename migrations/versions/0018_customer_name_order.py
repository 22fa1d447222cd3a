"""customers listed by name in alphabetical order, accents and case folded

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:10:00

The customer list sorted by `name` under the database's collation. With `C` (the
embedded PostgreSQL and many servers; its build has no ICU to choose another) "Čapek",
"Šimek", "Ľubomír" and "Łukasz" came after "Zuzana". The list now sorts on
`bizkit_fold(name)` (accents and case folded, as the search folds them) and then the
id, through an index on that expression: "Čapek" stands among the C's.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    # CONCURRENTLY (outside the migration's transaction): customers stay writable while
    # the index is built over every row.
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_customer_company_sort_name "
            "ON customer (company_id, bizkit_fold(name::text), id)"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_customer_company_name")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_customer_company_name "
            "ON customer (company_id, name, id)"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_customer_company_sort_name")
