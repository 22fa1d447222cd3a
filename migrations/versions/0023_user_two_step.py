"""two-step sign-in: a TOTP secret per login and one-time recovery codes

Revision ID: 0023_user_two_step
Revises: 0022_product_name_order
Create Date: 2026-12-02 19:30:00

Three nullable columns without defaults on `user_account` (a change of the catalog
only: no table rewrite, no long lock on a big table) and a table of recovery codes,
one row per code, kept as SHA-256 hashes (bizkit.auth.two_step).
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_user_two_step"
down_revision = "0022_product_name_order"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user_account", sa.Column("totp_secret", sa.Text(), nullable=True))
    op.add_column(
        "user_account",
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("user_account", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name="fk_recovery_code_user_id_user_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_code"),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])


def downgrade():
    op.drop_index("ix_recovery_code_user_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_column("user_account", "totp_last_step")
    op.drop_column("user_account", "totp_enabled_at")
    op.drop_column("user_account", "totp_secret")
