"""Tenant twins of the foreign keys: a row can point only at rows of its own company

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:10:00

Each parent table gets UNIQUE (company_id, id), and each foreign key between two tenant
tables a twin FOREIGN KEY (company_id, <column>) REFERENCES parent (company_id, id)
(bizkit/core/tenant_keys.py says why they are not on the models). The single-column
keys stay. Each twin carries its key's ON DELETE action (SET NULL only on the key's
column, never on company_id): PostgreSQL runs the two keys' triggers in the order of
their internal names, so a twin that only checked could run before its key's CASCADE
or SET NULL and refuse the delete.

Written for a live database (the Procfile's release step runs it on deploy): the unique
indexes are built CONCURRENTLY and attached to their constraints, the twins are added
NOT VALID (a brief lock) and validated afterwards, each in its own transaction, which
lets reads and writes go on while the existing rows are checked.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (child table, column, parent table, ON DELETE of the key): every foreign key between
# two tenant tables.
TWINS = [
    ("category", "parent_id", "category", "NO ACTION"),
    ("product", "category_id", "category", "SET NULL"),
    ("product", "tax_rate_id", "tax_rate", "NO ACTION"),
    ("variant", "product_id", "product", "CASCADE"),
    ("stock_level", "variant_id", "variant", "CASCADE"),
    ("stock_level", "location_id", "stock_location", "NO ACTION"),
    ("stock_movement", "variant_id", "variant", "CASCADE"),
    ("stock_movement", "location_id", "stock_location", "NO ACTION"),
    ("customer", "group_id", "customer_group", "SET NULL"),
    ("store_credit_movement", "customer_id", "customer", "RESTRICT"),
    ("customer_order", "customer_id", "customer", "NO ACTION"),
    ("order_line", "order_id", "customer_order", "CASCADE"),
    ("order_line", "variant_id", "variant", "NO ACTION"),
    ("gift_voucher", "customer_id", "customer", "SET NULL"),
    ("gift_voucher_movement", "gift_voucher_id", "gift_voucher", "CASCADE"),
    ("gift_voucher_movement", "order_id", "customer_order", "SET NULL"),
    ("payment", "order_id", "customer_order", "NO ACTION"),
    ("payment", "gift_voucher_id", "gift_voucher", "NO ACTION"),
    ("payment", "refund_of_id", "payment", "NO ACTION"),
    ("payment", "store_credit_movement_id", "store_credit_movement", "SET NULL"),
    ("voucher_redemption", "order_id", "customer_order", "CASCADE"),
    ("voucher_redemption", "voucher_id", "voucher", "NO ACTION"),
    ("voucher_redemption", "customer_id", "customer", "SET NULL"),
    ("notification", "customer_id", "customer", "SET NULL"),
    ("notification", "resent_from_id", "notification", "SET NULL"),
    ("delivery_attempt", "notification_id", "notification", "CASCADE"),
]
PARENTS = sorted({parent for _child, _column, parent, _action in TWINS})


def _on_delete(column: str, action: str) -> str:
    return f"SET NULL ({column})" if action == "SET NULL" else action


def upgrade():
    with op.get_context().autocommit_block():
        for parent in PARENTS:
            op.execute(
                f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uqt_{parent}_company_id_id "
                f"ON {parent} (company_id, id)"
            )
    for parent in PARENTS:
        op.execute(
            f"ALTER TABLE {parent} ADD CONSTRAINT uqt_{parent}_company_id_id "
            f"UNIQUE USING INDEX uqt_{parent}_company_id_id"
        )
    for child, column, parent, action in TWINS:
        op.execute(
            f"ALTER TABLE {child} ADD CONSTRAINT fkt_{child}_{column} "
            f"FOREIGN KEY (company_id, {column}) REFERENCES {parent} (company_id, id) "
            f"ON DELETE {_on_delete(column, action)} NOT VALID"
        )
    with op.get_context().autocommit_block():
        for child, column, _parent, _action in TWINS:
            op.execute(f"ALTER TABLE {child} VALIDATE CONSTRAINT fkt_{child}_{column}")


def downgrade():
    for child, column, _parent, _action in TWINS:
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT fkt_{child}_{column}")
    for parent in PARENTS:
        op.execute(f"ALTER TABLE {parent} DROP CONSTRAINT uqt_{parent}_company_id_id")
