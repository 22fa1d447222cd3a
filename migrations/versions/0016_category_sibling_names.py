"""category names are unique among siblings: uq_category_company_parent_name

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 16:30:00

Two categories called "Drinks" under one parent (or both at the top) could be made, and
then neither the tree nor a product's category told them apart. The catalog operations
refuse such a name now; this unique index on (company_id, COALESCE(parent_id, 0),
lower(name)) is the guarantee under them (COALESCE so top-level categories, whose
parent_id is NULL, clash too; lower() so "drinks" clashes with "Drinks").

Existing duplicates are renamed first, so the index can be built: in each group of
siblings whose names differ only in case, the oldest (lowest id) keeps its name and each
other one gets its id appended, "Drinks (42)", cut to the column's 120 characters.
Nothing is merged: products and subcategories stay where they are, and the owner can
merge or rename by hand. Categories are few per company, so the index is built in the
migration's transaction (a short lock on the table) rather than CONCURRENTLY.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        UPDATE category c
        SET name = left(c.name, 120 - length(d.suffix)) || d.suffix
        FROM (
            SELECT id, ' (' || id || ')' AS suffix,
                   row_number() OVER (
                       PARTITION BY company_id, COALESCE(parent_id, 0), lower(name)
                       ORDER BY id
                   ) AS position
            FROM category
        ) d
        WHERE c.id = d.id AND d.position > 1
        """
    )
    op.create_index(
        "uq_category_company_parent_name",
        "category",
        ["company_id", sa.text("COALESCE(parent_id, 0)"), sa.text("lower(name::text)")],
        unique=True,
    )


def downgrade():
    op.drop_index("uq_category_company_parent_name", table_name="category")
