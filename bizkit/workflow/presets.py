"""The flow every new company starts with, by business type. Admins edit theirs afterwards.

A preset is a list of statuses (code, colour, initial/terminal) and transitions
(from, to, roles allowed — empty means every role that may change statuses — and side
effects, by name from `bizkit.workflow.operations.SIDE_EFFECTS`). Status labels are
translated by code, so each user reads them in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "PENDING": _l("Pending"),
    "NEW": _l("New"),
    "CONFIRMED": _l("Confirmed"),
    "PREPARING": _l("Preparing"),
    "READY": _l("Ready"),
    "DELIVERED": _l("Delivered"),
    "COMPLETED": _l("Completed"),
    "CANCELLED": _l("Cancelled"),
    "QUOTE_REQUESTED": _l("Quote requested"),
    "QUOTE_SENT": _l("Quote sent"),
    "QUOTE_APPROVED": _l("Quote approved"),
    "QUOTE_REJECTED": _l("Quote rejected"),
    "IN_PROGRESS": _l("In progress"),
    "READY_FOR_PICKUP": _l("Ready for pickup"),
    "PACKED": _l("Packed"),
    "SHIPPED": _l("Shipped"),
    "ATTENDED": _l("Attended"),
    "NO_SHOW": _l("No-show"),
}

# Who does what: the kitchen or workshop moves work along; staff and managers do the rest.
MANAGERS = ["owner", "admin"]
FRONT = ["owner", "admin", "staff"]
EVERYONE = []  # every role holding the orders.transition permission


@dataclass(frozen=True)
class PresetStatus:
    code: str
    color: str
    initial: bool = False
    terminal: bool = False


@dataclass(frozen=True)
class PresetTransition:
    from_code: str
    to_code: str
    roles: list[str] = field(default_factory=list)
    side_effects: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Preset:
    statuses: list[PresetStatus]
    transitions: list[PresetTransition]


GREY, BLUE, AMBER, VIOLET, GREEN, TEAL, RED, SLATE = (
    "#64748b",
    "#2563eb",
    "#d97706",
    "#7c3aed",
    "#16a34a",
    "#0d9488",
    "#dc2626",
    "#334155",
)
T = PresetTransition


def _cancellable(codes: list[str], roles=FRONT) -> list[PresetTransition]:
    """CANCELLED from each open status, releasing whatever stock the order holds."""
    return [T(code, "CANCELLED", roles, ["release_stock"]) for code in codes]


RESTAURANT = Preset(
    statuses=[
        PresetStatus("PENDING", GREY, initial=True),
        PresetStatus("CONFIRMED", BLUE),
        PresetStatus("PREPARING", AMBER),
        PresetStatus("READY", VIOLET),
        PresetStatus("DELIVERED", GREEN, terminal=True),
        PresetStatus("COMPLETED", TEAL, terminal=True),
        PresetStatus("CANCELLED", RED, terminal=True),
    ],
    transitions=[
        T("PENDING", "CONFIRMED", FRONT, ["reserve_stock"]),
        T("CONFIRMED", "PREPARING", EVERYONE),
        T("PREPARING", "READY", EVERYONE, ["notify_customer"]),
        T("READY", "DELIVERED", EVERYONE, ["deduct_stock", "create_invoice_draft"]),
        T("READY", "COMPLETED", FRONT, ["deduct_stock", "create_invoice_draft"]),
        *_cancellable(["PENDING", "CONFIRMED", "PREPARING", "READY"]),
    ],
)

BIKE_SHOP = Preset(
    statuses=[
        PresetStatus("QUOTE_REQUESTED", GREY, initial=True),
        PresetStatus("QUOTE_SENT", BLUE),
        PresetStatus("QUOTE_APPROVED", TEAL),
        PresetStatus("IN_PROGRESS", AMBER),
        PresetStatus("READY_FOR_PICKUP", VIOLET),
        PresetStatus("COMPLETED", GREEN, terminal=True),
        PresetStatus("QUOTE_REJECTED", SLATE, terminal=True),
        PresetStatus("CANCELLED", RED, terminal=True),
    ],
    transitions=[
        T("QUOTE_REQUESTED", "QUOTE_SENT", FRONT, ["notify_customer"]),
        T("QUOTE_SENT", "QUOTE_APPROVED", FRONT, ["reserve_stock"]),
        T("QUOTE_SENT", "QUOTE_REJECTED", FRONT),
        T("QUOTE_APPROVED", "IN_PROGRESS", EVERYONE),
        T("IN_PROGRESS", "READY_FOR_PICKUP", EVERYONE, ["deduct_stock", "notify_customer"]),
        T("READY_FOR_PICKUP", "COMPLETED", FRONT, ["create_invoice_draft"]),
        *_cancellable(["QUOTE_REQUESTED", "QUOTE_SENT", "QUOTE_APPROVED", "IN_PROGRESS"]),
    ],
)

CLINIC = Preset(
    statuses=[
        PresetStatus("NEW", GREY, initial=True),
        PresetStatus("CONFIRMED", BLUE),
        PresetStatus("IN_PROGRESS", AMBER),
        PresetStatus("COMPLETED", GREEN, terminal=True),
        PresetStatus("CANCELLED", RED, terminal=True),
    ],
    transitions=[
        T("NEW", "CONFIRMED", FRONT, ["reserve_stock", "notify_customer"]),
        T("CONFIRMED", "IN_PROGRESS", EVERYONE),
        T("IN_PROGRESS", "COMPLETED", EVERYONE, ["deduct_stock", "create_invoice_draft"]),
        *_cancellable(["NEW", "CONFIRMED"]),
    ],
)

PET_STORE = Preset(
    statuses=[
        PresetStatus("NEW", GREY, initial=True),
        PresetStatus("CONFIRMED", BLUE),
        PresetStatus("PACKED", AMBER),
        PresetStatus("READY_FOR_PICKUP", VIOLET),
        PresetStatus("SHIPPED", TEAL),
        PresetStatus("COMPLETED", GREEN, terminal=True),
        PresetStatus("CANCELLED", RED, terminal=True),
    ],
    transitions=[
        T("NEW", "CONFIRMED", FRONT, ["reserve_stock"]),
        T("CONFIRMED", "PACKED", EVERYONE),
        # A pickup order stays on the shelf until collected (and may still be cancelled);
        # a shipped one has left the shop.
        T("PACKED", "READY_FOR_PICKUP", EVERYONE, ["notify_customer"]),
        T("PACKED", "SHIPPED", FRONT, ["deduct_stock", "notify_customer"]),
        T("READY_FOR_PICKUP", "COMPLETED", FRONT, ["deduct_stock", "create_invoice_draft"]),
        T("SHIPPED", "COMPLETED", FRONT, ["create_invoice_draft"]),
        *_cancellable(["NEW", "CONFIRMED", "PACKED", "READY_FOR_PICKUP"]),
    ],
)

EVENTS = Preset(
    statuses=[
        PresetStatus("PENDING", GREY, initial=True),
        PresetStatus("CONFIRMED", BLUE),
        PresetStatus("ATTENDED", GREEN, terminal=True),
        PresetStatus("NO_SHOW", SLATE, terminal=True),
        PresetStatus("CANCELLED", RED, terminal=True),
    ],
    transitions=[
        T("PENDING", "CONFIRMED", FRONT, ["reserve_stock", "notify_customer"]),
        T("CONFIRMED", "ATTENDED", EVERYONE, ["deduct_stock", "create_invoice_draft"]),
        T("CONFIRMED", "NO_SHOW", FRONT, ["deduct_stock", "create_invoice_draft"]),
        *_cancellable(["PENDING", "CONFIRMED"]),
    ],
)

GENERIC = Preset(
    statuses=[
        PresetStatus("NEW", GREY, initial=True),
        PresetStatus("CONFIRMED", BLUE),
        PresetStatus("IN_PROGRESS", AMBER),
        PresetStatus("COMPLETED", GREEN, terminal=True),
        PresetStatus("CANCELLED", RED, terminal=True),
    ],
    transitions=[
        T("NEW", "CONFIRMED", FRONT, ["reserve_stock"]),
        T("CONFIRMED", "IN_PROGRESS", EVERYONE),
        T("IN_PROGRESS", "COMPLETED", EVERYONE, ["deduct_stock", "create_invoice_draft"]),
        *_cancellable(["NEW", "CONFIRMED", "IN_PROGRESS"]),
    ],
)

ORDER_PRESETS: dict[str, Preset] = {
    "restaurant": RESTAURANT,
    "bike_shop": BIKE_SHOP,
    "clinic": CLINIC,
    "pet_store": PET_STORE,
    "events": EVENTS,
    "generic": GENERIC,
}


def _sale_statuses() -> frozenset[str]:
    """The final statuses the presets reach by taking the stock: a sale (delivered,
    completed, attended, and a no-show, which the events preset charges)."""
    return frozenset(
        move.to_code
        for preset in ORDER_PRESETS.values()
        for move in preset.transitions
        if "deduct_stock" in move.side_effects
        and any(s.code == move.to_code and s.terminal for s in preset.statuses)
    )


# An order closed in one of these is a sale: stock it still holds is taken, not given
# back (bizkit.workflow.operations module docstring).
SALE_STATUSES = _sale_statuses()


def preset_for(business_type: str, entity_type: str) -> Preset | None:
    """The preset flow of a business type for an entity type (None: no flow yet)."""
    if entity_type == "order":
        return ORDER_PRESETS.get(business_type, GENERIC)
    return None
