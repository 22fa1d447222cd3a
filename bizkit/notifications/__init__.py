"""Notifications: e-mail, SMS and WhatsApp through an outbox delivered by RQ workers."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
# The company's notification settings live under Settings, in a blueprint of their own so
# the navigation can tell the message log from the settings pages.
settings_bp = Blueprint("notification_settings", __name__, url_prefix="/settings/notifications")

from bizkit.notifications import hooks, views  # noqa: E402

hooks.register()
__all__ = ["bp", "settings_bp", "views"]
