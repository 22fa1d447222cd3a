"""Gapless per-company numbers: the next order number, later invoice numbers per series.

One upsert on the company's counter row takes its row lock until the transaction ends, so
concurrent callers queue up and each gets the next number; a rolled-back transaction
gives its number back, so committed numbers have no gaps.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert

from bizkit.core.models import Counter
from bizkit.core.tenancy import current_company_id
from bizkit.extensions import db


def next_number(name: str) -> int:
    """The next number of the current company's counter `name` (1, 2, 3, …)."""
    stmt = (
        pg_insert(Counter)
        .values(company_id=current_company_id(), name=name, value=1)
        .on_conflict_do_update(
            index_elements=[Counter.company_id, Counter.name],
            set_={"value": Counter.value + 1},
        )
        .returning(Counter.value)
    )
    return db.session.execute(stmt).scalar_one()
