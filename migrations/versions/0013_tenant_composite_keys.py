"""Tenant twins of the foreign keys: a row can point only at rows of its own company

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:10:00

Each parent table gets UNIQUE (company_id, id), and each foreign key between two tenant
tables a twin FOREIGN KEY (company_id, <column>) REFERENCES parent (company_id, id)
(bizkit/core/tenant_keys.py says why they are not on the models). The single-column
keys stay: they carry the ON DELETE actions, which the twins, checked at the end of
each statement, then find satisfied. Adding them checks every existing row and holds
its locks until the migration commits (about 20 s on the benchmark's million orders and
three million lines): run it when writes are quiet.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (child table, column, parent table): every foreign key between two tenant tables.
TWINS = [
    ("category", "parent_id", "category"),
    ("product", "category_id", "category"),
    ("product", "tax_rate_id", "tax_rate"),
    ("variant", "product_id", "product"),
    ("stock_level", "variant_id", "variant"),
    ("stock_level", "location_id", "stock_location"),
    ("stock_movement", "variant_id", "variant"),
    ("stock_movement", "location_id", "stock_location"),
    ("customer", "group_id", "customer_group"),
    ("store_credit_movement", "customer_id", "customer"),
    ("customer_order", "customer_id", "customer"),
    ("order_line", "order_id", "customer_order"),
    ("order_line", "variant_id", "variant"),
    ("gift_voucher", "customer_id", "customer"),
    ("gift_voucher_movement", "gift_voucher_id", "gift_voucher"),
    ("gift_voucher_movement", "order_id", "customer_order"),
    ("payment", "order_id", "customer_order"),
    ("payment", "gift_voucher_id", "gift_voucher"),
    ("payment", "refund_of_id", "payment"),
    ("payment", "store_credit_movement_id", "store_credit_movement"),
    ("voucher_redemption", "order_id", "customer_order"),
    ("voucher_redemption", "voucher_id", "voucher"),
    ("voucher_redemption", "customer_id", "customer"),
    ("notification", "customer_id", "customer"),
    ("notification", "resent_from_id", "notification"),
    ("delivery_attempt", "notification_id", "notification"),
]
PARENTS = sorted({parent for _child, _column, parent in TWINS})


def upgrade():
    for parent in PARENTS:
        op.execute(
            f"ALTER TABLE {parent} ADD CONSTRAINT uqt_{parent}_company_id_id "
            "UNIQUE (company_id, id)"
        )
    for child, column, parent in TWINS:
        op.execute(
            f"ALTER TABLE {child} ADD CONSTRAINT fkt_{child}_{column} "
            f"FOREIGN KEY (company_id, {column}) REFERENCES {parent} (company_id, id)"
        )


def downgrade():
    for child, column, _parent in TWINS:
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT fkt_{child}_{column}")
    for parent in PARENTS:
        op.execute(f"ALTER TABLE {parent} DROP CONSTRAINT uqt_{parent}_company_id_id")
