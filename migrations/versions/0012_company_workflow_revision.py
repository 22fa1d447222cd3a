"""company.workflow_revision: which version of its workflow flows a company is on

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:55:00

Web processes keep each company's flows (statuses and transitions) in memory and read
this counter, which comes with the company on every request, to know whether theirs is
still current; any change to a status or transition bumps it in the same transaction
(bizkit.workflow.operations).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "company",
        sa.Column("workflow_revision", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade():
    op.drop_column("company", "workflow_revision")
