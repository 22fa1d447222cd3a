"""Order forms: bounds only; the rules (channel, lengths, open order) live in operations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from bizkit.core.forms import Form, choices
from bizkit.orders.operations import CHANNEL_LABELS

# Fields each business type asks for on top of the common ones.
BUSINESS_FIELDS = {
    "restaurant": ("table_label", "takeaway"),
    "bike_shop": ("bike_make", "bike_model", "bike_serial"),
}


class OrderDetailsForm(Form):
    """Customer, channel, table or bike, and notes: on the new-order page and the order
    detail. The customer comes from the picker (`templates/orders/_customer_picker.html`):
    `customer_q` searches, its radio buttons send `customer_id` (empty: a walk-in)."""

    customer_q = StringField(_l("Customer"), validators=[Optional(), Length(max=200)])
    channel = SelectField(_l("Channel"), default="counter", validate_choice=False)
    table_label = StringField(_l("Table"), validators=[Optional(), Length(max=40)])
    takeaway = BooleanField(_l("Take-away"))
    bike_make = StringField(_l("Bike make"), validators=[Optional(), Length(max=80)])
    bike_model = StringField(_l("Model"), validators=[Optional(), Length(max=80)])
    bike_serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=80)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, business_type: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = choices((k, v) for k, v in CHANNEL_LABELS.items())
        self.business_fields = BUSINESS_FIELDS.get(business_type, ())

    def values(self) -> dict:
        """What the operations take: the common fields and this business type's own."""
        names = ("channel", "notes", *self.business_fields)
        return {name: self[name].data for name in names}


class NewOrderForm(OrderDetailsForm):
    """The details of an order to be created (the customer picker starts at walk-in)."""
