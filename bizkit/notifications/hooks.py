"""Where other modules' events become notifications (registered by the blueprint package):
the workflow's "notify customer" side effect, cancelled records, and low stock; and a
customer's messages in their data export and erasure (GDPR)."""

from __future__ import annotations

from flask_babel import gettext as _

from bizkit.notifications import operations as ops

# Which message an order gets when it reaches a status; any other status with the
# "notify customer" side effect gets the generic "order_status" message.
ORDER_EVENTS = {
    "CONFIRMED": "order_confirmed",
    "READY": "order_ready",
    "QUOTE_SENT": "quote_sent",
    "READY_FOR_PICKUP": "ready_for_pickup",
    "SHIPPED": "order_shipped",
}
CANCELLED_STATUSES = ("CANCELLED", "QUOTE_REJECTED", "NO_SHOW")


def order_context(order) -> dict:
    bike = " ".join(p for p in (order.bike_make, order.bike_model) if p)
    return {
        "order_number": order.number,
        "total": str(order.total),
        "currency": order.currency,
        "status": order.status,
        "item": bike or None,
    }


def notify_order_customer(order, actor, change) -> None:
    """The "notify_customer" side effect for orders (nothing for walk-ins without contact)."""
    if getattr(order, "WORKFLOW_ENTITY", None) != "order" or order.customer_id is None:
        return  # (a walk-in: nobody to reach, and no message text to build)
    event = ORDER_EVENTS.get(change.to_code, "order_status")
    ops.notify_customer(actor, order.customer, event, order_context(order), entity=order)


def cancel_reminders_of_cancelled(entity, actor, change) -> None:
    from bizkit.workflow.operations import ENTITY_LABELS

    if change.to_code in CANCELLED_STATUSES:
        ops.cancel_scheduled(
            actor,
            change.entity_type,
            entity.id,
            _(
                "Cancelled with its %(entity)s.",
                entity=ENTITY_LABELS.get(change.entity_type, change.entity_type),
            ),
        )


def notify_low_stock(actor, variant, available) -> None:
    """Tell the staff who manage stock, once per crossing of the threshold."""
    if not variant.active or not ops.settings_of().staff_low_stock:
        return
    ops.notify_staff(
        actor,
        "low_stock",
        {
            "item": variant.label,
            "sku": variant.sku,
            "available": str(available),
            "threshold": str(variant.low_stock_threshold),
            "variant_id": variant.id,
        },
        permission="inventory.edit",
    )


def register() -> None:
    from bizkit.customers.operations import ERASE_HOOKS, PERSONAL_DATA_SOURCES
    from bizkit.inventory.operations import LOW_STOCK_HOOKS
    from bizkit.workflow.operations import HOOKS

    for hooks, handler in (
        (HOOKS["notify_customer"], notify_order_customer),
        (HOOKS["status_changed"], cancel_reminders_of_cancelled),
        (LOW_STOCK_HOOKS, notify_low_stock),
        (PERSONAL_DATA_SOURCES, ops.customer_messages),
        (ERASE_HOOKS, ops.erase_customer_messages),
    ):
        if handler not in hooks:
            hooks.append(handler)
