"""The database's own guard that a row points only at rows of its company.

Every foreign key between two tenant tables has a twin on `(company_id, <column>)`
that references the parent's `(company_id, id)`, which a unique constraint backs
(migration 0013). The ORM's tenant scoping (`bizkit/core/session.py`) keeps a request
from reading another company's rows; the twins keep anything that writes (a job, a
script, SQL by hand, an ORM bug) from linking a customer to another company's group,
an order line to another company's variant, a payment to another company's order.

They live in the database only. Declared on the models, SQLAlchemy would join each
relationship on both columns and, when a relationship is cleared, set the child's
company_id to NULL along with the key. So autogenerate leaves them alone
(`include_object`), and tests/core/test_tenant_keys.py checks that every foreign key
between tenant tables in the models has its twin in the database.
"""

from __future__ import annotations

PREFIXES = ("uqt_", "fkt_")


def parent_key_name(table: str) -> str:
    """The unique constraint on (company_id, id) a twin references."""
    return f"uqt_{table}_company_id_id"


def twin_name(table: str, column: str) -> str:
    return f"fkt_{table}_{column}"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: the twins and their parent keys are not the models' business."""
    return not (reflected and compare_to is None and name and name.startswith(PREFIXES))
