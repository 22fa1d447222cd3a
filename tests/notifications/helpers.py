"""Small helpers for the notifications tests: rows as the database holds them."""

from __future__ import annotations

from sqlalchemy import select

from bizkit.core.tenancy import company_scope
from bizkit.extensions import db
from bizkit.notifications.models import DeliveryAttempt, Notification


def row(app, company_id: int, notification_id: int) -> dict:
    """The notification's columns and its attempts (number, outcome, error), freshly read."""
    with app.app_context(), company_scope(company_id):
        n = db.session.get(Notification, notification_id, populate_existing=True)
        attempts = db.session.execute(
            select(DeliveryAttempt.number, DeliveryAttempt.outcome, DeliveryAttempt.error)
            .where(DeliveryAttempt.notification_id == notification_id)
            .order_by(DeliveryAttempt.number)
        ).all()
        data = {c.key: getattr(n, c.key) for c in Notification.__table__.columns}
        data["attempt_log"] = [tuple(a) for a in attempts]
        db.session.remove()
        return data
