"""notifications searched accents and case folded, behind a trigram index

Revision ID: 0021_notification_search
Revises: 0020_category_name_key
Create Date: 2026-12-02 18:40:00

The message log searched recipient, name and subject with ILIKE: "zolkiewski" did not
find "Żółkiewski", and no index served it (every search read all of the company's
messages). It now matches `bizkit_fold(recipient || name || subject)` as the other lists
do, through a GIN trigram index on that expression with company_id in front (btree_gin).
"""

from alembic import op

revision = "0021_notification_search"
down_revision = "0020_category_name_key"
branch_labels = None
depends_on = None

EXPRESSION = (
    "bizkit_fold(coalesce(recipient, '') || ' ' || coalesce(recipient_name, '') || ' ' || "
    "coalesce(subject, ''))"
)


def upgrade():
    # CONCURRENTLY (outside the migration's transaction): the outbox stays writable while
    # the index is built over every message. IF NOT EXISTS: a build interrupted before is
    # left INVALID; drop it by hand (DROP INDEX CONCURRENTLY) and run the upgrade again.
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_notification_company_search "
            f"ON notification USING gin (company_id, {EXPRESSION} gin_trgm_ops)"
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_notification_company_search")
