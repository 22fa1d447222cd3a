"""Notifications: e-mail, SMS and WhatsApp through an outbox delivered by RQ workers."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from bizkit.notifications import hooks, views  # noqa: E402

hooks.register()
__all__ = ["bp", "views"]
