"""The dashboard: the company's day at a glance. Modules add their cards as they arrive."""

from __future__ import annotations

from flask import redirect, url_for
from flask_babel import lazy_gettext as _l

from bizkit.core.htmx import render
from bizkit.core.permissions import can, public, requires
from bizkit.core.timezones import utcnow
from bizkit.dashboard import bp

# Cards shown before their module exists; each module replaces its own card.
PLACEHOLDER_CARDS = (
    ("revenue", _l("Revenue today"), _l("Orders and invoices will show revenue here.")),
    ("orders", _l("Open orders"), _l("Open orders by status will appear here.")),
    ("appointments", _l("Upcoming appointments"), _l("The agenda will list the next bookings.")),
    ("stock", _l("Low stock"), _l("Items below their threshold will be listed here.")),
    ("invoices", _l("Unpaid invoices"), _l("Unpaid and overdue invoices will appear here.")),
    ("activity", _l("Recent activity"), _l("The latest changes in your company.")),
)


@bp.route("/")
@public
def root():
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard")
@requires("dashboard.view")
def index():
    return render(
        "dashboard/index.html", cards=PLACEHOLDER_CARDS, now_utc=utcnow(), figures=_figures()
    )


def _figures() -> dict:
    """Real values for the cards whose module exists, keyed like the cards; only what the
    user may see."""
    figures = {}
    if can("inventory.view"):
        from bizkit.inventory.operations import low_stock_count

        figures["stock"] = {
            "value": low_stock_count(),
            "url": url_for("inventory.low_stock"),
            "link": _l("Show the low-stock list"),
        }
    return figures
