"""What the audit log shows a person instead of its codes: a translated label for every
action operations record (`audit.record(actor, "order.payment", ...)`) and for every
kind of record an entry is about (the model's class name, `AuditEntry.entity_type`).

The codes stay in the database (they are what integrators and filters match on); the
page shows these labels and keeps the code in a tooltip. A test reads every
`audit.record` call in the code and fails when an action here has no label, so a new
action cannot reach the page as a bare code.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# The filter's "everything about" choices: an area and the action prefixes it covers
# (`audit.list_entries` matches actions by prefix).
AREAS = {
    "company": (_l("Company"), ("company.",)),
    "users": (_l("Users"), ("user.", "membership.")),
    "customers": (
        _l("Customers"),
        ("customer.", "customer_group.", "customer_import.", "store_credit."),
    ),
    "inventory": (_l("Inventory"), ("product.", "variant.", "category.", "tax_rate.", "stock.")),
    "orders": (_l("Orders"), ("order.", "voucher.", "gift_voucher.")),
    "workflows": (_l("Workflows"), ("workflow.",)),
    "notifications": (_l("Notifications"), ("notification.", "notifications.")),
}
AREA_PREFIX = "area:"

ACTIONS = {
    "company.update": _l("Company details changed"),
    "user.create": _l("Login created"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.two_step_enable": _l("Two-step sign-in switched on"),
    "user.two_step_disable": _l("Two-step sign-in switched off"),
    "user.recovery_codes_regenerate": _l("New recovery codes made"),
    "user.recovery_code_sign_in": _l("Signed in with a recovery code"),
    "membership.add": _l("User added to the company"),
    "membership.role": _l("User's role changed"),
    "membership.deactivate": _l("User's access removed"),
    "membership.reactivate": _l("User's access given back"),
    "customer.create": _l("Customer created"),
    "customer.update": _l("Customer details changed"),
    "customer.note": _l("Note added"),
    "customer.export": _l("Customers exported to CSV"),
    "customer.gdpr_export": _l("Personal data exported"),
    "customer.erase": _l("Personal data erased"),
    "customer_group.create": _l("Customer group created"),
    "customer_import.upload": _l("Customer import uploaded"),
    "customer_import.done": _l("Customer import finished"),
    "store_credit.grant": _l("Store credit granted"),
    "store_credit.use": _l("Store credit used"),
    "store_credit.expire": _l("Store credit expired"),
    "store_credit.correction": _l("Store credit corrected"),
    "product.create": _l("Item created"),
    "product.update": _l("Item changed"),
    "variant.create": _l("Variant created"),
    "variant.update": _l("Variant changed"),
    "category.create": _l("Category created"),
    "category.update": _l("Category changed"),
    "tax_rate.create": _l("Tax rate created"),
    "tax_rate.update": _l("Tax rate changed"),
    "stock.receipt": _l("Stock received"),
    "stock.sale": _l("Stock sold"),
    "stock.return": _l("Stock returned"),
    "stock.adjustment": _l("Stock adjusted"),
    "stock.reservation": _l("Stock reserved"),
    "stock.release": _l("Reserved stock released"),
    "order.create": _l("Order created"),
    "order.update": _l("Order details changed"),
    "order.transition": _l("Order status changed"),
    "order.line_add": _l("Order line added"),
    "order.line_update": _l("Order line changed"),
    "order.line_remove": _l("Order line removed"),
    "order.payment": _l("Payment taken"),
    "order.refund": _l("Payment refunded"),
    "order.voucher_apply": _l("Promo code applied"),
    "order.voucher_remove": _l("Promo code removed"),
    "order.quote_approve": _l("Quote approved"),
    "order.stock_settle": _l("Stock of a closed order settled"),
    "voucher.create": _l("Promo code created"),
    "voucher.update": _l("Promo code changed"),
    "gift_voucher.issue": _l("Gift voucher issued"),
    "gift_voucher.redeem": _l("Gift voucher used"),
    "gift_voucher.refund": _l("Gift voucher refunded"),
    "gift_voucher.correction": _l("Gift voucher corrected"),
    "gift_voucher.update": _l("Gift voucher changed"),
    "workflow.status_add": _l("Status added"),
    "workflow.status_update": _l("Status changed"),
    "workflow.status_delete": _l("Status deleted"),
    "workflow.status_move": _l("Status moved on the board"),
    "workflow.status_initial": _l("Initial status changed"),
    "workflow.transition_add": _l("Move allowed"),
    "workflow.transition_update": _l("Move changed"),
    "workflow.transition_remove": _l("Move removed"),
    "notification.cancel": _l("Message cancelled"),
    "notification.resend": _l("Message sent again"),
    "notifications.settings": _l("Notification settings changed"),
}

RECORD_TYPES = {
    "Company": _l("Company"),
    "User": _l("User"),
    "Membership": _l("User access"),
    "Customer": _l("Customer"),
    "CustomerGroup": _l("Customer group"),
    "CustomerImport": _l("Customer import"),
    "CustomerExport": _l("Customer export"),
    "Product": _l("Item"),
    "Variant": _l("Variant"),
    "Category": _l("Category"),
    "TaxRate": _l("Tax rate"),
    "Order": _l("Order"),
    "Voucher": _l("Promo code"),
    "GiftVoucher": _l("Gift voucher"),
    "WorkflowStatus": _l("Status"),
    "WorkflowTransition": _l("Move"),
    "Notification": _l("Message"),
    "NotificationSettings": _l("Notification settings"),
}


def action_label(code: str) -> str:
    """The action's label, or its code for one recorded by a version that had no label."""
    label = ACTIONS.get(code)
    return str(label) if label is not None else code


def record_type_label(name: str) -> str:
    label = RECORD_TYPES.get(name)
    return str(label) if label is not None else name


def action_choices() -> list[tuple[str, str]]:
    """The filter's choices: everything about an area, then each action, by label."""
    areas = sorted(
        (
            (AREA_PREFIX + key, _("Everything: %(area)s", area=label))
            for key, (label, _p) in AREAS.items()
        ),
        key=lambda choice: choice[1],
    )
    actions = sorted(((code, str(label)) for code, label in ACTIONS.items()), key=lambda c: c[1])
    return areas + actions


def action_prefixes(value: str) -> tuple[str, ...]:
    """What a filter value matches: an area's prefixes, else the value itself (an action
    code, or any prefix of one typed into the address: `?action=order.`)."""
    if value.startswith(AREA_PREFIX) and value[len(AREA_PREFIX) :] in AREAS:
        return AREAS[value[len(AREA_PREFIX) :]][1]
    return (value,)


def record_type_choices() -> list[tuple[str, str]]:
    return sorted(((name, str(label)) for name, label in RECORD_TYPES.items()), key=lambda c: c[1])


# The fields most entries change, by their column name; any other shows its code.
FIELDS = {
    "name": _l("Name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "company_name": _l("Company name"),
    "vat_id": _l("VAT number"),
    "iban": _l("IBAN"),
    "locale": _l("Language"),
    "timezone": _l("Time zone"),
    "currency": _l("Currency"),
    "business_type": _l("Business type"),
    "role": _l("Role"),
    "active": _l("Active"),
    "two_step": _l("Two-step sign-in"),
    "must_change_password": _l("Must choose a new password"),
    "status": _l("Status"),
    "notes": _l("Notes"),
    "note": _l("Notes"),
    "tags": _l("Tags"),
    "group_id": _l("Group"),
    "kind": _l("Type"),
    "reason": _l("Reason"),
    "price": _l("Price"),
    "cost_price": _l("Cost price"),
    "unit_price": _l("Unit price"),
    "quantity": _l("Quantity"),
    "discount": _l("Discount"),
    "unit": _l("Unit"),
    "sku": _l("SKU"),
    "barcode": _l("Barcode"),
    "category_id": _l("Category"),
    "parent_id": _l("Parent category"),
    "low_stock_threshold": _l("Low-stock threshold"),
    "stock_kept": _l("Keep stock of this item"),
    "tax_rate": _l("Tax rate"),
    "rate": _l("Rate"),
    "total": _l("Total"),
    "paid_total": _l("Paid"),
    "amount": _l("Amount"),
    "method": _l("Method"),
    "balance": _l("Balance"),
    "store_credit": _l("Store credit"),
    "channel": _l("Channel"),
    "table_label": _l("Table"),
    "takeaway": _l("Take-away"),
    "customer_id": _l("Customer"),
    "code": _l("Code"),
    "label": _l("Label"),
    "color": _l("Colour"),
    "on_hand": _l("On hand"),
    "reserved": _l("Reserved"),
}


def field_label(name: str) -> str:
    label = FIELDS.get(name)
    return str(label) if label is not None else name


# Fields whose values are quantities or amounts, shown in the company's number format.
NUMBERS = frozenset(
    {
        "price",
        "cost_price",
        "unit_price",
        "quantity",
        "discount",
        "low_stock_threshold",
        "rate",
        "total",
        "paid_total",
        "amount",
        "balance",
        "store_credit",
        "on_hand",
        "reserved",
        "quote_approved_total",
        "min_order_total",
    }
)


def value(raw, field: str = "") -> str:
    """A changed value as a person reads it: "—" for none, Yes/No, amounts and quantities
    in the company's number format ("12.000" → "12", "2.500" → "2,5" in Czech); anything
    else as written (a VAT number or a postal code is not a number to format)."""
    from decimal import Decimal, InvalidOperation

    from flask import g

    from bizkit.core.i18n import _format_number

    if raw is None or raw == "":
        return "—"
    if raw is True:
        return _("Yes")
    if raw is False:
        return _("No")
    if field in NUMBERS and isinstance(raw, (int, float, str)):
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            return str(raw)
        if number.is_finite():
            company = g.get("company")
            return _format_number(number, company.locale if company is not None else "en")
    return str(raw)
