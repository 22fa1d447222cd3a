"""What the live board shows: one column per open status of the company's order flow, the
oldest open orders of each as cards, and how many more there are.

One SQL query whatever the number of cards or columns (plus the flow's two), so a
board refetched by every open screen on every change stays cheap: per status, the
oldest `CARDS_PER_COLUMN` orders through the (company_id, status, id) index, and a
count that stops at `COUNT_CAP` (the column says "+999+ more" rather than counting a
hundred thousand rows). It is written out in SQL for its LATERAL joins; text
statements pass the session's tenant hook untouched, so it filters on the company
itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text

from bizkit.core.tenancy import current_company_id
from bizkit.extensions import db
from bizkit.workflow.models import WorkflowStatus, WorkflowTransition
from bizkit.workflow.operations import Flow, status_label

CARDS_PER_COLUMN = 12
COUNT_CAP = 1000

_BOARD_SQL = text(
    """
    SELECT s.code, n.total AS column_total,
           c.id, c.number, c.version, c.created_at, c.total, c.currency, c.table_label,
           c.takeaway, c.bike_make, c.bike_model, c.customer_name, c.line_count
    FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS s(code, position)
    CROSS JOIN LATERAL (
        SELECT count(*) AS total FROM (
            SELECT 1 FROM customer_order o
            WHERE o.company_id = :company_id AND o.status = s.code
            LIMIT :count_cap
        ) capped
    ) n
    LEFT JOIN LATERAL (
        SELECT o.id, o.number, o.version, o.created_at, o.total, o.currency, o.table_label,
               o.takeaway, o.bike_make, o.bike_model, cu.name AS customer_name,
               (SELECT count(*) FROM order_line l
                WHERE l.company_id = o.company_id AND l.order_id = o.id) AS line_count
        FROM customer_order o
        LEFT JOIN customer cu ON cu.id = o.customer_id AND cu.company_id = o.company_id
        WHERE o.company_id = :company_id AND o.status = s.code
        ORDER BY o.id
        LIMIT :per_column
    ) c ON true
    ORDER BY s.position, c.id
    """
)


@dataclass(frozen=True)
class Card:
    id: int
    number: int
    version: int
    created_at: datetime
    total: Decimal
    currency: str
    line_count: int
    customer_name: str | None
    table_label: str | None
    takeaway: bool
    bike: str | None


@dataclass
class Column:
    status: WorkflowStatus
    label: str
    moves: list[tuple[WorkflowTransition, str]]  # allowed to the viewer, with target labels
    total: int = 0  # orders in this status, counted up to COUNT_CAP
    cards: list[Card] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.cards)

    @property
    def more_is_capped(self) -> bool:
        return self.total >= COUNT_CAP


def load_board(flow: Flow, role: str | None, per_column: int = CARDS_PER_COLUMN) -> list[Column]:
    """The open columns of `flow` in board order, with the transitions `role` may make."""
    columns = [
        Column(
            status=status,
            label=status_label(status),
            moves=[(move, flow.label(move.to_code)) for move in flow.moves_from(status.code, role)],
        )
        for status in flow.open_statuses
    ]
    if not columns:
        return columns
    by_code = {column.status.code: column for column in columns}
    rows = db.session.execute(
        _BOARD_SQL,
        {
            "codes": list(by_code),
            "company_id": current_company_id(),
            "count_cap": COUNT_CAP,
            "per_column": per_column,
        },
    )
    for row in rows:
        column = by_code[row.code]
        column.total = row.column_total
        if row.id is None:
            continue
        bike = " ".join(part for part in (row.bike_make, row.bike_model) if part) or None
        column.cards.append(
            Card(
                id=row.id,
                number=row.number,
                version=row.version,
                created_at=row.created_at,
                total=row.total,
                currency=row.currency,
                line_count=row.line_count,
                customer_name=row.customer_name,
                table_label=row.table_label,
                takeaway=row.takeaway,
                bike=bike,
            )
        )
    return columns
