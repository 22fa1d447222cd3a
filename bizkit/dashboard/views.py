"""The dashboard: the company's day at a glance. Modules add their cards as they arrive."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import g, redirect, url_for
from flask_babel import lazy_gettext as _l

from bizkit.core.htmx import render_kept
from bizkit.core.permissions import can, public, requires
from bizkit.core.reads import reads_only
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
@reads_only
def index():
    # The cards count today's takings: the content is kept for one day of the company's.
    today = utcnow().astimezone(ZoneInfo(g.company.timezone)).date()
    return render_kept(
        "dashboard/index.html",
        None,
        CARD_TABLES,
        lambda: {"cards": PLACEHOLDER_CARDS, "now_utc": utcnow(), "figures": _figures()},
        vary=(today.isoformat(),),
    )


# Every table the cards read (bizkit.core.fragments keeps them until one changes).
CARD_TABLES = (
    "customer_order",
    "payment",
    "variant",
    "stock_level",
    "workflow_status",
    "workflow_transition",
)


def _figures() -> dict:
    """Real values for the cards whose module exists, keyed like the cards; only what the
    user may see."""
    figures = {}
    if can("reports.view"):
        from bizkit.orders.queries import takings_since

        zone = ZoneInfo(g.company.timezone)
        midnight = dt.datetime.combine(utcnow().astimezone(zone).date(), dt.time.min, zone)
        figures["revenue"] = {
            "money": takings_since(midnight),
            "url": url_for("orders.index", **{"from": midnight.date().isoformat()}),
            "link": _l("Today's orders"),
        }
    if can("orders.view"):
        from bizkit.orders.queries import open_order_count
        from bizkit.workflow.operations import current_flow

        count, capped = open_order_count([s.code for s in current_flow("order").open_statuses])
        figures["orders"] = {
            "value": count,
            "capped": capped,
            "url": url_for("orders.board" if can("orders.transition") else "orders.index"),
            "link": _l("Open the board") if can("orders.transition") else _l("Show the orders"),
        }
    if can("audit.view"):
        figures["activity"] = {
            "url": url_for("settings.audit_log"),
            "link": _l("Open the audit log"),
        }
    if can("inventory.view"):
        from bizkit.inventory.operations import low_stock_count

        figures["stock"] = {
            "value": low_stock_count(),
            "url": url_for("inventory.low_stock"),
            "link": _l("Show the low-stock list"),
        }
    return figures
