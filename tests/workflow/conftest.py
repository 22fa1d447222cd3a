"""Workflow fixtures: the orders fixtures (make_order, make_item) and a way to act as a user."""

from __future__ import annotations

from bizkit.auth.models import User
from bizkit.extensions import db
from tests.orders.conftest import make_item, make_order  # noqa: F401 (fixtures)


def user(ref) -> User | None:
    """The User row of a UserRef, inside the current app context (None stays the system)."""
    return None if ref is None else db.session.get(User, ref.id)
