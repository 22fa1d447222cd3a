"""The customer detail timeline's order entries: one query, whatever the number of orders."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, select

from bizkit.core.models import Company
from bizkit.core.money import format_money
from bizkit.core.tenancy import current_company_id
from bizkit.customers.operations import TimelineItem
from bizkit.extensions import db
from bizkit.orders.models import Order
from bizkit.workflow.models import WorkflowStatus
from bizkit.workflow.operations import status_label

TIMELINE_LIMIT = 20


def customer_orders(customer) -> list[TimelineItem]:
    """The customer's latest orders: number, status, total, a link to each."""
    rows = db.session.execute(
        select(Order, WorkflowStatus)
        .outerjoin(
            WorkflowStatus,
            and_(
                WorkflowStatus.company_id == Order.company_id,
                WorkflowStatus.entity_type == "order",
                WorkflowStatus.code == Order.status,
            ),
        )
        .where(Order.customer_id == customer.id)
        .order_by(Order.id.desc())
        .limit(TIMELINE_LIMIT)
    ).all()
    company = db.session.get(Company, current_company_id())  # already in the session
    items = []
    for order, status in rows:
        label = status_label(status) if status is not None else order.status
        items.append(
            TimelineItem(
                at=order.created_at,
                kind="order",
                title=_("Order %(number)s · %(status)s", number=order.number, status=label),
                detail=format_money(order.total, order.currency, company.locale),
                url=url_for("orders.detail", order_id=order.id),
            )
        )
    return items
